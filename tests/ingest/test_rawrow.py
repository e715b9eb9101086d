"""Stored raw rows read back as header -> cell, in either stored form, and migration 0003 both ways."""

import json

import orjson
from alembic import command
from sqlalchemy import text

from credit.domain.migrate import alembic_config, upgrade
from credit.kernel.db import make_engine
from credit.kernel.rawrow import raw_values

HEADERS = ["记录编号", "行政相对人名称", "法定代表人证件号码"]


def test_a_list_row_is_keyed_by_its_batch_header():
    cells = ["P1", "长沙某某科技有限公司", {"$same": "legal_rep_id_number"}]
    assert raw_values(orjson.dumps(cells), json.dumps(HEADERS, ensure_ascii=False)) == dict(zip(HEADERS, cells))
    assert raw_values(json.dumps(cells, ensure_ascii=False), HEADERS) == dict(zip(HEADERS, cells))


def test_an_object_row_is_itself_and_nothing_is_lost():
    row = {"记录编号": "P1", "_extra_1": "多出的格"}
    assert raw_values(json.dumps(row), HEADERS) == row
    assert raw_values(json.dumps(row), None) == row
    # a list longer than the header (never written by ingest) keeps its last cells under a name
    assert raw_values('["P1", "x", "y", "z"]', HEADERS)["_column_4"] == "z"
    assert raw_values('["P1"]', None) == {"_column_1": "P1"}
    assert raw_values(None, None) == {}


def test_migration_0003_downgrade_turns_list_rows_back_into_objects(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = make_engine(url)
    upgrade(engine)
    cells = ["P1", "长沙某某科技有限公司", {"$same": "legal_rep_id_number"}]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO batches (id, department, record_type, filename, file_hash, file_format, "
                          "created_at, rows_read, loaded, new_versions, unchanged, duplicates, rejected, raw_headers) "
                          "VALUES (1, 'commerce', 'penalty', 'p.csv', 'h', 'csv', '2026-12-02', 1, 1, 0, 0, 0, 0, :h)"),
                     {"h": json.dumps(HEADERS)})
        conn.execute(text("INSERT INTO source_records (department, record_type, record_id, version, op, content_hash, "
                          "fields, raw, batch_id, file_hash, row_number, created_at) VALUES ('commerce', 'penalty', "
                          "'P1', 1, 'upsert', 'c', '{}', :raw, 1, 'h', 2, '2026-12-02')"), {"raw": json.dumps(cells)})
    config = alembic_config(url)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0002")
    with engine.connect() as conn:
        raw = conn.execute(text("SELECT raw FROM source_records")).scalar_one()
        columns = [r[1] for r in conn.execute(text("PRAGMA table_info(batches)"))]
    assert json.loads(raw) == dict(zip(HEADERS, cells)) and "raw_headers" not in columns
