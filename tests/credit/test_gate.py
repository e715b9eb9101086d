"""The disclosure gate: every viewer against every openness, masking, marks."""

from datetime import date

import pytest

from credit.domain.gate import AUTHORISED, MARK_ENDED, MARK_OBJECTION, MARK_REPAIRED, Marks, Viewer, decide
from tests.credit.records import pen, rec

AT = date(2026, 6, 1)
ID_NO = "430102198001011234"

RECORDS = {
    "registration": rec("commerce", "registration", name="某某公司", approval_date="2018-01-01"),
    "penalty_in_window": pen("2026-01-10", ["罚款"], fine=5.0, legal_rep_id_number=ID_NO),
    "penalty_ended": pen("2024-01-10", ["罚款"], fine=5.0),
    "loan_default": rec("finance", "loan_default", borrower_name="某某公司", report_date="2026-01-01"),
    "rating_A": rec("tax", "credit_rating", taxpayer_name="某某公司", year=2025, grade="A"),
    "rating_B": rec("tax", "credit_rating", taxpayer_name="某某公司", year=2025, grade="B"),
    "police_case": rec("public_security", "case", party_name="某某公司", filed_date="2026-01-01",
                       legal_rep_id_number=ID_NO),
}

OWN = Viewer.enterprise(1)
OTHER = Viewer.enterprise(2)
GRANTED = Viewer(AUTHORISED, "某银行", 1, 7, date(2026, 6, 30))
GRANTED_ELSEWHERE = Viewer(AUTHORISED, "某银行", 2, 8, date(2026, 6, 30))
GRANT_EXPIRED = Viewer(AUTHORISED, "某银行", 1, 9, date(2026, 5, 31))

# viewer -> records it sees of RECORDS (all about enterprise 1) on AT
EXPECTED = {
    "public": {"registration", "penalty_in_window", "rating_A"},
    "authorised": {"registration", "penalty_in_window", "rating_A", "loan_default"},
    "authorised_elsewhere": {"registration", "penalty_in_window", "rating_A"},
    "authorised_expired": {"registration", "penalty_in_window", "rating_A"},
    "enterprise": {"registration", "penalty_in_window", "penalty_ended", "rating_A", "rating_B",
                   "loan_default"},
    "other_enterprise": {"registration", "penalty_in_window", "rating_A"},
    "government": set(RECORDS) - {"loan_default"},  # 授权查询: a querier with a basis only
}
VIEWERS = {
    "public": Viewer.public(), "authorised": GRANTED, "authorised_elsewhere": GRANTED_ELSEWHERE,
    "authorised_expired": GRANT_EXPIRED, "enterprise": OWN, "other_enterprise": OTHER,
    "government": Viewer.government("gov"),
}


@pytest.mark.parametrize("viewer_name", list(VIEWERS))
def test_viewer_by_openness_matrix(viewer_name):
    seen = {name for name, r in RECORDS.items() if decide(r, VIEWERS[viewer_name], AT)}
    assert seen == EXPECTED[viewer_name]


def test_public_masks_id_numbers_and_shows_legal_rep():
    d = decide(pen("2026-01-10", fine=5.0, legal_rep="张三", legal_rep_id_number=ID_NO),
               Viewer.public(), AT)
    assert d.fields["legal_rep_id_number"] == "430***********1234"
    assert d.fields["legal_rep"] == "张三"
    assert "op" not in d.fields


@pytest.mark.parametrize("viewer", [OWN, GRANTED])
def test_non_government_viewers_see_masked_personal_data(viewer):
    assert decide(RECORDS["penalty_in_window"], viewer, AT).fields["legal_rep_id_number"] == "430***********1234"


def test_government_unmasked_only_where_policy_allows():
    gov = Viewer.government("gov")
    assert decide(RECORDS["police_case"], gov, AT).fields["legal_rep_id_number"] == ID_NO
    assert decide(RECORDS["penalty_in_window"], gov, AT).fields["legal_rep_id_number"] == "430***********1234"


def test_record_dated_after_view_date_is_shown_to_nobody():
    later = pen("2026-07-01", fine=5.0)
    assert decide(later, Viewer.government(), AT) is None


def test_ended_publication_marked_for_government_and_enterprise():
    for viewer in (Viewer.government(), OWN):
        d = decide(RECORDS["penalty_ended"], viewer, AT)
        assert MARK_ENDED in d.marks and not d.public


def test_open_objection_marks_record_for_every_viewer():
    marks = Marks(objections=frozenset({RECORDS["penalty_in_window"].key}))
    for viewer in VIEWERS.values():
        assert MARK_OBJECTION in decide(RECORDS["penalty_in_window"], viewer, AT, marks).marks


def test_approved_repair_ends_publication_early():
    record = RECORDS["penalty_in_window"]
    marks = Marks(repairs={record.key: date(2026, 5, 1)})
    assert decide(record, Viewer.public(), date(2026, 4, 30), marks) is not None
    assert decide(record, Viewer.public(), date(2026, 5, 1), marks) is None
    gov = decide(record, Viewer.government(), date(2026, 5, 1), marks)
    assert MARK_REPAIRED in gov.marks and MARK_ENDED in gov.marks
    assert gov.publicity.last_day == date(2026, 4, 30)


def test_viewer_validation():
    with pytest.raises(ValueError):
        Viewer("bank")
    with pytest.raises(ValueError):
        Viewer(AUTHORISED)
