"""Work-floor benchmark: an upload through the jobs path against the CLI; a large export's rate and memory.

    python -m bench.web_work [--rows 1000000] [--repeat 3] [--export-rows 1000000] [--workdir /tmp/lz-webwork]

Ingest: the same generated CSV ingested, in the same run, by ``python -m credit ingest`` (timed as a
process, on a migrated empty SQLite database) and by the clerk's HTTP path: a clerk account and
its token made with ``python -m credit user add … --role clerk --department commerce`` and
``python -m credit token create``, the app served by ``python -m credit serve`` (gunicorn, 2
workers), a ``python -m credit worker`` waiting, and the file sent as a streamed multipart
``POST /api/v1/batches`` (bench/web_upload.py); timed from the start of the POST until
``GET /api/v1/batches/<id>`` answers ``done``, its counts checked equal to the CLI's. The two
alternate, A B then B A, so drift on a shared machine falls on both. ``--path jobs`` measures
instead the domain's ``submit_uploads`` with a worker (no HTTP), the figure before the API landed.
CPU seconds (user + system of every process involved) are printed beside wall clock. The upload
limit (``CREDIT_MAX_UPLOAD_BYTES``) keeps its default, 512 MB, unless the file is larger.

Export: a database holding ``--export-rows`` current, linked commerce/penalty records is exported
as CSV through ``credit.domain.exports.export`` (database cursor -> gate -> cells -> file) in a fresh
process, after ``prepare_decisions`` as the export job and the CLI run it (the first export makes the
stored gate decisions, ``credit.domain.export_store``: timed apart; later ones find none to make),
timed (wall clock and CPU time, the figure a shared machine moves least: the process's own and its
forked helper's, ``credit.domain.export_csv``);
peak RSS is compared with the same export of a 100,000-row and a 10-row database, to show it flat.
Prints one line per run and Markdown table rows for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import web_upload
from bench.web import serve
from credit.demodata import datagen
from ingest.safety import DEFAULT_MAX_UPLOAD

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
                  "rows": job.result.get("read", 0), "loaded": job.result.get("loaded", 0),
                  "rejected": job.result.get("rejected", 0)}))
"""

EXPORT = """
import json, os, resource, sys, time
from datetime import date
from credit.kernel.db import make_engine, transaction
from credit.domain.exports import ExportSpec, export
from credit.domain.workflows import Actor
engine = make_engine(sys.argv[1])
spec = ExportSpec("records", date(2026, 11, 1), department="commerce", record_type="penalty")
def children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024
from credit.domain.exports import prepare_decisions
p0, q0 = time.perf_counter(), time.process_time()
made = prepare_decisions(engine, spec, "csv")  # as the export job and the CLI do first
prepared = {"prepared": made, "prepare_seconds": time.perf_counter() - p0, "prepare_cpu": time.process_time() - q0}
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t0, c0, k0 = time.perf_counter(), time.process_time(), children()[0]
with transaction(engine) as s:
    result = export(s, Actor("bench", "regulator"), spec, sys.argv[3], sys.argv[2])
dt = time.perf_counter() - t0
helper_cpu, helper_peak = children()
print(json.dumps({"rows": result.rows, "seconds": dt, "cpu": time.process_time() - c0 + helper_cpu - k0,
                  "helper_cpu": helper_cpu - k0, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "helper_peak_mb": helper_peak, "start_mb": before, "bytes": result.path.stat().st_size,
                  "load": os.getloadavg()[0], **prepared}))
"""


def env_for(db: Path, work: Path) -> dict[str, str]:
    """The processes' environment: this run's database, upload and export folders, and data keys."""
    env = {**os.environ, "CREDIT_DATABASE_URL": f"sqlite:///{db}", "CREDIT_UPLOAD_DIR": str(work / "uploads"),
           "CREDIT_EXPORT_DIR": str(work / "exports"), "CREDIT_KEY_DIR": str(work / "keys"), "PYTHONPATH": str(ROOT)}
    if not (work / "keys").is_dir():  # ID numbers are encrypted at rest: the bench's own keys, made once
        subprocess.run([sys.executable, "-m", "credit", "keys", "init"], env=env, check=True, capture_output=True)
    return env


def fresh_db(db: Path, work: Path) -> dict[str, str]:
    for suffix in ("", "-wal", "-shm", "-jobs", "-jobs-wal", "-jobs-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    env = env_for(db, work)
    subprocess.run([sys.executable, "-m", "credit", "init-db"], env=env, check=True, capture_output=True)
    return env


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cli(csv_path: Path, work: Path) -> dict:
    env = fresh_db(work / "cli.db", work)
    c0, t0 = children_cpu(), time.perf_counter()
    subprocess.run([sys.executable, "-m", "credit", "ingest", "--department", "commerce", "--type", "penalty",
                    "--no-resolve", "-q", str(csv_path)], env=env, check=True, capture_output=True)
    seconds, cpu = time.perf_counter() - t0, children_cpu() - c0
    import sqlite3

    conn = sqlite3.connect(work / "cli.db")
    read, loaded, rejected = conn.execute("SELECT rows_read, loaded, rejected FROM batches").fetchone()
    conn.close()
    return {"seconds": seconds, "cpu": cpu, "status": "done", "read": read, "loaded": loaded, "rejected": rejected}


def run_jobs(csv_path: Path, work: Path) -> dict:
    db = work / "jobs.db"
    env = fresh_db(db, work)
    log = open(work / "worker.log", "ab")
    c0 = children_cpu()
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
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    figures.update(cpu=children_cpu() - c0, read=figures.pop("rows"))
    return figures


def upload_env(csv_path: Path) -> dict[str, str]:
    """The upload limit: the default (512 MB) unless the file is larger; then the file's size, rounded up."""
    size = csv_path.stat().st_size
    return {} if size <= DEFAULT_MAX_UPLOAD else {"CREDIT_MAX_UPLOAD_BYTES": str((size >> 20) + 1 << 20)}


def clerk_token(env: dict[str, str]) -> str:
    """A commerce clerk and an API token for it, made with the CLI as an administrator would."""
    subprocess.run([sys.executable, "-m", "credit", "user", "add", "bench-clerk", "--role", "clerk",
                    "--department", "commerce"], env=env, input="bench-clerk-password\n", text=True, check=True,
                   capture_output=True)
    out = subprocess.run([sys.executable, "-m", "credit", "token", "create", "bench-clerk"], env=env, text=True,
                         check=True, capture_output=True).stdout
    return next(word for word in out.split() if word.startswith("lz_"))


def run_api(csv_path: Path, work: Path) -> dict:
    """The file through ``POST /api/v1/batches`` of the served app, a worker waiting; until the batch is done."""
    db = work / "api.db"
    env = {**fresh_db(db, work), **upload_env(csv_path)}
    token = clerk_token(env)
    log = open(work / "worker.log", "ab")
    worker = subprocess.Popen([sys.executable, "-m", "credit", "worker", "--kind", "ingest", "--poll", "0.05", "-v"],
                              env=env, stdout=log, stderr=log)
    server, address = serve(db, 2, work / "serve.log", 4096, extra_env={k: v for k, v in env.items()
                                                                         if k.startswith(("CREDIT_", "PYTHON"))})
    try:
        time.sleep(0.5)
        base = web_upload.tree_cpu(server.pid) + web_upload.tree_cpu(worker.pid)
        c0, t0 = time.process_time(), time.perf_counter()
        status, receipt = web_upload.post_file(address, token, "commerce", "penalty", csv_path)
        accepted = time.perf_counter() - t0
        if status != 202:
            raise RuntimeError(f"POST /api/v1/batches answered {status}: {receipt}")
        answer = web_upload.wait_done(address, token, receipt["id"])
        seconds = time.perf_counter() - t0
        cpu = web_upload.tree_cpu(server.pid) + web_upload.tree_cpu(worker.pid) - base + time.process_time() - c0
    finally:
        worker.kill()
        worker.wait()
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
        log.close()
    for stored in (work / "uploads").glob("*.csv"):
        stored.unlink()
    return {"seconds": seconds, "cpu": cpu, "accepted": accepted, "status": answer["status"],
            "read": answer.get("read"), "loaded": answer.get("loaded"), "rejected": answer.get("rejected")}


def ingest_part(args: argparse.Namespace, work: Path) -> list[str]:
    csv_path = work / f"bench_{args.rows}.csv"
    if not csv_path.exists():
        datagen.write_csv_rows(csv_path, "commerce", "penalty", args.rows, seed=7)
    limit = upload_env(csv_path).get("CREDIT_MAX_UPLOAD_BYTES")
    print(f"  upload limit: {'CREDIT_MAX_UPLOAD_BYTES=' + limit if limit else 'the default'} "
          f"({int(limit or DEFAULT_MAX_UPLOAD) >> 20} MB) for a {csv_path.stat().st_size / 1e6:.0f} MB file", flush=True)
    other, name = (run_api, "API") if args.path == "api" else (run_jobs, "jobs")
    cli: list[dict] = []
    via: list[dict] = []
    for i in range(args.repeat):
        order = ("cli", name) if i % 2 == 0 else (name, "cli")
        for which in order:
            runner, into = (run_cli, cli) if which == "cli" else (other, via)
            figures = runner(csv_path, work)
            assert figures["status"] == "done" and figures["read"] == args.rows, figures
            into.append(figures)
            extra = "".join(f", {k} after {figures[k]:.2f} s" for k in ("accepted", "queued") if k in figures)
            print(f"  {which:<4} ingest {args.rows:,} rows: {figures['seconds']:.1f} s = "
                  f"{args.rows / figures['seconds']:,.0f} rows/s, CPU {figures['cpu']:.1f} s "
                  f"(read {figures['read']:,}, loaded {figures['loaded']:,}, rejected {figures['rejected']:,}{extra}; "
                  f"load {os.getloadavg()[0]:.1f})", flush=True)
    for c, v in zip(cli, via):
        counts = [{k: f[k] for k in ("read", "loaded", "rejected")} for f in (c, v)]
        assert counts[0] == counts[1], f"the {name} path's counts differ from the CLI's: {counts}"
    ratios = [c["seconds"] / v["seconds"] for c, v in zip(cli, via)]
    cpu_ratios = [c["cpu"] / v["cpu"] for c, v in zip(cli, via)]
    secs = ([f["seconds"] for f in cli], [f["seconds"] for f in via])
    line = (f"| ingest {args.rows:,} rows, CSV {csv_path.stat().st_size / 1e6:.0f} MB | CLI median "
            f"{args.rows / statistics.median(secs[0]):,.0f} rows/s ({_range(args.rows, secs[0])}) | {name} path median "
            f"{args.rows / statistics.median(secs[1]):,.0f} rows/s ({_range(args.rows, secs[1])}) | ratio median "
            f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f}); CPU ratio "
            f"{statistics.median(cpu_ratios):.2f} ({min(cpu_ratios):.2f}–{max(cpu_ratios):.2f}) |")
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


def forget_decisions(db: Path) -> None:
    """No stored gate decision left: the next export makes them (``credit.domain.export_store``)."""
    import sqlite3

    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM export_decisions")
    conn.commit()
    conn.close()


def export_part(args: argparse.Namespace, work: Path) -> list[str]:
    big, small = export_db(work, args.export_rows), export_db(work, 10)
    forget_decisions(big)
    first = run_export(big, work)
    print(f"  first export {first['rows']:,} rows: decisions made for {first['prepared']:,} versions in "
          f"{first['prepare_seconds']:.1f} s (CPU {first['prepare_cpu']:.1f} s), then the export "
          f"{first['seconds']:.1f} s (CPU {first['cpu']:.1f} s); load {first['load']:.1f}", flush=True)
    rates, peaks, cpus = [], [], []
    for _ in range(args.repeat):
        f = run_export(big, work)
        rates.append(f["rows"] / f["seconds"])
        peaks.append(f["peak_mb"])
        cpus.append(f["cpu"])
        print(f"  export {f['rows']:,} rows: {f['seconds']:.1f} s = {rates[-1]:,.0f} rows/s, peak RSS {f['peak_mb']:.0f} MB "
              f"(helper {f['helper_peak_mb']:.0f} MB; {f['bytes'] / 1e6:.0f} MB CSV; CPU {f['cpu']:.1f} s = "
              f"{f['cpu'] / f['rows'] * 1e6:.1f} µs a row, of which the helper {f['helper_cpu']:.1f} s; "
              f"load {f['load']:.1f}; before it, looking for decisions to make: {f['prepare_seconds']:.1f} s, "
              f"CPU {f['prepare_cpu']:.1f} s)", flush=True)
    tiny = run_export(small, work)
    print(f"  export {tiny['rows']:,} rows: peak RSS {tiny['peak_mb']:.0f} MB", flush=True)
    middle = ""
    if args.export_rows > 100_000:  # memory at a tenth of the size: flat means the same peak
        mid = run_export(export_db(work, 100_000), work)
        print(f"  export {mid['rows']:,} rows: {mid['rows'] / mid['seconds']:,.0f} rows/s, peak RSS {mid['peak_mb']:.0f} MB "
              f"(CPU {mid['cpu'] / mid['rows'] * 1e6:.1f} µs a row)", flush=True)
        middle = f"; 100,000 rows: {mid['peak_mb']:.0f} MB"
    cpu = statistics.median(c / args.export_rows * 1e6 for c in cpus)
    return [f"| first export {args.export_rows:,} rows as CSV: decisions made | {first['prepare_seconds']:.1f} s "
            f"(CPU {first['prepare_cpu']:.1f} s), then {first['seconds']:.1f} s (CPU {first['cpu']:.1f} s) |",
            f"| export {args.export_rows:,} rows as CSV | median {statistics.median(rates):,.0f} rows/s "
            f"({min(rates):,.0f}–{max(rates):,.0f}), CPU {cpu:.1f} µs a row | peak RSS "
            f"{statistics.median(peaks):.0f} MB{middle}; 10 rows: {tiny['peak_mb']:.0f} MB |"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the uploaded CSV (0: skip)")
    parser.add_argument("--export-rows", type=int, default=1_000_000, help="rows to export (0: skip)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--path", choices=["api", "jobs"], default="api",
                        help="the clerk's path beside the CLI: the HTTP API (default) or submit_uploads + worker")
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
