"""Households overdue 逾期未访 at the end of a period, worked out from the records."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, DateField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import LessThanOrEqual

from linli.core.workdays import WorkCalendar

from ..models import Visit
from ..policies import overdue_households


def _last_working_day_before(day: dt.date) -> dt.date:
    calendar = WorkCalendar.load(day - dt.timedelta(days=40), day)
    candidate = day - dt.timedelta(days=1)
    while not calendar.is_working_day(candidate):
        candidate -= dt.timedelta(days=1)
    return candidate


def latest_base_overdue(every: int, unit: str, on: dt.date) -> dt.date:
    """The latest day a household can have last been visited (or registered) and be overdue
    on `on`.

    The due date is the interval added to that day, moved forward to a working day
    (policies.due_date); it lies before `on` exactly when the interval added reaches no further
    than the last working day before `on`. Adding an interval never goes backwards, so the
    days that qualify end at one day: found here by stepping back from that working day."""
    from ..policies import add_interval

    last_working = _last_working_day_before(on)
    base = last_working
    while add_interval(base, every, unit) > last_working:
        base -= dt.timedelta(days=1)
    return base


def _policy_thresholds(on: dt.date) -> tuple[dict[int, dt.date], dt.date]:
    """For each visit policy, the latest base day overdue on `on`; and the one for households
    without a policy (the default policy, else a quarter)."""
    from ..models import VisitPolicy
    from ..policies import DEFAULT_EVERY

    thresholds, fallback = {}, latest_base_overdue(*DEFAULT_EVERY, on)
    for policy in VisitPolicy.objects.filter(active=True):
        thresholds[policy.pk] = latest_base_overdue(policy.every, policy.unit, on)
        if policy.is_default:
            fallback = thresholds[policy.pk]
    return thresholds, fallback


def _overdue_condition(end: dt.date, today: dt.date) -> Q:
    """Households (the rows of a Household queryset) overdue at the end of the period.

    For a period still running that is today, from the kept visit states. For a period that is
    over it is worked out from the records: the last visit up to the period's end (or the day the
    household was registered, if none) against its policy's interval and the calendar."""
    if end >= today:
        return overdue_households(today)
    thresholds, fallback = _policy_thresholds(end)
    last_visit = (
        Visit.objects.filter(household=OuterRef("pk"), visited_on__lte=end)
        .order_by("-visited_on")
        .values("visited_on")[:1]
    )
    base = Coalesce(Subquery(last_visit), TruncDate("created_at"), output_field=DateField())
    threshold = Case(
        *(When(visit_state__policy_id=pk, then=Value(day)) for pk, day in thresholds.items()),
        default=Value(fallback),
        output_field=DateField(),
    )
    # A household registered after the period's end has its registration day as its base,
    # which lies after every threshold: it is not counted. One registered late but visited
    # before (an imported register) is counted by its visits.
    return Q(LessThanOrEqual(base, threshold))
