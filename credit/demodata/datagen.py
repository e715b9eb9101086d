"""Deterministic generator of messy department files, with ground truth.

One seed gives one world of enterprises (with the hard cases matching has to get right), the
records the five departments hold about them, and files in every form of
``shared/exchange-formats.md`` carrying the mess real files carry. Beside the files it writes the
truth: which enterprise every record is about (``truth.csv``), the enterprises themselves
(``entities.csv``), and every deliberately unreadable row (``bad_rows.csv``).

Used by the tests (small files), the demo, the ingest benchmark (``write_csv_rows`` /
``write_xlsx_rows``: one big file, streamed) and the matching benchmark (labelled records).

    python -m credit.demodata.datagen --out /tmp/gen --enterprises 1000 --forms csv,xlsx,json,ndjson,xml
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import functools
import itertools
import json
import logging
import math
import random
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from stdnum.cn import ric
from stdnum.cn.uscc import calc_check_digit as uscc_check_char
from stdnum.iso7064 import mod_11_10

from credit.demodata import individuals
from credit.kernel.catalog import RecordType, load_catalog
from credit.kernel.identifiers import org_code_check

log = logging.getLogger(__name__)

FORMS = ("csv", "xlsx", "json", "ndjson", "xml")
ENCODINGS = ("utf-8", "utf-8-sig", "gbk", "gb18030")
FORM_EXT = {"csv": "csv", "xlsx": "xlsx", "json": "json", "ndjson": "json", "xml": "xml"}
CODE_TYPES = ("uscc", "reg_no", "org_code", "taxpayer_id", "loan_card_no")
EMPTY_MARKERS = ("—", "", "无", "-", "/", "NULL")
DATE_MIN = dt.date(2019, 1, 1)
DATE_MAX = dt.date(2026, 10, 31)
EXCEL_EPOCH = dt.date(1899, 12, 30)

# --------------------------------------------------------------------------------------------
# Pools (every character here is GBK-encodable; tests check it)
# --------------------------------------------------------------------------------------------

PROVINCES = {
    "11": "北京", "12": "天津", "31": "上海", "32": "江苏", "33": "浙江", "36": "江西",
    "37": "山东", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "50": "重庆",
    "51": "四川", "61": "陕西",
}

# (division code, city, district); an empty district is the city-level code.
DIVISIONS: tuple[tuple[str, str, str], ...] = (
    ("430100", "长沙市", ""), ("430102", "长沙市", "芙蓉区"), ("430103", "长沙市", "天心区"),
    ("430104", "长沙市", "岳麓区"), ("430105", "长沙市", "开福区"), ("430111", "长沙市", "雨花区"),
    ("430112", "长沙市", "望城区"), ("430121", "长沙市", "长沙县"), ("430181", "长沙市", "浏阳市"),
    ("430200", "株洲市", ""), ("430202", "株洲市", "荷塘区"), ("430300", "湘潭市", ""),
    ("430302", "湘潭市", "雨湖区"), ("430400", "衡阳市", ""), ("430600", "岳阳市", ""),
    ("430700", "常德市", ""), ("431000", "郴州市", ""), ("110101", "北京市", "东城区"),
    ("110105", "北京市", "朝阳区"), ("110108", "北京市", "海淀区"), ("120101", "天津市", "和平区"),
    ("310104", "上海市", "徐汇区"), ("310115", "上海市", "浦东新区"), ("500103", "重庆市", "渝中区"),
    ("440100", "广州市", ""), ("440106", "广州市", "天河区"), ("440300", "深圳市", ""),
    ("440304", "深圳市", "福田区"), ("440305", "深圳市", "南山区"), ("330100", "杭州市", ""),
    ("330106", "杭州市", "西湖区"), ("330108", "杭州市", "滨江区"), ("320100", "南京市", ""),
    ("320106", "南京市", "鼓楼区"), ("420100", "武汉市", ""), ("420106", "武汉市", "武昌区"),
    ("510100", "成都市", ""), ("510107", "成都市", "武侯区"), ("360100", "南昌市", ""),
    ("450100", "南宁市", ""), ("370200", "青岛市", ""), ("610100", "西安市", ""),
)
HUNAN_SHARE = 0.6

TRADE_CHARS = (
    "鑫瑞华泰盛达源恒通宏信诚德兴隆丰安祥和佳美新天宇金海龙凯博远成嘉润汇联创智力星阳光明辉"
    "鹏飞旺福裕康顺万中正大东方利合永昌茂伟豪锦睿鼎航晟辰峰翔骏皓益弘湘楚芙岳麓启腾升"
)
INDUSTRIES = (
    "科技", "建设", "贸易", "食品", "物流", "餐饮管理", "商贸", "电子", "机械", "房地产开发",
    "医药", "文化传媒", "环保科技", "农业开发", "信息技术", "建材", "汽车服务", "教育咨询",
    "装饰工程", "生物科技",
)
LEGAL_FORMS = (("有限公司", 0.5), ("有限责任公司", 0.3), ("股份有限公司", 0.12), ("（有限合伙）", 0.08))
FORM_VARIANTS = {
    "有限公司": ("有限责任公司",), "有限责任公司": ("有限公司",),
    "股份有限公司": ("股份公司",), "（有限合伙）": ("(有限合伙)", "有限合伙"),
}
ENTERPRISE_TYPES = {
    "有限公司": "有限责任公司(自然人投资或控股)", "有限责任公司": "有限责任公司(自然人投资或控股)",
    "股份有限公司": "股份有限公司(非上市、自然人投资或控股)", "（有限合伙）": "有限合伙企业",
}
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵"
)
GIVEN_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文斌波辉鹏宇浩凯健俊峰琳雪梅莉玉兰"
GENERIC_SHOP_SURNAMES = "刘王李张陈"
GENERIC_SHOPS = ("米粉店", "粉面馆", "副食店", "五金店", "烧烤店", "理发店")
ROADS = (
    "芙蓉中路", "五一大道", "人民路", "解放西路", "韶山南路", "建设路", "中山路", "长江路",
    "黄河路", "科技园路", "劳动东路", "湘江中路", "金星北路", "东风路", "麓谷大道",
)
BANKS = ("中国工商银行", "中国农业银行", "中国银行", "中国建设银行", "交通银行", "招商银行", "长沙银行", "华融湘江银行")
SCOPES = {
    "科技": "计算机软硬件技术开发、技术服务；电子产品销售",
    "建设": "房屋建筑工程施工；市政公用工程施工；建筑材料销售",
    "贸易": "日用百货、五金交电、建筑材料的销售",
    "食品": "食品生产；食品销售；农副产品收购",
    "餐饮管理": "餐饮服务；餐饮管理；食品销售",
}
PRODUCTS = (
    ("大米", "5kg", "菌落总数"), ("酱油", "500mL", "氨基酸态氮"), ("食用植物油", "5L", "酸价"),
    ("钢筋混凝土用热轧带肋钢筋", "HRB400E 16mm", "屈服强度"), ("水泥", "P.O 42.5", "3天抗压强度"),
    ("电线电缆", "BV 2.5", "导体电阻"), ("插头插座&转换器", "10A 250V", "标志和说明<一致性>"),
    ("电动自行车", "TDT-1200", "整车质量"), ("儿童玩具", "/", "小零件"), ("瓶装饮用水", "550mL", "溴酸盐"),
)
VIOLATIONS = (
    ("虚假广告", "《中华人民共和国广告法》第五十五条"),
    ("未按规定公示年度报告", "《企业信息公示暂行条例》第十七条"),
    ("销售不合格产品", "《中华人民共和国产品质量法》第四十九条"),
    ("无证经营", "《无证无照经营查处办法》第十三条"),
    ("食品安全违法", "《中华人民共和国食品安全法》第一百二十四条"),
    ("价格违法", "《价格违法行为行政处罚规定》第七条"),
    ("商标侵权", "《中华人民共和国商标法》第六十条"),
)
FIRE_VIOLATIONS = (
    ("消防设施未保持完好有效", "《中华人民共和国消防法》第六十条第一款第一项"),
    ("占用、堵塞、封闭疏散通道", "《中华人民共和国消防法》第六十条第一款第三项"),
)
PENALTY_KINDS = (
    (("警告",), 0.12), (("通报批评",), 0.05), (("罚款",), 0.42), (("警告", "罚款"), 0.1),
    (("罚款", "没收违法所得"), 0.12), (("吊销许可证件",), 0.03), (("罚款", "吊销许可证件"), 0.03),
    (("责令停产停业", "罚款"), 0.04), (("没收非法财物",), 0.03), (("暂扣许可证件", "罚款"), 0.06),
)
ABNORMAL_REASONS = (
    "未依照《企业信息公示暂行条例》第八条规定的期限公示年度报告",
    "通过登记的住所或者经营场所无法联系",
    "公示企业信息隐瞒真实情况、弄虚作假",
    "未在市场监督管理部门依照《企业信息公示暂行条例》第十条规定责令的期限内公示有关企业信息",
)
CASE_NATURES = ("虚开增值税专用发票", "偷税", "逃避追缴欠税", "骗取出口退税")
TAX_KINDS = ("增值税", "企业所得税", "城市维护建设税", "印花税", "个人所得税", "房产税")
CASE_CATEGORIES = ("非法集资", "合同诈骗", "虚开发票", "生产销售伪劣产品", "职务侵占")
CASE_STATUSES = ("立案侦查", "移送起诉", "已判决", "撤案")
GRADES = (("A", 0.15), ("B", 0.55), ("M", 0.2), ("C", 0.06), ("D", 0.04))
REG_STATUSES = (("存续", 0.7), ("在业", 0.15), ("吊销", 0.05), ("注销", 0.07), ("迁出", 0.03))
RECORD_PREFIX = {
    ("finance", "loan_default"): "XD", ("commerce", "registration"): "DJ",
    ("commerce", "abnormal_list"): "YC", ("commerce", "penalty"): "CF",
    ("tax", "credit_rating"): "NS", ("tax", "major_violation"): "WF", ("tax", "arrears"): "QS",
    ("quality", "spot_check"): "CC", ("quality", "penalty"): "ZJCF",
    ("public_security", "case"): "AJ", ("public_security", "fire_penalty"): "XF",
}
# Relative frequency of each record type among the non-registration records.
TYPE_WEIGHTS = {
    ("commerce", "penalty"): 0.2, ("quality", "penalty"): 0.07, ("public_security", "fire_penalty"): 0.06,
    ("quality", "spot_check"): 0.12, ("tax", "credit_rating"): 0.22, ("tax", "arrears"): 0.06,
    ("tax", "major_violation"): 0.03, ("commerce", "abnormal_list"): 0.1,
    ("finance", "loan_default"): 0.09, ("public_security", "case"): 0.05,
}
BAD_ENUM_VALUES = ("待定", "未知", "其它情况", "X")

# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class MessConfig:
    """Per-record (or per-field) rates of each kind of mess."""

    name: float = 0.3
    code: float = 0.15
    date: float = 0.3
    amount: float = 0.2
    duplicate: float = 0.01
    resend: float = 0.015
    revoke: float = 0.006

    @classmethod
    def from_level(cls, level: float) -> MessConfig:
        """Scale every rate from one level (0 = clean files)."""
        return cls(name=level, code=level / 2, date=level, amount=level * 0.6,
                   duplicate=level * 0.03, resend=level * 0.05, revoke=level * 0.02)


# --------------------------------------------------------------------------------------------
# The world
# --------------------------------------------------------------------------------------------


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


_DIVISION_INDEX = {d[0]: d for d in DIVISIONS}
_HUNAN = tuple(d for d in DIVISIONS if d[0].startswith("43"))
_ELSEWHERE = tuple(d for d in DIVISIONS if not d[0].startswith("43"))
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_LETTERS = "ABCDEFGHJKLMNPQRTUWXY0123456789"


def _division(code: str) -> tuple[str, str, str]:
    """(code, city, district) of a division code."""
    return _DIVISION_INDEX[code]


def _pick_division(rng: random.Random) -> str:
    """A division, Hunan more often than elsewhere."""
    pool = _HUNAN if rng.random() < HUNAN_SHARE else _ELSEWHERE
    return rng.choice(pool)[0]


def _weighted(rng: random.Random, items: Sequence[tuple[Any, float]]) -> Any:
    """One item of (item, weight) pairs."""
    return rng.choices([i[0] for i in items], [i[1] for i in items])[0]


def _rand_date(rng: random.Random, lo: dt.date = DATE_MIN, hi: dt.date = DATE_MAX) -> dt.date:
    """A uniformly random day in [lo, hi]."""
    return lo + dt.timedelta(days=rng.randrange((hi - lo).days + 1))


def _person_name(rng: random.Random) -> str:
    """A Chinese personal name of two or three characters."""
    given = rng.choice(GIVEN_CHARS) + (rng.choice(GIVEN_CHARS) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def _id_number(rng: random.Random, division: str) -> str:
    """A valid 18-character resident ID number (GB 11643)."""
    birth = _rand_date(rng, dt.date(1960, 1, 1), dt.date(1998, 12, 31))
    body = f"{division}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return body + ric.calc_check_digit(body)


def make_org_code(rng: random.Random, new_style: bool) -> str:
    """A 9-character organization code with a correct GB 11714 check character."""
    if new_style:
        code8 = "MA" + rng.choice(("4L", "4P", "4Q", "4R", "4T", "5D")) + "".join(
            rng.choice(_ORG_LETTERS) for _ in range(4))
    else:
        code8 = f"{rng.randrange(10_000_000, 100_000_000)}"
    return code8 + org_code_check(code8)


def make_uscc(authority: str, entity_type: str, division: str, org_code: str) -> str:
    """An 18-character USCC with a correct check character."""
    body = f"{authority}{entity_type}{division}{org_code}"
    return body + uscc_check_char(body)


def make_reg_no(rng: random.Random, division: str) -> str:
    """A legacy 15-digit registration number with a valid MOD 11,10 check digit."""
    body = f"{division}{rng.randrange(10**7, 10**8)}"
    return body + mod_11_10.calc_check_digit(body)


def _spoil_check(uscc: str) -> str:
    """The same USCC with a wrong (but well-formed) check character."""
    wrong = [c for c in _USCC_CHARS if c != uscc[17]]
    return uscc[:17] + wrong[ord(uscc[10]) % len(wrong)]


def _address(rng: random.Random, division: str) -> str:
    """A street address in the division."""
    _, city, district = _division(division)
    prov = PROVINCES[division[:2]]
    head = city if prov in city else f"{prov}省{city}"
    return f"{head}{district}{rng.choice(ROADS)}{rng.randrange(1, 999)}号"


def _trade(rng: random.Random) -> str:
    """A trade name (字号) of two or three characters."""
    n = 2 if rng.random() < 0.75 else 3
    return "".join(rng.sample(TRADE_CHARS, n))


def _prefix(rng: random.Random, division: str) -> str:
    """A region prefix for a company name: city, province or none."""
    city = _division(division)[1]
    r = rng.random()
    if r < 0.45:
        return city
    if r < 0.6:
        return PROVINCES[division[:2]]
    return ""


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


# --------------------------------------------------------------------------------------------
# Records: clean values per record type
# --------------------------------------------------------------------------------------------


class ExcelDate:
    """A date written the way Excel exports it: a serial number, or a real date cell in XLSX."""

    __slots__ = ("day",)

    def __init__(self, day: dt.date) -> None:
        self.day = day

    @property
    def serial(self) -> int:
        """Days since 1899-12-30."""
        return (self.day - EXCEL_EPOCH).days

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExcelDate) and other.day == self.day

    def __repr__(self) -> str:
        return f"ExcelDate({self.day})"


def _wan(rng: random.Random, median: float, spread: float = 1.2) -> float:
    """A log-normal amount around median, two decimals."""
    return round(median * math.exp(rng.gauss(0, spread)), 2)


def _authority(e: Enterprise, what: str) -> str:
    """The name of the enterprise's local authority of one kind."""
    _, city, district = _division(e.division)
    prov = PROVINCES[e.division[:2]]
    return {
        "samr": f"{city}{district}市场监督管理局",
        "tax": f"国家税务总局{city}税务局",
        "quality": f"{prov}省市场监督管理局" if len(prov) > 2 or prov not in city else f"{city}市场监督管理局",
        "police": f"{city}公安局{district or '经济犯罪侦查支队'}" + ("分局" if district else ""),
        "fire": f"{city}消防救援支队",
    }[what]


def _penalty(e: Enterprise, rng: random.Random, day: dt.date, dept: str) -> dict[str, Any]:
    """A 双公示 administrative penalty (commerce, quality or fire)."""
    kinds = _weighted(rng, PENALTY_KINDS)
    fine = _wan(rng, 2.0) if "罚款" in kinds else None
    confiscated = _wan(rng, 1.0) if "没收违法所得" in kinds else None
    harsh = "吊销许可证件" in kinds or "责令停产停业" in kinds
    serious = "是" if harsh or rng.random() < 0.06 else "否"
    years = 3 if serious == "是" else 1
    violation, basis = rng.choice(FIRE_VIOLATIONS if dept == "public_security" else VIOLATIONS)
    short = e.city.rstrip("市")[:2]
    tag = {"commerce": "市监罚", "quality": "质监罚字", "public_security": "消行罚决字"}[dept]
    parts = e.parts_at(day)
    return {
        "subject_name": parts.text, "uscc": e.uscc if rng.random() < 0.92 else "",
        "reg_no": e.reg_no if rng.random() < 0.3 else "",
        "org_code": e.org_code if rng.random() < 0.4 else "",
        "legal_rep": e.legal_rep, "legal_rep_id_number": e.legal_rep_id,
        "decision_no": f"{short}{tag}〔{day.year}〕{rng.randrange(1, 3000)}号",
        "violation_type": violation,
        "violation_facts": f"当事人{parts.text}存在{violation}的违法行为",
        "legal_basis": basis, "penalty_kinds": "；".join(kinds),
        "fine_amount": fine, "confiscated_amount": confiscated, "decision_date": day,
        "penalty_valid_until": day + dt.timedelta(days=rng.choice((90, 180, 365))),
        "publicity_until": day + dt.timedelta(days=365 * years) if rng.random() < 0.7 else None,
        "authority": _authority(e, "fire" if dept == "public_security" else
                                "quality" if dept == "quality" else "samr"),
        "serious": serious,
    }


def _registration(e: Enterprise, rng: random.Random, day: dt.date) -> dict[str, Any]:
    """The commerce registration record."""
    approval = e.rename_date or max(e.established, _rand_date(rng, dt.date(2019, 1, 1), DATE_MAX))
    return {
        "uscc": e.uscc, "reg_no": e.reg_no, "name": e.name, "enterprise_type": e.enterprise_type,
        "legal_rep": e.legal_rep,
        "registered_capital": None if "individual" in e.kinds
        else float(rng.choice((10, 50, 100, 200, 500, 1000, 3000))),
        "established_date": e.established, "registration_authority": _authority(e, "samr"),
        "address": e.address,
        "business_scope": SCOPES.get(e.parts.industry.replace("集团", ""), "一般项目：企业管理咨询；技术服务"),
        "status": e.status, "approval_date": approval, "former_names": "；".join(e.former_names),
    }


def _abnormal(e: Enterprise, rng: random.Random, day: dt.date) -> dict[str, Any]:
    """An abnormal-operation listing, removed or not."""
    removed = day + dt.timedelta(days=rng.randrange(30, 700)) if rng.random() < 0.5 else None
    if removed and removed > DATE_MAX:
        removed = None
    return {
        "uscc": e.uscc, "reg_no": e.reg_no, "name": e.parts_at(day).text,
        "listed_reason": rng.choice(ABNORMAL_REASONS), "listed_date": day,
        "deciding_authority": _authority(e, "samr"),
        "removed_reason": "已补报未报年份的年度报告并公示" if removed else "", "removed_date": removed,
    }


def _loan(e: Enterprise, rng: random.Random, day: dt.date) -> dict[str, Any]:
    """A loan default reported by a bank."""
    balance = _wan(rng, 300.0)
    days = rng.randrange(1, 900)
    cls = "关注" if days <= 90 else "次级" if days <= 180 else "可疑" if days <= 360 else "损失"
    if rng.random() < 0.05:
        cls = "正常"
    return {
        "borrower_name": e.parts_at(day).text, "uscc": e.uscc if rng.random() < 0.85 else "",
        "loan_card_no": e.loan_card_no, "lender": f"{rng.choice(BANKS)}{e.city.rstrip('市')}分行",
        "contract_no": f"{day.year}借字第{rng.randrange(1, 99999):05d}号", "loan_balance": balance,
        "overdue_amount": round(balance * rng.uniform(0.05, 1.0), 2), "overdue_days": days,
        "classification": cls, "report_date": day,
    }


def _rating(e: Enterprise, rng: random.Random, year: int) -> dict[str, Any]:
    """A tax credit grade for one evaluation year."""
    return {"taxpayer_id": e.taxpayer_id, "taxpayer_name": e.parts_at(dt.date(year, 12, 31)).text,
            "year": year, "grade": _weighted(rng, GRADES)}


def _major(e: Enterprise, rng: random.Random, day: dt.date) -> dict[str, Any]:
    """A major tax violation case."""
    nature = rng.choice(CASE_NATURES)
    owed = _wan(rng, 80.0)
    return {
        "taxpayer_id": e.taxpayer_id, "taxpayer_name": e.parts_at(day).text,
        "org_code": e.org_code if rng.random() < 0.6 else "", "registered_address": e.address,
        "legal_rep": e.legal_rep, "legal_rep_id_number": e.legal_rep_id, "case_nature": nature,
        "violation_facts": f"经{_authority(e, 'tax')}稽查局检查，发现其在{day.year - 2}年01月01日至"
                           f"{day.year - 1}年12月31日期间，主要存在{nature}问题",
        "handling": f"依法追缴税款{owed}万元，并处罚款{round(owed / 2, 2)}万元",
        "published_date": day,
    }


def _arrears(e: Enterprise, rng: random.Random, day: dt.date) -> dict[str, Any]:
    """A tax arrears announcement."""
    return {
        "taxpayer_id": e.taxpayer_id, "taxpayer_name": e.parts_at(day).text,
        "legal_rep": e.legal_rep, "business_address": e.address, "tax_kind": rng.choice(TAX_KINDS),
        "balance_yuan": round(_wan(rng, 5.0) * 10000, 2), "announced_date": day,
    }


def _spot(e: Enterprise, rng: random.Random, day: dt.date) -> dict[str, Any]:
    """A product quality spot check (organization code only)."""
    product, model, item = rng.choice(PRODUCTS)
    ok = rng.random() < 0.85
    made = day - dt.timedelta(days=rng.randrange(10, 120))
    return {
        "inspected_name": e.parts_at(day).text, "org_code": e.org_code, "location": e.address,
        "product": product, "model": model,
        "batch_or_date": f"{made:%Y-%m-%d}" if rng.random() < 0.5
        else f"批号{made:%Y%m%d}{rng.randrange(10)}",
        "result": "合格" if ok else "不合格", "failed_items": "" if ok else item,
        "testing_body": f"{PROVINCES[e.division[:2]]}省产商品质量检验研究院"
        if len(PROVINCES[e.division[:2]]) == 2 and PROVINCES[e.division[:2]] not in e.city
        else f"{e.city}产品质量监督检验院",
        "checking_authority": _authority(e, "quality"), "announced_date": day,
    }


def _case(e: Enterprise, rng: random.Random, day: dt.date) -> dict[str, Any]:
    """A public security case involving the enterprise."""
    return {
        "party_name": e.parts_at(day).text, "uscc": e.uscc if rng.random() < 0.8 else "",
        "legal_rep": e.legal_rep, "legal_rep_id_number": e.legal_rep_id,
        "case_category": rng.choice(CASE_CATEGORIES), "filed_date": day,
        "case_status": rng.choice(CASE_STATUSES), "handling_unit": _authority(e, "police"),
    }


RecordFn = Callable[[Enterprise, random.Random, dt.date], dict[str, Any]]
GENERATORS: dict[tuple[str, str], RecordFn] = {
    ("finance", "loan_default"): _loan,
    ("commerce", "registration"): _registration,
    ("commerce", "abnormal_list"): _abnormal,
    ("commerce", "penalty"): lambda e, r, d: _penalty(e, r, d, "commerce"),
    ("tax", "major_violation"): _major,
    ("tax", "arrears"): _arrears,
    ("quality", "spot_check"): _spot,
    ("quality", "penalty"): lambda e, r, d: _penalty(e, r, d, "quality"),
    ("public_security", "case"): _case,
    ("public_security", "fire_penalty"): lambda e, r, d: _penalty(e, r, d, "public_security"),
}


def _record_day(e: Enterprise, rng: random.Random) -> dt.date:
    """A record date after the enterprise was established."""
    return _rand_date(rng, max(DATE_MIN, e.established), DATE_MAX)


def _exemplary(e: Enterprise) -> bool:
    """About one enterprise in eight keeps an A tax grade (stable for a seed: from its id)."""
    return zlib.crc32(e.eid.encode()) % 8 == 0 and e.established.year <= 2022


def records_for(key: tuple[str, str], e: Enterprise, rng: random.Random, k: int) -> list[dict[str, Any]]:
    """k clean records of one type about one enterprise (values are str/date/float/int/None); an
    individual business's as each department writes it (``individuals``)."""
    out = _records_for(key, e, rng, k)
    if "individual" in e.kinds:
        name_key = _name_key(key)
        for values in out:
            parts = individuals.record_parts(e, rng, key[0], e.parts)
            values[name_key], values[_PARTS] = parts.text, parts
            if "taxpayer_id" in values:
                values["taxpayer_id"] = individuals.record_taxpayer_id(e, rng)
    return out


_PARTS = "_parts"  # the name parts a record was written with (not a column: for the name mess)


@functools.lru_cache(maxsize=64)
def _name_key(key: tuple[str, str]) -> str:
    return next(c.key for c in load_catalog().get(*key).columns if c.identity == "name")


def _records_for(key: tuple[str, str], e: Enterprise, rng: random.Random, k: int) -> list[dict[str, Any]]:
    if key == ("tax", "credit_rating"):
        if _exemplary(e):  # rated A in each of the last three years: red-list candidates
            return [{**_rating(e, rng, y), "grade": "A"} for y in (2023, 2024, 2025)]
        first = max(2019, e.established.year)
        years = list(range(first, 2026))
        picked = sorted(rng.sample(years, min(k, len(years)))) if years else [2025]
        return [_rating(e, rng, y) for y in picked]
    fn = GENERATORS[key]
    return [fn(e, rng, _record_day(e, rng)) for _ in range(k)]


# --------------------------------------------------------------------------------------------
# Mess
# --------------------------------------------------------------------------------------------

_FULLWIDTH_DIGITS = str.maketrans("0123456789ABCDEFGHJKLMNPQRTUWXY",
                                  "０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＴＵＷＸＹ")


def mess_name(parts: NameParts, rng: random.Random) -> tuple[str, str]:
    """One messy spelling of a name and the tag saying what was done."""
    op = rng.choice(("halfwidth", "fullwidth_space", "trailing_space", "drop_region",
                     "region_bracket", "form_variant", "form_variant", "typo"))
    p = parts
    if not p.form and not p.suffix:
        # individual business: nothing but its spacing to restyle (its division is written or not by
        # ``individuals.record_parts``); misspelt as often as any other name, not three times as often
        op = "typo" if op == "typo" else rng.choice(("trailing_space", "fullwidth_space"))
    if op == "drop_region" and not p.prefix:
        op = "region_bracket"
    if op == "region_bracket" and (not p.city_short or p.suffix):
        op = "trailing_space"
    if op == "form_variant" and p.form not in FORM_VARIANTS:
        op = "halfwidth"
    text = p.text
    if op == "halfwidth":
        if "（" not in text and p.city_short and not p.suffix:
            text = f"{p.trade}{p.industry}({p.city_short}){p.form}"
        text = text.replace("（", "(").replace("）", ")")
    elif op == "fullwidth_space":
        cut = len(p.prefix) or min(2, len(text) - 1)
        text = text[:cut] + "\u3000" + text[cut:]
    elif op == "trailing_space":
        text = text + rng.choice((" ", "  ", "\u3000"))
    elif op == "drop_region":
        text = f"{p.trade}{p.industry}{p.form}{p.suffix}"
    elif op == "region_bracket":
        text = f"{p.trade}{p.industry}（{p.city_short}）{p.form}"
    elif op == "form_variant":
        text = f"{p.prefix}{p.trade}{p.industry}{rng.choice(FORM_VARIANTS[p.form])}{p.suffix}"
    elif op == "typo":
        start = len(p.prefix)
        i = start + rng.randrange(max(1, len(p.trade)))
        chars = list(text)
        chars[i] = rng.choice([c for c in TRADE_CHARS if c != chars[i]])
        text = "".join(chars)
    return text, f"name.{op}"


def _transpose(code: str, rng: random.Random) -> str:
    """Swap two adjacent different characters."""
    spots = [i for i in range(len(code) - 1) if code[i] != code[i + 1]]
    if not spots:
        return code
    i = rng.choice(spots)
    return code[:i] + code[i + 1] + code[i] + code[i + 2:]


def mess_code(code: str, col_type: str, e: Enterprise, rng: random.Random) -> tuple[str, str]:
    """One messy spelling of a code and the tag saying what was done."""
    ops = ["lower", "spaces", "hyphen", "fullwidth", "o_for_0", "wrong_check", "transpose",
           "placeholder", "empty"]
    if col_type == "uscc" and e.reg_no:
        ops.append("legacy_number")
    if col_type == "org_code" and e.uscc:
        ops.append("uscc_here")
    op = rng.choice(ops)
    if op == "lower":
        out = code.lower()
    elif op == "spaces":
        out = " ".join(code[i:i + 4] for i in range(0, len(code), 4)) + rng.choice(("", " "))
    elif op == "hyphen":
        out = code[:-1] + "-" + code[-1]
    elif op == "fullwidth":
        out = code.translate(_FULLWIDTH_DIGITS)
    elif op == "o_for_0":
        out = code.replace("0", "O") if "0" in code else code.lower()
    elif op == "wrong_check":
        pool = {"org_code": "0123456789X", "reg_no": "0123456789"}.get(col_type, _USCC_CHARS)
        out = code[:-1] + rng.choice([c for c in pool if c != code[-1]])
    elif op == "transpose":
        out = _transpose(code, rng)
    elif op == "placeholder":
        out = "0" * len(code)
    elif op == "legacy_number":
        out = e.reg_no
    elif op == "uscc_here":
        out = e.uscc
    else:
        out = ""
    return out, f"{col_type}.{op}"


def mess_date(day: dt.date, rng: random.Random, may_empty: bool) -> tuple[Any, str]:
    """One messy rendering of a date (a string, an ExcelDate, or None) and its tag."""
    ops = ["slash", "zh", "compact", "excel"] + (["empty"] if may_empty else [])
    op = rng.choice(ops)
    if op == "slash":
        return f"{day.year}/{day.month}/{day.day}", "date.slash"
    if op == "zh":
        return f"{day.year}年{day.month}月{day.day}日", "date.zh"
    if op == "compact":
        return f"{day:%Y%m%d}", "date.compact"
    if op == "excel":
        return ExcelDate(day), "date.excel"
    return None, "date.empty"


def mess_amount(value: float, col_type: str, rng: random.Random) -> tuple[str, str]:
    """One messy rendering of an amount and its tag."""
    op = rng.choice(("thousands", "thousands", "wan", "empty_marker"))
    if op == "wan" and col_type == "amount_yuan":
        return f"{value / 10000:g}万", "amount.wan"
    if op == "empty_marker":
        return rng.choice(EMPTY_MARKERS), "amount.empty"
    return f"{value:,.2f}", "amount.thousands"


def mess_record(rt: RecordType, values: dict[str, Any], e: Enterprise, rng: random.Random,
                cfg: MessConfig) -> list[str]:
    """Mess up one record in place; the tags of what was done."""
    tags: list[str] = []
    day = values.get(rt.date_field) if rt.date_field else None
    if isinstance(day, int):
        day = dt.date(day, 12, 31)
    for col in rt.columns:
        v = values.get(col.key)
        if col.identity == "name" and v and rng.random() < cfg.name:
            parts = values.get(_PARTS) or e.parts_at(day if isinstance(day, dt.date) else None)
            values[col.key], tag = mess_name(parts, rng)
            tags.append(tag)
        elif col.type in CODE_TYPES and v and rng.random() < cfg.code and col.type != "loan_card_no":
            values[col.key], tag = mess_code(v, col.type, e, rng)
            tags.append(tag)
        elif col.type == "date" and isinstance(v, dt.date) and rng.random() < cfg.date:
            values[col.key], tag = mess_date(v, rng, may_empty=col.key != rt.date_field)
            tags.append(tag)
        elif col.type in ("amount_wan", "amount_yuan") and v is not None and rng.random() < cfg.amount:
            values[col.key], tag = mess_amount(v, col.type, rng)
            tags.append(tag)
    return tags


# --------------------------------------------------------------------------------------------
# Rows of one file type, in file order
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Row:
    """One row to write, with what the truth needs to know about it."""

    values: dict[str, Any]
    entity_id: str = ""
    tags: list[str] = field(default_factory=list)
    bad: tuple[str, str] | None = None  # (column key, reason) for a deliberately bad row
    truth: bool = True  # first appearance of a record id: write a truth line


@dataclass
class TruthLine:
    """One line of truth.csv."""

    department: str
    type: str
    record_id: str
    entity_id: str
    kind: str
    versions: int
    revoked: int
    mess: str
    file: str = ""


class _Ids:
    """Record ids unique within one (department, type)."""

    def __init__(self, key: tuple[str, str]) -> None:
        self.prefix = RECORD_PREFIX[key]
        self.n = 0

    def next(self, year: int) -> str:
        """The next id, dated by year."""
        self.n += 1
        return f"{self.prefix}-{year}-{self.n:06d}"


def _year_of(v: Any) -> int:
    """The year a record is dated by, for its record id."""
    if isinstance(v, dt.date):
        return v.year
    if isinstance(v, int):
        return v
    return 2024


def _resend(rt: RecordType, values: dict[str, Any], rng: random.Random) -> tuple[dict[str, Any], str]:
    """A later version of a record with one field changed; (values, tag)."""
    new = dict(values)
    changed = [c for c in rt.columns
               if (c.type in ("amount_wan", "amount_yuan") and isinstance(new.get(c.key), float))
               or (c.type == "int" and isinstance(new.get(c.key), int))
               or (c.type == "text" and isinstance(new.get(c.key), str) and new[c.key])]
    if not changed:
        return new, "resend.same"
    col = rng.choice(changed)
    v = new[col.key]
    new[col.key] = (round(v * rng.uniform(0.5, 1.5), 2) if isinstance(v, float)
                    else v + rng.randrange(1, 60) if isinstance(v, int) else f"{v}（更正）")
    return new, f"resend.{col.key}"


def _bad_row(rt: RecordType, values: dict[str, Any],
             rng: random.Random) -> tuple[dict[str, Any], tuple[str, str]]:
    """A copy of a record made unreadable in one column; (values, (column key, reason))."""
    new = dict(values)
    dates = [c.key for c in rt.columns if c.type == "date"]
    enums = [c for c in rt.columns if c.type == "enum" and not c.open and c.key != "op"]
    choice = rng.choice(("missing", "date", "enum"))
    if choice == "date" and dates:
        key = rng.choice(dates)
        new[key] = rng.choice(("2024-13-45", "2023-02-30", "20241399", "去年"))
        return new, (key, "bad_date")
    if choice == "enum" and enums:
        col = rng.choice(enums)
        new[col.key] = rng.choice(BAD_ENUM_VALUES)
        return new, (col.key, "unknown_enum")
    if choice == "enum":
        new["op"] = "作废"
        return new, ("op", "unknown_enum")
    name_key = next(c.key for c in rt.columns if c.identity == "name")
    key = rng.choice(("record_id", name_key))
    new[key] = ""
    return new, (key, "missing_required")


class TypeStream:
    """Generates the rows of one (department, type) across the world, in file order."""

    def __init__(self, world: World, rt: RecordType, counts: dict[int, int], seed: int,
                 mess: MessConfig, bad_rate: float) -> None:
        self.world, self.rt, self.counts = world, rt, counts
        self.rng = random.Random(f"rows:{seed}:{rt.department}:{rt.name}")
        self.mess, self.bad_rate = mess, bad_rate
        self.ids = _Ids(rt.key)
        self.truth: dict[str, TruthLine] = {}

    def expected(self) -> int:
        """Number of distinct records (before duplicates, versions and bad rows)."""
        return sum(self.counts.values())

    def rows(self) -> Iterator[Row]:
        """Every row: originals with duplicates and bad rows mixed in, then later versions."""
        later: list[list[Row]] = []
        key = self.rt.key
        for idx in sorted(self.counts):
            e = self.world.enterprises[idx]
            for clean in records_for(key, e, self.rng, self.counts[idx]):
                yield from self._emit(e, clean, later)
        self.rng.shuffle(later)
        for group in later:
            yield from group

    def _emit(self, e: Enterprise, clean: dict[str, Any], later: list[list[Row]]) -> Iterator[Row]:
        """One record's row, its duplicate and bad twin; later versions go to `later` in order."""
        rng, rt, cfg = self.rng, self.rt, self.mess
        rid = self.ids.next(_year_of(clean.get(rt.date_field or "")))
        values = {"record_id": rid, "op": "新增" if rng.random() < 0.3 else "", **clean}
        tax20 = len(str(values.get("taxpayer_id") or "")) == 20
        tags = mess_record(rt, values, e, rng, cfg)
        if tax20:  # the record carries an individual business's 20-character taxpayer id
            tags.append("tax20")
        line = TruthLine(rt.department, rt.name, rid, e.eid, e.kind, 1, 0, "")
        self.truth[rid] = line
        row = Row(values, e.eid, tags)
        yield row
        if rng.random() < cfg.duplicate:
            tags.append("duplicate")
            yield Row(dict(values), e.eid, tags, truth=False)
        group: list[Row] = []
        if rng.random() < cfg.resend:
            new, tag = _resend(rt, values, rng)
            new["op"] = rng.choice(("修改", "修改", ""))
            tags.append(tag)
            line.versions += 1
            group.append(Row(new, e.eid, tags, truth=False))
        if rng.random() < cfg.revoke:
            tags.append("revoked")
            line.versions += 1
            line.revoked = 1
            group.append(Row({**values, "op": "撤销"}, e.eid, tags, truth=False))
        if group:
            later.append(group)
        if self.bad_rate and rng.random() < self.bad_rate:
            bad_values = {**values, "record_id": self.ids.next(_year_of(clean.get(rt.date_field or "")))}
            bad_values, bad = _bad_row(rt, bad_values, rng)
            yield Row(bad_values, e.eid, ["bad_row"], bad=bad, truth=False)
        line.mess = ";".join(tags)


def plan_counts(world: World, seed: int,
                records_per_enterprise: float) -> dict[tuple[str, str], dict[int, int]]:
    """How many records of each type each enterprise gets (enterprise index -> count)."""
    rng = random.Random(f"plan:{seed}")
    n = len(world)
    counts: dict[tuple[str, str], dict[int, int]] = {k: {} for k in RECORD_PREFIX}
    reg = counts[("commerce", "registration")]
    for i in range(n):
        if rng.random() < 0.98:
            reg[i] = 1
    keys = list(TYPE_WEIGHTS)
    weights = list(TYPE_WEIGHTS.values())
    extra = max(0, round(n * (records_per_enterprise - 1)))
    hot = max(1, n // 10)
    picks = rng.choices(keys, weights, k=extra)
    for key in picks:
        i = rng.randrange(hot) if rng.random() < 0.3 else rng.randrange(n)
        bucket = counts[key]
        bucket[i] = bucket.get(i, 0) + 1
    for bucket in counts.values():
        if not bucket and n:
            bucket[rng.randrange(n)] = 1
    return counts


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def _amount_text(v: float) -> str:
    """An amount without trailing zeros."""
    s = f"{v:.2f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def render_text(v: Any) -> str:
    """A value as it appears in a text file (CSV, XML)."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, ExcelDate):
        return str(v.serial)
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float):
        return _amount_text(v)
    return str(v)


def render_json(v: Any) -> Any:
    """A value as it appears in a JSON file (numbers stay numbers)."""
    if isinstance(v, ExcelDate):
        return str(v.serial)
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def render_cell(v: Any, code: bool, codes_as_numbers: bool) -> Any:
    """A value as an XLSX cell: real dates, numbers, all-digit codes as numbers if asked."""
    if isinstance(v, ExcelDate):
        return v.day
    if code and codes_as_numbers and isinstance(v, str) and v.isdigit() and len(v) <= 15 and v[0] != "0":
        return int(v)
    return v


@dataclass
class FileSpec:
    """How one file is written."""

    form: str
    encoding: str = "utf-8"
    keys: str = "zh"  # zh | en, JSON keys
    title_rows: int = 0
    trailing_blank: int = 0
    codes_as_numbers: bool = False
    title: str = ""


def first_data_row(spec: FileSpec) -> int:
    """Physical row number of the first record (CSV line, XLSX sheet row, NDJSON line, ordinal)."""
    if spec.form == "csv":
        return 2
    if spec.form == "xlsx":
        return spec.title_rows + 2
    return 1


def write_csv(path: Path, rt: RecordType, rows: Iterable[dict[str, Any]], spec: FileSpec) -> int:
    """Write rows as CSV in the spec's encoding; the row count."""
    keys = [c.key for c in rt.columns]
    n = 0
    with open(path, "w", encoding=spec.encoding, newline="", errors="strict") as fh:
        w = csv.writer(fh)
        w.writerow([c.zh for c in rt.columns])
        for values in rows:
            w.writerow([render_text(values.get(k)) for k in keys])
            n += 1
    return n


def write_xlsx(path: Path, rt: RecordType, rows: Iterable[dict[str, Any]], spec: FileSpec) -> int:
    """Write rows to the first worksheet of an XLSX (write-only, streaming); the row count."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(rt.zh)
    cols = rt.columns
    if spec.title_rows >= 1:
        ws.append([spec.title or _quarter_title(rt, random.Random(0))])
    if spec.title_rows >= 2:
        ws.append(["填报单位：" + rt.department_zh] + [None] * (len(cols) - 2) + ["单位：万元"])
    ws.append([c.zh for c in cols])
    is_code = [c.type in CODE_TYPES for c in cols]
    n = 0
    for values in rows:
        ws.append([render_cell(values.get(c.key), code, spec.codes_as_numbers)
                   for c, code in zip(cols, is_code)])
        n += 1
    for _ in range(spec.trailing_blank):
        ws.append([""] * len(cols))
    wb.save(path)
    return n


def _json_obj(rt: RecordType, values: dict[str, Any], keys: str) -> dict[str, Any]:
    """One record as a JSON object with Chinese or English keys."""
    return {(c.zh if keys == "zh" else c.key): render_json(values.get(c.key)) for c in rt.columns}


def write_json(path: Path, rt: RecordType, rows: Iterable[dict[str, Any]], spec: FileSpec) -> int:
    """Write a JSON array, one object per line inside it, streaming; the row count."""
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("[")
        for values in rows:
            fh.write(",\n" if n else "\n")
            fh.write(json.dumps(_json_obj(rt, values, spec.keys), ensure_ascii=False))
            n += 1
        fh.write("\n]\n")
    return n


def write_ndjson(path: Path, rt: RecordType, rows: Iterable[dict[str, Any]], spec: FileSpec) -> int:
    """Write one JSON object per line; the row count."""
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for values in rows:
            fh.write(json.dumps(_json_obj(rt, values, spec.keys), ensure_ascii=False))
            fh.write("\n")
            n += 1
    return n


def write_xml(path: Path, rt: RecordType, rows: Iterable[dict[str, Any]], spec: FileSpec) -> int:
    """Write <dataset department type><record><field name=..>..</field></record></dataset>."""
    names = [(c.key, quoteattr(c.zh)) for c in rt.columns]
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        fh.write(f"<dataset department={quoteattr(rt.department)} type={quoteattr(rt.name)}>\n")
        for values in rows:
            fh.write("  <record>")
            for key, attr in names:
                text = render_text(values.get(key))
                fh.write(f"<field name={attr}>{escape(text)}</field>" if text else f"<field name={attr}/>")
            fh.write("</record>\n")
            n += 1
        fh.write("</dataset>\n")
    return n


WRITERS: dict[str, Callable[[Path, RecordType, Iterable[dict[str, Any]], FileSpec], int]] = {
    "csv": write_csv, "xlsx": write_xlsx, "json": write_json, "ndjson": write_ndjson, "xml": write_xml,
}


def file_name(department: str, record_type: str, n: int, form: str) -> str:
    """{department}__{type}__{n}.{ext}; NDJSON files end in .json like the contract says."""
    return f"{department}__{record_type}__{n}.{FORM_EXT[form]}"


def parse_file_name(name: str) -> tuple[str, str]:
    """Department and record type back from a generated file name."""
    dept, rtype, _ = Path(name).name.split("__", 2)
    return dept, rtype


def _quarter_title(rt: RecordType, rng: random.Random) -> str:
    """A title row like 2024年第三季度行政处罚信息公示."""
    year = rng.randrange(2019, 2026)
    q = "一二三四"[rng.randrange(4)]
    what = rt.zh if rt.zh.endswith("信息") else rt.zh + "信息"
    return f"{year}年第{q}季度{what}公示"


# --------------------------------------------------------------------------------------------
# Manifest and generate()
# --------------------------------------------------------------------------------------------


@dataclass
class FileEntry:
    """One written file."""

    path: str
    department: str
    type: str
    form: str
    encoding: str
    rows: int
    keys: str = "zh"
    title_rows: int = 0


@dataclass
class BadRow:
    """One deliberately unreadable row, which ingest must report."""

    file: str
    row_number: int  # CSV line / XLSX sheet row / NDJSON line / record ordinal in JSON, XML
    record_index: int  # 1-based ordinal of the row among the file's records
    column: str
    reason: str  # missing_required | bad_date | unknown_enum
    record_id: str


@dataclass
class Manifest:
    """What generate() wrote."""

    out_dir: str
    seed: int
    enterprises: int
    files: list[FileEntry]
    truth: str
    entities: str
    bad_rows_path: str
    bad_rows: list[BadRow]
    records: int
    kinds: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        """Plain data for manifest.json."""
        return asdict(self)

    def save(self, path: Path | None = None) -> Path:
        """Write manifest.json next to the files."""
        path = path or Path(self.out_dir) / "manifest.json"
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
        return path


class _FilePlanner:
    """Chooses form, encoding, key style and title rows for each file, cycling for coverage."""

    def __init__(self, forms: Sequence[str], encodings: Sequence[str], seed: int) -> None:
        self.forms, self.encodings = list(forms), list(encodings)
        self.rng = random.Random(f"files:{seed}")
        self.n_csv = self.n_json = self.n_xlsx = 0

    def spec(self, form: str, rt: RecordType) -> FileSpec:
        """The spec of the next file in this form."""
        spec = FileSpec(form)
        if form == "csv":
            spec.encoding = self.encodings[self.n_csv % len(self.encodings)]
            self.n_csv += 1
        elif form in ("json", "ndjson"):
            spec.keys = ("zh", "en")[self.n_json % 2]
            self.n_json += 1
        elif form == "xlsx":
            spec.title_rows = (1, 2, 0)[self.n_xlsx % 3]
            spec.trailing_blank = self.rng.choice((0, 2, 3))
            spec.codes_as_numbers = self.n_xlsx % 2 == 0
            spec.title = _quarter_title(rt, self.rng)
            self.n_xlsx += 1
        return spec


def _chunks(stream: Iterator[Row], size: int, n: int) -> Iterator[Iterator[Row]]:
    """Split a row stream into n consecutive chunks of `size` (the last takes the rest)."""
    for i in range(n):
        yield itertools.islice(stream, size) if i < n - 1 else stream


class _Recorder:
    """Collects truth and bad rows while a chunk of rows is written."""

    def __init__(self, truth_writer: Any, stream: TypeStream) -> None:
        self.truth_writer, self.stream = truth_writer, stream
        self.bad: list[BadRow] = []
        self.records = 0

    def watch(self, rows: Iterator[Row], fname: str, spec: FileSpec) -> Iterator[dict[str, Any]]:
        """Pass rows' values to a writer, noting truth lines and bad rows on the way."""
        base = first_data_row(spec)
        for i, row in enumerate(rows):
            if row.bad:
                self.bad.append(BadRow(fname, base + i, i + 1, row.bad[0], row.bad[1],
                                       row.values.get("record_id") or ""))
            elif row.truth:
                line = self.stream.truth[row.values["record_id"]]
                line.file = fname
                self.records += 1
            yield row.values

    def flush(self) -> None:
        """Write this type's truth lines (tags complete only after the stream ends)."""
        for line in self.stream.truth.values():
            self.truth_writer.writerow([line.department, line.type, line.record_id, line.entity_id,
                                        line.kind, line.versions, line.revoked, line.mess, line.file])
        self.stream.truth.clear()


TRUTH_HEADER = ("department", "type", "record_id", "entity_id", "kind", "versions", "revoked", "mess", "file")
ENTITY_HEADER = ("entity_id", "kind", "name", "former_names", "uscc", "org_code", "reg_no",
                 "taxpayer_id", "loan_card_no", "division", "city", "legal_rep", "address", "related")


def write_entities(world: World, path: Path) -> None:
    """entities.csv: the true enterprises with their true codes and names."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(ENTITY_HEADER)
        for e in world.enterprises:
            w.writerow([e.eid, e.kind, e.name, "；".join(e.former_names), e.uscc, e.org_code, e.reg_no,
                        e.taxpayer_id, e.loan_card_no, e.division, e.city, e.legal_rep, e.address,
                        e.related])


def write_bad_rows(bad: list[BadRow], path: Path) -> None:
    """bad_rows.csv: file,row_number,record_index,column,reason,record_id."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(("file", "row_number", "record_index", "column", "reason", "record_id"))
        for b in bad:
            w.writerow((b.file, b.row_number, b.record_index, b.column, b.reason, b.record_id))


def generate(out_dir: str | Path, *, enterprises: int = 1000, seed: int = 1,
             forms: Sequence[str] = FORMS, encodings: Sequence[str] = ENCODINGS,
             mess: float | MessConfig = 0.3, bad_rows: float = 0.0,
             records_per_enterprise: float = 3.0, world_config: WorldConfig | None = None,
             types: Sequence[tuple[str, str]] | None = None) -> Manifest:
    """Generate a world, its records in every requested form, and the truth; write manifest.json."""
    for form in forms:
        if form not in WRITERS:
            raise ValueError(f"unknown form {form}; known: {', '.join(FORMS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    mess_cfg = mess if isinstance(mess, MessConfig) else MessConfig.from_level(mess)
    world = make_world(enterprises, seed, world_config)
    counts = plan_counts(world, seed, records_per_enterprise)
    catalog = load_catalog()
    planner = _FilePlanner(forms, encodings, seed)
    files: list[FileEntry] = []
    bad: list[BadRow] = []
    records = 0
    form_cycle = 0
    truth_path = out / "truth.csv"
    with open(truth_path, "w", encoding="utf-8", newline="") as tfh:
        tw = csv.writer(tfh)
        tw.writerow(TRUTH_HEADER)
        for rt in catalog:
            if types is not None and rt.key not in types:
                continue
            stream = TypeStream(world, rt, counts[rt.key], seed, mess_cfg, bad_rows)
            rec = _Recorder(tw, stream)
            n_files = max(1, min(len(forms), stream.expected()))
            size = math.ceil(stream.expected() / n_files)
            for i, chunk in enumerate(_chunks(stream.rows(), size, n_files)):
                form = forms[(form_cycle + i) % len(forms)]
                spec = planner.spec(form, rt)
                fname = file_name(rt.department, rt.name, i + 1, form)
                n = WRITERS[form](out / fname, rt, rec.watch(chunk, fname, spec), spec)
                files.append(FileEntry(fname, rt.department, rt.name, form,
                                       spec.encoding if form == "csv" else "utf-8", n, spec.keys,
                                       spec.title_rows))
            form_cycle += 1
            rec.flush()
            bad.extend(rec.bad)
            records += rec.records
    write_entities(world, out / "entities.csv")
    write_bad_rows(bad, out / "bad_rows.csv")
    kinds: dict[str, int] = {}
    for e in world.enterprises:
        for k in e.kinds or {"normal"}:
            kinds[k] = kinds.get(k, 0) + 1
    manifest = Manifest(str(out), seed, len(world), files, str(truth_path), str(out / "entities.csv"),
                        str(out / "bad_rows.csv"), bad, records, kinds)
    manifest.save()
    log.info("generated %d records in %d files under %s", records, len(files), out)
    return manifest


def read_truth(path: str | Path) -> list[dict[str, str]]:
    """truth.csv as a list of dicts."""
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --------------------------------------------------------------------------------------------
# Fast single-type writers for the ingest benchmark
# --------------------------------------------------------------------------------------------

POOL_SIZE = 10_000


def _bench_pool(department: str, record_type: str, n_rows: int, seed: int,
                mess: float) -> tuple[RecordType, list[dict[str, Any]]]:
    """A pool of fully generated (messy) records of one type to recombine at speed."""
    rt = load_catalog().get(department, record_type)
    size = max(1, min(n_rows, POOL_SIZE))
    world = make_world(max(20, min(size // 2, 10_000)), seed)
    rng = random.Random(f"bench:{seed}:{department}:{record_type}")
    cfg = MessConfig.from_level(mess)
    pool: list[dict[str, Any]] = []
    n = len(world)
    while len(pool) < size:
        e = world.enterprises[rng.randrange(n)]
        for clean in records_for(rt.key, e, rng, 1):
            values = {"record_id": "", "op": "", **clean}
            mess_record(rt, values, e, rng, cfg)
            pool.append(values)
    return rt, pool


def _bench_lists(rt: RecordType, pool: list[dict[str, Any]], n_rows: int, seed: int,
                 render: Callable[[Any], Any]) -> Iterator[list[Any]]:
    """n_rows rows as value lists in column order: identity from one pooled record, the other
    fields from another (so content varies far more than the pool), unique record ids."""
    keys = [c.key for c in rt.columns]
    table = [[render(p[k]) for k in keys] for p in pool]
    ident = [i for i, c in enumerate(rt.columns) if c.identity]
    lo, hi = min(ident), max(ident) + 1
    rng = random.Random(f"bench-rows:{seed}")
    rand = rng.random
    size = len(table)
    prefix = f"{RECORD_PREFIX[rt.key]}-B{seed}-"
    for i in range(n_rows):
        row = table[int(rand() * size)][:]
        row[lo:hi] = table[int(rand() * size)][lo:hi]
        row[0] = f"{prefix}{i + 1:08d}"
        yield row


def iter_bench_rows(department: str, record_type: str, n_rows: int, seed: int = 1,
                    mess: float = 0.3) -> tuple[RecordType, Iterator[dict[str, Any]]]:
    """n_rows records of one type as dicts, lazily, with unique record ids."""
    rt, pool = _bench_pool(department, record_type, n_rows, seed, mess)
    keys = [c.key for c in rt.columns]
    lists = _bench_lists(rt, pool, n_rows, seed, lambda v: v)
    return rt, (dict(zip(keys, row)) for row in lists)


def _csv_field(text: str) -> str:
    """One CSV field with RFC 4180 minimal quoting, as csv.writer writes it."""
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_lines(rt: RecordType, pool: list[dict[str, Any]], n_rows: int, seed: int) -> Iterator[str]:
    """The CSV lines of _bench_lists, pre-rendered per pooled record and glued per row (fast)."""
    keys = [c.key for c in rt.columns]
    ident = [i for i, c in enumerate(rt.columns) if c.identity]
    lo, hi = min(ident), max(ident) + 1

    def seg(values: dict[str, Any], ks: list[str]) -> str:
        return "".join("," + _csv_field(render_text(values[k])) for k in ks)

    heads = [seg(p, keys[1:lo]) for p in pool]
    idents = [seg(p, keys[lo:hi]) for p in pool]
    tails = [seg(p, keys[hi:]) + "\r\n" for p in pool]
    rng = random.Random(f"bench-rows:{seed}")
    rand = rng.random
    size = len(pool)
    prefix = f"{RECORD_PREFIX[rt.key]}-B{seed}-"
    for i in range(n_rows):
        j = int(rand() * size)
        yield f"{prefix}{i + 1:08d}{heads[j]}{idents[int(rand() * size)]}{tails[j]}"


def write_csv_rows(path: str | Path, department: str, record_type: str, n_rows: int, seed: int = 1,
                   encoding: str = "utf-8", mess: float = 0.3) -> int:
    """Stream an n_rows CSV of one type to disk with flat memory; the row count."""
    rt, pool = _bench_pool(department, record_type, n_rows, seed, mess)
    lines = _csv_lines(rt, pool, n_rows, seed)
    with open(path, "w", encoding=encoding, newline="", errors="strict") as fh:
        csv.writer(fh).writerow([c.zh for c in rt.columns])
        while True:
            batch = "".join(itertools.islice(lines, 10_000))
            if not batch:
                break
            fh.write(batch)
    return n_rows


def write_xlsx_rows(path: str | Path, department: str, record_type: str, n_rows: int, seed: int = 1,
                    mess: float = 0.3, title_rows: int = 1) -> int:
    """Stream an n_rows XLSX of one type (write-only mode, real date cells); the row count."""
    rt, rows = iter_bench_rows(department, record_type, n_rows, seed, mess)
    spec = FileSpec("xlsx", title_rows=title_rows, trailing_blank=2, codes_as_numbers=True,
                    title=_quarter_title(rt, random.Random(seed)))
    return write_xlsx(Path(path), rt, rows, spec)


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def _summary(m: Manifest) -> str:
    """A human summary of a manifest."""
    by_type: dict[str, int] = {}
    by_form: dict[str, int] = {}
    for f in m.files:
        by_type[f"{f.department}/{f.type}"] = by_type.get(f"{f.department}/{f.type}", 0) + f.rows
        by_form[f.form] = by_form.get(f.form, 0) + 1
    lines = [f"{m.enterprises} enterprises, {m.records} records, {len(m.files)} files in {m.out_dir}",
             "files by form: " + ", ".join(f"{k}={v}" for k, v in sorted(by_form.items())),
             "hard cases: " + ", ".join(f"{k}={v}" for k, v in sorted(m.kinds.items())),
             f"bad rows: {len(m.bad_rows)}", "rows by type:"]
    lines += [f"  {k}: {v}" for k, v in sorted(by_type.items())]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """python -m credit.demodata.datagen --out DIR --enterprises N [...]"""
    p = argparse.ArgumentParser(prog="python -m credit.demodata.datagen", description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--enterprises", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--forms", default=",".join(FORMS), help="comma-separated: " + ",".join(FORMS))
    p.add_argument("--encodings", default=",".join(ENCODINGS), help="CSV encodings to cycle through")
    p.add_argument("--mess", type=float, default=0.3)
    p.add_argument("--bad-rows", type=float, default=0.0)
    p.add_argument("--records-per-enterprise", type=float, default=3.0)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    t0 = time.perf_counter()
    m = generate(args.out, enterprises=args.enterprises, seed=args.seed,
                 forms=[f.strip() for f in args.forms.split(",") if f.strip()],
                 encodings=[e.strip() for e in args.encodings.split(",") if e.strip()],
                 mess=args.mess, bad_rows=args.bad_rows,
                 records_per_enterprise=args.records_per_enterprise)
    print(_summary(m))
    print(f"manifest: {Path(args.out) / 'manifest.json'} ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
