"""Signing in and out, and who am I."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from credit.domain.accounts import authenticate, get_account, record_logout
from web.auth import current_actor, user_for
from web.db import run
from web.extensions import limiter, login_limit
from web.forms import LoginForm, errors_of
from web.i18n import pick

bp = Blueprint("account", __name__)

HOMES = {"enterprise": "enterprise.home", "authorised": "authorised.home", "clerk": "government.home",
         "reviewer": "government.home", "regulator": "government.home", "admin": "government.home"}


def _safe_next(target: str | None, role: str) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for(HOMES.get(role, "public.index"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def login() -> Any:
    form = LoginForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        result = run(lambda s: authenticate(s, form.login.data or "", form.password.data or ""))
        if result.ok and result.account is not None:
            login_user(user_for(result.account))
            return redirect(_safe_next(request.args.get("next"), result.account.role))
        errors = {"login": pick(result.message)}
    elif request.method == "POST":
        errors = errors_of(form)
    status = 422 if errors else 200
    return render_template("account/login.html", form=form, errors=errors), status


@bp.post("/logout")
@login_required
def logout() -> Any:
    login = current_user.login
    run(lambda s: record_logout(s, get_account(s, login)))
    logout_user()
    return redirect(url_for("public.index"))


@bp.get("/account")
@login_required
def me() -> str:
    return render_template("account/me.html", me=current_actor(), user=current_user)
