"""The coverage jobs: a recorded visit refreshes its village, the periodic refresh keeps every
village's running periods, the nightly one the periods just ended; each refreshes what it
claims (the rows it writes are the live figures) and nothing else, and is on the schedule."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from linli.core import jobs, periodic
from linli.core.models import Area
from linli.visits import coverage, tasks
from linli.visits.coverage import coverage_live, period_bounds
from linli.visits.models import CoverageSummary, HouseholdVisitState, Visit

# Its tests that take no shared world read only what they make (the calendar, say).
OTHERS_IGNORE_SHARED = True

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = dt.datetime(2026, 7, 15, 12, 0, tzinfo=SHANGHAI)
TODAY = NOON.date()


def D(month: int, day: int, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


@pytest.fixture
def visited(world):
    """Visits to the first three households: in May, April and last December."""
    days = (D(5, 12), D(4, 3), dt.date(2025, 12, 30))
    for household, day in zip(world.households[:3], days, strict=True):
        Visit.objects.create(
            household=household,
            area=household.area,
            visited_on=day,
            channel="phone",
            visitor_name="网格员",
        )
    return world


def rows(**filters) -> set[tuple]:
    return set(
        CoverageSummary.objects.filter(**filters).values_list(
            "village_id", "period_kind", "period_start"
        )
    )


def assert_rows_are_live(area: Area | None = None, today: dt.date = TODAY) -> None:
    """Every summary row (of `area`'s village, or every one) holds the live figures."""
    summaries = CoverageSummary.objects.select_related("village")
    if area is not None:
        summaries = summaries.filter(village=area)
    assert summaries.exists()
    for row in summaries:
        end = period_bounds(row.period_kind, row.period_start)[1]
        live = coverage_live(area=row.village, start=row.period_start, end=end, today=today)
        assert (row.households, row.households_reached, row.visits, row.overdue) == (
            live.households,
            live.households_reached,
            live.visits,
            live.overdue,
        ), (row.village.name, row.period_kind, row.period_start)


def test_a_village_refresh_counts_that_village_in_every_period_a_visit_can_reach(visited):
    w = visited
    v1 = w.villages[0]
    with time_machine.travel(NOON, tick=False):
        tasks.refresh_village_coverage.enqueue(v1.pk)
        assert jobs.run_pending_jobs() == 1
    result = DBTaskResult.objects.get()
    assert result.status == "SUCCESSFUL"
    assert result.return_value["village"] == v1.pk and result.return_value["summaries"] == 7
    # On 15 July a visit may be dated back to 16 April: July to April, the third and second
    # quarters, the year.
    months = {(v1.pk, "month", D(m, 1)) for m in (4, 5, 6, 7)}
    quarters = {(v1.pk, "quarter", D(7, 1)), (v1.pk, "quarter", D(4, 1))}
    assert rows() == months | quarters | {(v1.pk, "year", D(1, 1))}
    assert_rows_are_live(v1)
    assert (
        CoverageSummary.objects.get(
            village=v1, period_kind="month", period_start=D(5, 1)
        ).households_reached
        == 1
    )
    # …and the visit states of its households (only theirs).
    state = HouseholdVisitState.objects.get(household=w.households[0])
    assert state.last_visited_on == D(5, 12)
    assert not HouseholdVisitState.objects.filter(household=w.households[1]).exists()


def test_a_recorded_visit_refreshes_its_village(visited, django_capture_on_commit_callbacks):
    """services.visit_record queues the refresh of the village once the visit is committed.
    (Today's date: the worker's grant starts today.)"""
    from linli.visits import services

    w = visited
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        services.visit_record(
            actor=w.users["grid_worker"], household=w.households[0], channel="home"
        )
    assert jobs.run_pending_jobs() == 1
    v1 = w.villages[0]
    assert rows() == {(v1.pk, kind, start) for kind, start in coverage.recent_periods(today)}
    month = CoverageSummary.objects.get(
        village=v1, period_kind="month", period_start=today.replace(day=1)
    )
    assert (month.visits, month.households_reached) == (1, 1)
    assert_rows_are_live(v1, today)


def test_a_village_refresh_given_a_grid_counts_its_village(visited):
    w = visited
    with time_machine.travel(NOON, tick=False):
        tasks.refresh_village_coverage.enqueue(w.grids[1].pk)
        jobs.run_pending_jobs()
    assert {village for village, _kind, _start in rows()} == {w.villages[1].pk}
    assert_rows_are_live()


def test_a_village_refresh_for_an_area_gone_does_nothing(visited):
    with time_machine.travel(NOON, tick=False):
        tasks.refresh_village_coverage.enqueue(10**9)
        jobs.run_pending_jobs()
    assert DBTaskResult.objects.get().return_value == {"states": 0, "summaries": 0}
    assert not CoverageSummary.objects.exists()


def test_the_periodic_refresh_counts_the_running_periods_of_every_village(visited):
    w = visited
    with time_machine.travel(NOON, tick=False):
        tasks.refresh_coverage.enqueue()
        tasks.refresh_coverage.enqueue()  # twice (a retry): the same rows, counted again
        assert jobs.run_pending_jobs() == 2
    values = [r.return_value for r in DBTaskResult.objects.all()]
    assert values == [{"summaries": 24}, {"summaries": 24}]
    running = {("month", D(7, 1)), ("quarter", D(7, 1)), ("year", D(1, 1))}
    assert rows() == {(v.pk, *period) for v in w.villages for period in running}
    assert_rows_are_live()
    year = CoverageSummary.objects.filter(period_kind="year")
    assert sum(year.values_list("households_reached", flat=True)) == 2  # May and April


def test_the_nightly_refresh_counts_the_periods_just_ended(visited):
    """The periods ended in the last 90 days; and, the first time, every period of the last
    twelve months (none had rows); the next night only the recent ones again."""
    w = visited
    with time_machine.travel(NOON, tick=False):
        tasks.refresh_past_coverage.enqueue()
        jobs.run_pending_jobs()
    history = {(kind, start) for kind, start in coverage.history_periods(TODAY)}
    ended = {(kind, start) for kind, start in history if period_bounds(kind, start)[1] < TODAY}
    assert ("month", D(6, 1)) in ended and ("quarter", D(4, 1)) in ended
    assert ("month", D(8, 1, 2025)) in ended and ("year", D(1, 1, 2025)) in ended
    assert ("month", D(7, 1)) not in ended and ("year", D(1, 1)) not in ended
    assert rows() == {(v.pk, *period) for v in w.villages for period in ended}
    assert_rows_are_live()
    before = dict(CoverageSummary.objects.values_list("pk", "refreshed_at"))
    with time_machine.travel(NOON + dt.timedelta(days=1), tick=False):
        tasks.refresh_past_coverage.enqueue()
        jobs.run_pending_jobs()
    assert DBTaskResult.objects.order_by("enqueued_at").last().return_value == {
        "summaries": 4 * len(w.villages)  # June, May, April; the second quarter
    }
    after = dict(CoverageSummary.objects.values_list("pk", "refreshed_at"))
    assert after.keys() == before.keys()
    again = {pk for pk in after if after[pk] != before[pk]}
    assert len(again) == 4 * len(w.villages)


def test_the_states_refresh_counts_every_household(visited):
    w = visited
    with time_machine.travel(NOON, tick=False):
        tasks.refresh_visit_states.enqueue()
        jobs.run_pending_jobs()
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    assert HouseholdVisitState.objects.count() == len(w.households)
    lasts = dict(HouseholdVisitState.objects.values_list("household_id", "last_visited_on"))
    assert lasts[w.households[2].pk] == dt.date(2025, 12, 30)
    assert lasts[w.households[3].pk] is None


def test_the_jobs_are_on_the_schedule():
    entries = {job.name: job for job in periodic.schedule()}
    assert entries["visits.refresh_coverage"].every == dt.timedelta(minutes=15)
    assert entries["visits.refresh_coverage"].task is tasks.refresh_coverage
    assert entries["visits.refresh_past_coverage"].every == dt.timedelta(days=1)
    assert entries["visits.refresh_visit_states"].every == dt.timedelta(days=1)
    for name in ("visits.refresh_coverage", "visits.refresh_past_coverage"):
        assert jobs.policy_for(entries[name].task.module_path).attempts > 1
    assert jobs.policy_for(tasks.refresh_village_coverage.module_path).attempts > 1


def test_the_schedule_queues_the_refresh_every_quarter_hour(db):
    def queued(*hm):
        return "visits.refresh_coverage" in periodic.tick(
            dt.datetime(2026, 7, 15, *hm, tzinfo=SHANGHAI)
        )

    assert queued(10, 0)
    assert not queued(10, 14)  # the same slot
    assert queued(10, 15)
    assert DBTaskResult.objects.filter(task_path=tasks.refresh_coverage.module_path).count() == 2
