"""The messy-file generator: determinism, valid codes, every form, truth and bad rows."""

from __future__ import annotations

import csv
import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from python_calamine import CalamineWorkbook

from credit.demodata import datagen
from credit.kernel.catalog import load_catalog
from credit.kernel.identifiers import BAD_CHECK, VALID, classify, org_code_status, reg_no_status, uscc_status

SEED = 11


@pytest.fixture(scope="module")
def gen(tmp_path_factory: pytest.TempPathFactory) -> datagen.Manifest:
    """One small, very messy generated directory shared by the tests of this module."""
    out = tmp_path_factory.mktemp("gen")
    return datagen.generate(out, enterprises=160, seed=SEED, mess=0.6, bad_rows=0.08)


def _read_rows(path: Path, entry: datagen.FileEntry) -> list[tuple[int, dict[str, Any]]]:
    """(row_number, {zh header: value}) for every data row, by the conventions of bad_rows.csv."""
    rt = load_catalog().get(entry.department, entry.type)
    by_key = {c.key: c.zh for c in rt.columns}
    if entry.form == "csv":
        with open(path, encoding=entry.encoding, newline="") as fh:
            rows = list(csv.reader(fh))
        return [(i + 2, dict(zip(rows[0], r))) for i, r in enumerate(rows[1:])]
    if entry.form == "xlsx":
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        head = entry.title_rows
        return [(head + 2 + i, dict(zip(rows[head], r))) for i, r in enumerate(rows[head + 1:])]
    if entry.form == "xml":
        root = ET.parse(path).getroot()
        assert (root.get("department"), root.get("type")) == (entry.department, entry.type)
        return [(i + 1, {f.get("name"): f.text or "" for f in rec}) for i, rec in enumerate(root)]
    text = path.read_text(encoding="utf-8")
    objs = json.loads(text) if entry.form == "json" else [json.loads(x) for x in text.splitlines()]
    return [(i + 1, {by_key.get(k, k): v for k, v in o.items()}) for i, o in enumerate(objs)]


def _all_rows(m: datagen.Manifest) -> list[tuple[datagen.FileEntry, int, dict[str, Any]]]:
    out = []
    for f in m.files:
        for num, row in _read_rows(Path(m.out_dir) / f.path, f):
            out.append((f, num, row))
    return out


def test_same_seed_same_files(tmp_path: Path) -> None:
    a = datagen.generate(tmp_path / "a", enterprises=40, seed=3, forms=("csv", "json", "xml", "xlsx"))
    b = datagen.generate(tmp_path / "b", enterprises=40, seed=3, forms=("csv", "json", "xml", "xlsx"))
    datagen.generate(tmp_path / "c", enterprises=40, seed=4, forms=("csv", "json", "xml", "xlsx"))
    assert [f.path for f in a.files] == [f.path for f in b.files]
    for f in a.files:
        pa, pb = tmp_path / "a" / f.path, tmp_path / "b" / f.path
        if f.form == "xlsx":
            assert _read_rows(pa, f) == _read_rows(pb, f)
        else:
            assert pa.read_bytes() == pb.read_bytes(), f.path
    assert (tmp_path / "a/truth.csv").read_bytes() == (tmp_path / "b/truth.csv").read_bytes()
    assert (tmp_path / "a/truth.csv").read_bytes() != (tmp_path / "c/truth.csv").read_bytes()


def test_world_codes_pass_their_checks() -> None:
    world = datagen.make_world(400, seed=SEED)
    assert len(world) == 400
    for e in world.enterprises:
        if e.uscc:
            expected = BAD_CHECK if "bad_check" in e.kinds else VALID
            assert uscc_status(e.uscc) == expected, (e.eid, e.uscc)
            assert e.uscc[8:17] == e.org_code
            assert e.uscc[2:8] == e.division
        if e.org_code:
            assert org_code_status(e.org_code) == VALID
        if e.reg_no:
            assert reg_no_status(e.reg_no) == VALID
        code = classify(e.taxpayer_id)
        assert code is not None and code.kind in ("uscc", "taxpayer15", "taxpayer20", "reg_no")
        if code.kind in ("taxpayer15", "reg_no"):
            # A legacy taxpayer id (division + all-digit org code) passes MOD 11,10 one time in ten.
            assert e.taxpayer_id[6:] == e.org_code and org_code_status(e.taxpayer_id[6:]) == VALID
        assert len(e.loan_card_no) == 16 and e.loan_card_no.isdigit()


def test_world_has_every_hard_case() -> None:
    world = datagen.make_world(300, seed=SEED)
    ids = {e.eid: e for e in world.enterprises}
    for kind in ("branch", "similar_name", "individual", "renamed", "other_authority", "bad_check"):
        assert world.by_kind(kind), kind
    for b in world.by_kind("branch"):
        head = ids[b.related]
        assert b.name.startswith(head.name) and b.name != head.name
        assert b.uscc != head.uscc and ("分公司" in b.name or "营业部" in b.name)
    assert {e.uscc[0] for e in world.by_kind("other_authority")} <= set("15YN")
    for e in world.by_kind("renamed"):
        assert e.former_names and e.former_names[0] != e.name and e.rename_date
    for e in world.by_kind("individual"):
        assert e.uscc.startswith("92") or len(e.taxpayer_id) == 20
        assert e.taxpayer20[:18] == e.legal_rep_id and e.taxpayer20[18:] in ("01", "02")
    cores = [e.parts.trade + e.parts.industry for e in world.by_kind("individual")]
    assert len(set(cores)) < len(cores), "generic individual names (without division) should repeat"
    full = [(e.division, e.name) for e in world.by_kind("individual") if "operator_name" not in e.kinds]
    assert len(set(full)) == len(full), "a name with its division is unique"
    similar = [e for e in world.by_kind("similar_name") if e.related]
    assert any(ids[e.related].name != e.name for e in similar)


def test_individual_businesses_as_departments_write_them(gen: datagen.Manifest) -> None:
    """Operator-name businesses, second businesses of one operator (other trailing digits),
    namesake operators in one district, ID numbers issued elsewhere; tax records under the
    20-character id across rating years; names with and without their division."""
    world = datagen.make_world(600, seed=SEED)
    ids = {e.eid: e for e in world.enterprises}
    bare = [e for e in world.by_kind("operator_name") if e.name == e.legal_rep]
    assert bare and any(e.legal_rep in e.name and e.name != e.legal_rep for e in world.by_kind("operator_name"))
    for e in world.by_kind("same_operator"):
        first = ids[e.related]
        assert first.legal_rep_id == e.legal_rep_id and first.taxpayer20 != e.taxpayer20 and first.name != e.name
    namesakes = [e for e in world.by_kind("namesake_operator") if e.related]
    assert namesakes
    for e in namesakes:
        other = ids[e.related]
        assert other.legal_rep == e.legal_rep and other.legal_rep_id != e.legal_rep_id
        assert other.division == e.division
    assert any(e.legal_rep_id[:6] != e.division for e in world.by_kind("individual"))
    truth = datagen.read_truth(gen.truth)
    tax20 = [r for r in truth if "tax20" in r["mess"].split(";")]
    assert {r["type"] for r in tax20} >= {"credit_rating"}
    rated = {}
    for r in tax20:
        if r["type"] == "credit_rating":
            rated.setdefault(r["entity_id"], set()).add(r["record_id"])
    assert any(len(v) > 1 for v in rated.values()), "several rating years under one 20-character id"
    names = [row.get("纳税人名称") or row.get("企业名称") or "" for f, _, row in _all_rows(gen)
             if f.type in ("credit_rating", "registration")]
    assert any("区" in n[:6] and "店" in n for n in names) and any(n.endswith("店") and "区" not in n for n in names)



def test_an_individual_business_name_is_misspelt_no_more_often_than_a_company_name() -> None:
    """The contract does not list misspelt names at all; where the generator misspells one it does
    so as often for a shop (nothing but its spacing to restyle) as for a company."""
    import random

    rng = random.Random(5)
    shop = datagen.NameParts("长沙市岳麓区", "刘记", "副食店", "")
    company = datagen.NameParts("长沙市", "华盛", "网络科技", "有限公司", city_short="长沙")
    n = 8000
    typos = {kind: sum(datagen.mess_name(parts, rng)[1] == "name.typo" for _ in range(n))
             for kind, parts in (("shop", shop), ("company", company))}
    assert abs(typos["shop"] - typos["company"]) < 0.03 * n, typos
    assert typos["shop"] < 0.2 * n

def test_every_type_and_form_written(gen: datagen.Manifest) -> None:
    catalog = load_catalog()
    written = {(f.department, f.type) for f in gen.files}
    assert written == {rt.key for rt in catalog}
    assert {f.form for f in gen.files} == set(datagen.FORMS)
    assert {f.encoding for f in gen.files if f.form == "csv"} == set(datagen.ENCODINGS)
    assert {f.keys for f in gen.files if f.form in ("json", "ndjson")} == {"zh", "en"}
    for f in gen.files:
        assert (Path(gen.out_dir) / f.path).exists()
        assert datagen.parse_file_name(f.path) == (f.department, f.type)
    saved = json.loads((Path(gen.out_dir) / "manifest.json").read_text(encoding="utf-8"))
    assert len(saved["files"]) == len(gen.files)


def test_gbk_files_decode_and_pools_are_gbk() -> None:
    pools = "".join([datagen.TRADE_CHARS, datagen.SURNAMES, datagen.GIVEN_CHARS, *datagen.INDUSTRIES,
                     *datagen.ROADS, *(d[1] + d[2] for d in datagen.DIVISIONS), *datagen.EMPTY_MARKERS,
                     *(p[0] + p[1] + p[2] for p in datagen.PRODUCTS), *datagen.ABNORMAL_REASONS])
    pools.encode("gbk")


def test_gbk_csv_decodes(gen: datagen.Manifest) -> None:
    gbk = [f for f in gen.files if f.form == "csv" and f.encoding in ("gbk", "gb18030")]
    assert gbk
    for f in gbk:
        text = (Path(gen.out_dir) / f.path).read_bytes().decode("gbk")
        assert text.startswith("记录编号")
    bom = [f for f in gen.files if f.encoding == "utf-8-sig"]
    assert all((Path(gen.out_dir) / f.path).read_bytes().startswith(b"\xef\xbb\xbf") for f in bom)


def test_xlsx_title_rows_and_real_dates(gen: datagen.Manifest) -> None:
    xlsx = [f for f in gen.files if f.form == "xlsx"]
    assert {f.title_rows for f in xlsx} == {0, 1, 2}
    dates = 0
    for f in xlsx:
        rows = CalamineWorkbook.from_path(str(Path(gen.out_dir) / f.path)).get_sheet_by_index(0).to_python()
        if f.title_rows:
            assert "公示" in rows[0][0]
        assert rows[f.title_rows][0] == "记录编号"
        dates += sum(isinstance(v, dt.date) for r in rows for v in r)
    assert dates > 0


def test_truth_covers_every_record(gen: datagen.Manifest) -> None:
    truth = datagen.read_truth(gen.truth)
    keys = {(t["department"], t["type"], t["record_id"]) for t in truth}
    assert len(keys) == len(truth) == gen.records
    bad_ids = {b.record_id for b in gen.bad_rows}
    entities = {row["entity_id"] for row in csv.DictReader(open(gen.entities, encoding="utf-8"))}
    seen = set()
    for f, _, row in _all_rows(gen):
        rid = row["记录编号"]
        key = (f.department, f.type, rid)
        assert key in keys or rid in bad_ids, key
        seen.add(key)
    assert keys <= seen
    assert {t["entity_id"] for t in truth} <= entities
    kinds = {k for t in truth for k in t["kind"].split(";")}
    assert {"branch", "similar_name", "individual", "renamed", "other_authority", "normal"} <= kinds


def test_mess_and_versions_present(gen: datagen.Manifest) -> None:
    truth = datagen.read_truth(gen.truth)
    tags = {tag for t in truth for tag in t["mess"].split(";") if tag}
    for family in ("name.", "uscc.", "date.", "amount."):
        assert any(tag.startswith(family) for tag in tags), family
    assert any(t["revoked"] == "1" for t in truth)
    assert any(int(t["versions"]) > 1 for t in truth)
    ops = {row.get("操作类型") for _, _, row in _all_rows(gen)}
    assert {"新增", "修改", "撤销", ""} <= ops


def test_bad_rows_are_where_listed(gen: datagen.Manifest) -> None:
    assert gen.bad_rows
    assert {b.reason for b in gen.bad_rows} == {"missing_required", "bad_date", "unknown_enum"}
    catalog = load_catalog()
    files = {f.path: f for f in gen.files}
    cache: dict[str, dict[int, dict[str, Any]]] = {}
    for b in gen.bad_rows:
        f = files[b.file]
        rows = cache.setdefault(b.file, dict(_read_rows(Path(gen.out_dir) / b.file, f)))
        col = catalog.get(f.department, f.type).column(b.column)
        value = rows[b.row_number][col.zh]
        if b.reason == "missing_required":
            assert value in ("", None), b
        elif b.reason == "bad_date":
            assert isinstance(value, str) and value in ("2024-13-45", "2023-02-30", "20241399", "去年"), b
        else:
            assert value not in col.values, b
    listed = list(csv.DictReader(open(gen.bad_rows_path, encoding="utf-8")))
    assert len(listed) == len(gen.bad_rows)


def test_xml_escaping(tmp_path: Path) -> None:
    rt = load_catalog().get("quality", "spot_check")
    values = {"record_id": "CC-1", "inspected_name": 'A&B <公司> "x"', "product": "插头&插座"}
    datagen.write_xml(tmp_path / "x.xml", rt, [values], datagen.FileSpec("xml"))
    fields = {f.get("name"): f.text for f in ET.parse(tmp_path / "x.xml").getroot()[0]}
    assert fields["受检单位名称"] == 'A&B <公司> "x"' and fields["产品名称"] == "插头&插座"


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_write_csv_rows(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "big.csv"
    assert datagen.write_csv_rows(path, "tax", "credit_rating", 3000, seed=2, encoding=encoding) == 3000
    with open(path, encoding=encoding, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][0] == "记录编号" and len(rows) == 3001
    assert len({r[0] for r in rows[1:]}) == 3000


def test_fast_csv_matches_csv_module(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    datagen.write_csv_rows(path, "tax", "arrears", 2000, seed=5, mess=0.8)
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    _, expected = datagen.iter_bench_rows("tax", "arrears", 2000, seed=5, mess=0.8)
    assert rows[1:] == [[datagen.render_text(v) for v in d.values()] for d in expected]
    assert any("," in v for r in rows for v in r), "quoted fields should occur"


def test_write_xlsx_rows(tmp_path: Path) -> None:
    path = tmp_path / "big.xlsx"
    assert datagen.write_xlsx_rows(path, "commerce", "penalty", 500, seed=2, title_rows=2) == 500
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert rows[2][0] == "记录编号" and len(rows) == 503
    assert any(isinstance(v, dt.date) for r in rows for v in r)


def test_cli_writes_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert datagen.main(["--out", str(tmp_path), "--enterprises", "30", "--forms", "csv,ndjson",
                         "--bad-rows", "0.05"]) == 0
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert {f["form"] for f in manifest["files"]} == {"csv", "ndjson"}
    assert "records" in capsys.readouterr().out
