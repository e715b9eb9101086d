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

from credit.domain import audit
from credit.domain.gate import AUTHORISED, ENTERPRISE, GOVERNMENT, Viewer, check_view_date
from credit.domain.policy import load_policy
from credit.domain.profile import Profile, absorbed_ids, build_profile, resolve_enterprise
from credit.domain.workflow_models import QueryGrant, QueryLog
from credit.domain.workflows import (
    GOVERNMENT_ROLES,
    ROLE_AUTHORISED,
    ROLE_ENTERPRISE,
    Actor,
    InvalidInput,
    NotAllowed,
    NotFound,
)

log = logging.getLogger(__name__)


def grant_access(
    session: Session, actor: Actor, enterprise_id: int, *, on: date,
    legal_basis: str | None = None, consent_ref: str | None = None, days: int | None = None,
) -> QueryGrant:
    """Grant the actor's organisation access to one enterprise from ``on`` for ``days`` days."""
    querier = _organisation(actor)
    if not (legal_basis or "").strip() and not (consent_ref or "").strip():
        raise InvalidInput("an authorised query needs a legal basis or the enterprise's consent")
    longest = load_policy()["queries"]["grant_days"]
    days = longest if days is None else days
    if not 1 <= days <= longest:
        raise InvalidInput(f"授权期限为 1 至 {longest} 天 / a grant lasts 1 to {longest} days, not {days}")
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
    if actor.role != ROLE_AUTHORISED or not actor.department:
        raise NotAllowed(f"{actor} is not an authorised querier organisation")
    return actor.department


def authorised_viewer(session: Session, grant_id: int, on: date) -> Viewer:
    """The viewer a grant makes of its querier on ``on``; NotAllowed outside its validity."""
    grant = session.get(QueryGrant, grant_id)
    if grant is None:
        raise NotFound(f"grant {grant_id} does not exist")
    if not grant.valid_from <= on <= grant.valid_until:
        raise NotAllowed(
            f"grant {grant_id} is valid {grant.valid_from} to {grant.valid_until}, not on {on}")
    return Viewer(AUTHORISED, grant.querier, grant.enterprise_id, grant.id, grant.valid_until)


def held_grant(session: Session, actor: Actor, grant_id: int) -> QueryGrant:
    """The grant, when the actor's organisation holds it. Anyone else learns nothing of it (not
    whom it covers, nor when it is valid): one answer whether it does not exist or is another's."""
    grant = session.get(QueryGrant, grant_id)
    if grant is None or actor.role != ROLE_AUTHORISED or not actor.department or actor.department != grant.querier:
        raise NotFound(f"授权 {grant_id} 不存在或不属于您的机构 / grant {grant_id} does not exist or is not "
                       "your organisation's")
    return grant


def authorised_profile(
    session: Session, actor: Actor, grant_id: int, *, on: date, at: date | None = None,
) -> Profile:
    """An authorised query: checks the grant, logs the query, returns the gated profile."""
    grant = held_grant(session, actor, grant_id)
    viewer = authorised_viewer(session, grant_id, on)
    at = at or on
    entry = QueryLog(grant_id=grant.id, querier=grant.querier, querier_user=actor.user,
                     enterprise_id=grant.enterprise_id, legal_basis=grant.legal_basis,
                     consent_ref=grant.consent_ref, as_of=at)
    session.add(entry)
    session.flush()
    audit.record(session, actor=str(actor), action="query.run", subject=f"grant:{grant.id}",
                 reason=grant.legal_basis or f"consent {grant.consent_ref}",
                 details={"enterprise_id": grant.enterprise_id, "as_of": at, "query_id": entry.id})
    return build_profile(session, grant.enterprise_id, viewer, check_view_date(at), today=on)


def queries_about(session: Session, enterprise_id: int) -> list[QueryLog]:
    """Every authorised query made about the enterprise (or an id merged into it), oldest first.

    The enterprise sees them all: who asked (organisation and person), on what legal basis or
    consent reference, for which view date, and when.
    """
    ids = absorbed_ids(session, resolve_enterprise(session, enterprise_id))
    stmt = select(QueryLog).where(QueryLog.enterprise_id.in_(ids)).order_by(QueryLog.id)
    return list(session.scalars(stmt))


def grant_holder(session: Session, grant_id: int, user: str) -> Actor:
    """The actor a person of the grant's querier organisation acts as (the CLI acts for it)."""
    grant = session.get(QueryGrant, grant_id)
    if grant is None:
        raise NotFound(f"授权 {grant_id} 不存在 / grant {grant_id} does not exist")
    return Actor(user, ROLE_AUTHORISED, grant.querier)


def viewer_of(session: Session, actor: Actor) -> Viewer:
    """The gate's viewer for an actor without a grant (an enterprise sees itself by its current id)."""
    if actor.role in GOVERNMENT_ROLES:
        return Viewer.government(actor.user)
    if actor.role == ROLE_ENTERPRISE:
        if actor.enterprise_id is None:
            raise NotAllowed(f"{actor} 未绑定企业 / is bound to no enterprise")
        return Viewer(ENTERPRISE, actor.user, resolve_enterprise(session, actor.enterprise_id))
    return Viewer.public()  # the public, and an authorised querier without a grant


def view_profile(
    session: Session, actor: Actor, enterprise_id: int, *, at: date | None = None,
    grant_id: int | None = None, on: date | None = None,
) -> Profile:
    """View one enterprise's profile as the actor may see it on ``at`` (default: today).

    With ``grant_id`` the actor makes an authorised query: the grant must be its organisation's,
    valid on ``on`` (today) and for this enterprise (or an id merged into it); the query is logged.
    Any view beyond the public's is an audit entry.
    """
    on = on or date.today()
    at = at or on
    current = resolve_enterprise(session, enterprise_id)
    if grant_id is not None:
        grant = held_grant(session, actor, grant_id)
        covered = resolve_enterprise(session, grant.enterprise_id)
        if covered != current:
            raise NotAllowed(f"授权 {grant_id} 针对企业 {covered}，而非企业 {enterprise_id} / "
                             f"grant {grant_id} covers enterprise {covered}, not {enterprise_id}")
        return authorised_profile(session, actor, grant_id, on=on, at=at)
    viewer = viewer_of(session, actor)
    profile = build_profile(session, enterprise_id, viewer, check_view_date(at), today=on)
    if viewer.kind == GOVERNMENT or (viewer.kind == ENTERPRISE and viewer.enterprise_id == current):
        audit.record(session, actor=str(actor), action="profile.view", subject=f"enterprise:{current}",
                     reason=f"viewer {viewer.kind}", details={"as_of": at, "records": len(profile.records)})
    return profile
