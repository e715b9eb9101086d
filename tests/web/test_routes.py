"""Every route × every role: allowed ones answer, refused ones go to the login page (anonymous) or get 403."""

from __future__ import annotations

import pytest

from credit.domain.workflows import GOVERNMENT_ROLES, ROLES

ALL = set(ROLES)
SIGNED_IN = ALL - {"public"}
GOV = set(GOVERNMENT_ROLES)
PAGES = [
    ("/", ALL), ("/search?q=华盛", ALL), ("/enterprises/1", ALL), ("/lists/black", ALL), ("/lists/red", ALL),
    ("/catalogue", ALL), ("/healthz", ALL), ("/login", ALL), ("/account", SIGNED_IN),
    ("/my/", {"enterprise"}), ("/my/queries", {"enterprise"}), ("/my/objections", {"enterprise"}),
    ("/my/objections/new?record=commerce/penalty/CF-1", {"enterprise"}), ("/my/repairs", {"enterprise"}),
    ("/my/repairs/new?record=commerce/penalty/CF-1", {"enterprise"}),
    ("/authorised/", {"authorised"}), ("/authorised/grants/new", {"authorised"}),
    ("/gov/", GOV), ("/gov/joint-check?enterprise=1&purpose=财政补贴", GOV),
]
API = [
    ("/api/v1/search?q=华盛", ALL), ("/api/v1/enterprises/1", ALL), ("/api/v1/lists/black", ALL),
    ("/api/v1/catalogue", ALL), ("/api/v1/objections", {"enterprise"}),
    ("/api/v1/joint-check/1?purpose=tender", GOV),
]


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_page_for_every_role(auth, role):
    client = auth.login(role)
    for path, allowed in PAGES:
        response = client.get(path)
        if role in allowed:
            assert response.status_code == 200, (path, role, response.status_code)
        elif role == "public":
            assert response.status_code == 302 and "/login" in response.headers["Location"], (path, role)
        else:
            assert response.status_code == 403, (path, role, response.status_code)
            assert "无权访问" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_api_answer_for_every_role(client, tokens, role):
    from tests.web.world import ROLE_LOGIN

    headers = {"Authorization": f"Bearer {tokens[ROLE_LOGIN[role]]}"} if role != "public" else {}
    for path, allowed in API:
        response = client.get(path, headers=headers)
        expected = 200 if role in allowed else 403
        assert response.status_code == expected, (path, role, response.get_json())
        assert response.is_json


def test_bad_token_is_401_not_the_public(client):
    response = client.get("/api/v1/search?q=华盛", headers={"Authorization": "Bearer lz_not-a-token"})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


def test_session_cookie_does_not_authenticate_the_api(auth):
    client = auth.login("regulator")
    assert client.get("/api/v1/joint-check/1?purpose=tender").status_code == 403


def test_disabled_account_token_stops_working(engine, client, tokens):
    from sqlalchemy.orm import Session

    from credit.domain.accounts import SYSTEM, disable_account

    with Session(engine) as s:
        disable_account(s, SYSTEM, "regulator")
        s.commit()
    response = client.get("/api/v1/joint-check/1?purpose=tender", headers={"Authorization": f"Bearer {tokens['regulator']}"})
    assert response.status_code == 401


def test_merged_id_redirects_to_its_successor(client):
    response = client.get("/enterprises/3")
    assert response.status_code == 301 and response.headers["Location"].endswith("/enterprises/1")
    assert client.get("/api/v1/enterprises/3").get_json()["enterprise_id"] == 1


def test_code_search_goes_straight_to_the_enterprise(client):
    response = client.get("/search?q=９１４３０１００ma4l0xxx1x")
    assert response.status_code == 302 and response.headers["Location"].endswith("/enterprises/1")


def test_errors_in_the_pages_language(client):
    zh = client.get("/enterprises/99999")
    assert zh.status_code == 404 and "未找到" in zh.get_data(as_text=True)
    en = client.get("/enterprises/99999?lang=en")
    assert en.status_code == 404 and "Not found" in en.get_data(as_text=True) and "未找到" not in en.get_data(as_text=True)
    client.get("/lang/en?next=/")
    bad = client.get("/lists/black?date=2026-13-45")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "a date is YYYY-MM-DD" in text and "Check what you entered" in text
    short = client.get("/search?q=华")
    assert short.status_code == 422 and "at least two characters" in short.get_data(as_text=True)


def test_conflict_is_409_in_chinese(auth):
    client = auth.login("enterprise")
    data = {"record": "commerce/penalty/CF-1", "reason": "处罚已撤销"}
    assert client.post("/my/objections/new", data=data).status_code == 302
    again = client.post("/my/objections/new", data=data)
    assert again.status_code == 422 and "already open" in again.get_data(as_text=True)


def test_form_messages_follow_the_page_language(auth):
    client = auth.login("enterprise")
    zh = client.post("/my/objections/new", data={"record": "commerce/penalty/CF-1", "reason": ""})
    assert "请写明异议理由" in zh.get_data(as_text=True)
    client.get("/lang/en")
    en = client.post("/my/objections/new", data={"record": "commerce/penalty/CF-1", "reason": ""}).get_data(as_text=True)
    assert "Say why" in en and "There is a problem" in en and "请写明异议理由" not in en


def test_api_errors_are_json_with_status(client, tokens):
    response = client.get("/api/v1/enterprises/99999")
    assert response.status_code == 404 and response.get_json()["code"] == 404
    bad = client.get("/api/v1/search")
    assert bad.status_code == 422 and "q" in bad.get_json()["errors"]["query"]
    headers = {"Authorization": f"Bearer {tokens['firm']}"}
    body = {"record": "commerce/penalty/CF-1", "reason": "处罚已撤销"}
    assert client.post("/api/v1/objections", json=body, headers=headers).status_code == 201
    assert client.post("/api/v1/objections", json=body, headers=headers).status_code == 409


def test_security_headers_on_every_page(client):
    for path in ("/", "/search?q=华盛", "/enterprises/1", "/api/v1/catalogue", "/enterprises/99999"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"


def test_static_assets_are_served_by_the_app(client):
    page = client.get("/").get_data(as_text=True)
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    assert client.get("/static/css/site.css").status_code == 200
