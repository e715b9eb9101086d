"""What the browser tests share: Debian's Chromium through Playwright's executable_path (never a
browser download), the app served on 127.0.0.1 by a thread, environment variables set for a module."""

from __future__ import annotations

import contextlib
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


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian Chromium for the module."""
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
