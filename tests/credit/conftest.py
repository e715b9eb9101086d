"""Fixtures for the credit domain tests: a session on each database backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from credit.domain.workflows import ROLE_AUTHORISED, ROLE_CLERK, ROLE_ENTERPRISE, ROLE_REGULATOR, Actor


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on a fresh schema (SQLite and PostgreSQL)."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def company() -> Actor:
    return Actor("李四", ROLE_ENTERPRISE, enterprise_id=1)


@pytest.fixture
def commerce_clerk() -> Actor:
    return Actor("王科员", ROLE_CLERK, department="commerce")


@pytest.fixture
def tax_clerk() -> Actor:
    return Actor("赵科员", ROLE_CLERK, department="tax")


@pytest.fixture
def bank() -> Actor:
    return Actor("信贷员", ROLE_AUTHORISED, department="某某银行长沙分行")


@pytest.fixture
def regulator() -> Actor:
    return Actor("监管员", ROLE_REGULATOR)
