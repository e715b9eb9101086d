"""Demo data: messy files for every department and type, ingested, resolved, summarised.

``python -m credit demo`` (what ``scripts/run`` calls). The files are generated once per
(size, seed) into the output folder; a second run finds them (and every batch) already there and
changes nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, func, select

from credit.demodata.datagen import generate
from credit.domain.lists import black_list, red_list
from credit.domain.migrate import upgrade
from credit.domain.uploads import resolve_records, upload_file
from credit.domain.workflows import ROLE_ADMIN, Actor
from credit.kernel.db import transaction
from credit.kernel.models import SourceRecord
from ingest.loader import IngestError
from matching.models import Enterprise
from matching.service import ResolveResult

log = logging.getLogger(__name__)

DEMO_ACTOR = Actor("demo", ROLE_ADMIN)


@dataclass
class DemoResult:
    """What the demo did, and what the database now holds."""

    out: Path
    files: int
    generated: bool
    loaded: int = 0
    rejected: int = 0
    already: int = 0
    failed: list[str] = field(default_factory=list)
    resolution: ResolveResult | None = None
    records: int = 0
    enterprises: int = 0
    first_enterprise: int | None = None
    black: int = 0
    red: int = 0
    as_of: date = field(default_factory=date.today)


def _demo_files(out: Path, enterprises: int, seed: int) -> tuple[list[tuple[str, str, str]], bool]:
    """(path, department, type) of the demo files: the ones already written for this size and seed,
    or newly generated ones (the generator's XLSX files carry a timestamp, so regenerating would
    make every spreadsheet look like a new file)."""
    manifest = out / "manifest.json"
    if manifest.exists():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        files = [(f["path"], f["department"], f["type"]) for f in data.get("files", [])]
        if (data.get("seed"), data.get("enterprises")) == (seed, enterprises) and files \
                and all((out / p).exists() for p, _, _ in files):
            return files, False
    made = generate(out, enterprises=enterprises, seed=seed, mess=0.3, bad_rows=0.01)
    return [(f.path, f.department, f.type) for f in made.files], True


def run_demo(engine: Engine, out: str | Path, enterprises: int = 300, seed: int = 2026) -> DemoResult:
    """Generate (once), ingest and resolve demo data; report what happened."""
    upgrade(engine)
    out = Path(out)
    files, generated = _demo_files(out, enterprises, seed)
    result = DemoResult(out, len(files), generated)
    for path, department, record_type in files:
        if (out / path).stat().st_size == 0:
            continue  # a small world can leave a generated file without records: nothing to ingest
        try:
            ingested = upload_file(engine, DEMO_ACTOR, out / path, department, record_type)
        except IngestError as exc:
            result.failed.append(str(exc))
            continue
        if ingested.status == "already_ingested":
            result.already += 1
            continue
        result.loaded += ingested.loaded
        result.rejected += ingested.rejected
    result.resolution = resolve_records(engine, DEMO_ACTOR)
    with transaction(engine) as session:
        result.records = session.scalar(select(func.count()).select_from(SourceRecord)) or 0
        result.enterprises = session.scalar(
            select(func.count()).select_from(Enterprise).where(Enterprise.status == "active")) or 0
        result.first_enterprise = session.scalar(select(func.min(Enterprise.id)).where(Enterprise.status == "active"))
        result.black = len(black_list(session, result.as_of))
        result.red = len(red_list(session, result.as_of))
    return result
