"""The lines a household's or a resident's timeline 时间线 may hold (`core.timeline.Event`)."""

from enum import StrEnum

from django.utils.translation import gettext_noop

from linli.core.timeline import Event


class Verb(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    HEAD = "head"
    MOVED = "moved"
    ACCOUNT = "account"


# A household
HOUSEHOLD_REGISTERED = Event(Verb.CREATED, gettext_noop("Household registered"))
HOUSEHOLD_IMPORTED = Event(
    Verb.CREATED, gettext_noop("Household registered by import %(source)s (%(members)s people)")
)
HOUSEHOLD_CHANGED = Event(Verb.UPDATED, gettext_noop("Household details changed: %(fields)s"))
HEAD_NAMED = Event(Verb.HEAD, gettext_noop("Head of household: %(name)s"))
# Written on both households' timelines.
RESIDENT_MOVED = Event(Verb.MOVED, gettext_noop("%(name)s moved from household %(from)s to %(to)s"))

# A resident
RESIDENT_REGISTERED = Event(
    Verb.CREATED, gettext_noop("%(name)s registered in household %(number)s")
)
RESIDENT_CHANGED = Event(Verb.UPDATED, gettext_noop("%(name)s: %(fields)s changed"))
ACCOUNT_LINKED = Event(Verb.ACCOUNT, gettext_noop("Login account linked"))
ACCOUNT_REMOVED = Event(Verb.ACCOUNT, gettext_noop("Login account removed"))
