"""Individual businesses (个体工商户) as the departments write them: by their county division and
their operator. ID numbers here stand for the keyed pseudonyms ingest stores (the same shape)."""

from __future__ import annotations

from sqlalchemy import Engine

from matching.evidence import render
from matching.identity import IdentityRecord, profile
from matching.names import parse
from matching.resolver import resolve_records
from matching.service import resolve
from tests.matching.conftest import add, rec, uscc
from tests.matching.test_resolver import R, same
from tests.matching.test_service import links

ID_A = "430102198001011233"  # household registered in 长沙 芙蓉区
ID_B = "110101198505052345"  # registered in 北京: the shop is in 长沙 all the same
ID_C = "430104197703030023"


def test_a_name_carries_its_county_division() -> None:
    full, district_only, bare = parse("长沙市岳麓区刘记副食店"), parse("岳麓区刘记副食店"), parse("刘记副食店")
    assert full.core == district_only.core == bare.core == "刘记副食店"
    assert (full.region, full.county) == ("4301", "岳麓区") and district_only.county == "岳麓区"
    assert parse("长沙市长沙县刘记副食店").county == "长沙县"
    assert parse("长沙市浏阳市王记便利店").county == "浏阳市" and parse("浏阳市王记便利店").county == "浏阳市"
    assert parse("社区便利店").county == "" and parse("社区便利店").core == "社区便利店"


def test_a_tax_rating_under_its_20_character_id_finds_the_registration_of_the_same_name() -> None:
    """The issue's typical miss: 纳税人识别号 = the operator's ID + 2 digits and 纳税人名称 = the full
    registered name; the registration's name is written with or without its division."""
    recs = [R("c/reg/1", name="刘记副食店", uscc=uscc(1, "430104", "92"), legal_rep="刘伟",
              address="湖南省长沙市岳麓区麓谷大道1号"),
            R("t/rate/1", name="长沙市岳麓区刘记副食店", taxpayer_id=ID_B + "01"),
            R("t/rate/2", name="长沙市岳麓区刘记副食店", taxpayer_id=ID_B + "01"),
            R("c/reg/2", name="长沙市天心区刘记副食店", uscc=uscc(2, "430103", "92"), legal_rep="刘强",
              address="湖南省长沙市天心区人民路3号"),
            R("t/rate/3", name="天心区刘记副食店", taxpayer_id=ID_C + "01")]
    res = resolve_records(recs, {})
    assert same(res, "c/reg/1", "t/rate/1") and same(res, "t/rate/1", "t/rate/2")
    assert same(res, "c/reg/2", "t/rate/3")
    assert not same(res, "c/reg/1", "c/reg/2")
    assert "same name in the same county division" in render(res.links[("t", "rate", "1")][1]) or \
        "same name in the same county division" in render(res.links[("c", "reg", "1")][1])


def test_the_operator_id_is_identity_evidence_and_never_a_region() -> None:
    """The ID number inside a 20-character taxpayer id and the stated 法定代表人证件号码 tie records
    of one operator's business together; the ID's division (北京) is not where the shop is."""
    recs = [R("c/reg/1", name="长沙市岳麓区刘记副食店", uscc=uscc(1, "430104", "92"), legal_rep="刘伟",
              address="湖南省长沙市岳麓区麓谷大道1号"),
            R("c/pen/1", name="刘记副食店", uscc=uscc(1, "430104", "92"), legal_rep="刘伟", legal_rep_id=ID_B),
            R("t/arr/1", name="刘记副食店", taxpayer_id=ID_B + "0D")]  # its trailing digits garbled
    res = resolve_records(recs, {})
    assert same(res, "c/reg/1", "t/arr/1") and same(res, "c/pen/1", "t/arr/1")
    assert profile(recs[2]).region is None and profile(recs[1]).region == "4301"


def test_a_business_known_by_its_operators_name() -> None:
    """No trade name: the business is its operator's name (周旭红), in the registration as name and
    法定代表人, in the tax file as 纳税人名称 beside the 20-character id."""
    recs = [R("c/reg/1", name="周旭红", uscc=uscc(1, "430104", "92"), legal_rep="周旭红",
              address="湖南省长沙市岳麓区麓谷大道1号"),
            R("t/rate/1", name="周旭红", taxpayer_id=ID_A + "01"),
            R("f/loan/1", name="长沙市岳麓区周旭红烧烤店", loan_card_no="4301000011112222"),
            R("c/reg/2", name="长沙市岳麓区周旭红烧烤店", legal_rep="周旭红", address="湖南省长沙市岳麓区人民路9号",
              reg_no="430104000012345")]
    res = resolve_records(recs, {})
    assert same(res, "c/reg/1", "t/rate/1")
    assert same(res, "f/loan/1", "c/reg/2") and not same(res, "c/reg/1", "c/reg/2")


def test_two_people_with_the_same_name_in_one_district_are_two_people() -> None:
    recs = [R("c/reg/1", name="张伟", legal_rep="张伟", reg_no="430104000012345",
              address="湖南省长沙市岳麓区麓谷大道1号"),
            R("c/reg/2", name="张伟", legal_rep="张伟", reg_no="430104000067890",
              address="湖南省长沙市岳麓区人民路7号"),
            R("c/pen/1", name="张伟", legal_rep="张伟", legal_rep_id=ID_A, reg_no="430104000012345"),
            R("p/case/2", name="张伟", legal_rep="张伟", legal_rep_id=ID_C),
            R("t/rate/9", name="张伟", taxpayer_id=ID_B + "01")]  # fits both: joins neither
    res = resolve_records(recs, {})
    assert not same(res, "c/reg/1", "c/reg/2")
    assert same(res, "c/reg/1", "c/pen/1") and not same(res, "c/pen/1", "p/case/2")
    assert not same(res, "t/rate/9", "c/reg/1") and not same(res, "t/rate/9", "c/reg/2")


def test_two_businesses_of_one_operator_stay_two() -> None:
    """One person, two shops: the 20-character ids differ in their last two digits and the names
    differ; each rating finds its own shop, the shops are never one enterprise."""
    recs = [R("c/reg/1", name="长沙市岳麓区刘记副食店", uscc=uscc(1, "430104", "92"), legal_rep="刘伟",
              address="湖南省长沙市岳麓区麓谷大道1号"),
            R("c/reg/2", name="长沙市岳麓区伟业五金店", uscc=uscc(2, "430104", "92"), legal_rep="刘伟",
              address="湖南省长沙市岳麓区人民路7号"),
            R("c/pen/1", name="刘记副食店", uscc=uscc(1, "430104", "92"), legal_rep="刘伟", legal_rep_id=ID_A),
            R("t/rate/1", name="长沙市岳麓区刘记副食店", taxpayer_id=ID_A + "01"),
            R("t/rate/2", name="岳麓区伟业五金店", taxpayer_id=ID_A + "02")]
    res = resolve_records(recs, {})
    assert same(res, "c/reg/1", "t/rate/1") and same(res, "c/reg/2", "t/rate/2")
    assert not same(res, "c/reg/1", "c/reg/2") and not same(res, "t/rate/1", "t/rate/2")


def test_a_bare_generic_name_in_no_place_joins_nothing() -> None:
    """刘记米粉店 with no division and nothing else is no evidence where it fits businesses in two places."""
    recs = [R("c/reg/1", name="长沙市岳麓区刘记米粉店", uscc=uscc(1, "430104", "92"), legal_rep="刘伟",
              address="湖南省长沙市岳麓区麓谷大道1号"),
            R("c/reg/2", name="株洲市荷塘区刘记米粉店", uscc=uscc(2, "430202", "92"), legal_rep="刘强",
              address="湖南省株洲市荷塘区建设路8号"),
            R("t/rate/1", name="刘记米粉店", taxpayer_id=ID_A + "01"),
            R("f/loan/1", name="刘记米粉店", loan_card_no="4301000011112222")]
    res = resolve_records(recs, {})
    assert len(set(res.assignment.values())) == 4



REG_A, REG_B = "330106362028735", "330106362028743"  # valid registration numbers (ISO 7064 MOD 11,10)
REG_C = "430102585826614"


def test_an_operators_name_misspelt_is_still_his_business_where_his_id_number_ties_it() -> None:
    """A business known by its operator's name (周旭红), misspelt by one character in a tax file
    (周旭宏): its 20-character id carries the operator's ID number, which the penalty states as
    法定代表人证件号码. The ID number ties the two, so the name is the same name misspelt."""
    recs = [R("c/reg/1", name="周旭红", legal_rep="周旭红", reg_no=REG_C, address="湖南省长沙市芙蓉区五一大道767号"),
            R("c/pen/1", name="周旭红", legal_rep="周旭红", legal_rep_id=ID_A, reg_no=REG_C),
            R("t/rate/1", name="周旭宏", taxpayer_id=ID_A + "01")]
    res = resolve_records(recs, {})
    assert same(res, "c/pen/1", "t/rate/1") and same(res, "c/reg/1", "t/rate/1")


def test_a_short_name_one_character_off_is_another_persons_without_an_id_that_ties_them() -> None:
    """周旭红 and 周旭宏 are two people's names: two operators in one district (other ID numbers),
    or two shops at one address (a family's), stay apart."""
    recs = [R("c/pen/1", name="周旭红", legal_rep="周旭红", legal_rep_id=ID_A),
            R("t/rate/1", name="周旭宏", taxpayer_id=ID_C + "01"),
            R("c/reg/2", name="孙兰", legal_rep="孙兰", reg_no=REG_C, address="湖南省长沙市芙蓉区五一大道767号"),
            R("q/spot/2", name="孙芳", address="湖南省长沙市芙蓉区五一大道767号")]
    res = resolve_records(recs, {})
    assert not same(res, "c/pen/1", "t/rate/1") and not same(res, "c/reg/2", "q/spot/2")


def test_one_registration_number_with_a_name_one_character_off_is_one_business() -> None:
    """A registration number that passes its check is one entity's; its operator-named business
    written 金宇杰 for 吴宇杰 in the abnormal-operation list is the same business. A look-alike name
    under another valid number stays another business."""
    recs = [R("c/reg/1", name="吴宇杰", legal_rep="吴宇杰", reg_no=REG_A, address="浙江省杭州市西湖区解放西路414号"),
            R("c/abn/1", name="金宇杰", reg_no=REG_A),
            R("c/reg/2", name="吴宇洁", legal_rep="吴宇洁", reg_no=REG_B, address="浙江省杭州市西湖区解放西路9号")]
    res = resolve_records(recs, {})
    assert same(res, "c/reg/1", "c/abn/1")
    assert not same(res, "c/reg/1", "c/reg/2") and not same(res, "c/abn/1", "c/reg/2")


def test_namesake_operators_stay_two_where_one_id_number_is_known_only_from_a_taxpayer_id() -> None:
    """Two people named 范建勇 run a business each in 雨花区, both named by the operator alone. The
    first's ID number is known only inside his 20-character taxpayer id (the arrears notice), the
    second's is stated by the police case and inside his own. Both numbers pass their check (so does
    the pseudonym ingest stores), so they are two people, and the registration, which states no ID
    number, is not joined to the second by their common name."""
    first, second = "430102198001011233", "110105198505052340"  # valid GB 11643 check characters
    recs = [R("c/reg/1", name="范建勇", uscc=uscc(1, "430111", "92"), legal_rep="范建勇",
              address="湖南省长沙市雨花区中山路85号"),
            R("t/arr/1", name="范建勇", taxpayer_id=first + "01", legal_rep="范建勇",
              address="湖南省长沙市雨花区中山路85号"),
            R("p/case/2", name="范建勇", legal_rep="范建勇", legal_rep_id=second),
            R("t/rate/2", name="范建勇", taxpayer_id=second + "01")]
    res = resolve_records(recs, {})
    assert same(res, "c/reg/1", "t/arr/1") and same(res, "p/case/2", "t/rate/2")
    assert not same(res, "c/reg/1", "p/case/2")

INDIVIDUALS = [
    rec("commerce/registration/1", name="刘记副食店", uscc=uscc(1, "430104", "92"), legal_rep="刘伟",
        address="湖南省长沙市岳麓区麓谷大道1号"),
    rec("commerce/registration/2", name="周旭红", uscc=uscc(2, "430104", "92"), legal_rep="周旭红",
        address="湖南省长沙市岳麓区人民路9号"),
    rec("commerce/registration/3", name="张伟", legal_rep="张伟", reg_no="430104000067890",
        address="湖南省长沙市岳麓区人民路7号"),
]
LATER = [
    rec("tax/credit_rating/1", name="长沙市岳麓区刘记副食店", taxpayer_id=ID_B + "01"),
    rec("tax/credit_rating/2", name="周旭红", taxpayer_id=ID_A + "01"),
    rec("commerce/penalty/3", name="张伟", legal_rep="张伟", legal_rep_id=ID_C, reg_no="430104000067890"),
    rec("tax/credit_rating/3", name="张伟", taxpayer_id=ID_C + "01"),
]


def test_incremental_equals_full_for_individual_businesses(engine: Engine) -> None:
    add(engine, *INDIVIDUALS)
    resolve(engine)
    add(engine, *LATER)
    inc = resolve(engine)
    assert inc.mode == "incremental"
    after_inc = links(engine)
    assert after_inc["tax/credit_rating/1"] == after_inc["commerce/registration/1"]
    assert after_inc["tax/credit_rating/2"] == after_inc["commerce/registration/2"]
    assert after_inc["tax/credit_rating/3"] == after_inc["commerce/registration/3"]
    full = resolve(engine, full=True)
    assert not full.merges and not full.splits and links(engine) == after_inc


def test_identity_records_of_individuals_keep_the_operator_id_out_of_the_region() -> None:
    p = profile(IdentityRecord(("p", "pen", "1"), name="刘记副食店", legal_rep="刘伟", legal_rep_id=ID_B))
    assert p.region is None and p.individual and p.persons == {ID_B}


def test_companies_of_two_districts_keep_their_district_in_the_name_core():
    from matching.names import parse
    a, b = parse("长沙市天心区华兴建材有限公司"), parse("长沙市开福区华兴建材有限公司")
    assert (a.trade, a.industry) != (b.trade, b.industry)
    assert parse("宏达市政工程有限公司").trade != parse("金辉市政工程有限公司").trade
