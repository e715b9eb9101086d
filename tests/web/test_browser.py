"""Real headless Chromium (Debian's, through Playwright's executable_path; never a browser download)
against the app served on 127.0.0.1 by a test server thread: the three flows people follow."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from credit.domain.schema import create_all
from credit.kernel.db import make_engine
from tests.web.browser_support import RERUN_ON_CRASH, SHOTS, chromium, environment, served
from tests.web.conftest import make_app
from tests.web.world import PASSWORD, USCC1, build

pytestmark = RERUN_ON_CRASH


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """The app on 127.0.0.1, a free port, in a thread that stops with the module."""
    folder = tmp_path_factory.mktemp("browser")
    with environment(CREDIT_PROOF_DIR=str(folder / "proofs")):
        engine = make_engine(f"sqlite:///{folder / 'web.db'}")
        create_all(engine)
        build(engine)
        with served(make_app(engine, WTF_CSRF_ENABLED=True)) as address:
            yield address
        engine.dispose()


@pytest.fixture(scope="module")
def browser(server):  # type: ignore[no-untyped-def]
    with chromium() as launched:
        yield launched


@pytest.fixture(params=["desktop", "phone"])
def page(request, browser):  # type: ignore[no-untyped-def]
    size = {"width": 1200, "height": 900} if request.param == "desktop" else {"width": 390, "height": 844}
    context = browser.new_context(viewport=size, java_script_enabled=request.param == "desktop")
    page = context.new_page()
    page.shot = lambda name: _shot(page, f"{name}-{request.param}")  # type: ignore[attr-defined]
    page.record = "CF-1" if request.param == "desktop" else "AB-1"  # type: ignore[attr-defined]
    yield page
    context.close()


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_citizen_searches_a_noisy_name_then_the_page_then_the_black_list(server, page):
    page.goto(server + "/")
    page.shot("01-start")
    page.fill("#q", " 湖南（长沙）华盛网络科技 有限责任公司 ")
    page.click("button[type=submit]")
    page.shot("02-results")
    hit = page.locator(".results a", has_text="长沙华盛网络科技有限公司")
    assert hit.count() == 1
    assert page.locator(".results .tag", has_text="严重失信主体名单").count() == 1
    hit.click()
    assert page.locator("h1").inner_text() == "长沙华盛网络科技有限公司"
    assert page.get_by_text(USCC1).count() >= 1 and page.get_by_text("长沙市市场监督管理局").count() >= 1
    assert page.get_by_text("HT-SECRET-7731").count() == 0
    page.shot("03-enterprise")
    page.get_by_role("link", name="查看严重失信主体名单").click()
    row = page.locator("tbody tr", has_text="长沙华盛网络科技有限公司")
    assert row.count() == 1 and "严重失信行政处罚" in row.inner_text()
    page.shot("04-black-list")


def _login(page, server: str, login: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/login")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def test_enterprise_objects_to_a_record_and_follows_it(server, page):
    _login(page, server, "firm")
    assert "本企业" in page.locator("nav").first.inner_text()
    page.shot("05-my-profile")
    record = page.record
    card = page.locator(f"article[id$='-{record}']")
    card.get_by_role("link", name="提出异议").click()
    page.click("button[type=submit]")  # empty reason: the error summary links to the field
    assert page.locator(".error-summary a[href='#reason']").count() == 1
    page.shot("06-objection-error")
    page.fill("#reason", "该处罚已于行政复议中撤销，附复议决定书。")
    page.click("button[type=submit]")
    assert page.get_by_text("异议已提交").count() == 1
    row = page.locator("tbody tr", has_text=f"{record}")
    assert row.count() >= 1 and "处理中" in row.first.inner_text()
    page.shot("07-objection-status")
    page.goto(server + "/enterprises/1")
    assert page.get_by_text("异议处理中").count() >= 1
    page.goto(server + "/account")
    page.click("button[type=submit]")  # sign out (a form with its CSRF token)


def test_bank_makes_an_authorised_query_with_a_basis(server, page):
    _login(page, server, "bank")
    page.get_by_role("link", name="申请查询授权").click()
    page.fill("#enterprise_id", "1")
    page.fill("#basis", "《商业银行法》第35条 贷款审查")
    page.shot("08-grant-form")
    page.click("button[type=submit]")
    assert page.get_by_text("本次查询已记录并告知企业").count() == 1
    assert page.get_by_text("HT-SECRET-7731").count() >= 1  # the loan default, 授权查询
    assert page.get_by_text("CASE-SECRET-1").count() == 0  # never a police case
    page.shot("09-authorised-view")


def test_english_switch_without_javascript(server, page):
    page.goto(server + "/enterprises/1")
    page.get_by_role("link", name="English").click()
    assert "Composite credit grade" in page.content()
    page.shot("10-enterprise-en")
    page.get_by_role("link", name="中文").click()
    assert "综合信用等级" in page.content()


def test_clerk_checks_an_enterprise_before_a_subsidy(server, page):
    _login(page, server, "clerk")
    assert page.locator("h1").inner_text().startswith("政务共享")
    page.fill("#enterprise", "1")
    page.fill("#purpose", "2026年科技项目补贴")
    page.click("button[type=submit]")
    assert page.get_by_text("列入严重失信主体名单：依法实施联合惩戒").count() == 1
    assert page.get_by_text("CASE-SECRET-1").count() >= 1  # the police case, 政务共享
    page.shot("11-joint-check")
    page.goto(server + "/catalogue")
    assert page.get_by_text("信贷违约").count() >= 1
    page.shot("12-catalogue")
