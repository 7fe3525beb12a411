"""The fixed data of the demo city 潍坊市: the 峡山区 district in full (places, the source's
figures, tag vocabularies, organisations, name lists and logins) and, beside it, the city-centre
district 奎文区 with the source's 东关街道 (its communities, their 楼院 and logins).

Everything that varies (people, households, ages, tags, who holds which post) is drawn by
`builder/` from a seeded random generator; everything here is the same in every build. The
district, the street 太保庄街道, the communities 文岭社区 and 营辉社区 and the villages 王家庄村
and 营辉村 are named in the source, and 峡山区 has the four streets below; the other communities
and villages are plausible local names made up for the demo. Division codes are illustrative
codes in the range of county code 370772.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

DEFAULT_SEED = 20150810  # the date of the source's reports
# Shared by every demo login and printed by `linli demo`; it meets the password rules.
DEMO_PASSWORD = "Linli-demo-2026"  # noqa: S105 — public on purpose, demo data only
DEMO_URL = "http://127.0.0.1:8000"

COUNTY_CODE = "370772"  # ID numbers of people born in the district
# Neighbouring counties of Weifang, for people who married into the district.
NEARBY_COUNTY_CODES = ("370702", "370703", "370705", "370724", "370725", "370782", "370783")


@dataclass(frozen=True)
class CommunityData:
    name: str
    villages: tuple[str, ...]


@dataclass(frozen=True)
class StreetData:
    name: str
    code: str
    communities: tuple[CommunityData, ...]


# The root of the demo's area tree: the city the source page covers. 峡山区 and 奎文区 are two
# of its districts (the others arrive with the modules that need them).
CITY_NAME = "潍坊市"
CITY_CODE = "370700000000"

DISTRICT_NAME = "峡山区"
DISTRICT_CODE = "370772000000"

# The four streets 街道 of 峡山区 with their 26 new rural communities 农村新型社区 and 277
# villages: a street line gives its name and division code, each indented line a community and
# its villages, the community's seat village first.
_LAYOUT = """
太保庄街道 370772001000
    文岭社区 王家庄村 文岭村 北岭村 前楼村 西河村 高家峪村 许家沟村 东寨村 许家疃村 东楼村 杏园村
    营辉社区 营辉村 后营村 辛庄村 河崖村 东泉村 东官庄村 东疃村 下里村 北河村 后坡村 小湾村
    卧龙社区 卧龙村 李家庄村 孙家岭村 小店子村 冯家峪村 付家河村 大庙村 小官庄村 戴家庄村 展家埠村
    太保庄社区 太保庄村 卢家台村 小营村 冯家疃村 西寨村 大庄村 谭家洼村 董家庄村 前沟村 姜家泊村 小疃村
    青山社区 青山村 北庄村 南埠村 孙家庄村 西里村 葛家寨村 西湾村 上屯村 薛家庄村 大沟村
    崖头社区 崖头村 前官庄村 许家湾村 吕家埠村 槐树村 卧虎村 孙家营村 东店子村 田家庄村 南泉村 管家营村
    石埠社区 石埠村 郎家台村 谭家台村 后屯村 丁家庄村 蔺家庄村 北崖村 赵家崖村 后石河村 宅科村 隋家庄村
王家庄街道 370772002000
    东朱社区 东朱村 西朱村 马家庄村 于家庄村 东峪村 邱家泊村 隋家屯村 安乐村 后崖村 西峪村 新安村
    渠河社区 渠河村 河西村 韩家庄村 庄头村 丁家院村 东石河村 单家店村 大泊村 前庙村 上官庄村
    南孟社区 南孟村 北孟村 周家庄村 大官庄村 上营村 卢家庄村 下峪村 大石河村 石家河村 冯家寨村 丁家岭村
    宋家庄社区 宋家庄村 前埠村 后泊村 下坡村 后泉村 后寨村 付家岭村 郭家泊村 曹家埠村 上庄村
    浯河社区 浯河村 上岭村 下庙村 许家庄村 大疃村 徐家屯村 西沟村 大寨村 崔家崖村 蔺家店村 曹家泊村
    柳沟社区 柳沟村 崔家庄村 石门村 南屯村 南泊村 北峪村 戴家楼村 前疃村 曹家庄村 前营村 后庙村
岞山街道 370772003000
    岞山社区 岞山村 前寨村 北营村 小崖村 蔺家台村 南楼村 杨家寨村 魏家坡村 南湾村 北泉村 崔家寨村 魏家峪村
    东岞社区 东岞村 下泉村 西楼村 刘家岭村 下疃村 栾家沟村 小埠村 西屯村 管家寨村 苗家屯村
    河湾社区 河湾村 前洼村 后洼村 小楼村 后楼村 田家坡村 栾家峪村 北里村 上峪村 大湾村 十里堡村
    龙泉社区 龙泉村 前石河村 南岭村 上店子村 南庄村 石桥村 花园村 苗家营村 上庙村 郭家洼村
    杨家埠社区 杨家埠村 小河村 綦家埠村 郎家崖村 展家峪村 上泉村 前泊村 闫家台村 前里村 大峪村 小里村
    双庙社区 双庙村 小石河村 南坡村 刘家泊村 陈家屯村 上埠村 郎家疃村 前峪村 綦家泊村 大坡村
郑公街道 370772004000
    郑公社区 郑公村 赵家岭村 孟家埠村 下埠村 朱家湾村 闫家庄村 下台村 龙湾村 隋家埠村 三里村 董家楼村
    后店社区 后店村 永安村 东埠村 魏家庄村 前湾村 东河村 刘家埠村 下崖村 南台村 西店子村
    梁家庄社区 梁家庄村 邢家屯村 袁家庄村 管家岭村 吕家店村 张家庄村 陈家埠村 上河村 小坡村 魏家岭村 邱家院村
    洼里社区 洼里村 东营村 南疃村 卢家峪村 南庙村 栾家庄村 小岭村 杨家疃村 下河村 葛家庄村
    双羊社区 双羊村 东泊村 大台村 下寨村 北官庄村 西台村 上泊村 丁家台村 南崖村 田家埠村 赵家沟村
    红石社区 红石村 东坡村 西坡村 白庙村 东崖村 付家庄村 后河村 官道村 南里村 大店子村
    峒峪社区 峒峪村 北泊村 牟家沟村 郭家台村 前岭村 黄埠村 邱家庄村 前屯村 东湾村 福胜村 大埠村
"""


def _streets(layout: str) -> tuple[StreetData, ...]:
    streets: list[tuple[str, str, list[CommunityData]]] = []
    for line in layout.strip().splitlines():
        if not line.startswith(" "):
            name, code = line.split()
            streets.append((name, code, []))
        else:
            community, *villages = line.split()
            streets[-1][2].append(CommunityData(community, tuple(villages)))
    return tuple(StreetData(name, code, tuple(cs)) for name, code, cs in streets)


STREETS: tuple[StreetData, ...] = _streets(_LAYOUT)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# --- the source's figures -------------------------------------------------------------------

HOUSEHOLDS = 65_549  # 农户
POOR_HOUSEHOLDS = 2_271  # 困难户, every one covered
FIRST_SECRETARIES = 54  # 第一书记, sent down by district departments
CIVIL_SERVANTS = 27  # 公务员 sent down to the streets
GRADUATE_VILLAGE_OFFICIALS = 6  # 大学生村官 sent down to the streets
AGENCY_CADRES = 142  # 机关干部 sent from the streets to the communities
# 275 village party secretaries sit on the general party branches: two pairs of small
# neighbouring villages share one joint branch 联合党支部, so 277 villages have 275 branches.
JOINT_BRANCHES: tuple[tuple[str, str], ...] = (("前洼村", "后洼村"), ("东坡村", "西坡村"))
# 26 service halls in every community, but 22 clinics and 24 police rooms.
COMMUNITIES_WITHOUT_CLINIC = ("东岞社区", "洼里社区", "双庙社区", "青山社区")
COMMUNITIES_WITHOUT_POLICE_ROOM = ("龙泉社区", "后店社区")

# --- how the households are drawn -----------------------------------------------------------

# A village's households: drawn between these bounds (most near the lower third), then nudged
# so that the district has exactly HOUSEHOLDS. The joint-branch villages are the small ones.
VILLAGE_HOUSEHOLDS = (150, 350)
SMALL_VILLAGE_HOUSEHOLDS = (150, 165)
# The small build (`linli demo --small`, the tests): the same places, organisations and posts,
# but only this many households a village.
SMALL_BUILD_HOUSEHOLDS = (4, 6)
# A village is split into grids 网格 of about this many households each (100–150 mostly).
GRID_HOUSEHOLDS = 125
GRID_NAMES = tuple(
    f"第{n}网格" for n in ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")
)
# A party-member central household 党员中心户 keeps in touch with its 10–15 neighbours: about
# one household in this many is one.
CENTRAL_HOUSEHOLD_EVERY = 12

# Surnames of the Weifang countryside with rough weights; a village named after a clan
# (李家庄村, 孙家岭村) has that surname in about half its families.
SURNAMES: tuple[tuple[str, int], ...] = tuple(
    (name, int(weight))
    for name, weight in (
        item.split(":")
        for item in _words(
            "王:90 张:70 刘:62 李:60 孙:34 赵:32 杨:28 陈:28 于:26 马:24 高:22 郭:20 徐:18 "
            "周:16 韩:15 宋:14 梁:13 丁:13 田:12 董:12 袁:10 邱:10 姜:10 曹:10 冯:10 谭:8 "
            "綦:8 卢:8 许:8 朱:8 牟:7 隋:7 邢:7 臧:6 单:6 潘:6 管:6 郎:5 栾:6 苗:5 石:6 "
            "葛:6 崔:7 戴:5 付:6 吕:6 闫:5 魏:7 薛:5 吴:7 黄:6 胡:6 林:6 程:5 尹:5 唐:4 "
            "范:5 任:5 秦:4 毕:5 孟:6 鞠:4 谢:4 郑:6 蔡:3 贾:4 侯:4 逄:3 仇:3 滕:3"
        )
    )
)
# Given names by when a person was born: older people are 秀英 and 德明, the youngest 欣怡 and
# 浩然. Keyed by the last birth year of each era.
GIVEN_NAMES: dict[str, dict[int, tuple[str, ...]]] = {
    "male": {
        1959: _words(
            "建国 国庆 德明 德胜 德华 振华 玉林 玉山 永福 永祥 金山 长林 长福 树林 宝山 连生 "
            "学文 世昌 守义 殿元 广田 洪亮 立春 传福 汝田 来福 兆祥 希贵 春生 文明 秀山 "
            "明德 庆余 修田 清泉 福来 学礼 继武 延年 成林"
        ),
        1984: _words(
            "志强 建华 建军 海涛 伟 勇 军 刚 强 磊 明 华 峰 涛 波 鹏 志刚 志勇 国强 卫东 "
            "红军 新民 立新 建平 洪涛 海波 春雷 晓东 学军 光明 明亮 庆华 永强 志国 文军 "
            "玉军 立国 卫国 兆军 洪伟 东升 志辉 振东 建民 海军 学东 德利 爱国 风雷 炳利"
        ),
        1999: _words(
            "鹏 超 帅 凯 磊 鑫 浩 健 亮 晨 伟 杰 斌 龙 阳 晓宇 振宇 文博 鹏飞 晓明 晓龙 "
            "海龙 俊杰 建伟 志鹏 明阳 子健 文龙 家乐 宁 坤 昊 旭 飞"
        ),
        9999: _words(
            "浩然 子轩 宇航 浩宇 梓豪 一鸣 子豪 博文 泽宇 昊天 晨阳 嘉豪 家豪 皓轩 "
            "宇轩 志豪 明轩 思远 天宇 雨泽 子墨 铭 佳乐 锦程 俊熙 奕辰 睿 宸 安 瑞 "
            "沐阳 梓睿 子航 浩轩"
        ),
    },
    "female": {
        1959: _words(
            "秀英 桂兰 玉兰 秀兰 桂英 秀珍 凤英 玉珍 桂芝 淑珍 兰英 玉梅 秀芝 春兰 凤兰 "
            "翠兰 玉英 桂香 秀云 素芳 金凤 淑英 爱莲 玉芬 桂荣 秀荣 春英 秀华 美英 玉华"
        ),
        1984: _words(
            "丽 敏 静 燕 霞 红 艳 娟 芳 萍 玲 丽华 秀梅 红梅 海燕 春燕 晓燕 丽娟 美玲 爱华 "
            "淑芳 翠萍 艳红 雪梅 玉霞 彩霞 金霞 秀丽 丽萍 红霞 晓红 玉红 春梅 冬梅 桂梅"
        ),
        1999: _words(
            "婷 倩 颖 雪 娜 静 佳 璐 慧 晶 蕾 婷婷 晶晶 丽娜 晓丽 晓雪 晓琳 文静 雪莹 "
            "梦洁 佳慧 雅琪 欣 悦 琳 瑶 莹 楠 丹 晨 亚楠 珊珊"
        ),
        9999: _words(
            "欣怡 梓涵 子涵 诗涵 雨涵 可馨 思雨 佳怡 一诺 梦瑶 雅婷 紫涵 婉婷 心怡 雨欣 "
            "晓彤 佳琪 梦琪 思琪 雨桐 欣妍 若曦 语嫣 梓萱 依诺 诗琪 安琪 可欣 沐晴 芷若"
        ),
    },
}
# Mobile number prefixes of the three carriers.
MOBILE_PREFIXES = _words(
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "176 177 178 180 181 182 183 185 186 187 188 189 198"
)


@dataclass(frozen=True)
class TagData:
    name: str
    description: str = ""
    sensitive: bool = False
    detail_label: str = ""
    detail_choices: tuple[str, ...] = ()


HOUSEHOLD_TAGS: tuple[TagData, ...] = (
    TagData("困难户", "家庭生活困难，纳入帮扶", sensitive=True),
    TagData("低保", "最低生活保障家庭", sensitive=True),
    TagData("特困", "特困人员供养（五保）", sensitive=True),
    TagData("残疾人家庭", "家庭成员中有持证残疾人", sensitive=True),
    TagData("留守", "主要劳动力外出务工，家中有留守人员"),
    TagData("党员中心户", "联系周边农户的党员家庭"),
    TagData("军属", "家庭成员现役或曾服役"),
)

DISABILITY_GRADES = ("一级", "二级", "三级", "四级")
SCHOOL_STAGES = ("学前", "小学", "初中", "高中", "大学")
CHRONIC_ILLNESSES = ("高血压", "糖尿病", "脑血栓", "冠心病", "慢性支气管炎", "类风湿关节炎")

RESIDENT_TAGS: tuple[TagData, ...] = (
    TagData(
        "残疾",
        "持有残疾人证",
        sensitive=True,
        detail_label="残疾等级",
        detail_choices=DISABILITY_GRADES,
    ),
    TagData("党员", "中共党员"),
    TagData("在校学生", "", detail_label="学段", detail_choices=SCHOOL_STAGES),
    TagData("慢性病", "需长期治疗的慢性病", sensitive=True, detail_label="病种"),
    TagData("80岁以上", "高龄老人"),
    TagData("留守老人", "子女外出务工的老人", sensitive=True),
    TagData("留守儿童", "父母外出务工的未成年人", sensitive=True),
    TagData("留守妇女", "丈夫外出务工的妇女", sensitive=True),
    TagData("外出务工", "户籍在本村、在外地务工"),
    # The bodies that vote on residents-decide matters 由民做主 (a vote's roll is read from them).
    TagData("居民代表", "社区居民代表会议成员"),
    TagData("楼长", "楼院楼长"),
)

# District departments 区直部门 (short name used in post titles, full name). They send the first
# secretaries down to the villages; police rooms and clinics sit under 公安分局 and 卫健局.
DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("民政局", "峡山区民政局"),
    ("人社局", "峡山区人力资源和社会保障局"),
    ("卫健局", "峡山区卫生健康局"),
    ("教育局", "峡山区教育局"),
    ("残联", "峡山区残疾人联合会"),
    ("妇联", "峡山区妇女联合会"),
    ("组织部", "峡山区党工委组织部"),
    ("财政局", "峡山区财政局"),
    ("农业农村局", "峡山区农业农村局"),
    ("住建局", "峡山区住房和城乡建设局"),
    ("水利局", "峡山区水利局"),
    ("公安分局", "峡山区公安分局"),
)
CLINIC_DEPARTMENT = "峡山区卫生健康局"
POLICE_DEPARTMENT = "峡山区公安分局"

# Name patterns of the organisations of a community (each one's kind and name) and a village.
COMMUNITY_ORGANISATIONS: tuple[tuple[str, str], ...] = (
    ("general_party_branch", "{name}党总支"),
    ("service_hall", "{name}便民服务大厅"),
    ("clinic", "{name}卫生室"),
    ("police_room", "{name}警务室"),
)
# Where residents find the offices they may be asked to come to.
HALL_ADDRESS = DISTRICT_NAME + "{street}{name}党群服务中心一楼"
STREET_OFFICE_ADDRESS = DISTRICT_NAME + "{street}政务服务中心"
VILLAGE_BRANCH = "{name}党支部"
JOINT_BRANCH = "{first}、{second}联合党支部"
VILLAGE_COMMITTEE = "{name}村民委员会"


@dataclass(frozen=True)
class NamedResident:
    """A resident the source names, with the facts it gives about them."""

    name: str
    village: str
    age: int
    male: bool
    personal_tags: tuple[tuple[str, str], ...]
    household_tags: tuple[tuple[str, str], ...]
    # (relation, name, age, male, tags) of the other members of the household
    family: tuple[tuple[str, str, int, bool, tuple[tuple[str, str], ...]], ...] = field(default=())


# 刘志辉: 王家庄村, disabled, poor household, daughter in primary school. 困难户 is added after
# registration by the community worker, as in the source, so his household's timeline shows it.
LIU_ZHIHUI = NamedResident(
    name="刘志辉",
    village="王家庄村",
    age=41,
    male=True,
    personal_tags=(("残疾", "二级"),),
    household_tags=(("残疾人家庭", ""),),
    family=(
        ("spouse", "王秀英", 39, False, ()),
        ("child", "刘欣怡", 9, False, (("在校学生", "小学"),)),
    ),
)
LIU_ZHIHUI_LATER_TAGS = (("残疾人家庭", ""), ("困难户", ""))

# 张炳利: 营辉社区, 66, cerebral thrombosis, first treated at the community clinic.
ZHANG_BINGLI = NamedResident(
    name="张炳利",
    village="营辉村",
    age=66,
    male=True,
    personal_tags=(("慢性病", "脑血栓"),),
    household_tags=(),
    family=(("spouse", "李桂兰", 64, False, (("慢性病", "高血压"),)),),
)
NAMED_RESIDENTS = (LIU_ZHIHUI, ZHANG_BINGLI)


@dataclass(frozen=True)
class DemoLogin:
    """One demo login: a user name per role, the area of the grant, a display name and the post
    the person holds. `area` is an area name, or "village/grid" for a grid; a display name with
    "{holder}" takes the name of the registry resident who holds the post."""

    role: str
    username: str
    display_name: str
    area: str
    organisation: str = ""  # the grant's organisation (department staff)
    post_kind: str = ""
    post_title: str = ""
    post_organisation: str = ""


# The system's own accounts serve the whole city: 三权分立, one person per role.
CITY_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("administrator", "administrator", "系统管理员", CITY_NAME),
    DemoLogin("security_officer", "security_officer", "安全管理员", CITY_NAME),
    DemoLogin("auditor", "auditor", "审计管理员", CITY_NAME),
)
# 峡山区: one login for each of its roles.
DISTRICT_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("resident", "resident", "刘志辉", "王家庄村"),
    DemoLogin(
        "grid_worker",
        "grid_worker",
        "赵敏",
        "王家庄村/第一网格",
        post_kind="grid_worker",
        post_title="王家庄村第一网格网格员",
        post_organisation="王家庄村村民委员会",
    ),
    DemoLogin(
        "village_cadre",
        "village_cadre",
        "{holder}",
        "王家庄村",
        post_kind="village_branch_secretary",
        post_title="王家庄村党支部书记",
        post_organisation="王家庄村党支部",
    ),
    DemoLogin(
        "community_worker",
        "community_worker",
        "孙丽",
        "文岭社区",
        post_kind="hall_staff",
        post_title="文岭社区便民服务大厅工作人员",
        post_organisation="文岭社区便民服务大厅",
    ),
    DemoLogin(
        "street_cadre",
        "street_cadre",
        "陈志强",
        "太保庄街道",
        post_kind="other",
        post_title="太保庄街道社会事务办主任",
        post_organisation="太保庄街道办事处",
    ),
    DemoLogin(
        "department_staff",
        "department_staff",
        "周婷",
        DISTRICT_NAME,
        organisation="峡山区民政局",
        post_kind="department_staff",
        post_title="社会救助科科员",
        post_organisation="峡山区民政局",
    ),
    DemoLogin(
        "district_leader",
        "district_leader",
        "郑国华",
        DISTRICT_NAME,
        post_kind="district_leader",
        post_title="副区长（联系太保庄街道）",
    ),
    DemoLogin(
        "panel_member",
        "panel_member",
        "吴德明",
        "文岭社区",
        post_kind="other",
        post_title="文岭社区顾问团成员",
        post_organisation="文岭社区党总支",
    ),
)

# --- five links and visits 五联走访 -----------------------------------------------------------

# The five links began with the 2015 campaign the source reports (五联五评五提升).
LINKS_SINCE = (2015, 3, 1)
# District leaders 区领导 besides the demo login 郑国华 (联系太保庄街道): one for each other
# street. The street a leader keeps in touch with is named in the post's title.
DISTRICT_LEADERS: tuple[tuple[str, str], ...] = (
    ("王立新", "党工委委员、管委会副主任（联系王家庄街道）"),
    ("孙海涛", "党工委委员、管委会副主任（联系岞山街道）"),
    ("高建平", "党工委委员、纪工委书记（联系郑公街道）"),
)
# Visit policies 走访频次: (tag, every, unit); the one without a tag is the default.
VISIT_POLICIES: tuple[tuple[str, int, str], ...] = (
    ("", 3, "month"),
    ("困难户", 1, "month"),
    ("留守老人", 2, "week"),
)
# Villages the demo community worker 孙丽 keeps in touch with (level 3), besides her hall work.
COMMUNITY_WORKER_VILLAGES = ("王家庄村", "文岭村")

# What visits find 走访发现的需求, by category (NeedCategory values), with rough weights.
NEED_DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "livelihood": (
        "房屋西墙返潮，雨季屋顶漏雨，需协调维修",
        "冬季取暖困难，希望了解清洁取暖补贴",
        "家中缺少劳动力，秋收玉米需要帮忙",
        "自来水管冻裂，希望村里协调维修",
        "近期因病开支较大，咨询临时救助",
        "想了解低保申请条件和所需材料",
        "老人独居，做饭不便，希望有人定期照看",
        "大棚种植缺少周转资金，咨询惠农贷款",
    ),
    "schooling": (
        "孩子上学路远，希望协调校车接送",
        "家庭困难，孩子学费有压力，咨询助学政策",
        "孩子明年升初中，咨询学区和入学手续",
        "留守儿童放学后无人辅导，希望参加课后托管",
        "孩子考上大学，咨询生源地助学贷款",
    ),
    "employment": (
        "家中劳动力想在附近就业，希望推荐岗位",
        "返乡人员想参加电商、电工技能培训",
        "想开农家乐，咨询创业担保贷款",
        "外出务工被拖欠工资，需要帮助维权",
        "残疾家庭成员想找力所能及的工作",
    ),
    "medical": (
        "老人患高血压、糖尿病，需办理门诊慢性病认定",
        "老人行动不便，希望家庭医生上门随访",
        "住院费用较高，咨询大病医疗报销",
        "子女在外地，老人需办理异地就医备案",
        "希望卫生室定期上门测血压",
        "咨询残疾人辅助器具申请",
    ),
    "dispute": (
        "与邻居因宅基地边界有争议，需村里调解",
        "与邻居因排水沟走向发生矛盾",
        "承包地流转费用未按期支付，产生纠纷",
        "老人赡养费分担有分歧，需调解",
        "邻居在路边堆放柴草，影响通行",
    ),
    "other": (
        "反映村内路灯不亮，夜间出行不便",
        "希望修缮文化广场健身器材",
        "咨询户口迁移手续",
        "反映村道坑洼，雨天积水难行",
        "咨询社保卡补办和激活",
    ),
}
NEED_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("livelihood", 30),
    ("medical", 22),
    ("employment", 14),
    ("schooling", 10),
    ("dispute", 10),
    ("other", 14),
)
NEED_RESOLVED_NOTES = (
    "已协调相关部门解决，群众满意",
    "已上门办理完毕",
    "已联系责任单位处理完毕，回访满意",
    "已组织调解，双方达成一致",
)
NEED_CLOSED_NOTES = (
    "经核实不符合政策条件，已向群众解释清楚",
    "群众表示暂不需要",
    "已告知办理渠道和所需材料，群众自行办理",
)
VISIT_NOTES = (
    "了解家庭近况，生活正常",
    "宣传城乡居民医保缴费政策",
    "提醒注意用电、用火安全",
    "询问农作物长势和收成情况",
    "老人身体状况稳定，按时服药",
    "宣传防范电信诈骗知识",
    "了解子女外出务工情况",
    "征求对村里工作的意见建议",
)
# The need a visit found when the application it became was taken on the visit, by item code
# (子女上学, 就业, 就医); every other item is 生产生活.
ITEM_NEED_CATEGORIES: dict[str, str] = {
    "ZH-01": "schooling",
    "MZ-04": "medical",
    "RS-05": "medical",
    "RS-06": "medical",
    "RS-07": "employment",
    "RS-08": "employment",
    "RS-09": "employment",
    "RS-10": "employment",
    "RS-12": "employment",
    "WJ-07": "medical",
    "WJ-08": "medical",
    "WJ-09": "medical",
    "WJ-10": "medical",
    "WJ-11": "medical",
}
# 刘志辉's schooling need, as the community worker wrote it down.
LIU_ZHIHUI_NEED = "家庭困难，本人残疾，女儿刘欣怡读小学，需办理助学贷款补助"
# The need behind an application the hall took on a visit.
VISIT_APPLICATION_NEED = "走访时了解到家中符合{item}条件，当场帮助提交申请"
# The demo grid worker's grid (赵敏, 王家庄村第一网格).
DEMO_GRID = "王家庄村第一网格"

# --- 奎文区: the city centre the source's 东关街道 report is about ------------------------------
#
# 东关街道 is "纯城区街道 … 老城区街道，街道内老旧小区多": an old city-centre street of old estates.
# The source names 工福街社区 (游麟路 runs through it; 王大威 lives there), 苇湾社区 (an old estate
# being renovated; 吕峰 is its party secretary) and 石凌峰, the street's party secretary. The
# other communities and every 楼院 are plausible names made up for the demo; division codes are
# illustrative codes in the range of county code 370705.

URBAN_DISTRICT_NAME = "奎文区"
URBAN_DISTRICT_CODE = "370705000000"
URBAN_COUNTY_CODE = "370705"  # ID numbers of people born in 奎文区

# The street, then each community with its 楼院 (a courtyard of old residential buildings, each
# kept as a grid 网格 with its building head 楼长), the community's own compound first.
_URBAN_LAYOUT = """
东关街道 370705001000
    工福街社区 工福街小区 游麟路东院 游麟路西院 工商银行宿舍 工福里 供电公司宿舍
    苇湾社区 苇湾小区 苇湾东院 苇湾西院 鸢飞路宿舍 印刷厂宿舍 苇湾新村
    育英街社区 育英街小区 教育局宿舍 东关小学宿舍 育英里 文华苑
    北宫东街社区 北宫东街小区 北宫里 纺织厂宿舍 东关市场宿舍 樱园
    民生东街社区 民生东街小区 民生里 粮食局宿舍 和平苑 东方小区
    十笏园社区 十笏园小区 胡家牌坊宿舍 老市委宿舍 东关大街宿舍 松园子
"""
URBAN_STREETS: tuple[StreetData, ...] = _streets(_URBAN_LAYOUT)
GONGFU_COMMUNITY = "工福街社区"
WEIWAN_COMMUNITY = "苇湾社区"

# An old estate's buildings: how many a 楼院 has, their units 单元, floors, and two flats on each
# landing; most flats are lived in by a registered household (the rest are empty or let).
COMPOUND_BUILDINGS = (2, 5)
BUILDING_UNITS = (2, 3)
BUILDING_FLOORS = (5, 6)
FLATS_PER_LANDING = 2
FLATS_OCCUPIED = 0.9
# The small build: only this many households a 楼院 (its building head among them).
SMALL_COMPOUND_HOUSEHOLDS = (2, 3)
# Resident representatives 居民代表 a 楼院 sends to the community's representatives' meeting:
# household heads other than the building head.
COMPOUND_REPRESENTATIVES = 1
# Old estates have more households in need than the countryside's average.
URBAN_POOR_SHARE = 0.04

URBAN_DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("民政局", "奎文区民政局"),
    ("综合执法局", "奎文区综合行政执法局"),  # 城管: the morning market on 游麟路
    ("市场监管局", "奎文区市场监督管理局"),
    ("住建局", "奎文区住房和城乡建设局"),  # the renovation of old estates such as 苇湾
    ("卫健局", "奎文区卫生健康局"),
    ("公安分局", "奎文区公安分局"),
)
URBAN_CLINIC_DEPARTMENT = "奎文区卫生健康局"
URBAN_POLICE_DEPARTMENT = "奎文区公安分局"
# The organisations of an urban community (kind, name pattern): its party committee 社区党委 and
# residents' committee 居民委员会, its party-and-people service centre (the service hall), its
# health station and police room.
URBAN_COMMUNITY_ORGANISATIONS: tuple[tuple[str, str], ...] = (
    ("other", "{name}党委"),
    ("other", "{name}居民委员会"),
    ("service_hall", "{name}党群服务中心"),
    ("clinic", "{name}卫生服务站"),
    ("police_room", "{name}警务室"),
)
URBAN_COMMITTEE = "{name}居民委员会"
URBAN_HALL_ADDRESS = URBAN_DISTRICT_NAME + "{street}{name}党群服务中心"
URBAN_STREET_OFFICE_ADDRESS = URBAN_DISTRICT_NAME + "{street}便民服务中心"
# The street's party working committee and its secretary, as the source names him.
STREET_PARTY_COMMITTEE = "东关街道党工委"
STREET_PARTY_SECRETARY = ("石凌峰", "东关街道党工委书记")
# The street's market service centre 市场服务中心 (under its office), which runs the street's
# morning markets: the source's 游麟路 story gives it its part.
STREET_MARKET_CENTRE = URBAN_DISTRICT_NAME + "{street}市场服务中心"
# The day the street's demo logins took up their roles (their grants start then), before the
# year of residents-decide matters they act in.
URBAN_LOGINS_SINCE = dt.date(2021, 3, 1)

# 王大威: 工福街社区, on 游麟路, where the morning market blocked the road. The source gives no age;
# he is retired and home in the mornings.
WANG_DAWEI = NamedResident(
    name="王大威",
    village="游麟路东院",
    age=63,
    male=True,
    personal_tags=(),
    household_tags=(),
    family=(("spouse", "孙桂英", 61, False, ()),),
)
URBAN_NAMED_RESIDENTS = (WANG_DAWEI,)

# 工福街社区 and 苇湾社区: the people of the source's two stories. A building head's display name
# "{holder}" is the registry resident who is the 楼长 of that 楼院.
GONGFU_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin(
        "community_worker",
        "gongfu_worker",
        "张晓梅",
        GONGFU_COMMUNITY,
        post_kind="hall_staff",
        post_title="工福街社区党群服务中心工作人员",
        post_organisation="工福街社区党群服务中心",
    ),
    DemoLogin(
        "opinion_collector",
        "gongfu_collector",
        "刘德胜",
        GONGFU_COMMUNITY,
        post_kind="other",
        post_title="工福街社区民情服务队队员",
        post_organisation="工福街社区居民委员会",
    ),
    DemoLogin(
        "panel_member",
        "gongfu_panel",
        "于建华",
        GONGFU_COMMUNITY,
        post_kind="other",
        post_title="工福街社区“工福晴雨”顾问团成员（退休教师）",
        post_organisation="工福街社区党委",
    ),
    DemoLogin(
        "supervision_panel_member",
        "gongfu_supervisor",
        "高秀兰",
        GONGFU_COMMUNITY,
        post_kind="other",
        post_title="工福街社区“工福晴雨”监督团成员",
        post_organisation="工福街社区居民委员会",
    ),
    DemoLogin("resident", "wang_dawei", WANG_DAWEI.name, WANG_DAWEI.village),
)
WEIWAN_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin(
        "community_worker",
        "weiwan_secretary",
        "吕峰",
        WEIWAN_COMMUNITY,
        post_kind="other",
        post_title="苇湾社区党委书记",
        post_organisation="苇湾社区党委",
    ),
    DemoLogin(
        "opinion_collector",
        "weiwan_building_head",
        "{holder}",
        "苇湾小区",
        post_kind="building_head",
        post_title="苇湾小区楼长",
        post_organisation="苇湾社区居民委员会",
    ),
)
URBAN_LOGINS = GONGFU_LOGINS + WEIWAN_LOGINS

# Every demo login, and the same grouped by place as `linli demo` prints them.
DEMO_LOGINS: tuple[DemoLogin, ...] = DISTRICT_LOGINS + CITY_LOGINS + URBAN_LOGINS
LOGIN_GROUPS: tuple[tuple[str, tuple[DemoLogin, ...]], ...] = (
    (CITY_NAME, CITY_LOGINS),
    (DISTRICT_NAME, DISTRICT_LOGINS),
    (f"{URBAN_DISTRICT_NAME}{URBAN_STREETS[0].name}{GONGFU_COMMUNITY}", GONGFU_LOGINS),
    (f"{URBAN_DISTRICT_NAME}{URBAN_STREETS[0].name}{WEIWAN_COMMUNITY}", WEIWAN_LOGINS),
)
