"""Name parsing and code evidence on hand-made cases."""

from __future__ import annotations

import pytest

from matching.codes import collect, one_swap, repaired_orgs
from matching.names import parse
from tests.matching.conftest import org, swap, uscc


@pytest.mark.parametrize("name", [
    "长沙市华盛网络科技有限公司", "华盛网络科技（长沙）有限公司", "华盛网络科技(长沙)有限责任公司 ",
    "湖南（长沙）华盛网络科技有限公司", "长沙华盛网络科技有限公司", "华盛网络科技有限公司",
    "长沙　华盛网络科技有限公司",
])
def test_spellings_of_one_name_share_a_core(name: str) -> None:
    p = parse(name)
    assert (p.trade, p.industry, p.form, p.branch) == ("华盛", "网络科技", "有限", "")


def test_legal_form_spellings_are_canonical() -> None:
    assert parse("华盛科技股份有限公司").form == parse("华盛科技股份公司").form == "股份"
    assert parse("华盛创投(有限合伙)").form == parse("华盛创投有限合伙").form == "有限合伙"


@pytest.mark.parametrize("name,branch", [
    ("某某建设集团有限公司长沙分公司", "4301:分公司"), ("华盛科技有限公司岳麓区营业部", ":岳麓营业部"),
    ("刘记米粉店五一路分店", ":五一路分店"), ("华盛科技有限公司北京办事处", "11:办事处"),
    ("锦鑫医药集团(有限合伙)北京分公司", "11:分公司"), ("锦鑫医药集团有限合伙北京分公司", "11:分公司"),
])
def test_branch_part(name: str, branch: str) -> None:
    assert parse(name).branch == branch
    assert not parse(name).individual


def test_region_in_name() -> None:
    assert parse("长沙市华盛科技有限公司").region == "4301"
    assert parse("华盛科技（株洲）有限公司").region == "4302"
    assert parse("湖南华盛科技有限公司").region == "43"
    assert parse("华盛科技有限公司").region is None


def test_individual_business() -> None:
    assert parse("刘记米粉店").individual
    assert not parse("长沙华盛科技有限公司").individual


def test_codes_are_recognised_whatever_the_column() -> None:
    u = uscc(7)
    c = collect([None, u, "", "", ""])  # a USCC in the org code column
    assert c.valid_usccs == {u} and org(7) in c.valid_orgs and c.division == "430100"
    c = collect(["", org(7)[:8] + "-" + org(7)[8], "430100" + org(7), "", ""])
    assert c.valid_orgs == {org(7)} and not c.usccs


def test_messy_spellings_and_placeholders() -> None:
    u = uscc(8)
    assert collect([u.lower().replace("0", "o"), "", "", "", ""]).valid_usccs == {u}
    assert collect(["0" * 18, "000000000", "", "", ""]).empty


def test_transposition_is_recognised() -> None:
    assert one_swap(org(3), swap(org(3), 2))
    assert not one_swap(org(3), org(4))
    bad = swap(org(3), 3)
    assert org(3) in repaired_orgs(bad)


def test_fast_code_classification_agrees_with_credit_identifiers() -> None:
    import random

    from credit.kernel.identifiers import classify
    from matching.codes import _classify
    rnd = random.Random(7)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXYZIOSV -"
    samples = [uscc(i) for i in range(200)] + [uscc(i, kind="12") for i in range(50)]
    samples += [swap(c, rnd.randrange(16)) for c in samples[:100]] + ["0" * 18, "9" * 18, org(3), "430100" + org(4)]
    samples += ["".join(rnd.choice(alphabet) for _ in range(rnd.choice((9, 15, 16, 18, 20)))) for _ in range(2000)]
    from stdnum.iso7064 import mod_11_10
    digits14 = [str(rnd.randrange(10**13, 10**14)) for _ in range(300)]
    samples += [d + mod_11_10.calc_check_digit(d) for d in digits14]  # valid registration numbers
    samples += [d + str((int(mod_11_10.calc_check_digit(d)) + 1) % 10) for d in digits14]  # and failing ones
    for value in samples:
        assert _classify(value) == classify(value), value
