"""The worker: claim a job by writing a lease on its row, heartbeat while it runs, finish it once.

Any number of worker processes, on any number of machines sharing the database, run the same
loop: reap (re-queue or fail jobs whose lease ran out, or whose worker on this machine is gone),
claim the oldest runnable job, run it, finish it. Finishing marks the row done only while this
worker still holds the lease, in the same transaction as the job's own closing writes, so a job
is finished exactly once. See docs/jobs.md.
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, and_, or_, select, text, update
from sqlalchemy.orm import Session, aliased

from credit.domain.jobs import (
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    drop_beat,
    read_beats,
    retrying,
    write_beat,
)
from credit.domain.work_models import Job
from credit.kernel.errors import LianzhengError
from credit.kernel.models import utcnow

log = logging.getLogger(__name__)

# a job of the key kind starts only while no job of the listed kinds runs: an incremental resolve
# reads a watermark of committed source ids, so it must not start beside an ingest still writing
WAITS_FOR = {"resolve": ("ingest",)}
_CLAIM_LOCK = 0x6C7A6A6F  # PostgreSQL advisory lock serialising claims (lane rules need it)


@dataclass(frozen=True)
class Claimed:
    """A job this worker holds the lease of."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    owner: str


class Progress:
    """What a running job reports; the heartbeat thread publishes the latest value."""

    def __init__(self) -> None:
        self.done, self.total, self.note = 0, 0, ""

    def __call__(self, done: int, total: int = 0, note: str = "") -> None:
        self.done, self.total, self.note = done, total or self.total, note or self.note


class Handler(Protocol):
    """How one kind of job runs: ``run`` does the (idempotent) work in its own transactions;
    ``finish`` writes the closing records in the transaction that marks the job done (it may run
    twice if that transaction is retried); an optional ``after(outcome)`` runs once it committed."""

    def run(self, engine: Engine, job: Claimed, progress: Progress) -> Any: ...

    def finish(self, session: Session, job: Claimed, outcome: Any) -> dict[str, Any]: ...


class LostLease(RuntimeError):
    """The job was reaped and re-queued while this worker still ran it (a long stall)."""


@dataclass
class WorkerConfig:
    lease: float = 30.0  # seconds a lease lasts without a heartbeat
    beat: float = 5.0  # seconds between heartbeats
    poll: float = 1.0  # seconds between looks at an empty queue
    backoff: float = 2.0  # first retry delay in seconds, doubled each attempt
    backoff_max: float = 300.0
    kinds: tuple[str, ...] = field(default_factory=tuple)  # only these kinds (empty: all)


def owner_name() -> str:
    """host:pid:token — the token tells this process's leases from an earlier one with the same pid."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    """One worker loop over one database."""

    def __init__(self, engine: Engine, handlers: dict[str, Handler], config: WorkerConfig | None = None):
        self.engine, self.handlers = engine, handlers
        self.config = config or WorkerConfig()
        self.owner = owner_name()
        self.stop = threading.Event()

    def run(self, *, max_jobs: int | None = None, until_idle: bool = False) -> int:
        """Run jobs until stopped (or ``max_jobs`` ran, or the queue is empty with ``until_idle``)."""
        ran = 0
        while not self.stop.is_set() and (max_jobs is None or ran < max_jobs):
            self.reap()
            if self.run_once():
                ran += 1
            elif until_idle and not self._pending():
                break
            else:
                self.stop.wait(self.config.poll)
        return ran

    def run_once(self) -> bool:
        """Claim and run one job; False when none is runnable now."""
        job = self.claim()
        if job is None:
            return False
        self.execute(job)
        return True

    # ------------------------------------------------------------ claim

    def claim(self) -> Claimed | None:
        """Take the oldest runnable job: lease written, attempts counted, in one statement."""
        def work(session: Session) -> Claimed | None:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CLAIM_LOCK})
            now = utcnow()
            row = session.execute(self._claim_statement(now)).first()
            if row is None:
                return None
            return Claimed(int(row[0]), row[1], json.loads(row[2] or "{}"), int(row[3]), int(row[4]), self.owner)

        job = retrying(self.engine, work)
        if job is not None:
            log.info("job %d (%s) claimed by %s, attempt %d", job.id, job.kind, self.owner, job.attempts)
            self._beat(job, Progress())
        return job

    def _claim_statement(self, now: datetime) -> Any:
        other = aliased(Job)
        busy_lane = select(other.id).where(other.status == RUNNING, other.lane == Job.lane).exists()
        rules = [Job.status == QUEUED, Job.run_after <= now, or_(Job.lane.is_(None), ~busy_lane)]
        for kind, blockers in WAITS_FOR.items():
            blocked = select(other.id).where(other.status == RUNNING, other.kind.in_(blockers)).exists()
            rules.append(or_(Job.kind != kind, ~blocked))
        if self.config.kinds:
            rules.append(Job.kind.in_(self.config.kinds))
        pick = select(Job.id).where(and_(*rules)).order_by(Job.id).limit(1).scalar_subquery()
        lease_until = now + timedelta(seconds=self.config.lease)
        return (update(Job).where(Job.id == pick, Job.status == QUEUED)
                .values(status=RUNNING, attempts=Job.attempts + 1, lease_owner=self.owner,
                        lease_until=lease_until, started_at=now, coalesce_key=None)
                .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts))

    def _pending(self) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(Job.id).where(Job.status.in_([QUEUED, RUNNING])).limit(1)).first() is not None

    # ------------------------------------------------------------ run, heartbeat, finish

    def execute(self, job: Claimed) -> None:
        """Run a claimed job with a heartbeat beside it, then finish, retry or fail it."""
        handler = self.handlers.get(job.kind)
        progress = Progress()
        beating = threading.Event()
        thread = threading.Thread(target=self._heartbeat, args=(job, progress, beating), daemon=True)
        thread.start()
        try:
            if handler is None:
                raise LianzhengError(f"没有此类任务的处理程序 / no handler for job kind {job.kind}")
            outcome = handler.run(self.engine, job, progress)
            self._finish(job, handler, outcome, progress)
        except LostLease:
            log.warning("job %d: lease lost to another worker; its result is left to that worker", job.id)
        except LianzhengError as exc:  # the request itself cannot be done: retrying will not help
            self._fail(job, str(exc), retry=False)
        except Exception as exc:
            log.exception("job %d (%s) attempt %d failed", job.id, job.kind, job.attempts)
            self._fail(job, f"{type(exc).__name__}: {exc}", retry=True)
        finally:
            beating.set()
            thread.join()
            drop_beat(self.engine, job.id)

    def _heartbeat(self, job: Claimed, progress: Progress, stop: threading.Event) -> None:
        while not stop.wait(self.config.beat):
            try:
                self._beat(job, progress)
            except Exception:  # a missed beat only shortens the lease; the next one may pass
                log.warning("job %d: heartbeat failed", job.id, exc_info=True)

    def _beat(self, job: Claimed, progress: Progress) -> None:
        until = utcnow() + timedelta(seconds=self.config.lease)
        write_beat(self.engine, job.id, self.owner, until, progress.done, progress.total, progress.note)

    def _finish(self, job: Claimed, handler: Handler, outcome: Any, progress: Progress) -> None:
        def work(session: Session) -> None:
            mine = (Job.id == job.id) & (Job.status == RUNNING) & (Job.lease_owner == self.owner)
            # the first statement writes: on SQLite the transaction takes the write lock at once
            if _rowcount(session.execute(update(Job).where(mine).values(status=DONE, finished_at=utcnow()))) != 1:
                raise LostLease(str(job.id))
            result = handler.finish(session, job, outcome)
            session.execute(update(Job).where(Job.id == job.id).values(
                result=json.dumps(result, ensure_ascii=False, default=str), error=None,
                progress_done=progress.done, progress_total=progress.total or progress.done,
                progress_note=(progress.note or "")[:200] or None))

        retrying(self.engine, work)  # run again whole if a concurrent writer got in the way
        after = getattr(handler, "after", None)  # clean-up that must wait for the commit
        if after is not None:
            after(outcome)
        log.info("job %d (%s) done", job.id, job.kind)

    def _fail(self, job: Claimed, error: str, *, retry: bool) -> None:
        again = retry and job.attempts < job.max_attempts
        values: dict[str, Any] = {"error": error[:4000], "lease_owner": None, "lease_until": None}
        if again:
            values.update(status=QUEUED, run_after=utcnow() + timedelta(seconds=self.delay(job.attempts)))
        else:
            values.update(status=FAILED, finished_at=utcnow())

        def work(session: Session) -> None:
            session.execute(update(Job).where(Job.id == job.id, Job.status == RUNNING,
                                              Job.lease_owner == self.owner).values(**values))

        retrying(self.engine, work)
        log.warning("job %d (%s) %s: %s", job.id, job.kind, "retried later" if again else "failed", error)

    def delay(self, attempts: int) -> float:
        """Exponential backoff with jitter: about backoff · 2^(attempts-1) seconds, capped."""
        base = min(self.config.backoff_max, self.config.backoff * 2 ** max(0, attempts - 1))
        return base * (0.5 + random.random() / 2)

    # ------------------------------------------------------------ reaper

    def reap(self) -> int:
        """Re-queue (or, out of attempts, fail) running jobs whose worker is gone; how many."""
        with self.engine.connect() as conn:
            running = conn.execute(select(Job.id, Job.lease_owner, Job.lease_until, Job.attempts, Job.max_attempts)
                                   .where(Job.status == RUNNING)).all()
        if not running:
            return 0
        beats = read_beats(self.engine, [int(r[0]) for r in running])
        now, reaped = utcnow(), 0
        for job_id, owner, lease_until, attempts, max_attempts in running:
            beat = beats.get(int(job_id))
            leases = [lease_until] + ([beat.lease_until] if beat is not None and beat.owner == owner else [])
            lease = max((t for t in leases if t is not None), default=None)
            if lease is None or lease < now or _gone(owner):
                reaped += self._reap_one(int(job_id), owner, attempts, max_attempts)
        return reaped

    def _reap_one(self, job_id: int, owner: str | None, attempts: int, max_attempts: int) -> int:
        again = attempts < max_attempts
        error = f"工作进程中断 / the worker ({owner}) stopped during attempt {attempts}"
        values: dict[str, Any] = {"lease_owner": None, "lease_until": None, "error": error}
        if again:
            values.update(status=QUEUED, run_after=utcnow())
        else:
            values.update(status=FAILED, finished_at=utcnow())

        def work(session: Session) -> int:
            return _rowcount(session.execute(update(Job).where(Job.id == job_id, Job.status == RUNNING,
                                                               Job.lease_owner == owner).values(**values)))

        n = retrying(self.engine, work)
        if n:
            drop_beat(self.engine, job_id)
            log.warning("job %d reaped (%s): %s", job_id, "re-queued" if again else "failed", error)
        return n


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


def _gone(owner: str | None) -> bool:
    """The lease holder ran on this machine and its process no longer exists."""
    if not owner or owner.count(":") < 2:
        return False
    host, pid_text, _ = owner.rsplit(":", 2)
    if host != socket.gethostname() or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        with open(f"/proc/{pid_text}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] == "Z"  # a zombie has stopped too
    except FileNotFoundError:
        return True
    except OSError:
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


def wait_idle(engine: Engine, timeout: float = 60.0) -> bool:
    """True once no job is queued or running (tests and the benchmark)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(select(Job.id).where(Job.status.in_([QUEUED, RUNNING])).limit(1)).first() is None:
                return True
        time.sleep(0.1)
    return False
