"""The search page written without the template engine is the template's page; a kept result is
found without a session only while nothing changed."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import g, render_template
from sqlalchemy.orm import Session

from credit.domain import search_index
from credit.domain.search import search
from credit.domain.search_sql import answer
from credit.domain.workflows import ROLE_ENTERPRISE, ROLE_PUBLIC, ROLE_REGULATOR, Actor
from web import search_page

PUBLIC = Actor("citizen", ROLE_PUBLIC)


@pytest.fixture
def more(engine, tokens):
    """A second enterprise named 华盛, so a page of one hit has a pager."""
    from tests.credit.builders import registration

    with Session(engine) as s:
        registration(s, "REG-P1", enterprise_id=101, name="长沙华盛01建材有限公司", uscc=None)
        search_index.reindex(s, [101])
        s.commit()


def flat(html: str) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


@pytest.mark.parametrize("query,page,per_page", [("华盛", 1, 20), ("华盛", 1, 1), ("华盛", 2, 1),
                                                 ("没有这家企业", 1, 20), ("深圳华为技术有限公司", 1, 20)])
@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("viewer", [PUBLIC, Actor("监管员", ROLE_REGULATOR)])
def test_the_page_is_the_templates(app, engine, more, query, page, per_page, language, viewer):
    with Session(engine) as s:
        result = search(s, PUBLIC, query, page=page, per_page=per_page)
    assert result.kind == "name"
    with app.test_request_context(f"/search?q={query}&page={page}&lang={language}"):
        g.actor = viewer
        ours = search_page.page(query, result)
        template = render_template("public/search.html", query=query, result=result, errors={})
    assert flat(ours) == flat(template)
    assert ("Search results" in ours) == (language == "en")
    if per_page == 1:  # two hits, one a page: the pager links the other page
        assert result.total == 2 and f"page={3 - page}" in ours


def test_a_query_is_escaped(app, engine):
    query = '华盛"><script>x</script>'
    with Session(engine) as s:
        result = search(s, PUBLIC, query)
    with app.test_request_context("/search", query_string={"q": query}):
        ours = search_page.page(query, result)
    assert "<script>x" not in ours and "&lt;script&gt;x" in ours


def test_a_kept_result_is_found_without_a_session_until_something_changes(engine, tokens, monkeypatch):
    """The driver's answer (the search page's) and the session's search share kept results: one
    kept by either is the other's, until an audited step changes the data version."""
    from credit.domain.objections import file_objection

    monkeypatch.setattr(search_index, "CHECK_EVERY", 3600.0)  # no index check due during the test
    with Session(engine) as s:
        first = search(s, PUBLIC, "华为")
        s.commit()
    assert answer(engine, PUBLIC, "华为") is first
    assert answer(engine, PUBLIC, "华为", page=2) is not first
    with Session(engine, expire_on_commit=False) as s:
        file_objection(s, Actor("李四", ROLE_ENTERPRISE, enterprise_id=2), "commerce", "registration", "REG-2",
                       reason="名称有误", on=date.today())
        s.commit()
    again = answer(engine, PUBLIC, "华为")  # an audited step since: computed again
    assert again is not first and answer(engine, PUBLIC, "华为") is again
    with Session(engine) as s:
        assert search(s, PUBLIC, "华为") is again
    assert again.hits[0].badges != first.hits[0].badges


@pytest.mark.parametrize("path", ["/healthz", "/search?q=华为", "/enterprises/1", "/login"])
@pytest.mark.parametrize("https", [False, True])
def test_the_kept_security_headers_are_talismans(engine, tokens, path, https):
    from types import SimpleNamespace

    import flask_talisman
    from werkzeug.datastructures import Headers

    from tests.web.conftest import make_app
    from web.extensions import talisman

    app = make_app(engine, CREDIT_FORCE_HTTPS=https)
    headers = {"X-Forwarded-Proto": "https"} if https else {}
    for _ in range(2):  # worked out, then kept
        with app.test_request_context(path, headers=headers) as ctx:
            ctx.request.url_rule, ctx.request.view_args = app.url_map.bind("localhost").match(
                ctx.request.path, return_rule=True)
            ours, theirs = SimpleNamespace(headers=Headers()), SimpleNamespace(headers=Headers())
            talisman._set_response_headers(ours)
            flask_talisman.Talisman._set_response_headers(talisman, theirs)
        assert dict(ours.headers) == dict(theirs.headers)
        assert "Content-Security-Policy" in ours.headers
        assert ("Strict-Transport-Security" in ours.headers) == https


def test_a_page_past_a_code_queries_one_hit_is_an_empty_page(client):
    """Page 2 of a code that leads to one enterprise: the page, with no hits (it was a server error)."""
    from tests.web.world import USCC1

    assert client.get(f"/search?q={USCC1}").status_code == 302
    response = client.get(f"/search?q={USCC1}&page=2")
    assert response.status_code == 200
    assert 'href="/enterprises/' not in response.get_data(as_text=True)
