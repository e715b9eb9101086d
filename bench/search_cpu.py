"""First-time public search: CPU per request in one process, beside the trivial endpoint.

    python -m bench.search_cpu [--enterprises 100000] [--db /tmp/lz-bench-web-100000.db] [--passes 5]

Builds (or reuses) the web benchmark's database (bench/webdata.py) and calls the WSGI app directly
(no HTTP, no test client) with the search cache off, so that every search is one never asked
before: ``/healthz``, then each of the benchmark's sampled queries (``/search?q=…``) once per pass,
the hit fragments kept as the server keeps them. Prints the CPU milliseconds (user + system) per
request of each pass, their median, the ratio to the trivial request and the load average. On a
shared machine CPU time moves far less with the other load than wall-clock time.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import webdata


def _environ(path: str) -> dict[str, Any]:
    target, _, query = path.partition("?")
    return {"REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": target, "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": True,
            "wsgi.run_once": False, "HTTP_HOST": "127.0.0.1:8000"}


def caller(app: Any) -> Callable[[str], int]:
    """A function answering one path through the WSGI app; it returns the status code."""
    def call(path: str) -> int:
        status: list[str] = []
        body = app(_environ(path), lambda s, _h, _e=None: status.append(s))
        try:
            for _ in body:
                pass
        finally:
            getattr(body, "close", lambda: None)()
        return int(status[0].split()[0])
    return call


def per_request(call: Callable[[str], int], paths: list[str]) -> float:
    """CPU milliseconds per request over ``paths`` (each answered once)."""
    started = time.process_time()
    for path in paths:
        status = call(path)
        if status >= 400:
            raise SystemExit(f"{path}: {status}")
    return (time.process_time() - started) / len(paths) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args(argv)
    db = args.db or Path(tempfile.gettempdir()) / f"lz-bench-web-{args.enterprises}.db"
    webdata.build(db, args.enterprises)
    os.environ["CREDIT_SEARCH_CACHE"] = "0"
    from credit.domain import search as search_module
    from web import create_app

    search_module.CACHE_SIZE = 0
    app = create_app({"CREDIT_DATABASE_URL": f"sqlite:///{db}", "RATELIMIT_ENABLED": False, "SECRET_KEY": "bench"})
    call = caller(app)
    searches = ["/search?q=" + urllib.parse.quote(q) for q in webdata.sample_queries(args.enterprises, args.queries)]
    trivial = ["/healthz"] * len(searches)
    per_request(call, trivial[:200])
    per_request(call, searches)  # warm: the page cache, the layout and the hit fragments
    figures: dict[str, list[float]] = {"trivial": [], "search": []}
    loads = []
    for _ in range(args.passes):
        loads.append(os.getloadavg()[0])
        figures["trivial"].append(per_request(call, trivial))
        figures["search"].append(per_request(call, searches))
    t, s = statistics.median(figures["trivial"]), statistics.median(figures["search"])
    print(f"{args.enterprises} enterprises ({db}), {len(searches)} first-time searches × {args.passes} passes, "
          f"load average {min(loads):.1f}–{max(loads):.1f}")
    for kind, values in figures.items():
        print(f"  {kind}: CPU ms/request median {statistics.median(values):.3f} "
              f"(passes: {', '.join(f'{v:.3f}' for v in values)})")
    print(f"  search × trivial CPU: {s / t:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
