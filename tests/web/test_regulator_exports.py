"""Regulator exports in the web and the API: every route × role, the CLI's rows, safe cells, signatures, jobs."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from credit.domain.export_files import start_export
from credit.domain.exports import ExportSpec, request_export
from credit.domain.exports_signing import verify_export
from credit.domain.workflow_models import AuditEntry
from credit.domain.workflows import ROLE_REGULATOR, ROLES, Actor
from credit.jobs.handlers import default_handlers
from credit.jobs.worker import Worker
from tests.credit.builders import penalty
from tests.credit.faces import list_text
from tests.web.conftest import make_app
from tests.web.regulator_helpers import csv_rows, downloads, export_via_web, xlsx_rows
from tests.web.world import ROLE_LOGIN, TODAY, USCC1, ago

ALLOWED = {"regulator", "admin"}
REGULATOR = Actor("regulator", ROLE_REGULATOR)
EVIL = '=HYPERLINK("http://evil.example","点我")'


@pytest.fixture
def made(engine, tokens) -> tuple[str, int]:
    """One finished export (its file name) and one queued export job (its id), made by the regulator."""
    with Session(engine) as s:
        started = start_export(s, REGULATOR, ExportSpec("black", TODAY), "csv")
        job = request_export(s, REGULATOR, ExportSpec("red", TODAY), "json")
        s.commit()
        assert started.file is not None
        return started.file.name, job.id


def _expect(response, role, path):  # type: ignore[no-untyped-def]
    if role in ALLOWED:
        assert response.status_code in (200, 302, 303), (path, role, response.status_code)
    elif role == "public":
        assert response.status_code == 302 and "/login" in response.headers["Location"], (path, role)
    else:
        assert response.status_code == 403, (path, role, response.status_code)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_regulator_page_for_every_role(auth, made, role):
    name, job_id = made
    client = auth.login(role)
    for path in ("/regulator/", "/regulator/exports", "/regulator/exports?kind=penalties", "/regulator/dashboard",
                 f"/regulator/exports/jobs/{job_id}", f"/regulator/exports/files/{name}",
                 f"/regulator/exports/download/{name}", f"/regulator/exports/download/{name}.sig",
                 f"/regulator/exports/download/{name}.manifest.json"):
        _expect(client.get(path), role, path)
    _expect(client.post("/regulator/exports", data={"kind": "black", "file_format": "csv"}), role, "POST")


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_export_api_answer_for_every_role(client, tokens, made, role):
    name, job_id = made
    headers = {"Authorization": f"Bearer {tokens[ROLE_LOGIN[role]]}"} if role != "public" else {}
    for path in ("/api/v1/exports/black", "/api/v1/exports/penalties?format=xlsx", f"/api/v1/exports/jobs/{job_id}",
                 f"/api/v1/exports/files/{name}", f"/api/v1/exports/files/{name}.sig"):
        response = client.get(path, headers=headers)
        assert response.status_code == (200 if role in ALLOWED else 403), (path, role, response.status_code)


def test_a_black_list_export_has_the_rows_of_python_m_credit_lists(engine, auth, tmp_path):
    """``python -m credit lists black --date D --out F`` (its code path: view_list, then the CLI's CSV writer)."""
    day = TODAY.isoformat()
    cli_out = tmp_path / "cli.csv"
    with Session(engine) as s:
        list_text(s, "black", TODAY, out=str(cli_out))
        s.commit()
    client = auth.login("regulator")
    web = export_via_web(client, tmp_path / "web", kind="black", at=day, file_format="csv")
    cli_rows = csv_rows(cli_out.read_bytes())
    assert csv_rows(web.read_bytes()) == cli_rows and len(cli_rows) > 1
    api = client.get(f"/api/v1/exports/black?date={day}")  # the session cookie is no token: refused
    assert api.status_code == 403


def test_the_api_export_has_the_same_rows_and_links_its_signature(client, tokens, tmp_path):
    headers = {"Authorization": f"Bearer {tokens['regulator']}"}
    response = client.get(f"/api/v1/exports/black?date={TODAY}&format=csv", headers=headers)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = csv_rows(response.data)
    assert int(response.headers["X-Export-Rows"]) == len(rows) - 1 > 0 and USCC1 in response.data.decode("utf-8-sig")
    links = dict(reversed(part.strip().split("; ")) for part in response.headers["Link"].split(","))
    sig = client.get(links['rel="signature"'].strip("<>"), headers=headers)
    manifest = client.get(links['rel="describedby"'].strip("<>"), headers=headers)
    assert sig.status_code == 200 and len(sig.data) == 64
    assert json.loads(manifest.data)["sha256"] == response.headers["X-Export-SHA256"]
    as_json = client.get("/api/v1/exports/black?format=json", headers=headers)
    assert as_json.is_json and [r["uscc"] for r in as_json.get_json()] == [r[5] for r in rows[1:]]
    bad = client.get("/api/v1/exports/records", headers=headers)
    assert bad.status_code == 422 and "部门和记录类型" in bad.get_json()["message"]
    assert client.get("/api/v1/exports/files/..%2Fsecret.csv", headers=headers).status_code == 404


@pytest.fixture
def evil(engine, tokens) -> None:
    """Penalties whose names would run as formulas in a spreadsheet."""
    with Session(engine) as s:
        penalty(s, "CF-EVIL", ago(20), subject_name=EVIL, uscc=USCC1, authority="@SUM(A1:A9)")
        penalty(s, "CF-PLUS", ago(21), subject_name="+86-731-1234", uscc=USCC1, authority="-2+3")
        s.commit()


def test_formula_cells_are_neutralised_in_csv_and_xlsx_downloads(auth, evil, tmp_path):
    client = auth.login("regulator")
    for fmt, read in (("csv", lambda p: csv_rows(p.read_bytes())), ("xlsx", lambda p: xlsx_rows(p.read_bytes()))):
        path = export_via_web(client, tmp_path / fmt, kind="penalties", file_format=fmt)
        cells = [str(c) for row in read(path) for c in row]
        assert f"'{EVIL}" in cells and "'+86-731-1234" in cells and "'@SUM(A1:A9)" in cells, fmt
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], fmt


def test_the_published_key_verifies_a_downloaded_export(client, auth, tmp_path):
    key = client.get("/keys/export-signing.pem")
    assert key.status_code == 200 and key.data.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert key.mimetype in ("application/x-pem-file", "text/plain")
    path = export_via_web(auth.login("regulator"), tmp_path / "dl", kind="red", file_format="xlsx")
    manifest = json.loads((tmp_path / "dl" / f"{path.name}.manifest.json").read_bytes())
    assert manifest["public_key_url"].endswith("/keys/export-signing.pem")
    assert verify_export(path, key.data).ok
    path.write_bytes(path.read_bytes() + b"x")  # one more byte: the file no longer matches its manifest
    assert not verify_export(path, key.data).ok


def test_every_web_export_is_audited_with_its_filters_and_rows(engine, auth, tmp_path):
    client = auth.login("admin")
    export_via_web(client, tmp_path, kind="penalties", region="长沙", department="commerce", file_format="json",
                   date_from=ago(100), date_to=TODAY.isoformat())
    with Session(engine) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "export.penalties")).one()
    details = json.loads(entry.details)
    assert entry.actor.startswith("admin") and details["format"] == "json" and details["rows"] == 1
    assert details["filters"]["department"] == "commerce" and details["filters"]["region"] == "长沙"


def test_bad_filters_are_answered_on_the_form(auth):
    client = auth.login("regulator")
    records = client.post("/regulator/exports", data={"kind": "records", "file_format": "csv"})
    assert records.status_code == 422 and "部门和记录类型" in records.get_data(as_text=True)
    region = client.post("/regulator/exports", data={"kind": "black", "region": "火星", "file_format": "csv"})
    assert region.status_code == 422 and "无法识别的地区" in region.get_data(as_text=True)
    kind = client.post("/regulator/exports", data={"kind": "everything", "file_format": "csv"})
    assert kind.status_code == 422


def test_a_large_export_runs_as_a_job_and_its_page_refreshes_until_the_download(engine, tokens, tmp_path):
    from tests.web.conftest import Auth

    app = make_app(engine, CREDIT_EXPORT_DIRECT_ROWS=0)
    client = Auth(app.test_client()).login("regulator")
    response = client.post("/regulator/exports", data={"kind": "penalties", "file_format": "csv"})
    assert response.status_code == 303 and "/regulator/exports/jobs/" in response.headers["Location"]
    waiting = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="2">' in waiting and "排队中" in waiting
    assert "/regulator/exports/download/" not in waiting
    assert Worker(engine, default_handlers()).run(until_idle=True) == 1
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'http-equiv="refresh"' not in done and "导出完成" in done
    path = downloads(client, done, tmp_path)
    assert verify_export(path).ok and "CF-1" in path.read_bytes().decode("utf-8-sig")
    api = client.get("/api/v1/exports/penalties", headers={"Authorization": f"Bearer {_token(engine)}"})
    assert api.status_code == 202 and api.get_json()["status"] == "queued"
    status = api.headers["Location"]
    Worker(engine, default_handlers()).run(until_idle=True)
    job = client.get(status, headers={"Authorization": f"Bearer {_token(engine)}"}).get_json()
    assert job["status"] == "done" and job["file"]["rows"] >= 1 and job["file"]["signature_url"].endswith(".sig")


def _token(engine) -> str:  # type: ignore[no-untyped-def]
    from credit.domain.accounts import SYSTEM, create_token

    with Session(engine) as s:
        token = create_token(s, SYSTEM, "regulator")
        s.commit()
    return token


def test_export_dates_are_checked(auth):
    response = auth.login("regulator").post("/regulator/exports", data={"kind": "black", "at": "2026-13-01"})
    assert response.status_code == 422
    assert date.today().isoformat() in auth.client.get("/regulator/exports").get_data(as_text=True)


def test_the_export_form_carries_its_csrf_token(engine, tokens):
    import re

    from tests.web.world import PASSWORD

    client = make_app(engine, WTF_CSRF_ENABLED=True).test_client()

    def token(path: str) -> str:
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(path).get_data(as_text=True))
        assert match is not None, path
        return match.group(1)

    client.post("/login", data={"login": "regulator", "password": PASSWORD, "csrf_token": token("/login")})
    assert client.post("/regulator/exports", data={"kind": "black"}).status_code == 400
    form = {"kind": "black", "file_format": "csv", "csrf_token": token("/regulator/exports")}
    assert client.post("/regulator/exports", data=form).status_code == 303


def test_the_export_routes_are_in_the_openapi_document(client):
    spec = client.get("/api/openapi.json").get_json()
    kind = spec["paths"]["/api/v1/exports/{kind}"]["get"]
    assert [p for p in spec["paths"]["/api/v1/exports/{kind}"]["parameters"] if p["name"] == "kind"][0]["schema"]["enum"] \
        == ["black", "red", "penalties", "abnormal", "records"]
    assert {p["name"] for p in kind["parameters"]} == {"date", "region", "department", "type", "from", "to", "format"}
    assert {"200", "202", "422"} <= set(kind["responses"]) and "text/csv" in kind["responses"]["200"]["content"]
    assert {"/api/v1/exports/jobs/{job_id}", "/api/v1/exports/files/{name}"} <= set(spec["paths"])
