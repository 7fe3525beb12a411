"""The appeals figures 诉求统计, counted from the records when asked: the appeals of an area
raised in a period — by category, by channel, and by the tier that settled them; the share
settled in the village (小事不出村: settled at the village tier, never handed up) and inside the
community; the working days each tier used (on the working-day calendar, `core.workdays`);
the hand-overs; what is overdue now; and the return visits' satisfaction (满意 / 基本满意 /
不满意).

The dashboard, its workbook and `linli figures` read them from here. Every count starts from
the appeals the user may see (`selectors.visible_appeals`; `user=None` is the trusted command
line). An appeal belongs to a period by the day it was raised, and is counted as it stands now
(settled, where, with which return visits); "overdue now" looks at every open appeal whatever
its age.

Per-area figures group by the first characters of `Area.path` (as the hall's dashboard and
registry.figures do), so the drill-down into every area below costs the same few queries
however many areas there are.

More figures over the same appeals — the disputes' (mediated, agreements reached and kept) —
join as a `FigurePart` (`register_part`), counted in the same pass and shown wherever these
figures are: the dashboard's cards, its workbook and `linli figures`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import CharField, Count, QuerySet
from django.db.models.functions import Cast, Substr
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import pgettext, pgettext_lazy

from linli.core.actors import Actor
from linli.core.models import Area
from linli.core.periods import Period, median, period_of
from linli.core.scoping import under_area
from linli.core.workdays import WorkCalendar

from . import rules
from .choices import AppealChannel, AppealState, Satisfaction, StepOutcome, Tier
from .models import Appeal, AppealStep, ReturnVisit
from .selectors import visible_appeals
from .workflow import RUNNING_STATES, TIERS

SETTLED_STATES = frozenset({AppealState.SETTLED, AppealState.CLOSED})
# The step outcomes that moved an appeal up (by a handler, or by the job when the time passed).
HANDED_UP = frozenset({StepOutcome.HANDED_UP, StepOutcome.ESCALATED})


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# --- the figures -----------------------------------------------------------------------------


@dataclass
class AppealFigures:
    """The appeals figures of one area (or one category, or one area below) in a period."""

    raised: int = 0
    by_channel: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AppealChannel, 0))
    by_state: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AppealState, 0))
    # The tier that settled it (settled or closed), and where the open ones wait now.
    settled_by_tier: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Tier, 0))
    waiting_by_tier: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Tier, 0))
    # Hand-overs: steps that ended handed up (by a handler or when the time passed), sent to
    # the department; and the appeals each happened to at least once.
    hand_overs: dict[str, int] = field(default_factory=lambda: dict.fromkeys(StepOutcome, 0))
    handed_up_appeals: int = 0
    overdue_now: int = 0
    # Per tier, for the steps that have ended: working days used → how many; the limits.
    days_used: dict[str, Counter] = field(default_factory=lambda: {t: Counter() for t in Tier})
    days_allowed: dict[str, Counter] = field(default_factory=lambda: {t: Counter() for t in Tier})
    in_time: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Tier, 0))
    satisfaction: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Satisfaction, 0))
    more: Counter = field(default_factory=Counter)  # what the registered parts count

    @property
    def settled(self) -> int:
        return sum(self.settled_by_tier.values())

    @property
    def settled_share(self) -> float | None:
        """Of the appeals raised, the share settled (closed or awaiting its return visit)."""
        return _share(self.settled, self.raised)

    def settled_within(self, tier: str) -> int:
        """Settled at `tier` or below it."""
        return sum(self.settled_by_tier[t] for t in TIERS[: TIERS.index(tier) + 1])

    @property
    def village_share(self) -> float | None:
        """小事不出村 — of the appeals settled, the share the village settled (an appeal settled
        at the village tier was never handed up: tiers only go up)."""
        return _share(self.settled_by_tier[Tier.VILLAGE], self.settled)

    @property
    def community_share(self) -> float | None:
        """Of the appeals settled, the share settled inside the community (village or
        community tier)."""
        return _share(self.settled_within(Tier.COMMUNITY), self.settled)

    @property
    def street_share(self) -> float | None:
        """大事不出镇 — of the appeals settled, the share settled inside the street."""
        return _share(self.settled_within(Tier.STREET), self.settled)

    @property
    def handed_up(self) -> int:
        return sum(self.hand_overs[o] for o in HANDED_UP)

    @property
    def sent_to_department(self) -> int:
        return self.hand_overs[StepOutcome.SENT_TO_DEPARTMENT]

    def median_days(self, tier: str) -> float | None:
        return median(self.days_used[tier])

    def median_allowed(self, tier: str) -> float | None:
        return median(self.days_allowed[tier])

    def steps_ended(self, tier: str) -> int:
        return sum(self.days_used[tier].values())

    def in_time_share(self, tier: str) -> float | None:
        return _share(self.in_time[tier], self.steps_ended(tier))

    @property
    def return_visits(self) -> int:
        return sum(self.satisfaction.values())

    def satisfaction_share(self, judgement: str) -> float | None:
        return _share(self.satisfaction[judgement], self.return_visits)

    @property
    def content_share(self) -> float | None:
        """满意 and 基本满意 together."""
        content = (
            self.satisfaction[Satisfaction.SATISFIED] + self.satisfaction[Satisfaction.BASICALLY]
        )
        return _share(content, self.return_visits)

    def as_dict(self) -> dict:
        values: dict = {
            "raised": self.raised,
            "by_channel": {str(k): v for k, v in self.by_channel.items()},
            "by_state": {str(k): v for k, v in self.by_state.items()},
            "settled": self.settled,
            "settled_share": _rounded(self.settled_share),
            "settled_by_tier": {str(k): v for k, v in self.settled_by_tier.items()},
            "waiting_by_tier": {str(k): v for k, v in self.waiting_by_tier.items()},
            "village_share": _rounded(self.village_share),
            "community_share": _rounded(self.community_share),
            "street_share": _rounded(self.street_share),
            "handed_up": self.handed_up,
            "handed_up_appeals": self.handed_up_appeals,
            "escalated": self.hand_overs[StepOutcome.ESCALATED],
            "sent_to_department": self.sent_to_department,
            "overdue_now": self.overdue_now,
            "working_days": {
                str(t): {
                    "steps": self.steps_ended(t),
                    "median_used": self.median_days(t),
                    "median_allowed": self.median_allowed(t),
                    "in_time_share": _rounded(self.in_time_share(t)),
                }
                for t in Tier
            },
            "return_visits": self.return_visits,
            "satisfaction": {str(k): v for k, v in self.satisfaction.items()},
            "content_share": _rounded(self.content_share),
        }
        for part in PARTS:
            values |= part.values(self)
        return values


# --- more figures over the same appeals --------------------------------------------------------

# A part's count: (the appeals counted — visible, in the area and period —, the expression of
# each one's branch) → rows of (branch, category id, figure name, how many).
PartCount = Callable[[QuerySet, object], Iterable[tuple[str, int, str, int]]]


@dataclass(frozen=True)
class FigurePart:
    """Figures another part of the module counts over the same appeals (the disputes: mediated,
    agreements reached, agreements kept). `labels` names its figures in order ((name, label));
    `count` gives the rows (see `PartCount`); `shares` says which of the named figures are
    shares of two others ((name, numerator name, denominator name), the name ending in
    `_share`)."""

    key: str
    labels: tuple[tuple[str, Promise | str], ...]
    count: PartCount
    shares: tuple[tuple[str, str, str], ...] = ()

    def values(self, figures: AppealFigures) -> dict:
        derived = {name: (part, whole) for name, part, whole in self.shares}
        values: dict = {}
        for name, _label in self.labels:
            if name in derived:
                part, whole = derived[name]
                values[name] = _rounded(_share(figures.more[part], figures.more[whole]))
            else:
                values[name] = figures.more[name]
        return values


PARTS: list[FigurePart] = []


def register_part(part: FigurePart) -> None:
    """Add a part's figures (once: a second registration of the same key replaces the first)."""
    PARTS[:] = [p for p in PARTS if p.key != part.key] + [part]


# --- the report --------------------------------------------------------------------------------


@dataclass
class AppealReport:
    """The figures of an area, of each area below it and of each category, in one period."""

    area: Area
    period: Period
    today: dt.date
    total: AppealFigures
    branches: dict[str, AppealFigures]  # child area path → figures
    categories: dict[int, AppealFigures]  # category id → figures
    category_names: dict[int, str]
    category_codes: dict[int, str]


def _visible_areas(user: Actor | None) -> QuerySet[Area]:
    return Area.objects.all() if user is None else Area.objects.restrict(user, "view")


def _appeals(user: Actor | None) -> QuerySet[Appeal]:
    return Appeal.objects.all() if user is None else visible_appeals(user)


def appeal_report(
    *,
    user: Actor | None,
    area: Area,
    period: Period | None = None,
    today: dt.date | None = None,
) -> AppealReport:
    """Everything the dashboard shows for `area`, as `user` may see it (the caller has checked
    that the user may look at the area's figures)."""
    today = today or timezone.localdate()
    period = period or period_of("12m", today)
    children = list(
        _visible_areas(user).filter(parent=area).order_by("path").values_list("path", flat=True)
    )
    counter = _Counter(user, area, period, today, len(children[0]) if children else 0)
    return AppealReport(
        area=area,
        period=period,
        today=today,
        total=counter.total,
        branches={path: counter.branches.get(path) or AppealFigures() for path in children},
        categories=dict(counter.categories),
        category_names=counter.names,
        category_codes=counter.codes,
    )


class _Counter:
    """Fills the figures of the area, its branches and its categories from a few GROUP BY
    queries (and one read of the ended steps, whose working days are counted here)."""

    def __init__(self, user, area: Area, period: Period, today: dt.date, length: int):
        self.total = AppealFigures()
        self.branches: dict[str, AppealFigures] = {}
        self.categories: dict[int, AppealFigures] = {}
        self.names: dict[int, str] = {}
        self.codes: dict[int, str] = {}
        self.length = length
        self.today = today
        in_area = under_area(_appeals(user), "area__path", area)
        cohort = in_area.filter(period.condition("created_at"))
        self._raised(cohort)
        self._overdue(in_area, today)
        self._steps(cohort, period)
        self._return_visits(cohort)
        for part in PARTS:
            for branch, category_id, name, n in part.count(cohort, self._branch("area__path")):
                for figures in self._targets(branch, category_id):
                    figures.more[name] += n

    def _branch(self, path_field: str):
        """The expression of a row's branch (the area below, by path prefix); None with no
        areas below."""
        return Substr(path_field, 1, self.length) if self.length else None

    def _grouped(self, qs: QuerySet, path_field: str, *fields: str, **aggregates) -> QuerySet:
        branch = self._branch(path_field)
        if branch is not None:
            qs = qs.annotate(branch=branch)
            fields = ("branch", *fields)
        return qs.values(*fields).annotate(n=Count("pk"), **aggregates).order_by()

    def _targets(self, branch: str | None, category_id: int | None) -> list[AppealFigures]:
        targets = [self.total]
        if branch is not None:
            targets.append(
                self.branches.get(branch) or self.branches.setdefault(branch, AppealFigures())
            )
        if category_id is not None:
            figures = self.categories.get(category_id)
            if figures is None:
                figures = self.categories[category_id] = AppealFigures()
            targets.append(figures)
        return targets

    def _raised(self, cohort: QuerySet) -> None:
        rows = self._grouped(
            cohort,
            "area__path",
            "category_id",
            "category__name",
            "category__code",
            "channel",
            "state",
            "tier",
        )
        for row in rows:
            category_id, n = row["category_id"], row["n"]
            self.names[category_id] = row["category__name"]
            self.codes[category_id] = row["category__code"]
            state, tier = row["state"], row["tier"]
            for figures in self._targets(row.get("branch"), category_id):
                figures.raised += n
                figures.by_channel[AppealChannel(row["channel"])] += n
                figures.by_state[AppealState(state)] += n
                if state in SETTLED_STATES:
                    figures.settled_by_tier[Tier(tier)] += n
                elif state in RUNNING_STATES:
                    figures.waiting_by_tier[Tier(tier)] += n

    def _overdue(self, in_area: QuerySet, today: dt.date) -> None:
        late = in_area.filter(rules.overdue_appeals(today))
        for row in self._grouped(late, "area__path", "category_id", "category__name"):
            self.names.setdefault(row["category_id"], row["category__name"])
            for figures in self._targets(row.get("branch"), row["category_id"]):
                figures.overdue_now += row["n"]

    def _steps(self, cohort: QuerySet, period: Period) -> None:
        """Each ended step's working days (after the day it arrived, up to the day it ended)
        and whether it ended by its deadline; each hand-over by its kind. The steps are read
        row by row (their days are counted here, on the calendar), then added up by what they
        have in common, so that each figure is touched once a group."""
        steps = AppealStep.objects.filter(
            appeal__in=cohort.values("pk"), ended_at__isnull=False
        ).order_by()
        branch = self._branch("appeal__area__path")
        if branch is not None:
            steps = steps.annotate(branch=branch)
        fields = ["appeal_id", "appeal__category_id", "tier", "time_limit_days", "outcome"]
        times = ("started_at", "ended_at", "due_on")
        if connection.vendor == "sqlite":
            # SQLite keeps these as text: read the text and parse it here (in C), rather than
            # through Django's converters, which cost more than the rest of the figures.
            steps = steps.annotate(**{f"{t}_text": Cast(t, CharField()) for t in times})
            fields += [f"{t}_text" for t in times]
        else:
            fields += list(times)
        rows = steps.values_list(*(["branch"] if branch is not None else []), *fields)
        zone = timezone.get_current_timezone()
        days = _WorkingDayIndex(period.start, self.today)
        groups: Counter = Counter()
        moved: dict[tuple, set[int]] = {}
        for row in rows:
            if branch is None:
                row = (None, *row)
            path, appeal_id, category_id, tier, limit, outcome, started, ended, due = row
            if isinstance(started, str):
                started, ended = _utc(started), _utc(ended)
                due = dt.date.fromisoformat(due)
            end_day = ended.astimezone(zone).date()
            used = days.between(started.astimezone(zone).date(), end_day)
            groups[(path, category_id, tier, limit, outcome, used, end_day <= due)] += 1
            if outcome in HANDED_UP:
                moved.setdefault((path, category_id), set()).add(appeal_id)
        for (path, category_id, tier, limit, outcome, used, in_time), n in groups.items():
            for figures in self._targets(path, category_id):
                figures.days_used[tier][used] += n
                figures.days_allowed[tier][limit] += n
                if in_time:
                    figures.in_time[tier] += n
                if outcome != StepOutcome.SETTLED:
                    figures.hand_overs[outcome] += n
        for (path, category_id), appeals in moved.items():
            for figures in self._targets(path, category_id):
                figures.handed_up_appeals += len(appeals)

    def _return_visits(self, cohort: QuerySet) -> None:
        visits = ReturnVisit.objects.filter(appeal__in=cohort.values("pk"))
        rows = self._grouped(visits, "appeal__area__path", "appeal__category_id", "satisfaction")
        for row in rows:
            for figures in self._targets(row.get("branch"), row["appeal__category_id"]):
                figures.satisfaction[Satisfaction(row["satisfaction"])] += row["n"]


def _utc(text: str) -> dt.datetime:
    """A time as SQLite keeps it (ISO text, in UTC)."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


class _WorkingDayIndex:
    """Working days between two days, read off a running count over the span (the calendar
    loaded once): after `start`, up to and including `end`, as `WorkCalendar.count`."""

    def __init__(self, first: dt.date, last: dt.date):
        self.first = first - dt.timedelta(days=1)
        calendar = WorkCalendar.load(self.first, last)
        self.running: list[int] = [0]
        day = self.first
        while day < last:
            day += dt.timedelta(days=1)
            self.running.append(self.running[-1] + calendar.is_working_day(day))
        self.calendar = calendar

    def _at(self, day: dt.date) -> int | None:
        offset = (day - self.first).days
        return self.running[offset] if 0 <= offset < len(self.running) else None

    def between(self, start: dt.date, end: dt.date) -> int:
        if end <= start:
            return 0
        low, high = self._at(start), self._at(end)
        if low is None or high is None:  # outside the span (a clock set back): count it
            return self.calendar.count(start, end)
        return high - low


# --- overdue appeals, for the workbook ----------------------------------------------------------


def overdue_list(
    *, user: Actor | None, area: Area, today: dt.date | None = None
) -> QuerySet[Appeal]:
    """The open appeals under `area` past their tier's time limit, the longest overdue first."""
    today = today or timezone.localdate()
    return (
        under_area(_appeals(user), "area__path", area)
        .filter(rules.overdue_appeals(today))
        .select_related("category_version", "area", "tier_area", "department", "reporter")
        .order_by("due_on", "created_at", "id")
    )


# --- `linli figures` ------------------------------------------------------------------------------


def _sub(label: str) -> str:
    """A figure that details the one above it, indented under it."""
    return f"  {label}"


def figure_labels(report: AppealReport) -> list[tuple[str, str, object]]:
    """(name, label, value) rows of a report's total: what `linli figures` prints and the
    dashboard's workbook lists. Names ending in `_share` are shares (0–1)."""
    f = report.total
    rows: list[tuple[str, str, object]] = [
        ("raised", pgettext("figure", "Appeals raised"), f.raised)
    ]
    rows += [
        (
            f"channel_{c.value}",
            _sub(pgettext("figure", "from: %(channel)s") % {"channel": c.label}),
            f.by_channel[c],
        )
        for c in AppealChannel
    ]
    by_size = sorted(
        report.categories.items(), key=lambda kv: (-kv[1].raised, report.category_names[kv[0]])
    )
    rows += [
        (
            f"category_{report.category_codes[pk]}",
            _sub(pgettext("figure", "in: %(category)s") % {"category": report.category_names[pk]}),
            figures.raised,
        )
        for pk, figures in by_size
        if figures.raised and pk in report.category_codes
    ]
    rows += [
        ("settled", pgettext("figure", "Settled"), f.settled),
        (
            "settled_share",
            pgettext("figure", "Share of the appeals raised settled"),
            _rounded(f.settled_share),
        ),
    ]
    rows += [
        (
            f"settled_{t.value}",
            _sub(pgettext("figure", "settled at: %(tier)s") % {"tier": t.label}),
            f.settled_by_tier[t],
        )
        for t in Tier
    ]
    rows += [
        (
            "village_share",
            pgettext("figure", "Share settled in the village (小事不出村)"),
            _rounded(f.village_share),
        ),
        (
            "community_share",
            pgettext("figure", "Share settled inside the community"),
            _rounded(f.community_share),
        ),
        (
            "street_share",
            pgettext("figure", "Share settled inside the street (大事不出镇)"),
            _rounded(f.street_share),
        ),
        ("handed_up", pgettext("figure", "Hand-ups to the tier above"), f.handed_up),
        (
            "escalated",
            _sub(pgettext("figure", "of which when the time limit passed")),
            f.hand_overs[StepOutcome.ESCALATED],
        ),
        ("sent_to_department", pgettext("figure", "Sent to a department"), f.sent_to_department),
        ("overdue_now", pgettext("figure", "Appeals overdue now"), f.overdue_now),
    ]
    for t in Tier:
        rows += [
            (
                f"median_days_{t.value}",
                pgettext("figure", "Median working days used: %(tier)s") % {"tier": t.label},
                f.median_days(t),
            ),
            (
                f"in_time_{t.value}_share",
                _sub(pgettext("figure", "share within the time limit")),
                _rounded(f.in_time_share(t)),
            ),
        ]
    rows.append(("return_visits", pgettext("figure", "Return visits"), f.return_visits))
    rows += [
        (f"{s.value}_share", _sub(str(s.label)), _rounded(f.satisfaction_share(s)))
        for s in Satisfaction
    ]
    for part in PARTS:
        values = part.values(f)
        rows += [(name, str(label), values[name]) for name, label in part.labels]
    return rows


SECTION_TITLE = pgettext_lazy("figure", "Appeals in the past 12 months")


def figure_rows(area: Area, today: dt.date) -> list[tuple[str, str, object]]:
    """The appeals section of `linli figures`: the past twelve months of `area` (a trusted
    caller)."""
    return figure_labels(
        appeal_report(user=None, area=area, period=period_of("12m", today), today=today)
    )
