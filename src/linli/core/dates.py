"""Calendar rules every module shares, each named once: a person's age on a day, the same day
some years before, and when a deadline is overdue.

A deadline passes at the end of its due day: a matter is overdue from the day after, never on
the due day itself. `overdue` is that rule for a queryset, `is_overdue` and `days_overdue` for
one date in hand; the template filter `deadlines.overdue` asks `is_overdue` too.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q


def age_on(birth: dt.date, day: dt.date) -> int:
    """Full years of age on `day` (the birthday itself counts; 29 February in a common year
    comes on 1 March)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day `years` earlier; 29 February becomes the 28th in a common year."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def overdue(field: str, today: dt.date) -> Q:
    """Rows whose deadline in `field` (a date, e.g. "due_on" or "visit_state__due_on") has
    passed on `today`."""
    return Q(**{f"{field}__lt": today})


def is_overdue(due_on: dt.date | None, today: dt.date) -> bool:
    """Whether a deadline has passed on `today` (no deadline: never)."""
    return due_on is not None and due_on < today


def days_overdue(due_on: dt.date | None, today: dt.date) -> int:
    """Days overdue on `today` (0 on the due date itself and before, and with no deadline)."""
    if due_on is None or not is_overdue(due_on, today):
        return 0
    return (today - due_on).days
