"""The residents-decide figures 由民做主统计, counted from the records when asked: the matters of
an area raised in a period — by category and by the stage they stand at now; the days they spent
at each of the five steps; the votes closed in the period, their results and turnout; the tasks
finished on time and those overdue now; the residents' ratings 由民评定; and the party members'
commitments on the board with their fulfilment records.

The dashboard, its workbook and `linli figures` read them from here. Every count starts from the
matters the user may see (`Matter.objects.restrict(user, "view")`, the grant's decide.view; `user=None` is the
trusted command line). Per-area figures group by the first characters of `Area.path`, as the
other modules' figures do, so the drill-down into the areas below costs the same few queries
however many there are.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import pgettext, pgettext_lazy

from linli.core.actors import Actor
from linli.core.models import Area
from linli.core.periods import Period, median, period_of
from linli.core.scoping import under_area

from .choices import STEPS, Rating, Stage, TaskState, VoteResult, VoteState
from .models import (
    Commitment,
    CommitmentRecord,
    Matter,
    MatterTask,
    ResidentRating,
    StageSpell,
    Vote,
)

VIEW = "decide.view"  # the permission to look at an area's figures
CONTENT = (Rating.SATISFIED, Rating.BASICALLY)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class DecideFigures:
    """The figures of one area (or one branch below it) in a period."""

    raised: int = 0
    by_category: Counter = field(default_factory=Counter)  # category id → matters raised
    by_stage: Counter = field(default_factory=Counter)  # stage now → matters raised
    supports: int = 0
    # stage → {whole days spent: how many spells}, for the spells that ended in the period
    days_at: dict[str, Counter] = field(default_factory=lambda: {s: Counter() for s in STEPS})
    votes: int = 0
    by_result: Counter = field(default_factory=Counter)
    roll: int = 0  # eligible voters of the votes closed
    ballots: int = 0
    tasks_done: int = 0
    tasks_on_time: int = 0
    tasks_overdue_now: int = 0
    ratings: Counter = field(default_factory=Counter)
    commitments: int = 0
    commitment_records: int = 0

    @property
    def turnout(self) -> float | None:
        return _share(self.ballots, self.roll)

    @property
    def on_time_share(self) -> float | None:
        return _share(self.tasks_on_time, self.tasks_done)

    @property
    def rated(self) -> int:
        return sum(self.ratings.values())

    @property
    def content_share(self) -> float | None:
        """满意 and 基本满意 together, of the ratings given."""
        return _share(sum(self.ratings[r] for r in CONTENT), self.rated)

    def median_days(self, stage: str) -> float | None:
        return median(self.days_at[stage])

    @property
    def carried_out(self) -> int:
        return self.by_stage[Stage.DONE]

    def as_dict(self) -> dict:
        return {
            "raised": self.raised,
            "by_stage": {str(s): self.by_stage[s] for s in Stage},
            "supports": self.supports,
            "median_days": {str(s): self.median_days(s) for s in STEPS},
            "votes": self.votes,
            "by_result": {str(r): self.by_result[r] for r in VoteResult},
            "turnout": self.turnout,
            "tasks_done": self.tasks_done,
            "tasks_on_time_share": self.on_time_share,
            "tasks_overdue_now": self.tasks_overdue_now,
            "ratings": {str(r): self.ratings[r] for r in Rating},
            "content_share": self.content_share,
            "commitments": self.commitments,
            "commitment_records": self.commitment_records,
        }


@dataclass
class DecideReport:
    """The figures of an area, of each area below it and of each category, in one period."""

    area: Area
    period: Period
    today: dt.date
    total: DecideFigures
    branches: dict[str, DecideFigures]  # child area path → figures
    category_names: dict[int, str]


def _matters(user: Actor | None) -> QuerySet[Matter]:
    return Matter.objects.all() if user is None else Matter.objects.restrict(user, "view")


def decide_report(
    *, user: Actor | None, area: Area, period: Period | None = None, today: dt.date | None = None
) -> DecideReport:
    """Everything the dashboard shows for `area`, as `user` may see it (the caller has checked
    that the user may look at the area's figures)."""
    today = today or timezone.localdate()
    period = period or period_of("12m", today)
    areas = Area.objects.all() if user is None else Area.objects.restrict(user, "view")
    children = list(areas.filter(parent=area).order_by("path").values_list("path", flat=True))
    counter = _Counter(user, area, period, today, len(children[0]) if children else 0)
    return DecideReport(
        area=area,
        period=period,
        today=today,
        total=counter.total,
        branches={path: counter.branches.get(path) or DecideFigures() for path in children},
        category_names=counter.names,
    )


class _Counter:
    """Fills the figures of the area and its branches from a few GROUP BY queries."""

    def __init__(self, user, area: Area, period: Period, today: dt.date, length: int):
        self.total = DecideFigures()
        self.branches: dict[str, DecideFigures] = {}
        self.names: dict[int, str] = {}
        self.length = length
        matters = under_area(_matters(user), "area__path", area)
        cohort = matters.filter(period.condition("created_at"))
        self._raised(cohort)
        self._spells(matters, period)
        self._votes(matters, period)
        self._tasks(matters, period, today)
        self._ratings(matters, period)
        self._commitments(user, area, period)

    def _targets(self, path: str) -> list[DecideFigures]:
        if not self.length:
            return [self.total]
        branch = path[: self.length]
        return [self.total, self.branches.setdefault(branch, DecideFigures())]

    def _raised(self, cohort: QuerySet) -> None:
        rows = cohort.values("area__path", "category_id", "category__name", "stage").annotate(
            n=Count("pk", distinct=True), supports=Count("supports")
        )
        for row in rows.order_by():
            self.names[row["category_id"]] = row["category__name"]
            for figures in self._targets(row["area__path"]):
                figures.raised += row["n"]
                figures.by_category[row["category_id"]] += row["n"]
                figures.by_stage[row["stage"]] += row["n"]
                figures.supports += row["supports"]

    def _spells(self, matters: QuerySet, period: Period) -> None:
        spells = StageSpell.objects.filter(matter__in=matters.values("pk")).filter(
            period.condition("left_at")
        )
        for path, stage, entered, left in spells.values_list(
            "matter__area__path", "stage", "entered_at", "left_at"
        ).iterator():
            days = (timezone.localtime(left).date() - timezone.localtime(entered).date()).days
            for figures in self._targets(path):
                if stage in figures.days_at:
                    figures.days_at[stage][days] += 1

    def _votes(self, matters: QuerySet, period: Period) -> None:
        votes = (
            Vote.objects.filter(matter__in=matters.values("pk"), state=VoteState.CLOSED)
            .filter(period.condition("closed_at"))
            .values("matter__area__path", "result", "roll_size")
            .annotate(n=Count("pk", distinct=True), ballots=Count("ballots"))
        )
        # A row stands for every vote of a place with the same result and roll size.
        for row in votes.order_by():
            for figures in self._targets(row["matter__area__path"]):
                figures.votes += row["n"]
                figures.by_result[row["result"]] += row["n"]
                figures.roll += row["roll_size"] * row["n"]
                figures.ballots += row["ballots"]

    def _tasks(self, matters: QuerySet, period: Period, today: dt.date) -> None:
        tasks = MatterTask.objects.filter(matter__in=matters.values("pk"))
        done = tasks.filter(state=TaskState.DONE).filter(period.condition("done_at"))
        for path, due, done_at in done.values_list("matter__area__path", "due_on", "done_at"):
            on_time = timezone.localtime(done_at).date() <= due
            for figures in self._targets(path):
                figures.tasks_done += 1
                figures.tasks_on_time += on_time
        overdue = tasks.filter(state=TaskState.OPEN, due_on__lt=today)
        for row in overdue.values("matter__area__path").annotate(n=Count("pk")).order_by():
            for figures in self._targets(row["matter__area__path"]):
                figures.tasks_overdue_now += row["n"]

    def _ratings(self, matters: QuerySet, period: Period) -> None:
        ratings = (
            ResidentRating.objects.filter(matter__in=matters.values("pk"))
            .filter(period.condition("rated_at"))
            .values("matter__area__path", "rating")
            .annotate(n=Count("pk"))
        )
        for row in ratings.order_by():
            for figures in self._targets(row["matter__area__path"]):
                figures.ratings[row["rating"]] += row["n"]

    def _commitments(self, user, area: Area, period: Period) -> None:
        posted = (
            Commitment.objects.all() if user is None else Commitment.objects.restrict(user, "view")
        )
        posted = under_area(posted, "area__path", area).filter(active=True)
        for row in posted.values("area__path").annotate(n=Count("pk")).order_by():
            for figures in self._targets(row["area__path"]):
                figures.commitments += row["n"]
        records = CommitmentRecord.objects.filter(commitment__in=posted.values("pk")).filter(
            Q(done_on__gte=period.start) & Q(done_on__lte=period.end)
        )
        rows = records.values("commitment__area__path").annotate(n=Count("pk")).order_by()
        for row in rows:
            for figures in self._targets(row["commitment__area__path"]):
                figures.commitment_records += row["n"]


# --- `linli figures` -----------------------------------------------------------------------------


def _sub(label: str) -> str:
    return f"  {label}"


def figure_labels(report: DecideReport) -> list[tuple[str, str, object]]:
    """(name, label, value) rows of the report's total, in the order people read them."""
    f = report.total
    rows: list[tuple[str, str, object]] = [
        ("matters_raised", pgettext("figure", "Matters raised"), f.raised),
        ("supports", _sub(pgettext("figure", "supports given to them")), f.supports),
    ]
    rows += [(f"at_{s.value}", _sub(str(s.label)), f.by_stage[s]) for s in Stage]
    rows += [
        (
            f"median_days_{s.value}",
            pgettext("figure", "Median days at: %(stage)s") % {"stage": s.label},
            f.median_days(s),
        )
        for s in STEPS
    ]
    rows += [
        ("votes_closed", pgettext("figure", "Votes closed"), f.votes),
        *[(f"votes_{r.value}", _sub(str(r.label)), f.by_result[r]) for r in VoteResult],
        ("turnout", pgettext("figure", "Turnout of the votes closed"), f.turnout),
        ("tasks_done", pgettext("figure", "Tasks done"), f.tasks_done),
        ("tasks_on_time_share", _sub(pgettext("figure", "share done on time")), f.on_time_share),
        ("tasks_overdue_now", pgettext("figure", "Tasks overdue now"), f.tasks_overdue_now),
        ("ratings", pgettext("figure", "Residents' ratings"), f.rated),
        *[(f"rating_{r.value}", _sub(str(r.label)), f.ratings[r]) for r in Rating],
        (
            "content_share",
            _sub(pgettext("figure", "share satisfied or basically")),
            f.content_share,
        ),
        (
            "commitments",
            pgettext("figure", "Party members' commitments on the board"),
            f.commitments,
        ),
        (
            "commitment_records",
            _sub(pgettext("figure", "fulfilment records in the period")),
            f.commitment_records,
        ),
    ]
    return rows


SECTION_TITLE = pgettext_lazy("figure", "Residents decide in the past 12 months")


def figure_rows(area: Area, today: dt.date) -> list[tuple[str, str, object]]:
    """The residents-decide section of `linli figures`: the past twelve months of `area`."""
    return figure_labels(
        decide_report(user=None, area=area, period=period_of("12m", today), today=today)
    )
