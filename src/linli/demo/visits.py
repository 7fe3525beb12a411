"""The five links and a year of visits in the demo district 五联走访.

The five levels of contact assignments come from the places and posts the builder made: each
district leader keeps in touch with the street his post's title names, a district department
with each community, the first secretaries, agency cadres and general-branch secretaries with
villages, each village's party secretary with its party members (the secretary himself with his
grid worker), and each party-member central household 党员中心户 with its run of neighbours. A
handful of party members and households are left unlinked on purpose, so that the gap list
shows what a real district has.

Then a year of visits ending today, such that the source's claim holds — every one of the 277
villages, 65,549 households and 2,271 poor households visited in the past twelve months (and in
the calendar year so far) — with the rhythm of the visit policies (困难户 monthly, 留守老人 every
two weeks, the rest quarterly) and the slack of real life: a few percent of households are
overdue today. About one visit in 25 finds a need; the older ones are mostly resolved. Where the
hall took an application on a visit, the visit and its need are there, handed on to it; and the
community worker's visit to 刘志辉 found his daughter's schooling need.

Written in bulk as the hall's history is (hall.py): `plan_links_and_visits` makes the rows
without writing (so the same seed can be checked to give the same year), `write_plan` inserts
them with core.bulk under one audit record a batch. The visit states and coverage summaries are
then computed by the module's own refresh functions. Deterministic from the seed.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import accumulate

from django.utils import timezone

from linli.accounts.models import User
from linli.core import audit, bulk
from linli.core.choices import AreaKind, AuditAction
from linli.core.models import Area
from linli.core.workdays import WorkCalendar
from linli.hall.choices import ApplicationChannel
from linli.hall.models import Application
from linli.registry import services as registry_services
from linli.registry.figures import LEFT_BEHIND_ELDERLY_TAG, PARTY_MEMBER_TAG, POOR_HOUSEHOLD_TAG
from linli.registry.models import (
    Household,
    HouseholdTag,
    Organisation,
    Post,
    Resident,
    ResidentTag,
    Tag,
)
from linli.visits.choices import LinkLevel, NeedCategory, NeedStatus, PeriodKind, VisitChannel
from linli.visits.models import ContactAssignment, Need, Visit, VisitPolicy

from . import data

LINKED_STREET = re.compile(r"联系(\S+?街道)")
LOAN_ITEM = "助学贷款补助申请"
# How long each rhythm of visits is, in days (the shortest and longest month or quarter).
RHYTHMS = {"fortnight": (14, 14), "month": (28, 31), "quarter": (89, 92)}
# The share of households overdue today, by rhythm.
OVERDUE_SHARE = {"fortnight": 0.05, "month": 0.05, "quarter": 0.035}
# Days a due date can move forward to the next working day (the Spring Festival holiday): a
# household meant to be overdue today is overdue whatever the calendar.
HOLIDAY_SLACK = 9
NEED_RATE = {True: 0.07, False: 0.038}  # a visit finds a need: poor households, the rest
LEADER_VISITS = 18  # a district leader's visits to poor households of his street in a year
DEPARTMENT_VISITS = 6  # a department's visits to households of its community in a year
MEMBER_GAPS = 0.002  # the share of party members left unlinked (at least two)
HOUSEHOLD_GAPS = 0.001  # the share of households left out of the central households' runs

Visitor = tuple  # (account id, name, assignment id, link level, channel table)

ASSIGNMENT_COLUMNS = (
    "id",
    "level",
    "contact_post",
    "contact_organisation",
    "contact_household",
    "contact_resident",
    "contact_account",
    "contact_name",
    "area",
    "resident",
    "household",
    "scope_area",
    "starts_on",
    "ends_on",
    "note",
    "created_by",
    "created_at",
    "version",
)
VISIT_COLUMNS = (
    "id",
    "household",
    "area",
    "visited_on",
    "channel",
    "visitor",
    "visitor_name",
    "assignment",
    "link_level",
    "note",
    "photo",
    "photo_type",
    "created_at",
)
NEED_COLUMNS = (
    "visit",
    "household",
    "category",
    "description",
    "status",
    "application",
    "found_on",
    "closed_on",
    "closing_note",
    "created_at",
    "version",
)


def _table(pairs):
    """A weighted choice table for `_pick`."""
    values, weights = zip(*pairs, strict=True)
    return values, list(accumulate(weights))


def _pick(rng: random.Random, table):
    values, cumulative = table
    return values[bisect_left(cumulative, rng.random() * cumulative[-1])]


CHANNELS = {
    "ordinary": _table(
        [
            (VisitChannel.HOME, 72),
            (VisitChannel.PHONE, 18),
            (VisitChannel.TALK_ROOM, 8),
            (VisitChannel.PARTY_ROOM, 2),
        ]
    ),
    "neighbour": _table(
        [(VisitChannel.HOME, 85), (VisitChannel.PHONE, 10), (VisitChannel.TALK_ROOM, 5)]
    ),
    "party": _table(
        [
            (VisitChannel.HOME, 55),
            (VisitChannel.PARTY_ROOM, 25),
            (VisitChannel.PHONE, 15),
            (VisitChannel.TALK_ROOM, 5),
        ]
    ),
}
NEED_CATEGORIES = _table(data.NEED_WEIGHTS)


def links_since() -> dt.date:
    return dt.date(*data.LINKS_SINCE)


def household_contact_name(head_name: str, number: str) -> str:
    """A central household as a contact: its head's name and the household number."""
    return f"{head_name}（{number}）"


def need_category_of(item_code: str) -> str:
    return data.ITEM_NEED_CATEGORIES.get(item_code, NeedCategory.LIVELIHOOD)


def window_start(today: dt.date) -> dt.date:
    """The first day of the twelve months that end today."""
    try:
        return today.replace(year=today.year - 1) + dt.timedelta(days=1)
    except ValueError:  # 29 February
        return today.replace(year=today.year - 1, day=28) + dt.timedelta(days=1)


# --- what there is ---------------------------------------------------------------------------


@dataclass(slots=True)
class Home:
    """What the visits need to know of a household."""

    pk: int
    area_id: int
    number: str
    head_id: int | None
    village_id: int = 0
    rhythm: str = "quarter"
    poor: bool = False
    party_members: list[int] = field(default_factory=list)


class District:
    """The demo district's places, households, posts and organisations, read once: 峡山区's
    (the city around it holds other districts, which the five links here do not reach)."""

    def __init__(self):
        self.path = Area.objects.get(kind=AreaKind.DISTRICT, code=data.DISTRICT_CODE).path
        areas = list(
            Area.objects.order_by("pk").values_list("pk", "parent_id", "kind", "name", "path")
        )
        self.parent = {pk: parent for pk, parent, _kind, _name, _path in areas}
        self.kind = {pk: kind for pk, _parent, kind, _name, _path in areas}
        self.area = {
            name: pk for pk, _parent, _kind, name, path in areas if path.startswith(self.path)
        }
        self.orgs = dict(Organisation.objects.values_list("name", "pk"))
        self.posts = list(
            Post.objects.filter(ends_on__isnull=True, area__path__startswith=self.path)
            .order_by("pk")
            .values(
                "pk",
                "kind",
                "title",
                "holder_name",
                "holder_id",
                "account_id",
                "area_id",
                "organisation_id",
                "starts_on",
            )
        )
        self.users = dict(User.objects.values_list("username", "pk"))
        self.homes = self._homes()
        self.by_number = {h.number: h for h in self.homes}
        self.by_pk = {h.pk: h for h in self.homes}
        self.heads = {
            pk: (name, account)
            for pk, name, account in Resident.objects.filter(relation="head").values_list(
                "pk", "name", "account_id"
            )
        }
        named = Resident.objects.filter(name__in=[p.name for p in data.NAMED_RESIDENTS])
        self.named = set(named.values_list("household_id", flat=True))

    def up(self, area_id: int | None, kind: str) -> int | None:
        while area_id is not None and self.kind[area_id] != kind:
            area_id = self.parent[area_id]
        return area_id

    def villages_of(self, community: data.CommunityData) -> list[int]:
        return [self.area[name] for name in community.villages]

    def _homes(self) -> list[Home]:
        rows = (
            Household.objects.filter(area__path__startswith=self.path)
            .order_by("pk")
            .values_list("pk", "area_id", "number", "head_id")
        )
        homes = [Home(pk, area_id, number, head_id) for pk, area_id, number, head_id in rows]
        for home in homes:
            home.village_id = self.up(home.area_id, "village")
        by_pk = {h.pk: h for h in homes}
        poor = HouseholdTag.objects.filter(tag__name=POOR_HOUSEHOLD_TAG)
        for pk in poor.values_list("household_id", flat=True):
            if pk in by_pk:
                by_pk[pk].poor, by_pk[pk].rhythm = True, "month"
        elderly = ResidentTag.objects.filter(tag__name=LEFT_BEHIND_ELDERLY_TAG)
        for pk in elderly.values_list("resident__household_id", flat=True):
            if pk in by_pk:
                by_pk[pk].rhythm = "fortnight"  # the most frequent policy wins
        members = ResidentTag.objects.filter(tag__name=PARTY_MEMBER_TAG).order_by("resident_id")
        for resident_id, pk in members.values_list("resident_id", "resident__household_id"):
            if pk in by_pk:
                by_pk[pk].party_members.append(resident_id)
        return homes


# --- the five links ---------------------------------------------------------------------------


@dataclass
class Contact:
    """Who fulfils an assignment when they visit: the visitor a visit names."""

    account: int | None
    name: str


class Links:
    """The contact assignment rows of the five levels, and who is linked to what. Rows are
    numbered from 0 here; `write_plan` gives them their keys."""

    def __init__(self, district: District, villages, rng: random.Random, today: dt.date):
        self.d, self.villages, self.rng, self.today = district, villages, rng, today
        self.rows: list[list] = []
        self.contacts: list[Contact] = []
        self.street: dict[int, int] = {}  # street → row
        self.community: dict[int, int] = {}  # community → row
        self.village: dict[int, list[int]] = defaultdict(list)  # village → rows
        self.member: dict[int, int] = {}  # party member → row
        self.household: dict[int, int] = {}  # household → row
        self.since = bulk.db_value(links_since())
        self.grid_workers = {p["area_id"]: p for p in self._posts("grid_worker")}
        self.secretaries = self._secretaries()

    def _posts(self, *kinds: str) -> list[dict]:
        return [p for p in self.d.posts if p["kind"] in kinds]

    def _secretaries(self) -> dict[int, dict]:
        """Each village's party secretary (the joint branch's for both of its villages)."""
        by_branch = {p["organisation_id"]: p for p in self._posts("village_branch_secretary")}
        return {
            self.d.area[v.name]: by_branch[self.d.orgs[v.branch]]
            for v in self.villages
            if self.d.orgs.get(v.branch) in by_branch
        }

    def add(
        self,
        level: int,
        contact: tuple,
        target: tuple,
        scope: int,
        who: Contact,
        since,
        *,
        visitor=None,
    ):
        """One assignment: `contact` and `target` are (field, pk); `visitor` is the person who
        visits for the contact, when the contact's name is not a person's."""
        row = [None, level, None, None, None, None, who.account, who.name[:100]]
        row += [None, None, None, scope, since, None, "", None, None, 1]
        row[2 + ("post", "organisation", "household", "resident").index(contact[0])] = contact[1]
        row[8 + ("area", "resident", "household").index(target[0])] = target[1]
        self.rows.append(row)
        self.contacts.append(visitor or who)
        return len(self.rows) - 1

    def _post_since(self, post: dict):
        return bulk.db_value(max(post["starts_on"], links_since()))

    def _by_post(self, level: int, post: dict, area_id: int) -> int:
        who = Contact(post["account_id"], post["holder_name"])
        index = self.add(level, ("post", post["pk"]), ("area", area_id), area_id, who, None)
        self.rows[index][12] = self._post_since(post)
        return index

    def plan(self) -> None:
        self.leaders()
        self.departments()
        self.cadres()
        self.party_members()
        self.central_households()

    def leaders(self) -> None:
        """Level 1: each district leader → the street his title names."""
        for post in self._posts("district_leader"):
            match = LINKED_STREET.search(post["title"])
            street = self.d.area.get(match.group(1)) if match else None
            if street is not None:
                self.street[street] = self._by_post(LinkLevel.DISTRICT_LEADER, post, street)

    def departments(self) -> None:
        """Level 2: the district departments in turn → the 26 communities."""
        communities = [c for s in data.STREETS for c in s.communities]
        for index, community in enumerate(communities):
            _short, name = data.DEPARTMENTS[index % len(data.DEPARTMENTS)]
            area = self.d.area[community.name]
            self.community[area] = self.add(
                LinkLevel.DEPARTMENT,
                ("organisation", self.d.orgs[name]),
                ("area", area),
                area,
                Contact(None, name),
                self.since,
            )

    def cadres(self) -> None:
        """Level 3: every village has a link. First secretaries take their own village, the
        agency cadres of a community its villages in turn, a general-branch secretary the
        community's seat village, civil servants and graduate officials one village of their
        street each, and the demo community worker the villages she visits."""
        for post in self._posts("first_secretary"):
            self.village[post["area_id"]].append(
                self._by_post(LinkLevel.CADRE, post, post["area_id"])
            )
        agency = defaultdict(list)
        for post in self._posts("agency_cadre"):
            agency[post["area_id"]].append(post)
        general = {p["area_id"]: p for p in self._posts("general_branch_secretary")}
        with_secretary = set(self.village)
        for street in data.STREETS:
            street_villages = []
            for community in street.communities:
                area, villages = self.d.area[community.name], self.d.villages_of(community)
                cadres = agency.get(area, [])
                for n, village in enumerate(villages):
                    if cadres:
                        post = cadres[n % len(cadres)]
                        self.village[village].append(self._by_post(LinkLevel.CADRE, post, village))
                if area in general:
                    seat = villages[0]
                    self.village[seat].append(self._by_post(LinkLevel.CADRE, general[area], seat))
                street_villages += [v for v in villages if v not in with_secretary]
            sent = [
                p
                for p in self._posts("civil_servant", "graduate_village_official")
                if p["area_id"] == self.d.area[street.name]
            ]
            for post in sent if street_villages else ():
                village = self.rng.choice(street_villages)
                self.village[village].append(self._by_post(LinkLevel.CADRE, post, village))
        worker = self.d.users.get("community_worker")
        for post in self._posts("hall_staff"):
            if worker is not None and post["account_id"] == worker:
                for name in data.COMMUNITY_WORKER_VILLAGES:
                    village = self.d.area[name]
                    self.village[village].append(self._by_post(LinkLevel.CADRE, post, village))

    def party_members(self) -> None:
        """Level 4: a village's party members → its party secretary; the secretary himself →
        the grid worker of his grid. A few who moved in lately have nobody yet."""
        members = [(m, h) for h in self.d.homes for m in h.party_members]
        holders = {p["holder_id"] for p in self.secretaries.values()}
        ordinary = [m for m, _h in members if m not in holders]
        gaps = set(
            self.rng.sample(
                ordinary, min(len(ordinary), max(2, round(len(ordinary) * MEMBER_GAPS)))
            )
        )
        for member, home in members:
            if member in gaps:
                continue
            post = self.secretaries.get(home.village_id)
            if member in holders or post is None:
                post = self.grid_workers.get(home.area_id)
            if post is None:
                continue
            who = Contact(post["account_id"], post["holder_name"])
            self.member[member] = self.add(
                LinkLevel.VILLAGE_CADRE,
                ("post", post["pk"]),
                ("resident", member),
                home.area_id,
                who,
                self._post_since(post),
            )

    def central_households(self) -> None:
        """Level 5: each central household → its run of neighbours, less a few households
        that moved into a house between two runs."""
        runs = [
            (self.d.by_number[central], [self.d.by_number[n] for n in neighbours])
            for v in self.villages
            for central, neighbours in v.central_households
        ]
        candidates = [h.pk for _c, hs in runs for h in hs if h.pk not in self.d.named]
        count = min(len(candidates), max(2, round(len(self.d.homes) * HOUSEHOLD_GAPS)))
        gaps = set(self.rng.sample(candidates, count))
        for central, neighbours in runs:
            name, account = self.d.heads.get(central.head_id, ("", None))
            who = Contact(account, household_contact_name(name, central.number))
            head = Contact(account, name)
            for home in neighbours:
                if home.pk in gaps:
                    continue
                self.household[home.pk] = self.add(
                    LinkLevel.CENTRAL_HOUSEHOLD,
                    ("household", central.pk),
                    ("household", home.pk),
                    home.area_id,
                    who,
                    self.since,
                    visitor=head,
                )


# --- a year of visits ---------------------------------------------------------------------------


class Year:
    """A year of visits to every household, ending today. Visit and need rows are lists in
    the order of VISIT_COLUMNS and NEED_COLUMNS; until written, a visit's key is None and its
    assignment the index of the assignment row, a need's visit the index of the visit row."""

    def __init__(self, district: District, links: Links, rng: random.Random, today: dt.date):
        self.d, self.links, self.rng, self.today = district, links, rng, today
        self.start = window_start(today)
        self.year_start = dt.date(today.year, 1, 1)
        calendar = WorkCalendar.load(self.start, today)
        days = (self.start + dt.timedelta(days=n) for n in range((today - self.start).days + 1))
        self.working = {day: calendar.is_working_day(day) for day in days}
        self.zone = timezone.get_current_timezone()
        self.now = timezone.now()
        self._stamps: dict[tuple, object] = {}
        self._days: dict[dt.date, str] = {}
        self.visits: list[list] = []
        self.needs: list[list] = []
        self.poor_by_street: dict[int, list[int]] = defaultdict(list)
        self.by_community: dict[int, list[int]] = defaultdict(list)

    def plan(self) -> None:
        late = self._late()
        for home in self.d.homes:
            overdue = home.pk in late or self.rng.random() < OVERDUE_SHARE[home.rhythm]
            self.household(home, overdue)
        self.leaders_and_departments()
        self.applications_on_visits()

    # --- when -----------------------------------------------------------------------------

    def at(self, day: dt.date):
        """A time of day for a visit on `day`, as the database takes it (never in the future)."""
        key = (day, int(self.rng.random() * 18))  # half-hours from 08:30
        stamp = self._stamps.get(key)
        if stamp is None:
            slot = key[1]
            moment = dt.datetime.combine(
                day, dt.time(8 + (slot + 1) // 2, 30 if slot % 2 == 0 else 0), tzinfo=self.zone
            )
            stamp = self._stamps[key] = bulk.db_value(min(moment, self.now))
        return stamp

    def iso(self, day: dt.date) -> str:
        text = self._days.get(day)
        if text is None:
            text = self._days[day] = day.isoformat()
        return text

    def _working(self, day: dt.date) -> dt.date:
        """Most visits fall on working days: a visit drawn on a rest day usually moves to a
        working day up to three days either side."""
        rng = self.rng
        if self.working.get(day, True) or rng.random() < 0.3:
            return day
        for _try in range(4):
            moved = day + dt.timedelta(days=int(rng.random() * 7) - 3)
            if self.working.get(moved, False):
                return moved
        return day

    def schedule(self, home: Home, overdue: bool) -> list[dt.date]:
        """The days `home` was visited, latest first: the last visit within its rhythm of today
        (or past it, when overdue), the earlier ones at its rhythm with some slack."""
        rng = self.rng
        short, long = RHYTHMS[home.rhythm]
        if overdue:
            lag = long + HOLIDAY_SLACK + 1 + int(rng.random() * short / 2)
        else:
            lag = int(rng.random() * (short * 0.9 + 1))
        day = self.today - dt.timedelta(days=lag)
        days = [day]
        while True:
            day -= dt.timedelta(days=round(short * (0.8 + 0.35 * rng.random())))
            if day < self.start:
                break
            days.append(self._working(day))
        if self.today.month > 1 and days[0] < self.year_start:
            # Visited in the calendar year too: the year's coverage is full as well.
            offset = rng.randrange((self.today - self.year_start).days + 1)
            days.insert(0, self.year_start + dt.timedelta(days=offset))
        return days

    def _late(self) -> set[int]:
        """Households overdue whatever the draw, so that even the small build shows it: one
        of the demo grid worker's grid (her list starts with work to do) and one poor
        household."""
        grid = self.d.area.get(data.DEMO_GRID)
        ordinary = [h for h in self.d.homes if h.pk not in self.d.named]
        late = set()
        in_grid = [h for h in ordinary if h.area_id == grid]
        if in_grid:
            late.add(max(in_grid, key=lambda h: h.number).pk)
        poor = [h.pk for h in ordinary if h.poor]
        if poor:
            late.add(poor[0])
        return late

    # --- who --------------------------------------------------------------------------------

    def visitors(self, home: Home):
        """Who visits `home`, with weights: its central household's head (level 5), the party
        secretary (level 4 when a party member lives here), a cadre of the village (level 3),
        and the grid worker for the rest."""
        links, options = self.links, []
        if home.pk in links.household:
            options.append((self._linked(links.household[home.pk], 5, "neighbour"), 40))
        linked = [m for m in home.party_members if m in links.member]
        secretary = links.secretaries.get(home.village_id)
        if linked:
            options.append((self._linked(links.member[linked[0]], 4, "party"), 30))
        elif secretary is not None:
            options.append((self._post(secretary), 10))
        cadres = links.village.get(home.village_id)
        if cadres:
            row = cadres[home.pk % len(cadres)]
            options.append((self._linked(row, 3, "ordinary"), 20 if home.poor else 6))
        worker = links.grid_workers.get(home.area_id) or secretary
        if worker is not None:
            options.append((self._post(worker), max(20, 100 - sum(w for _o, w in options))))
        return _table(options)

    def _linked(self, row: int, level: int, channels: str) -> Visitor:
        contact = self.links.contacts[row]
        return (contact.account, contact.name, row, level, channels)

    @staticmethod
    def _post(post: dict) -> Visitor:
        return (post["account_id"], post["holder_name"], None, None, "ordinary")

    # --- what -------------------------------------------------------------------------------

    def household(self, home: Home, overdue: bool) -> None:
        rng, visitors, notes = self.rng, self.visitors(home), data.VISIT_NOTES
        street = self.d.up(home.village_id, "street")
        community = self.d.parent[home.village_id]
        for day in self.schedule(home, overdue):
            account, name, row, level, channels = _pick(rng, visitors)
            channel = _pick(rng, CHANNELS[channels])
            note = notes[int(rng.random() * len(notes))] if rng.random() < 0.25 else ""
            index = self.visit(home, day, channel, (account, name, row, level), note)
            if rng.random() < NEED_RATE[home.poor]:
                self.need(index, home.pk, day)
            if home.poor:
                self.poor_by_street[street].append(index)
            self.by_community[community].append(index)

    def visit(self, home: Home, day: dt.date, channel: str, visitor: tuple, note: str) -> int:
        """Add a visit row (in VISIT_COLUMNS order; the key and the assignment's key are given
        when written) and return its index."""
        account, name, row, level = visitor
        at, on = self.at(day), self.iso(day)
        self.visits.append(
            [None, home.pk, home.area_id, on, channel, account, name, row, level, note, "", "", at]
        )
        return len(self.visits) - 1

    def need(self, index: int, household: int, day: dt.date, **given) -> None:
        """A need found on visit `index`; given a category, description and application, the
        need the hall's application came from."""
        rng = self.rng
        category = given.get("category") or _pick(rng, NEED_CATEGORIES)
        description = given.get("description") or rng.choice(data.NEED_DESCRIPTIONS[category])
        application = given.get("application")
        status, closed, note = NeedStatus.OPEN, None, ""
        age = (self.today - day).days
        if application is not None:
            status = NeedStatus.FOLLOWING
        elif age > 0:
            resolved, dropped = (
                (0.85, 0.12) if age > 60 else (0.55, 0.1) if age > 20 else (0.15, 0.05)
            )
            draw = rng.random()
            if draw < resolved + dropped:
                closed = day + dt.timedelta(days=rng.randint(1, max(1, min(age, 45))))
                if draw < resolved:
                    status, note = NeedStatus.RESOLVED, rng.choice(data.NEED_RESOLVED_NOTES)
                else:
                    status, note = NeedStatus.CLOSED, rng.choice(data.NEED_CLOSED_NOTES)
        closed = None if closed is None else self.iso(closed)
        at = self.visits[index][12]
        self.needs.append(
            [index, household, category, description, status, application, self.iso(day)]
            + [closed, note, at, 1]
        )

    def leaders_and_departments(self) -> None:
        """Levels 1 and 2 visit too: a district leader some poor households of his street, a
        department some households of its community (their visits replace a drawn one)."""
        rng, links = self.rng, self.links
        for targets, pools, count, level in (
            (links.street, self.poor_by_street, LEADER_VISITS, LinkLevel.DISTRICT_LEADER),
            (links.community, self.by_community, DEPARTMENT_VISITS, LinkLevel.DEPARTMENT),
        ):
            for area, row in targets.items():
                pool = pools.get(area, [])
                contact = links.contacts[row]
                for index in rng.sample(pool, min(count, len(pool))):
                    visit = self.visits[index]
                    visit[4:9] = [VisitChannel.HOME, contact.account, contact.name, row, level]

    def applications_on_visits(self) -> None:
        """The hall's applications taken on a visit: the visit and the need they came from."""
        apps = (
            Application.objects.filter(
                channel=ApplicationChannel.VISIT,
                received_on__gte=self.start,
                received_on__lte=self.today,
            )
            .exclude(household_id__in=self.d.named)
            .order_by("pk")
            .values_list("pk", "household_id", "received_on", "item__code", "item__name")
        )
        for pk, household, day, code, item in apps:
            home = self.d.by_pk[household]
            worker = self.links.grid_workers.get(home.area_id) or self.links.secretaries.get(
                home.village_id
            )
            if worker is None:
                continue
            visitor = (worker["account_id"], worker["holder_name"], None, None)
            index = self.visit(home, day, VisitChannel.HOME, visitor, "")
            self.need(
                index,
                household,
                day,
                category=need_category_of(code),
                description=data.VISIT_APPLICATION_NEED.format(item=item),
                application=pk,
            )


# --- building ------------------------------------------------------------------------------------


@dataclass
class Plan:
    links: Links
    year: Year


def plan_links_and_visits(*, seed: int, today: dt.date, villages) -> Plan:
    """The assignment, visit and need rows for the demo as built (no writes): the same seed,
    day and district give the same rows."""
    rng = random.Random(seed * 13 + 5)
    district = District()
    links = Links(district, villages, rng, today)
    links.plan()
    year = Year(district, links, rng, today)
    year.plan()
    return Plan(links, year)


def prepare(*, seed: int) -> None:
    """What the five links need that the builder did not make: the visit policies and the
    district leaders of the other three streets, through the ordinary audit trail."""
    rng = random.Random(seed * 13 + 3)
    for tag_name, every, unit in data.VISIT_POLICIES:
        tag = Tag.objects.get(name=tag_name) if tag_name else None
        policy = VisitPolicy.objects.create(tag=tag, is_default=tag is None, every=every, unit=unit)
        audit.record_created(actor=None, obj=policy)
    district = Area.objects.get(kind=AreaKind.DISTRICT, code=data.DISTRICT_CODE)
    for holder, title in data.DISTRICT_LEADERS:
        registry_services.post_create(
            actor=None,
            holder_name=holder,
            kind="district_leader",
            title=title,
            area=district,
            starts_on=dt.date(2021, 9, 1) + dt.timedelta(days=rng.randrange(600)),
        )


def write_plan(plan: Plan) -> dict[str, int]:
    """Insert the plan's rows (keys reserved first, so that visits and needs can name them)
    with one audit record for the assignments and one for the visits and needs. The plan's
    rows are given their keys in place: write a plan once."""
    links, year = plan.links, plan.year
    now = bulk.db_value(timezone.now())
    first = bulk.reserve_ids(ContactAssignment, len(links.rows))[0] if links.rows else 0
    assignments = links.rows
    for n, row in enumerate(assignments):
        row[0], row[16] = first + n, now
    base = bulk.reserve_ids(Visit, len(year.visits))[0] if year.visits else 0
    visits = year.visits
    for n, row in enumerate(visits):
        row[0] = base + n
        if row[7] is not None:
            row[7] += first
    needs = year.needs
    for row in needs:
        row[0] += base
    loads = {ContactAssignment: len(assignments), Visit: len(visits), Need: len(needs)}
    with bulk.indexes_rebuilt_after(loads):
        bulk.insert_rows(ContactAssignment, ASSIGNMENT_COLUMNS, assignments)
        bulk.insert_rows(Visit, VISIT_COLUMNS, visits)
        bulk.insert_rows(Need, NEED_COLUMNS, needs)
    bulk.refresh_statistics(loads)
    levels = defaultdict(int)
    for row in links.rows:
        levels[f"level_{row[1]}"] += 1
    audit.record(
        action=AuditAction.IMPORT,
        object_type=audit.object_type_of(ContactAssignment),
        object_repr="demo: the five links",
        changes=dict(levels),
    )
    counts = {"visits": len(visits), "needs": len(needs)}
    audit.record(
        action=AuditAction.IMPORT,
        object_type=audit.object_type_of(Visit),
        object_repr="demo: a year of visits",
        changes=counts,
    )
    return {"assignments": len(assignments), **dict(levels), **counts}


def liu_zhihui_need(*, today: dt.date) -> Need | None:
    """The source's story: the community worker's visit found 刘志辉's schooling need — his
    daughter is in primary school, he is disabled and the family poor. Recorded a working day
    before this year's 助学贷款补助 application was taken and handed on to it; with no such
    application yet, a working day before today, still open (the outreach task has him too)."""
    liu = Resident.objects.select_related("household__area").filter(name=data.LIU_ZHIHUI.name)
    liu, worker = liu.first(), User.objects.filter(username="community_worker").first()
    if liu is None or worker is None:
        return None
    household = liu.household
    application = (
        Application.objects.filter(
            household=household,
            item__name=LOAN_ITEM,
            received_on__gte=dt.date(today.year, 1, 1),
            received_on__lte=today,
        )
        .order_by("-received_on", "-pk")
        .first()
    )
    anchor = application.received_on if application else today
    calendar = WorkCalendar.load(anchor - dt.timedelta(days=30), anchor)
    day = anchor - dt.timedelta(days=1)
    while not calendar.is_working_day(day):
        day -= dt.timedelta(days=1)
    village = household.area.parent if household.area.kind == "grid" else household.area
    assignment = ContactAssignment.objects.filter(
        level=LinkLevel.CADRE, contact_account=worker, area=village, ends_on__isnull=True
    ).first()
    at = dt.datetime.combine(day, dt.time(15, 30), tzinfo=timezone.get_current_timezone())
    visit = Visit.objects.create(
        household=household,
        area=household.area,
        visited_on=day,
        channel=VisitChannel.HOME,
        visitor=worker,
        visitor_name=worker.display_name or worker.username,
        assignment=assignment,
        link_level=assignment.level if assignment else None,
        created_at=at,
    )
    return Need.objects.create(
        visit=visit,
        household=household,
        category=NeedCategory.SCHOOLING,
        description=data.LIU_ZHIHUI_NEED,
        status=NeedStatus.FOLLOWING if application else NeedStatus.OPEN,
        application=application,
        found_on=day,
        created_at=at,
    )


def build_links_and_visits(*, seed: int, today: dt.date, villages) -> dict[str, int]:
    """The five links and a year of visits (see the module's docstring)."""
    prepare(seed=seed)
    counts = write_plan(plan_links_and_visits(seed=seed, today=today, villages=villages))
    liu_zhihui_need(today=today)
    return counts


def refresh_visit_figures(*, today: dt.date) -> dict[str, int]:
    """Each household's visit state, and each village's coverage summaries for the twelve
    months of the overdue trend and the quarter and year running today (what the leader's page
    reads first; other periods are counted live), by the module's own refresh functions — the
    ones the jobs run."""
    from linli.visits.coverage.periods import month_starts
    from linli.visits.coverage.writing import summaries_refresh
    from linli.visits.policies import states_refresh

    states = states_refresh(today=today)
    periods = [(PeriodKind.MONTH, first) for first in month_starts(today, 12)]
    periods += [(PeriodKind.QUARTER, today), (PeriodKind.YEAR, today)]
    return {
        "visit_states": states,
        "coverage_summaries": summaries_refresh(today=today, periods=periods),
    }
