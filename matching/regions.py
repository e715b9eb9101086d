"""A compact region table: provinces, major cities and their division codes (GB/T 2260).

Enough to read a region out of a company name or an address and to compare it with the division
code inside a USCC (characters 3-8). Regions are compared as codes: ``"43"`` a province,
``"4301"`` a city; a city agrees with its own province.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

PROVINCES: dict[str, str] = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古", "21": "辽宁", "22": "吉林",
    "23": "黑龙江", "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西",
    "37": "山东", "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
    "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏", "61": "陕西", "62": "甘肃",
    "63": "青海", "64": "宁夏", "65": "新疆",
}

CITIES: dict[str, str] = {
    "1301": "石家庄", "1302": "唐山", "1303": "秦皇岛", "1304": "邯郸", "1306": "保定", "1310": "廊坊",
    "1401": "太原", "1402": "大同", "1501": "呼和浩特", "1502": "包头", "1504": "赤峰", "1506": "鄂尔多斯",
    "2101": "沈阳", "2102": "大连", "2103": "鞍山", "2201": "长春", "2202": "吉林市", "2301": "哈尔滨",
    "2302": "齐齐哈尔", "2306": "大庆", "3201": "南京", "3202": "无锡", "3203": "徐州", "3204": "常州",
    "3205": "苏州", "3206": "南通", "3207": "连云港", "3209": "盐城", "3210": "扬州", "3211": "镇江",
    "3301": "杭州", "3302": "宁波", "3303": "温州", "3304": "嘉兴", "3305": "湖州", "3306": "绍兴",
    "3307": "金华", "3310": "台州", "3401": "合肥", "3402": "芜湖", "3403": "蚌埠", "3501": "福州",
    "3502": "厦门", "3503": "莆田", "3505": "泉州", "3506": "漳州", "3601": "南昌", "3602": "景德镇",
    "3607": "赣州", "3701": "济南", "3702": "青岛", "3703": "淄博", "3706": "烟台", "3707": "潍坊",
    "3708": "济宁", "3710": "威海", "3713": "临沂", "4101": "郑州", "4102": "开封", "4103": "洛阳",
    "4107": "新乡", "4201": "武汉", "4202": "黄石", "4203": "十堰", "4205": "宜昌", "4206": "襄阳",
    "4210": "荆州", "4301": "长沙", "4302": "株洲", "4303": "湘潭", "4304": "衡阳", "4305": "邵阳",
    "4306": "岳阳", "4307": "常德", "4308": "张家界", "4309": "益阳", "4310": "郴州", "4311": "永州",
    "4312": "怀化", "4313": "娄底", "4331": "湘西", "4401": "广州", "4402": "韶关", "4403": "深圳",
    "4404": "珠海", "4405": "汕头", "4406": "佛山", "4407": "江门", "4408": "湛江", "4409": "茂名",
    "4412": "肇庆", "4413": "惠州", "4414": "梅州", "4419": "东莞", "4420": "中山", "4451": "潮州",
    "4452": "揭阳", "4501": "南宁", "4502": "柳州", "4503": "桂林", "4505": "北海", "4601": "海口",
    "4602": "三亚", "5101": "成都", "5103": "自贡", "5106": "德阳", "5107": "绵阳", "5113": "南充",
    "5115": "宜宾", "5201": "贵阳", "5203": "遵义", "5301": "昆明", "5303": "曲靖", "5401": "拉萨",
    "6101": "西安", "6103": "宝鸡", "6104": "咸阳", "6201": "兰州", "6301": "西宁", "6401": "银川",
    "6501": "乌鲁木齐", "6502": "克拉玛依",
}

# the four municipalities are cities too: one code for both levels
_MUNICIPALITIES = {"11": "北京", "12": "天津", "31": "上海", "50": "重庆"}

_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州", "省", "市", "地区", "盟")

NAME_TO_CODE: dict[str, str] = {}
for _code, _name in {**PROVINCES, **CITIES}.items():
    NAME_TO_CODE[_name] = _code
for _code, _name in _MUNICIPALITIES.items():
    NAME_TO_CODE[_name] = _code
NAME_TO_CODE["吉林市"] = "2202"
NAME_TO_CODE["吉林"] = "22"

_NAMES = sorted(NAME_TO_CODE, key=len, reverse=True)
_PREFIX = re.compile(
    "^(?:" + "|".join(map(re.escape, _NAMES)) + ")(?:" + "|".join(map(re.escape, _SUFFIXES)) + ")?"
)
# a county-level division: after a city name any district, county, banner or county-level city
# (岳麓区, 长沙县, 浏阳市); with no city before it, two characters at least (社区, 超市, 市场 are none)
_COUNTY_AFTER_CITY = re.compile(r"^(?:[\u4e00-\u9fff]{1,4}?(?:新区|区|县|旗)|[\u4e00-\u9fff]{2}市)")
_COUNTY_ALONE = re.compile(r"^(?:[\u4e00-\u9fff]{2,4}?(?:新区|区|县|旗)|[\u4e00-\u9fff]{2}市(?!场))")


def code_of(name: str) -> str | None:
    """The division code of a province or city name, with or without 省/市/自治区."""
    if name in NAME_TO_CODE:
        return NAME_TO_CODE[name]
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in NAME_TO_CODE:
            return NAME_TO_CODE[name[: -len(suffix)]]
    return None


def strip_prefix(text: str) -> tuple[str | None, str]:
    """Read leading province / city names off ``text``: (finest region code, the rest)."""
    region: str | None = None
    while (m := _PREFIX.match(text)) and len(text) - m.end() >= 2:
        code = code_of(m.group())
        if code is None:
            break
        if region is None or len(code) > len(region):
            region = code
        text = text[m.end():]
    return region, text


def split_county(text: str, rest: int = 2) -> tuple[str | None, str, str]:
    """Read a leading province / city and county-level division off ``text``: (finest region
    code, the county division as written, e.g. ``岳麓区``, or "", the rest). The county is read
    before a further city name would be (长沙市长沙县 is the county 长沙县 of 长沙). At least
    ``rest`` characters are left (a name is more than its place; an address may be only a place)."""
    region: str | None = None
    while True:
        county = (_COUNTY_AFTER_CITY if region else _COUNTY_ALONE).match(text)
        if county and len(text) - county.end() >= rest and county.group() not in NAME_TO_CODE and \
                code_of(county.group()) is None:
            return region, county.group(), text[county.end():]
        m = _PREFIX.match(text)
        if not m or len(text) - m.end() < rest:
            return region, "", text
        code = code_of(m.group())
        if code is None:
            return region, "", text
        if region is None or len(code) > len(region):
            region = code
        text = text[m.end():]


def division_region(division: str) -> str | None:
    """The city (or else province) code of a 6-digit division code, as far as the table knows it."""
    if len(division) < 4 or not division[:4].isdigit():
        return None
    if division[:2] in _MUNICIPALITIES:
        return division[:2]
    if division[:4] in CITIES:
        return division[:4]
    return division[:2] if division[:2] in PROVINCES else None


@cache
def _counties() -> dict[str, str]:
    """County-level division codes and names (matching/data/counties.txt)."""
    out: dict[str, str] = {}
    with open(Path(__file__).with_name("data") / "counties.txt", encoding="utf-8") as fh:
        for line in fh:
            if line[:1].isdigit():
                code, name = line.split()
                out[code] = name
    return out


def county_of(division: str) -> str:
    """The county-level division (岳麓区) a 6-digit division code names, or "" (a city's own code,
    one the table does not know)."""
    return _counties().get(division, "") if len(division) == 6 and not division.endswith("00") else ""


def street(address: str) -> str:
    """An address without its province, city and county (written with or without them); "" when
    the address is only a place (a spot check's 所在地 of ``长沙市岳麓区``)."""
    return split_county(address, 0)[2]


def finest(*found: str | None) -> str | None:
    """The region a record tells: the first one found (name, then address, then code), made finer
    by a later one inside it (湖南星宇汽车服务有限公司 at an address in 湘潭 is in 湘潭)."""
    region: str | None = None
    for r in found:
        if r and (region is None or (len(r) > len(region) and r.startswith(region))):
            region = r
    return region


def finest_of(found: frozenset[str]) -> frozenset[str]:
    """The regions of a set that no finer region of the set lies in ({43, 4303} → {4303})."""
    if len(found) < 2:
        return found
    return frozenset(r for r in found if not any(q != r and q.startswith(r) for q in found))


def agree(left: str | None, right: str | None) -> bool | None:
    """Whether two region codes agree (a city agrees with its province); None when one is unknown."""
    if not left or not right:
        return None
    return left.startswith(right) or right.startswith(left)
