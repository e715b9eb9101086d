"""A transparent composite grade A/B/C/D, every point explained by the record behind it.

The score starts at ``rating.base``; each record the viewer may see on the date is classified
into a kind (``kind_of``) and adds the points of that kind's rule in policy.yaml. Rules may
count only records within ``within_months``, at most ``cap`` records, and skip values listed in
``exclude``. Penalties, major tax cases, abnormal listings and arrears count while public.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from credit.domain.gate import Disclosed, Viewer
from credit.domain.policy import add_months, latest_released_year, load_policy
from credit.domain.profile import build_profile

log = logging.getLogger(__name__)

_WINDOWED = {"fixed_3y": "major_tax_violation", "until_removed": "abnormal_listed",
             "while_owed": "tax_arrears"}
_BY_TYPE = {("finance", "loan_default"): "loan_default",
            ("public_security", "case"): "public_security_case"}


@dataclass(frozen=True)
class Line:
    """One explained contribution to the score."""

    kind: str
    label: str
    points: int
    department: str
    record_type: str
    record_id: str
    record_date: date | None
    marks: tuple[str, ...] = ()


@dataclass
class Rating:
    """The grade of one enterprise for one viewer on one date, with its explanation."""

    enterprise_id: int
    as_of: date
    viewer: str
    base: int
    score: int
    grade: str
    lines: list[Line] = field(default_factory=list)


def kind_of(d: Disclosed, at: date, latest_year: int | None) -> str | None:
    """The rating kind of one visible record on ``at``, or None when it does not count."""
    if (d.department, d.record_type) in _BY_TYPE:
        return _BY_TYPE[(d.department, d.record_type)]
    if (d.department, d.record_type) == ("tax", "credit_rating"):
        return f"tax_grade_{d.fields.get('grade')}" if d.fields.get("year") == latest_year else None
    if (d.department, d.record_type) == ("quality", "spot_check"):
        return {"不合格": "spot_check_failed", "合格": "spot_check_passed"}.get(d.fields.get("result") or "")
    if not d.publicity.is_public(at):
        return None
    if d.publicity.rule == "penalty":
        return f"penalty_{d.publicity.category}"
    return _WINDOWED.get(d.publicity.rule)


def _counts(rule: dict[str, Any], d: Disclosed, at: date) -> bool:
    for key, values in (rule.get("exclude") or {}).items():
        if d.fields.get(key) in values:
            return False
    months = rule.get("within_months")
    if months and d.record_date is not None and add_months(d.record_date, months) <= at:
        return False
    return True


def score_records(records: list[Disclosed], at: date) -> tuple[int, list[Line]]:
    """The score and its lines for the records one viewer sees."""
    pol = load_policy()["rating"]
    rules = {r["kind"]: r for r in pol["rules"]}
    latest = latest_released_year(at)   # an older grade is not "最近一年" any more
    used: dict[str, int] = {}
    lines: list[Line] = []
    for d in sorted(records, key=lambda r: (r.record_date or date.min, r.record_id), reverse=True):
        rule = rules.get(kind_of(d, at, latest) or "")
        if rule is None or not _counts(rule, d, at):
            continue
        if rule.get("cap") is not None and used.get(rule["kind"], 0) >= rule["cap"]:
            continue
        used[rule["kind"]] = used.get(rule["kind"], 0) + 1
        lines.append(Line(rule["kind"], rule["label"], int(rule["points"]), d.department,
                          d.record_type, d.record_id, d.record_date, d.marks))
    return pol["base"] + sum(ln.points for ln in lines), lines


def grade_of(score: int) -> str:
    """The first grade whose minimum the score reaches."""
    for g in load_policy()["rating"]["grades"]:
        if g["min"] is None or score >= g["min"]:
            return str(g["grade"])
    raise ValueError("rating.grades needs a last grade with min: null")


def rate(session: Session, enterprise_id: int, at: date, viewer: Viewer | None = None) -> Rating:
    """The grade on ``at`` from what ``viewer`` (default: the public) may see."""
    viewer = viewer or Viewer.public()
    profile = build_profile(session, enterprise_id, viewer, at)
    score, lines = score_records(profile.records, at)
    return Rating(profile.enterprise_id, at, viewer.kind, load_policy()["rating"]["base"],
                  score, grade_of(score), lines)
