"""Storage of ingested records: batches and append-only source record versions.

Other packages add their tables to the same ``Base`` (matching/models.py for enterprises and
links, credit/workflow_models.py for objections, repair, queries and audit); ``credit.domain.schema``
imports them all so that migrations and ``init-db`` see one metadata.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Batch(Base):
    """One uploaded file, landed whole in one transaction."""

    __tablename__ = "batches"
    __table_args__ = (
        UniqueConstraint("department", "record_type", "file_hash"),
        # the batches the search index has not read yet: few, found without reading the others
        Index("ix_batches_unindexed", "id", sqlite_where=text("indexed = 0"), postgresql_where=text("NOT indexed")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department: Mapped[str] = mapped_column(String(32))
    record_type: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(500))
    file_hash: Mapped[str] = mapped_column(String(64))
    file_format: Mapped[str] = mapped_column(String(16))
    encoding: Mapped[str | None] = mapped_column(String(32))
    uploaded_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rows_read: Mapped[int] = mapped_column(default=0)
    loaded: Mapped[int] = mapped_column(default=0)
    new_versions: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    # a table file's header as read (JSON list): its rows' ``raw`` are lists of cells in this
    # order (credit/kernel/rawrow.py); None when every raw row of the batch is an object
    raw_headers: Mapped[str | None] = mapped_column(Text)
    # whether the search index has read this batch's record versions (credit/domain/search_index.py):
    # set when it does, in its own transaction, so a batch that commits after a later-numbered one
    # is still found (ids are handed out at insert, not at commit)
    indexed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # the highest record version id committed when the batch was opened: every version of the batch
    # has a higher one (ids only grow), so its versions are found by the primary key (None: unknown)
    source_floor: Mapped[int | None] = mapped_column(Integer)


class SourceRecord(Base):
    """One version of one department record. Rows are only ever inserted.

    ``fields`` holds the normalised values (JSON, English keys), ``raw`` the row as read (a list of
    cells against the batch's ``raw_headers``, or an object; read it with
    ``credit.kernel.rawrow.raw_values``), ``flags``
    the warnings raised while normalising (a failed check character, a code in the wrong column).
    The identity columns are the small view matching sees.
    """

    __tablename__ = "source_records"
    __table_args__ = (
        # the only index: every other lookup goes through matching's keys or enterprise links, and
        # each extra index costs the bulk insert a few microseconds a row
        UniqueConstraint("department", "record_type", "record_id", "version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department: Mapped[str] = mapped_column(String(32))
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    op: Mapped[str] = mapped_column(String(8))  # upsert | revoke
    content_hash: Mapped[str] = mapped_column(String(32))
    fields: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text)
    flags: Mapped[str | None] = mapped_column(Text)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    file_hash: Mapped[str] = mapped_column(String(64))
    row_number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # identity view
    name: Mapped[str | None] = mapped_column(String(300))
    former_names: Mapped[str | None] = mapped_column(Text)  # "；"-joined
    uscc: Mapped[str | None] = mapped_column(String(32))
    reg_no: Mapped[str | None] = mapped_column(String(32))
    org_code: Mapped[str | None] = mapped_column(String(32))
    taxpayer_id: Mapped[str | None] = mapped_column(String(32))
    loan_card_no: Mapped[str | None] = mapped_column(String(32))
    legal_rep: Mapped[str | None] = mapped_column(String(100))
    # the legal representative's (an individual business's operator's) ID number: personal data,
    # used only as matching evidence (a 20-character taxpayer id is this number plus two digits)
    legal_rep_id: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(500))
