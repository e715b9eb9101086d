"""Row validation derived from the catalog: headers, required values, enums, identity view."""

import pytest
from stdnum.cn.uscc import calc_check_digit

from credit.kernel.catalog import load_catalog
from credit.kernel.identifiers import org_code_check
from ingest.validate import HeaderError, RowValidator, schema_for

CATALOG = load_catalog()


def make_uscc(org8="MA4L0X1Y", division="430100", head="91"):
    org = org8 + org_code_check(org8)
    body = head + division + org
    return body + calc_check_digit(body)


USCC = make_uscc()
ORG = USCC[8:17]


def penalty_validator(headers=None):
    rtype = CATALOG.get("commerce", "penalty")
    headers = headers or [c.zh for c in rtype.columns]
    return RowValidator(rtype, headers)


def test_headers_matched_loosely():
    v = penalty_validator(["记录编号", " 行政相对人名称 ", "罚款金额(万元)", "处罚决定日期", "subject_name_x"])
    assert {c.key for c in v.mapping.values()} == {"record_id", "subject_name", "fine_amount", "decision_date"}
    assert v.unknown_headers == ["subject_name_x"]


def test_missing_required_header_is_a_file_error():
    with pytest.raises(HeaderError, match="记录编号"):
        penalty_validator(["行政相对人名称", "处罚决定日期"])


def test_good_row_normalised_with_identity():
    v = penalty_validator()
    r = v.validate({"记录编号": "CP-1", "行政相对人名称": " 长沙市某某科技有限公司 ", "统一社会信用代码": USCC.lower(),
                    "处罚类别": "罚款；没收违法所得", "罚款金额（万元）": "1.5万", "处罚决定日期": "2024年3月5日",
                    "是否严重失信": "否", "操作类型": "新增"})
    assert not r.errors
    assert r.record_id == "CP-1" and r.op == "upsert"
    assert list(r.fields["penalty_kinds"]) == ["罚款", "没收违法所得"]
    assert r.fields["fine_amount"] == 1.5 and r.fields["decision_date"] == "2024-03-05"
    assert r.identity["uscc"] == USCC and r.identity["org_code"] == ORG
    assert r.identity["name"] == "长沙市某某科技有限公司"
    assert not r.flags


def test_bad_row_names_each_column():
    v = penalty_validator()
    r = v.validate({"记录编号": "", "行政相对人名称": "某公司", "处罚决定日期": "2024-13-45", "是否严重失信": "也许"})
    columns = {c for c, _ in r.errors}
    assert {"记录编号 (record_id)", "处罚决定日期 (decision_date)", "是否严重失信 (serious)"} <= columns


def test_unknown_enum_value_rejected_but_open_lists_accept_new_kinds():
    rtype = CATALOG.get("tax", "credit_rating")
    v = RowValidator(rtype, [c.zh for c in rtype.columns])
    bad = v.validate({"记录编号": "T1", "纳税人名称": "某公司", "信用等级": "E"})
    assert bad.errors and "信用等级" in bad.errors[0][0]
    ok = v.validate({"记录编号": "T2", "纳税人名称": "某公司", "信用等级": "ａ"})
    assert not ok.errors and ok.fields["grade"] == "A"
    pv = penalty_validator()
    assert not pv.validate({"记录编号": "P", "行政相对人名称": "某", "处罚类别": "限制从业；新型处罚"}).errors


def test_revoke_needs_only_record_id():
    r = penalty_validator().validate({"记录编号": "CP-9", "操作类型": "撤销"})
    assert not r.errors and r.op == "revoke"


def test_bad_check_character_is_a_flag_not_a_reject():
    wrong = USCC[:-1] + ("0" if USCC[-1] != "0" else "1")
    r = penalty_validator().validate({"记录编号": "CP-2", "行政相对人名称": "某公司", "统一社会信用代码": wrong})
    assert not r.errors
    assert "校验位" in r.flags["uscc"] and r.identity["uscc"] == wrong


def test_other_authority_codes_are_valid():
    code = make_uscc(head="Y1")
    r = penalty_validator().validate({"记录编号": "CP-3", "行政相对人名称": "某协会", "统一社会信用代码": code})
    assert not r.flags and r.identity["uscc"] == code


def test_miscolumned_uscc_under_org_code_is_recognised():
    r = penalty_validator().validate({"记录编号": "CP-4", "行政相对人名称": "某公司", "组织机构代码": USCC})
    assert not r.errors and r.identity["uscc"] == USCC and r.identity["org_code"] == ORG
    assert "组织机构代码" not in r.flags and "org_code" in r.flags


def test_placeholder_code_dropped_with_flag():
    r = penalty_validator().validate({"记录编号": "CP-5", "行政相对人名称": "某公司", "统一社会信用代码": "000000000000000000"})
    assert r.identity["uscc"] is None and "占位" in r.flags["uscc"]


def test_legacy_taxpayer_id_gives_org_code():
    rtype = CATALOG.get("tax", "arrears")
    v = RowValidator(rtype, [c.zh for c in rtype.columns])
    r = v.validate({"记录编号": "A1", "纳税人名称": "某公司", "纳税人识别号": "430100" + ORG})
    assert r.identity["taxpayer_id"] == "430100" + ORG and r.identity["org_code"] == ORG
    r18 = v.validate({"记录编号": "A2", "纳税人名称": "某公司", "纳税人识别号": USCC})
    assert r18.identity["uscc"] == USCC and r18.identity["org_code"] == ORG


def test_marshmallow_schema_agrees_with_row_validator():
    rtype = CATALOG.get("commerce", "penalty")
    data = schema_for(rtype).load({"record_id": "X", "subject_name": "某公司 ", "decision_date": "2024/3/5",
                                   "fine_amount": "2万"})
    assert data["decision_date"] == "2024-03-05" and data["fine_amount"] == 2.0 and data["subject_name"] == "某公司"


def test_legal_rep_id_number_is_identity_evidence():
    r = penalty_validator().validate({"记录编号": "CP-6", "行政相对人名称": "刘记米粉店", "法定代表人证件号码": "43010219800101123x"})
    assert r.identity["legal_rep_id"] == "43010219800101123X"
    assert r.fields["legal_rep_id_number"] == "43010219800101123X"
