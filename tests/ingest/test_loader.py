"""Batches: append-only versions, re-sends, revokes, duplicates, rejects, all-or-nothing."""

import csv
import json

import pytest
from sqlalchemy import func, select

from credit.cli.render import ingest_text
from credit.kernel.models import Batch, SourceRecord
from credit.kernel.rawrow import raw_values
from ingest import loader, prepare
from ingest.loader import IngestError, ingest_file
from ingest.validate import RowValidator

HEADER = ["记录编号", "操作类型", "行政相对人名称", "统一社会信用代码", "处罚类别", "罚款金额（万元）", "处罚决定日期", "是否严重失信"]


def write_csv(path, rows, header=HEADER, encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def row(rid, name="长沙市某某科技有限公司", op="", fine="2", day="2024-03-05", kinds="罚款", serious="否"):
    return [rid, op, name, "", kinds, fine, day, serious]


def raw_of(engine, rec):
    """A stored raw row as header -> cell (a table row is a list against its batch's header)."""
    with engine.connect() as conn:
        headers = conn.execute(select(Batch.raw_headers).where(Batch.id == rec["batch_id"])).scalar_one()
    return raw_values(rec["raw"], headers)


def stored(engine, rid=None):
    t = SourceRecord.__table__
    q = select(t).order_by(t.c.record_id, t.c.version)
    if rid:
        q = q.where(t.c.record_id == rid)
    with engine.connect() as conn:
        return conn.execute(q).mappings().all()


@pytest.fixture(params=[False, True], ids=["serial", "parallel"])
def parallel(request):
    """Each loader test runs with validation in this process and in a forked child."""
    return request.param


def ingest(engine, path, **kw):
    return ingest_file(engine, path, "commerce", "penalty", **kw)


def test_rows_load_with_provenance(engine, tmp_path, parallel):
    path = write_csv(tmp_path / "p.csv", [row("P1"), row("P2", fine="1,234.5")])
    result = ingest(engine, path, parallel=parallel)
    assert (result.rows_read, result.new_records, result.rejected) == (2, 2, 0)
    recs = stored(engine)
    assert [r["record_id"] for r in recs] == ["P1", "P2"]
    p2 = recs[1]
    assert p2["version"] == 1 and p2["op"] == "upsert" and p2["row_number"] == 3
    assert p2["batch_id"] == result.batch_id and p2["file_hash"] == loader.file_hash(path)
    assert json.loads(p2["fields"])["fine_amount"] == 1234.5
    assert raw_of(engine, p2)["罚款金额（万元）"] == "1,234.5"
    assert p2["name"] == "长沙市某某科技有限公司"


def test_a_table_row_is_stored_as_its_cells_against_the_batch_header(engine, tmp_path, parallel):
    """The header is stored once, with the batch; each row's raw cells in its order, as read. A row
    with cells beyond the header keeps them, as an object."""
    path = write_csv(tmp_path / "p.csv", [row("P1", fine="1,234.5"), row("P2") + ["多出的格"]])
    result = ingest(engine, path, parallel=parallel)
    with engine.connect() as conn:
        headers = conn.execute(select(Batch.raw_headers).where(Batch.id == result.batch_id)).scalar_one()
    assert json.loads(headers) == HEADER
    p1 = stored(engine, "P1")[0]
    assert json.loads(p1["raw"]) == row("P1", fine="1,234.5")
    assert raw_values(p1["raw"], headers) == dict(zip(HEADER, row("P1", fine="1,234.5")))
    assert result.rejected == 1 and result.rejects[0].raw["_extra_1"] == "多出的格"


def test_json_columns_are_stored_as_text(engine, tmp_path, parallel):
    """The readers hand the rows' JSON over as UTF-8 bytes: what lands is text, not a blob."""
    path = write_csv(tmp_path / "p.csv", [row("P1", name="湖南（长沙）某某科技有限公司")])
    ingest(engine, path, parallel=parallel)
    rec = stored(engine)[0]
    assert isinstance(rec["fields"], str) and isinstance(rec["raw"], str)
    assert json.loads(rec["fields"])["subject_name"] == "湖南（长沙）某某科技有限公司"
    assert raw_of(engine, rec)["行政相对人名称"] == "湖南（长沙）某某科技有限公司"
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            kinds = conn.exec_driver_sql("SELECT typeof(fields), typeof(raw), length(raw) FROM source_records").one()
        assert kinds[:2] == ("text", "text") and kinds[2] == len(rec["raw"])  # characters, not bytes


def test_same_file_twice_does_nothing_and_says_so(engine, tmp_path, parallel):
    path = write_csv(tmp_path / "p.csv", [row("P1")])
    first = ingest(engine, path, parallel=parallel)
    again = ingest(engine, path, parallel=parallel)
    assert again.status == "already_ingested" and again.batch_id == first.batch_id
    assert "already ingested" in ingest_text(again)
    assert len(stored(engine)) == 1
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Batch)) == 1


def test_resend_changed_is_new_version_identical_is_noop(engine, tmp_path, parallel):
    ingest(engine, write_csv(tmp_path / "a.csv", [row("P1"), row("P2")]), parallel=parallel)
    result = ingest(engine, write_csv(tmp_path / "b.csv", [row("P1", fine="5"), row("P2"), row("P3")]), parallel=parallel)
    assert (result.new_records, result.new_versions, result.unchanged) == (1, 1, 1)
    assert [r["version"] for r in stored(engine, "P1")] == [1, 2]
    assert [r["version"] for r in stored(engine, "P2")] == [1]


def test_revoke_is_a_version_and_nothing_is_deleted(engine, tmp_path, parallel):
    ingest(engine, write_csv(tmp_path / "a.csv", [row("P1")]), parallel=parallel)
    result = ingest(engine, write_csv(tmp_path / "b.csv", [["P1", "撤销", "", "", "", "", "", ""]]), parallel=parallel)
    assert result.new_versions == 1
    versions = stored(engine, "P1")
    assert [(v["version"], v["op"]) for v in versions] == [(1, "upsert"), (2, "revoke")]
    again = ingest(engine, write_csv(tmp_path / "c.csv", [["P1", "撤销", "", "", "", "", "", ""], row("P9")]), parallel=parallel)
    assert again.unchanged == 1 and len(stored(engine, "P1")) == 2


def test_duplicate_rows_counted_not_stored(engine, tmp_path, monkeypatch, parallel):
    monkeypatch.setattr(prepare, "CHUNK_ROWS", 2)  # duplicates across chunks too
    rows = [row("P1"), row("P1"), row("P2"), row("P3"), row("P1")]
    result = ingest(engine, write_csv(tmp_path / "d.csv", rows), parallel=parallel)
    assert (result.new_records, result.duplicates) == (3, 2)
    assert len(stored(engine)) == 3


def test_bad_rows_rejected_with_row_and_column_rest_loads(engine, tmp_path, parallel):
    rows = [row("P1"), row("", name="无编号公司"), row("P3", day="2024-13-45"), row("P4", serious="也许"), row("P5")]
    seen = []
    result = ingest(engine, write_csv(tmp_path / "bad.csv", rows), on_reject=seen.append, parallel=parallel)
    assert (result.new_records, result.rejected) == (2, 3)
    where = {(r.row, r.column) for r in seen}
    assert {(3, "记录编号 (record_id)"), (4, "处罚决定日期 (decision_date)"), (5, "是否严重失信 (serious)")} <= where
    assert all(r.file.endswith("bad.csv") for r in seen)
    assert "2024-13-45" in next(r.reason for r in seen if r.row == 4)


def test_unreadable_file_fails_whole_and_stores_nothing(engine, tmp_path, parallel):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(IngestError, match="empty.csv"):
        ingest(engine, empty, parallel=parallel)
    assert stored(engine) == []


def test_missing_required_header_fails_whole(engine, tmp_path, parallel):
    path = write_csv(tmp_path / "h.csv", [["x", "y"]], header=["行政相对人名称", "处罚决定日期"])
    with pytest.raises(IngestError, match="记录编号"):
        ingest(engine, path, parallel=parallel)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Batch)) == 0


def test_batch_is_one_transaction(engine, tmp_path, monkeypatch, parallel):
    monkeypatch.setattr(prepare, "CHUNK_ROWS", 2)
    calls = {"n": 0}
    real = RowValidator.validate_cells  # a CSV row with one cell per header is validated by position

    def failing(self, cells):
        calls["n"] += 1  # counted per process: each parallel reader validates every other chunk
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(self, cells)

    monkeypatch.setattr(RowValidator, "validate_cells", failing)
    with pytest.raises(RuntimeError):
        ingest(engine, write_csv(tmp_path / "t.csv", [row(f"P{i}") for i in range(8)]), parallel=parallel)
    assert stored(engine) == []
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Batch)) == 0


def test_gbk_csv_detected(engine, tmp_path, parallel):
    path = write_csv(tmp_path / "g.csv", [row("P1", name="湖南（长沙）某某科技有限公司")], encoding="gbk")
    result = ingest(engine, path, parallel=parallel)
    assert result.new_records == 1 and result.encoding in ("gb18030", "gbk")
    assert stored(engine)[0]["name"] == "湖南（长沙）某某科技有限公司"


@pytest.mark.parametrize("readers", [1, 2, 3])
@pytest.mark.parametrize("n", [11, 12])  # the last chunk partial, or empty
@pytest.mark.parametrize("form", ["csv", "ndjson"])  # the two forms parallel_chunks splits
def test_parallel_readers_give_what_one_process_gives(tmp_path, monkeypatch, readers, n, form):
    """Chunks validated by several children arrive in file order: same rows, rejects, progress."""
    monkeypatch.setattr(prepare, "CHUNK_ROWS", 3)
    rows = [row(f"P{i}") if i % 4 else row(f"P{i}", day="2024-13-45") for i in range(n)]
    path = write_csv(tmp_path / "p.csv", rows)
    if form == "ndjson":
        path = tmp_path / "p.ndjson"
        path.write_text("".join(json.dumps(dict(zip(HEADER, r)), ensure_ascii=False) + "\n" for r in rows),
                        encoding="utf-8")
    rtype = loader.load_catalog().get("commerce", "penalty")

    def run(items):
        out = list(items)
        chunks = out[1:]
        return (out[0], [r[0] for c in chunks for r in c.rows], [r.row for c in chunks for r in c.rejected],
                [c.rows_read for c in chunks])

    serial = run(prepare.prepare_chunks(path, rtype, None))
    assert serial[3] == ([3, 6, 9, 11] if n == 11 else [3, 6, 9, 12, 12]) and serial[2] == ([2, 6, 10] if form == "csv" else [1, 5, 9])  # NDJSON has no header line
    assert run(prepare.parallel_chunks(path, rtype, None, readers=readers)) == serial
