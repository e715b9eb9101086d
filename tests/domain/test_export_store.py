"""Stored gate decisions: an export made with them is the file the gate writes record by record,
and a stored decision stops counting when what it was decided from changes."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from credit.domain import export_csv, export_rows, export_store, exports, policy
from credit.domain.exports import ExportSpec
from credit.domain.work_models import ExportDecision
from credit.domain.workflow_models import Objection, RepairApplication
from tests.credit.builders import add_record, penalty
from tests.domain.test_exports import AT, EVIL, many, rows_of_csv

SPECS = [ExportSpec("records", AT, department="commerce", record_type="penalty"),
         ExportSpec("records", date(2026, 5, 1), department="commerce", record_type="penalty"),  # some not yet
         ExportSpec("records", date(2031, 1, 1), department="commerce", record_type="penalty"),  # every one ended
         ExportSpec("penalties", AT), ExportSpec("penalties", date(2026, 7, 20)),
         ExportSpec("penalties", AT, region="长沙"), ExportSpec("penalties", AT, date_from=date(2026, 5, 15)),
         ExportSpec("records", AT, department="commerce", record_type="penalty", date_to=date(2026, 3, 31)),
         ExportSpec("abnormal", AT),
         ExportSpec("records", AT, department="public_security", record_type="case")]


def world(session):
    """``many`` and what else a window can be: unpublished (警告 only), no decision date, a stated end
    beyond the maximum, abnormal listings in force and removed, a personal value, odd cells."""
    many(session)
    penalty(session, "CF-WARN", "2026-03-01", enterprise_id=3, kinds=["警告"])
    penalty(session, "CF-NODATE", "", enterprise_id=3, fine=3.0)
    penalty(session, "CF-LONG", "2026-02-10", enterprise_id=4, fine=8.0, publicity_until="2030-01-01",
            legal_rep_id_number="430104198001011234", subject_name='引号"与,逗号', reg_no="430100000099999")
    penalty(session, "CF-TAB", "2026-04-02", enterprise_id=5, fine=2.0, subject_name="\t开头", uscc="-91430100")
    add_record(session, "commerce", "abnormal_list", "AB-1", 2, listed_reason="=未年报", listed_date="2026-02-01")
    add_record(session, "commerce", "abnormal_list", "AB-2", 3, listed_reason="地址失联", listed_date="2025-02-01",
               removed_date="2026-03-01")
    session.commit()


def export(session, regulator, spec, out):
    result = exports.export(session, regulator, spec, "csv", out)
    session.commit()
    return result


def prepare(engine, spec=None, **kw):
    specs = [spec] if spec else SPECS
    types = {(rt.department, rt.name): rt for s in specs for rt in export_rows.export_types(s)}
    return export_store.prepare(engine, list(types.values()), **kw)


@pytest.fixture
def counted(monkeypatch):
    """How many rows were decided from their fields (not from a stored decision) since reset."""
    seen = {"live": 0}
    real = export_store.StoredLines._live

    def live(self, rows, out, unmasked):
        seen["live"] += len(rows)
        return real(self, rows, out, unmasked)

    monkeypatch.setattr(export_store.StoredLines, "_live", live)
    return seen


def gate_file(session, regulator, spec, out, monkeypatch):
    """The export as the gate writes it record by record: no stored decision counts."""
    with monkeypatch.context() as m:
        m.setattr(export_store, "basis", lambda kind="government": "none")
        return export(session, regulator, spec, out).path.read_bytes()


def test_an_export_with_stored_decisions_is_the_file_the_gate_writes(engine, session, regulator, tmp_path,
                                                                     monkeypatch, counted):
    world(session)
    before = [export(session, regulator, s, tmp_path / f"b{i}.csv").path.read_bytes() for i, s in enumerate(SPECS)]
    assert counted["live"] > 0
    made = prepare(engine)
    police = session.scalar(select(func.count()).select_from(ExportDecision)
                            .join(export_rows.SourceRecord, export_rows.SourceRecord.id == ExportDecision.source_id)
                            .where(export_rows.SourceRecord.department == "public_security"))
    assert made > 40 and police == 0  # police cases show ID numbers to government users: never stored
    assert prepare(engine) == 0  # nothing left to make
    counted["live"] = 0
    after = [export(session, regulator, s, tmp_path / f"a{i}.csv").path.read_bytes() for i, s in enumerate(SPECS)]
    assert after == before
    assert counted["live"] == len(rows_of_csv(tmp_path / "a9.csv")) - 1  # only the police cases, from their fields
    assert [len(rows_of_csv(tmp_path / f"a{i}.csv")) - 1 for i in range(3)] == [45, 21, 45]
    stored = b"".join(session.scalars(select(ExportDecision.value_cells)))
    assert b"430104198001011234" not in stored and b"430***********1234" in stored
    assert "停止公示".encode() in after[2] and EVIL.encode() not in after[0]


def test_stored_and_gate_lines_mix_in_order_across_helper_processes(engine, session, regulator, tmp_path,
                                                                    monkeypatch):
    world(session)
    spec = SPECS[0]
    prepare(engine, spec)
    for i in range(0, 40, 3):  # new versions: their decisions are not stored yet
        penalty(session, f"CF-{i:03d}", "2026-08-15", enterprise_id=6, fine=40.0 + i, subject_name=f"+新版本{i}")
    session.commit()
    expected = gate_file(session, regulator, spec, tmp_path / "gate.csv", monkeypatch)
    monkeypatch.setattr(export_csv, "PARALLEL_AFTER", 1)
    monkeypatch.setattr(export_csv, "PIECE", 3)
    monkeypatch.setattr(export_rows, "FETCH", 4)
    monkeypatch.setenv("CREDIT_EXPORT_PROCESSES", "2")
    started = []
    real_start = export_csv._Helpers.start
    monkeypatch.setattr(export_csv._Helpers, "start", classmethod(
        lambda cls, piece, count: started.append(count) or real_start.__func__(cls, piece, count)))
    assert export(session, regulator, spec, tmp_path / "mixed.csv").path.read_bytes() == expected
    assert started == [1]  # a helper process decided parts holding new versions
    assert prepare(engine, spec) == 14


def test_a_new_version_is_decided_from_its_fields_until_its_own_decision_is_stored(engine, session, regulator,
                                                                                   tmp_path, monkeypatch, counted):
    world(session)
    spec = SPECS[0]
    prepare(engine, spec)
    penalty(session, "CF-001", "2026-09-30", enterprise_id=2, fine=77.0, subject_name="更正后的名称")
    session.commit()
    counted["live"] = 0
    first = export(session, regulator, spec, tmp_path / "n1.csv").path.read_bytes()
    assert counted["live"] == 1
    rows = {r[9]: r for r in rows_of_csv(tmp_path / "n1.csv")[1:]}
    assert rows["CF-001"][3] == "2" and "更正后的名称" in rows["CF-001"] and first.count(b"CF-001") == 1
    assert first == gate_file(session, regulator, spec, tmp_path / "g.csv", monkeypatch)
    assert prepare(engine, spec) == 1
    counted["live"] = 0
    assert export(session, regulator, spec, tmp_path / "n2.csv").path.read_bytes() == first
    assert counted["live"] == 0
    add_record(session, "commerce", "penalty", "CF-002", 2, op="revoke")  # revoked: gone, whatever is stored
    session.commit()
    assert "CF-002" not in [r[9] for r in rows_of_csv(export(session, regulator, spec, tmp_path / "n3.csv").path)]


def test_an_objection_filed_after_the_decisions_were_stored_marks_the_record(engine, session, regulator, tmp_path,
                                                                             monkeypatch, counted):
    world(session)
    spec = SPECS[0]
    prepare(engine, spec)
    session.add(Objection(department="commerce", record_type="penalty", record_id="CF-004", enterprise_id=5,
                          version=1, filed_by="企业", reason="有误", filed_on=date(2026, 10, 1),
                          due_on=date(2026, 10, 9)))
    session.commit()
    counted["live"] = 0
    data = export(session, regulator, spec, tmp_path / "o.csv").path.read_bytes()
    assert counted["live"] == 0
    rows = {r[9]: r for r in rows_of_csv(tmp_path / "o.csv")[1:]}
    assert rows["CF-004"][8] == "异议处理中" and rows["CF-005"][8] == ""
    assert data == gate_file(session, regulator, spec, tmp_path / "g.csv", monkeypatch)


def test_an_approved_repair_ends_the_window_whatever_was_stored(engine, session, regulator, tmp_path, monkeypatch,
                                                                counted):
    world(session)
    spec = ExportSpec("penalties", AT)
    prepare(engine, spec)
    stored_before = export(session, regulator, spec, tmp_path / "r0.csv")
    assert "CF-007" in [r[9] for r in rows_of_csv(stored_before.path)]
    session.add(RepairApplication(department="commerce", record_type="penalty", record_id="CF-007", enterprise_id=1,
                                  applicant="企业", proof="已整改", applied_on=date(2026, 9, 1), status="approved",
                                  decided_on=date(2026, 10, 1)))
    session.commit()
    counted["live"] = 0
    data = export(session, regulator, spec, tmp_path / "r.csv").path.read_bytes()
    assert counted["live"] == 1  # the repaired record, decided again from its fields
    assert "CF-007" not in [r[9] for r in rows_of_csv(tmp_path / "r.csv")]  # no longer public: not in the window
    assert data == gate_file(session, regulator, spec, tmp_path / "g.csv", monkeypatch)
    records = SPECS[0]
    rows = {r[9]: r for r in rows_of_csv(export(session, regulator, records, tmp_path / "rr.csv").path)[1:]}
    assert rows["CF-007"][7] == "2026-09-30" and "已信用修复" in rows["CF-007"][8]


def test_a_policy_change_makes_every_stored_decision_stale(engine, session, regulator, tmp_path, monkeypatch,
                                                           counted):
    world(session)
    spec = SPECS[0]
    prepare(engine, spec)
    old = export(session, regulator, spec, tmp_path / "p0.csv").path.read_bytes()
    changed = policy.load_policy()
    changed = {**changed, "penalty": {**changed["penalty"], "categories": {
        **changed["penalty"]["categories"], "general": {"min_months": 3, "max_months": 6}}}}
    for module in (policy, export_store):  # the rules and the basis read the new policy
        monkeypatch.setattr(module, "load_policy", lambda path=None: changed)
    counted["live"] = 0
    new = export(session, regulator, spec, tmp_path / "p1.csv").path.read_bytes()
    assert counted["live"] == 45 and new != old  # every row decided from its fields under the new policy
    assert new == gate_file(session, regulator, spec, tmp_path / "g.csv", monkeypatch)
    assert prepare(engine, spec) == 45 and session.scalar(select(func.count()).select_from(ExportDecision)) == 45
    counted["live"] = 0
    assert export(session, regulator, spec, tmp_path / "p2.csv").path.read_bytes() == new
    assert counted["live"] == 0


def test_a_key_rotation_or_a_change_of_the_deciding_code_makes_another_basis(engine, session, regulator, tmp_path,
                                                                            monkeypatch, counted):
    from credit.kernel import keys

    monkeypatch.setenv(keys.ENV_KEY_DIR, str(tmp_path / "keys"))
    keys.init_keys(tmp_path / "keys" / keys.DATA_KEYS_NAME)
    world(session)
    spec = SPECS[0]
    prepare(engine, spec)
    first = export_store.basis()
    keys.begin_rotation()
    assert export_store.basis() != first
    counted["live"] = 0
    data = export(session, regulator, spec, tmp_path / "k.csv").path.read_bytes()
    assert counted["live"] == 45
    assert prepare(engine, spec) == 45
    counted["live"] = 0
    assert export(session, regulator, spec, tmp_path / "k2.csv").path.read_bytes() == data and counted["live"] == 0
    rotated = export_store.basis()
    monkeypatch.setattr(export_store, "_code_digest", lambda: "another version of the gate")
    assert export_store.basis() != rotated


def test_a_type_prepared_through_its_last_version_is_not_searched_again(engine, session, regulator, tmp_path,
                                                                       monkeypatch, counted):
    """Once every version of a type was offered a decision (the mark), a prepare with nothing newer
    makes nothing and does not look; a new version is found and decided."""
    world(session)
    spec = SPECS[0]
    assert prepare(engine, spec) > 0
    looked = {"n": 0}
    real = export_store.Decider.__call__

    def decide(self, *args):
        looked["n"] += 1
        return real(self, *args)

    monkeypatch.setattr(export_store.Decider, "__call__", decide)
    assert prepare(engine, spec) == 0 and looked["n"] == 0
    penalty(session, "CF-001", "2026-09-30", enterprise_id=2, fine=77.0, subject_name="更正后的名称")
    session.commit()
    assert prepare(engine, spec) == 1 and looked["n"] == 1
    counted["live"] = 0
    out = export(session, regulator, spec, tmp_path / "m.csv").path.read_bytes()
    assert counted["live"] == 0 and out == gate_file(session, regulator, spec, tmp_path / "g.csv", monkeypatch)
