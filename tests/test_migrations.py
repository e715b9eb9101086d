"""The Alembic migrations build exactly the schema the models declare, on both databases."""

import contextlib
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

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


@contextlib.contextmanager
def pg_schema(prefix):
    """An engine on a new, empty PostgreSQL schema, dropped after (skips when PostgreSQL is not configured)."""
    url = _pg_url()
    if not url:
        pytest.skip(f"PostgreSQL not configured: set {PG_ENV}")
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def test_postgres_migrations_match_models():
    with pg_schema("m") as engine:
        assert_matches_models(engine)


def _at(engine, revision):
    """The schema migrated (up or down) to ``revision``."""
    from alembic import command

    from credit.domain.migrate import alembic_config

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        current = (conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                   if "alembic_version" in inspect(conn).get_table_names() else None)
        if current is not None and current > revision:
            command.downgrade(cfg, revision)
        else:
            command.upgrade(cfg, revision)


GRAM_ROWS = "SELECT gram, entry_id, enterprise_id, norm, core, former, name FROM search_grams ORDER BY gram, entry_id"


def check_search_grams_migration(engine):
    """0006 rebuilds search_grams from search_entries: each bigram row gets its entry's norm, core, former
    flag and (a former name only) its name; a row whose entry is gone is dropped. 0005 again: the rows as
    they were."""
    _at(engine, "0005")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO search_entries (id, enterprise_id, name, norm, core, former) VALUES "
                          "(1, 7, '长沙华盛网络科技有限公司', '长沙华盛网络科技有限公司', '华盛网络科技', FALSE), "
                          "(2, 7, '长沙华盛电子有限公司', '长沙华盛电子有限公司', '华盛电子', TRUE)"))
        conn.execute(text("INSERT INTO search_grams (gram, entry_id, enterprise_id) VALUES "
                          "(10, 1, 7), (11, 1, 7), (10, 2, 7), (12, 9, 8)"))  # entry 9: gone
    _at(engine, "0006")
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(GRAM_ROWS))]
    core, former = ("长沙华盛网络科技有限公司", "华盛网络科技", False, None), ("长沙华盛电子有限公司", "华盛电子", True, "长沙华盛电子有限公司")
    assert [(g, e, eid, n, c, bool(f), name) for g, e, eid, n, c, f, name in rows] == [
        (10, 1, 7, *core), (10, 2, 7, *former), (11, 1, 7, *core)]
    _at(engine, "0005")
    with engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(text("SELECT gram, entry_id, enterprise_id FROM search_grams "
                                                    "ORDER BY gram, entry_id"))] == [(10, 1, 7), (10, 2, 7), (11, 1, 7)]
    assert_matches_models(engine)  # and up to the head again


def test_sqlite_search_grams_migration(tmp_path):
    check_search_grams_migration(make_engine(f"sqlite:///{tmp_path / 'g.db'}"))


def test_postgres_search_grams_migration():
    with pg_schema("g") as engine:
        check_search_grams_migration(engine)
