"""Department clerks' work floor: uploads and their batches, the objections and repair inbox.

An upload returns at once (the domain queues one ingest job per file, ``credit.domain.batches``)
and redirects to the batch page, which refreshes itself without JavaScript (an HTTP ``Refresh``
header) while the batch is queued or running. A clerk works for their own department only; an
administrator may upload for, and look at, every department. The domain decides both.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from credit.domain.batch_files import file_format_of, max_upload_bytes
from credit.domain.batches import (
    REJECT_FORMATS,
    batch_history,
    batch_status,
    download_rejects,
    rejected_rows,
    submit_uploads,
)
from credit.domain.inbox import answer_objection, answer_repair, department_inbox
from credit.domain.workflows import ROLE_ADMIN, ROLE_CLERK, Actor
from credit.kernel.catalog import load_catalog
from credit.kernel.errors import Conflict, InvalidInput, NotFound
from ingest.readers import EXTENSIONS
from web.auth import current_actor, roles_required
from web.clerk_forms import AnswerForm, UploadForm, corrections_of, upload_limit_message
from web.db import engine, run
from web.errors import status_of
from web.extensions import csrf
from web.forms import errors_of
from web.i18n import both, pick

bp = Blueprint("clerk", __name__, url_prefix="/clerk")
UPLOADERS = (ROLE_CLERK, ROLE_ADMIN)
MAX_FILES = 20
PAGE_SIZE = 50
SHOWN_REJECTS = 100
REFRESH_SECONDS = 2
FORM_ERRORS = (InvalidInput, Conflict, NotFound)


def departments_of(actor: Actor) -> list[str]:
    """The departments the actor works for: a clerk's own, every one for an administrator."""
    if actor.role == ROLE_CLERK:
        return [actor.department or ""]
    return list(load_catalog().departments)


def type_choices(actor: Actor) -> list[tuple[str, str]]:
    """``department/type`` -> its Chinese name, for the actor's departments."""
    depts = departments_of(actor)
    return [(f"{rt.department}/{rt.name}", f"{rt.department_zh}·{rt.zh}") for rt in load_catalog()
            if rt.department in depts]


def request_limit() -> int:
    """The largest upload request: the per-file limit the domain enforces, plus room for the form."""
    return max_upload_bytes() + (1 << 20)


@bp.get("/")
@roles_required(*UPLOADERS)
def home() -> Any:
    return redirect(url_for("clerk.batches"))


@bp.route("/upload", methods=["GET", "POST"])
@roles_required(*UPLOADERS)
@csrf.exempt  # checked below, once the upload limit of this route is set
def upload() -> Any:
    actor = current_actor()
    choices = type_choices(actor)
    request.max_content_length = request_limit()
    request.spool_uploads = True  # type: ignore[attr-defined]  # web.spooling: the files land in the upload folder
    try:
        if request.method == "POST" and current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()
        form = UploadForm(type=request.args.get("type", ""))
    except RequestEntityTooLarge:
        form = UploadForm(formdata=None)
        return _upload_page(form, choices, {"files": pick(upload_limit_message(max_upload_bytes()))}, 413)
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        files = [f for f in (form.files.data or []) if f and f.filename]
        department, _, record_type = (form.type.data or "").partition("/")
        try:
            if not files:
                raise InvalidInput("请选择要上传的文件 / choose a file to upload")
            if len(files) > MAX_FILES:
                raise InvalidInput(f"一次最多上传 {MAX_FILES} 个文件 / at most {MAX_FILES} files at a time")
            for f in files:
                file_format_of(f.filename or "")
            receipts = submit_uploads(engine(), actor, department, record_type,
                                      [(f.stream, f.filename or "") for f in files])
        except FORM_ERRORS as exc:
            return _upload_page(form, choices, {"files": pick(str(exc))}, status_of(exc))
        else:
            _flash_receipts(receipts)
            if len(receipts) == 1:
                return redirect(url_for("clerk.batch", upload_id=receipts[0].upload_id))
            flash(both(f"已提交 {len(receipts)} 个文件", f"{len(receipts)} files handed in"), "sent")
            return redirect(url_for("clerk.batches", department=department))
    elif request.method == "POST":
        errors = errors_of(form)
    return _upload_page(form, choices, errors, 422 if errors else 200)


SHOWN_NOTICES = 3  # flashed messages live in the session cookie: a few, then a count


def _flash_receipts(receipts: list[Any]) -> None:
    """Say which files were sent before (the domain's message for each, the rest counted)."""
    resent = [r for r in receipts if r.message]
    for receipt in resent[:SHOWN_NOTICES]:
        flash(f"{receipt.filename[:80]}: {pick(receipt.message)}", "resent")
    if len(resent) > SHOWN_NOTICES:
        more = len(resent) - SHOWN_NOTICES
        flash(both(f"另有 {more} 个文件此前已提交或已入库，未重复入库",
                   f"{more} more files were sent before and not loaded again"), "resent")


def _upload_page(form: UploadForm, choices: list[tuple[str, str]], errors: dict[str, str], status: int) -> Any:
    return render_template("clerk/upload.html", form=form, choices=choices, errors=errors,
                           limit_mb=max_upload_bytes() >> 20, max_files=MAX_FILES,
                           accept=",".join(sorted(EXTENSIONS))), status


@bp.get("/batches")
@roles_required(*UPLOADERS)
def batches() -> Any:
    actor = current_actor()
    depts = departments_of(actor)
    department = request.args.get("department") or depts[0]
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10000))
    items = run(lambda s: batch_history(s, actor, department, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE))
    return render_template("clerk/batches.html", items=items[:PAGE_SIZE], more=len(items) > PAGE_SIZE, page=page,
                           department=department, departments=depts)


@bp.get("/batches/<int(max=2147483647):upload_id>")
@roles_required(*UPLOADERS)
def batch(upload_id: int) -> Any:
    actor = current_actor()

    def work(session: Any) -> tuple[Any, list[Any]]:
        view = batch_status(session, actor, upload_id)
        rows = list(rejected_rows(session, actor, upload_id, limit=SHOWN_REJECTS)) if view.status == "done" else []
        return view, rows

    view, rejects = run(work)
    body = render_template("clerk/batch.html", batch=view, rejects=rejects, shown=SHOWN_REJECTS,
                           refresh=REFRESH_SECONDS, formats=REJECT_FORMATS)
    headers = {} if view.finished else {"Refresh": str(REFRESH_SECONDS), "Cache-Control": "no-store"}
    return body, 200, headers


MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.get("/batches/<int(max=2147483647):upload_id>/rejects.<fmt>")
@roles_required(*UPLOADERS)
def rejects(upload_id: int, fmt: str) -> Response:
    if fmt not in REJECT_FORMATS:
        raise NotFound(f"没有此格式 / no such format: {fmt}")
    actor = current_actor()
    folder = Path(tempfile.mkdtemp(prefix="lianzheng-rejects-"))
    try:
        out = folder / f"rejects.{fmt}"
        run(lambda s: download_rejects(s, actor, upload_id, fmt, out))
        stream = open(out, "rb")  # noqa: SIM115 - send_file closes it; the folder goes now (POSIX)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return send_file(stream, mimetype=MIMETYPES[fmt], as_attachment=True,
                     download_name=f"批次{upload_id}-拒收行-rejected-rows.{fmt}", max_age=0)


# ---------------------------------------------------------------- objections and repairs


def _inbox_page(errors: dict[str, str] | None = None, status: int = 200, forms: dict[str, AnswerForm] | None = None,
                ) -> Any:
    actor = current_actor()
    box = run(lambda s: department_inbox(s, actor, date.today()))
    return render_template("clerk/inbox.html", inbox=box, errors=errors or {}, forms=forms or {}), status


@bp.get("/inbox")
@roles_required(ROLE_CLERK)
def inbox() -> Any:
    return _inbox_page()


DECISIONS = {"objection": ("uphold", "reject"), "repair": ("approve", "refuse")}


def _decide(session: Any, actor: Actor, kind: str, item_id: int, form: AnswerForm) -> None:
    decision, reason, today = form.decision.data or "", form.reason.data or "", date.today()
    if kind == "repair":
        answer_repair(session, actor, item_id, decision, reason=reason, on=today)
        return
    corrected = None
    if decision == "uphold" and (form.corrections.data or "").strip():
        item = next((i for i in department_inbox(session, actor, today).objections if i.id == item_id), None)
        if item is None:
            raise NotFound(f"没有待答复的异议 {item_id} / no open objection {item_id}")
        corrected = corrections_of(load_catalog().get(item.department, item.record_type), form.corrections.data or "")
    answer_objection(session, actor, item_id, decision, reason=reason, on=today, corrected=corrected)


def _answer(kind: str, item_id: int) -> Any:
    actor = current_actor()
    form = AnswerForm()
    key = f"{kind}-{item_id}"
    status = 422
    if not form.validate_on_submit():
        errors = {f"{key}-{name}": msg for name, msg in errors_of(form).items()}
    elif form.decision.data not in DECISIONS[kind]:
        errors = {f"{key}-decision": both("请选择决定", "Choose a decision")}
    else:
        try:
            run(lambda s: _decide(s, actor, kind, item_id, form))
        except FORM_ERRORS as exc:
            errors, status = {f"{key}-reason": pick(str(exc))}, status_of(exc)
        else:
            flash(both(f"已答复{'异议' if kind == 'objection' else '修复申请'} {item_id}",
                       f"{'Objection' if kind == 'objection' else 'Repair application'} {item_id} answered"), "sent")
            return redirect(url_for("clerk.inbox"))
    return _inbox_page(errors, status, {key: form})


@bp.post("/inbox/objections/<int(max=2147483647):objection_id>")
@roles_required(ROLE_CLERK)
def objection(objection_id: int) -> Any:
    return _answer("objection", objection_id)


@bp.post("/inbox/repairs/<int(max=2147483647):application_id>")
@roles_required(ROLE_CLERK)
def repair(application_id: int) -> Any:
    return _answer("repair", application_id)
