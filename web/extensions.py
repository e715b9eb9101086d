"""The Flask extensions, created once and bound to each app by ``create_app``."""

from __future__ import annotations

from flask import Flask, current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_smorest import Api
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect

from web.i18n import select_locale

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


def shared_search_limit():  # type: ignore[no-untyped-def]
    """Pages and the API share one search budget per address."""
    return limiter.shared_limit(search_limit, scope="search")


def search_limit() -> str:
    return str(current_app.config["CREDIT_SEARCH_LIMIT"])


def login_limit() -> str:
    return str(current_app.config["CREDIT_LOGIN_LIMIT"])


def register_extensions(app: Flask) -> None:
    """Bind every extension to the app (order matters: Talisman before the views it wraps)."""
    from web.auth import login_manager

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
