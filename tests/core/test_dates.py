"""The calendar rules every module shares: age, years before, overdue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template

from linli.core import dates
from linli.core.models import WorkCalendarDay

D = dt.date


def test_age_counts_full_years_and_the_leap_day_birthday():
    assert dates.age_on(D(1950, 10, 1), D(2026, 9, 30)) == 75
    assert dates.age_on(D(1950, 10, 1), D(2026, 10, 1)) == 76
    assert dates.age_on(D(2024, 2, 29), D(2025, 2, 28)) == 0
    assert dates.age_on(D(2024, 2, 29), D(2025, 3, 1)) == 1


def test_years_before_handles_29_february():
    assert dates.years_before(D(2028, 2, 29), 1) == D(2027, 2, 28)
    assert dates.years_before(D(2028, 2, 29), 4) == D(2024, 2, 29)
    assert dates.years_before(D(2026, 9, 28), 60) == D(1966, 9, 28)


def test_a_deadline_is_overdue_from_the_day_after_its_due_day():
    due = D(2026, 10, 8)
    assert not dates.is_overdue(due, D(2026, 10, 7))
    assert not dates.is_overdue(due, due)
    assert dates.is_overdue(due, D(2026, 10, 9))
    assert not dates.is_overdue(None, due)
    assert [dates.days_overdue(due, D(2026, 10, d)) for d in (1, 8, 9, 20)] == [0, 0, 1, 12]
    assert dates.days_overdue(None, due) == 0


@pytest.mark.django_db
def test_the_queryset_rule_finds_what_the_date_rule_says():
    # Any model with a date column will do: the working-day calendar's days.
    days = [D(2030, 10, d) for d in (7, 8, 9)]
    WorkCalendarDay.objects.bulk_create([WorkCalendarDay(date=d, working=True) for d in days])
    today = D(2030, 10, 8)
    found = WorkCalendarDay.objects.filter(date__in=days).filter(dates.overdue("date", today))
    assert list(found.values_list("date", flat=True)) == [
        d for d in days if dates.is_overdue(d, today)
    ]
    assert list(found.values_list("date", flat=True)) == [D(2030, 10, 7)]


@pytest.mark.parametrize(
    ("due", "today", "shown"),
    [
        (D(2026, 10, 7), D(2026, 10, 8), True),
        (D(2026, 10, 8), D(2026, 10, 8), False),
        (D(2026, 10, 9), D(2026, 10, 8), False),
        (D(2026, 10, 7), "", False),  # no date to compare with: never overdue
        (None, D(2026, 10, 8), False),
    ],
)
def test_the_template_filter_asks_the_same_rule(due, today, shown):
    template = Template("{% load deadlines %}{% if due|overdue:today %}late{% endif %}")
    assert (template.render(Context({"due": due, "today": today})) == "late") is shown
