"""Background jobs, the domain's side: enqueue work in the caller's transaction, read its state.

An operation that starts long work (an upload's ingest, a full re-resolve, a large export) inserts
a ``jobs`` row in its own transaction, so the work is queued exactly when the operation commits
(never a queued task whose operation rolled back, never a committed operation without its task).
Workers (``credit/jobs``, ``python -m credit worker``) claim, run and finish jobs; see docs/jobs.md.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateTable

from credit.domain.work_models import Job, JobBeat
from credit.domain.workflows import Actor, NotFound
from credit.kernel.db import make_engine, transaction
from credit.kernel.models import utcnow

log = logging.getLogger(__name__)

T = TypeVar("T")
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUSES = (QUEUED, RUNNING, DONE, FAILED)
_SIDECARS: dict[str, Engine] = {}
_SIDECAR_LOCK = threading.Lock()


def enqueue(
    session: Session, kind: str, payload: dict[str, Any], *, actor: Actor | None = None,
    lane: str | None = None, idempotency_key: str | None = None, coalesce_key: str | None = None,
    max_attempts: int = 5,
) -> Job:
    """Queue a job in the caller's transaction; the same idempotency key (or a queued job with the
    same coalesce key) gives back the job already there."""
    for column, key in ((Job.idempotency_key, idempotency_key), (Job.coalesce_key, coalesce_key)):
        if key is not None:
            existing = session.scalars(select(Job).where(column == key)).first()
            if existing is not None:
                return existing
    body = dict(payload)
    if actor is not None:
        body["actor"] = actor_payload(actor)
    job = Job(kind=kind, lane=lane, payload=json.dumps(body, ensure_ascii=False, sort_keys=True),
              status=QUEUED, attempts=0, max_attempts=max_attempts, run_after=utcnow(),
              idempotency_key=idempotency_key, coalesce_key=coalesce_key,
              created_by=str(actor) if actor else None, created_at=utcnow())
    session.add(job)
    session.flush()
    log.info("job %d queued: %s %s", job.id, kind, lane or "")
    return job


def requeue(session: Session, job: Job, max_attempts: int | None = None) -> Job:
    """Give a failed job a fresh set of attempts (a clerk sends the same file again)."""
    job.status, job.attempts, job.error, job.run_after = QUEUED, 0, None, utcnow()
    job.lease_owner = job.lease_until = job.finished_at = None
    if max_attempts is not None:
        job.max_attempts = max_attempts
    session.flush()
    return job


def actor_payload(actor: Actor) -> dict[str, Any]:
    return {"user": actor.user, "role": actor.role, "department": actor.department,
            "enterprise_id": actor.enterprise_id}


def actor_of(payload: dict[str, Any]) -> Actor:
    """The actor a job runs for, as it was when the job was queued."""
    a = payload["actor"]
    return Actor(a["user"], a["role"], a.get("department"), a.get("enterprise_id"))


@dataclass(frozen=True)
class JobView:
    """A job as a person follows it: status, attempts, progress (live while running), result."""

    id: int
    kind: str
    status: str
    attempts: int
    max_attempts: int
    progress_done: int
    progress_total: int
    progress_note: str | None
    error: str | None
    result: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    lease_owner: str | None = None

    @property
    def percent(self) -> int | None:
        """Progress in whole percent, when the total is known."""
        if self.status == DONE:
            return 100
        if self.progress_total <= 0:
            return None
        return min(99, int(100 * self.progress_done / self.progress_total))


def view_job(session: Session, job_id: int) -> JobView:
    """The job's state; while it runs, progress comes from its latest heartbeat."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"没有此任务 / no job {job_id}")
    beat = read_beats(_engine_of(session), [job_id]).get(job_id) if job.status == RUNNING else None
    done, total, note = job.progress_done, job.progress_total, job.progress_note
    if beat is not None and beat.owner == job.lease_owner:
        done, total, note = beat.progress_done, beat.progress_total, beat.progress_note
    return JobView(job.id, job.kind, job.status, job.attempts, job.max_attempts, done, total, note,
                   job.error, json.loads(job.result) if job.result else {}, job.created_at,
                   job.started_at, job.finished_at, job.lease_owner)


def list_jobs(session: Session, status: str | None = None, limit: int = 100) -> list[JobView]:
    """The newest jobs (of one status), newest first."""
    stmt = select(Job.id).order_by(Job.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(Job.status == status)
    return [view_job(session, int(i)) for i in session.scalars(stmt)]


# ---------------------------------------------------------------- heartbeats: the live half of a lease


@dataclass(frozen=True)
class Beat:
    owner: str
    lease_until: datetime
    progress_done: int
    progress_total: int
    progress_note: str | None


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def beats_engine(engine: Engine) -> Engine:
    """Where heartbeats go: the database itself on PostgreSQL; beside an SQLite file, a small
    sidecar database, because a batch holds SQLite's one write lock for the whole ingest."""
    if engine.dialect.name != "sqlite":
        return engine
    database = engine.url.database
    if not database or database == ":memory:":
        return engine
    path = f"{Path(database).resolve()}-jobs"
    with _SIDECAR_LOCK:
        sidecar = _SIDECARS.get(path)
        if sidecar is None:
            sidecar = make_engine(f"sqlite:///{path}")
            with sidecar.begin() as conn:  # IF NOT EXISTS: another process may be creating it right now
                conn.execute(CreateTable(JobBeat.__table__, if_not_exists=True))  # type: ignore[arg-type]
            _SIDECARS[path] = sidecar
    return sidecar


def write_beat(engine: Engine, job_id: int, owner: str, lease_until: datetime,
               done: int = 0, total: int = 0, note: str | None = None) -> None:
    """Renew a running job's lease and publish its progress (its own short transaction)."""
    values = dict(owner=owner, lease_until=lease_until, progress_done=done, progress_total=total,
                  progress_note=(note or "")[:200] or None, updated_at=utcnow())
    with beats_engine(engine).begin() as conn:
        if conn.execute(update(JobBeat).where(JobBeat.job_id == job_id).values(**values)).rowcount == 0:
            conn.execute(JobBeat.__table__.insert().values(job_id=job_id, **values))  # type: ignore[attr-defined]


def read_beats(engine: Engine, job_ids: list[int]) -> dict[int, Beat]:
    """The latest heartbeat of each job that has one."""
    if not job_ids:
        return {}
    t = JobBeat.__table__
    with beats_engine(engine).connect() as conn:
        rows = conn.execute(select(t.c.job_id, t.c.owner, t.c.lease_until, t.c.progress_done,  # type: ignore[attr-defined]
                                   t.c.progress_total, t.c.progress_note).where(t.c.job_id.in_(job_ids)))  # type: ignore[attr-defined]
        return {int(r[0]): Beat(r[1], r[2], r[3], r[4], r[5]) for r in rows}


def drop_beat(engine: Engine, job_id: int) -> None:
    with beats_engine(engine).begin() as conn:
        conn.execute(delete(JobBeat).where(JobBeat.job_id == job_id))


# ---------------------------------------------------------------- transactions that meet other writers


def _transient(exc: BaseException) -> bool:
    """A conflict with a concurrent writer that a retry resolves (SQLite busy, PostgreSQL
    serialization or deadlock, two writers racing for the same audit chain position)."""
    if isinstance(exc, IntegrityError):
        return True
    if isinstance(exc, OperationalError) and any(w in str(exc).lower() for w in ("locked", "busy")):
        return True
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return isinstance(exc, DBAPIError) and code in ("40001", "40P01")


def retrying(engine: Engine, work: Callable[[Session], T], attempts: int = 8) -> T:
    """Run ``work`` in one committed transaction, again when a concurrent writer got in the way."""
    for attempt in range(1, attempts + 1):
        try:
            with transaction(engine) as session:
                return work(session)
        except (OperationalError, IntegrityError, DBAPIError) as exc:
            if attempt == attempts or not _transient(exc):
                raise
            log.info("transaction retried after %s", type(exc).__name__)
            time.sleep(min(1.0, 0.02 * 2 ** attempt))
    raise AssertionError("unreachable")
