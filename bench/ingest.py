"""Ingest benchmark: rows/s and peak memory for a large CSV and a large XLSX into SQLite.

    python -m bench.ingest [--csv-rows 1000000] [--xlsx-rows 200000] [--workdir /tmp/lz-bench] [--reuse] [--runs N]
                           [--varied N]

Each ingest runs in a fresh child process so that its peak memory is the ingest's own, not the
generator's. The peak reported is the largest sum, sampled every 0.2 s, of the proportional set
size (PSS: shared pages divided among the processes sharing them) of the writer and its forked
readers, i.e. what the machine really holds; each process's own maximum RSS is printed beside it,
and the CPU seconds (user + system) of the writer and of its readers together, with the load
average at the end: on a shared machine the CPU figures say more than the wall time.
The generator draws rows from a pool of 10,000 records, so no column has more distinct values than
that; ``--varied N`` rewrites the CSV so that it looks more like a real file (every decision number
unique, N distinct names and N/5 distinct legal representatives), which memos cannot hold whole.
Prints one line per run and a Markdown table row to paste into docs/benchmarks.md. The child gets a
data keys file of its own in the work folder (ID numbers are encrypted at rest, as in production).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from credit.demodata import datagen
from credit.kernel import keys

log = logging.getLogger(__name__)

CHILD = """
import json, os, resource, sys, threading, time
from credit.kernel.db import make_engine
from credit.domain.schema import create_all
from ingest.loader import ingest_file

def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("Pss:"))
    except (OSError, StopIteration):
        return 0

def children(pid):
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                out += [int(c) for c in fh.read().split()]
        except OSError:
            pass
    return out

peak = {"pss": 0, "procs": 0}
done = threading.Event()
def sample():
    me = os.getpid()
    while not done.wait(0.2):
        pids = [me] + children(me)
        total = sum(pss_kb(p) for p in pids)
        if total > peak["pss"]:
            peak["pss"], peak["procs"] = total, len(pids)
threading.Thread(target=sample, daemon=True).start()
engine = make_engine(sys.argv[1]); create_all(engine)
def cpu(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime
cpu0 = cpu(resource.RUSAGE_SELF)
t0 = time.perf_counter()
r = ingest_file(engine, sys.argv[2], sys.argv[3], sys.argv[4])
dt = time.perf_counter() - t0
writer_cpu = cpu(resource.RUSAGE_SELF) - cpu0
done.set()
writer = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
reader = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest forked reader
print(json.dumps({"rows": r.rows_read, "loaded": r.loaded, "rejected": r.rejected, "seconds": dt,
                  "writer_mb": writer, "reader_mb": reader, "peak_mb": peak["pss"] / 1024,
                  "processes": peak["procs"], "writer_cpu": writer_cpu,
                  "readers_cpu": cpu(resource.RUSAGE_CHILDREN), "load": os.getloadavg()[0]}))
"""


def bench_keys(work: Path) -> Path:
    """A data keys file of the benchmark's own (personal values are encrypted at rest)."""
    path, _ = keys.init_keys(work / "keys" / keys.DATA_KEYS_NAME)
    return path


def vary(path: Path, distinct: int) -> Path:
    """A copy of a commerce/penalty CSV with unique decision numbers and ``distinct`` names (``--varied``)."""
    import csv

    out = path.with_name(f"{path.stem}_varied{distinct}.csv")
    with open(path, encoding="utf-8", newline="") as src, open(out, "w", encoding="utf-8", newline="") as dst:
        reader, writer = csv.reader(src), csv.writer(dst)
        header = next(reader)
        writer.writerow(header)
        name, number, rep = (header.index(h) for h in ("行政相对人名称", "行政处罚决定书文号", "法定代表人"))
        for n, row in enumerate(reader):
            k = n % distinct
            row[number] = row[number].replace("号", f"-{n}号")
            row[name] = row[name].replace("店", f"{k}店", 1) if "店" in row[name] else f"{row[name]}{k}"
            row[rep] = f"{row[rep]}{k % max(1, distinct // 5)}"
            writer.writerow(row)
    return out


def run_child(db: Path, path: Path, department: str, record_type: str) -> dict:
    """Ingest one file in a fresh interpreter (with the benchmark's data keys) and return its figures."""
    for leftover in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        if leftover.exists():
            leftover.unlink()
    env = {**os.environ, keys.ENV_KEY_FILE: str(bench_keys(db.parent))}
    env.pop(keys.ENV_KEYS, None)
    out = subprocess.run([sys.executable, "-c", CHILD, f"sqlite:///{db}", str(path), department, record_type],
                         check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(label: str, figures: dict, size_mb: float) -> str:
    rate = figures["rows"] / figures["seconds"]
    line = (f"{label}: {figures['rows']:,} rows ({size_mb:.0f} MB) in {figures['seconds']:.1f} s = "
            f"{rate:,.0f} rows/s, peak {figures['peak_mb']:.0f} MB PSS over {figures['processes']} processes "
            f"(max RSS: writer {figures['writer_mb']:.0f}, each reader up to {figures['reader_mb']:.0f}), "
            f"CPU s: writer {figures['writer_cpu']:.1f}, readers {figures['readers_cpu']:.1f}, "
            f"load average {figures['load']:.1f}, "
            f"loaded {figures['loaded']:,}, "
            f"rejected {figures['rejected']:,}")
    print(line, flush=True)
    return (f"| {date.today()} | {label} | {figures['rows']:,} | {figures['seconds']:.1f} | {rate:,.0f} | "
            f"{figures['peak_mb']:.0f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=200_000)
    parser.add_argument("--department", default="commerce")
    parser.add_argument("--type", dest="record_type", default="penalty")
    parser.add_argument("--workdir", default="/tmp/lz-bench")
    parser.add_argument("--reuse", action="store_true", help="ingest the files of an earlier run, if present")
    parser.add_argument("--runs", type=int, default=1, help="ingest each file this many times (fresh database each)")
    parser.add_argument("--varied", type=int, default=0, metavar="N",
                        help="CSV: unique decision numbers and N distinct names (commerce/penalty only)")
    args = parser.parse_args(argv)
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()} · "
          f"{platform.platform()}", flush=True)
    rows = []
    if args.csv_rows:
        csv_path = work / f"bench_{args.csv_rows}.csv"
        if not (args.reuse and csv_path.exists()):
            t0 = time.perf_counter()
            datagen.write_csv_rows(csv_path, args.department, args.record_type, args.csv_rows, seed=7)
            print(f"generated {csv_path} in {time.perf_counter() - t0:.0f} s", flush=True)
        if args.varied:
            csv_path = vary(csv_path, args.varied)
            print(f"varied: {csv_path}", flush=True)
        for _ in range(args.runs):
            figures = run_child(work / "bench.db", csv_path, args.department, args.record_type)
            rows.append(report(f"CSV {args.department}/{args.record_type}", figures, csv_path.stat().st_size / 1e6))
    if args.xlsx_rows:
        xlsx_path = work / f"bench_{args.xlsx_rows}.xlsx"
        if not (args.reuse and xlsx_path.exists()):
            t0 = time.perf_counter()
            datagen.write_xlsx_rows(xlsx_path, args.department, args.record_type, args.xlsx_rows, seed=7)
            print(f"generated {xlsx_path} in {time.perf_counter() - t0:.0f} s", flush=True)
        for _ in range(args.runs):
            figures = run_child(work / "bench.db", xlsx_path, args.department, args.record_type)
            rows.append(report(f"XLSX {args.department}/{args.record_type}", figures, xlsx_path.stat().st_size / 1e6))
    print("\n| date | run | rows | seconds | rows/s | peak MB |\n| --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    print(f"(this process peak: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
