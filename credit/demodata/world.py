"""The world: the true enterprises of one seed, with the hard cases matching has to get right
(branches, similar names, individual businesses, renames, other authorities, bad check characters).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from dataclasses import dataclass, field

from credit.demodata import individuals
from credit.demodata.codes import (
    _address,
    _division,
    _id_number,
    _person_name,
    _pick_division,
    _prefix,
    _rand_date,
    _spoil_check,
    _trade,
    _weighted,
    make_org_code,
    make_reg_no,
    make_uscc,
)
from credit.demodata.vocab import DIVISIONS, ENTERPRISE_TYPES, INDUSTRIES, LEGAL_FORMS, REG_STATUSES, TRADE_CHARS

log = logging.getLogger("credit.demodata.datagen")  # one logger for the whole generator


@dataclass(frozen=True)
class WorldConfig:
    """Fractions of the hard cases among the enterprises."""

    branch: float = 0.05
    similar_name: float = 0.06
    individual: float = 0.3
    renamed: float = 0.05
    other_authority: float = 0.04
    bad_check: float = 0.01
    legacy: float = 0.35


@dataclass(slots=True)
class NameParts:
    """A company name in pieces so that mess can restyle it."""

    prefix: str  # 长沙市 / 湖南 / ''
    trade: str
    industry: str
    form: str  # 有限公司 ... or '' for individual businesses / institutions
    suffix: str = ""  # 长沙分公司 / 营业部 / 检验检测中心 ...
    city_short: str = ""  # 长沙, for the 某某科技（长沙）有限公司 style

    @property
    def text(self) -> str:
        """The name as registered."""
        return f"{self.prefix}{self.trade}{self.industry}{self.form}{self.suffix}"


@dataclass(slots=True)
class Enterprise:
    """One true enterprise (a branch or an individual business is one too)."""

    eid: str
    division: str
    uscc: str
    org_code: str
    reg_no: str
    taxpayer_id: str
    loan_card_no: str
    parts: NameParts
    former: list[NameParts]
    rename_date: dt.date | None
    legal_rep: str
    legal_rep_id: str
    address: str
    established: dt.date
    status: str
    enterprise_type: str
    kinds: set[str] = field(default_factory=set)
    related: str = ""  # head office of a branch, look-alike of a similar name
    taxpayer20: str = ""  # an individual business's 20-character taxpayer id (operator's ID + 2 digits)

    @property
    def name(self) -> str:
        """Current registered name."""
        return self.parts.text

    @property
    def former_names(self) -> list[str]:
        """Former names, oldest first."""
        return [p.text for p in self.former]

    @property
    def city(self) -> str:
        """City name of the division."""
        return _division(self.division)[1]

    def parts_at(self, day: dt.date | None) -> NameParts:
        """The name the enterprise carried on a given day."""
        if self.former and self.rename_date and day and day < self.rename_date:
            return self.former[-1]
        return self.parts

    @property
    def kind(self) -> str:
        """Hard-case tags, ';'-joined, or 'normal'."""
        return ";".join(sorted(self.kinds)) or "normal"


@dataclass
class World:
    """All true enterprises of one seed."""

    enterprises: list[Enterprise]
    seed: int

    def __len__(self) -> int:
        return len(self.enterprises)

    def by_kind(self, kind: str) -> list[Enterprise]:
        """Enterprises tagged with one hard case."""
        return [e for e in self.enterprises if kind in e.kinds]


class _WorldBuilder:
    """Builds a world step by step: regular companies, then each hard case."""

    def __init__(self, seed: int, cfg: WorldConfig) -> None:
        self.rng = random.Random(f"world:{seed}")
        self.cfg = cfg
        self.orgs: set[str] = set()
        # (trade name, industry) of every lawful name so far: the naming rules (企业名称登记管理规定)
        # forbid a second company of the same trade name in the same industry, so namesakes come
        # only from the hard cases (another city, one character off) and from individual businesses
        self.names: set[tuple[str, str]] = set()
        self.out: list[Enterprise] = []
        self.links: list[tuple[Enterprise, Enterprise]] = []
        self.individuals = individuals.IndividualMaker(self.rng, self.org_code)

    def org_code(self, new_style: bool) -> str:
        """A fresh, unique organization code."""
        while True:
            code = make_org_code(self.rng, new_style)
            if code not in self.orgs:
                self.orgs.add(code)
                return code

    def trade(self, industry: str) -> str:
        """A trade name not yet used in this industry."""
        while True:
            trade = _trade(self.rng)
            if (trade, industry) not in self.names:
                self.names.add((trade, industry))
                return trade

    def company(self, parts: NameParts | None = None, division: str | None = None) -> Enterprise:
        """A regular company (authority 9, type 1)."""
        rng = self.rng
        division = division or _pick_division(rng)
        legacy = rng.random() < self.cfg.legacy
        established = (_rand_date(rng, dt.date(1995, 1, 1), dt.date(2014, 12, 31)) if legacy
                       else _rand_date(rng, dt.date(2015, 1, 1), dt.date(2025, 6, 30)))
        org = self.org_code(new_style=not legacy)
        uscc = make_uscc("9", "1", division, org)
        if parts is None:
            form = _weighted(rng, LEGAL_FORMS)
            industry = rng.choice(INDUSTRIES)
            parts = NameParts(_prefix(rng, division), self.trade(industry), industry, form,
                              city_short=_division(division)[1].rstrip("市"))
        reg_no = make_reg_no(rng, division) if legacy else ""
        taxpayer = division + org if legacy and rng.random() < 0.4 else uscc
        return Enterprise(
            eid="", division=division, uscc=uscc, org_code=org, reg_no=reg_no, taxpayer_id=taxpayer,
            loan_card_no=f"{division[:4]}{rng.randrange(10**11, 10**12)}", parts=parts, former=[],
            rename_date=None, legal_rep=_person_name(rng), legal_rep_id=_id_number(rng, division),
            address=_address(rng, division), established=established,
            status=_weighted(rng, REG_STATUSES),
            enterprise_type=ENTERPRISE_TYPES.get(parts.form, "有限责任公司(自然人投资或控股)"),
        )

    def count(self, rate: float, n: int) -> int:
        """How many of a hard case: at least one in any world of 20 or more."""
        if rate <= 0:
            return 0
        return max(1 if n >= 20 else 0, round(n * rate))

    def build(self, n: int) -> list[Enterprise]:
        """n enterprises with every configured hard case."""
        cfg = self.cfg
        n_branch, n_similar = self.count(cfg.branch, n), self.count(cfg.similar_name, n)
        n_ind = self.count(cfg.individual, n)
        n_regular = max(1, n - n_branch - n_similar - n_ind)
        regular = [self.company() for _ in range(n_regular)]
        self.out.extend(regular)
        pool = list(regular)
        self.rng.shuffle(pool)
        for _ in range(self.count(cfg.other_authority, n)):
            if pool:
                self.other_authority(pool.pop())
        for _ in range(self.count(cfg.renamed, n)):
            if pool:
                self.rename(pool.pop())
        for _ in range(self.count(cfg.bad_check, n)):
            if pool:
                self.bad_check(pool.pop())
        heads = pool or regular
        for _ in range(n_branch):
            self.out.append(self.branch(self.rng.choice(heads)))
        for _ in range(n_similar):
            self.out.append(self.similar(self.rng.choice(heads)))
        made = 0
        while made < n_ind:
            batch = self.individuals.make()[: n_ind - made]
            self.out.extend(batch)
            made += len(batch)
        return self.out[:n] if len(self.out) > n else self.out

    def other_authority(self, e: Enterprise) -> None:
        """Turn a company into an institution registered by another authority (1, 5, Y, N)."""
        auth, etype, suffix, kind = self.rng.choice((
            ("1", "2", "检验检测中心", "事业单位"), ("5", "2", "职业培训学校", "民办非企业单位"),
            ("5", "1", "行业协会", "社会团体"), ("Y", "1", "服务中心", "其他组织"),
            ("N", "2", "种植专业合作社", "农民专业合作社"),
        ))
        e.parts = NameParts(e.parts.prefix or _division(e.division)[1], e.parts.trade, "", "",
                            suffix=suffix, city_short=e.parts.city_short)
        e.uscc = make_uscc(auth, etype, e.division, e.org_code)
        e.taxpayer_id = e.uscc
        e.reg_no = ""
        e.enterprise_type = kind
        e.kinds.add("other_authority")

    def rename(self, e: Enterprise) -> None:
        """Give a company a former name; records before the rename date carry it."""
        old = NameParts(e.parts.prefix, e.parts.trade, e.parts.industry, e.parts.form,
                        city_short=e.parts.city_short)
        if self.rng.random() < 0.5:
            old.industry = self.rng.choice([i for i in INDUSTRIES if i != e.parts.industry])
            if (old.trade, old.industry) in self.names:
                old.trade = self.trade(old.industry)
            else:
                self.names.add((old.trade, old.industry))
        else:
            old.trade = self.trade(old.industry)
        e.former.append(old)
        e.rename_date = _rand_date(self.rng, dt.date(2021, 1, 1), dt.date(2024, 6, 30))
        e.kinds.add("renamed")

    def bad_check(self, e: Enterprise) -> None:
        """A real, consistently used USCC whose check character does not hold."""
        e.uscc = _spoil_check(e.uscc)
        if e.taxpayer_id and len(e.taxpayer_id) == 18:
            e.taxpayer_id = e.uscc
        e.kinds.add("bad_check")

    def branch(self, head: Enterprise) -> Enterprise:
        """A branch of a head office: own codes, the head office's name plus a suffix."""
        if "集团" not in head.parts.industry and not head.parts.suffix:
            head.parts.industry += "集团"
        division = _pick_division(self.rng)
        _, city, district = _division(division)
        suffix = self.rng.choice((f"{city}分公司", f"{district or city}分公司",
                                  f"{district or city}营业部", f"{city.rstrip('市')}分公司"))
        parts = NameParts(head.parts.prefix, head.parts.trade, head.parts.industry,
                          head.parts.form, suffix=suffix, city_short=head.parts.city_short)
        e = self.company(parts, division)
        e.enterprise_type = "有限责任公司分公司(自然人投资或控股)"
        e.kinds.add("branch")
        self.links.append((e, head))
        head.kinds.add("head_office")
        return e

    def similar(self, base: Enterprise) -> Enterprise:
        """A different company whose name looks like base's (other city, or one char off)."""
        p = base.parts
        if self.rng.random() < 0.5:
            division = self.rng.choice([d for d in DIVISIONS if d[1] != base.city])[0]
            city = _division(division)[1]
            parts = NameParts(city if p.prefix else "", p.trade, p.industry, p.form,
                              city_short=city.rstrip("市"))
        else:
            division = base.division
            for attempt in range(200):  # one character off, and not the name of a third company
                trade = list(p.trade)
                i = self.rng.randrange(len(trade))
                trade[i] = self.rng.choice([c for c in TRADE_CHARS if c != trade[i]])
                if attempt >= 100:  # every such variant taken (a crowded world): one character more
                    trade.insert(self.rng.randrange(len(trade) + 1), self.rng.choice(TRADE_CHARS))
                if ("".join(trade), p.industry) not in self.names:
                    break
            self.names.add(("".join(trade), p.industry))
            parts = NameParts(p.prefix, "".join(trade), p.industry, p.form, city_short=p.city_short)
        e = self.company(parts, division)
        e.kinds.add("similar_name")
        self.links.append((e, base))
        base.kinds.add("similar_name")
        return e


def make_world(n_enterprises: int, seed: int = 1, config: WorldConfig | None = None) -> World:
    """A deterministic world of n true enterprises with the configured hard cases."""
    builder = _WorldBuilder(seed, config or WorldConfig())
    ents = builder.build(n_enterprises)
    builder.rng.shuffle(ents)
    width = max(6, len(str(len(ents))))
    for i, e in enumerate(ents, 1):
        e.eid = f"E{i:0{width}d}"
    for e, other in builder.links:
        e.related = other.eid
    _link_individuals(ents)
    log.info("world seed=%s: %d enterprises", seed, len(ents))
    return World(ents, seed)


def _link_individuals(ents: list[Enterprise]) -> None:
    """Point each individual business at its operator's other business or namesake (``@`` + the
    operator's ID number, set by the maker), else at the first one with the same name without division."""
    by_operator: dict[str, Enterprise] = {}
    for e in ents:
        if "individual" in e.kinds and "same_operator" not in e.kinds:
            by_operator.setdefault(e.legal_rep_id, e)
    first: dict[str, Enterprise] = {}
    for e in ents:
        if "individual" not in e.kinds:
            continue
        if e.related.startswith("@"):
            other = by_operator.get(e.related[1:])
            e.related = other.eid if other is not None and other is not e else ""
            continue
        other = first.setdefault(e.parts.trade + e.parts.industry, e)
        if other is not e:
            e.related = other.eid
