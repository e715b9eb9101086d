"""The inbox of a source department's clerks: open objections and repair applications to answer.

Objections carry their working-day deadline (overdue first, then the soonest due); repair
applications are due ``repair.deadline_working_days`` working days after they were filed (5 while
policy.yaml names no other figure). Answers go through the workflows' own operations
(``credit.domain.objections``, ``credit.domain.repair``), which check the department, record the
decision as a new record version where it changes the record, and audit it; the enterprise sees
the answer on its own pages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit.domain.objections import reject_objection, uphold_objection
from credit.domain.policy import load_policy
from credit.domain.repair import approve_repair, reject_repair
from credit.domain.workflow_models import Objection, RepairApplication
from credit.domain.workflows import ROLE_CLERK, Actor, InvalidInput, require_role
from credit.domain.workingdays import add_working_days
from credit.kernel.catalog import load_catalog

log = logging.getLogger(__name__)

REPAIR_DEADLINE_DAYS = 5


@dataclass(frozen=True)
class InboxItem:
    """One thing waiting for the department's answer."""

    kind: str  # objection | repair
    id: int
    department: str
    record_type: str
    record_type_zh: str
    record_id: str
    enterprise_id: int
    filed_by: str
    filed_on: date
    due_on: date
    overdue: bool
    text: str  # the objection's reason, or the repair's proof
    extensions: int = 0


def repair_due(applied_on: date) -> date:
    """When the department owes its answer to a repair application."""
    days = load_policy()["repair"].get("deadline_working_days", REPAIR_DEADLINE_DAYS)
    return add_working_days(applied_on, int(days))


def _objection_item(o: Objection, at: date) -> InboxItem:
    rt = load_catalog().get(o.department, o.record_type)
    return InboxItem("objection", o.id, o.department, o.record_type, rt.zh, o.record_id, o.enterprise_id,
                     o.filed_by, o.filed_on, o.due_on, o.due_on < at, o.reason, o.extensions)


def _repair_item(r: RepairApplication, at: date) -> InboxItem:
    rt = load_catalog().get(r.department, r.record_type)
    due = repair_due(r.applied_on)
    return InboxItem("repair", r.id, r.department, r.record_type, rt.zh, r.record_id, r.enterprise_id,
                     r.applicant, r.applied_on, due, due < at, r.proof)


def _order(items: list[InboxItem]) -> list[InboxItem]:
    return sorted(items, key=lambda i: (not i.overdue, i.due_on, i.id))


@dataclass(frozen=True)
class Inbox:
    department: str
    at: date
    objections: list[InboxItem]
    repairs: list[InboxItem]

    @property
    def overdue(self) -> int:
        return sum(i.overdue for i in self.objections + self.repairs)


def department_inbox(session: Session, actor: Actor, at: date) -> Inbox:
    """The clerk's department's open objections and pending repairs on ``at``, overdue first."""
    require_role(actor, ROLE_CLERK)
    dept = actor.department or ""
    objections = session.scalars(select(Objection).where(Objection.department == dept, Objection.status == "open"))
    repairs = session.scalars(select(RepairApplication).where(RepairApplication.department == dept,
                                                              RepairApplication.status == "pending"))
    return Inbox(dept, at, _order([_objection_item(o, at) for o in objections]),
                 _order([_repair_item(r, at) for r in repairs]))


def answer_objection(session: Session, actor: Actor, objection_id: int, decision: str, *, reason: str, on: date,
                     corrected: dict[str, Any] | None = None) -> Objection:
    """uphold (revoke, or correct with ``corrected`` values, as a new version) or reject, with a reason."""
    if decision == "uphold":
        return uphold_objection(session, actor, objection_id, reason=reason, on=on, corrected=corrected)
    if decision == "reject":
        return reject_objection(session, actor, objection_id, reason=reason, on=on)
    raise InvalidInput(f"决定应为 uphold 或 reject / decision must be uphold or reject: {decision}")


def answer_repair(session: Session, actor: Actor, application_id: int, decision: str, *, reason: str,
                  on: date) -> RepairApplication:
    """approve (publication ends on ``on``) or refuse, with a reason."""
    if decision == "approve":
        return approve_repair(session, actor, application_id, reason=reason, on=on)
    if decision == "refuse":
        return reject_repair(session, actor, application_id, reason=reason, on=on)
    raise InvalidInput(f"决定应为 approve 或 refuse / decision must be approve or refuse: {decision}")
