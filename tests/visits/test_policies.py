"""Visit policies and due dates 走访频次: intervals across month ends and leap years, due dates
moved off rest days by the working-day calendar (2026: Spring Festival 15–23 Feb with Saturday
28 Feb worked; Mid-autumn 25–27 Sep; National Day 1–7 Oct with Saturday 10 Oct worked), the
policy a household follows (the most frequent of its own tags and its members' tags, else the
default), the kept states, and overdue flipping exactly the day after the due date."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from linli.core.models import WorkCalendarDay
from linli.registry.models import Household
from linli.visits import policies, selectors, services
from linli.visits.models import HouseholdVisitState, Visit, VisitPolicy
from linli.visits.policies import add_interval, due_date, policies_by_household

# Its tests that take no shared world read only what they make (the calendar, say).
OTHERS_IGNORE_SHARED = True

D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: dt.date, hour: int = 10):
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI))


# --- intervals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "every", "unit", "expected"),
    [
        (D(2026, 1, 31), 1, "month", D(2026, 2, 28)),  # clamped to the month's end
        (D(2024, 1, 31), 1, "month", D(2024, 2, 29)),  # leap year
        (D(2023, 11, 30), 3, "month", D(2024, 2, 29)),
        (D(2024, 2, 29), 12, "month", D(2025, 2, 28)),
        (D(2026, 3, 31), 1, "month", D(2026, 4, 30)),
        (D(2026, 11, 30), 3, "month", D(2027, 2, 28)),  # across the year end
        (D(2026, 12, 15), 1, "month", D(2027, 1, 15)),
        (D(2026, 2, 28), 1, "month", D(2026, 3, 28)),  # not stretched to the 31st
        (D(2026, 12, 25), 2, "week", D(2027, 1, 8)),
        (D(2024, 2, 22), 1, "week", D(2024, 2, 29)),
        (D(2026, 2, 27), 3, "day", D(2026, 3, 2)),
    ],
)
def test_add_interval(day, every, unit, expected):
    assert add_interval(day, every, unit) == expected


def test_an_unknown_unit_is_an_error():
    with pytest.raises(ValueError):
        add_interval(D(2026, 1, 1), 1, "fortnight")


# --- due dates on the calendar ----------------------------------------------------------------


def _due(last, every, unit):
    policy = VisitPolicy(every=every, unit=unit)
    return due_date(last_visited_on=last, registered_on=D(2020, 1, 1), policy=policy)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("last", "every", "unit", "expected"),
    [
        # 31 Jan + 1 month = Saturday 28 Feb, a make-up working day of the Spring Festival.
        (D(2026, 1, 31), 1, "month", D(2026, 2, 28)),
        # Sunday 1 Mar → Monday 2 Mar.
        (D(2026, 2, 1), 4, "week", D(2026, 3, 2)),
        # In the Spring Festival (15–23 Feb) → Tuesday 24 Feb.
        (D(2026, 1, 15), 1, "month", D(2026, 2, 24)),
        # National Day: 1 Oct … 7 Oct are rest days → Thursday 8 Oct.
        (D(2026, 9, 1), 1, "month", D(2026, 10, 8)),
        (D(2026, 7, 1), 3, "month", D(2026, 10, 8)),
        (D(2026, 9, 7), 1, "month", D(2026, 10, 8)),
        # Saturday 10 Oct is worked; Sunday 11 Oct is not.
        (D(2026, 9, 10), 1, "month", D(2026, 10, 10)),
        (D(2026, 9, 11), 1, "month", D(2026, 10, 12)),
        # Every two weeks: Friday 25 Sep is the Mid-autumn Festival → Monday 28 Sep.
        (D(2026, 9, 11), 2, "week", D(2026, 9, 28)),
        (D(2026, 9, 3), 2, "week", D(2026, 9, 17)),
        # Leap day, a working Thursday.
        (D(2024, 1, 31), 1, "month", D(2024, 2, 29)),
    ],
)
def test_due_date_moves_to_the_next_working_day(last, every, unit, expected):
    assert _due(last, every, unit) == expected


@pytest.mark.django_db
def test_due_date_follows_the_calendar_in_the_database():
    """The calendar is data: a holiday an administrator enters moves the due date."""
    assert _due(D(2026, 5, 9), 1, "month") == D(2026, 6, 9)
    WorkCalendarDay.objects.create(date=D(2026, 6, 9), working=False, name="测试假日")
    assert _due(D(2026, 5, 9), 1, "month") == D(2026, 6, 10)


@pytest.mark.django_db
def test_never_visited_counts_from_registration_and_no_policy_is_a_quarter():
    due = due_date(last_visited_on=None, registered_on=D(2026, 1, 5), policy=None)
    assert due == D(2026, 4, 7)  # 5 Apr is Qingming (4–6 Apr): the next working day


# --- which policy a household follows ---------------------------------------------------------


def test_tags_choose_the_policy(visits_world):
    v = visits_world
    chosen = policies_by_household()
    assert chosen[v.poor.pk] == v.policies.poor
    assert chosen[v.left_behind.pk] == v.policies.left_behind  # a member is 留守老人
    assert chosen[v.plain.pk] == v.policies.default
    assert chosen[v.central.pk] == v.policies.default  # 党员中心户 has no policy of its own
    assert set(chosen) == set(Household.objects.values_list("pk", flat=True))


def test_several_tags_follow_the_most_frequent_policy(visits_world):
    v = visits_world
    v.poor.head.tag_links.create(tag=v.tags.left_behind)
    assert policies_by_household([v.poor.pk]) == {v.poor.pk: v.policies.left_behind}
    # An inactive policy does not count.
    v.policies.left_behind.active = False
    v.policies.left_behind.save()
    assert policies_by_household([v.poor.pk]) == {v.poor.pk: v.policies.poor}


def test_without_a_default_untagged_households_are_left_out(visits_world):
    v = visits_world
    v.policies.default.delete()
    chosen = policies_by_household([v.plain.pk, v.poor.pk])
    assert chosen == {v.poor.pk: v.policies.poor}


# --- the kept states --------------------------------------------------------------------------


def _state(household) -> HouseholdVisitState:
    return HouseholdVisitState.objects.get(household=household)


def test_states_refresh_writes_every_household_once(visits_world):
    v = visits_world
    written = policies.states_refresh(today=D(2026, 1, 10))
    assert written == Household.objects.count() == HouseholdVisitState.objects.count()
    # Registered 5 Jan 2026: poor monthly → Thu 5 Feb; left-behind fortnightly → Mon 19 Jan;
    # the others quarterly → 5 Apr, Qingming → Tue 7 Apr.
    assert _state(v.poor).due_on == D(2026, 2, 5)
    assert _state(v.left_behind).due_on == D(2026, 1, 19)
    assert (_state(v.plain).due_on, _state(v.plain).policy) == (D(2026, 4, 7), v.policies.default)
    assert _state(v.plain).last_visited_on is None
    # Nothing changed: nothing written.
    assert policies.states_refresh(today=D(2026, 1, 10)) == 0


def test_states_follow_the_last_visit_and_policy_changes(visits_world):
    v = visits_world
    policies.states_refresh()
    Visit.objects.create(
        household=v.poor,
        area=v.grid,
        visited_on=D(2026, 8, 20),
        channel="home",
        visitor_name="x",
    )
    Visit.objects.create(
        household=v.poor, area=v.grid, visited_on=D(2026, 9, 1), channel="phone", visitor_name="x"
    )
    assert policies.states_refresh(household_ids=[v.poor.pk, v.plain.pk]) == 1
    state = _state(v.poor)
    assert (state.last_visited_on, state.due_on) == (D(2026, 9, 1), D(2026, 10, 8))
    VisitPolicy.objects.filter(pk=v.policies.poor.pk).update(every=2, unit="week")
    assert policies.states_refresh() == 1
    assert _state(v.poor).due_on == D(2026, 9, 15)


def test_no_policy_at_all_is_a_quarter(visits_world):
    v = visits_world
    VisitPolicy.objects.all().delete()
    policies.states_refresh()
    state = _state(v.poor)
    assert state.policy is None and state.due_on == D(2026, 4, 7)


def test_an_empty_list_refreshes_nothing(visits_world):
    assert policies.states_refresh(household_ids=[]) == 0
    assert not HouseholdVisitState.objects.exists()


def test_overdue_flips_exactly_the_day_after_the_due_date(visits_world):
    """A poor household visited on 1 Sep 2026 is due on 1 Oct, which is National Day: the
    due date is Thursday 8 Oct. On the 8th it is not overdue; on the 9th it is, by one day."""
    v = visits_world
    worker = v.worker
    with at(D(2026, 9, 1)):
        services.visit_record(actor=worker, household=v.poor, channel="home")
    assert _state(v.poor).due_on == D(2026, 10, 8)
    for day, overdue in ((D(2026, 10, 7), 0), (D(2026, 10, 8), 0), (D(2026, 10, 9), 1)):
        with at(day):
            listed = set(selectors.overdue_list(user=worker).values_list("pk", flat=True))
            mine = {h.pk: h for h in selectors.my_households(user=worker)}
        assert (v.poor.pk in listed) is bool(overdue), day
        assert mine[v.poor.pk].overdue_days == overdue, day
    with at(D(2026, 10, 20)):
        assert {h.pk: h for h in selectors.my_households(user=worker)}[v.poor.pk].overdue_days == 12


def test_a_left_behind_member_makes_the_household_fortnightly(visits_world):
    v = visits_world
    with at(D(2026, 9, 11)):
        services.visit_record(actor=v.worker, household=v.left_behind, channel="phone")
    state = _state(v.left_behind)
    assert state.policy == v.policies.left_behind
    assert state.due_on == D(2026, 9, 28)  # 25 Sep, Mid-autumn → Monday 28 Sep
    with at(D(2026, 9, 29)):
        assert selectors.overdue_list(user=v.worker).filter(pk=v.left_behind.pk).exists()


def test_a_tag_removed_is_followed_by_the_refresh(visits_world):
    v = visits_world
    with at(D(2026, 9, 11)):
        services.visit_record(actor=v.worker, household=v.left_behind, channel="home")
    v.elder.tag_links.all().delete()
    assert policies.states_refresh(household_ids=[v.left_behind.pk]) == 1
    state = _state(v.left_behind)
    assert state.policy == v.policies.default and state.due_on == D(2026, 12, 11)


def test_constants_name_the_tags():
    assert policies.PARTY_MEMBER_TAG == "党员"
    assert policies.CENTRAL_HOUSEHOLD_TAG == "党员中心户"
    assert policies.POOR_HOUSEHOLD_TAG == "困难户"
    assert policies.LEFT_BEHIND_ELDERLY_TAG == "留守老人"
    assert policies.DEFAULT_EVERY == (3, "month")
