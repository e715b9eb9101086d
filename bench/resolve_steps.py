"""Full-resolve benchmark by step: a fresh copy of an ingested database resolved in process.

    python -m bench.resolve_steps --db /tmp/lz-match/m1000000/ingested.db [--copy /tmp/lz-steps.db]

Copies the database (``bench.matching --only-ingest`` writes ``ingested.db``; its keys file
``keys.json`` beside it is used unless ``CREDIT_KEY_FILE`` is set), runs ``resolve(full=True)`` on
the copy with the resolver's per-step log (wall and this process's CPU per step), and prints the
run's wall time, CPU (this process and its forked helpers), peak memory and a digest of every
stored link and blocking-key row, so two versions of the code run on the same data can be compared
for speed and for identical output (equal digests).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import resource
import shutil
import sqlite3
import time
from pathlib import Path

from credit.kernel.db import make_engine
from matching.service import resolve


def digest(path: Path) -> tuple[str, str]:
    """sha256 prefixes over every record_links row and every match_keys row (ids included)."""
    conn = sqlite3.connect(path)
    try:
        links, keys = hashlib.sha256(), hashlib.sha256()
        for row in conn.execute("SELECT id, department, record_type, record_id, enterprise_id, score, reason"
                                " FROM record_links ORDER BY id"):
            links.update(repr(row).encode())
        for row in conn.execute("SELECT id, key_hash, link_id FROM match_keys ORDER BY id"):
            keys.update(repr(row).encode())
        return links.hexdigest()[:16], keys.hexdigest()[:16]
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="an ingested, unresolved SQLite database")
    parser.add_argument("--copy", type=Path, default=Path("/tmp/lz-resolve-steps.db"), help="where to copy it")
    args = parser.parse_args()
    keys = args.db.parent / "keys.json"
    if not (os.environ.get("CREDIT_KEY_FILE") or os.environ.get("CREDIT_DATA_KEYS")) and keys.exists():
        os.environ["CREDIT_KEY_FILE"] = str(keys)
    logging.basicConfig(level=logging.INFO, format="%(relativeCreated)8.0f ms  %(message)s")
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    shutil.copy(args.db, args.copy)
    engine = make_engine(f"sqlite:///{args.copy}")
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    resolve(engine, full=True)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    engine.dispose()
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    links, match_keys = digest(args.copy)
    print(f"full resolve {wall:.1f} s wall, CPU {cpu:.1f} s (forked helpers {kids.ru_utime + kids.ru_stime:.1f} s), "
          f"peak {own.ru_maxrss // 1024} MB (helpers {kids.ru_maxrss // 1024} MB), load {load:.2f}-{os.getloadavg()[0]:.2f}; "
          f"digests links {links} match_keys {match_keys}")


if __name__ == "__main__":
    main()
