"""Create or migrate the schema with Alembic (``python -m credit init-db``), and check it before use."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, inspect, text

from credit.kernel.errors import Conflict

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaTooNew(Conflict):
    """The database was migrated by a newer version of the software than this one."""


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config that needs no alembic.ini on disk."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _known(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    if "alembic_version" not in inspect(engine).get_table_names():
        return None
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _check_not_newer(engine: Engine) -> None:
    revision = current_revision(engine)
    if revision is not None and not _known(revision):
        raise SchemaTooNew(f"数据库结构版本 {revision} 来自更新版本的联征，请升级软件 / the database schema "
                           f"(revision {revision}) was written by a newer Lianzheng; upgrade this installation")


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema revision (refused for a schema from a newer version)."""
    _check_not_newer(engine)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def ensure_schema(engine: Engine) -> None:
    """Before any command: create or upgrade the schema when it is behind; refuse one that is newer."""
    _check_not_newer(engine)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if current_revision(engine) != head:
        upgrade(engine)
