"""Tables of what the platform signs: audit checkpoints and the credit report registry.

Both are append-only: an ORM update or delete of either is refused (credit/domain/audit.py,
credit/domain/reports/registry.py install the guards).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from credit.kernel.models import Base, utcnow


class AuditCheckpoint(Base):
    """A signed statement that the audit chain's head was ``entry_id`` with ``entry_hash``.

    ``statement`` is the exact signed text (canonical JSON); ``signature`` its Ed25519 signature
    in hex. Written in the same transaction as the entries it seals.
    """

    __tablename__ = "audit_checkpoints"
    __table_args__ = (Index("ix_audit_checkpoints_entry", "entry_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(Integer)
    entry_hash: Mapped[str] = mapped_column(String(64))
    made_at: Mapped[datetime] = mapped_column(default=utcnow)
    key_id: Mapped[str] = mapped_column(String(32))
    statement: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(128))


class CreditReport(Base):
    """One issued credit report (信用报告): for whom, about whom, and the SHA-256 of its signed PDF."""

    __tablename__ = "credit_reports"
    __table_args__ = (Index("ix_credit_reports_enterprise", "enterprise_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    enterprise_id: Mapped[int] = mapped_column(Integer)
    requested_id: Mapped[int] = mapped_column(Integer)
    enterprise_name: Mapped[str | None] = mapped_column(String(300))
    viewer: Mapped[str] = mapped_column(String(16))  # the gate's viewer kind
    viewer_label: Mapped[str] = mapped_column(String(300))  # for whom, as the public page may say it
    made_by: Mapped[str] = mapped_column(String(300))  # the actor, for the audit trail
    grant_id: Mapped[int | None] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    made_at: Mapped[datetime] = mapped_column(default=utcnow)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
