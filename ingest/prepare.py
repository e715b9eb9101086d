"""The pure half of ingest: read a file, validate each row, serialise what will be stored.

``prepare_chunks`` yields ``Chunk`` objects; it touches no database, so for large files it runs in
a child process (``parallel_chunks``) while the parent versions and inserts the previous chunk.
On this 2-core machine that overlaps the CPU-bound validation with the SQLite writes.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, NamedTuple

import orjson

from credit.catalog import RecordType
from ingest.readers import FileError, open_rows
from ingest.validate import HeaderError, RowValidator, normalize_header

log = logging.getLogger(__name__)

CHUNK_ROWS = 5000
IDENTITY_COLS = ("name", "former_names", "uscc", "reg_no", "org_code", "taxpayer_id",
                 "loan_card_no", "legal_rep", "address")


class Prepared(NamedTuple):
    """A valid row, ready to be versioned and inserted (a tuple: cheap to pass between processes)."""

    row: int
    record_id: str
    op: str
    content_hash: str
    fields: str
    raw: str
    flags: str | None
    identity: tuple[str | None, ...]


class Rejected(NamedTuple):
    """A row that failed validation: every (column, reason), and the row as read."""

    row: int
    record_id: str | None
    errors: list[tuple[str, str]]
    raw: dict[str, Any]


@dataclass
class Chunk:
    """Rows in file order plus where the reader is, for progress."""

    rows: list[Prepared | Rejected] = field(default_factory=list)
    rows_read: int = 0
    bytes_read: int = 0
    size: int = 0


@dataclass(frozen=True)
class FileInfo:
    """What the reader found out about the file before the first row."""

    format: str
    encoding: str | None
    unknown_headers: tuple[str, ...] = ()


def prepare_row(validator: RowValidator, number: int, values: dict[str, Any]) -> Prepared | Rejected:
    """Validate one raw row and serialise it for storage."""
    checked = validator.validate(values)
    if checked.errors:
        return Rejected(number, checked.record_id, checked.errors, values)
    fields_json = orjson.dumps(checked.fields, option=orjson.OPT_SORT_KEYS)
    chash = hashlib.blake2b(checked.op.encode() + b"|" + fields_json, digest_size=16).hexdigest()
    ident = checked.identity
    return Prepared(
        number, checked.record_id or "", checked.op, chash, fields_json.decode(),
        orjson.dumps(values, default=str).decode(),
        orjson.dumps(checked.flags).decode() if checked.flags else None,
        tuple(ident.get(c) for c in IDENTITY_COLS),
    )


def prepare_chunks(path: str | Path, rtype: RecordType, file_format: str | None) -> Iterator[FileInfo | Chunk]:
    """FileInfo first, then Chunks. Raises FileError / HeaderError for an unreadable file."""
    known = {normalize_header(c.zh) for c in rtype.columns} | {normalize_header(c.key) for c in rtype.columns}

    def is_header(cells: list[str]) -> bool:
        return sum(1 for c in cells if c and normalize_header(c) in known) >= 2

    with open_rows(path, is_header=is_header, department=rtype.department, record_type=rtype.name,
                   format=file_format) as source:
        validator: RowValidator | None = None
        chunk = Chunk(size=source.size)
        for raw in source:
            if validator is None:
                validator = _validator(rtype, source)
                yield FileInfo(source.format, source.encoding, tuple(validator.unknown_headers))
            chunk.rows.append(prepare_row(validator, raw.number, raw.values))
            if len(chunk.rows) >= CHUNK_ROWS:
                yield _finish(chunk, source)
                chunk = Chunk(size=source.size, rows_read=chunk.rows_read)
        if validator is None:  # no data rows: a tabular file's header is still checked
            validator = _validator(rtype, source)
            yield FileInfo(source.format, source.encoding, tuple(validator.unknown_headers))
        yield _finish(chunk, source)


def _finish(chunk: Chunk, source: Any) -> Chunk:
    chunk.rows_read += len(chunk.rows)
    chunk.bytes_read = source.bytes_read()
    return chunk


def _validator(rtype: RecordType, source: Any) -> RowValidator:
    per_record = source.format in ("json", "ndjson", "xml")
    return RowValidator(rtype, list(source.headers), per_record_keys=per_record)


def parallel_chunks(path: str | Path, rtype: RecordType, file_format: str | None) -> Iterator[FileInfo | Chunk]:
    """prepare_chunks run in a forked child; the same items arrive here, errors re-raised."""
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_produce, args=(sender, path, rtype, file_format), daemon=True)
    child.start()
    sender.close()
    try:
        while True:
            kind, payload = receiver.recv()
            if kind == "item":
                yield payload
            elif kind == "error":
                raise payload
            else:
                return
    except EOFError:
        raise FileError(f"读取进程意外退出 / the reader process died: {path}") from None
    finally:
        receiver.close()
        if child.is_alive():
            child.terminate()
        child.join()


def _produce(sender: Any, path: str | Path, rtype: RecordType, file_format: str | None) -> None:
    try:
        for item in prepare_chunks(path, rtype, file_format):
            sender.send(("item", item))
        sender.send(("end", None))
    except (FileError, HeaderError) as exc:
        sender.send(("error", exc))
    except Exception as exc:  # re-raised in the parent with its type
        try:
            sender.send(("error", exc))
        except Exception:
            sender.send(("error", RuntimeError(repr(exc))))
    finally:
        sender.close()
