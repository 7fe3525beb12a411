"""Background jobs of the five links and visits module, and their place on the schedule.

- `refresh_village_coverage(village_id)` — queued by `services.visit_record` when a visit is
  committed: the visit states of the village's households, then the village's coverage
  summaries of every period a visit recorded today can fall in (the current month, quarter and
  year, and those a visit dated up to 90 days back reaches).
- `refresh_visit_states()` — every household's visit state (last visit, policy, due date);
  queued when a visit policy changes (`services.policy_save`) and run each night, since tags
  and the working-day calendar change too.
- `refresh_coverage()` — every 15 minutes: the summaries of the running month, quarter and
  year of every village (households move, tags change, needs are resolved and assignments end
  without a visit being recorded).
- `refresh_past_coverage()` — each night: the summaries of the periods that ended within the
  last 90 days (visits recorded late, the last days of the month or quarter just ended), and
  of any period of the last twelve months still missing a village's row.

Each job is idempotent: it counts again from the records and writes what it counted, so a
retry or a second run has the effect of one.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tasks import task

from linli.core import periodic
from linli.core.jobs import retried
from linli.core.lookups import starts_with
from linli.registry.models import Household

from . import coverage
from .policies import states_refresh


@retried(attempts=5, backoff=30, stale_after=1800)
@task()
def refresh_village_coverage(village_id: int) -> dict:
    """The visit states and recent coverage summaries of one village (or of the village the
    area `village_id` lies in). An area that is gone is nothing to do."""
    today = timezone.localdate()
    units = coverage.units_of([village_id])
    if not units:
        return {"states": 0, "summaries": 0}
    unit = units[0]
    households = Household.objects.filter(starts_with("area__path", unit.path)).values_list(
        "pk", flat=True
    )
    ids = list(households)
    # An empty list would still be a list to refresh; no households, no states to count.
    states = states_refresh(household_ids=ids, today=today) if ids else 0
    summaries = coverage.summaries_refresh(
        villages=[unit], periods=coverage.recent_periods(today), today=today
    )
    return {"village": unit.pk, "states": states, "summaries": summaries}


@retried(attempts=3, backoff=300, stale_after=3 * 3600)
@task()
def refresh_visit_states() -> dict:
    """Every household's visit state, counted again."""
    return {"states": states_refresh(today=timezone.localdate())}


@retried(attempts=3, backoff=60, stale_after=3600)
@task()
def refresh_coverage() -> dict:
    """The running periods' summaries of every village."""
    return {"summaries": coverage.summaries_refresh(today=timezone.localdate())}


@retried(attempts=3, backoff=300, stale_after=3 * 3600)
@task()
def refresh_past_coverage() -> dict:
    """The summaries of the periods that ended in the last 90 days, of every village; and of
    any period of the last twelve months some village has no row for yet (a new village, a
    first start), so that the overdue trend and last quarter's page read rows too."""
    today = timezone.localdate()
    wanted = coverage.recent_periods(today)
    wanted += [
        p for p in coverage.incomplete_periods(coverage.history_periods(today)) if p not in wanted
    ]
    ended = [
        (kind, start) for kind, start in wanted if coverage.period_bounds(kind, start)[1] < today
    ]
    return {"summaries": coverage.summaries_refresh(periods=ended, today=today)}


# --- the schedule --------------------------------------------------------------------------

periodic.register("visits.refresh_coverage", refresh_coverage, every=dt.timedelta(minutes=15))
periodic.register(
    "visits.refresh_visit_states",
    refresh_visit_states,
    every=dt.timedelta(days=1),
    at=dt.timedelta(minutes=5),
)
periodic.register(
    "visits.refresh_past_coverage",
    refresh_past_coverage,
    every=dt.timedelta(days=1),
    at=dt.timedelta(minutes=20),  # soon after midnight: the month just ended is read from rows
)
