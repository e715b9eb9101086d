"""Exports as the web and the API hand them out: start one, follow its job, fetch its three files.

``start_export`` is the one operation the regulator's page and ``GET /api/v1/exports/…`` call:
it checks the role, then writes a small export at once (``exports.export``: written, audited,
signed) or queues a large one as a job (``exports.request_export``). Whether an export is large
is estimated from the number of current records it reads (lists are built in memory by
``credit.domain.lists`` anyway, so they are always written at once). ``exported`` and
``export_part`` give a finished export's manifest and its file, ``FILE.sig`` or
``FILE.manifest.json``; ``export_job`` follows a queued export.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from credit.domain.export_rows import export_types
from credit.domain.exports import EXPORTERS, FORMATS, MEDIA_TYPES, ExportSpec, export, export_dir, request_export, sweep_staged
from credit.domain.exports_signing import MANIFEST_SUFFIX, SIGNATURE_SUFFIX
from credit.domain.gate import check_view_date
from credit.domain.jobs import JobView, view_job
from credit.domain.workflows import Actor, NotFound, require_role
from credit.kernel.errors import InvalidInput
from credit.kernel.models import SourceRecord

NAME = re.compile(r"^([0-9a-f]{32}\.(csv|xlsx|json))(\.sig|\.manifest\.json)?$")
PART_TYPES = {"": "", SIGNATURE_SUFFIX: "application/octet-stream", MANIFEST_SUFFIX: "application/json"}
DIRECT_ROWS = 20000  # estimated rows above which an export runs as a job


@dataclass(frozen=True)
class ExportFile:
    """A finished, signed export as its manifest describes it."""

    name: str
    file_format: str
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> int | None:
        return self.manifest.get("rows")  # type: ignore[no-any-return]

    @property
    def signature_name(self) -> str:
        return self.name + SIGNATURE_SUFFIX

    @property
    def manifest_name(self) -> str:
        return self.name + MANIFEST_SUFFIX


@dataclass(frozen=True)
class Started:
    """What ``start_export`` did: a written file, or a queued job."""

    file: ExportFile | None = None
    job_id: int | None = None


def estimate_rows(session: Session, spec: ExportSpec) -> int:
    """An upper bound of the export's rows: the stored versions of the record types it reads (0 for lists)."""
    if spec.kind in ("black", "red"):
        return 0
    s = SourceRecord
    types = export_types(spec)
    where = or_(*[(s.department == rt.department) & (s.record_type == rt.name) for rt in types])
    return int(session.scalar(select(func.count(s.id)).where(where)) or 0)


def start_export(session: Session, actor: Actor, spec: ExportSpec, file_format: str,
                 direct_rows: int = DIRECT_ROWS) -> Started:
    """Write the export now when it is small (audited and signed), else queue it as a job."""
    require_role(actor, *EXPORTERS)
    check_view_date(spec.at)
    if file_format not in FORMATS:
        raise InvalidInput(f"格式应为 csv、xlsx 或 json / format must be csv, xlsx or json, not {file_format}")
    if estimate_rows(session, spec) > direct_rows:
        job = request_export(session, actor, spec, file_format)
        return Started(job_id=job.id)
    result = export(session, actor, spec, file_format)  # the files appear when the caller commits
    return Started(file=ExportFile(result.path.name, file_format, result.manifest_data or {}))


def _split(name: str) -> tuple[str, str, str]:
    match = NAME.match(name or "")
    if match is None:
        raise NotFound(f"没有此导出文件 / no export file {name[:80]!r}")
    return match.group(1), match.group(2), match.group(3) or ""


def _describe(name: str) -> ExportFile:
    base, file_format, _ = _split(name)
    manifest = export_dir() / (base + MANIFEST_SUFFIX)
    try:
        data = json.loads(manifest.read_bytes())
    except (OSError, ValueError):
        raise NotFound(f"没有此导出文件 / no signed export {base}") from None
    return ExportFile(base, file_format, data)


def exported(actor: Actor, name: str) -> ExportFile:
    """A finished export (``<hex>.csv`` …) with its manifest; for exporters."""
    require_role(actor, *EXPORTERS)
    return _describe(name)


def export_part(actor: Actor, name: str) -> tuple[Path, str]:
    """The file of ``name``: the export itself, ``NAME.sig`` or ``NAME.manifest.json``, and its media type."""
    require_role(actor, *EXPORTERS)
    base, file_format, part = _split(name)
    path = export_dir() / (base + part)
    if not path.is_file():
        raise NotFound(f"没有此导出文件 / no export file {name}")
    return path, PART_TYPES[part] or MEDIA_TYPES[file_format]


def export_job(session: Session, actor: Actor, job_id: int) -> tuple[JobView, ExportFile | None]:
    """A queued export's state, and its finished file once the job is done."""
    require_role(actor, *EXPORTERS)
    job = view_job(session, job_id)
    if job.kind != "export":
        raise NotFound(f"没有此导出任务 / no export job {job_id}")
    done = job.status == "done" and job.result.get("file")
    if done and not (export_dir() / Path(str(job.result["file"])).name).exists():
        sweep_staged(session)  # committed, but a crash may have left it staged
    return job, (_describe(str(job.result["file"])) if done else None)
