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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from weakref import WeakKeyDictionary

from rapidfuzz import fuzz
from sqlalchemy import Engine, bindparam, func, select
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
from credit.domain.web_models import SearchCode, SearchEntry, SearchGram
from credit.domain.workflow_models import AuditEntry
from credit.domain.workflows import Actor, Conflict, InvalidInput, NotFound
from credit.kernel import keys
from credit.kernel.identifiers import clean_code
from credit.kernel.models import SourceRecord
from matching.models import Enterprise, ResolutionRun
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
        """The enterprise a code query leads straight to (one hit), else None."""
        return self.hits[0].enterprise_id if self.kind == "code" and self.total == 1 else None


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
    query = (query or "").strip()
    if page < 1 or not 1 <= per_page <= 100:
        raise InvalidInput(f"页码应从 1 开始，每页 1 至 100 条 / page starts at 1, 1 to 100 per page (page {page})")
    if not query:
        return SearchResult(query, "empty", per_page=per_page)
    search_index.ensure_current(session)
    if not CACHE_SIZE:
        return _search(session, query, page, per_page, at)
    cache = _CACHES.setdefault(session.get_bind().engine, OrderedDict())
    key = (query, page, per_page, at, _data_version(session))
    if key in cache:
        return cache[key]
    result = cache[key] = _search(session, query, page, per_page, at)
    while len(cache) > CACHE_SIZE:
        cache.popitem(last=False)
    return result


# Results are public information, the same for every actor; a result is reused only while nothing it
# depends on changed: no new record version, no resolution run, no audited step (every objection,
# repair, upload and judgement is one), the same view date.
CACHE_SIZE = int(os.environ.get("CREDIT_SEARCH_CACHE", "4096"))
_CACHES: WeakKeyDictionary[Engine, OrderedDict[tuple[Any, ...], SearchResult]] = WeakKeyDictionary()
_VERSION = select(*(select(func.max(col)).scalar_subquery()
                    for col in (SourceRecord.id, ResolutionRun.id, AuditEntry.id, SearchEntry.id)))


def _data_version(session: Session) -> tuple[Any, ...]:
    return tuple(session.connection().execute(_VERSION).one())


def reused(engine: Engine, query: str, *, page: int = 1, per_page: int = PER_PAGE,
           at: date | None = None) -> SearchResult | None:
    """The result ``search`` would hand back right now when it is one it keeps, else None (compute it).

    The same key as ``search`` (query, page, day, data version), the data version read with one plain
    statement on a pooled connection: no session, no transaction to commit. None while the index check
    is due (``search`` runs it), for a query ``search`` answers without keeping, or one not kept."""
    query = (query or "").strip()
    cache = _CACHES.get(engine)
    if not cache or not query or page < 1 or search_index.check_due(engine):
        return None
    return cache.get((query, page, per_page, at or date.today(), _raw_version(engine)))


_VERSION_SQL: WeakKeyDictionary[Engine, str] = WeakKeyDictionary()


def _raw_version(engine: Engine) -> tuple[Any, ...]:
    """``_data_version`` through the driver directly (the statement compiled once per engine)."""
    sql = _VERSION_SQL.get(engine)
    if sql is None:
        sql = _VERSION_SQL[engine] = str(_VERSION.compile(dialect=engine.dialect))
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(sql)
            return tuple(cursor.fetchone() or ())
        finally:
            cursor.close()
    finally:
        connection.close()  # back to the pool (which ends the driver's transaction)


def _search(session: Session, query: str, page: int, per_page: int, at: date) -> SearchResult:
    code = as_code(query)
    if code is not None:
        ids = _code_hits(session, code)
        if ids:
            return _page(session, SearchResult(query, "code", page=page, per_page=per_page), ids, {}, at)
    return _name_search(session, query, page, per_page, at)


def enterprise_by_reference(session: Session, reference: str) -> int:
    """The enterprise a person names by its id (as its page shows it) or by any of its codes."""
    text = (reference or "").strip()
    if text.isdigit() and len(text) <= 8:
        return resolve_enterprise(session, int(text))
    code = as_code(text)
    ids = _code_hits(session, code) if code else []
    if len(ids) > 1:
        raise Conflict(f"代码 {text} 对应多家企业，请输入企业编号 / the code {text} leads to several enterprises; "
                       "give the enterprise id")
    if not ids:
        raise NotFound(f"找不到编号或代码为 {text} 的企业 / no enterprise with the id or code {text}")
    return ids[0]


def _code_hits(session: Session, code: str) -> list[int]:
    wanted = [code]
    if len(code) == 20 and keys.available():  # stored and indexed only as its keyed pseudonym
        wanted = [keys.individual_code_pseudonym(keys.current(), code)]
    if len(code) == 15 and not code.isdigit():
        wanted.append(code[6:])  # a legacy taxpayer id: division code + organization code
    found = session.connection().execute(_CODES, {"codes": wanted}).scalars().all()
    return _current_ids(session, found)


_CODES = select(SearchCode.enterprise_id).where(SearchCode.code.in_(bindparam("codes", expanding=True)))
_MERGED = select(Enterprise.id, Enterprise.successor_id).where(
    Enterprise.id.in_(bindparam("ids", expanding=True)), Enterprise.successor_id.is_not(None))


def _current_ids(session: Session, ids: Sequence[int]) -> list[int]:
    """The ids with merged ones replaced by their successors, in order, once each (one query for the lot)."""
    merged = dict(session.connection().execute(_MERGED, {"ids": sorted(set(ids))}).all()) if ids else {}
    out: dict[int, None] = {}
    for eid in ids:
        out.setdefault(resolve_enterprise(session, eid) if eid in merged else eid, None)
    return list(out)


def _name_search(session: Session, query: str, page: int, per_page: int, at: date) -> SearchResult:
    result = SearchResult(query, "name", page=page, per_page=per_page)
    qnorm = normalize(query).replace("(", "").replace(")", "")
    qcore = core_of(query)
    if len(qcore) < 2 and len(qnorm) < 2:
        raise InvalidInput("请输入至少两个字，例如字号“华为” / type at least two characters, e.g. a trade name")
    key = qcore if len(qcore) >= 2 else qnorm
    rows, result.capped = _candidates(session, key)
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
    return _page(session, result, ordered, {eid: scored[eid][1] for eid in ordered}, at)


Row = tuple[int, str, str, str, bool]


_ENTRIES = (select(SearchEntry.enterprise_id, SearchEntry.name, SearchEntry.norm, SearchEntry.core, SearchEntry.former)
            .join(SearchGram, SearchGram.entry_id == SearchEntry.id)
            .where(SearchGram.gram == bindparam("gram")).order_by(SearchGram.entry_id).limit(CANDIDATE_CAP + 1))


def _entries(session: Session, gram: int) -> list[Row]:
    # Core statements on the session's connection: the ORM's result machinery costs more than the query
    return [tuple(r) for r in session.connection().execute(_ENTRIES, {"gram": gram})]  # type: ignore[misc]


def _candidates(session: Session, key: str) -> tuple[list[Row], bool]:
    """Index entries holding the query's rarest bigram (at most CANDIDATE_CAP), and whether capped.

    The first bigram is tried first (a trade name leads the core and is the rare part of a name);
    only when it is too common are the others counted, each count bounded, to find the rarest.
    """
    grams = [gram_of(key[i], key[i + 1]) for i in range(len(key) - 1)]
    if not grams:
        return [], False
    rows = _entries(session, grams[0])
    if len(rows) <= CANDIDATE_CAP or len(grams) == 1:
        return rows[:CANDIDATE_CAP], len(rows) > CANDIDATE_CAP
    sizes = []
    for gram in set(grams[1:]):
        bounded = select(SearchGram.entry_id).where(SearchGram.gram == gram).limit(CANDIDATE_CAP + 1).subquery()
        sizes.append((session.scalar(select(func.count()).select_from(bounded)) or 0, gram))
    size, rarest = min(sizes)
    if size > CANDIDATE_CAP:
        return rows[:CANDIDATE_CAP], True
    return _entries(session, rarest), False


def _page(session: Session, result: SearchResult, ids: list[int], matched: dict[int, str | None],
          at: date) -> SearchResult:
    result.total = len(ids)
    start = (result.page - 1) * result.per_page
    # the index follows merges on refresh; a merged id still in it (between a run and its refresh) is
    # shown as its successor
    page = ids[start:start + result.per_page]
    shown = _current_ids(session, page)
    matched = {new: matched.get(old) for old, new in zip(page, shown)} if len(shown) == len(page) else matched
    found = hits_from_cards(session, shown, matched, at)  # the hits as the gate decided them when indexed
    public = public_records(session, [eid for eid in shown if eid not in found], at)
    result.hits = [found[eid] if eid in found else hit_of(eid, public.get(eid, []), matched.get(eid), at)
                   for eid in shown]
    return result
