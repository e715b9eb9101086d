"""Tests for ingest.readers: every file form a department sends, and every file that cannot be read."""

from __future__ import annotations

import datetime
import json
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from ingest import readers, rowsource, xlsx
from ingest.readers import FileError, RawRow, open_rows

HEADER = ["记录编号", "统一社会信用代码", "企业名称", "列入日期"]


def read_all(path: Path, **kwargs: Any) -> list[RawRow]:
    """All rows of a file."""
    with open_rows(path, **kwargs) as src:
        return list(src)


def write_bytes(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def assert_file_error(path: Path, *words: str, **kwargs: Any) -> str:
    """open_rows (and reading) fails with a FileError naming the file and saying why."""
    with pytest.raises(FileError) as info:
        read_all(path, **kwargs)
    message = str(info.value)
    assert path.name in message
    assert " / " in message  # Chinese first, then English
    for word in words:
        assert word in message
    return message


# ---------------------------------------------------------------- CSV

CSV_TEXT = (
    "记录编号,统一社会信用代码,企业名称,列入日期\r\n"
    "R1,91430100MA4L000001,湖南（长沙）某某科技有限公司 ,2024-03-05\r\n"
    "R2,91430100MA4L000002,某某建设集团有限公司长沙分公司,2024年3月5日\r\n"
)


@pytest.mark.parametrize("encoding, detected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030"),
])
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str, detected: str) -> None:
    path = write_bytes(tmp_path, "abnormal.csv", CSV_TEXT.encode(encoding))
    with open_rows(path) as src:
        rows = list(src)
        assert src.format == "csv"
        assert src.encoding == detected
        assert src.headers == HEADER
        assert src.bytes_read() == src.size == path.stat().st_size
    assert [r.number for r in rows] == [2, 3]
    assert rows[0].values == {
        "记录编号": "R1", "统一社会信用代码": "91430100MA4L000001",
        "企业名称": "湖南（长沙）某某科技有限公司 ", "列入日期": "2024-03-05",
    }
    assert rows[1].values["列入日期"] == "2024年3月5日"


def test_csv_quoted_commas_and_newlines_keep_row_numbers(tmp_path: Path) -> None:
    text = (
        "记录编号,违法事实,处罚类别\n"
        'R1,"当事人发布虚假广告，违反了广告法,第五十五条",罚款\n'
        'R2,"第一行\n第二行\n第三行","警告；罚款"\n'
        'R3,"引号""内部""",罚款\n'
    )
    rows = read_all(write_bytes(tmp_path, "p.csv", text.encode()))
    assert [r.number for r in rows] == [2, 3, 6]
    assert rows[0].values["违法事实"] == "当事人发布虚假广告，违反了广告法,第五十五条"
    assert rows[1].values["违法事实"] == "第一行\n第二行\n第三行"
    assert rows[2].values["违法事实"] == '引号"内部"'


def test_csv_blank_lines_skipped_line_numbers_kept(tmp_path: Path) -> None:
    text = "\n记录编号,企业名称\n\nR1,甲公司\n,\n   \nR2,乙公司\n\n"
    with open_rows(write_bytes(tmp_path, "b.csv", text.encode())) as src:
        rows = list(src)
        assert src.headers == ["记录编号", "企业名称"]
    assert [(r.number, r.values["记录编号"]) for r in rows] == [(4, "R1"), (7, "R2")]


def test_csv_extra_and_missing_cells(tmp_path: Path) -> None:
    text = "记录编号,企业名称,住所\nR1,甲公司,长沙,多余1,,多余2\nR2,乙公司\nR3,丙公司,长沙,\n"
    rows = read_all(write_bytes(tmp_path, "e.csv", text.encode()))
    assert rows[0].values == {"记录编号": "R1", "企业名称": "甲公司", "住所": "长沙",
                              "_extra_1": "多余1", "_extra_2": "多余2"}
    assert rows[1].values == {"记录编号": "R2", "企业名称": "乙公司", "住所": None}
    assert rows[2].values == {"记录编号": "R3", "企业名称": "丙公司", "住所": "长沙"}


def test_csv_header_cells_are_cleaned(tmp_path: Path) -> None:
    text = " 记录编号 ,\t企业名称,,\nR1,甲公司,,\n"
    with open_rows(write_bytes(tmp_path, "h.csv", ("\ufeff" + text).encode())) as src:
        rows = list(src)
        assert src.headers == ["记录编号", "企业名称"]
    assert rows[0].values == {"记录编号": "R1", "企业名称": "甲公司"}


def test_csv_title_row_before_header(tmp_path: Path) -> None:
    text = "2024年第三季度行政处罚信息公示,,\n记录编号,企业名称,住所\nR1,甲公司,长沙\n"
    with open_rows(write_bytes(tmp_path, "t.csv", text.encode())) as src:
        rows = list(src)
        assert src.headers == ["记录编号", "企业名称", "住所"]
    assert rows[0].number == 3


def test_csv_custom_header_test(tmp_path: Path) -> None:
    text = "说明,本表由系统导出\n记录编号,企业名称\nR1,甲公司\n"
    rows = read_all(write_bytes(tmp_path, "c.csv", text.encode()), is_header=lambda cells: "记录编号" in cells)
    assert rows[0].number == 3 and rows[0].values == {"记录编号": "R1", "企业名称": "甲公司"}


def test_csv_duplicate_header_is_an_error(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "d.csv", "记录编号,企业名称,企业名称\nR1,a,b\n".encode())
    assert_file_error(path, "企业名称", "duplicate")


def test_csv_decode_error_later_names_the_line(tmp_path: Path) -> None:
    good = "记录编号,企业名称\n" + "".join(f"R{i},某某科技有限公司\n" for i in range(1, 80000))
    data = good.encode() + b"R80000," + "乱码".encode("gbk")[:3] + b"\n"
    assert len(good.encode()) > readers.SAMPLE_BYTES
    path = write_bytes(tmp_path, "late.csv", data)
    assert_file_error(path, "80001", "utf-8")


def test_csv_multibyte_char_cut_at_sample_end_is_still_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rowsource, "SAMPLE_BYTES", 20)
    text = "记录编号,企业名称\nR1,某某科技有限公司\n"
    assert len(text.encode()) > 20 and text.encode()[20] >= 0x80  # the sample ends inside a character
    with open_rows(write_bytes(tmp_path, "cut.csv", text.encode())) as src:
        assert src.encoding == "utf-8"
        assert list(src)[0].values["企业名称"] == "某某科技有限公司"


def test_txt_and_explicit_format(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "upload_7f3a.tmp", CSV_TEXT.encode())
    assert len(read_all(path, format="csv")) == 2
    assert len(read_all(write_bytes(tmp_path, "x.txt", CSV_TEXT.encode()))) == 2


def test_csv_unclosed_quote_is_an_error(tmp_path: Path) -> None:
    text = '记录编号,企业名称\nR1,"未闭合\n' + "R2,甲\n" * 50
    old = readers.csv.field_size_limit(100)
    try:
        assert_file_error(write_bytes(tmp_path, "q.csv", text.encode()), "2")
    finally:
        readers.csv.field_size_limit(old)


# ---------------------------------------------------------------- XLSX

def write_xlsx(path: Path, title_rows: int = 0, rows: list[list[Any]] | None = None,
               trailing_blank: int = 0) -> Path:
    """An xlsx as a department exports it: title rows (merged), header, data, trailing blank rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    if title_rows >= 1:
        ws.append(["2024年第三季度行政处罚信息公示"])
        ws.merge_cells("A1:E1")
    if title_rows >= 2:
        ws.append(["填报单位：长沙市市场监督管理局", None, None, None, "2024-10-08"])
    ws.append(["记录编号", "统一社会信用代码", "行政相对人名称", "处罚决定日期", "罚款金额（万元）"])
    for row in rows if rows is not None else XLSX_ROWS:
        ws.append(row)
    for _ in range(trailing_blank):
        ws.append([None, None, None, None, None])
    if trailing_blank:  # make the blank rows really exist in the sheet
        ws.cell(row=ws.max_row, column=1).number_format = "@"
    wb.save(path)
    return path


XLSX_ROWS = [
    ["R1", "91430100MA4L000001", "湖南（长沙）某某科技有限公司", datetime.date(2024, 3, 5), 1.5],
    ["R2", 110108000000016, "某某商贸有限公司", datetime.datetime(2024, 3, 5, 14, 30), 2],
    ["R3", None, "刘记米粉店", "2024/3/5", None],
]


@pytest.fixture(params=["calamine", "streaming"])
def xlsx_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run each XLSX test through calamine and through the streaming parser for big sheets."""
    if request.param == "streaming":
        monkeypatch.setattr(xlsx, "CALAMINE_MAX_XML_BYTES", -1)
    return str(request.param)


@pytest.mark.parametrize("title_rows", [0, 1, 2])
def test_xlsx_title_rows_and_values(tmp_path: Path, xlsx_backend: str, title_rows: int) -> None:
    path = write_xlsx(tmp_path / "penalty.xlsx", title_rows=title_rows, trailing_blank=3)
    with open_rows(path) as src:
        rows = list(src)
        assert src.format == "xlsx" and src.encoding is None
        assert src.headers == ["记录编号", "统一社会信用代码", "行政相对人名称", "处罚决定日期", "罚款金额（万元）"]
        assert src.bytes_read() == src.size
    first = title_rows + 2
    assert [r.number for r in rows] == [first, first + 1, first + 2]
    assert rows[0].values == {
        "记录编号": "R1", "统一社会信用代码": "91430100MA4L000001", "行政相对人名称": "湖南（长沙）某某科技有限公司",
        "处罚决定日期": datetime.date(2024, 3, 5), "罚款金额（万元）": 1.5,
    }
    code = rows[1].values["统一社会信用代码"]
    assert code == 110108000000016 and isinstance(code, int)
    assert rows[1].values["处罚决定日期"] == datetime.datetime(2024, 3, 5, 14, 30)
    assert isinstance(rows[1].values["罚款金额（万元）"], int)
    assert rows[2].values["统一社会信用代码"] is None and rows[2].values["罚款金额（万元）"] is None
    assert rows[2].values["处罚决定日期"] == "2024/3/5"


def test_xlsx_blank_rows_inside_and_extra_cells(tmp_path: Path, xlsx_backend: str) -> None:
    rows_in = [XLSX_ROWS[0], [None] * 5, XLSX_ROWS[2] + ["备注：已缴款"]]
    rows = read_all(write_xlsx(tmp_path / "p.xlsx", title_rows=1, rows=rows_in))
    assert [r.number for r in rows] == [3, 5]
    assert rows[1].values["_extra_1"] == "备注：已缴款"


def test_xlsx_header_not_in_first_column(tmp_path: Path, xlsx_backend: str) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["C4"], ws["D4"] = "记录编号", "企业名称"
    ws["C5"], ws["D5"] = "R1", "甲公司"
    wb.save(tmp_path / "offset.xlsx")
    rows = read_all(tmp_path / "offset.xlsx")
    assert rows == [RawRow(5, {"记录编号": "R1", "企业名称": "甲公司"})]


def test_xlsx_shared_strings_and_custom_date_format(tmp_path: Path, xlsx_backend: str) -> None:
    """Excel itself stores text in a shared-string table and may use a Chinese date format."""
    path = write_xlsx(tmp_path / "shared.xlsx")
    _to_shared_strings(path, "yyyy\"年\"m\"月\"d\"日\"")
    rows = read_all(path)
    assert rows[0].values["行政相对人名称"] == "湖南（长沙）某某科技有限公司"
    assert rows[0].values["处罚决定日期"] == datetime.date(2024, 3, 5)


def _to_shared_strings(path: Path, date_format: str) -> None:
    """Rewrite openpyxl's inline strings as a shared-string table, and give dates a custom format."""
    import html
    import re
    from xml.sax.saxutils import escape
    with zipfile.ZipFile(path) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    strings: list[str] = []

    def shared(match: re.Match[str]) -> str:
        strings.append(html.unescape(match.group(2)))  # openpyxl over lxml writes &#35760; references
        return f'<c{match.group(1)} t="s"><v>{len(strings) - 1}</v></c>'

    sheet = re.sub(r'<c([^>]*?) t="inlineStr"><is><t>(.*?)</t></is></c>', shared, sheet)
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    items = "".join(f"<si><r><t>{escape(s[:2])}</t></r><r><t>{escape(s[2:])}</t></r></si>" for s in strings)
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    parts["xl/sharedStrings.xml"] = f'<sst xmlns="{ns}" count="{len(strings)}">{items}</sst>'.encode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode().replace(
        "</Relationships>",
        '<Relationship Id="rIdSS" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    parts["xl/_rels/workbook.xml.rels"] = rels.encode()
    types = parts["[Content_Types].xml"].decode().replace(
        "</Types>", '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    parts["[Content_Types].xml"] = types.encode()
    styles = parts["xl/styles.xml"].decode()
    styles = re.sub(r'(<numFmt numFmtId="\d+" formatCode=")[^"]*(")',
                    lambda m: m.group(1) + date_format.replace('"', "&quot;") + m.group(2), styles, count=1)
    parts["xl/styles.xml"] = styles.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)


def test_xlsx_without_header_is_an_error(tmp_path: Path, xlsx_backend: str) -> None:
    wb = openpyxl.Workbook()
    for i in range(12):
        wb.active.append([i, i * 2])
    wb.save(tmp_path / "numbers.xlsx")
    assert_file_error(tmp_path / "numbers.xlsx", "表头", "header")


def test_xlsx_empty_sheet_is_an_error(tmp_path: Path, xlsx_backend: str) -> None:
    openpyxl.Workbook().save(tmp_path / "empty.xlsx")
    assert_file_error(tmp_path / "empty.xlsx", "no data")


def test_xlsx_with_entity_declarations_is_an_error(tmp_path: Path, xlsx_backend: str) -> None:
    path = write_xlsx(tmp_path / "bomb.xlsx")
    with zipfile.ZipFile(path) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    dtd = b'<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    sheet = parts["xl/worksheets/sheet1.xml"]
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(b"<worksheet", dtd + b"<worksheet", 1).replace(b"R1", b"&b;")
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    assert_file_error(path, "xlsx")


def test_truncated_xlsx_is_an_error(tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "good.xlsx").read_bytes()
    path = write_bytes(tmp_path, "half.xlsx", good[: len(good) // 2])
    assert_file_error(path, "xlsx", "corrupt")


def test_random_bytes_xlsx_is_an_error(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "random.xlsx", os.urandom(4096))
    assert_file_error(path, "xlsx", "corrupt")


def test_zip_that_is_not_a_workbook_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "other.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    assert_file_error(path, "xlsx")


# ---------------------------------------------------------------- JSON and NDJSON

def test_json_array_chinese_keys(tmp_path: Path) -> None:
    data = [{"记录编号": "R1", "纳税人识别号": "91430100MA4L000001", "信用等级": "A", "评价年度": 2023},
            {"记录编号": "R2", "纳税人识别号": "430100123456789", "信用等级": "D", "评价年度": 2023,
             "备注": {"nested": [1, 2]}}]
    path = write_bytes(tmp_path, "rating.json", json.dumps(data, ensure_ascii=False, indent=2).encode())
    with open_rows(path) as src:
        assert src.format == "json" and src.encoding == "utf-8"
        rows = list(src)
        assert src.headers == ["记录编号", "纳税人识别号", "信用等级", "评价年度", "备注"]
    assert [r.number for r in rows] == [1, 2]
    assert rows[0].values == data[0]
    assert rows[1].values["备注"] == {"nested": [1, 2]}


def test_json_array_english_keys_gbk_floats_and_non_objects(tmp_path: Path) -> None:
    text = '[{"record_id": "R1", "taxpayer_name": "某某公司", "arrears_balance": 1234.5}, 42, ["x"]]'
    path = write_bytes(tmp_path, "arrears.json", text.encode("gbk"))
    with open_rows(path) as src:
        assert src.encoding == "gb18030"
        rows = list(src)
    assert rows[0].values == {"record_id": "R1", "taxpayer_name": "某某公司", "arrears_balance": 1234.5}
    assert isinstance(rows[0].values["arrears_balance"], float)
    assert rows[1].number == 2 and "42" in rows[1].values[readers.INVALID_KEY]
    assert rows[2].number == 3 and set(rows[2].values) == {readers.INVALID_KEY}


def test_json_with_bom(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "bom.json", '[{"记录编号": "R1"}]'.encode("utf-8-sig"))
    assert read_all(path) == [RawRow(1, {"记录编号": "R1"})]


def test_json_malformed_mid_file_is_an_error(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "broken.json", '[{"记录编号": "R1"}, {"记录编号": "R2",, }]'.encode())
    with open_rows(path) as src:
        assert next(src).values == {"记录编号": "R1"}
        with pytest.raises(FileError, match="item 2"):
            next(src)


def test_json_truncated_is_an_error(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "cut.json", '[{"记录编号": "R1"}, {"记录编'.encode())
    assert_file_error(path, "JSON")


def test_ndjson_bad_line_is_a_row_level_reject(tmp_path: Path) -> None:
    text = '{"记录编号": "R1", "企业名称": "甲"}\n\n{"记录编号": "R2", 企业名称: 乙}\n{"记录编号": "R3"}\n"just a string"\n'
    for name in ("list.ndjson", "list.jsonl", "list.json"):
        with open_rows(write_bytes(tmp_path, name, text.encode())) as src:
            assert src.format in ("ndjson", "json")
            rows = list(src)
            assert src.headers == ["记录编号", "企业名称"]
        assert [r.number for r in rows] == [1, 3, 4, 5]
        assert rows[0].values == {"记录编号": "R1", "企业名称": "甲"}
        assert readers.INVALID_KEY in rows[1].values and readers.INVALID_KEY in rows[3].values
        assert rows[2].values == {"记录编号": "R3"}


def test_json_pretty_single_object_is_an_error(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "obj.json", b'{\n  "data": [{"a": 1}]\n}\n')
    assert_file_error(path, "JSON")


def test_json_not_json_at_all_is_an_error(tmp_path: Path) -> None:
    assert_file_error(write_bytes(tmp_path, "x.json", "记录编号,企业名称\n".encode()), "JSON")


# ---------------------------------------------------------------- XML

XML_OK = """<?xml version="1.0" encoding="UTF-8"?>
<dataset department="tax" type="credit_rating">
  <record>
    <field name="记录编号">R1</field>
    <field name="纳税人识别号">91430100MA4L000001</field>
    <field name="信用等级">A</field>
    <field name="评价年度"></field>
  </record>
  <record>
    <field name="记录编号">R2</field>
    <field name="纳税人识别号"/>
    <field name="信用等级">D</field>
  </record>
</dataset>
"""


def test_xml_well_formed(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "rating.xml", XML_OK.encode())
    with open_rows(path, department="tax", record_type="credit_rating") as src:
        rows = list(src)
        assert src.format == "xml"
        assert src.headers == ["记录编号", "纳税人识别号", "信用等级", "评价年度"]
        assert src.bytes_read() == src.size
    assert [r.number for r in rows] == [1, 2]
    assert rows[0].values == {"记录编号": "R1", "纳税人识别号": "91430100MA4L000001", "信用等级": "A", "评价年度": None}
    assert rows[1].values == {"记录编号": "R2", "纳税人识别号": None, "信用等级": "D"}


def test_xml_gbk_declared(tmp_path: Path) -> None:
    text = XML_OK.replace('encoding="UTF-8"', 'encoding="GBK"')
    path = write_bytes(tmp_path, "gbk.xml", text.encode("gbk"))
    with open_rows(path) as src:
        rows = list(src)
        assert src.encoding == "gb18030"
    assert rows[0].values["记录编号"] == "R1" and "纳税人识别号" in rows[0].values


def test_xml_root_without_attributes_is_fine(tmp_path: Path) -> None:
    text = XML_OK.replace(' department="tax" type="credit_rating"', "")
    assert len(read_all(write_bytes(tmp_path, "r.xml", text.encode()), department="tax",
                        record_type="credit_rating")) == 2


def test_xml_mismatched_root_is_an_error(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "rating.xml", XML_OK.encode())
    message = assert_file_error(path, "tax/credit_rating", "tax/arrears", department="tax", record_type="arrears")
    assert "不符" in message


def test_xml_wrong_root_element_is_an_error(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, "rows.xml", b"<rows><record/></rows>")
    assert_file_error(path, "dataset")


def test_xml_entity_bomb_is_refused(tmp_path: Path) -> None:
    bomb = """<?xml version="1.0"?>
<!DOCTYPE dataset [
  <!ENTITY a "aaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<dataset><record><field name="记录编号">&c;</field></record></dataset>
"""
    assert_file_error(write_bytes(tmp_path, "bomb.xml", bomb.encode()), "DTD", "refused")


def test_xml_malformed_names_the_line(tmp_path: Path) -> None:
    text = XML_OK.replace("<field name=\"信用等级\">D</field>", "<field name=\"信用等级\">D</feld>")
    path = write_bytes(tmp_path, "bad.xml", text.encode())
    with open_rows(path) as src:
        assert next(src).number == 1
        with pytest.raises(FileError, match="line 12"):
            list(src)


# ---------------------------------------------------------------- unreadable files

@pytest.mark.parametrize("name", ["e.csv", "e.json", "e.xml", "e.xlsx", "e.ndjson"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    assert_file_error(write_bytes(tmp_path, name, b""), "文件为空", "empty")


@pytest.mark.parametrize("name", ["w.csv", "w.json", "w.xml"])
def test_whitespace_only_file(tmp_path: Path, name: str) -> None:
    assert_file_error(write_bytes(tmp_path, name, b" \r\n\t\n  "), "empty")


def test_binary_bytes_csv(tmp_path: Path) -> None:
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(512)
    assert_file_error(write_bytes(tmp_path, "photo.csv", data), "binary")


def test_utf16_csv(tmp_path: Path) -> None:
    assert_file_error(write_bytes(tmp_path, "u16.csv", CSV_TEXT.encode("utf-16")), "UTF-16")


@pytest.mark.parametrize("name", ["data.xls", "data.pdf", "noext"])
def test_unknown_extension(tmp_path: Path, name: str) -> None:
    assert_file_error(write_bytes(tmp_path, name, CSV_TEXT.encode()), "unsupported")


def test_unknown_format_argument(tmp_path: Path) -> None:
    assert_file_error(write_bytes(tmp_path, "a.csv", CSV_TEXT.encode()), "parquet", format="parquet")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileError, match="not found"):
        open_rows(tmp_path / "nothing.csv")


# ---------------------------------------------------------------- streaming behaviour

def _csv_lines(n: int) -> Iterator[bytes]:
    yield "记录编号,企业名称\n".encode()
    for i in range(n):
        yield f"R{i},某某科技有限公司{i}\n".encode()


def test_progress_grows_while_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"".join(_csv_lines(50000)))
    seen = []
    with open_rows(path) as src:
        for i, _row in enumerate(src):
            if i % 10000 == 0:
                seen.append(src.bytes_read())
        seen.append(src.bytes_read())
    assert seen == sorted(seen) and seen[0] < seen[-1] == path.stat().st_size


def test_bad_bytes_past_the_sample_name_their_line(tmp_path: Path) -> None:
    """Encoding is detected from the first megabyte; a bad byte further on fails the file with
    the line it is on."""
    head = "记录编号,企业名称\n" + "".join(f"R{i},甲公司{i}\n" for i in range(1, 80_001))
    path = write_bytes(tmp_path, "late.csv", head.encode("utf-8") + b"R-bad,\xff\xfe\n")
    assert path.stat().st_size > 1 << 20
    with pytest.raises(FileError, match="line 80002 holds bytes"):
        read_all(path)
