"""Administrative divisions (GB/T 2260 codes) and the word lists names are built from."""

from __future__ import annotations

from dataclasses import dataclass

# province code/name, city code/name/short name, counties (code, name)
CITIES: list[tuple[str, str, str, str, str, list[tuple[str, str]]]] = [
    ("43", "湖南", "4301", "长沙市", "长沙", [("430102", "芙蓉区"), ("430103", "天心区"), ("430104", "岳麓区"),
                                           ("430105", "开福区"), ("430111", "雨花区"), ("430112", "望城区"),
                                           ("430121", "长沙县"), ("430181", "浏阳市"), ("430182", "宁乡市")]),
    ("43", "湖南", "4302", "株洲市", "株洲", [("430202", "荷塘区"), ("430203", "芦淞区"), ("430204", "石峰区"),
                                           ("430211", "天元区"), ("430281", "醴陵市")]),
    ("43", "湖南", "4303", "湘潭市", "湘潭", [("430302", "雨湖区"), ("430304", "岳塘区"), ("430321", "湘潭县")]),
    ("43", "湖南", "4304", "衡阳市", "衡阳", [("430405", "珠晖区"), ("430406", "雁峰区"), ("430407", "石鼓区"),
                                           ("430408", "蒸湘区"), ("430421", "衡阳县")]),
    ("43", "湖南", "4306", "岳阳市", "岳阳", [("430602", "岳阳楼区"), ("430611", "君山区"), ("430621", "岳阳县")]),
    ("43", "湖南", "4307", "常德市", "常德", [("430702", "武陵区"), ("430703", "鼎城区")]),
    ("43", "湖南", "4305", "邵阳市", "邵阳", [("430502", "双清区"), ("430521", "邵东县")]),
    ("42", "湖北", "4201", "武汉市", "武汉", [("420102", "江岸区"), ("420103", "江汉区"), ("420106", "武昌区"),
                                           ("420111", "洪山区")]),
    ("44", "广东", "4401", "广州市", "广州", [("440104", "越秀区"), ("440105", "海珠区"), ("440106", "天河区")]),
    ("44", "广东", "4403", "深圳市", "深圳", [("440304", "福田区"), ("440305", "南山区")]),
    ("36", "江西", "3601", "南昌市", "南昌", [("360102", "东湖区"), ("360103", "西湖区")]),
]

PROVINCE_NAMES = {"43": "湖南省", "42": "湖北省", "44": "广东省", "36": "江西省"}


@dataclass(frozen=True)
class County:
    code: str
    name: str
    city_code: str
    city: str
    city_short: str
    province: str
    province_short: str


COUNTIES: list[County] = [County(code, name, ccode, city, short, PROVINCE_NAMES[p], pname)
                          for p, pname, ccode, city, short, counties in CITIES for code, name in counties]
# where most of the data lives: the deploying province (Hunan) weighs most
COUNTY_WEIGHTS = [6 if c.city_code == "4301" else 3 if c.city_code[:2] == "43" else 1 for c in COUNTIES]
# household-registration divisions of people (their ID numbers): rural counties, other provinces too
HOME_DIVISIONS = ["430521", "430524", "430623", "430721", "430922", "431022", "431121", "431224", "430181",
                  "430124", "421022", "422801", "360730", "450881", "511321", "430104", "430102", "440106"]

ROADS = ["麓山南路", "五一大道", "芙蓉中路", "人民东路", "韶山北路", "桐梓坡路", "枫林三路", "建设路", "解放路",
         "中山路", "书院路", "湘江中路", "车站北路", "劳动西路", "新民路", "黄兴路", "金星北路", "岳麓大道"]

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
                "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红旭玉兰志文辉斌波宇浩凯鹏飞丹萍婷雪梅琳"
             "春燕海龙云峰晨阳光荣德贵福生金水林森松柏永利兴旺淑珍凤英")

# trade-name characters (字号) for companies; pairs are drawn so a trade name is unique in its industry
TRADE_CHARS = list("华信鑫源达恒泰瑞丰盛隆昌宏远创新博汇科弘嘉禾中天宇航通顺祥和安康富民益众联合金银星月晟昊德"
                   "润泽辉煌卓越宝利永兴万家百福佳美尚品正道启明智辰易捷思成致远")
# one character apart, as registrars accept them (同音近形字号)
NEAR_CHARS = {"信": "鑫", "鑫": "新", "华": "骅", "源": "元", "达": "大", "恒": "衡", "泰": "太", "瑞": "锐",
              "丰": "峰", "盛": "晟", "隆": "龙", "昌": "长", "宏": "弘", "远": "源", "创": "川", "新": "欣",
              "博": "柏", "汇": "惠", "科": "可", "嘉": "佳", "禾": "和", "中": "众", "天": "田", "宇": "雨"}

COMPANY_INDUSTRIES = ["科技", "信息技术", "建设", "建筑工程", "食品", "餐饮管理", "医药", "贸易", "商贸", "物流",
                      "机械制造", "房地产开发", "农业发展", "环保科技", "电子", "文化传媒", "教育咨询", "汽车销售",
                      "装饰工程", "生物科技", "新材料", "电力工程", "酒店管理", "供应链管理", "服饰"]
MANUFACTURING = {"食品", "机械制造", "电子", "新材料", "生物科技", "服饰", "医药"}

# individual businesses: (industry + organisational form, product for a spot check or None)
INDIVIDUAL_KINDS: list[tuple[str, str | None]] = [
    ("米粉店", None), ("副食店", "散装白酒"), ("小吃店", None), ("理发店", None), ("美容美发店", None),
    ("五金店", "插座"), ("便利店", "瓶装饮用水"), ("水果店", None), ("烟酒店", "白酒"), ("早餐店", None),
    ("饭馆", None), ("面馆", None), ("茶馆", "绿茶"), ("餐馆", None), ("百货商行", "塑料盆"), ("日杂商行", None),
    ("粮油行", "大米"), ("车行", "电动自行车"), ("电器经营部", "电热水壶"), ("建材经营部", "水泥"),
    ("服装门市部", "童装"), ("农资门市部", "复合肥"), ("摩托车修理部", None), ("小卖部", "饼干"),
    ("汽车修理部", None), ("豆腐厂", "豆腐"), ("米厂", "大米"), ("木材加工厂", "胶合板"), ("酱菜厂", "酱菜"),
    ("养殖场", None), ("养猪场", None), ("洗车场", None), ("家电维修中心", None), ("养生中心", None),
    ("汽车服务中心", None), ("诊所", None), ("口腔诊所", None), ("摄影工作室", None), ("设计工作室", None),
    ("水果摊", None), ("蔬菜摊", None), ("快餐店", None), ("药店", None), ("眼镜店", "眼镜"),
]
# generic individual trade names: many businesses in many places carry them (刘记米粉店)
GENERIC_TRADE = ["刘记", "王记", "张记", "李记", "陈记", "老王", "老李", "阿香", "湘味", "好运来", "鑫鑫", "兴旺",
                 "惠民", "便民", "家家乐", "红红", "平价", "诚信", "顺发", "老街"]

OTHER_AUTHORITY = [  # (authority, kind, name pattern, registered in commerce?)
    ("1", "2", "{county}人民医院", False), ("1", "2", "{county}第一中学", False),
    ("5", "1", "{city}{trade}行业协会", False), ("5", "2", "{county}{trade}幼儿园", False),
    ("N", "1", "{county}{trade}村股份经济合作社", False), ("9", "3", "{county}{trade}种植专业合作社", True),
    ("Y", "1", "{city}{trade}商会", False),
]
