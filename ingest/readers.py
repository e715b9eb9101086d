"""Streaming readers that turn a department file (CSV, XLSX, JSON, NDJSON, XML) into raw rows.

Readers know nothing about the catalog: they yield what the file says, keyed by the header as
written, with row numbers a person can find in the file. Whatever makes the whole file unreadable
raises FileError (Chinese first, then English, naming the file); everything row-level is left to
the validator.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime
import functools
import io
import itertools
import json
import logging
import re
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree as StdET

import charset_normalizer
import ijson
import python_calamine
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from openpyxl.styles.numbers import is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from ingest import safety

log = logging.getLogger(__name__)

SAMPLE_BYTES = 1 << 20
HEADER_SEARCH_ROWS = 10
# Above this much uncompressed sheet + shared-string XML, calamine (which loads the whole sheet into
# Rust memory, ~1.5x the XML size) is replaced by the streaming XLSX parser in this module.
CALAMINE_MAX_XML_BYTES = 128 << 20
INVALID_KEY = "__invalid__"

EXTENSIONS = {
    ".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".json": "json",
    ".ndjson": "ndjson", ".jsonl": "ndjson", ".xml": "xml",
}
FORMATS = ("csv", "xlsx", "json", "ndjson", "xml")

Cell = Any
HeaderTest = Callable[[list[str]], bool]


class FileError(Exception):
    """The file cannot be read at all; message names the file and says why (Chinese, then English)."""


class RawRow:
    """One row as read: its number in the file and its values keyed by header. A table row's
    dict is built on first use (a reader that only counts rows never pays for it)."""

    __slots__ = ("number", "_values", "_cells", "_headers")

    def __init__(self, number: int, values: dict[str, Any] | None = None, *,
                 cells: list[Any] | None = None, headers: list[str] | None = None) -> None:
        self.number = number
        self._values = values
        self._cells = cells
        self._headers = headers

    @property
    def values(self) -> dict[str, Any]:
        if self._values is None:
            self._values = dict(zip(self._headers or (), self._cells or ()))
        return self._values

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RawRow) and (self.number, self.values) == (other.number, other.values)

    def __repr__(self) -> str:
        return f"RawRow({self.number}, {self.values!r})"


def _fail(path: str | Path, zh: str, en: str) -> FileError:
    """Build a FileError whose message is '中文 / English: file'."""
    return FileError(f"{zh} / {en}: {path}")


def _refuse(path: str | Path, check: Callable[..., None], *args: Any) -> None:
    """Run one of ingest/safety.py's checks; its refusal becomes a FileError naming the file."""
    try:
        check(*args)
    except safety.Refused as exc:
        raise FileError(f"{exc}: {path}") from None


class _Recoder:
    """A binary reader that decodes text in one encoding and hands out UTF-8 bytes."""

    def __init__(self, raw: IO[bytes], encoding: str, fix_first: Callable[[str], str] | None = None) -> None:
        self.text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        self.fix_first = fix_first

    def read(self, n: int = -1) -> bytes:
        if n == 0:  # ijson probes the stream type with read(0)
            return b""
        chunk = self.text.read(n if n > 0 else -1)
        if self.fix_first is not None:
            chunk, self.fix_first = self.fix_first(chunk), None
        return chunk.encode("utf-8")


class RowSource:
    """Rows of one file: a context manager and an iterator of RawRow."""

    def __init__(self, path: str | Path, format: str) -> None:
        self.path = str(path)
        self.format = format
        self.encoding: str | None = None
        self.headers: list[str] = []
        self.size = Path(path).stat().st_size
        self._stack = contextlib.ExitStack()
        self._progress: Callable[[], int] = lambda: 0
        self._rows: Iterator[RawRow] = iter(())
        self._pending: list[RawRow] = []
        self._done = False

    def _start(self, rows: Iterator[RawRow]) -> None:
        """Run the reader up to its first row so file-level errors surface at open time."""
        self._rows = rows
        try:
            self._pending = [next(rows)]
        except StopIteration:
            self._done = True
        except BaseException:
            self.close()
            raise

    def bytes_read(self) -> int:
        """How far into the file the reader is, in bytes (for a progress bar)."""
        return self.size if self._done else min(self._progress(), self.size)

    def __iter__(self) -> RowSource:
        return self

    def __next__(self) -> RawRow:
        if self._pending:
            return self._pending.pop()
        try:
            return next(self._rows)
        except StopIteration:
            self._done = True
            raise

    def close(self) -> None:
        """Release the file and any parser state."""
        close = getattr(self._rows, "close", None)
        if close is not None:
            close()
        self._stack.close()

    def __enter__(self) -> RowSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_rows(
    path: str | Path, *, is_header: HeaderTest | None = None, department: str | None = None,
    record_type: str | None = None, format: str | None = None,
) -> RowSource:
    """Open a department file and return its rows as a streaming RowSource."""
    path = Path(path)
    fmt = format_of(path, format)
    if not path.is_file():
        raise _fail(path, "文件不存在", "file not found")
    src = RowSource(path, fmt)
    if src.size == 0:
        raise _fail(path, "文件为空", "file is empty")
    _refuse(path, safety.check_size, src.size)
    log.debug("opening %s as %s", path, fmt)
    if fmt == "csv":
        src._start(_csv_rows(src, is_header))
    elif fmt == "xlsx":
        src._start(_xlsx_rows(src, is_header))
    elif fmt in ("json", "ndjson"):
        src._start(_json_rows(src, fmt))
    else:
        src._start(_xml_rows(src, department, record_type))
    return src


def format_of(path: Path, format: str | None) -> str:
    """The reader to use, from format= or the file extension."""
    if format:
        fmt = format.lower().lstrip(".")
        fmt = EXTENSIONS.get("." + fmt, fmt)
        if fmt not in FORMATS:
            raise _fail(path, f"不支持的格式 {format}", f"unsupported format {format}")
        return fmt
    ext = path.suffix.lower()
    if ext not in EXTENSIONS:
        known = " ".join(sorted(EXTENSIONS))
        raise _fail(path, f"不支持的文件类型“{ext or '无扩展名'}”（支持 {known}；.xls 请另存为 .xlsx）",
                    f"unsupported file type '{ext}' (supported: {known}; save .xls as .xlsx)")
    return EXTENSIONS[ext]


# ---------------------------------------------------------------- text encoding

def detect_encoding(path: str | Path, sample: bytes, whole: bool) -> str:
    """The text encoding of a file from its first bytes: utf-8-sig, utf-8, gb18030 or a best guess."""
    if not sample.removeprefix(codecs.BOM_UTF8).strip():
        raise _fail(path, "文件为空（只有空白）", "file is empty (whitespace only)")
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _fail(path, "不支持 UTF-16 编码，请另存为 UTF-8", "UTF-16 is not supported, save as UTF-8")
    _refuse(path, safety.check_text_sample, sample)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        if _decodes(sample, encoding, whole):
            return encoding
    # the exchange formats allow UTF-8 (with or without BOM) and GB18030/GBK only
    guess = charset_normalizer.from_bytes(sample[:65536]).best()
    looks = f"（看起来像 {guess.encoding}）" if guess is not None else ""
    raise _fail(path, f"无法识别文件的字符编码，既不是 UTF-8 也不是 GB18030{looks}，请另存为 UTF-8",
                f"the text is neither UTF-8 nor GB18030{f' (it looks like {guess.encoding})' if guess else ''}; "
                "save it as UTF-8")


def _decodes(sample: bytes, encoding: str, whole: bool) -> bool:
    """Whether the sample decodes, allowing a multibyte character cut at the end of a partial sample."""
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=whole)
    except UnicodeDecodeError:
        return False
    return True


def _sample(src: RowSource) -> tuple[bytes, bool]:
    """The first SAMPLE_BYTES of the file, and whether that is the whole file."""
    with open(src.path, "rb") as f:
        data = f.read(SAMPLE_BYTES)
    return data, len(data) >= src.size


def _open_binary(src: RowSource) -> IO[bytes]:
    """Open the file for binary reading, closed with the source; progress follows its position."""
    raw = src._stack.enter_context(open(src.path, "rb"))
    src._progress = raw.tell
    return raw


# ---------------------------------------------------------------- tables (CSV and XLSX)

def _is_blank(cells: list[Cell]) -> bool:
    if cells:
        first = cells[0]
        if first.__class__ is str and first and not first.isspace():
            return False  # most rows: a record id in the first cell
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _as_str(cell: Cell) -> str:
    return "" if cell is None else str(cell).strip().lstrip("\ufeff").strip()


def _header_names(src: RowSource, cells: list[Cell]) -> list[str]:
    """Clean header names: trailing empties dropped, inner empties named _column_N, no duplicates."""
    names = [_as_str(c) for c in cells]
    while names and not names[-1]:
        names.pop()
    names = [n or f"_column_{i}" for i, n in enumerate(names, 1)]
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise _fail(src.path, f"表头中“{name}”列重复", f"duplicate column '{name}' in the header")
        seen.add(name)
    return names


def _table(src: RowSource, rows: Iterator[tuple[int, list[Cell]]],
           is_header: HeaderTest | None) -> Iterator[RawRow]:
    """Find the header among the first rows, then yield each non-blank row keyed by it."""
    lead, headers, rows = _find_header(src, rows, is_header)
    src.headers = headers
    end = lead + len(headers)
    for number, cells in rows:
        if _is_blank(cells):
            continue
        if lead == 0 and len(cells) == len(headers):
            yield RawRow(number, cells=cells, headers=headers)
            continue
        values = {h: (cells[i] if i < len(cells) else None) for i, h in enumerate(headers, lead)}
        extra = [c for c in cells[:lead] + cells[end:] if not _is_blank([c])]
        for k, cell in enumerate(extra, 1):
            values[f"_extra_{k}"] = cell
        yield RawRow(number, values)


def _filled(cells: list[Cell]) -> list[Cell]:
    return [c for c in cells if not _is_blank([c])]


def _default_is_header(cells: list[Cell], widest: int) -> bool:
    """At least two non-empty cells, all strings, filling at least half the widest early row.

    The width test passes over a second title row such as '填报单位：…  填报日期：…'.
    """
    filled = _filled(cells)
    return len(filled) >= max(2, (widest + 1) // 2) and all(isinstance(c, str) for c in filled)


def _find_header(src: RowSource, rows: Iterator[tuple[int, list[Cell]]], is_header: HeaderTest | None,
                 ) -> tuple[int, list[str], Iterator[tuple[int, list[Cell]]]]:
    """(leading empty columns, names, rows after the header) from the first non-blank rows."""
    early = [(n, cells) for n, cells in itertools.islice(
        ((n, c) for n, c in rows if not _is_blank(c)), HEADER_SEARCH_ROWS)]
    if not early:
        raise _fail(src.path, "文件中没有任何数据", "the file holds no data")
    widest = max(len(_filled(cells)) for _n, cells in early)
    for index, (_n, cells) in enumerate(early):
        ok = is_header([_as_str(c) for c in cells]) if is_header else _default_is_header(cells, widest)
        if ok:
            lead = next(i for i, c in enumerate(cells) if not _is_blank([c]))
            return lead, _header_names(src, cells[lead:]), itertools.chain(early[index + 1:], rows)
    raise _fail(src.path, f"前 {HEADER_SEARCH_ROWS} 行中找不到表头行",
                f"no header row found in the first {HEADER_SEARCH_ROWS} rows")


# ---------------------------------------------------------------- CSV

def _csv_rows(src: RowSource, is_header: HeaderTest | None) -> Iterator[RawRow]:
    """Rows of a CSV file in UTF-8, UTF-8 with BOM or GB18030."""
    sample, whole = _sample(src)
    src.encoding = detect_encoding(src.path, sample, whole)
    lines = _decoded_lines(src, _open_binary(src))
    yield from _table(src, _csv_records(src, lines), is_header)


def _decoded_lines(src: RowSource, raw: IO[bytes]) -> Iterator[str]:
    """Lines decoded by the C text layer; a bad byte is reported with its line number (found by
    decoding the file again line by line, on that path only)."""
    text = io.TextIOWrapper(raw, encoding=src.encoding or "utf-8", newline="")
    try:
        yield from text
    except UnicodeDecodeError:
        number = _bad_line(src.path, src.encoding or "utf-8")
        raise _fail(src.path, f"第 {number} 行含有不是 {src.encoding} 编码的字节",
                    f"line {number} holds bytes that are not valid {src.encoding}") from None
    finally:
        text.detach()  # the binary file stays open for progress; the source's exit stack closes it


def _bad_line(path: str, encoding: str) -> int:
    """The number of the first physical line that does not decode."""
    decode = codecs.getincrementaldecoder(encoding)().decode
    number = 0
    with open(path, "rb") as fh:
        try:
            for number, line in enumerate(fh, 1):  # noqa: B007 - the line that fails is the answer
                decode(line)
            decode(b"", True)
        except UnicodeDecodeError:
            return number
    return number


def _csv_records(src: RowSource, lines: Iterator[str]) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, cells) for each CSV record."""
    reader = csv.reader(lines)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _fail(src.path, f"第 {start} 行 CSV 格式错误（{exc}）",
                        f"malformed CSV at line {start} ({exc})") from None
        yield start, cells
        start = reader.line_num + 1


# ---------------------------------------------------------------- XLSX

_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# Built-in number formats that are dates or times, including the zh-CN locale ones (27-36, 50-58).
_DATE_FORMAT_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])


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
    """Calamine's value as a reader value: '' -> None, integral float -> int."""
    if value == "" and isinstance(value, str):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


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
        return int(value) if value.is_integer() else value


# ---------------------------------------------------------------- JSON and NDJSON

def _json_rows(src: RowSource, fmt: str) -> Iterator[RawRow]:
    """Rows of a JSON array of objects or of NDJSON (one object per line)."""
    sample, whole = _sample(src)
    src.encoding = detect_encoding(src.path, sample, whole)
    first = sample.decode(src.encoding, errors="ignore").lstrip("\ufeff \t\r\n")[:1]
    if fmt == "json" and first == "[":
        yield from _json_array(src)
    elif first in ("{", "[") or fmt == "ndjson":
        yield from _ndjson(src, strict_first=(fmt == "json"))
    else:
        raise _fail(src.path, "不是 JSON 数组，也不是每行一个 JSON 对象",
                    "neither a JSON array nor one JSON object per line")


def _json_reader(src: RowSource) -> Any:
    """A UTF-8 byte stream of the file for ijson, whatever its encoding."""
    raw = _open_binary(src)
    if src.encoding == "utf-8-sig":
        raw.read(len(codecs.BOM_UTF8))
    if src.encoding in ("utf-8", "utf-8-sig"):
        return raw
    return _Recoder(raw, src.encoding or "utf-8")


def _json_array(src: RowSource) -> Iterator[RawRow]:
    """Objects of a top-level JSON array, streamed with ijson."""
    seen: dict[str, None] = {}
    number = 0
    items = ijson.items(_json_reader(src), "item", use_float=True)
    while True:
        try:
            item = next(items)
        except StopIteration:
            return
        except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError) as exc:
            raise _fail(src.path, f"JSON 格式错误，位于第 {number + 1} 项（{exc}）",
                        f"malformed JSON at item {number + 1} ({exc})") from None
        number += 1
        yield _json_row(src, seen, number, item, f"第{number}项")


def _json_row(src: RowSource, seen: dict[str, None], number: int, item: Any, where: str) -> RawRow:
    """A RawRow for one decoded JSON value; non-objects become a row the validator rejects."""
    if not isinstance(item, dict):
        return RawRow(number, {INVALID_KEY: f"{where}不是对象 / not an object: {repr(item)[:200]}"})
    for key in item:
        if key not in seen:
            seen[key] = None
            src.headers.append(key)
    return RawRow(number, item)


def _ndjson(src: RowSource, strict_first: bool) -> Iterator[RawRow]:
    """One JSON object per line; a bad line becomes a row the validator rejects."""
    text = io.TextIOWrapper(_open_binary(src), encoding=src.encoding, newline=None)
    seen: dict[str, None] = {}
    first = True
    for number, line in _numbered_lines(src, text):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            if first and strict_first:
                raise _fail(src.path, "不是 JSON 数组，也不是每行一个 JSON 对象（第 1 个对象不完整）",
                            f"neither a JSON array nor one object per line ({exc})") from None
            yield RawRow(number, {INVALID_KEY: f"第{number}行不是有效的 JSON / invalid JSON: {exc}"})
            continue
        first = False
        yield _json_row(src, seen, number, item, f"第{number}行")


def _numbered_lines(src: RowSource, text: IO[str]) -> Iterator[tuple[int, str]]:
    """(line number, line) of a text stream, turning a decode error into a FileError."""
    number = 0
    while True:
        try:
            line = text.readline()
        except UnicodeDecodeError:
            raise _fail(src.path, f"第 {number + 1} 行附近的内容不是 {src.encoding} 编码",
                        f"line {number + 1}: bytes that are not valid {src.encoding}") from None
        if not line:
            return
        number += 1
        yield number, line


# ---------------------------------------------------------------- XML

_DECL_RE = re.compile(r"""^(\ufeff?\s*<\?xml[^>]*?encoding\s*=\s*["'])([^"']+)(["'])""")
_UTF8_NAMES = frozenset(["utf-8", "utf8", "utf_8"])


def _xml_rows(src: RowSource, department: str | None, record_type: str | None) -> Iterator[RawRow]:
    """Records of a <dataset><record><field name=…>…</field></record></dataset> file."""
    try:
        yield from _xml_records(src, department, record_type)
    except DefusedXmlException:
        raise _fail(src.path, "XML 含 DTD 或实体声明，出于安全原因拒绝读取",
                    "DTD and entity declarations are refused") from None
    except SafeET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else "?"
        raise _fail(src.path, f"XML 格式错误，位于第 {line} 行（{exc}）",
                    f"malformed XML at line {line} ({exc})") from None
    except (LookupError, UnicodeError) as exc:  # an encoding the declaration names but no codec knows
        raise _fail(src.path, f"XML 声明的字符编码无法使用（{exc}）", f"the XML declares an unusable encoding ({exc})") from None


def _xml_records(src: RowSource, department: str | None, record_type: str | None) -> Iterator[RawRow]:
    """Parse incrementally, clearing each finished record from its parent so memory stays flat."""
    number = 0
    stack: list[Any] = []
    for event, el in SafeET.iterparse(_xml_reader(src), events=("start", "end"), forbid_dtd=True):
        if event == "start":
            if not stack:
                _check_root(src, el, department, record_type)
            stack.append(el)
            continue
        stack.pop()
        if _local(el.tag) == "record" and stack:
            number += 1
            row = RawRow(number, _record_values(el))
            if number == 1:
                src.headers = list(row.values)
            stack[-1].clear()
            yield row


def _xml_reader(src: RowSource) -> Any:
    """A byte stream for the XML parser; GB-encoded files are recoded to UTF-8 on the fly."""
    sample, whole = _sample(src)
    if not sample.removeprefix(codecs.BOM_UTF8).strip():
        raise _fail(src.path, "文件为空（只有空白）", "file is empty (whitespace only)")
    if not sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        _refuse(src.path, safety.check_text_sample, sample)
    head = sample[:200].decode("latin-1")
    match = _DECL_RE.match(head)
    declared = match.group(2).lower() if match else None
    raw = _open_binary(src)
    if declared is None or declared in _UTF8_NAMES:
        if sample.startswith(codecs.BOM_UTF8) or _decodes(sample, "utf-8", whole):
            src.encoding = "utf-8-sig" if sample.startswith(codecs.BOM_UTF8) else "utf-8"
            return raw
        declared = detect_encoding(src.path, sample, whole)
    elif declared.replace("-", "").replace("_", "") not in ("gbk", "gb2312", "gb18030", "cp936"):
        src.encoding = declared
        return raw
    src.encoding = "gb18030" if declared.startswith("gb") or declared == "cp936" else declared
    return _Recoder(raw, src.encoding, lambda s: _DECL_RE.sub(r"\g<1>utf-8\g<3>", s, count=1))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _check_root(src: RowSource, el: Any, department: str | None, record_type: str | None) -> None:
    """The root must be <dataset>, and its department/type must match the upload's."""
    if _local(el.tag) != "dataset":
        raise _fail(src.path, f"根元素应为 <dataset>，实为 <{_local(el.tag)}>",
                    f"root element must be <dataset>, found <{_local(el.tag)}>")
    says_dept, says_type = el.get("department"), el.get("type")
    wrong_dept = department and says_dept and says_dept != department
    wrong_type = record_type and says_type and says_type != record_type
    if wrong_dept or wrong_type:
        file_says = f"{says_dept or '?'}/{says_type or '?'}"
        upload = f"{department or '?'}/{record_type or '?'}"
        raise _fail(src.path, f"根元素声明的部门/类型（{file_says}）与上传时声明的（{upload}）不符",
                    f"root element says {file_says}, upload says {upload}")


def _record_values(record: Any) -> dict[str, Any]:
    """Field name -> text (None when empty) of one <record>."""
    values: dict[str, Any] = {}
    fields = [f for f in record if _local(f.tag) == "field"]
    for i, field in enumerate(fields, 1):
        name = (field.get("name") or "").strip() or f"_field_{i}"
        values[name] = field.text
    return values
