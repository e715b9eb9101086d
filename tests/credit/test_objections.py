"""Objections: filing, marking, working-day deadlines, one extension, decisions, overdue."""

import json
from datetime import date

import pytest
from sqlalchemy import select

from credit.domain import audit
from credit.domain.gate import MARK_OBJECTION, Viewer
from credit.domain.objections import (
    extend_objection,
    file_objection,
    objections_about,
    overdue_objections,
    reject_objection,
    uphold_objection,
)
from credit.domain.profile import build_profile
from credit.domain.workflows import Actor, Conflict, InvalidInput, NotAllowed, NotFound
from credit.kernel.models import Batch, SourceRecord
from tests.credit.builders import add_record, penalty

FILED = date(2026, 2, 10)       # Tuesday before the 2026 Spring Festival


@pytest.fixture
def objection(session, company):
    penalty(session, "P1", "2026-01-10", fine=5.0, violation_type="虚假宣传")
    return file_objection(session, company, "commerce", "penalty", "P1", reason="金额有误", on=FILED)


def test_deadline_counts_working_days_across_spring_festival(objection):
    # 02-11, 02-12, 02-13, make-up Saturday 02-14, (02-15..02-23 off), 02-24
    assert objection.due_on == date(2026, 2, 24)
    assert objection.status == "open"


def test_record_marked_while_open_for_every_viewer(session, objection):
    for viewer in (Viewer.public(), Viewer.government(), Viewer.enterprise(1)):
        (record,) = build_profile(session, 1, viewer, FILED).records
        assert MARK_OBJECTION in record.marks
    (before,) = build_profile(session, 1, Viewer.public(), date(2026, 2, 9)).records
    assert MARK_OBJECTION not in before.marks


def test_only_the_enterprise_may_object(session, objection):
    other = Actor("x", "enterprise", enterprise_id=2)
    answers = []
    for record_id in ("P1", "nope"):  # another enterprise's record, no record: the same answer
        with pytest.raises(NotFound) as refused:
            file_objection(session, other, "commerce", "penalty", record_id, reason="r", on=FILED)
        answers.append(str(refused.value).replace(record_id, "ID"))
    assert answers[0] == answers[1] and "enterprise 1" not in answers[0] and "企业 1" not in answers[0]
    with pytest.raises(NotAllowed):
        file_objection(session, Actor("c", "clerk", department="commerce"), "commerce", "penalty", "P1",
                       reason="r", on=FILED)


def test_a_record_hidden_from_the_enterprise_cannot_be_probed(session, company):
    add_record(session, "public_security", "case", "PS1", 1, party_name="x", case_category="非法集资",
               filed_date="2026-01-05", case_status="立案侦查")
    with pytest.raises(NotFound, match="本企业没有记录"):
        file_objection(session, company, "public_security", "case", "PS1", reason="r", on=FILED)
    assert objections_about(session, 1) == []


def test_second_open_objection_refused(session, objection, company):
    with pytest.raises(Conflict):
        file_objection(session, company, "commerce", "penalty", "P1", reason="again", on=FILED)


def test_reason_required(session, company):
    penalty(session, "P2", "2026-01-10", fine=5.0)
    with pytest.raises(InvalidInput):
        file_objection(session, company, "commerce", "penalty", "P2", reason=" ", on=FILED)


def test_extension_once_across_make_up_saturday(session, objection, commerce_clerk):
    extend_objection(session, commerce_clerk, objection.id, reason="需核查原始材料", on=date(2026, 2, 24))
    # 02-25, 02-26, 02-27, make-up Saturday 02-28, 03-02
    assert objection.due_on == date(2026, 3, 2)
    with pytest.raises(Conflict):
        extend_objection(session, commerce_clerk, objection.id, reason="again", on=date(2026, 2, 25))


def test_extension_after_due_date_refused(session, objection, commerce_clerk):
    with pytest.raises(Conflict):
        extend_objection(session, commerce_clerk, objection.id, reason="late", on=date(2026, 2, 25))


def test_only_source_department_decides(session, objection, tax_clerk, company):
    for actor in (tax_clerk, company):
        with pytest.raises(NotAllowed):
            reject_objection(session, actor, objection.id, reason="no", on=FILED)


def test_overdue_listed_for_regulators(session, objection):
    assert overdue_objections(session, date(2026, 2, 24)) == []
    assert overdue_objections(session, date(2026, 2, 25)) == [objection]


def test_upheld_revoke_appends_version(session, objection, commerce_clerk):
    uphold_objection(session, commerce_clerk, objection.id, reason="处罚已撤销", on=date(2026, 2, 12))
    versions = session.scalars(select(SourceRecord).where(SourceRecord.record_id == "P1")
                               .order_by(SourceRecord.version)).all()
    assert [(v.version, v.op) for v in versions] == [(1, "upsert"), (2, "revoke")]
    batch = session.get(Batch, versions[1].batch_id)
    assert batch.file_format == "correction" and batch.filename == f"objection:{objection.id} upheld"
    assert objection.status == "upheld" and objection.correction_source_id == versions[1].id
    assert build_profile(session, 1, Viewer.government(), date(2026, 2, 12)).records == []
    assert overdue_objections(session, date(2026, 3, 30)) == []
    with pytest.raises(Conflict):
        reject_objection(session, commerce_clerk, objection.id, reason="x", on=date(2026, 2, 13))


def test_upheld_correction_appends_corrected_version(session, objection, commerce_clerk):
    uphold_objection(session, commerce_clerk, objection.id, reason="金额更正", on=date(2026, 2, 12),
                     corrected={"fine_amount": 0.5})
    (record,) = build_profile(session, 1, Viewer.government(), date(2026, 2, 12)).records
    assert record.fields["fine_amount"] == 0.5 and record.provenance["version"] == 2
    assert record.publicity.category == "minor"
    assert MARK_OBJECTION not in record.marks
    # the objection was open on 02-11: historical views keep the mark
    (then,) = build_profile(session, 1, Viewer.government(), date(2026, 2, 11)).records
    assert MARK_OBJECTION in then.marks
    first = session.scalars(select(SourceRecord).where(SourceRecord.version == 1)).one()
    assert json.loads(first.fields)["fine_amount"] == 5.0


def test_correction_of_unknown_column_refused(session, objection, commerce_clerk):
    with pytest.raises(InvalidInput):
        uphold_objection(session, commerce_clerk, objection.id, reason="x", on=FILED,
                         corrected={"nonsense": 1})


def test_rejected_keeps_record_and_reason(session, objection, commerce_clerk):
    reject_objection(session, commerce_clerk, objection.id, reason="证据不足", on=date(2026, 2, 13))
    assert (objection.status, objection.decision_reason) == ("rejected", "证据不足")
    assert len(build_profile(session, 1, Viewer.public(), date(2026, 2, 13)).records) == 1
    assert objections_about(session, 1) == [objection]


def test_every_step_audited(session, objection, commerce_clerk):
    extend_objection(session, commerce_clerk, objection.id, reason="核查", on=FILED)
    reject_objection(session, commerce_clerk, objection.id, reason="证据不足", on=date(2026, 2, 13))
    entries = audit.entries_about(session, f"objection:{objection.id}")
    assert [e.action for e in entries] == ["objection.file", "objection.extend", "objection.reject"]
    assert entries[-1].reason == "证据不足" and "王科员" in entries[-1].actor
    assert audit.verify(session).ok


def test_correction_may_not_touch_op_or_record_id(session, objection, commerce_clerk):
    for bad in ({"op": "revoke"}, {"record_id": "P9"}):
        with pytest.raises(InvalidInput):
            uphold_objection(session, commerce_clerk, objection.id, reason="x", on=FILED, corrected=bad)


def test_corrected_name_reaches_identity_view(session, objection, commerce_clerk):
    uphold_objection(session, commerce_clerk, objection.id, reason="名称更正", on=date(2026, 2, 12),
                     corrected={"subject_name": "长沙新名称有限公司"})
    newest = session.scalars(select(SourceRecord).where(SourceRecord.record_id == "P1")
                             .order_by(SourceRecord.version.desc())).first()
    assert newest.name == "长沙新名称有限公司"


def test_merged_enterprise_may_object_to_records_of_absorbed_id(session, commerce_clerk):
    from matching.models import Enterprise
    from tests.credit.builders import ensure_enterprise
    ensure_enterprise(session, 2)
    penalty(session, "P7", "2026-01-10", enterprise_id=1, fine=5.0)
    ent = session.get(Enterprise, 1)
    ent.status, ent.successor_id = "merged", 2
    session.flush()
    successor = Actor("新公司", "enterprise", enterprise_id=2)
    obj = file_objection(session, successor, "commerce", "penalty", "P7", reason="r", on=FILED)
    assert obj.enterprise_id == 2 and objections_about(session, 1) == [obj]
    with pytest.raises(NotFound):  # the absorbed id no longer acts for the record
        file_objection(session, Actor("旧", "enterprise", enterprise_id=1), "commerce", "penalty", "P7",
                       reason="r", on=FILED)
