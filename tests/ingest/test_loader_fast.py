"""A chunk of records nobody stored yet is decided in one pass: the same rows, counts and warnings
as row by row."""

import pytest
from sqlalchemy import select

from credit.domain.schema import create_all
from credit.kernel.db import make_engine
from credit.kernel.models import SourceRecord
from ingest import loader, prepare
from ingest.loader import ingest_file
from tests.ingest.test_loader import row, write_csv

BAD_USCC = "91430100MA4L16JQ9X"  # check character does not match: a stored row with a warning


def _rows(n):
    rows = []
    for i in range(n):
        r = row(f"R{i}", name=f"长沙市第{i}号商贸有限公司")
        if i % 7 == 0:
            r[3] = BAD_USCC
        rows.append(r)
    rows.append(row("R3", name="长沙市第3号商贸有限公司", fine="9"))  # a new version, in the last chunk
    rows.append(row("R5", name="长沙市第5号商贸有限公司"))  # an exact duplicate of an earlier row
    return rows


def _load(engine, path, monkeypatch, fast, expect_pass=True):
    taken = []
    one_pass = loader._BatchRun._all_new

    def spy(self, good):
        params = one_pass(self, good) if fast else None
        taken.append(params is not None)
        return params

    monkeypatch.setattr(loader._BatchRun, "_all_new", spy)
    warnings = []
    result = ingest_file(engine, path, "commerce", "penalty", parallel=False, on_warning=warnings.append)
    t = SourceRecord.__table__
    kept = [c for c in t.c if c.name not in ("id", "batch_id", "created_at", "file_hash")]
    with engine.connect() as conn:
        stored = conn.execute(select(*kept).order_by(t.c.id)).all()
    counts = (result.new_records, result.new_versions, result.duplicates, result.flagged, len(result.warnings))
    # every chunk in one pass but the last (a stored id: never offered) or one with an id twice
    assert taken == [fast and expect_pass] * (len(path.read_text().splitlines()) // prepare.CHUNK_ROWS)
    return counts, [(w.row, w.column, w.reason) for w in warnings], stored


@pytest.mark.parametrize("n", [10, 4500])  # one chunk (never one pass), three chunks
def test_a_chunk_of_new_records_is_decided_as_row_by_row(sqlite_engine, tmp_path, monkeypatch, n):
    path = write_csv(tmp_path / "p.csv", _rows(n))
    fast = _load(sqlite_engine, path, monkeypatch, fast=True, expect_pass=n > prepare.CHUNK_ROWS)
    again = tmp_path / "again"
    again.mkdir()
    other = make_engine(f"sqlite:///{again / 'test.db'}")
    create_all(other)
    slow = _load(other, path, monkeypatch, fast=False)
    other.dispose()
    assert fast[0] == slow[0] and fast[0][0] == n and fast[0][1] == 1 and fast[0][2] == 1
    assert fast[0][3] > 0 and fast[1] == slow[1]
    assert fast[2] == slow[2]
