"""The profile: identity, current versions only, revoked left out, merged ids followed."""

from datetime import date

import pytest

from credit.cli.render import profile_text as render_profile
from credit.domain.gate import Viewer
from credit.domain.profile import build_profile
from credit.domain.workflows import InvalidInput, NotFound
from matching.models import Enterprise
from tests.credit.builders import add_record, penalty, registration
from tests.credit.faces import profile_text

AT = date(2026, 6, 1)


def test_identity_prefers_registration(session):
    penalty(session, "P1", "2026-01-10", fine=5.0, subject_name="旧名称有限公司", legal_rep="某人")
    registration(session, former_names=["旧名称有限公司"])
    p = build_profile(session, 1, Viewer.public(), AT)
    assert p.identity.name == "长沙某某科技有限公司"
    assert p.identity.former_names == ("旧名称有限公司",)
    assert p.identity.status == "存续" and p.identity.legal_rep == "张三"
    assert p.identity.source == "commerce/registration/REG-1"


def test_identity_falls_back_to_most_recent_record(session):
    penalty(session, "P1", "2025-09-10", fine=5.0, subject_name="甲公司")
    penalty(session, "P2", "2026-01-10", fine=5.0, subject_name="乙公司")
    assert build_profile(session, 1, Viewer.public(), AT).identity.name == "乙公司"


def test_current_version_only_with_provenance(session):
    penalty(session, "P1", "2026-01-10", fine=5.0)
    newest = penalty(session, "P1", "2026-01-10", fine=8.0)
    records = build_profile(session, 1, Viewer.public(), AT).records
    assert len(records) == 1
    assert records[0].fields["fine_amount"] == 8.0
    assert records[0].provenance == {"batch_id": newest.batch_id, "file_hash": newest.file_hash,
                                     "row_number": newest.row_number, "version": 2}


def test_revoked_records_excluded_for_everyone(session):
    penalty(session, "P1", "2026-01-10", fine=5.0)
    penalty(session, "P1", "2026-01-10", fine=5.0, op="revoke")
    assert build_profile(session, 1, Viewer.government(), AT).records == []


def test_merged_enterprise_leads_to_successor(session):
    registration(session, enterprise_id=2)
    penalty(session, "P-old", "2026-01-10", fine=5.0, enterprise_id=1)
    ent1 = session.get(Enterprise, 1)
    ent1.status, ent1.successor_id = "merged", 2
    session.flush()
    p = build_profile(session, 1, Viewer.public(), AT)
    assert (p.requested_id, p.enterprise_id) == (1, 2)
    assert {r.record_id for r in p.records} == {"REG-1", "P-old"}
    assert all(r.enterprise_id == 2 for r in p.records)
    own = build_profile(session, 1, Viewer.enterprise(1), AT)
    assert own.enterprise_id == 2 and len(own.records) == 2


def test_unknown_enterprise(session):
    with pytest.raises(NotFound):
        build_profile(session, 404, Viewer.public(), AT)


def test_sections_by_department_and_type(session):
    registration(session)
    penalty(session, "P1", "2026-01-10", fine=5.0)
    add_record(session, "finance", "loan_default", "L1", borrower_name="某某", report_date="2026-01-01")
    add_record(session, "public_security", "case", "C1", party_name="某某", filed_date="2026-01-01")
    p = build_profile(session, 1, Viewer.government(), AT)
    assert set(p.sections) == {"commerce", "public_security"}  # the loan: 授权查询, not government sharing
    assert set(p.sections["commerce"]) == {"registration", "penalty"}


def test_profile_command_text(session):
    registration(session)
    penalty(session, "P1", "2026-01-10", fine=5.0, legal_rep_id_number="430102198001011234")
    text = profile_text(session, 1, "public", AT)
    assert "长沙某某科技有限公司" in text and "430***********1234" in text
    assert "430102198001011234" not in text
    assert "P1" in profile_text(session, 1, "enterprise", AT)
    assert "P1" in render_profile(build_profile(session, 1, Viewer.government(), AT))
    with pytest.raises(InvalidInput):
        profile_text(session, 1, "authorised", AT)


def test_identity_derives_org_code_and_taxpayer_id_from_uscc(session):
    registration(session)
    ident = build_profile(session, 1, Viewer.public(), AT).identity
    assert ident.org_code == "MA4L0XXX-1" and ident.taxpayer_id == "91430100MA4L0XXX1X"


def test_profile_text_is_bilingual_and_names_viewer_and_date(session):
    registration(session)
    penalty(session, "P1", "2026-01-10", fine=5.0)
    lines = profile_text(session, 1, "public", AT).splitlines()
    assert lines[0].startswith("企业信用档案 Enterprise credit profile")
    assert lines[1] == "视角 viewer: 公众 public；日期 as of: 2026-06-01"
    text = "\n".join(lines)
    assert "来源 source: 工商 commerce" in text and "公示期 publicity: 2026-01-10 至 to 2027-01-09" in text


def test_registration_shown_on_dates_before_its_last_change(session):
    registration(session, established_date="2010-05-01", approval_date="2025-06-01")
    assert build_profile(session, 1, Viewer.public(), date(2020, 1, 1)).identity.name == "长沙某某科技有限公司"
    assert build_profile(session, 1, Viewer.public(), date(2010, 4, 30)).records == []


def test_non_public_profile_views_audited(session):
    from credit.domain import audit
    registration(session)
    profile_text(session, 1, "public", AT)
    profile_text(session, 1, "government", AT, user="监管员")
    (entry,) = audit.entries_about(session, "enterprise:1")
    assert entry.action == "profile.view" and entry.actor == "监管员 (regulator)"
