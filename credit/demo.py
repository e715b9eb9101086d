"""Demo data: messy files for every department and type, ingested, resolved, summarised.

``python -m credit demo`` (what ``scripts/run`` calls). Running it again finds the same files
already ingested and changes nothing.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, func, select

from credit.db import transaction
from credit.migrate import upgrade
from credit.models import SourceRecord

log = logging.getLogger(__name__)


def run_demo(engine: Engine, out: str | Path, enterprises: int = 300, seed: int = 2026) -> int:
    """Generate, ingest and resolve demo data; print what happened. Returns an exit status."""
    from bench.datagen import generate
    from ingest.loader import IngestError, ingest_file
    from matching.service import resolve

    upgrade(engine)
    out = Path(out)
    manifest = generate(out, enterprises=enterprises, seed=seed, mess=0.3, bad_rows=0.01)
    print(f"演示文件 / demo files: {len(manifest.files)} in {out}")
    totals = {"loaded": 0, "rejected": 0, "already": 0}
    for f in manifest.files:
        try:
            result = ingest_file(engine, out / f.path, f.department, f.type)
        except IngestError as exc:
            print(f"  失败 / failed: {exc}")
            continue
        if result.status == "already_ingested":
            totals["already"] += 1
            continue
        totals["loaded"] += result.loaded
        totals["rejected"] += result.rejected
    print(f"入库 / loaded {totals['loaded']} · 拒绝 / rejected {totals['rejected']} (演示数据故意包含坏行 / "
          f"the demo data has bad rows on purpose) · 已导入过的文件 / files already ingested {totals['already']}")
    print(resolve(engine).summary())
    _print_overview(engine)
    return 0


def _print_overview(engine: Engine) -> None:
    from credit.lists import black_list, red_list
    from matching.models import Enterprise

    today = date.today()
    with transaction(engine) as session:
        records = session.scalar(select(func.count()).select_from(SourceRecord))
        active = session.scalar(select(func.count()).select_from(Enterprise).where(Enterprise.status == "active"))
        first = session.scalar(select(func.min(Enterprise.id)).where(Enterprise.status == "active"))
        black, red = black_list(session, today), red_list(session, today)
    print(f"记录版本 / record versions: {records} · 企业 / enterprises: {active} · "
          f"黑名单 / black list: {len(black)} · 红名单 / red list: {len(red)} (as of {today})")
    print("试试 / try:")
    print(f"  .venv/bin/python -m credit profile {first} --as public")
    print(f"  .venv/bin/python -m credit profile {first} --as government")
    print("  .venv/bin/python -m credit lists black")
    print("  .venv/bin/python -m credit review")
    print("  .venv/bin/python -m credit links --out links.csv")
