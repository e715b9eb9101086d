"""The append-only, hash-chained audit log of uploads, views, queries, exports and decisions.

Each entry stores the hash of the previous entry and ``sha256(prev_hash + content)`` of its own
canonical content, so changing, removing or reordering any entry breaks every later hash.
``prev_hash`` is unique: two writers racing for the same chain position cannot both commit, and
writers queue for their turn (``_take_write_turn``) instead of failing. Every committing
transaction seals the new head with a signed checkpoint (credit/domain/audit_seal.py), so a
truncated tail or a chain rewritten without the platform key is detected too.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from credit.domain import audit_seal
from credit.domain.audit_seal import Seal, WitnessRead
from credit.domain.workflow_models import AuditEntry
from credit.domain.workflows import GOVERNMENT_ROLES, ROLE_ENTERPRISE, Actor
from credit.kernel.errors import NotAllowed, NotFound
from credit.kernel.models import utcnow

log = logging.getLogger(__name__)

GENESIS = "0" * 64
_PG_LOCK = 0x4C5A415544495421  # "LZAUDIT!": serialises audit writers on PostgreSQL


class AuditTampering(RuntimeError):
    """An audit entry was about to be updated or deleted."""


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(_mapper: Any, _conn: Any, target: AuditEntry) -> None:
    raise AuditTampering(f"audit entry {target.id} is append-only")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(_mapper: Any, _conn: Any, target: AuditEntry) -> None:
    raise AuditTampering(f"audit entry {target.id} is append-only")


def _content(entry: Any) -> str:
    content = {"at": entry.at.isoformat(timespec="microseconds"), "actor": entry.actor, "action": entry.action,
               "subject": entry.subject, "reason": entry.reason, "details": entry.details}
    if entry.enterprise_id is not None:  # entries from before the column keep their hash
        content["enterprise_id"] = entry.enterprise_id
    return json.dumps(content, ensure_ascii=False, sort_keys=True)


def entry_hash(prev_hash: str, entry: Any) -> str:
    """sha256 over the previous hash and the entry's canonical content."""
    return hashlib.sha256((prev_hash + _content(entry)).encode("utf-8")).hexdigest()


def _take_write_turn(session: Session) -> None:
    """Hold the audit writers' lock until this transaction ends, so the last hash read stays the last.

    PostgreSQL: a transaction-level advisory lock. SQLite: a write that changes nothing takes the
    database's write lock now (waiting its busy timeout), before the read, not after it.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
    elif dialect == "sqlite":
        session.execute(text("UPDATE audit_log SET id = id WHERE 0"))


def _last_hash(session: Session) -> str:
    session.flush()
    _take_write_turn(session)
    last = session.scalar(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1))
    return last or GENESIS


def _enterprise_of(subject: str, details: dict[str, Any], enterprise_id: int | None) -> int | None:
    if enterprise_id is not None:
        return enterprise_id
    kind, _, rest = subject.partition(":")
    if kind == "enterprise" and rest.isdigit():
        return int(rest)
    found = details.get("enterprise_id")
    return found if isinstance(found, int) else None


def record(
    session: Session, *, actor: str, action: str, subject: str,
    reason: str | None = None, details: dict[str, Any] | None = None,
    at: datetime | None = None, enterprise_id: int | None = None,
) -> AuditEntry:
    """Append one entry: who (actor), did what (action) to what (subject), and why.

    ``enterprise_id`` names the enterprise concerned (taken from an ``enterprise:N`` subject or
    ``details['enterprise_id']`` when not given), so ``audit show --enterprise`` finds the entry.
    """
    details = details or {}
    entry = AuditEntry(
        at=at or utcnow(), actor=actor,
        action=action, subject=subject, reason=reason,
        details=json.dumps(details, ensure_ascii=False, sort_keys=True, default=str),
        enterprise_id=_enterprise_of(subject, details, enterprise_id),
    )
    entry.prev_hash = _last_hash(session)
    entry.entry_hash = entry_hash(entry.prev_hash, entry)
    session.add(entry)
    session.flush()
    audit_seal.note_head(session, entry)
    log.info("audit %s %s %s", actor, action, subject)
    return entry


@dataclass(frozen=True)
class Verification:
    """The result of checking the chain: ok, how many entries, and the first broken one."""

    ok: bool
    entries: int
    broken_id: int | None = None
    problem: str = ""
    sealed_through: int | None = field(default=None, compare=False)  # the newest entry a valid checkpoint names
    witness: str = field(default="", compare=False)  # what the witness file said


def _walk(session: Session) -> Iterator[Any]:
    stmt = select(AuditEntry.__table__).order_by(AuditEntry.id)
    yield from session.execute(stmt.execution_options(yield_per=5000))


@dataclass
class _Walk:
    """State of one pass over the chain and its checkpoints."""

    seals: Iterator[Seal]
    pending: Seal | None = None
    count: int = 0
    top: Seal | None = None  # the newest database checkpoint that agrees with the chain
    last_id: int = 0
    own_from: int | None = None  # entries from here on are this session's own, sealed when it commits
    first_unsealed: int | None = None  # the first entry after ``top``

    def next_seal(self) -> Seal | None:
        self.pending = next(self.seals, None)
        return self.pending

    @property
    def sealed_through(self) -> int | None:
        return self.top.entry_id if self.top is not None and self.top.valid else None


def _seal_problem(seal: Seal) -> str:
    return f"{seal.source} ({seal.made_at}) 签名无效 / has no valid platform signature"


def _check_seals_at(state: _Walk, entry: Any) -> tuple[int, str] | None:
    """Compare every checkpoint naming an entry up to ``entry`` with the chain."""
    seal = state.pending
    while seal is not None and seal.entry_id <= entry.id:
        if seal.entry_id < entry.id or seal.entry_hash != entry.entry_hash:
            if not seal.valid:
                return seal.entry_id, _seal_problem(seal)
            if seal.entry_id < entry.id:
                return seal.entry_id, f"条目缺失 / entry is missing, though {seal.source} ({seal.made_at}) sealed it"
            return entry.id, f"与签名检查点不符 / differs from {seal.source} ({seal.made_at}): the chain was rewritten"
        if seal.in_database:
            state.top = seal
        seal = state.next_seal()
    return None


def _walk_chain(session: Session, state: _Walk) -> tuple[int, str] | None:
    prev = GENESIS
    for entry in _walk(session):
        state.count += 1
        state.last_id = entry.id
        if entry.prev_hash != prev:
            return entry.id, "前一条目哈希不符 / previous hash does not match (an entry was removed or moved)"
        if entry.entry_hash != entry_hash(prev, entry):
            return entry.id, "内容与哈希不符 / content does not match its hash (the entry was edited)"
        problem = _check_seals_at(state, entry)
        if problem:
            return problem
        if state.top is not None and state.top.entry_id == entry.id:
            state.first_unsealed = None
        elif state.first_unsealed is None:
            state.first_unsealed = entry.id
        prev = entry.entry_hash
    return None


def _after_last(state: _Walk) -> tuple[int, str] | None:
    seal = state.pending
    if seal is not None:
        if not seal.valid:
            return seal.entry_id, _seal_problem(seal)
        return seal.entry_id, (f"日志尾部被截断 / the log was truncated: {seal.source} ({seal.made_at}) sealed entry "
                               f"{seal.entry_id}, the log now ends at {state.last_id or 'nothing'}")
    if state.top is not None and not state.top.valid:
        return state.top.entry_id, _seal_problem(state.top)
    sealed = state.sealed_through or 0
    must_be_sealed = state.last_id if state.own_from is None else state.own_from - 1
    if state.count and sealed < must_be_sealed:
        return state.first_unsealed or sealed + 1, ("条目未经签名封存 / entries after "
                            f"{sealed or 'the start'} carry no signed checkpoint (appended around the application, "
                            "or forged)")
    return None


def _witness_text(witness: WitnessRead) -> str:
    if not witness.seals:
        return (f"见证文件中没有本日志的检查点 / no checkpoints of this log in {witness.path}: "
                "a truncation together with the database checkpoints could not be seen")
    return f"见证文件 witness {witness.path}: {len(witness.seals)} 个检查点 checkpoints"


def verify(session: Session, witness_file: str | Path | None = None) -> Verification:
    """Walk the chain from the first entry, check every link, hash and signed checkpoint.

    The checkpoints read are the database's and the witness file's (``witness_file``, default the
    key directory's). The first problem found names the entry where the log stops being trustworthy.
    """
    chain = audit_seal.chain_id(session)
    witness = audit_seal.read_witness(Path(witness_file) if witness_file else audit_seal.witness_path(),
                                      chain, audit_seal.database_identity(session))
    state = _Walk(audit_seal.merged(session, witness), own_from=audit_seal.unsealed_own(session))
    state.next_seal()
    problem = _walk_chain(session, state) or _after_last(state)
    if problem is None and witness.other_chain is not None:
        seal = witness.other_chain
        problem = seal.entry_id, (f"日志被替换或清空 / the log was replaced or emptied: {seal.source} ({seal.made_at}) "
                                  "sealed a log of this database that began with another entry")
    if problem is None and witness.unreadable:
        problem = 0, f"见证文件损坏 / the witness file was damaged: {witness.unreadable}"
    if problem is None:
        return Verification(True, state.count, sealed_through=state.sealed_through, witness=_witness_text(witness))
    return Verification(False, state.count, problem[0], problem[1], state.sealed_through, _witness_text(witness))


def entries_about(session: Session, subject: str) -> list[AuditEntry]:
    """Entries about one subject (e.g. 'objection:3'), oldest first."""
    stmt = select(AuditEntry).where(AuditEntry.subject == subject)
    return list(session.scalars(stmt.order_by(AuditEntry.id)))


def show(session: Session, actor: Actor, *, enterprise_id: int | None = None, since: date | None = None,
         limit: int | None = None) -> list[AuditEntry]:
    """Entries about an enterprise (and ids merged into it) and/or from a day on, oldest first; audited.

    Government users read the whole log; an enterprise reads the entries about itself. With
    ``limit``, the newest ``limit`` entries that match (still oldest first).
    """
    if actor.role == ROLE_ENTERPRISE and actor.enterprise_id is not None and enterprise_id is None:
        enterprise_id = actor.enterprise_id
    if actor.role not in GOVERNMENT_ROLES and not (actor.role == ROLE_ENTERPRISE and enterprise_id is not None
                                                   and actor.enterprise_id == enterprise_id):
        raise NotAllowed(f"{actor} 无权查看审计日志 / may not read the audit log")
    entries = _select(session, enterprise_id, since, limit)
    record(session, actor=str(actor), action="audit.read", subject="audit_log", enterprise_id=enterprise_id,
           details={"enterprise_id": enterprise_id, "since": since, "limit": limit, "entries": len(entries)})
    return entries


def _select(session: Session, enterprise_id: int | None, since: date | None, limit: int | None) -> list[AuditEntry]:
    stmt = select(AuditEntry)
    if enterprise_id is not None:
        stmt = stmt.where(AuditEntry.enterprise_id.in_(_enterprise_ids(session, enterprise_id)))
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= datetime.combine(since, time.min))
    if limit is None:
        return list(session.scalars(stmt.order_by(AuditEntry.id)))
    newest = list(session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit)))
    return newest[::-1]


def _enterprise_ids(session: Session, enterprise_id: int) -> set[int]:
    from credit.domain.profile import absorbed_ids, resolve_enterprise

    try:
        return absorbed_ids(session, resolve_enterprise(session, enterprise_id)) | {enterprise_id}
    except NotFound:  # an id that no longer exists may still have entries
        return {enterprise_id}
