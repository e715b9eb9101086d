"""The Flask extensions, created once and bound to each app by ``create_app``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, TypeVar

import flask_talisman
from flask import Flask, Request, current_app, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_smorest import Api
from flask_wtf.csrf import CSRFProtect
from werkzeug.datastructures import Headers

from web.i18n import select_locale

F = TypeVar("F", bound=Callable[..., Any])


class Talisman(flask_talisman.Talisman):
    """Talisman with each endpoint's security headers worked out once (per app, endpoint and whether
    the request came over HTTPS: all they depend on while no nonce is asked for), not on every answer."""

    def init_app(self, app: Flask, **options: Any) -> None:
        self._fixed: dict[tuple[Any, ...], list[tuple[str, str]]] = {}
        super().init_app(app, **options)

    def _set_response_headers(self, response: Any) -> Any:
        if self.content_security_policy_nonce_in:
            return super()._set_response_headers(response)
        secure = request.is_secure or request.headers.get("X-Forwarded-Proto", "http") == "https"
        key = (id(current_app._get_current_object()), request.endpoint, secure)  # type: ignore[attr-defined]
        fixed = self._fixed.get(key)
        if fixed is None:
            probe = SimpleNamespace(headers=Headers())
            super()._set_response_headers(probe)
            fixed = self._fixed[key] = list(probe.headers.items())
        for name, value in fixed:
            response.headers[name] = value
        return response


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building the signing serializer for a request that
    brings no session cookie (most public requests): its session is empty either way."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)
talisman = Talisman()
api = Api()

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


def shared_search_limit() -> Callable[[F], F]:
    """Pages and the API share one search budget per address. With rate limits off for the app
    (``RATELIMIT_ENABLED``) the view is called straight away: the limiter's decorator still works out
    its exemptions on every call when it has nothing to enforce."""
    def decorate(view: F) -> F:
        limited = limiter.shared_limit(search_limit, scope="search")(view)

        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_app.config.get("RATELIMIT_ENABLED", True):
                return limited(*args, **kwargs)
            return view(*args, **kwargs)
        return wrapped  # type: ignore[return-value]
    return decorate


def search_limit() -> str:
    return str(current_app.config["CREDIT_SEARCH_LIMIT"])


def login_limit() -> str:
    return str(current_app.config["CREDIT_LOGIN_LIMIT"])


def register_extensions(app: Flask) -> None:
    """Bind every extension to the app (order matters: Talisman before the views it wraps)."""
    from web.auth import login_manager

    app.session_interface = CookieSessions()
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
    limiter.init_app(app)
    talisman.init_app(
        app, force_https=app.config["CREDIT_FORCE_HTTPS"], content_security_policy=CSP,
        frame_options="DENY", session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        strict_transport_security=app.config["CREDIT_FORCE_HTTPS"], referrer_policy="same-origin",
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()", "browsing-topics": "()"})
    login_manager.init_app(app)
    api.init_app(app)
