"""The demo's residents-decide data 由民做主: the panels of 工福街社区 and 苇湾社区 and the source's
two stories told as the records they leave — the fixed data the builder draws from. The 14
matter categories are the module's own defaults (`decide.services.DEFAULT_CATEGORIES`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MemberData:
    name: str
    background: str
    categories: tuple[str, ...] = ()  # codes of the categories studied (none: all)
    login: str = ""  # the demo login who sits on the panel with this seat


@dataclass(frozen=True)
class PanelData:
    community: str
    advisory: str  # 顾问团's name
    supervision: str  # 监督团's name
    advisers: tuple[MemberData, ...]
    supervisors: tuple[MemberData, ...]


PANELS: tuple[PanelData, ...] = (
    PanelData(
        "工福街社区",
        "“工福晴雨”顾问团",
        "“工福晴雨”监督团",
        (
            MemberData("于建华", "退休教师", ("WHFW", "ETQS", "LLHM", "SCJY"), "gongfu_panel"),
            MemberData("高建民", "退休党员、原区城管执法干部", ("GGFW", "JZHJ", "JTCX", "SCJY")),
            MemberData("刘玉芬", "退休社区医生", ("YLFW", "YLFZ")),
        ),
        (
            MemberData("高秀兰", "居民代表", login="gongfu_supervisor"),
            MemberData("孙德厚", "楼长"),
        ),
    ),
    PanelData(
        "苇湾社区",
        "苇湾社区顾问团",
        "苇湾社区监督团",
        (
            MemberData("李长青", "退休干部", ("JZHJ", "JSGZ", "WYGL", "AQFF")),
            MemberData("赵淑华", "老党员", ("LLHM", "JJFW", "YLFZ")),
        ),
        (MemberData("陈玉梅", "居民代表"),),
    ),
)

# The source's two stories (its 东关街道 report): what each step of the five left on record.
MORNING_MARKET = {
    "community": "工福街社区",
    "category": "SCJY",
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
    "category": "JZHJ",
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
