"""Lawful queries: authorised access for one enterprise, for a limited time, every query logged.

A querier (a bank, a tender office) is granted access to one enterprise on a stated legal
basis or the enterprise's consent; the grant is valid from its first day through first day +
``queries.grant_days`` - 1. Every authorised query is logged and the enterprise can list them.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit import audit
from credit.gate import AUTHORISED, ENTERPRISE, GOVERNMENT, PUBLIC, Viewer
from credit.policy import load_policy
from credit.profile import Profile, absorbed_ids, build_profile, render_profile, resolve_enterprise
from credit.workflow_models import QueryGrant, QueryLog
from credit.workflows import (
    ROLE_QUERIER, Actor, InvalidRequest, NotAuthorized, NotFound,
)

log = logging.getLogger(__name__)


def grant_access(
    session: Session, actor: Actor, enterprise_id: int, *, on: date,
    legal_basis: str | None = None, consent_ref: str | None = None, days: int | None = None,
) -> QueryGrant:
    """Grant the actor's organisation access to one enterprise from ``on`` for ``days`` days."""
    querier = _organisation(actor)
    if not (legal_basis or "").strip() and not (consent_ref or "").strip():
        raise InvalidRequest("an authorised query needs a legal basis or the enterprise's consent")
    days = days or load_policy()["queries"]["grant_days"]
    if days < 1 or days > load_policy()["queries"]["grant_days"]:
        raise InvalidRequest(f"a grant lasts 1 to {load_policy()['queries']['grant_days']} days")
    current = resolve_enterprise(session, enterprise_id)
    grant = QueryGrant(
        querier=querier, querier_user=actor.user, enterprise_id=current,
        legal_basis=legal_basis, consent_ref=consent_ref,
        valid_from=on, valid_until=on + timedelta(days=days - 1),
    )
    session.add(grant)
    session.flush()
    audit.record(session, actor=str(actor), action="query.grant", subject=f"grant:{grant.id}",
                 reason=legal_basis or f"consent {consent_ref}",
                 details={"querier": querier, "enterprise_id": current,
                          "valid_from": on, "valid_until": grant.valid_until})
    return grant


def _organisation(actor: Actor) -> str:
    """A querier actor's organisation (carried in ``Actor.department``)."""
    if actor.role != ROLE_QUERIER or not actor.department:
        raise NotAuthorized(f"{actor} is not an authorised querier organisation")
    return actor.department


def authorised_viewer(session: Session, grant_id: int, on: date) -> Viewer:
    """The viewer a grant makes of its querier on ``on``; NotAuthorized outside its validity."""
    grant = session.get(QueryGrant, grant_id)
    if grant is None:
        raise NotFound(f"grant {grant_id} does not exist")
    if not grant.valid_from <= on <= grant.valid_until:
        raise NotAuthorized(
            f"grant {grant_id} is valid {grant.valid_from} to {grant.valid_until}, not on {on}")
    return Viewer(AUTHORISED, grant.querier, grant.enterprise_id, grant.id, grant.valid_until)


def authorised_profile(
    session: Session, actor: Actor, grant_id: int, *, on: date, at: date | None = None,
) -> Profile:
    """An authorised query: checks the grant, logs the query, returns the gated profile."""
    viewer = authorised_viewer(session, grant_id, on)
    grant = session.get(QueryGrant, grant_id)
    assert grant is not None
    if _organisation(actor) != grant.querier:
        raise NotAuthorized(f"{actor} does not hold grant {grant_id}")
    at = at or on
    entry = QueryLog(grant_id=grant.id, querier=grant.querier, querier_user=actor.user,
                     enterprise_id=grant.enterprise_id, legal_basis=grant.legal_basis,
                     consent_ref=grant.consent_ref, as_of=at)
    session.add(entry)
    session.flush()
    audit.record(session, actor=str(actor), action="query.run", subject=f"grant:{grant.id}",
                 reason=grant.legal_basis or f"consent {grant.consent_ref}",
                 details={"enterprise_id": grant.enterprise_id, "as_of": at, "query_id": entry.id})
    return build_profile(session, grant.enterprise_id, viewer, at)


def queries_about(session: Session, enterprise_id: int) -> list[QueryLog]:
    """Every authorised query made about the enterprise (or an id merged into it), oldest first.

    The enterprise sees them all: who asked (organisation and person), on what legal basis or
    consent reference, for which view date, and when.
    """
    ids = absorbed_ids(session, resolve_enterprise(session, enterprise_id))
    stmt = select(QueryLog).where(QueryLog.enterprise_id.in_(ids)).order_by(QueryLog.id)
    return list(session.scalars(stmt))


def profile_command(
    session: Session, enterprise_id: int, as_: str = PUBLIC, at: date | None = None,
    grant_id: int | None = None, user: str = "cli",
) -> str:
    """``python -m credit profile ID [--as ...] [--date D] [--grant G]``: printable text."""
    at = at or date.today()
    if as_ == PUBLIC:
        viewer = Viewer.public()
    elif as_ == GOVERNMENT:
        viewer = Viewer.government(user)
    elif as_ == ENTERPRISE:
        viewer = Viewer.enterprise(enterprise_id, user)
    elif as_ == AUTHORISED:
        if grant_id is None:
            raise InvalidRequest("--as authorised needs --grant GRANT_ID")
        grant = session.get(QueryGrant, grant_id)
        if grant is None:
            raise NotFound(f"grant {grant_id} does not exist")
        actor = Actor(user, ROLE_QUERIER, grant.querier)
        return render_profile(authorised_profile(session, actor, grant_id, on=date.today(), at=at))
    else:
        raise InvalidRequest(f"unknown viewer {as_}")
    profile = build_profile(session, enterprise_id, viewer, at)
    if as_ != PUBLIC:   # non-public views (unmasked or non-public data) are logged
        audit.record(session, actor=user, action="profile.view", subject=f"enterprise:{profile.enterprise_id}",
                     reason=f"viewer {as_}", details={"as_of": at, "records": len(profile.records)})
    return render_profile(profile)
