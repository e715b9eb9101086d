"""What every reader shares: the row source, raw rows, file errors, encoding detection and the
search for the header row in a table (CSV, XLSX)."""

from __future__ import annotations

import codecs
import contextlib
import io
import itertools
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import charset_normalizer

from ingest import safety

log = logging.getLogger(__name__)

SAMPLE_BYTES = 1 << 20
HEADER_SEARCH_ROWS = 10
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
    def cells(self) -> list[Any] | None:
        """A table row's cells when they are exactly one per header, in header order (else None)."""
        return self._cells if self._headers is not None else None

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

    def close(self) -> None:
        self.text.close()


class RowSource:
    """Rows of one file: a context manager and an iterator of RawRow."""

    def __init__(self, path: str | Path, format: str) -> None:
        self.path = str(path)
        self.format = format
        self.encoding: str | None = None
        self.headers: list[str] = []
        self.header_line = 0  # a table's header row's line (or row) number
        self.spans: list[Any] | None = None  # a CSV part's byte spans (ingest/spans.py), when cut so
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
    yield from _keyed_rows(lead, headers, rows)


def _keyed_rows(lead: int, headers: list[str], rows: Iterator[tuple[int, list[Cell]]]) -> Iterator[RawRow]:
    """Each non-blank row keyed by the header (``lead``: empty columns left of it)."""
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
            src.header_line = _n
            return lead, _header_names(src, cells[lead:]), itertools.chain(early[index + 1:], rows)
    raise _fail(src.path, f"前 {HEADER_SEARCH_ROWS} 行中找不到表头行",
                f"no header row found in the first {HEADER_SEARCH_ROWS} rows")


# ---------------------------------------------------------------- CSV
