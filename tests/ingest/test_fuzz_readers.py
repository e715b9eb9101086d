"""A bounded fuzz test of every reader: mangled and random files end in a clear FileError (or a header
error naming the missing column, or row-level rejects), never in any other exception."""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit.kernel.catalog import load_catalog
from ingest import readers
from ingest.prepare import prepare_chunks
from ingest.readers import FileError, open_rows
from ingest.validate import HeaderError

HEADER = ["记录编号", "行政相对人名称", "统一社会信用代码", "法定代表人证件号码", "处罚类别", "罚款金额（万元）", "处罚决定日期"]
ROWS = [["P1", "长沙某某科技有限公司", "91430100MA4L0XXX1X", "43010219800101123X", "罚款", "1,234.5", "2024-03-05"],
        ["P2", "刘记米粉店", "", "", "警告；罚款", "12.5万", "2024年3月5日"]]
RTYPE = load_catalog().get("commerce", "penalty")
# per format: bounded and deterministic (derandomized: every run tries the same files); a deeper,
# random search: CREDIT_FUZZ_EXAMPLES=5000 CREDIT_FUZZ_RANDOM=1 pytest tests/ingest/test_fuzz_readers.py
EXAMPLES = int(os.environ.get("CREDIT_FUZZ_EXAMPLES", "40"))
RANDOM = bool(os.environ.get("CREDIT_FUZZ_RANDOM"))


def _csv(encoding: str) -> bytes:
    lines = [",".join(HEADER)] + [",".join(f'"{c}"' for c in row) for row in ROWS]
    return "\r\n".join(lines).encode(encoding)


def _xlsx() -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(["2024年第三季度行政处罚信息公示"])
    wb.active.append(HEADER)
    for row in ROWS:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _xml() -> bytes:
    records = "".join("<record>" + "".join(f'<field name="{h}">{v}</field>' for h, v in zip(HEADER, row)) + "</record>"
                      for row in ROWS)
    return f'<?xml version="1.0" encoding="UTF-8"?><dataset department="commerce" type="penalty">{records}</dataset>'.encode()


SEEDS: dict[str, list[bytes]] = {
    "csv": [_csv("utf-8"), _csv("gb18030"), b"\xef\xbb\xbf" + _csv("utf-8")],
    "xlsx": [_xlsx()],
    "json": [json.dumps([dict(zip(HEADER, r)) for r in ROWS], ensure_ascii=False).encode()],
    "ndjson": ["\n".join(json.dumps(dict(zip(HEADER, r)), ensure_ascii=False) for r in ROWS).encode()],
    "xml": [_xml()],
}


@st.composite
def mangled(draw: st.DrawFn, fmt: str) -> bytes:
    """A seed file of the format with bytes flipped, cut, spliced or repeated; or random bytes; for
    XLSX, half the time one part inside an intact package is mangled instead."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(min_size=1, max_size=2048))
    if fmt == "xlsx" and draw(st.booleans()):
        return draw(mangled_part())
    return draw(mangled_bytes(draw(st.sampled_from(SEEDS[fmt]))))


@st.composite
def mangled_part(draw: st.DrawFn) -> bytes:
    """The XLSX seed with one of its parts (sheet, shared strings, styles, workbook, rels) mangled."""
    with zipfile.ZipFile(io.BytesIO(SEEDS["xlsx"][0])) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    name = draw(st.sampled_from(sorted(parts)))
    parts[name] = draw(mangled_bytes(parts[name]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for part, body in parts.items():
            zf.writestr(part, body)
    return out.getvalue()


@st.composite
def mangled_bytes(draw: st.DrawFn, seed: bytes) -> bytes:
    """Bytes flipped, cut, spliced, repeated or deleted."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        action = draw(st.sampled_from(["flip", "cut", "insert", "repeat", "delete"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at:]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif action == "repeat":
            data[at:at] = data[at:at + draw(st.integers(1, 512))] * draw(st.integers(1, 50))
        else:
            del data[at:at + draw(st.integers(1, 64))]
    return bytes(data) or b"x"


def _read_everything(path: Path, fmt: str) -> None:
    """Read every row, then validate and serialise every row as ingest would."""
    with open_rows(path, department="commerce", record_type="penalty", format=fmt) as source:
        for row in source:
            _ = row.values
    for _item in prepare_chunks(path, RTYPE, fmt):
        pass


@pytest.mark.parametrize("fmt", [*SEEDS, "xlsx-streaming"])
def test_readers_survive_mangled_files(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if fmt == "xlsx-streaming":  # the parser for sheets too big for calamine
        monkeypatch.setattr(readers, "CALAMINE_MAX_XML_BYTES", -1)
        fmt = "xlsx"

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=mangled(fmt))
    def check(data: bytes) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"upload.{fmt}"
            path.write_bytes(data)
            try:
                _read_everything(path, fmt)
            except FileError as exc:
                assert " / " in str(exc) and str(path) in str(exc)
            except HeaderError as exc:
                assert "missing required column" in str(exc)

    check()
