"""Small read operations of the portal pages: a querier's grants, a list filtered and paginated.

Lists are built by ``credit.domain.lists.view_list`` (audited there); here they are filtered by
region (a division-code prefix or a region name), source department and reason, and cut into pages.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from credit.domain import audit
from credit.domain.gate import PUBLIC, Viewer
from credit.domain.lists import ListEntry, ListView, Reason, black_reasons, red_reasons, view_list
from credit.domain.profile import Profile, build_profile
from credit.domain.workflow_models import Objection, QueryGrant, RepairApplication
from credit.domain.workflows import ROLE_AUTHORISED, Actor, InvalidInput, NotAllowed
from credit.kernel.models import SourceRecord
from matching import regions
from matching.models import ResolutionRun

log = logging.getLogger(__name__)

PER_PAGE = 20


def my_grants(session: Session, actor: Actor) -> list[QueryGrant]:
    """The grants of the actor's organisation, newest first."""
    if actor.role != ROLE_AUTHORISED or not actor.department:
        raise NotAllowed(f"{actor} 不是授权查询机构 / is not an authorised querier organisation")
    stmt = select(QueryGrant).where(QueryGrant.querier == actor.department).order_by(QueryGrant.id.desc())
    return list(session.scalars(stmt))


@dataclass
class ListPage:
    """One page of a filtered list."""

    kind: str
    title: str
    at: date
    entries: list[ListEntry] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = PER_PAGE
    region: str = ""
    department: str = ""
    reason: str = ""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def region_code(region: str) -> str:
    """A region filter as a division-code prefix: digits as given, or a province or city name."""
    region = (region or "").strip()
    if not region or region.isdigit():
        return region
    code = regions.code_of(region)
    if not code:
        raise InvalidInput(f"无法识别地区“{region}”，请输入行政区划代码或城市名，例如 4301 或 长沙 / unknown region")
    return code


def _keep(entry: ListEntry, prefix: str, department: str, reason: str) -> ListEntry | None:
    if prefix and not (entry.uscc and entry.uscc[2:8].startswith(prefix)):
        return None
    reasons = [r for r in entry.reasons if (not department or r.department == department)
               and (not reason or reason in r.text)]
    return ListEntry(entry.enterprise_id, entry.name, entry.uscc, reasons) if reasons else None


# A list is computed from every public record (seconds at a million enterprises), so each process
# keeps the lists it computed while nothing they read changed: no new record version or resolution
# run, no objection opened or decided, no repair approved; the view date is part of the key.
LIST_CACHE = 64
_LISTS: WeakKeyDictionary[Engine, OrderedDict[tuple[Any, ...], ListView]] = WeakKeyDictionary()
_LIST_VERSION = select(
    select(func.max(SourceRecord.id)).scalar_subquery(), select(func.max(ResolutionRun.id)).scalar_subquery(),
    select(func.max(Objection.id)).scalar_subquery(),
    select(func.count()).select_from(Objection).where(Objection.status == "open").scalar_subquery(),
    select(func.count()).select_from(RepairApplication).where(RepairApplication.status == "approved").scalar_subquery())


def _list(session: Session, actor: Actor, kind: str, at: date | None) -> ListView:
    """``view_list`` (audited), or the same list computed before under the same data, audited the same way."""
    at = at or date.today()
    cache = _LISTS.setdefault(session.get_bind().engine, OrderedDict())
    key = (kind, at, date.today(), tuple(session.execute(_LIST_VERSION).one()))
    if key not in cache:
        cache[key] = view_list(session, actor, kind, at=at)
        while len(cache) > LIST_CACHE:
            cache.popitem(last=False)
        return cache[key]
    view = cache[key]
    audit.record(session, actor=str(actor), action="list.view", subject=f"list:{kind}",
                 details={"date": at, "viewer": PUBLIC, "entries": len(view.entries), "out": None})
    return view


def browse_list(session: Session, actor: Actor, kind: str, *, at: date | None = None, region: str = "",
                department: str = "", reason: str = "", page: int = 1, per_page: int = PER_PAGE) -> ListPage:
    """A black or red list on a date, filtered by region, department and reason, one page of it."""
    if page < 1:
        raise InvalidInput("页码从 1 开始 / page starts at 1")
    prefix = region_code(region)
    if kind not in ("black", "red"):
        raise InvalidInput(f"名单应为 black 或 red / unknown list {kind}; black or red")
    view = _list(session, actor, kind, at)
    kept = [e for e in (_keep(x, prefix, department, reason.strip()) for x in view.entries) if e is not None]
    start = (page - 1) * per_page
    return ListPage(kind, view.title, view.at, kept[start:start + per_page], len(kept), page, per_page,
                    region, department, reason)


@dataclass(frozen=True)
class Memberships:
    """An enterprise's places on the black and red lists on a date, with the reasons."""

    black: list[Reason]
    red: list[Reason]


def memberships(session: Session, profile: Profile) -> Memberships:
    """The list memberships behind a profile, always from the public view (as the lists themselves)."""
    records = profile.records if profile.viewer == PUBLIC else build_profile(
        session, profile.enterprise_id, Viewer.public(), profile.as_of, today=date.today()).records
    return Memberships(black_reasons(records, profile.as_of), red_reasons(records, profile.as_of))
