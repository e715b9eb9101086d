"""The unified enterprise profile: current identity and current records, through the gate.

Only the current version of each linked record counts; a record whose current version is a
revoke is left out. A merged enterprise id leads to its successor, and records still linked to
ids merged into an enterprise are part of its profile.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credit.catalog import load_catalog
from credit.gate import Disclosed, Record, Viewer, disclose
from credit.models import SourceRecord
from credit.workflows import NotFound
from matching.models import Enterprise, RecordLink

log = logging.getLogger(__name__)

IDENTITY_ROLES = ("name", "former_names", "uscc", "reg_no", "org_code", "taxpayer_id",
                  "legal_rep", "address")
REGISTRATION = ("commerce", "registration")


def resolve_enterprise(session: Session, enterprise_id: int) -> int:
    """The current id of an enterprise: follows merged ids to their successor."""
    seen: set[int] = set()
    current = enterprise_id
    while True:
        ent = session.get(Enterprise, current)
        if ent is None:
            raise NotFound(f"enterprise {enterprise_id} does not exist")
        if ent.successor_id is None or current in seen:
            return current
        seen.add(current)
        current = ent.successor_id


def _absorbed_ids(session: Session, enterprise_id: int) -> set[int]:
    """The enterprise and every id merged (directly or not) into it."""
    successors = dict(session.execute(
        select(Enterprise.id, Enterprise.successor_id).where(Enterprise.successor_id.is_not(None))
    ).all())
    ids = {enterprise_id}
    changed = True
    while changed:
        new = {old for old, succ in successors.items() if succ in ids} - ids
        ids |= new
        changed = bool(new)
    return ids


def current_records(session: Session, enterprise_ids: Iterable[int] | None = None) -> list[Record]:
    """Current, not revoked versions of the records linked to the enterprises (None: all)."""
    key = (SourceRecord.department, SourceRecord.record_type, SourceRecord.record_id)
    latest = select(*key, func.max(SourceRecord.version).label("v")).group_by(*key).subquery()
    stmt = (
        select(SourceRecord, RecordLink.enterprise_id)
        .join(latest, (latest.c.department == SourceRecord.department)
              & (latest.c.record_type == SourceRecord.record_type)
              & (latest.c.record_id == SourceRecord.record_id)
              & (latest.c.v == SourceRecord.version))
        .join(RecordLink, (RecordLink.department == SourceRecord.department)
              & (RecordLink.record_type == SourceRecord.record_type)
              & (RecordLink.record_id == SourceRecord.record_id))
        .where(SourceRecord.op != "revoke")
        .order_by(SourceRecord.department, SourceRecord.record_type, SourceRecord.record_id)
    )
    if enterprise_ids is not None:
        stmt = stmt.where(RecordLink.enterprise_id.in_(list(enterprise_ids)))
    return [_record(src, eid) for src, eid in session.execute(stmt)]


def _record(src: SourceRecord, enterprise_id: int) -> Record:
    return Record(src.department, src.record_type, src.record_id, enterprise_id, src.version,
                  json.loads(src.fields), src.batch_id, src.file_hash, src.row_number)


@dataclass(frozen=True)
class Identity:
    """Who the enterprise is, as far as the viewer's records tell, and from which record."""

    name: str | None = None
    former_names: tuple[str, ...] = ()
    uscc: str | None = None
    reg_no: str | None = None
    org_code: str | None = None
    taxpayer_id: str | None = None
    legal_rep: str | None = None
    address: str | None = None
    status: str | None = None
    source: str | None = None


def _identity_of(record: Disclosed) -> Identity:
    rt = load_catalog().get(record.department, record.record_type)
    roles = rt.identity_columns
    values: dict[str, Any] = {r: record.fields.get(roles[r]) for r in IDENTITY_ROLES if r in roles}
    values["former_names"] = tuple(values.get("former_names") or ())
    if "uscc" not in values and record.department == "tax":
        tid = record.fields.get("taxpayer_id")
        values["uscc"] = tid if tid and len(tid) == 18 else None
    return Identity(**values, status=record.fields.get("status"),
                    source=f"{record.department}/{record.record_type}/{record.record_id}")


def identity(records: list[Disclosed]) -> Identity:
    """The registration record's identity, else the most recent record's."""
    if not records:
        return Identity()
    regs = [r for r in records if (r.department, r.record_type) == REGISTRATION]
    if regs:
        return _identity_of(max(regs, key=lambda r: (r.record_date or date.min, r.provenance["version"])))
    return _identity_of(max(records, key=lambda r: (r.record_date or date.min, r.record_id)))


@dataclass(frozen=True)
class Profile:
    """One enterprise as one viewer sees it on one date."""

    requested_id: int
    enterprise_id: int
    enterprise_status: str
    viewer: str
    as_of: date
    identity: Identity
    sections: dict[str, dict[str, list[Disclosed]]] = field(default_factory=dict)

    @property
    def records(self) -> list[Disclosed]:
        return [r for types in self.sections.values() for rs in types.values() for r in rs]


def _sections(records: list[Disclosed]) -> dict[str, dict[str, list[Disclosed]]]:
    out: dict[str, dict[str, list[Disclosed]]] = {}
    ordered = sorted(records, key=lambda r: (r.record_date or date.min), reverse=True)
    for r in ordered:
        out.setdefault(r.department, {}).setdefault(r.record_type, []).append(r)
    return out


def build_profile(session: Session, enterprise_id: int, viewer: Viewer, at: date | None = None) -> Profile:
    """The profile of an enterprise (or its successor) as ``viewer`` may see it on ``at``."""
    at = at or date.today()
    current = resolve_enterprise(session, enterprise_id)
    ids = _absorbed_ids(session, current)
    records = [r if r.enterprise_id == current else _rehome(r, current)
               for r in current_records(session, ids)]
    shown = disclose(session, _rescope(viewer, enterprise_id, current), at, records)
    ent = session.get(Enterprise, current)
    return Profile(enterprise_id, current, ent.status if ent else "", viewer.kind, at,
                   identity(shown), _sections(shown))


def _rehome(record: Record, enterprise_id: int) -> Record:
    return Record(record.department, record.record_type, record.record_id, enterprise_id,
                  record.version, record.fields, record.batch_id, record.file_hash,
                  record.row_number)


def _rescope(viewer: Viewer, requested: int, current: int) -> Viewer:
    if viewer.enterprise_id == requested and requested != current:
        return Viewer(viewer.kind, viewer.user, current, viewer.grant_id, viewer.valid_until)
    return viewer


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "；".join(str(v) for v in value)
    return str(value)


def _render_record(record: Disclosed) -> list[str]:
    rt = load_catalog().get(record.department, record.record_type)
    p = record.provenance
    head = (f"  - {record.record_id} [{record.openness}] "
            f"{' '.join(record.marks)} (batch {p['batch_id']}, file {str(p['file_hash'])[:12]}, "
            f"row {p['row_number']}, v{p['version']})")
    lines = [head.replace("]  (", "] (")]
    pub = record.publicity
    if pub.published and (pub.start or pub.last_day):
        lines.append(f"      公示期: {pub.start or ''} 至 {pub.last_day or '—'} {pub.note}".rstrip())
    for col in rt.columns:
        if col.key in record.fields and record.fields[col.key] not in (None, "", []):
            lines.append(f"      {col.zh}: {_value_text(record.fields[col.key])}")
    return lines


def render_profile(profile: Profile) -> str:
    """The profile as printable text (Chinese labels), for the CLI."""
    ident = profile.identity
    lines = [
        f"企业 {profile.enterprise_id}"
        + (f" (请求 {profile.requested_id}, 已合并)" if profile.requested_id != profile.enterprise_id else "")
        + f" — 视角 {profile.viewer}, 日期 {profile.as_of.isoformat()}",
        f"名称: {ident.name or ''}  曾用名: {'；'.join(ident.former_names)}",
        f"统一社会信用代码: {ident.uscc or ''}  注册号: {ident.reg_no or ''}  "
        f"组织机构代码: {ident.org_code or ''}",
        f"法定代表人: {ident.legal_rep or ''}  登记状态: {ident.status or ''}  住所: {ident.address or ''}",
    ]
    catalog = load_catalog()
    for dept, types in profile.sections.items():
        for rtype, records in types.items():
            lines.append(f"{catalog.get(dept, rtype).label}: {len(records)}")
            for record in records:
                lines.extend(_render_record(record))
    return "\n".join(lines)
