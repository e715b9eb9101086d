"""Search cards: a hit read from the index shows exactly what the gate shows the public that day, never
more, and never outlives a change (a window closing, a new version, an objection, a rule change)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import false, select, update
from sqlalchemy.orm import Session

from credit.domain import search_cards, search_index
from credit.domain.policy import add_months, load_policy
from credit.domain.search import search
from credit.domain.search_cards import BADGE_BLACK, hit_of, hits_from_cards, public_records
from credit.domain.web_models import SearchCard, SearchState
from credit.domain.workflows import ROLE_ENTERPRISE, ROLE_PUBLIC, Actor
from credit.kernel.models import Batch
from tests.credit.builders import add_record, registration
from tests.web.test_crawler import generate

PUBLIC = Actor("citizen", ROLE_PUBLIC)
TODAY = date.today()


@pytest.fixture
def s(engine, tokens):
    with Session(engine, expire_on_commit=False) as session:
        yield session


def live(session: Session, ids: list[int], at: date) -> dict:
    public = public_records(session, ids, at)
    return {eid: hit_of(eid, public.get(eid, []), None, at) for eid in ids}


def test_a_card_shows_what_the_gate_shows_on_every_day_it_holds(engine):
    """Every record type × openness × publicity state (the crawler's data): on each of the next days, a
    card that is used equals the hit decided from the records that day; today every card is used."""
    with Session(engine, expire_on_commit=False) as s:
        generate(s)
        ids = [int(i) for i in s.scalars(select(SearchCard.enterprise_id))]
        assert len(ids) > 50
        assert hits_from_cards(s, ids, {}, TODAY) == live(s, ids, TODAY)
        for days in range(1, search_cards.CARD_DAYS + 3):
            day = TODAY + timedelta(days=days)
            decided = live(s, ids, day)
            for eid, hit in hits_from_cards(s, ids, {}, day).items():
                assert hit == decided[eid], (day, eid)


def test_a_card_ends_before_the_day_its_hit_changes(s):
    """A listing that turns three years old in two days puts its enterprise on the black list then:
    the card holds until the day before, and the search on that day shows the black list."""
    months = load_policy()["black_list"]["abnormal_unremoved_months"]
    listed = add_months(TODAY + timedelta(days=2), -months)
    registration(s, "REG-AGE", enterprise_id=40, name="长沙老挂号商贸有限公司", uscc="91430100MA4AGEDX1A")
    add_record(s, "commerce", "abnormal_list", "AB-AGE", 40, name="长沙老挂号商贸有限公司", uscc="91430100MA4AGEDX1A",
               listed_reason="通过登记的住所无法联系", listed_date=listed.isoformat())
    search_index.refresh(s)
    card = s.get(SearchCard, 40)
    assert card is not None and card.valid_until == TODAY + timedelta(days=1)
    assert BADGE_BLACK not in search(s, PUBLIC, "老挂号商贸").hits[0].badges
    assert BADGE_BLACK in search(s, PUBLIC, "老挂号商贸", at=TODAY + timedelta(days=2)).hits[0].badges


def test_a_version_not_yet_indexed_is_decided_from_the_records(s):
    """The serious penalty revoked (a new version, no resolve since): the black list badge goes at once."""
    assert BADGE_BLACK in search(s, PUBLIC, "华盛网络").hits[0].badges
    assert hits_from_cards(s, [1], {}, TODAY)  # the world is indexed: its card is used
    add_record(s, "commerce", "penalty", "CF-1", 1, op="revoke", subject_name="长沙华盛网络科技有限公司")
    assert hits_from_cards(s, [1], {}, TODAY) == {}
    assert BADGE_BLACK not in search(s, PUBLIC, "华盛网络").hits[0].badges


def test_a_batch_committed_after_a_later_numbered_one_is_still_read(s):
    """Two ingests may commit out of id order (PostgreSQL hands ids out at insert, not at commit): the
    index read a batch whose versions are numbered above a batch that committed after it. That late
    batch's version (the serious penalty revoked) is found by its batch being unread, not by its id:
    the search decides the enterprise from its records, and the next refresh re-indexes it."""
    assert BADGE_BLACK in search(s, PUBLIC, "华盛网络").hits[0].badges
    late = add_record(s, "commerce", "penalty", "CF-1", 1, op="revoke", subject_name="长沙华盛网络科技有限公司")
    early = add_record(s, "commerce", "registration", "REG-2", 2, name="深圳华为技术有限公司",
                       uscc="914403001922038216")
    assert early.id > late.id
    # what a refresh saw while the late batch was not yet committed: the other batch, and ids up to its own
    s.execute(update(Batch).where(Batch.id == early.batch_id).values(indexed=True))
    s.execute(update(SearchState).values(source_id=early.id))
    assert 1 not in hits_from_cards(s, [1, 2], {}, TODAY)  # enterprise 1: decided from its records
    assert BADGE_BLACK not in search(s, PUBLIC, "华盛网络").hits[0].badges
    search_index.refresh(s)
    assert s.get(Batch, late.batch_id).indexed
    assert BADGE_BLACK not in hits_from_cards(s, [1], {}, TODAY)[1].badges  # the card re-decided


def test_batches_read_between_the_count_and_the_list_leave_nothing_stale(s, monkeypatch):
    """PostgreSQL reads each statement at its own moment: the freshness row may count an unread
    batch that a refresh has read by the time the batches are listed. Nothing is stale then."""
    add_record(s, "commerce", "penalty", "CF-9", 1, subject_name="长沙华盛网络科技有限公司")  # an unread batch
    monkeypatch.setattr(search_cards, "_PENDING_BATCHES", search_cards._PENDING_BATCHES.where(false()))
    search_cards._TAILS.clear()
    assert search_cards.stale_enterprises(s) == frozenset()


def test_an_objection_filed_or_rejected_renews_the_card(s):
    from credit.domain.objections import file_objection, reject_objection
    from credit.domain.workflows import ROLE_CLERK

    obj = file_objection(s, Actor("李四", ROLE_ENTERPRISE, enterprise_id=2), "commerce", "registration", "REG-2",
                         reason="名称有误", on=TODAY)
    assert "异议处理中" in hits_from_cards(s, [2], {}, TODAY)[2].badges
    reject_objection(s, Actor("王科员", ROLE_CLERK, "commerce"), obj.id, reason="登记无误", on=TODAY)
    assert hits_from_cards(s, [2], {}, TODAY)[2].badges == ()
    assert search(s, PUBLIC, "华为").hits[0].badges == ()


def test_a_card_decided_under_other_rules_is_not_used(s):
    s.execute(update(SearchCard).values(rules="older-rules"))
    assert hits_from_cards(s, [1, 2], {}, TODAY) == {}
    assert search(s, PUBLIC, "华为").hits[0].name == "深圳华为技术有限公司"


LOOP = """{% from "macros.html" import badges %}{% for h in hits %}
    <li>
      <h2><a href="{{ url_for('public.enterprise', enterprise_id=h.enterprise_id) }}">{{ h.name or t("（名称未公示）", "(name not published)") }}</a></h2>
      {% if h.matched %}<p class="muted">{{ t("曾用名：", "Former name: ") }}{{ h.matched }}</p>{% endif %}
      <p>{{ t("统一社会信用代码", "USCC") }} {{ h.uscc or "—" }} · {{ t("登记状态", "Status") }} {{ status_term(h.status) }}</p>
      {{ badges(h.badges) }}
    </li>
{% endfor %}"""


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_hit_fragment_is_the_template_loop_it_replaced(app, language):
    """Every field, badge and missing value, and a name with markup in it (escaped), in both languages."""
    import re

    from flask import render_template_string

    from credit.domain.search_cards import BADGE_ABNORMAL, BADGE_OBJECTION, Hit
    from web.search_hits import hits_html

    hits = [Hit(1, "长沙<b>华盛</b>&网络科技有限公司", "91430100MA4L0XXX1X", "存续", (BADGE_BLACK, BADGE_ABNORMAL),
                "长沙华盛电子有限公司"),
            Hit(2, None, None, None, (BADGE_OBJECTION,)), Hit(3, "深圳华为技术有限公司", "914403001922038216", "吊销")]
    with app.test_request_context(f"/search?q=x&lang={language}"):
        loop = render_template_string(LOOP, hits=hits)
        fragment = str(hits_html(hits))
    assert "&lt;b&gt;" in fragment and "<b>" not in fragment
    assert re.sub(r"\s+", " ", fragment).strip() == re.sub(r"\s+", " ", loop).strip()


@pytest.mark.parametrize("root", ["", "/lz"])
def test_the_hit_link_is_url_for(app, root):
    """The link a kept fragment writes is the address url_for builds, under any app prefix."""
    from flask import url_for

    from web.search_hits import enterprise_href

    with app.test_request_context("/search?q=x", base_url=f"http://localhost{root}"):
        for eid in (1, 7, 42, 1000000, 2147483647):
            assert enterprise_href(eid, root) == url_for("public.enterprise", enterprise_id=eid)
