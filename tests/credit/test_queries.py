"""Lawful queries: one enterprise, limited time, stated basis or consent, every query logged."""

from datetime import date

import pytest

from credit.domain import audit
from credit.domain.queries import (
    authorised_profile,
    authorised_viewer,
    grant_access,
    queries_about,
)
from credit.domain.workflows import ROLE_AUTHORISED, Actor, InvalidInput, NotAllowed, NotFound
from tests.credit.builders import add_record, ensure_enterprise, registration
from tests.credit.faces import profile_text

ON = date(2026, 3, 1)


@pytest.fixture
def data(session):
    registration(session)
    add_record(session, "finance", "loan_default", "L1", borrower_name="某某", report_date="2026-01-01")
    ensure_enterprise(session, 2)
    return session


def test_grant_needs_basis_or_consent(data, bank):
    with pytest.raises(InvalidInput):
        grant_access(data, bank, 1, on=ON)
    assert grant_access(data, bank, 1, on=ON, consent_ref="授权书2026-001").id


def test_grant_only_for_querier_organisations(data, company):
    with pytest.raises(NotAllowed):
        grant_access(data, company, 1, on=ON, legal_basis="《征信业管理条例》第十八条")


def test_grant_valid_for_configured_days(data, bank):
    grant = grant_access(data, bank, 1, on=ON, legal_basis="贷款审批")
    assert grant.valid_until == date(2026, 3, 30)     # 30 days: 03-01 .. 03-30
    assert authorised_viewer(data, grant.id, date(2026, 3, 30)).enterprise_id == 1
    for day in (date(2026, 2, 28), date(2026, 3, 31)):
        with pytest.raises(NotAllowed):
            authorised_viewer(data, grant.id, day)
    with pytest.raises(InvalidInput):
        grant_access(data, bank, 1, on=ON, legal_basis="x", days=31)
    with pytest.raises(NotFound):
        authorised_viewer(data, 999, ON)


def test_authorised_query_sees_loan_default_and_is_logged(data, bank):
    grant = grant_access(data, bank, 1, on=ON, legal_basis="贷款审批")
    profile = authorised_profile(data, bank, grant.id, on=ON)
    assert "L1" in {r.record_id for r in profile.records}
    log = queries_about(data, 1)
    assert [(q.querier, q.legal_basis, q.as_of) for q in log] == [("某某银行长沙分行", "贷款审批", ON)]
    assert queries_about(data, 2) == []
    actions = [e.action for e in audit.entries_about(data, f"grant:{grant.id}")]
    assert actions == ["query.grant", "query.run"]


def test_other_organisation_cannot_use_grant(data, bank):
    grant = grant_access(data, bank, 1, on=ON, legal_basis="贷款审批")
    other = Actor("x", ROLE_AUTHORISED, department="另一家银行")
    with pytest.raises(NotFound, match="不存在或不属于您的机构") as refused:
        authorised_profile(data, other, grant.id, on=ON)
    assert "企业" not in str(refused.value) and str(grant.valid_until) not in str(refused.value)  # nothing leaks
    assert queries_about(data, 1) == []


def test_grant_does_not_extend_to_other_enterprises(data, bank):
    add_record(data, "finance", "loan_default", "L2", enterprise_id=2, borrower_name="乙",
               report_date="2026-01-01")
    grant = grant_access(data, bank, 1, on=ON, legal_basis="贷款审批")
    viewer = authorised_viewer(data, grant.id, ON)
    from credit.domain.profile import build_profile
    assert build_profile(data, 2, viewer, ON).records == []


def test_profile_command_authorised(data, bank):
    grant = grant_access(data, bank, 1, on=date.today(), legal_basis="贷款审批")
    assert "L1" in profile_text(data, 1, "authorised", date.today(), grant_id=grant.id)
    assert len(queries_about(data, 1)) == 1
