"""Trust benchmark: what sealing the audit chain, verifying it, signing exports and making reports cost.

    python -m bench.trust [--transactions 2000] [--entries 20000] [--export-mb 200] [--reports 10] [--url URL]

Prints, on a fresh database (SQLite in a temporary folder unless ``--url``) and a temporary key
directory: one audited transaction with and without the signed checkpoint (ms each); ``audit
verify`` over a log of ``--entries`` entries, each its own transaction (entries/s); signing and
verifying an export of ``--export-mb`` MB (MB/s); making a signed credit report (ms each).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from credit.domain import audit, audit_seal
from credit.domain.schema import create_all
from credit.kernel.db import make_engine, transaction


def _transactions(engine: Engine, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        with transaction(engine) as session:
            audit.record(session, actor="bench", action="bench.step", subject=f"enterprise:{i % 50 + 1}")
    return (time.perf_counter() - start) / n * 1000


def bench_sealing(engine: Engine, n: int) -> tuple[float, float]:
    """Milliseconds per audited transaction: sealed (as shipped), then without the checkpoint."""
    sealed = _transactions(engine, n)
    event.remove(Session, "before_commit", audit_seal._seal_before_commit)
    try:
        bare = _transactions(engine, n)
    finally:
        event.listen(Session, "before_commit", audit_seal._seal_before_commit)
    return sealed, bare


def bench_verify(engine: Engine, entries: int) -> tuple[float, int]:
    _transactions(engine, entries)
    with Session(engine) as session:
        start = time.perf_counter()
        result = audit.verify(session)
        seconds = time.perf_counter() - start
    assert result.ok, result
    return result.entries / seconds, result.entries


def bench_export(engine: Engine, folder: Path, megabytes: int) -> tuple[float, float]:
    from credit.domain.exports_signing import sign_export, verify_export
    from credit.domain.workflows import ROLE_REGULATOR, Actor

    path = folder / "export.csv"
    line = "严重失信主体名单,2026-05-01,公众 public,1,长沙某某科技有限公司,91430100MA4L0XXX1X,原因\r\n".encode()
    with open(path, "wb") as fh:
        for _ in range(megabytes * 1024 * 1024 // len(line)):
            fh.write(line)
    size = path.stat().st_size / 1e6
    with transaction(engine) as session:
        start = time.perf_counter()
        sign_export(session, Actor("bench", ROLE_REGULATOR), path, kind="bench", rows=0)
        signing = size / (time.perf_counter() - start)
    start = time.perf_counter()
    assert verify_export(path).ok
    return signing, size / (time.perf_counter() - start)


def bench_reports(engine: Engine, n: int) -> float:
    from credit.domain.reports import make_report
    from credit.domain.workflows import ROLE_REGULATOR, Actor
    from matching.models import Enterprise

    with transaction(engine) as session:
        session.add(Enterprise(id=1))
    times = []
    for _ in range(n):
        with transaction(engine) as session:
            start = time.perf_counter()
            make_report(session, Actor("bench", ROLE_REGULATOR), 1, at=date(2026, 1, 10))
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--transactions", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=20000)
    parser.add_argument("--export-mb", type=int, default=200)
    parser.add_argument("--reports", type=int, default=10)
    parser.add_argument("--url", help="database URL (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ["CREDIT_KEY_DIR"] = str(folder / "keys")
        engine = make_engine(args.url or f"sqlite:///{folder / 'bench.db'}")
        create_all(engine)
        sealed, bare = bench_sealing(engine, args.transactions)
        print(f"audited transaction: {sealed:.2f} ms sealed, {bare:.2f} ms without the checkpoint "
              f"({args.transactions} each)")
        rate, entries = bench_verify(engine, args.entries)
        print(f"audit verify: {rate:,.0f} entries/s ({entries} entries, one checkpoint each)")
        signing, verifying = bench_export(engine, folder, args.export_mb)
        print(f"export ({args.export_mb} MB): sign {signing:,.0f} MB/s, verify {verifying:,.0f} MB/s")
        print(f"credit report (empty profile): {bench_reports(engine, args.reports):.0f} ms median of {args.reports}")
        engine.dispose()


if __name__ == "__main__":
    main()
