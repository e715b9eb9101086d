"""What every template gets: ``t(zh, en)`` in the page's language, the actor, value formatting."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from flask import Flask, request, url_for

from credit.kernel.catalog import load_catalog
from web.auth import current_actor
from web.i18n import both, lang, pick

STATUS_EN = {"存续": "active", "在业": "in business", "吊销": "licence revoked", "注销": "deregistered",
             "迁出": "moved out"}
MARK_EN = {"异议处理中": "objection pending", "停止公示": "no longer published", "已信用修复": "credit repaired",
           "严重失信主体名单": "black list", "经营异常名录": "abnormal operations list"}
OPENNESS_EN = {"公开": "public", "授权查询": "authorised query", "政务共享": "government sharing"}


def value_text(value: Any) -> str:
    """A field value as a person reads it: lists joined with ；, booleans 是/否 (yes/no)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return both("是", "yes") if value else both("否", "no")
    if isinstance(value, (list, tuple)):
        return "；".join(str(v) for v in value) or "—"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def term(zh: str | None, table: dict[str, str], language: str | None = None) -> str:
    """A Chinese term, with its English name on English pages (``language``: the page's, by default)."""
    if not zh:
        return "—"
    return f"{zh} ({table[zh]})" if (language or lang()) == "en" and zh in table else zh


def page_url(page: int) -> str:
    """This page's address with another page number."""
    # only plain query parameters: url_for reads _method, _external, _scheme … as its own options
    args = {k: v for k, v in request.args.to_dict().items()
            if not k.startswith("_") and k not in (request.view_args or {})}
    args["page"] = str(page)
    return url_for(request.endpoint or "public.index", **{**(request.view_args or {}), **args})


@lru_cache(maxsize=256)
def _link(root: str, endpoint: str, values: tuple[tuple[str, Any], ...]) -> str:
    return url_for(endpoint, **dict(values))


def link(endpoint: str, **values: Any) -> str:
    """``url_for`` for the layout's fixed links, each made once per app prefix (every page has a dozen)."""
    return _link(request.script_root, endpoint, tuple(sorted(values.items())))


def lang_url(code: str) -> str:
    return url_for("public.set_language", code=code, next=request.full_path.rstrip("?"))


VIEWERS = {"public": ("公众", "the public"), "authorised": ("授权查询方", "authorised querier"),
           "enterprise": ("企业本身", "the enterprise itself"), "government": ("政务用户", "government user")}


def viewer_text(kind: str) -> str:
    return both(*VIEWERS.get(kind, (kind, kind)))


def department_zh(department: str) -> str:
    zh = load_catalog().departments.get(department, department)
    return f"{zh} ({department})" if lang() == "en" else zh


def column_label(record: Any, key: str) -> str:
    """A column's Chinese header (with its key on English pages)."""
    try:
        zh = load_catalog().get(record.department, record.record_type).column(key).zh
    except KeyError:
        return key
    return f"{zh} ({key})" if lang() == "en" else zh


def record_label(department: str, record_type: str, record_id: str) -> str:
    """A record as a person names it: 工商·行政处罚 CF-1."""
    try:
        rt = load_catalog().get(department, record_type)
    except LookupError:
        return f"{department}/{record_type}/{record_id}"
    return f"{rt.department_zh}·{rt.zh} {record_id}"


def key_label(record_key: str | None) -> str | None:
    """``department/type/record_id`` as record_label names it, or None for anything else."""
    parts = (record_key or "").split("/", 2)
    return record_label(*parts) if len(parts) == 3 and all(parts) else None


def _hits_html(hits: Any) -> Any:
    from web.search_hits import hits_html  # it reads this module's term tables

    return hits_html(hits)


def register_templating(app: Flask) -> None:
    app.jinja_env.globals.update(record_label=record_label, key_label=key_label, viewer_text=viewer_text,
                                 department_zh=department_zh, column_label=column_label,
                                 t=both, pick=pick, value_text=value_text, page_url=page_url, lang_url=lang_url, link=link,
                                 status_term=lambda z: term(z, STATUS_EN), mark_term=lambda z: term(z, MARK_EN),
                                 openness_term=lambda z: term(z, OPENNESS_EN), hits_html=_hits_html)

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {"actor": current_actor(), "lang": lang()}
