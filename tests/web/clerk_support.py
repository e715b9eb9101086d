"""Support for the clerk tests: upload folders, a tax clerk beside the world's commerce clerk,
penalty files with rejected rows, and the worker run in process until the queue is empty."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from credit.domain.accounts import SYSTEM, create_account, create_token
from credit.domain.repair import apply_for_repair
from credit.domain.selfservice import object_to
from credit.domain.work_models import Upload
from credit.domain.workflows import ROLE_ENTERPRISE, Actor
from credit.jobs.handlers import default_handlers
from credit.jobs.worker import Worker, WorkerConfig
from tests.credit.builders import penalty
from tests.web.world import PASSWORD

PENALTY_HEADER = ["记录编号", "行政相对人名称", "统一社会信用代码", "法定代表人证件号码", "处罚类别", "罚款金额（万元）",
                  "处罚决定日期", "是否严重失信"]
TAX_CLERK = "taxclerk"


@pytest.fixture(autouse=True)
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Uploads and exports in this test's own folder."""
    monkeypatch.setenv("CREDIT_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("CREDIT_EXPORT_DIR", str(tmp_path / "exports"))
    return tmp_path


def add_tax_clerk(engine: Engine) -> str:
    """A clerk of the tax department (the world's clerk is commerce's); their API token."""
    with Session(engine) as s:
        create_account(s, SYSTEM, TAX_CLERK, "clerk", password=PASSWORD, department="tax")
        token = create_token(s, SYSTEM, TAX_CLERK)
        s.commit()
    return token


def penalty_csv(n: int = 30, bad_every: int = 10, start: int = 1) -> bytes:
    """n commerce penalty rows; every ``bad_every``-th one with an impossible date (rejected), the
    first rejected one with a record id a spreadsheet would run as a formula."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(PENALTY_HEADER)
    for i in range(start, start + n):
        bad = bad_every and i % bad_every == 0
        rid = "=HYPERLINK(\"http://x\")" if bad and i == bad_every else f"CF-{i:07d}"
        writer.writerow([rid, f"长沙市某某{i}科技有限公司", "", "430104198001011234", "罚款", "2",
                         "2024-13-45" if bad else f"2024-0{1 + i % 9}-1{i % 10}", "否"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def run_worker(engine: Engine) -> int:
    """Run every queued job (and those they queue) to the end; how many ran."""
    config = WorkerConfig(lease=3.0, beat=0.2, poll=0.05, backoff=0.01, backoff_max=0.05)
    return Worker(engine, default_handlers(), config).run(until_idle=True)


def uploads(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(Upload)) or 0)


def open_items(engine: Engine) -> dict[str, int]:
    """An overdue and a fresh commerce objection, a tax objection, a pending commerce repair."""
    firm = Actor("firm", ROLE_ENTERPRISE, enterprise_id=1)
    other = Actor("other", ROLE_ENTERPRISE, enterprise_id=2)
    today = date.today()
    with Session(engine) as s:
        penalty(s, "CF-9", (today - timedelta(days=200)).isoformat(), enterprise_id=2, kinds=["罚款"], fine=2.0,
                serious=False, subject_name="深圳华为技术有限公司")
        s.flush()
        fresh = object_to(s, firm, "commerce/penalty/CF-1", "该处罚已于行政复议中撤销", on=today)
        late = object_to(s, firm, "commerce/abnormal_list/AB-1", "住所可以联系", on=today - timedelta(days=40))
        tax = object_to(s, firm, "tax/credit_rating/TAX-1", "评价年度有误", on=today)
        rep = apply_for_repair(s, other, "commerce", "penalty", "CF-9", proof="罚款已缴清，整改完成", on=today)
        assert rep.status == "pending", rep.reason
        ids = {"fresh": fresh.id, "late": late.id, "tax": tax.id, "repair": rep.id}
        s.commit()
    return ids
