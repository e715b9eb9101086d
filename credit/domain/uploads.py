"""Uploads and resolution: one file is one batch, landed whole and audited; resolve and judge, audited.

The CLI (``python -m credit ingest``) and the web upload call these same functions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from sqlalchemy import Engine

from credit.domain import audit, search_index
from credit.domain.workflows import (
    GOVERNMENT_ROLES,
    ROLE_ADMIN,
    ROLE_CLERK,
    ROLE_REVIEWER,
    Actor,
    NotAllowed,
    require_role,
)
from credit.kernel.catalog import load_catalog
from credit.kernel.db import transaction
from ingest.loader import IngestError, IngestResult, Reject, RowWarning, ingest_file
from matching.service import JudgeResult, LinksResult, ResolveResult, judge, resolve, write_links

log = logging.getLogger(__name__)


def require_uploader(actor: Actor, department: str) -> None:
    """Only a clerk of the department (or an administrator) uploads its records."""
    if actor.role == ROLE_ADMIN or (actor.role == ROLE_CLERK and actor.department == department):
        return
    raise NotAllowed(f"{actor} 不能上传 {department} 部门的记录 / may not upload records of department {department}")


def upload_file(
    engine: Engine, actor: Actor, path: str | Path, department: str, record_type: str, *,
    display_name: str | None = None, file_format: str | None = None,
    on_reject: Callable[[Reject], None] | None = None,
    progress: Callable[[int, int, int], None] | None = None,
    on_warning: Callable[[RowWarning], None] | None = None,
) -> IngestResult:
    """Ingest one file as one batch for the actor's department; audited once it landed, or failed.

    Rejected rows go to ``on_reject`` and stored rows with warnings (flags) to ``on_warning``; the
    result carries a sample of each (``rejects``, ``warnings``) for the summary a clerk reads."""
    load_catalog().get(department, record_type)
    require_uploader(actor, department)
    name = Path(display_name or str(path)).name
    try:
        result = ingest_file(engine, path, department, record_type, uploaded_by=actor.user,
                             display_name=display_name, file_format=file_format, on_reject=on_reject,
                             progress=progress, on_warning=on_warning)
    except IngestError as exc:
        with transaction(engine) as session:
            audit.record(session, actor=str(actor), action="batch.upload_failed", subject=f"file:{name}",
                         reason=str(exc), details={"file": name, "department": department, "type": record_type})
        raise
    with transaction(engine) as session:
        audit.record(session, actor=str(actor), action="batch.upload", subject=f"batch:{result.batch_id}",
                     details={"file": name, "department": department,
                              "type": record_type, "status": result.status, "read": result.rows_read,
                              "loaded": result.loaded, "rejected": result.rejected, "flagged": result.flagged})
    return result


def resolve_records(engine: Engine, actor: Actor, *, full: bool = False) -> ResolveResult:
    """Link new and changed records to enterprises (after uploads: so profiles show them); audited."""
    require_role(actor, *GOVERNMENT_ROLES)
    result = resolve(engine, full=full)
    with transaction(engine) as session:
        search_index.refresh(session)  # search finds what resolve linked, merged or split
        audit.record(session, actor=str(actor), action="matching.resolve", subject="matching",
                     details={"mode": result.mode, "records": result.records, "new": len(result.new),
                              "merges": len(result.merges), "splits": len(result.splits),
                              "reviews": result.reviews})
    return result


def judge_records(engine: Engine, actor: Actor, left: str, right: str, verdict: str,
                  note: str | None = None) -> JudgeResult:
    """A person's judgement that two records or enterprises are the same or different; audited."""
    require_role(actor, ROLE_REVIEWER, ROLE_ADMIN)
    result = judge(engine, left, right, verdict, judged_by=actor.user, note=note)
    with transaction(engine) as session:
        search_index.refresh(session)  # a judgement merges or splits: search follows
        audit.record(session, actor=str(actor), action="matching.judge", subject=f"pair:{result.left}|{result.right}",
                     reason=note, details={"verdict": verdict, "merges": len(result.resolution.merges),
                                           "splits": len(result.resolution.splits)})
    return result


def export_links(engine: Engine, actor: Actor, out: TextIO) -> LinksResult:
    """Write every record's enterprise link as CSV to ``out`` (a government export); audited."""
    require_role(actor, *GOVERNMENT_ROLES)
    result = write_links(engine, out)
    with transaction(engine) as session:
        audit.record(session, actor=str(actor), action="links.export", subject="links",
                     details={"rows": result.rows, "unresolved": result.unresolved, "out": result.path})
    return result
