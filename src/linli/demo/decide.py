"""The demo's residents decide 由民做主, through the module's services: the 14 matter categories,
the advisory 顾问团 and supervision 监督团 panels of 工福街社区 and 苇湾社区 with the demo's panel
logins on them, then the source's two stories and a year of matters in 东关街道's communities.

The stories and the year are told step by step through the services — proposing, supports,
opinions, taking up, options, meetings, votes and ballots, tasks and their reports, inspections,
ratings, the party members' commitments — with the clock stopped at each step's day
(`clock.stopped_clock`), so every record, its audit trail and its timeline carry the day it
happened. Each matter is a script (a generator yielding the time of its next step); the scripts
run side by side in the order of their steps' times, and a script stops at the demo's today,
leaving its matter where it stands then. Deterministic from the seed.
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from linli.accounts import services as account_services
from linli.accounts.models import Grant, User
from linli.core.choices import AreaKind
from linli.core.models import Area
from linli.decide import services
from linli.decide.board import services as board_services
from linli.decide.choices import (
    AttendeeRole,
    CastingMethod,
    Majority,
    MatterChannel,
    MeetingKind,
    PanelKind,
    Rating,
    Stage,
    VoterBody,
    VoteResult,
)
from linli.decide.manage import services as manage_services
from linli.decide.models import Matter, MatterCategory, Vote, Voter
from linli.decide.services import Invitee
from linli.decide.votes import services as vote_services
from linli.registry import services as registry_services
from linli.registry.models import Household, Organisation, Resident

from . import data
from . import decide_data as d
from .clock import stopped_clock
from .decide_data import PANELS, MemberData

# Residents of each 东关街道 community who take part on the phone (support, vote, rate): how many
# get a login of their own, beside 王大威.
RESIDENT_LOGINS = 7
YEAR_DAYS = 360  # the year's matters are raised within this many days before today
STEPS_PER_TRANSACTION = 400
# How the year's matters stand today: (fate, how many). See `Year.script`.
FATES: tuple[tuple[str, int], ...] = (
    ("proposed", 4),
    ("merged", 2),
    ("dropped", 2),
    ("deliberate", 3),
    ("voting", 2),
    ("no_quorum", 2),
    ("rejected", 2),
    ("manage", 3),
    ("supervise", 2),
    ("done", 9),
    ("sent_back", 1),
)
FOR, AGAINST = "赞成", "反对"
DEMO_LOGINS = frozenset(login.username for login in data.DEMO_LOGINS)  # left for the visitor


def _members(panel, members: tuple[MemberData, ...], categories: dict) -> None:
    for member in members:
        account = User.objects.filter(username=member.login).first() if member.login else None
        services.panel_member_add(
            actor=None,
            panel=panel,
            name=member.name,
            background=member.background,
            account=account,
            categories=[categories[code] for code in member.categories],
        )


def build_panels() -> dict[str, int]:
    """Categories and panels; returns how many of each were made."""
    made = services.categories_install(actor=None)
    categories = {c.code: c for c in MatterCategory.objects.all()}
    panels = 0
    for panel_data in PANELS:
        community = Area.objects.filter(name=panel_data.community, kind=AreaKind.COMMUNITY).first()
        if community is None:  # a district built without 奎文区
            continue
        advisory = services.panel_create(
            actor=None, area=community, kind=PanelKind.ADVISORY, name=panel_data.advisory
        )
        supervision = services.panel_create(
            actor=None, area=community, kind=PanelKind.SUPERVISION, name=panel_data.supervision
        )
        _members(advisory, panel_data.advisers, categories)
        _members(supervision, panel_data.supervisors, categories)
        panels += 2
    return {"categories": made, "panels": panels}


def build_decide(*, seed: int = data.DEFAULT_SEED, today: dt.date | None = None) -> dict[str, int]:
    """Categories and panels, then — where 东关街道 is built — the two stories and the year.
    Each part commits on its own (see `build_demo`)."""
    with transaction.atomic():
        made = build_panels()
    street = Area.objects.filter(name=data.URBAN_STREETS[0].name, kind=AreaKind.STREET).first()
    if street is None:
        return made
    today = today or timezone.localdate()
    with transaction.atomic():
        casts = Casts.load(street, seed)
    told = Telling(casts, seed=seed, today=today)
    told.run()
    _queue_waiting_jobs_now()
    made["matters"] = Matter.objects.filter(area__path__startswith=street.path).count()
    return made


def _queue_waiting_jobs_now() -> None:
    """The jobs the stories queued (the notifications of each step) carry the story's moment;
    still waiting when the build ends, they were queued by the build: put them at the real time,
    or the readiness check (`/readyz`) would take them for jobs a dead worker left days ago."""
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    DBTaskResult.objects.ready().filter(enqueued_at__lt=now).update(enqueued_at=now)


# --- who acts where ----------------------------------------------------------------------------


@dataclass
class Cast:
    """The people who act on a community's matters."""

    community: Area
    staff: User  # the community's worker (decide.manage)
    collector: User | None = None  # an opinion collector over the whole community
    adviser: User | None = None  # the advisory panel login, and the codes it studies
    adviser_codes: frozenset[str] = frozenset()
    supervisor: User | None = None
    residents: list[User] = field(default_factory=list)  # residents with a login of their own
    representatives: list[Resident] = field(default_factory=list)  # 居民代表
    building_heads: list[Resident] = field(default_factory=list)  # 楼长
    party_members: list[Resident] = field(default_factory=list)
    committee: Organisation | None = None  # its 居民委员会


def _tagged(community: Area, tag: str) -> list[Resident]:
    return list(
        Resident.objects.under(community)
        .filter(tag_links__tag__name=tag, tag_links__tag__target="resident")
        .select_related("household__area")
        .order_by("household__number", "pk")
    )


class Casts(dict):
    """Community name → its `Cast`."""

    @classmethod
    def load(cls, street: Area, seed: int) -> Casts:
        casts = cls()
        rng = random.Random(f"{seed}:decide:logins")
        password_hash = User.objects.get(username="wang_dawei").password
        since = data.URBAN_LOGINS_SINCE
        names = [login.username for login in data.URBAN_LOGINS]
        logins = {u.username: u for u in User.objects.filter(username__in=names)}
        panel_codes = {m.login: frozenset(m.categories) for p in PANELS for m in p.advisers}
        for community in Area.objects.filter(parent=street, kind=AreaKind.COMMUNITY).order_by(
            "path"
        ):
            worker = (
                Grant.objects.filter(area=community, role="community_worker", ends_on__isnull=True)
                .select_related("user")
                .order_by("pk")
                .first()
            )
            cast = Cast(community=community, staff=worker.user)
            if community.name == data.GONGFU_COMMUNITY:
                cast.staff = logins["gongfu_worker"]
                cast.collector = logins["gongfu_collector"]
                cast.adviser = logins["gongfu_panel"]
                cast.adviser_codes = panel_codes["gongfu_panel"]
                cast.supervisor = logins["gongfu_supervisor"]
                cast.residents.append(logins["wang_dawei"])
            elif community.name == data.WEIWAN_COMMUNITY:
                cast.staff = logins["weiwan_secretary"]
            cast.representatives = _tagged(community, "居民代表")
            cast.building_heads = _tagged(community, "楼长")
            cast.party_members = _tagged(community, "党员")
            cast.committee = Organisation.objects.get(
                name=data.URBAN_COMMITTEE.format(name=community.name)
            )
            cast.residents += cls._resident_logins(community, rng, password_hash, since)
            casts[community.name] = cast
        return casts

    @staticmethod
    def _resident_logins(community: Area, rng, password_hash: str, since) -> list[User]:
        """Household heads of the community who use the residents' pages on the phone: a login
        each, linked to their registry record, their own household in scope."""
        heads = list(
            Household.objects.under(community)
            .filter(head__account__isnull=True)
            .order_by("number")
            .values_list("head_id", flat=True)
        )
        chosen = rng.sample(heads, min(RESIDENT_LOGINS, len(heads)))
        people = Resident.objects.select_related("household__area").in_bulk(chosen)
        users = []
        for n, person in enumerate((people[pk] for pk in chosen), 1):
            user = account_services.user_create(
                actor=None,
                username=f"jm_{community.code}_{n}",
                password=data.DEMO_PASSWORD,
                password_hash=password_hash,
                display_name=person.name,
            )
            account_services.grant_create(
                actor=None,
                user=user,
                role="resident",
                area=person.household.area,
                starts_on=since,
            )
            registry_services.resident_link_account(actor=None, resident=person, account=user)
            users.append(User.objects.get(pk=user.pk))
        return users


# --- telling: the scripts side by side on the stopped clock ------------------------------------


Script = Iterator[dt.datetime]


class Telling:
    """Runs the stories' and the year's scripts in the order of their steps' times."""

    def __init__(self, casts: Casts, *, seed: int, today: dt.date):
        self.casts = casts
        self.rng = random.Random(f"{seed}:decide")
        self.today = today
        self.zone = timezone.get_current_timezone()
        self.until = dt.datetime.combine(today, dt.time(0, 0), tzinfo=self.zone)
        self.matters: dict[str, Matter] = {}  # by the plan's key, once proposed

    def at(self, day: dt.date, hour: float) -> dt.datetime:
        minutes = round(hour * 60)
        return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=self.zone)

    def day(self, days_ago: int) -> dt.date:
        return self.today - dt.timedelta(days=days_ago)

    def scripts(self) -> list[Script]:
        scripts: list[Script] = []
        gongfu = self.casts.get(data.GONGFU_COMMUNITY)
        if gongfu is not None:
            scripts.append(MorningMarket(self, gongfu).script())
        weiwan = self.casts.get(data.WEIWAN_COMMUNITY)
        if weiwan is not None:
            scripts.append(IllegalStructures(self, weiwan).script())
        scripts.append(commitments(self))
        scripts += Year(self).scripts()
        return scripts

    def run(self) -> None:
        with stopped_clock(self.until - dt.timedelta(days=YEAR_DAYS + 5)) as clock:
            queue: list[tuple[dt.datetime, int, Script]] = []
            for n, script in enumerate(self.scripts()):
                first = next(script, None)
                if first is not None and first < self.until:
                    queue.append((first, n, script))
            heapq.heapify(queue)
            while queue:
                with transaction.atomic():
                    for _ in range(STEPS_PER_TRANSACTION):
                        if not queue:
                            break
                        when, n, script = heapq.heappop(queue)
                        clock.at = when
                        following = next(script, None)
                        if following is None:
                            continue
                        # A step planned before the one just taken waits for it.
                        following = max(following, when + dt.timedelta(minutes=5))
                        if following < self.until:
                            heapq.heappush(queue, (following, n, script))
                        else:
                            script.close()  # today: it stands where it is


# --- the steps every matter shares -------------------------------------------------------------


class Steps:
    """Helpers that take one matter through the services, for its script."""

    def __init__(self, telling: Telling, cast: Cast):
        self.t = telling
        self.cast = cast

    def meeting(self, matter, *, kind, title, place, agenda, starts_at, invitees) -> object:
        return services.meeting_arrange(
            actor=self.cast.staff,
            matter=matter,
            kind=kind,
            title=title,
            starts_at=starts_at,
            place=place,
            agenda=agenda,
            invitees=invitees,
        )

    def roll_and_minutes(self, meeting, minutes: str, absent: int = 0) -> None:
        """Everyone invited came but `absent` of the resident representatives (the last ones
        invited); then the minutes."""
        invitees = list(meeting.invitees.order_by("pk"))
        representatives = [i.pk for i in invitees if i.role == AttendeeRole.REPRESENTATIVE]
        away = set(representatives[len(representatives) - absent :]) if absent else set()
        present = [i.pk for i in invitees if i.pk not in away]
        services.meeting_roll(actor=self.cast.staff, meeting=meeting, present=present)
        services.meeting_minutes(actor=self.cast.staff, meeting=meeting, minutes=minutes)

    def show_of_hands(self, vote: Vote, meeting, witness: str, *, result: str) -> None:
        """Enter the hands raised at the meeting by the voters who came, so that the vote comes
        out as `result` (a `VoteResult`): passed — most for the first choice, a few for the
        second; not passed — the two choices level; no quorum — fewer hands than it needs."""
        choices = list(vote.options.order_by("order"))
        came = set(
            meeting.invitees.filter(present=True, resident__isnull=False).values_list(
                "resident_id", flat=True
            )
        )
        voters = [
            v for v in Voter.objects.filter(vote=vote).order_by("pk") if v.resident_id in came
        ]
        needed = -(-vote.roll_size * vote.quorum_percent // 100)  # the quorum, in ballots
        if result == VoteResult.NO_QUORUM:
            voters = voters[: max(0, needed - 1)]
            first = len(voters)
        elif result == VoteResult.FAILED:
            voters = voters[: len(voters) // 2 * 2]
            first = len(voters) // 2
        else:
            first = len(voters) if vote.majority == Majority.UNANIMOUS else len(voters) * 3 // 4
            first = max(first, len(voters) // 2 + 1)
        hands = {voter.pk: choices[0 if k < first else 1].pk for k, voter in enumerate(voters)}
        if hands:
            vote_services.ballots_enter(
                actor=self.cast.staff, vote=vote, hands=hands, witness=witness
            )

    def organisation(self, name: str) -> Organisation:
        if not name:
            return self.cast.committee
        return Organisation.objects.get(name=name)

    def rate(self, matter, ratings: list[tuple[str, str]]) -> None:
        raters = [u for u in self.cast.residents if u.resident_record.pk != matter.proposer_id]
        for user, (rating, note) in zip(raters, ratings, strict=False):
            manage_services.rating_give(actor=user, matter=matter, rating=rating, note=note)


def _invitees(people: list[Resident], role: str) -> list[Invitee]:
    return [Invitee(role=role, resident=p) for p in people]


# --- 工福街社区: the morning market on 游麟路 -------------------------------------------------------


class MorningMarket(Steps):
    """The source's first story, step by step, about seven months ago to four months ago."""

    def script(self) -> Script:
        t, c, s = self.t, self.cast, d.MORNING_MARKET
        start = t.day(215)
        yield t.at(start, 7.8)
        wang = User.objects.get(username="wang_dawei")
        matter = services.matter_propose(
            actor=wang,
            category=s["category"],
            title=s["title"],
            description=s["description"],
        )
        t.matters["market"] = matter
        for k, (name, text) in enumerate(s["opinions"]):
            yield t.at(start + dt.timedelta(days=1 + k), 9.5 + k)
            services.opinion_add(actor=c.collector, matter=matter, text=text, name=name)
        supporters = [u for u in c.residents if u.pk != wang.pk][: s["supporters"]]
        for k, user in enumerate(supporters):
            yield t.at(start + dt.timedelta(days=1 + k // 2), 8 + 2.5 * (k % 3))
            services.matter_support(actor=user, matter=matter)
        yield t.at(start + dt.timedelta(days=6), 10)
        services.matter_take_up(
            actor=c.staff, matter=matter, note="涉及市场管理和城管执法，请顾问团研究方案。"
        )
        for k, (title, description) in enumerate(s["options"]):
            yield t.at(start + dt.timedelta(days=9 + k), 16)
            services.option_add(
                actor=c.adviser, matter=matter, title=title, description=description
            )
        m = s["meeting"]
        yield t.at(start + dt.timedelta(days=12), 9)
        held = t.at(start + dt.timedelta(days=16), 15)
        departments = [self.organisation(name) for name in m["departments"]]
        meeting = self.meeting(
            matter,
            kind=m["kind"],
            title=m["title"],
            place=m["place"],
            agenda=m["agenda"],
            starts_at=held,
            invitees=[
                Invitee(role=AttendeeRole.RESIDENT, resident=matter.proposer),
                *_invitees(c.representatives, AttendeeRole.REPRESENTATIVE),
                *[Invitee(role=AttendeeRole.DEPARTMENT, organisation=o) for o in departments],
                *[
                    Invitee(role=AttendeeRole.PANEL, name=member.name)
                    for member in PANELS[0].advisers
                ],
                Invitee(role=AttendeeRole.STAFF, name=c.staff.display_name),
            ],
        )
        yield held + dt.timedelta(hours=1.5)
        self.roll_and_minutes(meeting, m["minutes"], absent=1)
        v = s["vote"]
        vote = vote_services.vote_prepare(
            actor=c.staff,
            matter=matter,
            question=v["question"],
            body=v["body"],
            quorum_percent=v["quorum"],
            majority=v["majority"],
            secret=False,
            method=v["method"],
            closes_at=held + dt.timedelta(hours=3),
            options=list(matter.options.order_by("order")),
        )
        yield held + dt.timedelta(hours=1.6)
        vote_services.vote_open(actor=c.staff, vote=vote)
        yield held + dt.timedelta(hours=1.75)
        self.show_of_hands(vote, meeting, v["witness"], result=VoteResult.PASSED)
        yield held + dt.timedelta(hours=1.9)
        vote_services.vote_close(actor=c.staff, vote=vote)
        assigned = held.date() + dt.timedelta(days=2)
        yield t.at(assigned, 10)
        tasks = [
            manage_services.task_assign(
                actor=c.staff,
                matter=matter,
                title=title,
                organisation=self.organisation(org),
                due_on=assigned + dt.timedelta(days=30),
                owner_name=owner,
            )
            for title, org, owner in s["tasks"]
        ]
        reports = sorted(
            (assigned + dt.timedelta(days=9 + 12 * k + 2 * n), n, k)
            for n, task_reports in enumerate(s["reports"])
            for k in range(len(task_reports))
        )
        for day, n, k in reports:
            yield t.at(day, 17)
            percent, text = s["reports"][n][k]
            manage_services.task_report(actor=c.staff, task=tasks[n], text=text, percent=percent)
        last = reports[-1][0]
        yield t.at(last + dt.timedelta(days=2), 10)
        manage_services.supervision_start(actor=c.staff, matter=matter, note=s["decision"])
        yield t.at(last + dt.timedelta(days=5), 9)
        manage_services.inspection_record(
            actor=c.supervisor, matter=matter, passed=True, notes=s["inspection"]
        )
        yield t.at(last + dt.timedelta(days=7), 20)
        self.rate(matter, list(s["ratings"]))
        yield t.at(last + dt.timedelta(days=14), 10)
        manage_services.rating_close(actor=c.staff, matter=matter, note="居民评定满意，办结。")


# --- 苇湾社区: the illegal structures ------------------------------------------------------------


class IllegalStructures(Steps):
    """The source's second story: the building heads decide, unanimously, about five months ago."""

    def script(self) -> Script:
        t, c, s = self.t, self.cast, d.ILLEGAL_STRUCTURES
        start = t.day(160)
        yield t.at(start, 10)
        proposer = c.building_heads[0]
        matter = services.matter_propose(
            actor=c.staff,
            category=s["category"],
            title=s["title"],
            description=s["description"],
            area=c.community,
            resident=proposer,
            channel=MatterChannel.STAFF,
        )
        t.matters["structures"] = matter
        yield t.at(start, 11)
        services.matter_take_up(actor=c.staff, matter=matter, note="召开由民做主会议商议。")
        m = s["meeting"]
        held = t.at(start + dt.timedelta(days=5), 19)
        meeting = self.meeting(
            matter,
            kind=m["kind"],
            title=m["title"],
            place=m["place"],
            agenda=m["agenda"],
            starts_at=held,
            invitees=[
                *_invitees(c.building_heads, AttendeeRole.BUILDING_HEAD),
                *_invitees(c.representatives, AttendeeRole.REPRESENTATIVE),
                Invitee(role=AttendeeRole.STAFF, name=c.staff.display_name),
            ],
        )
        v = s["vote"]
        yield held + dt.timedelta(hours=1.5)
        self.roll_and_minutes(meeting, m["minutes"])
        vote = vote_services.vote_prepare(
            actor=c.staff,
            matter=matter,
            question=v["question"],
            body=v["body"],
            quorum_percent=v["quorum"],
            majority=v["majority"],
            secret=False,
            method=v["method"],
            closes_at=held + dt.timedelta(hours=3),
            choices=[s["decision"], "暂缓拆除"],
        )
        yield held + dt.timedelta(hours=1.6)
        vote_services.vote_open(actor=c.staff, vote=vote)
        yield held + dt.timedelta(hours=1.7)
        self.show_of_hands(vote, meeting, v["witness"], result=VoteResult.PASSED)
        yield held + dt.timedelta(hours=1.8)
        vote_services.vote_close(actor=c.staff, vote=vote)
        assigned = held.date() + dt.timedelta(days=1)
        yield t.at(assigned, 9)
        tasks = [
            manage_services.task_assign(
                actor=c.staff,
                matter=matter,
                title=title,
                organisation=self.organisation(org),
                due_on=assigned + dt.timedelta(days=15),
                owner_name=owner,
            )
            for title, org, owner in s["tasks"]
        ]
        day = assigned
        for n, task_reports in enumerate(s["reports"]):
            for percent, text in task_reports:
                day += dt.timedelta(days=5)
                yield t.at(day, 17)
                manage_services.task_report(
                    actor=c.staff, task=tasks[n], text=text, percent=percent
                )
        yield t.at(day + dt.timedelta(days=1), 10)
        manage_services.supervision_start(actor=c.staff, matter=matter)
        yield t.at(day + dt.timedelta(days=2), 10)
        manage_services.inspection_record(
            actor=c.staff, matter=matter, passed=True, notes=s["inspection"]
        )
        yield t.at(day + dt.timedelta(days=4), 19)
        self.rate(matter, list(s["ratings"]))
        yield t.at(day + dt.timedelta(days=10), 10)
        manage_services.rating_close(actor=c.staff, matter=matter, note="居民评定满意，办结。")


# --- the party members' commitments and the public boards ---------------------------------------


def commitments(t: Telling) -> Script:
    """The two communities' boards open to all; party members' commitments posted, kept and
    rated."""
    first = t.day(200)
    yield t.at(first, 9)
    for name in (data.GONGFU_COMMUNITY, data.WEIWAN_COMMUNITY):
        cast = t.casts.get(name)
        if cast is not None:
            board_services.board_setting_change(
                actor=cast.staff, community=cast.community, without_login=True
            )
    posted = []
    used: set[int] = set()
    for community, place, street, text, records in d.COMMITMENTS:
        cast = t.casts.get(community)
        members = [p for p in (cast.party_members if cast else []) if p.pk not in used]
        if not members:
            continue
        member = members[0]
        used.add(member.pk)
        commitment = board_services.commitment_post(
            actor=cast.staff,
            community=cast.community,
            resident=member,
            place=place,
            text=text,
            year=first.year,
            business_street=street,
        )
        posted.append((cast, commitment, records))
    done = sorted(
        (t.day(days_ago), n, text)
        for n, (_cast, _c, records) in enumerate(posted)
        for days_ago, text in records
    )
    for day, n, text in done:
        yield t.at(day, 18)
        cast, commitment, _records = posted[n]
        board_services.commitment_record(
            actor=cast.staff, commitment=commitment, text=text, done_on=day
        )
    yield t.at(t.day(20), 19)
    for cast, commitment, _records in posted:
        for k, user in enumerate(cast.residents[:4]):
            rating = Rating.BASICALLY if k == 3 else Rating.SATISFIED
            board_services.commitment_rate(actor=user, commitment=commitment, rating=rating)


# --- the year ------------------------------------------------------------------------------------


@dataclass
class Plan:
    """One matter of the year: where, what, how it fares, and the days of its steps (offsets
    from the day it is raised)."""

    key: str
    cast: Cast
    what: tuple
    fate: str
    raised: dt.date = dt.date.min
    into: str = ""  # merged: the plan it is merged into
    take_up: int = 0
    meeting: int = 0
    due: int = 0
    done: list[int] = field(default_factory=list)
    late: bool = False
    supporters: int = 0
    ratings: list[tuple[str, str]] = field(default_factory=list)
    then_drop: bool = False  # a vote that missed its quorum, and then the community drops it

    @property
    def tasks_at(self) -> int:
        return self.meeting + 2

    @property
    def supervise_at(self) -> int:
        return max(self.done) + 2

    @property
    def close_at(self) -> int:
        return self.supervise_at + 12


class Year:
    """A year of matters across 东关街道's communities, their fates drawn from `FATES`."""

    def __init__(self, telling: Telling):
        self.t = telling
        self.plans = self.plan()

    def scripts(self) -> list[Script]:
        return [self.script(p) for p in self.plans]

    def plan(self) -> list[Plan]:
        t = self.t
        rng = random.Random(t.rng.random())
        casts = list(t.casts.values())
        fates = [fate for fate, count in FATES for _ in range(count)]
        rng.shuffle(fates)
        self.first_done = f"y{fates.index('done')}"
        what = list(d.YEAR_MATTERS)
        rng.shuffle(what)
        plans = []
        for n, fate in enumerate(fates):
            # The same kind of matter comes up again a year later, in another community.
            cast = casts[(n + n // len(what)) % len(casts)]
            plan = Plan(f"y{n}", cast, what[n % len(what)], fate)
            self._days(plan, rng)
            plans.append(plan)
        # One vote open today is 工福街社区's, where 王大威 (a demo login) may still cast his.
        voting = [p for p in plans if p.fate == "voting"]
        if voting and data.GONGFU_COMMUNITY in t.casts:
            voting[0].cast = t.casts[data.GONGFU_COMMUNITY]
        for plan in plans:
            if plan.fate == "merged":
                self._merge(plan, plans, rng)
        missed = [p for p in plans if p.fate == "no_quorum"]
        if missed:
            missed[0].then_drop = True
        return plans

    def _days(self, p: Plan, rng: random.Random) -> None:
        p.take_up = rng.randint(4, 12)
        p.meeting = p.take_up + rng.randint(6, 14)
        p.due = p.tasks_at + rng.randint(20, 40)
        # Now and then a task is done after its deadline (the year's first finished matter's).
        late = p.fate in ("done", "supervise") and (rng.random() < 0.15 or p.key == self.first_done)
        p.late = late
        tasks = 2 if p.what[5] else 1
        p.done = [
            p.due + rng.randint(2, 8) if late and k == 0 else p.due - rng.randint(1, 10)
            for k in range(tasks)
        ]
        p.supporters = rng.randint(0, 3)
        end = {
            "proposed": 6,
            "merged": 6,
            "dropped": p.take_up,
            "deliberate": p.take_up + 4,
            "voting": p.meeting,
            "no_quorum": p.meeting + 12,
            "rejected": p.meeting,
            "manage": p.tasks_at + 1,
            "supervise": p.supervise_at + 9,
            "done": p.close_at,
            "sent_back": p.close_at + 4,
        }[p.fate]
        room = {
            "proposed": (-4, 20),
            "deliberate": (0, 5),
            "voting": (1, 3),
            "manage": (0, max(1, min(p.done) - p.tasks_at - 2)),
            "supervise": (0, 2),
            "sent_back": (0, 8),
        }.get(p.fate, (1, YEAR_DAYS - end))
        ago = end + rng.randint(*room)
        p.raised = self.t.day(max(1, min(ago, YEAR_DAYS)))
        if p.fate == "manage" and rng.random() < 0.4:  # one task overdue today
            p.done = [p.due + 30] * len(p.done)
            p.raised = self.t.day(p.due + rng.randint(2, 6))
        p.ratings = self._ratings(rng, rng.randint(4, 5), p.fate != "sent_back")

    @staticmethod
    def _ratings(rng: random.Random, count: int, content: bool) -> list[tuple[str, str]]:
        """Mostly 满意 and 基本满意, a 不满意 now and then — never enough to send it back; or,
        `content` False, enough 不满意 to send it back."""
        if content:
            ratings = [
                Rating.SATISFIED if rng.random() < 0.75 else Rating.BASICALLY for _ in range(count)
            ]
            if rng.random() < 0.3:
                ratings[-1] = Rating.DISSATISFIED
        else:
            ratings = [Rating.DISSATISFIED] * (count - 2) + [Rating.BASICALLY] * 2
        return [(str(r), rng.choice(d.RATING_NOTES)) for r in ratings]

    def _merge(self, plan: Plan, plans: list[Plan], rng: random.Random) -> None:
        """A similar matter raised soon after an open one of the same community is merged."""
        open_fates = ("voting", "manage", "supervise")
        targets = [
            p for p in plans if p.fate in open_fates and p.cast is plan.cast and p is not plan
        ] or [p for p in plans if p.fate in open_fates and p is not plan]
        target = rng.choice(targets)
        plan.cast, plan.what, plan.into = target.cast, target.what, target.key
        plan.raised = target.raised + dt.timedelta(days=rng.randint(2, 4))

    # --- one matter's script ------------------------------------------------------------------

    def script(self, p: Plan) -> Script:
        t, c, rng = self.t, p.cast, random.Random(f"{p.key}:{p.raised}")
        s = Steps(t, c)
        code, title, description, options, task, department = p.what
        day = p.raised

        def on(offset: float, hour: float) -> dt.datetime:
            return t.at(day + dt.timedelta(days=offset), hour)

        yield on(0, 9 + rng.random() * 8)
        proposer = rng.choice([u.resident_record for u in c.residents])
        raiser = c.collector or c.staff
        matter = services.matter_propose(
            actor=raiser,
            category=code,
            title=title,
            description=description,
            area=c.community,
            resident=proposer,
            channel=MatterChannel.COLLECTOR if c.collector else MatterChannel.STAFF,
        )
        t.matters[p.key] = matter
        supporters = [u for u in c.residents if u.resident_record.pk != proposer.pk]
        for k, user in enumerate(supporters[: p.supporters]):
            yield on(k + 1, 19 + rng.random() * 2)
            services.matter_support(actor=user, matter=matter)
        if rng.random() < 0.5:
            yield on(p.supporters + 1, 10)
            services.opinion_add(actor=raiser, matter=matter, text=rng.choice(d.OPINIONS), name="")
        if p.fate == "proposed":
            return
        if p.fate == "merged":
            yield on(6, 11)
            into = Matter.objects.filter(pk=getattr(t.matters.get(p.into), "pk", None)).first()
            if into is not None and into.stage not in (Stage.DONE, Stage.CLOSED):
                services.matter_merge(
                    actor=c.staff, matter=matter, into=into, note="与社区已受理的事项相同。"
                )
            return
        yield on(p.take_up, 10)
        if p.fate == "dropped":
            services.matter_drop(
                actor=c.staff, matter=matter, reason=rng.choice(d.DROP_REASONS[:3])
            )
            return
        services.matter_take_up(actor=c.staff, matter=matter)
        adviser = c.adviser if code in c.adviser_codes else c.staff
        for k, option in enumerate(options):
            yield on(p.take_up + 2 + k, 16)
            services.option_add(actor=adviser, matter=matter, title=option)
        yield on(p.take_up + 4, 9)
        held = on(p.meeting, 15 if rng.random() < 0.6 else 19)
        meeting = s.meeting(
            matter,
            kind=MeetingKind.PARLOUR if c.adviser else MeetingKind.RESIDENTS_DECIDE,
            title=f"议事会：{title}",
            place=f"{c.community.name}党群服务中心",
            agenda=f"一、通报居民意见；二、讨论方案：{options[0]}或{options[1]}；三、表决。",
            starts_at=held,
            invitees=[
                Invitee(role=AttendeeRole.RESIDENT, resident=proposer),
                *_invitees(c.representatives, AttendeeRole.REPRESENTATIVE),
                *(
                    [Invitee(role=AttendeeRole.DEPARTMENT, organisation=s.organisation(department))]
                    if department
                    else []
                ),
                Invitee(role=AttendeeRole.STAFF, name=c.staff.display_name),
            ],
        )
        if p.fate == "deliberate":
            return
        yield held + dt.timedelta(hours=1.5)
        no_quorum = p.fate == "no_quorum"
        s.roll_and_minutes(
            meeting,
            f"与会居民代表讨论了“{options[0]}”和“{options[1]}”两个方案，"
            + ("因到会人数不足，表决未达法定人数。" if no_quorum else "会后进行表决。"),
            absent=len(c.representatives) // 2 + 1 if no_quorum else rng.choice((0, 0, 1)),
        )
        phone = p.fate == "voting"
        rejected = p.fate == "rejected"
        vote = vote_services.vote_prepare(
            actor=c.staff,
            matter=matter,
            question=f"是否同意“{options[0]}”？" if rejected else f"{title}：采用哪个方案？",
            body=VoterBody.HOUSEHOLDS if phone else VoterBody.REPRESENTATIVES,
            quorum_percent=50,
            majority=Majority.TWO_THIRDS if rejected else Majority.SIMPLE,
            secret=phone,
            method=CastingMethod.PHONE if phone else CastingMethod.SHOW_OF_HANDS,
            closes_at=held + dt.timedelta(days=7 if phone else 0, hours=3),
            choices=[FOR, AGAINST] if rejected else None,
            options=None if rejected else list(matter.options.order_by("order")),
        )
        yield held + dt.timedelta(hours=1.6)
        vote_services.vote_open(actor=c.staff, vote=vote)
        witness = (c.building_heads or c.representatives)[0].name
        yield held + dt.timedelta(hours=1.75)
        if phone:
            voters = [u for u in c.residents if u.username not in DEMO_LOGINS][:4]
            for k, user in enumerate(voters):
                yield held + dt.timedelta(hours=3 + 14 * k)
                choice = vote.options.order_by("order")[0 if k % 4 else 1]
                vote_services.ballot_cast(actor=user, vote=vote, choice=choice)
            return  # still open today
        intended = (
            VoteResult.NO_QUORUM
            if no_quorum
            else VoteResult.FAILED
            if rejected
            else VoteResult.PASSED
        )
        s.show_of_hands(vote, meeting, witness, result=intended)
        yield held + dt.timedelta(hours=1.9)
        vote_services.vote_close(actor=c.staff, vote=vote)
        # The matter goes where the vote took it (the roll of a small community may not allow
        # the outcome planned).
        matter.refresh_from_db()
        if matter.stage == Stage.CLOSED:
            return
        if matter.stage == Stage.DELIBERATE:
            if p.then_drop:
                yield on(p.meeting + 12, 10)
                services.matter_drop(actor=c.staff, matter=matter, reason=d.DROP_REASONS[3])
            return
        yield on(p.tasks_at, 10)
        owner = c.staff.display_name if not department else d.DEPARTMENT_CONTACTS[department]
        tasks = [
            manage_services.task_assign(
                actor=c.staff,
                matter=matter,
                title=task if k == 0 else f"{task}（后续巡查）",
                organisation=s.organisation(department if k == 0 else ""),
                due_on=(day + dt.timedelta(days=p.due)),
                owner_name=owner if k == 0 else c.staff.display_name,
            )
            for k in range(len(p.done))
        ]
        reports = sorted(
            [(p.tasks_at + max(1, (p.done[0] - p.tasks_at) // 2), 0, 50)]
            + [(done, k, 100) for k, done in enumerate(p.done)]
        )
        for offset, k, percent in reports:
            yield on(offset, 17 if percent < 100 else 17.5)
            manage_services.task_report(
                actor=c.staff,
                task=tasks[k],
                text="已全部完成，居民可以查看。" if percent == 100 else "已启动实施，完成约一半。",
                percent=percent,
            )
        yield on(p.supervise_at, 10)
        manage_services.supervision_start(actor=c.staff, matter=matter)
        yield on(p.supervise_at + 2, 9)
        inspector = c.supervisor or c.staff
        manage_services.inspection_record(
            actor=inspector, matter=matter, passed=True, notes="现场查看，已按决定完成。"
        )
        yield on(p.supervise_at + 3, 20)
        s.rate(matter, p.ratings)
        yield on(p.close_at, 10)
        manage_services.rating_close(actor=c.staff, matter=matter)
        if p.fate != "sent_back":
            return
        yield on(p.close_at + 2, 10)
        again = manage_services.task_assign(
            actor=c.staff,
            matter=matter,
            title=f"{task}（整改）",
            organisation=s.organisation(""),
            due_on=day + dt.timedelta(days=p.close_at + 25),
            owner_name=c.staff.display_name,
        )
        yield on(p.close_at + 4, 17)
        manage_services.task_report(
            actor=c.staff, task=again, text="按居民意见重新整改，已完成三成。", percent=30
        )
