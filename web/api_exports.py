"""Regulator exports in the JSON API: ``GET /api/v1/exports/<kind>?date=&region=&department=&type=&from=&to=&format=``.

A regulator's or administrator's token. A small export answers 200 with the file itself (CSV in
UTF-8 with BOM, XLSX or JSON), its row count and SHA-256 in headers and ``Link`` headers to its
signature and signed manifest; a large one answers 202 with the export job, followed at
``/api/v1/exports/jobs/<id>`` until it names its files, fetched at ``/api/v1/exports/files/<name>``.
The domain audits and signs every export (``credit.domain.export_files``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, jsonify, send_file, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from credit.domain.export_files import ExportFile, export_job, export_part, start_export
from credit.domain.exports import FORMATS, KINDS, ExportSpec
from web.auth import current_actor
from web.db import run
from web.regulator import direct_rows

blp = Blueprint("api_exports", __name__, url_prefix="/api/v1/exports",
                description="监管导出 / regulator exports (a regulator's or administrator's token)")
API_BLUEPRINTS = (blp,)
KIND_PATH = "<any(" + ", ".join(KINDS) + "):kind>"
FILE_CONTENT = {"text/csv": {"schema": {"type": "string", "format": "binary"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
                    {"schema": {"type": "string", "format": "binary"}},
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}


class ExportArgs(Schema):
    date = fields.Date(load_default=None, metadata={"description": "view date YYYY-MM-DD (default today)"})
    region = fields.String(load_default=None, validate=validate.Length(max=20),
                           metadata={"description": "division code prefix or a province / city name"})
    department = fields.String(load_default=None, validate=validate.Length(max=32))
    record_type = fields.String(load_default=None, data_key="type", validate=validate.Length(max=40),
                                metadata={"description": "record type (with records: the type to export)"})
    date_from = fields.Date(load_default=None, data_key="from", metadata={"description": "record date from"})
    date_to = fields.Date(load_default=None, data_key="to", metadata={"description": "record date to"})
    file_format = fields.String(load_default="csv", data_key="format", validate=validate.OneOf(FORMATS))


class ExportFileSchema(Schema):
    name = fields.String()
    rows = fields.Integer(allow_none=True)
    sha256 = fields.String()
    url = fields.String()
    signature_url = fields.String()
    manifest_url = fields.String()


class ExportJobSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    attempts = fields.Integer()
    progress_done = fields.Integer(metadata={"description": "rows written so far"})
    percent = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    status_url = fields.String()
    file = fields.Nested(ExportFileSchema, allow_none=True)


def _file_urls(f: ExportFile) -> dict[str, Any]:
    def link(name: str) -> str:
        return url_for("api_exports.api_export_file", name=name)

    return {"name": f.name, "rows": f.rows, "sha256": f.manifest.get("sha256", ""), "url": link(f.name),
            "signature_url": link(f.signature_name), "manifest_url": link(f.manifest_name)}


def _job(job_id: int) -> dict[str, Any]:
    view, done = run(lambda s: export_job(s, current_actor(), job_id))
    return {"id": view.id, "status": view.status, "attempts": view.attempts, "progress_done": view.progress_done,
            "percent": view.percent, "error": view.error,
            "status_url": url_for("api_exports.api_export_job", job_id=view.id),
            "file": _file_urls(done) if done else None}


@blp.route("/" + KIND_PATH)
@blp.arguments(ExportArgs, location="query")
@blp.alt_response(202, schema=ExportJobSchema, description="a large export, queued as a job")
@blp.doc(responses={"200": {"description": "the export file; X-Export-Rows, X-Export-SHA256, Link (signature, "
                                           "manifest)", "content": FILE_CONTENT}})
def api_export(args: dict[str, Any], kind: str) -> Any:
    """监管导出 / a list or records on a date, filtered, as CSV (UTF-8 BOM), XLSX or JSON; signed and audited."""
    actor = current_actor()
    spec = ExportSpec(kind, args["date"] or date.today(), region=args["region"] or None,
                      department=args["department"] or None, record_type=args["record_type"] or None,
                      date_from=args["date_from"], date_to=args["date_to"])
    started = run(lambda s: start_export(s, actor, spec, args["file_format"], direct_rows=direct_rows()))
    if started.file is None:
        assert started.job_id is not None
        response = jsonify(ExportJobSchema().dump(_job(started.job_id)))
        response.status_code = 202
        response.headers["Location"] = url_for("api_exports.api_export_job", job_id=started.job_id)
        return response
    return _send(started.file.name, started.file)


def _send(name: str, described: ExportFile | None = None) -> Response:
    path, media_type = export_part(current_actor(), name)
    response = send_file(path, mimetype=media_type, as_attachment=True, download_name=path.name, max_age=0)
    if described is not None:
        urls = _file_urls(described)
        response.headers["X-Export-Rows"] = str(described.rows)
        response.headers["X-Export-SHA256"] = urls["sha256"]
        response.headers["Link"] = (f'<{urls["signature_url"]}>; rel="signature", '
                                    f'<{urls["manifest_url"]}>; rel="describedby"')
    return response


@blp.route("/jobs/<int(max=2147483647):job_id>")
@blp.response(200, ExportJobSchema)
def api_export_job(job_id: int) -> Any:
    """导出任务 / a queued export: status, progress and, when done, its three files."""
    return _job(job_id)


@blp.route("/files/<name>")
@blp.doc(responses={"200": {"description": "the export, NAME.sig (raw Ed25519 signature) or NAME.manifest.json",
                            "content": {**FILE_CONTENT, "application/json": {"schema": {}},
                                        "application/octet-stream":
                                        {"schema": {"type": "string", "format": "binary"}}}}})
def api_export_file(name: str) -> Any:
    """导出文件 / a finished export, its signature (NAME.sig) or its signed manifest (NAME.manifest.json)."""
    return _send(name)
