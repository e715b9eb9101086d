"""Records stored in clear before encryption at rest are sealed in place, as ingest stores them now."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from credit.domain.keyring import seal_clear_values
from credit.domain.workflows import ROLE_ADMIN, Actor
from credit.kernel import keys
from credit.kernel.models import SourceRecord
from ingest.loader import ingest_file
from ingest.protect import RowProtector
from tests.trust.personal_values import clear_values_in

ADMIN = Actor("管理员", ROLE_ADMIN)
ID_NO = "43010219800101123X"
TAX20 = "43012119750505432101"


def _clear_protect(self, op, fields, identity, values, cells=None):  # type: ignore[no-untyped-def]
    """How ingest stored rows before encryption at rest (a table row's raw cells as a list, as now)."""
    clear = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
    return (hashlib.blake2b(op.encode() + b"|" + clear, digest_size=16).hexdigest(), clear,
            orjson.dumps(values if cells is None else cells, default=str), identity)


def _files(tmp_path: Path, suffix: str = "") -> list[tuple[Path, str, str]]:
    pen, tax = tmp_path / f"pen{suffix}.csv", tmp_path / f"tax{suffix}.csv"
    with open(pen, "w", encoding="utf-8-sig" if suffix else "utf-8", newline="") as fh:
        csv.writer(fh).writerows([["记录编号", "行政相对人名称", "法定代表人证件号码", "处罚类别", "处罚决定日期"],
                                  ["P1", "长沙某某科技有限公司", ID_NO, "罚款", "2026-01-10"]])
    with open(tax, "w", encoding="utf-8-sig" if suffix else "utf-8", newline="") as fh:
        csv.writer(fh).writerows([["记录编号", "纳税人识别号", "纳税人名称", "评价年度", "信用等级"],
                                  ["R1", TAX20, "长沙县王记米粉店", "2024", "A"]])
    return [(pen, "commerce", "penalty"), (tax, "tax", "credit_rating")]


def _stored(engine: Engine) -> bytes:
    with Session(engine) as session:
        return repr([tuple(r) for r in session.execute(select(SourceRecord.__table__))]).encode()


def test_clear_records_are_sealed_like_new_ones(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:
        m.setattr(RowProtector, "protect", _clear_protect)
        for path, dept, rtype in _files(tmp_path):
            ingest_file(engine, path, dept, rtype, parallel=False)
    assert clear_values_in(_stored(engine), {ID_NO, TAX20}) == [ID_NO, TAX20]

    result = seal_clear_values(engine, ADMIN, batch=1)
    assert result.rows == 2 and result.by_type == {"commerce/penalty": 1, "tax/credit_rating": 1}
    assert clear_values_in(_stored(engine), {ID_NO, TAX20}) == []
    store = keys.current()
    with Session(engine) as session:
        rows = {r.record_id: r for r in session.scalars(select(SourceRecord))}
    assert rows["P1"].legal_rep_id == store.pseudonym(ID_NO)
    assert rows["R1"].taxpayer_id == store.pseudonym(TAX20[:18]) + "01"
    assert store.open(orjson.loads(rows["P1"].fields)["legal_rep_id_number"]) == ID_NO
    assert seal_clear_values(engine, ADMIN).rows == 0  # idempotent

    for path, dept, rtype in _files(tmp_path, suffix="-again"):  # the same rows in other files
        again = ingest_file(engine, path, dept, rtype, parallel=False)
        assert (again.unchanged, again.loaded) == (1, 0)
