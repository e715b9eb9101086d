"""Oversight figures for regulators: overdue answers, records over time, rejects, matching, lists.

Each figure is computed from the stored tables (batches, source records, links, review items,
workflow rows); list sizes come from the lists themselves (built from the public view, through
the gate). ``view_dashboard`` gathers them, with the SVG charts a dashboard shows.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from credit.domain.charts import bar_chart, line_chart
from credit.domain.gate import check_view_date
from credit.domain.inbox import repair_due
from credit.domain.lists import black_list, red_list
from credit.domain.policy import add_months
from credit.domain.review import backlog
from credit.domain.workflow_models import Objection, RepairApplication
from credit.domain.workflows import ROLE_ADMIN, ROLE_REGULATOR, Actor, require_role
from credit.kernel.catalog import load_catalog
from credit.kernel.models import Batch, SourceRecord
from matching.models import RecordLink

log = logging.getLogger(__name__)

OVERSEERS = (ROLE_REGULATOR, ROLE_ADMIN)


def overdue_by_department(session: Session, at: date) -> dict[str, dict[str, int]]:
    """Open objections past their due date and pending repairs past theirs, by source department."""
    out: dict[str, dict[str, int]] = {d: {"objections": 0, "repairs": 0} for d in load_catalog().departments}
    for dept, n in session.execute(select(Objection.department, func.count(Objection.id))
                                   .where(Objection.status == "open", Objection.due_on < at)
                                   .group_by(Objection.department)):
        out.setdefault(dept, {"objections": 0, "repairs": 0})["objections"] = int(n)
    for dept, applied in session.execute(select(RepairApplication.department, RepairApplication.applied_on)
                                         .where(RepairApplication.status == "pending")):
        if repair_due(applied) < at:
            out.setdefault(dept, {"objections": 0, "repairs": 0})["repairs"] += 1
    return out


def records_over_time(session: Session) -> dict[str, list[tuple[str, int]]]:
    """Record versions loaded per month, by department/type (from the batches that brought them)."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for dept, rtype, created, loaded in session.execute(
            select(Batch.department, Batch.record_type, Batch.created_at, Batch.loaded)):
        totals[f"{dept}/{rtype}"][f"{created:%Y-%m}"] += int(loaded or 0)
    return {key: sorted(months.items()) for key, months in sorted(totals.items())}


def reject_rates(session: Session) -> dict[str, tuple[int, int]]:
    """(rows rejected, rows read) per department over every batch."""
    rows = session.execute(select(Batch.department, func.sum(Batch.rejected), func.sum(Batch.rows_read))
                           .where(Batch.file_format != "correction").group_by(Batch.department))
    return {dept: (int(rej or 0), int(read or 0)) for dept, rej, read in rows}


def match_figures(session: Session) -> dict[str, Any]:
    """Record keys linked to an enterprise, enterprises drawn from several departments, review backlog."""
    keys = select(SourceRecord.department, SourceRecord.record_type, SourceRecord.record_id).distinct().subquery()
    records = session.scalar(select(func.count()).select_from(keys)) or 0
    linked = session.scalar(select(func.count(RecordLink.id))) or 0
    per_enterprise = (select(RecordLink.enterprise_id, func.count(distinct(RecordLink.department)).label("n"))
                      .group_by(RecordLink.enterprise_id).subquery())
    enterprises = session.scalar(select(func.count()).select_from(per_enterprise)) or 0
    joined = session.scalar(select(func.count()).select_from(per_enterprise).where(per_enterprise.c.n >= 2)) or 0
    return {"records": records, "linked": linked, "link_rate": linked / records if records else 0.0,
            "enterprises": enterprises, "multi_department": joined,
            "match_rate": joined / enterprises if enterprises else 0.0, "review": backlog(session)}


def list_sizes(session: Session, dates: list[date]) -> list[tuple[date, int, int]]:
    """(date, black list size, red list size) for each date."""
    return [(d, len(black_list(session, d)), len(red_list(session, d))) for d in dates]


def month_ends(at: date, months: int) -> list[date]:
    """``at`` and the same day of each of the ``months - 1`` months before it, oldest first."""
    return [add_months(at, -k) for k in range(months - 1, -1, -1)]


@dataclass(frozen=True)
class Dashboard:
    """What a regulator's dashboard shows on ``at``, with its charts as SVG."""

    at: date
    overdue: dict[str, dict[str, int]]
    records: dict[str, list[tuple[str, int]]]
    rejects: dict[str, tuple[int, int]]
    matching: dict[str, Any]
    lists: list[tuple[date, int, int]]
    charts: dict[str, str] = field(default_factory=dict)


def view_dashboard(session: Session, actor: Actor, at: date, *, months: int = 6) -> Dashboard:
    """Every oversight figure on ``at`` and its chart; for regulators and administrators."""
    require_role(actor, *OVERSEERS)
    check_view_date(at)
    dash = Dashboard(at, overdue_by_department(session, at), records_over_time(session), reject_rates(session),
                     match_figures(session), list_sizes(session, month_ends(at, months)))
    dash.charts.update(_charts(dash))
    return dash


def _charts(d: Dashboard) -> dict[str, str]:
    depts = load_catalog().departments
    m = d.matching
    return {
        "overdue": bar_chart("逾期未答复（异议 + 修复）/ overdue answers by department",
                             [(f"{depts.get(k, k)} {k}", v["objections"] + v["repairs"]) for k, v in d.overdue.items()]),
        "records": line_chart("每月入库记录 / records loaded per month", d.records),
        "rejects": bar_chart("拒收率 / reject rate by department",
                             [(f"{depts.get(k, k)} {k}", rej / read if read else 0.0)
                              for k, (rej, read) in sorted(d.rejects.items())], percent=True),
        "matching": bar_chart("匹配 / matching", [("已关联记录 linked", m["link_rate"]),
                                                  ("跨部门企业 multi-department", m["match_rate"])], percent=True),
        "backlog": bar_chart("待审核 / review backlog", [("待审核 open", m["review"]["open"]),
                                                      ("已审核 judged", m["review"]["judged"])]),
        "lists": line_chart("名单规模 / list sizes", {"黑名单 black": [(f"{x:%Y-%m-%d}", b) for x, b, _ in d.lists],
                                                    "红名单 red": [(f"{x:%Y-%m-%d}", r) for x, _, r in d.lists]}),
    }
