"""The lines the service hall's records' timelines 时间线 may hold (`core.timeline.Event`):
an application's (with its steps'), an outreach task's and a catalogue item's."""

from enum import StrEnum

from django.utils.translation import gettext_noop

from linli.core.timeline import Event

from .choices import ApplicationChannel, OutreachState, RatingSource


class Verb(StrEnum):
    # an application
    CREATED = "created"
    RETURNED = "returned"
    RECEIVED = "received"
    STEP_RECEIVED = "step_received"
    STEP_DONE = "step_done"
    STEP_REJECTED = "step_rejected"
    RESUBMITTED = "resubmitted"
    PHOTOS_SENT = "photos_sent"
    COMPLETED = "completed"
    GUIDED = "guided"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    TRIP = "trip"
    RATED = "rated"
    ESCALATED = "escalated"
    DEADLINE_MOVED = "deadline_moved"
    # an outreach task (and its outcomes, named as the states they lead to)
    APPLIED = "applied"
    CONTACTED = OutreachState.CONTACTED
    DECLINED = OutreachState.DECLINED
    NOT_ELIGIBLE = OutreachState.NOT_ELIGIBLE
    MOVED = "moved"
    REOPENED = "reopened"
    ASSIGNED = "assigned"
    # a catalogue item (also: CREATED, WITHDRAWN)
    REVISED = "revised"
    OFFERED = "offered"


# --- an application -------------------------------------------------------------------------

TAKEN: dict[str, Event] = {
    ApplicationChannel.COUNTER: Event(Verb.CREATED, gettext_noop("Taken at the counter: %(item)s")),
    ApplicationChannel.VISIT: Event(Verb.CREATED, gettext_noop("Taken on a visit: %(item)s")),
    ApplicationChannel.ONLINE: Event(Verb.CREATED, gettext_noop("Applied for online: %(item)s")),
}
RETURNED = Event(Verb.RETURNED, gettext_noop("Returned for missing material: %(missing)s"))
RETURNED_BY_STEP = Event(
    Verb.RETURNED,
    gettext_noop("“%(step)s” at %(office)s returned it for missing material: %(missing)s"),
)
RECEIVED = Event(
    Verb.RECEIVED,
    gettext_noop(
        "Received with all required material; promised within %(days)s working days, by %(due)s"
    ),
)
STEP_RECEIVED = Event(Verb.STEP_RECEIVED, gettext_noop("At %(office)s for “%(step)s”, due %(due)s"))
STEP_APPROVED = Event(Verb.STEP_DONE, gettext_noop("“%(step)s” approved at %(office)s"))
STEP_APPROVED_WITH_NOTE = Event(
    Verb.STEP_DONE, gettext_noop("“%(step)s” approved at %(office)s: %(note)s")
)
STEP_REJECTED = Event(
    Verb.STEP_REJECTED, gettext_noop("“%(step)s” rejected at %(office)s: %(note)s")
)
MATERIAL_HANDED_IN = Event(
    Verb.RESUBMITTED, gettext_noop("Missing material handed in: %(materials)s")
)
PHOTOS_SENT = Event(
    Verb.PHOTOS_SENT,
    gettext_noop("Photos of missing material sent from the phone (%(count)s): %(materials)s"),
)
BACK_WITH_PHOTOS = Event(
    Verb.RESUBMITTED,
    gettext_noop("Back for handling with the photos sent from the phone; no trip needed"),
)
COMPLETED = Event(
    Verb.COMPLETED, gettext_noop("Completed in %(days)s working days (promised: %(promised)s)")
)
GUIDED = Event(Verb.GUIDED, gettext_noop("Guidance given: %(guidance)s — outcome: %(outcome)s"))
REJECTED = Event(Verb.REJECTED, gettext_noop("Rejected: %(reason)s"))
WITHDRAWN = Event(Verb.WITHDRAWN, gettext_noop("Withdrawn: %(reason)s"))
TRIP = Event(Verb.TRIP, gettext_noop("Trip %(count)s recorded (%(date)s)"))
RATED: dict[str, Event] = {
    RatingSource.RESIDENT: Event(Verb.RATED, gettext_noop("Rated %(score)s of 5 by the resident")),
    RatingSource.RETURN_CALL: Event(
        Verb.RATED, gettext_noop("Rated %(score)s of 5 on a return call")
    ),
}
ESCALATED = Event(
    Verb.ESCALATED,
    gettext_noop("Step “%(step)s” is overdue (due %(due)s): %(count)s people reminded"),
)
# The working-day calendar changed under a running deadline.
DEADLINE_MOVED = Event(
    Verb.DEADLINE_MOVED,
    gettext_noop("Deadline moved from %(before)s to %(after)s: the working-day calendar changed"),
)
STEP_DEADLINE_MOVED = Event(
    Verb.DEADLINE_MOVED,
    gettext_noop(
        "Deadline of step “%(step)s” moved from %(before)s to %(after)s: the working-day "
        "calendar changed"
    ),
)
DEADLINE_CONFIRMED = Event(
    Verb.DEADLINE_MOVED,
    gettext_noop(
        "Deadline %(due)s confirmed: the official holidays of the years it reaches are now entered"
    ),
)

# --- an outreach task -----------------------------------------------------------------------

TASK_APPLIED = Event(Verb.APPLIED, gettext_noop("Applied: application %(number)s"))
# Each outcome without a note, and with one.
OUTCOMES: dict[str, tuple[Event, Event]] = {
    OutreachState.CONTACTED: (
        Event(Verb.CONTACTED, gettext_noop("Household contacted")),
        Event(Verb.CONTACTED, gettext_noop("Household contacted: %(note)s")),
    ),
    OutreachState.DECLINED: (
        Event(Verb.DECLINED, gettext_noop("The household declined")),
        Event(Verb.DECLINED, gettext_noop("The household declined: %(note)s")),
    ),
    OutreachState.NOT_ELIGIBLE: (
        Event(Verb.NOT_ELIGIBLE, gettext_noop("Found not eligible after all")),
        Event(Verb.NOT_ELIGIBLE, gettext_noop("Found not eligible after all: %(note)s")),
    ),
}
TASK_MOVED = Event(
    Verb.MOVED, gettext_noop("The household moved to %(area)s; the task went with it")
)
TASK_REOPENED = Event(Verb.REOPENED, gettext_noop("Reopened: %(reason)s"))
TASK_ASSIGNED = Event(
    Verb.ASSIGNED, gettext_noop("Given to %(worker)s, now responsible for the area")
)

# --- a catalogue item -----------------------------------------------------------------------

ITEM_CREATED = Event(
    Verb.CREATED, gettext_noop("Service item %(code)s created as version %(number)s.")
)
ITEM_REVISED = Event(Verb.REVISED, gettext_noop("Version %(number)s made: %(note)s"))
ITEM_REVISED_WITHOUT_NOTE = Event(Verb.REVISED, gettext_noop("Version %(number)s made."))
ITEM_WITHDRAWN = Event(Verb.WITHDRAWN, gettext_noop("Withdrawn from the catalogue."))
ITEM_OFFERED = Event(Verb.OFFERED, gettext_noop("Offered in the catalogue again."))
