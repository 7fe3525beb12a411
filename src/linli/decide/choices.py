"""Choices of the residents-decide module 由民做主."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Stage(models.TextChoices):
    """The stage 环节 a matter is at: the five steps, then its end. `workflow.TABLE` says which
    follows which.

    - propose 民主提事: raised, gathering support; staff may merge it into a similar one;
    - deliberate 民主议事: the advisory panel writes options, a meeting discusses them;
    - decide 民主决策: a vote of the eligible body under rules fixed before it opened;
    - manage 民主管理: the decision is divided into tasks with owners and deadlines;
    - supervise 民主监督: the supervision panel inspects, residents rate the result;
    - done 已办结: rated well enough; closed 已终止: dropped, merged, or decided against."""

    PROPOSE = "propose", _("Propose")  # 民主提事
    DELIBERATE = "deliberate", _("Deliberate")  # 民主议事
    DECIDE = "decide", _("Decide")  # 民主决策
    MANAGE = "manage", _("Manage")  # 民主管理
    SUPERVISE = "supervise", _("Supervise")  # 民主监督
    DONE = "done", pgettext_lazy("matter stage", "Done")  # 已办结
    CLOSED = "closed", pgettext_lazy("matter stage", "Closed")  # 已终止


# The five steps in order (the end states are not steps).
STEPS = (Stage.PROPOSE, Stage.DELIBERATE, Stage.DECIDE, Stage.MANAGE, Stage.SUPERVISE)


class MatterChannel(models.TextChoices):
    """How a matter was raised."""

    RESIDENT_PHONE = (
        "resident_phone",
        pgettext_lazy("matter channel", "By the resident on the phone"),
    )
    COLLECTOR = "collector", _("By an opinion collector")  # 民情服务队代为提出
    STAFF = "staff", _("By community staff")  # 社区工作人员登记
    APPEAL = "appeal", _("Raised from an appeal")  # 诉求转议事


class ClosedBecause(models.TextChoices):
    """Why a matter ended without being carried out."""

    MERGED = "merged", _("Merged into a similar matter")  # 合并
    DROPPED = "dropped", _("Dropped by the community")  # 不予议事
    REJECTED = "rejected", _("Decided against by the vote")  # 表决未通过
    NO_QUORUM = "no_quorum", _("The vote missed its quorum")  # 未达法定人数


class MeetingKind(models.TextChoices):
    PARLOUR = "parlour", _("Community parlour")  # 会客厅 (工福会客厅)
    RESIDENTS_DECIDE = "residents_decide", _("Residents-decide meeting")  # 由民做主会议


class AttendeeRole(models.TextChoices):
    BUILDING_HEAD = "building_head", _("Building head")  # 楼长
    REPRESENTATIVE = "representative", _("Resident representative")  # 居民代表
    DEPARTMENT = "department", _("Department concerned")  # 相关部门
    PANEL = "panel", _("Advisory panel")  # 顾问团
    RESIDENT = "resident", _("Resident")  # 居民
    STAFF = "staff", _("Community staff")  # 社区工作人员


class PanelKind(models.TextChoices):
    ADVISORY = "advisory", _("Advisory panel")  # 顾问团
    SUPERVISION = "supervision", _("Supervision panel")  # 监督团


class VoterBody(models.TextChoices):
    """Who may vote: the eligible body, fixed before the vote opens."""

    REPRESENTATIVES = "representatives", _("Resident representatives")  # 居民代表
    BUILDING_HEADS = "building_heads", _("Building heads")  # 楼长
    HOUSEHOLDS = "households", _("One vote per household")  # 一户一票


class Majority(models.TextChoices):
    SIMPLE = "simple", _("Simple majority")  # 过半数
    TWO_THIRDS = "two_thirds", _("Two thirds")  # 三分之二
    UNANIMOUS = "unanimous", _("Unanimous")  # 全票


class CastingMethod(models.TextChoices):
    PHONE = "phone", _("On the phone")  # 手机投票
    SHOW_OF_HANDS = "show_of_hands", _("Show of hands, entered by staff")  # 举手表决，工作人员录入


class VoteState(models.TextChoices):
    DRAFT = "draft", _("Being prepared")  # 准备中
    OPEN = "open", _("Open")  # 投票中
    CLOSED = "closed", pgettext_lazy("vote state", "Closed")  # 已结束


class VoteResult(models.TextChoices):
    PASSED = "passed", _("Passed")  # 通过
    FAILED = "failed", _("Not passed")  # 未通过
    NO_QUORUM = "no_quorum", _("Quorum not reached: nothing decided")  # 未达法定人数


class TaskState(models.TextChoices):
    OPEN = "open", _("In progress")  # 进行中
    DONE = "done", _("Done")  # 已完成


class Rating(models.TextChoices):
    """由民评定 — a resident's judgement on the result."""

    SATISFIED = "satisfied", _("Satisfied")  # 满意
    BASICALLY = "basically", _("Basically satisfied")  # 基本满意
    DISSATISFIED = "dissatisfied", _("Dissatisfied")  # 不满意


class CommitmentPlace(models.TextChoices):
    """Where a party member's commitment is posted."""

    COMMUNITY = "community", _("Community")  # 社区
    BUILDING = "building", _("Building")  # 楼院
    BUSINESS_STREET = "business_street", _("Business street")  # 商圈
