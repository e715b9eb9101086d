"""The search index: names, bigrams and codes of every enterprise's current public-openness records.

Derived state, kept current incrementally: an enterprise is re-indexed when a record linked to it
has a new version, when one of its links moved, or when a resolution run merged or split it.
``refresh`` runs after every ``resolve_records`` and ``judge_records`` (the demo, the CLI and
the job worker resolve through them); ``ensure_current`` (called by
every search) catches up after a resolution run made any other way, so a search never misses
what resolve did. The state row is locked while refreshing, so two workers never index twice.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

import orjson
from sqlalchemy import Engine, Table, delete, func, insert, not_, or_, select, update
from sqlalchemy.orm import Session

from credit.domain import audit
from credit.domain.export_rows import current_rows
from credit.domain.gate import Marks, Record, Viewer, bulk, load_marks
from credit.domain.jobs import DONE, enqueue
from credit.domain.profile import current_records
from credit.domain.search_cards import (
    CARD_DAYS,
    LINK_ON,
    badge_types,
    batch_versions,
    card_rows,
    rules_fingerprint,
    write_cards,
)
from credit.domain.web_models import SearchCard, SearchCode, SearchEntry, SearchGram, SearchState
from credit.domain.work_models import Job
from credit.kernel import keys
from credit.kernel.catalog import OPENNESS_PUBLIC, RecordType, load_catalog
from credit.kernel.db import transaction
from credit.kernel.identifiers import clean_code
from credit.kernel.models import Batch, SourceRecord, utcnow
from matching.models import EnterpriseEvent, RecordLink, ResolutionRun
from matching.names import normalize, parse

log = logging.getLogger(__name__)

CHUNK = 2000
CODE_ROLES = ("uscc", "reg_no", "org_code", "taxpayer_id")


def gram_of(a: str, b: str) -> int:
    """One bigram as an integer key."""
    return (ord(a) << 21) | ord(b)


def bigrams(text: str) -> set[int]:
    """The character bigrams of a text."""
    return {gram_of(text[i], text[i + 1]) for i in range(len(text) - 1)}


def core_of(name: str) -> str:
    """Trade name + industry of a name; the normalised name when parsing leaves less than two characters."""
    parsed = parse(name)
    core = parsed.core if len(parsed.core) >= 2 else parsed.normalized
    return core.replace("(", "").replace(")", "")


def _state(session: Session, lock: bool = False) -> SearchState:
    stmt = select(SearchState).where(SearchState.id == 1)
    state = session.scalars(stmt.with_for_update() if lock else stmt).first()
    if state is None:
        state = SearchState(id=1, run_id=0, source_id=0, event_id=0, links_at=None)
        session.add(state)
        session.flush()
    return state


def _latest(session: Session) -> tuple[int, int, int]:
    return (int(session.scalar(select(func.max(ResolutionRun.id))) or 0),
            int(session.scalar(select(func.max(SourceRecord.id))) or 0),
            int(session.scalar(select(func.max(EnterpriseEvent.id))) or 0))


def _run_started(session: Session, run_id: int) -> datetime | None:
    """When the newest seen run started: links a run still open then stamped later are caught next time."""
    return session.scalar(select(ResolutionRun.started_at).where(ResolutionRun.id == run_id)) or utcnow()


_CHECKED: WeakKeyDictionary[Engine, float] = WeakKeyDictionary()
CHECK_EVERY = 2.0  # seconds: a process looks for a resolution run made around it at most this often


def check_due(engine: Engine) -> bool:
    """Whether ``ensure_current`` would look at the database now (else it answers at once)."""
    return time.monotonic() - _CHECKED.get(engine, -CHECK_EVERY) >= CHECK_EVERY


def ensure_current(session: Session) -> int:
    """Re-index what changed since the last refresh when a resolution run happened since; how many.

    ``refresh`` runs after every audited resolve already; this catches runs made any other way,
    looking at most every CHECK_EVERY seconds per process and database.
    """
    engine = session.get_bind().engine
    now = time.monotonic()
    if not check_due(engine):
        return 0
    state_run = session.scalar(select(SearchState.run_id).where(SearchState.id == 1)) or 0
    run_id = int(session.scalar(select(func.max(ResolutionRun.id))) or 0)
    if state_run >= run_id:
        _CHECKED[engine] = now
        return 0
    return refresh(session)


def refresh(session: Session) -> int:
    """Re-index every enterprise touched since the last refresh; returns how many were re-indexed."""
    state = _state(session, lock=True)
    run_id, source_id, event_id = _latest(session)
    pending = unindexed_batches(session)
    dirty = _dirty(session, state, pending, event_id)
    reindex(session, dirty)
    mark_indexed(session, pending)
    renew_due_cards(session)
    state.run_id, state.source_id, state.event_id = run_id, source_id, event_id
    state.links_at = _run_started(session, run_id)
    session.flush()
    log.info("search index: %d enterprises re-indexed", len(dirty))
    return len(dirty)


def unindexed_batches(session: Session) -> list[tuple[int, int]]:
    """(id, source floor) of the batches (committed, as this transaction sees them) whose record
    versions the index has not read."""
    return [(int(b), int(floor or 0)) for b, floor in session.execute(
        select(Batch.id, Batch.source_floor).where(not_(Batch.indexed)).order_by(Batch.id))]


def mark_indexed(session: Session, batches: Sequence[tuple[int, int]]) -> None:
    """Note that the index has read these batches (a batch committing meanwhile stays unread: the
    next refresh reads it, whatever its id)."""
    for start in range(0, len(batches), CHUNK):
        session.execute(update(Batch).where(Batch.id.in_([b for b, _ in batches[start:start + CHUNK]]))
                        .values(indexed=True))


def _dirty(session: Session, state: SearchState, batches: Sequence[tuple[int, int]], event_id: int) -> set[int]:
    out: set[int] = set()
    for start in range(0, len(batches), CHUNK):  # by batch, not by id: batches commit out of id order
        out.update(session.scalars(select(RecordLink.enterprise_id).join(SourceRecord, LINK_ON).where(
            batch_versions(batches[start:start + CHUNK]))))
    if state.links_at is not None:
        out.update(session.scalars(select(RecordLink.enterprise_id).where(RecordLink.updated_at >= state.links_at)))
    for eid, other in session.execute(select(EnterpriseEvent.enterprise_id, EnterpriseEvent.other_id).where(
            EnterpriseEvent.id > state.event_id, EnterpriseEvent.id <= event_id)):
        out.add(int(eid))
        if other is not None:
            out.add(int(other))
    return out


def reindex(session: Session, enterprise_ids: Iterable[int]) -> None:
    """Replace the index rows of these enterprises (names, codes, cards) by what their current records say."""
    ids = sorted(set(enterprise_ids))
    today = date.today()
    marks = _marks_by_day(session, today)  # objections and repairs: few, read once
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        session.execute(delete(SearchGram).where(SearchGram.enterprise_id.in_(part)))
        session.execute(delete(SearchEntry).where(SearchEntry.enterprise_id.in_(part)))
        session.execute(delete(SearchCode).where(SearchCode.enterprise_id.in_(part)))
        records = current_records(session, part)
        names, codes = index_rows(records, today, marks[0])
        write_rows(session, names, codes)
        write_cards(session, part, card_rows(part, records, today, marks))


def renew_cards(session: Session, enterprise_ids: Iterable[int]) -> None:
    """Decide the search cards of these enterprises again (an objection filed or decided changes a
    badge; their names and codes stay)."""
    ids = sorted(set(enterprise_ids))
    today = date.today()
    marks = _marks_by_day(session, today)
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        write_cards(session, part, card_rows(part, current_records(session, part, types=badge_types()), today, marks))


RENEW_PER_REFRESH = 2000


def renew_due_cards(session: Session, limit: int = RENEW_PER_REFRESH) -> int:
    """Decide again (at most ``limit`` of) the cards that end today or sooner or were decided under
    other rules; how many. Every refresh does it, so cards keep ahead of the date between changes."""
    due = list(session.scalars(select(SearchCard.enterprise_id).where(
        (SearchCard.valid_until <= date.today()) | (SearchCard.rules != rules_fingerprint()))
        .order_by(SearchCard.valid_until).limit(limit)))
    renew_cards(session, due)
    return len(due)


def _marks_by_day(session: Session, today: date) -> list[Marks]:
    """The objections and repairs in effect on today and each day a card is decided for."""
    return [load_marks(session, today + timedelta(days=k)) for k in range(CARD_DAYS + 1)]


def index_rows(records: Sequence[Record], today: date | None = None, marks: Marks | None = None,
               ) -> tuple[list[tuple[int, str, bool]], set[tuple[str, int]]]:
    """(enterprise id, name, former) and (code, enterprise id) of the records the public sees today:
    a record never published (a warning-only penalty), past its window or dated ahead leads no
    search to its enterprise."""
    catalog = load_catalog()
    gate = bulk(Viewer.public(), today or date.today(), marks or Marks())  # an approved repair ends it too
    names: dict[tuple[int, str], tuple[int, str, bool]] = {}
    codes: set[tuple[str, int]] = set()
    for r in records:
        rt = catalog.get(r.department, r.record_type)
        if rt.openness_of(r.fields) != OPENNESS_PUBLIC or gate.decide(r) is None:
            continue
        roles = rt.identity_columns
        for name, former in _names(r.fields, roles):
            names.setdefault((r.enterprise_id, normalize(name)), (r.enterprise_id, name, former))
        codes.update((code, r.enterprise_id) for code in _codes(r.fields, roles))
    return sorted(names.values(), key=lambda n: n[2]), codes


def _names(fields: dict[str, Any], roles: dict[str, str]) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    name = fields.get(roles.get("name", ""))
    if isinstance(name, str) and name.strip():
        out.append((name.strip(), False))
    former = fields.get(roles.get("former_names", "")) or []
    if isinstance(former, str):
        former = former.split("；")
    out += [(str(f).strip(), True) for f in former if str(f).strip()]
    return out


def _codes(fields: dict[str, Any], roles: dict[str, str]) -> set[str]:
    out: set[str] = set()
    for role in CODE_ROLES:
        value = fields.get(roles.get(role, ""))
        if keys.is_sealed(value):  # an individual business's 20-character id: indexed by its keyed hash only
            pseudonym = _sealed_code_pseudonym(value)
            if pseudonym:
                out.add(pseudonym)
            continue
        code = clean_code(value)
        if len(code) >= 9 and len(set(code)) > 1:
            out.add(code)
            if len(code) == 18:
                out.add(code[8:17])  # its organization code (GB 32100 characters 9-17)
            elif len(code) == 15 and not code.isdigit():
                out.add(code[6:])  # a legacy taxpayer id's organization code
    return out


def _sealed_code_pseudonym(value: Any) -> str | None:
    """The keyed pseudonym of a sealed 20-character taxpayer id (None without the keys)."""
    try:
        store = keys.current()
        code = clean_code(str(store.open(value)))
    except keys.KeysMissing:
        return None
    return keys.individual_code_pseudonym(store, code) if len(code) == 20 else None


# the tables themselves: rows go in by Core's executemany, without the ORM's bulk-insert bookkeeping
_ENTRIES: Table = SearchEntry.__table__  # type: ignore[assignment]
_GRAMS: Table = SearchGram.__table__  # type: ignore[assignment]
_CODES: Table = SearchCode.__table__  # type: ignore[assignment]


def write_rows(session: Session, names: list[tuple[int, str, bool]], codes: set[tuple[str, int]]) -> None:
    """Insert entries (with their bigrams) and codes (into the tables: the ORM's bulk insert would
    only cost time, a million enterprises make tens of millions of bigram rows)."""
    next_id = int(session.scalar(select(func.max(SearchEntry.id))) or 0) + 1
    entries, grams = [], []
    for offset, (eid, name, former) in enumerate(names):
        entry_id = next_id + offset
        core = core_of(name)
        entry = {"id": entry_id, "enterprise_id": eid, "name": name[:300], "norm": normalize(name)[:300],
                 "core": core[:300], "former": former}
        entries.append(entry)
        # each bigram row carries what the ranking reads (search.ENTRIES reads no search_entries row)
        ranked = {"enterprise_id": eid, "norm": entry["norm"], "core": entry["core"], "former": former,
                  "name": entry["name"] if former else None}
        grams += [{"gram": g, "entry_id": entry_id, **ranked} for g in bigrams(core)]
    if entries:
        session.execute(insert(_ENTRIES), entries)
    if grams:
        session.execute(insert(_GRAMS), grams)
    if codes:
        session.execute(insert(_CODES), [{"code": c, "enterprise_id": e} for c, e in sorted(codes)])


def rebuild(session: Session) -> int:
    """Index every linked enterprise from scratch (after loading data straight into the tables)."""
    session.execute(delete(SearchGram))
    session.execute(delete(SearchEntry))
    session.execute(delete(SearchCode))
    session.execute(delete(SearchCard))
    pending = unindexed_batches(session)
    ids = [int(i) for i in session.scalars(select(RecordLink.enterprise_id).distinct())]
    reindex(session, ids)
    mark_indexed(session, pending)
    state = _state(session, lock=True)
    state.run_id, state.source_id, state.event_id = _latest(session)
    state.links_at = _run_started(session, state.run_id)
    session.flush()
    return len(ids)



# ---------------------------------------------------------------- the daily sweep

SWEEP_JOB = "search_sweep"
UNDATED = ("always", "never")  # publicity rules that do not depend on the date


def dated_types() -> list[RecordType]:
    """Public record types whose publicity opens or closes with the date (penalties' windows,
    listings until removed, arrears while owed, fixed terms): what the index holds of them can
    go out of date without any new record version."""
    return [rt for rt in load_catalog().types.values()
            if rt.openness == OPENNESS_PUBLIC and rt.publicity not in UNDATED]


def last_sweep_day(session: Session) -> date | None:
    """The day of the newest finished sweep (None: there was none)."""
    payload = session.scalar(select(Job.payload).where(Job.kind == SWEEP_JOB, Job.status == DONE)
                             .order_by(Job.id.desc()).limit(1))
    try:
        return date.fromisoformat(json.loads(payload)["on"]) if payload else None
    except (ValueError, KeyError, TypeError):
        return None


def sweep_targets(session: Session, since: date | None, today: date) -> set[int]:
    """Enterprises with a record of a dated type that the public saw on ``since`` and not today, or
    the other way round (``since`` None: every enterprise with such a record). Records stream
    through the gate's bulk path for both days; memory holds the ids only."""
    types = dated_types()
    if since is None:
        s = SourceRecord
        link_on = ((RecordLink.department == s.department) & (RecordLink.record_type == s.record_type)
                   & (RecordLink.record_id == s.record_id))
        where = or_(*[(s.department == rt.department) & (s.record_type == rt.name) for rt in types])
        return {int(i) for i in session.scalars(select(RecordLink.enterprise_id).join(s, link_on).where(where)
                                                .distinct())}
    then = bulk(Viewer.public(), since, load_marks(session, since))
    now = bulk(Viewer.public(), today, load_marks(session, today))
    out: set[int] = set()
    for dept, rtype, rid, _version, fields, _uscc, _tid, eid in current_rows(session, types):
        if eid in out:
            continue
        values = orjson.loads(fields)
        if (then.verdict(dept, rtype, rid, eid, values) is None) != (now.verdict(dept, rtype, rid, eid, values) is None):
            out.add(int(eid))
    return out


def sweep(engine: Engine, today: date | None = None) -> int:
    """Re-index the enterprises whose dated records entered or left their publicity since the last
    sweep (all with such records at the first one), so that a penalty whose window closed no longer
    leads a search to its enterprise; how many. A few thousand enterprises per transaction, each
    holding the index's lock as ``refresh`` does; audited. Run once a day by the workers."""
    today = today or date.today()
    with transaction(engine) as session:
        since = last_sweep_day(session)
        ids = sorted(sweep_targets(session, since, today))
    for start in range(0, len(ids), CHUNK):
        with transaction(engine) as session:
            _state(session, lock=True)
            reindex(session, ids[start:start + CHUNK])
    with transaction(engine) as session:
        audit.record(session, actor="system", action="search.sweep", subject="search_index",
                     details={"enterprises": len(ids), "on": today.isoformat(),
                              "since": since.isoformat() if since else None})
    log.info("search index sweep: %d enterprises re-indexed (since %s)", len(ids), since)
    return len(ids)


def schedule_sweep(session: Session, today: date | None = None) -> int:
    """Queue today's sweep unless it is queued or done already (one per day, whatever the number
    of workers: the day is the job's idempotency key); the job's id."""
    day = (today or date.today()).isoformat()
    return enqueue(session, SWEEP_JOB, {"on": day}, idempotency_key=f"{SWEEP_JOB}:{day}", max_attempts=3).id
