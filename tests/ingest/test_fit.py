"""Issue 8, item 1: a file must fit the record type it is uploaded as, or nothing of it is stored."""

import csv
import itertools
import json

import openpyxl
import pytest
from sqlalchemy import func, select

from credit.kernel.catalog import load_catalog
from credit.kernel.models import Batch, SourceRecord
from ingest import prepare
from ingest.fit import WrongType, better_fits, check_fit
from ingest.loader import IngestError, ingest_file

CATALOG = load_catalog()
RATING_HEADER = ["记录编号", "纳税人识别号", "纳税人名称", "评价年度", "信用等级"]
RATING_ROWS = [["T1", "91110000600037341L", "北京某某科技有限公司", "2024", "D"],
               ["T2", "91430100MA4L00000X", "长沙某某商贸有限公司", "2024", "A"],
               ["T3", "91430100MA4L00001Y", "长沙某某建设有限公司", "2023", "B"],
               ["T4", "430100123456789", "刘记米粉店", "2024", "D"]]
FIT_MESSAGE = "此文件的列与 tax/credit_rating 相符，而非 tax/major_violation"


def shape(rtype):
    return tuple((c.key, c.zh) for c in rtype.columns)


def header_of(rtype, english=False):
    return [c.key if english else c.zh for c in rtype.columns]


def counts(engine):
    with engine.connect() as conn:
        return (conn.scalar(select(func.count()).select_from(Batch)),
                conn.scalar(select(func.count()).select_from(SourceRecord)))


# ---------------------------------------------------------------- the rule, over the whole catalog

@pytest.mark.parametrize("english", [False, True], ids=["chinese", "english"])
def test_every_type_of_other_columns_is_refused_naming_it(english):
    """Each type's full header, declared as any type of another shape, is refused and named."""
    for declared, actual in itertools.product(CATALOG, CATALOG):
        found = better_fits(declared, header_of(actual, english))
        if shape(declared) == shape(actual):
            assert not found, (declared.key, actual.key)
        else:
            assert found and shape(found[0].rtype) == shape(actual), (declared.key, actual.key)


def test_penalty_types_of_the_same_shape_never_refuse_each_other():
    penalties = [CATALOG.get("commerce", "penalty"), CATALOG.get("quality", "penalty"),
                 CATALOG.get("public_security", "fire_penalty")]
    for declared, actual in itertools.product(penalties, penalties):
        check_fit(declared, header_of(actual))
        check_fit(declared, header_of(actual)[:5])


def test_a_file_of_the_declared_types_own_columns_is_never_refused():
    """Missing optional columns (one identifier, or all but the required) is fine: no other
    type can understand more of a file than the type whose columns it holds."""
    for rtype in CATALOG:
        required = [c.zh for c in rtype.columns if c.required]
        check_fit(rtype, required)
        for left_out in rtype.columns:
            if not left_out.required:
                check_fit(rtype, [c.zh for c in rtype.columns if c is not left_out])


def test_unknown_columns_alone_do_not_refuse():
    rating = CATALOG.get("tax", "credit_rating")
    check_fit(rating, RATING_HEADER + ["备注", "联系电话", "经办人"])


def test_the_message_names_both_types_and_what_is_missing():
    with pytest.raises(WrongType) as info:
        check_fit(CATALOG.get("tax", "major_violation"), RATING_HEADER)
    message = str(info.value)
    assert FIT_MESSAGE in message and "组织机构代码" in message and "nothing was stored" in message
    assert info.value.looks_like == ("tax/credit_rating",)


def test_a_registration_file_is_not_an_abnormal_list():
    """Identifiers alone do not make a file fit: none of 列入原因, 列入日期 … is there."""
    with pytest.raises(WrongType, match="commerce/registration"):
        check_fit(CATALOG.get("commerce", "abnormal_list"), header_of(CATALOG.get("commerce", "registration")))


# ---------------------------------------------------------------- end to end, every file form

def write_csv(path, header=RATING_HEADER, rows=RATING_ROWS):
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def write_form(path, form):
    records = [dict(zip(RATING_HEADER, r)) for r in RATING_ROWS]
    if form == "csv":
        return write_csv(path)
    if form == "xlsx":
        wb = openpyxl.Workbook()
        wb.active.append(["2024年度纳税信用等级评价结果"])
        for r in [RATING_HEADER, *RATING_ROWS]:
            wb.active.append(r)
        wb.save(path)
    elif form == "json":
        path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    elif form == "ndjson":
        path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    else:  # a root that states no type: only the columns tell
        fields = "".join("<record>" + "".join(f'<field name="{k}">{v}</field>' for k, v in r.items()) + "</record>"
                         for r in records)
        path.write_text(f'<?xml version="1.0" encoding="UTF-8"?><dataset department="tax">{fields}</dataset>',
                        encoding="utf-8")
    return path


@pytest.mark.parametrize("form", ["csv", "xlsx", "json", "ndjson", "xml"])
def test_rating_file_uploaded_as_major_violation_stores_nothing(engine, tmp_path, form):
    path = write_form(tmp_path / f"rating.{form}", form)
    with pytest.raises(IngestError) as info:
        ingest_file(engine, path, "tax", "major_violation")
    assert FIT_MESSAGE in str(info.value) and f"rating.{form}" in str(info.value)
    assert counts(engine) == (0, 0)
    assert ingest_file(engine, path, "tax", "credit_rating").new_records == 4  # its own type loads


@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])
def test_refused_in_the_reader_processes_too(engine, tmp_path, parallel, monkeypatch):
    monkeypatch.setattr(prepare, "CHUNK_ROWS", 2)
    rows = [[f"T{i}", "91110000600037341L", "北京某某科技有限公司", "2024", "D"] for i in range(9)]
    with pytest.raises(IngestError, match="tax/credit_rating"):
        ingest_file(engine, write_csv(tmp_path / "r.csv", rows=rows), "tax", "major_violation", parallel=parallel)
    assert counts(engine) == (0, 0)


def test_a_file_sharing_only_its_record_id_is_still_named(engine, tmp_path):
    """A spot-check file as a tax credit rating: its header is found and the type it is named."""
    header = ["记录编号", "受检单位名称", "组织机构代码", "产品名称", "抽查结果", "公告日期"]
    path = write_csv(tmp_path / "spot.csv", header, [["Q1", "长沙某某食品有限公司", "", "米粉", "不合格", "2024-05-01"]])
    with pytest.raises(IngestError, match="quality/spot_check"):
        ingest_file(engine, path, "tax", "credit_rating")
    assert counts(engine) == (0, 0)


def test_ndjson_keys_of_the_first_records_decide(engine, tmp_path):
    """For NDJSON (as JSON and XML) the keys of the first records stand for the header."""
    lines = [{"记录编号": "T1", "纳税人名称": "甲公司", "信用等级": "D"},
             {"记录编号": "T2", "纳税人名称": "乙公司", "评价年度": 2024}]
    path = tmp_path / "r.ndjson"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    with pytest.raises(IngestError, match="tax/credit_rating"):
        ingest_file(engine, path, "tax", "arrears")
    assert counts(engine) == (0, 0)


def test_a_penalty_file_missing_an_identifier_loads_under_each_penalty_type(engine, tmp_path):
    header = ["记录编号", "行政相对人名称", "统一社会信用代码", "处罚类别", "罚款金额（万元）", "处罚决定日期", "备注"]
    path = write_csv(tmp_path / "p.csv", header, [["P1", "长沙某某科技有限公司", "", "罚款", "2", "2024-03-05", "x"]])
    for department, rtype in (("commerce", "penalty"), ("quality", "penalty"), ("public_security", "fire_penalty")):
        result = ingest_file(engine, path, department, rtype)
        assert result.new_records == 1 and result.unknown_headers == ["备注"]
