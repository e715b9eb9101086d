"""Search cards: each enterprise's hit (name, code, status, badges) as the gate showed it, with its dates.

A search hit shows what the public sees of an enterprise's records of the badge types (the black
list's types, the abnormal list, registration for the identity): ``hit_of`` the records
``disclose`` lets through. Reading and deciding those records for twenty hits was most of a
search's database work, so the search index keeps, beside each enterprise's names, its **card**:
the hit as the gate decided it, computed when the enterprise is (re-)indexed, for the day it is
indexed and each following day up to ``CARD_DAYS`` on which the gate's answer stays the same
(publicity windows end, a listing turns three years old, a tax rating year is released: the gate
decides each day; the card holds only while every day gives the same hit). A search uses a card
only when

- the view date lies in the card's days (``valid_from`` … ``valid_until``);
- the rules it was decided under are the rules in force (``rules``: a fingerprint of the catalog,
  the policy and the gate's code);
- nothing the card read changed since: no resolution run or enterprise event the index has not
  followed, no record version of that enterprise in a batch it has not read (``stale_enterprises``),
  and every objection filed or decided and every repair approved re-computes the card of its
  enterprise in the same transaction (``objections``, ``repair`` call ``search_index.reindex``).

Otherwise the search decides the hit afresh from the records, as before (``public_records``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import orjson
from sqlalchemy import Engine, Table, bindparam, delete, func, insert, not_, select, tuple_
from sqlalchemy.orm import Session

from credit.domain.gate import MARK_OBJECTION, Disclosed, Marks, Record, Viewer, disclose
from credit.domain.gate_days import DayGates
from credit.domain.lists import black_reasons, list_types
from credit.domain.profile import identity
from credit.domain.web_models import SearchCard, SearchState
from credit.kernel.models import Batch, SourceRecord
from matching.models import EnterpriseEvent, RecordLink, ResolutionRun

BADGE_BLACK = "严重失信主体名单"
BADGE_ABNORMAL = "经营异常名录"
BADGE_OBJECTION = "异议处理中"
CARD_DAYS = 7  # a card is decided for the day it is made and at most this many days after it
TAIL_LIMIT = 20_000  # un-indexed record versions looked through for their enterprises; beyond: none is trusted


@dataclass(frozen=True)
class Hit:
    """One enterprise found, as the public sees it."""

    enterprise_id: int
    name: str | None
    uscc: str | None
    status: str | None
    badges: tuple[str, ...] = ()
    matched: str | None = None  # the former name the query matched, when it is publicly shown


@lru_cache(maxsize=1)
def badge_types() -> list[tuple[str, str]]:
    """The record types a hit reads: the black list's (with registration) and the abnormal list."""
    return sorted(list_types("black") | {("commerce", "abnormal_list")})


@lru_cache(maxsize=1)
def rules_fingerprint() -> str:
    """What a card was decided under: the catalog, the policy and the code deciding a hit."""
    from credit.domain import gate, gate_days, gate_fast, lists, policy, profile
    from credit.kernel import catalog, identifiers, keys, personal

    digest = hashlib.sha256()
    files = [catalog.CATALOG_PATH, policy.POLICY_PATH, gate.__file__, gate_fast.__file__, gate_days.__file__,
             lists.__file__,
             policy.__file__, profile.__file__, __file__,
             identifiers.__file__, keys.__file__, personal.__file__]  # masking and sealing shape a card too
    for path in files:
        digest.update(Path(str(path)).read_bytes())
    return digest.hexdigest()[:16]


def badges_of(records: list[Disclosed], at: date) -> tuple[str, ...]:
    """The badges a hit carries: black list, abnormal list, an objection pending."""
    out = []
    if black_reasons(records, at):
        out.append(BADGE_BLACK)
    if any((d.department, d.record_type) == ("commerce", "abnormal_list") for d in records):
        out.append(BADGE_ABNORMAL)
    if any(MARK_OBJECTION in d.marks for d in records):
        out.append(BADGE_OBJECTION)
    return tuple(out)


def _identity_of(records: list[Disclosed]) -> tuple[Any, ...]:
    """(name, code, status, the names shown) of the public records (on any date: it reads their values)."""
    ident = identity(records)
    shown = sorted({n for n in (ident.name, *ident.former_names) if n})
    return ident.name, ident.uscc, ident.status, tuple(shown)


def _card_of(records: list[Disclosed], at: date, ident: tuple[Any, ...] | None = None) -> tuple[Any, ...]:
    """(name, code, status, badges, the names shown) of the public records on ``at``."""
    name, uscc, status, shown = ident or _identity_of(records)
    return name, uscc, status, badges_of(records, at), shown


def _hit(enterprise_id: int, card: tuple[Any, ...], matched: str | None) -> Hit:
    name, uscc, status, badges, shown = card
    alias = matched if matched and matched in shown and matched != name else None
    return Hit(enterprise_id, name, uscc, status, tuple(badges), alias)


def hit_of(enterprise_id: int, records: list[Disclosed], matched: str | None, at: date) -> Hit:
    """One hit from the public records of the enterprise; a former name shown only when public."""
    return _hit(enterprise_id, _card_of(records, at), matched)


# ---------------------------------------------------------------- writing cards (when indexing)


def card_rows(enterprise_ids: Iterable[int], records: Sequence[Record], today: date,
              marks: Sequence[Marks]) -> list[dict[str, Any]]:
    """The cards of the enterprises (records: their current records, any types), decided by the gate
    for the public on ``today`` and each following day while the hit stays the same (``marks``: the
    objections and repairs in effect on each of those days, ``CARD_DAYS + 1`` of them)."""
    wanted = set(badge_types())
    by_enterprise: dict[int, list[Record]] = {eid: [] for eid in enterprise_ids}
    for r in records:
        if (r.department, r.record_type) in wanted and r.enterprise_id in by_enterprise:
            by_enterprise[r.enterprise_id].append(r)
    # each record decided for every day at once: what does not depend on the date worked out once
    gates = DayGates(Viewer.public(), [today + timedelta(days=k) for k in range(CARD_DAYS + 1)],
                     marks[:CARD_DAYS + 1])
    rules, out = rules_fingerprint(), []
    for eid, recs in by_enterprise.items():
        first, last, seen, ident = None, today, None, None
        by_day = [gates.decide(r) for r in recs]
        for k in range(CARD_DAYS + 1):
            day = today + timedelta(days=k)
            decided = [d for days in by_day if (d := days[k]) is not None]
            shown = [(d.key, d.public, d.marks, d.publicity) for d in decided]  # what a day can change
            if shown != seen:  # the identity reads the records' values: the same records, the same identity
                seen, ident = shown, _identity_of(decided)
            card = _card_of(decided, day, ident)
            if first is None:
                first = card
            elif card != first:
                break
            last = day
        out.append({"enterprise_id": eid, "valid_from": today, "valid_until": last, "rules": rules,
                    "card": orjson.dumps(first).decode()})
    return out


_CARD_TABLE: Table = SearchCard.__table__  # type: ignore[assignment]  # Core executemany, no ORM bookkeeping


def write_cards(session: Session, enterprise_ids: Sequence[int], rows: list[dict[str, Any]]) -> None:
    """Replace the cards of the enterprises by ``rows``."""
    session.execute(delete(SearchCard).where(SearchCard.enterprise_id.in_(list(enterprise_ids))))
    if rows:
        session.execute(insert(_CARD_TABLE), rows)


# ---------------------------------------------------------------- reading cards (when searching)


_PENDING = not_(Batch.indexed)  # the batches the index has not read (a partial index finds them)
_FRESHNESS = select(*(select(col).where(SearchState.id == 1).scalar_subquery()
                      for col in (SearchState.run_id, SearchState.event_id)),
                    *(select(func.max(col)).scalar_subquery() for col in (ResolutionRun.id, EnterpriseEvent.id)),
                    *(select(agg).where(_PENDING).scalar_subquery()
                      for agg in (func.count(Batch.id), func.min(Batch.id), func.max(Batch.id), func.sum(Batch.id))))
_PENDING_BATCHES = select(Batch.id, Batch.source_floor, Batch.rows_read).where(_PENDING)
_TAILS: WeakKeyDictionary[Engine, dict[tuple[int, ...], frozenset[int] | None]] = WeakKeyDictionary()


def stale_enterprises(session: Session) -> frozenset[int] | None:
    """The enterprises whose cards may be out of date (None: every one): those with record versions
    in batches the index has not read (batches, not ids: two ingests may commit out of id order);
    every one while a resolution run or an enterprise event is not followed yet, or too many
    versions wait (``TAIL_LIMIT``). Kept per process while nothing moves."""
    conn = session.connection()
    run_seen, event_seen, run, event, pending, low, high, total = conn.execute(_FRESHNESS).one()
    if run_seen is None:  # never indexed
        return None
    if int(run or 0) > int(run_seen) or int(event or 0) > int(event_seen):
        return None
    if not pending:
        return frozenset()
    memo = _TAILS.setdefault(session.get_bind().engine, {})
    key = (int(pending), int(low), int(high), int(total))
    if key not in memo:
        batches = [(int(b), int(floor or 0), int(rows or 0)) for b, floor, rows in conn.execute(_PENDING_BATCHES)]
        found: frozenset[int] | None = frozenset()  # none listed: read by now (PostgreSQL: a later snapshot)
        if sum(rows for *_, rows in batches) > TAIL_LIMIT:
            found = None
        elif batches:
            found = frozenset(conn.execute(select(RecordLink.enterprise_id).distinct().join(SourceRecord, LINK_ON)
                                           .where(batch_versions([(b, f) for b, f, _ in batches]))).scalars())
        if len(memo) > 64:
            memo.clear()
        memo[key] = found
    return memo[key]


# a record version and the link of its record
LINK_ON = ((RecordLink.department == SourceRecord.department) & (RecordLink.record_type == SourceRecord.record_type)
            & (RecordLink.record_id == SourceRecord.record_id))


def batch_versions(batches: Sequence[tuple[int, int]]) -> Any:
    """The condition on source records of being a version of one of the batches (id, source floor):
    by the primary key above the batches' lowest floor (source_records has no index on the batch)."""
    floor = min(f for _, f in batches)
    return (SourceRecord.id > floor) & SourceRecord.batch_id.in_([b for b, _ in batches])


_CARDS = select(SearchCard.enterprise_id, SearchCard.card).where(
    SearchCard.enterprise_id.in_(bindparam("ids", expanding=True)), SearchCard.valid_from <= bindparam("at"),
    SearchCard.valid_until >= bindparam("at"), SearchCard.rules == bindparam("rules"))


def hits_from_cards(session: Session, ids: list[int], matched: dict[int, str | None], at: date) -> dict[int, Hit]:
    """The hits whose cards hold on ``at`` (the others are left out: decide them from the records)."""
    stale = stale_enterprises(session)
    wanted = [eid for eid in ids if stale is not None and eid not in stale]
    if not wanted:
        return {}
    rows = session.connection().execute(_CARDS, {"ids": wanted, "at": at, "rules": rules_fingerprint()})
    return {eid: _hit(eid, orjson.loads(card), matched.get(eid)) for eid, card in rows}


# ---------------------------------------------------------------- deciding hits from the records


@lru_cache(maxsize=1)
def _badge_statement() -> Any:
    """Every version of the records of the badge types linked to some enterprises (built once)."""
    return (select(SourceRecord.department, SourceRecord.record_type, SourceRecord.record_id, SourceRecord.version,
                   SourceRecord.op, SourceRecord.fields, SourceRecord.batch_id, SourceRecord.file_hash,
                   SourceRecord.row_number, RecordLink.enterprise_id)
            .join(RecordLink, LINK_ON)
            .where(RecordLink.enterprise_id.in_(bindparam("ids", expanding=True)),
                   tuple_(SourceRecord.department, SourceRecord.record_type).in_(badge_types())))


def badge_records(session: Session, ids: list[int]) -> list[Record]:
    """The current (latest, not revoked) versions of the badge types' records of the enterprises.

    The same records ``profile.current_records(ids, types=…)`` gives (a test holds them equal), read
    with one prepared statement: the search page needs them for twenty enterprises at a time.
    """
    latest: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    for row in session.connection().execute(_badge_statement(), {"ids": ids}):
        key = (row[0], row[1], row[2])
        if key not in latest or row[3] > latest[key][3]:
            latest[key] = tuple(row)
    return [Record(d, t, rid, eid, version, orjson.loads(fields), batch, fhash, rown)
            for (d, t, rid), (_, _, _, version, op, fields, batch, fhash, rown, eid) in sorted(latest.items())
            if op != "revoke"]


def public_records(session: Session, ids: list[int], at: date) -> dict[int, list[Disclosed]]:
    """What the public sees on ``at`` of the records the badges and identity read, by enterprise."""
    if not ids:
        return {}
    out: dict[int, list[Disclosed]] = {eid: [] for eid in ids}
    for d in disclose(session, Viewer.public(), at, badge_records(session, ids)):
        out.setdefault(d.enterprise_id, []).append(d)
    return out
