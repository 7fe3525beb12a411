"""Where a need 需求 stands once it has been handed on.

A need found on a visit keeps its own status (open, resolved on the spot, closed without
action) until it is handed on to another module's record; from then on the status shown follows
that record. Each kind of record a need can be handed on to is a `FollowUp`: the need's link
field and which of the record's states mean resolved or closed: the service hall's application
办件 and the appeal 诉求 (closed only after its return visit; it has no state that ends it
unresolved).

`need_status_expression()` is the rule in SQL, so that lists filter and count by the status
people see; `effective_status(need)` is the same rule for one need in hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, CharField, F, Q, Value, When

from linli.appeals.choices import AppealState
from linli.hall.choices import ApplicationState

from .choices import NeedStatus


@dataclass(frozen=True)
class FollowUp:
    """One kind of record a need can be handed on to."""

    field: str  # the Need's foreign key to the record
    state_field: str  # the record's state field
    resolved: tuple[str, ...]  # the record's states that resolve the need
    closed: tuple[str, ...]  # its states that end the need without resolving it


# The first follow-up a need has wins: a need is handed on to one record only.
FOLLOW_UPS: list[FollowUp] = [
    FollowUp(
        field="application",
        state_field="state",
        resolved=(ApplicationState.COMPLETED,),
        closed=(ApplicationState.REJECTED, ApplicationState.WITHDRAWN),
    ),
    FollowUp(field="appeal", state_field="state", resolved=(AppealState.CLOSED,), closed=()),
]


def need_status_expression(prefix: str = "") -> Case:
    """The effective status of a need as an SQL expression (annotate, filter, count by it).
    `prefix` reaches the need from another model (e.g. "needs__")."""
    whens = []
    for follow_up in FOLLOW_UPS:
        state = f"{prefix}{follow_up.field}__{follow_up.state_field}"
        whens.append(
            When(Q(**{f"{state}__in": follow_up.resolved}), then=Value(NeedStatus.RESOLVED))
        )
        if follow_up.closed:
            whens.append(
                When(Q(**{f"{state}__in": follow_up.closed}), then=Value(NeedStatus.CLOSED))
            )
        whens.append(
            When(
                Q(**{f"{prefix}{follow_up.field}__isnull": False}),
                then=Value(NeedStatus.FOLLOWING),
            )
        )
    return Case(*whens, default=F(f"{prefix}status"), output_field=CharField())


def handed_on(need) -> bool:
    """Whether the need has been handed on to a follow-up record (its own status then stays
    "being followed up", and nothing more is done to the need itself)."""
    return any(getattr(need, f"{f.field}_id", None) is not None for f in FOLLOW_UPS)


def effective_status(need) -> str:
    """The status shown for one need (its follow-up record's, once handed on). Select the
    follow-up records with the need to spare a query each."""
    for follow_up in FOLLOW_UPS:
        if getattr(need, f"{follow_up.field}_id", None) is None:
            continue
        state = getattr(getattr(need, follow_up.field), follow_up.state_field)
        if state in follow_up.resolved:
            return NeedStatus.RESOLVED.value
        if state in follow_up.closed:
            return NeedStatus.CLOSED.value
        return NeedStatus.FOLLOWING.value
    return need.status
