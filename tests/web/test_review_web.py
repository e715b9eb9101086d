"""The review queue in the web: every route × role, pairs side by side, decisions honoured, filters."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from credit.domain.workflows import ROLES
from matching.models import MatchJudgement, ReviewItem
from tests.web.conftest import make_app

ALLOWED = {"reviewer", "admin"}
LEFT, RIGHT, OTHER = "commerce/registration/REG-1", "tax/credit_rating/TAX-2", "commerce/registration/REG-2"


@pytest.fixture
def pairs(engine, tokens) -> list[int]:
    """Two open pairs over the web world's records: a tax rating (0.74) and another registration (0.55)."""
    with Session(engine) as s:
        s.add_all([ReviewItem(left_key=LEFT, right_key=RIGHT, score=0.74, explanation="名称相似 0.91, 无共同代码",
                              status="open"),
                   ReviewItem(left_key=LEFT, right_key=OTHER, score=0.55, explanation="名称相似 0.62", status="open")])
        s.commit()
        return list(s.scalars(select(ReviewItem.id).order_by(ReviewItem.score.desc())))


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_review_route_for_every_role(auth, pairs, role):
    client = auth.login(role)
    first = pairs[0]
    for method, path, data in (("get", "/review/", None), ("get", f"/review/{first}", None),
                               ("get", "/review/?department=tax&min=0.7", None),
                               ("post", f"/review/{first}", {"verdict": "skip"})):
        response = getattr(client, method)(path, data=data)
        if role in ALLOWED:
            assert response.status_code == (303 if method == "post" else 200), (path, role)
        elif role == "public":
            assert response.status_code == 302 and "/login" in response.headers["Location"], (path, role)
        else:
            assert response.status_code == 403, (path, role, response.status_code)


def test_the_queue_shows_both_sides_and_the_evidence_line_by_line(auth, pairs):
    page = auth.login("reviewer").get("/review/").get_data(as_text=True)
    assert page.index(f'id="pair-{pairs[0]}"') < page.index(f'id="pair-{pairs[1]}"')  # best score first
    first = page[page.index(f'id="pair-{pairs[0]}"'):page.index(f'id="pair-{pairs[1]}"')]
    assert "<li>名称相似 0.91</li>" in first and "<li>无共同代码</li>" in first
    assert "长沙华盛网络科技有限公司" in first and "深圳华为技术有限公司" in first  # both identities
    assert "REG-1" in first and "TAX-2" in first and "第 " in first  # sources: file and row
    assert first.count('name="verdict"') == 3


def test_filters_by_department_and_score(auth, pairs):
    client = auth.login("reviewer")
    tax = client.get("/review/?department=tax").get_data(as_text=True)
    assert f'id="pair-{pairs[0]}"' in tax and f'id="pair-{pairs[1]}"' not in tax
    low = client.get("/review/?max=0.6").get_data(as_text=True)
    assert f'id="pair-{pairs[1]}"' in low and f'id="pair-{pairs[0]}"' not in low
    none = client.get("/review/?min=0.9").get_data(as_text=True)
    assert 'id="queue-empty"' in none
    bad = client.get("/review/?min=abc")
    assert bad.status_code == 422 and "0 到 1" in bad.get_data(as_text=True)


def test_same_is_stored_as_a_judgement_and_the_pair_leaves_the_queue(engine, auth, pairs):
    client = auth.login("reviewer")
    response = client.post(f"/review/{pairs[0]}?department=tax", data={"verdict": "same", "note": "同一企业"})
    assert response.status_code == 303 and "department=tax" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"待审核项 {pairs[0]} 已处理" in page and f'id="pair-{pairs[0]}"' not in page
    with Session(engine) as s:
        assert s.scalars(select(MatchJudgement.verdict)).all() == ["same"]
        assert s.get(ReviewItem, pairs[0]).status != "open"
    again = client.post(f"/review/{pairs[0]}", data={"verdict": "different"})
    assert again.status_code == 409


def test_skip_moves_a_pair_to_the_end_and_bad_verdicts_are_refused(auth, pairs):
    client = auth.login("reviewer")
    assert client.post(f"/review/{pairs[0]}", data={"verdict": "skip"}).status_code == 303
    page = client.get("/review/").get_data(as_text=True)
    assert page.index(f'id="pair-{pairs[1]}"') < page.index(f'id="pair-{pairs[0]}"')
    bad = client.post(f"/review/{pairs[1]}", data={"verdict": "maybe"})
    assert bad.status_code == 422 and "同一、不同或跳过" in bad.get_data(as_text=True)
    assert client.get("/review/99999").status_code == 404


def test_decisions_need_the_csrf_token(engine, pairs):
    from tests.web.world import PASSWORD

    client = make_app(engine, WTF_CSRF_ENABLED=True).test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"login": "reviewer", "password": PASSWORD, "csrf_token": token})
    assert client.post(f"/review/{pairs[0]}", data={"verdict": "same"}).status_code == 400
    page = client.get("/review/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(f"/review/{pairs[0]}", data={"verdict": "same", "csrf_token": token}).status_code == 303
