"""Regulators (and administrators): exports of lists and records, and the oversight dashboard.

An export is chosen on one form (kind, view date, region, department, record type, record-date
range, format) and sent with its CSRF token. A small one is written at once and its page offers
the file, ``FILE.sig`` and ``FILE.manifest.json``; a large one runs as a job whose page refreshes
itself (no JavaScript) until the same three downloads appear. Both go through
``credit.domain.export_files.start_export`` (the domain audits and signs every export).
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, send_file, url_for
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import DateField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from credit.domain.export_files import DIRECT_ROWS, export_job, export_part, exported, start_export
from credit.domain.exports import EXPORTERS, FORMATS, KINDS, ExportSpec
from credit.domain.oversight import view_dashboard
from credit.kernel.catalog import load_catalog
from credit.kernel.errors import InvalidInput
from web.auth import current_actor, roles_required
from web.db import run
from web.forms import _say, errors_of
from web.i18n import pick
from web.public import parse_date

bp = Blueprint("regulator", __name__, url_prefix="/regulator")
KIND_NAMES = {"black": ("严重失信主体名单（黑名单）", "Black list"), "red": ("守信激励名单（红名单）", "Red list"),
              "penalties": ("公示期内的行政处罚", "Penalties in their publicity window"),
              "abnormal": ("经营异常名录", "Abnormal operations listings"),
              "records": ("任一类记录", "Any record type")}
FORMAT_NAMES = {"csv": "CSV (Excel, UTF-8)", "xlsx": "XLSX (Excel)", "json": "JSON"}
REFRESH_SECONDS = 2


DEPARTMENTS = list(load_catalog().departments)
RECORD_TYPES = sorted({rt.name for rt in load_catalog()})


def _one_of(values: list[str] | tuple[str, ...], zh: str, en: str) -> list[object]:
    return [Optional(), AnyOf(list(values), message=_say(zh, en))]


class ExportForm(FlaskForm):
    kind = StringField(default="black", validators=[
        DataRequired(message=_say("请选择导出内容", "Choose what to export")),
        AnyOf(list(KINDS), message=_say("请选择导出内容", "Choose what to export"))])
    at = DateField(validators=[Optional()], format="%Y-%m-%d")
    region = StringField(validators=[Optional(), Length(max=20)])
    department = StringField(validators=_one_of(DEPARTMENTS, "请选择部门", "Choose a department"))
    record_type = StringField(validators=_one_of(RECORD_TYPES, "请选择记录类型", "Choose a record type"))
    date_from = DateField(validators=[Optional()], format="%Y-%m-%d")
    date_to = DateField(validators=[Optional()], format="%Y-%m-%d")
    file_format = StringField(default="csv", validators=_one_of(FORMATS, "请选择格式", "Choose a format"))


def direct_rows() -> int:
    """Estimated rows up to which an export is written during the request (``CREDIT_EXPORT_DIRECT_ROWS``)."""
    value = current_app.config.get("CREDIT_EXPORT_DIRECT_ROWS", os.environ.get("CREDIT_EXPORT_DIRECT_ROWS"))
    return DIRECT_ROWS if value in (None, "") else int(value)


def spec_of(form: ExportForm) -> ExportSpec:
    return ExportSpec(form.kind.data or "", form.at.data or date.today(), region=form.region.data or None,
                      department=form.department.data or None, record_type=form.record_type.data or None,
                      date_from=form.date_from.data, date_to=form.date_to.data)


def _form_page(form: ExportForm, errors: dict[str, str], status: int = 200) -> Any:
    types = sorted({(rt.name, rt.zh) for rt in load_catalog()})
    return render_template("regulator/exports.html", form=form, errors=errors, kinds=KIND_NAMES,
                           formats=FORMAT_NAMES, record_types=types, departments=DEPARTMENTS,
                           today=date.today()), status


@bp.get("/")
@roles_required(*EXPORTERS)
def home() -> Any:
    return redirect(url_for("regulator.exports"))


@bp.get("/exports")
@roles_required(*EXPORTERS)
def exports() -> Any:
    return _form_page(ExportForm(request.args), {})


@bp.post("/exports")
@roles_required(*EXPORTERS)
def start() -> Any:
    form = ExportForm()
    if not form.validate_on_submit():
        return _form_page(form, errors_of(form), 422)
    try:
        spec = spec_of(form)
        started = run(lambda s: start_export(s, current_actor(), spec, form.file_format.data or "csv",
                                             direct_rows=direct_rows()))
    except InvalidInput as exc:
        return _form_page(form, {"kind": pick(str(exc))}, 422)
    if started.job_id is not None:
        return redirect(url_for("regulator.job", job_id=started.job_id), 303)
    assert started.file is not None
    return redirect(url_for("regulator.file", name=started.file.name), 303)


@bp.get("/exports/jobs/<int(max=2147483647):job_id>")
@roles_required(*EXPORTERS)
def job(job_id: int) -> Any:
    view, done = run(lambda s: export_job(s, current_actor(), job_id))
    waiting = view.status in ("queued", "running")
    return render_template("regulator/job.html", job=view, file=done, refresh=REFRESH_SECONDS if waiting else None)


@bp.get("/exports/files/<name>")
@roles_required(*EXPORTERS)
def file(name: str) -> Any:
    return render_template("regulator/file.html", file=exported(current_actor(), name), kinds=KIND_NAMES)


@bp.get("/exports/download/<name>")
@roles_required(*EXPORTERS)
def download(name: str) -> Any:
    path, media_type = export_part(current_actor(), name)
    return send_file(path, mimetype=media_type, as_attachment=True, download_name=path.name, max_age=0)


@bp.get("/dashboard")
@roles_required(*EXPORTERS)
def dashboard() -> Any:
    at = parse_date(request.args.get("date")) or date.today()
    dash = run(lambda s: view_dashboard(s, current_actor(), at))
    charts = {key: Markup(svg) for key, svg in dash.charts.items()}  # built and escaped by credit.domain.charts
    return render_template("regulator/dashboard.html", dash=dash, charts=charts,
                           departments=load_catalog().departments)
