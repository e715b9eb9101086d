"""Issue 8, item 5 (input): a code stored as a number too long to keep its digits.

Excel keeps 15 significant digits and a JSON number goes through a double in most tools, so an
18-digit USCC that arrives as a number has lost its last digits. It is stored as sent, flagged,
reported with row and column, and left out of the identity view matching treats as strong evidence.
"""

import csv
import json

import openpyxl
import pytest
from sqlalchemy import select

from credit.cli.render import ingest_text
from credit.kernel.models import SourceRecord
from ingest import loader, readers
from ingest.loader import ingest_file
from ingest.validate import LOST_DIGITS
from matching.models import RecordLink
from matching.service import resolve

HEADER = ["记录编号", "行政相对人名称", "统一社会信用代码", "注册号", "组织机构代码", "处罚类别", "处罚决定日期"]
# a valid all-digit USCC that a double holds exactly: what Excel turns a mistyped neighbour into
REAL_USCC = "911101015814555392"
USCC_COLUMN = "统一社会信用代码 (uscc)"


def write_xlsx(path, rows, title=True):
    wb = openpyxl.Workbook()
    if title:
        wb.active.append(["2024年行政处罚信息公示"])
    for r in [HEADER, *rows]:
        wb.active.append(r)
    wb.save(path)
    return path


def penalty(rid, uscc, name="北京乙某商贸有限公司", reg_no=None, org_code=None):
    return [rid, name, uscc, reg_no, org_code, "罚款", "2024-03-05"]


def stored(engine):
    t = SourceRecord.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(t).order_by(t.c.record_id)).mappings().all()
    return {r["record_id"]: r for r in rows}


@pytest.fixture(params=["calamine", "streaming"])
def xlsx_backend(request, monkeypatch):
    if request.param == "streaming":
        monkeypatch.setattr(readers, "CALAMINE_MAX_XML_BYTES", -1)
    return request.param


def test_xlsx_number_code_is_flagged_reported_and_kept_out_of_identity(engine, tmp_path, xlsx_backend):
    rows = [penalty("X1", 911101015814551098), penalty("X2", "91110000600037341L"),
            penalty("X3", None, reg_no=110108000000016), penalty("X4", 911101015814551098, org_code="58145510-9")]
    seen = []
    result = ingest_file(engine, write_xlsx(tmp_path / "p.xlsx", rows), "commerce", "penalty", on_warning=seen.append)
    assert (result.new_records, result.flagged) == (4, 2)
    assert [(w.row, w.column, w.reason, w.record_id) for w in result.warnings] == [
        (3, USCC_COLUMN, LOST_DIGITS, "X1"), (6, USCC_COLUMN, LOST_DIGITS, "X4")]
    assert seen == result.warnings
    assert LOST_DIGITS.startswith("以数字形式存储") and "stored as a number; the last digits were lost" in LOST_DIGITS
    text = ingest_text(result)
    assert "第3行 row 3 · 统一社会信用代码 (uscc): 以数字形式存储，末几位已丢失" in text
    records = stored(engine)
    x1 = records["X1"]
    assert json.loads(x1["flags"]) == {"uscc": LOST_DIGITS}
    assert json.loads(x1["fields"])["uscc"] == "911101015814551040"  # as it arrived, for the record
    assert (x1["uscc"], x1["org_code"]) == (None, None)  # no code evidence, not even the derived org code
    assert records["X4"]["org_code"] == "581455109"  # a code of its own column still counts
    assert records["X2"]["uscc"] == "91110000600037341L" and records["X2"]["flags"] is None
    assert records["X3"]["reg_no"] == "110108000000016" and records["X3"]["flags"] is None  # 15 digits survive


@pytest.mark.parametrize("form", ["json", "ndjson"])
def test_json_number_code_is_flagged(engine, tmp_path, form):
    items = [{"record_id": "J1", "subject_name": "北京乙某商贸有限公司", "uscc": 911101015814551098},
             {"record_id": "J2", "subject_name": "北京乙某商贸有限公司", "uscc": 9.11101015814551e17},
             {"record_id": "J3", "subject_name": "北京乙某商贸有限公司", "uscc": "911101015814551098"}]
    path = tmp_path / f"p.{form}"
    text = json.dumps(items) if form == "json" else "\n".join(json.dumps(i) for i in items)
    path.write_text(text, encoding="utf-8")
    result = ingest_file(engine, path, "commerce", "penalty")
    assert [(w.row, w.column) for w in result.warnings] == [(1, USCC_COLUMN), (2, USCC_COLUMN)]
    records = stored(engine)
    assert records["J1"]["uscc"] is None and records["J2"]["uscc"] is None
    assert records["J3"]["uscc"] == "911101015814551098"  # sent as text: exact


def test_a_damaged_code_does_not_link_to_the_enterprise_that_holds_it(engine, tmp_path):
    """Excel's rounding can land exactly on another company's real USCC; that must not join them."""
    reg = tmp_path / "reg.csv"
    with open(reg, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["记录编号", "统一社会信用代码", "企业名称", "法定代表人"],
                                  ["R1", REAL_USCC, "北京甲某科技有限公司", "张三"]])
    ingest_file(engine, reg, "commerce", "registration")
    xlsx = write_xlsx(tmp_path / "p.xlsx", [penalty("X1", int(REAL_USCC) + 7, name="上海丙某物流有限公司")])
    assert ingest_file(engine, xlsx, "commerce", "penalty").flagged == 1
    resolve(engine)
    with engine.connect() as conn:
        links = dict(conn.execute(select(RecordLink.record_id, RecordLink.enterprise_id)).all())
    assert links["R1"] != links["X1"]


def test_warnings_sample_is_capped_callback_gets_all(engine, tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "REJECT_SAMPLE", 2)
    rows = [penalty(f"X{i}", 911101015814551098 + i * 1000) for i in range(5)]
    seen = []
    result = ingest_file(engine, write_xlsx(tmp_path / "p.xlsx", rows, title=False), "commerce", "penalty",
                         on_warning=seen.append)
    assert result.flagged == 5 and len(result.warnings) == 2 and len(seen) == 5
    assert [w.row for w in seen] == [2, 3, 4, 5, 6]


TAX20 = "43010219561114433900"  # an individual business's 20-character taxpayer id


def rating_rows(value, rid="NS1"):
    return [["记录编号", "纳税人识别号", "纳税人名称", "评价年度", "信用等级"], [rid, value, "长沙市岳麓区刘记商行", 2023, "A"]]


def test_a_20_digit_number_in_an_xlsx_cell_is_stored_and_flagged_not_a_crash(engine, tmp_path, xlsx_backend):
    """Beyond 64 bits: Excel kept 15 of its digits; the row is stored as sent (the number), flagged,
    and the rest of the file is loaded."""
    wb = openpyxl.Workbook()
    for r in [*rating_rows(int(TAX20)), ["NS2", TAX20, "长沙市岳麓区刘记商行", 2024, "B"]]:
        wb.active.append(r)
    wb.save(tmp_path / "r.xlsx")
    result = ingest_file(engine, tmp_path / "r.xlsx", "tax", "credit_rating")
    assert (result.new_records, result.rejected) == (2, 0)
    assert [(w.row, w.record_id, w.reason) for w in result.warnings] == [(2, "NS1", LOST_DIGITS)]
    records = stored(engine)
    assert records["NS1"]["taxpayer_id"] is None and records["NS2"]["taxpayer_id"]


@pytest.mark.parametrize("form", ["json", "ndjson"])
def test_a_20_digit_json_number_keeps_its_digits(engine, tmp_path, form):
    """A JSON number beyond 64 bits has every digit in the text: read as the code it spells."""
    items = [{"记录编号": "J1", "纳税人识别号": int(TAX20), "纳税人名称": "刘记商行", "评价年度": 2023, "信用等级": "A"},
             {"记录编号": "J2", "纳税人识别号": TAX20, "纳税人名称": "刘记商行", "评价年度": 2024, "信用等级": "A"}]
    path = tmp_path / f"r.{form}"
    path.write_text(json.dumps(items, ensure_ascii=False) if form == "json" else
                    "\n".join(json.dumps(i, ensure_ascii=False) for i in items), encoding="utf-8")
    result = ingest_file(engine, path, "tax", "credit_rating")
    assert (result.new_records, result.rejected) == (2, 0)
    records = stored(engine)
    assert records["J1"]["taxpayer_id"] == records["J2"]["taxpayer_id"]
