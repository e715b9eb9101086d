"""Credit reports: a signed PDF of what the viewer may see, in an embedded Chinese font, verifiable by number."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from credit.cli import main
from credit.domain import audit
from credit.domain.queries import grant_access, queries_about
from credit.domain.reports import check_signature, make_report, verify_report
from credit.domain.reports.pdf import qr_drawing
from credit.domain.signature_models import CreditReport
from credit.domain.workflows import ROLE_AUTHORISED, ROLE_PUBLIC, ROLE_REGULATOR, Actor, InvalidInput
from tests.cli.fixtures import database  # noqa: F401
from tests.cli.test_commands import USCC, write  # noqa: F401 - the CLI's database fixture, on both backends
from tests.credit.builders import add_record, penalty, rating, registration

AT = date(2026, 1, 10)
PUBLIC, REGULATOR = Actor("访客", ROLE_PUBLIC), Actor("张科长", ROLE_REGULATOR)
BANK = Actor("信贷员", ROLE_AUTHORISED, department="某某银行长沙分行")
PENALTY_ID, CASE_ID = "430104198001011234", "430104198001015678"
POPPLER = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
                             reason="poppler-utils (pdftotext, pdftoppm) not installed: scripts/setup installs it")


@pytest.fixture
def session(engine):
    """One enterprise with public, authorised-query and government-only records."""
    with Session(engine, expire_on_commit=False) as s:
        registration(s)
        penalty(s, "P-1", "2025-06-01", fine=2.5, serious=True, decision_no="长市监罚〔2025〕12号",
                legal_rep_id_number=PENALTY_ID)
        rating(s, "T-1", 2024, "A")
        add_record(s, "finance", "loan_default", "L-1", 1, borrower_name="长沙某某科技有限公司", lender="某某银行",
                   overdue_days=120, report_date="2025-09-30")
        add_record(s, "public_security", "case", "C-1", 1, party_name="长沙某某科技有限公司", case_category="合同诈骗",
                   filed_date="2025-08-01", legal_rep_id_number=CASE_ID)
        s.commit()
        yield s


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@POPPLER
def test_the_report_shows_chinese_text_in_an_embedded_font(session, tmp_path):
    report = make_report(session, REGULATOR, 1, at=AT)
    session.commit()
    text = _text(report.pdf, tmp_path)
    for words in ("企业信用报告", "长沙某某科技有限公司", "报告编号", report.number, "数据截止日期", "2026-01-10",
                  "综合信用评价", "工商·行政处罚", "严重失信", "北京时间"):
        assert words in text, words
    path = tmp_path / "report.pdf"
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(re.search(r"\byes\s+yes\s+yes\b", line) for line in fonts), fonts  # embedded, subset, unicode
    assert not any("STSong" in line or "Helvetica" in line for line in fonts)
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")], check=True)
    page = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    dark = sum(page.histogram()[:128])
    assert dark > page.width * page.height // 100  # text, tables and the QR code were drawn, not a blank page


def test_the_signature_validates_and_fails_after_a_one_byte_change(session):
    report = make_report(session, PUBLIC, 1, at=AT)
    assert check_signature(report.pdf).ok
    at = report.pdf.index(report.number.encode())  # the number in the document information, inside the signed range
    changed = bytearray(report.pdf)
    changed[at + len(report.number) - 1] ^= 0x01
    broken = check_signature(bytes(changed))
    assert broken.present and not broken.intact and not broken.ok
    middle = bytearray(report.pdf)
    middle[len(middle) // 3] ^= 0x01
    assert not check_signature(bytes(middle)).ok


@POPPLER
def test_each_viewer_sees_only_what_the_gate_shows(session, tmp_path):
    public = _text(make_report(session, PUBLIC, 1, at=AT).pdf, tmp_path)
    assert "P-1" in public and "L-1" not in public and "C-1" not in public
    assert PENALTY_ID not in public and "430***********1234" in public
    government = _text(make_report(session, REGULATOR, 1, at=AT).pdf, tmp_path)
    assert "L-1" not in government and "C-1" in government and CASE_ID in government  # policy unmasks police cases
    assert PENALTY_ID not in government  # penalties stay masked, even for government


@POPPLER
def test_an_authorised_report_names_its_basis_and_logs_the_query(session, tmp_path):
    grant = grant_access(session, BANK, 1, on=AT, legal_basis="贷款审批")
    report = make_report(session, BANK, 1, at=AT, grant_id=grant.id, on=AT)
    text = _text(report.pdf, tmp_path)
    assert "L-1" in text and "C-1" not in text and "贷款审批" in text and "某某银行长沙分行" in text
    assert len(queries_about(session, 1)) == 1


def test_reports_are_registered_and_verifiable_by_number(session):
    report = make_report(session, REGULATOR, 1, at=AT)
    session.commit()
    found = verify_report(session, report.number)
    assert (found.exists, found.enterprise_id, found.as_of, found.viewer) == (True, 1, AT, "government")
    assert found.for_whom == "政务用户 government" and found.made_at == report.made_at and found.identical is None
    assert verify_report(session, report.number.lower(), report.pdf).identical is True
    copy = bytearray(report.pdf)
    copy[-100] ^= 0x01
    changed = verify_report(session, report.number, bytes(copy))
    assert changed.identical is False and changed.uploaded_sha256 != found.sha256
    assert verify_report(session, "LZR-20260101-0000000000").exists is False
    with pytest.raises(InvalidInput):
        verify_report(session, "../../etc/passwd")


def test_any_uploaded_bytes_get_an_answer_not_a_crash(session):
    import random

    report = make_report(session, PUBLIC, 1, at=AT)
    rng = random.Random(11)
    copies = [b"", b"not a pdf", report.pdf[: len(report.pdf) // 2], report.pdf + b"%%EOF\n",
              bytes(rng.getrandbits(8) for _ in range(2000))]
    for _ in range(20):
        copy = bytearray(report.pdf)
        for _ in range(rng.randint(1, 5)):
            copy[rng.randrange(len(copy))] = rng.getrandbits(8)
        copies.append(bytes(copy))
    for copy in copies:
        answer = verify_report(session, report.number, copy)
        assert answer.identical is False and answer.signature is not None  # the padding of a signature is
        # not covered by it, so only byte identity says a copy is exactly the issued report


def test_making_a_report_is_audited(session):
    report = make_report(session, REGULATOR, 1, at=AT)
    session.commit()
    [made] = audit.entries_about(session, f"report:{report.number}")
    assert made.action == "report.make" and made.enterprise_id == 1 and report.sha256 in made.details
    # a regulator sees ID numbers in clear (policy), so the view records which fields it unmasked too
    assert [e.action for e in audit.entries_about(session, "enterprise:1")] == ["personal.unmask", "profile.view"]
    assert audit.verify(session).ok
    assert session.scalars(select(CreditReport.sha256)).all() == [report.sha256]


def test_the_qr_code_points_at_the_configured_verification_page(session, monkeypatch):
    monkeypatch.setenv("CREDIT_PUBLIC_URL", "https://credit.example.gov.cn/")
    report = make_report(session, PUBLIC, 1, at=AT)
    assert verify_report(session, report.number).exists
    import segno

    url = f"https://credit.example.gov.cn/reports/verify?number={report.number}"
    dark = sum(sum(row) for row in segno.make(url, error="m").matrix)
    assert len(qr_drawing(url).contents) == 1 + dark  # the white square, then one square per dark module


def test_report_command_writes_the_signed_pdf(database, tmp_path, capsys):  # noqa: F811
    write(tmp_path / "p.csv", [["P1", "北京某某科技有限公司", USCC, "罚款", "2", "2024-03-05", "是"]])
    assert main(["ingest", "-d", "commerce", "-t", "penalty", "-q", str(tmp_path / "p.csv")]) == 0
    capsys.readouterr()
    out = tmp_path / "report.pdf"
    assert main(["report", "1", "--as", "government", "--date", "2024-06-01", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "LZR-" in printed and "/reports/verify?number=LZR-" in printed
    assert check_signature(out.read_bytes()).ok
    assert main(["report", "1", "--as", "authorised", "--out", str(out)]) == 2
    assert main(["report", "999", "--out", str(tmp_path / "none.pdf")]) == 1
    assert not (tmp_path / "none.pdf").exists()

