"""Web benchmark: public search and the enterprise page beside a trivial endpoint of the same app.

    python -m bench.web [--enterprises 1000000] [--db /tmp/lz-bench-web.db] [--runs 3] [--duration 15]

Builds (or reuses) a SQLite database of N enterprises written straight into the tables
(bench/webdata.py), starts ``python -m credit serve`` (gunicorn, 2 workers, rate limits off) on a
free loopback port, and drives it with wrk (Lua scripts cycling through sampled paths; a Python
keep-alive client when wrk is missing). Each run measures /healthz (trivial JSON, no database),
/search?q=… (a trade name alone, trade name + industry, a full name, a code: a quarter each) and
/enterprises/ID (random ids); the figures are the median and range over the runs, beside the CPU
time (user + system) the server's processes spent per answered request (from /proc, Linux) and the
load average: on a shared machine wall-clock figures move with the other load, CPU time much less.
The server stops at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from bench import webdata

ROOT = Path(__file__).resolve().parent.parent
LUA = """
local paths = {}
for line in io.lines(os.getenv("LZ_PATHS")) do paths[#paths + 1] = line end
local i = 0
setup = function(thread) thread:set("offset", math.random(#paths)) end
init = function() i = offset or 0 end
request = function() i = i % #paths + 1; return wrk.format("GET", paths[i]) end
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout
  io.write(string.format("RESULT %d %.3f %.3f %.3f %d\\n", summary.requests, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, summary.duration / 1e6, errors))
end
"""


def serve(db: Path, workers: int, log: Path, cache: int,
          extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    """``python -m credit serve`` on a free port; its output (the access log) goes to a file, never a pipe."""
    env = {**os.environ, "CREDIT_DATABASE_URL": f"sqlite:///{db}", "CREDIT_RATELIMIT": "0",
           "CREDIT_SECRET_KEY": "bench", "CREDIT_SEARCH_CACHE": str(cache), **(extra_env or {})}
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen([sys.executable, "-m", "credit", "serve", "--port", "0", "--workers", str(workers)],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
    address = ""
    for _ in range(300):
        first = log.read_text(encoding="utf-8").splitlines()[:1]
        if first and "http://" in first[0]:
            address = first[0].split(": ", 1)[1].split()[0].rstrip("/")
            break
        time.sleep(0.1)
    for _ in range(300):
        try:
            urllib.request.urlopen(address + "/healthz", timeout=5).read()
            return proc, address
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"the app did not answer at {address}")


def run_wrk(address: str, paths: list[str], seconds: int, connections: int, folder: Path) -> tuple[float, float, float, int]:
    """(requests/s, p50 ms, p95 ms, errors) for one endpoint kind."""
    listing = folder / "paths.txt"
    listing.write_text("\n".join(paths) + "\n", encoding="utf-8")
    script = folder / "bench.lua"
    script.write_text(LUA, encoding="utf-8")
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), address],
                         env={**os.environ, "LZ_PATHS": str(listing)}, capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT"))
    requests, p50, p95, duration, errors = line.split()[1:]
    return int(requests) / float(duration), float(p50), float(p95), int(errors)


def run_python(address: str, paths: list[str], seconds: int, connections: int, _folder: Path) -> tuple[float, float, float, int]:
    """The same measurement with threads of keep-alive http.client connections (no wrk on this machine)."""
    import http.client
    import threading

    host, port = urllib.parse.urlsplit(address).netloc.split(":")
    latencies: list[float] = []
    errors = [0]
    stop = time.perf_counter() + seconds

    def worker(offset: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        i = offset
        while time.perf_counter() < stop:
            i = (i + 1) % len(paths)
            t0 = time.perf_counter()
            try:
                conn.request("GET", paths[i])
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    errors[0] += 1
            except OSError:
                errors[0] += 1
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
            latencies.append((time.perf_counter() - t0) * 1000)

    threads = [threading.Thread(target=worker, args=(k * 97,)) for k in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    return (len(latencies) / seconds, latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.95)], errors[0])


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its live descendants (Linux /proc; 0.0 elsewhere)."""
    tick, total, todo = os.sysconf("SC_CLK_TCK"), 0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
            todo += [int(c) for c in Path(f"/proc/{current}/task/{current}/children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total / tick


Result = tuple[float, float, float, int, float, float]  # req/s, p50, p95, errors, server and client CPU ms/request


def measured(measure: Callable[..., tuple[float, float, float, int]], address: str, paths: list[str], seconds: int,
             connections: int, folder: Path, server: int) -> Result:
    """One measurement, with the server's and the load client's CPU milliseconds per request."""
    server0, client0 = tree_cpu(server), resource.getrusage(resource.RUSAGE_CHILDREN)
    self0 = resource.getrusage(resource.RUSAGE_SELF) if measure is run_python else None
    rps, p50, p95, errors = measure(address, paths, seconds, connections, folder)
    client1 = resource.getrusage(resource.RUSAGE_SELF if self0 else resource.RUSAGE_CHILDREN)
    before = self0 or client0
    requests = max(1.0, rps * seconds)
    client = (client1.ru_utime + client1.ru_stime - before.ru_utime - before.ru_stime) / requests * 1000
    return rps, p50, p95, errors, (tree_cpu(server) - server0) / requests * 1000, client


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "lz-bench-web.db")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=15, help="seconds per endpoint per run")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--search-cache", type=int, default=4096,
                        help="search results kept per worker (0: every search computed afresh)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    built = webdata.build(args.db, args.enterprises)
    print(f"database {args.db}: {args.enterprises} enterprises, {built} ({time.perf_counter() - t0:.0f} s)", flush=True)
    rng = random.Random(11)
    kinds = {
        "trivial /healthz": ["/healthz"],
        "search /search?q=": ["/search?q=" + urllib.parse.quote(q) for q in webdata.sample_queries(args.enterprises, 2000)],
        "enterprise /enterprises/ID": [f"/enterprises/{rng.randint(1, args.enterprises)}" for _ in range(2000)],
    }
    measure = run_wrk if shutil.which("wrk") else run_python
    results: dict[str, list[Result]] = {k: [] for k in kinds}
    loads: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        proc, address = serve(args.db, args.workers, Path(tmp) / "serve.log", args.search_cache)
        try:
            for paths in kinds.values():  # warm the page cache and both workers once
                measure(address, paths, 3, args.connections, Path(tmp))
            for run in range(args.runs):
                for kind, paths in kinds.items():
                    loads.append(os.getloadavg()[0])
                    results[kind].append(measured(measure, address, paths, args.duration, args.connections, Path(tmp),
                                                  proc.pid))
                    print(f"run {run + 1} {kind}: " + ", ".join(f"{v:.2f}" for v in results[kind][-1])
                          + f" (load {loads[-1]:.1f})", flush=True)
        finally:
            proc.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
            proc.wait(timeout=60)
    report(results, args, measure.__name__, loads)
    cpu = cpu_per_request(args.db, kinds, args.search_cache)
    print("CPU ms per request in process: " + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items()))
    return 0


def cpu_per_request(db: Path, kinds: dict[str, list[str]], cache: int, count: int = 300) -> dict[str, float]:
    """CPU milliseconds per request in this process (Flask test client, no HTTP): a figure the other
    load on a shared machine moves far less than wall-clock latency."""
    os.environ["CREDIT_SEARCH_CACHE"] = str(cache)
    from credit.domain import search as search_module
    from web import create_app

    search_module.CACHE_SIZE = cache
    app = create_app({"CREDIT_DATABASE_URL": f"sqlite:///{db}", "RATELIMIT_ENABLED": False, "SECRET_KEY": "bench"})
    client = app.test_client()
    out = {}
    for kind, paths in kinds.items():
        sample = (paths * (count // len(paths) + 1))[:count]
        for path in sample[:20]:
            client.get(path)
        started = time.process_time()
        for path in sample:
            client.get(path)
        out[kind] = (time.process_time() - started) / len(sample) * 1000
    return out


def _fig(values: list[float], fmt: str) -> str:
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def report(results: dict[str, list[Result]], args: argparse.Namespace, client: str, loads: list[float]) -> None:
    trivial = statistics.median(r[0] for r in results["trivial /healthz"])
    trivial_cpu = statistics.median(r[4] for r in results["trivial /healthz"])
    print(f"\n{args.enterprises} enterprises, gunicorn {args.workers} workers, search cache {args.search_cache}, "
          f"{args.connections} connections, {args.runs} runs × {args.duration} s, client {client}; "
          f"load average {min(loads):.1f}–{max(loads):.1f} during the runs")
    print("| endpoint | requests/s | p50 ms | p95 ms | × trivial throughput | server CPU ms/request | × trivial CPU "
          "| client CPU ms/request | errors |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for kind, rows in results.items():
        rps, cpu = [r[0] for r in rows], [r[4] for r in rows]
        print(f"| {kind} | {_fig(rps, '{:.0f}')} | {_fig([r[1] for r in rows], '{:.1f}')} | "
              f"{_fig([r[2] for r in rows], '{:.1f}')} | {statistics.median(rps) / trivial:.2f} | "
              f"{_fig(cpu, '{:.2f}')} | {statistics.median(cpu) / trivial_cpu:.2f} | "
              f"{_fig([r[5] for r in rows], '{:.2f}')} | {sum(r[3] for r in rows)} |")


if __name__ == "__main__":
    sys.exit(main())
