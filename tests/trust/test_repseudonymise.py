"""Pseudonyms stored under the former rule (a valid check character for every ID-shaped number)
are rewritten by `keys repseudonymise`, and search and matching follow."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from credit.domain.audit import verify
from credit.domain.repseudonymise import repseudonymise
from credit.domain.search import search
from credit.domain.workflow_models import AuditEntry
from credit.domain.workflows import ROLE_ADMIN, ROLE_PUBLIC, Actor
from credit.kernel import keys
from credit.kernel.identifiers import gb11643_check, gb11643_valid
from credit.kernel.models import SourceRecord
from ingest.loader import ingest_file
from tests.cli.fixtures import cli, database, db  # noqa: F401

ADMIN = Actor("管理员", ROLE_ADMIN)
PUBLIC = Actor("citizen", ROLE_PUBLIC)
AT = date(2025, 6, 1)
BODY = "43010219800101123"
GOOD = BODY + gb11643_check(BODY)
BAD = BODY[:16] + "9" + gb11643_check(BODY)  # one digit mistyped: fails its check
TAX20_BAD = BAD + "01"


def _former_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """How pseudonyms were made before 2026-12-02: the check character always right."""
    monkeypatch.setattr(keys, "_pseudonym_check", lambda body, code: gb11643_check(body))
    keys.current()._pseudonyms.clear()


def _files(tmp_path: Path) -> list[tuple[Path, str, str]]:
    pen, tax = tmp_path / "pen.csv", tmp_path / "tax.csv"
    with open(pen, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["记录编号", "行政相对人名称", "法定代表人证件号码", "处罚类别", "处罚决定日期"],
                                  ["P1", "长沙某某科技有限公司", GOOD, "罚款", "2026-01-10"],
                                  ["P2", "长沙另一科技有限公司", BAD, "罚款", "2026-01-11"]])
    with open(tax, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["记录编号", "纳税人识别号", "纳税人名称", "评价年度", "信用等级"],
                                  ["R1", TAX20_BAD, "长沙县王记米粉店", "2024", "A"]])
    return [(pen, "commerce", "penalty"), (tax, "tax", "credit_rating")]


def _identity(engine: Engine) -> dict[str, tuple[str | None, str | None]]:
    with Session(engine) as session:
        return {r.record_id: (r.legal_rep_id, r.taxpayer_id) for r in session.scalars(select(SourceRecord))}


def test_pseudonyms_of_numbers_failing_their_check_are_rewritten(engine: Engine, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    assert gb11643_valid(GOOD) and not gb11643_valid(BAD)
    with monkeypatch.context() as m:
        _former_rule(m)
        for path, dept, rtype in _files(tmp_path):
            ingest_file(engine, path, dept, rtype, parallel=False)
    keys.current()._pseudonyms.clear()
    before = _identity(engine)
    assert gb11643_valid(before["P2"][0])  # the former rule: valid-looking

    result = repseudonymise(engine, ADMIN, batch=1)
    store = keys.current()
    after = _identity(engine)
    assert (result.rows, result.changed_rows, result.values) == (3, 2, 2)
    assert after["P1"] == before["P1"] == (store.pseudonym(GOOD), None)  # a valid number keeps its pseudonym
    assert after["P2"][0] == store.pseudonym(BAD) != before["P2"][0] and not gb11643_valid(after["P2"][0])
    assert after["R1"][1] == store.pseudonym(BAD) + "01"
    assert repseudonymise(engine, ADMIN).changed_rows == 0  # resumable: nothing left to do
    with Session(engine) as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "keys.repseudonymise")).all()
        assert [e.subject for e in entries] == ["source_records", "source_records"]
        assert verify(session).ok


def test_the_command_rewrites_then_search_finds_the_operator_by_the_20_character_id(
        cli, database, db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    code, _, err = cli("init-db")
    assert code == 0, err
    with monkeypatch.context() as m:
        _former_rule(m)
        for path, dept, rtype in _files(tmp_path):
            code, _, err = cli("ingest", path, "--department", dept, "--type", rtype)
            assert code == 0, err
    keys.current()._pseudonyms.clear()
    with Session(db) as session:
        assert search(session, PUBLIC, TAX20_BAD, at=AT).only is None  # the index holds the former pseudonym
    code, out, err = cli("keys", "repseudonymise", "--quiet")
    assert code == 0, err
    assert "改写 rewrote 2 个值 values in 2 行 rows" in out and "归集" in out + err
    with Session(db) as session:
        found = search(session, PUBLIC, TAX20_BAD, at=AT)
        assert found.only is not None and found.only in [h.enterprise_id for h in search(session, PUBLIC, "王记米粉店", at=AT).hits]
