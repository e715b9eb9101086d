"""Demo logins for ``scripts/run``: one account of every role, created once, printed every time."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit.domain.accounts import SYSTEM, create_account
from credit.domain.lists import black_list
from credit.domain.web_models import Account, SearchCode

log = logging.getLogger(__name__)

DEMO_PASSWORD = "lianzheng-demo"  # a demo database only: printed by scripts/run


@dataclass(frozen=True)
class DemoLogin:
    login: str
    role: str
    scope: str
    password: str


def _demo_uscc(session: Session) -> str | None:
    """The USCC of an enterprise on today's black list (something to object to), else any indexed one."""
    for entry in black_list(session, date.today()):
        if entry.uscc and len(entry.uscc) == 18:
            return entry.uscc
    return session.scalar(select(SearchCode.code).where(SearchCode.code.like("9%")).limit(1))


def ensure_demo_logins(session: Session) -> list[DemoLogin]:
    """Create the demo accounts that are missing; every demo login with its password."""
    uscc = _demo_uscc(session)
    wanted: list[tuple[str, str, str | None, str | None]] = [
        ("demo-admin", "admin", None, None), ("demo-clerk", "clerk", "commerce", None),
              ("demo-reviewer", "reviewer", None, None), ("demo-regulator", "regulator", None, None),
              ("demo-bank", "authorised", "演示银行长沙分行", None)]
    if uscc:
        wanted.append(("demo-enterprise", "enterprise", None, uscc))
    out = []
    for login, role, department, code in wanted:
        account = session.scalars(select(Account).where(Account.login == login)).first()
        if account is None:
            account = create_account(session, SYSTEM, login, role, password=DEMO_PASSWORD, department=department,
                                     uscc=code).account
        out.append(DemoLogin(login, role, account.department or account.uscc or "", DEMO_PASSWORD))
    return out
