"""Issue 8, items 1, 2, 5 (input) and 6: what a clerk's upload does, read from the command line."""

import csv

import openpyxl
from sqlalchemy import func, select

from credit.kernel.models import Batch, SourceRecord
from tests.cli.fixtures import PENALTY, enterprise_of, write_csv

RATING = ["记录编号", "纳税人识别号", "纳税人名称", "评价年度", "信用等级"]
RATINGS = [["T1", "91110000600037341L", "北京某某科技有限公司", "2024", "D"],
           ["T2", "91430100MA4L00000X", "长沙某某商贸有限公司", "2024", "A"],
           ["T3", "91430100MA4L00001Y", "长沙某某建设有限公司", "2024", "B"],
           ["T4", "430100123456789", "刘记米粉店", "2024", "D"]]


def stored_count(engine):
    with engine.connect() as conn:
        return (conn.scalar(select(func.count()).select_from(Batch)),
                conn.scalar(select(func.count()).select_from(SourceRecord)))


def test_item1_a_rating_file_uploaded_as_major_violation_is_refused(cli, db, tmp_path):
    path = write_csv(tmp_path / "ratings.csv", RATING, RATINGS)
    code, out, err = cli("ingest", "--department", "tax", "--type", "major_violation", path)
    assert code == 1
    assert "此文件的列与 tax/credit_rating 相符，而非 tax/major_violation" in err and "ratings.csv" in err
    assert "loaded" not in out and stored_count(db) == (0, 0)
    code, out, _ = cli("ingest", "-d", "tax", "-t", "credit_rating", path)
    assert code == 0 and "loaded 4" in out


def test_item2_a_revoke_with_a_mistyped_id_is_a_row_error(cli, db, tmp_path):
    penalty = write_csv(tmp_path / "p.csv", PENALTY, [["CP-0017", "北京某某科技有限公司", "91110000600037341L",
                                                       "罚款", "5", "2024-03-05", "是"]])
    assert cli("ingest", "-d", "commerce", "-t", "penalty", penalty)[0] == 0
    header = ["记录编号", "操作类型", *PENALTY[1:]]
    revoke = write_csv(tmp_path / "revoke.csv", header, [["CP-0071", "撤销", "", "", "", "", "", ""]])
    rejects = tmp_path / "rejects.csv"
    code, out, _ = cli("ingest", "-d", "commerce", "-t", "penalty", "--rejects", rejects, revoke)
    assert code == 0 and "rejected 1" in out and "loaded 0" in out
    assert "第2行 row 2 · 记录编号 (record_id): 撤销的记录不存在" in out
    with open(rejects, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["row"], r["column"], r["record_id"]) for r in rows] == [("2", "记录编号 (record_id)", "CP-0071")]
    with db.connect() as conn:
        ids = set(conn.scalars(select(SourceRecord.record_id)))
    assert ids == {"CP-0017"}  # no record CP-0071 was made
    code, out, _ = cli("profile", enterprise_of(db, "CP-0017"), "--date", "2024-06-01")
    assert "CP-0017" in out  # still public: the clerk sees the rejection and sends the right id


def test_item5_a_code_stored_as_a_number_is_reported_with_row_and_column(cli, db, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["2024年行政处罚信息公示"])
    wb.active.append(PENALTY)
    wb.active.append(["X1", "北京某某科技有限公司", 911101015814551098, "罚款", 2, "2024-03-05", "否"])
    wb.save(tmp_path / "p.xlsx")
    warnings = tmp_path / "warnings.csv"
    code, out, _ = cli("ingest", "-d", "commerce", "-t", "penalty", "--warnings", warnings, tmp_path / "p.xlsx")
    assert code == 0 and "flagged 1" in out
    assert "第3行 row 3 · 统一社会信用代码 (uscc): 以数字形式存储，末几位已丢失 / stored as a number; " \
           "the last digits were lost" in out
    with open(warnings, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["row"], r["column"], r["record_id"]) for r in rows] == [("3", "统一社会信用代码 (uscc)", "X1")]
    with db.connect() as conn:
        assert conn.scalar(select(SourceRecord.uscc)) is None  # not matched as a USCC


def test_item6_after_ingest_the_profile_is_current(cli, db, tmp_path):
    first = write_csv(tmp_path / "r1.csv", RATING, [["T1", "91110000600037341L", "北京某某科技有限公司", "2023", "A"]])
    assert cli("ingest", "-d", "tax", "-t", "credit_rating", first)[0] == 0
    enterprise = enterprise_of(db, "T1")
    second = write_csv(tmp_path / "r2.csv", RATING, [["T9", "91110000600037341L", "北京某某科技有限公司", "2024", "D"]])
    code, out, _ = cli("ingest", "-d", "tax", "-t", "credit_rating", second)
    assert code == 0 and "企业归集 resolve" in out
    code, out, _ = cli("profile", enterprise, "--date", "2025-06-01", "--as", "government")  # no resolve in between
    assert code == 0 and "T9" in out and "信用等级 (grade): D" in out


def test_item6_no_resolve_says_what_to_run(cli, db, tmp_path):
    path = write_csv(tmp_path / "r.csv", RATING, RATINGS[:1])
    code, out, _ = cli("ingest", "-d", "tax", "-t", "credit_rating", "--no-resolve", path)
    assert code == 0 and "python -m credit resolve" in out and "企业归集 resolve" not in out
    code, out, _ = cli("links", "--out", tmp_path / "links.csv")
    assert "not yet resolved" in out
    assert cli("resolve")[0] == 0
    assert "T1" in cli("profile", enterprise_of(db, "T1"), "--date", "2025-06-01", "--as", "government")[1]
