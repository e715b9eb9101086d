"""Fixtures for the work-floor domain tests: a session on each database, folders, actors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from credit.domain.workflows import ROLE_CLERK, ROLE_ENTERPRISE, ROLE_REGULATOR, ROLE_REVIEWER, Actor


@pytest.fixture(autouse=True)
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CREDIT_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("CREDIT_EXPORT_DIR", str(tmp_path / "exports"))
    return tmp_path


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def regulator() -> Actor:
    return Actor("监管员", ROLE_REGULATOR)


@pytest.fixture
def reviewer() -> Actor:
    return Actor("审核员", ROLE_REVIEWER)


@pytest.fixture
def commerce_clerk() -> Actor:
    return Actor("王科员", ROLE_CLERK, department="commerce")


@pytest.fixture
def tax_clerk() -> Actor:
    return Actor("赵科员", ROLE_CLERK, department="tax")


@pytest.fixture
def company() -> Actor:
    return Actor("李四", ROLE_ENTERPRISE, enterprise_id=1)
