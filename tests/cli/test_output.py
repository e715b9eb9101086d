"""Issue 8, items 3, 4 and 5 (export): audit before output, one message instead of a traceback,
codes that survive Excel."""

import csv
import os
import re
import shlex
import socket
import subprocess
import sys

import pytest
from sqlalchemy import func, select, text

from credit.domain.workflow_models import QueryLog
from credit.kernel.models import Batch
from tests.cli.fixtures import DIGIT_USCC, PENALTY, actions, enterprise_of, valid_uscc, write_csv

SERIOUS = ["P1", "北京某某科技有限公司", DIGIT_USCC, "罚款", "5", "2024-03-05", "是"]


@pytest.fixture
def listed(cli, db, tmp_path):
    """One enterprise on the black list of 2024-06-01; its id."""
    assert cli("ingest", "-d", "commerce", "-t", "penalty", write_csv(tmp_path / "p.csv", PENALTY, [SERIOUS]))[0] == 0
    assert cli("resolve")[0] == 0  # (ingest resolves too: item 6)
    return enterprise_of(db, "P1")


@pytest.fixture
def many(cli, db, tmp_path):
    """More output than a pipe's buffer holds: 100 enterprises on the black list, 60 records of one."""
    rows = [[f"B{i}", f"湖南{i:03d}号科技有限公司", valid_uscc(i), "罚款", "5", "2024-03-05", "是"] for i in range(100)]
    rows += [[f"M{i}", "湖南000号科技有限公司", valid_uscc(0), "罚款", "5", "2024-03-05", "是"] for i in range(60)]
    assert cli("ingest", "-d", "commerce", "-t", "penalty", write_csv(tmp_path / "m.csv", PENALTY, rows))[0] == 0
    assert cli("resolve")[0] == 0
    return enterprise_of(db, "B0")


def piped(tmp_path, args: str) -> tuple[int, str]:
    """``python -m credit ARGS | true`` through a shell: the reader is gone before anything is printed."""
    script = f'{shlex.quote(sys.executable)} -m credit {args} | true; echo "status=${{PIPESTATUS[0]}}" >&2'
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    status = int(re.search(r"status=(\d+)", proc.stderr).group(1))
    return status, proc.stderr


# ---------------------------------------------------------------- item 3

def test_item3_lists_piped_into_true_keeps_its_audit_entry(cli, db, many, tmp_path):
    before = actions(db)
    status, err = piped(tmp_path, "lists black --date 2024-06-01")
    assert status == 0 and "Traceback" not in err and "Broken pipe" not in err
    assert actions(db) == [*before, "list.view"]
    assert len(cli("lists", "black", "--date", "2024-06-01")[1].encode()) > 8192  # more than stdout's buffer


def test_item3_authorised_profile_piped_into_true_keeps_query_and_audit(cli, db, many, tmp_path):
    code, out, _ = cli("grant", many, "--querier", "某某银行", "--basis", "贷款审查 / loan review", "--days", "30")
    grant = int(re.search(r"grant (\d+)", out).group(1))
    before = actions(db)
    status, err = piped(tmp_path, f"profile {many} --as authorised --grant {grant} --date 2024-06-01")
    assert status == 0 and "Traceback" not in err
    assert actions(db) == [*before, "query.run"]
    assert len(cli("profile", many, "--as", "government", "--date", "2024-06-01")[1].encode()) > 8192
    with db.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(QueryLog).where(QueryLog.grant_id == grant)) == 1


# ---------------------------------------------------------------- item 4

def test_item4_list_into_a_missing_directory(cli, db, listed, tmp_path):
    before = actions(db)
    code, out, err = cli("lists", "black", "--out", "/nonexistent/dir/b.csv")
    assert code == 2 and err.count("\n") == 1 and "/nonexistent/dir" in err and "no such directory" in err
    assert actions(db) == before  # refused before anything was done


def test_item4_rejects_into_a_missing_directory(cli, db, tmp_path):
    assert cli("init-db")[0] == 0
    path = write_csv(tmp_path / "p.csv", PENALTY, [SERIOUS])
    code, _, err = cli("ingest", "-d", "commerce", "-t", "penalty", "--rejects", "/nonexistent/dir/r.csv", path)
    assert code == 2 and "no such directory" in err
    with db.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Batch)) == 0


@pytest.mark.parametrize("where", ["/tmp", "tmp_path"])
def test_item4_links_into_a_directory(cli, listed, tmp_path, where):
    folder = str(tmp_path) if where == "tmp_path" else where
    code, _, err = cli("links", "--out", folder)
    assert code == 2 and "is a directory" in err and folder in err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_item4_disk_full(cli, listed):
    code, _, err = cli("lists", "black", "--date", "2024-06-01", "--out", "/dev/full")
    assert code == 1
    assert ("disk is full" if os.access("/dev", os.W_OK) else "no permission") in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_item4_unwritable_path(cli, listed, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    code, _, err = cli("lists", "black", "--out", locked / "b.csv")
    assert code == 1 and "no permission" in err


def test_item4_schema_from_a_newer_version(cli, db, listed):
    with db.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dfeedbeef'"))
    code, _, err = cli("lists", "black")
    assert code == 1 and "f00dfeedbeef" in err and "newer" in err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_item4_database_refusing_connections(cli, monkeypatch):
    port = _free_port()
    monkeypatch.setenv("CREDIT_DATABASE_URL", f"postgresql://clerk:s3cret@127.0.0.1:{port}/credit")
    code, out, err = cli("lists", "black")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert f"clerk:***@127.0.0.1:{port}/credit" in err and "s3cret" not in err


def test_item4_database_that_never_answers(cli, monkeypatch):
    """A server that takes the connection and says nothing: ends after PGCONNECT_TIMEOUT."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        monkeypatch.setenv("PGCONNECT_TIMEOUT", "2")
        monkeypatch.setenv("CREDIT_DATABASE_URL", f"postgresql://clerk:s3cret@127.0.0.1:{port}/credit")
        code, _, err = cli("profile", "1")
    assert code == 1 and "cannot use the database" in err and "s3cret" not in err


def test_item4_sqlite_database_in_a_missing_directory(cli, monkeypatch):
    monkeypatch.setenv("CREDIT_DATABASE_URL", "sqlite:////nonexistent/dir/credit.db")
    code, _, err = cli("init-db")
    assert code == 1 and "/nonexistent/dir/credit.db" in err and err.count("\n") == 1


# ---------------------------------------------------------------- item 5 (export)

def read_cells(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_item5_list_csv_keeps_an_all_digit_uscc_as_text(cli, listed, tmp_path):
    out = tmp_path / "black.csv"
    assert cli("lists", "black", "--date", "2024-06-01", "--out", out)[0] == 0
    rows = read_cells(out)
    column = rows[0].index("统一社会信用代码 uscc")
    assert rows[1][column] == "\t" + DIGIT_USCC  # Excel and WPS keep it as text
    assert rows[1][column].strip() == DIGIT_USCC
    assert not [c for r in rows for c in r if re.fullmatch(r"\d{12,}", c)]  # no bare long number anywhere


def test_item5_rejects_csv_keeps_record_ids_as_text_and_formulas_inert(cli, db, tmp_path):
    rows = [["123456789012345678", "北京某某科技有限公司", DIGIT_USCC, "罚款", "5", "2024-13-45", "是"],
            ["P2", "=HYPERLINK(\"http://x\")", DIGIT_USCC, "罚款", "5", "2024-03-05", "也许"]]
    rejects = tmp_path / "rejects.csv"
    cli("ingest", "-d", "commerce", "-t", "penalty", "--rejects", rejects, write_csv(tmp_path / "p.csv", PENALTY, rows))
    cells = read_cells(rejects)
    assert cells[0] == ["file", "row", "column", "reason", "record_id", "raw"]
    assert [r[4] for r in cells[1:]] == ["\t123456789012345678", "P2"]
    assert not [c for r in cells for c in r if c[:1] in "=+-@"]


def test_item5_links_csv_stays_plain(cli, db, tmp_path):
    """``links`` is read by programs, not Excel: record ids as sent, no tab."""
    rows = [["123456789012345678", "北京某某科技有限公司", DIGIT_USCC, "罚款", "5", "2024-03-05", "是"]]
    cli("ingest", "-d", "commerce", "-t", "penalty", write_csv(tmp_path / "p.csv", PENALTY, rows))
    assert cli("links", "--out", tmp_path / "links.csv")[0] == 0
    assert read_cells(tmp_path / "links.csv")[1][:3] == ["commerce", "penalty", "123456789012345678"]

