"""The lines a household's or an area's timeline 时间线 may hold about visits, the needs found
on them and who keeps in touch with whom (`core.timeline.Event`)."""

from enum import StrEnum

from django.utils.translation import gettext_noop

from linli.core.timeline import Event

from .choices import VisitChannel


class Verb(StrEnum):
    VISITED = "visited"
    NEED_FOUND = "need_found"
    NEED_HANDED_ON = "need_handed_on"
    NEED_CLOSED = "need_closed"
    ASSIGNMENT = "assignment"


# A household: a visit, by way of contact.
VISITED: dict[str, Event] = {
    VisitChannel.HOME: Event(Verb.VISITED, gettext_noop("Home visit by %(visitor)s on %(date)s")),
    VisitChannel.PHONE: Event(
        Verb.VISITED, gettext_noop("Phone call from %(visitor)s on %(date)s")
    ),
    VisitChannel.TALK_ROOM: Event(
        Verb.VISITED, gettext_noop("Met %(visitor)s in the public opinion talk room on %(date)s")
    ),
    VisitChannel.PARTY_ROOM: Event(
        Verb.VISITED,
        gettext_noop("Met %(visitor)s in the party members' activity room on %(date)s"),
    ),
}

# A household: its needs.
NEED_FOUND = Event(Verb.NEED_FOUND, gettext_noop("Need found: %(description)s"))
NEED_HANDED_ON = Event(
    Verb.NEED_HANDED_ON,
    gettext_noop("Need handed on to the service hall as application %(number)s: %(description)s"),
)
NEED_RAISED_AS_APPEAL = Event(
    Verb.NEED_HANDED_ON,
    gettext_noop("Need raised as appeal %(number)s: %(description)s"),
)
NEED_RESOLVED = Event(Verb.NEED_CLOSED, gettext_noop("Need resolved: %(description)s — %(note)s"))
NEED_CLOSED = Event(
    Verb.NEED_CLOSED, gettext_noop("Need closed without action: %(description)s — %(note)s")
)

# An area, a party member or a household kept in touch with.
ASSIGNED = Event(
    Verb.ASSIGNMENT,
    gettext_noop("Contact assigned at link level %(level)s: %(contact)s, from %(start)s"),
)
ASSIGNMENT_ENDS = Event(
    Verb.ASSIGNMENT,
    gettext_noop("Contact assignment at link level %(level)s ends on %(end)s: %(contact)s"),
)
