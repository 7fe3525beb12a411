"""The service hall's rules, each named once: the one-trip promise 最多跑一次, which items are
offered 在办, and which applications and steps are overdue 超期.

Services, selectors, figures, forms, templates (through `Application.over_trip_promise`) and
the demo builder ask these; none writes the rule out again. Pure: no queries run here — the
`Q` objects are conditions for the caller's queryset.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from linli.core.dates import overdue

from .applications.workflow import RUNNING_STATES
from .choices import StepState

# --- the one-trip promise -------------------------------------------------------------------

# 最多跑一次 — the hall promises that a resident comes in person at most this many times for one
# application. A trip beyond it needs its reason on record, and the figures count the share of
# completed applications that kept the promise.
PROMISED_TRIPS = 1


def over_trip_promise(trips: int) -> bool:
    """Whether `trips` trips for one application are more than the promise."""
    return trips > PROMISED_TRIPS


# Applications (rows of an Application queryset) that kept the promise.
WITHIN_TRIP_PROMISE = Q(trip_count__lte=PROMISED_TRIPS)


# --- offered items --------------------------------------------------------------------------

# Items (rows of a ServiceItem queryset) offered now: switched on in the catalogue, with a current
# version for new applications to follow.
OFFERED = Q(active=True, current__isnull=False)


def is_offered(item) -> bool:
    """The same for one item in hand."""
    return bool(item.active and item.current_id is not None)


# --- overdue --------------------------------------------------------------------------------


def overdue_applications(today: dt.date) -> Q:
    """Applications whose promised date has passed while the clock runs (submitted or in
    progress)."""
    return Q(state__in=RUNNING_STATES) & overdue("due_on", today)


def overdue_steps(today: dt.date) -> Q:
    """Steps whose time limit has passed while they wait at their office."""
    return Q(state=StepState.ACTIVE) & overdue("due_on", today)
