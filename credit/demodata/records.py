"""Records: the clean values each department holds about an enterprise, per record type."""

from __future__ import annotations

import datetime as dt
import functools
import math
import random
import zlib
from collections.abc import Callable
from typing import Any

from credit.demodata import individuals
from credit.demodata.codes import _division, _rand_date, _weighted
from credit.demodata.vocab import (
    ABNORMAL_REASONS,
    BANKS,
    CASE_CATEGORIES,
    CASE_NATURES,
    CASE_STATUSES,
    DATE_MAX,
    DATE_MIN,
    FIRE_VIOLATIONS,
    GRADES,
    PENALTY_KINDS,
    PRODUCTS,
    PROVINCES,
    SCOPES,
    TAX_KINDS,
    VIOLATIONS,
)
from credit.demodata.world import Enterprise
from credit.kernel.catalog import load_catalog


def _wan(rng: random.Random, median: float, spread: float = 1.2) -> float:
    """A log-normal amount around median, two decimals."""
    return round(median * math.exp(rng.gauss(0, spread)), 2)


def _authority(e: Enterprise, what: str) -> str:
    """The name of the enterprise's local authority of one kind."""
    _, city, district = _division(e.division)
    prov = PROVINCES[e.division[:2]]
    return {
        "samr": f"{city}{district}市场监督管理局",
        "tax": f"国家税务总局{city}税务局",
        "quality": f"{prov}省市场监督管理局" if len(prov) > 2 or prov not in city else f"{city}市场监督管理局",
        "police": f"{city}公安局{district or '经济犯罪侦查支队'}" + ("分局" if district else ""),
        "fire": f"{city}消防救援支队",
    }[what]


def _penalty(e: Enterprise, rng: random.Random, day: dt.date, dept: str) -> dict[str, Any]:
    """A 双公示 administrative penalty (commerce, quality or fire)."""
    kinds = _weighted(rng, PENALTY_KINDS)
    fine = _wan(rng, 2.0) if "罚款" in kinds else None
    confiscated = _wan(rng, 1.0) if "没收违法所得" in kinds else None
    harsh = "吊销许可证件" in kinds or "责令停产停业" in kinds
    serious = "是" if harsh or rng.random() < 0.06 else "否"
    years = 3 if serious == "是" else 1
    violation, basis = rng.choice(FIRE_VIOLATIONS if dept == "public_security" else VIOLATIONS)
    short = e.city.rstrip("市")[:2]
    tag = {"commerce": "市监罚", "quality": "质监罚字", "public_security": "消行罚决字"}[dept]
    parts = e.parts_at(day)
    return {
        "subject_name": parts.text, "uscc": e.uscc if rng.random() < 0.92 else "",
        "reg_no": e.reg_no if rng.random() < 0.3 else "",
        "org_code": e.org_code if rng.random() < 0.4 else "",
        "legal_rep": e.legal_rep, "legal_rep_id_number": e.legal_rep_id,
        "decision_no": f"{short}{tag}〔{day.year}〕{rng.randrange(1, 3000)}号",
        "violation_type": violation,
        "violation_facts": f"当事人{parts.text}存在{violation}的违法行为",
        "legal_basis": basis, "penalty_kinds": "；".join(kinds),
        "fine_amount": fine, "confiscated_amount": confiscated, "decision_date": day,
        "penalty_valid_until": day + dt.timedelta(days=rng.choice((90, 180, 365))),
        "publicity_until": day + dt.timedelta(days=365 * years) if rng.random() < 0.7 else None,
        "authority": _authority(e, "fire" if dept == "public_security" else
                                "quality" if dept == "quality" else "samr"),
        "serious": serious,
    }


def _registration(e: Enterprise, rng: random.Random, day: dt.date) -> dict[str, Any]:
    """The commerce registration record."""
    approval = e.rename_date or max(e.established, _rand_date(rng, dt.date(2019, 1, 1), DATE_MAX))
    return {
        "uscc": e.uscc, "reg_no": e.reg_no, "name": e.name, "enterprise_type": e.enterprise_type,
        "legal_rep": e.legal_rep,
        "registered_capital": None if "individual" in e.kinds
        else float(rng.choice((10, 50, 100, 200, 500, 1000, 3000))),
        "established_date": e.established, "registration_authority": _authority(e, "samr"),
        "address": e.address,
        "business_scope": SCOPES.get(e.parts.industry.replace("集团", ""), "一般项目：企业管理咨询；技术服务"),
        "status": e.status, "approval_date": approval, "former_names": "；".join(e.former_names),
    }


def _abnormal(e: Enterprise, rng: random.Random, day: dt.date) -> dict[str, Any]:
    """An abnormal-operation listing, removed or not."""
    removed = day + dt.timedelta(days=rng.randrange(30, 700)) if rng.random() < 0.5 else None
    if removed and removed > DATE_MAX:
        removed = None
    return {
        "uscc": e.uscc, "reg_no": e.reg_no, "name": e.parts_at(day).text,
        "listed_reason": rng.choice(ABNORMAL_REASONS), "listed_date": day,
        "deciding_authority": _authority(e, "samr"),
        "removed_reason": "已补报未报年份的年度报告并公示" if removed else "", "removed_date": removed,
    }


def _loan(e: Enterprise, rng: random.Random, day: dt.date) -> dict[str, Any]:
    """A loan default reported by a bank."""
    balance = _wan(rng, 300.0)
    days = rng.randrange(1, 900)
    cls = "关注" if days <= 90 else "次级" if days <= 180 else "可疑" if days <= 360 else "损失"
    if rng.random() < 0.05:
        cls = "正常"
    return {
        "borrower_name": e.parts_at(day).text, "uscc": e.uscc if rng.random() < 0.85 else "",
        "loan_card_no": e.loan_card_no, "lender": f"{rng.choice(BANKS)}{e.city.rstrip('市')}分行",
        "contract_no": f"{day.year}借字第{rng.randrange(1, 99999):05d}号", "loan_balance": balance,
        "overdue_amount": round(balance * rng.uniform(0.05, 1.0), 2), "overdue_days": days,
        "classification": cls, "report_date": day,
    }


def _rating(e: Enterprise, rng: random.Random, year: int) -> dict[str, Any]:
    """A tax credit grade for one evaluation year."""
    return {"taxpayer_id": e.taxpayer_id, "taxpayer_name": e.parts_at(dt.date(year, 12, 31)).text,
            "year": year, "grade": _weighted(rng, GRADES)}


def _major(e: Enterprise, rng: random.Random, day: dt.date) -> dict[str, Any]:
    """A major tax violation case."""
    nature = rng.choice(CASE_NATURES)
    owed = _wan(rng, 80.0)
    return {
        "taxpayer_id": e.taxpayer_id, "taxpayer_name": e.parts_at(day).text,
        "org_code": e.org_code if rng.random() < 0.6 else "", "registered_address": e.address,
        "legal_rep": e.legal_rep, "legal_rep_id_number": e.legal_rep_id, "case_nature": nature,
        "violation_facts": f"经{_authority(e, 'tax')}稽查局检查，发现其在{day.year - 2}年01月01日至"
                           f"{day.year - 1}年12月31日期间，主要存在{nature}问题",
        "handling": f"依法追缴税款{owed}万元，并处罚款{round(owed / 2, 2)}万元",
        "published_date": day,
    }


def _arrears(e: Enterprise, rng: random.Random, day: dt.date) -> dict[str, Any]:
    """A tax arrears announcement."""
    return {
        "taxpayer_id": e.taxpayer_id, "taxpayer_name": e.parts_at(day).text,
        "legal_rep": e.legal_rep, "business_address": e.address, "tax_kind": rng.choice(TAX_KINDS),
        "balance_yuan": round(_wan(rng, 5.0) * 10000, 2), "announced_date": day,
    }


def _spot(e: Enterprise, rng: random.Random, day: dt.date) -> dict[str, Any]:
    """A product quality spot check (organization code only)."""
    product, model, item = rng.choice(PRODUCTS)
    ok = rng.random() < 0.85
    made = day - dt.timedelta(days=rng.randrange(10, 120))
    return {
        "inspected_name": e.parts_at(day).text, "org_code": e.org_code, "location": e.address,
        "product": product, "model": model,
        "batch_or_date": f"{made:%Y-%m-%d}" if rng.random() < 0.5
        else f"批号{made:%Y%m%d}{rng.randrange(10)}",
        "result": "合格" if ok else "不合格", "failed_items": "" if ok else item,
        "testing_body": f"{PROVINCES[e.division[:2]]}省产商品质量检验研究院"
        if len(PROVINCES[e.division[:2]]) == 2 and PROVINCES[e.division[:2]] not in e.city
        else f"{e.city}产品质量监督检验院",
        "checking_authority": _authority(e, "quality"), "announced_date": day,
    }


def _case(e: Enterprise, rng: random.Random, day: dt.date) -> dict[str, Any]:
    """A public security case involving the enterprise."""
    return {
        "party_name": e.parts_at(day).text, "uscc": e.uscc if rng.random() < 0.8 else "",
        "legal_rep": e.legal_rep, "legal_rep_id_number": e.legal_rep_id,
        "case_category": rng.choice(CASE_CATEGORIES), "filed_date": day,
        "case_status": rng.choice(CASE_STATUSES), "handling_unit": _authority(e, "police"),
    }


RecordFn = Callable[[Enterprise, random.Random, dt.date], dict[str, Any]]
GENERATORS: dict[tuple[str, str], RecordFn] = {
    ("finance", "loan_default"): _loan,
    ("commerce", "registration"): _registration,
    ("commerce", "abnormal_list"): _abnormal,
    ("commerce", "penalty"): lambda e, r, d: _penalty(e, r, d, "commerce"),
    ("tax", "major_violation"): _major,
    ("tax", "arrears"): _arrears,
    ("quality", "spot_check"): _spot,
    ("quality", "penalty"): lambda e, r, d: _penalty(e, r, d, "quality"),
    ("public_security", "case"): _case,
    ("public_security", "fire_penalty"): lambda e, r, d: _penalty(e, r, d, "public_security"),
}


def _record_day(e: Enterprise, rng: random.Random) -> dt.date:
    """A record date after the enterprise was established."""
    return _rand_date(rng, max(DATE_MIN, e.established), DATE_MAX)


def _exemplary(e: Enterprise) -> bool:
    """About one enterprise in eight keeps an A tax grade (stable for a seed: from its id)."""
    return zlib.crc32(e.eid.encode()) % 8 == 0 and e.established.year <= 2022


def records_for(key: tuple[str, str], e: Enterprise, rng: random.Random, k: int) -> list[dict[str, Any]]:
    """k clean records of one type about one enterprise (values are str/date/float/int/None); an
    individual business's as each department writes it (``individuals``)."""
    out = _records_for(key, e, rng, k)
    if "individual" in e.kinds:
        name_key = _name_key(key)
        for values in out:
            parts = individuals.record_parts(e, rng, key[0], e.parts)
            values[name_key], values[_PARTS] = parts.text, parts
            if "taxpayer_id" in values:
                values["taxpayer_id"] = individuals.record_taxpayer_id(e, rng)
    return out


_PARTS = "_parts"  # the name parts a record was written with (not a column: for the name mess)


@functools.lru_cache(maxsize=64)
def _name_key(key: tuple[str, str]) -> str:
    return next(c.key for c in load_catalog().get(*key).columns if c.identity == "name")


def _records_for(key: tuple[str, str], e: Enterprise, rng: random.Random, k: int) -> list[dict[str, Any]]:
    if key == ("tax", "credit_rating"):
        if _exemplary(e):  # rated A in each of the last three years: red-list candidates
            return [{**_rating(e, rng, y), "grade": "A"} for y in (2023, 2024, 2025)]
        first = max(2019, e.established.year)
        years = list(range(first, 2026))
        picked = sorted(rng.sample(years, min(k, len(years)))) if years else [2025]
        return [_rating(e, rng, y) for y in picked]
    fn = GENERATORS[key]
    return [fn(e, rng, _record_day(e, rng)) for _ in range(k)]
