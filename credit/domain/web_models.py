"""Tables of the front door: the search index, accounts, API tokens and repair proof files.

The search index is derived state (rebuilt from the current public-openness records by
``credit.domain.search``); accounts and tokens are the people and systems that sign in.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from credit.kernel.models import Base, utcnow


class SearchEntry(Base):
    """One name (current or former) an enterprise is known by in its public-openness records."""

    __tablename__ = "search_entries"
    __table_args__ = (UniqueConstraint("enterprise_id", "norm"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(300))
    norm: Mapped[str] = mapped_column(String(300))  # half width, one bracket kind, no spaces
    core: Mapped[str] = mapped_column(String(300))  # trade name + industry (no region, form, branch)
    former: Mapped[bool] = mapped_column(Boolean, default=False)


class SearchGram(Base):
    """A character bigram of an entry's core name: the index behind two-character name queries.

    Each row carries what the ranking reads of its entry (the normalised name, the core, whether it
    is a former name, and only for a former name the name itself, which the hit then shows), so the
    candidates of a bigram are one range read of the primary key, with no lookup into
    ``search_entries``. On SQLite the table is WITHOUT ROWID: the rows are stored in key order.
    """

    __tablename__ = "search_grams"
    __table_args__ = {"sqlite_with_rowid": False}

    gram: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # (ord(a) << 21) | ord(b)
    entry_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(Integer)
    norm: Mapped[str] = mapped_column(String(300))  # the entry's norm
    core: Mapped[str] = mapped_column(String(300))  # the entry's core
    former: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str | None] = mapped_column(String(300), nullable=True)  # a former name's (else NULL)


class SearchCode(Base):
    """A code (USCC, registration number, organization code, taxpayer id) leading to an enterprise."""

    __tablename__ = "search_codes"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class SearchCard(Base):
    """An enterprise's search hit as the gate showed it to the public, and the days it holds for
    (``credit.domain.search_cards``): name, code, status, badges and the names shown, as JSON."""

    __tablename__ = "search_cards"

    enterprise_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    rules: Mapped[str] = mapped_column(String(32))  # the catalog, policy and gate code it was decided under
    card: Mapped[str] = mapped_column(Text)


class SearchState(Base):
    """How far the index is: the last resolution run, source record and enterprise event it saw."""

    __tablename__ = "search_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(Integer, default=0)
    source_id: Mapped[int] = mapped_column(Integer, default=0)
    event_id: Mapped[int] = mapped_column(Integer, default=0)
    links_at: Mapped[datetime | None] = mapped_column()


class Account(Base):
    """A person or system that signs in, with one role and its scope."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    department: Mapped[str | None] = mapped_column(String(200))  # a clerk's department; a querier's organisation
    uscc: Mapped[str | None] = mapped_column(String(32))  # an enterprise account's USCC
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()


class ApiToken(Base):
    """An API token of an account, stored as its SHA-256 only."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_account", "account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class ProofFile(Base):
    """A proof file of a credit repair application, kept under its SHA-256 (never its name)."""

    __tablename__ = "proof_files"
    __table_args__ = (Index("ix_proof_files_repair", "repair_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repair_id: Mapped[int] = mapped_column(ForeignKey("repair_applications.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
