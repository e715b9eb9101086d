"""Department records of the true world, column for column as the exchange formats list them."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from bench.contract import variants as v
from bench.contract.world import Entity, World

LENDERS = ["中国工商银行", "中国建设银行", "中国农业银行", "长沙银行", "湖南农村信用社", "华融湘江银行"]
VIOLATIONS = [("未按规定公示年度报告", "《市场主体登记管理条例》第四十六条"),
              ("销售不合格产品", "《中华人民共和国产品质量法》第四十九条"),
              ("虚假宣传", "《中华人民共和国反不正当竞争法》第二十条"),
              ("无证经营食品", "《中华人民共和国食品安全法》第一百二十二条"),
              ("价格违法", "《中华人民共和国价格法》第四十条")]
FIRE = [("消防设施未保持完好有效", "《中华人民共和国消防法》第六十条"),
        ("占用、堵塞疏散通道", "《中华人民共和国消防法》第六十条")]


@dataclass
class Record:
    department: str
    type: str
    entity: str
    fields: dict[str, object]
    year: int
    flags: set[str] = field(default_factory=set)


def _date(rng: random.Random, year: int) -> dt.date:
    return dt.date(year, rng.randint(1, 12), rng.randint(1, 28))


def _amount(rng: random.Random, wan: float) -> str | float:
    r = rng.random()
    if r < 0.55:
        return f"{wan:.2f}" if rng.random() < 0.5 else f"{wan:g}"
    if r < 0.7:
        return f"{wan:,.4f}"
    if r < 0.85:
        return f"{wan:g}万"
    return round(wan, 2)


def _authority(e: Entity, what: str) -> str:
    c = e.county
    return f"{c.city}{c.name}{what}" if c.name.endswith("区") else f"{c.name}{what}"


class Maker:
    def __init__(self, world: World, rng: random.Random) -> None:
        self.w, self.rng = world, rng
        self.out: list[Record] = []
        self.seq: dict[tuple[str, str], int] = {}
        self.by_id = {e.eid: e for e in world.entities}

    def rid(self, dept: str, typ: str, prefix: str) -> str:
        n = self.seq[(dept, typ)] = self.seq.get((dept, typ), 0) + 1
        return f"{prefix}{n:08d}"

    def add(self, e: Entity, dept: str, typ: str, prefix: str, year: int, flags: set[str],
            fields: dict[str, object]) -> Record:
        rec = Record(dept, typ, e.eid, {"记录编号": self.rid(dept, typ, prefix), **fields}, year, flags)
        self.out.append(rec)
        return rec

    def name(self, e: Entity, year: int, flags: set[str]) -> str:
        return v.name_for(self.rng, e, year, flags)

    def year(self, e: Entity, lo: int = 2016) -> int:
        return self.rng.randint(max(lo, e.established), 2025) if e.established < 2025 else 2025

    # commerce --------------------------------------------------------------------------------
    def registration(self, e: Entity) -> None:
        rng, f = self.rng, set[str]()
        kinds = {"individual": "个体工商户", "branch": "有限责任公司分公司", "other": "农民专业合作社"}
        etype = kinds.get(e.kind) or ("股份有限公司" if "股份" in e.form else "有限合伙企业" if "合伙" in e.form
                                      else "有限责任公司（自然人投资或控股）")
        name = e.name if rng.random() < 0.9 else v.spacing(rng, e.name, f)
        self.add(e, "commerce", "registration", "DJ", 2025, f, {
            "统一社会信用代码": v.code(rng, e.uscc, f, damage=0.0) if e.uscc else None,
            "注册号": e.reg_no, "企业名称": name, "企业类型": etype, "法定代表人": e.legal_rep.name,
            "注册资本（万元）": _amount(rng, rng.choice([3, 10, 50, 100, 500, 1000])) if e.kind != "branch" else None,
            "成立日期": _date(rng, e.established), "登记机关": _authority(e, "市场监督管理局"), "住所": e.address,
            "经营范围": "一般项目：" + (e.industry or "经营") + "；（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
            "登记状态": e.status, "核准日期": _date(rng, max(e.established, e.renamed_year or 2016)),
            "曾用名": "；".join(e.former) or None})

    def abnormal(self, e: Entity) -> None:
        rng, f = self.rng, set[str]()
        y = self.year(e, 2017)
        removed = rng.random() < 0.5
        self.add(e, "commerce", "abnormal_list", "YC", y, f, {
            "统一社会信用代码": v.uscc_cell(rng, e, f, y), "注册号": e.reg_no if rng.random() < 0.6 else None,
            "企业名称": self.name(e, y, f),
            "列入原因": rng.choice(["未按照规定的期限公示年度报告", "通过登记的住所或者经营场所无法联系"]),
            "列入日期": _date(rng, y), "作出决定机关": _authority(e, "市场监督管理局"),
            "移出原因": "补报未报年份的年度报告并公示" if removed else None,
            "移出日期": _date(rng, min(2025, y + 1)) if removed else None})

    def penalty(self, e: Entity, dept: str, typ: str, prefix: str) -> None:
        rng, f = self.rng, set[str]()
        y = self.year(e, 2018)
        fire = typ == "fire_penalty"
        viol, basis = rng.choice(FIRE if fire else VIOLATIONS)
        kinds = rng.choice(["罚款", "警告；罚款", "罚款；没收违法所得", "通报批评", "责令停产停业", "罚款"])
        fine = rng.choice([0.05, 0.2, 0.5, 1, 2, 5, 10, 30])
        person = e.kind == "individual"
        org = None
        if e.kind != "individual" and rng.random() < 0.5 and e.org:
            org = v.code(rng, e.org, f)
            if org and rng.random() < 0.6 and org == e.org:
                org = e.org[:8] + "-" + e.org[8]
        uscc = v.uscc_cell(rng, e, f, y)
        if uscc and org is None and rng.random() < 0.04:  # the USCC under 组织机构代码
            org, uscc = uscc, None
            f.add("uscc_in_org_column")
        rep_id = None
        if person or rng.random() < 0.3:
            rep_id = v.id_cell(rng, e.legal_rep.id_number, f, mistype=0.08 if person else 0.03)
        self.add(e, dept, typ, prefix, y, f, {
            "行政相对人名称": self.name(e, y, f), "统一社会信用代码": uscc,
            "注册号": e.reg_no if (uscc is None or rng.random() < 0.2) else None,
            "组织机构代码": org, "法定代表人": e.legal_rep.name if rng.random() < 0.9 else None,
            "法定代表人证件号码": rep_id,
            "行政处罚决定书文号": f"{e.county.name[:2]}{'消' if fire else '市监'}罚〔{y}〕{rng.randint(1, 999)}号",
            "违法行为类型": viol, "违法事实": f"当事人{viol}，经查属实。", "处罚依据": basis,
            "处罚类别": kinds, "罚款金额（万元）": _amount(rng, fine) if "罚款" in kinds else rng.choice([None, "—", "无"]),
            "没收违法所得金额（万元）": _amount(rng, 0.3) if "没收" in kinds else None,
            "处罚决定日期": _date(rng, y), "处罚有效期": _date(rng, min(2027, y + 1)),
            "公示截止期": _date(rng, min(2028, y + rng.choice([1, 3]))),
            "处罚机关": _authority(e, "消防救援大队" if fire else "市场监督管理局" if dept == "commerce"
                               else "市场监督管理局（质量监督）"),
            "是否严重失信": "是" if "停产" in kinds else "否"})

    # tax ---------------------------------------------------------------------------------------
    def taxpayer(self, e: Entity, year: int, flags: set[str]) -> str | None:
        rng = self.rng
        if e.kind == "individual":
            if e.uscc is None or rng.random() < 0.65:
                flags.add("taxpayer_id_20")
                return v.id_cell(rng, e.taxpayer20, flags)
            return v.code(rng, e.uscc, flags)
        if e.legacy_taxpayer and (year < 2017 or rng.random() < 0.1):
            flags.add("taxpayer_id_15")
            return e.legacy_taxpayer
        return v.code(rng, e.uscc, flags) if e.uscc else e.legacy_taxpayer

    def ratings(self, e: Entity) -> None:
        rng = self.rng
        first = rng.randint(max(2014, e.established + 1), 2024) if e.established < 2024 else 2024
        last = min(2024, first + rng.choice([0, 1, 2, 3, 4, 5]))
        for y in range(first, last + 1):
            f = set[str]()
            grade = rng.choices("ABMCD", [30, 40, 15, 10, 5])[0]
            self.add(e, "tax", "credit_rating", "NS", y, f, {
                "纳税人识别号": self.taxpayer(e, y, f), "纳税人名称": self.tax_name(e, y, f),
                "评价年度": str(y) if rng.random() < 0.8 else f"{y}年", "信用等级": grade})

    def tax_name(self, e: Entity, y: int, f: set[str]) -> str:
        if e.kind == "individual":  # tax writes the full registered name with its division, mostly
            name = e.former[0] if e.former and y < e.renamed_year else e.name
            return v.individual_variant(self.rng, e, name, f, with_division=0.5, without=0.12)
        return self.name(e, y, f)

    def major_violation(self, e: Entity) -> None:
        rng, f = self.rng, set[str]()
        y = self.year(e, 2018)
        self.add(e, "tax", "major_violation", "ZD", y, f, {
            "纳税人识别号": self.taxpayer(e, y, f), "纳税人名称": self.tax_name(e, y, f),
            "组织机构代码": v.code(rng, e.org, f) if e.kind != "individual" and e.org and rng.random() < 0.6 else None,
            "注册地址": e.address if rng.random() < 0.8 else e.county.city + e.county.name,
            "法定代表人姓名": e.legal_rep.name, "法定代表人身份证号码": v.id_cell(rng, e.legal_rep.id_number, f, 0.05),
            "案件性质": rng.choice(["虚开增值税专用发票", "偷税", "逃避追缴欠税", "骗取出口退税"]),
            "主要违法事实": "经检查，该纳税人少缴税款。", "处理处罚情况": "依法追缴税款并处罚款。",
            "公布日期": _date(rng, y)})

    def arrears(self, e: Entity) -> None:
        rng, f = self.rng, set[str]()
        y = self.year(e, 2018)
        self.add(e, "tax", "arrears", "QS", y, f, {
            "纳税人识别号": self.taxpayer(e, y, f), "纳税人名称": self.tax_name(e, y, f),
            "法定代表人": e.legal_rep.name, "经营地点": e.address if rng.random() < 0.85 else None,
            "欠税税种": rng.choice(["增值税", "个人所得税", "城市维护建设税", "企业所得税"]),
            "欠税余额（元）": rng.choice([f"{rng.randint(100, 99999):,}.00", str(rng.randint(100, 9999)),
                                      f"{rng.randint(1, 50)}万"]),
            "公告日期": _date(rng, y)})

    # finance, quality, public security -----------------------------------------------------------
    def loan_default(self, e: Entity) -> None:
        rng, f = self.rng, set[str]()
        y = self.year(e, 2018)
        name = e.legal_rep.name if e.kind == "individual" and rng.random() < 0.2 else self.name(e, y, f)
        if name == e.legal_rep.name and e.region_style != "operator":
            f.add("borrower_is_operator")
        card = e.loan_card if rng.random() < 0.85 else None
        by_person = "borrower_is_operator" in f  # then the bank writes the business's code too
        uscc = v.uscc_cell(rng, e, f, y) if (card is None or by_person or rng.random() < 0.6) else None
        bal = rng.choice([5, 20, 80, 300, 1200])
        self.add(e, "finance", "loan_default", "XD", y, f, {
            "借款人名称": name, "统一社会信用代码": uscc, "贷款卡号": card,
            "贷款机构": rng.choice(LENDERS) + e.county.city_short + "分行", "合同编号": f"HT{y}{rng.randint(1, 99999):05d}",
            "贷款余额（万元）": _amount(rng, bal), "逾期金额（万元）": _amount(rng, bal / 4),
            "逾期天数": str(rng.randint(1, 720)), "五级分类": rng.choice(["关注", "次级", "可疑", "损失", "正常"]),
            "报告日期": _date(rng, y)})

    def spot_check(self, e: Entity) -> None:
        rng, f = self.rng, set[str]()
        y = self.year(e, 2018)
        c = e.county
        r = rng.random()
        where: str | None = e.address if r < 0.6 else c.city + c.name if r < 0.8 else c.name if r < 0.9 else None
        if 0.6 <= r < 0.9:
            f.add("district_only_address")
        result = rng.choice(["合格", "合格", "不合格"])
        self.add(e, "quality", "spot_check", "CC", y, f, {
            "受检单位名称": self.name(e, y, f),
            "组织机构代码": v.code(rng, e.org, f) if e.kind != "individual" and e.org and rng.random() < 0.6 else None,
            "所在地": where, "产品名称": e.product or rng.choice(["电线电缆", "食品添加剂", "儿童服装", "电动工具"]),
            "规格型号": rng.choice(["500g/袋", "BV-2.5", "110/56", "/"]), "生产日期或批号": f"{y}{rng.randint(1, 12):02d}01",
            "抽查结果": result, "不合格项目": "标签标识" if result == "不合格" else None,
            "检验机构": "湖南省产商品质量检验研究院", "抽查机关": c.city + "市场监督管理局", "公告日期": _date(rng, y)})

    def case(self, e: Entity) -> None:
        rng, f = self.rng, set[str]()
        y = self.year(e, 2018)
        self.add(e, "public_security", "case", "GA", y, f, {
            "涉案单位名称": self.name(e, y, f), "统一社会信用代码": v.uscc_cell(rng, e, f, y),
            "法定代表人": e.legal_rep.name, "法定代表人身份证号码": v.id_cell(rng, e.legal_rep.id_number, f, 0.05),
            "案件类别": rng.choice(["非法集资", "合同诈骗", "虚开发票", "生产销售伪劣产品", "非法经营"]),
            "立案日期": _date(rng, y), "案件状态": rng.choice(["立案侦查", "移送起诉", "已判决", "撤案"]),
            "办案单位": e.county.city + "公安局经济犯罪侦查支队"})


def make(world: World, seed: int) -> list[Record]:
    rng = random.Random(seed * 7919 + 1)
    m = Maker(world, rng)
    for e in world.entities:
        ind, comp = e.kind == "individual", e.kind in ("company", "branch")
        if e.kind != "other" or e.authority_in_commerce:
            m.registration(e)
        p = rng.random
        if p() < (0.03 if ind else 0.06 if comp else 0):
            m.abnormal(e)
        for _ in range(2 if p() < 0.2 else 1):
            if p() < (0.10 if ind else 0.10):
                m.penalty(e, "commerce", "penalty", "SJ")
        if p() < (0.04 if ind else 0.05):
            m.penalty(e, "quality", "penalty", "ZJ")
        if p() < (0.06 if ind else 0.03):
            m.penalty(e, "public_security", "fire_penalty", "XF")
        if p() < (0.45 if ind else 0.75 if comp else 0.4):
            m.ratings(e)
        if p() < (0.01 if ind else 0.015):
            m.major_violation(e)
        if p() < (0.05 if ind else 0.04):
            m.arrears(e)
        for _ in range(2 if p() < 0.3 else 1):
            if p() < 0.04:
                m.loan_default(e)
        if p() < (0.35 if e.manufacturer else 0.03):
            for _ in range(rng.choice([1, 1, 2])):
                m.spot_check(e)
        if p() < (0.004 if ind else 0.008):
            m.case(e)
    return m.out
