"""Authorised queries (授权查询): state a legal basis or consent, get a time-limited grant, see the view."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from credit.domain.portal import my_grants
from credit.domain.queries import grant_access, view_profile
from credit.domain.search import enterprise_by_reference
from credit.domain.workflow_models import QueryGrant
from credit.domain.workflows import ROLE_AUTHORISED
from credit.kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from web.auth import current_actor, roles_required
from web.db import run
from web.forms import GrantForm, errors_of
from web.i18n import pick
from web.public import profile_context, with_memberships

bp = Blueprint("authorised", __name__, url_prefix="/authorised")


@bp.get("/")
@roles_required(ROLE_AUTHORISED)
def home() -> str:
    return render_template("authorised/home.html", grants=run(lambda s: my_grants(s, current_actor())),
                           today=date.today())


@bp.route("/grants/new", methods=["GET", "POST"])
@roles_required(ROLE_AUTHORISED)
def new_grant() -> Any:
    form = GrantForm(enterprise_id=request.args.get("enterprise", ""))
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        basis = form.basis.data or ""
        consent = form.basis_kind.data == "consent"

        def work(session: Any) -> QueryGrant:
            enterprise_id = enterprise_by_reference(session, form.enterprise_id.data or "")
            return grant_access(session, current_actor(), enterprise_id, on=date.today(),
                                legal_basis=None if consent else basis, consent_ref=basis if consent else None,
                                days=form.days.data)
        try:
            grant = run(work)
            return redirect(url_for("authorised.grant", grant_id=grant.id))
        except (InvalidInput, NotFound, NotAllowed, Conflict) as exc:
            errors = {"enterprise_id": pick(str(exc))}
    elif request.method == "POST":
        errors = errors_of(form)
    return render_template("authorised/grant_new.html", form=form, errors=errors), (422 if errors else 200)


@bp.get("/grants/<int(max=2147483647):grant_id>")
@roles_required(ROLE_AUTHORISED)
def grant(grant_id: int) -> str:
    actor = current_actor()

    def work(session: Any) -> Any:
        held = {g.id: g for g in my_grants(session, actor)}
        if grant_id not in held:
            raise NotAllowed(f"授权 {grant_id} 不属于本机构 / grant {grant_id} is not your organisation's")
        g = held[grant_id]
        return (g, *with_memberships(session, view_profile(session, actor, g.enterprise_id, grant_id=grant_id)))

    held, profile, lists = run(work)
    return render_template("authorised/grant.html", grant=held, **profile_context(profile, lists))
