"""The unified enterprise profile: current identity and current records, through the gate.

Only the current version of each linked record counts; a record whose current version is a
revoke is left out. A merged enterprise id leads to its successor, and records still linked to
ids merged into an enterprise are part of its profile.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credit.domain.gate import Disclosed, Record, Viewer, disclose
from credit.domain.workflows import NotFound
from credit.kernel.catalog import load_catalog
from credit.kernel.models import SourceRecord
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


def successor_map(session: Session) -> dict[int, int]:
    """Every merged enterprise id -> its current id, in one query (for whole-table work)."""
    successors: dict[int, int] = {old: int(new or 0) for old, new in session.execute(
        select(Enterprise.id, Enterprise.successor_id).where(Enterprise.successor_id.is_not(None))
    ).all()}
    out: dict[int, int] = {}
    for start in successors:
        current, seen = start, {start}
        while current in successors and successors[current] not in seen:
            current = successors[current]
            seen.add(current)
        out[start] = current
    return out


def absorbed_ids(session: Session, enterprise_id: int) -> set[int]:
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


_COLUMNS = (SourceRecord.department, SourceRecord.record_type, SourceRecord.record_id,
            SourceRecord.version, SourceRecord.fields, SourceRecord.batch_id,
            SourceRecord.file_hash, SourceRecord.row_number)


def current_records(
    session: Session, enterprise_ids: Iterable[int] | None = None,
    types: Iterable[tuple[str, str]] | None = None,
) -> list[Record]:
    """Current, not revoked versions of the records linked to the enterprises (None: all).

    ``types`` limits the (department, record_type) pairs read. Plain columns are selected (no ORM
    objects), and for given enterprises the latest-version search covers only their records, so
    one profile does not scan the whole table.
    """
    key = (SourceRecord.department, SourceRecord.record_type, SourceRecord.record_id)
    link_on = ((RecordLink.department == SourceRecord.department)
               & (RecordLink.record_type == SourceRecord.record_type)
               & (RecordLink.record_id == SourceRecord.record_id))
    latest_q = select(*key, func.max(SourceRecord.version).label("v"))
    if enterprise_ids is not None:
        ids = list(enterprise_ids)
        if not ids:
            return []
        latest_q = latest_q.join(RecordLink, link_on).where(RecordLink.enterprise_id.in_(ids))
    type_filter = None
    if types is not None:
        pairs = list(types)
        if not pairs:
            return []
        depts = {d for d, _ in pairs}
        rtypes = {t for _, t in pairs}
        type_filter = SourceRecord.department.in_(depts) & SourceRecord.record_type.in_(rtypes)
        latest_q = latest_q.where(type_filter)
    latest = latest_q.group_by(*key).subquery()
    stmt = (
        select(*_COLUMNS, RecordLink.enterprise_id)
        .join(latest, (latest.c.department == SourceRecord.department)
              & (latest.c.record_type == SourceRecord.record_type)
              & (latest.c.record_id == SourceRecord.record_id)
              & (latest.c.v == SourceRecord.version))
        .join(RecordLink, link_on)
        .where(SourceRecord.op != "revoke")
        .order_by(SourceRecord.department, SourceRecord.record_type, SourceRecord.record_id)
    )
    if enterprise_ids is not None:
        stmt = stmt.where(RecordLink.enterprise_id.in_(ids))
    wanted = set(pairs) if types is not None else None
    return [Record(dept, rtype, rid, eid, version, orjson.loads(fields), batch, fhash, row)
            for dept, rtype, rid, version, fields, batch, fhash, row, eid in session.execute(stmt)
            if wanted is None or (dept, rtype) in wanted]


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
    uscc = values.get("uscc")
    if isinstance(uscc, str) and len(uscc) == 18:
        # GB 32100: characters 9-17 are the organization code; the taxpayer id is the USCC
        values["org_code"] = values.get("org_code") or f"{uscc[8:16]}-{uscc[16]}"
        values["taxpayer_id"] = values.get("taxpayer_id") or uscc
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


def build_profile(session: Session, enterprise_id: int, viewer: Viewer, at: date | None = None, *,
                  today: date | None = None) -> Profile:
    """The profile of an enterprise (or its successor) as ``viewer`` may see it on ``at``; with
    ``today``, a public or authorised view of another date keeps only what is public today too."""
    at = at or date.today()
    current = resolve_enterprise(session, enterprise_id)
    ids = absorbed_ids(session, current)
    records = [r if r.enterprise_id == current else _rehome(r, current)
               for r in current_records(session, ids)]
    shown = disclose(session, _rescope(viewer, enterprise_id, current), at, records, today=today)
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


VIEWER_LABELS = {"public": "公众 public", "authorised": "授权查询方 authorised querier",
                 "enterprise": "企业本身 the enterprise", "government": "政务用户 government"}


def viewer_label(kind: str) -> str:
    """A viewer kind as a regulator reads it: Chinese first, English second."""
    return VIEWER_LABELS.get(kind, kind)
