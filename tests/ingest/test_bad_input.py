"""The bad-input suite: every hostile or broken upload gets one clear error and leaves no data."""

from __future__ import annotations

import csv
import io
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine, func, select

from credit.kernel.models import Batch, SourceRecord
from ingest import readers, safety
from ingest.loader import IngestError, ingest_file

HEADER = ["记录编号", "行政相对人名称", "统一社会信用代码", "法定代表人证件号码", "处罚类别", "处罚决定日期"]
ROW = ["P{}", "长沙某某科技有限公司", "91430100MA4L0XXX1X", "43010219800101123X", "罚款", "2024-03-05"]


def good_csv(rows: int = 3) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(HEADER)
    for n in range(rows):
        w.writerow([ROW[0].format(n), *ROW[1:]])
    return out.getvalue().encode("utf-8")


def good_xlsx(path: Path, rows: int = 3) -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(HEADER)
    for n in range(rows):
        wb.active.append([ROW[0].format(n), *ROW[1:]])
    wb.save(path)
    return path.read_bytes()


def rezip(data: bytes, replace: dict[str, bytes], extra: dict[str, bytes] | None = None) -> bytes:
    """A package with some entries replaced (and some added), deflated."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            dst.writestr(name, replace.get(name, src.read(name)))
        for name, body in (extra or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


def understate(data: bytes, name: str, size: int) -> bytes:
    """A package whose entry ``name`` claims to expand to ``size`` bytes (local and central headers)."""
    buf = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(name)
    struct.pack_into("<I", buf, info.header_offset + 22, size)
    central = buf.rfind(b"PK\x01\x02" + b"", 0)
    while central != -1:
        name_len = struct.unpack_from("<H", buf, central + 28)[0]
        if bytes(buf[central + 46:central + 46 + name_len]).decode() == name:
            struct.pack_into("<I", buf, central + 24, size)
            break
        central = buf.rfind(b"PK\x01\x02", 0, central)
    return bytes(buf)


SHEET = "xl/worksheets/sheet1.xml"
BAD_XML_DTD = ('<?xml version="1.0"?><!DOCTYPE dataset [<!ENTITY a "aaaaaaaaaa">'
               '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
               '<dataset department="commerce" type="penalty"><record><field name="记录编号">&c;</field>'
               '</record></dataset>').encode()
EXTERNAL_XML = ('<?xml version="1.0"?><!DOCTYPE dataset [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                '<dataset department="commerce" type="penalty"><record><field name="记录编号">&x;</field>'
                '</record></dataset>').encode()


def _bomb_sheet() -> bytes:
    rows = b"".join(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>' % (n, n)
                    for n in range(1, 2))
    return (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b"<sheetData>" + rows + b" " * (20 << 20) + b"</sheetData></worksheet>")


# name -> (file name, builder(tmp_path) -> bytes, words the one message must hold)
Case = tuple[str, Callable[[Path], bytes], tuple[str, ...]]
CASES: dict[str, Case] = {
    "oversize upload": ("big.csv", lambda _t: good_csv(400), ("larger than the limit",)),
    "zip bomb (ratio)": ("bomb.xlsx", lambda t: rezip(good_xlsx(t / "g.xlsx"), {SHEET: _bomb_sheet()}),
                         ("zip bomb",)),
    "zip bomb (size understated)": (
        "liar.xlsx", lambda t: understate(rezip(good_xlsx(t / "g.xlsx"), {SHEET: _bomb_sheet()[:6 << 20]}),
                                          SHEET, 1 << 19), ("zip bomb",)),
    "zip bomb (entries)": ("many.xlsx", lambda t: rezip(good_xlsx(t / "g.xlsx"), {},
                                                        {f"x/{n}.bin": b"" for n in range(safety.MAX_ENTRIES)}),
                           ("too many entries",)),
    "billion laughs XML": ("laughs.xml", lambda _t: BAD_XML_DTD, ("DTD", "refused")),
    "external entity XML": ("external.xml", lambda _t: EXTERNAL_XML, ("DTD", "refused")),
    "entities in an XLSX sheet": ("laughs.xlsx", lambda t: rezip(good_xlsx(t / "g.xlsx"), {SHEET: BAD_XML_DTD}),
                                  ("DTD", "refused")),
    "xlsx renamed .csv": ("renamed.csv", lambda t: good_xlsx(t / "g.xlsx"), ("zip", "not a text file")),
    "image renamed .csv": ("photo.csv", lambda _t: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
                           ("binary",)),
    "old Excel renamed .xlsx": ("old.xlsx", lambda _t: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
                                (".xls",)),
    "truncated XLSX": ("half.xlsx", lambda t: (d := good_xlsx(t / "g.xlsx"))[: len(d) // 2], ("corrupt",)),
    "undecodable encoding": ("latin.csv", lambda _t: good_csv().replace(b"P0", b"P\xff\x80\xfe0"),
                             ("neither UTF-8 nor GB18030",)),
    "bad bytes after the first chunk": (
        "late.csv", lambda _t: good_csv(12000) + b"P99999,\xff\xfe\x80\x80,,,,\n", ("line 12002",)),
}


@pytest.fixture(autouse=True)
def small_upload_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """An upload limit every case but the oversize one stays under."""
    monkeypatch.setenv(safety.ENV_MAX_UPLOAD, str(8 << 20))


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(Batch)).scalar_one(),
                conn.execute(select(func.count()).select_from(SourceRecord)).scalar_one())


@pytest.mark.parametrize("case", list(CASES))
def test_each_bad_file_is_one_clear_error_and_leaves_no_data(engine: Engine, tmp_path: Path, case: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    name, build, words = CASES[case]
    if case == "oversize upload":
        monkeypatch.setenv(safety.ENV_MAX_UPLOAD, "4096")
    path = tmp_path / name
    path.write_bytes(build(tmp_path))
    with pytest.raises(IngestError) as info:
        ingest_file(engine, path, "commerce", "penalty", parallel=False)
    message = str(info.value)
    assert " / " in message and str(path) in message and "Traceback" not in message
    for word in words:
        assert word in message, message
    assert counts(engine) == (0, 0)


def test_each_bad_file_of_a_cli_run_gets_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from credit.cli import main

    monkeypatch.setenv("CREDIT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    files = []
    for case in ("zip bomb (ratio)", "billion laughs XML", "xlsx renamed .csv", "truncated XLSX"):
        name, build, _words = CASES[case]
        (tmp_path / name).write_bytes(build(tmp_path))
        files.append(str(tmp_path / name))
    (tmp_path / "good.csv").write_bytes(good_csv())
    assert main(["ingest", "-d", "commerce", "-t", "penalty", "-q", "--no-resolve", *files,
                 str(tmp_path / "good.csv")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(line.startswith("失败 / failed") for line in err)


def test_a_bad_upload_limit_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(safety.ENV_MAX_UPLOAD, "lots")
    (tmp_path / "a.csv").write_bytes(good_csv())
    with pytest.raises(Exception, match=safety.ENV_MAX_UPLOAD):
        list(readers.open_rows(tmp_path / "a.csv"))


def test_a_real_workbook_passes_every_limit(tmp_path: Path) -> None:
    path = tmp_path / "ok.xlsx"
    good_xlsx(path, rows=500)
    with readers.open_rows(path) as src:
        assert len(list(src)) == 500
