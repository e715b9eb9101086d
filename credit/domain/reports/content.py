"""What a credit report says: the gated profile and its rating, turned into labelled rows.

Nothing here reads records: the profile comes from ``queries.view_profile`` (the disclosure gate,
with its audit entry) and the rating is scored from that same profile's records
(``rating.score_records``), so a report never shows more than its viewer may see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from credit.domain.gate import Disclosed
from credit.domain.policy import load_policy
from credit.domain.profile import Profile, viewer_label
from credit.domain.rating import Rating, grade_of, score_records
from credit.kernel.catalog import load_catalog


def value_text(value: Any) -> str:
    """A field value as a reader sees it: lists joined with ；, booleans 是/否, nothing as —."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        return "；".join(str(v) for v in value)
    return str(value)


def rating_of(profile: Profile) -> Rating:
    """The composite grade from exactly the records the profile's viewer sees."""
    score, lines = score_records(profile.records, profile.as_of)
    return Rating(profile.enterprise_id, profile.as_of, profile.viewer, load_policy()["rating"]["base"],
                  score, grade_of(score), lines)


@dataclass(frozen=True)
class RecordBlock:
    """One record: a heading line and its labelled values."""

    heading: str
    rows: list[tuple[str, str]]


@dataclass(frozen=True)
class Section:
    """One record type of one department, with its records."""

    title: str
    records: list[RecordBlock]


@dataclass(frozen=True)
class ReportContent:
    """Everything the PDF prints, already in words."""

    number: str
    made_at: datetime  # UTC
    as_of: date
    viewer: str
    viewer_text: str
    basis: str | None
    enterprise_id: int
    requested_id: int
    name: str | None
    identity: list[tuple[str, str]]
    rating: Rating
    grade_rules: list[str]
    sections: list[Section] = field(default_factory=list)
    verify_url: str = ""


def _identity_rows(profile: Profile) -> list[tuple[str, str]]:
    ident = profile.identity
    return [("企业名称 Name", value_text(ident.name)), ("曾用名 Former names", value_text(list(ident.former_names))),
            ("统一社会信用代码 USCC", value_text(ident.uscc)), ("注册号 Registration no.", value_text(ident.reg_no)),
            ("组织机构代码 Organization code", value_text(ident.org_code)),
            ("纳税人识别号 Taxpayer id", value_text(ident.taxpayer_id)),
            ("法定代表人 Legal representative", value_text(ident.legal_rep)),
            ("登记状态 Status", value_text(ident.status)), ("住所 Address", value_text(ident.address)),
            ("身份信息来源 Identity from", value_text(ident.source))]


def _publicity_text(record: Disclosed) -> str:
    pub = record.publicity
    if not pub.published:
        return f"不公示 not published {pub.note}".strip()
    window = f"{pub.start or '—'} 至 to {pub.last_day or '长期 open-ended'}"
    return f"{window} {pub.note}".strip()


def _record_block(record: Disclosed) -> RecordBlock:
    rt = load_catalog().get(record.department, record.record_type)
    marks = f"  【{'，'.join(record.marks)}】" if record.marks else ""
    p = record.provenance
    rows = [("公开程度 Openness", record.openness), ("记录日期 Date", value_text(record.record_date)),
            ("公示期 Publicity", _publicity_text(record)),
            ("来源 Source", f"{record.department_zh}（批次 batch {p['batch_id']}，行 row {p['row_number']}，"
                           f"版本 version {p['version']}）")]
    rows += [(f"{col.zh} {col.key}", value_text(record.fields.get(col.key))) for col in rt.columns
             if col.key != "record_id" and record.fields.get(col.key) not in (None, "", [])]
    return RecordBlock(f"{record.record_id}{marks}", rows)


def _sections(profile: Profile) -> list[Section]:
    catalog = load_catalog()
    return [Section(f"{catalog.get(dept, rtype).label}（{len(records)} 条 records）", [_record_block(r) for r in records])
            for dept, types in profile.sections.items() for rtype, records in types.items()]


def _grade_rules() -> list[str]:
    pol = load_policy()["rating"]
    grades = "；".join(f"{g['grade']} ≥ {g['min']}" if g["min"] is not None else f"{g['grade']} 其余 otherwise"
                       for g in pol["grades"])
    rules = [f"{r['points']:+d} {r['label']}" for r in pol["rules"]]
    return [f"基础分 base {pol['base']}，加上每条可见记录的分值 plus the points of each visible record：", *rules,
            f"等级 grades: {grades}"]


def build_content(profile: Profile, *, number: str, made_at: datetime, basis: str | None, viewer_text: str,
                  verify_url: str) -> ReportContent:
    """The words of a report on ``profile`` (a gated view), numbered ``number``."""
    return ReportContent(
        number=number, made_at=made_at, as_of=profile.as_of, viewer=profile.viewer,
        viewer_text=viewer_text or viewer_label(profile.viewer), basis=basis,
        enterprise_id=profile.enterprise_id, requested_id=profile.requested_id, name=profile.identity.name,
        identity=_identity_rows(profile), rating=rating_of(profile), grade_rules=_grade_rules(),
        sections=_sections(profile), verify_url=verify_url)
