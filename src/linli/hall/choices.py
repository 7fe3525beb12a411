from django.db import models
from django.utils.translation import gettext_lazy as _


class HandlingMode(models.TextChoices):
    """办理方式 — how an item is handled."""

    ON_THE_SPOT = "on_the_spot", _("Done at the counter")  # 即时办理
    PROXY = "proxy", _("Carried through the offices for the resident")  # 代为办理
    GUIDED = "guided", _("Guided")  # 指导办理


class OfficeKind(models.TextChoices):
    """Where a step of a route is handled."""

    HALL = "hall", _("Community service hall")
    STREET = "street", _("Street office")
    DEPARTMENT = "department", _("District department")


class ApplicationState(models.TextChoices):
    """办件状态 — the states of an application; `workflow.py` says which follow which."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_PROGRESS = "in_progress", _("In progress")
    RETURNED = "returned", _("Returned for missing material")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ApplicationChannel(models.TextChoices):
    """How an application came in."""

    COUNTER = "counter", _("At the counter")
    VISIT = "visit", _("On a visit")
    ONLINE = "online", _("Online")


class StepState(models.TextChoices):
    WAITING = "waiting", _("Not reached yet")
    ACTIVE = "active", _("At this office")
    DONE = "done", _("Done")
    RETURNED = "returned", _("Returned")
    REJECTED = "rejected", _("Rejected")
    SKIPPED = "skipped", _("Not needed")


class TripReason(models.TextChoices):
    """Why the resident had to come in person (跑腿)."""

    SUBMIT = "submit", _("To hand in the application")
    MISSING_MATERIAL = "missing_material", _("To bring missing material")
    SIGN = "sign", _("To sign in person")
    COLLECT = "collect", _("To collect the result")
    OTHER = "other", _("Other")


class OutreachState(models.TextChoices):
    """主动服务任务状态 — where an outreach task stands."""

    OPEN = "open", _("To contact")
    CONTACTED = "contacted", _("Contacted")
    APPLIED = "applied", _("Applied")
    DECLINED = "declined", _("Declined")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible after all")


OPEN_OUTREACH_STATES = (OutreachState.OPEN, OutreachState.CONTACTED)


class RatingSource(models.TextChoices):
    RESIDENT = "resident", _("By the resident")
    RETURN_CALL = "return_call", _("On a return call")  # 回访
