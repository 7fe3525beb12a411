"""Choices of the five links and visits module 五联与走访."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class LinkLevel(models.IntegerChoices):
    """五联层级 — the five levels of the contact chain, as the source names them."""

    DISTRICT_LEADER = 1, _("District leader → street")
    DEPARTMENT = 2, _("District department → community")
    CADRE = 3, _("Street or community cadre → village")
    VILLAGE_CADRE = 4, _("Village cadre → party member")
    CENTRAL_HOUSEHOLD = 5, _("Party-member central household → households")


class VisitChannel(models.TextChoices):
    """How the contact was made."""

    HOME = "home", _("Home visit")
    PHONE = "phone", _("Phone call")
    TALK_ROOM = "talk_room", _("Public opinion talk room")
    PARTY_ROOM = "party_room", _("Party members' activity room")


class NeedCategory(models.TextChoices):
    """需求类别 — the kinds of problem the source lists."""

    LIVELIHOOD = "livelihood", _("Production and livelihood")
    SCHOOLING = "schooling", _("Children's schooling")
    EMPLOYMENT = "employment", _("Employment")
    MEDICAL = "medical", _("Medical care")
    DISPUTE = "dispute", _("Dispute")
    OTHER = "other", _("Other")


class NeedStatus(models.TextChoices):
    """A need's own status. Once handed on (an application, later an appeal) the status shown
    follows that record: see `needs.need_status_expression`."""

    OPEN = "open", pgettext_lazy("need status", "Open")
    FOLLOWING = "following", _("Being followed up")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed without action")


class IntervalUnit(models.TextChoices):
    DAY = "day", _("days")
    WEEK = "week", _("weeks")
    MONTH = "month", _("months")


class PeriodKind(models.TextChoices):
    """The calendar periods coverage summaries are kept for."""

    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")
