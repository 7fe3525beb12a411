"""The service hall's year so far in the demo district 办件历史: applications taken since
New Year across the district's 26 halls, carried through their routes on the working-day
calendar, with trips, returns, ratings — and the source's own story: 张炳利's 大病救助 carried
through the street office and two district departments in 10 working days against a promise
of 15, across the National Day holiday. 刘志辉's student-loan subsidy of the year before, which
took three trips, is here too; this year's is left for the outreach task to find.

History is written in bulk, as a register import is: the records are what the services would
have left (states, step times, trips, a timeline line when taken and one when finished), with
one audit record for the whole batch. Deterministic from the seed.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from linli.accounts.models import Grant
from linli.core import audit
from linli.core.bulk import db_value
from linli.core.choices import AuditAction
from linli.core.models import Area, TimelineEvent
from linli.core.workdays import WorkCalendar
from linli.hall import events as hall_events
from linli.hall import rules
from linli.hall.choices import (
    ApplicationChannel,
    ApplicationState,
    HandlingMode,
    OfficeKind,
    OutreachState,
    RatingSource,
    StepState,
    TripReason,
)
from linli.hall.models import (
    Application,
    ApplicationMaterial,
    ApplicationStep,
    OutreachTask,
    Rating,
    ServiceItem,
    Trip,
)
from linli.registry.models import Household, Organisation, Resident

from . import data

APPLICATIONS_PER_HOUSEHOLD_YEAR = 0.09  # about one application a year for one household in 11
MODE_WEIGHT = {HandlingMode.ON_THE_SPOT: 3.0, HandlingMode.GUIDED: 1.5, HandlingMode.PROXY: 1.0}
SCORES = ((5, 0.70), (4, 0.22), (3, 0.06), (2, 0.015), (1, 0.005))
EXTRA_TRIP_REASONS = (
    "申请人首次未带户口簿原件",
    "需本人到场签字确认",
    "银行账户信息有误，重新提供",
    "证明材料过期，重新开具",
)
RATED_ON_A_CALL = hall_events.RATED[RatingSource.RETURN_CALL]
RETURN_NOTES = ("户口簿复印件", "收入证明", "近期二寸照片", "银行账户（存折）复印件")


@dataclass
class ItemPlan:
    """What the history needs of an item: its current version's route and materials."""

    item: ServiceItem
    route: list  # RouteStep rows
    materials: list  # ItemMaterial rows
    weight: float


@dataclass
class Offices:
    """Each household area's hall and street office, and the demo's handlers by office."""

    hall: dict[int, Organisation]  # area id → the community's service hall
    street: dict[int, Organisation]  # area id → the street office
    handler: dict[int, object] = field(default_factory=dict)  # organisation id → user


@dataclass
class Batch:
    applications: list[Application] = field(default_factory=list)
    steps: list[list[ApplicationStep]] = field(default_factory=list)
    materials: list[list[ApplicationMaterial]] = field(default_factory=list)
    trips: list[list[Trip]] = field(default_factory=list)
    ratings: list[Rating | None] = field(default_factory=list)
    events: list[list[tuple[dt.datetime, str, str, dict]]] = field(default_factory=list)


def _offices() -> Offices:
    areas = {a.pk: a for a in Area.objects.only("pk", "parent_id", "kind")}
    halls = {o.area_id: o for o in Organisation.objects.filter(kind="service_hall")}
    streets = {o.area_id: o for o in Organisation.objects.filter(kind="street_office")}

    def up(area_id: int, table: dict) -> Organisation | None:
        while area_id is not None:
            if area_id in table:
                return table[area_id]
            area_id = areas[area_id].parent_id
        return None

    return Offices(
        hall={pk: up(pk, halls) for pk in areas},
        street={pk: up(pk, streets) for pk in areas},
    )


def _serials_in_use() -> Counter:
    """The last application number used on each day, so new numbers follow on."""
    serials: Counter = Counter()
    for number in Application.objects.values_list("number", flat=True):
        day = dt.date(int(number[2:6]), int(number[6:8]), int(number[8:10]))
        serials[day] = max(serials[day], int(number[10:]))
    return serials


def _items() -> list[ItemPlan]:
    plans = []
    for item in ServiceItem.objects.filter(rules.OFFERED).select_related("current"):
        version = item.current
        plans.append(
            ItemPlan(
                item=item,
                route=list(version.route.select_related("department").order_by("order")),
                materials=list(version.materials.order_by("order")),
                weight=MODE_WEIGHT[version.mode],
            )
        )
    return plans


class History:
    """Makes the year's applications one by one into a batch, then writes the batch."""

    def __init__(self, *, seed: int, today: dt.date, users: dict):
        self.rng = random.Random(seed * 7 + 4)
        self.today = today
        self.calendar = WorkCalendar.load(dt.date(today.year - 1, 1, 1), today + dt.timedelta(60))
        self.offices = _offices()
        self.items = _items()
        self.by_name = {p.item.name: p for p in self.items}
        self.users = users
        self.serials: Counter = _serials_in_use()
        self.batch = Batch()
        self.zone = timezone.get_current_timezone()
        self._handlers()

    def _handlers(self) -> None:
        """The demo logins handle the steps at their own offices."""
        for role, user in self.users.items():
            for grant in user.active_grants:
                if grant.organisation_id:
                    self.offices.handler[grant.organisation_id] = user
                elif role in ("community_worker", "street_cadre"):
                    kind = "service_hall" if role == "community_worker" else "street_office"
                    org = Organisation.objects.filter(kind=kind, area=grant.area).first()
                    if org is not None:
                        self.offices.handler[org.pk] = user
        # Every community's hall staff handle the steps at their own hall (文岭社区's stay
        # with the demo login).
        halls = {o.area_id: o.pk for o in Organisation.objects.filter(kind="service_hall")}
        staff = Grant.objects.filter(
            role="community_worker", area_id__in=list(halls), organisation__isnull=True
        ).select_related("user")
        for grant in staff.order_by("user_id"):
            self.offices.handler.setdefault(halls[grant.area_id], grant.user)

    # --- time ---------------------------------------------------------------------------

    def at(self, day: dt.date, hour: float) -> dt.datetime:
        minutes = int(hour * 60)
        return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=self.zone)

    def working_days(self, start: dt.date, end: dt.date) -> list[dt.date]:
        days, day = [], start
        while day <= end:
            if self.calendar.is_working_day(day):
                days.append(day)
            day += dt.timedelta(days=1)
        return days

    def number(self, day: dt.date) -> str:
        self.serials[day] += 1
        return f"BJ{day:%Y%m%d}{self.serials[day]:06d}"

    # --- one application ----------------------------------------------------------------

    def application(
        self,
        plan: ItemPlan,
        household: tuple,
        day: dt.date,
        *,
        channel: str = ApplicationChannel.COUNTER,
        step_days: list[int] | None = None,
        trips: int = 1,
        score: int | None = None,
        comment: str = "",
    ) -> Application:
        """One application made on `day`, carried as far as the calendar allows by today."""
        household_id, area_id, head_id = household
        version = plan.item.current
        taken = self.at(day, self.rng.uniform(8.5, 16.5))
        app = Application(
            number=self.number(day),
            item=plan.item,
            item_version=version,
            resident_id=head_id,
            household_id=household_id,
            area_id=area_id,
            hall=self.offices.hall.get(area_id),
            channel=channel,
            created_at=taken,
            submitted_at=taken,
            received_on=day,
            promised_days=version.time_limit_days,
        )
        deadline = self.calendar.add(day, version.time_limit_days)
        app.due_on, app.due_assumed = deadline.date, deadline.assumed
        events = [(taken, hall_events.TAKEN[channel], {"item": plan.item.name})]
        steps = self._route(app, plan, day, taken, step_days)
        self._finish(app, plan, steps, day, events)
        self.batch.applications.append(app)
        self.batch.steps.append(steps)
        self.batch.materials.append(self._materials(plan, taken))
        self.batch.trips.append(self._trips(app, day, trips, channel))
        self.batch.ratings.append(self._rating(app, score, comment))
        self.batch.events.append(events)
        return app

    def _route(self, app, plan: ItemPlan, day: dt.date, taken, step_days) -> list:
        steps, start, start_at, late = [], day, taken, False
        for order, route_step in enumerate(plan.route, start=1):
            used = (
                step_days[order - 1] if step_days else self._step_days(route_step.time_limit_days)
            )
            step = ApplicationStep(
                order=order,
                name=route_step.name,
                office_kind=route_step.office_kind,
                organisation=self._office(route_step, app.area_id),
                time_limit_days=route_step.time_limit_days,
            )
            if late:  # an earlier step is still open: this one has not been reached
                step.state = StepState.WAITING
                steps.append(step)
                continue
            due = self.calendar.add(start, route_step.time_limit_days)
            step.received_at, step.due_on, step.due_assumed = start_at, due.date, due.assumed
            finish = self.calendar.add(start, used).date
            if finish >= self.today:
                step.state, late = StepState.ACTIVE, True
            else:
                step.state = StepState.DONE
                step.finished_at = self.at(finish, self.rng.uniform(9, 17.5))
                step.handler = self.offices.handler.get(step.organisation.pk)
                step.result_note = "审核通过"
                start, start_at = finish, step.finished_at
            steps.append(step)
        return steps

    def _step_days(self, limit: int) -> int:
        if self.rng.random() < 0.04:  # a step that ran late
            return limit + self.rng.randint(1, 3)
        return max(1, round(limit * self.rng.uniform(0.35, 1.0)))

    def _office(self, route_step, area_id: int) -> Organisation:
        if route_step.office_kind == OfficeKind.DEPARTMENT:
            return route_step.department
        table = (
            self.offices.hall if route_step.office_kind == OfficeKind.HALL else self.offices.street
        )
        return table[area_id]

    def _finish(self, app, plan: ItemPlan, steps: list, day: dt.date, events: list) -> None:
        mode = plan.item.current.mode
        if steps and any(s.state != StepState.DONE for s in steps):
            app.state = ApplicationState.IN_PROGRESS
            app.current_step = next(s.order for s in steps if s.state == StepState.ACTIVE)
            return
        if steps:
            finished = steps[-1].finished_at
        elif mode == HandlingMode.GUIDED:
            finished = self.at(self.calendar.add(day, self.rng.choice((0, 0, 1, 2))).date, 16.5)
            app.outcome = "已指导申请人准备材料并在线提交"
        else:
            finished = app.created_at + dt.timedelta(minutes=self.rng.randint(5, 40))
            app.outcome = "当场办结"
        if finished.date() >= self.today:  # not done yet: still with the hall
            app.state = ApplicationState.SUBMITTED
            return
        app.state, app.finished_at = ApplicationState.COMPLETED, finished
        app.working_days_used = self.calendar.count(day, finished.date())
        events.append(
            (
                finished,
                hall_events.COMPLETED,
                {"days": app.working_days_used, "promised": app.promised_days},
            )
        )

    def _materials(self, plan: ItemPlan, taken) -> list:
        return [
            ApplicationMaterial(
                order=m.order, name=m.name, required=m.required, received=True, received_at=taken
            )
            for m in plan.materials
            if m.required or self.rng.random() < 0.3
        ]

    def _trips(self, app, day: dt.date, trips: int, channel: str) -> list:
        made = []
        for n in range(trips):
            reason = (
                TripReason.SUBMIT
                if n == 0 and channel == ApplicationChannel.COUNTER
                else (TripReason.MISSING_MATERIAL if n == 1 else TripReason.SIGN)
            )
            on = day if n == 0 else self.calendar.add(day, n).date
            made.append(Trip(on=min(on, self.today), reason=reason))
        app.trip_count = len(made)
        if rules.over_trip_promise(len(made)):
            app.extra_trip_reason = self.rng.choice(EXTRA_TRIP_REASONS)
        return made

    def _rating(self, app, score: int | None, comment: str) -> Rating | None:
        if app.state != ApplicationState.COMPLETED:
            return None
        if score is None:
            if self.rng.random() > 0.55:
                return None
            score = self._score()
        rated = app.finished_at + dt.timedelta(days=self.rng.randint(1, 5))
        return Rating(
            score=score,
            comment=comment,
            source=RatingSource.RETURN_CALL,
            rated_at=min(rated, timezone.now()),
        )

    def _score(self) -> int:
        draw, total = self.rng.random(), 0.0
        for score, share in SCORES:
            total += share
            if draw < total:
                return score
        return 5

    # --- the year -----------------------------------------------------------------------

    def year(self, households: list[tuple]) -> None:
        start = dt.date(self.today.year, 1, 1)
        days = self.working_days(start, self.today - dt.timedelta(days=1))
        share = (self.today - start).days / 365
        count = round(len(households) * APPLICATIONS_PER_HOUSEHOLD_YEAR * share)
        weights = [p.weight for p in self.items]
        for _ in range(count):
            plan = self.rng.choices(self.items, weights)[0]
            channel = self._channel(plan)
            self.application(
                plan,
                self.rng.choice(households),
                self.rng.choice(days),
                channel=channel,
                trips=self._trip_count(channel),
            )

    def _channel(self, plan: ItemPlan) -> str:
        draw = self.rng.random()
        if plan.item.current.online and draw < 0.15:
            return ApplicationChannel.ONLINE
        if draw > 0.93:
            return ApplicationChannel.VISIT
        return ApplicationChannel.COUNTER

    def _trip_count(self, channel: str) -> int:
        base = 1 if channel == ApplicationChannel.COUNTER else 0
        draw = self.rng.random()
        return base + (2 if draw < 0.015 else 1 if draw < 0.08 else 0)

    # --- the source's stories ----------------------------------------------------------

    def zhang_bingli(self) -> Application | None:
        """张炳利's 大病救助: received the last working day of September, before the National
        Day holiday; street, then the health and civil-affairs departments; 10 working days
        used of the 15 promised."""
        plan = self.by_name.get("大病救助")
        year = (
            self.today.year
            if self.today >= dt.date(self.today.year, 10, 31)
            else (self.today.year - 1)
        )
        day = max(self.working_days(dt.date(year, 9, 20), dt.date(year, 9, 30)))
        head = Resident.objects.filter(name=data.ZHANG_BINGLI.name).select_related("household")
        person = head.first()
        if plan is None or person is None:
            return None
        used = [1, 2, 3, 4][: len(plan.route)]
        household = (person.household_id, person.household.area_id, person.pk)
        return self.application(
            plan, household, day, step_days=used, trips=1, score=5, comment="社区代办，很省心"
        )

    def liu_zhihui_last_year(self) -> Application | None:
        """The year before, 刘志辉's student-loan subsidy took three trips (the source)."""
        plan = self.by_name.get("助学贷款补助申请")
        person = Resident.objects.filter(name=data.LIU_ZHIHUI.name).select_related("household")
        person = person.first()
        if plan is None or person is None:
            return None
        day = max(
            self.working_days(
                dt.date(self.today.year - 1, 9, 1), dt.date(self.today.year - 1, 9, 8)
            )
        )
        household = (person.household_id, person.household.area_id, person.pk)
        return self.application(plan, household, day, trips=3, score=3, comment="跑了三趟")

    # --- writing ------------------------------------------------------------------------

    def write(self) -> dict[str, int]:
        b = self.batch
        Application.objects.bulk_create(b.applications, batch_size=1000)
        for app, rows in zip(b.applications, b.steps, strict=True):
            for row in rows:
                row.application = app
        for app, rows in zip(b.applications, b.materials, strict=True):
            for row in rows:
                row.application = app
        for app, rows in zip(b.applications, b.trips, strict=True):
            for row in rows:
                row.application = app
        steps = [s for rows in b.steps for s in rows]
        ApplicationStep.objects.bulk_create(steps, batch_size=1000)
        ApplicationMaterial.objects.bulk_create(
            [m for rows in b.materials for m in rows], batch_size=1000
        )
        Trip.objects.bulk_create([t for rows in b.trips for t in rows], batch_size=1000)
        ratings = []
        for app, rating in zip(b.applications, b.ratings, strict=True):
            if rating is not None:
                rating.application = app
                ratings.append(rating)
        Rating.objects.bulk_create(ratings, batch_size=1000)
        events = self._timeline(ratings)
        counts = {
            "applications": len(b.applications),
            "steps": len(steps),
            "ratings": len(ratings),
            "timeline": events,
        }
        audit.record(
            action=AuditAction.IMPORT,
            object_type=audit.object_type_of(Application),
            object_repr="demo: the service hall's year",
            changes=counts,
        )
        return counts

    def _timeline(self, ratings: list[Rating]) -> int:
        content_type = ContentType.objects.get_for_model(Application)
        rows = [
            TimelineEvent(
                content_type=content_type,
                object_id=app.pk,
                at=at,
                actor=None,
                verb=event.verb,
                summary=event.message,
                params=params,
            )
            for app, events in zip(self.batch.applications, self.batch.events, strict=True)
            for at, event, params in events
        ]
        rows += [
            TimelineEvent(
                content_type=content_type,
                object_id=r.application.pk,
                at=r.rated_at,
                verb=RATED_ON_A_CALL.verb,
                summary=RATED_ON_A_CALL.message,
                params={"score": r.score},
            )
            for r in ratings
        ]
        TimelineEvent.objects.bulk_create(rows, batch_size=1000)
        return len(rows)


def build_hall_history(*, seed: int, today: dt.date, users: dict) -> dict[str, int]:
    """Write the hall's year so far (see the module's docstring); returns what was written."""
    history = History(seed=seed, today=today, users=users)
    if not history.items:
        return {"applications": 0}
    # The named residents' households get only their own stories: a random application for
    # the student-loan subsidy would, rightly, stop the outreach task for 刘志辉 appearing.
    named = Resident.objects.filter(name__in=[p.name for p in data.NAMED_RESIDENTS])
    households = list(
        Household.objects.filter(head__isnull=False)
        .exclude(pk__in=named.values("household_id"))
        .order_by("pk")
        .values_list("pk", "area_id", "head_id")
    )
    history.liu_zhihui_last_year()
    history.year(households)
    history.zhang_bingli()
    return history.write()


OUTREACH_WORKED = 0.6  # of the tasks the scans found, the share already worked on
OUTREACH_OUTCOMES = (  # of the tasks worked on: what came of them
    (OutreachState.APPLIED, 0.40),
    (OutreachState.DECLINED, 0.15),
    (OutreachState.NOT_ELIGIBLE, 0.10),
    (OutreachState.CONTACTED, 0.35),  # contacted, thinking it over
)


def seed_outreach(*, seed: int, today: dt.date, users: dict | None = None) -> dict[str, int]:
    """Run the outreach scan over the district, then give most of its tasks the history a
    year of daily scans would have left: found on some day this year, contacted, and applied
    for (with the application), declined or found not eligible. 刘志辉's tasks stay open: his
    community worker is to contact him."""
    from linli.hall.outreach.services import scan

    result = scan(today=today)
    history = History(seed=seed + 1, today=today, users=users or {})
    rng = history.rng
    named = set(
        Resident.objects.filter(name__in=[p.name for p in data.NAMED_RESIDENTS]).values_list(
            "household_id", flat=True
        )
    )
    start = dt.date(today.year, 1, 1)
    days = history.working_days(start, today - dt.timedelta(days=1))
    plans = {p.item.pk: p for p in history.items}
    worked: list[list] = []  # [task id, found, contacted, closed, state, application]
    tasks = (
        OutreachTask.objects.exclude(household_id__in=named)
        .order_by("pk")
        .values_list("pk", "item_id", "household_id", "household__area_id", "household__head_id")
    )
    for pk, item_id, household_id, area_id, head_id in tasks:
        if rng.random() > OUTREACH_WORKED or not days:
            continue
        found = rng.choice(days)
        contacted = history.calendar.add(found, rng.randint(1, 8)).date
        if contacted >= today:
            continue
        contacted_at = history.at(contacted, rng.uniform(9, 17))
        state = _pick(rng, OUTREACH_OUTCOMES)
        application = None
        if state == OutreachState.APPLIED:
            household = (household_id, area_id, head_id)
            application = history.application(plans[item_id], household, contacted)
        closed = None if state == OutreachState.CONTACTED else contacted_at
        worked.append([pk, history.at(found, 7.0), contacted_at, closed, state, application])
    counts = history.write() if history.batch.applications else {"applications": 0}
    _update_tasks(worked)
    return {"found": result.created, "worked": len(worked), **counts}


def _update_tasks(rows: list[list]) -> None:
    """One UPDATE statement run for every worked task (executemany): Django's bulk_update
    builds a CASE per column and row, which takes most of a minute for a district."""
    table = connection.ops.quote_name(OutreachTask._meta.db_table)
    sql = (
        f"UPDATE {table} SET found_at = %s, contacted_at = %s, closed_at = %s, "  # noqa: S608 - our own table
        "state = %s, application_id = %s WHERE id = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                [db_value(found), db_value(contacted), db_value(closed), state]
                + [app.pk if app else None, pk]
                for pk, found, contacted, closed, state, app in rows
            ],
        )


def _pick(rng: random.Random, shares) -> str:
    draw, total = rng.random(), 0.0
    for value, share in shares:
        total += share
        if draw < total:
            return value
    return shares[-1][0]
