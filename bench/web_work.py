"""Work-floor benchmark: an upload through the jobs path against the CLI; a large export's rate and memory.

    python -m bench.web_work [--rows 1000000] [--repeat 3] [--export-rows 1000000] [--workdir /tmp/lz-webwork]

Ingest: the same generated CSV ingested, in the same run, by ``python -m credit ingest`` (timed as a
process, on a migrated empty SQLite database) and by the clerk's path: ``submit_uploads`` (store
the file under a generated name, hash it, queue the job) and a ``python -m credit worker`` process
already waiting (timed from the submit call until the ingest job is done). The two alternate, A B
then B A, so drift on a shared machine falls on both. (The web API's multipart upload is added to
this path when the web face lands.)

Export: a database holding ``--export-rows`` current, linked commerce/penalty records is exported
as CSV through ``credit.domain.exports.export`` (database cursor -> gate -> cells -> file) in a fresh
process, timed (wall clock and the process's CPU time, the figure a shared machine moves least);
peak RSS is compared with the same export of a 100,000-row and a 10-row database, to show it flat.
Prints one line per run and Markdown table rows for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from credit.demodata import datagen

ROOT = Path(__file__).resolve().parent.parent

SUBMIT = """
import json, sys, time
from credit.kernel.db import make_engine
from credit.domain.batches import submit_uploads
from credit.domain.jobs import retrying, view_job
from credit.domain.workflows import Actor
engine = make_engine(sys.argv[1])
clerk = Actor("bench", "clerk", department="commerce")
t0 = time.perf_counter()
with open(sys.argv[2], "rb") as fh:
    receipt = submit_uploads(engine, clerk, "commerce", "penalty", [(fh, "bench.csv")])[0]
queued = time.perf_counter() - t0
while True:
    job = retrying(engine, lambda s: view_job(s, receipt.job_id))
    if job.status in ("done", "failed"):
        break
    time.sleep(0.05)
print(json.dumps({"seconds": time.perf_counter() - t0, "queued": queued, "status": job.status,
                  "rows": job.result.get("read", 0), "loaded": job.result.get("loaded", 0)}))
"""

EXPORT = """
import json, resource, sys, time
from datetime import date
from credit.kernel.db import make_engine, transaction
from credit.domain.exports import ExportSpec, export
from credit.domain.workflows import Actor
engine = make_engine(sys.argv[1])
spec = ExportSpec("records", date(2026, 11, 1), department="commerce", record_type="penalty")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0, c0 = time.perf_counter(), time.process_time()
with transaction(engine) as s:
    result = export(s, Actor("bench", "regulator"), spec, sys.argv[3], sys.argv[2])
dt = time.perf_counter() - t0
print(json.dumps({"rows": result.rows, "seconds": dt, "cpu": time.process_time() - c0,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "start_mb": before, "bytes": result.path.stat().st_size}))
"""


def env_for(db: Path, work: Path) -> dict[str, str]:
    return {**os.environ, "CREDIT_DATABASE_URL": f"sqlite:///{db}", "CREDIT_UPLOAD_DIR": str(work / "uploads"),
            "CREDIT_EXPORT_DIR": str(work / "exports"), "PYTHONPATH": str(ROOT)}


def fresh_db(db: Path, work: Path) -> dict[str, str]:
    for suffix in ("", "-wal", "-shm", "-jobs", "-jobs-wal", "-jobs-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    env = env_for(db, work)
    subprocess.run([sys.executable, "-m", "credit", "init-db"], env=env, check=True, capture_output=True)
    return env


def run_cli(csv_path: Path, work: Path) -> float:
    env = fresh_db(work / "cli.db", work)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "credit", "ingest", "--department", "commerce", "--type", "penalty",
                    "--no-resolve", "-q", str(csv_path)], env=env, check=True, capture_output=True)
    return time.perf_counter() - t0


def run_jobs(csv_path: Path, work: Path) -> dict:
    db = work / "jobs.db"
    env = fresh_db(db, work)
    log = open(work / "worker.log", "ab")
    worker = subprocess.Popen([sys.executable, "-m", "credit", "worker", "--kind", "ingest", "--poll", "0.05", "-v"],
                              env=env, stdout=log, stderr=log)
    try:
        time.sleep(1.0)  # the worker is up and waiting, as in production
        out = subprocess.run([sys.executable, "-c", SUBMIT, f"sqlite:///{db}", str(csv_path)], env=env,
                             capture_output=True, text=True)
    finally:
        worker.kill()  # the job is done (or the submit failed): nothing to finish
        worker.wait()
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    for stored in (work / "uploads").glob("*.csv"):
        stored.unlink()
    return json.loads(out.stdout.strip().splitlines()[-1])


def ingest_part(args: argparse.Namespace, work: Path) -> list[str]:
    csv_path = work / f"bench_{args.rows}.csv"
    if not csv_path.exists():
        datagen.write_csv_rows(csv_path, "commerce", "penalty", args.rows, seed=7)
    cli, jobs = [], []
    for i in range(args.repeat):
        order = ("cli", "jobs") if i % 2 == 0 else ("jobs", "cli")
        for which in order:
            if which == "cli":
                cli.append(run_cli(csv_path, work))
                print(f"  CLI ingest  {args.rows:,} rows: {cli[-1]:.1f} s = {args.rows / cli[-1]:,.0f} rows/s", flush=True)
            else:
                figures = run_jobs(csv_path, work)
                assert figures["status"] == "done" and figures["rows"] == args.rows, figures
                jobs.append(figures["seconds"])
                print(f"  jobs ingest {args.rows:,} rows: {jobs[-1]:.1f} s = {args.rows / jobs[-1]:,.0f} rows/s "
                      f"(queued after {figures['queued']:.2f} s)", flush=True)
    ratios = [c / j for c, j in zip(cli, jobs)]
    line = (f"| ingest {args.rows:,} rows, CSV {csv_path.stat().st_size / 1e6:.0f} MB | CLI median "
            f"{args.rows / statistics.median(cli):,.0f} rows/s ({_range(args.rows, cli)}) | jobs path median "
            f"{args.rows / statistics.median(jobs):,.0f} rows/s ({_range(args.rows, jobs)}) | ratio median "
            f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f}) |")
    return [line]


def _range(rows: int, seconds: list[float]) -> str:
    return f"{rows / max(seconds):,.0f}–{rows / min(seconds):,.0f}"


def export_db(work: Path, rows: int) -> Path:
    """A database of ``rows`` current penalty records, each linked to one of rows/10 enterprises."""
    db = work / f"export_{rows}.db"
    if db.exists():
        return db
    csv_path = work / f"export_{rows}.csv"
    datagen.write_csv_rows(csv_path, "commerce", "penalty", rows, seed=11)
    env = fresh_db(db, work)
    subprocess.run([sys.executable, "-m", "credit", "ingest", "--department", "commerce", "--type", "penalty",
                    "--no-resolve", "-q", str(csv_path)], env=env, check=True, capture_output=True)
    import sqlite3

    conn = sqlite3.connect(db)
    groups = max(1, rows // 10)
    conn.execute("WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < ?) "
                 "INSERT INTO enterprises (id, status, created_at, updated_at) "
                 "SELECT v, 'active', '2026-11-01', '2026-11-01' FROM n", (groups,))
    conn.execute("INSERT INTO record_links (department, record_type, record_id, enterprise_id, updated_at, source_id) "
                 "SELECT department, record_type, record_id, 1 + id % ?, '2026-11-01', id FROM source_records", (groups,))
    conn.commit()
    conn.close()
    csv_path.unlink()
    return db


def run_export(db: Path, work: Path, fmt: str = "csv") -> dict:
    out = work / f"out.{fmt}"
    proc = subprocess.run([sys.executable, "-c", EXPORT, f"sqlite:///{db}", str(out), fmt], env=env_for(db, work),
                          check=True, capture_output=True, text=True)
    out.unlink(missing_ok=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def export_part(args: argparse.Namespace, work: Path) -> list[str]:
    big, small = export_db(work, args.export_rows), export_db(work, 10)
    rates, peaks, cpus = [], [], []
    for _ in range(args.repeat):
        f = run_export(big, work)
        rates.append(f["rows"] / f["seconds"])
        peaks.append(f["peak_mb"])
        cpus.append(f["cpu"])
        print(f"  export {f['rows']:,} rows: {f['seconds']:.1f} s = {rates[-1]:,.0f} rows/s, peak RSS {f['peak_mb']:.0f} MB "
              f"({f['bytes'] / 1e6:.0f} MB CSV; CPU {f['cpu']:.1f} s = {f['cpu'] / f['rows'] * 1e6:.1f} µs a row)", flush=True)
    tiny = run_export(small, work)
    print(f"  export {tiny['rows']:,} rows: peak RSS {tiny['peak_mb']:.0f} MB", flush=True)
    middle = ""
    if args.export_rows > 100_000:  # memory at a tenth of the size: flat means the same peak
        mid = run_export(export_db(work, 100_000), work)
        print(f"  export {mid['rows']:,} rows: {mid['rows'] / mid['seconds']:,.0f} rows/s, peak RSS {mid['peak_mb']:.0f} MB "
              f"(CPU {mid['cpu'] / mid['rows'] * 1e6:.1f} µs a row)", flush=True)
        middle = f"; 100,000 rows: {mid['peak_mb']:.0f} MB"
    cpu = statistics.median(c / args.export_rows * 1e6 for c in cpus)
    return [f"| export {args.export_rows:,} rows as CSV | median {statistics.median(rates):,.0f} rows/s "
            f"({min(rates):,.0f}–{max(rates):,.0f}), CPU {cpu:.1f} µs a row | peak RSS "
            f"{statistics.median(peaks):.0f} MB{middle}; 10 rows: {tiny['peak_mb']:.0f} MB |"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the uploaded CSV (0: skip)")
    parser.add_argument("--export-rows", type=int, default=1_000_000, help="rows to export (0: skip)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", default="/tmp/lz-webwork")
    args = parser.parse_args(argv)
    work = Path(args.workdir)
    (work / "uploads").mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    print(f"machine: {platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()} · "
          f"load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}", flush=True)
    lines = (ingest_part(args, work) if args.rows else []) + (export_part(args, work) if args.export_rows else [])
    end = os.getloadavg()
    print(f"\nload at the end: {end[0]:.1f} {end[1]:.1f} {end[2]:.1f}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
