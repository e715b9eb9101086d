"""``python -m credit serve`` starts gunicorn over CREDIT_DATABASE_URL and prints its address."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_serve_prints_its_address_and_answers(tmp_path):
    env = {**os.environ, "CREDIT_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}", "CREDIT_RATELIMIT": "0"}
    assert subprocess.run([sys.executable, "-m", "credit", "demo", "--out", str(tmp_path / "demo")], env=env,
                          cwd=ROOT, capture_output=True, timeout=300).returncode == 0
    logins = subprocess.run([sys.executable, "-m", "credit", "user", "demo"], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert logins.returncode == 0 and "demo-enterprise" in logins.stdout and "lianzheng-demo" in logins.stdout
    proc = subprocess.Popen([sys.executable, "-m", "credit", "serve", "--port", "0", "--workers", "1"], env=env,
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith("联征网站 / Lianzheng web: http://127.0.0.1:")
        address = line.split(": ", 1)[1].split()[0]
        body = ""
        for _ in range(100):
            try:
                with urllib.request.urlopen(address + "healthz", timeout=5) as response:
                    body = response.read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert '"status":"ok"' in body.replace(" ", "")
        with urllib.request.urlopen(address + "lists/black", timeout=10) as response:
            assert "严重失信主体名单" in response.read().decode()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_gives_gunicorn_a_timeout_long_enough_for_a_large_upload(tmp_path, monkeypatch):
    from credit.cli import main

    monkeypatch.setenv("CREDIT_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    started: list[list[str]] = []
    monkeypatch.setattr(os, "execve", lambda path, argv, env: started.append(argv))
    assert main(["serve", "--port", "8123"]) == 0
    assert main(["serve", "--port", "8123", "--timeout", "900"]) == 0
    timeouts = [argv[argv.index("--timeout") + 1] for argv in started]
    assert timeouts == ["300", "900"]  # gunicorn's own 30 s would cut a 379 MB upload off on a slow link
