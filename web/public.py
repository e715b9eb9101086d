"""Public pages: the start page, search, an enterprise's page, the lists, the resource catalogue."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for

from credit.domain.catalogue import catalogue as catalogue_of
from credit.domain.portal import Memberships, browse_list, memberships
from credit.domain.profile import Profile
from credit.domain.queries import view_profile
from credit.domain.rating import grade_of, score_records
from credit.domain.search_sql import answer as search_enterprises
from credit.kernel.catalog import OPENNESS_PUBLIC, load_catalog
from credit.kernel.errors import InvalidInput
from web import search_page
from web.auth import current_actor
from web.db import engine, run
from web.extensions import shared_search_limit
from web.i18n import COOKIE, LANGUAGES, pick

bp = Blueprint("public", __name__)


def parse_date(value: str | None) -> date | None:
    """A ?date= value (YYYY-MM-DD), or None when absent."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"日期应写作 年-月-日，例如 2026-03-05 / a date is YYYY-MM-DD, e.g. 2026-03-05: {value}") from None


def page_arg() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


@bp.get("/")
def index() -> str:
    return render_template("public/index.html")


@bp.get("/healthz")
def healthz() -> Any:
    """A trivial endpoint: what the app costs without the database (benchmarks compare against it)."""
    return {"status": "ok"}


@bp.get("/lang/<code>")
def set_language(code: str) -> Any:
    if code not in LANGUAGES:
        abort(404)
    target = request.args.get("next") or "/"
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = make_response(redirect(target))
    response.set_cookie(COOKIE, code, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


@bp.get("/search")
@shared_search_limit()
def search() -> Any:
    query, page = request.args.get("q", ""), page_arg()
    # answered on a pooled driver connection (a kept result when nothing changed), no session
    try:
        result = search_enterprises(engine(), current_actor(), query, page=page)
    except InvalidInput as exc:
        return render_template("public/search.html", query=query, result=None,
                               errors={"q": pick(str(exc))}), 422
    if result.only is not None:
        return redirect(url_for("public.enterprise", enterprise_id=result.only))
    return search_page.page(query, result)


@bp.get("/enterprises/<int(max=2147483647):enterprise_id>")
def enterprise(enterprise_id: int) -> Any:
    at = parse_date(request.args.get("date"))
    profile, lists = run(lambda s: with_memberships(s, view_profile(s, current_actor(), enterprise_id, at=at)))
    if profile.enterprise_id != enterprise_id:  # a merged id: its successor's page
        args: dict[str, Any] = {**request.args.to_dict(), "enterprise_id": profile.enterprise_id}
        return redirect(url_for("public.enterprise", **args), 301)
    return render_template("public/enterprise.html", **profile_context(profile, lists))


def with_memberships(session: Any, profile: Profile) -> tuple[Profile, Memberships]:
    return profile, memberships(session, profile)


def profile_context(profile: Profile, lists: Memberships) -> dict[str, Any]:
    """What the profile partial renders: identity, grade explained, lists, sections in reading order."""
    score, lines = score_records(profile.records, profile.as_of)
    shown, empty = section_order(profile.sections)
    return {"profile": profile, "score": score, "lines": lines, "grade": grade_of(score), "lists": lists,
            "sections": shown, "empty_sections": empty}


SECTION_ORDER = [("commerce", "registration"), ("commerce", "penalty"), ("quality", "penalty"),
                 ("public_security", "fire_penalty"), ("commerce", "abnormal_list"), ("tax", "credit_rating"),
                 ("tax", "major_violation"), ("tax", "arrears"), ("quality", "spot_check"),
                 ("finance", "loan_default"), ("public_security", "case")]


def section_order(sections: dict[str, dict[str, list[Any]]]) -> tuple[list[tuple[Any, list[Any]]], list[Any]]:
    """(record type, records) with records, in the order people read a profile (registration, penalties,
    lists, tax …); then the public record types with nothing to show, named in one line."""
    catalog = load_catalog()
    keys = SECTION_ORDER + [k for k in catalog.types if k not in SECTION_ORDER]
    shown = [(catalog.get(d, t), sections[d][t]) for d, t in keys if sections.get(d, {}).get(t)]
    empty = [catalog.get(d, t) for d, t in keys if not sections.get(d, {}).get(t)
             and catalog.get(d, t).openness == OPENNESS_PUBLIC]
    return shown, empty


@bp.get("/lists/<kind>")
def lists(kind: str) -> Any:
    if kind not in ("black", "red"):
        abort(404)
    args = request.args
    page = run(lambda s: browse_list(s, current_actor(), kind, at=parse_date(args.get("date")),
                                     region=args.get("region", ""), department=args.get("department", ""),
                                     reason=args.get("reason", ""), page=page_arg()))
    return render_template("public/lists.html", page=page, departments=load_catalog().departments)


@bp.get("/catalogue")
def catalogue() -> str:
    return render_template("public/catalogue.html", types=catalogue_of())
