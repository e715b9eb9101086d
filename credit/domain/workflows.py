"""Actors and roles shared by the credit operations; the errors they raise (credit.kernel.errors).

Objections live in credit/domain/objections.py, credit repair in credit/domain/repair.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from credit.kernel.errors import Conflict, InvalidInput, LianzhengError, NotAllowed, NotFound

log = logging.getLogger(__name__)


__all__ = [
    "LianzhengError", "NotFound", "NotAllowed", "InvalidInput", "Conflict", "Actor", "ROLES",
    "ROLE_PUBLIC", "ROLE_ENTERPRISE", "ROLE_AUTHORISED", "ROLE_CLERK", "ROLE_REVIEWER", "ROLE_REGULATOR",
    "ROLE_ADMIN", "GOVERNMENT_ROLES", "require_role", "require_enterprise", "require_department", "require_text",
]

ROLE_PUBLIC = "public"
ROLE_ENTERPRISE = "enterprise"
ROLE_AUTHORISED = "authorised"  # an authorised querier (a bank, a tender office) acting for its organisation
ROLE_CLERK = "clerk"  # a clerk of one department
ROLE_REVIEWER = "reviewer"
ROLE_REGULATOR = "regulator"
ROLE_ADMIN = "admin"
ROLES = (ROLE_PUBLIC, ROLE_ENTERPRISE, ROLE_AUTHORISED, ROLE_CLERK, ROLE_REVIEWER, ROLE_REGULATOR, ROLE_ADMIN)
GOVERNMENT_ROLES = frozenset({ROLE_CLERK, ROLE_REVIEWER, ROLE_REGULATOR, ROLE_ADMIN})


@dataclass(frozen=True)
class Actor:
    """Who acts: a user, their role, and the department or enterprise they act for."""

    user: str
    role: str
    department: str | None = None
    enterprise_id: int | None = None

    def __str__(self) -> str:
        scope = self.department or (f"enterprise:{self.enterprise_id}" if self.enterprise_id else "")
        return f"{self.user} ({self.role}{'@' + scope if scope else ''})"


def require_enterprise(actor: Actor, enterprise_id: int) -> None:
    """The actor acts for this enterprise (itself, or a person on its behalf)."""
    if actor.role != ROLE_ENTERPRISE or actor.enterprise_id != enterprise_id:
        raise NotAllowed(f"{actor} does not act for enterprise {enterprise_id}")


def require_department(actor: Actor, department: str) -> None:
    """The actor is a clerk of the record's source department."""
    if actor.role != ROLE_CLERK or actor.department != department:
        raise NotAllowed(f"{actor} is not a clerk of department {department}")


def require_role(actor: Actor, *roles: str) -> None:
    """The actor holds one of the roles."""
    if actor.role not in roles:
        raise NotAllowed(f"{actor} 无权执行此操作 / may not do this (needs {' or '.join(roles)})")


def require_text(value: str | None, what: str) -> str:
    """A non-empty text, or InvalidInput naming what is missing."""
    if not value or not value.strip():
        raise InvalidInput(f"{what} is required")
    return value.strip()
