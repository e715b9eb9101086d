"""The black list (严重失信主体名单) and red list (守信激励名单) on any date, from the public view.

Every criterion reads only what the gate shows the public on that date (policy.yaml black_list,
red_list). The latest released tax evaluation year on date ``at`` is the largest ``Y`` with
``tax_rating_release(Y) <= at``; the red list needs an A for that year and the years before it.
"""

from __future__ import annotations

import csv
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from sqlalchemy.orm import Session

from credit import audit
from credit.catalog import load_catalog
from credit.gate import PUBLIC, Disclosed, Viewer, disclose
from credit.policy import ONE_DAY, add_months, latest_released_year, load_policy, tax_rating_release, to_date
from credit.profile import current_records, identity, successor_map, viewer_label

log = logging.getLogger(__name__)

__all__ = ["black_list", "red_list", "lists_command", "latest_released_year", "list_rows"]

BLACK, RED = "black", "red"
LIST_NAMES = {BLACK: "严重失信主体名单 black list", RED: "守信激励名单 red list"}
CSV_HEADER = ["名单 list", "日期 date", "视角 viewer", "企业编号 enterprise_id", "企业名称 name",
              "统一社会信用代码 uscc", "原因 reason", "部门 department", "记录类型 record_type",
              "记录编号 record_id", "起始 since", "截止 until", "标记 marks"]
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


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


def _grades(records: list[Disclosed], year: int) -> list[tuple[str, Disclosed]]:
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
    entries = []
    for eid, records in sorted(public_records_by_enterprise(session, at, list_types(kind)).items()):
        found = reasons(records, at)
        if found:
            ident = identity(records)
            entries.append(ListEntry(eid, ident.name, ident.uscc, found))
    return entries


def black_list(session: Session, at: date) -> list[ListEntry]:
    """严重失信主体名单 on ``at``: every enterprise with at least one black-list reason."""
    return _compute(session, at, BLACK, black_reasons)


def red_list(session: Session, at: date) -> list[ListEntry]:
    """守信激励名单 on ``at``: A in each of the last evaluation years, nothing negative in window."""
    return _compute(session, at, RED, red_reasons)


def safe_cell(value: Any) -> str:
    """A spreadsheet cell that cannot run as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.lstrip(" ")[:1] in FORMULA_TRIGGERS else text


def list_rows(kind: str, at: date, entries: list[ListEntry]) -> list[list[str]]:
    """One row per reason, formula-safe, in CSV_HEADER order."""
    return [[safe_cell(v) for v in (LIST_NAMES[kind], at, viewer_label(PUBLIC), e.enterprise_id, e.name,
                                    e.uscc, r.text, r.department, r.record_type, r.record_id,
                                    r.since, r.until, "；".join(r.marks))]
            for e in entries for r in e.reasons]


def render_list(kind: str, at: date, entries: list[ListEntry]) -> str:
    """The list as text a regulator reads: Chinese first, English second."""
    lines = [f"{LIST_NAMES[kind]} — 日期 date {at.isoformat()}；视角 viewer {viewer_label(PUBLIC)}；"
             f"共 {len(entries)} 家企业 enterprises"]
    for e in entries:
        lines.append(f"{e.enterprise_id}  {e.name or '—'}  统一社会信用代码 USCC {e.uscc or '—'}")
        for r in e.reasons:
            marks = f" 【{'，'.join(r.marks)}】" if r.marks else ""
            lines.append(f"    原因 reason: {r.text}{marks}；记录 record {r.department}/{r.record_type}/"
                         f"{r.record_id}；{r.since or '—'} 至 to {r.until or '—'}")
    return "\n".join(lines)


def lists_command(session: Session, kind: str, at: date | None = None, out: str | None = None,
                  user: str = "cli") -> str:
    """``python -m credit lists black|red [--date D] [--out FILE]``: readable text, or a CSV file.

    The CSV (UTF-8 with BOM, so Excel reads the Chinese) names the list, the date and the viewer
    on every row; every cell is neutralised against formula injection. The export is audited.
    """
    at = at or date.today()
    if kind not in (BLACK, RED):
        raise ValueError(f"unknown list {kind}; black or red")
    entries = black_list(session, at) if kind == BLACK else red_list(session, at)
    audit.record(session, actor=user, action="list.export" if out else "list.view", subject=f"list:{kind}",
                 details={"date": at, "viewer": PUBLIC, "entries": len(entries), "out": out})
    if out is None:
        return render_list(kind, at, entries)
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_HEADER)
        writer.writerows(list_rows(kind, at, entries))
    return (f"{LIST_NAMES[kind]} {at}: {len(entries)} 家企业已写入 enterprises written to {out} "
            f"（视角 viewer {viewer_label(PUBLIC)}）")
