"""Storage of resolution results: enterprises with stable ids and the link of each source record.

Links are derived state (recomputed by ``resolve``), so they are updated in place; enterprises are
never deleted: a merged or split enterprise keeps its row with a status and a successor.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from credit.models import Base, utcnow


class Enterprise(Base):
    """A resolved enterprise. ``status`` is active, merged (see ``successor_id``) or split."""

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecordLink(Base):
    """Which enterprise one source record (all its versions) belongs to, and why."""

    __tablename__ = "record_links"
    __table_args__ = (
        UniqueConstraint("department", "record_type", "record_id"),
        Index("ix_record_links_enterprise", "enterprise_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department: Mapped[str] = mapped_column(String(32))
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(100))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    score: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
