"""Tables of the credit workflows: lawful queries, objections, credit repair and the audit log.

Workflow rows change state (open -> upheld); every change is also an entry in ``audit_log``,
which is append-only and hash-chained (credit/audit.py).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from credit.kernel.models import Base, utcnow


class RecordRefMixin:
    """The department record a workflow is about."""

    department: Mapped[str] = mapped_column(String(32))
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(100))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))


class QueryGrant(Base):
    """Authorisation of one querier to see one enterprise's 授权查询 records for a limited time."""

    __tablename__ = "query_grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    querier: Mapped[str] = mapped_column(String(200))
    querier_user: Mapped[str] = mapped_column(String(100))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    legal_basis: Mapped[str | None] = mapped_column(Text)
    consent_ref: Mapped[str | None] = mapped_column(String(200))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QueryLog(Base):
    """One authorised query: who asked, about whom, on what basis, when."""

    __tablename__ = "query_log"
    __table_args__ = (Index("ix_query_log_enterprise", "enterprise_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("query_grants.id"))
    querier: Mapped[str] = mapped_column(String(200))
    querier_user: Mapped[str] = mapped_column(String(100))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    legal_basis: Mapped[str | None] = mapped_column(Text)
    consent_ref: Mapped[str | None] = mapped_column(String(200))
    as_of: Mapped[date] = mapped_column(Date)
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)


class Objection(RecordRefMixin, Base):
    """An objection (异议) to a record: open, then upheld or rejected by the source department."""

    __tablename__ = "objections"
    __table_args__ = (Index("ix_objections_record", "department", "record_type", "record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    filed_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    filed_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    extensions: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|upheld|rejected
    decided_on: Mapped[date | None] = mapped_column(Date)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    correction_source_id: Mapped[int | None] = mapped_column(ForeignKey("source_records.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RepairApplication(RecordRefMixin, Base):
    """A credit repair (信用修复) application: pending, approved, rejected or refused."""

    __tablename__ = "repair_applications"
    __table_args__ = (Index("ix_repair_record", "department", "record_type", "record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    applicant: Mapped[str] = mapped_column(String(100))
    proof: Mapped[str] = mapped_column(Text)
    applied_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # pending|approved|rejected|refused
    possible_from: Mapped[date | None] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """One decision, with who, when and why; ``entry_hash`` = sha256(prev_hash + content)."""

    __tablename__ = "audit_log"
    __table_args__ = (UniqueConstraint("prev_hash"), Index("ix_audit_log_enterprise", "enterprise_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text, default="{}")
    enterprise_id: Mapped[int | None] = mapped_column(Integer)  # the enterprise concerned, for ``audit show``
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
