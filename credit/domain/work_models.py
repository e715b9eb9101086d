"""Tables of the work floor: background jobs, clerks' uploads and their rejected rows, review skips.

``jobs`` is the queue and its source of truth (docs/jobs.md): a job is claimed by writing a lease
on its row, renewed by heartbeats in ``job_beats`` (a sidecar database beside an SQLite file, the
same database on PostgreSQL), and a job whose lease ran out is re-queued or failed by any worker.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from credit.kernel.models import Base, utcnow


class Job(Base):
    """One unit of long work: queued, running (leased to one worker), done or failed."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        UniqueConstraint("coalesce_key"),
        Index("ix_jobs_status_run_after", "status", "run_after"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # ingest | resolve | export
    lane: Mapped[str | None] = mapped_column(String(100))  # at most one running job per lane
    payload: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|done|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None] = mapped_column()
    # the same request twice is one job (an upload: department, type and file hash)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    # while queued, a second request of the same work joins this job (cleared when it starts)
    coalesce_key: Mapped[str | None] = mapped_column(String(200))
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    progress_note: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class JobBeat(Base):
    """The live state of a running job: its lease renewed by heartbeats, and its progress."""

    __tablename__ = "job_beats"

    job_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    lease_until: Mapped[datetime] = mapped_column()
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    progress_note: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Upload(Base):
    """One file a clerk handed in (web form or API): its job, then the batch it became."""

    __tablename__ = "uploads"
    __table_args__ = (Index("ix_uploads_department", "department", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department: Mapped[str] = mapped_column(String(32))
    record_type: Mapped[str] = mapped_column(String(32))
    original_name: Mapped[str] = mapped_column(String(500))  # shown only, never used as a path
    stored_name: Mapped[str] = mapped_column(String(100))  # generated: <uuid>.<ext>
    file_hash: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    file_format: Mapped[str | None] = mapped_column(String(16))
    submitted_by: Mapped[str] = mapped_column(String(200))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    resent_of: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))  # a re-sent file: the batch it was
    rejects_stored: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UploadReject(Base):
    """One reason one row of an upload was rejected; personal values in ``raw`` are masked."""

    __tablename__ = "upload_rejects"
    __table_args__ = (Index("ix_upload_rejects_upload", "upload_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    upload_id: Mapped[int] = mapped_column(ForeignKey("uploads.id"))
    row_number: Mapped[int] = mapped_column(Integer)
    column: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    record_id: Mapped[str | None] = mapped_column(String(100))
    raw: Mapped[str] = mapped_column(Text)


class ReviewSkip(Base):
    """A reviewer passed over a review item for now: it goes to the end of their queue."""

    __tablename__ = "review_skips"
    __table_args__ = (UniqueConstraint("left_key", "right_key", "reviewer"),)

    # by pair, not by review item id: a resolve run replaces the open items of what it touched
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    left_key: Mapped[str] = mapped_column(String(200))
    right_key: Mapped[str] = mapped_column(String(200))
    reviewer: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExportDecisionMark(Base):
    """How far ``export_store.prepare`` got for one record type under one basis: every current
    version with a ``source_records.id`` up to ``through`` was offered a decision (ids only grow:
    a new version is a higher id). A later prepare with nothing above it has nothing to look for."""

    __tablename__ = "export_decision_marks"

    basis: Mapped[str] = mapped_column(String(32), primary_key=True)
    department: Mapped[str] = mapped_column(String(32), primary_key=True)
    record_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    through: Mapped[int] = mapped_column(Integer)


class ExportDecision(Base):
    """The gate's date-independent decision on one record version for a government export, with its
    CSV cells (``credit.domain.export_store``): made from the version's fields, which never change
    but for re-encryption; valid only under the ``basis`` it was made with (catalog, policy, the
    deciding code, the active data key). What depends on the view date, the enterprise link and the
    objections and repairs is decided when exported. Never holds a personal value in clear."""

    __tablename__ = "export_decisions"

    source_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # source_records.id (the version)
    basis: Mapped[str] = mapped_column(String(32))
    shown: Mapped[bool] = mapped_column(Boolean)  # the viewer may see it while it exists (its openness)
    dated: Mapped[date | None] = mapped_column(Date)  # the record date: nobody sees it before
    published: Mapped[bool] = mapped_column(Boolean)
    start: Mapped[date | None] = mapped_column(Date)  # the publicity window, when published
    last_day: Mapped[date | None] = mapped_column(Date)
    window_cells: Mapped[bytes] = mapped_column(LargeBinary)  # openness, record date, window: CSV, UTF-8
    value_cells: Mapped[bytes] = mapped_column(LargeBinary)  # the visible values: CSV, UTF-8
