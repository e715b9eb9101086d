"""The CLI as users run it: a database per test on SQLite and PostgreSQL, and small helpers
(the fixtures are registered for this folder by conftest.py)."""

import csv
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text

from credit.cli import main
from credit.domain.workflow_models import AuditEntry
from credit.kernel.db import database_url, make_engine
from tests.conftest import PG_ENV, _pg_url

PENALTY = ["记录编号", "行政相对人名称", "统一社会信用代码", "处罚类别", "罚款金额（万元）", "处罚决定日期", "是否严重失信"]
# a valid USCC of digits only: what Excel turns into 9.11101E+17
DIGIT_USCC = "911101015814555392"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path, monkeypatch) -> Iterator[str]:
    """CREDIT_DATABASE_URL pointing at an empty database (its URL is returned)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cli.db'}"
        monkeypatch.setenv("CREDIT_DATABASE_URL", url)
        yield url
        return
    base = _pg_url()
    if not base:
        pytest.skip(f"PostgreSQL not configured: set {PG_ENV}")
    schema = f"cli_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}?options=-csearch_path%3D{schema}"
    monkeypatch.setenv("CREDIT_DATABASE_URL", url)
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def cli(capsys):
    """Run ``python -m credit ARGS`` in this process: (exit status, stdout, stderr)."""

    def run(*args: object) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    return run


@pytest.fixture
def db(database) -> Iterator[Engine]:
    """An engine on the test's database (for what a user would check afterwards)."""
    eng = make_engine(database_url())
    yield eng
    eng.dispose()


def valid_uscc(n: int) -> str:
    """The n-th of a series of valid USCCs (organization code and USCC check characters right)."""
    from stdnum.cn.uscc import calc_check_digit

    from credit.kernel.identifiers import org_code_check

    org8 = f"{71000000 + n:08d}"
    head = "91430100" + org8 + org_code_check(org8)
    return head + calc_check_digit(head)


def write_csv(path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8-sig") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def actions(engine: Engine) -> list[str]:
    """The audit log's actions, oldest first."""
    with engine.connect() as conn:
        return list(conn.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def enterprise_of(engine: Engine, record_id: str) -> int:
    from matching.models import RecordLink

    with engine.connect() as conn:
        return int(conn.scalar(select(RecordLink.enterprise_id).where(RecordLink.record_id == record_id)))
