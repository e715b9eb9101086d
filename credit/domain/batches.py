"""Clerks' uploads as background work: submit, ingest in a worker, follow, download the rejects.

``submit_uploads`` stores each file under a generated name, recognises a file sent before (the
same bytes for the same department and type), queues one ingest job per new file and answers at
once with the upload ids. A worker runs ``run_ingest`` (the batch is one transaction: whole or
nothing) and then ``finish_ingest`` in the transaction that marks the job done: the rejected rows
stored, the upload audited, the incremental resolve queued. A worker killed in between leaves the
job to be run again, which then finds its batch already stored and only finishes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session

from credit.domain import audit
from credit.domain.batch_files import (
    RejectSpool,
    StoredFile,
    store_upload,
    sweep_spools,
    upload_dir,
    write_rejects_csv,
    write_rejects_xlsx,
)
from credit.domain.exports_signing import sign_export
from credit.domain.jobs import DONE, JobView, actor_of, enqueue, requeue, retrying, view_job
from credit.domain.uploads import require_uploader
from credit.domain.work_models import Job, Upload, UploadReject
from credit.domain.workflows import (
    GOVERNMENT_ROLES,
    ROLE_CLERK,
    Actor,
    NotAllowed,
    NotFound,
    require_role,
)
from credit.kernel.catalog import load_catalog
from credit.kernel.errors import InvalidInput
from credit.kernel.models import Batch
from ingest.loader import IngestResult, ingest_file
from ingest.prepare import Chunk, prepare_chunks

log = logging.getLogger(__name__)

INGEST_ATTEMPTS = 5
WARNING_SAMPLE = 100  # flagged rows kept with the batch's result (ingest's sample holds up to 200)
RESOLVE_LANE = "matching"
_INSERT_CHUNK = 5000


@dataclass(frozen=True)
class Receipt:
    """What a clerk gets back at once for one file."""

    upload_id: int
    job_id: int | None
    status: str
    filename: str
    resent_of: int | None = None
    message: str = ""


def _receipt_for(session: Session, actor: Actor, department: str, record_type: str, stored: StoredFile,
                 filename: str, max_attempts: int) -> tuple[Receipt, bool]:
    """Recognise the file or queue its ingest; (receipt, whether the stored copy is used)."""
    batch = session.execute(select(Batch.id, Batch.created_at).where(
        Batch.department == department, Batch.record_type == record_type, Batch.file_hash == stored.sha256)).first()
    if batch is not None:
        up = _new_upload(session, actor, department, record_type, stored, filename, resent_of=batch[0])
        msg = (f"同一文件已于 {batch[1]:%Y-%m-%d %H:%M} 作为批次 {batch[0]} 入库，未做任何改动 / "
               f"the same file was already ingested as batch {batch[0]}; nothing done")
        _audit(session, actor, "batch.resent", up, {"batch": batch[0]})
        return Receipt(up.id, None, DONE, filename, batch[0], msg), False
    key = f"ingest:{department}:{record_type}:{stored.sha256}"
    job = session.scalars(select(Job).where(Job.idempotency_key == key)).first()
    if job is not None:
        first = session.scalars(select(Upload).where(Upload.job_id == job.id).order_by(Upload.id)).first()
        if first is not None:
            if job.status == "failed":
                requeue(session, job, max_attempts)
            _audit(session, actor, "batch.resubmit", first, {"job": job.id, "status": job.status})
            return Receipt(first.id, job.id, job.status, filename, None,
                           f"同一文件已提交（上传 {first.id}）/ the same file was already submitted as upload {first.id}"), False
    up = _new_upload(session, actor, department, record_type, stored, filename)
    job = enqueue(session, "ingest", {"upload_id": up.id}, actor=actor, lane=f"ingest:{department}:{record_type}",
                  idempotency_key=key, max_attempts=max_attempts)
    up.job_id = job.id
    _audit(session, actor, "batch.submit", up, {"job": job.id, "size": stored.size, "sha256": stored.sha256})
    return Receipt(up.id, job.id, job.status, filename), True


def _new_upload(session: Session, actor: Actor, department: str, record_type: str, stored: StoredFile,
                filename: str, resent_of: int | None = None) -> Upload:
    up = Upload(department=department, record_type=record_type, original_name=(filename or "")[:500],
                stored_name=stored.stored_name, file_hash=stored.sha256, size=stored.size,
                file_format=stored.file_format, submitted_by=str(actor), resent_of=resent_of)
    session.add(up)
    session.flush()
    return up


def _audit(session: Session, actor: Actor, action: str, up: Upload, details: dict[str, Any]) -> None:
    audit.record(session, actor=str(actor), action=action, subject=f"upload:{up.id}",
                 details={"file": up.original_name, "department": up.department, "type": up.record_type, **details})


def submit_uploads(engine: Engine, actor: Actor, department: str, record_type: str,
                   files: list[tuple[IO[bytes], str]], *, max_attempts: int = INGEST_ATTEMPTS) -> list[Receipt]:
    """Hand in one or many files for the actor's department; each is queued (or recognised) at once."""
    load_catalog().get(department, record_type)
    require_uploader(actor, department)
    if not files:
        raise InvalidInput("请选择要上传的文件 / choose a file to upload")
    sweep_spools()
    receipts = []
    for stream, filename in files:
        stored = store_upload(stream, filename)
        def work(session: Session, f: StoredFile = stored, name: str = filename) -> tuple[Receipt, bool]:
            return _receipt_for(session, actor, department, record_type, f, name, max_attempts)

        try:
            receipt, used = retrying(engine, work)
        except BaseException:
            stored.path.unlink(missing_ok=True)
            raise
        if not used:
            stored.path.unlink(missing_ok=True)
        receipts.append(receipt)
    return receipts


# ---------------------------------------------------------------- in the worker


@dataclass
class IngestOutcome:
    """What ``run_ingest`` did: the ingest result and the spool of rejected rows."""

    result: IngestResult
    spool: RejectSpool
    recovered: bool = False  # the batch was already stored (an earlier attempt committed it)


def run_ingest(engine: Engine, payload: dict[str, Any], progress: Callable[[int, int, str], None]) -> IngestOutcome:
    """Ingest the upload's file as one batch (a job's work; safe to run again)."""
    actor = actor_of(payload)
    with engine.connect() as conn:
        up = conn.execute(select(Upload).where(Upload.id == payload["upload_id"])).first()
    if up is None:
        raise NotFound(f"没有此上传 / no upload {payload['upload_id']}")
    require_uploader(actor, up.department)
    rtype = load_catalog().get(up.department, up.record_type)
    path = upload_dir() / up.stored_name
    if not path.is_file():
        raise NotFound(f"上传的文件已不在存储中 / the stored file of upload {up.id} is missing")
    (upload_dir() / "spool").mkdir(exist_ok=True)
    spool = RejectSpool(upload_dir() / "spool" / f"{up.id}.rejects", rtype)

    def report(rows: int, read: int, size: int) -> None:
        progress(rows, int(rows * size / read) if read else 0, "读取中 / reading")

    try:
        result = ingest_file(engine, path, up.department, up.record_type, uploaded_by=actor.user,
                             display_name=up.original_name, file_format=up.file_format, on_reject=spool.add,
                             progress=report)
        recovered = result.status == "already_ingested"
        if recovered:  # an earlier attempt stored the batch: its rejects are the file's, read them again
            progress(0, 0, "恢复中 / recovering")
            _collect_rejects(path, rtype, up.file_format, spool)
    finally:
        spool.close()
    return IngestOutcome(result, spool, recovered)


def _collect_rejects(path: Any, rtype: Any, file_format: str | None, spool: RejectSpool) -> None:
    from ingest.loader import Reject

    for item in prepare_chunks(path, rtype, file_format):
        if isinstance(item, Chunk):
            for rej in item.rejected:
                for column, reason in rej.errors:
                    spool.add(Reject(str(path), rej.row, column, reason, rej.record_id, rej.raw))


def finish_ingest(session: Session, payload: dict[str, Any], outcome: IngestOutcome) -> dict[str, Any]:
    """Store the rejects, link the upload to its batch, audit, queue the resolve; the job's result."""
    actor = actor_of(payload)
    up = session.get(Upload, payload["upload_id"])
    if up is None:
        raise NotFound(f"没有此上传 / no upload {payload['upload_id']}")
    batch = session.get(Batch, outcome.result.batch_id)
    if batch is None:
        raise NotFound(f"没有此批次 / no batch {outcome.result.batch_id}")
    session.execute(delete(UploadReject).where(UploadReject.upload_id == up.id))
    up.rejects_stored = _store_rejects(session, up.id, outcome.spool.rows())
    up.batch_id = batch.id
    counts = batch_counts(batch, outcome.result)
    resolve = enqueue(session, "resolve", {"full": False}, actor=actor, lane=RESOLVE_LANE,
                      coalesce_key="resolve:incremental")
    _audit(session, actor, "batch.upload", up, {"batch": batch.id, "status": "loaded", "read": counts["read"],
                                                "loaded": counts["loaded"], "rejected": counts["rejected"]})
    return {**counts, "batch_id": batch.id, "resolve_job": resolve.id, "recovered": outcome.recovered}


def clean_up_ingest(outcome: IngestOutcome) -> None:
    """After the job's closing transaction committed: the spool of rejected rows is no longer needed."""
    outcome.spool.path.unlink(missing_ok=True)


def _store_rejects(session: Session, upload_id: int, rows: Iterator[tuple[Any, ...]]) -> int:
    n, chunk = 0, []
    for row_number, column, reason, record_id, raw in rows:
        chunk.append({"upload_id": upload_id, "row_number": row_number, "column": column, "reason": reason,
                      "record_id": record_id, "raw": raw})
        if len(chunk) >= _INSERT_CHUNK:
            session.execute(insert(UploadReject), chunk)
            n, chunk = n + len(chunk), []
    if chunk:
        session.execute(insert(UploadReject), chunk)
        n += len(chunk)
    return n


def batch_counts(batch: Batch, result: IngestResult | None = None) -> dict[str, Any]:
    """The figures the CLI prints for a file (from the stored batch, so a re-run gives the same)."""
    fresh = result is not None and result.status == "loaded"
    return {"read": batch.rows_read, "loaded": batch.loaded, "new_records": batch.loaded - batch.new_versions,
            "new_versions": batch.new_versions, "unchanged": batch.unchanged, "duplicates": batch.duplicates,
            "rejected": batch.rejected, "flagged": result.flagged if fresh and result else None,
            "format": batch.file_format, "encoding": batch.encoding,
            "unknown_headers": list(result.unknown_headers) if fresh and result else [],
            "warnings": [{"row": w.row, "column": w.column, "reason": w.reason, "record_id": w.record_id}
                         for w in result.warnings[:WARNING_SAMPLE]] if fresh and result else []}


# ---------------------------------------------------------------- following a batch


def require_batch_reader(actor: Actor, department: str) -> None:
    """A clerk sees their own department's uploads; reviewers, regulators and administrators all."""
    if actor.role == ROLE_CLERK and actor.department != department:
        raise NotAllowed(f"{actor} 不能查看 {department} 部门的上传 / may not see uploads of department {department}")
    require_role(actor, *GOVERNMENT_ROLES)


@dataclass(frozen=True)
class BatchStatus:
    """One upload as its batch page shows it."""

    id: int
    department: str
    record_type: str
    filename: str
    size: int
    submitted_by: str
    created_at: datetime
    status: str
    job: JobView | None
    batch_id: int | None
    resent_of: int | None
    counts: dict[str, Any] = field(default_factory=dict)
    resolve: JobView | None = None

    @property
    def rows_read(self) -> int:
        """Rows read so far (all of them once done)."""
        if self.counts:
            return int(self.counts.get("read") or 0)
        return self.job.progress_done if self.job else 0

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


def _upload(session: Session, actor: Actor, upload_id: int) -> Upload:
    up = session.get(Upload, upload_id)
    if up is None:
        raise NotFound(f"没有此批次 / no batch {upload_id}")
    require_batch_reader(actor, up.department)
    return up


def batch_status(session: Session, actor: Actor, upload_id: int) -> BatchStatus:
    """The upload's status (queued, running, done, failed), live progress, and its counts once done."""
    up = _upload(session, actor, upload_id)
    job = view_job(session, up.job_id) if up.job_id else None
    counts: dict[str, Any] = {}
    resolve = None
    if up.resent_of is not None:
        original = session.get(Batch, up.resent_of)
        counts = {**batch_counts(original), "already_ingested": True} if original else {}
        status = DONE
    else:
        status = job.status if job else "failed"
        if job is not None and job.status == DONE:
            counts = {k: v for k, v in job.result.items() if k not in ("resolve_job", "recovered")}
            if job.result.get("resolve_job"):
                resolve = view_job(session, int(job.result["resolve_job"]))
    return BatchStatus(up.id, up.department, up.record_type, up.original_name, up.size, up.submitted_by,
                       up.created_at, status, job, up.batch_id, up.resent_of, counts, resolve)


def batch_history(session: Session, actor: Actor, department: str, *, limit: int = 50,
                  offset: int = 0) -> list[BatchStatus]:
    """The department's uploads, newest first."""
    require_batch_reader(actor, department)
    ids = session.scalars(select(Upload.id).where(Upload.department == department)
                          .order_by(Upload.id.desc()).limit(limit).offset(offset))
    return [batch_status(session, actor, int(i)) for i in ids]


@dataclass(frozen=True)
class RejectRow:
    row: int
    column: str
    reason: str
    record_id: str | None
    raw: str


def _reject_upload(session: Session, up: Upload) -> int:
    """The upload whose rejects stand for this one (a re-sent file: the first upload of its batch)."""
    if up.resent_of is None:
        return up.id
    first = session.scalar(select(Upload.id).where(Upload.batch_id == up.resent_of).order_by(Upload.id).limit(1))
    return int(first) if first is not None else up.id


def rejected_rows(session: Session, actor: Actor, upload_id: int, *, limit: int | None = 100,
                  offset: int = 0) -> Iterator[RejectRow]:
    """The upload's rejected rows, in file order (personal values masked); all with ``limit=None``."""
    up = _upload(session, actor, upload_id)
    stmt = (select(UploadReject.row_number, UploadReject.column, UploadReject.reason, UploadReject.record_id,
                   UploadReject.raw).where(UploadReject.upload_id == _reject_upload(session, up))
            .order_by(UploadReject.id).offset(offset))
    if limit is not None:
        stmt = stmt.limit(limit)
    for r in session.execute(stmt.execution_options(yield_per=5000)):
        yield RejectRow(*r)


def request_resolve(session: Session, actor: Actor, *, full: bool = False, max_attempts: int = 5) -> Job:
    """Queue a resolve (``full``: a rebuild) for the workers; audited. Joins a queued one."""
    require_role(actor, *GOVERNMENT_ROLES)
    mode = "full" if full else "incremental"
    job = enqueue(session, "resolve", {"full": full}, actor=actor, lane=RESOLVE_LANE, coalesce_key=f"resolve:{mode}",
                  max_attempts=max_attempts)
    audit.record(session, actor=str(actor), action="matching.resolve_request", subject=f"job:{job.id}",
                 details={"mode": mode})
    return job


REJECT_FORMATS = ("csv", "xlsx")


def download_rejects(session: Session, actor: Actor, upload_id: int, file_format: str, out: str | Path) -> int:
    """Write the upload's rejected rows to ``out`` as CSV (UTF-8 with BOM) or XLSX, audited and signed
    (``out.manifest.json``, ``out.sig``); the number of rows written."""
    if file_format not in REJECT_FORMATS:
        raise InvalidInput(f"格式应为 csv 或 xlsx / format must be csv or xlsx, not {file_format}")
    up = _upload(session, actor, upload_id)
    rows = ((r.row, r.column, r.reason, r.record_id, r.raw)
            for r in rejected_rows(session, actor, upload_id, limit=None))
    if file_format == "csv":
        with open(out, "w", encoding="utf-8-sig", newline="") as fh:
            n = write_rejects_csv(rows, fh)
    else:
        n = write_rejects_xlsx(rows, out)
    _audit(session, actor, "batch.rejects_download", up, {"format": file_format, "rows": n})
    sign_export(session, actor, out, kind=f"rejects:{file_format}", filters={"upload": up.id}, rows=n)
    return n
