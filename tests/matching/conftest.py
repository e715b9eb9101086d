"""Builders for matching tests: records straight into source_records, and valid codes."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select
from stdnum.cn.uscc import calc_check_digit

from credit.kernel.identifiers import org_code_check
from credit.kernel.models import Batch, SourceRecord

_counter = itertools.count(1)


def org(seed: int) -> str:
    """A valid 9-character organization code."""
    body = "MA" + "".join("0123456789ABCDEFGHJK"[(seed * 7 + i * 13 + i * i) % 20] for i in range(6))
    return body + org_code_check(body)


def uscc(seed: int, division: str = "430100", kind: str = "91") -> str:
    """A valid USCC containing ``org(seed)``."""
    body = kind + division + org(seed)
    return body + calc_check_digit(body)


def swap(code: str, i: int) -> str:
    """The code with characters i and i+1 transposed (or the next differing pair after i)."""
    while code[i] == code[i + 1]:
        i += 1
    return code[:i] + code[i + 1] + code[i] + code[i + 2:]


def add(engine: Engine, *records: dict[str, Any]) -> None:
    """Insert source record versions; each dict needs department, record_type, record_id."""
    with engine.begin() as conn:
        batch = conn.execute(insert(Batch).values(department="x", record_type="x", filename="t",
                                                  file_hash=f"h{next(_counter)}", file_format="csv")
                             .returning(Batch.id)).scalar_one()
        for i, rec in enumerate(records):
            rec = dict(rec)
            key = (rec["department"], rec["record_type"], rec["record_id"])
            version = conn.execute(select(func.coalesce(func.max(SourceRecord.version), 0)).where(
                SourceRecord.department == key[0], SourceRecord.record_type == key[1],
                SourceRecord.record_id == key[2])).scalar_one() + 1
            rec.setdefault("op", "upsert")
            conn.execute(insert(SourceRecord).values(
                version=version, content_hash=hashlib.md5(repr(rec).encode()).hexdigest(), fields="{}", raw="{}",
                batch_id=batch, file_hash="f", row_number=i + 1, **rec))


def rec(key: str, **identity: Any) -> dict[str, Any]:
    """A record dict from ``department/type/id`` and identity columns."""
    department, record_type, record_id = key.split("/", 2)
    return {"department": department, "record_type": record_type, "record_id": record_id, **identity}


@pytest.fixture
def db(sqlite_engine: Engine) -> Engine:
    return sqlite_engine
