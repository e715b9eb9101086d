"""Done when: the database (file, WAL, a backup; on PostgreSQL every stored text) and every export a
public viewer can make hold no personal value of the ingested files in clear, byte by byte."""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3
import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, select, text
from sqlalchemy.orm import Session

from credit.cli import render
from credit.cli.credit_cmds import write_list_csv
from credit.demodata.datagen import generate
from credit.domain.lists import view_list
from credit.domain.queries import view_profile
from credit.domain.rating import rate
from credit.domain.workflows import ROLE_PUBLIC, ROLE_REGULATOR, Actor
from credit.kernel.models import SourceRecord
from ingest.loader import IngestError, ingest_file
from matching.models import Enterprise
from matching.service import resolve
from tests.trust.personal_values import clear_values_in, personal_values

PUBLIC = Actor("市民", ROLE_PUBLIC)


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, str, str]]:
    """Messy demo files of every department and type, in every form."""
    out = tmp_path_factory.mktemp("demo")
    made = generate(out, enterprises=200, seed=11, mess=0.3, bad_rows=0.02)
    return [(out / f.path, f.department, f.type) for f in made.files]


@pytest.fixture(scope="module")
def secrets(demo_files: list[tuple[Path, str, str]]) -> set[str]:
    values = personal_values(demo_files)
    assert any(len(v) == 18 for v in values) and any(len(v) == 20 for v in values), "the data has no ID numbers"
    return values


def _load(engine: Engine, files: list[tuple[Path, str, str]]) -> None:
    for path, department, record_type in files:
        try:
            ingest_file(engine, path, department, record_type, uploaded_by="test", parallel=path.suffix == ".csv")
        except IngestError:
            pass  # a file the demo spoils on purpose
    resolve(engine)


def _public_exports(engine: Engine, tmp_path: Path) -> bytes:
    """Everything a public viewer can export: each profile's text and rating, both lists as CSV."""
    parts = []
    with Session(engine) as session:
        ids = session.scalars(select(Enterprise.id).where(Enterprise.status == "active")).all()
        for eid in ids:
            parts.append(render.profile_text(view_profile(session, PUBLIC, eid)))
            parts.append(render.rating_text(rate(session, eid, date.today())))
        for kind in ("black", "red"):
            view = view_list(session, Actor("监管员", ROLE_REGULATOR), kind, export="list.csv")
            buffer = io.StringIO()
            write_list_csv(view, buffer)
            parts.append(buffer.getvalue())
            parts.append(render.list_text(view))
        session.commit()
    return "\n".join(parts).encode("utf-8")


def _sqlite_bytes(engine: Engine, tmp_path: Path) -> dict[str, bytes]:
    """The database file, its WAL (read while a connection holds it open) and a backup."""
    db = Path(engine.url.database or "")
    backup = tmp_path / "backup.db"
    with engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM source_records")).scalar_one()
        wal = db.with_name(db.name + "-wal")
        found = {"file": db.read_bytes(), "wal": wal.read_bytes() if wal.exists() else b""}
        source = sqlite3.connect(db)
        target = sqlite3.connect(backup)
        source.backup(target)
        target.close()
        source.close()
    found["backup"] = backup.read_bytes()
    return found


def _postgres_bytes(engine: Engine) -> dict[str, bytes]:
    """Every stored text: pg_dump of the test's schema when available, and every column of every table."""
    found = {}
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        tables = MetaData()
        tables.reflect(conn)
        rows = [repr(tuple(r)) for t in tables.sorted_tables for r in conn.execute(select(t))]
    found["tables"] = "\n".join(rows).encode("utf-8")
    if shutil.which("pg_dump"):
        url = engine.url
        cmd = ["pg_dump", "--no-owner", "--schema", schema, "-h", url.host or "127.0.0.1",
               "-p", str(url.port or 5432), "-U", url.username or "postgres", url.database or ""]
        found["pg_dump"] = subprocess.run(cmd, check=True, capture_output=True, timeout=120).stdout
    return found


def test_no_personal_value_in_clear_in_storage_or_public_exports(engine: Engine, tmp_path: Path,
                                                                demo_files: list[tuple[Path, str, str]],
                                                                secrets: set[str]) -> None:
    _load(engine, demo_files)
    with engine.connect() as conn:
        sealed = conn.execute(select(SourceRecord.fields).where(SourceRecord.fields.like('%"$enc"%'))).all()
    assert sealed, "personal values were stored"
    stored = _sqlite_bytes(engine, tmp_path) if engine.dialect.name == "sqlite" else _postgres_bytes(engine)
    assert all(blob for blob in stored.values() if blob is not stored.get("wal"))
    for where, blob in stored.items():
        assert clear_values_in(blob, secrets) == [], f"personal values in clear in the {where}"
    assert clear_values_in(_public_exports(engine, tmp_path), secrets) == []


def test_the_rejects_file_masks_personal_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from credit.cli import main

    monkeypatch.setenv("CREDIT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    path = tmp_path / "p.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["记录编号", "行政相对人名称", "法定代表人证件号码", "处罚决定日期", "备注"])
        w.writerow(["P1", "", "430102 19800101 123X", "2024-01-05", "证件 43010219800101123X"])   # no name
        w.writerow(["P2", "长沙某某店", "43010219800101123X", "不是日期", ""])                      # bad date
    rejects = tmp_path / "rejects.csv"
    assert main(["ingest", "-d", "commerce", "-t", "penalty", "--no-resolve", "-q", "--rejects", str(rejects),
                 str(path)]) == 0
    written = rejects.read_bytes()
    assert b"P1" in written and b"P2" in written
    assert clear_values_in(written, {"43010219800101123X", "430102 19800101 123X"}) == []
    assert b"430***********123X" in written
