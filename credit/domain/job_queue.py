"""The queue's statements: claim a job under a lease, finish it once, fail or retry it, reap it.

The worker loop (``credit/jobs/worker.py``) decides when; these functions are how, so every
statement on the ``jobs`` table lives in the domain. See docs/jobs.md.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, or_, select, text, update
from sqlalchemy.orm import Session, aliased

from credit.domain.jobs import DONE, FAILED, QUEUED, RUNNING, drop_beat, retrying
from credit.domain.work_models import Job
from credit.kernel.models import utcnow

log = logging.getLogger(__name__)

# a job of the key kind starts only while no job of the listed kinds runs: an incremental resolve
# reads a watermark of committed source ids, so it must not start beside an ingest still writing
WAITS_FOR = {"resolve": ("ingest",)}
CLAIM_LOCK = 0x6C7A6A6F  # PostgreSQL advisory lock serialising claims (lane rules need it)


@dataclass(frozen=True)
class Claimed:
    """A job a worker holds the lease of."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    owner: str


@dataclass(frozen=True)
class Running:
    """A running job as the reaper sees it."""

    id: int
    owner: str | None
    lease_until: datetime | None
    attempts: int
    max_attempts: int


class LostLease(RuntimeError):
    """The job was reaped and re-queued while its worker still ran it (a long stall)."""


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


def _claim_statement(owner: str, now: datetime, lease: float, kinds: tuple[str, ...]) -> Any:
    other = aliased(Job)
    busy_lane = select(other.id).where(other.status == RUNNING, other.lane == Job.lane).exists()
    rules = [Job.status == QUEUED, Job.run_after <= now, or_(Job.lane.is_(None), ~busy_lane)]
    for kind, blockers in WAITS_FOR.items():
        blocked = select(other.id).where(other.status == RUNNING, other.kind.in_(blockers)).exists()
        rules.append(or_(Job.kind != kind, ~blocked))
    if kinds:
        rules.append(Job.kind.in_(kinds))
    pick = select(Job.id).where(and_(*rules)).order_by(Job.id).limit(1).scalar_subquery()
    return (update(Job).where(Job.id == pick, Job.status == QUEUED)
            .values(status=RUNNING, attempts=Job.attempts + 1, lease_owner=owner,
                    lease_until=now + timedelta(seconds=lease), started_at=now, coalesce_key=None)
            .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts))


def claim_job(engine: Engine, owner: str, lease: float, kinds: tuple[str, ...] = ()) -> Claimed | None:
    """Take the oldest runnable job for ``owner``: lease written, attempts counted, in one statement."""
    def work(session: Session) -> Claimed | None:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CLAIM_LOCK})
        row = session.execute(_claim_statement(owner, utcnow(), lease, kinds)).first()
        if row is None:
            return None
        return Claimed(int(row[0]), row[1], json.loads(row[2] or "{}"), int(row[3]), int(row[4]), owner)

    return retrying(engine, work)


def has_pending(engine: Engine) -> bool:
    """Whether any job is queued or running."""
    with engine.connect() as conn:
        return conn.execute(select(Job.id).where(Job.status.in_([QUEUED, RUNNING])).limit(1)).first() is not None


def finish_job(engine: Engine, job: Claimed, closing: Callable[[Session], dict[str, Any]],
               progress: tuple[int, int, str]) -> None:
    """Mark the job done, while ``job.owner`` still holds it, in one transaction with ``closing``'s writes."""
    def work(session: Session) -> None:
        mine = (Job.id == job.id) & (Job.status == RUNNING) & (Job.lease_owner == job.owner)
        # the first statement writes: on SQLite the transaction takes the write lock at once
        if _rowcount(session.execute(update(Job).where(mine).values(status=DONE, finished_at=utcnow()))) != 1:
            raise LostLease(str(job.id))
        result = closing(session)
        done, total, note = progress
        session.execute(update(Job).where(Job.id == job.id).values(
            result=json.dumps(result, ensure_ascii=False, default=str), error=None,
            progress_done=done, progress_total=total or done, progress_note=(note or "")[:200] or None))

    retrying(engine, work)  # run again whole if a concurrent writer got in the way


def fail_job(engine: Engine, job: Claimed, error: str, retry_at: datetime | None) -> None:
    """Back to the queue until ``retry_at``, or failed for good when ``retry_at`` is None."""
    values: dict[str, Any] = {"error": error[:4000], "lease_owner": None, "lease_until": None}
    if retry_at is not None:
        values.update(status=QUEUED, run_after=retry_at)
    else:
        values.update(status=FAILED, finished_at=utcnow())

    def work(session: Session) -> None:
        session.execute(update(Job).where(Job.id == job.id, Job.status == RUNNING,
                                          Job.lease_owner == job.owner).values(**values))

    retrying(engine, work)


def running_jobs(engine: Engine) -> list[Running]:
    with engine.connect() as conn:
        rows = conn.execute(select(Job.id, Job.lease_owner, Job.lease_until, Job.attempts, Job.max_attempts)
                            .where(Job.status == RUNNING)).all()
    return [Running(int(r[0]), r[1], r[2], int(r[3]), int(r[4])) for r in rows]


def reap_job(engine: Engine, job: Running) -> bool:
    """Re-queue (or, out of attempts, fail) a running job whose worker is gone; False if it moved on."""
    again = job.attempts < job.max_attempts
    error = f"工作进程中断 / the worker ({job.owner}) stopped during attempt {job.attempts}"
    values: dict[str, Any] = {"lease_owner": None, "lease_until": None, "error": error}
    if again:
        values.update(status=QUEUED, run_after=utcnow())
    else:
        values.update(status=FAILED, finished_at=utcnow())

    def work(session: Session) -> int:
        return _rowcount(session.execute(update(Job).where(Job.id == job.id, Job.status == RUNNING,
                                                           Job.lease_owner == job.owner).values(**values)))

    if not retrying(engine, work):
        return False
    drop_beat(engine, job.id)
    log.warning("job %d reaped (%s): %s", job.id, "re-queued" if again else "failed", error)
    return True
