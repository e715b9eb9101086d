"""Trust routes: the export-signing key, credit-report PDFs for every viewer, the report verification page."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from credit.domain.exports_signing import PUBLIC_KEY_PATH
from credit.domain.reports import check_signature, verify_url
from credit.domain.signature_models import CreditReport
from credit.domain.workflow_models import AuditEntry
from credit.domain.workflows import ROLES
from tests.web.conftest import make_app
from tests.web.world import SECRETS

VIEWERS = {"public": "public", "enterprise": "enterprise", "authorised": "public", "clerk": "government",
           "reviewer": "government", "regulator": "government", "admin": "government"}


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match is not None
    return match.group(1)


def _verdict(page: str) -> str:
    """What the page says about the uploaded copy."""
    match = re.search(r'id="copy-verdict"><h2>([^<]+)</h2>', page)
    assert match is not None, page
    return match.group(1)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_trust_route_for_every_role(engine, auth, role):
    client = auth.login(role)
    assert client.get(PUBLIC_KEY_PATH).status_code == 200
    report = client.get("/enterprises/1/report.pdf")
    assert report.status_code == 200 and report.mimetype == "application/pdf", (role, report.status_code)
    number = report.headers["X-Report-Number"]
    assert f'filename="{number}.pdf"' in report.headers["Content-Disposition"]
    with Session(engine) as s:
        assert s.scalars(select(CreditReport.viewer).where(CreditReport.number == number)).one() == VIEWERS[role]
    assert client.get("/reports/verify").status_code == 200
    assert client.get(f"/reports/verify?number={number}").status_code == 200
    assert client.post("/reports/verify", data={"number": number}).status_code == 200


def test_the_public_key_is_pem_at_its_stable_address(client):
    response = client.get("/keys/export-signing.pem")
    assert response.status_code == 200 and response.mimetype == "application/x-pem-file"
    assert response.data.startswith(b"-----BEGIN PUBLIC KEY-----") and response.data.rstrip().endswith(b"-----")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    assert isinstance(load_pem_public_key(response.data), Ed25519PublicKey)


def test_the_enterprise_page_links_to_its_report_and_the_report_is_signed_and_audited(engine, client):
    page = client.get("/enterprises/1").get_data(as_text=True)
    assert 'href="/enterprises/1/report.pdf"' in page
    report = client.get("/enterprises/1/report.pdf")
    assert check_signature(report.data).ok
    with Session(engine) as s:
        actions = s.scalars(select(AuditEntry.action)).all()
    assert "report.make" in actions
    assert client.get("/enterprises/99999/report.pdf").status_code == 404
    merged = client.get("/enterprises/3/report.pdf")  # a merged id: its successor's report
    with Session(engine) as s:
        row = s.scalars(select(CreditReport).where(CreditReport.number == merged.headers["X-Report-Number"])).one()
    assert row.enterprise_id == 1 and row.requested_id == 3


def test_an_authorised_report_goes_through_its_grant(engine, auth):
    client = auth.login("authorised")
    response = client.post("/authorised/grants/new", data={"enterprise_id": "1", "basis_kind": "basis",
                                                           "basis": "《商业银行法》第35条 贷款审查"})
    grant_page = client.get(response.headers["Location"]).get_data(as_text=True)
    link = re.search(r'id="report-pdf" href="([^"]+)"', grant_page)
    assert link is not None and "grant=" in link.group(1)
    report = client.get(link.group(1).replace("&amp;", "&"))
    assert report.status_code == 200
    with Session(engine) as s:
        row = s.scalars(select(CreditReport).where(CreditReport.number == report.headers["X-Report-Number"])).one()
    assert row.viewer == "authorised" and row.grant_id is not None
    assert client.get("/enterprises/2/report.pdf?grant=" + str(row.grant_id)).status_code == 403  # not its grant
    assert client.get("/enterprises/1/report.pdf?grant=abc").status_code == 422


def test_the_verify_page_says_when_and_for_whom_and_the_qr_address_agrees(client, monkeypatch):
    report = client.get("/enterprises/1/report.pdf")
    number = report.headers["X-Report-Number"]
    url = verify_url(number)  # what the report's QR code holds
    path_and_query = url[url.index("/reports/verify"):]
    page = client.get(path_and_query).get_data(as_text=True)
    assert "报告真实存在" in page and number in page and "长沙华盛网络科技有限公司" in page and "公众" in page
    assert number in client.get(f"/reports/verify?no={number.lower()}").get_data(as_text=True)
    missing = client.get("/reports/verify?number=LZR-20260101-0000000000").get_data(as_text=True)
    assert "查无此报告" in missing
    bad = client.get("/reports/verify?number=../../etc/passwd")
    assert bad.status_code == 422 and "LZR-YYYYMMDD" in bad.get_data(as_text=True)
    monkeypatch.setenv("CREDIT_PUBLIC_URL", "https://credit.example.gov.cn/")
    assert verify_url(number) == f"https://credit.example.gov.cn/reports/verify?number={number}"


def test_an_uploaded_copy_is_checked_byte_for_byte(client):
    import io

    report = client.get("/enterprises/1/report.pdf")
    number = report.headers["X-Report-Number"]
    same = client.post("/reports/verify", data={"number": number, "copy": (io.BytesIO(report.data), "r.pdf")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "与平台登记的报告逐字节一致" in _verdict(same) and "有效，由本平台签发" in same
    changed = bytearray(report.data)
    changed[len(changed) // 2] ^= 0x01
    other = client.post("/reports/verify", data={"number": number, "copy": (io.BytesIO(bytes(changed)), "r.pdf")},
                        content_type="multipart/form-data").get_data(as_text=True)
    assert "不一致：可能已被改动" in _verdict(other) and "有效，由本平台签发" not in other
    empty = client.post("/reports/verify", data={"number": ""})
    assert empty.status_code == 422 and "请输入报告编号" in empty.get_data(as_text=True)


def test_the_upload_needs_its_csrf_token(engine, tokens):
    client = make_app(engine, WTF_CSRF_ENABLED=True).test_client()
    number = client.get("/enterprises/1/report.pdf").headers["X-Report-Number"]
    assert client.post("/reports/verify", data={"number": number}).status_code == 400
    token = _csrf(client.get("/reports/verify").get_data(as_text=True))
    assert client.post("/reports/verify", data={"number": number, "csrf_token": token}).status_code == 200


def test_reports_are_rate_limited(engine, tokens):
    client = make_app(engine, RATELIMIT_ENABLED=True, CREDIT_REPORT_LIMIT="2 per minute").test_client()
    assert [client.get("/enterprises/1/report.pdf").status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/enterprises/1").status_code == 200  # the page itself is not limited by it


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_a_public_report_shows_only_what_the_public_page_shows(client, tmp_path):
    """The crawler skips the PDFs; the public report of the richest enterprise, read as text, hides the same values."""
    report = client.get("/enterprises/1/report.pdf")
    path = tmp_path / "public.pdf"
    path.write_bytes(report.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "长沙华盛网络科技有限公司" in text and "CF-1" in text
    assert not [secret for secret in SECRETS if secret in text]
