"""resolve / links / review / judge against a database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import Engine, select

from credit.cli.render import judge_text, resolve_text, review_text
from credit.kernel.errors import NotFound
from matching.evidence import decode, render
from matching.models import EnterpriseEvent, RecordLink
from matching.service import MatchingError, current_enterprise_id, judge, list_reviews, resolve, write_links
from tests.matching.conftest import add, org, rec, uscc


def links(engine: Engine) -> dict[str, str]:
    buf = io.StringIO()
    write_links(engine, buf)
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert list(rows[0]) == ["department", "type", "record_id", "enterprise_id"]
    return {f"{r['department']}/{r['type']}/{r['record_id']}": r["enterprise_id"] for r in rows}


def partition(mapping: dict[str, str]) -> set[frozenset[str]]:
    groups: dict[str, set[str]] = {}
    for k, v in mapping.items():
        groups.setdefault(v, set()).add(k)
    return {frozenset(g) for g in groups.values()}


WAVE1 = [
    rec("commerce/registration/1", name="长沙华盛科技有限公司", uscc=uscc(1), legal_rep="张三"),
    rec("quality/spot_check/1", name="华盛科技（长沙）有限公司", org_code=org(1)),
    rec("commerce/registration/2", name="长沙华晟科技有限公司", uscc=uscc(2), legal_rep="李四"),
    rec("commerce/registration/3", name="华盛科技有限公司长沙分公司", uscc=uscc(3)),
    rec("tax/credit_rating/9", name="湖南鑫瑞建设有限公司"),
]
WAVE2 = [
    rec("tax/arrears/1", name="长沙华盛科技有限公司", taxpayer_id="430100" + org(1)),
    rec("tax/credit_rating/9", name="湖南鑫瑞建设有限公司", taxpayer_id=uscc(9, "430000")),
    rec("commerce/registration/9", name="湖南鑫瑞建设有限公司", uscc=uscc(9, "430000")),
    rec("quality/spot_check/3", name="华盛科技有限公司长沙分公司", op="revoke"),
]


def test_incremental_equals_full_and_ids_are_stable(engine: Engine) -> None:
    add(engine, *WAVE1)
    first = resolve(engine)
    assert first.mode == "full" and len(first.new) == 4
    before = links(engine)
    add(engine, *WAVE2)
    inc = resolve(engine)
    assert inc.mode == "incremental" and inc.changed == 4
    after_inc = links(engine)
    for key, eid in before.items():  # nothing changed for these: same ids
        assert after_inc[key] == eid
    assert after_inc["tax/arrears/1"] == after_inc["commerce/registration/1"]
    assert after_inc["quality/spot_check/3"] == after_inc["commerce/registration/3"]  # revoked still linked
    full = resolve(engine, full=True)
    assert full.mode == "full" and not full.merges and not full.splits
    assert links(engine) == after_inc
    assert "new enterprises" in resolve_text(inc)


def test_nothing_new_is_a_no_op(engine: Engine) -> None:
    add(engine, *WAVE1)
    resolve(engine)
    again = resolve(engine)
    assert again.changed == 0 and not again.new and again.relinked == 0


def test_merge_is_recorded_and_old_id_leads_to_successor(engine: Engine) -> None:
    add(engine, rec("commerce/registration/1", name="长沙华盛科技有限公司", legal_rep="张三"),
        rec("tax/credit_rating/1", name="株洲鑫瑞商贸有限公司", taxpayer_id=uscc(1)))
    resolve(engine)
    ids = links(engine)
    a, b = int(ids["commerce/registration/1"]), int(ids["tax/credit_rating/1"])
    assert a != b
    add(engine, rec("tax/credit_rating/1", name="长沙华盛科技有限公司", taxpayer_id=uscc(1)),
        rec("commerce/registration/1", name="长沙华盛科技有限公司", legal_rep="张三", uscc=uscc(1)))
    result = resolve(engine)
    assert len(result.merges) == 1
    loser, winner = result.merges[0]
    assert {loser, winner} == {a, b}
    with engine.connect() as conn:
        assert current_enterprise_id(conn, loser) == winner
        assert current_enterprise_id(conn, winner) == winner
        assert conn.execute(select(EnterpriseEvent.kind)).scalars().all() .count("merge") == 1


def test_review_then_judge_by_record_keys_and_by_enterprise_ids(engine: Engine) -> None:
    add(engine, rec("commerce/registration/1", name="长沙华盛网络科技有限公司", uscc=uscc(1), legal_rep="张三"),
        rec("quality/spot_check/1", name="长沙华盛网络科技有限公司", legal_rep="李四"))
    resolve(engine)
    queue = list_reviews(engine)
    assert len(queue.items) == 1 and "commerce/registration/1" in review_text(queue)
    item = queue.items[0]
    result = judge(engine, item["left_key"], item["right_key"], "same")
    assert "same" in judge_text(result)
    ids = links(engine)
    assert ids["commerce/registration/1"] == ids["quality/spot_check/1"]
    assert not list_reviews(engine).items
    # a later full run keeps the judgement
    resolve(engine, full=True)
    assert links(engine)["commerce/registration/1"] == links(engine)["quality/spot_check/1"]
    # and judging by enterprise id: different
    eid = links(engine)["commerce/registration/1"]
    add(engine, rec("tax/credit_rating/5", name="长沙华盛网络科技有限公司", taxpayer_id=uscc(1)))
    resolve(engine)
    assert links(engine)["tax/credit_rating/5"] == eid
    judge(engine, "tax/credit_rating/5", eid, "different")
    resolve(engine, full=True)
    ids = links(engine)
    assert ids["tax/credit_rating/5"] != ids["commerce/registration/1"]


def test_judge_rejects_unknown_references(engine: Engine) -> None:
    add(engine, *WAVE1)
    resolve(engine)
    with pytest.raises(NotFound):
        judge(engine, "commerce/registration/1", "nope/none/1", "same")
    with pytest.raises(NotFound):  # the same kind of error as a profile of an unknown enterprise
        judge(engine, "commerce/registration/1", "99999", "same")
    with pytest.raises(MatchingError):
        judge(engine, "commerce/registration/1", "commerce/registration/2", "maybe")


def test_every_record_key_gets_one_link_row(engine: Engine) -> None:
    add(engine, *WAVE1)
    add(engine, rec("tax/credit_rating/9", op="revoke"))  # revoke with empty identity
    resolve(engine)
    ids = links(engine)
    assert len(ids) == 5 and all(ids.values())
    with engine.connect() as conn:
        reason = conn.execute(select(RecordLink.reason).where(RecordLink.record_id == "1",
                                                              RecordLink.record_type == "spot_check")).scalar_one()
    assert "organization code" in render(reason)
    assert decode(reason), "the evidence is stored as data"
