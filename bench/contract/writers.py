"""Write one department file in any form section 1 of the contract lists; say where each row landed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import xlsxwriter

# the English keys the contract names (sections 2 and 3); other columns keep their Chinese header
ENGLISH_KEYS = {"记录编号": "record_id", "操作类型": "op", "统一社会信用代码": "uscc", "注册号": "reg_no",
                "组织机构代码": "org_code", "纳税人识别号": "taxpayer_id", "贷款卡号": "loan_card_no"}
CODE_COLUMNS = {"统一社会信用代码", "注册号", "组织机构代码", "纳税人识别号", "贷款卡号"}
EMPTY_MARKERS = ["", "", "", "无", "-", "/", "NULL", "—"]
FORMATS = ["csv-utf8", "csv-bom", "csv-gbk", "xlsx", "json", "ndjson", "xml"]
EXTENSIONS = {"csv-utf8": ".csv", "csv-bom": ".csv", "csv-gbk": ".csv", "xlsx": ".xlsx", "json": ".json",
              "ndjson": ".ndjson", "xml": ".xml"}
# a code stored as an Excel number: up to 18 digits by default; 20 digits (an individual business's taxpayer
# id) overflow a 64-bit integer once the sheet is read (`generate --excel-20-digit-numbers` writes them)
MAX_NUMERIC_DIGITS = 18
TITLES = {"penalty": "行政处罚信息公示", "credit_rating": "纳税信用A级纳税人名单", "registration": "市场主体登记信息",
          "spot_check": "产品质量监督抽查结果公告", "fire_penalty": "消防行政处罚信息公示"}


def date_text(rng: random.Random, d: dt.date) -> str:
    r = rng.random()
    if r < 0.45:
        return d.isoformat()
    if r < 0.65:
        return f"{d.year}/{d.month}/{d.day}"
    if r < 0.85:
        return f"{d.year}年{d.month}月{d.day}日"
    return d.strftime("%Y%m%d")


def text_cell(rng: random.Random, value: object) -> str:
    if value is None:
        return rng.choice(EMPTY_MARKERS)
    if isinstance(value, dt.date):
        return date_text(rng, value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def write(path: Path, fmt: str, department: str, rtype: str, columns: list[str],
          rows: list[dict[str, object]], rng: random.Random) -> tuple[list[int], list[set[str]]]:
    """Write rows; (row number as ingest counts it, flags the form added) for each row."""
    extra: list[set[str]] = [set() for _ in rows]
    if fmt.startswith("csv"):
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n" if rng.random() < 0.5 else "\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([text_cell(rng, r.get(c)) for c in columns])
        data = buf.getvalue()
        raw = (data.encode("gb18030") if fmt == "csv-gbk" else
               ("\ufeff" + data).encode("utf-8") if fmt == "csv-bom" else data.encode("utf-8"))
        path.write_bytes(raw)
        return list(range(2, len(rows) + 2)), extra
    if fmt == "xlsx":
        return _xlsx(path, rtype, columns, rows, rng, extra), extra
    if fmt in ("json", "ndjson"):
        english = fmt == "ndjson" or rng.random() < 0.3
        objs = []
        for r in rows:
            o: dict[str, object] = {}
            for c in columns:
                val = r.get(c)
                key = ENGLISH_KEYS.get(c, c) if english else c
                if isinstance(val, float) and rng.random() < 0.5:
                    o[key] = val  # an amount as a JSON number
                elif val is None and rng.random() < 0.5:
                    continue  # a key simply left out
                else:
                    o[key] = text_cell(rng, val)
            objs.append(o)
        if fmt == "json":
            path.write_text(json.dumps(objs, ensure_ascii=False, indent=1), encoding="utf-8")
        else:
            path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objs), encoding="utf-8")
        return list(range(1, len(rows) + 1)), extra
    if fmt == "xml":
        out = [f'<?xml version="1.0" encoding="UTF-8"?>\n<dataset department={quoteattr(department)} '
               f'type={quoteattr(rtype)}>\n']
        for r in rows:
            out.append("<record>")
            for c in columns:
                val = r.get(c)
                if val is None and rng.random() < 0.5:
                    continue
                out.append(f"<field name={quoteattr(c)}>{escape(text_cell(rng, val))}</field>")
            out.append("</record>\n")
        out.append("</dataset>\n")
        path.write_text("".join(out), encoding="utf-8")
        return list(range(1, len(rows) + 1)), extra
    raise ValueError(fmt)


def _xlsx(path: Path, rtype: str, columns: list[str], rows: list[dict[str, object]], rng: random.Random,
          extra: list[set[str]]) -> list[int]:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                         "strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"created": dt.datetime(2024, 10, 8, 9, 0, 0)})  # same bytes for the same seed
    ws = wb.add_worksheet("Sheet1")
    datef = wb.add_format({"num_format": "yyyy-mm-dd"})
    at = 0
    for t in range(rng.choice([0, 1, 1, 2])):
        ws.write_string(at, 0, f"2024年第三季度{TITLES.get(rtype, '公示信息')}" if t == 0 else "填报单位：（盖章）")
        at += 1
    for j, c in enumerate(columns):
        ws.write_string(at, j, c)
    at += 1
    numbers: list[int] = []
    for i, r in enumerate(rows):
        for j, c in enumerate(columns):
            val = r.get(c)
            if isinstance(val, dt.date) and rng.random() < 0.7:
                ws.write_datetime(at, j, dt.datetime(val.year, val.month, val.day), datef)
            elif isinstance(val, float):
                ws.write_number(at, j, val)
            elif (c in CODE_COLUMNS and isinstance(val, str) and val.isdigit()
                  and (len(val) <= 15 and rng.random() < 0.3 or len(val) <= MAX_NUMERIC_DIGITS and rng.random() < 0.04)):
                ws.write_number(at, j, float(val))  # a code stored as a number (Excel keeps 15 digits)
                extra[i].add("code_as_number" if len(val) <= 15 else "code_as_number_digits_lost")
            elif val is None:
                marker = rng.choice(EMPTY_MARKERS)
                if marker:
                    ws.write_string(at, j, marker)
            else:
                ws.write_string(at, j, text_cell(rng, val))
        numbers.append(at + 1)
        at += 1
    for k in range(rng.choice([0, 2, 3])):  # blank rows at the end
        ws.write_blank(at + k, 0, None, datef)
    wb.close()
    return numbers
