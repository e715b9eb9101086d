"""The pure half of ingest: read a file, validate each row, serialise what will be stored.

``prepare_chunks`` yields ``Chunk`` objects; it touches no database, so for large files it runs in
forked child processes (``parallel_chunks``) while the parent versions and inserts the chunks in
file order. Validation costs about twice what writing does, so two children share it, each
validating every other chunk: of a CSV file that can be cut by line ends, each child parses only
its own chunks' byte spans (ingest/spans.py); of any other, both read the whole file (cheap for
CSV and NDJSON). On a 2-core machine the three processes keep both cores busy.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import queue
import threading
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from credit.kernel.catalog import IDENTITY_ROLES, RecordType
from ingest import fit
from ingest.protect import RowProtector, scrub_errors
from ingest.readers import FileError, format_of, open_rows
from ingest.validate import HeaderError, RowValidator, stored_op

log = logging.getLogger(__name__)

CHUNK_ROWS = 2000
QUEUE_CHUNKS = 1
READERS = 2  # validating children of ``parallel_chunks`` (on machines with at least two cores)
# formats cheap enough to parse that two readers may each parse the whole file; an XLSX or XML
# file's parsing costs more than validating, so one reader takes it all
SPLIT_FORMATS = ("csv", "ndjson")
IDENTITY_COLS = IDENTITY_ROLES  # the identity view columns of source_records, in order


class Prepared(NamedTuple):
    """A valid row, ready to be versioned and inserted."""

    row: int
    record_id: str
    op: str  # upsert | update | revoke as the file says (update and revoke need an existing record)
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
    """Valid rows in file order (plain tuples in ``Prepared`` layout: a NamedTuple pickles three
    times slower), rejected rows, and where the reader is, for progress (rows read so far)."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    rows_read: int = 0
    bytes_read: int = 0
    size: int = 0
    alone: bool = False  # rows_read counts this chunk's rows only (a byte span's), summed by the parent


@dataclass(frozen=True)
class FileInfo:
    """What the reader found out about the file before the first row."""

    format: str
    encoding: str | None
    unknown_headers: tuple[str, ...] = ()
    # a table's header, against which its rows' raw cells are stored as lists (the batch keeps
    # it: ``batches.raw_headers``); None for JSON, NDJSON and XML, whose raw rows are objects
    headers: tuple[str, ...] | None = None


def prepare_row(validator: RowValidator, number: int, values: dict[str, Any] | None,
                protector: RowProtector | None = None, as_bytes: bool = False,
                cells: list[Any] | None = None) -> tuple[Any, ...] | Rejected:
    """Validate one raw row and serialise it for storage (a tuple in ``Prepared`` layout).

    Personal values leave here sealed (fields, raw row), pseudonymised (identity) or masked (a
    rejected row); a row holding any has a keyed content hash (ingest/protect.py). ``as_bytes``:
    the fields and raw JSON as UTF-8 bytes (a reader child sends them so; see ``text_rows``).
    ``cells``: a table row with exactly one cell per header of the validator, in place of
    ``values``; its raw row is stored as a list (credit/kernel/rawrow.py)."""
    protector = protector or RowProtector(validator.rtype)
    checked = validator.validate_cells(cells) if cells is not None else validator.validate(values or {})
    if checked.errors:
        if values is None:
            values = dict(zip(validator.headers, cells or ()))
        return Rejected(number, checked.record_id, scrub_errors(checked.errors), protector.mask_raw(values))
    chash, fields_json, raw_json, ident = protector.protect(stored_op(checked.op), checked.fields,
                                                           checked.identity_row, values, cells)
    if as_bytes:  # exact-size copies: orjson's own buffers, kept for a whole chunk, fragment the heap
        fields_json, raw_json = memoryview(fields_json).tobytes(), memoryview(raw_json).tobytes()
    else:
        fields_json, raw_json = fields_json.decode(), raw_json.decode()  # type: ignore[assignment]
    return (
        number, checked.record_id or "", checked.op, chash, fields_json, raw_json,
        orjson.dumps(checked.flags).decode() if checked.flags else None,
        ident,
    )


def text_rows(chunk: Chunk) -> Chunk:
    """A chunk whose rows' JSON came as bytes, with it as text (what the writer binds).

    Bytes cross the pipe from a reader child for half the cost of text (no UTF-8 encoding by the
    child's pickler, no decoding in the child): the parent's receiver decodes them once."""
    chunk.rows = [r[:4] + (r[4].decode(), r[5].decode()) + r[6:] for r in chunk.rows]
    return chunk


def prepare_chunks(path: str | Path, rtype: RecordType, file_format: str | None,
                   part: int = 0, parts: int = 1, as_bytes: bool = False) -> Generator[FileInfo | Chunk, None, None]:
    """FileInfo first, then Chunks. Raises FileError / HeaderError for an unreadable file.

    With ``parts`` > 1, only the chunks whose index is ``part`` modulo ``parts`` (the last one
    included if it is one of them). A CSV file that can be cut into byte spans of CHUNK_ROWS lines
    (ingest/spans.py) is read only in those spans, one chunk each (``Chunk.alone``); of any other,
    the other rows are read and counted, not validated. ``as_bytes``: rows' JSON as UTF-8 bytes
    (``prepare_row``).
    """
    split = (part, parts, CHUNK_ROWS) if parts > 1 else None
    with open_rows(path, is_header=fit.header_test(rtype), department=rtype.department, record_type=rtype.name,
                   format=file_format, split=split) as source:
        validator: RowValidator | None = None
        protector: RowProtector | None = None
        by_cells = False  # the validator reads exact-width table rows by position
        chunk = Chunk(size=source.size)
        index = counted = 0  # the chunk's index, and its rows so far
        spans = source.spans[part::parts] if source.spans is not None else None
        mine = part == 0 or spans is not None  # a reader of spans validates every row it reads
        for raw in fit.checked_rows(source, rtype):  # a file of another type is refused here
            if validator is None:
                validator = _validator(rtype, source)
                protector = RowProtector(rtype, None if validator.per_record_keys else list(source.headers))
                by_cells = validator.width is not None
                yield _info(source, validator)
            if spans is not None:
                while raw.number >= spans[index].end_line:
                    yield _span_chunk(chunk, spans[index].end, counted)
                    chunk, counted, index = Chunk(size=source.size), 0, index + 1
            if mine:
                cells = raw.cells if by_cells else None
                row = prepare_row(validator, raw.number, None if cells is not None else raw.values, protector,
                                  as_bytes, cells)
                if isinstance(row, Rejected):
                    chunk.rejected.append(row)
                else:
                    chunk.rows.append(row)
            counted += 1
            if counted >= CHUNK_ROWS and spans is None:
                if mine:
                    yield _finish(chunk, source, counted)
                else:
                    chunk.rows_read += counted
                chunk = Chunk(size=source.size, rows_read=chunk.rows_read)
                index, counted = index + 1, 0
                mine = index % parts == part
        if validator is None:  # no data rows: a tabular file's header is still checked
            validator = _validator(rtype, source)
            yield _info(source, validator)
        if spans is not None:
            for span in spans[index:]:
                yield _span_chunk(chunk, span.end, counted)
                chunk, counted = Chunk(size=source.size), 0
        elif mine:
            yield _finish(chunk, source, counted)


def _info(source: Any, validator: RowValidator) -> FileInfo:
    headers = tuple(validator.headers) if validator.width is not None else None
    return FileInfo(source.format, source.encoding, tuple(validator.unknown_headers), headers)


def _span_chunk(chunk: Chunk, end: int, counted: int) -> Chunk:
    chunk.rows_read, chunk.bytes_read, chunk.alone = counted, end, True
    return chunk


def _finish(chunk: Chunk, source: Any, counted: int) -> Chunk:
    chunk.rows_read += counted
    chunk.bytes_read = source.bytes_read()
    return chunk


def _validator(rtype: RecordType, source: Any) -> RowValidator:
    per_record = source.format in ("json", "ndjson", "xml")
    return RowValidator(rtype, list(source.headers), per_record_keys=per_record,
                        text_only=source.format in ("csv", "xml"))


def parallel_chunks(path: str | Path, rtype: RecordType, file_format: str | None,
                    readers: int | None = None, as_bytes: bool = False) -> Generator[FileInfo | Chunk, None, None]:
    """prepare_chunks run in forked children, each validating every ``readers``-th chunk; the same
    items arrive here, in file order, errors re-raised. ``as_bytes``: the rows' JSON as the
    children made it, UTF-8 bytes (else decoded to text here, ``text_rows``).

    A receiver thread per child drains its pipe into a short queue, so a child never waits for the
    writer to finish a chunk before it can hand over the next one.
    """
    parts = readers or _readers_for(path, file_format)
    ctx = multiprocessing.get_context("fork")
    stop = threading.Event()
    children, threads, inboxes, pipes = [], [], [], []
    try:
        for part in range(parts):  # every child forked before any thread starts here
            receiver, sender = ctx.Pipe(duplex=False)
            child = ctx.Process(target=_produce, args=(sender, path, rtype, file_format, part, parts), daemon=True)
            child.start()
            sender.close()
            children.append(child)
            pipes.append(receiver)
        for receiver in pipes:
            inbox: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=QUEUE_CHUNKS)
            thread = threading.Thread(target=_receive, args=(receiver, inbox, stop, path, as_bytes), daemon=True)
            thread.start()
            threads.append(thread)
            inboxes.append(inbox)
        for part, inbox in enumerate(inboxes):  # every child starts with the same FileInfo
            info = _next(inbox)
            if info is None:
                return
            if part == 0:
                yield info
        index = rows_read = 0
        while True:
            item = _next(inboxes[index % parts])
            if item is None:
                return
            if item.alone:  # a byte span's chunk counts its own rows: add up those of the file so far
                rows_read += item.rows_read
                item.rows_read = rows_read
            yield item
            index += 1
    finally:
        stop.set()
        for child in children:
            if child.is_alive():
                child.terminate()
            child.join()
        for thread in threads:
            thread.join()
        for receiver in pipes:
            receiver.close()


def _readers_for(path: str | Path, file_format: str | None) -> int:
    """How many children should read this file (one for formats costly to parse)."""
    try:
        fmt = format_of(Path(path), file_format)
    except FileError:
        return 1  # the child reports it
    return READERS if fmt in SPLIT_FORMATS and (os.cpu_count() or 1) >= 2 else 1


def _next(inbox: queue.Queue[tuple[str, Any]]) -> Any:
    """The next item from one child: None at its end; its error raised."""
    kind, payload = inbox.get()
    if kind == "item":
        return payload
    if kind == "error":
        raise payload
    return None


def _receive(receiver: Any, inbox: queue.Queue[tuple[str, Any]], stop: threading.Event, path: str | Path,
             as_bytes: bool = False) -> None:
    """Move messages from the child's pipe to the queue until the end, an error or a stop."""
    while not stop.is_set():
        try:
            message = receiver.recv()
        except (EOFError, OSError):
            message = ("error", FileError(f"读取进程意外退出 / the reader process died: {path}"))
        if message[0] == "item" and isinstance(message[1], Chunk) and not as_bytes:
            message = ("item", text_rows(message[1]))
        while not stop.is_set():
            try:
                inbox.put(message, timeout=0.2)
                break
            except queue.Full:
                continue
        if message[0] != "item":
            return


def _die_with_parent() -> None:
    """Linux: have the kernel kill this reader when the writer dies (kill -9 included). Otherwise an
    orphan, blocked on a pipe whose read end it inherited, would live on holding a copy of the
    writer's database connection, and with it the dead writer's open transaction and its locks."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:  # the writer died before the call took effect
        os._exit(1)


def _produce(sender: Any, path: str | Path, rtype: RecordType, file_format: str | None,
             part: int = 0, parts: int = 1) -> None:
    _die_with_parent()
    gc.disable()  # rows are acyclic, freed by reference counting; the collector only costs time here
    try:
        for item in prepare_chunks(path, rtype, file_format, part, parts, as_bytes=True):
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
