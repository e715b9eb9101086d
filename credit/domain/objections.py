"""Objections (异议): an enterprise contests a record; the source department answers in time.

Deadline: the answer is due on the ``objection.deadline_working_days``-th working day after the
filing day (filing day not counted), on the Chinese calendar (credit/workingdays.py). One
extension adds ``extension_working_days`` working days to the due date and must be asked for on
or before it. An objection still open after its due date is overdue. Upheld objections correct or
revoke the record by appending a new source record version (``append_version``), never by
changing rows.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credit.domain import audit, search_index
from credit.domain.gate import ENTERPRISE, Record, Viewer, decide
from credit.domain.policy import load_policy
from credit.domain.profile import absorbed_ids, resolve_enterprise
from credit.domain.workflow_models import Objection
from credit.domain.workflows import (
    ROLE_ENTERPRISE,
    Actor,
    Conflict,
    InvalidInput,
    NotAllowed,
    NotFound,
    require_department,
    require_text,
)
from credit.domain.workingdays import add_working_days
from credit.kernel import keys
from credit.kernel.catalog import IDENTITY_ROLES, load_catalog
from credit.kernel.keys import KeyStore
from credit.kernel.models import Batch, SourceRecord
from credit.kernel.personal import PERSON_ROLE, identity_value, is_individual_code, plan_of
from matching.models import RecordLink

log = logging.getLogger(__name__)

OPEN, UPHELD, REJECTED = "open", "upheld", "rejected"
IDENTITY_COLUMNS = IDENTITY_ROLES  # the identity view columns of source_records


def current_version(session: Session, department: str, record_type: str, record_id: str) -> SourceRecord:
    """The newest version of a record; NotFound when the record does not exist."""
    stmt = (select(SourceRecord).where(
        SourceRecord.department == department, SourceRecord.record_type == record_type,
        SourceRecord.record_id == record_id).order_by(SourceRecord.version.desc()).limit(1))
    src = session.scalars(stmt).first()
    if src is None:
        raise NotFound(f"record {department}/{record_type}/{record_id} does not exist")
    return src


def linked_enterprise(session: Session, department: str, record_type: str, record_id: str) -> int:
    """The enterprise a record is linked to; NotFound when it is not linked."""
    eid = session.scalar(select(RecordLink.enterprise_id).where(
        RecordLink.department == department, RecordLink.record_type == record_type,
        RecordLink.record_id == record_id))
    if eid is None:
        raise NotFound(f"record {department}/{record_type}/{record_id} is not linked")
    return int(eid)


def own_record(session: Session, actor: Actor, department: str, record_type: str, record_id: str,
               on: date) -> tuple[SourceRecord, int]:
    """The newest version of a record of the acting enterprise that it may see on ``on``, and the
    enterprise. No such record, another enterprise's record and one hidden from the enterprise
    (政务共享) get one and the same NotFound: probing record ids teaches nothing."""
    if actor.role != ROLE_ENTERPRISE or actor.enterprise_id is None:
        raise NotAllowed(f"{actor} 不代表任何企业 / does not act for an enterprise")
    unknown = NotFound(f"本企业没有记录 {department}/{record_type}/{record_id} / "
                       f"your enterprise has no record {department}/{record_type}/{record_id}")
    load_catalog().get(department, record_type)
    try:
        src = current_version(session, department, record_type, record_id)
        enterprise_id = resolve_enterprise(session, linked_enterprise(session, department, record_type, record_id))
    except NotFound:
        raise unknown from None
    if enterprise_id != actor.enterprise_id:
        raise unknown
    record = Record(department, record_type, record_id, enterprise_id, src.version, json.loads(src.fields))
    if src.op != "revoke" and decide(record, Viewer(ENTERPRISE, actor.user, enterprise_id), on) is None:
        raise unknown
    return src, enterprise_id


def _identity_view(previous: SourceRecord, fields: dict[str, Any], store: Callable[[], KeyStore]) -> dict[str, Any]:
    """The identity columns of a new version: the previous ones, updated from corrected values
    (a corrected ID number as its pseudonym, like ingest stores it)."""
    view = {c: getattr(previous, c) for c in IDENTITY_COLUMNS}
    rt = load_catalog().get(previous.department, previous.record_type)
    old = json.loads(previous.fields or "{}")
    for role, key in rt.identity_columns.items():
        value = fields.get(key)
        if role in view and value != old.get(key):
            if isinstance(value, list):
                value = "；".join(str(v) for v in value)
            value = None if value in (None, "") else str(value).strip()
            needs_keys = role == PERSON_ROLE or is_individual_code(value)
            view[role] = identity_value(store(), role, value) if value and needs_keys else value
    return view


def append_version(
    session: Session, previous: SourceRecord, *, op: str, fields: dict[str, Any],
    by: str, note: str,
) -> SourceRecord:
    """Append a corrected (op='upsert') or revoking (op='revoke') version with its own batch row.

    The identity view (what matching sees) follows corrected identity values, so a corrected
    name or code reaches the next resolution run. Personal values are stored as ingest stores
    them: sealed in the fields, pseudonymised in the identity columns; the hashes cover only
    what is stored (no clear personal value)."""
    plan = plan_of(previous.department, previous.record_type)
    stored = plan.seal(fields, keys.current()) if plan.needs_sealing(fields) else fields
    text = json.dumps(stored, ensure_ascii=False, sort_keys=True)
    digest = hashlib.sha256(f"{previous.id}|{op}|{note}|{text}".encode()).hexdigest()
    batch = Batch(department=previous.department, record_type=previous.record_type,
                  filename=note, file_hash=digest, file_format="correction", uploaded_by=by,
                  rows_read=1, loaded=1, new_versions=1,
                  source_floor=select(func.max(SourceRecord.id)).scalar_subquery())
    session.add(batch)
    session.flush()
    version = session.scalar(select(func.max(SourceRecord.version)).where(
        SourceRecord.department == previous.department,
        SourceRecord.record_type == previous.record_type,
        SourceRecord.record_id == previous.record_id)) or 0
    src = SourceRecord(
        department=previous.department, record_type=previous.record_type,
        record_id=previous.record_id, version=version + 1, op=op, content_hash=digest[:32],
        fields=text, raw=json.dumps({"correction": note, "by": by}, ensure_ascii=False),
        flags=None, batch_id=batch.id, file_hash=digest, row_number=1,
        **_identity_view(previous, fields, keys.current),
    )
    session.add(src)
    session.flush()
    log.info("appended %s version %d of %s/%s/%s", op, src.version, src.department,
             src.record_type, src.record_id)
    return src


def _get(session: Session, objection_id: int) -> Objection:
    obj = session.get(Objection, objection_id)
    if obj is None:
        raise NotFound(f"objection {objection_id} does not exist")
    return obj


def _log(session: Session, actor: Actor, action: str, obj: Objection, reason: str | None,
         **details: Any) -> None:
    audit.record(session, actor=str(actor), action=action, subject=f"objection:{obj.id}",
                 reason=reason, enterprise_id=obj.enterprise_id,
                 details={"record": f"{obj.department}/{obj.record_type}/{obj.record_id}",
                          "status": obj.status, **details})


def file_objection(
    session: Session, actor: Actor, department: str, record_type: str, record_id: str, *,
    reason: str, on: date, evidence: str | None = None,
) -> Objection:
    """The enterprise (or a person for it) objects to a record; the deadline starts counting."""
    reason = require_text(reason, "the reason of the objection")
    src, enterprise_id = own_record(session, actor, department, record_type, record_id, on)
    if src.op == "revoke":
        raise Conflict("the record has been revoked")
    if session.scalar(select(Objection.id).where(
            Objection.department == department, Objection.record_type == record_type,
            Objection.record_id == record_id, Objection.status == OPEN)):
        raise Conflict("an objection to this record is already open")
    days = load_policy()["objection"]["deadline_working_days"]
    obj = Objection(department=department, record_type=record_type, record_id=record_id,
                    enterprise_id=enterprise_id, version=src.version, filed_by=actor.user,
                    reason=reason, evidence=evidence, filed_on=on,
                    due_on=add_working_days(on, days), extensions=0, status=OPEN)
    session.add(obj)
    session.flush()
    _log(session, actor, "objection.file", obj, reason, due_on=obj.due_on)
    search_index.renew_cards(session, [enterprise_id])  # 异议处理中 on its hit at once
    return obj


def _open_for_department(session: Session, actor: Actor, objection_id: int) -> Objection:
    obj = _get(session, objection_id)
    require_department(actor, obj.department)
    if obj.status != OPEN:
        raise Conflict(f"objection {obj.id} is already {obj.status}")
    return obj


def extend_objection(session: Session, actor: Actor, objection_id: int, *, reason: str,
                     on: date) -> Objection:
    """The source department extends the deadline, once, on or before the due date."""
    reason = require_text(reason, "the reason of the extension")
    obj = _open_for_department(session, actor, objection_id)
    pol = load_policy()["objection"]
    if on < obj.filed_on:
        raise InvalidInput("an extension cannot predate the objection")
    if obj.extensions >= pol["max_extensions"]:
        raise Conflict(f"objection {obj.id} has already been extended")
    if on > obj.due_on:
        raise Conflict(f"objection {obj.id} was due {obj.due_on}; too late to extend")
    obj.due_on = add_working_days(obj.due_on, pol["extension_working_days"])
    obj.extensions += 1
    obj.extension_reason = reason
    _log(session, actor, "objection.extend", obj, reason, due_on=obj.due_on)
    return obj


def _decide(obj: Objection, actor: Actor, status: str, reason: str, on: date) -> None:
    if on < obj.filed_on:
        raise InvalidInput("a decision cannot predate the objection")
    obj.status, obj.decided_on, obj.decided_by, obj.decision_reason = status, on, actor.user, reason


def uphold_objection(
    session: Session, actor: Actor, objection_id: int, *, reason: str, on: date,
    corrected: dict[str, Any] | None = None,
) -> Objection:
    """Uphold: revoke the record, or (with ``corrected`` values) append a corrected version."""
    reason = require_text(reason, "the reason of the decision")
    obj = _open_for_department(session, actor, objection_id)
    src = current_version(session, obj.department, obj.record_type, obj.record_id)
    fields = json.loads(src.fields)
    if corrected:
        rt = load_catalog().get(obj.department, obj.record_type)
        unknown = (set(corrected) - {c.key for c in rt.columns}) | ({"record_id", "op"} & set(corrected))
        if unknown:
            raise InvalidInput(f"cannot correct {sorted(unknown)}")
        fields.update(corrected)
    op = "upsert" if corrected else "revoke"
    new = append_version(session, src, op=op, fields=fields, by=actor.user,
                         note=f"objection:{obj.id} upheld")
    _decide(obj, actor, UPHELD, reason, on)
    obj.correction_source_id = new.id
    _log(session, actor, "objection.uphold", obj, reason, op=op, version=new.version,
         corrected=sorted(corrected or {}))
    session.flush()
    search_index.reindex(session, [obj.enterprise_id])  # a revoked or corrected record, found as it is now
    return obj


def reject_objection(session: Session, actor: Actor, objection_id: int, *, reason: str,
                     on: date) -> Objection:
    """Reject: the record stands; the reason is recorded."""
    reason = require_text(reason, "the reason of the rejection")
    obj = _open_for_department(session, actor, objection_id)
    _decide(obj, actor, REJECTED, reason, on)
    _log(session, actor, "objection.reject", obj, reason)
    session.flush()
    search_index.renew_cards(session, [obj.enterprise_id])  # no longer pending
    return obj


def overdue_objections(session: Session, at: date) -> list[Objection]:
    """Open objections whose due date is before ``at``, oldest due first (for regulators)."""
    stmt = select(Objection).where(Objection.status == OPEN, Objection.due_on < at)
    return list(session.scalars(stmt.order_by(Objection.due_on, Objection.id)))


def objections_about(session: Session, enterprise_id: int) -> list[Objection]:
    """Every objection the enterprise (or an id merged into it) has filed, oldest first."""
    ids = absorbed_ids(session, resolve_enterprise(session, enterprise_id))
    stmt = select(Objection).where(Objection.enterprise_id.in_(ids))
    return list(session.scalars(stmt.order_by(Objection.id)))
