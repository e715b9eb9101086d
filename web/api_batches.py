"""The clerks' JSON API: hand in a file (``POST /api/v1/batches``), follow its batch (``GET …/<id>``).

The upload answers 202 at once with the batch ``id``; a worker (``python -m credit worker``) loads
it. The batch answers its ``status`` (queued, running, done, failed) and, once done, the counts the
CLI prints (``credit.domain.batches.batch_counts``). A token is required (401 without one); the
domain refuses a clerk of another department (403).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import abort, request
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from credit.domain.batches import batch_status, submit_uploads
from credit.domain.workflows import ROLE_PUBLIC, Actor
from web import schemas_batches as schemas
from web.auth import current_actor
from web.clerk import request_limit
from web.db import engine, run


class _Parser(FlaskParser):
    """A multipart body's form fields and files read as one ("files" location: the OpenAPI
    document then shows one multipart/form-data request body holding both)."""

    def load_files(self, req: Any, schema: Any) -> Any:
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class _Blueprint(Blueprint):
    ARGUMENTS_PARSER = _Parser()


blp = _Blueprint("api_batches", __name__, url_prefix="/api/v1", description="部门上传批次 / department upload batches")
API_BLUEPRINTS = (blp,)


@blp.before_request
def _upload_limit() -> None:
    if request.method == "POST":
        request.max_content_length = request_limit()
        request.spool_uploads = True  # type: ignore[attr-defined]  # web.spooling: the files land in the upload folder


def _clerk() -> Actor:
    actor = current_actor()
    if actor.role == ROLE_PUBLIC:
        abort(401)
    return actor


def _answer(view: Any) -> dict[str, Any]:
    job = view.job
    out: dict[str, Any] = {
        "id": view.id, "status": view.status, "department": view.department, "type": view.record_type,
        "filename": view.filename, "size": view.size, "submitted_by": view.submitted_by,
        "created_at": view.created_at.replace(tzinfo=view.created_at.tzinfo or UTC),
        "batch_id": view.batch_id, "resent_of": view.resent_of,
        "already_ingested": view.resent_of is not None,
        "progress": {"rows": view.rows_read, "percent": job.percent if job else None,
                     "note": job.progress_note if job else None},
        "error": job.error if job and view.status == "failed" else None,
    }
    if view.status == "done":
        out.update({k: v for k, v in view.counts.items() if k != "already_ingested"})
    return out


@blp.route("/batches", methods=["POST"])
@blp.arguments(schemas.BatchUpload, location="files")
@blp.response(202, schemas.BatchReceiptSchema)
def api_submit_batch(data: dict[str, Any]) -> Any:
    """上传一个文件 / hand in one file of a record type of the token's department; 202 at once."""
    actor = _clerk()
    upload = data["file"]
    receipt = submit_uploads(engine(), actor, data["department"], data["type"],
                             [(upload.stream, upload.filename or "")])[0]
    return {"id": receipt.upload_id, "status": receipt.status, "job_id": receipt.job_id,
            "filename": receipt.filename, "resent_of": receipt.resent_of,
            "already_ingested": receipt.resent_of is not None, "message": receipt.message or None}


@blp.route("/batches/<int(max=2147483647):batch_id>")
@blp.response(200, schemas.BatchSchema)
def api_batch(batch_id: int) -> Any:
    """上传批次 / a batch's status and progress; when done, the counts the CLI prints."""
    actor = _clerk()
    return run(lambda s: _answer(batch_status(s, actor, batch_id)))
