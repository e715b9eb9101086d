"""The worker: claim a job by writing a lease on its row, heartbeat while it runs, finish it once.

Any number of worker processes, on any number of machines sharing the database, run the same
loop: reap (re-queue or fail jobs whose lease ran out, or whose worker on this machine is gone),
claim the oldest runnable job, run it, finish it. Finishing marks the row done only while this
worker still holds the lease, in the same transaction as the job's own closing writes, so a job
is finished exactly once. The statements are the domain's (``credit.domain.job_queue``); this loop
decides when. See docs/jobs.md.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from credit.domain.job_queue import (
    Claimed,
    LostLease,
    claim_job,
    fail_job,
    finish_job,
    has_pending,
    reap_job,
    running_jobs,
)
from credit.domain.jobs import drop_beat, read_beats, write_beat
from credit.kernel.errors import LianzhengError
from credit.kernel.models import utcnow

log = logging.getLogger(__name__)

__all__ = ["Claimed", "Handler", "LostLease", "Progress", "Worker", "WorkerConfig", "owner_name", "wait_idle"]


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


@dataclass
class WorkerConfig:
    lease: float = 30.0  # seconds a lease lasts without a heartbeat
    beat: float = 5.0  # seconds between heartbeats
    poll: float = 1.0  # seconds between looks at an empty queue
    backoff: float = 2.0  # first retry delay in seconds, doubled each attempt
    backoff_max: float = 300.0
    kinds: tuple[str, ...] = field(default_factory=tuple)  # only these kinds (empty: all)
    # queue the day's upkeep jobs (the search-index sweep) when the day has none yet; the CLI
    # worker does, unless it runs --once
    daily: Callable[[Engine], object] | None = None


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
        self._scheduled: date | None = None

    def run(self, *, max_jobs: int | None = None, until_idle: bool = False) -> int:
        """Run jobs until stopped (or ``max_jobs`` ran, or the queue is empty with ``until_idle``)."""
        ran = 0
        while not self.stop.is_set() and (max_jobs is None or ran < max_jobs):
            self.schedule()
            self.reap()
            if self.run_once():
                ran += 1
            elif until_idle and not has_pending(self.engine):
                break
            else:
                self.stop.wait(self.config.poll)
        return ran

    def schedule(self) -> None:
        """Queue the day's upkeep once per day per worker (the job's key keeps it one per day in all)."""
        today = date.today()
        if self.config.daily is None or self._scheduled == today:
            return
        try:
            self.config.daily(self.engine)
            self._scheduled = today
        except Exception:  # upkeep waits for the next look; the queue's work goes on
            log.warning("could not queue the day's upkeep jobs", exc_info=True)

    def run_once(self) -> bool:
        """Claim and run one job; False when none is runnable now."""
        job = self.claim()
        if job is None:
            return False
        self.execute(job)
        return True

    def claim(self) -> Claimed | None:
        """Take the oldest runnable job (see ``credit.domain.job_queue.claim_job``)."""
        job = claim_job(self.engine, self.owner, self.config.lease, self.config.kinds)
        if job is not None:
            log.info("job %d (%s) claimed by %s, attempt %d", job.id, job.kind, self.owner, job.attempts)
            self._beat(job, Progress())
        return job

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
            finish_job(self.engine, job, lambda s: handler.finish(s, job, outcome),
                       (progress.done, progress.total, progress.note))
            after = getattr(handler, "after", None)  # clean-up that must wait for the commit
            if after is not None:
                after(outcome)
            log.info("job %d (%s) done", job.id, job.kind)
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

    def _fail(self, job: Claimed, error: str, *, retry: bool) -> None:
        again = retry and job.attempts < job.max_attempts
        retry_at = utcnow() + timedelta(seconds=self.delay(job.attempts)) if again else None
        fail_job(self.engine, job, error, retry_at)
        log.warning("job %d (%s) %s: %s", job.id, job.kind, "retried later" if again else "failed", error)

    def delay(self, attempts: int) -> float:
        """Exponential backoff with jitter: about backoff · 2^(attempts-1) seconds, capped."""
        base = min(self.config.backoff_max, self.config.backoff * 2 ** max(0, attempts - 1))
        return base * (0.5 + random.random() / 2)

    def reap(self) -> int:
        """Re-queue (or, out of attempts, fail) running jobs whose worker is gone; how many."""
        running = running_jobs(self.engine)
        if not running:
            return 0
        beats = read_beats(self.engine, [j.id for j in running])
        now, reaped = utcnow(), 0
        for job in running:
            beat = beats.get(job.id)
            leases = [job.lease_until] + ([beat.lease_until] if beat is not None and beat.owner == job.owner else [])
            lease = max((t for t in leases if t is not None), default=None)
            if (lease is None or lease < now or _gone(job.owner)) and reap_job(self.engine, job):
                reaped += 1
        return reaped


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
        if not has_pending(engine):
            return True
        time.sleep(0.1)
    return False
