"""The CLI's text for domain operations, for tests that check what a person reads."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from credit.cli import render
from credit.cli.credit_cmds import write_list_csv
from credit.domain.lists import view_list
from credit.domain.queries import grant_holder, view_profile
from credit.domain.workflows import ROLE_ENTERPRISE, ROLE_PUBLIC, ROLE_REGULATOR, Actor, InvalidInput

ROLES = {"public": ROLE_PUBLIC, "government": ROLE_REGULATOR, "enterprise": ROLE_ENTERPRISE}


def profile_text(session: Session, enterprise_id: int, as_: str = "public", at: date | None = None,
                 grant_id: int | None = None, user: str = "cli") -> str:
    """What ``python -m credit profile ID --as AS`` prints."""
    if as_ == "authorised":
        if grant_id is None:
            raise InvalidInput("--as authorised needs --grant GRANT_ID")
        actor = grant_holder(session, grant_id, user)
    elif as_ == "enterprise":
        actor = Actor(user, ROLE_ENTERPRISE, enterprise_id=enterprise_id)
    else:
        actor = Actor(user, ROLES[as_])
    return render.profile_text(view_profile(session, actor, enterprise_id, at=at, grant_id=grant_id))


def list_text(session: Session, kind: str, at: date, out: str | None = None, user: str = "cli") -> str:
    """What ``python -m credit lists KIND --date AT [--out FILE]`` prints (and writes)."""
    view = view_list(session, Actor(user, ROLE_REGULATOR), kind, at=at, export=out)
    if out is None:
        return render.list_text(view)
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        write_list_csv(view, fh)
    return render.list_written_text(view, out)
