"""Domain errors and actors shared by the credit workflows.

A web layer maps NotFound to 404, NotAuthorized to 403, InvalidTransition and InvalidRequest
to 422. Objections live in credit/objections.py, credit repair in credit/repair.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


class CreditError(Exception):
    """Base of the credit domain's errors."""


class NotFound(CreditError):
    """The enterprise, record, grant or application does not exist."""


class NotAuthorized(CreditError):
    """The actor may not do this (wrong enterprise, department or role; expired grant)."""


class InvalidTransition(CreditError):
    """The workflow is not in a state that allows this step."""


class InvalidRequest(CreditError):
    """The request lacks something the rules require (a legal basis, a reason, proof)."""


ROLE_ENTERPRISE = "enterprise"
ROLE_DEPARTMENT = "department"
ROLE_REGULATOR = "regulator"
ROLE_QUERIER = "querier"


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
        raise NotAuthorized(f"{actor} does not act for enterprise {enterprise_id}")


def require_department(actor: Actor, department: str) -> None:
    """The actor is a clerk of the record's source department."""
    if actor.role != ROLE_DEPARTMENT or actor.department != department:
        raise NotAuthorized(f"{actor} is not a clerk of department {department}")


def require_text(value: str | None, what: str) -> str:
    """A non-empty text, or InvalidRequest naming what is missing."""
    if not value or not value.strip():
        raise InvalidRequest(f"{what} is required")
    return value.strip()
