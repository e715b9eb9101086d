"""Enterprise self-service: its full own profile, the lawful queries about it, objections, repair."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from credit.domain.policy import load_policy
from credit.domain.queries import view_profile
from credit.domain.selfservice import (
    Upload,
    apply_with_proof,
    my_objections,
    my_queries,
    my_repairs,
    object_to,
    own_enterprise,
    proof_files,
)
from credit.domain.workflows import ROLE_ENTERPRISE
from credit.kernel.catalog import load_catalog
from credit.kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from web.auth import current_actor, roles_required
from web.db import run
from web.forms import ObjectionForm, RepairForm, errors_of
from web.i18n import pick
from web.public import profile_context, with_memberships

bp = Blueprint("enterprise", __name__, url_prefix="/my")
FORM_ERRORS = (InvalidInput, Conflict, NotAllowed, NotFound)
REPAIRABLE = {rt.key for rt in load_catalog() if rt.publicity in load_policy()["repair"]["repairable_rules"]}


@bp.get("/")
@roles_required(ROLE_ENTERPRISE)
def home() -> Any:
    actor = current_actor()
    profile, lists = run(lambda s: with_memberships(s, view_profile(s, actor, own_enterprise(actor))))
    return render_template("enterprise/home.html", **profile_context(profile, lists), repairable=REPAIRABLE)


@bp.get("/queries")
@roles_required(ROLE_ENTERPRISE)
def queries() -> str:
    return render_template("enterprise/queries.html", queries=run(lambda s: my_queries(s, current_actor())))


@bp.get("/objections")
@roles_required(ROLE_ENTERPRISE)
def objections() -> str:
    return render_template("enterprise/objections.html", objections=run(lambda s: my_objections(s, current_actor())))


@bp.route("/objections/new", methods=["GET", "POST"])
@roles_required(ROLE_ENTERPRISE)
def new_objection() -> Any:
    form = ObjectionForm(record=request.args.get("record", ""))
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            obj = run(lambda s: object_to(s, current_actor(), form.record.data or "", form.reason.data or "",
                                          on=date.today()))
            return redirect(url_for("enterprise.objections", filed=obj.id))
        except FORM_ERRORS as exc:
            errors = {"reason": pick(str(exc))}
    elif request.method == "POST":
        errors = errors_of(form)
    return render_template("enterprise/objection_new.html", form=form, errors=errors), (422 if errors else 200)


@bp.get("/repairs")
@roles_required(ROLE_ENTERPRISE)
def repairs() -> str:
    actor = current_actor()
    apps = run(lambda s: [(a, proof_files(s, actor, a.id)) for a in my_repairs(s, actor)])
    return render_template("enterprise/repairs.html", applications=apps)


@bp.route("/repairs/new", methods=["GET", "POST"])
@roles_required(ROLE_ENTERPRISE)
def new_repair() -> Any:
    form = RepairForm(record=request.args.get("record", ""))
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        uploads = [Upload(f.filename or "", f.read()) for f in (form.files.data or []) if f and f.filename]
        try:
            app = run(lambda s: apply_with_proof(s, current_actor(), form.record.data or "", form.proof.data or "",
                                                 uploads, on=date.today()))
            return redirect(url_for("enterprise.repairs", applied=app.id))
        except FORM_ERRORS as exc:
            errors = {"proof": pick(str(exc))}
    elif request.method == "POST":
        errors = errors_of(form)
    return render_template("enterprise/repair_new.html", form=form, errors=errors), (422 if errors else 200)
