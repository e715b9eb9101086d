"""Pure Record builders for gate tests that need no database."""

from __future__ import annotations

from typing import Any

from credit.domain.gate import Record
from tests.credit.builders import full_fields


def rec(department: str, record_type: str, record_id: str = "R1", enterprise_id: int = 1,
        **fields: Any) -> Record:
    """A current record of the type with every catalog key (None unless given)."""
    values = full_fields(department, record_type, record_id=record_id, **fields)
    return Record(department, record_type, record_id, enterprise_id, 1, values, 1, "f" * 64, 2)


def pen(decision_date: str, kinds: list[str] | None = None, fine: float | None = None,
        serious: bool | None = None, department: str = "commerce", record_type: str = "penalty",
        **fields: Any) -> Record:
    """A penalty record."""
    return rec(department, record_type, subject_name="某某公司",
               penalty_kinds=kinds if kinds is not None else ["罚款"], fine_amount=fine,
               decision_date=decision_date, serious=serious, **fields)
