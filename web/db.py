"""The app's database: one engine per app, one committed transaction per operation."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from credit.kernel.db import make_engine, transaction

T = TypeVar("T")


def init_app(app: Flask) -> None:
    """Attach the engine (given as ENGINE, or made from CREDIT_DATABASE_URL and migrated)."""
    engine = app.config.get("ENGINE")
    if engine is None:
        from credit.domain.migrate import ensure_schema

        engine = make_engine(app.config["CREDIT_DATABASE_URL"])
        ensure_schema(engine)
    app.extensions["credit_engine"] = engine


def engine() -> Engine:
    return current_app.extensions["credit_engine"]  # type: ignore[no-any-return]


def run(work: Callable[[Session], T]) -> T:
    """Run one operation in its own transaction; the view renders only after it committed."""
    with transaction(engine()) as session:
        return work(session)
