"""Load one department file as one batch: validate rows, version records, append, all or nothing.

A batch is one transaction. Rows stream through in chunks; each chunk's record ids are looked up
against what is stored (including earlier chunks of the same batch, visible in the transaction) to
decide: a new record, a new version of a changed record, an unchanged re-send, or a duplicate row
of this same file; a 撤销 or 修改 of a record that exists neither there nor in an earlier row is a
rejected row (``missing_record``). Nothing is updated or deleted.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, func, insert, select, update

from credit.kernel.catalog import Catalog, RecordType, load_catalog
from credit.kernel.errors import InvalidInput
from credit.kernel.models import Batch, SourceRecord, utcnow
from credit.kernel.rawrow import raw_values
from ingest.prepare import IDENTITY_COLS, Chunk, FileInfo, Rejected, parallel_chunks, prepare_chunks
from ingest.readers import FileError
from ingest.validate import MUST_EXIST_OPS, HeaderError, stored_op

log = logging.getLogger(__name__)

REJECT_SAMPLE = 200
# the columns bound per row, in the order of ``_BatchRun._decide``'s tuple; the batch's constants
# (``_CONSTANT_COLS``) are literals of the statement: fewer parameters for the driver to bind
_INSERT_COLS = ("record_id", "version", "op", "content_hash", "fields", "raw", "flags", "row_number",
                *IDENTITY_COLS)
_CONSTANT_COLS = ("department", "record_type", "batch_id", "file_hash", "created_at")
_JSON_COLS = ("fields", "raw")


class IngestError(InvalidInput):
    """A file that could not be ingested at all; nothing of it was stored."""


@dataclass(frozen=True)
class Reject:
    """One rejected row: where it was, which column, why, and the row as read."""

    file: str
    row: int
    column: str
    reason: str
    record_id: str | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class RowWarning:
    """A stored row with a warning on one column (a failed check character, digits lost to Excel …)."""

    file: str
    row: int
    column: str
    reason: str
    record_id: str | None


@dataclass
class IngestResult:
    """What happened to one file."""

    file: str
    department: str
    record_type: str
    status: str = "loaded"  # loaded | already_ingested | failed
    batch_id: int | None = None
    format: str | None = None
    encoding: str | None = None
    rows_read: int = 0
    new_records: int = 0
    new_versions: int = 0
    unchanged: int = 0
    duplicates: int = 0
    rejected: int = 0
    flagged: int = 0
    unknown_headers: list[str] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)  # a sample; all go to on_reject
    warnings: list[RowWarning] = field(default_factory=list)  # a sample of flagged rows; all go to on_warning
    message: str = ""

    @property
    def loaded(self) -> int:
        return self.new_records + self.new_versions


def file_hash(path: str | Path) -> str:
    """SHA-256 of the file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


PARALLEL_MIN_BYTES = 4 << 20


def ingest_file(
    engine: Engine,
    path: str | Path,
    department: str,
    record_type: str,
    *,
    uploaded_by: str | None = None,
    display_name: str | None = None,
    file_format: str | None = None,
    on_reject: Callable[[Reject], None] | None = None,
    progress: Callable[[int, int, int], None] | None = None,
    catalog: Catalog | None = None,
    parallel: bool | None = None,
    on_warning: Callable[[RowWarning], None] | None = None,
) -> IngestResult:
    """Ingest one file as one batch. Raises IngestError when the file cannot be read at all, or
    when its columns are those of another record type (``ingest.fit``).

    ``parallel``: validate in a child process while this one writes (default: files of 4 MB or more).
    """
    rtype = (catalog or load_catalog()).get(department, record_type)
    name = display_name or str(path)
    result = IngestResult(file=name, department=department, record_type=record_type)
    digest = file_hash(path)
    with engine.connect() as conn:
        previous = _find_batch(conn, rtype, digest)
    if previous is not None:
        result.status = "already_ingested"
        result.batch_id = previous.id
        result.message = (f"同一文件已于 {previous.created_at:%Y-%m-%d %H:%M} 作为批次 {previous.id} 入库，未做任何改动 / "
                          f"the same file was already ingested as batch {previous.id}; nothing done")
        return result
    if parallel is None:
        parallel = os.path.getsize(path) >= PARALLEL_MIN_BYTES
    # SQLite takes the rows' JSON as the UTF-8 bytes the readers made (cast to TEXT by the insert);
    # PostgreSQL binds text
    as_bytes = engine.dialect.name == "sqlite"
    if parallel:
        items = parallel_chunks(path, rtype, file_format, as_bytes=as_bytes)
    else:
        items = prepare_chunks(path, rtype, file_format, as_bytes=as_bytes)
    try:
        info = next(items)
        assert isinstance(info, FileInfo)
        result.format, result.encoding = info.format, info.encoding
        result.unknown_headers = list(info.unknown_headers)
        with engine.begin() as conn:
            run = _BatchRun(conn, rtype, result, digest, on_reject, progress, on_warning, info.headers)
            run.open_batch(name, uploaded_by)
            for chunk in items:
                run.load(chunk)  # type: ignore[arg-type]
            run.close_batch()
    except (FileError, HeaderError) as exc:
        raise IngestError(f"{name}: {exc}") from exc
    finally:
        items.close()
    return result


def _placeholder(column: str, mark: str, dialect: str) -> str:
    """The bind marker of one inserted column. Under SQLite the fields and raw JSON arrive as UTF-8
    bytes and are cast to TEXT, which stores those very bytes as text: decoding them to str for the
    driver to encode them back would cost the writer about a third of its time per row."""
    return f"CAST({mark} AS TEXT)" if dialect == "sqlite" and column in _JSON_COLS else mark


def _find_batch(conn: Connection, rtype: RecordType, digest: str) -> Any:
    query = select(Batch.id, Batch.created_at).where(
        Batch.department == rtype.department, Batch.record_type == rtype.name, Batch.file_hash == digest)
    return conn.execute(query).first()


class _BatchRun:
    """The state of one batch while its chunks arrive."""

    def __init__(self, conn: Connection, rtype: RecordType, result: IngestResult, digest: str,
                 on_reject: Callable[[Reject], None] | None, progress: Callable[[int, int, int], None] | None,
                 on_warning: Callable[[RowWarning], None] | None = None,
                 headers: tuple[str, ...] | None = None):
        self.conn, self.rtype, self.result, self.digest = conn, rtype, result, digest
        self.on_reject, self.progress, self.on_warning = on_reject, progress, on_warning
        self.headers = headers
        self.labels = {c.key: c.label for c in rtype.columns}
        self.batch_id = 0
        self.now: Any = utcnow()
        self.mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        self.insert_sql = ""
        self._bound_now: tuple[Any, ...] = ()
        self._latest_sql: dict[int, str] = {}

    def _insert_sql(self) -> str:
        """The insert of one row: the batch's constants as literals, the rest bound."""
        dialect, mark = self.conn.dialect.name, self.mark
        constants: dict[str, str | int] = {"department": self.rtype.department, "record_type": self.rtype.name,
                     "batch_id": self.batch_id, "file_hash": self.digest}
        literals = [_literal(constants[c]) for c in _CONSTANT_COLS[:-1]]
        columns, values = [*_CONSTANT_COLS[:-1], *_INSERT_COLS], [*literals,
                                                                *(_placeholder(c, mark, dialect) for c in _INSERT_COLS)]
        if dialect == "sqlite":  # stored as SQLAlchemy stores a datetime there, ISO text
            columns, values = [*columns, "created_at"], [*values, _literal(self.now.isoformat(" "))]
        else:  # bound, with the driver's own datetime handling
            columns, values = [*columns, "created_at"], [*values, mark]
        return f"INSERT INTO source_records ({', '.join(columns)}) VALUES ({', '.join(values)})"

    def open_batch(self, filename: str, uploaded_by: str | None) -> None:
        values = dict(department=self.rtype.department, record_type=self.rtype.name,
                      filename=os.path.basename(filename)[:500], file_hash=self.digest,
                      file_format=self.result.format or "", encoding=self.result.encoding,
                      uploaded_by=uploaded_by, created_at=utcnow(),
                      raw_headers=orjson.dumps(list(self.headers)).decode() if self.headers is not None else None,
                      source_floor=select(func.max(SourceRecord.id)).scalar_subquery())
        self.batch_id = int(self.conn.execute(insert(Batch).values(**values).returning(Batch.id)).scalar_one())
        self.result.batch_id = self.batch_id
        self.insert_sql = self._insert_sql()
        self._bound_now = () if self.conn.dialect.name == "sqlite" else (self.now,)

    def close_batch(self) -> None:
        r = self.result
        self.conn.execute(update(Batch).where(Batch.id == self.batch_id).values(
            rows_read=r.rows_read, loaded=r.loaded, new_versions=r.new_versions,
            unchanged=r.unchanged, duplicates=r.duplicates, rejected=r.rejected))

    def load(self, chunk: Chunk) -> None:
        """Version and insert one chunk's valid rows; report its rejected rows."""
        self.result.rows_read = chunk.rows_read
        good = chunk.rows  # plain tuples in ``Prepared`` layout
        for rej in chunk.rejected:
            self._reject(rej)
        if good:
            ids = {p[1] for p in good}
            latest = self._latest_versions(ids)
            params = self._all_new(good) if not latest and len(ids) == len(good) else None
            if params is None:
                decide = self._decide
                params = [row for row in (decide(p, latest) for p in good) if row is not None]
            if params:
                self.conn.exec_driver_sql(self.insert_sql, params)
        if self.progress:
            self.progress(chunk.rows_read, chunk.bytes_read, chunk.size)

    def _reject(self, rejected: Rejected) -> None:
        self.result.rejected += 1
        for column, reason in rejected.errors:
            rej = Reject(self.result.file, rejected.row, column, reason, rejected.record_id, rejected.raw)
            if len(self.result.rejects) < REJECT_SAMPLE:
                self.result.rejects.append(rej)
            if self.on_reject:
                self.on_reject(rej)

    def _latest_versions(self, record_ids: set[str]) -> dict[str, tuple[int, str, int]]:
        """record_id -> (version, content_hash, batch_id) of its newest stored version."""
        ids = list(record_ids)
        sql = self._latest_sql.get(len(ids))
        if sql is None:  # one statement per IN-list length (chunks are mostly of one size)
            m = self.mark
            sql = self._latest_sql[len(ids)] = (
                "SELECT record_id, version, content_hash, batch_id FROM source_records "
                f"WHERE department = {m} AND record_type = {m} AND record_id IN ({', '.join([m] * len(ids))})")
        latest: dict[str, tuple[int, str, int]] = {}
        rows = self.conn.exec_driver_sql(sql, (self.rtype.department, self.rtype.name, *ids))
        for rid, version, chash, batch in rows:
            if rid not in latest or version > latest[rid][0]:
                latest[rid] = (version, chash, batch)
        return latest

    def _all_new(self, good: list[tuple[Any, ...]]) -> list[tuple[Any, ...]] | None:
        """The insert parameters of a chunk whose every row adds a record nobody stored yet (the
        ids neither stored nor repeated within the chunk, every op an upsert): what ``_decide``
        gives each row then, in one pass. None when the chunk is not such a one."""
        if any(p[2] != "upsert" for p in good):
            return None
        result = self.result
        result.new_records += len(good)
        for number, record_id, *_, flags, _identity in (p for p in good if p[6]):
            result.flagged += 1
            if self.on_warning or len(result.warnings) < REJECT_SAMPLE:
                self._warn(number, record_id, flags)
        now = self._bound_now
        return [(p[1], 1, "upsert", p[3], p[4], p[5], p[6], p[0]) + p[7] + now for p in good]

    def _decide(self, p: tuple[Any, ...], latest: dict[str, tuple[int, str, int]]) -> tuple | None:
        """The insert parameters of one prepared row (``Prepared`` layout), or None when it
        changes nothing (an unchanged re-send, or a duplicate within this batch)."""
        number, record_id, op, content_hash, fields, raw, flags, identity = p
        prev = latest.get(record_id)
        if prev is None and op in MUST_EXIST_OPS:
            self._reject(missing_record(p, self.labels["record_id"], self.headers))
            return None
        result = self.result
        if prev is not None and prev[1] == content_hash:
            if prev[2] == self.batch_id:
                result.duplicates += 1
            else:
                result.unchanged += 1
            return None
        version = prev[0] + 1 if prev else 1
        latest[record_id] = (version, content_hash, self.batch_id)
        if version == 1:
            result.new_records += 1
        else:
            result.new_versions += 1
        if flags:
            result.flagged += 1
            if self.on_warning or len(result.warnings) < REJECT_SAMPLE:
                self._warn(number, record_id, flags)
        return (record_id, version, stored_op(op), content_hash, fields, raw, flags, number) + identity \
            + self._bound_now

    def _warn(self, number: int, record_id: str, flags: str) -> None:
        for key, reason in orjson.loads(flags).items():
            warning = RowWarning(self.result.file, number, self.labels.get(key, key), reason, record_id)
            if len(self.result.warnings) < REJECT_SAMPLE:
                self.result.warnings.append(warning)
            if self.on_warning:
                self.on_warning(warning)


def _literal(value: str | int) -> str:
    """A batch constant (catalog names, a hex digest, an id, a timestamp) as an SQL literal."""
    if isinstance(value, int):
        return str(int(value))
    return "'" + str(value).replace("'", "''") + "'"


def missing_record(p: tuple[Any, ...], column: str, headers: tuple[str, ...] | None = None) -> Rejected:
    """The rejection of a 修改 or 撤销 row whose record does not exist (``Prepared`` layout in ``p``).

    "Exists" is read in file order: stored before this batch, or added by an earlier row of this
    file. A revoke above the row that adds the same id is rejected (it has nothing to withdraw
    yet); the add below it still loads.
    """
    number, record_id, op = p[0], p[1], p[2]
    what = ("撤销", "revoke") if op == "revoke" else ("修改", "update (修改)")
    reason = (f"{what[0]}的记录不存在：记录编号 {record_id} 未入库，本文件此前各行也未新增 / "
              f"{what[1]} of a record that does not exist: {record_id} is neither stored nor added "
              f"by an earlier row of this file")
    try:
        raw = raw_values(p[5], list(headers) if headers is not None else None)
    except orjson.JSONDecodeError:
        raw = {}
    return Rejected(number, record_id, [(column, reason)], raw)
