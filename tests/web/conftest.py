"""Web fixtures: an app over the ``engine`` fixture's database (SQLite and PostgreSQL) with a small world."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from tests.web.world import PASSWORD, ROLE_LOGIN, build
from web import create_app


def make_app(engine: Engine, **overrides: Any) -> Flask:
    config = {"ENGINE": engine, "TESTING": True, "SECRET_KEY": "test-secret", "SESSION_COOKIE_SECURE": False,
              "REMEMBER_COOKIE_SECURE": False, "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
              "RATELIMIT_STORAGE_URI": "memory://"}
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def tokens(engine: Engine, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("CREDIT_PROOF_DIR", str(tmp_path / "proofs"))
    return build(engine)


@pytest.fixture
def app(engine: Engine, tokens: dict[str, str]) -> Flask:
    return make_app(engine)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Auth:
    """Signs a test client in as a role."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, role: str) -> FlaskClient:
        if role != "public":
            response = self.client.post("/login", data={"login": ROLE_LOGIN[role], "password": PASSWORD})
            assert response.status_code == 302, response.get_data(as_text=True)
        return self.client


@pytest.fixture
def auth(client: FlaskClient) -> Iterator[Auth]:
    yield Auth(client)


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with small costs: the tests check behaviour, not the hash's strength."""
    from argon2 import PasswordHasher

    from credit.domain import accounts

    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=256, parallelism=1))


@pytest.fixture(autouse=True)
def export_folder(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Exports made by a test land in its own folder (never the checkout's instance/exports)."""
    folder = tmp_path / "exports"
    monkeypatch.setenv("CREDIT_EXPORT_DIR", str(folder))
    return folder
