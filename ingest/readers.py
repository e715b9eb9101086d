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
import itertools
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
    _find_header,
    _keyed_rows,
    _open_binary,
    _refuse,
    _sample,
    _table,
    detect_encoding,
    format_of,
    log,
)
from ingest.spans import plan_spans
from ingest.structured import _json_rows, _xml_rows
from ingest.xlsx import CALAMINE_MAX_XML_BYTES, _xlsx_rows

__all__ = [
    "CALAMINE_MAX_XML_BYTES", "EXTENSIONS", "FORMATS", "INVALID_KEY", "SAMPLE_BYTES", "FileError", "RawRow",
    "RowSource", "detect_encoding", "format_of", "open_rows",
]


def open_rows(
    path: str | Path, *, is_header: HeaderTest | None = None, department: str | None = None,
    record_type: str | None = None, format: str | None = None, split: tuple[int, int, int] | None = None,
) -> RowSource:
    """Open a department file and return its rows as a streaming RowSource.

    ``split`` = (part, parts, chunk_rows): of a CSV file that can be cut into spans of whole rows
    (ingest/spans.py), only the rows of spans ``part``, ``part + parts`` …, and ``spans`` set on the
    source; of any other file (``spans`` None), every row."""
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
        src._start(_csv_rows(src, is_header, split))
    elif fmt == "xlsx":
        src._start(_xlsx_rows(src, is_header))
    elif fmt in ("json", "ndjson"):
        src._start(_json_rows(src, fmt))
    else:
        src._start(_xml_rows(src, department, record_type))
    return src




def _csv_rows(src: RowSource, is_header: HeaderTest | None,
              split: tuple[int, int, int] | None = None) -> Iterator[RawRow]:
    """Rows of a CSV file in UTF-8, UTF-8 with BOM or GB18030 (``split``: see ``open_rows``)."""
    sample, whole = _sample(src)
    src.encoding = detect_encoding(src.path, sample, whole)
    raw = _open_binary(src)
    lines = _decoded_lines(src, raw)
    if split is None or split[1] <= 1:
        yield from _table(src, _csv_records(src, lines), is_header)
        return
    lead, headers, rows = _find_header(src, _csv_records(src, lines), is_header)
    src.headers = headers
    part, parts, chunk_rows = split
    spans = plan_spans(src.path, src.header_line, chunk_rows)
    if spans is None:
        yield from _keyed_rows(lead, headers, rows)
        return
    src.spans = spans
    own = spans[part::parts]
    if part == 0:  # the first span follows the header: read on from the header search
        end = own[0].end_line
        yield from _keyed_rows(lead, headers, itertools.takewhile(lambda r: r[0] < end, rows))
        own = own[1:]
    lines.close()  # type: ignore[attr-defined]  # the header search's stream, and its file handle
    raw = _open_binary(src)
    encoding = "utf-8" if src.encoding == "utf-8-sig" else src.encoding  # a BOM only opens the file
    for span in own:
        raw.seek(span.start)
        data = raw.read(span.end - span.start)
        yield from _keyed_rows(lead, headers, _csv_records(src, _decoded_lines(src, io.BytesIO(data), encoding),
                                                           span.line - 1))


def _decoded_lines(src: RowSource, raw: IO[bytes], encoding: str | None = None) -> Iterator[str]:
    """Lines decoded by the C text layer; a bad byte is reported with its line number (found by
    decoding the file again line by line, on that path only)."""
    text = io.TextIOWrapper(raw, encoding=encoding or src.encoding or "utf-8", newline="")
    try:
        yield from text
    except UnicodeDecodeError:
        number = _bad_line(src.path, src.encoding or "utf-8")
        raise _fail(src.path, f"第 {number} 行含有不是 {src.encoding} 编码的字节",
                    f"line {number} holds bytes that are not valid {src.encoding}") from None
    finally:
        if not text.closed:  # closing this generator early closes the text layer, and its file, first
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


def _csv_records(src: RowSource, lines: Iterator[str], before: int = 0) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, cells) for each CSV record (``before``: lines of the file
    before the first of ``lines``)."""
    reader = csv.reader(lines)
    start = before + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _fail(src.path, f"第 {start} 行 CSV 格式错误（{exc}）",
                        f"malformed CSV at line {start} ({exc})") from None
        yield start, cells
        start = before + reader.line_num + 1
