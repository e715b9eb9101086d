"""Credit repair: minimum periods, refusals with reasons, approval ends publication early."""

from datetime import date

import pytest

from credit.domain import audit
from credit.domain.gate import Viewer
from credit.domain.profile import build_profile
from credit.domain.repair import apply_for_repair, approve_repair, reject_repair, repairs_about
from credit.domain.workflows import Conflict, NotAllowed, NotFound
from tests.credit.builders import add_record, penalty

PROOF = "罚款缴纳凭证；整改报告"


def apply(session, company, record_id, on, **kw):
    return apply_for_repair(session, company, kw.pop("department", "commerce"),
                            kw.pop("record_type", "penalty"), record_id, proof=PROOF, on=on)


def test_before_minimum_period_refused_with_date(session, company):
    penalty(session, "P1", "2026-01-10", fine=5.0)
    app = apply(session, company, "P1", date(2026, 4, 9))
    assert app.status == "refused" and app.possible_from == date(2026, 4, 10)
    assert "2026-04-10" in app.reason
    ok = apply(session, company, "P1", date(2026, 4, 10))
    assert ok.status == "pending"


def test_fire_penalty_minimum_one_year(session, company):
    # a serious fire penalty: minimum raised to 1 year, published up to 3 years
    penalty(session, "F1", "2025-03-01", fine=5.0, serious=True, department="public_security",
            record_type="fire_penalty")
    app = apply(session, company, "F1", date(2026, 2, 28), department="public_security",
                record_type="fire_penalty")
    assert app.status == "refused" and app.possible_from == date(2026, 3, 1)
    ok = apply(session, company, "F1", date(2026, 3, 1), department="public_security",
               record_type="fire_penalty")
    assert ok.status == "pending"


def test_general_fire_penalty_has_no_early_repair(session, company):
    # general fire: minimum 1 year = maximum 1 year, publication simply ends
    penalty(session, "F2", "2025-03-01", fine=5.0, department="public_security",
            record_type="fire_penalty")
    app = apply(session, company, "F2", date(2026, 2, 28), department="public_security",
                record_type="fire_penalty")
    assert app.status == "refused" and app.possible_from is None
    assert "2026-02-28 公示期满自动停止公示" in app.reason


def test_minor_penalty_has_no_early_repair(session, company):
    penalty(session, "P9", "2026-01-10", kinds=["通报批评"])
    app = apply(session, company, "P9", date(2026, 4, 9))
    assert app.status == "refused" and app.possible_from is None and "自动停止" in app.reason


@pytest.mark.parametrize("kind", ["吊销许可证件", "责令停产停业"])
def test_revocation_and_suspension_never_repaired_early(session, company, kind):
    penalty(session, "P1", "2024-01-10", kinds=["罚款", kind], fine=5.0)
    app = apply(session, company, "P1", date(2026, 1, 10))
    assert app.status == "refused" and kind in app.reason and app.possible_from is None


def test_not_repairable_types_and_ended_windows(session, company):
    add_record(session, "tax", "arrears", "A1", taxpayer_name="x", balance_yuan=10.0,
               announced_date="2025-01-01")
    assert "不适用" in apply(session, company, "A1", date(2026, 1, 1), department="tax",
                             record_type="arrears").reason
    penalty(session, "P-old", "2024-01-10", fine=5.0)
    assert "未在公示期" in apply(session, company, "P-old", date(2025, 6, 1)).reason


def test_major_tax_case_repairable_at_once(session, company, tax_clerk):
    add_record(session, "tax", "major_violation", "M1", taxpayer_name="x", published_date="2025-06-01")
    app = apply(session, company, "M1", date(2025, 6, 2), department="tax", record_type="major_violation")
    assert app.status == "pending"
    approve_repair(session, tax_clerk, app.id, reason="已缴清税款、滞纳金和罚款", on=date(2025, 7, 1))
    ids = lambda d: {r.record_id for r in build_profile(session, 1, Viewer.public(), d).records}
    assert "M1" in ids(date(2025, 6, 30)) and "M1" not in ids(date(2025, 7, 1))


def test_approval_ends_publication_early(session, company, commerce_clerk):
    penalty(session, "P1", "2026-01-10", fine=5.0)
    app = apply(session, company, "P1", date(2026, 5, 1))
    approve_repair(session, commerce_clerk, app.id, reason="材料齐全", on=date(2026, 5, 6))
    public = lambda d: [r.record_id for r in build_profile(session, 1, Viewer.public(), d).records]
    assert public(date(2026, 5, 5)) == ["P1"]
    assert public(date(2026, 5, 6)) == []
    assert [r.record_id for r in build_profile(session, 1, Viewer.government(), date(2026, 5, 6)).records] == ["P1"]
    with pytest.raises(Conflict):
        apply(session, company, "P1", date(2026, 5, 7))


def test_checks_abnormal_listing_and_repeat_violation(session, company):
    penalty(session, "P1", "2025-01-10", fine=5.0, violation_type="虚假宣传")
    add_record(session, "commerce", "abnormal_list", "AB1", name="x", listed_date="2025-03-01")
    assert "经营异常名录" in apply(session, company, "P1", date(2025, 6, 1)).reason
    add_record(session, "commerce", "abnormal_list", "AB1", name="x", listed_date="2025-03-01",
               removed_date="2025-05-01")
    penalty(session, "P2", "2025-04-01", fine=5.0, violation_type="虚假宣传")
    assert "同类违法" in apply(session, company, "P1", date(2025, 6, 1)).reason


def test_decisions_by_source_department_only(session, company, tax_clerk, commerce_clerk):
    penalty(session, "P1", "2026-01-10", fine=5.0)
    app = apply(session, company, "P1", date(2026, 5, 1))
    with pytest.raises(NotAllowed):
        approve_repair(session, tax_clerk, app.id, reason="x", on=date(2026, 5, 2))
    reject_repair(session, commerce_clerk, app.id, reason="整改材料不全", on=date(2026, 5, 2))
    assert app.status == "rejected" and app.reason == "整改材料不全"
    with pytest.raises(Conflict):
        approve_repair(session, commerce_clerk, app.id, reason="x", on=date(2026, 5, 3))
    assert len(build_profile(session, 1, Viewer.public(), date(2026, 5, 3)).records) == 1
    assert apply(session, company, "P1", date(2026, 5, 4)).status == "pending"   # may apply again
    assert len(repairs_about(session, 1)) == 2


def test_other_enterprise_cannot_apply(session):
    from credit.domain.workflows import Actor
    penalty(session, "P1", "2026-01-10", fine=5.0)
    with pytest.raises(NotFound, match="本企业没有记录"):
        apply(session, Actor("x", "enterprise", enterprise_id=2), "P1", date(2026, 5, 1))


def test_repair_steps_audited(session, company, commerce_clerk):
    penalty(session, "P1", "2026-01-10", fine=5.0)
    refused = apply(session, company, "P1", date(2026, 2, 1))
    app = apply(session, company, "P1", date(2026, 5, 1))
    approve_repair(session, commerce_clerk, app.id, reason="ok", on=date(2026, 5, 2))
    assert [e.action for e in audit.entries_about(session, f"repair:{refused.id}")] == ["repair.refuse"]
    assert [e.action for e in audit.entries_about(session, f"repair:{app.id}")] == ["repair.apply", "repair.approve"]
