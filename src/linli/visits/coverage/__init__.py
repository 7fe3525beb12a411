"""Coverage 走访覆盖 of an area in a period, counted from the records or read from the kept
summaries.

What is counted (issue 5):
- households live where the register puts them today, and one is *reached* when it had at least
  one visit in [start, end], wherever it lived then (a household that moved is reached by a
  visit made before the move); poor households are those tagged 困难户 today;
- a village is reached when a visit in the period took place there (`Visit.area` under it);
  visits and the needs they found are counted where the visit took place, and a need is
  resolved when its effective status is (`needs.need_status_expression`: a need handed on to an
  application follows the application);
- the five levels: streets (1), communities (2), villages (3), party members (4) and households
  (5) — the targets, those *linked* (an assignment of the level in force at some time in the
  period; for level 5 also the central households themselves, as the gap list counts them) and
  those *reached* (a visit with that link level in the period: under the area, to the member's
  household, to the household);
- overdue: households whose next visit was overdue at the end of the period (today, for a period
  still running, from the kept visit states).

Everything is grouped by the *unit* a record sits in: the ancestor at the villages' depth
(district / street / community / village), or the area itself when it is higher. A household
on a grid is counted in its village. The summaries (`CoverageSummary`) are one row per unit and
calendar period, written by `summaries_refresh` from the very same grouped counts, so adding up
the rows under an area gives what counting that area from the records gives — which is why a
whole district at city size (12,000 villages, 3 million households) costs one aggregate over its
villages' rows. `coverage_for` reads them when the period is a calendar month, quarter or year,
every unit under the area has its row and the rows are fresh; otherwise it counts live.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Substr, TruncDate
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone

from linli.core.choices import AreaKind
from linli.core.lookups import starts_with
from linli.core.models import PATH_SEPARATOR, PATH_STEP, Area
from linli.core.scoping import OutOfScope, covers
from linli.core.workdays import WorkCalendar
from linli.registry.choices import TagTarget
from linli.registry.figures import PARTY_MEMBER_TAG, POOR_HOUSEHOLD_TAG
from linli.registry.models import Household, HouseholdTag, Resident, Tag

from ..choices import LinkLevel, NeedStatus, PeriodKind
from ..models import ContactAssignment, CoverageSummary, Need, Visit
from ..policies import overdue_households

SEGMENT = PATH_STEP + len(PATH_SEPARATOR)
# Villages sit at depth 3 (district 0, street 1, community 2: core.choices.ALLOWED_PARENT_KINDS),
# so the first 32 characters of any path below name its village.
UNIT_DEPTH = 3
UNIT_LENGTH = (UNIT_DEPTH + 1) * SEGMENT
# Levels 1 and 2 link areas above the villages: (level, kind of the target, its depth).
UPPER_LEVELS = (
    (LinkLevel.DISTRICT_LEADER, AreaKind.STREET, 1),
    (LinkLevel.DEPARTMENT, AreaKind.COMMUNITY, 2),
)
# A running period's summary older than this is not trusted (the refresh job runs every 15
# minutes, and each recorded visit refreshes its village at once).
SUMMARY_MAX_AGE = dt.timedelta(hours=1)
# A visit may be recorded up to 90 days after it took place (services.visit_record), so the
# periods it can change reach that far back.
VISIT_BACKDATE_DAYS = 90
TREND_MONTHS = 12  # the overdue trend on the leader's page

# The figures one unit (or one group of units) adds up: the CoverageSummary columns.
SUMMED = (
    "households",
    "households_reached",
    "poor",
    "poor_reached",
    "visits",
    "needs_found",
    "needs_resolved",
    "party_members",
    "party_members_linked",
    "party_members_reached",
    "households_linked",
    "households_reached_by_link",
    "overdue",
)


# --- the result ------------------------------------------------------------------------------


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class LevelCoverage:
    """One of the five links 五联: how many targets, how many linked, how many reached."""

    level: int
    label: str
    targets: int = 0
    linked: int = 0
    reached: int = 0

    @property
    def linked_percent(self) -> float | None:
        return _percent(self.linked, self.targets)

    @property
    def reached_percent(self) -> float | None:
        return _percent(self.reached, self.targets)


@dataclass
class Coverage:
    """覆盖 — an area's coverage from `start` to `end` (both days included)."""

    area: Area
    start: dt.date
    end: dt.date
    villages: int = 0
    villages_reached: int = 0
    households: int = 0
    households_reached: int = 0
    poor: int = 0
    poor_reached: int = 0
    visits: int = 0
    needs_found: int = 0
    needs_resolved: int = 0
    overdue: int = 0
    levels: list[LevelCoverage] = field(default_factory=list)
    source: str = "records"  # or "summary"
    computed_at: dt.datetime | None = None

    @property
    def villages_percent(self) -> float | None:
        return _percent(self.villages_reached, self.villages)

    @property
    def households_percent(self) -> float | None:
        return _percent(self.households_reached, self.households)

    @property
    def poor_percent(self) -> float | None:
        return _percent(self.poor_reached, self.poor)

    @property
    def needs_resolved_percent(self) -> float | None:
        return _percent(self.needs_resolved, self.needs_found)

    @property
    def not_reached(self) -> int:
        return self.households - self.households_reached

    def figures(self) -> dict:
        """The counted figures only (not the area, where they came from or when), e.g. to
        compare the summaries with the records."""
        skip = {"area", "source", "computed_at", "levels"}
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}
        out["levels"] = [(lv.level, lv.targets, lv.linked, lv.reached) for lv in self.levels]
        return out


# --- periods ---------------------------------------------------------------------------------


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def period_bounds(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar month, quarter or year `day` falls in: (first day, last day)."""
    if kind == PeriodKind.MONTH:
        start = day.replace(day=1)
        return start, _month_end(start)
    if kind == PeriodKind.QUARTER:
        start = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return start, _month_end(start.replace(month=start.month + 2))
    if kind == PeriodKind.YEAR:
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    raise ValueError(f"unknown period kind {kind!r}")


def calendar_period(start: dt.date, end: dt.date) -> str | None:
    """The kind of calendar period [start, end] is exactly, or None."""
    for kind in PeriodKind.values:
        if period_bounds(kind, start) == (start, end):
            return kind
    return None


def current_periods(
    today: dt.date, kinds: Iterable[str] | None = None
) -> list[tuple[str, dt.date]]:
    """(kind, first day) of the periods running on `today`."""
    return [(kind, period_bounds(kind, today)[0]) for kind in (kinds or PeriodKind.values)]


def _periods_back_to(
    first: dt.date, today: dt.date, kinds: Iterable[str] | None
) -> list[tuple[str, dt.date]]:
    """(kind, first day) of the periods of `kinds` overlapping [first, today], latest first."""
    found: list[tuple[str, dt.date]] = []
    for kind in kinds or PeriodKind.values:
        day = today
        while True:
            start, _end = period_bounds(kind, day)
            found.append((kind, start))
            if start <= first:
                break
            day = start - dt.timedelta(days=1)
    return found


def recent_periods(today: dt.date, kinds: Iterable[str] | None = None) -> list[tuple[str, dt.date]]:
    """(kind, first day) of every period a visit recorded today may fall in: those overlapping
    the last VISIT_BACKDATE_DAYS days."""
    return _periods_back_to(today - dt.timedelta(days=VISIT_BACKDATE_DAYS), today, kinds)


def month_starts(today: dt.date, months: int = TREND_MONTHS) -> list[dt.date]:
    """The first days of the last `months` months, this one included, oldest first."""
    firsts = [today.replace(day=1)]
    while len(firsts) < months:
        firsts.insert(0, (firsts[0] - dt.timedelta(days=1)).replace(day=1))
    return firsts


def history_periods(today: dt.date, months: int = TREND_MONTHS) -> list[tuple[str, dt.date]]:
    """(kind, first day) of the months, quarters and years overlapping the last `months`
    months: what the leader's page and its overdue trend ask for (e.g. to count them all once
    after loading a year of visits)."""
    return _periods_back_to(month_starts(today, months)[0], today, None)


def incomplete_periods(periods: Iterable[tuple[str, dt.date]]) -> list[tuple[str, dt.date]]:
    """Those of `periods` for which some unit has no summary row."""
    periods = list(periods)
    units = Area.objects.filter(depth=UNIT_DEPTH).count()
    counted = (
        CoverageSummary.objects.filter(
            period_start__in={start for _kind, start in periods}, village__depth=UNIT_DEPTH
        )
        .values_list("period_kind", "period_start")
        .annotate(n=Count("pk"))
        .order_by()
    )
    kept = {(kind, start): n for kind, start, n in counted}
    return [p for p in periods if kept.get(p, 0) < units]


def _active_in(start: dt.date, end: dt.date) -> Q:
    """Assignments in force at some time in [start, end]."""
    return Q(starts_on__lte=end) & (Q(ends_on__isnull=True) | Q(ends_on__gte=start))


def _in_period(start: dt.date, end: dt.date, field_name: str = "visited_on") -> Q:
    return Q(**{f"{field_name}__gte": start, f"{field_name}__lte": end})


def _under(field_name: str, prefix: str) -> Q:
    """Rows under the area of path `prefix` ("" is everything)."""
    return starts_with(field_name, prefix) if prefix else Q()


# --- overdue at the end of a period ----------------------------------------------------------


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


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


# --- counting from the records ---------------------------------------------------------------


def _tag_ids(name: str, target: str) -> list[int]:
    return list(Tag.objects.filter(name=name, target=target).values_list("pk", flat=True)) or [0]


def _rows_from_records(
    prefix: str, length: int, start: dt.date, end: dt.date, today: dt.date
) -> dict[str, Counter]:
    """The figures of every unit under `prefix`, counted from the records, by the first
    `length` characters of the path each record sits at. Also `level3_visits` (visits made
    under a level-3 link), from which the villages reached at level 3 follow."""
    rows: dict[str, Counter] = defaultdict(Counter)
    for query in (
        _household_counts(prefix, length, start, end, today),
        _member_counts(prefix, length, start, end),
        _visit_counts(prefix, length, start, end),
        _need_counts(prefix, length, start, end),
    ):
        for row in query:
            key = row.pop("key")
            rows[key].update({k: v for k, v in row.items() if v})
    return rows


def _grouped(qs: QuerySet, path: str, length: int) -> QuerySet:
    return qs.annotate(key=Substr(path, 1, length)).values("key").order_by()


def _household_counts(prefix, length, start, end, today) -> QuerySet:
    households = Household.objects.filter(_under("area__path", prefix))
    visited = Visit.objects.filter(_in_period(start, end), household=OuterRef("pk"))
    poor = Exists(
        HouseholdTag.objects.filter(
            household=OuterRef("pk"), tag_id__in=_tag_ids(POOR_HOUSEHOLD_TAG, TagTarget.HOUSEHOLD)
        )
    )
    links = ContactAssignment.objects.filter(
        _active_in(start, end), level=LinkLevel.CENTRAL_HOUSEHOLD
    )
    linked = Exists(links.filter(household=OuterRef("pk"))) | Exists(
        links.filter(contact_household=OuterRef("pk"))
    )
    return _grouped(households, "area__path", length).annotate(
        households=Count("pk"),
        households_reached=Count("pk", filter=Exists(visited)),
        poor=Count("pk", filter=poor),
        poor_reached=Count("pk", filter=poor & Exists(visited)),
        households_linked=Count("pk", filter=linked),
        households_reached_by_link=Count(
            "pk", filter=Exists(visited.filter(link_level=LinkLevel.CENTRAL_HOUSEHOLD))
        ),
        overdue=Count("pk", filter=_overdue_condition(end, today)),
    )


def _member_counts(prefix, length, start, end) -> QuerySet:
    """Party members 党员 (residents tagged so) where they live now."""
    members = Resident.objects.filter(
        _under("household__area__path", prefix),
        tag_links__tag_id__in=_tag_ids(PARTY_MEMBER_TAG, TagTarget.RESIDENT),
    )
    linked = ContactAssignment.objects.filter(
        _active_in(start, end), level=LinkLevel.VILLAGE_CADRE, resident=OuterRef("pk")
    )
    reached = Visit.objects.filter(
        _in_period(start, end),
        link_level=LinkLevel.VILLAGE_CADRE,
        household=OuterRef("household_id"),
    )
    return _grouped(members, "household__area__path", length).annotate(
        party_members=Count("pk", distinct=True),
        party_members_linked=Count("pk", filter=Exists(linked), distinct=True),
        party_members_reached=Count("pk", filter=Exists(reached), distinct=True),
    )


def _visit_counts(prefix, length, start, end) -> QuerySet:
    visits = Visit.objects.filter(_in_period(start, end), _under("area__path", prefix))
    return _grouped(visits, "area__path", length).annotate(
        visits=Count("pk"), level3_visits=Count("pk", filter=Q(link_level=LinkLevel.CADRE))
    )


def _need_counts(prefix, length, start, end) -> QuerySet:
    from ..needs import need_status_expression

    needs = Need.objects.filter(
        _in_period(start, end, "found_on"), _under("visit__area__path", prefix)
    ).alias(effective=need_status_expression())
    return _grouped(needs, "visit__area__path", length).annotate(
        needs_found=Count("pk"),
        needs_resolved=Count("pk", filter=Q(effective=NeedStatus.RESOLVED)),
    )


def _villages(prefix: str) -> list[str]:
    return list(
        Area.objects.filter(_under("path", prefix), kind=AreaKind.VILLAGE).values_list(
            "path", flat=True
        )
    )


def _villages_linked(prefix: str, start: dt.date, end: dt.date) -> set[str]:
    return set(
        ContactAssignment.objects.filter(
            _active_in(start, end),
            _under("area__path", prefix),
            level=LinkLevel.CADRE,
            area__kind=AreaKind.VILLAGE,
        ).values_list("area__path", flat=True)
    )


# --- levels 1 and 2 (the areas above the villages) --------------------------------------------


@dataclass
class _Upper:
    """The streets and communities under an area, and which are linked and reached."""

    targets: dict[int, list[str]]  # level → target paths
    linked: dict[int, set[str]]
    reached: dict[int, set[str]]

    def count(self, level: int, group: str) -> tuple[int, int, int]:
        def under(paths):
            return sum(1 for p in paths if p.startswith(group))

        return (
            under(self.targets[level]),
            under(self.linked[level] & set(self.targets[level])),
            under(self.reached[level] & set(self.targets[level])),
        )


def _upper_levels(area: Area, start: dt.date, end: dt.date) -> _Upper:
    """Levels 1 and 2 from the records (a few small queries whatever the size: the visits
    under these links are found through their assignments, so the year's visits are never
    scanned)."""
    upper = _Upper({}, {}, {})
    for level, kind, depth in UPPER_LEVELS:
        upper.targets[level], upper.linked[level], upper.reached[level] = [], set(), set()
        if area.depth > depth:
            continue
        upper.targets[level] = list(
            Area.objects.filter(_under("path", area.path), kind=kind).values_list("path", flat=True)
        )
        if not upper.targets[level]:
            continue
        upper.linked[level] = set(
            ContactAssignment.objects.filter(
                _active_in(start, end),
                _under("area__path", area.path),
                level=level,
                area__kind=kind,
            ).values_list("area__path", flat=True)
        )
        visits = Visit.objects.filter(
            _in_period(start, end),
            _under("area__path", area.path),
            link_level=level,
            assignment__level=level,
        )
        upper.reached[level] = set(
            visits.annotate(key=Substr("area__path", 1, (depth + 1) * SEGMENT))
            .values_list("key", flat=True)
            .distinct()
            .order_by()
        )
    return upper


# --- adding up ---------------------------------------------------------------------------------


def _new(area: Area, start: dt.date, end: dt.date, source: str, at) -> Coverage:
    return Coverage(area=area, start=start, end=end, source=source, computed_at=at)


def _levels(c: Coverage, upper: _Upper, group: str, sums: Counter, villages: tuple) -> None:
    """Fill c.levels: 1–2 from `upper`; 3 (villages, linked, reached); 4–5 from `sums`."""
    village_count, village_linked, village_reached = villages
    rows = []
    for level in LinkLevel:
        if level in upper.targets:
            targets, linked, reached = upper.count(level, group)
        elif level == LinkLevel.CADRE:
            targets, linked, reached = village_count, village_linked, village_reached
        elif level == LinkLevel.VILLAGE_CADRE:
            targets = sums["party_members"]
            linked, reached = sums["party_members_linked"], sums["party_members_reached"]
        else:
            targets = sums["households"]
            linked, reached = sums["households_linked"], sums["households_reached_by_link"]
        rows.append(LevelCoverage(int(level), str(level.label), targets, linked, reached))
    c.levels = rows


def _fill(c: Coverage, sums: Counter) -> None:
    for name in ("households", "households_reached", "poor", "poor_reached", "visits"):
        setattr(c, name, sums[name])
    c.needs_found, c.needs_resolved, c.overdue = (
        sums["needs_found"],
        sums["needs_resolved"],
        sums["overdue"],
    )


def _from_records(area: Area, groups: list[Area], start, end, today) -> list[Coverage]:
    """The coverage of each of `groups` (areas under `area`, or `area` itself), counted from
    the records in one pass over `area`."""
    now = timezone.now()
    length = max([UNIT_LENGTH, len(area.path)] + [len(g.path) for g in groups])
    rows = _rows_from_records(area.path, length, start, end, today)
    villages = _villages(area.path)
    linked = _villages_linked(area.path, start, end)
    # Per village: its visits, and its visits under a level-3 link.
    by_village: dict[str, Counter] = defaultdict(Counter)
    for key, row in rows.items():
        by_village[key[:UNIT_LENGTH]].update(row)
    upper = _upper_levels(area, start, end)
    out = []
    for group in groups:
        sums: Counter = Counter()
        for key, row in rows.items():
            if key.startswith(group.path):
                sums.update(row)
        mine = [v for v in villages if v.startswith(group.path)]
        c = _new(group, start, end, "records", now)
        _fill(c, sums)
        c.villages = len(mine)
        c.villages_reached = sum(1 for v in mine if by_village[v]["visits"])
        level3 = (
            len(mine),
            sum(1 for v in mine if v in linked),
            sum(1 for v in mine if by_village[v]["level3_visits"]),
        )
        _levels(c, upper, group.path, sums, level3)
        out.append(c)
    return out


def coverage_live(
    *, area: Area, start: dt.date, end: dt.date, today: dt.date | None = None
) -> Coverage:
    """The coverage of `area` from `start` to `end`, counted straight from the records (a
    trusted caller: no scope check)."""
    today = today or timezone.localdate()
    return _from_records(area, [area], start, end, today)[0]


# --- reading the summaries ----------------------------------------------------------------------


def _fresh_after(end: dt.date, today: dt.date) -> dt.datetime:
    """Rows refreshed before this moment are not trusted: a running period's older than
    SUMMARY_MAX_AGE, a past period's counted before it was over."""
    if end >= today:
        return timezone.now() - SUMMARY_MAX_AGE
    return _start_of(end + dt.timedelta(days=1))


def _summary_rows(area: Area, kind: str, period_start: dt.date, length: int) -> list[dict]:
    rows = CoverageSummary.objects.filter(
        _under("village__path", area.path), period_kind=kind, period_start=period_start
    )
    village = Q(village__kind=AreaKind.VILLAGE)
    return list(
        _grouped(rows, "village__path", length).annotate(
            # Named apart from the columns: an annotation named like a column would stand in
            # for it in the filters below.
            **{f"sum_{name}": Sum(name) for name in SUMMED},
            villages=Count("pk", filter=village),
            villages_reached=Count("pk", filter=village & Q(visits__gt=0)),
            villages_linked=Count("pk", filter=village & Q(village_linked=True)),
            villages_reached_by_link=Count("pk", filter=village & Q(village_reached=True)),
            units=Count("pk", filter=Q(village__depth=UNIT_DEPTH)),
            oldest=Min("refreshed_at"),
        )
    )


def _from_summaries(
    area: Area, groups: list[Area], start: dt.date, end: dt.date, today: dt.date
) -> list[Coverage] | None:
    """The coverage of each of `groups` from the kept summaries, or None when they cannot
    serve: not a calendar period, a unit without its row, or rows not fresh."""
    kind = calendar_period(start, end)
    if kind is None or any(g.depth > UNIT_DEPTH for g in groups):
        return None
    length = max([len(area.path)] + [len(g.path) for g in groups])
    rows = _summary_rows(area, kind, start, length)
    units = Area.objects.filter(_under("path", area.path), depth=UNIT_DEPTH).count()
    if not rows or sum(r["units"] for r in rows) != units:
        return None
    oldest = min(r["oldest"] for r in rows)
    if oldest < _fresh_after(end, today):
        return None
    upper = _upper_levels(area, start, end)
    out = []
    for group in groups:
        mine = [r for r in rows if r["key"].startswith(group.path)]
        sums: Counter = Counter()
        for r in mine:
            sums.update({k: r[f"sum_{k}"] or 0 for k in SUMMED})
            sums.update({"villages": r["villages"], "villages_reached": r["villages_reached"]})
            sums.update(
                {"linked3": r["villages_linked"], "reached3": r["villages_reached_by_link"]}
            )
        c = _new(group, start, end, "summary", oldest)
        _fill(c, sums)
        c.villages, c.villages_reached = sums["villages"], sums["villages_reached"]
        _levels(c, upper, group.path, sums, (sums["villages"], sums["linked3"], sums["reached3"]))
        out.append(c)
    return out


def _require_view(user, area: Area) -> None:
    if user is None or not covers(user, area, "visits.view"):
        raise OutOfScope(Area, area.pk)


def coverage_for(
    *, user, area: Area, start: dt.date, end: dt.date, today: dt.date | None = None
) -> Coverage:
    """The coverage of `area` for someone who may read visits there (else OutOfScope, a 404):
    from the kept summaries when they can serve (see the module's docstring), else counted."""
    _require_view(user, area)
    today = today or timezone.localdate()
    kept = _from_summaries(area, [area], start, end, today)
    return kept[0] if kept else coverage_live(area=area, start=start, end=end, today=today)


def coverage_by_child(
    *, user, area: Area, start: dt.date, end: dt.date, today: dt.date | None = None
) -> list[Coverage]:
    """The coverage of each area directly under `area` (the drill-down), in tree order."""
    _require_view(user, area)
    today = today or timezone.localdate()
    children = list(Area.objects.filter(parent=area).order_by("path"))
    if not children:
        return []
    kept = _from_summaries(area, children, start, end, today)
    return kept if kept is not None else _from_records(area, children, start, end, today)


def households_not_reached(*, user, area: Area, start: dt.date, end: dt.date) -> QuerySet:
    """未走访户 — the households living under `area` with no visit from `start` to `end`
    (as many as the coverage's households minus those reached), in tree order."""
    _require_view(user, area)
    visited = Visit.objects.filter(_in_period(start, end), household=OuterRef("pk"))
    return (
        Household.objects.filter(starts_with("area__path", area.path))
        .filter(~Exists(visited))
        .select_related("area", "head")
        .order_by("area__path", "number")
    )


def overdue_trend(
    *, user, area: Area, months: int = 12, today: dt.date | None = None
) -> list[tuple[dt.date, int]]:
    """(first day of the month, households overdue at its end — today for this month) for the
    last `months` months, oldest first; from the month summaries where they serve."""
    _require_view(user, area)
    today = today or timezone.localdate()
    firsts = month_starts(today, months)
    kept = _kept_overdue(area, firsts, today)
    trend = []
    for first in firsts:
        if first in kept:
            trend.append((first, kept[first]))
        else:
            end = min(_month_end(first), today)
            trend.append((first, overdue_live(area=area, on=end, today=today)))
    return trend


def _kept_overdue(area: Area, firsts: list[dt.date], today: dt.date) -> dict[dt.date, int]:
    if area.depth > UNIT_DEPTH:
        return {}
    units = Area.objects.filter(_under("path", area.path), depth=UNIT_DEPTH).count()
    rows = (
        CoverageSummary.objects.filter(
            _under("village__path", area.path),
            period_kind=PeriodKind.MONTH,
            period_start__in=firsts,
        )
        .values("period_start")
        .annotate(
            overdue=Sum("overdue"),
            units=Count("pk", filter=Q(village__depth=UNIT_DEPTH)),
            oldest=Min("refreshed_at"),
        )
        .order_by()
    )
    return {
        r["period_start"]: r["overdue"]
        for r in rows
        if units
        and r["units"] == units
        and r["oldest"] >= _fresh_after(_month_end(r["period_start"]), today)
    }


def overdue_live(*, area: Area, on: dt.date, today: dt.date | None = None) -> int:
    """Households under `area` whose visit was overdue on `on` (today: from the visit states)."""
    today = today or timezone.localdate()
    return (
        Household.objects.filter(starts_with("area__path", area.path))
        .filter(_overdue_condition(on, today))
        .count()
    )


# --- writing the summaries ------------------------------------------------------------------


def units_of(villages: Iterable) -> list[Area]:
    """The units (see the module's docstring) the given areas or ids belong to."""
    ids = [v.pk if isinstance(v, Area) else int(v) for v in villages]
    paths = {
        p[:UNIT_LENGTH] for p in Area.objects.filter(pk__in=ids).values_list("path", flat=True)
    }
    return list(Area.objects.filter(path__in=paths))


def _summary(unit_id: int, kind: str, start: dt.date, row: Counter, villages: tuple, now):
    is_village, linked = villages
    return CoverageSummary(
        village_id=unit_id,
        period_kind=kind,
        period_start=start,
        **{name: row[name] for name in SUMMED},
        village_linked=is_village and linked,
        village_reached=is_village and row["level3_visits"] > 0,
        refreshed_at=now,
    )


def _count_period(kind: str, start: dt.date, units: list[Area] | None, today: dt.date) -> list:
    """The summary rows of one period, for `units` (None: every unit)."""
    end = period_bounds(kind, start)[1]
    now = timezone.now()
    if units is None:
        rows = _rows_from_records("", UNIT_LENGTH, start, end, today)
        wanted = dict(Area.objects.filter(depth=UNIT_DEPTH).values_list("path", "pk"))
        shallow = [k for k in rows if k not in wanted]
        wanted |= dict(Area.objects.filter(path__in=shallow).values_list("path", "pk"))
        linked = _villages_linked("", start, end)
    else:
        rows, wanted, linked = {}, {}, set()
        for unit in units:
            counted = _rows_from_records(unit.path, UNIT_LENGTH, start, end, today)
            rows[unit.path] = counted.get(unit.path, Counter())
            wanted[unit.path] = unit.pk
            linked |= _villages_linked(unit.path, start, end)
    villages = set(
        Area.objects.filter(path__in=list(wanted), kind=AreaKind.VILLAGE).values_list(
            "path", flat=True
        )
    )
    return [
        _summary(
            pk, kind, start, rows.get(path, Counter()), (path in villages, path in linked), now
        )
        for path, pk in wanted.items()
    ]


def summaries_refresh(
    *,
    villages: Iterable | None = None,
    period_kinds: Iterable[str] | None = None,
    today: dt.date | None = None,
    periods: Iterable[tuple[str, dt.date]] | None = None,
) -> int:
    """Count the coverage summaries again and write them; returns the rows written.

    `villages`: areas or ids whose unit (their village) to refresh — None for every one;
    `periods`: (kind, first day) pairs — by default the periods of `period_kinds` (all three by
    default) running on `today`. Idempotent: a second run writes the same figures."""
    today = today or timezone.localdate()
    wanted = list(periods) if periods is not None else current_periods(today, period_kinds)
    units = None if villages is None else units_of(villages)
    written = 0
    for kind, start in wanted:
        start = period_bounds(kind, start)[0]
        summaries = _count_period(kind, start, units, today)
        CoverageSummary.objects.bulk_create(
            summaries,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["period_kind", "period_start", "village"],
            update_fields=[
                *SUMMED,
                "village_linked",
                "village_reached",
                "refreshed_at",
            ],
        )
        written += len(summaries)
    return written
