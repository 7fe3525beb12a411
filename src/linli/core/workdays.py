"""Working days 工作日: the calendar that promised time limits are counted in.

The calendar is data (`WorkCalendarYear`, `WorkCalendarDay`): Monday to Friday are working days
except the statutory holidays entered for a year, and the make-up working days (调休上班) on a
weekend are working days too. chinese-calendar seeds the years it knows (`seed_from_package`);
an administrator enters each later year when the State Council publishes it. For a year with no
arrangement entered, Monday to Friday count, and every deadline that depends on that year says
so (`Deadline.assumed_years`).

The administrator's pages (`views_calendar`) and `linli calendar seed` write the calendar
through the services below (`calendar_day_create` …, `calendar_seed`); each change is audited
and announced to the modules that keep deadlines (`when_calendar_changes`), whose job moves
the deadlines the change affects.

Counting follows the usual rule for administrative time limits: the day a matter is received is
not counted; the limit ends at the close of the n-th working day after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from . import audit
from .actors import Actor, account_id
from .choices import AuditAction
from .models import WorkCalendarDay, WorkCalendarYear

ONE_DAY = dt.timedelta(days=1)
# A limit longer than this many working days is a data error, not a real promise.
MAX_LIMIT = 366


@dataclass(frozen=True)
class Deadline:
    """A due date, and the years it was counted through that had no official arrangement."""

    date: dt.date
    assumed_years: tuple[int, ...] = ()

    @property
    def assumed(self) -> bool:
        """True when Monday-to-Friday stood in for a year's missing arrangement."""
        return bool(self.assumed_years)


@dataclass
class WorkCalendar:
    """The working-day calendar for a span of years, loaded in two queries."""

    first_year: int
    last_year: int
    exceptions: dict[dt.date, bool] = field(default_factory=dict)
    published: set[int] = field(default_factory=set)

    @classmethod
    def load(cls, first: dt.date, last: dt.date) -> WorkCalendar:
        first_year, last_year = min(first, last).year, max(first, last).year
        days = WorkCalendarDay.objects.filter(
            date__gte=dt.date(first_year, 1, 1), date__lte=dt.date(last_year, 12, 31)
        ).values_list("date", "working")
        years = WorkCalendarYear.objects.filter(
            year__gte=first_year, year__lte=last_year, published=True
        ).values_list("year", flat=True)
        return cls(first_year, last_year, dict(days), set(years))

    def covers(self, day: dt.date) -> bool:
        return self.first_year <= day.year <= self.last_year

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def is_assumed(self, day: dt.date) -> bool:
        return day.year not in self.published

    def add(self, start: dt.date, days: int) -> Deadline:
        """The end of the `days`-th working day after `start`."""
        if days < 0 or days > MAX_LIMIT:
            raise ValueError(f"a time limit of {days} working days is out of range")
        day, counted, assumed = start, 0, set()
        while counted < days:
            day += ONE_DAY
            if not self.covers(day):
                return _extended(self, start, days)
            if self.is_assumed(day):
                assumed.add(day.year)
            if self.is_working_day(day):
                counted += 1
        return Deadline(day, tuple(sorted(assumed)))

    def count(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (0 when end ≤ start)."""
        day, counted = start, 0
        while day < end:
            day += ONE_DAY
            if self.is_working_day(day):
                counted += 1
        return counted


def _extended(calendar: WorkCalendar, start: dt.date, days: int) -> Deadline:
    # A limit can run past the loaded span only at the end of December: load one more year.
    wider = WorkCalendar.load(
        dt.date(calendar.first_year, 1, 1), dt.date(calendar.last_year + 1, 1, 1)
    )
    return wider.add(start, days)


def add_working_days(start: dt.date, days: int) -> Deadline:
    """The deadline `days` working days after `start` (see the module's counting rule)."""
    # A year of working days spans at most two calendar years past the start.
    return WorkCalendar.load(start, start + dt.timedelta(days=days * 2 + 30)).add(start, days)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """How many working days were used from `start` (not counted) to `end` (counted)."""
    if end <= start:
        return 0
    return WorkCalendar.load(start, end).count(start, end)


def is_working_day(day: dt.date) -> bool:
    return WorkCalendar.load(day, day).is_working_day(day)


def unpublished_years(start: dt.date, end: dt.date) -> list[int]:
    """The years between two dates whose official arrangement is not in the calendar."""
    published = set(WorkCalendarYear.objects.filter(published=True).values_list("year", flat=True))
    return [y for y in range(start.year, end.year + 1) if y not in published]


def package_arrangements() -> tuple[range, list[tuple[dt.date, bool, str]]]:
    """The years chinese-calendar knows and their exceptions to Monday-to-Friday:
    (years, [(date, working, holiday name)])."""
    import chinese_calendar

    days: list[tuple[dt.date, bool, str]] = []
    for day, name in chinese_calendar.holidays.items():
        if day.weekday() < 5:  # a weekend holiday changes nothing
            days.append((day, False, _holiday_name(name)))
    for day, name in chinese_calendar.workdays.items():
        if day.weekday() >= 5:  # a make-up working day is on a weekend
            days.append((day, True, _holiday_name(name)))
    known = sorted({d.year for d in chinese_calendar.holidays})
    return range(known[0], known[-1] + 1), sorted(days)


HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def _holiday_name(name) -> str:
    text = str(getattr(name, "value", name) or "")
    if "," in text:  # chinese-calendar gives e.g. "Mid-autumn Festival,中秋" for some years
        text = text.split(",")[0]
    return HOLIDAY_NAMES.get(text, text)[:40]


# --- the calendar as data: what the administrator's pages read and write -------------------

CALENDAR_MANAGE = "calendar.manage"
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years the pages accept
PACKAGE_SOURCE = "chinese-calendar"


@dataclass(frozen=True)
class CalendarYearState:
    """One year as the calendar pages list it."""

    year: int
    published: bool
    source: str
    holidays: int  # statutory holidays on weekdays
    make_up_days: int  # make-up working days on weekends
    updated_at: dt.datetime | None = None
    updated_by: object | None = None

    @property
    def entered(self) -> bool:
        return bool(self.holidays or self.make_up_days)


def calendar_years(*, today: dt.date | None = None) -> list[CalendarYearState]:
    """Every year in the calendar, and the years deadlines set now can reach (this one and the
    next), newest first. Two queries."""
    today = today or timezone.localdate()
    rows = {y.year: y for y in WorkCalendarYear.objects.select_related("updated_by")}
    counts = {
        c["year"]: c
        for c in WorkCalendarDay.objects.annotate(year=ExtractYear("date"))
        .values("year")
        .annotate(
            holidays=Count("pk", filter=Q(working=False)),
            make_up=Count("pk", filter=Q(working=True)),
        )
    }
    years = set(rows) | set(counts) | {today.year, today.year + 1}
    out = []
    for year in sorted(years, reverse=True):
        row, count = rows.get(year), counts.get(year, {})
        out.append(
            CalendarYearState(
                year=year,
                published=bool(row and row.published),
                source=row.source if row else "",
                holidays=count.get("holidays", 0),
                make_up_days=count.get("make_up", 0),
                updated_at=row.updated_at if row else None,
                updated_by=row.updated_by if row else None,
            )
        )
    return out


def years_deadlines_reach(today: dt.date | None = None) -> list[int]:
    """The years a deadline set today can fall in: this one and the next."""
    today = today or timezone.localdate()
    return [today.year, today.year + 1]


def calendar_year_state(*, year: int) -> CalendarYearState:
    check_year(year)
    return next(s for s in calendar_years(today=dt.date(year, 1, 1)) if s.year == year)


def calendar_days(*, year: int) -> list[WorkCalendarDay]:
    """The exceptions of one year, in date order."""
    return list(
        WorkCalendarDay.objects.filter(
            date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31)
        )
    )


def check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError(
            {
                "year": _("Choose a year from %(first)s to %(last)s.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR}
            }
        )


def _require_manager(actor: Actor | None) -> None:
    if actor is not None and not actor.has_permission(CALENDAR_MANAGE):
        raise PermissionDenied


def _locked_year(year: int, actor: Actor | None) -> WorkCalendarYear:
    """The year's row, created if need be, locked: edits of one year happen one at a time."""
    WorkCalendarYear.objects.get_or_create(year=year)
    row = WorkCalendarYear.objects.select_for_update().get(year=year)
    row.updated_by_id = account_id(actor)
    return row


def _weekday(day: dt.date) -> str:
    return date_format(day, "l")


def _kind(working: bool) -> str:
    return _("make-up working day") if working else _("holiday")


def _check_day(*, date: dt.date, working: bool, name: str, year: int, exclude_pk=None) -> None:
    if date.year != year:
        raise ValidationError({"date": _("The date must be in %(year)s.") % {"year": year}})
    if working and date.weekday() < 5:
        raise ValidationError(
            {
                "date": _(
                    "%(date)s is a %(weekday)s, a working day anyway: a make-up working day "
                    "falls on a Saturday or Sunday."
                )
                % {"date": date.isoformat(), "weekday": _weekday(date)}
            }
        )
    if not working and date.weekday() >= 5:
        raise ValidationError(
            {
                "date": _(
                    "%(date)s is a %(weekday)s, a day off anyway: enter only the holidays that "
                    "fall on a weekday."
                )
                % {"date": date.isoformat(), "weekday": _weekday(date)}
            }
        )
    if not name:
        raise ValidationError({"name": _("Name the holiday the day belongs to.")})
    other = WorkCalendarDay.objects.filter(date=date).exclude(pk=exclude_pk).first()
    if other is not None:
        raise ValidationError(
            {
                "date": _(
                    "%(date)s is already in the calendar (%(kind)s, %(name)s); change or remove "
                    "that entry instead."
                )
                % {"date": date.isoformat(), "kind": _kind(other.working), "name": other.name}
            }
        )


@transaction.atomic
def calendar_day_create(
    *, actor: Actor | None, year: int, date: dt.date, working: bool, name: str
) -> WorkCalendarDay:
    """Enter one holiday (on a weekday) or make-up working day (on a weekend) of `year`."""
    _require_manager(actor)
    check_year(year)
    row = _locked_year(year, actor)
    name = name.strip()
    _check_day(date=date, working=working, name=name, year=year)
    day = WorkCalendarDay.objects.create(date=date, working=working, name=name)
    row.save(update_fields=["updated_at", "updated_by"])
    audit.record_created(actor=actor, obj=day)
    _announce({date: None}, {year})
    return day


@transaction.atomic
def calendar_day_update(
    *, actor: Actor, day: WorkCalendarDay, date: dt.date, working: bool, name: str
) -> WorkCalendarDay:
    """Change one entry (its date stays in the same year)."""
    _require_manager(actor)
    row = _locked_year(day.date.year, actor)
    locked = WorkCalendarDay.objects.select_for_update().filter(pk=day.pk).first()
    if locked is None:
        raise ValidationError(_("This day was removed from the calendar meanwhile."))
    day = locked
    name = name.strip()
    _check_day(date=date, working=working, name=name, year=row.year, exclude_pk=day.pk)
    change = audit.audited_change(actor=actor, obj=day)
    changed = {day.date: day.working} | ({date: None} if date != day.date else {})
    day.date, day.working, day.name = date, working, name
    day.save()
    row.save(update_fields=["updated_at", "updated_by"])
    change.record()
    _announce(changed, {row.year})
    return day


@transaction.atomic
def calendar_day_delete(*, actor: Actor, day: WorkCalendarDay) -> None:
    """Remove one entry: the day follows the Monday-to-Friday rule again."""
    _require_manager(actor)
    row = _locked_year(day.date.year, actor)
    locked = WorkCalendarDay.objects.select_for_update().filter(pk=day.pk).first()
    if locked is None:  # removed meanwhile: nothing left to do
        return
    day = locked
    changed = {day.date: day.working}
    audit.record_deleted(actor=actor, obj=day)
    day.delete()
    row.save(update_fields=["updated_at", "updated_by"])
    _announce(changed, {row.year})


@transaction.atomic
def calendar_year_publish(*, actor: Actor | None, year: int, source: str) -> WorkCalendarYear:
    """Mark a year's official arrangement as entered: deadlines through it stop warning."""
    _require_manager(actor)
    check_year(year)
    row = _locked_year(year, actor)
    source = source.strip()
    if not source:
        raise ValidationError(
            {"source": _("Say where the arrangement comes from (e.g. the State Council's notice).")}
        )
    if not WorkCalendarDay.objects.filter(date__year=year).exists():
        raise ValidationError(
            _("Enter the holidays of %(year)s before marking its arrangement as entered.")
            % {"year": year}
        )
    change = audit.audited_change(actor=actor, obj=row, exclude=("updated_at",))
    row.published, row.source = True, source[:200]
    row.save()
    change.record()
    _announce({}, {year})
    return row


@transaction.atomic
def calendar_year_withdraw(*, actor: Actor, year: int) -> WorkCalendarYear:
    """Take back "entered" (a mistake, or an arrangement changed): the year is provisional again."""
    _require_manager(actor)
    check_year(year)
    row = _locked_year(year, actor)
    if not row.published:
        raise ValidationError(
            _("The arrangement of %(year)s is not marked as entered.") % {"year": year}
        )
    change = audit.audited_change(actor=actor, obj=row, exclude=("updated_at",))
    row.published = False
    row.save()
    change.record()
    _announce({}, {year})
    return row


# --- seeding from chinese-calendar ------------------------------------------------------------


@dataclass
class SeedReport:
    """What `calendar_seed` did, year by year."""

    filled: list[int] = field(default_factory=list)  # entered from the package
    overwritten: list[int] = field(default_factory=list)  # replaced by the package's (--overwrite)
    unchanged: list[int] = field(default_factory=list)  # already as the package has them
    differing: dict[int, list[str]] = field(default_factory=dict)  # entered otherwise; kept


def package_source() -> str:
    from importlib import metadata

    try:
        return f"{PACKAGE_SOURCE} {metadata.version('chinese-calendar')}"
    except metadata.PackageNotFoundError:
        return PACKAGE_SOURCE


def _describe(day: dt.date, working: bool, name: str) -> str:
    return f"{day.isoformat()} {'班' if working else '休'} {name}".strip()


def calendar_seed(*, actor: Actor | None = None, overwrite: bool = False, years=None) -> SeedReport:
    """Enter the arrangements chinese-calendar knows. Idempotent: a year already entered as
    the package has it is left as it is. A year whose arrangement is not entered yet is
    filled from the package; a year entered otherwise (by an administrator) is kept and its
    differences reported, unless `overwrite`. `years` limits it to those years (of the ones
    the package knows). One transaction per year."""
    _require_manager(actor)
    known, days = package_arrangements()
    only = None if years is None else set(years)
    years = [y for y in known if only is None or y in only]
    by_year: dict[int, dict[dt.date, tuple[bool, str]]] = {y: {} for y in known}
    for day, working, name in days:
        by_year.setdefault(day.year, {})[day] = (working, name)
    report = SeedReport()
    for year in years:
        _seed_year(year, by_year[year], actor=actor, overwrite=overwrite, report=report)
    return report


@transaction.atomic
def _seed_year(
    year: int, wanted: dict, *, actor: Actor | None, overwrite: bool, report: SeedReport
) -> None:
    row = _locked_year(year, actor)
    have = {d.date: d for d in WorkCalendarDay.objects.select_for_update().filter(date__year=year)}
    differences = sorted(
        [f"+ {_describe(d, *wanted[d])}" for d in wanted if d not in have]
        + [f"- {_describe(d, h.working, h.name)}" for d, h in have.items() if d not in wanted]
        + [
            f"~ {_describe(d, *wanted[d])}"
            for d, h in have.items()
            if d in wanted and (h.working, h.name) != wanted[d]
        ],
        key=lambda line: line[2:],
    )
    if row.published and not differences:
        report.unchanged.append(year)
        return
    if row.published and not overwrite:
        report.differing[year] = differences
        return
    before = audit.snapshot(row, exclude=("updated_at",))
    changed = {d: have[d].working if d in have else None for d in set(have) | set(wanted)}
    changed = {
        d: old
        for d, old in changed.items()
        if d not in have or d not in wanted or have[d].working != wanted[d][0]
    }
    WorkCalendarDay.objects.filter(date__year=year).exclude(date__in=list(wanted)).delete()
    for d, (working, name) in wanted.items():
        if d in have:
            if (have[d].working, have[d].name) != (working, name):
                WorkCalendarDay.objects.filter(pk=have[d].pk).update(working=working, name=name)
        else:
            WorkCalendarDay.objects.create(date=d, working=working, name=name)
    (report.overwritten if row.published else report.filled).append(year)
    row.published, row.source = True, package_source()
    row.save()
    after = audit.snapshot(row, exclude=("updated_at",))
    audit.record(
        action=AuditAction.UPDATE if before["published"] else AuditAction.CREATE,
        actor=actor,
        obj=row,
        changes={"before": before, "after": after | {"days": differences}},
    )
    _announce(changed, {year})


# --- telling the rest of Linli that the calendar changed -------------------------------------

_listeners: list = []


def when_calendar_changes(job):
    """Register a job (a django-tasks Task) to be queued after every change of the calendar,
    with `changed` ({ISO date: the day's working status before, or None when it followed the
    Monday-to-Friday rule}) and `years` (the years whose arrangement changed). Modules that
    keep deadlines register one in their tasks.py to move them."""
    if all(j.module_path != job.module_path for j in _listeners):
        _listeners.append(job)
    return job


def _announce(changed: Mapping[dt.date, bool | None], years: set[int]) -> None:
    from . import periodic
    from .jobs import enqueue_on_commit

    periodic.schedule()  # imports every module's tasks.py, where listeners register
    payload = {d.isoformat(): old for d, old in changed.items()}
    for job in _listeners:
        enqueue_on_commit(job, changed=payload, years=sorted(years))


def calendar_as_it_was(calendar: WorkCalendar, changed: dict[str, bool | None]) -> WorkCalendar:
    """`calendar` with the days in `changed` put back as they were before a change."""
    exceptions = dict(calendar.exceptions)
    for iso, old in changed.items():
        day = dt.date.fromisoformat(iso)
        if old is None:
            exceptions.pop(day, None)
        else:
            exceptions[day] = old
    return WorkCalendar(
        calendar.first_year, calendar.last_year, exceptions, set(calendar.published)
    )


def move_deadline(
    start: dt.date, days: int, due: dt.date, changed: dict
) -> tuple[dt.date, bool] | None:
    """Where a deadline of `days` working days after `start`, now `due`, belongs after the
    calendar changed by `changed` (as `when_calendar_changes` jobs receive it): (due date,
    whether it runs through a year with no official arrangement), or None to leave it alone.

    A deadline counted in the calendar as it was moves to the same count in the calendar as it
    is; one already there only has its warning brought up to date; one set by another rule
    (it matches neither) is left as it is. So moving twice has the effect of moving once. Every
    module that keeps deadlines moves them with this (the hall's applications and steps, the
    appeals' steps)."""
    if days <= 0 or due <= start:  # nothing counted: nothing the calendar could move
        return None
    now = WorkCalendar.load(start, due + dt.timedelta(days=800))
    after = now.add(start, days)
    if due != after.date and due != calendar_as_it_was(now, changed).add(start, days).date:
        return None
    return after.date, after.assumed
