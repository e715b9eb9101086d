"""Accounts: argon2id, lockout, login audit, CSRF on every form, rate limits on search and login."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from credit.domain.accounts import LOCK_AFTER, authenticate
from credit.domain.workflow_models import AuditEntry
from credit.kernel.models import utcnow
from tests.web.conftest import make_app
from tests.web.world import PASSWORD


def actions(engine, prefix="account."):
    with Session(engine) as s:
        return [e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.action.like(prefix + "%"))
                                            .order_by(AuditEntry.id))]


def test_lockout_after_repeated_failures_then_release(engine, tokens):
    with Session(engine) as s:
        for _ in range(LOCK_AFTER):
            assert not authenticate(s, "firm", "wrong-password").ok
        locked = authenticate(s, "firm", PASSWORD)
        assert not locked.ok and "locked" in locked.message
        assert authenticate(s, "firm", PASSWORD, now=utcnow() + timedelta(minutes=16)).ok
        s.commit()
    assert actions(engine)[-LOCK_AFTER - 2:] == (["account.login_failed"] * (LOCK_AFTER - 1)
                                                 + ["account.locked", "account.login_locked", "account.login"])


def test_web_login_failure_is_audited_and_answered_beside_the_field(client, engine):
    response = client.post("/login", data={"login": "firm", "password": "nope-nope-nope"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "登录名或密码不正确" in text and 'href="#login"' in text
    assert actions(engine)[-1] == "account.login_failed"
    assert client.post("/login", data={"login": "firm", "password": PASSWORD}).status_code == 302
    assert actions(engine)[-1] == "account.login"


def test_login_redirects_only_inside_the_site(client):
    response = client.post("/login?next=//evil.example/x", data={"login": "bank", "password": PASSWORD})
    assert response.headers["Location"] == "/authorised/"
    response = client.post("/login?next=/lists/red", data={"login": "bank", "password": PASSWORD})
    assert response.headers["Location"] == "/lists/red"


def test_session_cookie_flags(engine, tokens):
    app = make_app(engine, SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    response = client.post("/login", data={"login": "firm", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie


@pytest.fixture
def csrf_client(engine, tokens):
    return make_app(engine, WTF_CSRF_ENABLED=True).test_client()


def test_every_form_needs_its_csrf_token(csrf_client):
    assert csrf_client.post("/login", data={"login": "firm", "password": PASSWORD}).status_code == 400
    page = csrf_client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert csrf_client.post("/login", data={"login": "firm", "password": PASSWORD, "csrf_token": token}).status_code == 302
    for path, data in [("/my/objections/new", {"record": "commerce/penalty/CF-1", "reason": "x"}),
                       ("/my/repairs/new", {"record": "commerce/penalty/CF-1", "proof": "x"}),
                       ("/logout", {})]:
        response = csrf_client.post(path, data=data)
        assert response.status_code == 400 and "表单已过期" in response.get_data(as_text=True), path


def test_csrf_failure_in_english_on_an_english_page(csrf_client):
    csrf_client.get("/lang/en")
    response = csrf_client.post("/login", data={"login": "firm", "password": PASSWORD})
    assert response.status_code == 400 and "The form expired" in response.get_data(as_text=True)


def redis_url() -> str:
    url = os.environ.get("CREDIT_TEST_REDIS_URL")
    if not url:
        pytest.skip("Redis not configured: set CREDIT_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15)")
    return url


@pytest.fixture
def limited(engine, tokens):
    """Two apps (two workers) sharing one Redis storage; keys of this test only (a prefix and a client
    address of its own, so no other run's counters are seen or touched)."""
    config = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": redis_url(),
              "RATELIMIT_KEY_PREFIX": "lz-web10-test", "CREDIT_SEARCH_LIMIT": "5 per minute",
              "CREDIT_LOGIN_LIMIT": "3 per minute"}
    a, b, c = uuid.uuid4().bytes[:3]
    address = f"127.{a}.{b}.{c}"
    return make_app(engine, **config), config, address


def client_at(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_search_rate_limit_holds_across_workers(limited, engine):
    app, config, address = limited
    first = client_at(app, address)
    for _ in range(5):
        assert first.get("/search?q=华盛").status_code == 200
    second = client_at(make_app(engine, **config), address)  # another worker, same Redis
    response = second.get("/search?q=华盛")
    assert response.status_code == 429 and "请求过于频繁" in response.get_data(as_text=True)
    assert second.get("/api/v1/search?q=华盛").status_code == 429
    assert second.get("/enterprises/1").status_code == 200  # pages are not limited, only search and login


def test_login_rate_limit(limited):
    app, _, address = limited
    client = client_at(app, address)
    for _ in range(3):
        client.post("/login", data={"login": "firm", "password": "wrong-wrong"})
    assert client.post("/login", data={"login": "firm", "password": PASSWORD}).status_code == 429
    assert client.get("/login").status_code == 200  # only the POST counts
