"""The Alembic migrations build exactly the schema the models declare, on both databases."""

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from credit.domain.migrate import upgrade
from credit.domain.schema import metadata
from credit.kernel.db import make_engine
from tests.conftest import PG_ENV, _pg_url


def assert_matches_models(engine):
    upgrade(engine)
    upgrade(engine)  # a second run is a no-op
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata())
    assert diffs == []


def test_sqlite_migrations_match_models(tmp_path):
    assert_matches_models(make_engine(f"sqlite:///{tmp_path / 'm.db'}"))


def test_postgres_migrations_match_models():
    url = _pg_url()
    if not url:
        pytest.skip(f"PostgreSQL not configured: set {PG_ENV}")
    schema = f"m_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        assert_matches_models(create_engine(url, connect_args={"options": f"-csearch_path={schema}"}))
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
