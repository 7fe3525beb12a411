"""The demo's residents-decide data 由民做主: the 14 matter categories (the source names 家居服务、
公共服务、居住环境服务、医疗服务、文化服务 among its 14; the rest complete the list as a community's
needs fall), the panels of 工福街社区 and 苇湾社区, and the source's two stories told as the records
they leave — the fixed data the builder draws from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MatterCategoryData:
    code: str
    name: str
    description: str


CATEGORIES: tuple[MatterCategoryData, ...] = (
    MatterCategoryData("JJFW", "家居服务", "家政、维修、楼道照明、单元门禁等居家生活事项"),
    MatterCategoryData("GGFW", "公共服务", "便民早市、公共设施、办事服务等公共事项"),
    MatterCategoryData("HJFW", "居住环境服务", "违章建筑、环境卫生、绿化停车、老旧小区改造"),
    MatterCategoryData("YLFW", "医疗服务", "社区卫生服务、慢病管理、健康讲座"),
    MatterCategoryData("WHFW", "文化服务", "文体活动、社区书屋、广场舞场地"),
    MatterCategoryData("YLAO", "养老服务", "老年食堂、居家养老、日间照料"),
    MatterCategoryData("ZCFW", "助残服务", "无障碍设施、残疾人帮扶"),
    MatterCategoryData("JYFW", "教育服务", "四点半课堂、托育、青少年活动"),
    MatterCategoryData("JYCY", "就业服务", "就业岗位、技能培训、创业扶持"),
    MatterCategoryData("FLFW", "法律服务", "法律咨询、人民调解、普法宣传"),
    MatterCategoryData("PAFW", "平安服务", "治安巡逻、消防通道、电动车充电安全"),
    MatterCategoryData("WYGL", "物业管理", "物业服务、维修基金、业主委员会事项"),
    MatterCategoryData("JTCX", "交通出行", "道路拥堵、停车秩序、公交站点"),
    MatterCategoryData("LLHM", "邻里和睦", "邻里关系、文明公约、楼院公约"),
)


@dataclass(frozen=True)
class PanelData:
    community: str
    advisory: str  # 顾问团's name
    supervision: str  # 监督团's name
    advisers: tuple[tuple[str, str, tuple[str, ...]], ...]  # name, background, categories studied


PANELS: tuple[PanelData, ...] = (
    PanelData(
        "工福街社区",
        "“工福晴雨”顾问团",
        "“工福晴雨”监督团",
        (
            ("孙德厚", "退休教师", ("WHFW", "JYFW", "LLHM")),
            ("高建民", "退休党员、原区城管执法干部", ("GGFW", "HJFW", "JTCX")),
            ("刘玉芬", "退休社区医生", ("YLFW", "YLAO", "ZCFW")),
        ),
    ),
    PanelData(
        "苇湾社区",
        "苇湾社区顾问团",
        "苇湾社区监督团",
        (
            ("李长青", "退休干部", ("HJFW", "WYGL", "PAFW")),
            ("赵淑华", "老党员", ("LLHM", "JJFW", "YLAO")),
        ),
    ),
)

# The source's two stories (its 东关街道 report): what each step of the five left on record.
MORNING_MARKET = {
    "community": "工福街社区",
    "category": "GGFW",
    "title": "游麟路早市摊位不按时撤摊，道路拥堵",
    "description": "游麟路早市的摊位经常到上午九、十点还不撤，占道经营，早高峰道路拥堵，"
    "居民意见很大，希望早市按时撤摊，真正便民利民。",
    "proposer": "王大威",
    "opinions": (
        ("张桂兰", "早上送孩子上学，游麟路过不去，电动车只能绕行。"),
        ("陈立新", "摊位收摊后垃圾没人清，路面油污多。"),
    ),
    "options": (
        ("早市8:30前全部撤摊", "市场办划定摊位线，8:30前撤摊并清扫路面，城管部门巡查。"),
        ("早市迁至工福街广场", "在广场设置临时摊位区，游麟路不再摆摊。"),
    ),
    "meeting": {
        "kind": "parlour",
        "title": "工福会客厅：游麟路早市整治",
        "place": "工福街社区工福会客厅",
        "agenda": "一、通报居民意见；二、顾问团介绍两个方案；三、市场办、城管部门发表意见；"
        "四、划分各自任务。",
        "minutes": "与会各方同意：早市保留在游麟路，8:30前所有摊位撤离；市场办负责划线和撤摊管理，"
        "城管部门负责巡查，社区负责组织监督团监督并收集居民评价。",
        "departments": ("奎文区东关街道市场服务中心", "奎文区综合行政执法局"),
    },
    "vote": {
        "question": "游麟路早市是否实行“8:30前全部撤摊”？",
        "body": "representatives",
        "quorum": 60,
        "majority": "simple",
    },
    "decision": "游麟路早市8:30前全部撤摊，撤摊后清扫路面。",
    "tasks": (
        ("划定摊位线并通知摊主8:30撤摊", "奎文区东关街道市场服务中心"),
        ("早市时段巡查，督促按时撤摊", "奎文区综合行政执法局"),
    ),
}

ILLEGAL_STRUCTURES = {
    "community": "苇湾社区",
    "category": "HJFW",
    "title": "两户违章建筑影响老旧小区改造进度",
    "description": "苇湾社区老旧小区提升改造中，有两户居民的违章建筑未拆除，"
    "影响整体改造进度，需要大家商量决定。",
    "meeting": {
        "kind": "residents_decide",
        "title": "由民做主会议：违章建筑拆除",
        "place": "苇湾社区党群服务中心",
        "agenda": "商讨违章建筑拆除一事，由楼长、居民代表表决。",
        "minutes": "经过大伙讨论，一致同意拆除两处违章建筑，社区协助两户做好物品搬移。",
    },
    "vote": {
        "question": "是否拆除影响改造的两处违章建筑？",
        "body": "building_heads",
        "quorum": 80,
        "majority": "unanimous",
    },
    "decision": "拆除两处违章建筑，限期完成。",
    "tasks": (("拆除两处违章建筑并清运", "苇湾社区居民委员会"),),
}
