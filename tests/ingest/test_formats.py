"""Every record type in every file form, from the messy generator, end to end through the loader."""

import csv
from collections import defaultdict

import pytest
from sqlalchemy import select

from credit.demodata.datagen import generate
from credit.kernel.catalog import load_catalog
from credit.kernel.models import SourceRecord
from ingest.loader import ingest_file

FORMS = ("csv", "xlsx", "json", "ndjson", "xml")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("messy")
    manifest = generate(out, enterprises=60, seed=11, forms=FORMS, mess=0.4, bad_rows=0.04)
    return out, manifest


def ingest_all(engine, out, manifest):
    rejects, results = [], []
    for f in manifest.files:
        results.append(ingest_file(engine, out / f.path, f.department, f.type, on_reject=rejects.append))
    return results, rejects


def test_generator_covers_every_type_and_form(dataset):
    _, manifest = dataset
    kinds = {(f.department, f.type) for f in manifest.files}
    assert kinds == set(load_catalog().types)
    assert {f.form for f in manifest.files} == set(FORMS)
    assert {f.encoding for f in manifest.files if f.form == "csv"} >= {"utf-8", "utf-8-sig", "gbk"}


def test_every_good_row_loads_every_bad_row_reported(engine, dataset):
    out, manifest = dataset
    results, rejects = ingest_all(engine, out, manifest)
    with open(out / "truth.csv", encoding="utf-8") as fh:
        truth = list(csv.DictReader(fh))
    t = SourceRecord.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.department, t.c.record_type, t.c.record_id, t.c.version, t.c.op)).all()
    latest = defaultdict(lambda: (0, ""))
    for d, ty, rid, version, op in rows:
        if version > latest[(d, ty, rid)][0]:
            latest[(d, ty, rid)] = (version, op)
    missing = [r for r in truth if (r["department"], r["type"], r["record_id"]) not in latest]
    assert not missing, f"{len(missing)} good records not stored, e.g. {missing[:3]}"
    for r in truth:
        if r["revoked"] == "1":
            assert latest[(r["department"], r["type"], r["record_id"])][1] == "revoke", r
    with open(out / "bad_rows.csv", encoding="utf-8") as fh:
        bad = {(b["file"], int(b["row_number"]), b["column"]) for b in csv.DictReader(fh)}
    reported = {(r.file.rsplit("/", 1)[-1], r.row, r.column.split("(")[-1].rstrip(")")) for r in rejects}
    assert bad and bad <= reported
    assert {(f, row) for f, row, _ in reported} == {(f, row) for f, row, _ in bad}
    assert sum(r.rejected for r in results) == len({(f, row) for f, row, _ in bad})
    # a duplicate row, or a re-send with identical content ("resend.same"), stores nothing new
    same = [r for r in truth for tag in r["mess"].split(";") if tag in ("duplicate", "resend.same")]
    assert sum(r.duplicates + r.unchanged for r in results) == len(same)
    expected_versions = {(r["department"], r["type"], r["record_id"]): int(r["versions"]) - ("resend.same" in r["mess"])
                         for r in truth}
    wrong_versions = [k for k, v in expected_versions.items() if latest[k][0] != v]
    assert not wrong_versions, wrong_versions[:3]


def test_second_run_changes_nothing(engine, dataset):
    out, manifest = dataset
    ingest_all(engine, out, manifest)
    again, _ = ingest_all(engine, out, manifest)
    assert {r.status for r in again} == {"already_ingested"}
