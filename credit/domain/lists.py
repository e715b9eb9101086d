"""The black list (严重失信主体名单) and red list (守信激励名单) on any date, from the public view.

Every criterion reads only what the gate shows the public on that date (policy.yaml black_list,
red_list). The latest released tax evaluation year on date ``at`` is the largest ``Y`` with
``tax_rating_release(Y) <= at``; the red list needs an A for that year and the years before it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from credit.domain import audit
from credit.domain.cells import code_cell, safe_cell
from credit.domain.gate import PUBLIC, Disclosed, Viewer, check_view_date, disclose
from credit.domain.policy import ONE_DAY, add_months, latest_released_year, load_policy, tax_rating_release, to_date
from credit.domain.profile import current_records, identity, successor_map, viewer_label
from credit.domain.workflows import Actor, InvalidInput
from credit.kernel.catalog import load_catalog

log = logging.getLogger(__name__)

__all__ = ["black_list", "red_list", "view_list", "ListView", "latest_released_year", "list_rows", "CSV_HEADER"]

BLACK, RED = "black", "red"
REGISTRATION = ("commerce", "registration")
LIST_NAMES = {BLACK: "严重失信主体名单 black list", RED: "守信激励名单 red list"}
CSV_HEADER = ["名单 list", "日期 date", "视角 viewer", "企业编号 enterprise_id", "企业名称 name",
              "统一社会信用代码 uscc", "原因 reason", "部门 department", "记录类型 record_type",
              "记录编号 record_id", "起始 since", "截止 until", "标记 marks"]


@dataclass(frozen=True)
class Reason:
    """Why an enterprise is on a list, from which record, over which dates."""

    text: str
    department: str
    record_type: str
    record_id: str
    since: date | None = None
    until: date | None = None
    marks: tuple[str, ...] = ()


@dataclass
class ListEntry:
    """One enterprise on a list with every reason."""

    enterprise_id: int
    name: str | None
    uscc: str | None
    reasons: list[Reason] = field(default_factory=list)


def list_types(kind: str) -> set[tuple[str, str]]:
    """The record types a list's rules read (plus registration, for the entry's identity)."""
    rules = {"penalty", "fixed_3y", "until_removed"}
    if kind == RED:
        rules |= set(load_policy()["red_list"]["negative_rules"])
    out = {rt.key for rt in load_catalog() if rt.publicity in rules}
    return out | {("tax", "credit_rating"), ("commerce", "registration"), ("quality", "spot_check")}


def public_records_by_enterprise(
    session: Session, at: date, types: set[tuple[str, str]] | None = None,
) -> dict[int, list[Disclosed]]:
    """Every current record (of ``types``) the public sees on ``at``, by current enterprise id."""
    successors = successor_map(session)
    out: dict[int, list[Disclosed]] = defaultdict(list)
    for d in disclose(session, Viewer.public(), at, current_records(session, types=types)):
        out[successors.get(d.enterprise_id, d.enterprise_id)].append(d)
    return out


def _reason(text: str, d: Disclosed, since: date | None = None, until: date | None = None) -> Reason:
    return Reason(text, d.department, d.record_type, d.record_id,
                  since or d.publicity.start, until or d.publicity.last_day, d.marks)


def _grades(records: list[Disclosed], year: int) -> list[tuple[str | None, Disclosed]]:
    return [(d.fields.get("grade"), d) for d in records
            if (d.department, d.record_type) == ("tax", "credit_rating") and d.fields.get("year") == year]


def black_reasons(records: list[Disclosed], at: date) -> list[Reason]:
    """The black-list reasons found in one enterprise's public records on ``at``."""
    pol = load_policy()["black_list"]
    out: list[Reason] = []
    for d in records:
        rule = d.publicity.rule
        if rule == "penalty" and ((pol["penalty_serious"] and d.fields.get("serious") is True)
                                  or (pol["penalty_severe_kinds"] and d.publicity.category == "severe")):
            out.append(_reason("严重失信行政处罚（公示期内）", d))
        elif rule == "fixed_3y" and pol["major_tax_violation"]:
            out.append(_reason("重大税收违法失信案件（公布期内）", d))
        elif rule == "until_removed":
            listed = to_date(d.fields.get("listed_date"))
            if listed is not None and add_months(listed, pol["abnormal_unremoved_months"]) <= at:
                out.append(_reason("列入经营异常名录满3年未移出", d,
                                   since=add_months(listed, pol["abnormal_unremoved_months"])))
    year = latest_released_year(at)
    out += [_reason(f"纳税信用{year}年度{grade}级", d, since=tax_rating_release(year),
                    until=tax_rating_release(year + 1) - ONE_DAY)
            for grade, d in _grades(records, year) if grade == pol["tax_grade"]]
    return out


def _negative(d: Disclosed, at: date) -> bool:
    pol = load_policy()["red_list"]
    if d.publicity.rule in pol["negative_rules"]:
        return True
    if (d.department, d.record_type) == ("quality", "spot_check") and d.fields.get("result") == "不合格":
        when = d.record_date
        return when is None or add_months(when, pol["failed_spot_check_months"]) > at
    return False


def red_reasons(records: list[Disclosed], at: date) -> list[Reason]:
    """The red-list reasons of one enterprise on ``at`` (empty when it does not qualify)."""
    pol = load_policy()["red_list"]
    if any(_negative(d, at) for d in records) or black_reasons(records, at):
        return []
    latest = latest_released_year(at)
    out: list[Reason] = []
    for year in range(latest, latest - pol["years"], -1):
        grades = _grades(records, year)
        if not grades or any(g != pol["tax_grade"] for g, _ in grades):
            return []
        out.append(_reason(f"纳税信用{year}年度{pol['tax_grade']}级", grades[0][1],
                           since=tax_rating_release(year)))
    return out


def _compute(session: Session, at: date, kind: str,
             reasons: Callable[[list[Disclosed], date], list[Reason]]) -> list[ListEntry]:
    # reasons come from every list type but registration; registration is read afterwards, and only
    # for the enterprises found, to name them (the same records identity() saw before: a million
    # registrations are not read to list a few thousand enterprises)
    by_enterprise = public_records_by_enterprise(session, at, list_types(kind) - {REGISTRATION})
    found = {eid: r for eid, r in ((eid, reasons(records, at)) for eid, records in by_enterprise.items()) if r}
    registrations = _registrations(session, at, sorted(found))
    return [ListEntry(eid, ident.name, ident.uscc, found[eid])
            for eid in sorted(found)
            for ident in [identity(by_enterprise[eid] + registrations.get(eid, []))]]


def _registrations(session: Session, at: date, ids: list[int]) -> dict[int, list[Disclosed]]:
    """The public registration records of these (current) enterprises and the ids merged into them."""
    successors = successor_map(session)
    merged = [old for old, new in successors.items() if new in set(ids)]
    out: dict[int, list[Disclosed]] = defaultdict(list)
    wanted = ids + merged
    for start in range(0, len(wanted), 5000):
        part = wanted[start:start + 5000]
        for d in disclose(session, Viewer.public(), at, current_records(session, part, types=[REGISTRATION])):
            out[successors.get(d.enterprise_id, d.enterprise_id)].append(d)
    return out


def black_list(session: Session, at: date) -> list[ListEntry]:
    """严重失信主体名单 on ``at``: every enterprise with at least one black-list reason."""
    return _compute(session, at, BLACK, black_reasons)


def red_list(session: Session, at: date) -> list[ListEntry]:
    """守信激励名单 on ``at``: A in each of the last evaluation years, nothing negative in window."""
    return _compute(session, at, RED, red_reasons)


def still_public(session: Session, kind: str, entries: list[ListEntry], at: date, today: date) -> list[ListEntry]:
    """A list of another date than today as the public may see it today: a black-list reason whose
    record is no longer public (停止公示, repaired, revoked) is left out, and so is an entry left
    with none; a red-list entry stands only while every reason is public today."""
    if at == today:
        return entries
    now = {(d.department, d.record_type, d.record_id)
           for records in public_records_by_enterprise(session, today, list_types(kind) - {REGISTRATION}).values()
           for d in records}
    out = []
    for e in entries:
        kept = [r for r in e.reasons if (r.department, r.record_type, r.record_id) in now]
        if kept and (kind == BLACK or len(kept) == len(e.reasons)):
            out.append(ListEntry(e.enterprise_id, e.name, e.uscc, kept))
    return out


def list_rows(kind: str, at: date, entries: list[ListEntry]) -> list[list[str]]:
    """One row per reason, formula-safe, in CSV_HEADER order."""
    return [[*(safe_cell(v) for v in (LIST_NAMES[kind], at, viewer_label(PUBLIC), e.enterprise_id, e.name)),
             code_cell(e.uscc),
             *(safe_cell(v) for v in (r.text, r.department, r.record_type, r.record_id, r.since, r.until,
                                      "；".join(r.marks)))]
            for e in entries for r in e.reasons]


@dataclass(frozen=True)
class ListView:
    """One list on one date, as the public sees it (every list is built from the public view)."""

    kind: str
    at: date
    entries: list[ListEntry]

    @property
    def title(self) -> str:
        return LIST_NAMES[self.kind]

    def rows(self) -> list[list[str]]:
        """Export rows (CSV_HEADER order), formula-safe."""
        return list_rows(self.kind, self.at, self.entries)


def view_list(session: Session, actor: Actor, kind: str, *, at: date | None = None,
              export: str | None = None) -> ListView:
    """The black or red list on ``at`` (default today); audited as a view, or as an export to ``export``.

    Lists are public information, so every actor may see them; the audit entry names who looked,
    the date, the viewer the list was built for and how many enterprises it holds.
    """
    today = date.today()
    at = check_view_date(at or today)
    if kind not in (BLACK, RED):
        raise InvalidInput(f"名单应为 black 或 red / unknown list {kind}; black or red")
    entries = still_public(session, kind, black_list(session, at) if kind == BLACK else red_list(session, at),
                           at, today)
    audit.record(session, actor=str(actor), action="list.export" if export else "list.view", subject=f"list:{kind}",
                 details={"date": at, "viewer": PUBLIC, "entries": len(entries), "out": export})
    return ListView(kind, at, entries)
