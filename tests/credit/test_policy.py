"""Section 5 publicity windows at their edges: the day before, on and after each boundary."""

from datetime import date

import pytest

from credit.domain.gate import Viewer, decide
from credit.domain.policy import add_months, classify_penalty, publicity_of
from credit.kernel.catalog import load_catalog
from tests.credit.records import pen, rec

PUBLIC = Viewer.public()


def public_on(record, day: str) -> bool:
    return decide(record, PUBLIC, date.fromisoformat(day)) is not None


@pytest.mark.parametrize("start, months, expected", [
    (date(2025, 1, 10), 3, date(2025, 4, 10)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),    # clamped to the month's end (leap year)
    (date(2025, 1, 31), 1, date(2025, 2, 28)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2024, 11, 30), 3, date(2025, 2, 28)),
    (date(2025, 12, 15), 36, date(2028, 12, 15)),
    (date(2025, 3, 31), -1, date(2025, 2, 28)),
])
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


def edges(record, first: str, last: str) -> None:
    """Not public the day before ``first``; public on first and last; not public after last."""
    f, lst = date.fromisoformat(first), date.fromisoformat(last)
    assert not public_on(record, (f.fromordinal(f.toordinal() - 1)).isoformat())
    assert public_on(record, first)
    assert public_on(record, last)
    assert not public_on(record, (lst.fromordinal(lst.toordinal() + 1)).isoformat())


def test_general_penalty_public_one_year():
    edges(pen("2025-01-10", ["罚款"], fine=5.0), "2025-01-10", "2026-01-09")


def test_fine_at_threshold_is_general():
    edges(pen("2025-01-10", ["罚款"], fine=1.0), "2025-01-10", "2026-01-09")


def test_small_fine_is_minor_three_months():
    edges(pen("2025-01-10", ["罚款"], fine=0.99), "2025-01-10", "2025-04-09")


def test_criticism_is_minor_three_months():
    edges(pen("2025-01-10", ["通报批评"]), "2025-01-10", "2025-04-09")


def test_warning_only_never_published():
    record = pen("2025-01-10", ["警告"])
    assert not any(public_on(record, d) for d in ("2025-01-09", "2025-01-10", "2025-06-01"))
    assert decide(record, Viewer.government(), date(2025, 1, 10)) is not None


def test_warning_with_fine_is_general():
    edges(pen("2025-01-10", ["警告", "罚款"], fine=2.0), "2025-01-10", "2026-01-09")


def test_serious_penalty_three_years():
    edges(pen("2025-01-10", ["罚款"], fine=2.0, serious=True), "2025-01-10", "2028-01-09")


@pytest.mark.parametrize("kind", ["吊销许可证件", "责令停产停业"])
def test_revocation_and_suspension_three_years(kind):
    edges(pen("2025-01-10", [kind]), "2025-01-10", "2028-01-09")


def test_several_kinds_longest_applies():
    edges(pen("2025-01-10", ["通报批评", "责令停产停业"]), "2025-01-10", "2028-01-09")
    edges(pen("2025-01-10", ["通报批评", "没收违法所得"]), "2025-01-10", "2026-01-09")


def test_fire_penalty_minimum_one_year():
    general_fire = pen("2025-01-10", ["罚款"], fine=3.0, department="public_security", record_type="fire_penalty")
    edges(general_fire, "2025-01-10", "2026-01-09")
    klass = classify_penalty("public_security", "fire_penalty", general_fire.fields)
    assert (klass.category, klass.min_months, klass.max_months) == ("general", 12, 12)
    rt = load_catalog().get("public_security", "fire_penalty")
    assert publicity_of(rt, general_fire.fields).repair_from == date(2026, 1, 10)
    serious_fire = pen("2025-01-10", ["罚款"], fine=3.0, serious=True, department="public_security",
                       record_type="fire_penalty")
    assert classify_penalty("public_security", "fire_penalty", serious_fire.fields).min_months == 12
    edges(serious_fire, "2025-01-10", "2028-01-09")
    general = pen("2025-01-10", ["罚款"], fine=3.0, department="quality")
    rt_q = load_catalog().get("quality", "penalty")
    assert publicity_of(rt_q, general.fields).repair_from == date(2025, 4, 10)


def test_minor_fire_penalty_stays_minor():
    """Precedence: the minor-case ceiling (3 months at most) beats the fire-safety floor."""
    minor_fire = pen("2025-01-10", ["通报批评"], department="public_security", record_type="fire_penalty")
    edges(minor_fire, "2025-01-10", "2025-04-09")
    klass = classify_penalty("public_security", "fire_penalty", minor_fire.fields)
    assert (klass.category, klass.min_months, klass.max_months) == ("minor", 3, 3)
    small_fine_fire = pen("2025-01-10", ["罚款"], fine=0.5, department="public_security",
                          record_type="fire_penalty")
    edges(small_fine_fire, "2025-01-10", "2025-04-09")
    warning_fire = pen("2025-01-10", ["警告"], department="public_security", record_type="fire_penalty")
    assert not public_on(warning_fire, "2025-01-10")


def test_minor_case_minimum_equals_maximum():
    klass = classify_penalty("commerce", "penalty", {"penalty_kinds": ["罚款"], "fine_amount": 0.5})
    assert (klass.category, klass.min_months, klass.max_months) == ("minor", 3, 3)
    rt = load_catalog().get("commerce", "penalty")
    window = publicity_of(rt, {"penalty_kinds": ["通报批评"], "decision_date": "2025-01-10"})
    assert window.last_day == date(2025, 4, 9) and window.repair_from == date(2025, 4, 10)


def test_fine_without_kind_counts_as_fine():
    edges(pen("2025-01-10", [], fine=0.5), "2025-01-10", "2025-04-09")
    edges(pen("2025-01-10", [], fine=5.0), "2025-01-10", "2026-01-09")


def test_unknown_kind_is_general():
    edges(pen("2025-01-10", ["责令改正"]), "2025-01-10", "2026-01-09")


def test_warning_and_criticism_is_minor():
    edges(pen("2025-01-10", ["警告", "通报批评"]), "2025-01-10", "2025-04-09")


# 公示截止期 stated by the department: the end of publication, clamped into [min, max]
@pytest.mark.parametrize("kinds, fine, serious, stated, last", [
    (["罚款"], 5.0, None, "2025-08-31", "2025-08-31"),       # inside [3, 12] months: as stated
    (["罚款"], 5.0, None, "2025-04-09", "2025-04-09"),       # exactly the minimum
    (["罚款"], 5.0, None, "2025-03-01", "2025-04-09"),       # below the minimum: raised
    (["罚款"], 5.0, None, "2026-01-09", "2026-01-09"),       # exactly the maximum
    (["罚款"], 5.0, None, "2027-01-01", "2026-01-09"),       # beyond the maximum: capped
    (["罚款"], 5.0, True, "2026-06-30", "2026-06-30"),       # serious: inside [12, 36]
    (["罚款"], 5.0, True, "2025-06-30", "2026-01-09"),       # serious: raised to 1 year
    (["通报批评"], None, None, "2026-01-01", "2025-04-09"),   # minor: always 3 months
])
def test_stated_publicity_end_clamped(kinds, fine, serious, stated, last):
    record = pen("2025-01-10", kinds, fine=fine, serious=serious, publicity_until=stated)
    edges(record, "2025-01-10", last)


def test_unparsable_stated_end_means_maximum():
    edges(pen("2025-01-10", ["罚款"], fine=5.0, publicity_until="长期"), "2025-01-10", "2026-01-09")


def test_leap_day_decision():
    edges(pen("2024-02-29", ["罚款"], fine=2.0), "2024-02-29", "2025-02-27")


def test_month_end_minor():
    edges(pen("2024-11-30", ["通报批评"]), "2024-11-30", "2025-02-27")


def test_penalty_without_decision_date_not_public():
    assert not public_on(pen(None, ["罚款"], fine=5.0), "2025-06-01")


def test_major_tax_violation_three_years():
    record = rec("tax", "major_violation", taxpayer_name="某某公司", published_date="2024-03-01")
    edges(record, "2024-03-01", "2027-02-28")


def test_abnormal_listing_until_removed():
    record = rec("commerce", "abnormal_list", name="某某公司", listed_date="2024-05-01",
                 removed_date="2025-05-01")
    edges(record, "2024-05-01", "2025-04-30")
    never_removed = rec("commerce", "abnormal_list", name="某某公司", listed_date="2024-05-01")
    assert public_on(never_removed, "2035-01-01")


@pytest.mark.parametrize("balance, public", [(100.0, True), (0.01, True), (0.0, False), (None, True)])
def test_arrears_while_owed(balance, public):
    record = rec("tax", "arrears", taxpayer_name="某某公司", balance_yuan=balance,
                 announced_date="2025-01-10")
    assert not public_on(record, "2025-01-09")
    assert public_on(record, "2025-01-10") is public
    assert public_on(record, "2030-01-10") is public


def test_loan_default_and_police_case_never_public():
    loan = rec("finance", "loan_default", borrower_name="某某公司", report_date="2025-01-10")
    case = rec("public_security", "case", party_name="某某公司", filed_date="2025-01-10")
    for day in ("2025-01-10", "2026-01-10"):
        assert not public_on(loan, day)
        assert not public_on(case, day)


@pytest.mark.parametrize("grade, public", [("A", True), ("B", False), ("M", False), ("C", False), ("D", True)])
def test_tax_grade_openness(grade, public):
    record = rec("tax", "credit_rating", taxpayer_name="某某公司", year=2024, grade=grade)
    assert not public_on(record, "2025-03-31")   # released in April: 2025-04-01
    assert public_on(record, "2025-04-01") is public
    assert decide(record, Viewer.government(), date(2025, 3, 31)) is None
    assert decide(record, Viewer.government(), date(2025, 4, 1)) is not None


def test_d_grade_public_twelve_months_a_grade_stays():
    d = rec("tax", "credit_rating", taxpayer_name="某某公司", year=2024, grade="D")
    edges(d, "2025-04-01", "2026-03-31")
    assert decide(d, Viewer.government(), date(2027, 1, 1)) is not None   # stays for government
    a = rec("tax", "credit_rating", taxpayer_name="某某公司", year=2024, grade="A")
    assert public_on(a, "2030-01-01")


def test_registration_exists_from_establishment_not_last_change():
    reg = rec("commerce", "registration", name="某某公司", established_date="2010-05-01",
              approval_date="2025-06-01")
    assert not public_on(reg, "2010-04-30")
    assert public_on(reg, "2010-05-01") and public_on(reg, "2025-05-31")
    no_est = rec("commerce", "registration", name="某某公司", approval_date="2025-06-01")
    assert not public_on(no_est, "2025-05-31") and public_on(no_est, "2025-06-01")


def test_spot_check_always_public_from_announcement():
    record = rec("quality", "spot_check", inspected_name="某某公司", result="不合格",
                 announced_date="2025-01-10")
    assert not public_on(record, "2025-01-09")
    assert public_on(record, "2025-01-10") and public_on(record, "2040-01-10")
