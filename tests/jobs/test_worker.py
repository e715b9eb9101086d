"""The worker loop: leases, heartbeats, retries with backoff, the reaper, lanes, finishing once."""

from __future__ import annotations

import subprocess
import threading
import time

from sqlalchemy import select

from credit.domain.jobs import enqueue, retrying, view_job
from credit.domain.work_models import Job
from credit.jobs.worker import Worker
from credit.kernel.db import transaction
from credit.kernel.errors import InvalidInput
from tests.jobs.conftest import fast_config


class Recorder:
    """A handler that fails its first ``failures`` runs, and counts its finishes."""

    def __init__(self, failures: int = 0, error: Exception | None = None, gate: threading.Event | None = None):
        self.failures, self.error, self.gate = failures, error, gate
        self.runs = self.finishes = 0

    def run(self, engine, job, progress):
        self.runs += 1
        progress(5, 10, "half way")
        if self.gate is not None:
            self.gate.wait(30)
        if self.runs <= self.failures:
            raise self.error or RuntimeError("flaky")
        return self.runs

    def finish(self, session, job, outcome):
        self.finishes += 1
        return {"runs": outcome}


def queue(engine, kind="test", **kw):
    return retrying(engine, lambda s: enqueue(s, kind, {"n": 1}, **kw).id)


def job(engine, job_id):
    with transaction(engine) as s:
        return view_job(s, job_id)


def test_a_flaky_job_is_retried_with_backoff_until_it_succeeds(engine):
    handler = Recorder(failures=2)
    jid = queue(engine, max_attempts=5)
    Worker(engine, {"test": handler}, fast_config()).run(until_idle=True)
    view = job(engine, jid)
    assert view.status == "done" and view.attempts == 3 and view.result == {"runs": 3}
    assert handler.finishes == 1
    worker = Worker(engine, {}, fast_config(backoff=2.0, backoff_max=300.0))
    bounds = [(worker.delay(n), 2.0 * 2 ** (n - 1)) for n in (1, 2, 3, 4)]
    assert all(base / 2 <= d <= base for d, base in bounds)


def test_a_job_out_of_attempts_fails_with_its_error(engine):
    jid = queue(engine, max_attempts=2)
    Worker(engine, {"test": Recorder(failures=9)}, fast_config()).run(until_idle=True)
    view = job(engine, jid)
    assert view.status == "failed" and view.attempts == 2 and "flaky" in view.error


def test_a_request_that_cannot_be_done_fails_at_once(engine):
    jid = queue(engine, max_attempts=5)
    Worker(engine, {"test": Recorder(failures=9, error=InvalidInput("bad file"))}, fast_config()).run(until_idle=True)
    view = job(engine, jid)
    assert view.status == "failed" and view.attempts == 1 and view.error == "bad file"


def test_the_same_idempotency_key_is_one_job_and_a_queued_resolve_is_joined(engine):
    assert queue(engine, idempotency_key="k") == queue(engine, idempotency_key="k")
    first = queue(engine, kind="resolve", coalesce_key="resolve:incremental")
    assert queue(engine, kind="resolve", coalesce_key="resolve:incremental") == first
    Worker(engine, {"test": Recorder(), "resolve": Recorder()}, fast_config()).claim()
    with transaction(engine) as s:
        claimed = s.scalars(select(Job).where(Job.status == "running")).all()
    assert len(claimed) == 1
    if claimed[0].id == first:  # once started, a new request queues a new job
        assert queue(engine, kind="resolve", coalesce_key="resolve:incremental") != first


def test_an_expired_lease_is_reaped_and_the_job_runs_again(engine):
    jid = queue(engine, max_attempts=3)
    stalled = Worker(engine, {"test": Recorder()}, fast_config(lease=0.01))
    assert stalled.claim() is not None
    time.sleep(0.05)
    rescuer = Worker(engine, {"test": Recorder()}, fast_config())
    assert rescuer.reap() == 1
    assert job(engine, jid).status == "queued" and "stopped" in job(engine, jid).error
    rescuer.run(until_idle=True)
    assert job(engine, jid).status == "done" and job(engine, jid).attempts == 2


def test_a_job_of_a_dead_local_worker_is_reaped_before_its_lease_ends(engine):
    jid = queue(engine)
    dead = subprocess.Popen(["true"])
    dead.wait()
    with transaction(engine) as s:
        s.get(Job, jid).status = "running"
        s.get(Job, jid).lease_owner = f"{__import__('socket').gethostname()}:{dead.pid}:deadbeef"
        s.get(Job, jid).attempts = 1
    assert Worker(engine, {}, fast_config(lease=3600)).reap() == 1
    assert job(engine, jid).status == "queued"


def test_a_worker_that_lost_its_lease_does_not_finish_the_job(engine):
    jid = queue(engine, max_attempts=5)
    gate = threading.Event()
    slow_handler, fast_handler = Recorder(gate=gate), Recorder()
    slow = Worker(engine, {"test": slow_handler}, fast_config(lease=0.3, beat=60))
    claimed = slow.claim()
    runner = threading.Thread(target=slow.execute, args=(claimed,))
    runner.start()
    time.sleep(0.4)  # no heartbeat within the lease: the slow worker looks dead
    fast = Worker(engine, {"test": fast_handler}, fast_config())
    assert fast.reap() == 1
    fast.run(until_idle=True)
    gate.set()
    runner.join()
    assert job(engine, jid).status == "done" and slow_handler.finishes == 0 and fast_handler.finishes == 1


def test_one_running_job_per_lane_and_resolve_waits_for_ingests(engine):
    a = queue(engine, kind="ingest", lane="ingest:commerce:penalty")
    queue(engine, kind="ingest", lane="ingest:commerce:penalty")
    c = queue(engine, kind="ingest", lane="ingest:tax:arrears")
    r = queue(engine, kind="resolve", lane="matching")
    workers = [Worker(engine, {}, fast_config()) for _ in range(4)]
    claimed = [w.claim() for w in workers]
    assert [j.id if j else None for j in claimed] == [a, c, None, None]
    with transaction(engine) as s:
        s.get(Job, c).status = "done"
    assert workers[2].claim() is None  # the commerce ingest still runs
    with transaction(engine) as s:
        s.get(Job, a).status = "done"
    nxt = workers[2].claim()
    assert nxt is not None and nxt.id not in (a, c, r)
    with transaction(engine) as s:
        s.get(Job, nxt.id).status = "done"
    assert workers[3].claim().id == r


def test_progress_is_visible_while_the_job_runs(engine):
    jid = queue(engine)
    gate = threading.Event()
    worker = Worker(engine, {"test": Recorder(gate=gate)}, fast_config(beat=0.05))
    runner = threading.Thread(target=worker.run_once)
    runner.start()
    try:
        for _ in range(200):
            view = job(engine, jid)
            if view.status == "running" and view.progress_done == 5:
                break
            time.sleep(0.05)
        assert view.status == "running" and (view.progress_done, view.progress_total, view.percent) == (5, 10, 50)
        assert view.progress_note == "half way"
    finally:
        gate.set()
        runner.join()
    assert job(engine, jid).status == "done" and job(engine, jid).percent == 100


def _open_beats(path: str, results) -> None:  # in a forked process
    from credit.domain.jobs import read_beats
    from credit.kernel.db import make_engine

    try:
        read_beats(make_engine(f"sqlite:///{path}"), [1])
        results.put("ok")
    except Exception as exc:  # reported to the test
        results.put(repr(exc))


def test_processes_opening_a_new_sqlite_sidecar_at_once_all_succeed(tmp_path):
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    outcomes = []
    for round_ in range(5):  # a worker and a submitting process used to race on CREATE TABLE
        results = ctx.Queue()
        procs = [ctx.Process(target=_open_beats, args=(str(tmp_path / f"r{round_}.db"), results)) for _ in range(6)]
        for p in procs:
            p.start()
        outcomes += [results.get(timeout=60) for _ in procs]
        for p in procs:
            p.join()
    assert outcomes == ["ok"] * 30


def test_workers_queue_and_run_one_search_index_sweep_a_day(engine):
    from credit.domain.search_index import schedule_sweep
    from credit.jobs.handlers import default_handlers

    def daily(db):
        with transaction(db) as session:
            schedule_sweep(session)

    for _ in range(2):  # two workers, or one started twice the same day
        Worker(engine, default_handlers(), fast_config(daily=daily)).run(until_idle=True)
    with transaction(engine) as session:
        sweeps = session.scalars(select(Job).where(Job.kind == "search_sweep")).all()
        assert [(j.status, j.attempts) for j in sweeps] == [("done", 1)]
