"""Settings from the environment: one place that reads ``CREDIT_*`` variables for the app."""

from __future__ import annotations

import logging
import os
from typing import Any

from credit.kernel.db import database_url

log = logging.getLogger(__name__)

MMAP_DEFAULT = 1 << 31  # 2 GiB of address space per connection (SQLite caps it at its build limit, usually ~2 GiB)


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() not in ("0", "false", "no", "off", "")


def from_environment() -> dict[str, Any]:
    """The app's configuration as the environment gives it (defaults for a local run)."""
    secret = os.environ.get("CREDIT_SECRET_KEY") or ""
    secure = _flag("CREDIT_SECURE_COOKIES", True)
    return {
        "SECRET_KEY": secret,
        "CREDIT_DATABASE_URL": database_url(),
        "RATELIMIT_STORAGE_URI": os.environ.get("CREDIT_REDIS_URL") or "memory://",
        "RATELIMIT_ENABLED": _flag("CREDIT_RATELIMIT", True),
        "RATELIMIT_KEY_PREFIX": os.environ.get("CREDIT_RATELIMIT_PREFIX", "lianzheng"),
        "CREDIT_SEARCH_LIMIT": os.environ.get("CREDIT_SEARCH_LIMIT", "120 per minute"),
        "CREDIT_LOGIN_LIMIT": os.environ.get("CREDIT_LOGIN_LIMIT", "10 per minute"),
        "CREDIT_FORCE_HTTPS": _flag("CREDIT_FORCE_HTTPS", False),
        # SQLite: bytes of the database file the app's connections read through memory mapping (0: none)
        "CREDIT_SQLITE_MMAP": int(os.environ.get("CREDIT_SQLITE_MMAP", str(MMAP_DEFAULT))),
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_SECURE": secure,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": 3600 * 8,
        "MAX_CONTENT_LENGTH": 60 * 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": "zh",
        "API_TITLE": "联征 Lianzheng API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{}, {"bearerAuth": []}],
            "info": {"description": "联征 Lianzheng: search, profiles, lists, objections, grants, joint checks. "
                                    "No token: the public view; a Bearer token acts as its account."},
        },
    }
