"""The command line as a clerk and a regulator use it: ingest, resolve, links, profile, lists, demo."""

import csv

from credit.cli import main

HEADER = ["记录编号", "行政相对人名称", "统一社会信用代码", "处罚类别", "罚款金额（万元）", "处罚决定日期", "是否严重失信"]
USCC = "91110000600037341L"


def write(path, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


def test_ingest_prints_counts_and_writes_rejects(database, tmp_path, capsys):
    good = write(tmp_path / "p.csv", [["P1", "北京某某科技有限公司", USCC, "罚款", "2", "2024-03-05", "是"],
                                      ["P1", "北京某某科技有限公司", USCC, "罚款", "2", "2024-03-05", "是"],
                                      ["P2", "北京某某科技有限公司", USCC, "罚款", "1", "2024-13-45", "否"]])
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    rejects = tmp_path / "rejects.csv"
    code = main(["ingest", "-d", "commerce", "-t", "penalty", "--rejects", str(rejects), "-q", str(good), str(empty)])
    out, err = capsys.readouterr()
    assert code == 1  # one file could not be read
    assert "读取 read 3" in out and "loaded 1" in out and "duplicates 1" in out and "rejected 1" in out
    assert "empty.csv" in err and "empty" in err
    with open(rejects, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["row"], r["column"], r["record_id"]) for r in rows] == [("4", "处罚决定日期 (decision_date)", "P2")]
    assert main(["ingest", "-d", "commerce", "-t", "penalty", "-q", str(good)]) == 0
    assert "already ingested" in capsys.readouterr().out


def test_unknown_type_is_a_usage_error(database, tmp_path, capsys):
    assert main(["ingest", "-d", "commerce", "-t", "nonsense", str(tmp_path / "x.csv")]) == 2
    assert "commerce/nonsense" in capsys.readouterr().err


def test_resolve_links_profile_lists(database, tmp_path, capsys):
    write(tmp_path / "p.csv", [["P1", "北京某某科技有限公司", USCC, "罚款", "2", "2024-03-05", "是"],
                               ["P2", "北京某某科技有限公司 ", USCC.lower(), "警告", "", "2024-04-01", "否"]])
    assert main(["ingest", "-d", "commerce", "-t", "penalty", "-q", str(tmp_path / "p.csv")]) == 0
    assert main(["resolve"]) == 0
    assert "new enterprises: 1" in capsys.readouterr().out
    links = tmp_path / "links.csv"
    assert main(["links", "--out", str(links)]) == 0
    with open(links, encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["department", "type", "record_id", "enterprise_id"]
    assert {r[3] for r in rows[1:]} == {rows[1][3]} and len(rows) == 3
    capsys.readouterr()
    assert main(["profile", rows[1][3], "--as", "public", "--date", "2024-06-01"]) == 0
    public = capsys.readouterr().out
    assert "P1" in public and "P2" not in public  # a warning alone is never published
    assert main(["lists", "black", "--date", "2024-06-01"]) == 0
    assert "P1" in capsys.readouterr().out
    assert main(["lists", "black", "--date", "2028-06-01"]) == 0
    assert "P1" not in capsys.readouterr().out  # past its three-year window


def test_demo_runs_twice(database, tmp_path, capsys):
    assert main(["demo", "--enterprises", "25", "--out", str(tmp_path / "demo")]) == 0
    first = capsys.readouterr().out
    assert "enterprises" in first and "loaded" in first
    assert main(["demo", "--enterprises", "25", "--out", str(tmp_path / "demo")]) == 0
    assert "loaded 0" in capsys.readouterr().out
