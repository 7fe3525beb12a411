"""Building the demo city: 峡山区's plan, then each step of writing it in its own transaction,
then 奎文区 beside it (urban.py)."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from django.db import transaction

from linli.accounts.models import User
from linli.appeals.models import Agreement, Appeal, AppealCategory, Dispute, ReturnVisit
from linli.core import bulk
from linli.core.choices import AreaKind
from linli.core.models import Area
from linli.decide.models import Commitment, Matter, Vote
from linli.hall.models import Application, OutreachTask, ServiceItem
from linli.registry.models import Household, Organisation, Post, Resident
from linli.visits.models import ContactAssignment, Need, Visit

from .. import data
from ..appeals import build_appeals
from ..catalogue import build_catalogue
from ..decide import build_decide
from ..hall import build_hall_history, seed_outreach
from ..visits import build_links_and_visits, refresh_visit_figures
from .base import SIZES, DemoAlreadyBuilt, DemoError
from .places import PlaceWriter
from .planner import plan_district
from .staff import StaffWriter
from .urban import build_urban


@dataclass
class DemoSummary:
    seed: int
    size: str = "full"
    seconds: float = 0.0
    today: dt.date | None = None  # the day the demo was built for
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step
    counts: dict[str, int] = field(default_factory=dict)
    logins: list[data.DemoLogin] = field(default_factory=list)


def demo_exists() -> bool:
    """Whether the demo is built here: its district 峡山区 is (under the city 潍坊市, or at the
    root of a database built before the city was)."""
    return Area.objects.filter(
        kind=AreaKind.DISTRICT, name=data.DISTRICT_NAME, code=data.DISTRICT_CODE
    ).exists()


def check_can_build() -> None:
    if demo_exists():
        raise DemoAlreadyBuilt("The demo district is already built in this database.")
    if Area.objects.exists() or User.objects.exists():
        raise DemoError(
            "This database already holds areas or users that are not the demo's; "
            "build the demo into an empty database (e.g. another LINLI_DATA_DIR)."
        )


def build_demo(
    *, seed: int = data.DEFAULT_SEED, today: dt.date | None = None, size: str = "full"
) -> DemoSummary:
    """Build the whole demo city — 潍坊市 with 峡山区 in full and 奎文区's 东关街道; refuses a
    database that already holds the demo or anything else. `size` is "full" (the source's figures) or "small".

    Each step is a transaction of its own, and so are the posts of each place: every service
    call is a savepoint, and PostgreSQL slows down quadratically with thousands of savepoints
    that update the same row (the audit chain's head) in one transaction. A build that fails
    half-way leaves part of a district: `linli demo --rebuild` (SQLite) or a fresh database."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, not {size!r}")
    check_can_build()
    summary = DemoSummary(seed=seed, size=size, logins=list(data.DEMO_LOGINS))
    started = last = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal last
        now = time.perf_counter()
        summary.timings[step] = now - last
        last = now

    planner, villages = plan_district(seed=seed, today=today, size=size)
    lap("plan")
    with bulk.collector_paused():
        writer = StaffWriter(planner, seed)
        with transaction.atomic():
            writer.areas(villages)
        with transaction.atomic():
            writer.tags()
            writer.organisations(villages)
        lap("areas and organisations")
        with transaction.atomic():
            build_catalogue(departments=writer.orgs)
        lap("service catalogue")
        with transaction.atomic():
            writer.households(villages)
        lap("households")
        with transaction.atomic():
            writer.logins(villages)
        writer.posts(villages)
        with transaction.atomic():
            writer.staff_accounts(villages)
        with transaction.atomic():
            writer.later_changes()
        lap("logins and posts")
        with transaction.atomic():
            build_hall_history(seed=seed, today=planner.today, users=writer.users)
        lap("service hall history")
        with transaction.atomic():
            seed_outreach(seed=seed, today=planner.today, users=writer.users)
        lap("outreach")
        with transaction.atomic():
            build_links_and_visits(seed=seed, today=planner.today, villages=villages)
        lap("five links and visits")
        with transaction.atomic():
            build_appeals(seed=seed, today=planner.today, small=size == "small")
        lap("appeals")
        build_urban(
            people=planner,
            seed=seed,
            city=writer.areas_by_name[data.CITY_NAME],
            password_hash=writer.users["resident"].password,
        )
        lap("奎文区")
        build_decide(seed=seed, today=planner.today)
        lap("residents decide")
        with transaction.atomic():
            refresh_visit_figures(today=planner.today)
        lap("visit states and coverage")
        bulk.refresh_all_statistics()
        lap("planner statistics")
    summary.today = planner.today
    summary.counts = demo_counts()
    summary.seconds = time.perf_counter() - started
    return summary


def demo_counts() -> dict[str, int]:
    areas = Area.objects.values_list("kind", flat=True)
    kinds = dict.fromkeys(AreaKind.values, 0)
    for kind in areas:
        kinds[kind] += 1
    return {
        "streets": kinds[AreaKind.STREET],
        "communities": kinds[AreaKind.COMMUNITY],
        "villages": kinds[AreaKind.VILLAGE],
        "grids": kinds[AreaKind.GRID],
        "households": Household.objects.count(),
        "residents": Resident.objects.count(),
        "organisations": Organisation.objects.count(),
        "posts": Post.objects.count(),
        "users": User.objects.count(),
        "service_items": ServiceItem.objects.count(),
        "applications": Application.objects.count(),
        "outreach_tasks": OutreachTask.objects.count(),
        "contact_assignments": ContactAssignment.objects.count(),
        "visits": Visit.objects.count(),
        "needs": Need.objects.count(),
        "appeal_categories": AppealCategory.objects.count(),
        "appeals": Appeal.objects.count(),
        "return_visits": ReturnVisit.objects.count(),
        "disputes": Dispute.objects.count(),
        "agreements": Agreement.objects.count(),
        "matters": Matter.objects.count(),
        "votes": Vote.objects.count(),
        "commitments": Commitment.objects.count(),
    }


def build_places(*, seed: int = data.DEFAULT_SEED, today: dt.date | None = None) -> None:
    """Only the demo's area tree and tag vocabularies — an empty register for a whole district
    to be imported into (bench/import_registry.py)."""
    check_can_build()
    planner, villages = plan_district(seed=seed, today=today, size="small")
    writer = PlaceWriter(planner, seed)
    with transaction.atomic():
        writer.areas(villages)
    with transaction.atomic():
        writer.tags()
