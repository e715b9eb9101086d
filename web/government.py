"""Government sharing (政务共享): the shared records of every department and the joint check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from credit.domain.search import enterprise_by_reference
from credit.domain.sharing import PURPOSES, joint_check
from credit.domain.workflows import GOVERNMENT_ROLES
from web.auth import current_actor, roles_required
from web.db import run
from web.forms import JointCheckForm, errors_of
from web.public import parse_date

bp = Blueprint("government", __name__, url_prefix="/gov")


@bp.get("/")
@roles_required(*GOVERNMENT_ROLES)
def home() -> str:
    return render_template("government/home.html", form=JointCheckForm(request.args), errors={}, purposes=PURPOSES)


@bp.get("/joint-check")
@roles_required(*GOVERNMENT_ROLES)
def check() -> Any:
    form = JointCheckForm(request.args)
    if not form.validate():
        return render_template("government/home.html", form=form, errors=errors_of(form), purposes=PURPOSES), 422
    at = parse_date(request.args.get("date"))
    result = run(lambda s: joint_check(s, current_actor(), enterprise_by_reference(s, form.enterprise.data or ""),
                                       purpose=form.purpose.data or "", at=at))
    return render_template("government/check.html", check=result)
