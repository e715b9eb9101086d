"""The app's database: one engine per app, one committed transaction per operation."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from credit.kernel.db import make_engine, transaction

T = TypeVar("T")


def init_app(app: Flask) -> None:
    """Attach the engine (given as ENGINE, or made from CREDIT_DATABASE_URL and migrated)."""
    engine = app.config.get("ENGINE")
    if engine is None:
        from credit.domain.migrate import ensure_schema

        engine = make_engine(app.config["CREDIT_DATABASE_URL"])
        # before the engine's first connection (the migration's), which the pool then hands to requests
        mmap_reads(engine, int(app.config.get("CREDIT_SQLITE_MMAP") or 0))
        ensure_schema(engine)
    app.extensions["credit_engine"] = engine


def mmap_reads(engine: Engine, size: int) -> None:
    """SQLite: the app's connections read the file through a memory map of ``size`` bytes (searches and
    pages read index pages without copying them into each connection's cache). The app's engine only:
    the ingest and the workers keep their own engines and settings."""
    if size <= 0 or engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _mmap(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA mmap_size={int(size)}")
        cursor.close()


def engine() -> Engine:
    return current_app.extensions["credit_engine"]  # type: ignore[no-any-return]


def run(work: Callable[[Session], T]) -> T:
    """Run one operation in its own transaction; the view renders only after it committed."""
    with transaction(engine()) as session:
        return work(session)
