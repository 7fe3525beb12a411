"""The service hall's figures 办件统计: applications by item and state, working days used
against the promise, the share finished in at most one trip, what is overdue now, outreach
found / contacted / applied, and satisfaction — counted from the records when asked.

The hall dashboard and `linli figures` read them from here. Every count starts from the
queryset restricted to what the user may see (`user=None` is the trusted command line).
Applications are counted in a period by the day they were made; "overdue now" looks at every
open application whatever its age.

Per-area figures group by the first characters of `Area.path` (as registry.figures does), so
the drill-down into every area below costs the same few queries however many areas there are.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from linli.core.lookups import starts_with
from linli.core.models import Area
from linli.core.periods import Period, median

from .. import rules
from ..choices import ApplicationState, OutreachState
from ..models import (
    Application,
    ApplicationStep,
    OutreachTask,
    Rating,
    ServiceCategory,
    ServiceItem,
    ServiceItemVersion,
)

SATISFIED_FROM = 4  # a rating of 4 or 5 counts as satisfied


@dataclass
class HallFigures:
    """The hall figures of one area (or one item, or one branch) in a period."""

    applications: int = 0
    by_state: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ApplicationState, 0))
    completed: int = 0
    one_trip: int = 0  # completed in at most one trip
    trips: int = 0
    # Working days used → how many completed applications, for items with a time limit.
    days_used: Counter = field(default_factory=Counter)
    days_promised: Counter = field(default_factory=Counter)
    days_early: Counter = field(default_factory=Counter)  # promise minus days used
    overdue_now: int = 0
    overdue_steps_now: int = 0
    ratings: int = 0
    score_total: int = 0
    satisfied: int = 0
    outreach: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OutreachState, 0))
    outreach_contacted: int = 0  # tasks ever contacted, whatever came of it

    @property
    def median_days_used(self) -> float | None:
        return median(self.days_used)

    @property
    def median_days_promised(self) -> float | None:
        return median(self.days_promised)

    @property
    def median_days_early(self) -> float | None:
        return median(self.days_early)

    @property
    def one_trip_share(self) -> float | None:
        return self.one_trip / self.completed if self.completed else None

    @property
    def average_score(self) -> float | None:
        return self.score_total / self.ratings if self.ratings else None

    @property
    def satisfied_share(self) -> float | None:
        return self.satisfied / self.ratings if self.ratings else None

    @property
    def outreach_found(self) -> int:
        return sum(self.outreach.values())

    @property
    def outreach_applied(self) -> int:
        return self.outreach[OutreachState.APPLIED]

    def as_dict(self) -> dict:
        return {
            "applications": self.applications,
            "by_state": {str(k): v for k, v in self.by_state.items()},
            "completed": self.completed,
            "median_working_days_used": self.median_days_used,
            "median_working_days_promised": self.median_days_promised,
            "median_working_days_early": self.median_days_early,
            "completed_in_one_trip": self.one_trip,
            "one_trip_share": _rounded(self.one_trip_share),
            "trips": self.trips,
            "overdue_now": self.overdue_now,
            "overdue_steps_now": self.overdue_steps_now,
            "outreach_found": self.outreach_found,
            "outreach_contacted": self.outreach_contacted,
            "outreach_applied": self.outreach_applied,
            "outreach_declined": self.outreach[OutreachState.DECLINED],
            "outreach_not_eligible": self.outreach[OutreachState.NOT_ELIGIBLE],
            "ratings": self.ratings,
            "average_score": _rounded(self.average_score),
            "satisfied_share": _rounded(self.satisfied_share),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _visible(model, user) -> QuerySet:
    if user is None:
        return model._default_manager.all()
    return model._default_manager.restrict(user, "view")


def _of_visible_applications(qs: QuerySet, user) -> QuerySet:
    """The steps or ratings in `qs` of the applications `user` may see. Who sees every
    application (the command line, a leader of the whole district) needs no test: asked of each
    row, it costs the count a look-up of the row's application."""
    visible = _visible(Application, user)
    if not visible.query.where:  # `restrict` left no condition: every application
        return qs
    return qs.filter(application__in=visible.values("pk"))


@dataclass
class HallReport:
    """The figures of an area, of each area below it and of each item, in one period."""

    area: Area
    period: Period
    total: HallFigures
    branches: dict[str, HallFigures]  # child area path → figures
    items: dict[int, HallFigures]  # item id → figures
    item_names: dict[int, str]
    item_promises: dict[int, int]


def hall_report(
    *, user, area: Area, period: Period | None = None, today: dt.date | None = None
) -> HallReport:
    """Everything the dashboard shows for `area`, as `user` may see it."""
    today = today or timezone.localdate()
    period = period or Period.year_to_date(today)
    children = list(_visible(Area, user).filter(parent=area).values_list("path", flat=True))
    length = len(children[0]) if children else len(area.path)
    counter = _Counter(user, area, period, today, length)
    return HallReport(
        area=area,
        period=period,
        total=counter.total,
        branches={path: counter.branch(path) for path in children},
        items=counter.items,
        item_names=counter.item_names,
        item_promises=counter.item_promises,
    )


class _Counter:
    """Fills the figures of the area, its branches and its items from a few GROUP BY queries."""

    def __init__(self, user, area: Area, period: Period, today: dt.date, length: int):
        self.total = HallFigures()
        self.branches: dict[str, HallFigures] = defaultdict(HallFigures)
        self.items: dict[int, HallFigures] = defaultdict(HallFigures)
        self.item_names: dict[int, str] = {}
        self.item_promises: dict[int, int] = {}
        apps = _visible(Application, user).filter(starts_with("area__path", area.path))
        self.length = length
        self._applications(apps.filter(period.condition("created_at")))
        self._overdue(apps, today)
        self._overdue_steps(user, area, today)
        self._ratings(user, area, period)
        self._outreach(user, area, period)

    def branch(self, path: str) -> HallFigures:
        return self.branches.get(path) or HallFigures()

    def _targets(self, branch: str | None, item_id: int | None) -> list[HallFigures]:
        targets = [self.total]
        if branch is not None:
            targets.append(self.branches[branch])
        if item_id is not None:
            targets.append(self.items[item_id])
        return targets

    def _grouped(self, qs: QuerySet, *fields: str, **aggregates):
        return (
            qs.annotate(branch=Substr("area__path", 1, self.length))
            .values("branch", *fields)
            .annotate(n=Count("pk"), **aggregates)
            .order_by()
        )

    def _applications(self, apps: QuerySet) -> None:
        # By the item's version, its name and time limit looked up after: joining the catalogue
        # to every application of the period, and grouping by its text, costs the count more.
        rows = self._grouped(
            apps,
            "item_id",
            "item_version_id",
            "state",
            "working_days_used",
            "promised_days",
            one_trip=Count("pk", filter=rules.WITHIN_TRIP_PROMISE),
            trips=Sum("trip_count"),
        )
        versions: dict[int, int] = {}  # item id → one of its versions in the period
        for row in rows:
            item_id, state, n = row["item_id"], row["state"], row["n"]
            versions[item_id] = row["item_version_id"]
            for figures in self._targets(row["branch"], item_id):
                figures.applications += n
                figures.by_state[ApplicationState(state)] += n
                figures.trips += row["trips"]
                if state == ApplicationState.COMPLETED:
                    self._completed(figures, row)
        self.item_names.update(
            ServiceItem.objects.filter(pk__in=versions).values_list("pk", "name")
        )
        limits = dict(
            ServiceItemVersion.objects.filter(pk__in=versions.values()).values_list(
                "pk", "time_limit_days"
            )
        )
        self.item_promises.update((item, limits[version]) for item, version in versions.items())

    @staticmethod
    def _completed(figures: HallFigures, row: dict) -> None:
        n, used, promised = row["n"], row["working_days_used"], row["promised_days"]
        figures.completed += n
        figures.one_trip += row["one_trip"]
        # Days against the promise are a figure of items with a time limit: one settled at the
        # counter (a promise of 0) would pull every median to 0.
        if used is not None and promised:
            figures.days_used[used] += n
            figures.days_promised[promised] += n
            figures.days_early[promised - used] += n

    def _overdue(self, apps: QuerySet, today: dt.date) -> None:
        late = apps.filter(rules.overdue_applications(today))
        for row in self._grouped(late, "item_id", "item__name"):
            self.item_names.setdefault(row["item_id"], row["item__name"])
            for figures in self._targets(row["branch"], row["item_id"]):
                figures.overdue_now += row["n"]

    def _overdue_steps(self, user, area: Area, today: dt.date) -> None:
        steps = _of_visible_applications(ApplicationStep.objects.all(), user).filter(
            rules.overdue_steps(today), starts_with("application__area__path", area.path)
        )
        rows = (
            steps.annotate(branch=Substr("application__area__path", 1, self.length))
            .values("branch", "application__item_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            for figures in self._targets(row["branch"], row["application__item_id"]):
                figures.overdue_steps_now += row["n"]

    def _ratings(self, user, area: Area, period: Period) -> None:
        ratings = _of_visible_applications(Rating.objects.all(), user).filter(
            period.condition("rated_at"), starts_with("application__area__path", area.path)
        )
        rows = (
            ratings.annotate(branch=Substr("application__area__path", 1, self.length))
            .values("branch", "application__item_id", "score")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            for figures in self._targets(row["branch"], row["application__item_id"]):
                figures.ratings += row["n"]
                figures.score_total += row["score"] * row["n"]
                if row["score"] >= SATISFIED_FROM:
                    figures.satisfied += row["n"]

    def _outreach(self, user, area: Area, period: Period) -> None:
        tasks = _visible(OutreachTask, user).filter(
            starts_with("area__path", area.path), period.condition("found_at")
        )
        rows = self._grouped(
            tasks, "item_id", "state", contacted=Count("pk", filter=Q(contacted_at__isnull=False))
        )
        for row in rows:
            for figures in self._targets(row["branch"], row["item_id"]):
                figures.outreach[OutreachState(row["state"])] += row["n"]
                figures.outreach_contacted += row["contacted"]


def catalogue_counts() -> dict[str, int]:
    """The catalogue 服务清单 as offered now — its categories that offer an item, and the
    items offered — counted from its records. The catalogue is the whole deployment's, so
    these are the same for every area."""
    offered = ServiceItem.objects.filter(rules.OFFERED)
    categories = ServiceCategory.objects.filter(items__in=offered).distinct()
    return {"catalogue_categories": categories.count(), "catalogue_items": offered.count()}


def figure_rows(area: Area, today: dt.date) -> list[tuple[str, str, object]]:
    """The hall's catalogue, and its figures of `area` this year, for `linli figures` (a
    trusted caller)."""
    from django.utils.translation import pgettext

    f = hall_report(user=None, area=area, today=today).total
    values = f.as_dict() | catalogue_counts()
    labels = (
        ("catalogue_categories", pgettext("figure", "Catalogue: categories")),
        ("catalogue_items", pgettext("figure", "Catalogue: items offered")),
        ("applications", pgettext("figure", "Applications this year")),
        ("completed", pgettext("figure", "Completed")),
        ("median_working_days_used", pgettext("figure", "Median working days used")),
        ("median_working_days_promised", pgettext("figure", "Median working days promised")),
        ("median_working_days_early", pgettext("figure", "Median working days early")),
        ("one_trip_share", pgettext("figure", "Share finished in at most one trip")),
        ("overdue_now", pgettext("figure", "Applications overdue now")),
        ("overdue_steps_now", pgettext("figure", "Steps overdue now")),
        ("outreach_found", pgettext("figure", "Outreach: households found")),
        ("outreach_contacted", pgettext("figure", "Outreach: contacted")),
        ("outreach_applied", pgettext("figure", "Outreach: applied")),
        ("ratings", pgettext("figure", "Ratings")),
        ("average_score", pgettext("figure", "Average rating")),
        ("satisfied_share", pgettext("figure", "Share satisfied (4–5)")),
    )
    return [(name, label, values[name]) for name, label in labels]
