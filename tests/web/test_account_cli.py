"""The account commands and search on the command line, over a database the CLI migrated itself."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from credit.cli import main
from credit.domain.web_models import Account, ApiToken
from credit.domain.workflow_models import AuditEntry
from credit.kernel.db import make_engine
from tests.cli.fixtures import database  # noqa: F401  (the CLI database fixture, SQLite and PostgreSQL)
from tests.web.world import USCC2, build


@pytest.fixture
def cli_world(database, monkeypatch, tmp_path):  # noqa: F811
    monkeypatch.setenv("CREDIT_PROOF_DIR", str(tmp_path / "proofs"))
    assert main(["init-db"]) == 0
    from credit.kernel.db import database_url

    engine = make_engine(database_url())
    build(engine)
    yield engine
    engine.dispose()


def test_search_prints_id_name_uscc_status(cli_world, capsys):
    assert main(["search", "华为"]) == 0
    out = capsys.readouterr().out
    assert f"2\t深圳华为技术有限公司\t{USCC2}\t存续" in out
    assert main(["search", "91430100-ma4l0xxx-1x"]) == 0
    assert "长沙华盛网络科技有限公司" in capsys.readouterr().out
    assert main(["search", "没有这家"]) == 1


def test_user_add_with_password_from_stdin(cli_world, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-secret-1\n"))
    assert main(["user", "add", "taxclerk", "--role", "clerk", "--department", "tax"]) == 0
    out = capsys.readouterr().out
    assert "taxclerk (clerk tax)" in out and "password" not in out.lower().split("created")[1]
    with Session(cli_world) as s:
        account = s.scalars(select(Account).where(Account.login == "taxclerk")).one()
        assert account.password_hash.startswith("$argon2id$") and "a-long-secret-1" not in account.password_hash


def test_user_add_generates_and_prints_a_password(cli_world, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["user", "add", "acme", "--role", "enterprise", "--uscc", "91430100ma4l0xxx1x"]) == 0
    out = capsys.readouterr().out
    password = re.search(r"password: (\S+)", out)
    assert password and len(password.group(1)) >= 12
    from credit.domain.accounts import authenticate

    with Session(cli_world) as s:
        assert authenticate(s, "acme", password.group(1)).ok


@pytest.mark.parametrize("args, message", [
    (["user", "add", "x1", "--role", "clerk"], "department"),
    (["user", "add", "x2", "--role", "clerk", "--department", "nowhere"], "department"),
    (["user", "add", "x3", "--role", "enterprise"], "uscc"),
    (["user", "add", "x4", "--role", "authorised"], "ORGANISATION"),
])
def test_user_add_refuses_a_role_without_its_scope(cli_world, monkeypatch, capsys, args, message):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_user_add_twice_is_a_conflict(cli_world, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["user", "add", "admin", "--role", "admin"]) == 1
    assert "already exists" in capsys.readouterr().err


def test_user_list_and_disable(cli_world, capsys):
    assert main(["user", "list"]) == 0
    out = capsys.readouterr().out
    assert "clerk\tclerk\tcommerce\tactive" in out and "firm\tenterprise\t91430100MA4L0XXX1X\tactive" in out
    assert main(["user", "disable", "clerk"]) == 0
    capsys.readouterr()
    main(["user", "list"])
    assert "clerk\tclerk\tcommerce\tdisabled" in capsys.readouterr().out
    assert main(["user", "disable", "nobody"]) == 1


def test_token_create_prints_a_token_stored_only_hashed(cli_world, capsys):
    assert main(["token", "create", "bank"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("lz_") and len(token) > 30
    with Session(cli_world) as s:
        stored = [t.token_hash for t in s.scalars(select(ApiToken))]
        assert token not in stored and len(stored) == 8
        actions = [e.action for e in s.scalars(select(AuditEntry).where(AuditEntry.action.like("account.%")))]
        assert actions.count("account.token_create") == 8 and actions.count("account.create") == 7
