"""Publicity windows of exchange-formats.md section 5, driven by credit/policy.yaml.

Window boundaries (one convention everywhere):

* a record published from start date ``d`` for ``N`` months is public on ``d`` through
  ``add_months(d, N) - 1 day`` inclusive (its ``last_day``); on ``add_months(d, N)`` it is no
  longer public ("停止公示");
* the minimum period of ``M`` months has passed on ``add_months(d, M)`` (``repair_from``): the
  first day a credit repair application can be accepted;
* ``add_months`` keeps the day of the month and clamps it to the month's end
  (2024-01-31 + 1 month = 2024-02-29; 2024-02-29 + 12 months = 2025-02-28);
* an abnormal listing is public from 列入日期 through the day before 移出日期;
* approved credit repair (effective ``r``) makes ``r - 1 day`` the last public day;
* a penalty's stated 公示截止期 is its last public day, clamped into
  ``[add_months(d, min) - 1, add_months(d, max) - 1]``;
* a tax grade of year ``Y`` exists from ``tax_rating_release(Y)`` (April of ``Y + 1`` by
  default); a D grade is public for ``public_months_by_grade.D`` months from then.

Penalty precedence (policy.yaml ``penalty``): a decision of only 警告 is not published; a minor
case (通报批评 / a fine below the threshold, nothing heavier) is published exactly 3 months in
every department; a type minimum (消防 12 months) raises general and severe cases only, and their
maximum with it; several kinds on one decision: the longest category; 是否严重失信 = 是 is severe.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from credit.kernel.catalog import RecordType

log = logging.getLogger(__name__)

POLICY_PATH = Path(__file__).with_name("policy.yaml")
CATEGORY_ORDER = ("none", "minor", "general", "severe")
ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=1)
def load_policy(path: str | None = None) -> dict[str, Any]:
    """The policy rules, read once per process and checked against the catalog."""
    with open(path or POLICY_PATH, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    check_policy(data)
    return data


def check_policy(data: dict[str, Any]) -> None:
    """Refuse a policy that names columns or types the catalog does not have."""
    from credit.kernel.catalog import UnknownRecordType, load_catalog

    catalog = load_catalog()
    for ref in data["masking"].get("government_unmasked") or []:
        type_ref, _, key = ref.partition(".")
        dept, _, rtype = type_ref.partition("/")
        try:
            rt = catalog.get(dept, rtype)
        except UnknownRecordType as exc:
            raise ValueError(f"policy masking.government_unmasked: {exc}") from None
        if key not in rt.personal_keys:
            raise ValueError(f"policy masking.government_unmasked: {ref} is not a personal column")
    for ref in list(data["penalty"].get("type_min_months") or {}) + list(data.get("record_start") or {}):
        dept, _, rtype = ref.partition("/")
        catalog.get(dept, rtype)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later, clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def to_date(value: Any) -> date | None:
    """An ISO date string (or a date) as a date; anything else as None."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class Publicity:
    """When a record is public, and from when its publication may end early by repair."""

    rule: str
    category: str = ""
    published: bool = True
    start: date | None = None
    last_day: date | None = None
    repair_from: date | None = None
    note: str = ""

    def is_public(self, at: date) -> bool:
        """Whether the record is shown to the public on ``at``."""
        if not self.published:
            return False
        if self.start is not None and at < self.start:
            return False
        return self.last_day is None or at <= self.last_day

    def ended_by_repair(self, effective: date) -> Publicity:
        """The same window, ending the day before an approved repair takes effect."""
        last = effective - ONE_DAY
        if self.last_day is not None and self.last_day <= last:
            return self
        return replace(self, last_day=last, note="信用修复，提前停止公示")


@dataclass(frozen=True)
class PenaltyClass:
    """The publicity category of one penalty decision and the periods that follow."""

    category: str
    min_months: int
    max_months: int
    reasons: tuple[str, ...]
    no_early_repair: tuple[str, ...] = ()


def _kind_category(kind: str, fine: float | None, pol: dict[str, Any]) -> str:
    if kind in pol["unpublished_kinds"]:
        return "none"
    if kind in pol["severe_kinds"]:
        return "severe"
    if kind in pol["minor_kinds"]:
        return "minor"
    if kind == pol["fine_kind"] and fine is not None and fine < pol["low_amount_wan"]:
        return "minor"
    return "general"


def classify_penalty(department: str, record_type: str, fields: dict[str, Any]) -> PenaltyClass:
    """Classify a penalty: none (only 警告), minor, general or severe; the longest kind wins."""
    pol = load_policy()["penalty"]
    kinds = list(fields.get("penalty_kinds") or [])
    fine = fields.get("fine_amount")
    if not kinds and fine:
        kinds = [pol["fine_kind"]]
    per_kind = {k: _kind_category(k, fine, pol) for k in kinds} or {"": "general"}
    category = max(per_kind.values(), key=CATEGORY_ORDER.index)
    reasons = [f"{k or '未注明处罚类别'}: {c}" for k, c in per_kind.items()]
    if fields.get("serious") is True:
        category = "severe"
        reasons.append("是否严重失信 = 是: severe")
    blocked = tuple(k for k in kinds if k in pol["no_early_repair_kinds"])
    if category == "none":
        return PenaltyClass("none", 0, 0, tuple(reasons), blocked)
    periods = pol["categories"][category]
    low, high = periods["min_months"], periods["max_months"]
    type_min = pol.get("type_min_months", {}).get(f"{department}/{record_type}")
    applies = pol.get("type_min_applies_to", ["general", "severe"])
    if type_min and type_min > low and category not in applies:
        reasons.append(f"{department}/{record_type}: minimum {type_min} months not applied to a {category} case")
    elif type_min and type_min > low:
        low, high = type_min, max(high, type_min)
        reasons.append(f"{department}/{record_type}: minimum {type_min} months")
    return PenaltyClass(category, low, high, tuple(reasons), blocked)


def _penalty(rt: RecordType, fields: dict[str, Any]) -> Publicity:
    klass = classify_penalty(rt.department, rt.name, fields)
    start = to_date(fields.get("decision_date"))
    if klass.category == "none":
        return Publicity("penalty", "none", published=False, note="仅警告，不予公示")
    if start is None:
        return Publicity("penalty", klass.category, published=False, note="缺少处罚决定日期")
    earliest = add_months(start, klass.min_months) - ONE_DAY
    latest = add_months(start, klass.max_months) - ONE_DAY
    last, note = latest, ""
    stated_key = load_policy()["penalty"].get("stated_end_field")
    stated = to_date(fields.get(stated_key)) if stated_key else None
    if stated is not None:
        last = min(max(stated, earliest), latest)
        note = "按公示截止期" if last == stated else f"公示截止期 {stated} 超出法定期限，按 {last}"
    return Publicity("penalty", klass.category, True, start, last,
                     add_months(start, klass.min_months), note)


def _fixed(rt: RecordType, fields: dict[str, Any]) -> Publicity:
    pol = load_policy()["fixed_3y"]
    start = to_date(fields.get(rt.date_field or ""))
    if start is None:
        return Publicity("fixed_3y", published=False, note="缺少公布日期")
    end = add_months(start, pol["max_months"]) - ONE_DAY
    return Publicity("fixed_3y", "", True, start, end, add_months(start, pol["min_months"]))


def _until_removed(rt: RecordType, fields: dict[str, Any]) -> Publicity:
    start = to_date(fields.get(rt.date_field or ""))
    removed = to_date(fields.get("removed_date"))
    return Publicity("until_removed", "", True, start, removed - ONE_DAY if removed else None)


def _while_owed(rt: RecordType, fields: dict[str, Any]) -> Publicity:
    balance = fields.get("balance_yuan")
    owed = balance > 0 if balance is not None else load_policy()["while_owed"]["unknown_balance_owed"]
    start = to_date(fields.get(rt.date_field or ""))
    if not owed:
        return Publicity("while_owed", "", published=False, note="欠税已清")
    return Publicity("while_owed", "", True, start, None)


def tax_rating_release(year: int) -> date:
    """The day a tax credit rating of ``year`` is released (counted from then on)."""
    pol = load_policy()["tax_rating"]
    return date(year + 1, pol["release_month"], pol["release_day"])


def latest_released_year(at: date) -> int:
    """The most recent tax evaluation year whose ratings are released on ``at``."""
    year = at.year
    while tax_rating_release(year) > at:
        year -= 1
    return year


def record_date(rt: RecordType, fields: dict[str, Any]) -> date | None:
    """The date from which the record exists (a rating year means its release date).

    Normally the catalog's ``date_field``; ``record_start`` in policy.yaml names other fields for
    types whose date field is a last-change date (a registration exists from 成立日期, not from
    the 核准日期 of its latest change).
    """
    for key in (load_policy().get("record_start") or {}).get(f"{rt.department}/{rt.name}") or ():
        found = to_date(fields.get(key))
        if found is not None:
            return found
    value = fields.get(rt.date_field) if rt.date_field else None
    if isinstance(value, int) and rt.column(rt.date_field or "").type == "year":
        return tax_rating_release(value) if 1900 < value < 3000 else None
    return to_date(value)


def _always(rt: RecordType, fields: dict[str, Any]) -> Publicity:
    start = record_date(rt, fields)
    if (rt.department, rt.name) == ("tax", "credit_rating"):
        months = (load_policy()["tax_rating"].get("public_months_by_grade") or {}).get(fields.get("grade"))
        if months and start is not None:
            return Publicity("always", "", True, start, add_months(start, months) - ONE_DAY,
                             note=f"{fields.get('grade')}级公示{months}个月")
    return Publicity("always", "", True, start, None)


def _never(rt: RecordType, fields: dict[str, Any]) -> Publicity:
    return Publicity("never", "", published=False, note="不向社会公开")


_RULES = {
    "penalty": _penalty, "fixed_3y": _fixed, "until_removed": _until_removed,
    "while_owed": _while_owed, "always": _always, "never": _never,
}


def publicity_of(rt: RecordType, fields: dict[str, Any]) -> Publicity:
    """The publicity window of one record under its type's rule."""
    try:
        rule = _RULES[rt.publicity]
    except KeyError:
        log.error("unknown publicity rule %s for %s; not publishing", rt.publicity, rt.label)
        return Publicity(rt.publicity, published=False, note="未知公示规则")
    return rule(rt, fields)


# ---------------------------------------------------------------- what a record's window depends on


def window_fields(rt: RecordType) -> tuple[str, ...]:
    """Every field ``record_date``, ``publicity_of`` and ``openness_of`` read for a record of the type.

    The gate's bulk path (credit/domain/gate_fast.py) decides a window once per distinct combination
    of these values; a test holds this list to what the functions above really read."""
    keys = list((load_policy().get("record_start") or {}).get(f"{rt.department}/{rt.name}") or ())
    keys.append(rt.date_field or "")
    if rt.openness_by:
        keys.append(rt.openness_by["field"])
    rule = {"penalty": ["penalty_kinds", "fine_amount", "serious", "decision_date",
                        load_policy()["penalty"].get("stated_end_field") or ""],
            "until_removed": ["removed_date"], "while_owed": ["balance_yuan"],
            "always": ["grade"] if (rt.department, rt.name) == ("tax", "credit_rating") else []}
    keys += rule.get(rt.publicity, [])
    return tuple(dict.fromkeys(k for k in keys if k))


def _freeze(value: Any) -> Any:
    """A hashable stand-in equal only for values of the same types and contents (True is not 1)."""
    kind = value.__class__
    if kind is str or value is None:
        return value
    if kind is list or kind is tuple:
        return (kind, tuple(_freeze(v) for v in value))
    if kind is dict:
        return (kind, tuple((k, _freeze(v)) for k, v in value.items()))
    hash(value)  # anything unhashable raises TypeError: the caller decides that record the long way
    return (kind, value)


def window_key(rt: RecordType) -> Any:
    """A function of a record's fields: equal results for two records mean equal record date, window
    and openness (it raises for a value it cannot key). What the rules only compare is reduced to the
    comparison: a penalty's kinds, fine and severity to its class and periods, a balance to owed or
    not, so a million penalties with a million fines share a few thousand keys."""
    reduced = {"penalty": ("penalty_kinds", "fine_amount", "serious"), "while_owed": ("balance_yuan",)}
    read = tuple(k for k in window_fields(rt) if k not in reduced.get(rt.publicity, ()))
    low = load_policy()["penalty"]["low_amount_wan"]
    classes: dict[Any, tuple[str, int, int]] = {}

    def penalty_class(fields: dict[str, Any]) -> tuple[str, int, int]:
        fine = fields.get("fine_amount")
        # classify_penalty reads the fine only as truthy or not, and below the threshold or not
        inputs = (_freeze(fields.get("penalty_kinds")), fine is None, bool(fine),
                  fine is not None and bool(fine < low), fields.get("serious") is True)
        found = classes.get(inputs)
        if found is None:
            klass = classify_penalty(rt.department, rt.name, fields)
            found = classes[inputs] = (klass.category, klass.min_months, klass.max_months)
        return found

    def key(fields: dict[str, Any]) -> tuple[Any, ...]:
        out = tuple(map(fields.get, read))
        for v in out:
            if v is not None and v.__class__ is not str:  # rare: frozen, every value as _freeze says
                out = tuple(map(_freeze, out))
                break
        if rt.publicity == "penalty":
            return (*out, penalty_class(fields))
        if rt.publicity == "while_owed":
            balance = fields.get("balance_yuan")
            return (*out, balance is None, balance is not None and bool(balance > 0))
        return out

    return key
