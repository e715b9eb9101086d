"""The XLSX reader: calamine for ordinary sheets, a streaming parser for very large ones, both
behind the package checks of ingest/safety.py."""

from __future__ import annotations

import contextlib
import datetime
import functools
import re
import zipfile
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from xml.etree import ElementTree as StdET

import python_calamine
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from ingest import safety
from ingest.rowsource import (
    Cell,
    HeaderTest,
    RawRow,
    RowSource,
    _fail,
    _is_blank,
    _refuse,
    _table,
    log,
)

_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# Built-in number formats that are dates or times, including the zh-CN locale ones (27-36, 50-58).
_DATE_FORMAT_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])

# Above this much uncompressed sheet + shared-string XML, calamine (which loads the whole sheet into
# Rust memory, ~1.5x the XML size) is replaced by the streaming XLSX parser in this module.
CALAMINE_MAX_XML_BYTES = 128 << 20



@dataclass
class _XlsxParts:
    sheet: str
    shared_strings: str | None
    styles: str | None
    date1904: bool
    xml_size: int


def _xlsx_rows(src: RowSource, is_header: HeaderTest | None) -> Iterator[RawRow]:
    """Rows of the first worksheet of an XLSX file."""
    with open(src.path, "rb") as fh:
        magic = fh.read(4)
    if magic == b"\xd0\xcf\x11\xe0":
        raise _fail(src.path, "这是旧版 Excel (.xls) 或加密的工作簿，请另存为不加密的 .xlsx",
                    "an old Excel (.xls) or an encrypted workbook: save it as .xlsx without a password")
    try:
        zf = src._stack.enter_context(zipfile.ZipFile(src.path))
        _refuse(src.path, safety.check_package, src.path, zf)
        parts = _xlsx_parts(zf)
    except (zipfile.BadZipFile, KeyError, OSError, SafeET.ParseError, DefusedXmlException, EOFError,
            ValueError, zlib.error, NotImplementedError, RuntimeError) as exc:
        raise _fail(src.path, "文件已损坏或不是有效的 xlsx 文件（可能未上传完整）",
                    f"corrupt or not a valid xlsx file, possibly truncated ({exc})") from None
    if parts.xml_size > CALAMINE_MAX_XML_BYTES:
        log.info("%s: %d MB of sheet XML, streaming it", src.path, parts.xml_size >> 20)
        cells = _stream_sheet(src, zf, parts)
    else:
        zf.close()
        cells = _calamine_sheet(src)
    yield from _table(src, cells, is_header)


def _xlsx_parts(zf: zipfile.ZipFile) -> _XlsxParts:
    """Locate the first worksheet, shared strings and styles inside the package."""
    workbook = _package_target(zf, "_rels/.rels", "officeDocument") or "xl/workbook.xml"
    base = workbook.rsplit("/", 1)[0] + "/" if "/" in workbook else ""
    rels_path = f"{base}_rels/{workbook.rsplit('/', 1)[-1]}.rels"
    rels = _relationships(zf, rels_path, base)
    root = SafeET.fromstring(zf.read(workbook))
    first = root.find(f"{_SHEET_NS}sheets/{_SHEET_NS}sheet")
    if first is None:
        raise KeyError("workbook has no worksheet")
    sheet = rels[first.get(f"{_REL_NS}id", "")][0]
    pr = root.find(f"{_SHEET_NS}workbookPr")
    date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
    shared = next((t for t, kind in rels.values() if kind == "sharedStrings"), None)
    styles = next((t for t, kind in rels.values() if kind == "styles"), None)
    size = zf.getinfo(sheet).file_size + (zf.getinfo(shared).file_size if shared else 0)
    return _XlsxParts(sheet, shared, styles, date1904, size)


def _relationships(zf: zipfile.ZipFile, rels_path: str, base: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (part path inside the zip, relationship kind)."""
    out: dict[str, tuple[str, str]] = {}
    for rel in SafeET.fromstring(zf.read(rels_path)).iter(f"{_PKG_REL_NS}Relationship"):
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else base + target
        out[rel.get("Id", "")] = (target, rel.get("Type", "").rsplit("/", 1)[-1])
    return out


def _package_target(zf: zipfile.ZipFile, rels_path: str, kind: str) -> str | None:
    """The target of the first relationship of a kind in a package-level .rels part."""
    return next((t for t, k in _relationships(zf, rels_path, "").values() if k == kind), None)



def _fraction(size: int, number: int, total: int) -> int:
    """Bytes-equivalent progress of row ``number`` of ``total`` in a file of ``size`` bytes."""
    return size * number // total

def _calamine_sheet(src: RowSource) -> Iterator[tuple[int, list[Cell]]]:
    """(worksheet row number, cells) from python-calamine, which holds the sheet in memory."""
    try:
        book = python_calamine.CalamineWorkbook.from_path(src.path)
        sheet = book.get_sheet_by_index(0)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: B036 - calamine raises its own errors, plain ones and (Rust) panics
        raise _fail(src.path, "文件已损坏或不是有效的 xlsx 文件（可能未上传完整）",
                    f"corrupt or not a valid xlsx file, possibly truncated ({exc})") from None
    src._stack.callback(book.close)
    first_row = sheet.start[0] if sheet.start else 0
    total = max(1, (sheet.end[0] + 1) if sheet.end else 1)
    offset: int | None = None
    for index, raw in enumerate(_guarded_rows(src, sheet)):
        cells = [_calamine_cell(c) for c in raw]
        if offset is None and not _is_blank(cells):
            # iter_rows pads from row 1 in 0.9.1; anchor on the first non-blank row to be sure.
            offset = first_row - index
        number = index + (offset or 0) + 1
        src._progress = functools.partial(_fraction, src.size, number, total)
        yield number, cells


def _guarded_rows(src: RowSource, sheet: Any) -> Iterator[list[Cell]]:
    """calamine's rows; its errors (and Rust panics, which are BaseExceptions) become a FileError."""
    rows = iter(sheet.iter_rows())
    while True:
        try:
            raw = next(rows)
        except StopIteration:
            return
        except (KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except BaseException as exc:  # noqa: B036 - pyo3 panics derive from BaseException
            raise _fail(src.path, "xlsx 工作表内容损坏", f"damaged worksheet data ({type(exc).__name__})") from None
        yield raw


def _calamine_cell(value: Cell) -> Cell:
    """Calamine's value as a reader value: '' -> None, integral float -> int (within 64 bits)."""
    if value == "" and isinstance(value, str):
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < _INT64:
        return int(value)
    return value


# an integral number beyond 64 bits (a 20-digit taxpayer id typed into a number cell: Excel kept 15
# of its digits) stays a float: it is stored as sent and flagged, never an integer JSON cannot hold
_INT64 = 2.0 ** 63


def _stream_sheet(src: RowSource, zf: zipfile.ZipFile, parts: _XlsxParts) -> Iterator[tuple[int, list[Cell]]]:
    """(worksheet row number, cells) parsed incrementally from the sheet XML, memory kept flat."""
    try:
        strings = _SharedStrings(zf, parts.shared_strings) if parts.shared_strings else None
        dates = _date_styles(zf, parts.styles) if parts.styles else frozenset()
        epoch = CALENDAR_MAC_1904 if parts.date1904 else CALENDAR_WINDOWS_1900
        stream = src._stack.enter_context(zf.open(parts.sheet))
        total = max(1, zf.getinfo(parts.sheet).file_size)
        src._progress = lambda: src.size * stream.tell() // total
        convert = _CellConverter(strings, dates, epoch)
        yield from _sheet_rows(_PrologGuard(stream), convert)
    except (StdET.ParseError, DefusedXmlException, zipfile.BadZipFile, zlib.error, EOFError,
            ValueError, IndexError, KeyError, TypeError, OverflowError) as exc:
        raise _fail(src.path, "xlsx 工作表内容损坏", f"damaged worksheet data ({exc})") from None


class _PrologGuard:
    """A byte stream that refuses a DTD, so the C-accelerated stdlib parser can be used safely.

    A DTD (and so any entity declaration) can only come before the root element; defusedxml's
    pure-Python parser is about 2x slower on the large XML parts of a workbook.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.head: bytes | None = b""

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        if self.head is not None:
            self._check(self.head + data)
        return data

    def _check(self, head: bytes) -> None:
        root = _ROOT_START_RE.search(head)
        prolog = head[:root.start()] if root else head
        if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
            raise DefusedXmlException("DTD and entity declarations are refused")
        if root is None and len(head) > 65536:
            raise DefusedXmlException("no root element in the first 64 KB")
        self.head = None if root else head


_ROOT_START_RE = re.compile(rb"<[A-Za-z_]")


def _sheet_rows(stream: Any, convert: _CellConverter) -> Iterator[tuple[int, list[Cell]]]:
    """Rows of a worksheet XML stream; cells placed by their reference, gaps filled with None."""
    row_tag, cell_tag, data_tag = f"{_SHEET_NS}row", f"{_SHEET_NS}c", f"{_SHEET_NS}sheetData"
    cells: list[Cell] = []
    number, sheet_data = 0, None
    for event, el in StdET.iterparse(stream, events=("start", "end")):
        if event == "start":
            if el.tag == data_tag:
                sheet_data = el
        elif el.tag == cell_tag:
            ref = el.get("r")
            if ref is not None:
                col = _column_index(ref)
                if col > len(cells):
                    cells.extend([None] * (col - len(cells)))
            cells.append(convert(el))
        elif el.tag == row_tag:
            number = int(el.get("r") or number + 1)
            yield number, cells
            cells = []
            if sheet_data is not None:
                sheet_data.clear()


@functools.lru_cache(maxsize=4096)
def _column_index(ref: str) -> int:
    """0-based column index of a cell reference such as 'AB12'."""
    index = 0
    for ch in ref:
        if not "A" <= ch <= "Z":
            break
        index = index * 26 + ord(ch) - 64
    return index - 1


class _SharedStrings:
    """The shared-string table kept as one UTF-8 buffer plus offsets (compact for large tables)."""

    def __init__(self, zf: zipfile.ZipFile, part: str) -> None:
        self.buf = bytearray()
        self.ends = array("Q")
        si, t = f"{_SHEET_NS}si", f"{_SHEET_NS}t"
        root = None
        with zf.open(part) as f:
            for event, el in StdET.iterparse(_PrologGuard(f), events=("start", "end")):
                if root is None:
                    root = el
                elif event == "end" and el.tag == si:
                    self.buf += _rich_text(el, t).encode("utf-8")
                    self.ends.append(len(self.buf))
                    root.clear()

    def __getitem__(self, index: int) -> str:
        start = self.ends[index - 1] if index else 0
        return self.buf[start:self.ends[index]].decode("utf-8")


def _rich_text(el: Any, t_tag: str) -> str:
    """The text of a string item: its <t> or its rich-text runs' <t>, without phonetic runs."""
    run_tag = f"{_SHEET_NS}r"
    parts = [child.text or "" if child.tag == t_tag else child.findtext(t_tag) or ""
             for child in el if child.tag in (t_tag, run_tag)]
    return "".join(parts)


def _date_styles(zf: zipfile.ZipFile, part: str) -> frozenset[int]:
    """Indices of cell formats (the s attribute) whose number format is a date or time."""
    root = SafeET.fromstring(zf.read(part))
    custom = {int(n.get("numFmtId", "-1")): n.get("formatCode", "")
              for n in root.iter(f"{_SHEET_NS}numFmt")}
    xfs = root.find(f"{_SHEET_NS}cellXfs")
    out = set()
    for index, xf in enumerate(xfs if xfs is not None else []):
        fmt_id = int(xf.get("numFmtId", "0"))
        if fmt_id in _DATE_FORMAT_IDS or (fmt_id in custom and is_date_format(custom[fmt_id])):
            out.add(index)
    return frozenset(out)


_V_TAG = f"{_SHEET_NS}v"


class _CellConverter:
    """Turns a <c> element into a reader value the way calamine does."""

    def __init__(self, strings: _SharedStrings | None, dates: frozenset[int],
                 epoch: datetime.datetime) -> None:
        self.strings, self.dates, self.epoch = strings, dates, epoch

    def __call__(self, el: Any) -> Cell:
        kind = el.get("t", "n")
        if kind == "s":
            text = el.findtext(_V_TAG)
            return (self.strings[int(text)] if self.strings and text else None) or None
        if kind == "inlineStr":
            item = el.find(f"{_SHEET_NS}is")
            return (_rich_text(item, f"{_SHEET_NS}t") if item is not None else "") or None
        text = el.findtext(_V_TAG)
        if text is None or text == "":
            return None
        if kind in ("str", "e"):
            return text
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "d":
            with contextlib.suppress(ValueError):
                return datetime.datetime.fromisoformat(text)
            return text
        return self._number(float(text), int(el.get("s", "0")))

    def _number(self, value: float, style: int) -> Cell:
        if style in self.dates:
            try:
                moment = from_excel(value, self.epoch)
            except (ValueError, OverflowError):
                return value
            if isinstance(moment, datetime.datetime) and value.is_integer():
                return moment.date()
            return moment
        return int(value) if value.is_integer() and abs(value) < _INT64 else value


# ---------------------------------------------------------------- JSON and NDJSON
