"""Fixtures for the jobs and work-floor tests: upload and export folders, actors, a worker."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import Engine

from credit.domain.workflows import ROLE_CLERK, ROLE_REGULATOR, ROLE_REVIEWER, Actor
from credit.jobs.handlers import default_handlers
from credit.jobs.worker import Worker, WorkerConfig

PENALTY_HEADER = ["记录编号", "行政相对人名称", "统一社会信用代码", "法定代表人证件号码", "处罚类别", "罚款金额（万元）",
                  "处罚决定日期", "是否严重失信"]
USCC = "91110000600037341L"


@pytest.fixture(autouse=True)
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Uploads and exports in this test's own folder."""
    monkeypatch.setenv("CREDIT_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("CREDIT_EXPORT_DIR", str(tmp_path / "exports"))
    return tmp_path


@pytest.fixture
def commerce_clerk() -> Actor:
    return Actor("王科员", ROLE_CLERK, department="commerce")


@pytest.fixture
def tax_clerk() -> Actor:
    return Actor("赵科员", ROLE_CLERK, department="tax")


@pytest.fixture
def reviewer() -> Actor:
    return Actor("审核员", ROLE_REVIEWER)


@pytest.fixture
def regulator() -> Actor:
    return Actor("监管员", ROLE_REGULATOR)


def fast_config(**kw: float) -> WorkerConfig:
    values = {"lease": 3.0, "beat": 0.2, "poll": 0.05, "backoff": 0.01, "backoff_max": 0.05}
    values.update(kw)
    return WorkerConfig(**values)  # type: ignore[arg-type]


def run_worker(engine: Engine, **kw: float) -> int:
    """Run every queued job (and those they queue) to the end; how many ran."""
    return Worker(engine, default_handlers(), fast_config(**kw)).run(until_idle=True)


def penalty_rows(n: int, start: int = 1, bad_every: int = 0) -> list[list[str]]:
    """n commerce penalty rows; every ``bad_every``-th one with an impossible date (rejected)."""
    rows = []
    for i in range(start, start + n):
        day = "2024-13-45" if bad_every and i % bad_every == 0 else f"2024-0{1 + i % 9}-1{i % 10}"
        rows.append([f"CF-{i:07d}", f"长沙市某某{i}科技有限公司", USCC if i == start else "", "430104198001011234",
                     "罚款", "2", day, "否"])
    return rows


def write_csv(path: Path, rows: list[list[str]], header: list[str] | None = None) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([header or PENALTY_HEADER, *rows])
    return path
