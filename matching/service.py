"""What the CLI and the web call: resolve, links, review, judge, and following an old id.

Each operation is one function taking an engine and returning a result object with ``summary()``.
A run writes everything (enterprises, links, events, review queue, run row) in one transaction.
"""

from __future__ import annotations

import csv
import gc
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Connection, Engine, delete, insert, select, update

from credit.kernel.errors import InvalidInput, NotFound
from credit.kernel.models import SourceRecord, utcnow
from matching import evidence, store
from matching.blocking import key_hashes
from matching.identity import IdentityRecord, Key, key_str, parse_key, profile
from matching.keys_writer import KeysWriter
from matching.kinds import EventKind, ReviewStatus, RunMode, Verdict
from matching.models import Enterprise, MatchJudgement, RecordLink, ResolutionRun, ReviewItem
from matching.neighbourhood import partners
from matching.resolver import DIFFERENT, SAME, Clock, Judgement, Resolution, resolve_records

log = logging.getLogger(__name__)

LinkRow = tuple[int, int, "int | None"]  # link id, enterprise id, source id


class MatchingError(InvalidInput):
    """A request matching cannot carry out (a bad verdict or record key)."""


@dataclass
class ResolveResult:
    """What one ``resolve`` run changed."""

    mode: RunMode
    records: int = 0
    changed: int = 0
    new: list[int] = field(default_factory=list)
    merges: list[tuple[int, int]] = field(default_factory=list)  # (old id, successor)
    splits: list[tuple[int, int]] = field(default_factory=list)  # (old id, split-off id)
    reviews: int = 0
    relinked: int = 0
    seconds: float = 0.0

    def counts(self) -> str:
        """The run's figures as JSON, stored on its resolution_runs row."""
        return json.dumps({"mode": self.mode, "records": self.records, "changed": self.changed,
                           "new": len(self.new), "merges": len(self.merges), "splits": len(self.splits),
                           "reviews": self.reviews, "relinked": self.relinked, "seconds": round(self.seconds, 2)})

@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: a run allocates millions of acyclic objects, which its
    passes would otherwise scan again and again (and a forked worker would copy every page)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def resolve(engine: Engine, full: bool = False) -> ResolveResult:
    """Resolve new and changed records against what exists (or everything with ``full``)."""
    with _no_gc():
        return _resolve(engine, full)


def _resolve(engine: Engine, full: bool) -> ResolveResult:
    started = time.perf_counter()
    with engine.begin() as conn:
        watermark = store.last_watermark(conn)
        top = store.max_source_id(conn)
        mode = RunMode.FULL if full or watermark is None else RunMode.INCREMENTAL
        run_id = _start_run(conn, mode, top)
        if mode == RunMode.FULL:
            result = _resolve_full(conn, run_id)
        else:
            result = _resolve_subset(conn, run_id, store.dirty_keys(conn, watermark or 0), set())
        result.seconds = time.perf_counter() - started
        conn.execute(update(ResolutionRun).where(ResolutionRun.id == run_id).values(
            records=result.records, summary=result.counts(), finished_at=utcnow()))
    return result


def _start_run(conn: Connection, mode: RunMode, top: int) -> int:
    return int(conn.execute(insert(ResolutionRun).values(mode=mode.value, max_source_id=top, started_at=utcnow())
                            .returning(ResolutionRun.id)).scalar_one())


def _resolve_full(conn: Connection, run_id: int) -> ResolveResult:
    views = store.read_all_views(conn)
    links = store.read_all_links(conn)
    log.info("resolve: %d views and %d links read", len(views), len(links))
    changed = {k for k, v in views.items() if k not in links or links[k][2] != v.source_id}
    judgements, next_id, next_link = store.read_judgements(conn), store.next_enterprise_id(conn), store.next_link_id(conn)
    writer = _keys_writer(conn, links, changed, next_link)
    try:
        res = resolve_records(views.values(), {k: v[1] for k, v in links.items()}, judgements, next_id,
                              keys_ready=writer.start if writer else None)
    except BaseException:
        if writer is not None:
            writer.join(raise_error=False)  # the resolver's error is the one to see
        raise
    if writer is not None:
        writer.join()
        log.info("resolve: %d blocking keys written beside the resolver", writer.rows)
    conn.execute(delete(ReviewItem).where(ReviewItem.status == ReviewStatus.OPEN))
    return _write(conn, run_id, RunMode.FULL, res, views, links, changed, next_link, keys_written=writer is not None)


def _keys_writer(conn: Connection, links: dict[Key, LinkRow], changed: set[Key], next_link: int) -> KeysWriter | None:
    """On SQLite, a writer of the run's blocking keys while the resolver works (``matching.keys_writer``);
    elsewhere None (the links' writing writes them)."""
    if conn.dialect.name != "sqlite":
        return None
    return KeysWriter(conn.connection.dbapi_connection, links, changed, next_link)


def _resolve_subset(conn: Connection, run_id: int, dirty: set[Key], seeds: set[int]) -> ResolveResult:
    """Resolve the dirty records with every enterprise they may touch (and the seed enterprises):
    those of the records a full run would pair with a dirty record (``neighbourhood``) or that a
    judgement ties to one, and the dirty records' own."""
    if not dirty and not seeds:
        return ResolveResult(RunMode.INCREMENTAL)
    clock = Clock()
    views = store.read_views(conn, dirty)
    dirty_links = store.read_links(conn, dirty)
    known = {k: profile(v) for k, v in views.items()}
    hashes = {k: key_hashes(p) for k, p in known.items()}
    carriers = store.links_of_hashes(conn, {h for hs in hashes.values() for h in hs})
    for key in dirty:
        carriers.pop(key, None)
    near = store.read_views(conn, carriers)
    known.update((k, profile(v)) for k, v in near.items())
    clock.lap(f"{len(views)} dirty records and {len(near)} sharing a key read")
    found = partners([(known[k], hashes[k]) for k in views], [(known[k], carriers[k][1]) for k in near])
    judgements = store.read_judgements(conn)
    touched = seeds | {v[1] for v in dirty_links.values()} | {carriers[k][0][1] for k in found} | {
        v[1] for v in store.read_links(conn, _judged_with(judgements, dirty)).values()}
    clock.lap(f"{len(found)} partners, {len(touched)} enterprises")
    links = store.links_of_enterprises(conn, touched)
    links.update(dirty_links)
    views.update((k, near[k]) for k in links if k in near and k not in views)
    views.update(store.read_views(conn, set(links) - set(views)))
    clock.lap(f"neighbourhood read: {len(views)} records")
    res = resolve_records(views.values(), {k: v[1] for k, v in links.items()}, judgements,
                          store.next_enterprise_id(conn), known, hashes)
    _delete_open_reviews(conn, set(views))
    changed = {k for k, v in views.items() if k not in links or links[k][2] != v.source_id}
    result = _write(conn, run_id, RunMode.INCREMENTAL, res, views, links, changed)
    result.changed = len(dirty)
    clock.lap("written")
    return result


def _judged_with(judgements: list[Judgement], keys: set[Key]) -> set[Key]:
    """The records a judgement pairs with one of ``keys``."""
    return {b for j in judgements for a, b in ((j.left, j.right), (j.right, j.left)) if a in keys and b not in keys}


def _delete_open_reviews(conn: Connection, keys: set[Key]) -> None:
    names = sorted(key_str(k) for k in keys)
    for part in store.chunks(names):
        conn.execute(delete(ReviewItem).where(ReviewItem.status == ReviewStatus.OPEN,
                                              ReviewItem.left_key.in_(list(part)) | ReviewItem.right_key.in_(list(part))))


def _write(conn: Connection, run_id: int, mode: RunMode, res: Resolution, views: dict[Key, IdentityRecord],
           links: dict[Key, LinkRow], changed: set[Key], next_link: int | None = None,
           keys_written: bool = False) -> ResolveResult:
    result = ResolveResult(mode, records=len(views), changed=len(changed))
    now = store.stamp(conn, utcnow())
    old_ids = {v[1] for v in links.values()}
    new_ids = sorted(set(res.assignment.values()) - old_ids)
    store.executemany(conn, "INSERT INTO enterprises (id, status, created_at, updated_at) VALUES (?, 'active', ?, ?)",
                      [(i, now, now) for i in new_ids])
    result.new = [e.enterprise_id for e in res.events if e.kind == EventKind.NEW]
    result.merges = [(e.enterprise_id, e.other_id or 0) for e in res.events if e.kind == EventKind.MERGE]
    result.splits = [(e.enterprise_id, e.other_id or 0) for e in res.events if e.kind == EventKind.SPLIT]
    store.executemany(conn, "UPDATE enterprises SET status = 'merged', successor_id = ?, updated_at = ? WHERE id = ?",
                      [(new, now, old) for old, new in result.merges])
    store.executemany(conn, "INSERT INTO enterprise_events (run_id, kind, enterprise_id, other_id, detail, created_at)"
                      " VALUES (?, ?, ?, ?, ?, ?)",
                      [(run_id, e.kind.value, e.enterprise_id, e.other_id, e.detail, now) for e in res.events])
    result.relinked = _write_links(conn, res, views, links, changed, now,
                                   store.next_link_id(conn) if next_link is None else next_link, keys_written)
    result.reviews = _write_reviews(conn, res, run_id, now)
    store.fix_sequences(conn)
    return result


def _write_links(conn: Connection, res: Resolution, views: dict[Key, IdentityRecord], links: dict[Key, LinkRow],
                 changed: set[Key], now: Any, next_link: int, keys_written: bool = False) -> int:
    """Insert and update the links (ids by ``store.link_ids``); the blocking keys of the changed
    records unless ``keys_written`` (``matching.keys_writer``, which gives the same ids)."""
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    key_rows: list[tuple[Any, ...]] = []
    stale: list[tuple[Any, ...]] = []
    for key, link_id, old in store.link_ids(sorted(res.assignment), links, next_link):
        eid = res.assignment[key]
        score, reason = res.links[key]
        source_id = views[key].source_id
        if old is None:
            inserts.append((link_id, key[0], key[1], key[2], eid, score, reason, now, source_id))
        elif old[1] != eid or old[2] != source_id:
            updates.append((eid, score, reason, now, source_id, link_id))
        if key in changed and not keys_written:
            if old is not None:
                stale.append((link_id,))
            key_rows.extend((h, link_id) for h in res.block_keys[key])
    store.bulk_insert(conn, "record_links", "INSERT INTO record_links (id, department, record_type, record_id,"
                      " enterprise_id, score, reason, updated_at, source_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      inserts)
    store.executemany(conn, "UPDATE record_links SET enterprise_id = ?, score = ?, reason = ?, updated_at = ?,"
                      " source_id = ? WHERE id = ?", updates)
    log.info("resolve: links written (%d new, %d changed)", len(inserts), len(updates))
    if not keys_written:
        store.write_match_keys(conn, stale, key_rows)
        log.info("resolve: %d blocking keys written", len(key_rows))
    return len(inserts) + len(updates)


def _write_reviews(conn: Connection, res: Resolution, run_id: int, now: Any) -> int:
    t = ReviewItem.__table__
    pairs = [(key_str(r.left), key_str(r.right)) for r in res.reviews]
    existing: set[tuple[str, str]] = set()
    for part in store.chunks(pairs):
        lefts = [p[0] for p in part]
        existing.update((a, b) for a, b in conn.execute(select(t.c.left_key, t.c.right_key).where(t.c.left_key.in_(lefts))))
    rows = [(a, b, r.score, r.explanation, r.left_summary, r.right_summary, ReviewStatus.OPEN.value, run_id, now)
            for (a, b), r in zip(pairs, res.reviews) if (a, b) not in existing]
    store.executemany(conn, "INSERT INTO review_items (left_key, right_key, score, explanation, left_summary,"
                      " right_summary, status, run_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


# ---------------------------------------------------------------- following ids, links, review, judge


def current_enterprise_id(conn: Any, enterprise_id: int) -> int | None:
    """The active enterprise an id leads to today (following merges); None if the id is unknown."""
    seen: set[int] = set()
    current: int | None = enterprise_id
    while current is not None and current not in seen:
        seen.add(current)
        row = conn.execute(select(Enterprise.status, Enterprise.successor_id).where(Enterprise.id == current)).first()
        if row is None:
            return None
        if row[0] != "merged" or row[1] is None:
            return current
        current = row[1]
    return current


@dataclass
class LinksResult:
    """How many link rows were written, and where."""

    path: str
    rows: int
    unresolved: int

def write_links(engine: Engine, out: str | Path | TextIO) -> LinksResult:
    """One CSV row per source record key: department,type,record_id,enterprise_id."""
    if isinstance(out, (str, Path)):
        with open(out, "w", newline="", encoding="utf-8") as fh:
            result = write_links(engine, fh)
        result.path = str(out)
        return result
    writer = csv.writer(out)
    writer.writerow(["department", "type", "record_id", "enterprise_id"])
    rows = unresolved = 0
    sr, rl = SourceRecord.__table__, RecordLink.__table__
    with engine.connect() as conn:
        linked = select(rl.c.department, rl.c.record_type, rl.c.record_id, rl.c.enterprise_id)
        for r in conn.execute(linked.order_by(rl.c.department, rl.c.record_type, rl.c.record_id)).yield_per(20000):
            writer.writerow(r)
            rows += 1
        missing = (select(sr.c.department, sr.c.record_type, sr.c.record_id).distinct()
                   .where(~select(rl.c.id).where(rl.c.department == sr.c.department, rl.c.record_type == sr.c.record_type,
                                                 rl.c.record_id == sr.c.record_id).exists()))
        for m in conn.execute(missing):
            writer.writerow([*m, ""])
            rows += 1
            unresolved += 1
    return LinksResult(getattr(out, "name", "-"), rows, unresolved)


@dataclass
class ReviewList:
    """Open review items, best score first."""

    items: list[dict[str, Any]]

def list_reviews(engine: Engine, limit: int | None = 100) -> ReviewList:
    """The open review queue with both sides, their current enterprises and the explanation."""
    t = ReviewItem.__table__
    with engine.connect() as conn:
        q = select(t).where(t.c.status == ReviewStatus.OPEN).order_by(t.c.score.desc(), t.c.id)
        rows = [dict(r._mapping) for r in conn.execute(q.limit(limit) if limit else q)]
        keys = {parse_key(r[s]) for r in rows for s in ("left_key", "right_key")}
        links = store.read_links(conn, keys)
    for r in rows:
        r["left_enterprise"] = links.get(parse_key(r["left_key"]), (0, None))[1]
        r["right_enterprise"] = links.get(parse_key(r["right_key"]), (0, None))[1]
        r["evidence"] = evidence.lines(r["explanation"])  # stored as data, shown as sentences
        r["explanation"] = ", ".join(r["evidence"])
    return ReviewList(rows)


@dataclass
class JudgeResult:
    """A recorded judgement and what re-resolving the two sides changed."""

    left: str
    right: str
    verdict: str
    resolution: ResolveResult

def judge(engine: Engine, left: str, right: str, verdict: str, judged_by: str | None = None,
          note: str | None = None) -> JudgeResult:
    """Record that two records (keys ``department/type/record_id``) or enterprises (ids) are the same or
    different, then re-resolve the enterprises involved. The judgement wins on every later run."""
    if verdict not in (SAME, DIFFERENT):
        raise MatchingError(f"verdict must be same or different, not {verdict!r}")
    verdict = Verdict(verdict)
    with engine.begin() as conn:
        a, b = _record_of(conn, left), _record_of(conn, right)
        if a == b:
            raise MatchingError("a record cannot be judged against itself")
        conn.execute(insert(MatchJudgement).values(left_key=key_str(a), right_key=key_str(b), verdict=verdict.value,
                                                   judged_by=judged_by, note=note, created_at=utcnow()))
        seeds = {v[1] for v in store.read_links(conn, [a, b]).values()}
        _close_reviews(conn, seeds)
        run_id = _start_run(conn, RunMode.JUDGEMENT, store.last_watermark(conn) or 0)
        result = _resolve_subset(conn, run_id, {a, b}, seeds)
        result.mode = RunMode.JUDGEMENT
    return JudgeResult(key_str(a), key_str(b), verdict, result)


def _record_of(conn: Connection, ref: str) -> Key:
    """A record key from ``department/type/record_id`` or an enterprise id (its first record)."""
    ref = ref.strip()
    if ref.isdigit():
        eid = current_enterprise_id(conn, int(ref))
        if eid is None:
            raise NotFound(f"没有此企业 / no enterprise {ref}")
        rl = RecordLink.__table__
        row = conn.execute(select(rl.c.department, rl.c.record_type, rl.c.record_id).where(rl.c.enterprise_id == eid)
                           .order_by(rl.c.department, rl.c.record_type, rl.c.record_id).limit(1)).first()
        if row is None:
            raise NotFound(f"企业 {ref} 没有记录 / enterprise {ref} has no records")
        return (row[0], row[1], row[2])
    try:
        key = parse_key(ref)
    except ValueError as exc:
        raise MatchingError(str(exc)) from None
    if not store.read_views(conn, [key]):
        raise NotFound(f"没有此记录 / no source record {ref}")
    return key


def _close_reviews(conn: Connection, enterprises: set[int]) -> None:
    """Mark open review items between the judged enterprises as judged."""
    members = {key_str(k) for k in store.links_of_enterprises(conn, enterprises)}
    t = ReviewItem.__table__
    ids = [r[0] for part in store.chunks(sorted(members))
           for r in conn.execute(select(t.c.id, t.c.right_key)
                                 .where(t.c.status == ReviewStatus.OPEN, t.c.left_key.in_(list(part))))
           if r[1] in members]
    for part in store.chunks(ids):
        conn.execute(update(ReviewItem).where(ReviewItem.id.in_(list(part))).values(status=ReviewStatus.JUDGED.value))
