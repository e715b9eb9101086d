"""Finding an enterprise: any code form goes straight to it; a name by any usual fragment.

A query that cleans up to a code (USCC, registration number, organization code with or without
hyphen, 15/18/20-character taxpayer id; lower case, full width, spaces) is looked up in
``search_codes``. Anything else is a name: the query is parsed like a company name (region, legal
form and branch part dropped, leaving trade name + industry, its "core") and candidates come from
a character-bigram index of every indexed name's core (``search_grams``), which answers a
two-character query such as a trade name alone on SQLite and PostgreSQL alike. Candidates are
checked (the query core inside the name's core, or the whole query inside the name), ranked and
paginated; each hit's name, code, status and badges come from the gate's public view.

The index holds only names and codes of current public-openness records (search_index.py keeps it
current); a name or code that only a government or authorised record carries finds nothing.
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol
from weakref import WeakKeyDictionary

from rapidfuzz import fuzz
from sqlalchemy import Engine, bindparam, func, not_, select
from sqlalchemy.orm import Session

from credit.domain import search_index
from credit.domain.profile import resolve_enterprise
from credit.domain.search_cards import (  # noqa: F401 (Hit, badges and hit_of are read from here too)
    BADGE_ABNORMAL,
    BADGE_BLACK,
    BADGE_OBJECTION,
    Hit,
    badge_records,
    badges_of,
    hit_of,
    hits_from_cards,
    public_records,
)
from credit.domain.search_index import core_of, gram_of
from credit.domain.web_models import SearchCode, SearchEntry, SearchGram, SearchState
from credit.domain.workflow_models import AuditEntry
from credit.domain.workflows import Actor, Conflict, InvalidInput, NotFound
from credit.kernel import keys
from credit.kernel.identifiers import clean_code
from credit.kernel.models import Batch, SourceRecord
from matching.models import Enterprise, EnterpriseEvent, ResolutionRun
from matching.names import normalize

log = logging.getLogger(__name__)

PER_PAGE = 20
CANDIDATE_CAP = 5000  # candidates read from the rarest bigram; beyond it the query is too general
CODE_LENGTHS = (9, 15, 18, 20)


@dataclass
class SearchResult:
    """A page of hits for a query, or the one enterprise a code leads to."""

    query: str
    kind: str  # code | name | empty
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = PER_PAGE
    capped: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def only(self) -> int | None:
        """The enterprise a code query leads straight to (one hit, on this page), else None."""
        return self.hits[0].enterprise_id if self.kind == "code" and self.total == 1 and self.hits else None


def as_code(query: str) -> str | None:
    """The query as a cleaned code when it looks like one (ASCII letters and digits of a code's length)."""
    code = clean_code(query)
    if len(code) in CODE_LENGTHS and code.isascii() and code.isalnum() and any(c.isdigit() for c in code):
        return code
    return None


def search(session: Session, actor: Actor, query: str, *, page: int = 1, per_page: int = PER_PAGE,
           at: date | None = None) -> SearchResult:
    """Enterprises matching ``query`` (a code or a name fragment), ranked, one page of them."""
    at = at or date.today()
    query = checked(query, page, per_page)
    if not query:
        return SearchResult(query, "empty", per_page=per_page)
    search_index.ensure_current(session)
    reader = SessionReader(session)
    if not CACHE_SIZE:
        return answer_with(reader, query, page, per_page, at)
    return kept(session.get_bind().engine, (query, page, per_page, at, _data_version(session)),
                lambda: answer_with(reader, query, page, per_page, at))


def checked(query: str | None, page: int, per_page: int) -> str:
    """The query stripped; InvalidInput for a page or page size out of range."""
    if page < 1 or not 1 <= per_page <= 100:
        raise InvalidInput(f"页码应从 1 开始，每页 1 至 100 条 / page starts at 1, 1 to 100 per page (page {page})")
    return (query or "").strip()


# Results are public information, the same for every actor; a result is reused only while nothing it
# depends on changed: no new record version, no resolution run, no audited step (every objection,
# repair, upload and judgement is one), no batch read or left unread by the index, the same view date.
CACHE_SIZE = int(os.environ.get("CREDIT_SEARCH_CACHE", "4096"))
_CACHES: WeakKeyDictionary[Engine, OrderedDict[tuple[Any, ...], SearchResult]] = WeakKeyDictionary()
_PENDING = not_(Batch.indexed)  # the batches the index has not read (the partial index ix_batches_unindexed)
# The data version, one statement: the newest record version, resolution run, audit entry, index entry
# and enterprise event, how far the index is (search_state), and the batches it has not read (count,
# lowest, highest, sum of their ids). Its columns after the first four are what a card's freshness
# needs (search_cards.stale_enterprises reads the same), so a search answered on the driver reads both
# with this one statement (credit/domain/search_sql.py).
_VERSION = select(
    *(select(func.max(col)).scalar_subquery()
      for col in (SourceRecord.id, ResolutionRun.id, AuditEntry.id, SearchEntry.id, EnterpriseEvent.id)),
    *(select(col).where(SearchState.id == 1).scalar_subquery() for col in (SearchState.run_id, SearchState.event_id)),
    *(select(agg).where(_PENDING).scalar_subquery()
      for agg in (func.count(Batch.id), func.min(Batch.id), func.max(Batch.id), func.sum(Batch.id))))


def version_of(row: Sequence[Any]) -> tuple[int | None, ...]:
    """The data version from ``_VERSION``'s row (plain ints, whichever driver read it)."""
    return tuple(None if v is None else int(v) for v in row)


def _data_version(session: Session) -> tuple[int | None, ...]:
    return version_of(session.connection().execute(_VERSION).one())


def kept(engine: Engine, key: tuple[Any, ...], compute: Callable[[], SearchResult]) -> SearchResult:
    """The result kept under ``key`` for this database, else ``compute()``'s, kept."""
    cache = _CACHES.setdefault(engine, OrderedDict())
    if key in cache:
        return cache[key]
    result = cache[key] = compute()
    while len(cache) > CACHE_SIZE:
        cache.popitem(last=False)
    return result


class Reader(Protocol):
    """Where a search reads the index: a session (``SessionReader``) or the driver (search_sql.py).
    Both run the same statements; hits not decided by a card are decided by the gate."""

    def code_ids(self, codes: list[str]) -> list[int]: ...
    def merged(self, ids: list[int]) -> dict[int, int]: ...
    def resolve(self, enterprise_id: int) -> int: ...
    def entries(self, gram: int) -> list[Row]: ...
    def gram_size(self, gram: int) -> int: ...
    def page_hits(self, page: list[int], matched: dict[int, str | None], at: date) -> list[Hit]: ...


def answer_with(reader: Reader, query: str, page: int, per_page: int, at: date) -> SearchResult:
    """The page of hits for a stripped, non-empty query, read through ``reader``."""
    code = as_code(query)
    if code is not None:
        ids = _code_hits(reader, code)
        if ids:
            return _page(reader, SearchResult(query, "code", page=page, per_page=per_page), ids, {}, at)
    return _name_search(reader, query, page, per_page, at)


def enterprise_by_reference(session: Session, reference: str) -> int:
    """The enterprise a person names by its id (as its page shows it) or by any of its codes."""
    text = (reference or "").strip()
    if text.isdigit() and len(text) <= 8:
        return resolve_enterprise(session, int(text))
    code = as_code(text)
    ids = _code_hits(SessionReader(session), code) if code else []
    if len(ids) > 1:
        raise Conflict(f"代码 {text} 对应多家企业，请输入企业编号 / the code {text} leads to several enterprises; "
                       "give the enterprise id")
    if not ids:
        raise NotFound(f"找不到编号或代码为 {text} 的企业 / no enterprise with the id or code {text}")
    return ids[0]


def _code_hits(reader: Reader, code: str) -> list[int]:
    wanted = [code]
    if len(code) == 20 and keys.available():  # stored and indexed only as its keyed pseudonym
        wanted = [keys.individual_code_pseudonym(keys.current(), code)]
    if len(code) == 15 and not code.isdigit():
        wanted.append(code[6:])  # a legacy taxpayer id: division code + organization code
    return current_ids(reader, reader.code_ids(wanted))


_CODES = select(SearchCode.enterprise_id).where(SearchCode.code.in_(bindparam("codes", expanding=True)))
_MERGED = select(Enterprise.id, Enterprise.successor_id).where(
    Enterprise.id.in_(bindparam("ids", expanding=True)), Enterprise.successor_id.is_not(None))


def current_ids(reader: Reader, ids: Sequence[int]) -> list[int]:
    """The ids with merged ones replaced by their successors, in order, once each (one query for the lot)."""
    merged = reader.merged(sorted(set(ids))) if ids else {}
    out: dict[int, None] = {}
    for eid in ids:
        out.setdefault(reader.resolve(eid) if eid in merged else eid, None)
    return list(out)


def _name_search(reader: Reader, query: str, page: int, per_page: int, at: date) -> SearchResult:
    result = SearchResult(query, "name", page=page, per_page=per_page)
    qnorm = normalize(query).replace("(", "").replace(")", "")
    qcore = core_of(query)
    if len(qcore) < 2 and len(qnorm) < 2:
        raise InvalidInput("请输入至少两个字，例如字号“华为” / type at least two characters, e.g. a trade name")
    key = qcore if len(qcore) >= 2 else qnorm
    rows, result.capped = _candidates(reader, key)
    scored: dict[int, tuple[tuple[float, ...], str | None]] = {}
    for eid, name, norm, core, former in rows:
        plain = norm.replace("(", "").replace(")", "")
        if key not in core and qnorm not in plain:
            continue
        rank = (float(plain == qnorm), float(core == qcore), float(not former), fuzz.ratio(qnorm, plain) / 100.0)
        best = scored.get(eid)
        if best is None or rank > best[0]:
            scored[eid] = (rank, name if former else None)
    ordered = [eid for eid, _ in sorted(scored.items(), key=lambda kv: (kv[1][0], -kv[0]), reverse=True)]
    return _page(reader, result, ordered, {eid: scored[eid][1] for eid in ordered}, at)


Row = tuple[int, str | None, str, str, bool]  # enterprise id, name (a former name's only), norm, core, former


# the candidates of a bigram: one range read of search_grams' key, whose rows carry what the ranking reads
ENTRIES = (select(SearchGram.enterprise_id, SearchGram.name, SearchGram.norm, SearchGram.core, SearchGram.former)
           .where(SearchGram.gram == bindparam("gram")).order_by(SearchGram.entry_id).limit(CANDIDATE_CAP + 1))
GRAM_SIZE = select(func.count()).select_from(
    select(SearchGram.entry_id).where(SearchGram.gram == bindparam("gram")).limit(CANDIDATE_CAP + 1).subquery())


def _candidates(reader: Reader, key: str) -> tuple[list[Row], bool]:
    """Index entries holding the query's rarest bigram (at most CANDIDATE_CAP), and whether capped.

    The first bigram is tried first (a trade name leads the core and is the rare part of a name);
    only when it is too common are the others counted, each count bounded, to find the rarest.
    """
    grams = [gram_of(key[i], key[i + 1]) for i in range(len(key) - 1)]
    if not grams:
        return [], False
    rows = reader.entries(grams[0])
    if len(rows) <= CANDIDATE_CAP or len(grams) == 1:
        return rows[:CANDIDATE_CAP], len(rows) > CANDIDATE_CAP
    sizes = [(reader.gram_size(gram), gram) for gram in set(grams[1:])]
    size, rarest = min(sizes)
    if size > CANDIDATE_CAP:
        return rows[:CANDIDATE_CAP], True
    return reader.entries(rarest), False


def _page(reader: Reader, result: SearchResult, ids: list[int], matched: dict[int, str | None],
          at: date) -> SearchResult:
    result.total = len(ids)
    start = (result.page - 1) * result.per_page
    result.hits = reader.page_hits(ids[start:start + result.per_page], matched, at)
    return result


class SessionReader:
    """The index read on a session's connection (Core statements: the ORM's result machinery costs more)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def code_ids(self, codes: list[str]) -> list[int]:
        return list(self.session.connection().execute(_CODES, {"codes": codes}).scalars().all())

    def merged(self, ids: list[int]) -> dict[int, int]:
        return {int(a): int(b or 0) for a, b in self.session.connection().execute(_MERGED, {"ids": ids})}

    def resolve(self, enterprise_id: int) -> int:
        return resolve_enterprise(self.session, enterprise_id)

    def entries(self, gram: int) -> list[Row]:
        return [tuple(r) for r in self.session.connection().execute(ENTRIES, {"gram": gram})]  # type: ignore[misc]

    def gram_size(self, gram: int) -> int:
        return int(self.session.connection().execute(GRAM_SIZE, {"gram": gram}).scalar() or 0)

    def page_hits(self, page: list[int], matched: dict[int, str | None], at: date) -> list[Hit]:
        """The hits of one page: cards where they hold, else decided by the gate from the records."""
        # the index follows merges on refresh; a merged id still in it (between a run and its refresh) is
        # shown as its successor
        shown = current_ids(self, page)
        matched = {new: matched.get(old) for old, new in zip(page, shown)} if len(shown) == len(page) else matched
        found = hits_from_cards(self.session, shown, matched, at)  # the hits as the gate decided them when indexed
        public = public_records(self.session, [eid for eid in shown if eid not in found], at)
        return [found[eid] if eid in found else hit_of(eid, public.get(eid, []), matched.get(eid), at)
                for eid in shown]
