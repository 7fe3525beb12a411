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
        "question": "游麟路早市整治采用哪个方案？",
        "body": "representatives",
        "quorum": 60,
        "majority": "simple",
        "method": "show_of_hands",
        "witness": "高秀兰",
    },
    "decision": "游麟路早市8:30前全部撤摊，撤摊后清扫路面。",
    "tasks": (
        ("划定摊位线并通知摊主8:30撤摊", "奎文区东关街道市场服务中心", "马立军"),
        ("早市时段巡查，督促按时撤摊", "奎文区综合行政执法局", "孔繁强"),
    ),
    # (percent, what was done) of each task's reports, in order
    "reports": (
        (
            (50, "摊位线已划定，向摊主发放撤摊通知。"),
            (100, "摊主全部签订撤摊承诺，连续两周8:30前撤摊完毕，路面已清扫。"),
        ),
        (
            (60, "早市时段每日安排两名队员巡查，劝离超时摊位。"),
            (100, "巡查形成常态，游麟路早高峰通行恢复正常。"),
        ),
    ),
    "inspection": "连续三天早上八点半到游麟路查看，摊位均已撤离，路面干净，通行顺畅。",
    "supporters": 7,
    # (rating, note) of the households that rate the result
    "ratings": (
        ("satisfied", "早上送孩子顺畅多了。"),
        ("satisfied", ""),
        ("satisfied", "早市还在，路也通了。"),
        ("satisfied", ""),
        ("basically", "个别摊位还会晚几分钟。"),
        ("satisfied", ""),
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
        "method": "show_of_hands",
        "witness": "陈玉梅",
    },
    "decision": "拆除两处违章建筑，限期完成。",
    "tasks": (("拆除两处违章建筑并清运", "苇湾社区居民委员会", "吕峰"),),
    "reports": (
        (
            (40, "社区协助两户搬移物品，联系施工队。"),
            (100, "两处违章建筑已拆除，建筑垃圾清运完毕，改造施工恢复。"),
        ),
    ),
    "inspection": "两处违章建筑已拆除，场地平整，改造按计划推进。",
    "ratings": (
        ("satisfied", "改造终于能往下走了。"),
        ("satisfied", ""),
        ("satisfied", ""),
        ("basically", ""),
        ("satisfied", ""),
    ),
}

# Party members' public commitments 党员公开承诺 on the board: (community, place, business
# street, what is committed, fulfilment records (days ago, what was done)).
COMMITMENTS = (
    (
        "工福街社区",
        "business_street",
        "游麟路早市",
        "每周两个早上到游麟路早市劝导按时撤摊，帮助维持早市秩序。",
        ((150, "早市时段劝导三户超时摊主撤摊。"), (60, "协助市场服务中心补画摊位线。")),
    ),
    (
        "工福街社区",
        "community",
        "",
        "为楼院独居老人每月上门一次，帮助解决生活中的小困难。",
        ((120, "为两户独居老人更换灯泡、疏通下水。"), (30, "陪同一位老人到社区卫生服务站体检。")),
    ),
    (
        "苇湾社区",
        "community",
        "",
        "配合老旧小区改造，带头清理楼道杂物，做好邻里解释工作。",
        ((100, "带头清理本单元楼道杂物，动员邻居一起清理。"),),
    ),
)

# --- a year of matters 由民做主 in 东关街道's communities ---------------------------------------------
#
# What residents raise in old estates, by category: (category, title, description, the advisory
# panel's two options, the task that carries out the first, who does it — "" the community's
# residents' committee, else a department).
YEAR_MATTERS: tuple[tuple[str, str, str, tuple[str, str], str, str], ...] = (
    (
        "JZHJ",
        "楼道堆放杂物影响通行",
        "单元楼道长期堆放纸箱、旧家具，老人上下楼不便，也有消防隐患。",
        ("集中清理并立约不再堆放", "设置统一杂物存放点"),
        "组织楼道杂物集中清理",
        "",
    ),
    (
        "JZHJ",
        "垃圾分类亭位置不合理",
        "垃圾分类亭紧挨居民窗户，夏天气味大，希望挪到楼院入口处。",
        ("迁至楼院入口", "加装密闭盖并增加清运次数"),
        "迁移垃圾分类亭",
        "",
    ),
    (
        "JTCX",
        "楼院内停车混乱",
        "楼院车位不足，车辆乱停堵住消防通道，晚上进出困难。",
        ("划定车位、单号双号错时停放", "引入停车管理并收取少量费用"),
        "施划停车位并公布停放规则",
        "",
    ),
    (
        "JTCX",
        "电动车充电难",
        "楼院没有充电桩，居民从楼上拉电线充电，存在安全隐患。",
        ("建设集中充电棚", "与周边单位协商共享充电桩"),
        "建设电动车集中充电棚",
        "奎文区住房和城乡建设局",
    ),
    (
        "WYGL",
        "小区无物业，卫生无人管",
        "老旧小区没有物业，卫生、维修无人负责，希望引入物业服务。",
        ("引入准物业服务", "居民自治、轮流值守"),
        "引入准物业并公示收费标准",
        "",
    ),
    (
        "WYGL",
        "单元门禁损坏",
        "单元门禁坏了半年，陌生人随意进出，居民担心安全。",
        ("更换门禁，费用由维修资金列支", "安装普通防盗门"),
        "更换单元门禁",
        "",
    ),
    (
        "AQFF",
        "楼院监控存在盲区",
        "楼院后排没有监控，最近有电动车电瓶被盗。",
        ("增设两处监控探头", "组织党员志愿者夜间巡逻"),
        "增设监控探头",
        "奎文区公安分局",
    ),
    (
        "AQFF",
        "老旧电线存在火灾隐患",
        "楼道老旧电线裸露，雨天有漏电现象。",
        ("整体更换楼道线路", "先排查维修重点部位"),
        "更换楼道老旧线路",
        "奎文区住房和城乡建设局",
    ),
    (
        "YLFZ",
        "老年人就餐不便",
        "楼院独居老人多，做饭不便，希望社区开设老年助餐点。",
        ("社区食堂开设老年助餐", "与附近餐馆合作送餐上门"),
        "开设老年助餐点",
        "奎文区民政局",
    ),
    (
        "YLFZ",
        "楼院缺少休息座椅",
        "老人在楼院里晒太阳没有地方坐，希望添置座椅。",
        ("添置休闲座椅", "利用闲置空地建休闲角"),
        "添置休闲座椅",
        "",
    ),
    (
        "WHFW",
        "广场舞噪音扰民",
        "晚上广场舞音响声音太大，影响低楼层居民休息。",
        ("限定时间和音量", "调整到远离住宅的空地"),
        "公布广场舞时间和音量约定",
        "",
    ),
    (
        "WHFW",
        "社区图书室开放时间太短",
        "图书室只在工作日白天开放，上班族和学生用不上。",
        ("周末和晚上延长开放", "志愿者轮值开放"),
        "调整图书室开放时间",
        "",
    ),
    (
        "YLFW",
        "希望定期开展义诊",
        "楼院老人多，看病要跑远路，希望卫生服务站定期上门义诊。",
        ("每月一次楼院义诊", "为慢性病老人建立随访"),
        "组织每月楼院义诊",
        "奎文区卫生健康局",
    ),
    (
        "ETQS",
        "孩子放学后无人看管",
        "双职工家庭多，孩子放学后没人照看，希望开设课后托管。",
        ("社区开设四点半课堂", "组织退休教师志愿辅导"),
        "开设四点半课堂",
        "",
    ),
    (
        "LLHM",
        "楼上漏水邻里纠纷",
        "楼上卫生间漏水到楼下，两户多次协商未果，希望社区出面调解。",
        ("社区调解并请专业人员检测", "由双方共同出资维修"),
        "组织调解并完成维修",
        "",
    ),
    (
        "LLHM",
        "制定楼院文明公约",
        "楼院养狗不拴绳、高空抛物等问题较多，希望大家一起定个公约。",
        ("全体居民讨论制定公约", "楼长起草、居民代表表决"),
        "公示楼院文明公约",
        "",
    ),
    (
        "JSGZ",
        "老旧小区改造方案征求意见",
        "楼院列入改造计划，居民希望先议定改造内容的先后顺序。",
        ("先改管网再改外墙", "先改外墙保温再改管网"),
        "报送改造内容顺序",
        "奎文区住房和城乡建设局",
    ),
    (
        "JSGZ",
        "加装电梯意见不一",
        "六层老楼想加装电梯，低楼层住户有顾虑，需要大家商量。",
        ("按楼层分摊费用加装电梯", "暂缓加装，先做意愿调查"),
        "组织加装电梯意愿签字",
        "奎文区住房和城乡建设局",
    ),
    (
        "GGFW",
        "便民服务点缺少自助设备",
        "办理社保认证要跑到街道，希望社区设自助服务设备。",
        ("社区增设自助服务终端", "工作人员上门代办"),
        "安装自助服务终端",
        "",
    ),
    (
        "GGFW",
        "路灯不亮夜间出行不便",
        "楼院东侧三盏路灯坏了很久，晚上出行不安全。",
        ("维修并增设路灯", "改为太阳能路灯"),
        "维修楼院路灯",
        "",
    ),
    (
        "JJFW",
        "希望引入便民维修服务",
        "家里水电小修找不到人，希望社区联系便民维修队定期服务。",
        ("引入便民维修队定期服务", "建立居民互助维修群"),
        "引入便民维修服务",
        "",
    ),
    (
        "SCJY",
        "流动摊贩占用人行道",
        "楼院门口流动摊贩占道经营，行人只能走机动车道。",
        ("划定临时疏导点", "加强巡查劝离"),
        "设置摊贩临时疏导点",
        "奎文区综合行政执法局",
    ),
    (
        "QTSX",
        "楼院闲置空地如何使用",
        "楼院拆除违建后空出一块地，大家对用途有不同想法。",
        ("建设口袋公园", "增设停车位"),
        "建设口袋公园",
        "",
    ),
    (
        "JZHJ",
        "绿化带被占用种菜",
        "有居民在绿化带里种菜，浇粪水气味大，影响环境。",
        ("恢复绿化并设共享菜园", "直接恢复绿化"),
        "恢复绿化带",
        "",
    ),
)

# Who answers for a department's tasks 分工任务 in 东关街道.
DEPARTMENT_CONTACTS = {
    "奎文区住房和城乡建设局": "周文斌",
    "奎文区公安分局": "韩志刚",
    "奎文区民政局": "李红梅",
    "奎文区卫生健康局": "宋立华",
    "奎文区综合行政执法局": "孔繁强",
}

# Why the community closed some matters without taking them further 不予议事.
DROP_REASONS = (
    "该事项属于业主个人之间的民事纠纷，已引导通过人民调解解决。",
    "该事项已列入区级年度改造计划，将统一实施，不再单独议事。",
    "经核实问题已由责任单位解决，居民同意不再议事。",
    "两次表决均未达到法定人数，待条件成熟后重新提出。",
)
# What neighbours say, written down by opinion collectors.
OPINIONS = (
    "这个问题反映很多次了，希望尽快解决。",
    "同意，楼里老人都盼着。",
    "要考虑低楼层住户的意见。",
    "费用怎么分摊要先说清楚。",
    "建议先在一个楼院试点。",
    "希望社区多听听年轻人的想法。",
)
RATING_NOTES = ("办得实在。", "效果不错。", "还需要巩固。", "")
