"""Issue 8, item 7: a grant for another enterprise, --days, one exit status per kind of error, the demo twice."""

import re

from sqlalchemy import func, select

from credit.domain.workflow_models import QueryGrant, QueryLog
from credit.kernel.models import Batch
from tests.cli.fixtures import PENALTY, actions, enterprise_of, write_csv

ROWS = [["P1", "北京某某科技有限公司", "91110000600037341L", "罚款", "5", "2024-03-05", "是"],
        ["P2", "长沙某某商贸有限公司", "91430100MA4L00000X", "罚款", "2", "2024-04-01", "否"]]


def two_enterprises(cli, db, tmp_path):
    assert cli("ingest", "-d", "commerce", "-t", "penalty", write_csv(tmp_path / "p.csv", PENALTY, ROWS))[0] == 0
    assert cli("resolve")[0] == 0  # (ingest resolves too: item 6)
    return enterprise_of(db, "P1"), enterprise_of(db, "P2")


def test_item7_a_grant_for_another_enterprise_is_refused(cli, db, tmp_path):
    first, second = two_enterprises(cli, db, tmp_path)
    code, out, _ = cli("grant", first, "--querier", "某某银行", "--consent", "同意书 2024-001")
    grant = int(re.search(r"grant (\d+)", out).group(1))
    before = actions(db)
    code, out, err = cli("profile", second, "--as", "authorised", "--grant", grant)
    assert code == 1 and out == ""
    assert f"covers enterprise {first}, not {second}" in err
    assert actions(db) == before
    with db.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(QueryLog)) == 0
    assert cli("profile", first, "--as", "authorised", "--grant", grant)[0] == 0


def test_item7_days_zero_is_refused_like_negative_days(cli, db, tmp_path):
    first, _ = two_enterprises(cli, db, tmp_path)
    for days in ("0", "-3"):
        code, _, err = cli("grant", first, "--querier", "某某银行", "--basis", "贷款审查", "--days", days)
        assert code == 2 and f"not {days}" in err, days
    with db.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(QueryGrant)) == 0
    code, out, _ = cli("grant", first, "--querier", "某某银行", "--basis", "贷款审查", "--days", "1")
    assert code == 0 and "valid until" in out


def test_item7_no_such_enterprise_is_exit_1_for_profile_and_judge(cli, db, tmp_path):
    first, _ = two_enterprises(cli, db, tmp_path)
    code, _, profile_err = cli("profile", 99999)
    assert code == 1 and "99999" in profile_err
    code, _, judge_err = cli("judge", first, 99999, "same")
    assert code == 1 and "99999" in judge_err


def test_item7_demo_a_second_time_ingests_nothing(cli, db, tmp_path):
    out_dir = tmp_path / "demo"
    code, first, _ = cli("demo", "--enterprises", 25, "--out", out_dir)
    assert code == 0
    with db.connect() as conn:
        batches = conn.scalar(select(func.count()).select_from(Batch))
    code, again, _ = cli("demo", "--enterprises", 25, "--out", out_dir)
    assert code == 0 and "already there, reused" in again
    assert f"files already ingested {batches}" in again and "loaded 0" in again
    with db.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Batch)) == batches
    assert "failed" not in first + again  # a generated file without records is not an error
