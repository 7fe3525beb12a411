"""A year of appeals 诉求 in the demo district, up to yesterday.

The categories (环境卫生, 道路设施, 邻里纠纷 …, appeals_data.py) are made through the module's
services, with their time limits and departments. Then the year: appeals from every channel —
needs found on a visit and raised as appeals (the visit and the need are there, handed on to
the appeal), the counter, the 12345 hotline, the resident's phone, other systems (API) and
Open311 — about one a year for one household in 16. Most are settled in the village; some are
handed up (by the handler, or by the escalation job when a tier's time limit passed), a few
are sent to a department; the settled ones have their return visit, mostly 满意, and a
dissatisfied one is reopened at the same tier (or handed up the second time), as the services
do. Each step keeps its deadline on the working-day calendar; a few appeals are overdue today
at the top of their tiers, where there is nobody left to hand them to.

Written in bulk as the hall's history is (hall.py): the rows are what the services would have
left (steps, return visits, a timeline line for each thing that happened), with one audit
record for the batch. Deterministic from the seed.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from linli.accounts.models import Grant, User
from linli.appeals import events as appeal_events
from linli.appeals import services as appeal_services
from linli.appeals.choices import (
    AppealChannel,
    AppealState,
    ReturnVisitMethod,
    ReturnVisitResult,
    Satisfaction,
    StepOutcome,
    Tier,
)
from linli.appeals.models import Appeal, AppealCategory, AppealStep, ReturnVisit
from linli.core import audit, bulk
from linli.core.choices import AuditAction
from linli.core.models import Area, TimelineEvent
from linli.core.workdays import WorkCalendar
from linli.registry.models import Household, Organisation, Resident
from linli.visits.choices import NeedStatus, VisitChannel
from linli.visits.models import Need, Visit

from . import appeals_data as d
from . import data
from .visits import window_start

APPEALS_PER_HOUSEHOLD_YEAR = 0.06
CHANNELS = (
    (AppealChannel.HOTLINE, 0.30),
    (AppealChannel.VISIT, 0.22),
    (AppealChannel.COUNTER, 0.16),
    (AppealChannel.RESIDENT_PHONE, 0.18),
    (AppealChannel.API, 0.07),
    (AppealChannel.OPEN311, 0.07),
)
# The share of appeals that leave a tier other than settled there (for a category of average
# hardness): handed up, sent to the department, left until the time limit passes.
LEAVE = {Tier.VILLAGE: 0.17, Tier.COMMUNITY: 0.22, Tier.STREET: 0.2}
TO_DEPARTMENT = 0.3  # of those leaving, the share sent straight to the department
ESCALATED = 0.15  # of those leaving, the share left until the job hands them up
LATE_AT_TOP = 0.08  # at the top tier, the share settled after the time limit
STUCK_AT_TOP = 0.06  # at the top tier, the share still being worked on today
# The share settled (or handed on) the day it arrived, by tier.
SAME_DAY = {Tier.VILLAGE: 0.25, Tier.COMMUNITY: 0.1, Tier.STREET: 0.05, Tier.DEPARTMENT: 0.02}
SATISFACTION = (
    (Satisfaction.SATISFIED, 0.80),
    (Satisfaction.BASICALLY, 0.14),
    (Satisfaction.DISSATISFIED, 0.06),
)
RETURN_METHODS = ((ReturnVisitMethod.PHONE, 0.7), (ReturnVisitMethod.VISIT, 0.3))
TIER_ORDER = (Tier.VILLAGE, Tier.COMMUNITY, Tier.STREET, Tier.DEPARTMENT)


def _pick(rng: random.Random, table):
    draw, total = rng.random() * sum(w for _v, w in table), 0.0
    for value, weight in table:
        total += weight
        if draw < total:
            return value
    return table[-1][0]


def build_appeal_categories() -> dict[str, AppealCategory]:
    """The demo's categories, through the module's service (each audited, on its timeline)."""
    departments = dict(Organisation.objects.filter(kind="department").values_list("name", "pk"))
    made = {}
    for order, c in enumerate(d.CATEGORIES, start=1):
        department = None
        if c.department and c.department in departments:
            department = Organisation.objects.get(pk=departments[c.department])
        village, community, street, dept = c.limits
        made[c.code] = appeal_services.category_create(
            actor=None,
            code=c.code,
            name=c.name,
            description=c.description,
            village_days=village,
            community_days=community,
            street_days=street,
            department_days=dept,
            public=c.public,
            department=department,
            anonymous_allowed=c.anonymous,
            sort_order=order,
        )
    return made


@dataclass
class Places:
    """The area tree read once: each area's village, community and street; and who handles
    appeals where (the demo's logins and the halls' and grids' staff accounts)."""

    parent: dict[int, int | None]
    kind: dict[int, str]
    name: dict[int, str]
    village_handler: dict[int, User] = field(default_factory=dict)  # grid or village → user
    community_handler: dict[int, User] = field(default_factory=dict)
    street_handler: dict[int, User] = field(default_factory=dict)
    department_handler: dict[int, User] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Places:
        rows = Area.objects.values_list("pk", "parent_id", "kind", "name")
        places = cls({}, {}, {})
        for pk, parent, kind, name in rows:
            places.parent[pk], places.kind[pk], places.name[pk] = parent, kind, name
        grants = Grant.objects.filter(ends_on__isnull=True).select_related("user").order_by("pk")
        tables = {
            "grid_worker": places.village_handler,
            "village_cadre": places.village_handler,
            "community_worker": places.community_handler,
            "street_cadre": places.street_handler,
        }
        for grant in grants:
            if grant.role == "department_staff" and grant.organisation_id:
                places.department_handler.setdefault(grant.organisation_id, grant.user)
            elif grant.role in tables and grant.area_id:
                tables[grant.role].setdefault(grant.area_id, grant.user)
        return places

    def up(self, area_id: int | None, kinds: tuple[str, ...]) -> int | None:
        while area_id is not None and self.kind[area_id] not in kinds:
            area_id = self.parent[area_id]
        return area_id

    def tier_area(self, tier: str, area_id: int) -> int | None:
        kinds = {
            Tier.VILLAGE: ("village", "compound"),
            Tier.COMMUNITY: ("community",),
            Tier.STREET: ("street", "town"),
        }[tier]
        return self.up(area_id, kinds)

    def handler(self, tier: str, place: int, area_id: int) -> User | None:
        if tier == Tier.DEPARTMENT:
            return self.department_handler.get(place)
        if tier == Tier.VILLAGE:
            return self.village_handler.get(area_id) or self.village_handler.get(place)
        table = self.community_handler if tier == Tier.COMMUNITY else self.street_handler
        return table.get(place)


@dataclass
class Planned:
    """One appeal and what the services would have left of it."""

    appeal: Appeal
    steps: list[AppealStep] = field(default_factory=list)
    visits: list[tuple[AppealStep, ReturnVisit]] = field(default_factory=list)
    events: list[tuple[dt.datetime, object, dict, User | None]] = field(default_factory=list)
    need: tuple | None = None  # (visitor, day) of the visit that found it


class Year:
    """Draws the year's appeals (no writes until `write`)."""

    def __init__(self, *, seed: int, today: dt.date):
        self.rng = random.Random(seed * 17 + 9)
        self.today = today
        self.now = timezone.now()
        self.zone = timezone.get_current_timezone()
        self.start = window_start(today)  # the twelve months the visits fill too
        self.calendar = WorkCalendar.load(
            self.start - dt.timedelta(days=10), today + dt.timedelta(days=120)
        )
        self.places = Places.load()
        self.categories = list(AppealCategory.objects.select_related("current__department"))
        by_code = {c.code: c for c in self.categories}
        self.plans = [(by_code[c.code], c) for c in d.CATEGORIES if c.code in by_code]
        self.serials: Counter = Counter()
        self.planned: list[Planned] = []

    # --- time -----------------------------------------------------------------------------

    def at(self, day: dt.date, hour: float) -> dt.datetime:
        minutes = int(hour * 60)
        return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=self.zone)

    def working_day_on_or_after(self, day: dt.date) -> dt.date:
        while not self.calendar.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    # --- one appeal ------------------------------------------------------------------------

    def number(self, day: dt.date) -> str:
        self.serials[day] += 1
        return f"SQ{day:%Y%m%d}{self.serials[day]:06d}"

    def outsider(self) -> tuple[str, str]:
        rng = self.rng
        name = rng.choice(d.OUTSIDER_SURNAMES) + "".join(
            rng.choice(d.OUTSIDER_GIVEN) for _ in range(rng.choice((1, 2)))
        )
        return name, rng.choice(d.MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"

    def appeal(self, household: tuple, day: dt.date) -> Planned | None:
        rng, places = self.rng, self.places
        household_id, area_id, head_id = household
        channel = _pick(rng, CHANNELS)
        category, c = _pick(rng, [((cat, c), c.weight) for cat, c in self.plans])
        version = category.current
        if channel in (AppealChannel.COUNTER, AppealChannel.VISIT):
            day = self.working_day_on_or_after(day)
            if day >= self.today:
                return None
            raised = self.at(day, rng.uniform(8.5, 17))
        else:
            raised = self.at(day, rng.uniform(7, 21.5))
        village = places.tier_area(Tier.VILLAGE, area_id)
        appeal = Appeal(
            number=self.number(day),
            category=category,
            category_version=version,
            channel=channel,
            area_id=area_id,
            address=places.name.get(village or area_id, "") + rng.choice(d.PLACES),
            description=rng.choice(d.DESCRIPTIONS[c.code]),
            created_at=raised,
        )
        self.reporter(appeal, channel, c, household_id, head_id)
        if channel in (AppealChannel.API, AppealChannel.OPEN311):
            appeal.latitude = round(36.45 + rng.random() * 0.15, 6)
            appeal.longitude = round(119.35 + rng.random() * 0.2, 6)
        planned = Planned(appeal)
        if channel == AppealChannel.VISIT:
            visitor = places.village_handler.get(area_id) or places.village_handler.get(village)
            if visitor is None:
                return None
            planned.need = (visitor, day, c.need_category)
            appeal.created_by = visitor
        elif channel == AppealChannel.COUNTER:
            appeal.created_by = places.community_handler.get(
                places.tier_area(Tier.COMMUNITY, area_id)
            )
        planned.events.append(
            (raised, appeal_events.RAISED[channel], {"category": version.name}, appeal.created_by)
        )
        self.carry(planned, c, raised)
        self.planned.append(planned)
        return planned

    def reporter(self, appeal: Appeal, channel: str, c, household_id: int, head_id) -> None:
        rng = self.rng
        named = channel in (
            AppealChannel.VISIT,
            AppealChannel.COUNTER,
            AppealChannel.RESIDENT_PHONE,
        )
        draw = rng.random()
        if named or draw < 0.55:
            appeal.reporter_id, appeal.household_id = head_id, household_id
        elif c.anonymous and draw > 0.85:
            appeal.anonymous = True
        else:
            appeal.reporter_name, appeal.reporter_mobile = self.outsider()

    # --- its steps -------------------------------------------------------------------------

    def place(self, tier: str, appeal: Appeal) -> tuple[int | None, str]:
        """The area (or department) id at `tier` and its name."""
        if tier == Tier.DEPARTMENT:
            department = appeal.category_version.department
            return (department.pk, department.name) if department else (None, "")
        pk = self.places.tier_area(tier, appeal.area_id)
        return pk, self.places.name.get(pk, "") if pk else ""

    def above(self, tier: str, appeal: Appeal) -> str | None:
        for next_tier in TIER_ORDER[TIER_ORDER.index(tier) + 1 :]:
            if self.place(next_tier, appeal)[0] is not None:
                return next_tier
        return None

    def open_step(self, planned: Planned, tier: str, arrived: dt.datetime) -> AppealStep:
        appeal = planned.appeal
        pk, name = self.place(tier, appeal)
        limit = appeal.category_version.limit_days(tier)
        deadline = self.calendar.add(arrived.astimezone(self.zone).date(), limit)
        step = AppealStep(
            order=len(planned.steps) + 1,
            tier=tier,
            area_id=pk if tier != Tier.DEPARTMENT else None,
            department_id=pk if tier == Tier.DEPARTMENT else None,
            started_at=arrived,
            time_limit_days=limit,
            due_on=deadline.date,
            due_assumed=deadline.assumed,
        )
        step.place_name = name
        planned.steps.append(step)
        params = {"place": name, "due": deadline.date.isoformat()}
        planned.events.append((arrived, appeal_events.ARRIVED, params, None))
        return step

    def carry(self, planned: Planned, c, raised: dt.datetime) -> None:
        """Each step in turn, until the appeal is closed or today is reached."""
        appeal, rng = planned.appeal, self.rng
        tier = Tier.VILLAGE
        while self.place(tier, appeal)[0] is None:
            tier = self.above(tier, appeal)
        step, reopened_here, moment = self.open_step(planned, tier, raised), 0, raised
        for _ in range(8):
            outcome, ended = self.outcome(planned, step, c)
            if ended is None or ended > self.now:  # still there today
                self.leave_open(planned, step)
                return
            handler = self.places.handler(
                step.tier, self.place(step.tier, appeal)[0], appeal.area_id
            )
            step.ended_at, step.outcome, step.handler = ended, outcome, handler
            if handler is not None and outcome != StepOutcome.ESCALATED:
                step.taken_at = step.started_at + (ended - step.started_at) * rng.uniform(0.05, 0.4)
                planned.events.append(
                    (
                        step.taken_at,
                        appeal_events.TAKEN,
                        {"place": step.place_name, "handler": handler.display_name},
                        handler,
                    )
                )
            moment = ended
            if outcome == StepOutcome.SETTLED:
                step.note = rng.choice(d.SETTLEMENTS[c.code])
                planned.events.append(
                    (
                        ended,
                        appeal_events.SETTLED,
                        {"place": step.place_name, "what": step.note},
                        handler,
                    )
                )
                appeal.settlement, appeal.settled_at = step.note, ended
                result = self.return_visit(planned, step, reopened_here)
                if result is None:
                    appeal.state = AppealState.SETTLED
                    self.place_appeal(planned, step, settled=True)
                    return
                visit_at = planned.visits[-1][1].visited_at
                if result == ReturnVisitResult.CLOSED:
                    appeal.state, appeal.closed_at = AppealState.CLOSED, visit_at
                    self.place_appeal(planned, step, settled=True)
                    return
                if result == ReturnVisitResult.REOPENED:
                    reopened_here += 1
                    appeal.reopened_count += 1
                    step = self.open_step(planned, step.tier, visit_at)
                    continue
                reopened_here = 0
                step = self.open_step(planned, self.above(step.tier, appeal), visit_at)
                continue
            next_tier = (
                Tier.DEPARTMENT
                if outcome == StepOutcome.SENT_TO_DEPARTMENT
                else self.above(step.tier, appeal)
            )
            source = step.place_name
            if outcome == StepOutcome.ESCALATED:
                step.note = "时限已过，自动上报"
            else:
                step.note = rng.choice(
                    d.DEPARTMENT_REASONS
                    if outcome == StepOutcome.SENT_TO_DEPARTMENT
                    else d.HAND_UP_REASONS
                )
            reopened_here = 0
            step = self.open_step(planned, next_tier, moment)
            self.hand_over_event(planned, outcome, source, step, moment, handler)
        self.leave_open(planned, step)

    def hand_over_event(self, planned, outcome, source, step, moment, handler) -> None:
        previous = planned.steps[-2]
        if outcome == StepOutcome.ESCALATED:
            params = {
                "place": source,
                "next": step.place_name,
                "due": previous.due_on.isoformat(),
                "count": 1,
            }
            planned.events.append((moment, appeal_events.ESCALATED, params, None))
        elif outcome == StepOutcome.SENT_TO_DEPARTMENT:
            params = {"place": source, "department": step.place_name, "reason": previous.note}
            planned.events.append((moment, appeal_events.SENT_TO_DEPARTMENT, params, handler))
        else:
            params = {"place": source, "reason": previous.note}
            planned.events.append((moment, appeal_events.HANDED_UP, params, handler))
        # The arrival line was added when the step opened; keep it after the hand-over's.
        planned.events.append(planned.events.pop(-2))

    def outcome(self, planned: Planned, step: AppealStep, c) -> tuple[str, dt.datetime | None]:
        """How the step ends and when (None: not before today)."""
        rng, appeal = self.rng, planned.appeal
        start_day = step.started_at.astimezone(self.zone).date()
        above = self.above(step.tier, appeal)
        named = appeal.category_version.department_id is not None
        leave = LEAVE.get(step.tier, 0.0) * c.hardness if above else 0.0
        if rng.random() < leave:
            if rng.random() < ESCALATED:
                ended = self.at(step.due_on + dt.timedelta(days=1), rng.uniform(0.1, 0.9))
                return StepOutcome.ESCALATED, ended
            outcome = (
                StepOutcome.SENT_TO_DEPARTMENT
                if named and step.tier != Tier.DEPARTMENT and rng.random() < TO_DEPARTMENT
                else StepOutcome.HANDED_UP
            )
        else:
            outcome = StepOutcome.SETTLED
        limit = step.time_limit_days
        if above is None and rng.random() < STUCK_AT_TOP:
            return outcome, None  # still being worked on, however long it takes
        same_day = rng.random() < SAME_DAY[step.tier]
        used = 0 if same_day else min(limit, 1 + int(rng.expovariate(1 / max(0.5, limit * 0.3))))
        if above is None and outcome == StepOutcome.SETTLED and rng.random() < LATE_AT_TOP:
            used = limit + rng.randint(1, 4)
        day = self.calendar.add(start_day, used).date if used else start_day
        if used == 0:
            ended = step.started_at + dt.timedelta(minutes=rng.randint(20, 240))
        else:
            ended = self.at(day, rng.uniform(8.5, 17.5))
        return outcome, ended

    def return_visit(self, planned: Planned, step: AppealStep, reopened_here: int) -> str | None:
        """The return visit of a settled step: None when it is not due before today."""
        rng, appeal = self.rng, planned.appeal
        settled_day = step.ended_at.astimezone(self.zone).date()
        day = self.calendar.add(settled_day, rng.randint(1, 4)).date
        visited = self.at(day, rng.uniform(9, 17.5))
        if visited > self.now:
            return None
        satisfaction = _pick(rng, SATISFACTION)
        if reopened_here and satisfaction == Satisfaction.DISSATISFIED and rng.random() < 0.5:
            satisfaction = Satisfaction.BASICALLY
        above = self.above(step.tier, appeal)
        if satisfaction != Satisfaction.DISSATISFIED:
            result = ReturnVisitResult.CLOSED
            note = rng.choice(d.SATISFIED_NOTES)
        else:
            note = rng.choice(d.DISSATISFIED_NOTES)
            if not reopened_here:
                result = ReturnVisitResult.REOPENED
            else:
                result = ReturnVisitResult.HANDED_UP if above else ReturnVisitResult.CLOSED
        community = self.places.tier_area(Tier.COMMUNITY, appeal.area_id)
        visitor = self.places.community_handler.get(community)
        visit = ReturnVisit(
            satisfaction=satisfaction,
            note=note,
            method=_pick(rng, RETURN_METHODS),
            result=result,
            visited_by=visitor,
            visited_at=visited,
        )
        planned.visits.append((step, visit))
        planned.events.append(
            (visited, appeal_events.RETURN_VISIT[satisfaction], {"note": note}, visitor)
        )
        place = step.place_name
        if result == ReturnVisitResult.CLOSED:
            closed = (
                appeal_events.CLOSED
                if satisfaction != Satisfaction.DISSATISFIED
                else appeal_events.CLOSED_DISSATISFIED
            )
            planned.events.append((visited, closed, {"place": place}, visitor))
        elif result == ReturnVisitResult.REOPENED:
            planned.events.append((visited, appeal_events.REOPENED, {"place": place}, visitor))
        else:
            planned.events.append(
                (visited, appeal_events.HANDED_UP_DISSATISFIED, {"place": place}, visitor)
            )
        return result

    def leave_open(self, planned: Planned, step: AppealStep) -> None:
        """The step still open today: waiting, or taken by its handler; overdue at the top when
        its deadline has passed (nobody to hand it to: its supervisors were told)."""
        appeal, rng = planned.appeal, self.rng
        handler = self.places.handler(step.tier, self.place(step.tier, appeal)[0], appeal.area_id)
        appeal.state = AppealState.WAITING
        if handler is not None and rng.random() < 0.6:
            taken = step.started_at + dt.timedelta(hours=rng.uniform(1, 30))
            if taken < self.now:
                step.handler, step.taken_at = handler, taken
                appeal.state = AppealState.TAKEN
                appeal.handler = handler
                params = {"place": step.place_name, "handler": handler.display_name}
                planned.events.append((taken, appeal_events.TAKEN, params, handler))
        if step.due_on < self.today:
            step.overdue_told_on = step.due_on + dt.timedelta(days=1)
            params = {"place": step.place_name, "due": step.due_on.isoformat(), "count": 1}
            told = self.at(step.overdue_told_on, 0.5)
            planned.events.append((told, appeal_events.OVERDUE_AT_TOP, params, None))
        self.place_appeal(planned, step, settled=False)

    def place_appeal(self, planned: Planned, step: AppealStep, *, settled: bool) -> None:
        """Where the appeal stands after its last step (what the services keep on it)."""
        appeal = planned.appeal
        appeal.tier = step.tier
        appeal.tier_area_id = step.area_id
        appeal.department_id = step.department_id
        if settled:
            appeal.handler = step.handler
            appeal.due_on, appeal.due_assumed = None, False
        else:
            appeal.due_on, appeal.due_assumed = step.due_on, step.due_assumed
        steps_here = [s for s in planned.steps if s.tier == step.tier]
        appeal.reopens_at_tier = max(0, len(steps_here) - 1)
        appeal.version = 1 + len(planned.steps) * 2 + len(planned.visits)

    # --- the year --------------------------------------------------------------------------

    def year(self, households: list[tuple]) -> None:
        count = round(len(households) * APPEALS_PER_HOUSEHOLD_YEAR)
        days = (self.today - self.start).days
        for _ in range(count):
            day = self.start + dt.timedelta(days=self.rng.randrange(days))
            household = self.rng.choice(households)
            self.appeal(household, day)

    # --- writing ---------------------------------------------------------------------------

    def write(self) -> dict[str, int]:
        planned = self.planned
        _insert(Appeal, [p.appeal for p in planned])
        steps, visits = [], []
        for p in planned:
            for step in p.steps:
                step.appeal = p.appeal
                steps.append(step)
        _insert(AppealStep, steps)
        for p in planned:
            for step, visit in p.visits:
                visit.appeal, visit.step = p.appeal, step
                visits.append(visit)
        _insert(ReturnVisit, visits)
        needs = self._needs([p for p in planned if p.need is not None])
        events = self._timeline(planned)
        counts = {
            "appeals": len(planned),
            "steps": len(steps),
            "return_visits": len(visits),
            "needs_raised_as_appeals": needs,
            "timeline": events,
        }
        audit.record(
            action=AuditAction.IMPORT,
            object_type=audit.object_type_of(Appeal),
            object_repr="demo: a year of appeals",
            changes=counts,
        )
        return counts

    def _needs(self, planned: list[Planned]) -> int:
        """The visit that found each need raised as an appeal, and the need, handed on."""
        visits = []
        for p in planned:
            visitor, day, _category = p.need
            appeal = p.appeal
            visits.append(
                Visit(
                    household_id=appeal.household_id,
                    area_id=appeal.area_id,
                    visited_on=day,
                    channel=VisitChannel.HOME,
                    visitor=visitor,
                    visitor_name=visitor.display_name or visitor.username,
                    created_at=appeal.created_at,
                )
            )
        Visit.objects.bulk_create(visits, batch_size=1000)
        needs = [
            Need(
                visit=visit,
                household_id=p.appeal.household_id,
                category=p.need[2],
                description=p.appeal.description,
                status=NeedStatus.FOLLOWING,
                appeal=p.appeal,
                found_on=p.need[1],
                created_at=p.appeal.created_at,
            )
            for p, visit in zip(planned, visits, strict=True)
        ]
        Need.objects.bulk_create(needs, batch_size=1000)
        return len(needs)

    def _timeline(self, planned: list[Planned]) -> int:
        content_type = ContentType.objects.get_for_model(Appeal).pk
        rows = [
            [
                content_type,
                p.appeal.pk,
                bulk.db_value(at),
                actor.pk if actor is not None else None,
                event.verb,
                event.message,
                bulk.db_value(params),
                "{}",
            ]
            for p in planned
            for at, event, params, actor in p.events
        ]
        columns = ("content_type", "object_id", "at", "actor", "verb", "summary", "params", "data")
        return bulk.insert_rows(TimelineEvent, columns, rows)


def _insert(model, objects: list) -> None:
    """Insert `objects` with keys reserved for them (set on each), every column as the model
    gives it: the rows of the bulk path (core.bulk) instead of Django's bulk_create, which
    prepares each value of each row field by field."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for obj, pk in zip(objects, bulk.reserve_ids(model, len(objects)), strict=True):
        obj.pk = pk
    rows = [[obj.pk, *(bulk.db_value(getattr(obj, f.attname)) for f in fields)] for obj in objects]
    bulk.insert_rows(model, ["id", *(f.name for f in fields)], rows)


def build_appeals(*, seed: int, today: dt.date, small: bool = False) -> dict[str, int]:
    """The categories and the year of appeals (see the module's docstring), with a handful of
    disputes mediated in it (disputes.py; two in the small demo)."""
    from .disputes import Disputes, build_dispute_category

    build_appeal_categories()
    dispute_category = build_dispute_category()
    year = Year(seed=seed, today=today)
    named = Resident.objects.filter(name__in=[p.name for p in data.NAMED_RESIDENTS])
    households = list(
        Household.objects.filter(head__isnull=False)
        .exclude(pk__in=named.values("household_id"))
        .order_by("pk")
        .values_list("pk", "area_id", "head_id")
    )
    year.year(households)
    disputes = Disputes(year, dispute_category, seed=seed, small=small)
    disputes.plan(households)
    counts = year.write()
    return counts | disputes.write()
