"""Black and red lists on given dates, from the public view."""

import csv
from datetime import date

import pytest

from credit.domain.cells import safe_cell
from credit.domain.lists import black_list, latest_released_year, red_list
from credit.domain.repair import apply_for_repair, approve_repair
from tests.credit.builders import add_record, ensure_enterprise, penalty, rating, registration
from tests.credit.faces import list_text


def ids(entries):
    return [e.enterprise_id for e in entries]


def test_serious_penalty_in_window(session):
    registration(session)
    penalty(session, "P1", "2025-01-10", fine=5.0, serious=True)
    penalty(session, "P2", "2025-01-10", enterprise_id=2, fine=5.0, serious=False)
    assert ids(black_list(session, date(2025, 1, 9))) == []
    (entry,) = black_list(session, date(2025, 1, 10))
    assert entry.enterprise_id == 1 and entry.name == "长沙某某科技有限公司"
    assert entry.reasons[0].record_id == "P1"
    assert (entry.reasons[0].since, entry.reasons[0].until) == (date(2025, 1, 10), date(2028, 1, 9))
    assert ids(black_list(session, date(2028, 1, 9))) == [1]
    assert ids(black_list(session, date(2028, 1, 10))) == []


def test_major_tax_case_in_window(session):
    add_record(session, "tax", "major_violation", "M1", taxpayer_name="x", published_date="2024-03-01")
    assert ids(black_list(session, date(2027, 2, 28))) == [1]
    assert ids(black_list(session, date(2027, 3, 1))) == []


def test_major_tax_case_removed_early_by_repair(session, company, tax_clerk):
    add_record(session, "tax", "major_violation", "M1", taxpayer_name="x", published_date="2024-03-01")
    app = apply_for_repair(session, company, "tax", "major_violation", "M1", proof="完税证明",
                           on=date(2025, 1, 1))
    approve_repair(session, tax_clerk, app.id, reason="已缴清", on=date(2025, 1, 2))
    assert ids(black_list(session, date(2025, 1, 1))) == [1]
    assert ids(black_list(session, date(2025, 1, 2))) == []


def test_abnormal_listing_unremoved_three_years(session):
    add_record(session, "commerce", "abnormal_list", "AB1", name="x", listed_date="2022-05-01")
    add_record(session, "commerce", "abnormal_list", "AB2", enterprise_id=2, name="y",
               listed_date="2022-05-01", removed_date="2025-05-01")
    assert ids(black_list(session, date(2025, 4, 30))) == []
    assert ids(black_list(session, date(2025, 5, 1))) == [1]


def test_d_rating_latest_year(session):
    rating(session, "T1", 2024, "D")
    rating(session, "T2", 2024, "B", enterprise_id=2)
    assert latest_released_year(date(2025, 4, 1)) == 2024
    assert latest_released_year(date(2025, 3, 31)) == 2023
    assert ids(black_list(session, date(2025, 3, 31))) == []
    (entry,) = black_list(session, date(2025, 4, 1))
    assert entry.enterprise_id == 1
    assert (entry.reasons[0].since, entry.reasons[0].until) == (date(2025, 4, 1), date(2026, 3, 31))
    assert ids(black_list(session, date(2026, 3, 31))) == [1]
    assert ids(black_list(session, date(2026, 4, 1))) == []     # 2025 is now the latest year


def _red_candidate(session, eid=1):
    for year in (2023, 2024, 2025):
        rating(session, f"T{eid}-{year}", year, "A", enterprise_id=eid)


def test_red_list_three_a_years(session):
    _red_candidate(session)
    rating(session, "T2-2023", 2023, "A", enterprise_id=2)
    rating(session, "T2-2024", 2024, "B", enterprise_id=2)
    rating(session, "T2-2025", 2025, "A", enterprise_id=2)
    assert ids(red_list(session, date(2026, 3, 31))) == []      # 2022 not rated
    (entry,) = red_list(session, date(2026, 4, 1))
    assert entry.enterprise_id == 1
    assert [r.text for r in entry.reasons] == ["纳税信用2025年度A级", "纳税信用2024年度A级", "纳税信用2023年度A级"]


def test_red_list_excludes_negative_records_in_window(session):
    _red_candidate(session)
    penalty(session, "P1", "2025-06-01", fine=5.0)       # public 2025-06-01 .. 2026-05-31
    assert ids(red_list(session, date(2026, 5, 31))) == []
    assert ids(red_list(session, date(2026, 6, 1))) == [1]
    ensure_enterprise(session, 3)
    _red_candidate(session, 3)
    add_record(session, "quality", "spot_check", "S1", enterprise_id=3, inspected_name="z",
               result="不合格", announced_date="2023-06-05")
    assert 3 not in ids(red_list(session, date(2026, 6, 4)))
    assert 3 in ids(red_list(session, date(2026, 6, 5)))     # 36 months after the failed check


@pytest.mark.parametrize("kind, fields", [
    ("major_violation", {"department": "tax", "taxpayer_name": "x", "published_date": "2025-01-01"}),
    ("abnormal_list", {"department": "commerce", "name": "x", "listed_date": "2025-01-01"}),
    ("arrears", {"department": "tax", "taxpayer_name": "x", "balance_yuan": 10.0,
                 "announced_date": "2025-01-01"}),
])
def test_red_list_excludes_other_negative_records(session, kind, fields):
    _red_candidate(session)
    fields = dict(fields)
    department = fields.pop("department")
    add_record(session, department, kind, "N1", **fields)
    assert ids(red_list(session, date(2026, 6, 1))) == []


def test_red_list_after_minor_penalty_window_ends(session):
    _red_candidate(session)
    penalty(session, "P1", "2026-03-15", kinds=["通报批评"])    # public 03-15 .. 06-14
    assert ids(red_list(session, date(2026, 6, 14))) == []
    assert ids(red_list(session, date(2026, 6, 15))) == [1]


def test_severe_kinds_without_serious_flag_not_black(session):
    penalty(session, "P1", "2025-01-10", kinds=["吊销许可证件"])
    penalty(session, "P2", "2025-01-10", enterprise_id=2, kinds=["吊销许可证件"], serious=True)
    assert ids(black_list(session, date(2025, 6, 1))) == [2]


def test_serious_flag_outweighs_warning_only(session):
    # the department's 严重失信 designation makes the decision severe: published and listed
    penalty(session, "P1", "2025-01-10", kinds=["警告"], serious=True)
    assert ids(black_list(session, date(2025, 6, 1))) == [1]


def test_black_list_on_merged_enterprise(session):
    from matching.models import Enterprise
    registration(session, enterprise_id=2)
    penalty(session, "P1", "2025-01-10", enterprise_id=1, fine=5.0, serious=True)
    ent = session.get(Enterprise, 1)
    ent.status, ent.successor_id = "merged", 2
    session.flush()
    (entry,) = black_list(session, date(2025, 6, 1))
    assert entry.enterprise_id == 2 and entry.name == "长沙某某科技有限公司"


def test_reason_carries_objection_mark(session, company):
    from credit.domain.objections import file_objection
    penalty(session, "P1", "2025-01-10", fine=5.0, serious=True)
    file_objection(session, company, "commerce", "penalty", "P1", reason="不服", on=date(2025, 2, 1))
    (entry,) = black_list(session, date(2025, 2, 1))
    assert entry.reasons[0].marks == ("异议处理中",)
    (before,) = black_list(session, date(2025, 1, 31))
    assert before.reasons[0].marks == ()
    assert "异议处理中" in list_text(session, "black", date(2025, 2, 1))


def test_lists_command_text_and_csv(session, tmp_path):
    registration(session, name="=HYPERLINK(\"x\")")
    penalty(session, "P1", "2025-01-10", fine=5.0, serious=True)
    text = list_text(session, "black", date(2025, 2, 1))
    assert text.splitlines()[0].startswith("严重失信主体名单 black list — 日期 date 2025-02-01")
    assert "公众 public" in text.splitlines()[0]
    out = tmp_path / "black.csv"
    summary = list_text(session, "black", date(2025, 2, 1), str(out))
    assert "1 家企业" in summary and "enterprises written to" in summary
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][:5] == ["名单 list", "日期 date", "视角 viewer", "企业编号 enterprise_id", "企业名称 name"]
    assert len(rows) == 2
    assert rows[1][1] == "2025-02-01" and rows[1][2] == "公众 public"
    assert rows[1][4].startswith("'=")
    assert "0 家企业" in list_text(session, "red", date(2025, 2, 1), str(tmp_path / "red.csv"))


@pytest.mark.parametrize("value, safe", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("  =1", "'  =1"), ("＝1", "'＝1"),
    ("长沙=公司", "长沙=公司"), ("", ""), (None, ""), (12, "12"),
])
def test_safe_cell(value, safe):
    assert safe_cell(value) == safe


def test_export_audited(session, tmp_path):
    from credit.domain import audit
    list_text(session, "red", date(2025, 2, 1))
    list_text(session, "red", date(2025, 2, 1), str(tmp_path / "r.csv"))
    entries = audit.entries_about(session, "list:red")
    assert [e.action for e in entries] == ["list.view", "list.export"]
    assert '"viewer": "public"' in entries[1].details and audit.verify(session).ok
