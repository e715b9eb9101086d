"""Database glue: read identity views, write enterprises, links, events and reviews.

Reads use plain Core selects of the needed columns; bulk writes go through the driver's
``executemany`` (several times faster than ORM or Core inserts at a million rows). Everything a
run writes happens inside the caller's one connection transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from credit.kernel.models import SourceRecord
from matching.identity import IDENTITY_COLUMNS, IdentityRecord, Key, latest_views, parse_key
from matching.kinds import Verdict
from matching.models import Enterprise, MatchJudgement, MatchKey, RecordLink, ResolutionRun
from matching.resolver import Judgement

log = logging.getLogger(__name__)

_CHUNK = 400
SR = SourceRecord.__table__
RL = RecordLink.__table__
MK = MatchKey.__table__
_VIEW_COLS = [SR.c.department, SR.c.record_type, SR.c.record_id, SR.c.version, SR.c.op, SR.c.id] + [
    SR.c[c] for c in IDENTITY_COLUMNS]


def chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def read_all_views(conn: Connection) -> dict[Key, IdentityRecord]:
    """The identity view of every record key."""
    query = select(*_VIEW_COLS)  # in table order: ``latest_views`` needs no order, and a scan is fastest
    if conn.dialect.name == "sqlite":  # plain tuples from the driver: a third of the time at a million rows
        return latest_views(_driver_rows(conn, str(query.compile(dialect=conn.dialect))))
    return latest_views(conn.execute(query).yield_per(20000))


def _driver_rows(conn: Connection, sql: str) -> Iterator[Sequence[Any]]:
    cur = conn.connection.cursor()
    try:
        cur.execute(sql)
        while rows := cur.fetchmany(20000):
            yield from rows
    finally:
        cur.close()


def read_views(conn: Connection, keys: Iterable[Key]) -> dict[Key, IdentityRecord]:
    """The identity views of the given record keys."""
    out: dict[Key, IdentityRecord] = {}
    base = select(*_VIEW_COLS)
    for department, record_type, ids in _key_groups(keys):
        q = base.where(SR.c.department == department, SR.c.record_type == record_type, SR.c.record_id.in_(ids))
        out.update(latest_views(conn.execute(q)))
    return out


def _key_groups(keys: Iterable[Key]) -> Iterator[tuple[str, str, list[str]]]:
    """Record ids by department and type, in chunks: ``department = ? AND record_type = ? AND
    record_id IN (...)`` is an index range per id (a row-value IN list is a scan on SQLite)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for d, t, i in set(keys):
        groups.setdefault((d, t), []).append(i)
    for (d, t), ids in sorted(groups.items()):
        ids.sort()
        for part in chunks(ids):
            yield d, t, list(part)


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


def link_ids(keys: Iterable[Key], links: dict[Key, tuple[int, int, int | None]], next_link: int
             ) -> Iterator[tuple[Key, int, tuple[int, int, int | None] | None]]:
    """Each key (in the order given: key order) with its link id and old link: the old link's id,
    or for a key not linked before the next new id from ``next_link`` (the one rule both the links'
    writing and ``keys_writer`` follow)."""
    for key in keys:
        old = links.get(key)
        if old is None:
            yield key, next_link, None
            next_link += 1
        else:
            yield key, old[0], old


def next_link_id(conn: Connection) -> int:
    """The id the next new link gets (links are given explicit ids, in key order)."""
    return int(conn.execute(select(func.coalesce(func.max(RL.c.id), 0))).scalar_one()) + 1


def next_enterprise_id(conn: Connection) -> int:
    return int(conn.execute(select(func.coalesce(func.max(Enterprise.id), 0))).scalar_one()) + 1


def read_judgements(conn: Connection) -> list[Judgement]:
    """Every judgement, oldest first (the resolver lets the latest on a pair win)."""
    q = select(MatchJudgement.left_key, MatchJudgement.right_key, MatchJudgement.verdict).order_by(MatchJudgement.id)
    return [Judgement(parse_key(a), parse_key(b), Verdict(v)) for a, b, v in conn.execute(q)]


def read_all_links(conn: Connection) -> dict[Key, tuple[int, int, int | None]]:
    """key → (link id, enterprise id, source id) for every linked record."""
    q = select(RL.c.department, RL.c.record_type, RL.c.record_id, RL.c.id, RL.c.enterprise_id, RL.c.source_id)
    return {(r[0], r[1], r[2]): (r[3], r[4], r[5]) for r in conn.execute(q).yield_per(20000)}


def read_links(conn: Connection, keys: Iterable[Key]) -> dict[Key, tuple[int, int, int | None]]:
    """key → (link id, enterprise id, source id) for the given keys that are linked."""
    out = {}
    base = select(RL.c.department, RL.c.record_type, RL.c.record_id, RL.c.id, RL.c.enterprise_id, RL.c.source_id)
    for department, record_type, ids in _key_groups(keys):
        q = base.where(RL.c.department == department, RL.c.record_type == record_type, RL.c.record_id.in_(ids))
        for r in conn.execute(q):
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


def links_of_hashes(conn: Connection, hashes: Iterable[int]
                    ) -> dict[Key, tuple[tuple[int, int, int | None], list[int]]]:
    """key → ((link id, enterprise id, source id), the given hashes it carries) of every linked
    record carrying any of the blocking-key hashes."""
    out: dict[Key, tuple[tuple[int, int, int | None], list[int]]] = {}
    q = select(MK.c.key_hash, RL.c.department, RL.c.record_type, RL.c.record_id, RL.c.id, RL.c.enterprise_id,
               RL.c.source_id).join(RL, RL.c.id == MK.c.link_id)
    for part in chunks(sorted(set(hashes))):
        for r in conn.execute(q.where(MK.c.key_hash.in_(list(part)))):
            key = (r[1], r[2], r[3])
            found = out.get(key)
            if found is None:
                found = out[key] = ((r[4], r[5], r[6]), [])
            found[1].append(r[0])
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


REBUILD_FROM = 200_000
MK_INDEXES = {"ix_match_keys_hash": "key_hash", "ix_match_keys_link": "link_id"}
_INDEXES = {"match_keys": MK_INDEXES, "record_links": {"ix_record_links_enterprise": "enterprise_id"}}


def bulk_insert(conn: Connection, table: str, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Insert many rows; a large batch (a first full run) goes in without the table's secondary
    indexes, which are rebuilt after (several times faster than keeping them up row by row)."""
    rebuild = len(rows) >= REBUILD_FROM
    if rebuild:
        for name in _INDEXES[table]:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    executemany(conn, sql, rows)
    if rebuild:
        for name, column in _INDEXES[table].items():
            conn.exec_driver_sql(f"CREATE INDEX {name} ON {table} ({column})")


def write_match_keys(conn: Connection, stale: Sequence[tuple[int]], rows: Sequence[tuple[int, int]]) -> None:
    """Replace the blocking keys of changed links: delete the stale ones, insert the new ones."""
    executemany(conn, "DELETE FROM match_keys WHERE link_id = ?", stale)
    bulk_insert(conn, "match_keys", "INSERT INTO match_keys (key_hash, link_id) VALUES (?, ?)", rows)


def stamp(conn: Connection, now: datetime) -> Any:
    """A timestamp parameter for driver ``executemany``: SQLite's own text form, made once."""
    return now.isoformat(" ") if conn.dialect.name == "sqlite" else now


def fix_sequences(conn: Connection) -> None:
    """After explicit-id inserts on PostgreSQL, move the id sequences past the largest id."""
    if conn.dialect.name != "postgresql":
        return
    for table in ("enterprises", "record_links"):
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)")
