"""What the browser tests share: Debian's Chromium through Playwright's executable_path (never a
browser download), the app served on 127.0.0.1 by a thread, environment variables set for a module."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CREDIT_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions"]
SHOTS = Path(os.environ.get("CREDIT_SCREENSHOTS", "/tmp/lianzheng-screenshots"))
# A test whose browser process died under it runs again (twice at most) in a browser launched anew;
# an assertion that fails is never run again.
LOG = logging.getLogger(__name__)
RERUN_ON_CRASH = pytest.mark.flaky(reruns=2, only_rerun=["TargetClosedError"])

playwright_api = pytest.importorskip("playwright.sync_api")
if not shutil.which(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM} (scripts/setup installs Debian's chromium)", allow_module_level=True)


@contextlib.contextmanager
def served(app: Flask) -> Iterator[str]:
    """The app on 127.0.0.1 at a free port, in a thread, while the block runs: its address."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """Environment variables set while the block runs, then put back as they were."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class Chromium:
    """A headless Debian Chromium for a module, launched again when its process has died: a browser
    that crashes (it has, once, under a loaded CI machine) fails the step it was in, never every test
    after it; the crash is logged as a warning so it is seen."""

    def __init__(self, pw: Any) -> None:
        self._pw = pw
        self._browser: Any = None

    def _live(self) -> Any:
        if self._browser is not None and not self._browser.is_connected():
            LOG.warning("Chromium's process died; launching it again for the next test")
            self._browser = None
        if self._browser is None:
            self._browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        return self._browser

    def new_context(self, **options: Any) -> Any:
        return self._live().new_context(**options)

    def close(self) -> None:
        if self._browser is not None and self._browser.is_connected():
            self._browser.close()


@contextlib.contextmanager
def chromium() -> Iterator[Chromium]:
    """A headless Debian Chromium for the module (launched again if it dies)."""
    with playwright_api.sync_playwright() as pw:
        browser = Chromium(pw)
        try:
            yield browser
        finally:
            browser.close()
