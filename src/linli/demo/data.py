"""The fixed data of the 峡山区 demo district: places, tag vocabularies, organisations, logins.

Everything that varies (people, households, ages, tags) is drawn by `builder.py` from a seeded
random generator; everything here is the same in every build. The district, its two streets and
the communities 文岭社区 and 营辉社区 and the village 王家庄村 are named in the source; the other
communities and villages are plausible local names made up for the demo. Division codes are
illustrative codes in the range of county code 370772.
"""

from __future__ import annotations

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


DISTRICT_NAME = "峡山区"
DISTRICT_CODE = "370772000000"

STREETS: tuple[StreetData, ...] = (
    StreetData(
        "太保庄街道",
        "370772001000",
        (
            CommunityData("文岭社区", ("王家庄村", "文岭村", "北岭村", "前楼村")),
            CommunityData("营辉社区", ("营辉村", "后营村", "辛庄村", "河崖村")),
            CommunityData("卧龙社区", ("卧龙村", "李家庄村", "孙家岭村", "小店子村")),
        ),
    ),
    StreetData(
        "王家庄街道",
        "370772002000",
        (
            CommunityData("东朱社区", ("东朱村", "西朱村", "马家庄村", "于家庄村")),
            CommunityData("渠河社区", ("渠河村", "河西村", "韩家庄村", "庄头村")),
            CommunityData("南孟社区", ("南孟村", "北孟村", "周家庄村", "大官庄村")),
        ),
    ),
)

# Households per village are drawn from this range; a village with more than
# TWO_GRID_THRESHOLD households is split into two grids 网格.
HOUSEHOLDS_PER_VILLAGE = (11, 18)
TWO_GRID_THRESHOLD = 14
GRID_NAMES = ("第一网格", "第二网格")


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
)

# District departments 区直部门 (short name used in the source, full name).
DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("民政局", "峡山区民政局"),
    ("人社局", "峡山区人力资源和社会保障局"),
    ("卫健局", "峡山区卫生健康局"),
    ("教育局", "峡山区教育局"),
    ("残联", "峡山区残疾人联合会"),
    ("妇联", "峡山区妇女联合会"),
)

# Name patterns of the organisations every community and village has.
COMMUNITY_ORGANISATIONS: tuple[tuple[str, str], ...] = (
    ("general_party_branch", "{name}党总支"),
    ("service_hall", "{name}便民服务大厅"),
    ("clinic", "{name}卫生室"),
    ("police_room", "{name}警务室"),
)
VILLAGE_ORGANISATIONS: tuple[tuple[str, str], ...] = (
    ("village_party_branch", "{name}党支部"),
    ("village_committee", "{name}村民委员会"),
)
# Every third village has a first secretary 第一书记 sent down from a district department.
FIRST_SECRETARY_EVERY = 3


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


DEMO_LOGINS: tuple[DemoLogin, ...] = (
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
    DemoLogin("administrator", "administrator", "系统管理员", DISTRICT_NAME),
    DemoLogin("security_officer", "security_officer", "安全管理员", DISTRICT_NAME),
    DemoLogin("auditor", "auditor", "审计管理员", DISTRICT_NAME),
)
