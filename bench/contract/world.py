"""The true world: enterprises, branches, individual businesses and their operators.

Every hard case of the exchange formats is made on purpose and tagged, so the scorer can say which
kind of record or pair the matcher gets wrong.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bench.contract import codes
from bench.contract.regions import (
    COMPANY_INDUSTRIES,
    COUNTIES,
    COUNTY_WEIGHTS,
    GENERIC_TRADE,
    GIVEN,
    HOME_DIVISIONS,
    INDIVIDUAL_KINDS,
    NEAR_CHARS,
    OTHER_AUTHORITY,
    ROADS,
    SURNAMES,
    TRADE_CHARS,
    County,
)

FORMS = ["有限公司", "有限公司", "有限公司", "有限责任公司", "股份有限公司", "合伙企业（有限合伙）"]


@dataclass
class Person:
    name: str
    id_number: str


@dataclass
class Entity:
    eid: str
    kind: str  # company | branch | individual | other
    county: County
    name: str  # as registered now
    legal_rep: Person
    address: str
    established: int
    uscc: str | None = None
    reg_no: str | None = None
    org: str | None = None
    former: list[str] = field(default_factory=list)
    renamed_year: int = 0
    tax_suffix: str = ""  # individual: the two digits after the operator's ID number
    loan_card: str = ""
    trade: str = ""
    industry: str = ""
    form: str = ""
    region_style: str = ""  # company: city | province | county; individual: division | bare | operator
    status: str = "存续"
    head: str = ""  # branch: the head office's eid
    authority_in_commerce: bool = True
    manufacturer: bool = False
    product: str | None = None
    flags: set[str] = field(default_factory=set)

    @property
    def legacy_taxpayer(self) -> str | None:
        return self.county.code + self.org if self.org and self.established < 2015 else None

    @property
    def taxpayer20(self) -> str:
        return self.legal_rep.id_number + self.tax_suffix


@dataclass
class World:
    entities: list[Entity]
    relations: list[tuple[str, str, str]]  # (eid a, eid b, kind)


class Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.entities: list[Entity] = []
        self.relations: list[tuple[str, str, str]] = []
        self.used_trade: set[tuple[str, str]] = set()
        self.used_ind: set[tuple[str, str, str]] = set()
        self.used_codes: set[str] = set()

    # people and codes -------------------------------------------------------------------------
    def person(self, name: str | None = None) -> Person:
        rng = self.rng
        if name is None:
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2])))
        return Person(name, codes.id_number(rng, rng.choice(HOME_DIVISIONS), rng.randint(1955, 1998),
                                            rng.random() < 0.45))

    def county(self) -> County:
        return self.rng.choices(COUNTIES, COUNTY_WEIGHTS)[0]

    def address(self, c: County) -> str:
        rng = self.rng
        return f"{c.province}{c.city}{c.name}{rng.choice(ROADS)}{rng.randint(1, 999)}号"

    def codes_for(self, e: Entity, authority: str, kind: str) -> None:
        rng = self.rng
        while True:
            org = codes.org_code(rng, letters=rng.random() < 0.2)
            if org not in self.used_codes:
                break
        self.used_codes.add(org)
        e.org = org
        if authority in "9" and e.established < 2015 or rng.random() < 0.03:
            e.reg_no = codes.reg_no(rng, e.county.code, e.kind == "individual")
        if e.kind == "individual" and e.established < 2014 and rng.random() < 0.5:
            return  # an old individual business known by its registration number only
        e.uscc = codes.uscc(rng, authority, kind, e.county.code, org)
        if rng.random() < 0.012:  # a real, valid code that fails its own check character
            e.uscc = codes.wrong_check(e.uscc)
            e.flags.add("uscc_fails_check")
        if authority != "9":
            e.flags.add("other_authority")

    def new(self, kind: str, county: County, name: str, rep: Person, **kw: object) -> Entity:
        e = Entity(f"E{len(self.entities) + 1:07d}", kind, county, name, rep, self.address(county),
                   kw.pop("established", None) or self.rng.randint(2005, 2023), **kw)  # type: ignore[arg-type]
        e.loan_card = "".join(self.rng.choice("0123456789") for _ in range(16))
        self.entities.append(e)
        return e

    # companies --------------------------------------------------------------------------------
    def trade_name(self, industry: str) -> str:
        rng = self.rng
        for _ in range(1000):
            t = "".join(rng.choice(TRADE_CHARS) for _ in range(rng.choice([2, 2, 2, 3])))
            if (t, industry) not in self.used_trade and t[0] != t[1]:
                self.used_trade.add((t, industry))
                return t
        raise RuntimeError("trade names exhausted")

    @staticmethod
    def company_name(county: County, style: str, trade: str, industry: str, form: str) -> str:
        if style == "province":
            return f"{county.province_short}{trade}{industry}{form}"
        if style == "county" and not county.name.endswith("区"):
            return f"{county.name}{trade}{industry}{form}"
        return f"{county.city}{trade}{industry}{form}"

    def company(self, county: County | None = None, trade: str | None = None, industry: str | None = None,
                style: str | None = None, group: bool = False) -> Entity:
        rng = self.rng
        county = county or self.county()
        form = "集团有限公司" if group else rng.choice(FORMS) if industry is None else "有限公司"
        if form.startswith("合伙"):
            industry = rng.choice(["投资", "股权投资", "企业管理咨询"])
        industry = industry or rng.choice(COMPANY_INDUSTRIES)
        trade = trade or self.trade_name(industry)
        style = style or rng.choices(["city", "province", "county"], [6, 2, 2])[0]
        e = self.new("company", county, self.company_name(county, style, trade, industry, form), self.person(),
                     trade=trade, industry=industry, form=form, region_style=style)
        e.manufacturer = industry in {"食品", "机械制造", "电子", "新材料", "生物科技", "服饰", "医药"}
        self.codes_for(e, "9", "1")
        if rng.random() < 0.08:
            self.rename(e)
        if rng.random() < 0.06:
            e.status = rng.choice(["吊销", "注销", "迁出", "在业"])
        return e

    def rename(self, e: Entity) -> None:
        rng = self.rng
        if rng.random() < 0.5:  # new trade name
            old = self.company_name(e.county, e.region_style, self.trade_name(e.industry), e.industry, e.form)
        else:  # another industry word, same trade name
            other = rng.choice([i for i in COMPANY_INDUSTRIES if i != e.industry])
            self.used_trade.add((e.trade, other))
            old = self.company_name(e.county, e.region_style, e.trade, other, e.form)
        e.former = [old]
        e.renamed_year = rng.randint(max(e.established + 1, 2017), 2024)
        e.flags.add("renamed")

    def branches(self, head: Entity, n: int) -> None:
        rng = self.rng
        siblings: list[Entity] = []
        for i in range(n):
            county = self.county()
            where = rng.choice([county.city_short, county.name, county.city])
            suffix = rng.choice([f"{where}分公司", f"{where}分公司", f"第{'一二三四五'[i]}分公司", f"{where}营业部"])
            rep = head.legal_rep if rng.random() < 0.25 else self.person()
            b = self.new("branch", county, head.name + suffix, rep, head=head.eid, trade=head.trade,
                         industry=head.industry, form=head.form, region_style=head.region_style)
            if any(s.name == b.name for s in siblings):
                self.entities.pop()
                continue
            self.codes_for(b, "9", "1")
            b.flags.add("branch")
            head.flags.add("head_office")
            self.relations.append((head.eid, b.eid, "branch_head"))
            for s in siblings:
                self.relations.append((s.eid, b.eid, "sibling_branches"))
            siblings.append(b)

    # individual businesses --------------------------------------------------------------------
    def individual(self, county: County | None = None, operator: Person | None = None,
                   trade: str | None = None, style: str | None = None, established: int | None = None) -> Entity:
        rng = self.rng
        county = county or self.county()
        operator = operator or self.person()
        style = style or rng.choices(["division", "bare", "operator"], [70, 15, 15])[0]
        for _ in range(200):
            kind, product = rng.choice(INDIVIDUAL_KINDS)
            if trade is None or _ > 50:
                r = rng.random()
                trade_ = (rng.choice(GENERIC_TRADE) if r < 0.45 else operator.name[0] + "记" if r < 0.6
                          else "".join(rng.choice(TRADE_CHARS) for _ in range(2)))
            else:
                trade_ = trade
            if (county.code, trade_, kind) not in self.used_ind:
                break
        self.used_ind.add((county.code, trade_, kind))
        if style == "operator":
            name, trade_, kind = operator.name, "", ""
        else:
            division = county.city + county.name if county.name.endswith("区") else county.name
            name = (division if style == "division" else "") + trade_ + kind
        e = self.new("individual", county, name, operator, trade=trade_, industry=kind, region_style=style,
                     established=established or rng.randint(2003, 2024))
        e.manufacturer = product is not None and (kind.endswith("厂") or rng.random() < 0.5)
        e.product = product
        e.tax_suffix = rng.choice(["00", "01", "01", "02"])
        self.codes_for(e, "9", "2")
        e.flags.add("individual")
        if style == "operator":
            e.flags.add("operator_name")
        elif trade_ in GENERIC_TRADE:
            e.flags.add("generic_name")
        if style == "bare":
            e.flags.add("registered_without_division")
        if rng.random() < 0.05:
            e.status = rng.choice(["注销", "吊销"])
        return e

    def other_org(self) -> Entity:
        rng = self.rng
        for _ in range(200):  # one 人民医院 a county: a name already given is drawn again
            authority, kind, pattern, in_commerce = rng.choice(OTHER_AUTHORITY)
            county = self.county()
            trade = "".join(rng.choice(TRADE_CHARS) for _ in range(2))
            name = pattern.format(county=county.name if not county.name.endswith("区") else county.city + county.name,
                                  city=county.city, trade=trade)
            if (name, "org") not in self.used_trade:
                break
        self.used_trade.add((name, "org"))
        e = self.new("other", county, name, self.person(), trade=trade, authority_in_commerce=in_commerce)
        self.codes_for(e, authority, kind)
        return e


def build(n: int, seed: int) -> World:
    """n enterprises (market entities, branches and other organisations) with every hard case."""
    rng = random.Random(seed)
    b = Builder(rng)
    while len(b.entities) < n:
        r = rng.random()
        if r < 0.50:
            e = b.individual()
            if rng.random() < 0.05:  # the same operator runs a second business, years later
                e.status, later = "注销", min(2025, e.established + rng.randint(2, 6))
                e2 = b.individual(e.county if rng.random() < 0.7 else None, e.legal_rep,
                                  e.trade or None, rng.choice(["division", "division", "bare"]), later)
                e2.tax_suffix = f"{int(e.tax_suffix) + 1:02d}"
                e.flags.add("operator_two_businesses")
                e2.flags.add("operator_two_businesses")
                b.relations.append((e.eid, e2.eid, "same_operator_two_businesses"))
            if rng.random() < 0.04:  # a namesake operator in the same district
                twin = b.person(e.legal_rep.name)
                e2 = b.individual(e.county, twin, style="operator" if e.region_style == "operator" else None)
                e.flags.add("namesake_operator")
                e2.flags.add("namesake_operator")
                b.relations.append((e.eid, e2.eid, "namesake_operators"))
        elif r < 0.56:  # the same generic individual name in another district
            trade, style = rng.choice(GENERIC_TRADE), "division"
            e = b.individual(trade=trade, style=style)
            e2 = b.individual(trade=e.trade, style=rng.choice(["division", "bare"]))
            if e2.industry == e.industry and e2.county.code != e.county.code:
                b.relations.append((e.eid, e2.eid, "generic_name_other_district"))
        elif r < 0.80:
            b.company()
        elif r < 0.84:  # same trade name and industry, other cities
            first = b.company()
            cities = {first.county.city_code}
            for _ in range(rng.choice([1, 1, 2])):
                c = next(x for x in (b.county() for _ in range(50)) if x.city_code not in cities)
                cities.add(c.city_code)
                other = b.company(c, first.trade, first.industry, "city")
                for x in (first, other):
                    x.flags.add("same_trade_name_other_city")
                b.relations.append((first.eid, other.eid, "same_trade_name_other_city"))
        elif r < 0.88:  # one character apart, same city
            first = b.company()
            chars = [i for i, ch in enumerate(first.trade) if ch in NEAR_CHARS]
            if not chars:
                continue
            i = chars[0]
            trade = first.trade[:i] + NEAR_CHARS[first.trade[i]] + first.trade[i + 1:]
            if (trade, first.industry) in b.used_trade:
                continue
            b.used_trade.add((trade, first.industry))
            other = b.company(first.county, trade, first.industry, first.region_style)
            for x in (first, other):
                x.flags.add("one_char_apart_same_city")
            b.relations.append((first.eid, other.eid, "one_char_apart_same_city"))
        elif r < 0.93:
            head = b.company(group=True)
            b.branches(head, rng.choice([1, 2, 2, 3]))
        else:
            b.other_org()
    return World(b.entities[:max(n, len(b.entities))], b.relations)
