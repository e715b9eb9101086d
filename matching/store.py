"""Database glue: read identity views, write enterprises, links, events and reviews.

Reads use plain Core selects of the needed columns; bulk writes go through the driver's
``executemany`` (several times faster than ORM or Core inserts at a million rows). Everything a
run writes happens inside the caller's one connection transaction.
"""

from __future__ import annotations

import logging
from typing import Any, Iterable, Iterator, Sequence

from sqlalchemy import Connection, func, select, tuple_

from credit.models import SourceRecord
from matching.identity import IDENTITY_COLUMNS, IdentityRecord, Key, latest_views, parse_key
from matching.models import Enterprise, MatchJudgement, MatchKey, RecordLink, ResolutionRun
from matching.resolver import Judgement

log = logging.getLogger(__name__)

_CHUNK = 400
SR = SourceRecord.__table__
RL = RecordLink.__table__
MK = MatchKey.__table__
_VIEW_COLS = [SR.c.department, SR.c.record_type, SR.c.record_id, SR.c.version, SR.c.op, SR.c.id] + [
    SR.c[c] for c in IDENTITY_COLUMNS]
_ORDER = (SR.c.department, SR.c.record_type, SR.c.record_id, SR.c.version)


def chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def read_all_views(conn: Connection) -> dict[Key, IdentityRecord]:
    """The identity view of every record key."""
    rows = conn.execute(select(*_VIEW_COLS).order_by(*_ORDER)).yield_per(20000)
    return latest_views(rows)


def read_views(conn: Connection, keys: Iterable[Key]) -> dict[Key, IdentityRecord]:
    """The identity views of the given record keys."""
    out: dict[Key, IdentityRecord] = {}
    cols = tuple_(SR.c.department, SR.c.record_type, SR.c.record_id)
    for part in chunks(sorted(set(keys))):
        rows = conn.execute(select(*_VIEW_COLS).where(cols.in_(list(part))).order_by(*_ORDER)).all()
        out.update(latest_views(rows))
    return out


def dirty_keys(conn: Connection, watermark: int) -> set[Key]:
    """Record keys with a version newer than the watermark."""
    q = select(SR.c.department, SR.c.record_type, SR.c.record_id).where(SR.c.id > watermark)
    return {tuple(r) for r in conn.execute(q)}  # type: ignore[misc]


def max_source_id(conn: Connection) -> int:
    return conn.execute(select(func.coalesce(func.max(SR.c.id), 0))).scalar_one()


def last_watermark(conn: Connection) -> int | None:
    """The max source record id the last run saw, or None if resolution never ran."""
    row = conn.execute(select(ResolutionRun.max_source_id).order_by(ResolutionRun.id.desc()).limit(1)).first()
    return None if row is None else int(row[0])


def next_enterprise_id(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(Enterprise.id), 0))).scalar_one()) + 1


def read_judgements(conn: Connection) -> list[Judgement]:
    """Every judgement, oldest first (the resolver lets the latest on a pair win)."""
    q = select(MatchJudgement.left_key, MatchJudgement.right_key, MatchJudgement.verdict).order_by(MatchJudgement.id)
    return [Judgement(parse_key(a), parse_key(b), v) for a, b, v in conn.execute(q)]


def read_all_links(conn: Connection) -> dict[Key, tuple[int, int, int | None]]:
    """key → (link id, enterprise id, source id) for every linked record."""
    q = select(RL.c.department, RL.c.record_type, RL.c.record_id, RL.c.id, RL.c.enterprise_id, RL.c.source_id)
    return {(r[0], r[1], r[2]): (r[3], r[4], r[5]) for r in conn.execute(q).yield_per(20000)}


def read_links(conn: Connection, keys: Iterable[Key]) -> dict[Key, tuple[int, int, int | None]]:
    """key → (link id, enterprise id, source id) for the given keys that are linked."""
    out = {}
    cols = tuple_(RL.c.department, RL.c.record_type, RL.c.record_id)
    base = select(RL.c.department, RL.c.record_type, RL.c.record_id, RL.c.id, RL.c.enterprise_id, RL.c.source_id)
    for part in chunks(sorted(set(keys))):
        for r in conn.execute(base.where(cols.in_(list(part)))):
            out[(r[0], r[1], r[2])] = (r[3], r[4], r[5])
    return out


def links_of_enterprises(conn: Connection, ids: Iterable[int]) -> dict[Key, tuple[int, int, int | None]]:
    """key → (link id, enterprise id, source id) of every record of the given enterprises."""
    out = {}
    base = select(RL.c.department, RL.c.record_type, RL.c.record_id, RL.c.id, RL.c.enterprise_id, RL.c.source_id)
    for part in chunks(sorted(set(ids))):
        for r in conn.execute(base.where(RL.c.enterprise_id.in_(list(part)))):
            out[(r[0], r[1], r[2])] = (r[3], r[4], r[5])
    return out


def enterprises_of_hashes(conn: Connection, hashes: Iterable[int]) -> set[int]:
    """The enterprises of the records carrying any of the blocking-key hashes."""
    out: set[int] = set()
    q = select(RL.c.enterprise_id).join(MK, MK.c.link_id == RL.c.id)
    for part in chunks(sorted(set(hashes))):
        out.update(r[0] for r in conn.execute(q.where(MK.c.key_hash.in_(list(part))).distinct()))
    return out


def executemany(conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run ``sql`` (with ``?`` placeholders) for every row through the driver cursor."""
    if not rows:
        return
    if conn.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    cur = conn.connection.cursor()
    try:
        for part in chunks(rows, 20000):
            cur.executemany(sql, part)
    finally:
        cur.close()


def fix_sequences(conn: Connection) -> None:
    """After explicit-id inserts on PostgreSQL, move the id sequences past the largest id."""
    if conn.dialect.name != "postgresql":
        return
    for table in ("enterprises", "record_links"):
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)")
