"""The demo's appeal categories 诉求类别 and what residents raise in each, what was done, why an
appeal went up — the fixed data `appeals.py` draws from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CategoryData:
    code: str
    name: str
    description: str
    limits: tuple[int, int, int, int]  # village, community, street, department (working days)
    department: str  # the district department's full name, or "" for none
    public: bool
    anonymous: bool
    weight: float  # how often residents raise it
    hardness: float  # how often it leaves the village, against the average
    need_category: str  # the visits module's need category, for one found on a visit


CATEGORIES: tuple[CategoryData, ...] = (
    CategoryData(
        "HJWS",
        "环境卫生",
        "垃圾清运、污水外溢、乱堆乱放、卫生死角",
        (3, 5, 5, 10),
        "峡山区住房和城乡建设局",
        True,
        True,
        0.20,
        0.8,
        "livelihood",
    ),
    CategoryData(
        "DLSS",
        "道路设施",
        "道路破损、路灯不亮、井盖缺失、排水设施损坏",
        (5, 5, 7, 15),
        "峡山区住房和城乡建设局",
        True,
        True,
        0.14,
        1.2,
        "livelihood",
    ),
    CategoryData(
        "LLJF",
        "邻里纠纷",
        "宅基地边界、排水、噪音、树木遮挡等邻里矛盾",
        (5, 5, 10, 10),
        "",
        False,
        False,
        0.15,
        1.3,
        "dispute",
    ),
    CategoryData(
        "WYGL",
        "物业管理",
        "小区物业服务、公共设施维修、停车秩序",
        (5, 5, 10, 15),
        "峡山区住房和城乡建设局",
        True,
        False,
        0.07,
        1.2,
        "livelihood",
    ),
    CategoryData(
        "ZAYH",
        "治安隐患",
        "安全隐患、消防通道堵塞、可疑情况",
        (2, 2, 3, 5),
        "峡山区公安分局",
        False,
        True,
        0.05,
        1.6,
        "other",
    ),
    CategoryData(
        "ZCZX",
        "政策咨询",
        "低保、医保、养老、惠农补贴等政策咨询",
        (3, 3, 5, 5),
        "峡山区民政局",
        True,
        False,
        0.14,
        0.6,
        "livelihood",
    ),
    CategoryData(
        "NTSL",
        "农田水利",
        "灌溉机井、沟渠清淤、农田道路",
        (5, 5, 10, 15),
        "峡山区水利局",
        True,
        False,
        0.08,
        1.1,
        "livelihood",
    ),
    CategoryData(
        "LDBZ",
        "劳动保障",
        "拖欠工资、就业服务、社保缴纳",
        (5, 5, 7, 10),
        "峡山区人力资源和社会保障局",
        True,
        False,
        0.05,
        2.0,
        "employment",
    ),
    CategoryData(
        "YLWS",
        "医疗卫生",
        "家庭医生签约、村卫生室服务、慢病随访",
        (3, 5, 5, 10),
        "峡山区卫生健康局",
        True,
        False,
        0.05,
        1.0,
        "medical",
    ),
    CategoryData(
        "JYRX",
        "教育入学",
        "入学手续、校车接送、课后托管",
        (5, 5, 7, 10),
        "峡山区教育局",
        True,
        False,
        0.03,
        1.4,
        "schooling",
    ),
    CategoryData(
        "QTSQ", "其他", "以上类别以外的诉求", (5, 5, 10, 10), "", True, True, 0.04, 1.0, "other"
    ),
)

DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "HJWS": (
        "村东头垃圾池满了好几天没人清运，气味很大",
        "路边排水沟堵塞，污水漫到路面上",
        "有人在村口空地乱倒建筑垃圾",
        "养殖户粪污直排沟渠，周边气味难闻",
        "街道两侧杂物乱堆，影响通行",
        "公厕长时间无人打扫",
    ),
    "DLSS": (
        "村内主路路灯坏了三盏，晚上出行不安全",
        "村南道路塌陷出现大坑，电动车容易摔倒",
        "路边井盖缺失，存在安全隐患",
        "雨后路面积水严重，排水口堵塞",
        "桥面护栏损坏，需要尽快维修",
    ),
    "LLJF": (
        "邻居家翻建房屋，宅基地边界有争议",
        "邻居家排水管直接排到我家院墙根，墙体返潮",
        "邻居在共用通道上堆放柴草，影响通行",
        "邻居家树木遮挡我家采光，协商未果",
        "两户因修建院墙发生争执",
        "邻居家养狗夜间吠叫，影响休息",
    ),
    "WYGL": (
        "小区电梯经常故障，物业维修不及时",
        "小区楼道灯坏了很久没人修",
        "物业费收取标准有疑问，希望公开明细",
        "小区内车辆乱停，消防通道被占用",
    ),
    "ZAYH": (
        "村头变压器旁堆放易燃物，存在火灾隐患",
        "楼道内有人给电动车充电，存在安全隐患",
        "村内废弃房屋无人管理，担心有安全问题",
        "学校门口上下学时段车辆拥堵，存在安全隐患",
    ),
    "ZCZX": (
        "咨询低保申请条件和所需材料",
        "咨询城乡居民医保缴费和报销比例",
        "咨询高龄津贴的申领办法",
        "咨询耕地地力保护补贴发放时间",
        "咨询残疾人两项补贴的申请流程",
        "咨询城乡居民养老保险缴费档次",
    ),
    "NTSL": (
        "灌溉机井水泵坏了，浇地困难",
        "田间沟渠淤塞，雨季容易淹地",
        "生产路被雨水冲毁，农机下不了地",
        "灌溉用电线路老化，希望检修",
    ),
    "LDBZ": (
        "在附近工地务工被拖欠工资三个月",
        "希望推荐就近的务工岗位",
        "灵活就业人员社保缴费中断，咨询如何续缴",
    ),
    "YLWS": (
        "希望家庭医生定期上门为老人测血压",
        "村卫生室药品不全，慢病用药要到镇上买",
        "咨询老年人免费体检的时间和地点",
    ),
    "JYRX": (
        "孩子明年上小学，咨询入学手续",
        "希望开通到镇中心小学的校车",
        "放学后孩子无人照看，希望有课后托管",
    ),
    "QTSQ": (
        "希望村里增设健身器材",
        "村广播音量过大，希望调整播放时间",
        "希望在村委会增设便民快递代收点",
    ),
}

SETTLEMENTS: dict[str, tuple[str, ...]] = {
    "HJWS": (
        "已协调保洁员清运垃圾，并增加清运频次",
        "组织村民疏通了排水沟，污水已排除",
        "已清理建筑垃圾，并设置警示牌",
        "已督促养殖户整改，粪污进入沼气池处理",
    ),
    "DLSS": (
        "已联系电工更换路灯",
        "已用砂石回填坑洼并压实，待统一硬化",
        "已补装井盖并设置警示标志",
        "已疏通排水口，路面积水已排除",
    ),
    "LLJF": (
        "村调委会组织双方现场调解，达成一致意见",
        "经网格员上门协调，邻居已改装排水管",
        "双方协商确定边界并签字确认",
        "经调解，双方各让一步，矛盾已化解",
    ),
    "WYGL": (
        "已约谈物业公司，限期完成维修",
        "物业已公示收费明细并作出说明",
        "已联系物业划定停车位，清理消防通道",
    ),
    "ZAYH": (
        "已清理易燃物并进行消防安全提醒",
        "已劝导居民停止楼道充电，并张贴提示",
        "已联系派出所加强巡逻",
    ),
    "ZCZX": (
        "已当面解释政策并告知所需材料",
        "已电话答复，并发送办事指南",
        "已帮助居民在便民服务大厅办理",
    ),
    "NTSL": (
        "已联系维修人员更换水泵",
        "已组织机械清淤沟渠",
        "已修复生产路，农机可以通行",
    ),
    "LDBZ": (
        "经协调，用工方已支付拖欠工资",
        "已推荐岗位信息，居民已到岗",
        "已告知续缴办法并协助办理",
    ),
    "YLWS": (
        "已安排家庭医生每月上门随访",
        "已协调卫生院补充常用药品",
        "已告知体检安排",
    ),
    "JYRX": ("已告知入学手续和时间", "已协调学校增加校车线路", "已推荐社区课后托管服务"),
    "QTSQ": ("已纳入村里年度计划并答复居民", "已调整广播时间", "已协调快递网点设点"),
}

HAND_UP_REASONS = (
    "涉及多个村，需要社区统筹协调",
    "村里协调未果，需上级出面",
    "所需资金超出村里能力",
    "涉及权属认定，村里无权处理",
)
DEPARTMENT_REASONS = (
    "属于主管部门职责，转主管部门办理",
    "需要部门专业人员现场处置",
    "涉及行政执法，转部门依法处理",
)
DISSATISFIED_NOTES = (
    "问题没有彻底解决",
    "处理太慢",
    "只是口头答复，没有实际行动",
)
SATISFIED_NOTES = ("处理及时", "很满意", "", "", "")
PLACES = ("东头", "西头", "南街", "北街", "村委会附近", "文化广场", "主街", "小学门口")
OUTSIDER_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
OUTSIDER_GIVEN = "伟芳娜敏静强磊洋勇艳杰军涛明超秀英华平刚桂兰"
MOBILE_PREFIXES = ("138", "139", "150", "151", "158", "186", "187", "135", "136", "137", "188")


# --- disputes 矛盾纠纷 (disputes.py) ---------------------------------------------------------

# The category whose appeals are mediated: made through the services with `dispute` set.
DISPUTE_CATEGORY = CategoryData(
    "MDTJ",
    "矛盾纠纷调解",
    "相邻排水、宅基地边界、通行等需要人民调解的矛盾纠纷",
    (10, 10, 15, 15),
    "",
    False,
    False,
    0.0,  # not drawn for the year: the disputes are laid out one by one
    1.0,
    "dispute",
)


@dataclass(frozen=True)
class DisputeStory:
    description: str
    sessions: tuple[str, ...]  # what was said at each session
    facts: str
    terms: str
    referral_reason: str = ""


DISPUTE_STORIES: tuple[DisputeStory, ...] = (
    DisputeStory(
        "两户因排水沟走向发生纠纷，雨水流进邻居院内",
        ("双方到场陈述，申请人要求排水沟改道，被申请人同意协商",),
        "被申请人修建排水沟，雨水和生活污水流向申请人院墙，墙根返潮",
        "被申请人于十日内将排水沟改道至村道边沟，费用自理；申请人配合施工",
    ),
    DisputeStory(
        "两户宅基地边界有争议，翻建院墙时发生争执",
        ("双方各自陈述边界依据，查看宅基地证，约定现场丈量", "现场丈量后双方认可界址"),
        "被申请人翻建院墙时越过原界址约三十厘米",
        "以宅基地证载界址为准，被申请人于二十日内将院墙后移，申请人补偿拆墙人工费五百元",
    ),
    DisputeStory(
        "邻居在共用通道上堆放柴草，影响通行和消防",
        ("双方陈述，被申请人同意清理柴草",),
        "被申请人长期在两户共用通道堆放柴草，通道宽度不足一米",
        "被申请人于五日内清走通道内柴草，今后不在通道内堆放杂物",
    ),
    DisputeStory(
        "邻居家树木遮挡采光，树根拱坏院墙",
        ("双方陈述，对补偿数额分歧较大", "再次调解，被申请人不同意赔偿，双方分歧过大"),
        "",
        "",
        "双方对院墙损坏的赔偿数额分歧过大，经两次调解未能达成协议，告知申请人可向法院起诉",
    ),
    DisputeStory(
        "两户因承包地地头排水发生纠纷，庄稼被淹",
        ("双方陈述，同意共同疏通地头沟渠",),
        "雨季地头排水不畅，被申请人堵塞沟渠导致申请人玉米受淹",
        "双方于雨季前共同疏通地头沟渠，被申请人赔偿申请人损失八百元，七日内付清",
    ),
    DisputeStory(
        "邻居装修噪音和建筑垃圾堆放引发争执",
        ("双方陈述，约定施工时间和垃圾清运",),
        "被申请人装修期间夜间施工，建筑垃圾堆放在申请人门前",
        "被申请人每日晚七时后、午间十二时至二时不施工，三日内清运门前建筑垃圾",
    ),
)

DISPUTE_PLACES = ("村委会调解室", "村党群服务中心调解室", "纠纷现场")
FULFILMENT_NOTES = {
    "kept": ("回访双方，协议已按约履行", "现场查看，已按协议整改到位"),
    "not_kept": ("被申请人至今未按协议履行，申请人要求继续调解",),
}
