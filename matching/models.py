"""Storage of resolution results: enterprises with stable ids and the link of each source record.

Links are derived state (recomputed by ``resolve``), so they are updated in place; enterprises are
never deleted: a merged or split enterprise keeps its row with a status and a successor.

Beside them: ``enterprise_events`` (new / merge / split, so an old id leads to its successor),
``match_judgements`` (a person's same / different, which wins on every later run),
``review_items`` (uncertain pairs waiting for a person), ``match_keys`` (hashed blocking keys of
every linked record, so an incremental run finds the existing records a new one may match) and
``resolution_runs`` (one row per run; its ``max_source_id`` is the incremental watermark).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from credit.kernel.models import Base, utcnow


class Enterprise(Base):
    """A resolved enterprise. ``status`` is active, merged (see ``successor_id``) or split."""

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)  # merged ids, found fast
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
    # the source_records.id of the version the link was computed from
    source_id: Mapped[int | None] = mapped_column(Integer)


class EnterpriseEvent(Base):
    """What a resolution run did to an enterprise: new, merge (into other_id) or split (off other_id)."""

    __tablename__ = "enterprise_events"
    __table_args__ = (Index("ix_enterprise_events_enterprise", "enterprise_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # new | merge | split
    enterprise_id: Mapped[int] = mapped_column(Integer)
    other_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MatchJudgement(Base):
    """A person's verdict on two records (keys ``department/type/record_id``): same or different."""

    __tablename__ = "match_judgements"
    __table_args__ = (Index("ix_match_judgements_pair", "left_key", "right_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    left_key: Mapped[str] = mapped_column(String(200))
    right_key: Mapped[str] = mapped_column(String(200))
    verdict: Mapped[str] = mapped_column(String(16))  # same | different
    judged_by: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReviewItem(Base):
    """An uncertain pair waiting for a person, with both sides and the explanation of its score."""

    __tablename__ = "review_items"
    __table_args__ = (
        UniqueConstraint("left_key", "right_key"),
        Index("ix_review_items_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    left_key: Mapped[str] = mapped_column(String(200))
    right_key: Mapped[str] = mapped_column(String(200))
    score: Mapped[float] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(Text)
    left_summary: Mapped[str | None] = mapped_column(Text)
    right_summary: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | judged
    run_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MatchKey(Base):
    """A hashed blocking key of a linked record (``record_links.id``)."""

    __tablename__ = "match_keys"
    __table_args__ = (Index("ix_match_keys_hash", "key_hash"), Index("ix_match_keys_link", "link_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[int] = mapped_column(BigInteger)
    link_id: Mapped[int] = mapped_column(Integer)


class ResolutionRun(Base):
    """One run of ``resolve``: full or incremental, its watermark and what it changed."""

    __tablename__ = "resolution_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))  # full | incremental
    max_source_id: Mapped[int] = mapped_column(Integer, default=0)
    records: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
