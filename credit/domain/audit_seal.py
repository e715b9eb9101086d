"""Signed checkpoints of the audit chain's head, in the database and in a witness file outside it.

Every transaction that appends audit entries seals the new head before it commits: a signed
statement (Ed25519, the platform's audit key) naming the head entry's id and hash, the chain
(the first entry's hash) and the database. The statement is stored twice:

- in ``audit_checkpoints``, in the same transaction, so every entry is covered by a signed
  checkpoint and an entry appended without the key (forged, or written around the application)
  shows as unsealed;
- after the commit, as one line appended to the witness file (``audit-checkpoints.jsonl`` in the
  key directory, or ``CREDIT_AUDIT_WITNESS``), outside the database: deleting the last entries and
  their checkpoints together still leaves the witness naming an entry that is gone.

See docs/trust.md for the threat model: who can defeat which check.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, event, inspect, select, text
from sqlalchemy.orm import Session

from credit.domain.signature_models import AuditCheckpoint
from credit.domain.workflow_models import AuditEntry
from credit.kernel import signing
from credit.kernel.models import utcnow

log = logging.getLogger(__name__)

STATEMENT_TYPE = "lianzheng.audit-checkpoint/1"
ENV_WITNESS = "CREDIT_AUDIT_WITNESS"
WITNESS_FILE = "audit-checkpoints.jsonl"
HEAD_KEY, FIRST_KEY, PENDING_KEY = "lianzheng.audit_head", "lianzheng.audit_first", "lianzheng.audit_witness"
_DATABASES: WeakKeyDictionary[Engine, str] = WeakKeyDictionary()


class CheckpointTampering(RuntimeError):
    """An audit checkpoint was about to be updated or deleted."""


@event.listens_for(AuditCheckpoint, "before_update")
@event.listens_for(AuditCheckpoint, "before_delete")
def _refuse_change(_mapper: Any, _conn: Any, target: AuditCheckpoint) -> None:
    raise CheckpointTampering(f"audit checkpoint {target.id} is append-only")


def witness_path() -> Path:
    """The witness file: ``CREDIT_AUDIT_WITNESS``, else audit-checkpoints.jsonl in the key directory."""
    return Path(os.environ.get(ENV_WITNESS) or signing.key_directory() / WITNESS_FILE)


def database_identity(session: Session) -> str:
    """A short fingerprint of the database this session writes (URL without password; PG schema)."""
    engine = session.get_bind().engine
    known = _DATABASES.get(engine)
    if known is None:
        where = engine.url.set(password=None).render_as_string(hide_password=False)
        if engine.dialect.name == "postgresql":
            where += "#" + str(session.scalar(text("SELECT current_schema()")))
        known = _DATABASES[engine] = hashlib.sha256(where.encode()).hexdigest()[:16]
    return known


def chain_id(session: Session) -> str | None:
    """The chain's name: the hash of its first entry (None while the log is empty)."""
    return session.scalar(select(AuditEntry.entry_hash).order_by(AuditEntry.id).limit(1))


def note_head(session: Session, entry: AuditEntry) -> None:
    """Remember the newest entry of this transaction; it is sealed when the transaction commits."""
    session.info[HEAD_KEY] = entry
    session.info.setdefault(FIRST_KEY, entry.id)


def unsealed_own(session: Session) -> int | None:
    """The first entry this session's open transaction appended (sealed when it commits), or None."""
    head = session.info.get(HEAD_KEY)
    return session.info.get(FIRST_KEY) if head is not None and inspect(head).persistent else None


def _statement(entry_id: int, entry_hash: str, chain: str, database: str, made_at: datetime, kid: str) -> str:
    return json.dumps({"type": STATEMENT_TYPE, "chain": chain, "database": database, "entry_id": entry_id,
                       "entry_hash": entry_hash, "made_at": made_at.isoformat(timespec="microseconds"),
                       "key_id": kid}, sort_keys=True, separators=(",", ":"))


def seal(session: Session, head: AuditEntry) -> AuditCheckpoint:
    """Sign and store a checkpoint of ``head`` (the chain's newest entry) in this transaction."""
    kid = signing.public_key_id(signing.AUDIT)
    made_at = utcnow()
    chain = chain_id(session) or head.entry_hash
    statement = _statement(head.id, head.entry_hash, chain, database_identity(session), made_at, kid)
    signature = signing.sign(signing.AUDIT, statement.encode()).hex()
    checkpoint = AuditCheckpoint(entry_id=head.id, entry_hash=head.entry_hash, made_at=made_at, key_id=kid,
                                 statement=statement, signature=signature)
    session.add(checkpoint)
    session.flush()
    return checkpoint


@event.listens_for(Session, "before_commit")
def _seal_before_commit(session: Session) -> None:
    head = session.info.pop(HEAD_KEY, None)
    session.info.pop(FIRST_KEY, None)
    if head is None or not inspect(head).persistent:
        return
    checkpoint = seal(session, head)
    session.info[PENDING_KEY] = (checkpoint.statement, checkpoint.signature)


@event.listens_for(Session, "after_commit")
def _witness_after_commit(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, None)
    if pending is None:
        return
    try:
        append_witness(*pending)
    except OSError as exc:  # the entries are committed and sealed in the database; only the witness is late
        log.error("could not append the audit checkpoint to %s: %s", witness_path(), exc)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(HEAD_KEY, None)
    session.info.pop(FIRST_KEY, None)
    session.info.pop(PENDING_KEY, None)


def append_witness(statement: str, signature: str, path: Path | None = None) -> None:
    """Append one signed checkpoint line to the witness file (one write, O_APPEND)."""
    line = (json.dumps({"statement": statement, "signature": signature}, separators=(",", ":")) + "\n").encode()
    fd = os.open(path or witness_path(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


@dataclass
class Seal:
    """One checkpoint as verification reads it; its signature is checked only where it decides something.

    A checkpoint that agrees with the chain adds nothing but the head's: the newest one vouches for
    every entry before it through the hash chain, so only it, and any checkpoint that disagrees with
    the chain, has its signature checked (one Ed25519 check per problem, not per entry).
    """

    entry_id: int
    entry_hash: str
    made_at: str
    source: str  # "checkpoint N" or "witness line N"
    statement: str
    signature: str
    in_database: bool
    _valid: bool | None = field(default=None, repr=False)

    @property
    def valid(self) -> bool:
        """Signed by the platform's audit key, and the signed statement names this entry and hash."""
        if self._valid is None:
            self._valid = _signed(self)
        return self._valid


def _signed(seal: Seal) -> bool:
    pair = signing.key_pair(signing.AUDIT)
    try:
        data = json.loads(seal.statement)
        return (data.get("type") == STATEMENT_TYPE and data.get("key_id") == pair.key_id
                and data.get("entry_id") == seal.entry_id and data.get("entry_hash") == seal.entry_hash
                and signing.signature_ok(pair.public, bytes.fromhex(seal.signature), seal.statement.encode()))
    except (ValueError, TypeError, AttributeError):
        return False


def database_seals(session: Session) -> Iterator[Seal]:
    """The database's checkpoints in entry order."""
    cp = AuditCheckpoint.__table__.c
    stmt = select(cp.id, cp.entry_id, cp.entry_hash, cp.made_at, cp.statement, cp.signature)
    for row in session.execute(stmt.order_by(cp.entry_id, cp.id).execution_options(yield_per=5000)):
        yield Seal(row.entry_id, row.entry_hash, row.made_at.isoformat(sep=" ", timespec="seconds"),
                   f"checkpoint {row.id}", row.statement, row.signature, True)


@dataclass
class WitnessRead:
    """The witness lines about one chain or database, and what could not be read."""

    path: Path
    seals: list[Seal]
    other_chain: Seal | None = None  # a line for this database but another chain: the log was replaced
    unreadable: str | None = None


def _witness_seal(line: str, number: int) -> tuple[Seal, dict[str, Any]]:
    item = json.loads(line)
    statement, signature = str(item["statement"]), str(item["signature"])
    data = json.loads(statement)
    return Seal(int(data["entry_id"]), str(data["entry_hash"]), str(data["made_at"]).replace("T", " ")[:19],
                f"witness line {number}", statement, signature, False), data


def read_witness(path: Path, chain: str | None, database: str) -> WitnessRead:
    """The lines of the witness file that are about this chain (or this database), sorted by entry."""
    out = WitnessRead(path, [])
    if not path.exists():
        return out
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                found, data = _witness_seal(line, number)
            except (ValueError, KeyError, TypeError, AttributeError):
                out.unreadable = out.unreadable or f"{path} line {number} is not a checkpoint"
                continue
            if data.get("chain") == chain:
                out.seals.append(found)
            elif data.get("database") == database and out.other_chain is None and found.valid:
                out.other_chain = found
    out.seals.sort(key=lambda s: s.entry_id)
    return out


def merged(session: Session, witness: WitnessRead) -> Iterator[Seal]:
    """Database checkpoints and witness lines together, in entry order."""
    return heapq.merge(database_seals(session), witness.seals, key=lambda s: s.entry_id)
