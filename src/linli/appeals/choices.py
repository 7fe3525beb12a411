"""Choices of the appeals module 诉求与矛盾纠纷."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Tier(models.TextChoices):
    """层级 — where an appeal is handled, lowest first: 小事不出村、大事不出社区. The order of the
    members is the order an appeal is handed up in (`tiers.TIERS`)."""

    VILLAGE = "village", pgettext_lazy("tier", "Village")  # 村(居)级
    COMMUNITY = "community", pgettext_lazy("tier", "Community")  # 社区级
    STREET = "street", pgettext_lazy("tier", "Street")  # 街道(镇)级
    DEPARTMENT = "department", pgettext_lazy("tier", "District department")  # 区直部门


class AppealChannel(models.TextChoices):
    """渠道 — where an appeal came from."""

    VISIT = "visit", _("Found on a visit")  # 走访发现
    COUNTER = "counter", _("At the counter")  # 窗口受理
    HOTLINE = "hotline", _("12345 hotline")  # 12345 热线转办
    RESIDENT_PHONE = "resident_phone", _("Resident's phone")  # 居民手机端
    API = "api", _("Another system (API)")
    OPEN311 = "open311", _("Open311")


class AppealState(models.TextChoices):
    """诉求状态 — where an appeal stands; `workflow.TABLE` says which follows which.

    - waiting 待受理: in the queue of the tier it is at, nobody has taken it yet (also after it
      was handed up, sent to the department or reopened: each starts a new step);
    - taken 办理中: a handler at that tier has taken it;
    - settled 已办结待回访: the tier says what was done; it waits for the return visit;
    - closed 已办结: the return visit found the reporter satisfied (or the dissatisfaction has
      no tier left to go to)."""

    WAITING = "waiting", _("Waiting at its tier")
    TAKEN = "taken", _("Being handled")
    SETTLED = "settled", _("Settled, awaiting the return visit")
    CLOSED = "closed", pgettext_lazy("appeal state", "Closed")


class StepOutcome(models.TextChoices):
    """How an appeal's step 环节 at a tier ended."""

    SETTLED = "settled", _("Settled")
    HANDED_UP = "handed_up", _("Handed up")
    SENT_TO_DEPARTMENT = "sent_to_department", _("Sent to the department")
    ESCALATED = "escalated", _("Handed up when the time limit passed")


class Satisfaction(models.TextChoices):
    """回访满意度 — the reporter's judgement on the return visit."""

    SATISFIED = "satisfied", _("Satisfied")  # 满意
    BASICALLY = "basically", _("Basically satisfied")  # 基本满意
    DISSATISFIED = "dissatisfied", _("Dissatisfied")  # 不满意


class ReturnVisitMethod(models.TextChoices):
    """How the return visit was made."""

    PHONE = "phone", _("By phone")  # 电话回访
    VISIT = "visit", _("In person")  # 上门回访
    RESIDENT_PHONE = "resident_phone", _("By the resident on the phone")  # 居民手机端评价


class ReturnVisitResult(models.TextChoices):
    """What the return visit did to the appeal (see `rules.return_visit_result`)."""

    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened at the same tier")
    HANDED_UP = "handed_up", _("Handed up")


# --- disputes 矛盾纠纷 ---------------------------------------------------------------------------


class DisputeState(models.TextChoices):
    """调解状态 — where a dispute's mediation stands; `disputes.workflow.TABLE` says which follows
    which."""

    PREPARING = "preparing", _("Preparing the mediation")  # 调解准备
    MEDIATING = "mediating", _("Being mediated")  # 调解中
    AGREED = "agreed", _("Agreement reached")  # 达成调解协议
    REFERRED = "referred", _("Mediation failed, referred on")  # 调解不成，已引导
    FULFILLED = "fulfilled", _("Agreement kept")  # 协议已履行
    NOT_FULFILLED = "not_fulfilled", _("Agreement not kept")  # 协议未履行


class Referral(models.TextChoices):
    """Where a failed mediation sends the parties on."""

    LITIGATION = "litigation", _("A lawsuit")  # 诉讼
    ARBITRATION = "arbitration", _("Arbitration")  # 仲裁
    PETITION = "petition", _("Letters and visits")  # 信访


class DisputeSide(models.TextChoices):
    """Which side of a dispute a party is on."""

    APPLICANT = "applicant", _("Applicant")  # 申请人
    RESPONDENT = "respondent", _("Respondent")  # 被申请人


class Fulfilment(models.TextChoices):
    """履行情况 — what the check of an agreement found."""

    KEPT = "kept", _("Kept")  # 已履行
    PARTLY = "partly", _("Partly kept")  # 部分履行
    NOT_KEPT = "not_kept", _("Not kept")  # 未履行
