"""Issue 8, item 2: a revoke (撤销) or correction (修改) of a record that does not exist is a row error.

"Exists" is read in file order: stored before, or added by an earlier row of the same file.
"""

import pytest

from credit.cli.render import ingest_text
from ingest import prepare
from tests.ingest.test_loader import ingest, row, stored, write_csv

RECORD_ID = "记录编号 (record_id)"


def revoke(rid):
    return [rid, "撤销", "", "", "", "", "", ""]


@pytest.fixture(params=[False, True], ids=["serial", "parallel"])
def parallel(request):
    return request.param


def test_revoke_of_a_mistyped_id_is_rejected_and_the_record_stays(engine, tmp_path, parallel):
    ingest(engine, write_csv(tmp_path / "a.csv", [row("CP-2024-0017")]), parallel=parallel)
    seen = []
    result = ingest(engine, write_csv(tmp_path / "b.csv", [revoke("CP-2024-0071"), row("CP-2024-0020")]),
                    on_reject=seen.append, parallel=parallel)
    assert (result.rejected, result.new_records, result.new_versions) == (1, 1, 0)
    assert [(r.row, r.column, r.record_id) for r in seen] == [(2, RECORD_ID, "CP-2024-0071")]
    assert "does not exist" in seen[0].reason and seen[0].raw["操作类型"] == "撤销"
    assert stored(engine, "CP-2024-0071") == []
    assert [v["op"] for v in stored(engine, "CP-2024-0017")] == ["upsert"]  # still public
    assert "第2行 row 2 · 记录编号 (record_id): 撤销的记录不存在" in ingest_text(result)


def test_update_of_an_unknown_id_is_rejected(engine, tmp_path, parallel):
    rows = [row("P1", op="修改"), row("P2", op="新增"), row("P3")]
    seen = []
    ingest(engine, write_csv(tmp_path / "u.csv", rows), on_reject=seen.append, parallel=parallel)
    assert [(r.row, r.column, r.record_id) for r in seen] == [(2, RECORD_ID, "P1")]
    assert "修改的记录不存在" in seen[0].reason
    assert [r["record_id"] for r in stored(engine)] == ["P2", "P3"]  # 新增 and empty: add or update


def test_update_and_revoke_of_stored_records(engine, tmp_path, parallel):
    ingest(engine, write_csv(tmp_path / "a.csv", [row("P1"), row("P2")]), parallel=parallel)
    rows = [row("P1", op="修改", fine="9"), revoke("P2"), row("P1", op="修改", fine="9")]
    result = ingest(engine, write_csv(tmp_path / "b.csv", rows), parallel=parallel)
    assert (result.rejected, result.new_versions, result.duplicates) == (0, 2, 1)
    assert [(v["version"], v["op"]) for v in stored(engine, "P1")] == [(1, "upsert"), (2, "upsert")]
    assert [(v["version"], v["op"]) for v in stored(engine, "P2")] == [(1, "upsert"), (2, "revoke")]
    same = ingest(engine, write_csv(tmp_path / "c.csv", [row("P1", op="修改", fine="9"), row("P1", fine="9")]),
                  parallel=parallel)
    assert (same.unchanged, same.new_versions) == (2, 0)  # 修改 hashes as upsert: no new version


def test_add_then_revoke_in_one_file_both_count(engine, tmp_path, monkeypatch, parallel):
    monkeypatch.setattr(prepare, "CHUNK_ROWS", 2)  # the add and its revoke in different chunks
    rows = [row("P1"), row("P2"), row("P3", op="新增"), revoke("P1"), row("P3", op="修改", fine="7"), revoke("P3")]
    result = ingest(engine, write_csv(tmp_path / "r.csv", rows), parallel=parallel)
    assert (result.rejected, result.new_records, result.new_versions) == (0, 3, 3)
    assert [v["op"] for v in stored(engine, "P1")] == ["upsert", "revoke"]
    assert [v["op"] for v in stored(engine, "P3")] == ["upsert", "upsert", "revoke"]


def test_revoke_above_the_add_of_the_same_id_is_rejected_the_add_loads(engine, tmp_path, parallel):
    """File order decides: the revoke has nothing to withdraw yet; the record added below stays."""
    seen = []
    result = ingest(engine, write_csv(tmp_path / "r.csv", [revoke("P1"), row("P1")]), on_reject=seen.append,
                    parallel=parallel)
    assert [(r.row, r.record_id) for r in seen] == [(2, "P1")]
    assert [(v["version"], v["op"], v["row_number"]) for v in stored(engine, "P1")] == [(1, "upsert", 3)]
    assert result.rows_read == result.loaded + result.rejected
