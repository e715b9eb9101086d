"""kill -9 of the worker at 20 random points during large uploads and a full resolve: after a
restart every job is done or failed cleanly, no batch is partial, the counts are those of an
uninterrupted run. Eight concurrent uploads from different departments lose no row."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select, text

from credit.demodata.datagen import write_csv_rows
from credit.domain.batches import batch_status, request_resolve, run_ingest, submit_uploads
from credit.domain.jobs import retrying
from credit.domain.migrate import upgrade
from credit.domain.schema import create_all
from credit.domain.work_models import Job
from credit.domain.workflows import ROLE_ADMIN, ROLE_CLERK, Actor
from credit.jobs.worker import Worker
from credit.kernel.db import make_engine, transaction
from credit.kernel.models import Batch, SourceRecord
from ingest.loader import ingest_file
from matching.models import RecordLink
from matching.service import resolve
from tests.conftest import PG_ENV, _pg_url
from tests.jobs.conftest import fast_config, run_worker

ROOT = Path(__file__).resolve().parents[2]
ADMIN = Actor("管理员", ROLE_ADMIN)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """(URL for a worker process, engine) on an empty database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'crash.db'}"
        eng = make_engine(url)
        upgrade(eng)  # the worker process checks the migrations, as every command does
        yield url, eng
        eng.dispose()
        return
    base = _pg_url()
    if not base:
        pytest.skip(f"PostgreSQL not configured: set {PG_ENV}")
    schema = f"crash_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}?options=-csearch_path%3D{schema}"
    eng = make_engine(url)
    upgrade(eng)
    yield url, eng
    eng.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def big_files(folder: Path) -> list[tuple[str, str, Path]]:
    """A registration file large enough for forked readers (with 40 rejected rows) and a tax file."""
    reg = folder / "registration.csv"
    write_csv_rows(reg, "commerce", "registration", 30000, seed=3)
    with open(reg, "a", encoding="utf-8") as fh:
        header = reg.read_text(encoding="utf-8").split("\n", 1)[0]
        for i in range(40):
            fh.write(",某某第" + str(i) + "公司" + "," * (header.count(",") - 1) + "\r\n")
    tax = folder / "rating.csv"
    write_csv_rows(tax, "tax", "credit_rating", 20000, seed=4)
    return [("commerce", "registration", reg), ("tax", "credit_rating", tax)]


def reference(files: list[tuple[str, str, Path]], folder: Path) -> dict[str, object]:
    """The same files ingested and resolved without interruption (SQLite, in this process)."""
    eng = make_engine(f"sqlite:///{folder / 'reference.db'}")
    create_all(eng)
    for dept, rtype, path in files:
        ingest_file(eng, path, dept, rtype)
    resolve(eng, full=True)
    figures = summary(eng)
    eng.dispose()
    return figures


def summary(engine: Engine) -> dict[str, object]:
    with transaction(engine) as s:
        batches = sorted((b.department, b.record_type, b.rows_read, b.loaded, b.new_versions, b.unchanged,
                          b.duplicates, b.rejected) for b in s.scalars(select(Batch)))
        return {"batches": batches, "records": s.scalar(select(func.count(SourceRecord.id))),
                "links": s.scalar(select(func.count(RecordLink.id))),
                "enterprises": s.scalar(select(func.count(func.distinct(RecordLink.enterprise_id))))}


def worker_process(url: str, folder: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CREDIT_DATABASE_URL": url, "CREDIT_UPLOAD_DIR": str(folder / "uploads"),
           "PYTHONPATH": str(ROOT)}
    log = open(folder / "worker.log", "ab")
    return subprocess.Popen([sys.executable, "-m", "credit", "worker", "--lease", "2", "--beat", "0.2",
                             "--poll", "0.05", *extra], env=env, stdout=log, stderr=log, cwd=ROOT)


def test_kill_9_at_20_random_points_loses_nothing_and_applies_nothing_twice(database, tmp_path):
    url, engine = database
    files = big_files(tmp_path)
    expected = reference(files, tmp_path)
    for dept, rtype, path in files:
        with open(path, "rb") as fh:
            submit_uploads(engine, Actor("科员", ROLE_CLERK, department=dept), dept, rtype, [(fh, path.name)],
                           max_attempts=60)
    retrying(engine, lambda s: request_resolve(s, ADMIN, full=True, max_attempts=60))
    rng = random.Random(20261201)
    for _ in range(20):
        proc = worker_process(url, tmp_path)
        time.sleep(rng.uniform(0.2, 3.5))
        proc.kill()  # SIGKILL: no cleanup of any kind
        proc.wait()
    final = worker_process(url, tmp_path, "--once")
    assert final.wait(timeout=300) == 0, (tmp_path / "worker.log").read_text(errors="replace")[-3000:]
    with transaction(engine) as s:
        states = {(j.kind, j.status) for j in s.scalars(select(Job))}
        partial = [(b.id, b.loaded, n) for b, n in s.execute(
            select(Batch, func.count(SourceRecord.id)).join(SourceRecord, SourceRecord.batch_id == Batch.id)
            .group_by(Batch.id)) if n != b.loaded]
    # the workers also queued the day's search-index sweep: done too, whatever the kills
    assert states <= {("ingest", "done"), ("resolve", "done"), ("search_sweep", "done")}, states
    assert not partial
    assert summary(engine) == expected


def test_a_worker_killed_after_the_batch_committed_only_finishes_it(engine, tmp_path):
    files = big_files(tmp_path)[:1]
    dept, rtype, path = files[0]
    clerk = Actor("科员", ROLE_CLERK, department=dept)
    with open(path, "rb") as fh:
        receipt = submit_uploads(engine, clerk, dept, rtype, [(fh, path.name)])[0]
    dying = Worker(engine, {}, fast_config(lease=0.01))
    claimed = dying.claim()
    run_ingest(engine, claimed.payload, lambda *a: None)  # the batch commits; the worker dies here
    time.sleep(0.05)
    run_worker(engine)
    view = retrying(engine, lambda s: batch_status(s, clerk, receipt.upload_id))
    assert view.status == "done" and view.job.attempts == 2 and view.job.result["recovered"] is True
    assert (view.counts["read"], view.counts["loaded"], view.counts["rejected"]) == (30040, 30000, 40)
    with transaction(engine) as s:
        assert s.scalar(select(func.count(Batch.id))) == 1
        assert s.scalar(select(func.count(SourceRecord.id))) == 30000


TYPES = [("commerce", "penalty"), ("commerce", "abnormal_list"), ("tax", "credit_rating"), ("tax", "arrears"),
         ("quality", "spot_check"), ("finance", "loan_default"), ("public_security", "case"),
         ("public_security", "fire_penalty")]


def test_eight_concurrent_uploads_from_different_departments_lose_no_row(engine, tmp_path):
    paths = []
    for i, (dept, rtype) in enumerate(TYPES):
        paths.append(tmp_path / f"{dept}-{rtype}.csv")
        write_csv_rows(paths[-1], dept, rtype, 3000, seed=10 + i)
    receipts: dict[int, int] = {}
    errors: list[BaseException] = []

    def upload(i: int) -> None:
        dept, rtype = TYPES[i]
        try:
            with open(paths[i], "rb") as fh:
                receipts[i] = submit_uploads(engine, Actor(f"科员{i}", ROLE_CLERK, department=dept), dept, rtype,
                                             [(fh, paths[i].name)])[0].upload_id
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=upload, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(receipts) == 8
    workers = [threading.Thread(target=run_worker, args=(engine,)) for _ in range(3)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    with transaction(engine) as s:
        loaded = {(b.department, b.record_type): b.loaded + b.rejected for b in s.scalars(select(Batch))}
        assert s.scalar(select(func.count(SourceRecord.id))) == sum(b.loaded for b in s.scalars(select(Batch)))
    assert loaded == {t: 3000 for t in TYPES}


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(c) for c in (task / "children").read_text().split()]
    return out


def test_ingest_readers_die_with_their_writer(tmp_path):
    """A writer killed with -9 leaves no reader behind (an orphan kept the writer's database connection)."""
    dept, rtype, path = big_files(tmp_path)[0]
    script = ("import sys; from credit.kernel.db import make_engine; from credit.domain.schema import create_all; "
              "from ingest.loader import ingest_file; e = make_engine(sys.argv[1]); create_all(e); "
              "ingest_file(e, sys.argv[2], sys.argv[3], sys.argv[4], parallel=True)")
    writer = subprocess.Popen([sys.executable, "-c", script, f"sqlite:///{tmp_path / 'w.db'}", str(path), dept, rtype],
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    readers: list[int] = []
    for _ in range(600):
        readers = _children(writer.pid)
        if readers:
            break
        time.sleep(0.05)
    assert readers, "the writer forked no reader"
    writer.kill()
    writer.wait()
    for _ in range(200):
        alive = [p for p in readers if Path(f"/proc/{p}").exists()]
        if not alive:
            break
        time.sleep(0.05)
    for p in alive:  # clean up before failing
        os.kill(p, 9)
    assert not alive
