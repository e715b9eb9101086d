"""Encrypted personal values as each viewer meets them: masks without keys, clear and audited for
government users where policy allows, corrections stored like ingested values."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from credit.domain.objections import file_objection, uphold_objection
from credit.domain.queries import view_profile
from credit.domain.workflow_models import AuditEntry
from credit.domain.workflows import ROLE_CLERK, ROLE_ENTERPRISE, ROLE_PUBLIC, ROLE_REGULATOR, Actor
from credit.kernel import keys
from credit.kernel.models import Batch, SourceRecord
from credit.kernel.rawrow import raw_values
from ingest.loader import ingest_file
from matching.models import RecordLink
from matching.service import resolve

ID_NO = "43010219800101123X"
ID_MASK = "430***********123X"
TAX20 = "43012119750505432101"
USCC = "91430100MA4L0XXX1X"
AT = date(2026, 3, 1)


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path) -> Engine:
    """A police case and a penalty carrying an ID number, a major tax case and a rating of an
    individual business under its 20-character taxpayer id; ingested and resolved."""
    case = _csv(tmp_path / "case.csv", [
        ["记录编号", "涉案单位名称", "统一社会信用代码", "法定代表人", "法定代表人身份证号码", "立案日期", "案件状态"],
        ["C1", "长沙某某科技有限公司", USCC, "张三", ID_NO, "2026-01-05", "立案侦查"]])
    pen = _csv(tmp_path / "pen.csv", [
        ["记录编号", "行政相对人名称", "统一社会信用代码", "法定代表人", "法定代表人证件号码", "处罚类别", "罚款金额（万元）",
         "处罚决定日期"],
        ["P1", "长沙某某科技有限公司", USCC, "张三", ID_NO, "罚款", "5", "2026-01-10"]])
    major = _csv(tmp_path / "major.csv", [
        ["记录编号", "纳税人识别号", "纳税人名称", "法定代表人身份证号码", "案件性质", "公布日期"],
        ["M1", TAX20, "长沙县王记米粉店", TAX20[:18], "偷税", "2026-01-20"]])
    rating = _csv(tmp_path / "rating.csv", [
        ["记录编号", "纳税人识别号", "纳税人名称", "评价年度", "信用等级"],
        ["R1", TAX20, "长沙县王记米粉店", "2024", "A"]])
    for path, dept, rtype in ((case, "public_security", "case"), (pen, "commerce", "penalty"),
                              (major, "tax", "major_violation"), (rating, "tax", "credit_rating")):
        ingest_file(engine, path, dept, rtype)
    resolve(engine)
    return engine


def _enterprise(session: Session, record_id: str) -> int:
    return int(session.scalar(select(RecordLink.enterprise_id).where(RecordLink.record_id == record_id)) or 0)


def _fields(session: Session, actor: Actor, record_id: str) -> dict:
    profile = view_profile(session, actor, _enterprise(session, record_id), at=AT)
    return next(r.fields for r in profile.records if r.record_id == record_id)


def _unmask_entries(session: Session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "personal.unmask")))


def test_public_sees_masks_without_any_key(loaded: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(keys.ENV_KEY_FILE, str(tmp_path / "no-keys-here.json"))
    with Session(loaded) as session:
        assert _fields(session, Actor("市民", ROLE_PUBLIC), "P1")["legal_rep_id_number"] == ID_MASK
        major = _fields(session, Actor("市民", ROLE_PUBLIC), "M1")
        assert major["taxpayer_id"] == "430*************2101" and major["legal_rep_id_number"] == "430***********4321"
        assert _unmask_entries(session) == []


def test_government_sees_clear_values_policy_allows_and_each_view_is_audited(loaded: Engine) -> None:
    regulator = Actor("监管员", ROLE_REGULATOR)
    with Session(loaded) as session:
        assert _fields(session, regulator, "C1")["legal_rep_id_number"] == ID_NO
        (entry,) = _unmask_entries(session)
        details = json.loads(entry.details)
        assert entry.actor == "监管员" and "public_security/case/C1.legal_rep_id_number" in details["fields"]
        assert all(".legal_rep_id_number" in f or ".taxpayer_id" in f for f in details["fields"])
        assert _fields(session, regulator, "P1")["legal_rep_id_number"] == ID_MASK   # penalties stay masked
        major = _fields(session, regulator, "M1")
        assert (major["taxpayer_id"], major["legal_rep_id_number"]) == (TAX20, TAX20[:18])
        assert _fields(session, regulator, "R1")["taxpayer_id"] == "430*************2101"


def test_the_enterprise_itself_sees_masks(loaded: Engine) -> None:
    with Session(loaded) as session:
        eid = _enterprise(session, "P1")
        fields = _fields(session, Actor("李四", ROLE_ENTERPRISE, enterprise_id=eid), "P1")
        assert fields["legal_rep_id_number"] == ID_MASK


def test_government_view_without_keys_is_one_clear_error(loaded: Engine, monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    monkeypatch.setenv(keys.ENV_KEY_FILE, str(tmp_path / "no-keys-here.json"))
    with Session(loaded) as session, pytest.raises(keys.KeysMissing, match="keys init"):
        _fields(session, Actor("监管员", ROLE_REGULATOR), "C1")


def test_identity_columns_hold_pseudonyms_of_one_person(loaded: Engine) -> None:
    with Session(loaded) as session:
        rows = {r.record_id: r for r in session.scalars(select(SourceRecord))}
    store = keys.current()
    assert rows["C1"].legal_rep_id == rows["P1"].legal_rep_id == store.pseudonym(ID_NO)
    assert rows["M1"].taxpayer_id == rows["R1"].taxpayer_id == store.pseudonym(TAX20[:18]) + "01"
    assert rows["M1"].legal_rep_id == store.pseudonym(TAX20[:18])


def test_raw_rows_hold_a_reference_or_a_sealed_cell(engine: Engine, tmp_path: Path) -> None:
    """A raw cell that is exactly its normalised value points at the sealed field; one written
    otherwise is sealed itself."""
    pen = _csv(tmp_path / "pen.csv", [
        ["记录编号", "行政相对人名称", "法定代表人证件号码", "处罚类别", "处罚决定日期"],
        ["P1", "长沙某某科技有限公司", ID_NO, "罚款", "2026-01-10"],
        ["P2", "长沙某某科技有限公司", "430102 19800101 123x", "罚款", "2026-01-11"]])
    ingest_file(engine, pen, "commerce", "penalty")
    with Session(engine) as session:
        headers = session.scalars(select(Batch.raw_headers)).one()
        raw = {r.record_id: raw_values(r.raw, headers)["法定代表人证件号码"]
               for r in session.scalars(select(SourceRecord))}
    assert raw["P1"] == {"$same": "legal_rep_id_number"}
    assert keys.is_sealed(raw["P2"]) and keys.current().open(raw["P2"]) == "430102 19800101 123x"


def test_an_upheld_correction_stores_the_new_id_number_sealed(loaded: Engine) -> None:
    new_id = "430102198202021234"
    with Session(loaded) as session:
        eid = _enterprise(session, "P1")
        obj = file_objection(session, Actor("李四", ROLE_ENTERPRISE, enterprise_id=eid), "commerce", "penalty", "P1",
                             reason="证件号码有误", on=AT)
        uphold_objection(session, Actor("王科员", ROLE_CLERK, department="commerce"), obj.id, reason="更正",
                         on=AT, corrected={"legal_rep_id_number": new_id})
        session.commit()
        newest = session.scalars(select(SourceRecord).where(SourceRecord.record_id == "P1")
                                 .order_by(SourceRecord.version.desc())).first()
        assert newest is not None and newest.version == 2
        stored = json.loads(newest.fields)["legal_rep_id_number"]
        assert keys.is_sealed(stored) and keys.current().open(stored) == new_id
        assert new_id not in newest.fields + newest.raw + newest.content_hash + newest.file_hash
        assert newest.legal_rep_id == keys.current().pseudonym(new_id)
        assert _fields(session, Actor("市民", ROLE_PUBLIC), "P1")["legal_rep_id_number"] == "430***********1234"
