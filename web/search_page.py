"""The search page written without the template engine: the layout kept per language and viewer.

A search answers more than any other page, and rendering ``public/search.html`` (the layout's two
dozen ``t()`` and ``link()`` calls, Jinja's call machinery) cost more than the search itself. The
layout (``base.html``: header, navigation, footer) depends only on the language, the viewer and the
app's prefix, so it is rendered once per such key with markers where the title, the language
switch's address (it carries this page's address) and the content go, and cut there; the content
(form, count, hits, pager) is a few strings, the hits from their kept fragments (web/search_hits.py).
The markup is the template's: tests/web/test_search_page.py compares the two. ``public/search.html``
still renders the page with an error message.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from flask import render_template_string, request
from markupsafe import Markup, escape

from credit.domain.search import SearchResult
from web.auth import current_actor
from web.i18n import lang
from web.search_hits import hits_html
from web.templating import lang_url, link, page_url

_TITLE, _SWITCH, _CONTENT = "\x00title\x00", "\x00switch\x00", "\x00content\x00"
_MARKER = re.compile("(\x00(?:title|switch|content)\x00)")
_LAYOUT = ('{% extends "base.html" %}{% block title %}' + _TITLE + '{% endblock %}'
           '{% block content %}' + _CONTENT + '{% endblock %}')


@lru_cache(maxsize=256)
def _layout(language: str, role: str, user: str, root: str) -> tuple[str, ...]:
    """``base.html`` for this language, viewer and app prefix, cut at the markers (kept in the result)."""
    html = render_template_string(_LAYOUT, lang_url=lambda code: _SWITCH)
    return tuple(_MARKER.split(html))


@lru_cache(maxsize=4096)
def _switch(_root: str, code: str, _path: str) -> Markup:
    """The language switch's address for this page (it carries the page's address back)."""
    return escape(lang_url(code))


def page(query: str, result: SearchResult) -> str:
    """The search page for ``result`` (no error message) in the page's language, for this viewer."""
    language, actor = lang(), current_actor()
    en = language == "en"
    parts = _layout(language, actor.role, actor.user, request.script_root)
    title = "Search results" if en else "查询结果"
    switch = _switch(request.script_root, "zh" if en else "en", request.full_path)
    body = _content(query, result, en)
    return "".join(title if p == _TITLE else switch if p == _SWITCH else body if p == _CONTENT else p
                   for p in parts)


_MANY = ("结果较多，请输入更完整的名称以缩小范围。", "Many results: type more of the name to narrow them.")
_NONE = ("请检查名称或代码，或只输入字号（例如“华为”）再试。",
         "Check the name or code, or type only the trade name (for example 华为).")


def _content(query: str, result: SearchResult, en: bool) -> str:
    def t(zh: str, english: str) -> str:
        return english if en else zh

    out = [f'<h1>{t("查询企业", "Find an enterprise")}</h1>\n'
           f'<form action="{escape(link("public.search"))}" method="get" role="search">\n'
           f'  <div class="field">\n'
           f'    <label class="label" for="q">{t("企业名称或代码", "Enterprise name or code")}</label>\n'
           f'    <div class="search-row"><input class="input" id="q" name="q" type="search" '
           f'value="{escape(query)}" autocomplete="off">\n'
           f'    <button class="button" type="submit">{t("查询", "Search")}</button></div>\n'
           f'  </div>\n</form>\n']
    if result.kind != "empty":
        found = (f"{result.total} enterprises found for “{query}”" if en else f"“{query}”共找到 {result.total} 家企业")
        out.append(f"  <p>{escape(found)}</p>\n")
        if result.capped:
            out.append(f'  <div class="notice">{t(*_MANY)}</div>\n')
        if not result.total:
            out.append(f'  <p>{t(*_NONE)}</p>\n')
        out.append(f'  <ul class="results">\n  {hits_html(result.hits)}\n  </ul>\n  {_pager(result, t)}\n')
    return "".join(out)


def _pager(result: SearchResult, t: Any) -> Markup:
    """The template's ``pager`` macro (macros.html)."""
    if result.pages <= 1:
        return Markup("")
    prev = (f'<a rel="prev" href="{escape(page_url(result.page - 1))}">‹ {t("上一页", "Previous")}</a>'
            if result.page > 1 else "")
    nxt = (f'<a rel="next" href="{escape(page_url(result.page + 1))}">{t("下一页", "Next")} ›</a>'
           if result.page < result.pages else "")
    where = t(f"第 {result.page} / {result.pages} 页", f"Page {result.page} of {result.pages}")
    return Markup(f'\n<nav class="pager" aria-label="{t("分页", "Pages")}">\n  {prev}\n'
                  f'  <span>{where}</span>\n  {nxt}\n</nav>\n')
