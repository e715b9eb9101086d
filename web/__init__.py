"""The Flask app: ``create_app()`` configures itself from the environment (web/settings.py).

Blueprints by audience are listed once in ``BLUEPRINTS`` (module paths; each module has ``bp``,
a Flask blueprint for pages, or ``blp``, a flask-smorest blueprint for the JSON API). A new face
(Web II's clerk and regulator pages) adds its module to the list; nothing else changes.
"""

from __future__ import annotations

import importlib
import logging
import secrets
from typing import Any

from flask import Flask

from web import settings
from web.spooling import SpoolingRequest

log = logging.getLogger(__name__)

BLUEPRINTS: list[str] = [
    "web.public", "web.account", "web.enterprise", "web.authorised", "web.government",
    "web.review", "web.regulator", "web.trust", "web.api_exports",
    "web.api",
    "web.clerk", "web.api_batches",
]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The application: environment settings, then ``config`` overrides, extensions, blueprints, handlers."""
    app = Flask(__name__, instance_relative_config=False)
    app.request_class = SpoolingRequest
    app.config.update(settings.from_environment())
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        log.warning("CREDIT_SECRET_KEY is not set: a random key, so sessions end when the app restarts")
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    from web import db
    from web.errors import register_errorhandlers
    from web.extensions import register_extensions
    from web.templating import register_templating

    db.init_app(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_templating(app)
    from web.auth import no_store

    app.after_request(no_store)
    return app


def register_blueprints(app: Flask) -> None:
    """Every audience's blueprint, from ``BLUEPRINTS`` (pages) and their API blueprints (smorest)."""
    from web.extensions import api, csrf

    for name in BLUEPRINTS:
        module = importlib.import_module(name)
        if hasattr(module, "bp"):
            app.register_blueprint(module.bp)
        for blp in getattr(module, "API_BLUEPRINTS", ()):
            csrf.exempt(blp)  # the API takes Bearer tokens, never the session cookie
            api.register_blueprint(blp)
