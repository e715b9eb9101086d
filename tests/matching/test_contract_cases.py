"""Cases seen in department files built from the exchange contract alone, each once a miss or a
false merge: a mistyped operator ID number, the organisational forms of individual businesses
beyond 店/馆/部, and a spot check whose 所在地 is only a district. ID numbers here stand for the
keyed pseudonyms ingest stores (same shape, same check verdict)."""

from __future__ import annotations

from credit.kernel.identifiers import gb11643_valid
from matching.identity import profile
from matching.names import parse
from matching.resolver import resolve_records
from tests.matching.conftest import uscc
from tests.matching.test_resolver import R, same

LIU = "430102198001011233"       # passes its check
LIU_TYPO = "430102198001011323"  # two digits transposed: fails it
WANG = "430104197703030023"


def test_the_ids_used_here_are_what_they_claim() -> None:
    assert gb11643_valid(LIU) and gb11643_valid(WANG) and not gb11643_valid(LIU_TYPO)


def test_a_mistyped_operator_id_does_not_split_one_business() -> None:
    """The penalty's clerk transposed two digits of 法定代表人证件号码. The USCC is the same: one
    business. The mistyped number is not another person, so it bars nothing."""
    recs = [R("c/reg/1", name="长沙市岳麓区刘记商行", uscc=uscc(1, "430104", "92"), legal_rep="刘伟",
              address="湖南省长沙市岳麓区麓谷大道1号"),
            R("t/rate/1", name="长沙市岳麓区刘记商行", taxpayer_id=LIU + "01"),
            R("c/pen/1", name="刘记商行", uscc=uscc(1, "430104", "92"), legal_rep="刘伟", legal_rep_id=LIU_TYPO),
            R("p/case/1", name="刘记商行", legal_rep="刘伟", legal_rep_id=LIU)]
    res = resolve_records(recs, {})
    assert same(res, "c/reg/1", "c/pen/1")
    assert same(res, "c/reg/1", "t/rate/1") and same(res, "t/rate/1", "p/case/1")
    p = profile(recs[2])
    assert p.persons and not p.checked


def test_two_valid_operator_ids_still_mean_two_people() -> None:
    recs = [R("p/case/1", name="刘记商行", legal_rep="刘伟", legal_rep_id=LIU,
              address="湖南省长沙市岳麓区麓谷大道1号"),
            R("p/case/2", name="刘记商行", legal_rep="刘伟", legal_rep_id=WANG,
              address="湖南省长沙市岳麓区麓谷大道1号")]
    assert not same(resolve_records(recs, {}), "p/case/1", "p/case/2")


def test_the_organisational_forms_of_individual_businesses() -> None:
    """厂, 店, 馆, 部, 行, 中心 … (the naming rules): the county division is the business's place,
    not part of its name core, whether or not a file writes it."""
    for form in ("商行", "加工厂", "养殖场", "服务中心", "诊所", "工作室", "副食店", "米粉馆", "经营部"):
        full, bare = parse(f"长沙市岳麓区刘记{form}"), parse(f"刘记{form}")
        assert full.individual and bare.individual, form
        assert full.core == bare.core and full.county == "岳麓区", form
    assert not parse("长沙市岳麓区华兴建材有限公司").individual
    assert not parse("中国工商银行股份有限公司长沙岳麓支行").individual


def test_a_trade_written_with_and_without_its_division_meets_its_registration() -> None:
    """A tax rating under the 20-character id and the full registered name finds the registration
    written without the division; the namesake 商行 in another district stays apart."""
    recs = [R("c/reg/1", name="刘记商行", uscc=uscc(1, "430104", "92"), legal_rep="刘伟",
              address="湖南省长沙市岳麓区麓谷大道1号"),
            R("t/rate/1", name="长沙市岳麓区刘记商行", taxpayer_id=LIU + "01"),
            R("c/reg/2", name="刘记商行", uscc=uscc(2, "430103", "92"), legal_rep="刘强",
              address="湖南省长沙市天心区人民路3号"),
            R("t/rate/2", name="长沙市天心区刘记商行", taxpayer_id=WANG + "01")]
    res = resolve_records(recs, {})
    assert same(res, "c/reg/1", "t/rate/1") and same(res, "c/reg/2", "t/rate/2")
    assert not same(res, "c/reg/1", "c/reg/2")


def test_an_address_that_is_only_a_district_is_a_place_not_another_shop() -> None:
    """A spot check's 所在地 is often just 长沙市岳麓区: the business's district, never a second
    address that would keep it from the registration of the same name there."""
    p = profile(R("q/spot/1", name="刘记食品加工厂", address="长沙市岳麓区"))
    assert (p.region, p.district, p.address) == ("4301", "岳麓区", "")
    recs = [R("c/reg/1", name="长沙市岳麓区刘记食品加工厂", uscc=uscc(1, "430104", "92"), legal_rep="刘伟",
              address="湖南省长沙市岳麓区麓谷大道1号"),
            R("q/spot/1", name="刘记食品加工厂", address="长沙市岳麓区"),
            R("c/reg/2", name="株洲市荷塘区刘记食品加工厂", uscc=uscc(2, "430202", "92"), legal_rep="刘强",
              address="湖南省株洲市荷塘区建设路8号"),
            R("q/spot/2", name="刘记食品加工厂", address="湖南省株洲市荷塘区")]
    res = resolve_records(recs, {})
    assert same(res, "c/reg/1", "q/spot/1") and same(res, "c/reg/2", "q/spot/2")
    assert not same(res, "c/reg/1", "c/reg/2")


def test_namesakes_whose_numbers_both_fail_the_check_are_two_people_too() -> None:
    """A file whose ID numbers all fail the check (a system that never wrote the check character)
    still tells two people apart by their numbers; only a failing number beside a passing one is
    taken for a mistyped spelling."""
    one, other = "430102198001011234", "430104197703030021"  # both fail
    assert not gb11643_valid(one) and not gb11643_valid(other)
    recs = [R("c/reg/1", name="范建勇", uscc=uscc(1, "430111", "92"), legal_rep="范建勇",
              address="湖南省长沙市雨花区中山路85号"),
            R("t/arr/1", name="范建勇", taxpayer_id=one + "01", legal_rep="范建勇",
              address="湖南省长沙市雨花区中山路85号"),
            R("p/case/2", name="范建勇", legal_rep="范建勇", legal_rep_id=other),
            R("t/rate/2", name="范建勇", taxpayer_id=other + "01")]
    res = resolve_records(recs, {})
    assert same(res, "c/reg/1", "t/arr/1") and same(res, "p/case/2", "t/rate/2")
    assert not same(res, "c/reg/1", "p/case/2")


def test_two_failing_numbers_under_one_valid_uscc_are_two_typos_of_one_operator() -> None:
    """Two clerks each mistype the operator's number (卢英: 1977 written 3977 in one file, the last
    digits transposed in another): both fail the check, and the valid USCC they share says one
    business, so they are not two people. Without the shared code they still are (test above)."""
    a, b = "422801197709059307", "422801397709059037"
    assert not gb11643_valid(a) and not gb11643_valid(b)
    code = uscc(7, "430281", "92")
    recs = [R("c/reg/1", name="卢英", uscc=code, legal_rep="卢英", address="湖南省株洲市醴陵市韶山北路570号"),
            R("c/pen/1", name="卢英", uscc=code, legal_rep="卢英", legal_rep_id=a),
            R("f/fire/1", name="卢英", uscc=code, legal_rep_id=b)]
    res = resolve_records(recs, {})
    assert same(res, "c/reg/1", "c/pen/1") and same(res, "c/reg/1", "f/fire/1")


def test_an_individual_business_is_in_the_county_its_uscc_names() -> None:
    """An individual business registers with its county's bureau: 92330106… is 西湖区. A bare
    name under that USCC meets the same name written with 西湖区 and nothing else; the operator's
    ID number's division (北京) never is the shop's county."""
    p = profile(R("c/abn/1", name="刘记茶馆", uscc=uscc(1, "330106", "92")))
    assert (p.region, p.district) == ("3301", "西湖区")
    assert profile(R("t/rate/1", name="刘记茶馆", taxpayer_id="110101198505052345" + "01")).district == ""
    assert profile(R("c/reg/9", name="华盛网络科技有限公司", uscc=uscc(9, "330106"))).district == ""
    recs = [R("c/abn/1", name="刘记茶馆", uscc=uscc(1, "330106", "92")),
            R("c/reg/1", name="杭州市西湖区刘记茶馆", legal_rep="董国", address="浙江省杭州市西湖区金星北路439号"),
            R("c/abn/2", name="刘记茶馆", uscc=uscc(2, "330108", "92")),
            R("t/rate/2", name="杭州市滨江区刘记茶馆", taxpayer_id=WANG + "01")]
    res = resolve_records(recs, {})
    assert same(res, "c/abn/1", "c/reg/1") and same(res, "c/abn/2", "t/rate/2")
    assert not same(res, "c/abn/1", "c/abn/2")


def test_a_revoke_sent_with_only_its_name_keeps_the_records_identity() -> None:
    """A department withdraws a penalty with 撤销 and the name alone: the record is still the
    enterprise's (its history stays visible to government users), known by its last full version."""
    from matching.identity import latest_views

    code = uscc(3, "430407")
    row = ("commerce", "penalty", "SJ1", 1, "upsert", 5, "创恒股权投资有限公司", "", code, "", "", "", "", "顾兴敏", "")
    revoke = ("commerce", "penalty", "SJ1", 2, "revoke", 9, "创恒股权投资有限公司", "", "", "", "", "", "", "", "")
    view = latest_views([revoke, row])[("commerce", "penalty", "SJ1")]
    assert view.uscc == code and view.legal_rep == "顾兴敏" and view.source_id == 9
    only = latest_views([revoke])[("commerce", "penalty", "SJ1")]
    assert only.name == "创恒股权投资有限公司" and not only.uscc


def test_the_check_rule_is_decided_by_the_pair_so_incremental_equals_full(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Businesses with passing numbers, then records of 刘记商行 under its USCC carrying its
    operator's number mistyped (one, then two ways). The verdict depends on the two sides alone:
    one failing number beside the registration joins it; the same grouping whether the records
    arrive in a later incremental run or all in one full run."""
    from credit.domain.schema import create_all
    from credit.kernel.db import make_engine
    from matching.service import resolve
    from tests.matching.conftest import add, rec
    from tests.matching.test_service import links

    others = [rec(f"public_security/case/{i}", name=f"王记{i}号商行", legal_rep=f"王{i}",
                  legal_rep_id=WANG if i == 1 else LIU, address=f"湖南省长沙市天心区人民路{i}号") for i in (1, 2)]
    reg = rec("commerce/registration/1", name="长沙市岳麓区刘记商行", uscc=uscc(1, "430104", "92"), legal_rep="刘伟",
              address="湖南省长沙市岳麓区麓谷大道1号")
    later = [rec("commerce/penalty/1", name="刘记商行", uscc=uscc(1, "430104", "92"), legal_rep="刘伟",
                 legal_rep_id=LIU_TYPO),
             rec("quality/penalty/1", name="刘记商行", uscc=uscc(1, "430104", "92"), legal_rep="刘伟",
                 legal_rep_id="430102198001011234")]
    outcomes = []
    for incremental in (False, True):
        eng = make_engine(f"sqlite:///{tmp_path / f'{incremental}.db'}")
        create_all(eng)
        add(eng, reg, *others)
        if incremental:
            resolve(eng)
        add(eng, *later)
        resolve(eng)
        got = links(eng)
        assert got["commerce/registration/1"] == got["commerce/penalty/1"]
        outcomes.append({k: frozenset(x for x, e in got.items() if e == v) for k, v in got.items()})
    assert outcomes[0] == outcomes[1]


def test_a_business_named_by_its_operator_alone_is_an_individual_business() -> None:
    """Two namesake operators (谢霞) in one district, each registered; a spot check of 谢霞 at the
    first one's exact address is hers, not ambiguous between the two."""
    recs = [R("c/reg/1", name="谢霞", uscc=uscc(1, "430702", "92"), legal_rep="谢霞",
              address="湖南省常德市武陵区桐梓坡路848号"),
            R("c/reg/2", name="谢霞", uscc=uscc(2, "430702", "92"), legal_rep="谢霞",
              address="湖南省常德市武陵区新民路730号"),
            R("q/spot/1", name="谢霞", address="湖南省常德市武陵区桐梓坡路848号"),
            R("q/spot/2", name="谢霞", address="湖南省常德市武陵区桐梓坡路848号")]
    assert profile(recs[2]).individual
    res = resolve_records(recs, {})
    assert same(res, "c/reg/1", "q/spot/1") and same(res, "c/reg/1", "q/spot/2")
    assert not same(res, "c/reg/1", "c/reg/2")


def test_a_loan_to_the_operator_by_name_meets_the_business_its_code_names() -> None:
    """The bank wrote the operator (戴勇兰) as borrower, with the business's USCC two characters
    transposed: the code and the operator tie it to 平价洗车场. The operator's name alone, with no
    code, ties it to nothing (she may run another business)."""
    from tests.matching.conftest import swap

    code = uscc(1, "430102", "92")
    recs = [R("c/reg/1", name="平价洗车场", uscc=code, legal_rep="戴勇兰", address="湖南省长沙市芙蓉区麓山南路32号"),
            R("f/loan/1", name="戴勇兰", uscc=swap(code, 9), loan_card_no="2303079268138400"),
            R("f/loan/2", name="戴勇兰", loan_card_no="2303079268138411")]
    res = resolve_records(recs, {})
    assert same(res, "c/reg/1", "f/loan/1")
    assert not same(res, "c/reg/1", "f/loan/2")


def test_a_namesake_whose_number_differs_is_no_candidate() -> None:
    """Two 范云明 in 开福区, the second known by his ID number. A rating under the first one's
    20-character id (his own number) cannot be the second's business, so it fits one business:
    the first's. Without the second's number the rating would fit both and join neither."""
    recs = [R("c/reg/1", name="范云明", reg_no="430105724952947", legal_rep="范云明",
              address="湖南省长沙市开福区书院路229号"),
            R("c/reg/2", name="范云明", uscc=uscc(2, "430105", "92"), legal_rep="范云明",
              address="湖南省长沙市开福区五一大道9号"),
            R("p/case/2", name="范云明", uscc=uscc(2, "430105", "92"), legal_rep="范云明", legal_rep_id=WANG),
            R("t/rate/1", name="长沙市开福区范云明", taxpayer_id=LIU + "01")]
    assert parse("长沙市开福区范云明").core == "范云明" and parse("长沙市开福区范云明").county == "开福区"
    res = resolve_records(recs, {})
    assert same(res, "c/reg/1", "t/rate/1") and not same(res, "c/reg/1", "c/reg/2")
    res = resolve_records([r for r in recs if r.key != ("p", "case", "2")], {})
    assert not same(res, "c/reg/1", "t/rate/1") and not same(res, "c/reg/2", "t/rate/1")


def test_a_region_written_after_the_legal_form() -> None:
    """佳康投资合伙企业（有限合伙）（湘潭）: the region moved behind the form is still the region, and
    the name is the registration's 湘潭市佳康投资合伙企业（有限合伙）."""
    moved, written = parse("佳康投资合伙企业（有限合伙）（湘潭）"), parse("湘潭市佳康投资合伙企业（有限合伙）")
    assert (moved.region, moved.core, moved.form) == (written.region, written.core, written.form) == \
        ("4303", "佳康投资", "有限合伙")
    assert parse("华盛网络科技有限公司(长沙)").core == parse("长沙华盛网络科技有限公司").core


def test_public_institutions_keep_their_district_in_their_name() -> None:
    """长沙市岳麓区人民医院 and 长沙市芙蓉区人民医院 are two hospitals; …疾病预防控制中心 and …财政局 are no
    individual businesses, whatever their last word; a company's USCC over a shop-like name keeps the
    district in the name too."""
    for name in ("长沙市岳麓区人民医院", "长沙市岳麓区疾病预防控制中心", "长沙市岳麓区财政局", "长沙市岳麓区第一中学"):
        p = parse(name)
        assert not p.individual and "岳麓区" in p.core, name
    a = R("c/reg/1", name="长沙市岳麓区人民医院", uscc=uscc(1, "430104", "12"), address="湖南省长沙市岳麓区桐梓坡路1号")
    b = R("q/spot/1", name="长沙市芙蓉区人民医院")
    c = R("c/reg/2", name="长沙市岳麓区刘记商行", uscc=uscc(2, "430104", "91"))
    assert not same(resolve_records([a, b], {}), "c/reg/1", "q/spot/1")
    assert profile(c).names[0].core == "岳麓区刘记商行" and not profile(c).individual


def test_one_operators_two_businesses_stay_two_whatever_names_them() -> None:
    """戴勇兰 runs 平价洗车场 (…01) and a business known by her name (…02). A case naming 戴勇兰 with her
    ID number fits both; the two 20-character ids are two businesses, never one enterprise."""
    recs = [R("t/rate/1", name="平价洗车场", taxpayer_id=LIU + "01", legal_rep="戴勇兰"),
            R("t/rate/2", name="戴勇兰", taxpayer_id=LIU + "02", legal_rep="戴勇兰"),
            R("p/case/1", name="戴勇兰", legal_rep="戴勇兰", legal_rep_id=LIU),
            R("f/loan/1", name="戴勇兰", loan_card_no="2303079268138400")]
    res = resolve_records(recs, {})
    assert not same(res, "t/rate/1", "t/rate/2")


def test_a_company_name_without_its_district_fits_every_district_that_holds_it() -> None:
    """A loan to 昊智商贸有限公司 (no place, no code): 衡阳市昊智商贸有限公司 and 邵东县昊智商贸有限公司
    both fit it (a county keeps its name in a company's core, so the two met only if the district-
    less core is a key of both). It fits two companies, so it joins neither; with one, it joins it."""
    from matching.blocking import keys_of

    hengyang = R("c/reg/1", name="衡阳市昊智商贸有限公司", uscc=uscc(1, "430407"), address="湖南省衡阳市石鼓区五一大道383号")
    shaodong = R("c/reg/2", name="邵东县昊智商贸有限公司", uscc=uscc(2, "430521"), address="湖南省邵阳市邵东县韶山北路529号")
    loan = R("f/loan/1", name="昊智商贸有限公司", loan_card_no="0901313483586171")
    assert "n:昊智商贸" in keys_of(profile(shaodong)) and parse("邵东县昊智商贸有限公司").core == "邵东县昊智商贸"
    res = resolve_records([hengyang, shaodong, loan], {})
    assert not same(res, "f/loan/1", "c/reg/1") and not same(res, "f/loan/1", "c/reg/2")
    assert same(resolve_records([shaodong, loan], {}), "f/loan/1", "c/reg/2")
    two_districts = [R("c/reg/3", name="长沙市天心区华兴建材有限公司", uscc=uscc(3)),
                     R("c/reg/4", name="长沙市开福区华兴建材有限公司", uscc=uscc(4))]
    assert not same(resolve_records(two_districts, {}), "c/reg/3", "c/reg/4")
