"""Marshmallow schemas of the batch API (``POST /api/v1/batches``, ``GET /api/v1/batches/<id>``)."""

from __future__ import annotations

from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import FileStorage


class FileUpload(Upload):
    """A file part of the multipart body (a plain text field is not a file)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> FileStorage:
        if not isinstance(value, FileStorage) or not value.filename:
            raise ValidationError("应为上传的文件 / must be a file part with a file name")
        return value


class BatchUpload(Schema):
    department = fields.String(required=True, validate=validate.Length(min=1, max=32),
                               metadata={"description": "部门 / department, e.g. commerce"})
    type = fields.String(required=True, validate=validate.Length(min=1, max=64),
                         metadata={"description": "记录类型 / record type, e.g. penalty"})
    file = FileUpload(required=True, metadata={"description": ".csv .txt .xlsx .json .ndjson .jsonl .xml"})


class BatchReceiptSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "the batch (upload) id to poll"})
    status = fields.String(required=True, validate=validate.OneOf(["queued", "running", "done", "failed"]))
    job_id = fields.Integer(allow_none=True)
    filename = fields.String()
    resent_of = fields.Integer(allow_none=True, metadata={"description": "the stored batch of the same file sent before"})
    already_ingested = fields.Boolean()
    message = fields.String(allow_none=True)


class ProgressSchema(Schema):
    rows = fields.Integer()
    percent = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)


class RowNoteSchema(Schema):
    row = fields.Integer()
    column = fields.String()
    reason = fields.String()
    record_id = fields.String(allow_none=True)


class BatchSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["queued", "running", "done", "failed"]))
    department = fields.String()
    type = fields.String()
    filename = fields.String()
    size = fields.Integer()
    submitted_by = fields.String()
    created_at = fields.DateTime()
    batch_id = fields.Integer(allow_none=True)
    resent_of = fields.Integer(allow_none=True)
    already_ingested = fields.Boolean()
    progress = fields.Nested(ProgressSchema)
    error = fields.String(allow_none=True)
    read = fields.Integer(metadata={"description": "when done: rows read"})
    loaded = fields.Integer()
    new_records = fields.Integer()
    new_versions = fields.Integer()
    unchanged = fields.Integer()
    duplicates = fields.Integer()
    rejected = fields.Integer()
    flagged = fields.Integer(allow_none=True)
    format = fields.String(allow_none=True)
    encoding = fields.String(allow_none=True)
    unknown_headers = fields.List(fields.String())
    warnings = fields.List(fields.Nested(RowNoteSchema))
