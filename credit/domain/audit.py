"""The append-only, hash-chained audit log of credit decisions, grants, queries and exports.

Each entry stores the hash of the previous entry and ``sha256(prev_hash + content)`` of its own
canonical content, so changing, removing or reordering any entry breaks every later hash.
``prev_hash`` is unique: two writers racing for the same chain position cannot both commit.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from credit.domain.workflow_models import AuditEntry
from credit.kernel.models import utcnow

log = logging.getLogger(__name__)

GENESIS = "0" * 64


class AuditTampering(RuntimeError):
    """An audit entry was about to be updated or deleted."""


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(_mapper: Any, _conn: Any, target: AuditEntry) -> None:
    raise AuditTampering(f"audit entry {target.id} is append-only")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(_mapper: Any, _conn: Any, target: AuditEntry) -> None:
    raise AuditTampering(f"audit entry {target.id} is append-only")


def _content(entry: AuditEntry) -> str:
    return json.dumps(
        {
            "at": entry.at.isoformat(timespec="microseconds"), "actor": entry.actor,
            "action": entry.action, "subject": entry.subject, "reason": entry.reason,
            "details": entry.details,
        },
        ensure_ascii=False, sort_keys=True,
    )


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    """sha256 over the previous hash and the entry's canonical content."""
    return hashlib.sha256((prev_hash + _content(entry)).encode("utf-8")).hexdigest()


def _last_hash(session: Session) -> str:
    session.flush()
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()
    return last.entry_hash if last else GENESIS


def record(
    session: Session, *, actor: str, action: str, subject: str,
    reason: str | None = None, details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry: who (actor), did what (action) to what (subject), and why."""
    entry = AuditEntry(
        at=at or utcnow(), actor=actor,
        action=action, subject=subject, reason=reason,
        details=json.dumps(details or {}, ensure_ascii=False, sort_keys=True, default=str),
    )
    entry.prev_hash = _last_hash(session)
    entry.entry_hash = entry_hash(entry.prev_hash, entry)
    session.add(entry)
    session.flush()
    log.info("audit %s %s %s", actor, action, subject)
    return entry


@dataclass(frozen=True)
class Verification:
    """The result of checking the chain: ok, how many entries, and the first broken one."""

    ok: bool
    entries: int
    broken_id: int | None = None
    problem: str = ""


def verify(session: Session) -> Verification:
    """Walk the chain from the first entry and check every link and hash."""
    prev = GENESIS
    count = 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        count += 1
        if entry.prev_hash != prev:
            return Verification(False, count, entry.id, "previous hash does not match")
        if entry.entry_hash != entry_hash(prev, entry):
            return Verification(False, count, entry.id, "content does not match its hash")
        prev = entry.entry_hash
    return Verification(True, count)


def entries_about(session: Session, subject: str) -> list[AuditEntry]:
    """Entries about one subject (e.g. 'objection:3'), oldest first."""
    stmt = select(AuditEntry).where(AuditEntry.subject == subject)
    return list(session.scalars(stmt.order_by(AuditEntry.id)))
