"""The public search answered on a pooled driver connection: plain parameterised SQL, no ORM session.

A first-time search used to cost several times a trivial request, most of it not the search: the
session, its transaction and commit, and SQLAlchemy's statement and result machinery around five
small statements. ``answer`` reads the same statements (``credit.domain.search``'s, compiled once
per dialect and size of their lists) straight through the driver's cursor, on one pooled connection
inside one read transaction (on SQLite an explicit ``BEGIN``: these statements see the same
snapshot; the pool's rollback ends it; PostgreSQL reads at READ COMMITTED, as the session did):

- the data version (``search._VERSION``): the result cache's key, and in the same row what a card's
  freshness needs (the runs, events and unread batches ``search_cards.stale_enterprises`` reads);
- the candidates from the rarest bigram (as ``search.ENTRIES``), ranked in Python as before;
- the page's enterprises with their successor (a merged id) and their card for the day, one query.

Every hit still comes from the gate's decisions: a card the gate decided when indexing, used only
under the conditions ``search_cards.hits_from_cards`` uses it (the view date in its days, the rules
in force, the enterprise not stale); any other hit, any merged id and the index check that falls
due (``search_index.ensure_current``) go through a session and the domain's own functions
(``public_records``, ``resolve_enterprise``, ``search``), as every search did before; that session
has a pooled connection of its own and reads the state of its moment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from weakref import WeakKeyDictionary

import orjson
from sqlalchemy import Engine, bindparam, select
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from credit.domain import search, search_index
from credit.domain.search import (
    _CODES,
    _MERGED,
    _VERSION,
    ENTRIES,
    GRAM_SIZE,
    PER_PAGE,
    Row,
    SearchResult,
    SessionReader,
    answer_with,
    checked,
    kept,
)
from credit.domain.search_cards import (
    LINK_ON,
    TAIL_LIMIT,
    Hit,
    _hit,
    hit_of,
    public_records,
    rules_fingerprint,
)
from credit.domain.web_models import SearchCard
from credit.domain.workflows import Actor
from credit.kernel.models import Batch, SourceRecord
from matching.models import Enterprise, RecordLink


def answer(engine: Engine, actor: Actor, query: str, *, page: int = 1, per_page: int = PER_PAGE,
           at: date | None = None) -> SearchResult:
    """What ``search.search`` answers (the same result, kept under the same key), read on the driver."""
    at = at or date.today()
    query = checked(query, page, per_page)
    if not query:
        return SearchResult(query, "empty", per_page=per_page)
    if search_index.check_due(engine):  # the index check falls due: the session path runs it
        return _in_session(engine, actor, query, page, per_page, at)
    with DriverReader(engine) as reader:
        version = reader.version()
        if not search.CACHE_SIZE:
            return answer_with(reader, query, page, per_page, at)
        return kept(engine, (query, page, per_page, at, version),
                    lambda: answer_with(reader, query, page, per_page, at))


def _in_session(engine: Engine, actor: Actor, query: str, page: int, per_page: int, at: date) -> SearchResult:
    from credit.kernel.db import transaction

    with transaction(engine) as session:
        return search.search(session, actor, query, page=page, per_page=per_page, at=at)


class Statement:
    """A Core statement compiled once per dialect and size of its list parameters, run on a DBAPI cursor."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._forms: dict[tuple[Any, ...], tuple[str, Callable[[dict[str, Any]], Any]]] = {}

    def rows(self, cursor: Any, dialect: Dialect, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        params = params or {}
        key = (dialect.name, *((name, len(v) if isinstance(v, list) else -1) for name, v in params.items()))
        form = self._forms.get(key)
        if form is None:
            form = self._forms[key] = self._compile(dialect, params)
        sql, bind = form
        cursor.execute(sql, bind(params))
        return cursor.fetchall()  # type: ignore[no-any-return]

    def _compile(self, dialect: Dialect, params: dict[str, Any]) -> tuple[str, Callable[[dict[str, Any]], Any]]:
        """The SQL for lists of these sizes, and how to turn ``params`` into the driver's parameters
        (found by compiling with markers in place of the values; the types' bind processors applied)."""
        compiled = self.statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        markers = {name: [_Marker(name, i) for i in range(len(v))] if isinstance(v, list) else _Marker(name, None)
                   for name, v in params.items()}
        state = compiled.construct_expanded_state(markers, escape_names=False)
        names = list(state.positiontup) if state.positiontup is not None else list(state.parameters)
        sources: list[tuple[_Marker | None, Any, Any]] = []  # (where the value comes from, a constant, processor)
        for name in names:
            value = state.parameters[name]
            bound = compiled.binds[value.source if isinstance(value, _Marker) else name]
            processor = bound.type.dialect_impl(dialect).bind_processor(dialect)
            sources.append((value, None, processor) if isinstance(value, _Marker) else (None, value, processor))

        def bind(values: dict[str, Any]) -> Any:
            out = []
            for marker, constant, processor in sources:
                value = constant if marker is None else (
                    values[marker.source] if marker.index is None else values[marker.source][marker.index])
                out.append(processor(value) if processor else value)
            return tuple(out) if state.positiontup is not None else dict(zip(names, out))

        return state.statement, bind


@dataclass(frozen=True)
class _Marker:
    """Where a parameter's value comes from: the named one (its item ``index`` for a list)."""

    source: str
    index: int | None


VERSION = Statement(_VERSION)
CODES = Statement(_CODES)
MERGED = Statement(_MERGED)
ENTRY_ROWS = Statement(ENTRIES)
GRAM_COUNT = Statement(GRAM_SIZE)
# the page's enterprises, each with its successor (a merged id) and its card when one holds on the day
# under the rules in force (the conditions of search_cards.hits_from_cards)
PAGE = Statement(select(Enterprise.id, Enterprise.successor_id, SearchCard.card)
                 .outerjoin(SearchCard, (SearchCard.enterprise_id == Enterprise.id)
                            & (SearchCard.valid_from <= bindparam("at")) & (SearchCard.valid_until >= bindparam("at"))
                            & (SearchCard.rules == bindparam("rules")))
                 .where(Enterprise.id.in_(bindparam("ids", expanding=True))))
PENDING = Statement(select(Batch.id, Batch.source_floor, Batch.rows_read).where(search._PENDING))
TAIL = Statement(select(RecordLink.enterprise_id).distinct().join(SourceRecord, LINK_ON)
                 .where(SourceRecord.id > bindparam("floor"), SourceRecord.batch_id.in_(bindparam("batches",
                                                                                                 expanding=True))))
_TAILS: WeakKeyDictionary[Engine, dict[tuple[int, ...], frozenset[int] | None]] = WeakKeyDictionary()


class DriverReader:
    """The index read on one pooled driver connection in one read transaction; the gate's own
    functions, on a session opened only when needed, for what no card answers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self._version: tuple[int | None, ...] | None = None
        self._session: Session | None = None
        self._fallback: SessionReader | None = None

    def __enter__(self) -> DriverReader:
        self.connection = self.engine.raw_connection()
        try:
            self.cursor = self.connection.cursor()
            if self.dialect.name == "sqlite":
                self.cursor.execute("BEGIN")  # one snapshot for the driver's statements (it would begin none)
        except BaseException:
            self.connection.close()
            raise
        return self

    def __exit__(self, *_exc: Any) -> None:
        try:
            try:
                self.cursor.close()
            finally:
                self.connection.close()  # back to the pool, which rolls the read transaction back
        finally:
            if self._session is not None:
                self._session.close()

    def _rows(self, statement: Statement, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return statement.rows(self.cursor, self.dialect, params)

    def session_reader(self) -> SessionReader:
        """A session for what the gate decides from the records (opened once, on first need)."""
        if self._fallback is None:
            self._session = Session(self.engine)
            self._fallback = SessionReader(self._session)
        return self._fallback

    def version(self) -> tuple[int | None, ...]:
        if self._version is None:
            self._version = search.version_of(self._rows(VERSION)[0])
        return self._version

    def code_ids(self, codes: list[str]) -> list[int]:
        return [int(r[0]) for r in self._rows(CODES, {"codes": codes})]

    def merged(self, ids: list[int]) -> dict[int, int]:
        return {int(a): int(b) for a, b in self._rows(MERGED, {"ids": ids})}

    def resolve(self, enterprise_id: int) -> int:
        return self.session_reader().resolve(enterprise_id)

    def entries(self, gram: int) -> list[Row]:
        return [(eid, name, norm, core, bool(former)) for eid, name, norm, core, former
                in self._rows(ENTRY_ROWS, {"gram": gram})]

    def gram_size(self, gram: int) -> int:
        return int(self._rows(GRAM_COUNT, {"gram": gram})[0][0] or 0)

    def stale(self) -> frozenset[int] | None:
        """``search_cards.stale_enterprises`` from the data version's row, in this read transaction."""
        _, run, _, _, event, run_seen, event_seen, pending, low, high, total = self.version()
        if run_seen is None:  # never indexed
            return None
        if (run or 0) > run_seen or (event or 0) > (event_seen or 0):
            return None
        if not pending:
            return frozenset()
        memo = _TAILS.setdefault(self.engine, {})
        key = (int(pending), int(low or 0), int(high or 0), int(total or 0))
        if key not in memo:
            batches = [(int(b), int(floor or 0), int(rows or 0)) for b, floor, rows in self._rows(PENDING)]
            found: frozenset[int] | None = frozenset()  # read by now (PostgreSQL: a later snapshot)
            if batches and sum(rows for *_, rows in batches) > TAIL_LIMIT:
                found = None
            elif batches:
                found = frozenset(int(r[0]) for r in self._rows(
                    TAIL, {"floor": min(f for _, f, _ in batches), "batches": [b for b, _, _ in batches]}))
            if len(memo) > 64:
                memo.clear()
            memo[key] = found
        return memo[key]

    def page_hits(self, page: list[int], matched: dict[int, str | None], at: date) -> list[Hit]:
        """The page's hits from their cards (one query), the rest decided by the gate; a page with a
        merged or unknown id is answered the session's way."""
        if not page:
            return []
        found = {int(eid): (successor, card)
                 for eid, successor, card in self._rows(PAGE, {"at": at, "rules": rules_fingerprint(), "ids": page})}
        if len(found) < len(page) or any(successor is not None for successor, _ in found.values()):
            return self.session_reader().page_hits(page, matched, at)
        stale = self.stale()
        hits: dict[int, Hit] = {}
        if stale is not None:
            hits = {eid: _hit(eid, orjson.loads(card), matched.get(eid)) for eid in page
                    if (card := found[eid][1]) is not None and eid not in stale}
        missing = [eid for eid in page if eid not in hits]
        if missing:
            public = public_records(self.session_reader().session, missing, at)
            hits.update({eid: hit_of(eid, public.get(eid, []), matched.get(eid), at) for eid in missing})
        return [hits[eid] for eid in page]
