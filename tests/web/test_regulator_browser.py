"""Real headless Chromium (Debian's, through Playwright's executable_path) on the work floor: a reviewer
decides a pair, a regulator downloads an export and opens it, the dashboard draws its charts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from credit.domain.exports_signing import verify_export
from credit.domain.schema import create_all
from credit.kernel.db import make_engine
from matching.models import ReviewItem
from tests.credit.builders import add_record
from tests.web.browser_support import RERUN_ON_CRASH, SHOTS, chromium, environment, served
from tests.web.conftest import make_app
from tests.web.regulator_helpers import csv_rows, xlsx_rows
from tests.web.world import PASSWORD, USCC1, build

pytestmark = RERUN_ON_CRASH


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """The app on 127.0.0.1 over the web world with two pairs to review, in a thread."""
    folder = tmp_path_factory.mktemp("browser-work")
    with environment(CREDIT_PROOF_DIR=str(folder / "proofs"), CREDIT_EXPORT_DIR=str(folder / "exports")):
        engine = make_engine(f"sqlite:///{folder / 'web.db'}")
        create_all(engine)
        build(engine)
        with Session(engine) as s:  # two pairs over records of four other enterprises: one per viewport
            for n, (score, name) in enumerate(((0.81, "长沙星辰科技有限公司"), (0.66, "株洲明月机械有限公司"))):
                add_record(s, "quality", "spot_check", f"QS-{n}", 4 + 2 * n, inspected_name=name)
                add_record(s, "tax", "credit_rating", f"TX-{n}", 5 + 2 * n, taxpayer_name=name.replace("有限公司", "公司"),
                           year=2024, grade="A")
                s.add(ReviewItem(left_key=f"quality/spot_check/QS-{n}", right_key=f"tax/credit_rating/TX-{n}", score=score,
                                 explanation="名称相似 0.90, 无共同代码", status="open"))
            s.commit()
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
    context = browser.new_context(viewport=size, java_script_enabled=request.param == "desktop", accept_downloads=True)
    page = context.new_page()
    page.shot = lambda name: _shot(page, f"{name}-{request.param}")  # type: ignore[attr-defined]
    page.kind = request.param  # type: ignore[attr-defined]
    page.blocked = []  # type: ignore[attr-defined]
    page.on("console", lambda msg: page.blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield page
    context.close()


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _login(page, server: str, login: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/login")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def test_reviewer_decides_a_pair_side_by_side(server, page):
    _login(page, server, "reviewer")
    page.get_by_role("link", name="待审核").first.click()
    first = page.locator("section.review-pair").first
    pair_id = first.get_attribute("id")
    assert first.locator("article.side").count() == 2 and first.locator(".evidence li").count() == 2
    assert first.locator("article.side", has_text="有限公司").count() >= 1 and "第 " in first.inner_text()
    page.shot("31-review-queue")
    first.locator("input[name=note]").fill("同一企业：名称与地址一致")
    first.get_by_role("button", name="是同一企业", exact=True).click()
    assert page.get_by_role("status").filter(has_text="已处理").count() == 1
    assert page.locator(f"section#{pair_id}").count() == 0
    page.shot("32-review-decided")
    assert not page.blocked


def test_regulator_exports_the_black_list_and_opens_the_file(server, page, tmp_path):
    _login(page, server, "regulator")
    page.get_by_role("link", name="监管导出").click()
    page.check("#kind-black")
    fmt = "csv" if page.kind == "desktop" else "xlsx"
    page.select_option("#file_format", fmt)
    page.shot("33-export-form")
    page.get_by_role("button", name="导出", exact=True).click()
    assert page.locator("h1").inner_text() == "导出完成"
    page.shot("34-export-ready")
    saved = {}
    for link in ("#download-file", "#download-manifest", "#download-signature"):
        with page.expect_download() as info:
            page.click(link)
        download = info.value
        saved[link] = tmp_path / download.suggested_filename
        download.save_as(saved[link])
    data = saved["#download-file"].read_bytes()
    rows = csv_rows(data) if fmt == "csv" else xlsx_rows(data)
    assert rows[0][:2] == ["名单 list", "日期 date"] and any(USCC1 in [str(c) for c in row] for row in rows[1:])
    assert verify_export(saved["#download-file"]).ok  # the .sig and .manifest.json downloaded beside it
    assert not page.blocked


def test_the_dashboard_draws_its_charts(server, page):
    _login(page, server, "regulator")
    page.get_by_role("link", name="监管看板").click()
    assert page.locator("h1").inner_text() == "监管看板"
    charts = page.locator("figure.chart-box svg")
    assert charts.count() == 6
    for i in range(6):
        box = charts.nth(i).bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 40  # drawn, not an empty box
    assert page.locator("svg[aria-label*='待审核'] rect.bar").count() == 2
    page.shot("35-dashboard")
    assert not page.blocked
