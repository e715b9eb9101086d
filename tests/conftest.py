"""Shared fixtures: a fresh database per test, on SQLite and (when configured) PostgreSQL.

PostgreSQL tests read their server URL from ``CREDIT_TEST_POSTGRES_URL`` (``.ci/run`` sets it to
the local server) and are skipped with that reason when it is absent. Each PostgreSQL test gets its
own schema, dropped afterwards, so runs never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from credit.domain.schema import create_all
from credit.kernel.db import make_engine

PG_ENV = "CREDIT_TEST_POSTGRES_URL"


def _pg_url() -> str | None:
    url = os.environ.get(PG_ENV)
    if url and url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@pytest.fixture(autouse=True, scope="session")
def data_keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Data keys for the whole run in a temporary key directory (personal values are encrypted
    at rest; credit/kernel/keys.py), never the project's instance/keys."""
    from credit.kernel import keys

    folder = tmp_path_factory.mktemp("keys")
    saved = {name: os.environ.pop(name, None) for name in (keys.ENV_KEYS, keys.ENV_KEY_FILE, keys.ENV_KEY_DIR)}
    os.environ[keys.ENV_KEY_DIR] = str(folder)
    path, _ = keys.init_keys(folder / keys.DATA_KEYS_NAME)
    yield path
    for name, value in saved.items():
        os.environ.pop(name, None)
        if value is not None:
            os.environ[name] = value


@pytest.fixture(autouse=True)
def audit_witness(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's audit witness file of its own (credit/domain/audit_seal.py)."""
    monkeypatch.setenv("CREDIT_AUDIT_WITNESS", str(tmp_path_factory.mktemp("witness") / "audit-checkpoints.jsonl"))


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """An engine on an empty, fully created schema."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        create_all(eng)
        yield eng
        eng.dispose()
        return
    url = _pg_url()
    if not url:
        pytest.skip(f"PostgreSQL not configured: set {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    create_all(eng)
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_engine(tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """SQLite only, for tests whose subject is not the database."""
    eng = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    create_all(eng)
    yield eng
    eng.dispose()
