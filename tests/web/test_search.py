"""Search: any code form straight to its enterprise; names by any usual fragment; only public names."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from credit.domain import search_index
from credit.domain.search import search
from credit.domain.workflows import ROLE_PUBLIC, Actor, InvalidInput
from tests.credit.builders import add_record, registration
from tests.web.world import USCC1

PUBLIC = Actor("citizen", ROLE_PUBLIC)


@pytest.fixture
def s(engine, tokens):
    with Session(engine, expire_on_commit=False) as session:
        yield session


def ids(session, query, **kw):
    return [h.enterprise_id for h in search(session, PUBLIC, query, **kw).hits]


@pytest.mark.parametrize("query", [
    USCC1, USCC1.lower(), " ９１４３０１００ＭＡ４Ｌ０ＸＸＸ１Ｘ ", "9143 0100 MA4L 0XXX 1X",
    "430100000123456",  # registration number
    "MA4L0XXX1", "MA4L0XXX-1", "ma4l0xxx-1",  # organization code with or without hyphen
    "430100MA4L0XXX1",  # 15-character legacy taxpayer id
])
def test_any_code_form_leads_to_its_enterprise(s, query):
    result = search(s, PUBLIC, query)
    assert result.kind == "code" and result.only == 1


@pytest.mark.parametrize("query", [
    "长沙华盛网络科技有限公司", "华盛网络科技", "华盛网络", "华盛", "华盛网络科技有限责任公司",
    "湖南（长沙）华盛网络科技有限公司", "华盛（长沙）网络科技有限公司", "华盛(长沙)网络科技股份有限公司",
    "长沙华盛电子有限公司",  # a former name
])
def test_name_fragments_find_the_enterprise(s, query):
    assert ids(s, query)[0] == 1


def test_two_character_trade_name(s):
    hits = search(s, PUBLIC, "华为").hits
    assert [h.enterprise_id for h in hits] == [2] and hits[0].name == "深圳华为技术有限公司"


def test_hit_carries_public_status_badges_and_the_former_name(s):
    hit = search(s, PUBLIC, "长沙华盛电子").hits[0]
    assert hit.status == "存续" and hit.uscc == USCC1
    assert "严重失信主体名单" in hit.badges and "经营异常名录" in hit.badges
    assert hit.matched == "长沙华盛电子有限公司"


def test_names_and_codes_only_seen_by_government_or_queriers_find_nothing(s):
    assert ids(s, "影子借款") == []  # a loan default borrower name (授权查询)
    add_record(s, "public_security", "case", "PS-9", 5, party_name="湘江隐秘贸易有限公司", uscc="91430100MA4QQQQQ1Q")
    search_index.reindex(s, [5])
    assert ids(s, "隐秘贸易") == [] and search(s, PUBLIC, "91430100MA4QQQQQ1Q").total == 0


def test_records_the_public_does_not_see_today_find_nothing(s):
    from tests.credit.builders import penalty
    from tests.web.world import ago
    penalty(s, "W-1", ago(20), enterprise_id=6, kinds=["警告"], subject_name="湘江隐秘餐饮有限公司",
            uscc="91430100MA4WWWWW1W")  # a warning only: never published
    penalty(s, "OLD-7", ago(2500), enterprise_id=7, fine=2.0, subject_name="湘江陈年旧账有限公司",
            uscc="91430100MA4OOOOO1O")  # past its publicity window
    search_index.reindex(s, [6, 7])
    for query in ("隐秘餐饮", "91430100MA4WWWWW1W", "陈年旧账", "91430100MA4OOOOO1O"):
        assert search(s, PUBLIC, query).total == 0, query


def test_objection_badge(s):
    from datetime import date

    from credit.domain.objections import file_objection
    from credit.domain.workflows import ROLE_ENTERPRISE

    file_objection(s, Actor("李四", ROLE_ENTERPRISE, enterprise_id=2), "commerce", "registration", "REG-2",
                   reason="名称有误", on=date.today())
    assert "异议处理中" in search(s, PUBLIC, "华为").hits[0].badges


def test_ranked_and_paginated(s):
    for n in range(25):
        registration(s, f"REG-P{n}", enterprise_id=100 + n, name=f"长沙华盛{n:02d}建材有限公司", uscc=None)
    search_index.reindex(s, range(100, 125))
    first = search(s, PUBLIC, "华盛", per_page=10)
    assert first.total == 26 and first.pages == 3 and len(first.hits) == 10
    assert ids(s, "长沙华盛网络科技有限公司")[0] == 1  # the exact name ranks first
    third = search(s, PUBLIC, "华盛", page=3, per_page=10)
    assert len(third.hits) == 6
    seen = {h.enterprise_id for p in (1, 2, 3) for h in search(s, PUBLIC, "华盛", page=p, per_page=10).hits}
    assert len(seen) == 26


def test_one_character_is_refused_with_a_hint(s):
    with pytest.raises(InvalidInput, match="两个字"):
        search(s, PUBLIC, "华")


def test_index_follows_resolve(engine, tokens, tmp_path):
    """A record ingested and resolved through the platform is found by the next search."""
    from credit.domain.uploads import resolve_records, upload_file
    from credit.domain.workflows import ROLE_ADMIN, ROLE_CLERK

    path = tmp_path / "reg.csv"
    path.write_text("记录编号,统一社会信用代码,企业名称,登记状态,核准日期\nNEW-1,91430100MA4NEW0001,长沙新鲜出炉食品有限公司,存续,2020-01-01\n",
                    encoding="utf-8")
    upload_file(engine, Actor("王科员", ROLE_CLERK, "commerce"), path, "commerce", "registration")
    with Session(engine) as s:
        assert ids(s, "新鲜出炉") == []
    resolve_records(engine, Actor("admin", ROLE_ADMIN))
    with Session(engine) as s:
        assert len(ids(s, "新鲜出炉")) == 1


def test_index_catches_up_after_a_resolve_made_elsewhere(engine, tokens, tmp_path):
    from matching.service import resolve

    path = tmp_path / "reg.csv"
    path.write_text("记录编号,企业名称,登记状态\nNEW-2,长沙迟到科技有限公司,存续\n", encoding="utf-8")
    from ingest.loader import ingest_file

    ingest_file(engine, path, "commerce", "registration")
    resolve(engine)
    with Session(engine) as s:
        assert len(ids(s, "迟到科技")) == 1


def test_badge_records_are_the_current_records(s):
    from credit.domain.lists import list_types
    from credit.domain.profile import current_records
    from credit.domain.search import badge_records
    from tests.credit.builders import penalty

    penalty(s, "CF-1", "2026-01-01", kinds=["罚款"], fine=9.0, subject_name="新版本")  # a second version
    add_record(s, "commerce", "abnormal_list", "AB-1", 1, op="revoke", name="长沙华盛网络科技有限公司")
    types = list_types("black") | {("commerce", "abnormal_list")}
    assert badge_records(s, [1, 2]) == current_records(s, [1, 2], types=types)
    assert {r.record_id for r in badge_records(s, [1])} >= {"CF-1", "REG-1"} and "AB-1" not in {
        r.record_id for r in badge_records(s, [1])}


def test_a_reused_result_never_outlives_a_change(s):
    from datetime import date

    from credit.domain.objections import file_objection
    from credit.domain.workflows import ROLE_ENTERPRISE

    first = search(s, PUBLIC, "华为")
    assert search(s, PUBLIC, "华为") is first  # nothing changed: the same result
    file_objection(s, Actor("李四", ROLE_ENTERPRISE, enterprise_id=2), "commerce", "registration", "REG-2",
                   reason="名称有误", on=date.today())
    assert "异议处理中" in search(s, PUBLIC, "华为").hits[0].badges  # an audited step: computed again


def test_a_20_character_taxpayer_id_finds_its_individual_business(engine, tmp_path):
    """Stored sealed (it holds the operator's ID number), indexed and found by its keyed pseudonym only."""
    from credit.domain.uploads import resolve_records, upload_file
    from credit.domain.workflows import ROLE_ADMIN, ROLE_CLERK
    from tests.cli.fixtures import write_csv

    tax20 = "43010219800101123401"
    path = write_csv(tmp_path / "ratings.csv", ["记录编号", "纳税人识别号", "纳税人名称", "评价年度", "信用等级"],
                     [["T1", tax20, "长沙市岳麓区刘记副食店", "2024", "A"]])
    upload_file(engine, Actor("clerk", ROLE_CLERK, "tax"), path, "tax", "credit_rating")
    resolve_records(engine, Actor("admin", ROLE_ADMIN))
    with Session(engine) as session:
        assert tax20[:18] not in " ".join(c for (c,) in session.execute(text("SELECT code FROM search_codes")))
        found = search(session, PUBLIC, tax20.lower(), at=date(2025, 6, 1))
        assert found.kind == "code" and found.only is not None
        assert ids(session, "刘记副食店", at=date(2025, 6, 1)) == [found.only]


def test_a_reused_search_page_follows_changes_language_and_viewer(engine, client, auth):
    from credit.domain.objections import file_objection
    from credit.domain.workflows import ROLE_ENTERPRISE

    first = client.get("/search?q=华为").get_data(as_text=True)
    assert "深圳华为技术有限公司" in first and "异议处理中" not in first
    assert client.get("/search?q=华为").get_data(as_text=True) == first  # nothing changed: the same page
    english = client.get("/search?q=华为&lang=en").get_data(as_text=True)
    assert english != first and "Sign in" in english
    with Session(engine, expire_on_commit=False) as s:
        file_objection(s, Actor("李四", ROLE_ENTERPRISE, enterprise_id=2), "commerce", "registration", "REG-2",
                       reason="名称有误", on=date.today())
        s.commit()
    assert "异议处理中" in client.get("/search?q=华为").get_data(as_text=True)  # the change shows at once
    signed_in = auth.login("regulator").get("/search?q=华为").get_data(as_text=True)
    assert "登录" not in signed_in.split("<main", 1)[0] and "政务共享" in signed_in  # the viewer's own header


def test_a_repaired_or_revoked_record_leads_no_search_once_decided(s):
    from datetime import date as day

    from credit.domain.objections import file_objection, uphold_objection
    from credit.domain.repair import apply_for_repair, approve_repair
    from credit.domain.workflows import ROLE_CLERK, ROLE_ENTERPRISE
    from tests.credit.builders import penalty
    from tests.web.world import ago
    penalty(s, "FIX-1", ago(120), enterprise_id=8, fine=5.0, subject_name="湘江已改餐饮有限公司",
            uscc="91430100MA4RRRRR1R")
    penalty(s, "FIX-2", ago(30), enterprise_id=9, fine=5.0, subject_name="湘江错登商贸有限公司",
            uscc="91430100MA4EEEEE1E")
    search_index.reindex(s, [8, 9])
    assert search(s, PUBLIC, "已改餐饮").total == 1 and search(s, PUBLIC, "错登商贸").total == 1
    clerk = Actor("王科员", ROLE_CLERK, "commerce")
    app = apply_for_repair(s, Actor("e8", ROLE_ENTERPRISE, enterprise_id=8), "commerce", "penalty", "FIX-1",
                           proof="已缴清罚款并整改", on=day.today())
    assert app.status == "pending", app.reason
    approve_repair(s, clerk, app.id, reason="整改到位", on=day.today())
    obj = file_objection(s, Actor("e9", ROLE_ENTERPRISE, enterprise_id=9), "commerce", "penalty", "FIX-2",
                         reason="非本企业", on=day.today())
    uphold_objection(s, clerk, obj.id, reason="登记错误", on=day.today())
    assert search(s, PUBLIC, "已改餐饮").total == 0 and search(s, PUBLIC, "91430100MA4RRRRR1R").total == 0
    assert search(s, PUBLIC, "错登商贸").total == 0


def test_the_daily_sweep_drops_what_left_its_publicity_window(s, engine, monkeypatch):
    from datetime import timedelta

    from tests.credit.builders import penalty
    from tests.web.world import ago

    penalty(s, "OLD-8", ago(2500), enterprise_id=8, fine=2.0, subject_name="湘江过期公示有限公司",
            uscc="91430100MA4PPPPP1P")
    penalty(s, "NEW-9", ago(20), enterprise_id=9, fine=2.0, subject_name="湘江当前公示有限公司")
    then = date.fromisoformat(ago(2500)) + timedelta(days=30)  # the day OLD-8 was indexed: inside its window

    class Then(date):
        @classmethod
        def today(cls) -> date:
            return then

    monkeypatch.setattr(search_index, "date", Then)
    search_index.reindex(s, [8])
    monkeypatch.undo()
    search_index.reindex(s, [9])
    s.commit()
    assert s.scalar(text("select count(*) from search_entries where enterprise_id = 8")) == 1  # indexed then
    today = date.today()
    # what changed since a day: OLD-8 left its window (NEW-9 did not exist then: it entered); nothing since today
    assert {8, 9} <= search_index.sweep_targets(s, then, today)
    assert search_index.sweep_targets(s, today - timedelta(days=1), today) == set()
    assert search_index.sweep(engine) >= 2  # the first sweep: every enterprise with a dated record
    s.expire_all()
    for query in ("过期公示", "91430100MA4PPPPP1P"):
        assert search(s, PUBLIC, query).total == 0, query
    assert ids(s, "当前公示") == [9]
    job = search_index.schedule_sweep(s)
    assert search_index.schedule_sweep(s) == job  # one sweep a day, however many workers ask
    s.execute(text("update jobs set status = 'done' where id = :id"), {"id": job})
    s.commit()
    assert search_index.sweep(engine) == 0  # since today's sweep: nothing entered or left its window
