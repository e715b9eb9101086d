"""The public search answered on the driver (credit/domain/search_sql.py) is the session's search:
the same hits, ranking, badges and pages on generated data holding every record type × openness ×
publicity state, and in every state a card can be in (fresh, stale behind an unread batch, decided
under other rules, a merged id still indexed); nothing the gate hides ever appears."""

from __future__ import annotations

from dataclasses import astuple
from datetime import date, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from credit.domain import search, search_index, search_sql
from credit.domain.search import SearchResult
from credit.domain.web_models import SearchCard
from credit.domain.workflows import ROLE_ENTERPRISE, ROLE_PUBLIC, Actor, InvalidInput
from credit.kernel.models import utcnow
from matching.models import Enterprise, ResolutionRun
from tests.credit.builders import add_record, registration
from tests.web.test_crawler import generate
from tests.web.world import SECRETS, USCC1, USCC2

PUBLIC = Actor("citizen", ROLE_PUBLIC)
IN_SESSION = search_sql._in_session  # (the world fixture forbids it)
TODAY = date.today()
FIXED = ["华盛", "华为", "长沙华盛网络科技有限公司", "长沙华盛电子", "深圳华为技术有限公司", "华盛网络科技",
         "克劳勒", "克劳勒00", "网络科技", "有限公司", "没有这家企业", USCC1, USCC1.lower(), USCC2,
         "430100000123456", USCC1[8:17], USCC1[8:16] + "-" + USCC1[16], "91430100MA4L0XXX19"]


@pytest.fixture
def world(engine, tokens, monkeypatch):
    """The small world and the crawler's data, indexed; the index check not due, the cache off."""
    with Session(engine, expire_on_commit=False) as s:
        hidden, _personal, names, _shown = generate(s)
    monkeypatch.setattr(search_index, "CHECK_EVERY", 3600.0)
    monkeypatch.setattr(search, "CACHE_SIZE", 0)
    with Session(engine) as s:
        search_index.ensure_current(s)  # checked now: the driver path answers from here on

    def no_session_path(*_args, **_kw):
        raise AssertionError("the driver path fell back to the session's search")

    monkeypatch.setattr(search_sql, "_in_session", no_session_path)
    queries = FIXED + names[::5] + [n[3:9] for n in names[1::9]]
    return queries, hidden


def both(engine, query: str, page: int = 1, per_page: int = 20) -> tuple[object, object]:
    """(the driver's answer, the session's) for one query, each an InvalidInput when refused."""
    def attempt(fn):
        try:
            return fn()
        except InvalidInput as exc:
            return ("refused", str(exc))

    driver = attempt(lambda: search_sql.answer(engine, PUBLIC, query, page=page, per_page=per_page))
    with Session(engine) as s:
        session = attempt(lambda: search.search(s, PUBLIC, query, page=page, per_page=per_page))
    return driver, session


def check_all(engine, queries: list[str], hidden: set[str]) -> int:
    """Every query, first pages and a small-page walk, equal both ways; the hits found, counted."""
    found = 0
    for query in queries:
        for page, per_page in ((1, 20), (1, 3), (2, 3), (3, 3)):
            driver, session = both(engine, query, page, per_page)
            assert driver == session, (query, page, per_page)
            if isinstance(driver, SearchResult):
                found += len(driver.hits)
                for hit in driver.hits:
                    text = " ".join(str(v) for v in astuple(hit))
                    assert not any(marker in text for marker in (*hidden, *SECRETS)), (query, hit)
    return found


def test_the_driver_answers_what_the_session_answers(engine, world):
    queries, hidden = world
    assert check_all(engine, queries, hidden) > 100
    code = search_sql.answer(engine, PUBLIC, USCC1.lower())
    assert code.kind == "code" and code.only == 1
    assert search_sql.answer(engine, PUBLIC, "  ").kind == "empty"
    with pytest.raises(InvalidInput):
        search_sql.answer(engine, PUBLIC, "华")
    with pytest.raises(InvalidInput):
        search_sql.answer(engine, PUBLIC, "华盛", page=0)


def test_the_same_with_stale_cards_other_rules_and_a_merged_id(engine, world):
    """A new version in an unread batch (the serious penalty revoked), cards under other rules, an
    indexed enterprise merged since: the driver decides those hits as the session does."""
    queries, hidden = world
    with Session(engine, expire_on_commit=False) as s:
        add_record(s, "commerce", "penalty", "CF-1", 1, op="revoke", subject_name="长沙华盛网络科技有限公司")
        s.commit()
    assert check_all(engine, queries, hidden) > 100
    with Session(engine) as s:
        s.execute(update(SearchCard).where(SearchCard.enterprise_id % 3 == 0).values(rules="older-rules"))
        s.execute(update(SearchCard).where(SearchCard.enterprise_id % 3 == 1).values(valid_until=TODAY - timedelta(days=1)))
        s.commit()
    assert check_all(engine, queries, hidden) > 100
    with Session(engine) as s:
        s.execute(update(Enterprise).where(Enterprise.id == 2).values(status="merged", successor_id=1))
        s.commit()
    assert check_all(engine, queries, hidden) > 100
    assert all(h.enterprise_id != 2 for h in search_sql.answer(engine, PUBLIC, "华为").hits)


def test_a_kept_result_never_outlives_a_change(engine, world, monkeypatch):
    from credit.domain.objections import file_objection

    monkeypatch.setattr(search, "CACHE_SIZE", 64)
    first = search_sql.answer(engine, PUBLIC, "华为")
    assert search_sql.answer(engine, PUBLIC, "华为") is first
    with Session(engine, expire_on_commit=False) as s:
        assert search.search(s, PUBLIC, "华为") is first  # one cache, one key, both ways
        file_objection(s, Actor("李四", ROLE_ENTERPRISE, enterprise_id=2), "commerce", "registration", "REG-2",
                       reason="名称有误", on=TODAY)
        s.commit()
    again = search_sql.answer(engine, PUBLIC, "华为")
    assert again is not first and again.hits[0].badges != first.hits[0].badges
    with Session(engine, expire_on_commit=False) as s:  # a batch the index has not read: a new key
        add_record(s, "commerce", "penalty", "CF-2", 2, subject_name="深圳华为技术有限公司")
        s.commit()
    assert search_sql.answer(engine, PUBLIC, "华为") is not again


def test_the_stale_enterprises_are_the_cards_own(engine, world):
    """The driver's freshness from the data version row equals search_cards.stale_enterprises."""
    from credit.domain.search_cards import stale_enterprises

    for step in range(3):
        with Session(engine, expire_on_commit=False) as s:
            expected = stale_enterprises(s)
        with search_sql.DriverReader(engine) as reader:
            assert reader.stale() == expected, step
        with Session(engine, expire_on_commit=False) as s:
            add_record(s, "commerce", "penalty", f"CF-S{step}", 2, subject_name="深圳华为技术有限公司")
            s.commit()
    assert expected == frozenset({2})  # an unread batch's enterprise


def test_the_same_when_a_bigram_is_too_common(engine, world):
    """Over CANDIDATE_CAP entries share the query's first bigram: the capped answer, and the rarest
    bigram's entries read instead, are the session's."""
    from credit.domain.search import CANDIDATE_CAP

    names = [(50_000 + i, f"泛科技{i:05d}{'电子' if i % 3 else '贸易'}有限公司", False)
             for i in range(CANDIDATE_CAP + 200)]
    with Session(engine) as s:
        search_index.write_rows(s, names, set())
        s.commit()
    for query in ("泛科", "泛科技", "泛科技00013电子", "泛科技0001", "泛科技贸易", "技000", "泛科技99999"):
        driver, session = both(engine, query)
        assert driver == session, query
        small = both(engine, query, page=3, per_page=7)
        assert small[0] == small[1], query
    assert search_sql.answer(engine, PUBLIC, "泛科").capped
    assert search_sql.answer(engine, PUBLIC, "泛科技00013电子").total >= 1


def test_batches_read_between_the_version_and_their_list_leave_nothing_stale(sqlite_engine, monkeypatch):
    """PostgreSQL reads each statement at its own moment: the version may count unread batches that a
    refresh has read by the time they are listed. Nothing is stale then (and the search answers)."""
    with search_sql.DriverReader(sqlite_engine) as reader:
        reader._version = (1, 1, 1, 1, 0, 1, 0, 2, 5, 6, 11)  # indexed, two unread batches counted
        monkeypatch.setattr(reader, "_rows", lambda statement, params=None: [])  # ... and none listed
        assert reader.stale() == frozenset()


def test_a_run_made_elsewhere_is_indexed_when_the_check_falls_due(engine, world, monkeypatch):
    """A resolution run the app did not make (a CLI on another host) is not in the index until the
    index check falls due; then the driver hands the search to the session path, which re-indexes
    what changed and answers with it."""
    with Session(engine, expire_on_commit=False) as s:
        registration(s, "REG-2", enterprise_id=2, name="深圳鸿蒙星辰技术有限公司", uscc=USCC2)
        s.add(ResolutionRun(mode="incremental", max_source_id=10**9, started_at=utcnow()))
        s.commit()
    assert search_sql.answer(engine, PUBLIC, "鸿蒙星辰").total == 0  # not due: the index as it stands
    monkeypatch.setattr(search_sql, "_in_session", IN_SESSION)
    monkeypatch.setattr(search_index, "CHECK_EVERY", 0.0)
    found = search_sql.answer(engine, PUBLIC, "鸿蒙星辰")
    assert [h.enterprise_id for h in found.hits] == [2] and found.hits[0].name == "深圳鸿蒙星辰技术有限公司"
    monkeypatch.setattr(search_index, "CHECK_EVERY", 3600.0)  # checked: the driver answers again, as the session
    monkeypatch.setattr(search_sql, "_in_session", lambda *a, **k: pytest.fail("the session path ran again"))
    driver, session = both(engine, "鸿蒙星辰")
    assert driver == session and driver.total == 1
