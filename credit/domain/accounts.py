"""Accounts: who signs in, with which role and scope; passwords as argon2id hashes; API tokens.

An enterprise account is bound to a USCC (its enterprise is found through the search index's
codes), a clerk to one department of the catalog, an authorised querier to its organisation
(kept in ``department``). After ``LOCK_AFTER`` failed logins in a row an account is locked for
``LOCK_MINUTES``. API tokens are random, shown once and stored as SHA-256. Every login, failed
login, lockout and permission change is an audit entry whose action starts with ``account.``.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from credit.domain import audit
from credit.domain.web_models import Account, ApiToken, SearchCode
from credit.domain.workflows import (
    ROLE_ADMIN,
    ROLE_AUTHORISED,
    ROLE_CLERK,
    ROLE_ENTERPRISE,
    ROLE_PUBLIC,
    ROLES,
    Actor,
    Conflict,
    InvalidInput,
    NotFound,
    require_role,
)
from credit.kernel.catalog import load_catalog
from credit.kernel.identifiers import clean_code, uscc_status
from credit.kernel.models import SourceRecord, utcnow
from matching.models import RecordLink

log = logging.getLogger(__name__)

LOCK_AFTER = 5
LOCK_MINUTES = 15
TOKEN_DAYS = 365
MIN_PASSWORD = 10
SYSTEM = Actor("system", ROLE_ADMIN)  # the command line acting as the platform's administrator
_HASHER = PasswordHasher()  # argon2id, the library's RFC 9106 defaults


@dataclass(frozen=True)
class NewAccount:
    """An account just created, with its password when it was generated (shown once)."""

    account: Account
    generated_password: str | None


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a login attempt; the face commits it either way (the audit entry stays)."""

    account: Account | None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.account is not None


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _HASHER.hash(password)


def _check_scope(session: Session, role: str, department: str | None, uscc: str | None) -> tuple[str | None, str | None]:
    if role not in ROLES or role == ROLE_PUBLIC:
        raise InvalidInput(f"角色应为 {', '.join(r for r in ROLES if r != ROLE_PUBLIC)} 之一 / unknown role {role}")
    if role == ROLE_CLERK and department not in load_catalog().departments:
        known = ", ".join(load_catalog().departments)
        raise InvalidInput(f"科员须属于一个部门（{known}）/ a clerk needs --department, one of {known}")
    if role == ROLE_AUTHORISED and not (department or "").strip():
        raise InvalidInput("授权查询方须写明所属机构 / an authorised querier needs --department ORGANISATION")
    if role == ROLE_ENTERPRISE:
        code = clean_code(uscc)
        if len(code) != 18 or uscc_status(code) == "bad_format":
            raise InvalidInput("企业账户须绑定统一社会信用代码，例如 91430100MA4L… / an enterprise account needs --uscc")
        return None, code
    if uscc:
        raise InvalidInput("只有企业账户绑定统一社会信用代码 / only an enterprise account has --uscc")
    return (department.strip() if department else None), None


def create_account(session: Session, actor: Actor, login: str, role: str, *, password: str | None = None,
                   department: str | None = None, uscc: str | None = None) -> NewAccount:
    """Create an account (administrators only); a password is generated when none is given."""
    require_role(actor, ROLE_ADMIN)
    login = (login or "").strip()
    if not login or len(login) > 100 or any(c.isspace() for c in login):
        raise InvalidInput("登录名不能为空或含空格 / a login is one word of at most 100 characters")
    department, uscc = _check_scope(session, role, department, uscc)
    if session.scalar(select(Account.id).where(Account.login == login)):
        raise Conflict(f"登录名 {login} 已存在 / login {login} already exists")
    generated = None
    if password is None:
        generated = password = secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"密码至少 {MIN_PASSWORD} 个字符 / a password has at least {MIN_PASSWORD} characters")
    account = Account(login=login, role=role, department=department, uscc=uscc,
                      password_hash=hash_password(password), active=True, failed_logins=0)
    session.add(account)
    session.flush()
    audit.record(session, actor=str(actor), action="account.create", subject=f"account:{login}",
                 details={"role": role, "department": department, "uscc": uscc})
    return NewAccount(account, generated)


def list_accounts(session: Session, actor: Actor) -> list[Account]:
    """Every account, by login (administrators only)."""
    require_role(actor, ROLE_ADMIN)
    return list(session.scalars(select(Account).order_by(Account.login)))


def active_account(session: Session, login: str) -> Account | None:
    """The account of a signed-in session, while it exists and is active."""
    account = session.scalars(select(Account).where(Account.login == login)).first()
    return account if account is not None and account.active else None


def get_account(session: Session, login: str) -> Account:
    account = session.scalars(select(Account).where(Account.login == login)).first()
    if account is None:
        raise NotFound(f"账户 {login} 不存在 / no account {login}")
    return account


def disable_account(session: Session, actor: Actor, login: str) -> Account:
    """Disable an account and revoke its tokens (administrators only)."""
    require_role(actor, ROLE_ADMIN)
    account = get_account(session, login)
    account.active = False
    for token in session.scalars(select(ApiToken).where(ApiToken.account_id == account.id)):
        token.revoked = True
    audit.record(session, actor=str(actor), action="account.disable", subject=f"account:{login}")
    return account


def authenticate(session: Session, login: str, password: str, *, now: datetime | None = None) -> LoginResult:
    """Check a login; counts failures, locks after LOCK_AFTER, audits every outcome."""
    now = now or utcnow()
    refused = "登录名或密码不正确 / wrong login or password"
    account = session.scalars(select(Account).where(Account.login == (login or "").strip())).first()
    if account is None or not account.active:
        _verify_nothing(password)  # as long as a real check: the answer's time tells no login apart
        audit.record(session, actor=f"{login} (anonymous)", action="account.login_failed",
                     subject=f"account:{login}", reason="unknown or disabled")
        return LoginResult(None, refused)
    if account.locked_until is not None and account.locked_until > now:
        audit.record(session, actor=login, action="account.login_locked", subject=f"account:{login}")
        return LoginResult(None, f"账户已锁定，请于 {account.locked_until:%H:%M} (UTC) 后再试 / "
                                 f"the account is locked until {account.locked_until:%H:%M} UTC")
    if not _verify(account, password):
        account.failed_logins += 1
        action = "account.login_failed"
        if account.failed_logins >= LOCK_AFTER:
            account.locked_until, account.failed_logins, action = now + timedelta(minutes=LOCK_MINUTES), 0, "account.locked"
        audit.record(session, actor=login, action=action, subject=f"account:{login}")
        return LoginResult(None, refused)
    account.failed_logins, account.locked_until, account.last_login_at = 0, None, now
    if _HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    audit.record(session, actor=login, action="account.login", subject=f"account:{login}")
    return LoginResult(account)


def _verify_nothing(password: str) -> None:
    try:
        _HASHER.verify(_dummy_hash(_HASHER), password or "")
    except (VerificationError, InvalidHashError):
        pass


@functools.lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash(secrets.token_hex(16))


def _verify(account: Account, password: str) -> bool:
    try:
        return _HASHER.verify(account.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def record_logout(session: Session, account: Account) -> None:
    audit.record(session, actor=account.login, action="account.logout", subject=f"account:{account.login}")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, actor: Actor, login: str, *, days: int = TOKEN_DAYS) -> str:
    """A new API token for the account (administrators only); returned once, stored hashed."""
    require_role(actor, ROLE_ADMIN)
    account = get_account(session, login)
    if not account.active:
        raise Conflict(f"账户 {login} 已停用 / account {login} is disabled")
    token = "lz_" + secrets.token_urlsafe(32)
    session.add(ApiToken(account_id=account.id, token_hash=_token_hash(token), prefix=token[:10],
                         expires_at=utcnow() + timedelta(days=days)))
    audit.record(session, actor=str(actor), action="account.token_create", subject=f"account:{login}",
                 details={"prefix": token[:10], "days": days})
    return token


def account_for_token(session: Session, token: str) -> Account | None:
    """The active account a valid, unexpired, unrevoked token belongs to, else None."""
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == _token_hash(token or ""))).first()
    if row is None or row.revoked or (row.expires_at is not None and row.expires_at < utcnow()):
        return None
    account = session.get(Account, row.account_id)
    return account if account is not None and account.active else None


def enterprise_of(session: Session, uscc: str | None) -> int | None:
    """The enterprise an account's USCC binds it to, or None while that is not certain.

    Market supervision's registration record carrying the code decides; without one, the codes
    the search index holds, when they all lead to one enterprise. A code that leads to two
    enterprises (a head office's code on its branch's penalty, a code in the wrong column) binds
    to neither: an account must never see another enterprise's own-enterprise view."""
    if not uscc:
        return None
    from credit.domain.profile import resolve_enterprise
    from credit.domain.search_index import ensure_current

    newer = aliased(SourceRecord)
    registered = session.scalars(
        select(RecordLink.enterprise_id).join(SourceRecord, (SourceRecord.department == RecordLink.department)
                                              & (SourceRecord.record_type == RecordLink.record_type)
                                              & (SourceRecord.record_id == RecordLink.record_id))
        .where(SourceRecord.department == "commerce", SourceRecord.record_type == "registration",
               SourceRecord.uscc == uscc, SourceRecord.op != "revoke",
               ~select(SourceRecord.id).where(  # the current version only: a corrected code binds no more
                   newer.department == SourceRecord.department, newer.record_type == SourceRecord.record_type,
                   newer.record_id == SourceRecord.record_id, newer.version > SourceRecord.version).exists())
        .distinct()).all()
    if not registered:
        ensure_current(session)
        registered = session.scalars(select(SearchCode.enterprise_id).where(SearchCode.code == uscc).distinct()).all()
    candidates = {resolve_enterprise(session, int(eid)) for eid in registered}
    if len(candidates) > 1:
        log.warning("USCC %s leads to enterprises %s: the account stays unbound", uscc, sorted(candidates))
    return candidates.pop() if len(candidates) == 1 else None


def actor_of(session: Session, account: Account) -> Actor:
    """The actor an account acts as."""
    if account.role == ROLE_ENTERPRISE:
        return Actor(account.login, account.role, enterprise_id=enterprise_of(session, account.uscc))
    return Actor(account.login, account.role, department=account.department)
