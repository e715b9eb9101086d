"""The JSON API /api/v1/…: the same domain operations as the pages, Bearer-token authentication.

No token: the public. A token acts as its account (roles and scope as on the pages); a bad or
expired token is 401. OpenAPI 3 at /api/openapi.json, generated from web/schemas.py.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_smorest import Blueprint

from credit.domain.catalogue import catalogue
from credit.domain.portal import browse_list
from credit.domain.queries import grant_access, view_profile
from credit.domain.rating import grade_of, score_records
from credit.domain.search_sql import answer as search
from credit.domain.selfservice import my_objections, object_to
from credit.domain.sharing import joint_check
from credit.kernel.errors import InvalidInput
from web import schemas
from web.auth import current_actor
from web.db import engine, run
from web.extensions import shared_search_limit

blp = Blueprint("api_v1", __name__, url_prefix="/api/v1", description="联征 JSON API")
API_BLUEPRINTS = (blp,)


def _profile(profile: Any) -> dict[str, Any]:
    score, lines = score_records(profile.records, profile.as_of)
    return {"requested_id": profile.requested_id, "enterprise_id": profile.enterprise_id, "viewer": profile.viewer,
            "as_of": profile.as_of, "identity": profile.identity, "records": profile.records,
            "rating": {"grade": grade_of(score), "score": score, "lines": lines}}


@blp.route("/search")
@shared_search_limit()
@blp.arguments(schemas.SearchArgs, location="query")
@blp.response(200, schemas.SearchResultSchema)
def api_search(args: dict[str, Any]) -> Any:
    """企业查询 / find enterprises by a name fragment or any code."""
    result = search(engine(), current_actor(), args["q"], page=args["page"])
    return {"query": result.query, "kind": result.kind, "total": result.total, "page": result.page,
            "pages": result.pages, "capped": result.capped, "hits": result.hits}


@blp.route("/enterprises/<int(max=2147483647):enterprise_id>")
@blp.arguments(schemas.ProfileArgs, location="query")
@blp.response(200, schemas.ProfileSchema)
def api_enterprise(args: dict[str, Any], enterprise_id: int) -> Any:
    """企业信用档案 / an enterprise's profile as the token's role may see it (a merged id answers for its successor)."""
    actor = current_actor()
    return run(lambda s: _profile(view_profile(s, actor, enterprise_id, at=args["date"], grant_id=args["grant"])))


@blp.route("/lists/<kind>")
@blp.arguments(schemas.ListArgs, location="query")
@blp.response(200, schemas.ListPageSchema)
def api_list(args: dict[str, Any], kind: str) -> Any:
    """红黑名单 / the black or red list on a date, filtered and paginated."""
    if kind not in ("black", "red"):
        raise InvalidInput(f"名单应为 black 或 red / unknown list {kind}")
    return run(lambda s: browse_list(s, current_actor(), kind, at=args["date"], region=args["region"],
                                     department=args["department"], reason=args["reason"], page=args["page"]))


@blp.route("/catalogue")
@blp.response(200, schemas.CatalogueTypeSchema(many=True))
def api_catalogue() -> Any:
    """信用信息资源目录 / every department and record type, its columns, openness and publicity rule."""
    return catalogue()


@blp.route("/objections", methods=["GET"])
@blp.response(200, schemas.ObjectionSchema(many=True))
def api_objections() -> Any:
    """本企业的异议 / the objections of the token's enterprise."""
    return run(lambda s: my_objections(s, current_actor()))


@blp.route("/objections", methods=["POST"])
@blp.arguments(schemas.ObjectionIn)
@blp.response(201, schemas.ObjectionSchema)
def api_file_objection(data: dict[str, Any]) -> Any:
    """提出异议 / object to one record of the token's enterprise."""
    return run(lambda s: object_to(s, current_actor(), data["record"], data["reason"], on=date.today()))


@blp.route("/grants", methods=["POST"])
@blp.arguments(schemas.GrantIn)
@blp.response(201, schemas.GrantSchema)
def api_grant(data: dict[str, Any]) -> Any:
    """查询授权 / a time-limited grant for one enterprise, on a legal basis or the enterprise's consent."""
    return run(lambda s: grant_access(s, current_actor(), data["enterprise_id"], on=date.today(),
                                      legal_basis=data["legal_basis"], consent_ref=data["consent_ref"], days=data["days"]))


@blp.route("/joint-check/<int(max=2147483647):enterprise_id>")
@blp.arguments(schemas.JointCheckArgs, location="query")
@blp.response(200, schemas.JointCheckSchema)
def api_joint_check(args: dict[str, Any], enterprise_id: int) -> Any:
    """联合奖惩核查 / list memberships, grade and shared records for a department's decision (government)."""
    check = run(lambda s: joint_check(s, current_actor(), enterprise_id, purpose=args["purpose"], at=args["date"]))
    return {**check.__dict__, "verdict": check.verdict}
