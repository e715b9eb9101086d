"""Who is asking: a signed-in account (Flask-Login session) or an API token; its actor and roles."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, current_app, g, redirect, request, url_for
from flask_login import LoginManager, UserMixin, current_user
from flask_login.config import COOKIE_NAME

from credit.domain.accounts import account_for_token, active_account, actor_of
from credit.domain.web_models import Account
from credit.domain.workflows import ROLE_PUBLIC, Actor
from web.db import run

F = TypeVar("F", bound=Callable[..., Any])
login_manager = LoginManager()
login_manager.login_view = "account.login"
login_manager.session_protection = "strong"


class User(UserMixin):
    """A signed-in account as Flask-Login holds it."""

    def __init__(self, account: Account, actor: Actor) -> None:
        self.id = account.login
        self.login = account.login
        self.role = account.role
        self.department = account.department
        self.uscc = account.uscc
        self.actor = actor


def _load(login: str) -> User | None:
    def work(session: Any) -> User | None:
        account = active_account(session, login)
        if account is None:
            return None
        return User(account, actor_of(session, account))

    return run(work)


def signed_in() -> bool:
    """Whether a signed-in account asks. A request with neither a session cookie nor a remember
    cookie cannot carry one, so Flask-Login (its session check, the loader) is not asked then."""
    if "_login_user" not in g:
        config = current_app.config
        if (not request.cookies.get(config["SESSION_COOKIE_NAME"])
                and not request.cookies.get(config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME))):
            return False
    return bool(current_user.is_authenticated)


def no_store(response: Any) -> Any:
    """Answers for a signed-in account or an API client may hold unmasked or own-enterprise data:
    no browser or proxy keeps them."""
    if request.path.startswith("/api/") or signed_in():
        response.headers["Cache-Control"] = "no-store"
    return response


@login_manager.user_loader
def load_user(login: str) -> User | None:
    return _load(login)


def user_for(account: Account) -> User:
    return run(lambda s: User(account, actor_of(s, account)))


def current_actor() -> Actor:
    """The actor of this request: the API token's, the signed-in account's, or the public."""
    if "actor" in g:
        return g.actor  # type: ignore[no-any-return]
    if request.blueprint and request.blueprint.startswith("api"):
        actor = token_actor()
    elif signed_in():
        actor = current_user.actor
    else:
        actor = Actor("anonymous", ROLE_PUBLIC)
    g.actor = actor
    return actor


def token_actor() -> Actor:
    """The actor of an ``Authorization: Bearer`` token (the public without one; 401 for a bad one)."""
    header = request.headers.get("Authorization", "")
    if not header:
        return Actor("anonymous", ROLE_PUBLIC)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        abort(401)

    def work(session: Any) -> Actor | None:
        account = account_for_token(session, token.strip())
        return actor_of(session, account) if account is not None else None

    actor = run(work)
    if actor is None:
        abort(401)
    return actor


def roles_required(*roles: str) -> Callable[[F], F]:
    """A page for these roles: anonymous people go to the login page, other roles get 403."""
    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            actor = current_actor()
            if actor.role == ROLE_PUBLIC:
                if request.blueprint and request.blueprint.startswith("api"):
                    abort(401)
                return redirect(url_for("account.login", next=request.full_path.rstrip("?")))
            if actor.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped  # type: ignore[return-value]
    return decorate
