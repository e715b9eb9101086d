"""Credit repair (信用修复): ending a record's publication early, after its minimum period.

An application is refused at once, with the reason, when the record's type cannot be repaired,
when a penalty carries 吊销许可证件 / 责令停产停业 (no early repair), when publication has
already ended, when the minimum period has not passed (with the first date it becomes
possible), or when a policy check fails (still on the abnormal-operation list, a repeat
violation of the same kind). Otherwise it is pending until the source department approves it
(publication ends on the approval date) or rejects it.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit.domain import audit, search_index
from credit.domain.gate import Record, Viewer, decide
from credit.domain.objections import own_record
from credit.domain.policy import classify_penalty, load_policy, publicity_of, to_date
from credit.domain.profile import absorbed_ids, current_records, resolve_enterprise
from credit.domain.workflow_models import RepairApplication
from credit.domain.workflows import (
    Actor,
    Conflict,
    NotFound,
    require_department,
    require_text,
)
from credit.kernel.catalog import load_catalog

log = logging.getLogger(__name__)

PENDING, APPROVED, REJECTED, REFUSED = "pending", "approved", "rejected", "refused"


def _not_abnormal_listed(session: Session, record: Record, on: date) -> str | None:
    ids = absorbed_ids(session, record.enterprise_id)
    for other in current_records(session, ids, types=[("commerce", "abnormal_list")]):
        if decide(other, Viewer.public(), on) is not None:
            return f"仍在经营异常名录中（{other.record_id}）"
    return None


def _no_repeat_violation(session: Session, record: Record, on: date) -> str | None:
    kind = record.fields.get("violation_type")
    since = to_date(record.fields.get("decision_date"))
    if not kind or since is None:
        return None
    for other in current_records(session, absorbed_ids(session, record.enterprise_id)):
        if other.key == record.key or other.fields.get("violation_type") != kind:
            continue
        when = to_date(other.fields.get("decision_date"))
        if when is not None and since < when <= on:
            return f"再次发生同类违法行为（{other.record_id}，{when}）"
    return None


CHECKS = {"not_abnormal_listed": _not_abnormal_listed, "no_repeat_violation": _no_repeat_violation}


def _refusal(session: Session, record: Record, on: date) -> tuple[str, date | None] | None:
    """Why the application cannot be accepted (and from when it could be), or None."""
    rt = load_catalog().get(record.department, record.record_type)
    if rt.publicity not in load_policy()["repair"]["repairable_rules"]:
        return f"{rt.zh}不适用信用修复", None
    if rt.publicity == "penalty":
        blocked = classify_penalty(rt.department, rt.name, record.fields).no_early_repair
        if blocked:
            return f"{'、'.join(blocked)}类处罚不予提前修复", None
    window = publicity_of(rt, record.fields)
    if not window.is_public(on):
        return "该记录当前未在公示期内，无需修复", None
    if (window.repair_from is not None and window.last_day is not None
            and window.repair_from > window.last_day):
        return (f"最短公示期即最长公示期，{window.last_day.isoformat()} 公示期满自动停止公示，"
                "不适用提前修复"), None
    if window.repair_from is not None and on < window.repair_from:
        return f"最短公示期未满，{window.repair_from.isoformat()} 起可申请", window.repair_from
    for name in load_policy()["repair"]["checks"]:
        problem = CHECKS[name](session, record, on)
        if problem:
            return problem, None
    return None


def _log(session: Session, actor: Actor, action: str, app: RepairApplication, reason: str | None,
         **details: Any) -> None:
    audit.record(session, actor=str(actor), action=action, subject=f"repair:{app.id}",
                 reason=reason, enterprise_id=app.enterprise_id,
                 details={"record": f"{app.department}/{app.record_type}/{app.record_id}",
                          "status": app.status, **details})


def apply_for_repair(
    session: Session, actor: Actor, department: str, record_type: str, record_id: str, *,
    proof: str, on: date,
) -> RepairApplication:
    """The enterprise applies with its proof; refused at once (status 'refused') or pending."""
    proof = require_text(proof, "proof of correction")
    src, enterprise_id = own_record(session, actor, department, record_type, record_id, on)
    if src.op == "revoke":
        raise Conflict("the record has been revoked")
    if session.scalar(select(RepairApplication.id).where(
            RepairApplication.department == department, RepairApplication.record_type == record_type,
            RepairApplication.record_id == record_id,
            RepairApplication.status.in_([PENDING, APPROVED]))):
        raise Conflict("a repair application for this record is pending or approved")
    record = Record(department, record_type, record_id, enterprise_id, src.version,
                    json.loads(src.fields))
    refusal = _refusal(session, record, on)
    app = RepairApplication(
        department=department, record_type=record_type, record_id=record_id,
        enterprise_id=enterprise_id, applicant=actor.user, proof=proof, applied_on=on,
        status=REFUSED if refusal else PENDING,
        possible_from=refusal[1] if refusal else None, reason=refusal[0] if refusal else None,
        decided_on=on if refusal else None, decided_by="policy" if refusal else None,
    )
    session.add(app)
    session.flush()
    _log(session, actor, "repair.refuse" if refusal else "repair.apply", app,
         refusal[0] if refusal else proof, possible_from=app.possible_from)
    return app


def _pending(session: Session, actor: Actor, application_id: int) -> RepairApplication:
    app = session.get(RepairApplication, application_id)
    if app is None:
        raise NotFound(f"repair application {application_id} does not exist")
    require_department(actor, app.department)
    if app.status != PENDING:
        raise Conflict(f"repair application {app.id} is {app.status}")
    return app


def approve_repair(session: Session, actor: Actor, application_id: int, *, reason: str,
                   on: date) -> RepairApplication:
    """The source department approves: publication ends on ``on`` (last public day on - 1)."""
    reason = require_text(reason, "the reason of the approval")
    app = _pending(session, actor, application_id)
    if on < app.applied_on:
        raise Conflict("an approval cannot predate the application")
    app.status, app.decided_on, app.decided_by, app.reason = APPROVED, on, actor.user, reason
    _log(session, actor, "repair.approve", app, reason, effective=on)
    session.flush()
    search_index.reindex(session, [resolve_enterprise(session, app.enterprise_id)])  # ended: found no more
    return app


def reject_repair(session: Session, actor: Actor, application_id: int, *, reason: str,
                  on: date) -> RepairApplication:
    """The source department rejects the application; the reason is recorded."""
    reason = require_text(reason, "the reason of the rejection")
    app = _pending(session, actor, application_id)
    app.status, app.decided_on, app.decided_by, app.reason = REJECTED, on, actor.user, reason
    _log(session, actor, "repair.reject", app, reason)
    return app


def repairs_about(session: Session, enterprise_id: int) -> list[RepairApplication]:
    """Every repair application of the enterprise (or an id merged into it), oldest first."""
    ids = absorbed_ids(session, resolve_enterprise(session, enterprise_id))
    stmt = select(RepairApplication).where(RepairApplication.enterprise_id.in_(ids))
    return list(session.scalars(stmt.order_by(RepairApplication.id)))
