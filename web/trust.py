"""Trust: the export-signing public key, credit-report PDFs, and the public report verification page.

``GET /keys/export-signing.pem`` is the stable address the export manifests name; the report of
an enterprise (``/enterprises/<id>/report.pdf``) is made for whoever asks, as the disclosure gate
lets them see it (``credit.domain.reports.make_report``: registered and audited), rate-limited;
``/reports/verify`` is where a report's QR code points (``?number=``, as
``credit.domain.reports.verify_url`` writes it; ``?no=`` is accepted too): it says whether the
report exists, when and for whom it was made, and whether an uploaded copy is byte-identical.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from credit.domain.exports_signing import PUBLIC_KEY_PATH, export_public_key_pem
from credit.domain.reports import make_report, verify_report
from credit.domain.reports.service import VERIFY_PATH
from credit.kernel.errors import InvalidInput
from web.auth import current_actor
from web.db import run
from web.extensions import limiter
from web.forms import _say, errors_of
from web.i18n import pick
from web.public import parse_date

bp = Blueprint("trust", __name__)


def report_limit() -> str:
    """Reports per address (``CREDIT_REPORT_LIMIT``): each one renders and signs a PDF."""
    return str(current_app.config.get("CREDIT_REPORT_LIMIT") or os.environ.get("CREDIT_REPORT_LIMIT", "20 per minute"))


class VerifyForm(FlaskForm):
    number = StringField(validators=[DataRequired(message=_say("请输入报告编号，例如 LZR-20261201-0123456789",
                                                               "Enter the report number, e.g. LZR-20261201-0123456789")),
                                     Length(max=60)])
    copy = FileField()


@bp.get(PUBLIC_KEY_PATH)
def export_key() -> Any:
    """The platform's Ed25519 export-verification key, PEM (what every manifest's public_key_url names)."""
    response = Response(export_public_key_pem(), mimetype="application/x-pem-file")
    response.headers["Content-Disposition"] = 'inline; filename="export-signing.pem"'
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/enterprises/<int(max=2147483647):enterprise_id>/report.pdf")
@limiter.limit(report_limit)
def report(enterprise_id: int) -> Any:
    at = parse_date(request.args.get("date"))
    grant = request.args.get("grant", "").strip()
    if grant and not grant.isdigit():
        raise InvalidInput(f"授权编号应为数字 / a grant id is a number: {grant[:20]}")
    made = run(lambda s: make_report(s, current_actor(), enterprise_id, at=at, grant_id=int(grant) if grant else None))
    response = Response(made.pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{made.number}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Report-Number"] = made.number
    return response


@bp.get(VERIFY_PATH)
def verify() -> Any:
    number = (request.args.get("number") or request.args.get("no") or "").strip()
    form = VerifyForm(formdata=None, number=number)
    if not number:
        return render_template("trust/verify.html", form=form, result=None, errors={})
    try:
        result = run(lambda s: verify_report(s, number))
    except InvalidInput as exc:
        return render_template("trust/verify.html", form=form, result=None, errors={"number": pick(str(exc))}), 422
    return render_template("trust/verify.html", form=form, result=result, errors={})


@bp.post(VERIFY_PATH)
def verify_copy() -> Any:
    form = VerifyForm()
    if not form.validate_on_submit():
        return render_template("trust/verify.html", form=form, result=None, errors=errors_of(form)), 422
    upload = form.copy.data
    data = upload.read() if upload and getattr(upload, "filename", "") else None
    try:
        result = run(lambda s: verify_report(s, form.number.data or "", data))
    except InvalidInput as exc:
        return render_template("trust/verify.html", form=form, result=None, errors={"number": pick(str(exc))}), 422
    return render_template("trust/verify.html", form=form, result=result, errors={})
