"""Regulator exports: the lists' rows as the CLI writes them, records through the gate, safe cells."""

from __future__ import annotations

import csv
import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select

from credit.domain import exports
from credit.domain.export_rows import Table
from credit.domain.exports import ExportSpec, cell_function, csv_cells
from credit.domain.gate import Record
from credit.domain.gate_fast import BulkGate
from credit.domain.workflow_models import AuditEntry
from credit.kernel.errors import InvalidInput, NotAllowed
from tests.credit.builders import add_record, penalty, rating, registration
from tests.credit.faces import list_text

AT = date(2026, 11, 1)
EVIL = "=HYPERLINK(\"http://evil\",\"点我\")"


def world(session):
    """Two enterprises on the black list, one on the red list, a formula in a name, a long digit code."""
    registration(session, "REG-1", enterprise_id=1, name=EVIL, uscc="91430100MA4L0XXX1X")
    penalty(session, "CF-1", "2026-06-01", enterprise_id=1, serious=True, fine=50.0, uscc="91430100MA4L0XXX1X")
    registration(session, "REG-2", enterprise_id=2, name="长沙二号科技有限公司", uscc="91430200MA4L0YYY2Y")
    penalty(session, "CF-2", "2026-05-01", enterprise_id=2, serious=True, fine=30.0, subject_name="+长沙二号")
    penalty(session, "CF-3", "2026-09-01", enterprise_id=2, fine=0.5, reg_no="430100000012345")
    for year in (2023, 2024, 2025):
        rating(session, f"TX-{year}", year, "A", enterprise_id=3)
    add_record(session, "public_security", "case", "GA-1", 2, party_name="长沙二号", legal_rep_id_number="430104198001011234",
               case_category="合同诈骗", filed_date="2026-01-05", case_status="立案侦查")
    session.commit()


def export(session, actor, spec, file_format, out):
    """``exports.export`` as a face calls it: its transaction committed (the files appear then)."""
    result = exports.export(session, actor, spec, file_format, out)
    session.commit()
    return result


def rows_of_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


@pytest.mark.parametrize("kind", ["black", "red"])
def test_a_list_export_has_the_rows_of_python_m_credit_lists(session, regulator, tmp_path, kind):
    world(session)
    cli = tmp_path / "cli.csv"
    list_text(session, kind, AT, out=str(cli))
    result = export(session, regulator, ExportSpec(kind, AT), "csv", tmp_path / "export.csv")
    assert rows_of_csv(result.path) == rows_of_csv(cli)
    assert result.rows == len(rows_of_csv(cli)) - 1 > 0


def test_formula_cells_are_neutralised_and_codes_stay_text_in_csv_and_xlsx(session, regulator, tmp_path):
    world(session)
    spec = ExportSpec("penalties", AT)
    out_csv = export(session, regulator, spec, "csv", tmp_path / "p.csv").path
    out_xlsx = export(session, regulator, spec, "xlsx", tmp_path / "p.xlsx").path
    cells = [c for row in rows_of_csv(out_csv) for c in row]
    assert "'+长沙二号" in cells and not [c for c in cells if c[:1] in ("=", "+", "@")]
    assert "\t430100000012345" in cells  # Excel keeps a long code as text
    sheet = load_workbook(out_xlsx).active
    values = [c for row in sheet.iter_rows() for c in row]
    assert all(c.data_type == "s" for c in values if c.value is not None)
    assert "'+长沙二号" in [c.value for c in values] and "430100000012345" in [c.value for c in values]
    black = export(session, regulator, ExportSpec("black", AT), "xlsx", tmp_path / "b.xlsx").path
    names = [c.value for row in load_workbook(black).active.iter_rows() for c in row]
    assert "'" + EVIL in names and EVIL not in names


def test_penalties_in_their_window_only_and_filters_apply(session, regulator, tmp_path):
    world(session)
    penalty(session, "CF-OLD", "2019-01-01", enterprise_id=2, fine=2.0)  # its window ended years ago
    session.commit()
    data = json.loads(export(session, regulator, ExportSpec("penalties", AT), "json", tmp_path / "p.json").path.read_text())
    assert sorted(r["record_id"] for r in data) == ["CF-1", "CF-2", "CF-3"]
    by_region = ExportSpec("penalties", AT, region="长沙")
    data = json.loads(export(session, regulator, by_region, "json", tmp_path / "r.json").path.read_text())
    assert [r["record_id"] for r in data] == ["CF-1"]  # the only one whose USCC names a 长沙 division
    later = ExportSpec("penalties", AT, date_from=date(2026, 5, 15))
    data = json.loads(export(session, regulator, later, "json", tmp_path / "d.json").path.read_text())
    assert sorted(r["record_id"] for r in data) == ["CF-1", "CF-3"]
    quality = ExportSpec("penalties", AT, department="quality")
    assert export(session, regulator, quality, "csv", tmp_path / "q.csv").rows == 0


def test_any_record_type_as_a_government_viewer_sees_it(session, regulator, tmp_path):
    world(session)
    spec = ExportSpec("records", AT, department="public_security", record_type="case")
    data = json.loads(export(session, regulator, spec, "json", tmp_path / "c.json").path.read_text())
    assert [r["record_id"] for r in data] == ["GA-1"]
    assert data[0]["legal_rep_id_number"] == "430104198001011234"  # policy: government sees police cases unmasked
    assert data[0]["openness"] == "政务共享"


def test_every_export_is_audited_with_its_filters_and_row_count(session, regulator, tmp_path):
    world(session)
    result = export(session, regulator, ExportSpec("penalties", AT, region="43"), "csv", tmp_path / "a.csv")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "export.penalties")).one()
    details = json.loads(entry.details)
    assert details["filters"] == {"kind": "penalties", "at": "2026-11-01", "region": "43"}
    assert details["rows"] == result.rows and details["format"] == "csv" and details["sha256"] == result.sha256


def test_personal_values_in_clear_are_audited_as_unmasked(session, regulator, tmp_path):
    world(session)
    spec = ExportSpec("records", AT, department="public_security", record_type="case")
    export(session, regulator, spec, "csv", tmp_path / "c.csv")
    unmask = session.scalars(select(AuditEntry).where(AuditEntry.action == "personal.unmask")).one()
    assert json.loads(unmask.details)["values"] == {"public_security/case.legal_rep_id_number": 1}
    assert unmask.subject == "export:c.csv" and unmask.actor == str(regulator)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "export.records")).one()
    assert json.loads(entry.details)["unmasked"] == {"public_security/case.legal_rep_id_number": 1}
    export(session, regulator, ExportSpec("penalties", AT), "csv", tmp_path / "p.csv")  # penalties stay masked
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "personal.unmask")).all() == [unmask]


def test_an_export_appears_only_when_its_audit_entry_commits(session, regulator, tmp_path):
    world(session)
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "black.csv"
    result = exports.export(session, regulator, ExportSpec("black", AT), "csv", out)
    assert not out.exists() and result.staged is not None and result.staged.is_file()
    session.rollback()  # e.g. the audit entry could not be written: no entry, so no file either
    assert sorted(p.name for p in folder.iterdir()) == []
    assert not session.scalars(select(AuditEntry).where(AuditEntry.action == "export.black")).all()
    result = exports.export(session, regulator, ExportSpec("black", AT), "csv", out)
    session.commit()
    assert sorted(p.name for p in folder.iterdir()) == ["black.csv", "black.csv.manifest.json", "black.csv.sig"]
    assert result.path == out and rows_of_csv(out)[1:]


def test_only_regulators_export_and_bad_requests_say_why(session, commerce_clerk, regulator, tmp_path):
    with pytest.raises(NotAllowed):
        export(session, commerce_clerk, ExportSpec("black", AT), "csv", tmp_path / "x.csv")
    with pytest.raises(InvalidInput, match="export kind"):
        ExportSpec("everything", AT)
    with pytest.raises(InvalidInput, match="needs"):
        ExportSpec("records", AT)
    with pytest.raises(InvalidInput, match="format"):
        export(session, regulator, ExportSpec("black", AT), "pdf", tmp_path / "x.pdf")
    with pytest.raises(InvalidInput, match="region"):
        export(session, regulator, ExportSpec("penalties", AT, region="火星"), "csv", tmp_path / "x.csv")


def test_an_export_is_signed_and_verifies_offline(session, regulator, tmp_path):
    from credit.domain.exports_signing import verify_export

    world(session)
    result = export(session, regulator, ExportSpec("black", AT), "csv", tmp_path / "signed.csv")
    assert result.manifest.is_file() and result.signature.is_file()
    check = verify_export(result.path)
    assert check.ok, check.problems
    assert check.manifest["rows"] == result.rows and check.manifest["filters"]["kind"] == "black"


def test_the_gate_bulk_path_gives_the_rows_record_by_record_decisions_give(session, regulator, tmp_path, monkeypatch):
    world(session)
    penalty(session, "CF-OLD", "2019-01-01", enterprise_id=2, fine=2.0)
    session.commit()
    specs = [ExportSpec("penalties", AT), ExportSpec("penalties", date(2026, 7, 1)), ExportSpec("abnormal", AT),
             ExportSpec("records", AT, department="public_security", record_type="case"),
             ExportSpec("records", AT, department="commerce", record_type="registration")]

    def rows(tag):
        return [rows_of_csv(export(session, regulator, spec, "csv", tmp_path / f"{tag}{i}.csv").path)
                for i, spec in enumerate(specs)]

    fast = rows("fast")
    monkeypatch.setattr(BulkGate, "verdict", lambda self, d, t, rid, eid, fields, revealed=None, record=None:
                        self._long_way(Record(d, t, rid, eid, 0, fields), revealed))  # gate.decide, one by one
    assert rows("slow") == fast
    assert [len(r) - 1 for r in fast] == [3, 2, 0, 1, 2]  # on 2026-07-01 CF-3 (2026-09-01) did not exist yet
    assert "430104198001011234" in [c.strip() for c in fast[3][1]]  # policy opens a police case's ID number to government users


@settings(max_examples=300, deadline=None)
@given(st.lists(st.none() | st.text(max_size=4) | st.integers() | st.floats(allow_nan=False) | st.booleans()
                | st.dates() | st.lists(st.text(max_size=3), max_size=2) | st.sampled_from(["=1", "+x", " -1", "123456789012"]),
                min_size=1, max_size=12), st.data())
def test_compiled_csv_cells_are_the_cells_csv_cells_gives(row, data):
    codes = frozenset(data.draw(st.sets(st.integers(0, len(row) - 1))))
    table = Table("t", [str(i) for i in range(len(row))], [str(i) for i in range(len(row))], codes, iter(()))
    assert cell_function(len(row), codes)(row) == csv_cells(table, row)


def test_a_queued_export_survives_a_retried_closing_transaction(engine, session, regulator):
    from sqlalchemy.orm import Session

    from credit.domain.exports_signing import verify_export
    from credit.domain.jobs import actor_payload

    world(session)
    payload = {"spec": ExportSpec("black", AT).filters(), "format": "csv", "actor": actor_payload(regulator)}
    result = exports.run_export_job(engine, payload, lambda *_: None)  # written, in a read-only transaction
    folder = exports.export_dir()
    assert [p.name for p in folder.iterdir() if not p.name.startswith(".")] == []
    with Session(engine) as first:  # the closing transaction fails (a concurrent writer) and is retried
        exports.finish_export_job(first, payload, result)
        first.rollback()
    assert [p.name for p in folder.iterdir() if not p.name.startswith(".")] == []
    with Session(engine) as again:
        closing = exports.finish_export_job(again, payload, result)
        again.commit()
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [closing["file"], closing["file"] + ".manifest.json", closing["file"] + ".sig"])
    assert verify_export(folder / closing["file"]).ok


def test_staged_files_a_killed_worker_left_are_deleted_after_a_day():
    import os
    import time

    folder = exports.export_dir()
    old, fresh = folder / ".old.csv.1.part", folder / ".fresh.csv.2.part"
    for path in (old, fresh):
        path.write_text("x")
    os.utime(old, (time.time() - 2 * 86400,) * 2)
    assert exports.sweep_staged().removed == 1 and not old.exists() and fresh.exists()


TRICKY = st.sampled_from(["=1", "+x", " -1", " x", "a,b", 'say "hi"', "two\nlines", "cr\rhere", "\tlead", "mid\ttab",
                          "－1", "＠x", "123456789012", "123456789012\n", "１２３４５６７８９０１２", "12345678901",
                          "430100000012345", "", ",", '"', "@", "长沙，市"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.none() | st.text(max_size=5) | TRICKY | st.integers() | st.floats(allow_nan=False)
                         | st.booleans() | st.dates() | st.lists(st.text(max_size=3) | TRICKY, max_size=2),
                         min_size=6, max_size=6), max_size=8),
       st.sets(st.integers(0, 5)))
def test_csv_lines_are_what_csv_writer_writes_of_the_safe_cells(rows, codes):
    import io

    from credit.domain.export_csv import csv_text

    table = Table("t", [str(i) for i in range(6)], [str(i) for i in range(6)], frozenset(codes), iter(()))
    expected = io.StringIO()
    csv.writer(expected).writerows(csv_cells(table, row) for row in rows)
    assert csv_text(rows, 6, frozenset(codes)) == expected.getvalue()


def many(session, n=40):
    """Enough records to be shared out between processes: penalties (formula names, long codes, regions),
    police cases (ID numbers government users see in clear), some outside the window or revoked."""
    for i in range(n):
        uscc = "91430100MA4L0XXX1X" if i % 3 else "914403001234567890"
        penalty(session, f"CF-{i:03d}", f"2026-{1 + i % 10:02d}-15", enterprise_id=1 + i % 7, fine=0.5 + i,
                serious=i % 5 == 0, uscc=uscc, subject_name=EVIL if i % 11 == 0 else f"长沙{i}号, 有限公司",
                reg_no="430100000012345" if i % 4 == 0 else None)
        add_record(session, "public_security", "case", f"GA-{i:03d}", 1 + i % 5, party_name=f"+当事人{i}",
                   legal_rep_id_number="430104198001011234", case_category="合同诈骗", filed_date="2026-01-05",
                   case_status="立案侦查")
    penalty(session, "CF-OLD", "2019-01-01", enterprise_id=2, fine=2.0)
    add_record(session, "public_security", "case", "GA-005", 2, op="revoke")
    session.commit()


@pytest.mark.parametrize("spec", [ExportSpec("penalties", AT), ExportSpec("penalties", AT, region="长沙"),
                                  ExportSpec("records", AT, department="public_security", record_type="case")],
                         ids=["penalties", "region", "cases"])
def test_an_export_shared_between_processes_is_the_file_one_process_writes(session, regulator, tmp_path,
                                                                           monkeypatch, spec):
    from dataclasses import replace

    from credit.domain import export_csv, export_rows

    many(session)
    table = exports.table_for(session, spec)  # the writer as it was: every row through csv.writer
    classic = tmp_path / "classic.csv"
    exports.write_csv(replace(table, batches=None), table.rows, classic)
    monkeypatch.setattr(export_csv, "PARALLEL_AFTER", 1)
    monkeypatch.setattr(export_csv, "PIECE", 3)
    monkeypatch.setattr(export_csv, "AHEAD", 2)
    started = []
    real_start = export_csv._Helpers.start
    monkeypatch.setattr(export_csv._Helpers, "start", classmethod(
        lambda cls, piece, count: started.append(count) or real_start.__func__(cls, piece, count)))
    files, audits = [], []
    for processes in ("1", "3"):
        monkeypatch.setenv("CREDIT_EXPORT_PROCESSES", processes)
        monkeypatch.setattr(export_rows, "FETCH", 4)
        result = export(session, regulator, spec, "csv", tmp_path / f"p{processes}.csv")
        files.append(result.path.read_bytes())
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == f"export.{spec.kind}")
                                .order_by(AuditEntry.id.desc())).first()
        details = json.loads(entry.details)
        audits.append((details["rows"], details.get("unmasked")))
    assert started == [0, 2]  # the second export had two helper processes
    assert files[0] == files[1] == classic.read_bytes()
    assert audits[0] == audits[1] and audits[0][0] == len(rows_of_csv(classic)) - 1 > 3
    if spec.kind == "records":
        assert audits[0][1] == {"public_security/case.legal_rep_id_number": audits[0][0]}
