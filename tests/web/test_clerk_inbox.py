"""The objections and repair inbox of the source department's clerks: open items with their working-day
deadlines (overdue first), answered with a reason through the domain; scope and CSRF enforced."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.orm import Session

from credit.domain.workflow_models import Objection, RepairApplication
from tests.web.clerk_support import TAX_CLERK, add_tax_clerk, folders, open_items  # noqa: F401
from tests.web.conftest import make_app
from tests.web.world import PASSWORD


@pytest.fixture
def items(engine, tokens) -> dict[str, int]:
    return open_items(engine)


def status_of(engine, model, item_id: int) -> tuple[str, str | None]:
    with Session(engine) as s:
        row = s.get(model, item_id)
        assert row is not None
        return row.status, (row.decision_reason if model is Objection else row.reason)


def test_the_inbox_lists_the_department_s_open_items_overdue_first(auth, items):
    page = auth.login("clerk").get("/clerk/inbox").get_data(as_text=True)
    order = [int(m) for m in re.findall(r'<article class="record" id="objection-(\d+)"', page)]
    assert order == [items["late"], items["fresh"]]  # overdue first; the tax objection is not commerce's
    late = page[page.index(f'id="objection-{items["late"]}"'):page.index(f'id="objection-{items["fresh"]}"')]
    assert "已逾期" in late and "答复期限" in late
    assert f'id="repair-{items["repair"]}"' in page and "罚款已缴清" in page
    assert "逾期 1 项" in page


def test_a_tax_clerk_sees_only_tax_items_and_cannot_answer_for_commerce(engine, client, items):
    add_tax_clerk(engine)
    client.post("/login", data={"login": TAX_CLERK, "password": PASSWORD})
    page = client.get("/clerk/inbox").get_data(as_text=True)
    assert f'id="objection-{items["tax"]}"' in page and f'id="objection-{items["fresh"]}"' not in page
    refused = client.post(f"/clerk/inbox/objections/{items['fresh']}", data={"decision": "reject", "reason": "不成立"})
    assert refused.status_code == 403
    assert status_of(engine, Objection, items["fresh"]) == ("open", None)
    refused = client.post(f"/clerk/inbox/repairs/{items['repair']}", data={"decision": "approve", "reason": "同意"})
    assert refused.status_code == 403
    assert status_of(engine, RepairApplication, items["repair"])[0] == "pending"


def test_uphold_revokes_the_record_and_the_enterprise_sees_the_answer(engine, auth, items):
    client = auth.login("clerk")
    assert "CF-1" in client.get("/enterprises/1").get_data(as_text=True)
    response = client.post(f"/clerk/inbox/objections/{items['fresh']}",
                           data={"decision": "uphold", "reason": "复议决定书已核实，撤销该处罚"})
    assert response.status_code == 302 and response.headers["Location"] == "/clerk/inbox"
    assert status_of(engine, Objection, items["fresh"]) == ("upheld", "复议决定书已核实，撤销该处罚")
    page = client.get("/clerk/inbox").get_data(as_text=True)
    assert "已答复异议" in page and f'id="objection-{items["fresh"]}"' not in page
    client.post("/logout")
    auth.login("enterprise")
    mine = client.get("/my/objections").get_data(as_text=True)
    assert "异议成立" in mine and "复议决定书已核实" in mine
    assert "CF-1" not in client.get("/enterprises/1").get_data(as_text=True)  # revoked: gone from public view


def test_uphold_with_corrections_writes_a_corrected_version(engine, auth, items):
    client = auth.login("clerk")
    bad = client.post(f"/clerk/inbox/objections/{items['fresh']}",
                      data={"decision": "uphold", "reason": "金额有误", "corrections": "不存在的列=1"})
    assert bad.status_code == 422 and "列名=正确值" in bad.get_data(as_text=True)
    assert status_of(engine, Objection, items["fresh"])[0] == "open"
    good = client.post(f"/clerk/inbox/objections/{items['fresh']}",
                       data={"decision": "uphold", "reason": "金额有误，已更正", "corrections": "罚款金额（万元）=0.5"})
    assert good.status_code == 302
    assert status_of(engine, Objection, items["fresh"])[0] == "upheld"
    page = client.get("/enterprises/1").get_data(as_text=True)
    assert "CF-1" in page and "0.5" in page


def test_reject_needs_a_reason_and_is_recorded(engine, auth, items):
    client = auth.login("clerk")
    empty = client.post(f"/clerk/inbox/objections/{items['late']}", data={"decision": "reject", "reason": ""})
    text = empty.get_data(as_text=True)
    assert empty.status_code == 422 and "请写明理由" in text and f'href="#objection-{items["late"]}-reason"' in text
    wrong = client.post(f"/clerk/inbox/objections/{items['late']}", data={"decision": "approve", "reason": "x"})
    assert wrong.status_code == 422
    assert status_of(engine, Objection, items["late"]) == ("open", None)
    assert client.post(f"/clerk/inbox/objections/{items['late']}",
                       data={"decision": "reject", "reason": "住所核查仍无法联系"}).status_code == 302
    assert status_of(engine, Objection, items["late"]) == ("rejected", "住所核查仍无法联系")
    again = client.post(f"/clerk/inbox/objections/{items['late']}", data={"decision": "uphold", "reason": "x"})
    assert again.status_code == 409  # already answered


@pytest.mark.parametrize("decision,status", [("approve", "approved"), ("refuse", "rejected")])
def test_a_repair_is_approved_or_refused_with_its_reason(engine, auth, items, decision, status):
    client = auth.login("clerk")
    response = client.post(f"/clerk/inbox/repairs/{items['repair']}", data={"decision": decision, "reason": "已核实"})
    assert response.status_code == 302
    assert status_of(engine, RepairApplication, items["repair"]) == (status, "已核实")
    assert client.post(f"/clerk/inbox/repairs/{items['repair']}",
                       data={"decision": "uphold", "reason": "x"}).status_code in (409, 422)


def test_unknown_items_are_404(auth, items):
    client = auth.login("clerk")
    assert client.post("/clerk/inbox/objections/99999", data={"decision": "reject", "reason": "x"}).status_code == 404
    assert client.post("/clerk/inbox/repairs/99999", data={"decision": "refuse", "reason": "x"}).status_code == 404


def test_csrf_is_enforced_on_the_answer_forms(engine, items):
    client = make_app(engine, WTF_CSRF_ENABLED=True).test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    assert token
    client.post("/login", data={"login": "clerk", "password": PASSWORD, "csrf_token": token.group(1)})
    for path, decision in ((f"/clerk/inbox/objections/{items['fresh']}", "reject"),
                           (f"/clerk/inbox/repairs/{items['repair']}", "refuse")):
        assert client.post(path, data={"decision": decision, "reason": "x"}).status_code == 400
    assert status_of(engine, Objection, items["fresh"])[0] == "open"
    assert status_of(engine, RepairApplication, items["repair"])[0] == "pending"
    page = client.get("/clerk/inbox").get_data(as_text=True)
    good = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert good
    assert client.post(f"/clerk/inbox/objections/{items['fresh']}",
                       data={"decision": "reject", "reason": "x", "csrf_token": good.group(1)}).status_code == 302
