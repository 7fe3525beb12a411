"""The lines a matter's timeline 时间线 may hold (`core.timeline.Event`), named once. Other parts
of the module (votes, tasks, inspections, ratings) add theirs here too."""

from enum import StrEnum

from django.utils.translation import gettext_noop

from linli.core.timeline import Event

from .choices import MatterChannel, VoteResult
from .workflow import Action


class Verb(StrEnum):
    CREATED = "created"
    SUPPORTED = "supported"
    OPINION = "opinion"
    MERGED = "merged"
    MOVED = "moved"  # from one stage to the next
    OPTION = "option"
    MEETING = "meeting"
    VOTE = "vote"
    TASK = "task"
    PROGRESS = "progress"
    INSPECTION = "inspection"
    RATED = "rated"
    COMMITMENT = "commitment"
    FULFILMENT = "fulfilment"


RAISED: dict[str, Event] = {
    MatterChannel.RESIDENT_PHONE: Event(
        Verb.CREATED, gettext_noop("Proposed by a resident on the phone: %(title)s")
    ),
    MatterChannel.COLLECTOR: Event(
        Verb.CREATED,
        gettext_noop("Proposed by an opinion collector on a resident's behalf: %(title)s"),
    ),
    MatterChannel.STAFF: Event(
        Verb.CREATED, gettext_noop("Registered by community staff: %(title)s")
    ),
    MatterChannel.APPEAL: Event(
        Verb.CREATED, gettext_noop("Raised from appeal %(appeal)s: %(title)s")
    ),
}
# Each move of the stage, by the table's action (workflow.Action), with what the mover said
# (`note`, may be empty) and the round it starts or ends (`round`).
MOVED: dict[str, Event] = {
    Action.DELIBERATE: Event(Verb.MOVED, gettext_noop("Taken up for deliberation. %(note)s")),
    Action.MERGE: Event(Verb.MERGED, gettext_noop("Merged into a similar matter. %(note)s")),
    Action.DROP: Event(Verb.MOVED, gettext_noop("Closed without deliberation: %(note)s")),
    Action.PUT_TO_VOTE: Event(Verb.MOVED, gettext_noop("Put to the vote. %(note)s")),
    Action.DECIDED: Event(
        Verb.MOVED, gettext_noop("The vote passed: the decision is carried out. %(note)s")
    ),
    Action.REJECTED: Event(Verb.MOVED, gettext_noop("The vote did not pass: closed. %(note)s")),
    Action.NO_QUORUM: Event(
        Verb.MOVED,
        gettext_noop("The vote missed its quorum: nothing decided, back to deliberation. %(note)s"),
    ),
    Action.SUPERVISE: Event(
        Verb.MOVED, gettext_noop("Every task of round %(round)s done: supervision begins. %(note)s")
    ),
    Action.FINISH: Event(Verb.MOVED, gettext_noop("Rated by the residents: done. %(note)s")),
    Action.SEND_BACK: Event(
        Verb.MOVED,
        gettext_noop(
            "Too many residents dissatisfied: back to manage for round %(round)s. %(note)s"
        ),
    ),
}
MERGED_INTO = Event(Verb.MERGED, gettext_noop("Merged into %(number)s: %(note)s"))
MERGED_FROM = Event(Verb.MERGED, gettext_noop("%(number)s merged into this matter"))

# --- manage 民主管理 and supervise 民主监督 (decide/manage) ---------------------------------------
TASK_ASSIGNED = Event(
    Verb.TASK,
    gettext_noop("Task for %(organisation)s (%(owner)s, by %(due_on)s): %(title)s"),
)
TASK_PROGRESS = Event(
    Verb.PROGRESS, gettext_noop("Progress on “%(title)s”: %(percent)s%%. %(text)s")
)
TASK_SET_BACK = Event(
    Verb.PROGRESS,
    gettext_noop("Progress on “%(title)s” set back to %(percent)s%%: %(text)s"),
)
TASK_DONE = Event(Verb.PROGRESS, gettext_noop("Task done: %(title)s. %(text)s"))
INSPECTED_PASSED = Event(
    Verb.INSPECTION, gettext_noop("Inspected by %(inspector)s: passed. %(notes)s")
)
INSPECTED_FAILED = Event(
    Verb.INSPECTION, gettext_noop("Inspected by %(inspector)s: not passed. %(notes)s")
)
RATINGS_COUNTED = Event(
    Verb.RATED,
    gettext_noop(
        "Ratings of round %(round)s counted: %(satisfied)s satisfied, %(basically)s basically "
        "satisfied, %(dissatisfied)s dissatisfied."
    ),
)

# --- the commitment board 党员公开承诺榜 (decide/board): lines on a commitment's timeline -------
COMMITMENT_POSTED = Event(Verb.COMMITMENT, gettext_noop("Commitment posted for %(year)s: %(text)s"))
COMMITMENT_RECORDED = Event(Verb.FULFILMENT, gettext_noop("Done on %(done_on)s: %(text)s"))
# --- proposing and deliberating 民主提事、民主议事 ---------------------------------------------------

SUPPORTED = Event(Verb.SUPPORTED, gettext_noop("A resident supported this matter."))
OPINION_ADDED = Event(Verb.OPINION, gettext_noop("A neighbour's opinion was written down."))
OPTION_ADDED = Event(Verb.OPTION, gettext_noop("Option %(order)s written: %(title)s"))
MEETING_ARRANGED = Event(
    Verb.MEETING, gettext_noop("Meeting arranged for %(when)s at %(place)s: %(title)s")
)
MEETING_ROLL = Event(
    Verb.MEETING, gettext_noop("Roll of %(title)s taken: %(present)s of %(invited)s came.")
)
MEETING_HELD = Event(Verb.MEETING, gettext_noop("Minutes of %(title)s recorded."))
CATEGORY_CREATED = Event(Verb.CREATED, gettext_noop("Category %(code)s created."))
CATEGORY_REVISED = Event(Verb.MOVED, gettext_noop("Category changed: %(fields)s."))
CATEGORY_OFFERED = Event(Verb.MOVED, gettext_noop("Category offered again."))
CATEGORY_WITHDRAWN = Event(Verb.MOVED, gettext_noop("Category withdrawn."))

# A vote 表决: opened (its roll taken) and closed, with its result and turnout.
VOTE_OPENED = Event(
    Verb.VOTE,
    gettext_noop("Vote opened: %(question)s — %(roll)s on the roll, closes %(closes)s."),
)
VOTE_CLOSED: dict[str, Event] = {
    VoteResult.PASSED: Event(
        Verb.VOTE,
        gettext_noop(
            "Vote closed: %(question)s — passed: %(choice)s. %(cast)s of %(roll)s voted "
            "(turnout %(turnout)s)."
        ),
    ),
    VoteResult.FAILED: Event(
        Verb.VOTE,
        gettext_noop(
            "Vote closed: %(question)s — not passed. %(cast)s of %(roll)s voted "
            "(turnout %(turnout)s)."
        ),
    ),
    VoteResult.NO_QUORUM: Event(
        Verb.VOTE,
        gettext_noop(
            "Vote closed: %(question)s — quorum not reached, nothing decided. %(cast)s of "
            "%(roll)s voted (turnout %(turnout)s)."
        ),
    ),
}
