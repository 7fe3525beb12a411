"""The lines an appeal's and an appeal category's timelines 时间线 may hold
(`core.timeline.Event`). Places (a village, a community, a street, a department) are named as
they were when the line was written."""

from enum import StrEnum

from django.utils.translation import gettext_noop

from linli.core.timeline import Event

from .choices import AppealChannel, Fulfilment, Satisfaction


class Verb(StrEnum):
    # an appeal
    CREATED = "created"
    ARRIVED = "arrived"
    TAKEN = "taken"
    SETTLED = "settled"
    HANDED_UP = "handed_up"
    SENT_TO_DEPARTMENT = "sent_to_department"
    ESCALATED = "escalated"
    OVERDUE = "overdue"
    RETURN_VISIT = "return_visit"
    REOPENED = "reopened"
    CLOSED = "closed"
    PHOTOS_ADDED = "photos_added"
    DEADLINE_MOVED = "deadline_moved"
    # a category (also: CREATED)
    REVISED = "revised"
    WITHDRAWN = "withdrawn"
    OFFERED = "offered"


# --- an appeal ------------------------------------------------------------------------------

RAISED: dict[str, Event] = {
    AppealChannel.VISIT: Event(Verb.CREATED, gettext_noop("Raised on a visit: %(category)s")),
    AppealChannel.COUNTER: Event(Verb.CREATED, gettext_noop("Raised at the counter: %(category)s")),
    AppealChannel.HOTLINE: Event(
        Verb.CREATED, gettext_noop("Handed on by the 12345 hotline: %(category)s")
    ),
    AppealChannel.RESIDENT_PHONE: Event(
        Verb.CREATED, gettext_noop("Raised by the resident on the phone: %(category)s")
    ),
    AppealChannel.API: Event(
        Verb.CREATED, gettext_noop("Received from another system: %(category)s")
    ),
    AppealChannel.OPEN311: Event(
        Verb.CREATED, gettext_noop("Received through Open311: %(category)s")
    ),
}
# Each step: where it waits and until when (a provisional deadline says so).
ARRIVED = Event(Verb.ARRIVED, gettext_noop("Waiting at %(place)s, due %(due)s"))
ARRIVED_PROVISIONAL = Event(
    Verb.ARRIVED,
    gettext_noop(
        "Waiting at %(place)s, due %(due)s (provisional: the official holidays of %(years)s "
        "are not entered yet)"
    ),
)
TAKEN = Event(Verb.TAKEN, gettext_noop("Taken at %(place)s by %(handler)s"))
SETTLED = Event(Verb.SETTLED, gettext_noop("Settled at %(place)s: %(what)s"))
HANDED_UP = Event(Verb.HANDED_UP, gettext_noop("Handed up from %(place)s: %(reason)s"))
SENT_TO_DEPARTMENT = Event(
    Verb.SENT_TO_DEPARTMENT,
    gettext_noop("Sent from %(place)s to %(department)s: %(reason)s"),
)
ESCALATED = Event(
    Verb.ESCALATED,
    gettext_noop(
        "Handed up from %(place)s to %(next)s: the time limit there passed on %(due)s with the "
        "appeal not settled; %(count)s people told"
    ),
)
OVERDUE_AT_TOP = Event(
    Verb.OVERDUE,
    gettext_noop(
        "Overdue at %(place)s since %(due)s, with no tier above to hand it to; %(count)s people "
        "told"
    ),
)
RETURN_VISIT: dict[str, Event] = {
    Satisfaction.SATISFIED: Event(
        Verb.RETURN_VISIT, gettext_noop("Return visit: the reporter is satisfied. %(note)s")
    ),
    Satisfaction.BASICALLY: Event(
        Verb.RETURN_VISIT,
        gettext_noop("Return visit: the reporter is basically satisfied. %(note)s"),
    ),
    Satisfaction.DISSATISFIED: Event(
        Verb.RETURN_VISIT, gettext_noop("Return visit: the reporter is dissatisfied. %(note)s")
    ),
}
REOPENED = Event(
    Verb.REOPENED, gettext_noop("Reopened at %(place)s after the dissatisfied return visit")
)
HANDED_UP_DISSATISFIED = Event(
    Verb.HANDED_UP,
    gettext_noop("Handed up from %(place)s: dissatisfied again after it was reopened there"),
)
CLOSED = Event(Verb.CLOSED, gettext_noop("Closed after the return visit"))
CLOSED_DISSATISFIED = Event(
    Verb.CLOSED,
    gettext_noop(
        "Closed with the reporter dissatisfied: %(place)s has no tier above to hand it to"
    ),
)
PHOTOS_ADDED = Event(Verb.PHOTOS_ADDED, gettext_noop("Photos added (%(count)s)"))
DEADLINE_MOVED = Event(
    Verb.DEADLINE_MOVED,
    gettext_noop(
        "Deadline at %(place)s moved from %(before)s to %(after)s: the working-day calendar changed"
    ),
)
DEADLINE_CONFIRMED = Event(
    Verb.DEADLINE_MOVED,
    gettext_noop(
        "Deadline %(due)s confirmed: the official holidays of the years it reaches are now entered"
    ),
)

# --- a category -----------------------------------------------------------------------------

CATEGORY_CREATED = Event(
    Verb.CREATED, gettext_noop("Appeal category %(code)s created as version %(number)s.")
)
CATEGORY_REVISED = Event(Verb.REVISED, gettext_noop("Version %(number)s made: %(note)s"))
CATEGORY_REVISED_WITHOUT_NOTE = Event(Verb.REVISED, gettext_noop("Version %(number)s made."))
CATEGORY_WITHDRAWN = Event(Verb.WITHDRAWN, gettext_noop("Withdrawn: takes no new appeals."))
CATEGORY_OFFERED = Event(Verb.OFFERED, gettext_noop("Takes new appeals again."))

# --- a dispute 矛盾纠纷 (lines on its appeal's timeline) -----------------------------------------


class DisputeVerb(StrEnum):
    MARKED = "dispute_marked"
    PARTY_ADDED = "dispute_party_added"
    MEDIATOR_SET = "dispute_mediator_set"
    SESSION = "dispute_session"
    AGREED = "dispute_agreed"
    SCAN = "dispute_scan"
    REFERRED = "dispute_referred"
    CHECKED = "dispute_checked"


DISPUTE_MARKED = Event(DisputeVerb.MARKED, gettext_noop("Marked as a dispute to be mediated"))
DISPUTE_PARTY_ADDED = Event(
    DisputeVerb.PARTY_ADDED, gettext_noop("Party added (%(side)s): %(name)s")
)
DISPUTE_MEDIATOR_SET = Event(DisputeVerb.MEDIATOR_SET, gettext_noop("Mediator: %(mediator)s"))
DISPUTE_SESSION = Event(
    DisputeVerb.SESSION,
    gettext_noop("Mediation session %(order)s held on %(when)s at %(place)s; present: %(who)s"),
)
DISPUTE_AGREED = Event(
    DisputeVerb.AGREED,
    gettext_noop(
        "Mediation agreement %(number)s signed on %(signed)s; its keeping is checked on "
        "%(follow_up)s"
    ),
)
DISPUTE_SCAN = Event(DisputeVerb.SCAN, gettext_noop("Signed scan of agreement %(number)s uploaded"))
DISPUTE_REFERRED = Event(
    DisputeVerb.REFERRED, gettext_noop("Mediation failed, referred to %(referral)s: %(reason)s")
)
DISPUTE_CHECKED: dict[str, Event] = {
    Fulfilment.KEPT: Event(
        DisputeVerb.CHECKED, gettext_noop("Agreement %(number)s checked: kept. %(note)s")
    ),
    Fulfilment.PARTLY: Event(
        DisputeVerb.CHECKED,
        gettext_noop(
            "Agreement %(number)s checked: partly kept, checked again on %(follow_up)s. %(note)s"
        ),
    ),
    Fulfilment.NOT_KEPT: Event(
        DisputeVerb.CHECKED, gettext_noop("Agreement %(number)s checked: not kept. %(note)s")
    ),
}
