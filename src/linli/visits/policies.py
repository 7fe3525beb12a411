"""Visit policies 走访频次 and due dates: how often each household must be visited, when its
next visit is due, and the kept `HouseholdVisitState` rows the overdue lists read.

The rule: a household follows the most frequent active policy among its own tags and the
resident tags of the people registered in it (a 留守老人 makes the household fortnightly); with
none of those, the default policy; with no default either, a quarter (`DEFAULT_EVERY`). The next
visit is due the interval after the last visit (never visited: after the day the household was
registered), moved forward to the next working day of the working-day calendar. A household is
overdue from the day after its due date (`overdue_households`, the deadline rule of `core.dates`).

`states_refresh` recomputes the states in bulk — one aggregate query for the last visits, one
per tag kind for the policies, one for the calendar, and batched upserts — so that the whole
district (65,549 households) takes seconds.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
from collections.abc import Iterable, Iterator

from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from linli.core.dates import overdue
from linli.core.workdays import WorkCalendar
from linli.registry.figures import (
    LEFT_BEHIND_ELDERLY_TAG,
    PARTY_CENTRAL_HOUSEHOLD_TAG,
    PARTY_MEMBER_TAG,
    POOR_HOUSEHOLD_TAG,
)
from linli.registry.models import Household, HouseholdTag, ResidentTag

from .choices import IntervalUnit
from .models import HouseholdVisitState, Visit, VisitPolicy

__all__ = [
    "CENTRAL_HOUSEHOLD_TAG",
    "DEFAULT_EVERY",
    "LEFT_BEHIND_ELDERLY_TAG",
    "PARTY_MEMBER_TAG",
    "POOR_HOUSEHOLD_TAG",
    "add_interval",
    "due_date",
    "interval_days",
    "overdue_household_ids",
    "overdue_households",
    "policies_by_household",
    "states_refresh",
]

CENTRAL_HOUSEHOLD_TAG = PARTY_CENTRAL_HOUSEHOLD_TAG  # 党员中心户 (household tag)

# Households with no applicable policy and no default policy: once a quarter.
DEFAULT_EVERY: tuple[int, str] = (3, IntervalUnit.MONTH.value)

# Id lists are sent in chunks: SQLite limits the variables of one statement.
CHUNK = 900
WRITE_BATCH = 2000
_UNIT_DAYS = {IntervalUnit.DAY: 1.0, IntervalUnit.WEEK: 7.0, IntervalUnit.MONTH: 30.4375}
ONE_DAY = dt.timedelta(days=1)


# --- intervals and due dates ------------------------------------------------------------------


def add_interval(day: dt.date, every: int, unit: str) -> dt.date:
    """`day` plus `every` days, weeks or months; a month added to the 31st ends on the last day
    of the month it lands in (Jan 31 + 1 month = Feb 28, or 29 in a leap year)."""
    if unit == IntervalUnit.DAY:
        return day + dt.timedelta(days=every)
    if unit == IntervalUnit.WEEK:
        return day + dt.timedelta(weeks=every)
    if unit == IntervalUnit.MONTH:
        months = day.year * 12 + day.month - 1 + every
        year, month = divmod(months, 12)
        last = month_calendar.monthrange(year, month + 1)[1]
        return dt.date(year, month + 1, min(day.day, last))
    raise ValueError(f"unknown interval unit {unit!r}")


def interval_days(every: int, unit: str) -> float:
    """The interval's mean length in days: what "most frequent" compares."""
    return every * _UNIT_DAYS[IntervalUnit(unit)]


def _every(policy) -> tuple[int, str]:
    return (policy.every, policy.unit) if policy is not None else DEFAULT_EVERY


def _next_working_day(day: dt.date, calendar: WorkCalendar) -> dt.date:
    while not calendar.is_working_day(day):
        day += ONE_DAY
    return day


def overdue_households(today: dt.date) -> Q:
    """Households (the rows of a Household queryset) whose next visit is overdue on `today`,
    by their kept visit state."""
    return overdue("visit_state__due_on", today)


def overdue_household_ids(today: dt.date):
    """The same households as `overdue_households`, as a set of ids read from the visit states'
    index of due dates: for filtering a list down to the overdue few (a filter through the
    outer join of the annotations makes SQLite read every household)."""
    return HouseholdVisitState.objects.filter(overdue("due_on", today)).values("household_id")


def due_date(
    *,
    last_visited_on: dt.date | None,
    registered_on: dt.date,
    policy: VisitPolicy | None,
    calendar: WorkCalendar | None = None,
) -> dt.date:
    """The day the next visit is due: the policy's interval (a quarter when `policy` is None)
    after the last visit, or after registration when never visited, moved forward to the next
    working day. `calendar` saves loading the working-day calendar when many are computed."""
    base = last_visited_on or registered_on
    day = add_interval(base, *_every(policy))
    if calendar is None or not calendar.covers(day + dt.timedelta(days=31)):
        # A run of rest days is never a month long: the month after covers the search.
        calendar = WorkCalendar.load(day, day + dt.timedelta(days=31))
    return _next_working_day(day, calendar)


# --- which policy each household follows ------------------------------------------------------


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _tag_rows(ids: list[int] | None, tag_ids: list[int]) -> Iterator[tuple[int, int]]:
    """(household id, tag id) for the household tags and the members' resident tags among
    `tag_ids`, of the households `ids` (all when None)."""
    household_rows = HouseholdTag.objects.filter(tag_id__in=tag_ids)
    resident_rows = ResidentTag.objects.filter(tag_id__in=tag_ids)
    if ids is None:
        yield from household_rows.values_list("household_id", "tag_id").iterator(chunk_size=5000)
        yield from resident_rows.values_list("resident__household_id", "tag_id").iterator(
            chunk_size=5000
        )
        return
    for chunk in _chunks(ids):
        yield from household_rows.filter(household_id__in=chunk).values_list(
            "household_id", "tag_id"
        )
        yield from resident_rows.filter(resident__household_id__in=chunk).values_list(
            "resident__household_id", "tag_id"
        )


def policies_by_household(household_ids: Iterable[int] | None = None) -> dict[int, VisitPolicy]:
    """The policy each household follows: the most frequent active policy among its tags and
    its members' resident tags, else the default policy. Households with neither are left out
    (callers treat them as `DEFAULT_EVERY`). All households when `household_ids` is None."""
    ids = None if household_ids is None else list(household_ids)
    policies = list(VisitPolicy.objects.filter(active=True).select_related("tag"))
    default = next((p for p in policies if p.is_default), None)
    by_tag = {p.tag_id: p for p in policies if p.tag_id is not None and p.tag.active}
    chosen: dict[int, VisitPolicy] = {}
    if by_tag:
        for household_id, tag_id in _tag_rows(ids, list(by_tag)):
            if household_id is None:  # a resident tag of someone with no household
                continue
            candidate, current = by_tag[tag_id], chosen.get(household_id)
            if current is None or _more_frequent(candidate, current):
                chosen[household_id] = candidate
    if default is not None:
        everyone = ids if ids is not None else Household.objects.values_list("pk", flat=True)
        for household_id in everyone:
            chosen.setdefault(household_id, default)
    return chosen


def _more_frequent(one: VisitPolicy, other: VisitPolicy) -> bool:
    # Ties go to the older policy, so the choice does not depend on the order rows arrive in.
    return (interval_days(one.every, one.unit), one.pk) < (
        interval_days(other.every, other.unit),
        other.pk,
    )


# --- the kept states --------------------------------------------------------------------------


def _households(ids: list[int] | None) -> dict[int, dt.date]:
    """Household id → the day it was registered."""
    rows = Household.objects.all()
    zone = timezone.get_current_timezone()
    if ids is None:
        pairs = rows.values_list("pk", "created_at").iterator(chunk_size=5000)
    else:
        pairs = (
            pair
            for chunk in _chunks(ids)
            for pair in rows.filter(pk__in=chunk).values_list("pk", "created_at")
        )
    return {pk: created.astimezone(zone).date() for pk, created in pairs}


def _last_visits(ids: list[int] | None) -> dict[int, dt.date]:
    rows = Visit.objects.values("household_id").annotate(last=Max("visited_on"))
    if ids is None:
        return {r["household_id"]: r["last"] for r in rows.order_by().iterator(chunk_size=5000)}
    return {
        r["household_id"]: r["last"]
        for chunk in _chunks(ids)
        for r in rows.filter(household_id__in=chunk).order_by()
    }


def _existing_states(ids: list[int] | None) -> dict[int, tuple]:
    rows = HouseholdVisitState.objects.all()
    fields = ("household_id", "last_visited_on", "policy_id", "due_on")
    if ids is None:
        pairs = rows.values_list(*fields).iterator(chunk_size=5000)
    else:
        pairs = (
            row for chunk in _chunks(ids) for row in rows.filter(pk__in=chunk).values_list(*fields)
        )
    return {row[0]: row[1:] for row in pairs}


def states_refresh(
    *, household_ids: Iterable[int] | None = None, today: dt.date | None = None
) -> int:
    """Recompute the visit states (last visit, policy, due date) of the households
    `household_ids` (all when None) from the visits, the policies and the calendar, writing
    only the rows that changed or were missing. Returns the number of rows written.

    The due date does not depend on `today`; it only bounds the calendar loaded."""
    ids = None if household_ids is None else sorted(set(household_ids))
    registered = _households(ids)
    if not registered:
        return 0
    last = _last_visits(ids)
    policies = policies_by_household(list(registered) if ids is not None else None)
    bases = {pk: last.get(pk) or day for pk, day in registered.items()}
    today = today or timezone.localdate()
    # Due dates lie up to a year (plus a rest-day run) after the bases: load up to two years on.
    first, last_base = min(bases.values()), max([*bases.values(), today])
    calendar = WorkCalendar.load(first, dt.date(last_base.year + 2, 1, 1))
    existing = _existing_states(ids)
    dues: dict[tuple, dt.date] = {}  # many households share a base day and an interval
    changed = []
    for pk in registered:
        policy = policies.get(pk)
        key = (bases[pk], *_every(policy))
        if key not in dues:
            dues[key] = _next_working_day(add_interval(*key), calendar)
        row = (last.get(pk), policy.pk if policy else None, dues[key])
        if existing.get(pk) != row:
            changed.append((pk, *row))
    _write(changed, timezone.now())
    return len(changed)


def _write(rows: list[tuple], now: dt.datetime) -> None:
    """Upsert the rows (household id, last visit, policy id, due date): INSERT … ON CONFLICT
    DO UPDATE, in batches — on PostgreSQL one statement a batch over arrays (unnest), on
    SQLite one executemany a batch. No read-modify-write race with a visit recorded meanwhile,
    and none of the ORM's per-value compiling, which costs more than the writing itself."""
    if not rows:
        return
    meta = HouseholdVisitState._meta
    names = ("household", "last_visited_on", "policy", "due_on", "refreshed_at")
    columns = [meta.get_field(n).column for n in names]
    quote = connection.ops.quote_name
    updates = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in columns[1:])
    into = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(c) for c in columns)})"
    conflict = f"ON CONFLICT ({quote(columns[0])}) DO UPDATE SET {updates}"
    # One transaction: on SQLite each statement would otherwise commit (and sync) by itself.
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(rows), WRITE_BATCH):
            batch = rows[start : start + WRITE_BATCH]
            if connection.vendor == "postgresql":
                # Only our own table's and columns' names go into the statement's text.
                arrays = "%s::bigint[], %s::date[], %s::bigint[], %s::date[]"
                sql = f"{into} SELECT *, %s FROM unnest({arrays}) {conflict}"  # noqa: S608
                cursor.execute(sql, [now, *(list(column) for column in zip(*batch, strict=True))])
            else:
                day = connection.ops.adapt_datefield_value
                at = connection.ops.adapt_datetimefield_value(now)
                sql = f"{into} VALUES (%s, %s, %s, %s, %s) {conflict}"  # noqa: S608
                cursor.executemany(
                    sql, [(pk, day(last), policy, day(due), at) for pk, last, policy, due in batch]
                )
