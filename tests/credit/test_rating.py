"""The composite rating: points per kind from policy, every line backed by a record."""

from datetime import date

from credit.cli.render import rating_text
from credit.domain.gate import Viewer
from credit.domain.rating import grade_of, rate
from tests.credit.builders import add_record, penalty, rating, registration


def test_grades_from_thresholds():
    assert [grade_of(s) for s in (95, 90, 89, 70, 69, 50, 49)] == ["A", "A", "B", "B", "C", "C", "D"]


def test_clean_enterprise_is_base_grade(session):
    registration(session)
    r = rate(session, 1, date(2026, 1, 1))
    assert (r.score, r.grade, r.lines) == (85, "B", [])


def test_every_point_explained(session):
    rating(session, "T1", 2024, "A")
    penalty(session, "P1", "2025-03-01", fine=5.0)
    add_record(session, "quality", "spot_check", "S1", inspected_name="x", result="合格",
               announced_date="2025-02-01")
    r = rate(session, 1, date(2025, 6, 1))
    assert r.score == 85 + 10 - 10 + 1 and r.grade == "B"
    assert {(ln.kind, ln.points, ln.record_id) for ln in r.lines} == {
        ("tax_grade_A", 10, "T1"), ("penalty_general", -10, "P1"), ("spot_check_passed", 1, "S1")}
    assert r.score == r.base + sum(ln.points for ln in r.lines)
    assert "P1" in rating_text(r)


def test_recomputed_for_any_date(session):
    penalty(session, "P1", "2025-03-01", fine=5.0, serious=True)
    assert rate(session, 1, date(2025, 2, 28)).score == 85
    assert rate(session, 1, date(2025, 3, 1)).score == 55
    assert rate(session, 1, date(2028, 3, 1)).score == 85      # window over


def test_rating_only_uses_what_the_viewer_sees(session):
    add_record(session, "finance", "loan_default", "L1", borrower_name="x", report_date="2025-01-01",
               classification="次级")
    add_record(session, "public_security", "case", "C1", party_name="x", filed_date="2025-01-01",
               case_status="撤案")
    rating(session, "T1", 2024, "C")
    assert rate(session, 1, date(2025, 6, 1)).lines == []
    gov = rate(session, 1, date(2025, 6, 1), Viewer.government())
    assert {ln.kind for ln in gov.lines} == {"tax_grade_C"}  # the loan default is 授权查询: not for government
    assert gov.score == 75 and gov.grade == "B"


def test_within_months_and_cap(session):
    for i in range(5):
        add_record(session, "quality", "spot_check", f"S{i}", inspected_name="x", result="合格",
                   announced_date="2025-01-01")
    add_record(session, "quality", "spot_check", "F1", inspected_name="x", result="不合格",
               announced_date="2024-06-01")
    r = rate(session, 1, date(2025, 5, 31))
    assert [ln.kind for ln in r.lines].count("spot_check_passed") == 3
    assert "spot_check_failed" in {ln.kind for ln in r.lines}
    assert "spot_check_failed" not in {ln.kind for ln in rate(session, 1, date(2025, 6, 1)).lines}
