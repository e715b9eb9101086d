"""Database engine and sessions. SQLite under instance/ by default; PostgreSQL by URL.

The URL comes from ``CREDIT_DATABASE_URL``. SQLite runs in WAL mode with foreign keys on.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

log = logging.getLogger(__name__)

ENV_URL = "CREDIT_DATABASE_URL"
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


def default_url() -> str:
    """The embedded default: SQLite in instance/credit.db under the project root."""
    instance = PROJECT_ROOT / "instance"
    instance.mkdir(exist_ok=True)
    return f"sqlite:///{instance / 'credit.db'}"


def database_url() -> str:
    url = os.environ.get(ENV_URL) or default_url()
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA page_size=16384")  # a new database only: ~2 KB rows fit a page, no overflow chains
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MB: index pages of a million-row batch stay cached
    cur.close()


def make_engine(url: str | None = None) -> Engine:
    """An engine for the URL (or the environment's), with SQLite tuned for bulk appends."""
    url = url or database_url()
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


STAGED_FILES = "lianzheng.staged_files"


def staging_path(final: Path) -> Path:
    """Where a file is written before its transaction commits: a hidden name beside ``final``."""
    return final.with_name(f".{final.name}.{uuid.uuid4().hex[:12]}.part")


def publish_on_commit(session: Session, staged: Path, final: Path, *, discard: bool = True) -> None:
    """Move ``staged`` to ``final`` when the session's transaction commits; delete it if it does not.

    A file whose audit entry must exist before anyone can read it (an export, its manifest and
    signature) is written staged, registered here, and appears under its name only once the entry is
    committed: a rolled-back operation leaves no file behind, a committed one no entry without it.
    ``discard=False`` keeps the staged file on a rollback (a job's output, signed again when its
    closing transaction is retried). Files move in the reverse order of registration (register the
    data file first: its signature files are in place when it appears). Register inside the
    outermost transaction: a savepoint's release or rollback neither publishes nor discards."""
    session.info.setdefault(STAGED_FILES, []).append((staged, final, discard))


@event.listens_for(Session, "after_commit")
def _publish_staged(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the transaction is not over
        return
    for staged, final, _ in reversed(session.info.pop(STAGED_FILES, [])):
        try:
            os.replace(staged, final)
        except OSError as exc:  # committed already: say so, do not undo the commit
            log.error("could not move %s to %s after commit: %s", staged, final, exc)


@event.listens_for(Session, "after_transaction_end")
def _discard_staged(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and not transaction.nested:  # the outermost: rolled back or closed
        for staged, _, discard in session.info.pop(STAGED_FILES, ()):
            if discard:
                staged.unlink(missing_ok=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: committed whole when the block ends, rolled back on any error."""
    session = Session(bind=engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
