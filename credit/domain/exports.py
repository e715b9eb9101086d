"""Regulator exports: lists and records on a date, filtered, as CSV, XLSX or JSON; streamed; audited.

Kinds: ``black`` and ``red`` (the lists, row for row what ``python -m credit lists`` writes),
``penalties`` (administrative penalties inside their publicity window), ``abnormal`` (abnormal
operation listings in force) and ``records`` (any one record type). Filters: the view date, a
region (division code or name, read from the record's USCC), a department, a record type, a
record-date range. Records stream from the database through the gate one at a time into the
writer, so a million rows need no more memory than ten; every cell goes through
``credit.domain.cells``; the export is audited with its filters and row count once written.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import xlsxwriter
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from credit.domain import audit, export_recovery
from credit.domain.cells import safe_cell
from credit.domain.export_csv import _text, cell_function, csv_cells, write_batches
from credit.domain.export_recovery import Swept
from credit.domain.export_rows import Table, list_table, record_table
from credit.domain.exports_signing import sign_export
from credit.domain.gate import check_view_date
from credit.domain.jobs import actor_of, enqueue
from credit.domain.work_models import Job
from credit.domain.workflows import ROLE_ADMIN, ROLE_REGULATOR, Actor, Conflict, NotFound, require_role
from credit.kernel.db import PROJECT_ROOT, publish_on_commit, staging_path, transaction
from credit.kernel.errors import InvalidInput

log = logging.getLogger(__name__)

KINDS = ("black", "red", "penalties", "abnormal", "records")
FORMATS = ("csv", "xlsx", "json")
EXPORTERS = (ROLE_REGULATOR, ROLE_ADMIN)
PROGRESS_EVERY = 10000


@dataclass(frozen=True)
class ExportSpec:
    """What to export: the kind, the view date and the filters."""

    kind: str
    at: date
    region: str | None = None
    department: str | None = None
    record_type: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidInput(f"导出类型应为 {'、'.join(KINDS)} / export kind must be one of {', '.join(KINDS)}")
        if self.kind == "records" and not (self.department and self.record_type):
            raise InvalidInput("导出记录需指定部门和记录类型 / a records export needs --department and --type")

    def filters(self) -> dict[str, Any]:
        """The filters as recorded in the audit entry (only those given)."""
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_filters(cls, data: dict[str, Any]) -> ExportSpec:
        values = dict(data)
        for key in ("at", "date_from", "date_to"):
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        return cls(**values)


@dataclass(frozen=True)
class ExportResult:
    """A written export: where, how many rows, its digest."""

    path: Path
    file_format: str
    rows: int
    sha256: str
    spec: ExportSpec
    manifest: Path | None = None  # FILE.manifest.json, once signed
    signature: Path | None = None  # FILE.sig
    staged: Path | None = None  # the file as written, moved to ``path`` when the signing transaction commits
    unmasked: dict[str, int] = field(default_factory=dict)  # personal values in clear, by department/type.column
    manifest_data: dict[str, Any] | None = None  # what FILE.manifest.json says, once signed


def export_dir() -> Path:
    """Where finished exports are kept (``CREDIT_EXPORT_DIR``, default instance/exports)."""
    folder = Path(os.environ.get("CREDIT_EXPORT_DIR") or PROJECT_ROOT / "instance" / "exports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _check(actor: Actor, file_format: str) -> None:
    require_role(actor, *EXPORTERS)
    if file_format not in FORMATS:
        raise InvalidInput(f"格式应为 csv、xlsx 或 json / format must be csv, xlsx or json, not {file_format}")


def table_for(session: Session, spec: ExportSpec, lines: bool = False) -> Table:
    """The export's header and its stream of raw rows (values, not yet cells); with ``lines`` (CSV),
    a records export's lines made with stored gate decisions where there are (``credit.domain.export_store``)."""
    if spec.kind in ("black", "red"):
        return list_table(session, spec)
    return record_table(session, spec, lines)


def export(session: Session, actor: Actor, spec: ExportSpec, file_format: str, out: str | Path | None = None,
           progress: Callable[[int, int, str], None] | None = None) -> ExportResult:
    """Write the export to ``out`` (default: a new file in the export folder), audit and sign it.

    The file and its signature files appear under their names when the caller's transaction commits
    (with the audit entries); until then they are staged under hidden names, deleted on a rollback."""
    _check(actor, file_format)
    check_view_date(spec.at)
    sweep_staged(session)
    result = write_export(session, spec, file_format, Path(out) if out else new_export_path(file_format), progress)
    _publish(session, result, discard=True)
    audit_export(session, actor, result)
    return sign(session, actor, result)


def sign(session: Session, actor: Actor, result: ExportResult) -> ExportResult:
    """Sign the finished file: FILE.manifest.json and FILE.sig beside it (credit.domain.exports_signing);
    the three appear when the session commits."""
    signed = sign_export(session, actor, result.path, kind=f"{result.spec.kind}:{result.file_format}",
                         filters=result.spec.filters(), rows=result.rows, staged=result.staged)
    return replace(result, manifest=signed.manifest_file, signature=signed.signature_file,
                   manifest_data=signed.manifest)


def _publish(session: Session, result: ExportResult, *, discard: bool) -> None:
    """The written file appears at its name when the session commits (registered before anything
    else can fail, so that a rollback deletes it, or with ``discard=False`` keeps it for a retry)."""
    if result.staged is not None:
        publish_on_commit(session, result.staged, result.path, discard=discard)


def new_export_path(file_format: str) -> Path:
    return export_dir() / f"{uuid.uuid4().hex}.{file_format}"


def write_export(session: Session, spec: ExportSpec, file_format: str, path: Path,
                 progress: Callable[[int, int, str], None] | None = None) -> ExportResult:
    """Stream the export's rows, staged under a hidden name beside ``path``, in ``file_format``; no
    audit (``export`` does that, and ``sign`` publishes the file at ``path`` with it)."""
    table = table_for(session, spec, lines=file_format == "csv")
    rows = _counting(table.rows, progress)
    staged = staging_path(path)
    try:
        if file_format == "csv" and table.batches is not None:  # batch by batch, shared between processes
            n = write_batches(table, staged, progress, PROGRESS_EVERY)
        else:
            n = WRITERS[file_format](table, rows, staged)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return ExportResult(path, file_format, n, _sha256(staged), spec, staged=staged, unmasked=dict(table.unmasked))


def audit_export(session: Session, actor: Actor, result: ExportResult) -> None:
    """The export's entry; personal values it holds in clear also get a ``personal.unmask`` entry
    (the columns policy opens to government users, and how many values of each)."""
    details: dict[str, Any] = {"filters": result.spec.filters(), "format": result.file_format, "rows": result.rows,
                               "sha256": result.sha256}
    if result.unmasked:
        details["unmasked"] = result.unmasked
    audit.record(session, actor=str(actor), action=f"export.{result.spec.kind}", subject=f"export:{result.path.name}",
                 details=details)
    if result.unmasked:
        audit.record(session, actor=str(actor), action="personal.unmask", subject=f"export:{result.path.name}",
                     reason=f"export {result.spec.kind}",
                     details={"as_of": result.spec.at, "fields": sorted(result.unmasked), "values": result.unmasked})


def _counting(rows: Iterator[list[Any]], progress: Callable[[int, int, str], None] | None) -> Iterator[list[Any]]:
    n = 0
    for n, row in enumerate(rows, start=1):
        if progress is not None and n % PROGRESS_EVERY == 0:
            progress(n, 0, "导出中 / exporting")
        yield row


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---------------------------------------------------------------- writers: one cell rule per format


def write_csv(table: Table, rows: Iterator[list[Any]], path: Path) -> int:
    """CSV in UTF-8 with BOM (Excel opens it as such)."""
    if table.batches is not None:
        return write_batches(table, path)
    n = 0
    width = len(table.header)
    cells = cell_function(width, table.code_columns)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(table.header)
        write = writer.writerow
        for row in rows:
            write(cells(row) if len(row) == width else csv_cells(table, row))
            n += 1
    return n


def write_xlsx(table: Table, rows: Iterator[list[Any]], path: Path) -> int:
    """XLSX in constant memory; every cell a string, so no formula and no code turned into a number."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                           "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet(table.sheet[:31])
    for c, head in enumerate(table.header):
        sheet.write_string(0, c, head)
    n = 0
    for n, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            sheet.write_string(n, c, safe_cell(_text(value)))
    book.close()
    return n


def write_json(table: Table, rows: Iterator[list[Any]], path: Path) -> int:
    """A JSON array of objects keyed by the English column keys, written a row at a time."""
    n = 0
    keys = table.keys
    with open(path, "wb") as fh:
        fh.write(b"[")
        for n, row in enumerate(rows, start=1):
            fh.write((b",\n" if n > 1 else b"\n") + orjson.dumps(dict(zip(keys, row)), default=str))
        fh.write(b"\n]\n")
    return n


WRITERS: dict[str, Callable[[Table, Iterator[list[Any]], Path], int]] = {
    "csv": write_csv, "xlsx": write_xlsx, "json": write_json}
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


# ---------------------------------------------------------------- large exports as jobs


def request_export(session: Session, actor: Actor, spec: ExportSpec, file_format: str) -> Job:
    """Queue a large export for the workers; ``export_file`` gives the file once the job is done."""
    _check(actor, file_format)
    check_view_date(spec.at)
    return enqueue(session, "export", {"spec": spec.filters(), "format": file_format}, actor=actor, max_attempts=3)


def run_export_job(engine: Engine, payload: dict[str, Any], progress: Callable[[int, int, str], None]) -> ExportResult:
    """The job's work: store the gate decisions a CSV records export lacks (their own transactions),
    then write the file (read-only on the database)."""
    spec = ExportSpec.from_filters(payload["spec"])
    _check(actor_of(payload), payload["format"])
    prepare_decisions(engine, spec, payload["format"], progress)
    with transaction(engine) as session:
        sweep_staged(session)
        return write_export(session, spec, payload["format"], new_export_path(payload["format"]), progress)


def prepare_decisions(engine: Engine, spec: ExportSpec, file_format: str,
                      progress: Callable[[int, int, str], None] | None = None) -> int:
    """Before a CSV records export: store the gate's decisions its records lack (the first export of
    new data makes them, later ones read them; ``credit.domain.export_store``). Returns how many."""
    if file_format != "csv" or spec.kind in ("black", "red"):
        return 0
    from credit.domain.export_rows import export_types
    from credit.domain.export_store import prepare

    say = (lambda n: progress(n, 0, "准备导出 / preparing")) if progress is not None else None
    return prepare(engine, export_types(spec), say)


def sweep_staged(session: Session | None = None, now: float | None = None) -> Swept:
    """Staged files in the export folder after a crash (``credit.domain.export_recovery``): with a
    session, committed exports left hidden are published; files older than a day no entry vouches
    for are deleted."""
    return export_recovery.sweep(export_dir(), session, now)


def finish_export_job(session: Session, payload: dict[str, Any], result: ExportResult) -> dict[str, Any]:
    """The job's closing writes: audited and signed; the file appears when they commit (this may run
    again if that transaction is retried, so the written file is kept on a rollback)."""
    _publish(session, result, discard=False)
    audit_export(session, actor_of(payload), result)
    sign(session, actor_of(payload), result)
    return {"file": result.path.name, "format": result.file_format, "rows": result.rows, "sha256": result.sha256}


def export_file(session: Session, actor: Actor, job_id: int) -> tuple[Path, str]:
    """The finished file of an export job (for its requester or any exporter) and its media type."""
    job = session.get(Job, job_id)
    if job is None or job.kind != "export":
        raise NotFound(f"没有此导出任务 / no export job {job_id}")
    require_role(actor, *EXPORTERS)
    if job.status != "done" or not job.result:
        raise Conflict(f"导出尚未完成 / export job {job_id} is {job.status}")
    result = orjson.loads(job.result)
    path = export_dir() / Path(result["file"]).name
    if not path.is_file() and path.name in sweep_staged(session).published:
        log.warning("export job %s: its file was committed but left staged; published now", job_id)
    if not path.is_file():
        raise NotFound(f"导出文件已不在 / the file of export job {job_id} is gone")
    return path, MEDIA_TYPES[result["format"]]
