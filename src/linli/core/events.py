"""The lines an area's timeline 时间线 may hold (`core.timeline.Event`)."""

from enum import StrEnum

from django.utils.translation import gettext_noop

from .timeline import Event


class Verb(StrEnum):
    MOVED = "moved"


AREA_MOVED = Event(Verb.MOVED, gettext_noop("Moved to %(parent)s"))
