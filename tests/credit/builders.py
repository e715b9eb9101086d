"""Small builders that insert records directly (ingest and matching are not needed)."""

from __future__ import annotations

import hashlib
import json
from itertools import count
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from credit.kernel.catalog import load_catalog
from credit.kernel.models import Batch, SourceRecord
from matching.models import Enterprise, RecordLink

_SEQ = count(1)


def ensure_enterprise(session: Session, enterprise_id: int, **kw: Any) -> Enterprise:
    """The enterprise with this id, created when missing."""
    ent = session.get(Enterprise, enterprise_id)
    if ent is None:
        ent = Enterprise(id=enterprise_id, **kw)
        session.add(ent)
        session.flush()
    return ent


def full_fields(department: str, record_type: str, **fields: Any) -> dict[str, Any]:
    """Every catalog key of the type, None unless given."""
    rt = load_catalog().get(department, record_type)
    out = {c.key: None for c in rt.columns}
    unknown = set(fields) - set(out)
    assert not unknown, f"not columns of {department}/{record_type}: {unknown}"
    out.update(fields)
    return out


def add_record(
    session: Session, department: str, record_type: str, record_id: str,
    enterprise_id: int | None = 1, op: str = "upsert", **fields: Any,
) -> SourceRecord:
    """Insert one new version (batch, source record, link, enterprise) and return it."""
    values = full_fields(department, record_type, record_id=record_id, **fields)
    n = next(_SEQ)
    digest = hashlib.sha256(f"{department}{record_type}{record_id}{n}".encode()).hexdigest()
    batch = Batch(department=department, record_type=record_type, filename=f"test-{n}.csv",
                  file_hash=digest, file_format="csv")
    session.add(batch)
    session.flush()
    version = (session.scalar(select(func.max(SourceRecord.version)).where(
        SourceRecord.department == department, SourceRecord.record_type == record_type,
        SourceRecord.record_id == record_id)) or 0) + 1
    text = json.dumps(values, ensure_ascii=False)
    src = SourceRecord(
        department=department, record_type=record_type, record_id=record_id, version=version,
        op=op, content_hash=digest[:32], fields=text, raw=text, batch_id=batch.id,
        file_hash=digest, row_number=n, name=_name(values), uscc=values.get("uscc"),
    )
    session.add(src)
    if enterprise_id is not None:
        ensure_enterprise(session, enterprise_id)
        _link(session, department, record_type, record_id, enterprise_id)
    session.flush()
    return src


def _name(values: dict[str, Any]) -> str | None:
    for key in ("name", "subject_name", "taxpayer_name", "borrower_name", "inspected_name", "party_name"):
        if values.get(key):
            return str(values[key])
    return None


def _link(session: Session, department: str, record_type: str, record_id: str, enterprise_id: int) -> None:
    link = session.scalars(select(RecordLink).where(
        RecordLink.department == department, RecordLink.record_type == record_type,
        RecordLink.record_id == record_id)).first()
    if link is None:
        session.add(RecordLink(department=department, record_type=record_type,
                               record_id=record_id, enterprise_id=enterprise_id))


def penalty(session: Session, record_id: str, decision_date: str, *, enterprise_id: int = 1,
            kinds: list[str] | None = None, fine: float | None = None, serious: bool | None = None,
            department: str = "commerce", record_type: str = "penalty", **fields: Any) -> SourceRecord:
    """An administrative penalty decided on ``decision_date``."""
    return add_record(session, department, record_type, record_id, enterprise_id,
                      subject_name=fields.pop("subject_name", "长沙某某科技有限公司"),
                      penalty_kinds=kinds if kinds is not None else ["罚款"], fine_amount=fine,
                      decision_date=decision_date, serious=serious, **fields)


def registration(session: Session, record_id: str = "REG-1", *, enterprise_id: int = 1,
                 **fields: Any) -> SourceRecord:
    """A commerce registration record."""
    base = {"name": "长沙某某科技有限公司", "uscc": "91430100MA4L0XXX1X", "legal_rep": "张三",
            "status": "存续", "address": "长沙市岳麓区", "approval_date": "2018-01-01"}
    base.update(fields)
    return add_record(session, "commerce", "registration", record_id, enterprise_id, **base)


def rating(session: Session, record_id: str, year: int, grade: str, *, enterprise_id: int = 1) -> SourceRecord:
    """A tax credit rating of one evaluation year."""
    return add_record(session, "tax", "credit_rating", record_id, enterprise_id,
                      taxpayer_name="长沙某某科技有限公司", taxpayer_id="91430100MA4L0XXX1X",
                      year=year, grade=grade)
