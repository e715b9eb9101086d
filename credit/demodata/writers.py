"""Writers: values rendered as each form carries them, and one file per form (CSV, XLSX, JSON,
NDJSON, XML) as ``shared/exchange-formats.md`` describes them.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from credit.demodata.vocab import CODE_TYPES, EXCEL_EPOCH, FORM_EXT
from credit.kernel.catalog import RecordType


class ExcelDate:
    """A date written the way Excel exports it: a serial number, or a real date cell in XLSX."""

    __slots__ = ("day",)

    def __init__(self, day: dt.date) -> None:
        self.day = day

    @property
    def serial(self) -> int:
        """Days since 1899-12-30."""
        return (self.day - EXCEL_EPOCH).days

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExcelDate) and other.day == self.day

    def __repr__(self) -> str:
        return f"ExcelDate({self.day})"


def _amount_text(v: float) -> str:
    """An amount without trailing zeros."""
    s = f"{v:.2f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def render_text(v: Any) -> str:
    """A value as it appears in a text file (CSV, XML)."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, ExcelDate):
        return str(v.serial)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float):
        return _amount_text(v)
    return str(v)


def render_json(v: Any) -> Any:
    """A value as it appears in a JSON file (numbers stay numbers)."""
    if isinstance(v, ExcelDate):
        return str(v.serial)
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def render_cell(v: Any, code: bool, codes_as_numbers: bool) -> Any:
    """A value as an XLSX cell: real dates, numbers, all-digit codes as numbers if asked."""
    if isinstance(v, ExcelDate):
        return v.day
    if code and codes_as_numbers and isinstance(v, str) and v.isdigit() and len(v) <= 15 and v[0] != "0":
        return int(v)
    return v


@dataclass
class FileSpec:
    """How one file is written."""

    form: str
    encoding: str = "utf-8"
    keys: str = "zh"  # zh | en, JSON keys
    title_rows: int = 0
    trailing_blank: int = 0
    codes_as_numbers: bool = False
    title: str = ""


def first_data_row(spec: FileSpec) -> int:
    """Physical row number of the first record (CSV line, XLSX sheet row, NDJSON line, ordinal)."""
    if spec.form == "csv":
        return 2
    if spec.form == "xlsx":
        return spec.title_rows + 2
    return 1


def write_csv(path: Path, rt: RecordType, rows: Iterable[dict[str, Any]], spec: FileSpec) -> int:
    """Write rows as CSV in the spec's encoding; the row count."""
    keys = [c.key for c in rt.columns]
    n = 0
    with open(path, "w", encoding=spec.encoding, newline="", errors="strict") as fh:
        w = csv.writer(fh)
        w.writerow([c.zh for c in rt.columns])
        for values in rows:
            w.writerow([render_text(values.get(k)) for k in keys])
            n += 1
    return n


def write_xlsx(path: Path, rt: RecordType, rows: Iterable[dict[str, Any]], spec: FileSpec) -> int:
    """Write rows to the first worksheet of an XLSX (write-only, streaming); the row count."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(rt.zh)
    cols = rt.columns
    if spec.title_rows >= 1:
        ws.append([spec.title or _quarter_title(rt, random.Random(0))])
    if spec.title_rows >= 2:
        ws.append(["填报单位：" + rt.department_zh] + [None] * (len(cols) - 2) + ["单位：万元"])
    ws.append([c.zh for c in cols])
    is_code = [c.type in CODE_TYPES for c in cols]
    n = 0
    for values in rows:
        ws.append([render_cell(values.get(c.key), code, spec.codes_as_numbers)
                   for c, code in zip(cols, is_code)])
        n += 1
    for _ in range(spec.trailing_blank):
        ws.append([""] * len(cols))
    wb.save(path)
    return n


def _json_obj(rt: RecordType, values: dict[str, Any], keys: str) -> dict[str, Any]:
    """One record as a JSON object with Chinese or English keys."""
    return {(c.zh if keys == "zh" else c.key): render_json(values.get(c.key)) for c in rt.columns}


def write_json(path: Path, rt: RecordType, rows: Iterable[dict[str, Any]], spec: FileSpec) -> int:
    """Write a JSON array, one object per line inside it, streaming; the row count."""
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("[")
        for values in rows:
            fh.write(",\n" if n else "\n")
            fh.write(json.dumps(_json_obj(rt, values, spec.keys), ensure_ascii=False))
            n += 1
        fh.write("\n]\n")
    return n


def write_ndjson(path: Path, rt: RecordType, rows: Iterable[dict[str, Any]], spec: FileSpec) -> int:
    """Write one JSON object per line; the row count."""
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for values in rows:
            fh.write(json.dumps(_json_obj(rt, values, spec.keys), ensure_ascii=False))
            fh.write("\n")
            n += 1
    return n


def write_xml(path: Path, rt: RecordType, rows: Iterable[dict[str, Any]], spec: FileSpec) -> int:
    """Write <dataset department type><record><field name=..>..</field></record></dataset>."""
    names = [(c.key, quoteattr(c.zh)) for c in rt.columns]
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        fh.write(f"<dataset department={quoteattr(rt.department)} type={quoteattr(rt.name)}>\n")
        for values in rows:
            fh.write("  <record>")
            for key, attr in names:
                text = render_text(values.get(key))
                fh.write(f"<field name={attr}>{escape(text)}</field>" if text else f"<field name={attr}/>")
            fh.write("</record>\n")
            n += 1
        fh.write("</dataset>\n")
    return n


WRITERS: dict[str, Callable[[Path, RecordType, Iterable[dict[str, Any]], FileSpec], int]] = {
    "csv": write_csv, "xlsx": write_xlsx, "json": write_json, "ndjson": write_ndjson, "xml": write_xml,
}


def file_name(department: str, record_type: str, n: int, form: str) -> str:
    """{department}__{type}__{n}.{ext}; NDJSON files end in .json like the contract says."""
    return f"{department}__{record_type}__{n}.{FORM_EXT[form]}"


def parse_file_name(name: str) -> tuple[str, str]:
    """Department and record type back from a generated file name."""
    dept, rtype, _ = Path(name).name.split("__", 2)
    return dept, rtype


def _quarter_title(rt: RecordType, rng: random.Random) -> str:
    """A title row like 2024年第三季度行政处罚信息公示."""
    year = rng.randrange(2019, 2026)
    q = "一二三四"[rng.randrange(4)]
    what = rt.zh if rt.zh.endswith("信息") else rt.zh + "信息"
    return f"{year}年第{q}季度{what}公示"
