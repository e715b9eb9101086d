"""Chinese company names parsed into region, trade name (字号), industry, legal form and branch part.

``湖南（长沙）华盛网络科技有限公司岳麓分公司`` → region 4301 (长沙), trade 华盛, industry 网络科技,
form 有限, branch 岳麓分公司. Spelling variants of one legal form get one canonical form;
full-width forms, brackets and spaces are normalised first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from credit.kernel.identifiers import to_halfwidth
from matching import regions

_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "(", "】": ")", "[": "(", "]": ")", "〔": "(", "〕": ")"})
_SPACES = re.compile(r"[\s\u3000·•.,，、]+")

# longest first; value is the canonical legal form
LEGAL_FORMS: tuple[tuple[str, str], ...] = (
    ("(有限合伙)", "有限合伙"), ("(普通合伙)", "普通合伙"), ("(特殊普通合伙)", "普通合伙"),
    ("有限合伙企业", "有限合伙"), ("普通合伙企业", "普通合伙"), ("个人独资企业", "独资"),
    ("(个人独资)", "独资"), ("股份有限公司", "股份"), ("股份公司", "股份"), ("有限责任公司", "有限"),
    ("有限公司", "有限"), ("集团公司", "集团"), ("合伙企业", "普通合伙"), ("有限合伙", "有限合伙"),
    ("公司", "公司"),
)
BRANCH_SUFFIXES = ("分公司", "分店", "营业部", "办事处", "分厂", "分行", "支行", "分部", "分社", "分所",
                   "分中心", "代表处", "分理处", "分院", "分场")
_HEAD_ENDS = ("公司", "银行", "集团", "合伙)", "合伙", "企业", "店", "厂", ")", "社", "中心", "所", "行", "馆")
INDUSTRIES = (
    "科技", "技术", "信息", "网络", "电子", "软件", "通信", "数据", "智能", "互联网", "电子商务", "新材料",
    "材料", "建设", "建筑", "工程", "建材", "装饰", "装修", "设计", "房地产开发", "房地产", "置业", "地产",
    "物业", "物业管理", "管理", "贸易", "商贸", "国际贸易", "进出口", "实业", "投资", "控股", "集团", "资本",
    "资产管理", "金融", "担保", "融资租赁", "咨询", "顾问", "服务", "餐饮", "食品", "饮品", "农业", "农产品",
    "林业", "畜牧", "养殖", "种植", "生物", "医药", "制药", "医疗", "医疗器械", "健康", "机械", "设备",
    "制造", "机电", "电气", "电器", "电力", "能源", "新能源", "环保", "环境", "化工", "石化", "钢铁", "有色",
    "金属", "矿业", "物流", "运输", "供应链", "汽车", "汽车销售", "汽车服务", "文化", "传媒", "文化传媒",
    "广告", "影视", "教育", "培训", "旅游", "酒店", "酒店管理", "人力资源", "劳务", "印刷", "包装", "纺织",
    "服饰", "服装", "鞋业", "家具", "家居", "陶瓷", "塑料", "橡胶", "五金", "照明", "光电", "仪器", "仪表",
    "水务", "燃气", "热力", "发展", "开发", "经营", "销售", "商业", "连锁", "超市", "百货", "药房", "大药房",
    "米粉店", "粉店", "面馆", "饭店", "小吃店", "便利店", "超市店", "商店", "经营部", "门市部", "批发部",
    "维修部", "理发店", "美容店", "五金店", "水果店", "烟酒店", "茶馆", "诊所", "药店", "工作室", "加工厂",
    "厂", "店", "馆", "部", "行", "中心", "科技发展", "工贸", "电商", "安装", "市政", "园林", "绿化",
    "交通", "水利", "路桥", "钢结构", "混凝土", "石材", "木业", "纸业", "茶业", "酒业", "粮油", "水产",
)
# the organisational forms of an individual business's name (个体工商户名称登记管理办法: 厂, 店, 馆,
# 部, 行, 中心 …); a name with none of them and no legal form may still be one (its codes tell)
_INDIVIDUAL_ENDS = ("店", "馆", "铺", "坊", "部", "摊", "行", "厂", "场", "中心", "诊所", "室", "屋", "吧")
# what a public institution's or an office's name holds (长沙市岳麓区人民医院, …疾病预防控制中心, …财政局):
# never an individual business, and its district stays in its name core
_INSTITUTION_WORDS = ("人民", "政府", "委员会", "医院", "卫生", "疾病预防", "学校", "中学", "小学", "大学", "学院",
                      "幼儿园", "财政", "公安", "税务", "法院", "检察", "管理局", "研究", "局")
# common surnames (a person's name alone names an individual business: 周旭红, 欧阳建国)
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康"
    "施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗"
    "谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜"
    "冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝封洪丘鄢")
_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文",
                      "司徒", "夏侯", "轩辕", "端木", "南宫", "西门", "独孤", "万俟")


def person_name(text: str) -> bool:
    """Whether ``text`` reads as a person's name: a common surname and one or two characters."""
    if text[:2] in _COMPOUND_SURNAMES:
        return 3 <= len(text) <= 4
    return 2 <= len(text) <= 3 and text[0] in _SURNAMES


@dataclass(frozen=True, slots=True)
class ParsedName:
    """The parts of one company name."""

    normalized: str
    region: str | None
    trade: str
    industry: str
    form: str
    branch: str
    individual: bool
    county: str = ""  # the county-level division the name carries (岳麓区), as written
    bare: str = ""  # a company's core without the district it keeps in it (邵东县昊智商贸 -> 昊智商贸)

    @property
    def person_like(self) -> bool:
        """A bare name with no industry or form word that reads as a person's: an operator's own (周旭红)."""
        return not self.industry and not self.form and not self.branch and person_name(self.trade)

    @property
    def core(self) -> str:
        """Trade name and industry: the name without region, legal form or branch part."""
        return self.trade + self.industry

    @property
    def key(self) -> str:
        """Exact-match key: core, canonical legal form and branch part."""
        return f"{self.core}|{self.form}|{self.branch}"


def normalize(name: str) -> str:
    """Half width, one kind of bracket, no spaces or punctuation."""
    text = to_halfwidth(name).translate(_BRACKETS)
    return _SPACES.sub("", text).replace("()", "")


def _split_branch(text: str) -> tuple[str, str]:
    if not text.endswith(BRANCH_SUFFIXES):
        return text, ""
    body = text[: -2]
    cut = max((body.rfind(end) + len(end) for end in _HEAD_ENDS if body.rfind(end) > 0), default=-1)
    if cut <= 0:
        return text, ""
    return text[:cut], text[cut:]


def _branch_key(branch: str) -> str:
    region, rest = regions.strip_prefix(branch)
    rest = rest.replace("市", "").replace("区", "").replace("县", "")
    return (region or "") + ":" + rest


def _split_form(text: str) -> tuple[str, str]:
    found = ""
    while True:
        for spelling, form in LEGAL_FORMS:
            if text.endswith(spelling) and len(text) > len(spelling) + 1:
                text, found = text[: -len(spelling)], found or form
                break
        else:
            return text, found


def _split_region(text: str) -> tuple[str | None, str, str]:
    region: str | None = None
    for m in list(re.finditer(r"\(([^()]{2,12})\)", text)):
        code = regions.code_of(m.group(1))
        if code:
            region = code if region is None or len(code) > len(region) else region
            text = text.replace(m.group(), "", 1)
    lead, county, text = regions.split_county(text)
    if lead and (region is None or len(lead) > len(region)):
        region = lead
    return region, county, text.replace("(", "").replace(")", "")


_TRAILING_BRACKET = re.compile(r"\(([^()]{2,12})\)$")
_INDUSTRY_SET = frozenset(INDUSTRIES)
_INDUSTRY_LENGTHS = tuple(sorted({len(w) for w in INDUSTRIES}, reverse=True))


def _split_industry(text: str) -> tuple[str, str]:
    """Peel industry words off the end, the longest word first, leaving at least two characters."""
    industry = ""
    while len(text) > 2:
        for n in _INDUSTRY_LENGTHS:
            if len(text) - n >= 2 and text[-n:] in _INDUSTRY_SET:
                text, industry = text[:-n], text[-n:] + industry
                break
        else:
            break
    return text, industry


def as_company(name: ParsedName) -> ParsedName:
    """The name parsed as a company's (its district kept in its core), where the record's codes say it
    is no individual business though its name reads like one's."""
    if not name.county:
        return name
    trade, industry = _split_industry(name.county + name.trade + name.industry)
    return ParsedName(name.normalized, name.region, trade, industry, name.form, name.branch, False, "",
                      "".join(_split_industry(name.trade + name.industry)))


@lru_cache(maxsize=1 << 20)
def parse(name: str) -> ParsedName:
    """Parse one company name into its parts."""
    text = normalize(name)
    head, branch = _split_branch(text)
    trailing = _TRAILING_BRACKET.search(head)
    if trailing and regions.code_of(trailing.group(1)):
        # the region moved behind the legal form (佳康投资合伙企业(有限合伙)(湘潭)): read the form first
        head = trailing.group() + head[: trailing.start()]
    head, form = _split_form(head)
    region, county, rest = _split_region(head)
    individual = not form and not branch and rest.endswith(_INDIVIDUAL_ENDS) and \
        not any(w in rest for w in _INSTITUTION_WORDS)
    if county and not individual and not form and not branch and person_name(rest):
        individual = True  # 长沙市开福区范云明: a business known by its operator's name, with its division
    bare = ""
    if county and not individual:
        # a company keeps its district in its name core: 长沙市天心区华兴建材 and 长沙市开福区华兴建材 are
        # two lawful companies, and a word read as a district (市政工程, 阳光小区物业) is no district
        bare = "".join(_split_industry(rest))
        rest, county = county + rest, ""
    trade, industry = _split_industry(rest)
    return ParsedName(text, region, trade, industry, form, _branch_key(branch) if branch else "", individual,
                      county, bare)
