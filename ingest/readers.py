"""Streaming readers that turn a department file (CSV, XLSX, JSON, NDJSON, XML) into raw rows.

Readers know nothing about the catalog: they yield what the file says, keyed by the header as
written, with row numbers a person can find in the file. Whatever makes the whole file unreadable
raises FileError (Chinese first, then English, naming the file); everything row-level is left to
the validator.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ingest import safety
from ingest.rowsource import (
    EXTENSIONS,
    FORMATS,
    INVALID_KEY,
    SAMPLE_BYTES,
    FileError,
    HeaderTest,
    RawRow,
    RowSource,
    _fail,
    _open_binary,
    _refuse,
    _sample,
    _table,
    detect_encoding,
    format_of,
    log,
)
from ingest.structured import _json_rows, _xml_rows
from ingest.xlsx import CALAMINE_MAX_XML_BYTES, _xlsx_rows

__all__ = [
    "CALAMINE_MAX_XML_BYTES", "EXTENSIONS", "FORMATS", "INVALID_KEY", "SAMPLE_BYTES", "FileError", "RawRow",
    "RowSource", "detect_encoding", "format_of", "open_rows",
]


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
