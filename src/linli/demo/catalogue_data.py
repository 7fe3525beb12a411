"""The demo catalogue 服务清单 of the 峡山区 community service halls: 4 categories and 48 items,
as a rural community's 便民服务大厅 lists them — the source's figures.

Plain data, the same in every build; `demo/catalogue.py` writes it through the catalogue
services. Each item gives its handling mode (即时办理 on_the_spot, 代为办理 proxy, 指导办理
guided), the promised time limit in working days (0: settled at the counter the same day), whether
it can be applied for online, its legal basis (the national or Shandong regulation the item rests
on), a short description for the public page and the materials an applicant brings. A proxy item
has its route: the applicant's own community hall (office "hall"), its street office ("street")
and named district departments ("department", a full name of `data.DEPARTMENTS`); the steps'
limits never add up to more than the promise.

Some items name who is eligible for proactive outreach 主动服务, as a rule over registry facts
(see `hall.outreach.eligibility`), and which role does the outreach; tag names are those of
`data.HOUSEHOLD_TAGS` and `data.RESIDENT_TAGS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .data import DEPARTMENTS

ON_THE_SPOT, PROXY, GUIDED = "on_the_spot", "proxy", "guided"
HALL, STREET, DEPARTMENT = "hall", "street", "department"


@dataclass(frozen=True)
class MaterialData:
    name: str
    note: str = ""
    required: bool = True
    in_person: bool = False  # filled in or signed on the spot: a photo will not do


@dataclass(frozen=True)
class StepData:
    name: str
    office: str  # HALL, STREET or DEPARTMENT
    days: int  # working days
    department: str = ""  # a department's full name, for a DEPARTMENT step


@dataclass(frozen=True)
class ItemData:
    code: str
    name: str
    mode: str
    days: int  # promised time limit, working days
    online: bool
    legal_basis: str
    description: str
    materials: tuple[MaterialData, ...]
    route: tuple[StepData, ...] = ()
    eligibility: dict = field(default_factory=dict)
    outreach_role: str = ""


@dataclass(frozen=True)
class CategoryData:
    name: str
    description: str
    items: tuple[ItemData, ...]


def need(name: str, note: str = "") -> MaterialData:
    return MaterialData(name, note)


def in_person(name: str, note: str) -> MaterialData:
    """A form filled in or an agreement signed on the spot: it cannot be sent as a photo."""
    return MaterialData(name, note, in_person=True)


def optional(name: str, note: str) -> MaterialData:
    return MaterialData(name, note, required=False)


def hall(days: int = 1, name: str = "社区受理") -> StepData:
    return StepData(name, HALL, days)


def street(days: int, name: str = "街道审核") -> StepData:
    return StepData(name, STREET, days)


def department(full_name: str, days: int, name: str) -> StepData:
    return StepData(name, DEPARTMENT, days, full_name)


_DEPARTMENT = dict(DEPARTMENTS)  # short name → full name
CIVIL_AFFAIRS = _DEPARTMENT["民政局"]
HUMAN_RESOURCES = _DEPARTMENT["人社局"]
HEALTH = _DEPARTMENT["卫健局"]
EDUCATION = _DEPARTMENT["教育局"]
DISABLED_FEDERATION = _DEPARTMENT["残联"]
WOMEN_FEDERATION = _DEPARTMENT["妇联"]
HOUSING = _DEPARTMENT["住建局"]
POLICE = _DEPARTMENT["公安分局"]

ID_AND_HOUSEHOLD = need("居民身份证、户口簿", "原件及复印件")
ID_CARD = need("居民身份证")
HOUSEHOLD_BOOK = need("户口簿")
BANK_ACCOUNT = need("本人银行账户（存折）复印件", "用于补助资金发放")
CHECK_CONSENT = need("家庭经济状况核对授权书", "共同生活的家庭成员签字")
PHOTO = need("近期一寸免冠彩色照片")

SOCIAL_ASSISTANCE = "《社会救助暂行办法》"
ELDERLY_LAW = "《中华人民共和国老年人权益保障法》；《山东省老年人权益保障条例》"
PENSION_BASIS = (
    "《中华人民共和国社会保险法》；"
    "《国务院关于建立统一的城乡居民基本养老保险制度的意见》（国发〔2014〕8号）"
)
POPULATION_BASIS = "《中华人民共和国人口与计划生育法》；《山东省人口与计划生育条例》"
EMPLOYMENT_BASIS = "《中华人民共和国就业促进法》；《就业服务与就业管理规定》"
PUBLIC_HEALTH_BASIS = "《国家基本公共卫生服务规范（第三版）》"
DISABILITY_LAW = "《中华人民共和国残疾人保障法》"

# Who outreach seeks out (see hall.outreach.eligibility for the rule language).
SCHOOL_STAGES_AIDED = ["小学", "初中", "高中", "大学"]
POOR_NOT_YET_ASSISTED = {
    "all": [
        {"household_tag": "困难户"},
        {"not": {"household_tag": "低保"}},
        {"not": {"household_tag": "特困"}},
    ]
}
AGED_80 = {"member": {"age_min": 80}}
DISABILITY_ALLOWANCES = {
    "any": [
        # 重度残疾人护理补贴: grades 一级 and 二级
        {"member": {"tag": "残疾", "detail_in": ["一级", "二级"]}},
        # 困难残疾人生活补贴: a disabled person in a 低保 household
        {"all": [{"household_tag": "低保"}, {"member": {"tag": "残疾"}}]},
    ]
}
POOR_WITH_PUPIL = {
    "all": [
        {"household_tag": "困难户"},
        {"member": {"tag": "在校学生", "detail_in": SCHOOL_STAGES_AIDED}},
    ]
}
LEFT_BEHIND_CHILD = {"member": {"tag": "留守儿童"}}
LEFT_BEHIND_ELDER = {"member": {"tag": "留守老人"}}

CIVIL_AFFAIRS_ITEMS = (
    ItemData(
        code="MZ-01",
        name="最低生活保障申请",
        mode=PROXY,
        days=30,
        online=False,
        legal_basis=f"{SOCIAL_ASSISTANCE}；《山东省社会救助办法》",
        description="共同生活的家庭成员人均收入低于当地低保标准、家庭财产符合规定的，"
        "可申请最低生活保障。",
        materials=(
            need("最低生活保障申请书", "户主签字"),
            need("家庭成员居民身份证、户口簿", "原件及复印件"),
            CHECK_CONSENT,
            need("家庭收入及财产状况申报表"),
            optional("残疾人证或疾病诊断证明", "家庭成员有残疾或重病的提供"),
        ),
        route=(
            hall(2),
            street(15, "街道入户调查与审核"),
            department(CIVIL_AFFAIRS, 10, "区民政局审批"),
        ),
        eligibility=POOR_NOT_YET_ASSISTED,
        outreach_role="community_worker",
    ),
    ItemData(
        code="MZ-02",
        name="特困人员救助供养申请",
        mode=PROXY,
        days=25,
        online=False,
        legal_basis=f"{SOCIAL_ASSISTANCE}；《农村五保供养工作条例》",
        description="无劳动能力、无生活来源、无法定赡养抚养扶养义务人（或其无履行能力）的老年人、"
        "残疾人和未成年人，可申请特困人员救助供养。",
        materials=(
            need("特困人员救助供养申请书"),
            ID_AND_HOUSEHOLD,
            CHECK_CONSENT,
            optional(
                "残疾人证或丧失劳动能力诊断证明", "残疾人、重病患者提供；60周岁以上老年人免交"
            ),
        ),
        route=(hall(2), street(12, "街道调查审核"), department(CIVIL_AFFAIRS, 10, "区民政局审批")),
    ),
    ItemData(
        code="MZ-03",
        name="临时救助申请",
        mode=PROXY,
        days=10,
        online=False,
        legal_basis=f"{SOCIAL_ASSISTANCE}；"
        "《国务院关于全面建立临时救助制度的通知》（国发〔2014〕47号）",
        description="因火灾、交通事故、突发重大疾病等原因，基本生活暂时出现严重困难的家庭或个人，"
        "可申请临时救助。",
        materials=(
            need("临时救助申请书"),
            ID_AND_HOUSEHOLD,
            need("遭遇困难的证明材料", "医疗费用票据、事故认定书或受灾证明等"),
            CHECK_CONSENT,
        ),
        route=(hall(1), street(4), department(CIVIL_AFFAIRS, 3, "区民政局审批")),
    ),
    ItemData(
        code="MZ-04",
        name="大病救助",
        mode=PROXY,
        days=15,
        online=False,
        legal_basis=f"{SOCIAL_ASSISTANCE}（第五章 医疗救助）；《国务院办公厅转发民政部等部门关于"
        "进一步完善医疗救助制度全面开展重特大疾病医疗救助工作意见的通知》（国办发〔2015〕30号）",
        description="低保对象、特困人员、低收入家庭成员和因病致贫家庭的重病患者，经基本医疗保险、"
        "大病保险报销后个人负担的合规医疗费用，可申请大病救助。社区工作人员持材料到街道和区直"
        "部门代为办理。",
        materials=(
            need("大病救助申请书"),
            need("大病证明", "二级以上医院出具的重特大疾病诊断证明"),
            need("住院病历及出院记录", "复印件"),
            need("医疗费用票据及医保报销结算单"),
            ID_AND_HOUSEHOLD,
            BANK_ACCOUNT,
        ),
        route=(
            hall(1),
            street(3),
            department(HEALTH, 4, "区卫健局大病证明核验"),
            department(CIVIL_AFFAIRS, 5, "区民政局审批"),
        ),
    ),
    ItemData(
        code="MZ-05",
        name="高龄津贴申领",
        mode=PROXY,
        days=10,
        online=False,
        legal_basis=ELDERLY_LAW,
        description="本区户籍80周岁以上老年人，可申领高龄津贴，按月发放到本人账户。",
        materials=(
            need("老年人居民身份证、户口簿", "原件及复印件"),
            BANK_ACCOUNT,
            optional("代办人居民身份证", "委托家属代办的提供"),
        ),
        route=(hall(1), street(3), department(CIVIL_AFFAIRS, 5, "区民政局审批")),
        eligibility=AGED_80,
        outreach_role="community_worker",
    ),
    ItemData(
        code="MZ-06",
        name="残疾人两项补贴申请",
        mode=PROXY,
        days=15,
        online=False,
        legal_basis="《国务院关于全面建立困难残疾人生活补贴和重度残疾人护理补贴制度的意见》"
        f"（国发〔2015〕52号）；{DISABILITY_LAW}",
        description="低保家庭中的残疾人可申请困难残疾人生活补贴；残疾等级为一级、二级的重度残疾人"
        "可申请重度残疾人护理补贴。",
        materials=(
            need("残疾人两项补贴申请审批表"),
            need("第二代残疾人证"),
            ID_AND_HOUSEHOLD,
            optional("低保证", "申请生活补贴的提供"),
            BANK_ACCOUNT,
        ),
        route=(
            hall(1),
            street(3, "街道初审"),
            department(DISABLED_FEDERATION, 5, "区残联审核"),
            department(CIVIL_AFFAIRS, 5, "区民政局审定"),
        ),
        eligibility=DISABILITY_ALLOWANCES,
        outreach_role="community_worker",
    ),
    ItemData(
        code="MZ-07",
        name="经济困难老年人养老服务补贴",
        mode=PROXY,
        days=15,
        online=False,
        legal_basis="《关于建立健全经济困难的高龄 失能等老年人补贴制度的通知》（财社〔2014〕113号）；"
        "《中华人民共和国老年人权益保障法》",
        description="低保、特困家庭中的高龄、失能老年人，可申请养老服务补贴，用于购买居家养老服务。",
        materials=(
            need("养老服务补贴申请表"),
            ID_AND_HOUSEHOLD,
            need("低保证或特困人员救助供养证"),
            optional("失能等级评估结果", "申请失能老年人补贴的提供"),
        ),
        route=(hall(1), street(4), department(CIVIL_AFFAIRS, 6, "区民政局审批")),
    ),
    ItemData(
        code="MZ-08",
        name="老年人优待证办理",
        mode=PROXY,
        days=5,
        online=False,
        legal_basis=ELDERLY_LAW,
        description="本区户籍60周岁以上老年人可办理老年人优待证，凭证享受乘车、游览、就医等优待。",
        materials=(ID_CARD, HOUSEHOLD_BOOK, need("近期一寸免冠彩色照片", "2张")),
        route=(hall(1), street(3, "街道审核发证")),
    ),
    ItemData(
        code="MZ-09",
        name="孤儿基本生活费申请",
        mode=PROXY,
        days=20,
        online=False,
        legal_basis="《国务院办公厅关于加强孤儿保障工作的意见》（国办发〔2010〕54号）",
        description="失去父母、查找不到生父母的未满18周岁儿童，由监护人申请孤儿基本生活费。",
        materials=(
            need("孤儿基本生活费申请表", "监护人填写"),
            need("儿童户口簿、居民身份证或出生医学证明"),
            need("父母死亡证明或人民法院宣告失踪（死亡）的判决书"),
            need("监护人居民身份证及监护关系证明"),
        ),
        route=(hall(1), street(7, "街道调查审核"), department(CIVIL_AFFAIRS, 10, "区民政局审批")),
    ),
    ItemData(
        code="MZ-10",
        name="基本殡葬服务费用减免",
        mode=GUIDED,
        days=0,
        online=False,
        legal_basis="《殡葬管理条例》",
        description="本区户籍居民去世后，家属在殡仪馆可直接减免遗体接运、火化、骨灰寄存等基本"
        "殡葬服务费用；大厅工作人员指导家属办理。",
        materials=(
            need("死亡证明", "医疗机构或公安机关出具"),
            need("逝者居民身份证、户口簿"),
            need("经办家属居民身份证"),
        ),
    ),
    ItemData(
        code="MZ-11",
        name="优抚对象抚恤补助申请",
        mode=PROXY,
        days=20,
        online=False,
        legal_basis="《军人抚恤优待条例》",
        description="残疾军人、烈士遗属、因公牺牲和病故军人遗属、在乡老复员军人等优抚对象，"
        "按规定享受定期抚恤补助。",
        materials=(
            need("优抚对象抚恤补助申请表"),
            ID_AND_HOUSEHOLD,
            need("优抚对象身份证明", "革命军人证明书、残疾军人证或烈士证明书等"),
            BANK_ACCOUNT,
        ),
        route=(hall(1), street(5), department(CIVIL_AFFAIRS, 10, "区民政局审批")),
    ),
    ItemData(
        code="MZ-12",
        name="义务兵家庭优待金申领",
        mode=PROXY,
        days=10,
        online=False,
        legal_basis="《军人抚恤优待条例》；《中华人民共和国兵役法》",
        description="本区入伍的义务兵服役期间，其家庭按年度申领优待金。",
        materials=(
            need("入伍通知书或部队出具的服役证明"),
            need("户主居民身份证、户口簿"),
            need("户主银行账户（存折）复印件"),
        ),
        route=(hall(1), street(3), department(CIVIL_AFFAIRS, 5, "区民政局审批")),
    ),
    ItemData(
        code="MZ-13",
        name="社区居家养老服务申请",
        mode=ON_THE_SPOT,
        days=0,
        online=False,
        legal_basis="《中华人民共和国老年人权益保障法》",
        description="社区老年人可在社区日间照料中心登记，预约助餐、助洁、助浴、健康咨询等居家"
        "养老服务。",
        materials=(ID_CARD, in_person("居家养老服务登记表", "在大厅填写")),
    ),
)

SOCIAL_SECURITY_ITEMS = (
    ItemData(
        code="RS-01",
        name="城乡居民基本养老保险参保登记",
        mode=ON_THE_SPOT,
        days=0,
        online=True,
        legal_basis=PENSION_BASIS,
        description="年满16周岁（不含在校学生）、未参加职工基本养老保险的本区户籍居民，"
        "可参加城乡居民基本养老保险。",
        materials=(
            ID_CARD,
            HOUSEHOLD_BOOK,
            in_person("城乡居民基本养老保险参保登记表", "在大厅填写"),
        ),
    ),
    ItemData(
        code="RS-02",
        name="城乡居民养老保险待遇领取",
        mode=PROXY,
        days=15,
        online=False,
        legal_basis=PENSION_BASIS,
        description="年满60周岁、累计缴费满15年、未领取其他基本养老保障待遇的参保人，"
        "可申领城乡居民养老保险待遇。",
        materials=(
            ID_AND_HOUSEHOLD,
            need("社会保障卡"),
            need("城乡居民基本养老保险待遇领取申请表"),
        ),
        route=(
            hall(1),
            street(3, "街道人社所审核"),
            department(HUMAN_RESOURCES, 7, "区人社局核定待遇"),
        ),
    ),
    ItemData(
        code="RS-03",
        name="养老保险待遇领取资格认证",
        mode=ON_THE_SPOT,
        days=0,
        online=True,
        legal_basis=PENSION_BASIS,
        description="领取城乡居民养老保险待遇的人员每年认证一次，可在大厅或在手机上通过人脸识别"
        "完成。",
        materials=(need("居民身份证或社会保障卡"),),
    ),
    ItemData(
        code="RS-04",
        name="城乡居民基本医疗保险参保登记",
        mode=ON_THE_SPOT,
        days=0,
        online=True,
        legal_basis="《中华人民共和国社会保险法》；"
        "《国务院关于整合城乡居民基本医疗保险制度的意见》（国发〔2016〕3号）",
        description="未参加职工基本医疗保险的本区户籍居民（含在校学生和新生儿），按年度参加城乡"
        "居民基本医疗保险。",
        materials=(
            need("居民身份证或户口簿"),
            optional("出生医学证明", "新生儿参保的提供"),
        ),
    ),
    ItemData(
        code="RS-05",
        name="门诊慢性病待遇认定",
        mode=PROXY,
        days=20,
        online=False,
        legal_basis="《中华人民共和国社会保险法》",
        description="患高血压、糖尿病、脑血栓后遗症等慢性病的参保居民，经认定后门诊治疗费用按规定"
        "报销。",
        materials=(
            need("门诊慢性病认定申请表"),
            need("二级以上医院诊断证明及近期病历、检查报告"),
            need("社会保障卡"),
            PHOTO,
        ),
        route=(hall(1), department(HUMAN_RESOURCES, 15, "区人社局组织专家鉴定")),
    ),
    ItemData(
        code="RS-06",
        name="异地就医备案",
        mode=GUIDED,
        days=0,
        online=True,
        legal_basis="《中华人民共和国社会保险法》",
        description="长期异地居住或转诊到外地就医的参保人，就医前办理异地就医备案后可直接结算；"
        "大厅工作人员指导在手机上办理。",
        materials=(need("社会保障卡"), need("异地居住证明或转诊证明")),
    ),
    ItemData(
        code="RS-07",
        name="就业失业登记",
        mode=ON_THE_SPOT,
        days=0,
        online=False,
        legal_basis=EMPLOYMENT_BASIS,
        description="法定劳动年龄内、有劳动能力和就业要求、处于无业状态的居民可办理失业登记，"
        "享受公共就业服务；就业后办理就业登记。",
        materials=(
            ID_CARD,
            HOUSEHOLD_BOOK,
            optional("解除或终止劳动合同证明", "原单位离职的提供"),
        ),
    ),
    ItemData(
        code="RS-08",
        name="就业创业证申领",
        mode=PROXY,
        days=5,
        online=False,
        legal_basis="《就业服务与就业管理规定》",
        description="办理就业失业登记的人员可申领《就业创业证》，作为享受就业扶持政策的凭证。",
        materials=(ID_CARD, HOUSEHOLD_BOOK, PHOTO),
        route=(hall(1), street(3, "街道人社所审核发证")),
    ),
    ItemData(
        code="RS-09",
        name="就业困难人员认定",
        mode=PROXY,
        days=15,
        online=False,
        legal_basis=EMPLOYMENT_BASIS,
        description="大龄失业人员、残疾人、低保家庭成员、连续失业一年以上等就业困难人员，"
        "经认定后享受就业援助。",
        materials=(
            need("就业困难人员认定申请表"),
            ID_AND_HOUSEHOLD,
            need("就业创业证"),
            optional("残疾人证或低保证", "按困难类别提供"),
        ),
        route=(hall(1), street(5), department(HUMAN_RESOURCES, 5, "区人社局认定")),
    ),
    ItemData(
        code="RS-10",
        name="创业担保贷款申请",
        mode=PROXY,
        days=15,
        online=False,
        legal_basis="《中华人民共和国就业促进法》；"
        "《国务院关于进一步做好新形势下就业创业工作的意见》（国发〔2015〕23号）",
        description="城乡劳动者自主创业，可申请创业担保贷款，按规定享受财政贴息。",
        materials=(
            need("创业担保贷款申请表"),
            ID_AND_HOUSEHOLD,
            need("营业执照", "复印件"),
            need("创业项目计划书"),
            need("就业创业证"),
        ),
        route=(hall(1), street(3), department(HUMAN_RESOURCES, 8, "区人社局审核")),
    ),
    ItemData(
        code="RS-11",
        name="社会保障卡申领",
        mode=PROXY,
        days=15,
        online=False,
        legal_basis="《中华人民共和国社会保险法》",
        description="参加社会保险的人员可申领社会保障卡，用于就医结算、待遇领取等。",
        materials=(ID_CARD, need("近期免冠彩色证件照"), need("社会保障卡申领登记表")),
        route=(hall(1), department(HUMAN_RESOURCES, 12, "区人社局制卡")),
    ),
    ItemData(
        code="RS-12",
        name="失业保险金申领",
        mode=GUIDED,
        days=0,
        online=True,
        legal_basis="《中华人民共和国社会保险法》；《失业保险条例》",
        description="失业前缴纳失业保险费满一年、非因本人意愿中断就业并已办理失业登记的人员，"
        "可申领失业保险金；大厅工作人员指导线上办理或到区人社局办理。",
        materials=(ID_CARD, need("解除或终止劳动关系证明"), need("社会保障卡")),
    ),
)

HEALTH_ITEMS = (
    ItemData(
        code="WJ-01",
        name="生育登记",
        mode=PROXY,
        days=3,
        online=True,
        legal_basis=POPULATION_BASIS,
        description="夫妻生育子女的，在怀孕后或子女出生后办理生育登记，享受孕产期保健等基本公共"
        "服务。",
        materials=(need("夫妻双方居民身份证"), HOUSEHOLD_BOOK, need("结婚证")),
        route=(hall(1), street(2, "街道卫计办登记")),
    ),
    ItemData(
        code="WJ-02",
        name="独生子女父母光荣证办理",
        mode=PROXY,
        days=5,
        online=False,
        legal_basis=POPULATION_BASIS,
        description="只生育一个子女的夫妻，可申领《独生子女父母光荣证》，享受有关奖励和优待。",
        materials=(
            need("夫妻双方居民身份证、户口簿"),
            need("结婚证"),
            need("子女出生医学证明"),
        ),
        route=(hall(1), street(3, "街道审核发证")),
    ),
    ItemData(
        code="WJ-03",
        name="独生子女父母奖励扶助申请",
        mode=PROXY,
        days=25,
        online=False,
        legal_basis="《中华人民共和国人口与计划生育法》；"
        "《农村部分计划生育家庭奖励扶助制度试点方案》（国办发〔2004〕21号）",
        description="农业户籍、只生育一个子女或合法生育两个女孩、年满60周岁的夫妻，可申请奖励"
        "扶助金，按年发放。",
        materials=(
            need("奖励扶助对象申报表"),
            need("夫妻双方居民身份证、户口簿"),
            need("结婚证"),
            need("独生子女父母光荣证或子女出生医学证明"),
            BANK_ACCOUNT,
        ),
        route=(
            hall(2, "社区受理并公示"),
            street(8),
            department(HEALTH, 10, "区卫健局审批"),
        ),
    ),
    ItemData(
        code="WJ-04",
        name="计划生育特殊家庭扶助申请",
        mode=PROXY,
        days=25,
        online=False,
        legal_basis="《中华人民共和国人口与计划生育法》；"
        "《全国独生子女伤残死亡家庭扶助制度试点方案》（国人口发〔2007〕78号）",
        description="独生子女死亡或伤残（三级以上）、未再生育或收养子女、女方年满49周岁的夫妻，"
        "可申请特别扶助金。",
        materials=(
            need("特别扶助对象申报表"),
            need("夫妻双方居民身份证、户口簿"),
            need("结婚证"),
            need("子女死亡证明或残疾人证"),
            BANK_ACCOUNT,
        ),
        route=(
            hall(2, "社区受理并公示"),
            street(8),
            department(HEALTH, 10, "区卫健局审批"),
        ),
    ),
    ItemData(
        code="WJ-05",
        name="流动人口婚育证明",
        mode=PROXY,
        days=3,
        online=False,
        legal_basis="《流动人口计划生育工作条例》",
        description="外出务工的育龄人员可办理婚育证明，在现居住地享受计划生育基本公共服务。",
        materials=(ID_CARD, HOUSEHOLD_BOOK, optional("结婚证", "已婚的提供"), PHOTO),
        route=(hall(1), street(2, "街道审核出具")),
    ),
    ItemData(
        code="WJ-06",
        name="出生医学证明办理",
        mode=GUIDED,
        days=0,
        online=False,
        legal_basis="《中华人民共和国母婴保健法》",
        description="《出生医学证明》由助产医疗机构签发；大厅工作人员指导首次签发、补发和换发。",
        materials=(need("父母双方居民身份证"), need("结婚证"), need("住院分娩记录")),
    ),
    ItemData(
        code="WJ-07",
        name="居民健康档案建档",
        mode=ON_THE_SPOT,
        days=0,
        online=False,
        legal_basis=PUBLIC_HEALTH_BASIS,
        description="常住居民可在社区卫生室免费建立健康档案，记录基本信息、体检结果和慢性病随访"
        "情况。",
        materials=(need("居民身份证或户口簿"),),
    ),
    ItemData(
        code="WJ-08",
        name="家庭医生签约服务",
        mode=ON_THE_SPOT,
        days=0,
        online=True,
        legal_basis="《关于推进家庭医生签约服务的指导意见》（国医改办发〔2016〕1号）",
        description="居民可与社区卫生室的家庭医生团队签约，享受基本医疗、健康管理和上门随访；"
        "老年人、慢性病患者和残疾人优先签约。",
        materials=(
            need("居民身份证或社会保障卡"),
            in_person("家庭医生签约服务协议", "在卫生室签订"),
        ),
    ),
    ItemData(
        code="WJ-09",
        name="65岁以上老年人免费健康体检",
        mode=ON_THE_SPOT,
        days=0,
        online=False,
        legal_basis=PUBLIC_HEALTH_BASIS,
        description="65周岁以上常住老年人每年可免费健康体检一次，包括体格检查、血常规、肝肾功能、"
        "心电图等。",
        materials=(need("居民身份证或社会保障卡"),),
    ),
    ItemData(
        code="WJ-10",
        name="免费孕前优生健康检查",
        mode=GUIDED,
        days=0,
        online=False,
        legal_basis="《中华人民共和国母婴保健法》；《中华人民共和国人口与计划生育法》",
        description="计划怀孕的夫妇可免费接受孕前优生健康检查；大厅工作人员指导预约区妇幼保健"
        "机构。",
        materials=(need("夫妻双方居民身份证"), need("结婚证")),
    ),
    ItemData(
        code="WJ-11",
        name="儿童预防接种",
        mode=GUIDED,
        days=0,
        online=False,
        legal_basis="《中华人民共和国疫苗管理法》",
        description="适龄儿童按国家免疫规划免费接种疫苗；大厅工作人员指导办理预防接种证和预约"
        "接种。",
        materials=(
            need("儿童出生医学证明"),
            optional("预防接种证", "首次接种时办理"),
            need("监护人居民身份证"),
        ),
    ),
)

GENERAL_ITEMS = (
    ItemData(
        code="ZH-01",
        name="助学贷款补助申请",
        mode=PROXY,
        days=10,
        online=False,
        legal_basis=f"{SOCIAL_ASSISTANCE}（第六章 教育救助）；《财政部 教育部 人民银行 银监会"
        "关于完善国家助学贷款政策的若干意见》（财教〔2014〕180号）",
        description="困难家庭的在校学生（小学至大学）可申请教育救助和生源地信用助学贷款补助。"
        "社区工作人员代为送审，申请人只需到大厅一次。",
        materials=(
            need("助学贷款补助申请表"),
            need("学生居民身份证、户口簿"),
            need("学生证或学校出具的在校证明"),
            need("家庭经济困难证明", "困难户、低保或特困证明"),
            optional("生源地信用助学贷款合同", "大学生申请贷款补助的提供"),
            need("监护人银行账户（存折）复印件"),
        ),
        route=(
            hall(1),
            street(2),
            department(EDUCATION, 5, "区教育局审批"),
            department(EDUCATION, 2, "区学生资助中心发放"),
        ),
        eligibility=POOR_WITH_PUPIL,
        outreach_role="community_worker",
    ),
    ItemData(
        code="ZH-02",
        name="残疾人证办理",
        mode=PROXY,
        days=20,
        online=False,
        legal_basis=f"{DISABILITY_LAW}；《中华人民共和国残疾人证管理办法》",
        description="符合残疾标准的本区户籍居民，可申请残疾评定并办理第二代残疾人证；到期换领和"
        "遗失补办同样办理。",
        materials=(
            need("残疾人证申请表"),
            ID_AND_HOUSEHOLD,
            need("近期二寸免冠彩色照片", "3张"),
            optional("既往病历及诊断证明", "有的提供，供评残医生参考"),
        ),
        route=(
            hall(1),
            street(2, "街道初审"),
            department(DISABLED_FEDERATION, 15, "区残联评残发证"),
        ),
    ),
    ItemData(
        code="ZH-03",
        name="残疾人辅助器具申请",
        mode=PROXY,
        days=15,
        online=False,
        legal_basis=DISABILITY_LAW,
        description="持证残疾人可申请轮椅、助行器、助听器等基本型辅助器具，困难残疾人免费适配。",
        materials=(need("辅助器具适配申请表"), need("第二代残疾人证"), ID_AND_HOUSEHOLD),
        route=(hall(1), street(3), department(DISABLED_FEDERATION, 10, "区残联评估适配")),
    ),
    ItemData(
        code="ZH-04",
        name="困难残疾人家庭无障碍改造",
        mode=PROXY,
        days=20,
        online=False,
        legal_basis=f"《中华人民共和国无障碍环境建设法》；{DISABILITY_LAW}",
        description="困难户、低保家庭中的重度残疾人家庭，可申请厕所、坡道、扶手等家庭无障碍改造。",
        materials=(
            need("无障碍改造申请表"),
            need("第二代残疾人证"),
            ID_AND_HOUSEHOLD,
            need("家庭经济困难证明"),
        ),
        route=(
            hall(1),
            street(5, "街道入户核查"),
            department(DISABLED_FEDERATION, 10, "区残联审批"),
        ),
    ),
    ItemData(
        code="ZH-05",
        name="春蕾计划助学申请",
        mode=PROXY,
        days=15,
        online=False,
        legal_basis="《中华人民共和国妇女权益保障法》；《中华人民共和国未成年人保护法》",
        description="家庭经济困难的在校女童，可申请“春蕾计划”助学金，由爱心人士结对资助。",
        materials=(
            need("春蕾计划助学申请表"),
            need("学生户口簿、居民身份证或出生医学证明"),
            need("学校出具的在校证明"),
            need("家庭经济困难证明"),
        ),
        route=(hall(1), street(3), department(WOMEN_FEDERATION, 10, "区妇联审批结对")),
    ),
    ItemData(
        code="ZH-06",
        name="农村留守儿童关爱帮扶登记",
        mode=ON_THE_SPOT,
        days=0,
        online=False,
        legal_basis="《国务院关于加强农村留守儿童关爱保护工作的意见》（国发〔2016〕13号）",
        description="父母外出务工的农村留守儿童，由社区登记建档，网格员定期走访，提供监护指导、"
        "学业帮扶和心理关爱。",
        materials=(need("儿童户口簿或居民身份证"), need("委托监护人居民身份证")),
        eligibility=LEFT_BEHIND_CHILD,
        outreach_role="grid_worker",
    ),
    ItemData(
        code="ZH-07",
        name="农村留守老年人关爱服务",
        mode=ON_THE_SPOT,
        days=0,
        online=False,
        legal_basis="《关于加强农村留守老年人关爱服务工作的意见》（民发〔2017〕193号）；"
        "《中华人民共和国老年人权益保障法》",
        description="子女外出务工的农村留守老年人，由社区登记建档，定期探访，提供生活照料和紧急"
        "救助联系。",
        materials=(ID_CARD, need("外出子女联系方式", "姓名和电话")),
        eligibility=LEFT_BEHIND_ELDER,
        outreach_role="grid_worker",
    ),
    ItemData(
        code="ZH-08",
        name="居住证明开具",
        mode=ON_THE_SPOT,
        days=0,
        online=False,
        legal_basis="《居住证暂行条例》",
        description="为在本社区实际居住的居民出具居住证明，用于子女入学、申领居住证等。",
        materials=(ID_CARD, need("房屋产权证明或租赁合同")),
    ),
    ItemData(
        code="ZH-09",
        name="居住证申领",
        mode=PROXY,
        days=15,
        online=False,
        legal_basis="《居住证暂行条例》",
        description="在本区居住半年以上，有合法稳定就业、合法稳定住所或连续就读的非本地户籍人员，"
        "可申领居住证。",
        materials=(
            ID_CARD,
            PHOTO,
            need("居住证明", "房屋租赁合同或社区出具的居住证明"),
            optional("就业或就读证明", "劳动合同、营业执照或学校证明"),
        ),
        route=(hall(1), department(POLICE, 12, "区公安分局审核制证")),
    ),
    ItemData(
        code="ZH-10",
        name="党员组织关系转接",
        mode=ON_THE_SPOT,
        days=0,
        online=False,
        legal_basis="《中国共产党章程》；《中国共产党党员教育管理工作条例》",
        description="党员因工作调动、外出务工等需要转移组织关系的，由社区党组织开具介绍信或接收"
        "组织关系。",
        materials=(ID_CARD, optional("党员组织关系介绍信", "转入本社区的提供")),
    ),
    ItemData(
        code="ZH-11",
        name="公共租赁住房申请",
        mode=PROXY,
        days=30,
        online=False,
        legal_basis="《公共租赁住房管理办法》（住房和城乡建设部令第11号）",
        description="本区住房困难的低收入家庭、新就业无房职工和稳定就业的外来务工人员，可申请公共"
        "租赁住房。",
        materials=(
            need("公共租赁住房申请表"),
            need("家庭成员居民身份证、户口簿"),
            need("家庭收入和住房状况证明"),
            need("婚姻状况证明"),
        ),
        route=(
            hall(2),
            street(10, "街道审核公示"),
            department(HOUSING, 15, "区住建局审核配租"),
        ),
    ),
    ItemData(
        code="ZH-12",
        name="法律援助申请",
        mode=GUIDED,
        days=0,
        online=False,
        legal_basis="《中华人民共和国法律援助法》",
        description="因经济困难没有委托代理人的，可申请法律援助；大厅工作人员指导准备材料，"
        "转区法律援助中心办理。",
        materials=(
            need("法律援助申请表"),
            ID_CARD,
            need("经济困难状况说明表"),
            need("与案件有关的材料"),
        ),
    ),
)

CATEGORIES: tuple[CategoryData, ...] = (
    CategoryData(
        "民政救助类",
        "最低生活保障、特困供养、临时救助、医疗救助、老年人福利和优抚等民政事项",
        CIVIL_AFFAIRS_ITEMS,
    ),
    CategoryData(
        "社会保障类",
        "城乡居民养老保险、医疗保险、就业创业和社会保障卡等人社事项",
        SOCIAL_SECURITY_ITEMS,
    ),
    CategoryData(
        "计生卫健类",
        "生育登记、计划生育奖励扶助和基本公共卫生服务",
        HEALTH_ITEMS,
    ),
    CategoryData(
        "综合便民类",
        "教育资助、残疾人服务、留守人员关爱、居住证明和党员服务等便民事项",
        GENERAL_ITEMS,
    ),
)
