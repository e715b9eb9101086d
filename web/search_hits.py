"""Search hits rendered without the template engine: one compiled fragment per hit and language.

The search page lists up to twenty hits, each the same few lines; written by the Jinja loop they
cost more than the search's own queries. A hit (``credit.domain.search.Hit``, frozen: its values are
its identity) gives the same HTML every time in one language, so each ``<li>`` is made once with
escaped values and kept (``FRAGMENTS_KEPT`` per process). The markup is the loop's it replaces.
"""

from __future__ import annotations

from functools import lru_cache

from flask import request, url_for
from markupsafe import Markup, escape

from credit.domain.search import BADGE_BLACK, Hit
from web.i18n import lang
from web.templating import MARK_EN, STATUS_EN, term

FRAGMENTS_KEPT = 16384  # ≈ 1 KB each (fragment, hit, cache entry): ≈ 16 MiB a process when full
_PROBE = 2147483647  # the route's largest id: its digits stand for the id in the link's pattern


@lru_cache(maxsize=64)
def _enterprise_link(root: str) -> tuple[str, str]:
    """The enterprise page's address around its id, for the app's address prefix ``root`` (what
    ``url_for`` builds for every id: the same rule and prefix, the id written in decimal)."""
    href = url_for("public.enterprise", enterprise_id=_PROBE)
    head, probe, tail = href.rpartition(str(_PROBE))
    if not probe:  # a rule that does not write the id as it is given (a converter, a url_defaults hook)
        raise RuntimeError(f"the enterprise page's address does not carry its id as written: {href}")
    return head, tail


def enterprise_href(enterprise_id: int, root: str) -> str:
    """``url_for("public.enterprise", enterprise_id=…)`` without the URL map's build (inside a request of
    the app's prefix ``root``)."""
    head, tail = _enterprise_link(root)
    return f"{head}{int(enterprise_id)}{tail}"


@lru_cache(maxsize=FRAGMENTS_KEPT)
def _fragment(hit: Hit, language: str, root: str) -> Markup:
    """One hit's ``<li>`` (``root``: the app's address prefix, part of its link)."""
    en = language == "en"
    href = enterprise_href(hit.enterprise_id, root)
    name = hit.name or ("(name not published)" if en else "（名称未公示）")
    former = (f'<p class="muted">{"Former name: " if en else "曾用名："}{escape(hit.matched)}</p>'
              if hit.matched else "")
    badges = "".join(f'<strong class="tag {"tag-red" if b == BADGE_BLACK else "tag-amber"}">'
                     f'{escape(term(b, MARK_EN, language))}</strong> ' for b in hit.badges)
    return Markup(
        f'<li>\n      <h2><a href="{escape(href)}">{escape(name)}</a></h2>\n      {former}\n'
        f'      <p>{"USCC" if en else "统一社会信用代码"} {escape(hit.uscc or "—")} · {"Status" if en else "登记状态"} '
        f'{escape(term(hit.status, STATUS_EN, language))}</p>\n      {badges}\n    </li>\n')


def hits_html(hits: list[Hit]) -> Markup:
    """The ``<li>`` of every hit, in the page's language."""
    language, root = lang(), request.script_root
    return Markup("").join(_fragment(h, language, root) for h in hits)
