"""Reviewers decide uncertain pairs; clerks of the source department answer objections and repairs."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from credit.domain.inbox import answer_objection, answer_repair, department_inbox
from credit.domain.objections import file_objection
from credit.domain.repair import apply_for_repair
from credit.domain.review import decide_review, evidence_lines, review_pair, review_queue
from credit.domain.workflow_models import Objection, RepairApplication
from credit.kernel.errors import Conflict, InvalidInput, NotAllowed
from credit.kernel.models import SourceRecord
from matching.models import MatchJudgement, RecordLink, ReviewItem
from matching.service import resolve
from tests.credit.builders import add_record, penalty

LEFT, RIGHT, OTHER = "commerce/registration/REG-A", "tax/credit_rating/TX-A", "quality/spot_check/QS-A"


def pairs(session):
    add_record(session, "commerce", "registration", "REG-A", 1, name="长沙星辰科技有限公司", legal_rep="张三")
    add_record(session, "tax", "credit_rating", "TX-A", 2, taxpayer_name="长沙星辰科技公司", year=2024, grade="A")
    add_record(session, "quality", "spot_check", "QS-A", 3, inspected_name="星辰科技（长沙）有限公司")
    session.add_all([ReviewItem(left_key=LEFT, right_key=RIGHT, score=0.72, explanation="名称相似 0.93, 无共同代码",
                                status="open"),
                     ReviewItem(left_key=LEFT, right_key=OTHER, score=0.61, explanation="名称相似 0.85", status="open")])
    session.commit()
    return [i.id for i in session.scalars(select(ReviewItem).order_by(ReviewItem.score.desc()))]


def test_the_queue_filters_by_department_and_score_and_shows_both_sides(session, reviewer):
    first, second = pairs(session)
    assert [p.id for p in review_queue(session, reviewer)] == [first, second]
    assert [p.id for p in review_queue(session, reviewer, department="quality")] == [second]
    assert [p.id for p in review_queue(session, reviewer, min_score=0.7)] == [first]
    pair = review_pair(session, reviewer, first)
    assert pair.evidence == ["名称相似 0.93", "无共同代码"]
    assert pair.left.identity["name"] == "长沙星辰科技有限公司" and pair.left.department_zh
    assert pair.right.record_id == "TX-A" and "row" in pair.right.source


def test_only_reviewers_see_and_decide_the_queue(session, engine, commerce_clerk):
    first, _ = pairs(session)
    with pytest.raises(NotAllowed):
        review_queue(session, commerce_clerk)
    with pytest.raises(NotAllowed):
        decide_review(engine, commerce_clerk, first, "same")


def test_same_is_a_judgement_the_next_resolve_honours(session, engine, reviewer):
    first, _ = pairs(session)
    decision = decide_review(engine, reviewer, first, "same", note="同一企业，更名前后")
    assert decision.verdict == "same"
    resolve(engine, full=True)
    session.expire_all()
    links = {r: e for r, e in session.execute(select(RecordLink.record_id, RecordLink.enterprise_id))}
    assert links["REG-A"] == links["TX-A"]
    assert session.scalars(select(MatchJudgement.verdict)).all() == ["same"]
    with pytest.raises(Conflict):
        decide_review(engine, reviewer, first, "different")


def test_different_keeps_them_apart_and_skip_moves_a_pair_to_the_end(session, engine, reviewer):
    first, second = pairs(session)
    decide_review(engine, reviewer, first, "skip")
    assert [p.id for p in review_queue(session, reviewer)] == [second, first]
    assert review_queue(session, reviewer)[1].skipped
    decide_review(engine, reviewer, second, "different")
    resolve(engine, full=True)
    session.expire_all()
    links = {r: e for r, e in session.execute(select(RecordLink.record_id, RecordLink.enterprise_id))}
    assert links["REG-A"] != links["QS-A"]
    with pytest.raises(InvalidInput):
        decide_review(engine, reviewer, first, "maybe")


def test_evidence_lines_split_the_explanation():
    assert evidence_lines("same USCC, name 0.96 + same legal rep") == ["same USCC", "name 0.96 + same legal rep"]
    assert evidence_lines(None) == []
    stored = '[["same_uscc",12.0],["name_points",4.9,0.96,1],["uscc"]]'
    assert evidence_lines(stored) == ["same USCC", "former name 0.96", "same USCC"]


def objections(session, company):
    penalty(session, "CF-1", "2026-01-10", fine=5.0)
    penalty(session, "CF-2", "2026-02-10", fine=5.0)
    old = file_objection(session, company, "commerce", "penalty", "CF-1", reason="金额有误", on=date(2026, 3, 2))
    new = file_objection(session, company, "commerce", "penalty", "CF-2", reason="并非本企业", on=date(2026, 3, 20))
    app = apply_for_repair(session, company, "commerce", "penalty", "CF-1", proof="已缴纳罚款", on=date(2026, 4, 20))
    session.commit()
    return old, new, app


def test_the_inbox_lists_open_items_overdue_first_with_their_deadlines(session, company, commerce_clerk, tax_clerk):
    old, new, app = objections(session, company)
    box = department_inbox(session, commerce_clerk, date(2026, 3, 23))
    assert [(i.id, i.overdue) for i in box.objections] == [(old.id, True), (new.id, False)]
    assert box.objections[0].due_on == old.due_on and box.overdue >= 1
    assert [i.id for i in box.repairs] == [app.id] and box.repairs[0].kind == "repair"
    assert department_inbox(session, tax_clerk, date(2026, 3, 23)).objections == []


def test_answers_come_only_from_the_source_department_and_are_recorded(session, company, commerce_clerk, tax_clerk):
    old, new, app = objections(session, company)
    with pytest.raises(NotAllowed):
        answer_objection(session, tax_clerk, old.id, "reject", reason="无", on=date(2026, 3, 5))
    with pytest.raises(InvalidInput):
        answer_objection(session, commerce_clerk, old.id, "maybe", reason="?", on=date(2026, 3, 5))
    answer_objection(session, commerce_clerk, old.id, "uphold", reason="核实金额有误", on=date(2026, 3, 5),
                     corrected={"fine_amount": 0.5})
    answer_objection(session, commerce_clerk, new.id, "reject", reason="经核实属实", on=date(2026, 3, 25))
    with pytest.raises(NotAllowed):
        answer_repair(session, tax_clerk, app.id, "approve", reason="同意", on=date(2026, 4, 22))
    answer_repair(session, commerce_clerk, app.id, "refuse", reason="整改材料不全", on=date(2026, 4, 22))
    session.commit()
    statuses = {r: s for r, s in session.execute(select(Objection.record_id, Objection.status))}
    assert statuses == {"CF-1": "upheld", "CF-2": "rejected"}
    assert session.scalar(select(RepairApplication.status)) == "rejected"
    versions = session.scalars(select(SourceRecord.version).where(SourceRecord.record_id == "CF-1")).all()
    assert sorted(versions) == [1, 2]
    assert department_inbox(session, commerce_clerk, date(2026, 4, 23)).objections == []


def test_personal_values_a_pair_shows_in_clear_are_audited(session, reviewer):
    from credit.domain.workflow_models import AuditEntry

    operator = "430104198001011234"
    add_record(session, "commerce", "registration", "REG-P", 1, name="长沙市岳麓区刘记副食店", legal_rep="刘明")
    add_record(session, "tax", "major_violation", "MV-P", 2, taxpayer_name="长沙市岳麓区刘记副食店",
               taxpayer_id=operator + "01", legal_rep="刘明", legal_rep_id_number=operator)
    session.add(ReviewItem(left_key="commerce/registration/REG-P", right_key="tax/major_violation/MV-P", score=0.8,
                           explanation="名称相同", status="open"))
    session.commit()
    pair = review_queue(session, reviewer)[0]
    assert pair.right.identity["taxpayer_id"] == operator + "01"  # policy opens the operator's ID number here
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "personal.unmask")).one()
    assert entry.actor == str(reviewer) and "tax/major_violation/MV-P.taxpayer_id" in entry.details
