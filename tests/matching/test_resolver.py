"""The pure resolver on hand-made hard cases, and its properties (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from credit.kernel.identifiers import clean_code
from matching.evidence import render
from matching.identity import IdentityRecord
from matching.resolver import Judgement, resolve_records
from tests.matching.conftest import org, swap, uscc


def R(key: str, **kw: object) -> IdentityRecord:
    d, t, i = key.split("/")
    former = kw.pop("former_names", ())
    return IdentityRecord((d, t, i), former_names=tuple(former), **kw)  # type: ignore[arg-type]


def same(res, a: str, b: str) -> bool:  # type: ignore[no-untyped-def]
    return res.assignment[tuple(a.split("/"))] == res.assignment[tuple(b.split("/"))]


HEAD = R("c/reg/1", name="长沙华盛网络科技有限公司", uscc=uscc(1), legal_rep="张三", address="长沙市岳麓区麓谷大道1号")


def test_same_uscc_links_and_explains() -> None:
    res = resolve_records([HEAD, R("t/rate/1", name="华盛网络科技有限公司", taxpayer_id=uscc(1))], {})
    assert same(res, "c/reg/1", "t/rate/1")
    assert "same USCC" in render(res.links[("t", "rate", "1")][1])


def test_org_code_alone_belongs_with_its_uscc() -> None:
    res = resolve_records([HEAD, R("q/spot/1", name="华盛网络科技（长沙）有限责任公司", org_code=org(1))], {})
    assert same(res, "c/reg/1", "q/spot/1")
    assert "organization code" in render(res.links[("q", "spot", "1")][1])


def test_legacy_taxpayer_id_and_misplaced_codes() -> None:
    recs = [HEAD, R("t/arr/1", name="华盛网络科技有限公司", taxpayer_id="430100" + org(1)),
            R("p/pen/1", name="长沙华盛网络科技有限公司", org_code=uscc(1)),
            R("p/pen/2", name="长沙华盛网络科技有限公司", uscc=" " + uscc(1).lower() + " ")]
    res = resolve_records(recs, {})
    assert len(set(res.assignment.values())) == 1


def test_transposed_and_bad_check_codes_still_match_when_the_rest_agrees() -> None:
    recs = [HEAD, R("t/rate/1", name="华盛网络科技有限公司", taxpayer_id=swap(uscc(1), 9)),
            R("q/spot/1", name="长沙华盛网络科技有限公司", org_code=swap(org(1), 4)),
            R("q/spot/2", name="长沙华盛网络科技有限公司", org_code=org(1)[:8] + ("1" if org(1)[8] != "1" else "2"))]
    res = resolve_records(recs, {})
    assert len(set(res.assignment.values())) == 1


def test_two_valid_usccs_are_never_one_enterprise() -> None:
    other = R("c/reg/2", name="长沙华盛网络科技有限公司", uscc=uscc(2), legal_rep="张三")
    res = resolve_records([HEAD, other, R("f/loan/1", name="长沙华盛网络科技有限公司")], {})
    assert not same(res, "c/reg/1", "c/reg/2")


def test_branch_is_never_its_head_office() -> None:
    recs = [R("c/reg/1", name="华盛建设集团有限公司", uscc=uscc(1)),
            R("c/reg/2", name="华盛建设集团有限公司长沙分公司", uscc=uscc(2, "430100")),
            R("c/pen/2", name="华盛建设集团有限公司长沙分公司", org_code=org(1)),  # head's code, branch name
            R("c/reg/3", name="华盛建设集团有限公司株洲分公司"),
            R("t/arr/3", name="华盛建设集团有限公司株洲分公司"),
            R("c/reg/4", name="华盛建设集团有限公司岳麓营业部")]
    res = resolve_records(recs, {})
    ids = res.assignment
    assert len({ids[("c", "reg", "1")], ids[("c", "reg", "2")], ids[("c", "reg", "3")], ids[("c", "reg", "4")]}) == 4
    assert ids[("c", "pen", "2")] != ids[("c", "reg", "1")]
    assert same(res, "c/reg/3", "t/arr/3")


def test_same_name_in_another_city_is_another_company() -> None:
    recs = [R("c/reg/1", name="长沙华盛科技有限公司", legal_rep="张三"),
            R("c/reg/2", name="株洲华盛科技有限公司", legal_rep="张三"),
            R("t/rate/2", name="华盛科技有限公司", taxpayer_id=uscc(5, "430200")),
            R("c/pen/1", name="华盛科技（长沙）有限公司", address="长沙市天心区人民路1号")]
    res = resolve_records(recs, {})
    assert not same(res, "c/reg/1", "c/reg/2")
    assert same(res, "c/reg/2", "t/rate/2") and same(res, "c/reg/1", "c/pen/1")


def test_one_character_off_in_the_same_city() -> None:
    recs = [HEAD, R("c/reg/2", name="长沙华晟网络科技有限公司", legal_rep="李四", uscc=uscc(2)),
            R("t/arr/1", name="长沙华晟网络科技有限公司", legal_rep="张三"),  # typo, same legal rep
            R("t/arr/2", name="长沙华晟网络科技有限公司", legal_rep="李四")]
    res = resolve_records(recs, {})
    assert not same(res, "c/reg/1", "c/reg/2")
    assert same(res, "c/reg/1", "t/arr/1") and same(res, "c/reg/2", "t/arr/2")


def test_generic_individual_businesses_in_different_places() -> None:
    recs = [R("c/reg/1", name="刘记米粉店", legal_rep="刘伟", address="湖南省长沙市天心区人民路3号"),
            R("c/reg/2", name="刘记米粉店", legal_rep="刘强", address="湖南省株洲市荷塘区建设路8号"),
            R("c/reg/3", name="刘记米粉店", legal_rep="刘芳", address="湖南省长沙市开福区中山路9号"),
            R("q/pen/1", name="刘记米粉店 ", legal_rep="刘伟"),
            R("f/loan/9", name="刘记米粉店", loan_card_no="4301123456789012")]
    res = resolve_records(recs, {})
    assert len({res.assignment[("c", "reg", str(i))] for i in (1, 2, 3)}) == 3
    assert same(res, "c/reg/1", "q/pen/1")
    assert len({res.assignment[k] for k in res.assignment}) == 4


def test_former_name_links_a_renamed_company() -> None:
    recs = [R("c/reg/1", name="长沙华盛智能科技有限公司", former_names=("长沙华盛网络科技有限公司",),
              uscc=uscc(1), legal_rep="张三"),
            R("q/spot/1", name="长沙华盛网络科技有限公司", legal_rep="张三")]
    res = resolve_records(recs, {})
    assert same(res, "c/reg/1", "q/spot/1")
    assert "former" in render(res.links[("q", "spot", "1")][1])


def test_loan_card_ties_finance_records() -> None:
    recs = [R("f/loan/1", name="华盛科技有限公司", loan_card_no="4301000011112222"),
            R("f/loan/2", name="华盛科技（长沙）有限公司", loan_card_no="4301000011112222", uscc="0" * 18)]
    assert same(resolve_records(recs, {}), "f/loan/1", "f/loan/2")


def test_uncertain_pair_goes_to_review_not_merge() -> None:
    recs = [R("c/reg/1", name="长沙华盛网络科技有限公司", uscc=uscc(1), legal_rep="张三"),
            R("q/spot/1", name="长沙华盛网络科技有限公司", legal_rep="李四")]  # same name, other legal rep
    res = resolve_records(recs, {})
    assert not same(res, "c/reg/1", "q/spot/1")
    assert len(res.reviews) == 1 and res.reviews[0].explanation


def test_judgements_win() -> None:
    a, b = R("c/reg/1", name="长沙华盛科技有限公司"), R("q/spot/1", name="长沙华盛科技有限公司")
    assert same(resolve_records([a, b], {}), "c/reg/1", "q/spot/1")
    res = resolve_records([a, b], {}, [Judgement(a.key, b.key, "different")])
    assert not same(res, "c/reg/1", "q/spot/1")
    c = R("t/x/1", name="株洲完全不同有限公司", uscc=uscc(9, "430200"))
    res = resolve_records([a, b, c], {}, [Judgement(a.key, c.key, "same")])
    assert same(res, "c/reg/1", "t/x/1")


def test_stable_ids_merges_and_splits() -> None:
    a = R("c/reg/1", name="长沙华盛科技有限公司", uscc=uscc(1))
    b = R("t/rate/1", name="长沙华盛科技有限公司", taxpayer_id=uscc(1))
    c = R("q/spot/1", name="长沙华盛科技有限公司", org_code=org(1))
    first = resolve_records([a, b], {})
    assert first.assignment[a.key] == first.assignment[b.key] == 1
    # c first on its own (as if resolved earlier under id 7), then joins: a merge into 1
    second = resolve_records([a, b, c], {a.key: 1, b.key: 1, c.key: 7}, next_id=8)
    assert set(second.assignment.values()) == {1}
    assert [(e.kind, e.enterprise_id, e.other_id) for e in second.events] == [("merge", 7, 1)]
    # b changes to another company: a split, the larger part keeps the id
    b2 = R("t/rate/1", name="株洲其他商贸有限公司", taxpayer_id=uscc(3, "430200"))
    third = resolve_records([a, b2, c], second.assignment, next_id=8)
    assert third.assignment[a.key] == third.assignment[c.key] == 1
    assert third.assignment[b2.key] == 8
    assert [(e.kind, e.enterprise_id, e.other_id) for e in third.events] == [("split", 1, 8)]


# ---------------------------------------------------------------- properties

_NAMES = ["长沙华盛科技有限公司", "华盛科技（长沙）有限公司", "株洲华盛科技有限公司", "长沙华晟科技有限公司",
          "华盛科技有限公司长沙分公司", "刘记米粉店", "湖南鑫瑞建设有限公司", "长沙市岳麓区刘记米粉店", "张三", ""]
_record = st.builds(
    lambda i, n, u, rep: IdentityRecord(("d", "t", str(i)), name=n,
                                        uscc=uscc(u) if u < 3 else (org(u - 3) if u < 6 else ""),
                                        legal_rep=rep),
    st.integers(0, 10_000), st.sampled_from(_NAMES), st.integers(0, 8), st.sampled_from(["", "张三", "李四"]))
_records = st.lists(_record, min_size=1, max_size=14, unique_by=lambda r: r.key)


def _partition(assignment: dict) -> set[frozenset]:  # type: ignore[type-arg]
    groups: dict[int, set] = {}  # type: ignore[type-arg]
    for k, v in assignment.items():
        groups.setdefault(v, set()).add(k)
    return {frozenset(g) for g in groups.values()}


@settings(max_examples=60, deadline=None)
@given(_records, st.randoms(use_true_random=False))
def test_independent_of_input_order(records, rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(records)
    rnd.shuffle(shuffled)
    a, b = resolve_records(records, {}), resolve_records(shuffled, {})
    assert a.assignment == b.assignment
    assert [r.score for r in a.reviews] == [r.score for r in b.reviews]


@settings(max_examples=60, deadline=None)
@given(_records, st.data())
def test_a_judgement_is_never_overridden(records, data) -> None:  # type: ignore[no-untyped-def]
    left = data.draw(st.sampled_from(records))
    right = data.draw(st.sampled_from(records))
    verdict = data.draw(st.sampled_from(["same", "different"]))
    if left.key == right.key:
        return
    res = resolve_records(records, {}, [Judgement(left.key, right.key, verdict)])
    together = res.assignment[left.key] == res.assignment[right.key]
    assert together == (verdict == "same")
    again = resolve_records(records, res.assignment, [Judgement(left.key, right.key, verdict)], next_id=100)
    assert (again.assignment[left.key] == again.assignment[right.key]) == (verdict == "same")


@settings(max_examples=60, deadline=None)
@given(_records, _records)
def test_ids_stay_stable(old, new) -> None:  # type: ignore[no-untyped-def]
    first = resolve_records(old, {})
    again = resolve_records(old, first.assignment, next_id=first.next_id)
    assert again.assignment == first.assignment and not again.events
    keys = {r.key for r in old}
    more = old + [r for r in new if r.key not in keys]
    second = resolve_records(more, first.assignment, next_id=first.next_id)
    # a record whose cluster did not change keeps its id
    before, after = _partition(first.assignment), _partition(second.assignment)
    for group in before & after:
        k = next(iter(group))
        assert first.assignment[k] == second.assignment[k]
    # every old id is kept or leads somewhere (merge event)
    kept = set(second.assignment.values())
    merged = {e.enterprise_id for e in second.events if e.kind == "merge"}
    assert set(first.assignment.values()) <= kept | merged


def test_clean_code_is_reused() -> None:
    assert clean_code("9143 0100 ") == "91430100"


def test_a_name_only_record_does_not_chain_namesakes_in_other_places() -> None:
    recs = [R("c/reg/1", name="瑞正商贸有限公司", uscc=swap(uscc(1, "430200"), 9), address="湖南省株洲市湘江中路376号"),
            R("c/reg/2", name="瑞正商贸（北京）有限公司", uscc=swap(uscc(2, "110101"), 9), address="北京市东城区湘江中路704号"),
            R("c/ab/1", name="瑞正商贸有限公司"),
            R("c/reg/3", name="王记米粉店", legal_rep="王国浩", address="湖南省长沙市芙蓉区芙蓉中路908号"),
            R("c/reg/4", name="王记米粉店", legal_rep="王国浩", address="湖南省长沙市开福区五一大道891号"),
            R("q/pen/3", name="王记米粉店", legal_rep="王国浩")]
    res = resolve_records(recs, {})
    assert not same(res, "c/reg/1", "c/reg/2")
    assert not same(res, "c/reg/3", "c/reg/4")


ID_LIU = "430102198001011233"
ID_LIU2 = "430203198505052348"


def test_operator_id_ties_a_generic_tax_record_to_its_business() -> None:
    recs = [R("p/pen/1", name="刘记米粉店", legal_rep="刘伟", legal_rep_id=ID_LIU,
              address="湖南省长沙市天心区人民路3号"),
            R("p/pen/2", name="刘记米粉店", legal_rep="刘强", legal_rep_id=ID_LIU2,
              address="湖南省株洲市荷塘区建设路8号"),
            R("t/rate/1", name="刘记米粉店", taxpayer_id=ID_LIU + "01"),
            R("t/rate/2", name="刘记米粉店", taxpayer_id=ID_LIU2 + "01")]
    res = resolve_records(recs, {})
    assert same(res, "p/pen/1", "t/rate/1") and same(res, "p/pen/2", "t/rate/2")
    assert not same(res, "p/pen/1", "p/pen/2")
    assert "same legal representative ID number" in render(res.links[("t", "rate", "1")][1])


def test_one_operator_with_two_businesses_is_not_one_enterprise() -> None:
    recs = [R("p/pen/1", name="刘记米粉店", legal_rep="刘伟", legal_rep_id=ID_LIU,
              address="湖南省长沙市天心区人民路3号"),
            R("t/rate/1", name="伟业五金经营部", taxpayer_id=ID_LIU + "02"),
            R("t/rate/2", name="刘记米粉店", taxpayer_id=ID_LIU + "01"),
            R("p/pen/3", name="伟业五金经营部", legal_rep="刘伟", legal_rep_id=ID_LIU)]
    res = resolve_records(recs, {})
    assert same(res, "p/pen/1", "t/rate/2") and same(res, "p/pen/3", "t/rate/1")
    assert not same(res, "p/pen/1", "p/pen/3") and not same(res, "t/rate/1", "t/rate/2")


def test_a_legal_rep_of_two_companies_does_not_merge_them() -> None:
    recs = [R("c/reg/1", name="长沙华盛网络科技有限公司", uscc=uscc(1), legal_rep="张三", legal_rep_id=ID_LIU),
            R("c/reg/2", name="长沙华盛网络科技有限公司", uscc=uscc(2), legal_rep="张三", legal_rep_id=ID_LIU),
            R("c/reg/3", name="湖南鑫瑞建设有限公司", uscc=uscc(3), legal_rep="张三", legal_rep_id=ID_LIU),
            R("q/pen/1", name="湖南鑫瑞建设有限公司", legal_rep="张三", legal_rep_id=ID_LIU),
            R("q/pen/2", name="鑫瑞商贸有限公司", legal_rep="张三", legal_rep_id=ID_LIU)]
    res = resolve_records(recs, {})
    assert len({res.assignment[("c", "reg", str(i))] for i in (1, 2, 3)}) == 3
    assert same(res, "c/reg/3", "q/pen/1")
    assert not same(res, "q/pen/2", "c/reg/3") and not same(res, "q/pen/2", "c/reg/1")


def test_legal_rep_id_is_read_from_views() -> None:
    from matching.identity import latest_views, profile
    row = ("p", "pen", "1", 1, "upsert", 5, "刘记米粉店", "", "", "", "", "", "", "刘伟", "", " " + ID_LIU.lower())
    rec = latest_views([row])[("p", "pen", "1")]
    assert rec.legal_rep_id == ID_LIU.lower()
    assert profile(rec).persons == {ID_LIU}
    assert profile(R("t/rate/1", taxpayer_id=ID_LIU + "01", legal_rep_id="0" * 18)).persons == {ID_LIU}


def test_namesake_operators_with_different_id_numbers_stay_apart() -> None:
    """Same generic name, same operator name, different ID numbers: two businesses, whatever
    name-and-representative-only records would bridge them."""
    recs = [R("c/reg/1", name="刘记五金店", legal_rep="刘平辉", address="陕西省西安市解放西路946号"),
            R("c/pen/1", name="刘记五金店", legal_rep="刘平辉", legal_rep_id="610100197111135911"),
            R("p/case/2", name="刘记五金店", legal_rep="刘平辉", legal_rep_id="430202198603305859"),
            R("t/rate/2", name="刘记五金店", taxpayer_id="43020219860330585901"),
            R("c/reg/2", name="刘记五金店", legal_rep="刘平辉", address="湖南省株洲市荷塘区建设路301号")]
    res = resolve_records(recs, {})
    assert not same(res, "c/pen/1", "p/case/2")
    assert same(res, "p/case/2", "t/rate/2")
    assert not same(res, "c/reg/1", "c/reg/2")


def test_a_loan_card_number_says_nothing_about_the_place() -> None:
    """The finance department's own numbering: its digits are no region to disagree with."""
    recs = [R("c/reg/1", name="北京市华盛网络科技有限公司", uscc=uscc(1), legal_rep="张三"),
            R("f/loan/1", name="华盛网络科技有限公司", loan_card_no="4301000011112222")]
    assert same(resolve_records(recs, {}), "c/reg/1", "f/loan/1")


def test_two_valid_organization_codes_are_never_one_enterprise() -> None:
    """Two same-named companies in one city, one known by its USCC, one by legacy codes: a record
    with the name alone joins neither, and the two are never chained together."""
    recs = [R("c/reg/1", name="利兴机械有限公司", uscc=uscc(1), legal_rep="韦琳洋",
              address="湖南省湘潭市雨湖区科技园路616号"),
            R("t/arr/2", name="利兴机械有限公司", org_code=org(2), taxpayer_id="430302" + org(2),
              legal_rep="侯雪宇", address="湖南省湘潭市雨湖区人民路571号"),
            R("c/reg/2", name="利兴机械有限公司", legal_rep="侯雪宇", address="湖南省湘潭市雨湖区人民路571号"),
            R("t/rate/9", name="利兴机械有限公司")]
    res = resolve_records(recs, {})
    assert same(res, "t/arr/2", "c/reg/2")
    assert not same(res, "c/reg/1", "t/arr/2")
    assert not same(res, "t/rate/9", "c/reg/1") and not same(res, "t/rate/9", "t/arr/2")


def test_a_name_that_fits_businesses_in_two_places_joins_neither() -> None:
    recs = [R("c/reg/1", name="张记理发店", legal_rep="张英强", address="湖南省长沙市人民路425号"),
            R("c/reg/2", name="张记理发店", legal_rep="张英强", address="湖南省湘潭市雨湖区芙蓉中路432号"),
            R("p/fire/1", name="张记理发店", legal_rep="张英强")]
    res = resolve_records(recs, {})
    assert len(set(res.assignment.values())) == 3


def test_a_province_named_company_is_in_the_city_its_address_gives() -> None:
    """湖南星宇汽车服务有限公司 at an address in 湘潭 is the 湘潭 company, not also the one of the same
    trade name in 衡阳: the province its name tells is made finer by its address, and a name alone
    does not join a company known to be in 湘潭 to one known to be in 衡阳."""
    from matching.identity import profile

    recs = [R("c/reg/1", name="衡阳市星宇汽车服务有限公司", uscc=uscc(1, "430400"), legal_rep="韦娜",
              address="湖南省衡阳市湘江中路714号"),
            R("q/spot/1", name="衡阳市星宇汽车服务有限公司", org_code=org(1), address="湖南省衡阳市湘江中路714号"),
            R("c/reg/2", name="星宇汽车服务（湘潭）有限公司", legal_rep="范志", address="湖南省湘潭市湘江中路255号"),
            R("t/arr/2", name="湖南星宇汽车服务有限公司", legal_rep="范志", address="湖南省湘潭市湘江中路255号")]
    assert profile(recs[3]).region == "4303"
    res = resolve_records(recs, {})
    assert same(res, "c/reg/1", "q/spot/1") and same(res, "c/reg/2", "t/arr/2")
    assert not same(res, "q/spot/1", "t/arr/2") and not same(res, "c/reg/1", "c/reg/2")


def test_a_component_is_where_its_finest_region_says() -> None:
    """A record that names only the province (湖南…, no address) joins the 湘潭 company by its
    representative's ID number; the two are then known to be in 湘潭, and the 衡阳 company of the
    same trade name stays apart however well the province-named record's name fits it."""
    rep_id = "430302198001011234"
    recs = [R("q/spot/1", name="衡阳市星宇汽车服务有限公司", org_code=org(1), address="湖南省衡阳市湘江中路714号"),
            R("c/pen/2", name="星宇汽车服务（湘潭）有限公司", legal_rep="范志", legal_rep_id=rep_id),
            R("t/maj/2", name="湖南星宇汽车服务有限公司", legal_rep="范志", legal_rep_id=rep_id)]
    res = resolve_records(recs, {})
    assert same(res, "c/pen/2", "t/maj/2") and not same(res, "q/spot/1", "t/maj/2")


def test_a_15_digit_code_tells_its_division_whether_it_is_a_registration_number_or_a_taxpayer_id() -> None:
    """450100458144233 is a legacy taxpayer id of 南宁 (division + organization code) that also
    passes a registration number's check; either way its first six digits are a division code
    (a registration number's are its registration authority's). The 南宁 company is not the 衡阳
    one of the same name, and a record with the name alone joins neither."""
    from matching.identity import profile

    recs = [R("c/reg/1", name="盛美医药股份有限公司", legal_rep="龚红", address="湖南省衡阳市东风路13号"),
            R("t/rate/1", name="盛美医药股份有限公司", org_code="458144233", taxpayer_id="450100458144233"),
            R("t/rate/2", name="盛美医药股份有限公司", taxpayer_id="450100458144233"),
            R("t/rate/3", name="盛美医药股份有限公司")]
    assert profile(recs[1]).region == profile(recs[2]).region == "4501"
    res = resolve_records(recs, {})
    assert same(res, "t/rate/1", "t/rate/2") and not same(res, "c/reg/1", "t/rate/1")
    assert not same(res, "t/rate/3", "c/reg/1") and not same(res, "t/rate/3", "t/rate/1")
