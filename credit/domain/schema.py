"""One metadata for the whole platform: imports every model module, then creates or migrates."""

from __future__ import annotations

import importlib
import logging

from sqlalchemy import Engine, MetaData

from credit.kernel.models import Base

log = logging.getLogger(__name__)

MODEL_MODULES = ("credit.kernel.models", "matching.models", "credit.domain.workflow_models",
                 "credit.domain.signature_models", "credit.domain.work_models", "credit.domain.web_models")


def metadata() -> MetaData:
    """Base.metadata with every model module imported (modules not yet present are skipped)."""
    for name in MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return Base.metadata


def create_all(engine: Engine) -> None:
    """Create every table that does not exist yet (tests and first start)."""
    metadata().create_all(engine)
