"""Real headless Chromium (Debian's, through Playwright's executable_path): a clerk signs in, uploads a
file, watches the batch page refresh itself (no JavaScript needed) until the report, and downloads
the rejected rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from credit.domain.schema import create_all
from credit.kernel.db import make_engine
from tests.web.browser_support import RERUN_ON_CRASH, SHOTS, chromium, environment
from tests.web.browser_support import served as serving
from tests.web.clerk_support import open_items, penalty_csv, run_worker
from tests.web.conftest import make_app
from tests.web.world import PASSWORD, build

ENV = ("CREDIT_PROOF_DIR", "CREDIT_UPLOAD_DIR", "CREDIT_EXPORT_DIR")

pytestmark = RERUN_ON_CRASH


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, object, Path]]:
    """The app on 127.0.0.1 in a thread; its address, its engine and a folder."""
    folder = tmp_path_factory.mktemp("clerk-browser")
    with environment(**{name: str(folder / name.lower()) for name in ENV}):
        engine = make_engine(f"sqlite:///{folder / 'web.db'}")
        create_all(engine)
        build(engine)
        with serving(make_app(engine, WTF_CSRF_ENABLED=True)) as address:
            yield address, engine, folder
        engine.dispose()


@pytest.fixture(scope="module")
def browser(served):  # type: ignore[no-untyped-def]
    with chromium() as launched:
        yield launched


def test_clerk_answers_the_overdue_objection_first(served, browser):
    """(First: the upload test's resolve may relink the world's records.)"""
    server, engine, _ = served
    items = open_items(engine)
    context = browser.new_context(viewport={"width": 1200, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "/login")
    page.fill("#login", "clerk")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.get_by_role("link", name="上传与待办").click()
    page.get_by_role("link", name="异议与修复待办").click()
    first = page.locator("article.record").first
    assert first.get_attribute("id") == f"objection-{items['late']}" and "已逾期" in first.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "23-clerk-inbox.png"), full_page=True)
    first.get_by_label("异议不成立").check()
    first.locator("textarea[name=reason]").fill("经核查，住所仍无法联系")
    first.get_by_role("button", name="提交答复").click()
    assert page.get_by_text(f"已答复异议 {items['late']}").count() == 1
    assert page.locator(f"#objection-{items['late']}").count() == 0
    context.close()


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_clerk_uploads_follows_the_progress_reads_the_report_and_downloads_the_rejects(served, browser, device):
    server, engine, folder = served
    size = {"width": 1200, "height": 900} if device == "desktop" else {"width": 390, "height": 844}
    context = browser.new_context(viewport=size, java_script_enabled=device == "desktop", accept_downloads=True)
    page = context.new_page()
    shot = lambda name: (SHOTS.mkdir(parents=True, exist_ok=True),  # noqa: E731
                         page.screenshot(path=str(SHOTS / f"{name}-{device}.png"), full_page=True))
    page.goto(server + "/login")
    page.fill("#login", "clerk")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.get_by_role("link", name="上传与待办").click()
    page.get_by_role("link", name="上传文件").first.click()
    page.select_option("#type", "commerce/penalty")
    start = 1 if device == "desktop" else 1001  # a new file for each device, not a re-sent one
    upload = folder / f"处罚-{device}.csv"
    upload.write_bytes(penalty_csv(30, 10, start=start))
    page.set_input_files("#files", str(upload))
    shot("20-clerk-upload")
    page.click("button[type=submit]")
    assert page.locator("[data-status=queued]").count() == 1  # answered at once: the worker has not run
    assert "自动刷新" in page.content()
    shot("21-clerk-batch-queued")
    run_worker(engine)
    page.wait_for_selector("[data-status=done]", timeout=30_000)  # the page refreshed itself
    assert page.locator("[data-count=read]").inner_text() == "30"
    assert page.locator("[data-count=rejected]").inner_text() == "3"
    rows = page.locator("#rejects ~ .table-scroll tbody tr")
    assert rows.count() == 3 and "处罚决定日期" in rows.first.inner_text()
    shot("22-clerk-batch-report")
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV").click()
    path = info.value.path()
    data = Path(path).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert len(lines) == 4 and "处罚决定日期" in lines[1]
    with page.expect_download() as info:
        page.get_by_role("link", name="XLSX").click()
    assert Path(info.value.path()).read_bytes()[:2] == b"PK"
    context.close()
