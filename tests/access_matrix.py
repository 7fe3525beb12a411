"""The access matrix 访问矩阵: every page URL and every API operation, tried by every role on an
object in its own area, in a sibling area and in the parent area.

This module holds the matrix, its world and its checks; the cases are tried module by module in
tests/<module>/test_access_matrix.py (core, accounts, registry, services, visits, appeals), so
that the test processes share them. tests/core/test_access_matrix.py checks that every case is
tried in exactly one of those files.

The matrix (`PAGES`, `API`) is written by hand: for each URL name (read from the resolver) and
each API operation (read from the OpenAPI document) it says the method, what kind of object the
URL takes and where (path, query string, request body), the permission it needs, the body an
allowed user would send, and what kind of records a list shows. A test fails when the
resolver or the API has a URL or operation the matrix does not list, or the matrix lists one that
is gone.

What each case expects is computed here from the role table (`ROLE_PERMISSIONS`), the grant
areas below and `Area.path` prefixes, not from the application's scoping code. The answers
accepted are kept tight, one status per case:

- allowed (the role holds the permission and the object is inside the area it holds it over)
  → the entry's success status: 200 for a page or a read, 302 after a successful form POST,
  201 for an API create;
- the object is outside what the role may see → 404, on pages and for API path ids alike;
  an out-of-scope reference in an API request body or query (`area`, `household`) → 422
  naming the field; in a page form → 400 (the form only offers choices in scope);
- the object is visible to the role but the action is not granted there → 403;
- a URL that takes no object, to a role without its permission → 403 on pages; API lists
  answer 200 with nothing in them (a list is "what you may see"); a staff page that is closed
  to a role as a whole (the counter, the due list) answers 403 before it looks anything up;
- an id a page carries in a hidden field (the counter's applicant) is looked up like an id in
  the path: 404 outside what the role sees;
- anonymous → 302 to the login page (pages) or 401 (API); public URLs as listed;
- never a 500 (the test client raises on an unhandled error).

Tags (one vocabulary that every staff member sees in the filters), user accounts, API tokens and
grants belong to the whole deployment, not to an area, so there is no scope to hide them in: a
role without the permission gets 403 whichever one it asks for.

Every response a case receives is scanned: it may not contain the id (in a link, an area
choice, an API record) or the number or name of any household, resident, area, organisation or
post outside the role's scope. Area references that are attributes of a visible record (the area
a visible household sits in, its parent shown for context) are part of that record; areas are
checked where they are listed: links, area choices, area lists. The audit trail is the one list
whose scope is the whole deployment (for the auditor, who holds `audit.view` at the top).

List answers are also checked for completeness: a household or resident list shows exactly the
records in scope, so an over-eager filter cannot pass the leak check by showing nothing.

The service hall adds records of its own, each with a scope computed here the same way:

- an application 办件 is seen through `services.view` over its area (or by the resident whose
  household it is), and by an office one of whose steps has reached it (the step was received
  there): a department's staff for their own department, a community worker or street cadre
  for the hall or street office of the area their grant names (see `hall.applications.offices`);
  its page actions need `services.apply` (submit, withdraw; resubmit for staff only; sending
  photos of missing material for the applicant's own household only), `services.handle`
  (reject, complete, guidance, trips) or `services.rate` over the same; a photo of material
  sent for it is seen by whoever sees the application (each look audited);
- a step 环节 of an application's route is the office's: it is in scope for whoever acts at
  that office, once it has reached the office;
- an outreach task 主动服务任务 is seen through `outreach.view` and worked through
  `outreach.work` over its area;
- the catalogue 服务清单 (items, categories) and the working-day calendar belong to the whole
  deployment (`catalogue.manage`, `calendar.manage`); the public catalogue is anyone's, and the
  district departments its routes name are public too.

The applicant, household and offices of an application a role sees are attributes of that
record: a department that sees an application through its step sees who applied. Anything else
outside the role's scope is a leak, application numbers included.

Methods a page or an API path does not list are refused with 405.

The world is built once per test module (each module's file imports `mx`) inside a transaction
that is rolled back at the end; each case runs in a savepoint of its own (pytest-django's `db`),
so writes never leak into later cases.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from _pytest.mark.structures import ParameterSet
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import F, Prefetch
from django.test import Client, override_settings
from django.test.client import ClientHandler
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from linli.accounts import services as account_services
from linli.accounts.models import Grant, User
from linli.accounts.roles import ROLE_PERMISSIONS, Role
from linli.accounts.services import api_token_issue
from linli.api import api
from linli.appeals import services as appeal_services
from linli.appeals.models import Appeal, AppealCategory, AppealPhoto
from linli.appeals.open311 import keys as open311_keys
from linli.core import photos as core_photos
from linli.core import workdays
from linli.core.choices import AuditAction
from linli.core.models import Area, AuditRecord, WorkCalendarDay, WorkCalendarYear
from linli.decide import services as decide_services
from linli.decide.models import Matter, MatterCategory, Meeting
from linli.hall.applications import services as hall_services
from linli.hall.catalogue import services as catalogue
from linli.hall.catalogue.services import MaterialSpec, StepSpec
from linli.hall.models import (
    Application,
    ApplicationStep,
    MaterialPhoto,
    OutreachTask,
    RouteStep,
    ServiceCategory,
    ServiceItem,
)
from linli.hall.outreach import services as outreach
from linli.registry import imports
from linli.registry import services as registry_services
from linli.registry.home import CONTACT_KINDS
from linli.registry.models import Household, Organisation, Post, RegistryImport, Resident
from linli.visits import services as visits_services
from linli.visits.choices import LinkLevel
from linli.visits.models import ContactAssignment, Need, Visit, VisitPolicy

from . import factories as f

PUBLIC = "public"  # anyone, logged in or not
LOGGED_IN = "logged-in"  # any logged-in user
STAFF = "staff"  # any logged-in staff member (one's own API tokens); residents get 403
ANON = "anonymous"
# Objects that belong to the whole deployment rather than to an area: no scope to hide them
# in, so a role without the permission gets 403 whichever one it asks for.
DEPLOYMENT_WIDE = (
    "tag",
    "user",
    "token",
    "own_token",  # the role's own API token (another's is 404: tests/accounts/test_tokens.py)
    "system_account",  # the administrator issues tokens for system accounts only
    "grant",
    "import",
    "item",
    "category",
    "calendar_year",
    "calendar_day",
    "policy",  # a visit policy 走访频次 (visits.policy)
    "appeal_category",  # an appeal category 诉求类别 (appeals.categories)
    "matter_category",  # a matter category 事项类别 (decide.categories)
)
# A page open to whoever sees the object (the application page: its own scope, below).
SEES = "sees"
# A page open to whoever handles the appeal where it waits now (its tier's permission over its
# place, or the department's own staff at the department tier).
HANDLES = "handles"
HANDLE_PERMISSIONS = frozenset(
    {"appeals.village", "appeals.community", "appeals.street", "appeals.department"}
)
ROLES = [r.value for r in Role] + [ANON]
DISTRICT_ROLES = (
    "department_staff",
    "district_leader",
    "administrator",
    "security_officer",
    "auditor",
)
NEW_ID_NUMBER = f.make_id_number(dt.date(2010, 3, 9), male=False, serial=450)
WRITE_ACTIONS = [
    AuditAction.CREATE,
    AuditAction.UPDATE,
    AuditAction.DELETE,
    AuditAction.MOVE,
    AuditAction.REVEAL,
    AuditAction.EXPORT,
    AuditAction.IMPORT,
]

# --- the world ------------------------------------------------------------------------------
#
# 矩阵区 D
# ├── 金街道 S1
# │   ├── 春社区 C1 ─ household HC1 directly on the community
# │   │   ├── 甲村 V1 ─ household HV1 directly on the village
# │   │   │   ├── 东格 G1 ─ HG1 (the resident's own household, 2 members), HG1N (a neighbour)
# │   │   │   └── 西格 G2 ─ HG2
# │   │   └── 乙村 V2 ── 南格 G3 ─ HG3
# │   └── 夏社区 C2 ── 丙村 V3 ── 北格 G4 ─ HG4
# └── 木街道 S2 ── 秋社区 C3 ── 丁村 V4 ── 中格 G5 ─ HG5

AREAS = [  # key, name, kind, parent key
    ("D", "矩阵区", "district", None),
    ("S1", "金街道", "street", "D"),
    ("S2", "木街道", "street", "D"),
    ("C1", "春社区", "community", "S1"),
    ("C2", "夏社区", "community", "S1"),
    ("C3", "秋社区", "community", "S2"),
    ("V1", "甲村", "village", "C1"),
    ("V2", "乙村", "village", "C1"),
    ("V3", "丙村", "village", "C2"),
    ("V4", "丁村", "village", "C3"),
    ("G1", "东格", "grid", "V1"),
    ("G2", "西格", "grid", "V1"),
    ("G3", "南格", "grid", "V2"),
    ("G4", "北格", "grid", "V3"),
    ("G5", "中格", "grid", "V4"),
]
HOUSEHOLDS = [  # key, area key, number, head's name
    ("HG1", "G1", "MX-01", "户主甲"),
    ("HG1N", "G1", "MX-02", "户主乙"),
    ("HG2", "G2", "MX-03", "户主丙"),
    ("HV1", "V1", "MX-04", "户主丁"),
    ("HG3", "G3", "MX-05", "户主戊"),
    ("HC1", "C1", "MX-06", "户主己"),
    ("HG4", "G4", "MX-07", "户主庚"),
    ("HG5", "G5", "MX-08", "户主辛"),
]
ORGANISATIONS = [  # key, name, kind, area key
    ("dept", "矩阵民政局", "department", "D"),
    ("C1", "春社区党总支", "general_party_branch", "C1"),
    ("V1", "甲村党支部", "village_party_branch", "V1"),
    ("V3", "丙村党支部", "village_party_branch", "V3"),
    ("V4", "丁村党支部", "village_party_branch", "V4"),
]
POSTS = [("V1", "书记子"), ("V3", "书记丑"), ("V4", "书记寅")]  # organisation key, holder

# Where each role's grant is. The resident's grant names their village, but a resident's scope
# is their own household only (product.md: "resident — own household").
GRANT_AREA = {
    "resident": "V1",
    "grid_worker": "G1",
    "village_cadre": "V1",
    "community_worker": "C1",
    "street_cadre": "S1",
    "panel_member": "C1",
    "supervision_panel_member": "C1",
    "opinion_collector": "C1",
    **dict.fromkeys(DISTRICT_ROLES, "D"),
}
# own = inside the grant; sibling = in an area with the same parent; parent = the parent area
# itself. District roles have no sibling or parent; their "own" area is a village deep inside
# (the district root itself cannot be moved, which is not what this matrix is about).
AREA_TARGETS = {
    "resident": {"own": "G1", "sibling": "G2", "parent": "V1"},
    "grid_worker": {"own": "G1", "sibling": "G2", "parent": "V1"},
    "village_cadre": {"own": "V1", "sibling": "V2", "parent": "C1"},
    "community_worker": {"own": "C1", "sibling": "C2", "parent": "S1"},
    "panel_member": {"own": "C1", "sibling": "C2", "parent": "S1"},
    "supervision_panel_member": {"own": "C1", "sibling": "C2", "parent": "S1"},
    "opinion_collector": {"own": "C1", "sibling": "C2", "parent": "S1"},
    "street_cadre": {"own": "S1", "sibling": "S2", "parent": "D"},
    **{role: {"own": "V1"} for role in DISTRICT_ROLES},
    ANON: {"own": "G1"},
}
# Households (and their heads, for resident URLs): own = inside the grant (the resident's own
# household), sibling = in a sibling area (the resident's neighbour in the same grid), parent =
# a household attached directly to the parent area. Households sit on communities at most, so
# a community or street grant has no "parent" household.
HOUSEHOLD_TARGETS = {
    "resident": {"own": "HG1", "sibling": "HG1N", "parent": "HV1"},
    "grid_worker": {"own": "HG1", "sibling": "HG2", "parent": "HV1"},
    "village_cadre": {"own": "HV1", "sibling": "HG3", "parent": "HC1"},
    "community_worker": {"own": "HG1", "sibling": "HG4"},
    "panel_member": {"own": "HG1", "sibling": "HG4"},
    "supervision_panel_member": {"own": "HG1", "sibling": "HG4"},
    "opinion_collector": {"own": "HG1", "sibling": "HG4"},
    "street_cadre": {"own": "HG3", "sibling": "HG5"},
    **{role: {"own": "HG5"} for role in DISTRICT_ROLES},
    ANON: {"own": "HG1"},
}

# Organisations, and for post URLs the post at that organisation (keys of ORGANISATIONS and
# POSTS): own = inside the grant, outside = in another community or street, parent = the
# branch of the village around a grid worker's grid. Only village branches hold posts here.
ORGANISATION_TARGETS = {
    "resident": {"own": "V1"},  # the resident's village: a resident sees no organisation
    "grid_worker": {"parent": "V1"},
    "village_cadre": {"own": "V1", "outside": "V3"},
    "community_worker": {"own": "V1", "outside": "V3"},
    "panel_member": {"own": "V1", "outside": "V3"},
    "supervision_panel_member": {"own": "V1", "outside": "V3"},
    "opinion_collector": {"own": "V1", "outside": "V3"},
    "street_cadre": {"own": "V3", "outside": "V4"},
    **{role: {"own": "V4"} for role in DISTRICT_ROLES},
    ANON: {"own": "V1"},
}

# --- the service hall -------------------------------------------------------------------------
#
# Each community has its service hall 便民服务大厅 and each street its office 街道办事处; the
# department 矩阵民政局 approves the last step of the proxy item. Every household has one
# application of each kind below (its head applied), made through the services; four more stop
# at the hall or the street office so that those offices have a step to act on.

OFFICES = [  # key, name, kind, area key, parent office key
    ("S1", "金街道办事处", "street_office", "S1", None),
    ("S2", "木街道办事处", "street_office", "S2", None),
    ("C1", "春社区便民服务大厅", "service_hall", "C1", "S1"),
    ("C2", "夏社区便民服务大厅", "service_hall", "C2", "S1"),
    ("C3", "秋社区便民服务大厅", "service_hall", "C3", "S2"),
]
GUIDED_MATERIALS = ("身份证", "户口本")
APPLICATION_KINDS = (
    "draft",  # a guided item, not submitted yet (submit)
    "returned",  # a guided item returned for the 户口本 (resubmit)
    "guided",  # a guided item waiting at the hall, overdue (reject, guidance, trips)
    "spot",  # an on-the-spot item waiting at the counter (complete)
    "done",  # an on-the-spot item completed, not rated yet (rate)
    "proxy",  # the proxy item at the department's step, overdue there (withdraw; the page)
    "withdrawn",  # the proxy item withdrawn while it was at the hall
)
# Steps (office kind @ household) of the applications above: own = at the office the role acts
# for, sibling = at the same kind of office next door, parent = at the office above; "waiting"
# is a department step that has not reached the department yet.
STEP_TARGETS = {
    "community_worker": {"own": "hall@HG1", "sibling": "hall@HG4", "parent": "street@HG3"},
    "street_cadre": {"own": "street@HG3", "sibling": "street@HG5", "parent": "dept@HG5"},
    "department_staff": {"own": "dept@HG5", "sibling": "hall@HG1", "waiting": "waiting@HG1"},
    **{
        role: {"own": "hall@HG1"}
        for role in (
            "resident",
            "grid_worker",
            "village_cadre",
            "panel_member",
            "supervision_panel_member",
            "opinion_collector",
            "district_leader",
            "administrator",
            "security_officer",
            "auditor",
            ANON,
        )
    },
}
CALENDAR_YEARS = {"open": 2090, "published": 2091}  # far ahead: no deadline reaches them


def _weekday(year: int, month: int, skip: int = 0) -> dt.date:
    """The first weekday of the month, or the `skip`-th after it."""
    day = dt.date(year, month, 1)
    while day.weekday() >= 5 or skip:
        if day.weekday() < 5:
            skip -= 1
        day += dt.timedelta(days=1)
    return day


def _build_catalogue(department: Organisation) -> SimpleNamespace:
    category = catalogue.category_create(actor=None, name="矩阵民政类", sort_order=1)
    common = {"actor": None, "category": category}
    items = {
        "spot": catalogue.item_create(
            code="MX-JZ",
            name="矩阵居住证明",
            mode="on_the_spot",
            time_limit_days=0,
            online=True,
            materials=[MaterialSpec("身份证")],
            **common,
        ),
        "guided": catalogue.item_create(
            code="MX-ZD",
            name="矩阵落户指导",
            mode="guided",
            time_limit_days=2,
            materials=[MaterialSpec(name) for name in GUIDED_MATERIALS],
            **common,
        ),
        "proxy": catalogue.item_create(
            code="MX-DB",
            name="矩阵大病救助",
            mode="proxy",
            time_limit_days=10,
            materials=[MaterialSpec("身份证")],
            route=[
                StepSpec("社区受理", "hall", 1),
                StepSpec("街道审核", "street", 2),
                StepSpec("区民政局审批", "department", 3, department),
            ],
            **common,
        ),
        # Sought out by the grid worker: every head of household of age.
        "outreach": catalogue.item_create(
            code="MX-GL",
            name="矩阵高龄关怀",
            mode="guided",
            time_limit_days=5,
            eligibility={"head": {"age_min": 18}},
            outreach_role="grid_worker",
            **common,
        ),
        "withdrawn": catalogue.item_create(
            code="MX-TB", name="矩阵停办事项", mode="on_the_spot", time_limit_days=0, **common
        ),
    }
    catalogue.item_set_offered(actor=None, item=items["withdrawn"], offered=False)
    return SimpleNamespace(category=category, items=items)


def _finish(step_order: int, application: Application) -> None:
    step = application.steps.get(order=step_order)
    hall_services.step_finish(actor=None, step=step, result="approve", expected_version=None)


def _build_applications(households: dict, items: dict) -> tuple[dict, dict]:
    """The applications of every household, and the steps STEP_TARGETS names."""

    def take(key: str, item: str, materials=(), submit: bool = True) -> Application:
        return hall_services.application_create(
            actor=None,
            resident=households[key].head,
            item=items[item],
            channel="counter",
            materials_received=materials,
            submit=submit,
        )

    applications = {}
    for key in households:
        applications[key, "draft"] = take(key, "guided", GUIDED_MATERIALS, submit=False)
        applications[key, "returned"] = take(key, "guided", ["身份证"])
        applications[key, "guided"] = take(key, "guided", GUIDED_MATERIALS)
        applications[key, "spot"] = take(key, "spot", ["身份证"], submit=False)
        applications[key, "done"] = take(key, "spot", ["身份证"])
        proxy = applications[key, "proxy"] = take(key, "proxy", ["身份证"])
        _finish(1, proxy)
        _finish(2, proxy)
        withdrawn = applications[key, "withdrawn"] = take(key, "proxy", ["身份证"])
        hall_services.application_withdraw(actor=None, application=withdrawn, reason="不办了")
    assert {kind for _key, kind in applications} == set(APPLICATION_KINDS)
    for key in ("HG1", "HG4"):
        applications[key, "at_hall"] = take(key, "proxy", ["身份证"])
    for key in ("HG3", "HG5"):
        applications[key, "at_street"] = take(key, "proxy", ["身份证"])
        _finish(1, applications[key, "at_street"])
    # The services complete an on-the-spot application as soon as its material is in, so one
    # still at the counter (what the complete action is for) is written as such directly.
    today = timezone.localdate()
    Application.objects.filter(pk__in=[applications[k, "spot"].pk for k in households]).update(
        state="submitted", submitted_at=timezone.now(), received_on=today, due_on=today
    )
    # Deadlines already past: the due lists have something to show.
    Application.objects.filter(pk__in=[applications[k, "guided"].pk for k in households]).update(
        due_on=today - dt.timedelta(days=3)
    )
    ApplicationStep.objects.filter(
        application__in=[applications[k, "proxy"].pk for k in households], state="active"
    ).update(due_on=today - dt.timedelta(days=1))

    def step(key: str, kind: str, order: int) -> ApplicationStep:
        return ApplicationStep.objects.get(application=applications[key, kind], order=order)

    steps = {
        "hall@HG1": step("HG1", "at_hall", 1),
        "hall@HG4": step("HG4", "at_hall", 1),
        "street@HG3": step("HG3", "at_street", 2),
        "street@HG5": step("HG5", "at_street", 2),
        "dept@HG5": step("HG5", "proxy", 3),
        "waiting@HG1": step("HG1", "at_hall", 3),
    }
    return applications, steps


MATRIX_PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32


def _build_photos(applications: dict, households: dict) -> dict:
    """A photo of material on each household's proxy application (the department's step has
    reached it), written as the resident's phone would have sent it."""
    photos = {}
    for key in households:
        application = applications[key, "proxy"]
        upload = SimpleUploadedFile("身份证.jpg", MATRIX_PHOTO, content_type="image/jpeg")
        name = core_photos.store_photo(upload, folder=hall_services.PHOTO_DIR, extension="jpg")
        photos[key] = MaterialPhoto.objects.create(
            application=application,
            material=application.materials.get(name="身份证"),
            stored_name=name,
            content_type="image/jpeg",
            size=len(MATRIX_PHOTO),
            digest=f"{key}-matrix",
        )
    return photos


def _build_calendar() -> SimpleNamespace:
    days = {}
    for which, year in CALENDAR_YEARS.items():
        days[which] = workdays.calendar_day_create(
            actor=None, year=year, date=_weekday(year, 10), working=False, name="矩阵节"
        )
    workdays.calendar_year_publish(
        actor=None, year=CALENDAR_YEARS["published"], source="矩阵通知〔2090〕1号"
    )
    return SimpleNamespace(day=days["open"])


def _build_hall(world: SimpleNamespace) -> None:
    for key, name, kind, area_key, parent in OFFICES:
        world.organisations[f"office-{key}"] = registry_services.organisation_create(
            actor=None,
            name=name,
            kind=kind,
            area=world.areas[area_key],
            parent=world.organisations.get(f"office-{parent}"),
        )
    built = _build_catalogue(world.organisations["dept"])
    world.category, world.items = built.category, built.items
    world.applications, world.steps = _build_applications(world.households, world.items)
    world.photos = _build_photos(world.applications, world.households)
    outreach.scan(items=[world.items["outreach"]])
    world.outreach = {
        key: OutreachTask.objects.get(household=household, item=world.items["outreach"])
        for key, household in world.households.items()
    }
    world.calendar = _build_calendar()


def _build_visits(world: SimpleNamespace) -> None:
    """Five links and visits: every household has had one visit that found one need, and is
    kept in touch with by its own head (a central-household link, written directly: the
    matrix is about who sees the link, not about the level rules). A cadre's post in 甲村 is
    there to assign, and one default visit policy to edit."""
    world.visits, world.needs, world.assignments = {}, {}, {}
    for key, household in world.households.items():
        visit = visits_services.visit_record(
            actor=None,
            household=household,
            channel="home",
            needs=[visits_services.NeedInput("other", f"矩阵需求{key}")],
        )
        world.visits[key] = visit
        world.needs[key] = Need.objects.get(visit=visit)
        world.assignments[key] = ContactAssignment.objects.create(
            level=LinkLevel.CENTRAL_HOUSEHOLD,
            contact_household=household,
            contact_name=household.number,
            household=household,
            scope_area=household.area,
            starts_on=dt.date(2024, 1, 1),
        )
    world.cadre_post = registry_services.post_create(
        actor=None,
        holder_name="驻村干部卯",
        kind="other",
        area=world.areas["V1"],
        starts_on=dt.date(2024, 1, 1),
    )
    world.policy = visits_services.policy_save(actor=None, every=3, unit="month", is_default=True)


def _build_appeals(world: SimpleNamespace) -> None:
    """Appeals 诉求: for every household, one raised at its place by its head (waiting at the
    lowest tier there: the village, or the community for a household on the community) with a
    photo, and one settled there, waiting for its return visit. Their category names the
    district department."""
    world.appeal_category = appeal_services.category_create(
        actor=None,
        code="MX-P",
        name="矩阵页面诉求",
        village_days=3,
        community_days=3,
        street_days=3,
        department_days=3,
        department=world.organisations["dept"],
    )
    world.appeals, world.appeals_settled, world.appeal_photos = {}, {}, {}
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
    for key, household in world.households.items():
        world.appeals[key] = _raise_appeal(world, household, f"矩阵诉求{key}", jpeg + key.encode())
        world.appeal_photos[key] = AppealPhoto.objects.get(appeal=world.appeals[key])
        world.appeals_settled[key] = appeal_services.appeal_settle(
            actor=None,
            appeal=_raise_appeal(world, household, f"矩阵已办结{key}"),
            what_was_done="已处理",
        )
    world.open311_key, _secret = open311_keys.key_issue(
        actor=None, account=world.system_account, channel="open311", name="矩阵网关"
    )


def _raise_appeal(world, household: Household, text: str, photo: bytes = b"") -> Appeal:
    return appeal_services.appeal_create(
        actor=None,
        category=world.appeal_category,
        channel="counter",
        area=household.area,
        description=text,
        reporter=household.head,
        photos_sent=[SimpleUploadedFile("现场.jpg", photo)] if photo else [],
    )


def _build_decide(world: SimpleNamespace) -> None:
    """Residents decide 由民做主: for every household, a matter raised at its place on its head's
    behalf (at propose), another like it (what the first may be merged into), and one taken up
    for deliberation with a meeting held yesterday (one invitee, by name)."""
    world.matter_category = decide_services.category_create(
        actor=None, code="MX-M", name="矩阵议事类别"
    )
    world.matters, world.matters_other, world.matters_deliberate = {}, {}, {}
    world.meetings = {}
    for key, household in world.households.items():

        def raise_matter(title: str, household=household) -> Matter:
            return decide_services.matter_propose(
                actor=None,
                category=world.matter_category,
                title=title,
                description=f"{title}的情况",
                area=household.area,
                resident=household.head,
            )

        world.matters[key] = raise_matter(f"矩阵议事{key}")
        world.matters_other[key] = raise_matter(f"矩阵同类议事{key}")
        deliberate = decide_services.matter_take_up(
            actor=None, matter=raise_matter(f"矩阵议事中{key}")
        )
        world.matters_deliberate[key] = deliberate
        world.meetings[key] = decide_services.meeting_arrange(
            actor=None,
            matter=deliberate,
            kind="parlour",
            title=f"矩阵会客厅{key}",
            starts_at=timezone.now() - dt.timedelta(days=1),
            place="社区会客厅",
            agenda="议题",
            invitees=[decide_services.Invitee(role="staff", name="社区干部")],
        )


def _build_world() -> SimpleNamespace:
    areas: dict[str, Area] = {}
    for key, name, kind, parent in AREAS:
        areas[key] = f.area(name, kind, areas.get(parent))
    households: dict[str, Household] = {}
    for n, (key, area_key, number, head) in enumerate(HOUSEHOLDS, start=1):
        households[key] = f.household(
            areas[area_key],
            number,
            head_name=head,
            head_id=f.make_id_number(serial=100 + n),
            mobile=f"1391234{n:04d}",
        )
    registry_services.resident_create(
        actor=None,
        household=households["HG1"],
        name="成员甲",
        id_number=f.make_id_number(male=False, serial=200),
        relation="spouse",
    )
    organisations = {
        key: registry_services.organisation_create(
            actor=None, name=name, kind=kind, area=areas[area_key]
        )
        for key, name, kind, area_key in ORGANISATIONS
    }
    posts = {}
    for org_key, holder in POSTS:
        org = organisations[org_key]
        posts[org_key] = registry_services.post_create(
            actor=None,
            holder_name=holder,
            kind="village_branch_secretary",
            area=org.area,
            organisation=org,
            starts_on=dt.date(2024, 1, 1),
        )
    users = {}
    for role in Role:
        org = organisations["dept"] if role == Role.DEPARTMENT_STAFF else None
        users[role.value] = f.user_with(
            role.value, areas[GRANT_AREA[role.value]], username=f"mx-{role.value}", organisation=org
        )
    person = households["HG1"].head
    person.account = users["resident"]
    person.save(update_fields=["account"])
    issued = {
        role: api_token_issue(actor=None, user=user, name="access matrix")
        for role, user in users.items()
    }
    # A register import per user: the import pages show a user only their own.
    imports_by_role = {role: _import_of(user) for role, user in users.items()}
    world = SimpleNamespace(
        imports=imports_by_role,
        areas=areas,
        households=households,
        users=users,
        tokens={role: key for role, (_, key) in issued.items()},
        token_records={role: token for role, (token, _) in issued.items()},
        system_account=account_services.system_account_create(actor=None, username="mx-gateway"),
        tag=f.tag("矩阵标签"),
        own_household_id=households["HG1"].pk,
        organisations=organisations,
        posts=posts,
    )
    _build_hall(world)
    _build_visits(world)
    _build_appeals(world)
    _build_decide(world)
    _build_decide_board(world)
    return world


@pytest.fixture(scope="module")
def mx(django_db_setup, django_db_blocker):
    """The world, built once for the module and rolled back after it (its photos in a data
    folder of its own)."""
    data_dir = tempfile.TemporaryDirectory()
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        override_settings(DATA_DIR=data_dir.name),
    ):
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            world = _build_world()
        # One request handler for the module's clients: Django's test client otherwise loads
        # the middleware for each new client, WhiteNoise's walk over the static files included
        # (~2 ms a case). Each case still gets a client of its own, with no cookies but its
        # role's session; the handler keeps nothing between requests, as a server's does not.
        world.handler = ClientHandler(enforce_csrf_checks=False)  # as Client() makes it
        world.sessions = {}
        for role, user in world.users.items():
            client = _client(world)
            client.force_login(user)
            world.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
        # The audit trail's changes as built: every case starts from this count.
        world.audit_writes = _audit_writes()
        _WORLD_READS.clear()
        yield world
        _WORLD_READS.clear()
        transaction.set_rollback(True)
    data_dir.cleanup()


# --- scope, computed from the role table and area paths --------------------------------------

FAMILY_VIEW = {
    "area": "area.view",
    "household_area": "area.view",
    "household": "registry.view",
    "resident": "registry.view",
    "organisation": "organisation.view",
    "post": "organisation.view",
    "application": "services.view",
    "photo": "services.view",  # a photo of material: as its application
    "step": "services.step",
    "outreach": "outreach.view",
    "visit": "visits.view",
    "need": "visits.view",
    "assignment": "visits.view",
    "appeal": "appeals.view",
    "vote": "decide.view",  # a vote 表决 (residents decide: votes, below)
    "vote_matter": "decide.view",  # the matter a vote is prepared on
    "matter": "decide.view",
    "meeting": "decide.view",
    # A household one records a visit for: one outside visits.record is not there (404), the
    # registry's view of it notwithstanding.
    "visit_household": "visits.record",
}


def _community_path(area: Area) -> str:
    """The path of the community the area is or lies in (the area's own above one)."""
    if area.kind == "community":
        return area.path
    community = area.ancestors().filter(kind="community").first()
    return community.path if community is not None else area.path


def _path(kind: str, obj) -> str:
    if kind == "matter":
        return obj.area.path
    if kind == "meeting":
        return obj.matter.area.path
    if kind == "appeal_community":  # raising an appeal to a matter: over its community
        return _community_path(obj.area)
    if kind in ("area", "household_area"):
        return obj.path
    if kind in ("household", "visit_household"):
        return obj.area.path
    if kind in ("visit", "need"):
        return obj.household.area.path
    if kind == "appeal":
        return obj.area.path
    if kind == "assignment":
        return obj.scope_area.path
    if kind == "resident":
        return obj.household.area.path
    if kind == "step":
        return obj.application.area.path
    if kind == "appeal_photo":
        return obj.appeal.area.path
    if kind == "vote":
        return obj.matter.area.path
    return obj.area.path  # organisation, matter, post, application, outreach task


def _household_id(kind: str, obj) -> int | None:
    if kind in ("matter", "appeal_community"):
        return obj.household_id
    if kind == "meeting":
        return obj.matter.household_id
    if kind == "household":
        return obj.pk
    if kind in ("resident", "application", "appeal"):
        return obj.household_id
    if kind == "appeal_photo":
        return obj.appeal.household_id
    return None


def acts_at(w, role: str, office: Organisation) -> bool:
    """Whether `role` acts for `office`: a department's own staff (the organisation their
    grant names), or whoever holds `services.step` through a grant on the area of a hall or
    street office."""
    if role == ANON or "services.step" not in ROLE_PERMISSIONS[role]:
        return False
    if role == Role.DEPARTMENT_STAFF and office.pk == w.organisations["dept"].pk:
        return True
    return office.kind != "department" and office.area_id == w.areas[GRANT_AREA[role]].pk


def _reached(step: ApplicationStep) -> bool:
    """The step has arrived at its office (it was received there at some time)."""
    return step.received_at is not None


def covers(w, role: str, perm: str, kind: str, obj) -> bool:
    """Whether `role` holds `perm` over `obj`: a grant area whose path is a prefix of the
    object's, or — for a resident — the object is their own household, one of its members or
    one of its applications. A step is the office's: `services.step` covers it where the role
    acts for its office, once it has reached the office."""
    if role == ANON or perm not in ROLE_PERMISSIONS[role]:
        return False
    if kind == "step" and perm == "services.step":
        return _reached(obj) and acts_at(w, role, obj.organisation)
    if kind == "vote" and role == Role.RESIDENT:
        return vote_resident_covers(w, perm, obj)
    if role == Role.RESIDENT and kind in ("matter", "meeting"):
        return _on_own_board(w, kind, obj)
    if role == Role.RESIDENT:
        return _household_id(kind, obj) == w.own_household_id
    return _path(kind, obj).startswith(w.areas[GRANT_AREA[role]].path)


def _on_own_board(w, kind: str, obj) -> bool:
    """A matter (or its meeting) of the resident's own community: their household's area lies
    under the matter's community (the board 公开栏 shows it them, whatever their grant)."""
    matter = obj.matter if kind == "meeting" else obj
    own = w.households["HG1"].area.path
    return own.startswith(_community_path(matter.area))


def sees(w, role: str, kind: str, obj) -> bool:
    """The kind's view permission over the object; an application also to the offices that one
    of its steps has reached (`obj.steps` with their organisations); a photo of material to
    whoever sees its application."""
    if kind == "photo":
        return sees(w, role, "application", obj.application)
    if kind == "appeal_photo":
        return sees(w, role, "appeal", obj.appeal)
    if kind == "vote" and role == Role.RESIDENT:
        return vote_resident_sees(w, obj)
    if kind == "appeal_community":
        return sees(w, role, "appeal", obj)
    if kind in ("matter", "meeting") and role == Role.RESIDENT:
        return _on_own_board(w, kind, obj)
    if covers(w, role, FAMILY_VIEW[kind], kind, obj):
        return True
    if kind == "appeal":  # a department's staff, once it reached their department
        return role == Role.DEPARTMENT_STAFF and obj.department_id == w.organisations["dept"].pk
    if kind == "application":
        return any(_reached(s) and acts_at(w, role, s.organisation) for s in obj.steps.all())
    return False


def handles(w, role: str, appeal) -> bool:
    """Whether `role` acts on the appeal where it waits: `appeals.<tier>` over its place, or
    the department's own staff at the department tier."""
    if role == ANON:
        return False
    if appeal.tier == "department":
        dept = w.organisations["dept"].pk
        return role == Role.DEPARTMENT_STAFF and appeal.department_id == dept
    return covers(w, role, f"appeals.{appeal.tier}", "appeal", appeal)


def _appeal_queue(w, role, _target):
    running = ("waiting", "taken")
    ids = {a.pk for a in _all("appeal") if a.state in running and handles(w, role, a)}
    return "appeal", ids, True


def _appeals_under(w, role, area):
    ids = {a.pk for a in _all("appeal") if sees(w, role, "appeal", a)}
    return (
        "appeal",
        {a.pk for a in _all("appeal") if a.pk in ids and a.area.path.startswith(area.path)},
        True,
    )


# The API's appeal operations act where the appeal waits: the same rule as the pages'.
APPEAL_HANDLER = HANDLES


MODELS = {
    "area": Area,
    "household": Household,
    "resident": Resident,
    "organisation": Organisation,
    "post": Post,
    "application": Application,
    "step": ApplicationStep,
    "outreach": OutreachTask,
    "item": ServiceItem,
    "category": ServiceCategory,
    "visit": Visit,
    "need": Need,
    "assignment": ContactAssignment,
    "policy": VisitPolicy,
    "appeal": Appeal,
}


# Every case starts from the world as built (the case before it rolled back to it), so the
# read-only cases share one reading of each table, taken once for the module. A case that writes
# reads the tables afresh after its request, into readings of its own that go with it
# (`case_reads`).
_WORLD_READS: dict[str, list] = {}
_case_reads: dict[str, list] | None = None


def _all(kind: str):
    reads = _WORLD_READS if _case_reads is None else _case_reads
    if kind not in reads:
        reads[kind] = _read_all(kind)
    return reads[kind]


_STEPS = Prefetch("steps", queryset=ApplicationStep.objects.select_related("organisation"))


def _read_all(kind: str):
    if kind == "public_department":  # the departments the routes of offered items name
        offered = ServiceItem.objects.filter(active=True).values("current_id")
        return list(
            RouteStep.objects.filter(version_id__in=offered, department__isnull=False)
            .values_list("department_id", flat=True)
            .distinct()
        )
    qs = MODELS[kind].objects.all()
    if kind == "household":
        qs = qs.select_related("area")
    elif kind == "resident":
        qs = qs.select_related("household__area")
    elif kind in ("organisation", "post", "outreach"):
        qs = qs.select_related("area")
    elif kind == "application":
        qs = qs.select_related("area", "hall", "item_version").prefetch_related(_STEPS)
    elif kind == "step":
        qs = qs.select_related("organisation", "application__area")
    elif kind in ("visit", "need"):
        qs = qs.select_related("household__area")
    elif kind == "assignment":
        qs = qs.select_related("scope_area")
    elif kind == "appeal":
        qs = qs.select_related("area").prefetch_related("steps")
    return list(qs)


def in_scope_ids(w, role: str, kind: str, perm: str | None = None) -> set[int]:
    """What `role` sees of `kind` (`perm` None), or holds `perm` over."""
    if perm is None:
        return {obj.pk for obj in _all(kind) if sees(w, role, kind, obj)}
    return {obj.pk for obj in _all(kind) if covers(w, role, perm, kind, obj)}


def attribute_ids(w, role: str, kind: str) -> set[int]:
    """Records of `kind` an answer may show beyond the role's own view of them: the
    applicants, households and offices of the applications it sees, the parent of an
    organisation it sees, and the departments the public catalogue names."""
    if kind == "post":
        return home_contact_ids(w, role, kind)
    if kind not in ("resident", "household", "organisation"):
        return set()
    ids = board_attribute_ids(w, role, kind) | home_contact_ids(w, role, kind)
    if kind == "organisation":
        ids |= set(_all("public_department"))
        seen = in_scope_ids(w, role, "organisation")
        ids |= {o.parent_id for o in _all(kind) if o.pk in seen and o.parent_id}
    if kind == "resident":  # the reporter of an appeal one sees
        ids |= {
            a.reporter_id for a in _all("appeal") if a.reporter_id and sees(w, role, "appeal", a)
        }
    for application in _all("application"):
        if not sees(w, role, "application", application):
            continue
        if kind == "resident":
            ids.add(application.resident_id)
        elif kind == "household":
            ids.add(application.household_id)
        else:
            ids.add(application.hall_id)
            ids |= {s.organisation_id for s in application.steps.all()}
    return ids


def home_contact_ids(w, role: str, kind: str) -> set[int]:
    """Who serves a resident's household, on their home (registry/home.py): the posts held over
    its place or a place above it, their holders, and its community's service hall."""
    if role != Role.RESIDENT:
        return set()
    paths = set(w.households["HG1"].area.ancestor_paths())
    posts = [p for p in _all("post") if p.kind in CONTACT_KINDS and p.area.path in paths]
    if kind == "post":
        return {p.pk for p in posts}
    if kind == "resident":
        return {p.holder_id for p in posts if p.holder_id}
    if kind == "organisation":
        return {
            o.pk
            for o in _all("organisation")
            if o.kind == "service_hall" and o.area.path in paths and o.area.kind == "community"
        }
    return set()


# --- the matrix -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One way of calling a URL. `obj` is the kind of object it takes (None, "area",
    "household_area" — an area that holds households —, "household", "resident",
    "organisation", "post", "tag", "application", "step", "outreach", "item" …), `pick` which
    one of that kind (an application of which kind, a calendar year …), and `via` where it
    goes: "path", "query" (?`param`=), "body", "hidden" (a form's hidden id, or the household
    an API visit names, looked up like a path id) or "filter" (a list's ?`param`= filter).
    `perm` may name two permissions ("a|b": either; "a&b": both), or SEES (whoever sees the
    object)."""

    method: str
    perm: str
    obj: str | None = None
    via: str = "path"
    ok: int = 200
    anon: int | None = None  # for PUBLIC entries: the answer to anonymous visitors
    body: Callable | None = None  # (world, target[, role]) → what an allowed user sends
    lists: str | None = None  # the kind of records the answer lists
    staff_only: bool = False  # a staff page: residents have the portal and their household page
    resident_only: bool = False  # a resident's own page (my applications, applying online)
    writes: bool = False  # an allowed call leaves a create/update/move/reveal in the audit trail
    # What the answer may show, when not each kind's own view scope: {kind or "*": permission}
    leak_perm: tuple[tuple[str, str], ...] = ()
    label: str = ""
    pick: str = ""
    param: str = "area"
    query: tuple[tuple[str, str], ...] = ()  # more of the query string, e.g. a list's filters
    gate: str | None = None  # the permission a page checks before it looks anything up
    role_body: bool = False  # `body` takes the role too (what is sent depends on who sends it)
    expect: Callable | None = None  # (world, role, target) → the list expected, see expected_list
    # (world, role, target, channel) → the status, for a rule that is not a permission over an
    # area (who reads a community's public board); anonymous visitors of a page that is not
    # PUBLIC still get the login page
    status: Callable | None = None

    def __str__(self) -> str:
        return f"{self.method}{'-' + self.label if self.label else ''}"


def _import_of(user) -> RegistryImport:
    """A finished import with one error, its file being the template (no rows)."""
    out = io.BytesIO()
    imports.registry_template(target=out)
    out.seek(0)
    handed_in = imports.import_start(actor=None, source=out, file_name="矩阵.xlsx", queue=False)
    RegistryImport.objects.filter(pk=handed_in.pk).update(
        created_by=user,
        status="rejected",
        errors=[[2, "name", "", "This cell must be filled in.", {}]],
        error_count=1,
    )
    return RegistryImport.objects.get(pk=handed_in.pk)


def _upload(w, _target):
    out = io.BytesIO()
    imports.registry_template(target=out)
    return {"file": SimpleUploadedFile("登记.xlsx", out.getvalue())}


def _area_edit_body(w, area):
    return {"name": f"{area.name}改", "code": ""}


def _household_body(w, household):
    return {
        "area": household.area_id,
        "number": household.number,
        "address": f"{household.address}甲",
        "version": household.version,
    }


def _resident_form(w, person):
    return {
        "name": f"{person.name}改",
        "id_number": "",
        "mobile": "",
        "relation": person.relation,
        "version": person.version,
    }


_NEW_MEMBER = {"name": "新成员", "id_number": NEW_ID_NUMBER, "mobile": "", "relation": "child"}
REVEAL = {"field": "mobile", "reason": "核实身份"}


def _tag_form(w, tag=None):
    return {
        "name": tag.name if tag else "新标签",
        "target": "household",
        "description": "改过的说明",
        "detail_label": "",
        "detail_choices": "",
        "active": "on",
        "sort_order": "100",
    }


def _move_body(w, area):
    return {"parent": w.areas["C2"].pk, "reason": "区划调整"}


def _new_user(w, target):
    password = "Matrix-Pass-2026!x"
    return {
        "username": "mx-new",
        "display_name": "新用户",
        "password": password,
        "password_again": password,
    }


def _password_change(w, _target):
    new = "Matrix-Own-2026!y"
    return {
        "current_password": f.PASSWORD,
        "new_password": new,
        "new_password_again": new,
    }


def _password_reset(w, _target):
    password = "Matrix-Reset-2026!z"
    return {"password": password, "password_again": password}


def _new_grant(w, user):
    return {
        "role": "grid_worker",
        "area": w.areas["G2"].pk,
        "organisation": "",
        "starts_on": timezone.localdate().isoformat(),  # the form's "today" is Shanghai's
        "ends_on": "",
    }


def _new_organisation(w, area):
    return {"name": "新卫生室", "kind": "clinic", "area": area.pk, "parent_organisation": ""}


def _organisation_form(w, org):
    return {
        "name": f"{org.name}改",
        "kind": org.kind,
        "area": org.area_id,
        "parent_organisation": "",
    }


def _new_post(w, area):
    return {
        "holder_name": "新任职者",
        "account": "",
        "kind": "grid_worker",
        "title": "",
        "organisation": "",
        "area": area.pk,
        "starts_on": "2025-03-01",
        "ends_on": "",
    }


def _post_end(w, post):
    return {"ends_on": timezone.localdate().isoformat()}  # the form's "today" is Shanghai's


# --- the service hall's forms ------------------------------------------------------------------


def _version(w, obj):
    return {"version": obj.version}


def _reason(w, application):
    return {"reason": "居民不再需要", "version": application.version}


def _resubmit(w, application):
    return {
        "materials": ["户口本"],
        "note": "",
        "came_in_person": "no",
        "version": application.version,
    }


def _api_resubmit(w, application):
    return {**_resubmit(w, application), "came_in_person": False}


def _hand_in(w, application):
    """A photo of the 户口本 the returned application waits for."""
    book = application.materials.get(name="户口本")
    upload = SimpleUploadedFile("户口本.jpg", MATRIX_PHOTO, content_type="image/jpeg")
    return {f"photo_{book.pk}": upload, "version": application.version}


def _complete(w, application):
    return {"outcome": "证明已开具", "version": application.version}


def _guidance(w, application):
    return {"guidance": "指导到派出所办理", "outcome": "已办妥", "version": application.version}


def _trip(w, application):
    return {
        "on": timezone.localdate().isoformat(),  # the form's "today" is Shanghai's
        "reason": "missing_material",
        "note": "",
        "extra_trip_reason": "补交户口本",
        "version": application.version,
    }


def _rating(w, application, role):
    source = "resident" if role == Role.RESIDENT else "return_call"
    return {"score": "5", "comment": "", "source": source, "version": application.version}


def _counter(w, resident):
    return {
        "resident": resident.pk,
        "item": w.items["spot"].pk,
        "channel": "counter",
        "materials": ["身份证"],
        "outreach": "",
    }


def _online(w, applicant):
    return {"item": w.items["spot"].pk, "applicant": applicant.pk, "materials": ["身份证"]}


def _step_result(w, step):
    return {"result": "approve", "note": "", "version": step.version}


def _outcome(w, task):
    return {"outcome": "contacted", "note": "电话联系过", "version": task.version}


def _reopen(w, task):
    return {"reason": "点错了", "version": task.version}


def _rows(prefix: str, rows: list[dict]) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "40",
    }
    for i, row in enumerate(rows):
        data |= {f"{prefix}-{i}-{name}": value for name, value in row.items()}
    return data


def _new_item(w, _target):
    return {
        "op": "save",
        "code": "MX-XZ",
        "name": "矩阵新事项",
        "category": w.category.pk,
        "mode": "on_the_spot",
        "time_limit_days": "0",
        "description": "",
        "legal_basis": "",
        "sort_order": "100",
        **_rows("materials", [{"name": "身份证", "note": "", "required": "on"}]),
        **_rows("steps", []),
    }


def _item_form(w, item):
    """The item as it is, renamed (its route is empty: the on-the-spot item)."""
    version = item.current
    materials = [
        {"name": m.name, "note": m.note, "required": "on" if m.required else ""}
        for m in version.materials.all()
    ]
    return {
        "op": "save",
        "name": f"{version.name}新",
        "category": version.category_id,
        "mode": version.mode,
        "time_limit_days": str(version.time_limit_days),
        "online": "on" if version.online else "",
        "description": version.description,
        "legal_basis": version.legal_basis,
        "note": "改名",
        "version": str(version.number),
        **_rows("materials", materials),
        **_rows("steps", []),
    }


def _eligibility(w, item):
    """Nobody sought out still, but now by the grid worker: a new version of the item."""
    return {
        "action": "save",
        "combine": "all",
        "outreach_role": "grid_worker",
        "outreach_recent_days": "180",
        "note": "由网格员主动服务",
        "version": str(item.current.number),
        "row-TOTAL_FORMS": "0",
        "row-INITIAL_FORMS": "0",
        "row-MIN_NUM_FORMS": "0",
        "row-MAX_NUM_FORMS": "30",
    }


def _category_form(w, category=None):
    name = f"{category.name}改" if category else "矩阵新类别"
    return {"name": name, "description": "", "sort_order": "100"}


def _new_day(w, _year):
    date = _weekday(CALENDAR_YEARS["open"], 10, skip=1)
    return {"date": date.isoformat(), "kind": "holiday", "name": "矩阵节"}


def _day_form(w, day):
    return {"date": day.date.isoformat(), "kind": "holiday", "name": "矩阵节改"}


def _api_application(w, resident, role):
    """A resident applies online for the online item; staff take it at the counter."""
    channel = "online" if role == Role.RESIDENT else "counter"
    return {
        "resident": resident.pk,
        "item": w.items["spot"].pk,
        "channel": channel,
        "materials": ["身份证"],
    }


def _action_ops(perm: str, pick: str, body, **extra) -> tuple[Op, Op]:
    """An application action page: its form (GET) and doing it (POST)."""
    return (
        Op("GET", perm, obj="application", pick=pick, staff_only=extra.get("staff_only", False)),
        Op("POST", perm, obj="application", pick=pick, ok=302, body=body, writes=True, **extra),
    )


def _api_action(perm: str, pick: str, body=None, ok: int = 200, **extra) -> tuple[Op]:
    return (
        Op(
            "POST",
            perm,
            obj="application",
            pick=pick,
            ok=ok,
            body=body,
            lists="application",
            writes=True,
            **extra,
        ),
    )


# --- five links and visits' forms -----------------------------------------------------------


def _today_iso() -> str:
    return timezone.localdate().isoformat()  # the forms' "today" is Shanghai's


def _visit_form(w, household):
    return {"channel": "home", "visited_on": _today_iso(), "note": ""}


def _need_application(w, need):
    return {
        "item": w.items["spot"].pk,
        "applicant": need.household.head_id,
        "materials": ["身份证"],
    }


def _need_close(w, need):
    return {"outcome": "resolved", "note": "当场解决", "version": need.version}


def _assignment_end(w, assignment):
    return {"ends_on": _today_iso(), "version": assignment.version}


def _policy_form(w, policy=None):
    return {
        "tag": "",
        "is_default": "on",
        "every": "2",
        "unit": "month",
        "active": "on",
        "version": policy.version if policy else "",
    }


def _tag_policy_form(w, _target):
    """A policy for the world's tag (the default policy is there already)."""
    return _policy_form(w) | {"tag": w.tag.pk, "is_default": ""}


def _assignment_form(w, **target):
    """甲村 by the cadre posted there (level 3), from today."""
    return {
        "level": str(LinkLevel.CADRE),
        "contact": f"post:{w.cadre_post.pk}",
        "starts_on": _today_iso(),
        "ends_on": "",
        "note": "",
        **target,
    }


def _api_assignment(w, _target):
    """甲村 by the cadre posted there: a village every role that assigns holds."""
    return {
        "level": LinkLevel.CADRE,
        "contact": {"kind": "post", "id": w.cadre_post.pk},
        "targets": [{"kind": "area", "id": w.areas["V1"].pk}],
        "starts_on": _today_iso(),
    }


# The coverage pages answer for `?area=` (404 outside what the role sees) or the working area.
_VISITS_AREA = {"obj": "area", "via": "query", "label": "area"}


def _coverage_ops(perm: str = "visits.view", method: str = "GET", **extra) -> tuple[Op, Op]:
    return (
        Op(method, perm, staff_only=True, gate="visits.view", **extra),
        Op(method, perm, staff_only=True, gate="visits.view", **_VISITS_AREA, **extra),
    )


def _figures_ops(perm: str, **extra) -> tuple[Op, Op]:
    """A dashboard: `perm` over the working area, or over the area asked for (`?area=`)."""
    gate = {"staff_only": True, "gate": perm, **extra}
    return (
        Op("GET", perm, **gate),
        Op("GET", perm, obj="area", via="query", label="area", **gate),
    )


def _appeal_figures_ops(**extra) -> tuple[Op, Op]:
    return _figures_ops("appeals.view", **extra)


# The export with full numbers 明文导出: a POST stating why, by who may export and reveal there.
_FULL_EXPORT = "registry.export&registry.reveal"


def _full_export(w, _target):
    return {"reason": "核对低保名单"}


# --- appeals' forms ------------------------------------------------------------------------------


def _appeal_version(w, appeal):
    return {"version": appeal.version}


def _appeal_settle(w, appeal):
    return {"version": appeal.version, "what_was_done": "已处理"}


def _appeal_reason(w, appeal):
    return {"version": appeal.version, "reason": "本级解决不了"}


def _appeal_return_visit(w, appeal, role):
    body = {"version": appeal.version, "satisfaction": "satisfied", "note": ""}
    return body if role == Role.RESIDENT else body | {"method": "phone"}


def _appeal_intake(w, area):
    return {
        "channel": "counter",
        "category": w.appeal_category.pk,
        "area": area.pk,
        "address": "",
        "latitude": "",
        "longitude": "",
        "description": "窗口受理的诉求",
        "reporter_kind": "outsider",
        "resident": "",
        "reporter_name": "外来人",
        "reporter_mobile": "13800138000",
    }


def _appeal_raise(w, _target):
    return {"category": w.appeal_category.pk, "description": "手机上反映", "address": ""}


def _need_appeal(w, need):
    return {"category": w.appeal_category.pk, "description": need.description}


def _appeal_category_form(w, category=None):
    return {
        "code": "MX-NEW",
        "name": f"{category.name}改" if category else "新类别",
        "description": "",
        "default_tier": "village",
        "village_days": "4",
        "community_days": "5",
        "street_days": "6",
        "department_days": "7",
        "department": "",
        "public": "",
        "anonymous_allowed": "",
        "sort_order": "9",
        "note": "",
        "version": category.current.number if category else "",
    }


# --- lists the service hall's pages show --------------------------------------------------------

RUNNING = ("submitted", "in_progress")


def _offered_items(w, role, target):
    return "item", {i.pk for i in _all("item") if i.active}, True


def _every_item(w, role, target):
    return "item", {i.pk for i in _all("item")}, True


def _offered_categories(w, role, target):
    return "category", {i.category_id for i in _all("item") if i.active}, True


def _active_steps(w, role, target):
    """The steps at the role's offices waiting for them (the queue 待办)."""
    return (
        "step",
        {s.pk for s in _all("step") if s.state == "active" and acts_at(w, role, s.organisation)},
        True,
    )


def _overdue(w, role: str, scope: str) -> set[int]:
    """Running applications past their deadline or waiting at a step past its own: those of the
    role's area, or those at the role's offices (a step there, or a hall that handles it
    itself)."""
    today = timezone.localdate()

    def late(day) -> bool:
        return day is not None and day < today

    if scope == "area":
        return {
            a.pk
            for a in _all("application")
            if a.state in RUNNING
            and covers(w, role, "services.view", "application", a)
            and (
                late(a.due_on) or any(s.state == "active" and late(s.due_on) for s in a.steps.all())
            )
        }
    at_steps = {
        s.application_id
        for s in _all("step")
        if s.state == "active" and late(s.due_on) and acts_at(w, role, s.organisation)
    }
    at_hall = {
        a.pk
        for a in _all("application")
        if a.state in RUNNING
        and late(a.due_on)
        and a.item_version.mode != "proxy"
        and a.hall is not None
        and acts_at(w, role, a.hall)
    }
    return at_steps | at_hall


def _due(scope: str):
    """The due list's overdue applications for `scope`, or for the first scope the role has
    (mine, office, area) when it does not have that one."""

    def expect(w, role, target):
        perms = ROLE_PERMISSIONS[role]
        scopes = [
            name
            for name, perm in (
                ("mine", "services.apply"),
                ("office", "services.step"),
                ("area", "services.view"),
            )
            if perm in perms
        ]
        chosen = scope if scope in scopes else scopes[0]
        # "mine": taken by the user; the world's applications were taken by no signed-in user.
        ids = set() if chosen == "mine" else _overdue(w, role, chosen)
        return "application", ids, True

    return expect


_EVERY_TASK = (("who", "all"), ("state", "any"))
_OVERDUE = "services.view|services.step"

# The audit trail is the deployment's record: the auditor reads all of it.
AUDIT_SCOPE = (("*", "audit.view"),)
# The grant form offers the areas and organisations a security officer may grant over.
GRANT_SCOPE = (("area", "grants.manage"), ("organisation", "grants.manage"))

# Disputes 矛盾纠纷 (the appeals module): each household's dispute appeal (built by
# tests/appeals/test_access_matrix.py as `dispute_appeals`) waits settled at the village with
# an agreement and its signed scan. A page checks first that the role reads or handles appeals
# at all (`gate`); appeals.view reads a dispute, appeals.village works on it where it waits.
# Settled by its agreement, its mediation forms are no longer offered (GET 404 for the handler)
# and a post is refused: the empty form (400), or the service (409, the mediator's form, whose
# fields are all optional; a mark posted again is told on the page it goes back to: 302).
_APPEALS_GATE = "appeals.view|appeals.village|appeals.community|appeals.street|appeals.department"
_DISPUTE_HANDLER = "appeals.village"


def _dispute_op(method: str, perm: str = _DISPUTE_HANDLER, **options) -> Op:
    return Op(
        method, perm, obj="appeal", pick="dispute", gate=_APPEALS_GATE, staff_only=True, **options
    )


def _reveal_reason(w, target) -> dict:
    return {"reason": "打印协议供双方签字"}


_DISPUTE_PAGES: dict[str, tuple[Op, ...]] = {
    "disputes:dispute": (_dispute_op("GET", "appeals.view"),),
    "disputes:mark": (_dispute_op("POST", ok=302),),
    "disputes:party_add": (_dispute_op("GET", ok=404), _dispute_op("POST", ok=400)),
    "disputes:mediator": (_dispute_op("GET", ok=404), _dispute_op("POST", ok=409)),
    "disputes:session_add": (_dispute_op("GET", ok=404), _dispute_op("POST", ok=400)),
    "disputes:agreement_add": (_dispute_op("GET", ok=404), _dispute_op("POST", ok=400)),
    "disputes:refer": (_dispute_op("GET", ok=404), _dispute_op("POST", ok=400)),
    "disputes:scan_upload": (_dispute_op("GET"), _dispute_op("POST", ok=400)),
    "disputes:check_add": (_dispute_op("GET"), _dispute_op("POST", ok=400)),
    # The A4 agreement: masked for whoever reads the dispute; in full, with a reason, for
    # whoever may reveal there (each reveal audited).
    "disputes:agreement_print": (
        _dispute_op("GET", "appeals.view"),
        _dispute_op("POST", "appeals.view&registry.reveal", body=_reveal_reason, writes=True),
    ),
    # Each look at the signed scan is audited.
    "disputes:scan_file": (_dispute_op("GET", "appeals.view", writes=True),),
    "disputes:checks_due": (
        Op(
            "GET",
            "appeals.village|appeals.community|appeals.street|appeals.department",
            staff_only=True,
        ),
    ),
}


# Residents decide 由民做主 (proposing and deliberating): decide.view reads a matter (a resident:
# the matters of their own community, on the board), decide.manage runs the community's side
# (take up, merge, drop, options, meetings), decide.propose raises one (staff on a resident's
# behalf; a resident their own) and writes down opinions, decide.participate supports,
# decide.categories edits the categories. An appeal is raised to a matter by decide.manage
# over the appeal's community (`appeal_community`).
def _decide_version(w, matter):
    return {"version": matter.version}


def _decide_merge(w, matter):
    key = next(k for k, m in w.matters.items() if m.pk == matter.pk)
    return {"into": w.matters_other[key].pk, "note": "同一件事", "version": matter.version}


def _decide_propose(w, _target, role):
    """Staff raise it at the top of their grant for the resident of HG1 (inside it for every
    role that may); a resident for themselves."""
    body = {"category": w.matter_category.pk, "title": "矩阵提事", "description": "矩阵提事说明"}
    if role not in GRANT_AREA or role == Role.RESIDENT:
        return body
    return {**body, "area": w.areas[GRANT_AREA[role]].pk, "resident": w.households["HG1"].head_id}


def _decide_meeting(w, _matter):
    return {
        "kind": "parlour",
        "title": "矩阵会议",
        "starts_at": "2090-01-05T15:00",
        "place": "社区会客厅",
        "agenda": "议题",
        "others": "社区干部",
    }


def _decide_category_form(w, category=None):
    return {"code": "MX-NEW", "name": "矩阵新类别", "description": "", "sort_order": 9}


_MANAGE = "decide.manage"
_DELIBERATE = {"obj": "matter", "pick": "deliberate", "label": "deliberate"}
_DECIDE_PAGES: dict[str, tuple[Op, ...]] = {
    "decide:queue": (Op("GET", "decide.manage|decide.advise", staff_only=True),),
    "decide:list": (Op("GET", "decide.view", staff_only=True),),
    "decide:detail": (Op("GET", SEES, obj="matter"),),
    "decide:support": (Op("POST", "decide.participate", obj="matter", ok=302, writes=True),),
    "decide:take_up": (
        Op("GET", _MANAGE, obj="matter"),
        Op("POST", _MANAGE, obj="matter", ok=302, body=_decide_version, writes=True),
    ),
    "decide:drop": (
        Op("GET", _MANAGE, obj="matter"),
        Op(
            "POST",
            _MANAGE,
            obj="matter",
            ok=302,
            body=lambda w, m: {"reason": "已解决", "version": m.version},
            writes=True,
        ),
    ),
    "decide:merge": (
        Op("GET", _MANAGE, obj="matter"),
        Op("POST", _MANAGE, obj="matter", ok=302, body=_decide_merge, writes=True),
    ),
    "decide:opinion_add": (
        Op("GET", "decide.propose", obj="matter", staff_only=True),
        Op(
            "POST",
            "decide.propose",
            obj="matter",
            staff_only=True,
            ok=302,
            body=lambda w, m: {"text": "邻居的意见", "name": ""},
            writes=True,
        ),
    ),
    "decide:option_add": (
        Op("GET", _MANAGE, **_DELIBERATE),
        Op(
            "POST",
            _MANAGE,
            ok=302,
            body=lambda w, m: {"title": "矩阵方案", "description": ""},
            writes=True,
            **_DELIBERATE,
        ),
    ),
    "decide:meeting_arrange": (
        Op("GET", _MANAGE, **_DELIBERATE),
        Op("POST", _MANAGE, ok=302, body=_decide_meeting, writes=True, **_DELIBERATE),
    ),
    "decide:meeting_roll": (
        Op("GET", _MANAGE, obj="meeting"),
        Op("POST", _MANAGE, obj="meeting", ok=302, body=lambda w, m: {}, writes=True),
    ),
    "decide:meeting_minutes": (
        Op("GET", _MANAGE, obj="meeting"),
        Op(
            "POST",
            _MANAGE,
            obj="meeting",
            ok=302,
            body=lambda w, m: {"minutes": "会议纪要"},
            writes=True,
        ),
    ),
    "decide:propose": (
        Op("GET", "decide.propose", staff_only=True),
        Op(
            "POST",
            "decide.propose",
            staff_only=True,
            ok=302,
            body=_decide_propose,
            role_body=True,
            writes=True,
        ),
    ),
    "decide:from_appeal": (
        Op("GET", _MANAGE, obj="appeal_community", gate=_MANAGE),
        Op(
            "POST",
            _MANAGE,
            obj="appeal_community",
            gate=_MANAGE,
            ok=302,
            body=lambda w, a: {
                "category": w.matter_category.pk,
                "title": "诉求转议事",
                "description": "诉求转议事说明",
            },
            writes=True,
        ),
    ),
    "decide:community": (Op("GET", "decide.participate", resident_only=True),),
    "decide:raise": (
        Op("GET", "decide.propose", resident_only=True),
        Op(
            "POST",
            "decide.propose",
            resident_only=True,
            ok=302,
            body=_decide_propose,
            role_body=True,
            writes=True,
        ),
    ),
    "decide:categories": (Op("GET", "decide.categories"),),
    "decide:category_create": (
        Op("GET", "decide.categories"),
        Op("POST", "decide.categories", ok=302, body=_decide_category_form, writes=True),
    ),
    "decide:category_edit": (
        Op("GET", "decide.categories", obj="matter_category"),
        Op(
            "POST",
            "decide.categories",
            obj="matter_category",
            ok=302,
            body=lambda w, c: {"name": "矩阵改名类别", "description": "", "sort_order": 8},
            writes=True,
        ),
    ),
    "decide:category_offer": (
        Op(
            "POST",
            "decide.categories",
            obj="matter_category",
            ok=302,
            body=lambda w, _c: {"offered": "0"},
            writes=True,
        ),
    ),
}


# === residents decide: manage 民主管理, supervise 民主监督 and the boards (decide.board) ==========
#
# For each of 春社区 C1 and 秋社区 C3: a matter at the manage stage with a task for the district
# department (reported 40 %, with a photo), a matter under supervision (its task done, an
# inspection passed, no rating yet), and a party member's commitment with a record; C1 has a
# supervision panel on which the panel member sits. Targets: "own" is C1 (the resident's
# community), "other" C3, for every role.
#
# Who reads a community's board is not a permission over an area: its residents (their own
# household lies in it) and whoever holds decide.view over it; the world's boards are not open
# without login. The department's staff see the tasks given to their department; a task is
# reported on by the community's staff (decide.manage) or the department's; the supervision
# panel's member inspects. The organisations of the tasks and the party members of the
# commitments a role reads are attributes of what it reads.

BOARD_KINDS = ("board", "board_matter", "manage_matter", "board_task", "board_commitment")
BOARD_KINDS += ("decide_photo",)
BOARD_TARGETS = {role: {"own": "C1", "other": "C3"} for role in ROLES}
BOARD_PARTY_MEMBERS = {"C1": "HG1N", "C3": "HG5"}  # whose head is the community's party member


def _build_decide_board(world: SimpleNamespace) -> None:
    from linli.decide.board import services as board_services
    from linli.decide.choices import MatterChannel, PanelKind
    from linli.decide.manage import services as manage_services
    from linli.decide.models import Matter, MatterCategory, Panel, PanelMember
    from linli.decide.services import matter_move
    from linli.registry.figures import PARTY_MEMBER_TAG
    from linli.registry.models import ResidentTag

    category = MatterCategory.objects.create(code="MX-D", name="矩阵事项类别")
    party = f.tag(PARTY_MEMBER_TAG, target="resident")
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
    world.board = {}
    for key in ("C1", "C3"):
        community = world.areas[key]
        b = SimpleNamespace(community=community)

        def matter(title: str, actions: tuple[str, ...], key=key, community=community):
            made = Matter.objects.create(
                number=f"MX-{key}-{title}",
                category=category,
                area=community,
                title=f"矩阵事项{key}{title}",
                description="矩阵",
                channel=MatterChannel.STAFF,
            )
            for action in actions:
                made = matter_move(actor=None, matter=made, action=action)
            return made

        to_manage = ("deliberate", "put_to_vote", "decided")
        b.manage_matter = matter("M", to_manage)
        b.task = manage_services.task_assign(
            actor=None,
            matter=b.manage_matter,
            title="矩阵任务",
            organisation=world.organisations["dept"],
            owner_name="科长甲",
            due_on=dt.date(2090, 1, 2),
        )
        report = manage_services.task_report(
            actor=None,
            task=b.task,
            text="矩阵进展",
            percent=40,
            photos_sent=[SimpleUploadedFile("进展.jpg", jpeg + key.encode())],
        )
        b.photo = report.photos.get()
        b.matter = matter("S", to_manage)
        done = manage_services.task_assign(
            actor=None,
            matter=b.matter,
            title="矩阵已完成任务",
            organisation=world.organisations["dept"],
            owner_name="科长甲",
            due_on=dt.date(2090, 1, 2),
        )
        manage_services.task_report(actor=None, task=done, text="完成", percent=100)
        manage_services.supervision_start(actor=None, matter=b.matter)
        manage_services.inspection_record(actor=None, matter=b.matter, passed=True, notes="合格")
        member = world.households[BOARD_PARTY_MEMBERS[key]].head
        ResidentTag.objects.create(resident=member, tag=party)
        b.party_member = member
        b.commitment = board_services.commitment_post(
            actor=None, community=community, resident=member, place="community", text="矩阵承诺"
        )
        board_services.commitment_record(
            actor=None, commitment=b.commitment, text="矩阵践诺", done_on=timezone.localdate()
        )
        world.board[key] = b
    panel = Panel.objects.create(
        area=world.areas["C1"], kind=PanelKind.SUPERVISION, name="矩阵监督团"
    )
    PanelMember.objects.create(panel=panel, name="监督员甲", account=world.users["panel_member"])


def board_target(w, kind: str, key: str):
    from linli.decide.models import Commitment, DecidePhoto, Matter, MatterTask

    b = w.board[key]
    if kind == "board":
        return Area.objects.get(pk=b.community.pk)
    if kind in ("board_matter", "manage_matter"):
        chosen = b.matter if kind == "board_matter" else b.manage_matter
        return Matter.objects.select_related("area").get(pk=chosen.pk)
    if kind == "board_task":
        return MatterTask.objects.select_related("matter__area", "organisation").get(pk=b.task.pk)
    if kind == "board_commitment":
        return Commitment.objects.select_related("area").get(pk=b.commitment.pk)
    return DecidePhoto.objects.select_related("matter__area", "report__task").get(pk=b.photo.pk)


def _board_path(target) -> str:
    """The community a board's target belongs to (they all sit on the community itself)."""
    if isinstance(target, Area):
        return target.path
    if hasattr(target, "matter"):
        return target.matter.area.path
    return target.area.path


def _decide_covers(w, role: str, perm: str, path: str) -> bool:
    """`perm` over the path through a grant (a resident's grant gives no area)."""
    if role in (ANON, Role.RESIDENT) or perm not in ROLE_PERMISSIONS[role]:
        return False
    return path.startswith(w.areas[GRANT_AREA[role]].path)


def _lives_in(w, role: str, path: str) -> bool:
    """The role's own household lies in the community (the resident, in 甲村 under C1)."""
    return role == Role.RESIDENT and w.households["HG1"].area.path.startswith(path)


def reads_board(w, role: str, path: str) -> bool:
    return _lives_in(w, role, path) or _decide_covers(w, role, "decide.view", path)


def _task_of(target):
    return target.report.task if hasattr(target, "report") else target


def sees_task(w, role: str, task) -> bool:
    """decide.view over the task's matter, or the staff of the department it is given to."""
    if _decide_covers(w, role, "decide.view", task.matter.area.path):
        return True
    return (
        role == Role.DEPARTMENT_STAFF
        and "decide.task" in ROLE_PERMISSIONS[role]
        and task.organisation_id == w.organisations["dept"].pk
    )


def _board_read(w, role, target, channel):
    return 200 if reads_board(w, role, _board_path(target)) else 404


def _board_index(w, role, target, channel):
    return 302 if role == Role.RESIDENT else 200  # the resident goes to their own board


def _as_resident(ok: int):
    """A resident of the community rates: others who read the board (or see the matter) 403."""

    def status(w, role, target, channel):
        path = _board_path(target)
        if _lives_in(w, role, path):
            return ok
        return 403 if reads_board(w, role, path) else 404

    return status


def _manage(ok: int, *, reader: bool = False):
    """The community's staff (decide.manage); 403 to one who sees it (decide.view, or reads the
    board where the page starts from the board), 404 otherwise."""

    def status(w, role, target, channel):
        path = _board_path(target)
        if _decide_covers(w, role, "decide.manage", path):
            return ok
        visible = (
            reads_board(w, role, path) if reader else _decide_covers(w, role, "decide.view", path)
        )
        return 403 if visible else 404

    return status


def _record_commitment(ok: int):
    def status(w, role, target, channel):
        path = _board_path(target)
        if not reads_board(w, role, path):
            return 404
        return ok if _decide_covers(w, role, "decide.manage", path) else 403

    return status


def _staff_matter(ok: int, perm: str = "decide.view"):
    """A staff page on a matter: 403 to a role without decide.view (before anything is looked
    up), 404 for a matter outside it, then `perm` over the matter's place."""

    def status(w, role, target, channel):
        if "decide.view" not in ROLE_PERMISSIONS[role] or role == Role.RESIDENT:
            return 403
        path = _board_path(target)
        if not _decide_covers(w, role, "decide.view", path):
            return 404
        return ok if _decide_covers(w, role, perm, path) else 403

    return status


def _inspects(ok: int):
    """The supervision panel's member (who sits on C1's) or the community's staff."""

    def status(w, role, target, channel):
        path = _board_path(target)
        if not _decide_covers(w, role, "decide.view", path):
            return 404
        seat = role == Role.PANEL_MEMBER and path == w.areas["C1"].path
        return ok if seat or _decide_covers(w, role, "decide.manage", path) else 403

    return status


def _task_read(w, role, target, channel):
    return 200 if sees_task(w, role, _task_of(target)) else 404


def _photo_read(w, role, target, channel):
    task = _task_of(target)
    seen = sees_task(w, role, task) or _decide_covers(
        w, role, "decide.view", target.matter.area.path
    )
    return 200 if seen else 404


def _task_report(ok: int):
    def status(w, role, target, channel):
        if not sees_task(w, role, target):
            return 404
        department = role == Role.DEPARTMENT_STAFF and (
            target.organisation_id == w.organisations["dept"].pk
        )
        manages = _decide_covers(w, role, "decide.manage", target.matter.area.path)
        return ok if department or manages else 403

    return status


def board_attribute_ids(w, role: str, kind: str) -> set[int]:
    """The organisations of the tasks a role sees (on the board or the task pages) and the
    party members of the commitments on the boards it reads."""
    ids: set[int] = set()
    if role == ANON:
        return ids
    for b in getattr(w, "board", {}).values():
        path = b.community.path
        if kind == "organisation" and (
            reads_board(w, role, path) or sees_task(w, role, _board_task(b))
        ):
            ids.add(w.organisations["dept"].pk)
        if kind == "resident" and reads_board(w, role, path):
            ids.add(b.party_member.pk)
    return ids


def _board_task(b):
    task = b.task
    task.matter = b.manage_matter
    return task


def _board_rating(w, target) -> dict:
    return {"rating": "satisfied", "note": "矩阵评价"}


def _board_commitment_form(w, community) -> dict:
    key = "C1" if community.pk == w.areas["C1"].pk else "C3"
    return {
        "resident": w.board[key].party_member.pk,
        "place": "community",
        "text": "矩阵新承诺",
        "year": timezone.localdate().year,
    }


_BOARD_READ = {"perm": PUBLIC, "anon": 404, "status": _board_read}
_BOARD_LOGIN = "decide.view|decide.participate|decide.task|decide.manage"

BOARD_PAGES: dict[str, tuple[Op, ...]] = {
    "board:index": (Op("GET", PUBLIC, anon=200, status=_board_index),),
    "board:community": (Op("GET", obj="board", **_BOARD_READ),),
    "board:matter": (Op("GET", obj="board_matter", **_BOARD_READ),),
    "board:notice": (Op("GET", obj="board_matter", **_BOARD_READ),),
    "board:rate": (
        Op("GET", _BOARD_LOGIN, obj="board_matter", status=_as_resident(200)),
        Op(
            "POST",
            _BOARD_LOGIN,
            obj="board_matter",
            ok=302,
            body=_board_rating,
            writes=True,
            status=_as_resident(302),
        ),
    ),
    "board:setting": (
        Op(
            "POST",
            _BOARD_LOGIN,
            obj="board",
            ok=302,
            body=lambda w, a: {"without_login": "on"},
            writes=True,
            status=_manage(302),
        ),
    ),
    "board:commitment_new": (
        Op("GET", _BOARD_LOGIN, obj="board", status=_manage(200, reader=True)),
        Op(
            "POST",
            _BOARD_LOGIN,
            obj="board",
            ok=302,
            body=_board_commitment_form,
            writes=True,
            status=_manage(302, reader=True),
        ),
    ),
    "board:commitment_record": (
        Op("GET", _BOARD_LOGIN, obj="board_commitment", status=_record_commitment(200)),
        Op(
            "POST",
            _BOARD_LOGIN,
            obj="board_commitment",
            ok=302,
            body=lambda w, k: {"text": "矩阵新践诺", "done_on": timezone.localdate().isoformat()},
            writes=True,
            status=_record_commitment(302),
        ),
    ),
    "board:commitment_rate": (
        Op("GET", _BOARD_LOGIN, obj="board_commitment", status=_as_resident(200)),
        Op(
            "POST",
            _BOARD_LOGIN,
            obj="board_commitment",
            ok=302,
            body=_board_rating,
            writes=True,
            status=_as_resident(302),
        ),
    ),
    "matter_tasks:list": (Op("GET", "decide.view|decide.task", staff_only=True),),
    "matter_tasks:detail": (Op("GET", _BOARD_LOGIN, obj="board_task", status=_task_read),),
    "matter_tasks:report": (
        Op("GET", _BOARD_LOGIN, obj="board_task", status=_task_report(200)),
        Op(
            "POST",
            _BOARD_LOGIN,
            obj="board_task",
            ok=302,
            body=lambda w, t: {"percent": 60, "text": "矩阵新进展"},
            writes=True,
            status=_task_report(302),
        ),
    ),
    "matter_tasks:photo": (Op("GET", _BOARD_LOGIN, obj="decide_photo", status=_photo_read),),
    "matter_tasks:matter": (
        Op("GET", "decide.view", obj="manage_matter", status=_staff_matter(200)),
    ),
    "matter_tasks:assign": (
        Op("GET", "decide.view", obj="manage_matter", status=_staff_matter(200, "decide.manage")),
        Op(
            "POST",
            "decide.view",
            obj="manage_matter",
            ok=302,
            body=lambda w, m: {
                "title": "矩阵新任务",
                "organisation": w.organisations["dept"].pk,
                "owner_name": "科长乙",
                "due_on": "2090-02-03",
            },
            writes=True,
            status=_staff_matter(302, "decide.manage"),
        ),
    ),
    # Refused by the service (a task is open; no household has rated): back to the page.
    "matter_tasks:supervise": (
        Op(
            "POST",
            "decide.view",
            obj="manage_matter",
            ok=302,
            status=_staff_matter(302, "decide.manage"),
        ),
    ),
    "matter_tasks:close": (
        Op(
            "POST",
            "decide.view",
            obj="board_matter",
            ok=302,
            status=_staff_matter(302, "decide.manage"),
        ),
    ),
    "matter_tasks:inspect": (
        Op("GET", _BOARD_LOGIN, obj="board_matter", status=_inspects(200)),
        Op(
            "POST",
            _BOARD_LOGIN,
            obj="board_matter",
            ok=302,
            body=lambda w, m: {"passed": "yes", "notes": "矩阵检查"},
            writes=True,
            status=_inspects(302),
        ),
    ),
}

BOARD_API: dict[tuple[str, str], tuple[Op, ...]] = {
    ("GET", "/api/decide/tasks"): (Op("GET", "decide.view|decide.task"),),
    ("GET", "/api/decide/tasks/{id}"): (
        Op("GET", _BOARD_LOGIN, obj="board_task", status=_task_read),
    ),
    ("POST", "/api/decide/tasks/{id}/reports"): (
        Op(
            "POST",
            _BOARD_LOGIN,
            obj="board_task",
            ok=201,
            body=lambda w, t: {"text": "矩阵接口进展", "percent": 70},
            writes=True,
            status=_task_report(201),
        ),
    ),
    ("POST", "/api/decide/tasks/matters/{id}/ratings"): (
        Op(
            "POST",
            _BOARD_LOGIN,
            obj="board_matter",
            ok=201,
            body=_board_rating,
            writes=True,
            status=_as_resident(201),
        ),
    ),
    ("GET", "/api/decide/commitments"): (Op("GET", LOGGED_IN),),
    ("POST", "/api/decide/commitments/{id}/ratings"): (
        Op(
            "POST",
            _BOARD_LOGIN,
            obj="board_commitment",
            ok=201,
            body=_board_rating,
            writes=True,
            status=_as_resident(201),
        ),
    ),
}

# === end of residents decide: manage, supervise and the boards ==================================


PAGES: dict[str, tuple[Op, ...]] = {
    "core:workbench": (Op("GET", LOGGED_IN),),
    "core:area_tree": (
        Op("GET", "area.view", lists="area"),
        Op("GET", "area.view", obj="area", via="query", lists="area", label="area"),
    ),
    "core:area_children": (Op("GET", "area.view", obj="area", lists="area"),),
    "core:area_edit": (
        Op("GET", "area.change", obj="area"),
        Op("POST", "area.change", obj="area", ok=302, body=_area_edit_body, writes=True),
    ),
    "core:area_add": (
        Op("GET", "area.add", obj="area"),
        Op(
            "POST",
            "area.add",
            obj="area",
            ok=302,
            body=lambda w, a: {"name": "新格", "kind": "grid", "code": ""},
            writes=True,
        ),
    ),
    "core:area_move": (
        Op("GET", "area.change", obj="area"),
        Op("POST", "area.change", obj="area", ok=302, body=_move_body, writes=True),
    ),
    "core:area_switch": (Op("GET", "area.view", obj="area", via="query", ok=302),),
    "core:audit_list": (Op("GET", "audit.view", lists="audit", leak_perm=AUDIT_SCOPE),),
    "core:audit_verify": (Op("POST", "audit.view", leak_perm=AUDIT_SCOPE),),
    # Liveness and readiness: anyone (the balancer, systemd), no data, nothing written.
    "core:healthz": (Op("GET", PUBLIC, anon=200, ok=200),),
    "core:readyz": (Op("GET", PUBLIC, anon=200, ok=200),),
    "accounts:login": (
        Op("GET", PUBLIC, anon=200, ok=302),
        Op("POST", PUBLIC, anon=200, ok=302),  # logged in: straight on to the workbench
    ),
    "accounts:logout": (Op("POST", PUBLIC, anon=302, ok=302),),
    # One's own password (everyone) and API tokens (staff).
    "accounts:password_change": (
        Op("GET", LOGGED_IN),
        Op("POST", LOGGED_IN, ok=302, body=_password_change, writes=True),
    ),
    "accounts:own_tokens": (Op("GET", STAFF),),
    "accounts:own_token_issue": (
        Op("POST", STAFF, body=lambda w, _: {"name": "矩阵脚本"}, writes=True),
    ),
    "accounts:own_token_revoke": (Op("POST", STAFF, obj="own_token", ok=302, writes=True),),
    # Accounts belong to the whole deployment, not to an area (三权分立): users and API tokens
    # are the administrator's, grants the security officer's, and so is unlocking.
    "accounts:user_list": (Op("GET", "accounts.manage"),),
    "accounts:user_create": (
        Op("GET", "accounts.manage"),
        Op("POST", "accounts.manage", ok=302, body=_new_user, writes=True),
    ),
    "accounts:system_account_create": (
        Op("GET", "accounts.manage"),
        Op(
            "POST",
            "accounts.manage",
            ok=302,
            body=lambda w, _: {"username": "mx-hotline", "display_name": "12345热线"},
            writes=True,
        ),
    ),
    "accounts:user_detail": (Op("GET", "accounts.manage", obj="user"),),
    "accounts:user_password_reset": (
        Op("POST", "accounts.manage", obj="user", ok=302, body=_password_reset, writes=True),
    ),
    "accounts:user_set_active": (
        Op(
            "POST",
            "accounts.manage",
            obj="user",
            ok=302,
            body=lambda w, u: {"active": "0"},
            writes=True,
        ),
    ),
    "accounts:api_token_issue": (  # a person's own tokens: tests/accounts/test_tokens.py
        Op(
            "POST",
            "accounts.manage",
            obj="system_account",
            body=lambda w, u: {"name": "新令牌", "valid_until": ""},
            writes=True,
        ),
    ),
    "accounts:api_token_revoke": (Op("POST", "accounts.manage", obj="token", ok=302, writes=True),),
    "accounts:grant_user_list": (Op("GET", "grants.manage"),),
    "accounts:user_grants": (
        Op("GET", "grants.manage", obj="user", leak_perm=GRANT_SCOPE),
        Op(
            "POST",
            "grants.manage",
            obj="user",
            ok=302,
            body=_new_grant,
            writes=True,
            leak_perm=GRANT_SCOPE,
        ),
    ),
    "accounts:grant_end": (Op("POST", "grants.manage", obj="grant", ok=302, writes=True),),
    "accounts:locked_list": (Op("GET", "accounts.unlock"),),
    "accounts:account_unlock": (  # nobody is locked here: "was not locked", nothing written
        Op("POST", "accounts.unlock", ok=302, body=lambda w, _: {"username": "mx-grid_worker"}),
    ),
    "core:care_mode": (  # the browser's 关怀模式 cookie, back to the page it came from
        Op("POST", PUBLIC, anon=302, ok=302, body=lambda w, _: {"on": "1", "next": "/"}),
    ),
    "set_language": (
        Op("POST", PUBLIC, anon=302, ok=302, body=lambda w, _: {"language": "en", "next": "/"}),
        Op("GET", PUBLIC, anon=302, ok=302),  # Django's own view: back to where one came from
    ),
    "registry:household_list": (
        Op("GET", "registry.view", lists="household", staff_only=True),
        Op(
            "GET",
            "registry.view",
            obj="area",
            via="filter",
            lists="household",
            staff_only=True,
            label="area",
        ),
    ),
    # Import: a staff page for those who may import; imports are their own (404 otherwise).
    "registry:import": (
        Op("GET", "registry.import", staff_only=True),
        Op("POST", "registry.import", ok=302, body=_upload, staff_only=True),
    ),
    "registry:import_template": (Op("GET", "registry.import", staff_only=True),),
    "registry:import_detail": (Op("GET", "registry.import", obj="import", staff_only=True),),
    "registry:import_errors": (Op("GET", "registry.import", obj="import", staff_only=True),),
    # Export: the working area, or ?area= (404 outside what the role sees, 403 where it sees
    # but may not export). A GET is masked; the export with full numbers is a POST with a
    # reason (the area still in the query string), for who may export and reveal there.
    "registry:export": (
        Op("GET", "registry.export", staff_only=True, writes=True),
        Op(
            "GET",
            "registry.export",
            obj="area",
            via="query",
            staff_only=True,
            writes=True,
            label="area",
        ),
        Op("POST", _FULL_EXPORT, body=_full_export, staff_only=True, writes=True),
        Op(
            "POST",
            _FULL_EXPORT,
            obj="area",
            via="query",
            body=_full_export,
            staff_only=True,
            writes=True,
            label="area",
        ),
    ),
    "registry:household_create": (
        Op("GET", "registry.add", staff_only=True),
        Op(
            "POST",
            "registry.add",
            obj="household_area",
            via="body",
            ok=302,
            body=lambda w, a: {"area": a.pk, "number": "MX-99", "address": "新登记地址"},
            staff_only=True,
            writes=True,
        ),
    ),
    "registry:household_detail": (Op("GET", "registry.view", obj="household"),),
    "registry:household_edit": (
        Op("GET", "registry.change", obj="household"),
        Op("POST", "registry.change", obj="household", ok=302, body=_household_body, writes=True),
    ),
    # Adding a member changes the household: registry.change over the household's area.
    "registry:resident_create": (
        Op("GET", "registry.change", obj="household"),
        Op(
            "POST",
            "registry.change",
            obj="household",
            ok=302,
            body=lambda w, h: _NEW_MEMBER,
            writes=True,
        ),
    ),
    "registry:resident_list": (
        Op("GET", "registry.view", lists="resident", staff_only=True),
        Op(
            "GET",
            "registry.view",
            obj="area",
            via="filter",
            lists="resident",
            staff_only=True,
            label="area",
        ),
    ),
    "registry:resident_edit": (
        Op("GET", "registry.change", obj="resident"),
        Op("POST", "registry.change", obj="resident", ok=302, body=_resident_form, writes=True),
    ),
    "registry:resident_reveal": (
        Op("POST", "registry.reveal", obj="resident", body=lambda w, p: REVEAL, writes=True),
    ),
    # The overview counts within the user's scope; `?area=` is looked up first (404 outside
    # what the role sees), and the drill-down links every child area the role may see.
    "registry:overview": (
        Op("GET", "registry.view", staff_only=True),
        Op(
            "GET",
            "registry.view",
            obj="area",
            via="query",
            lists="area",
            staff_only=True,
            label="area",
        ),
    ),
    "registry:organisation_list": (
        Op("GET", "organisation.view", lists="organisation", staff_only=True),
    ),
    "registry:post_list": (Op("GET", "organisation.view", lists="post", staff_only=True),),
    # Organisations and posts are the administrator's (organisation.change over an area).
    "registry:organisation_create": (
        Op("GET", "organisation.change", staff_only=True),
        Op(
            "POST",
            "organisation.change",
            obj="area",
            via="body",
            ok=302,
            body=_new_organisation,
            staff_only=True,
            writes=True,
        ),
    ),
    "registry:organisation_edit": (
        Op("GET", "organisation.change", obj="organisation"),
        Op(
            "POST",
            "organisation.change",
            obj="organisation",
            ok=302,
            body=_organisation_form,
            writes=True,
        ),
    ),
    "registry:post_create": (
        Op("GET", "organisation.change", staff_only=True),
        Op(
            "POST",
            "organisation.change",
            obj="area",
            via="body",
            ok=302,
            body=_new_post,
            staff_only=True,
            writes=True,
        ),
    ),
    "registry:post_end": (
        Op("GET", "organisation.change", obj="post"),
        Op("POST", "organisation.change", obj="post", ok=302, body=_post_end, writes=True),
    ),
    "registry:tag_list": (Op("GET", "tags.manage"),),
    "registry:tag_create": (
        Op("GET", "tags.manage"),
        Op("POST", "tags.manage", ok=302, body=lambda w, _: _tag_form(w), writes=True),
    ),
    "registry:tag_edit": (
        Op("GET", "tags.manage", obj="tag"),
        Op("POST", "tags.manage", obj="tag", ok=302, body=_tag_form, writes=True),
    ),
    # The working-day calendar belongs to the deployment: calendar.manage or 403.
    "core:calendar_years": (Op("GET", "calendar.manage"),),
    "core:calendar_year": (Op("GET", "calendar.manage", obj="calendar_year", pick="open"),),
    "core:calendar_day_add": (
        Op(
            "POST",
            "calendar.manage",
            obj="calendar_year",
            pick="open",
            ok=302,
            body=_new_day,
            writes=True,
        ),
    ),
    "core:calendar_year_publish": (
        Op(
            "POST",
            "calendar.manage",
            obj="calendar_year",
            pick="open",
            ok=302,
            body=lambda w, y: {"source": "矩阵通知〔2090〕2号"},
            writes=True,
        ),
    ),
    "core:calendar_year_withdraw": (
        Op("POST", "calendar.manage", obj="calendar_year", pick="published", ok=302, writes=True),
    ),
    "core:calendar_day_edit": (
        Op("GET", "calendar.manage", obj="calendar_day"),
        Op("POST", "calendar.manage", obj="calendar_day", ok=302, body=_day_form, writes=True),
    ),
    "core:calendar_day_delete": (
        Op("POST", "calendar.manage", obj="calendar_day", ok=302, writes=True),
    ),
    # The public catalogue: anyone; a withdrawn item is gone for everyone.
    "services:catalogue": (Op("GET", PUBLIC, anon=200, expect=_offered_items),),
    "services:catalogue_item": (
        Op("GET", PUBLIC, obj="item", pick="spot", anon=200),
        Op("GET", PUBLIC, obj="item", pick="withdrawn", ok=404, anon=404, label="withdrawn"),
    ),
    # Its administration belongs to the deployment (catalogue.manage, like tags).
    "services:catalogue_manage": (Op("GET", "catalogue.manage", expect=_every_item),),
    "services:catalogue_item_create": (
        Op("GET", "catalogue.manage"),
        Op("POST", "catalogue.manage", ok=302, body=_new_item, writes=True),
    ),
    "services:catalogue_item_manage": (Op("GET", "catalogue.manage", obj="item", pick="spot"),),
    "services:catalogue_item_edit": (
        Op("GET", "catalogue.manage", obj="item", pick="spot"),
        Op(
            "POST",
            "catalogue.manage",
            obj="item",
            pick="spot",
            ok=302,
            body=_item_form,
            writes=True,
        ),
    ),
    "services:catalogue_item_versions": (Op("GET", "catalogue.manage", obj="item", pick="spot"),),
    "services:catalogue_item_offer": (
        Op(
            "POST",
            "catalogue.manage",
            obj="item",
            pick="spot",
            ok=302,
            body=lambda w, i: {"offered": "0"},
            writes=True,
        ),
    ),
    "services:catalogue_category_list": (Op("GET", "catalogue.manage"),),
    "services:catalogue_category_create": (
        Op("GET", "catalogue.manage"),
        Op("POST", "catalogue.manage", ok=302, body=lambda w, _: _category_form(w), writes=True),
    ),
    "services:catalogue_category_edit": (
        Op("GET", "catalogue.manage", obj="category"),
        Op("POST", "catalogue.manage", obj="category", ok=302, body=_category_form, writes=True),
    ),
    # The counter: staff with services.apply (403 to anyone else before any look-up); the
    # applicant comes from the query string (the search result chosen) or an outreach task.
    "services:counter": (
        Op("GET", "services.apply", staff_only=True),
        Op(
            "GET",
            "services.apply",
            obj="resident",
            via="query",
            param="resident",
            gate="services.apply",
            staff_only=True,
            label="resident",
        ),
        # The roles that take applications are the roles that do outreach (services.apply and
        # outreach.work over the same grant).
        Op(
            "GET",
            "outreach.work",
            obj="outreach",
            via="query",
            param="outreach",
            gate="services.apply",
            staff_only=True,
            label="outreach",
        ),
        Op(
            "POST",
            "services.apply",
            obj="resident",
            via="hidden",
            ok=302,
            body=_counter,
            gate="services.apply",
            staff_only=True,
            writes=True,
        ),
    ),
    "services:application_list": (
        Op("GET", "services.view", lists="application", staff_only=True),
        Op(
            "GET",
            "services.view",
            obj="area",
            via="filter",
            lists="application",
            staff_only=True,
            label="area",
        ),
    ),
    # The application page: whoever sees it (its area, the own household, an office reached).
    "services:application_detail": (
        Op("GET", SEES, obj="application", pick="proxy"),
        Op("GET", SEES, obj="application", pick="withdrawn", label="withdrawn"),
    ),
    "services:application_submit": _action_ops("services.apply", "draft", _version),
    "services:application_resubmit": _action_ops(
        "services.apply", "returned", _resubmit, staff_only=True
    ),
    "services:application_withdraw": _action_ops("services.apply", "proxy", _reason),
    "services:application_reject": _action_ops("services.handle", "guided", _reason),
    "services:application_complete": _action_ops("services.handle", "spot", _complete),
    "services:application_guidance": _action_ops("services.handle", "guided", _guidance),
    "services:trip_record": _action_ops("services.handle", "guided", _trip),
    "services:application_rate": _action_ops("services.rate", "done", _rating, role_body=True),
    # The applicant's household sends photos of what is missing; staff hand in at the counter.
    "services:application_hand_in": (
        Op("GET", "services.apply", obj="application", pick="returned", resident_only=True),
        Op(
            "POST",
            "services.apply",
            obj="application",
            pick="returned",
            resident_only=True,
            ok=302,
            body=_hand_in,
            writes=True,
        ),
    ),
    # Whoever sees the application sees its photos; each look is a reveal in the audit trail.
    "services:material_photo": (Op("GET", SEES, obj="photo", writes=True),),
    "services:step_queue": (Op("GET", "services.step", staff_only=True, expect=_active_steps),),
    "services:step_finish": (
        Op("GET", "services.step", obj="step"),
        Op("POST", "services.step", obj="step", ok=302, body=_step_result, writes=True),
    ),
    "services:due_list": (
        Op("GET", _OVERDUE, staff_only=True, gate=_OVERDUE),
        Op(
            "GET",
            _OVERDUE,
            staff_only=True,
            gate=_OVERDUE,
            query=(("scope", "area"), ("which", "overdue")),
            expect=_due("area"),
            label="area",
        ),
        Op(
            "GET",
            _OVERDUE,
            staff_only=True,
            gate=_OVERDUE,
            query=(("scope", "office"), ("which", "overdue")),
            expect=_due("office"),
            label="office",
        ),
    ),
    "services:my_applications": (
        Op("GET", "services.view", resident_only=True, lists="application"),
    ),
    # A resident applies online for a member of their own household (the form offers no one
    # else: 400 for anyone else).
    "services:apply_online": (
        Op("GET", "services.apply", resident_only=True),
        Op(
            "POST",
            "services.apply",
            obj="resident",
            via="body",
            resident_only=True,
            ok=302,
            body=_online,
            writes=True,
        ),
    ),
    "services:outreach_list": (
        Op("GET", "outreach.view", staff_only=True),
        Op(
            "GET",
            "outreach.view",
            staff_only=True,
            query=_EVERY_TASK,
            lists="outreach",
            label="all",
        ),
        Op(
            "GET",
            "outreach.view",
            obj="area",
            via="filter",
            staff_only=True,
            query=_EVERY_TASK,
            lists="outreach",
            label="area",
        ),
    ),
    "services:outreach_detail": (Op("GET", "outreach.view", obj="outreach"),),
    "services:outreach_outcome": (
        Op("POST", "outreach.work", obj="outreach", ok=302, body=_outcome, writes=True),
    ),
    # A task the household declined a moment ago, reopened as closed by mistake.
    "services:outreach_reopen": (
        Op(
            "POST",
            "outreach.work",
            obj="outreach",
            pick="declined",
            ok=302,
            body=_reopen,
            writes=True,
        ),
    ),
    # The eligibility editor is part of the catalogue's administration.
    "services:outreach_eligibility": (
        Op("GET", "catalogue.manage", obj="item", pick="spot"),
        Op(
            "POST",
            "catalogue.manage",
            obj="item",
            pick="spot",
            ok=302,
            body=_eligibility,
            writes=True,
        ),
    ),
    # The hall dashboard: `?area=` is looked up first (404 outside what the role sees).
    "services:dashboard": (
        Op("GET", "hall.view"),
        Op("GET", "hall.view", obj="area", via="query", label="area"),
    ),
    # The appeals dashboard 诉求统计: appeals.view over the area (`?area=`, 404 outside what
    # the role sees, else the working area); the workbook is masked and recorded as an export.
    "appeals:dashboard": _appeal_figures_ops(),
    "appeals:dashboard_export": _appeal_figures_ops(writes=True),
    # The residents-decide dashboard 由民做主统计: decide.view over the area, like the appeals'.
    "decide_dashboard:dashboard": _figures_ops("decide.view"),
    "decide_dashboard:export": _figures_ops("decide.view", writes=True),
    # Five links and visits 五联与走访: visits.view reads, visits.record records and hands
    # needs on, visits.assign links contacts, visits.policy (the deployment's) sets how often.
    "visits:my_households": (Op("GET", "visits.record", staff_only=True),),
    "visits:visit_create": (
        Op("GET", "visits.record", obj="visit_household"),
        Op(
            "POST",
            "visits.record",
            obj="visit_household",
            ok=302,
            body=_visit_form,
            writes=True,
        ),
    ),
    "visits:visit_detail": (Op("GET", "visits.view", obj="visit"),),
    # No visit of the world has a photo: 404 for whoever sees the visit, too.
    "visits:visit_photo": (Op("GET", "visits.view", obj="visit", ok=404),),
    "visits:visit_list": _coverage_ops(),
    "visits:need_list": (Op("GET", "visits.view", staff_only=True),),
    "visits:need_application": (
        Op("GET", "visits.record&services.apply", obj="need"),
        Op(
            "POST",
            "visits.record&services.apply",
            obj="need",
            ok=302,
            body=_need_application,
            writes=True,
        ),
    ),
    "visits:need_appeal": (
        Op("GET", "visits.record&appeals.report", obj="need"),
        Op(
            "POST",
            "visits.record&appeals.report",
            obj="need",
            ok=302,
            body=_need_appeal,
            writes=True,
        ),
    ),
    "visits:need_close": (
        Op("GET", "visits.record", obj="need"),
        Op("POST", "visits.record", obj="need", ok=302, body=_need_close, writes=True),
    ),
    "visits:overdue": (Op("GET", "visits.view", staff_only=True),),
    "visits:assignment_list": (Op("GET", "visits.view", staff_only=True),),
    "visits:assignment_create": (
        Op("GET", "visits.assign", staff_only=True),
        # A level chosen: the contacts offered. Posts and departments above the user's area
        # are offered at levels 1–3 by design; the world's only such contacts are public
        # (the department the catalogue names) or inside every assigning role's area (the
        # cadre post in 甲村), so the leak scan needs no exception for them here.
        *(
            Op("GET", "visits.assign", staff_only=True, query=(("level", lv),), label=f"level{lv}")
            for lv in ("1", "2", "3")
        ),
        Op(
            "POST",
            "visits.assign",
            ok=302,
            body=lambda w, _: _assignment_form(w, target=f"area:{w.areas['V1'].pk}"),
            staff_only=True,
            writes=True,
        ),
    ),
    "visits:assignment_bulk": (
        Op("GET", "visits.assign", staff_only=True),
        Op(
            "POST",
            "visits.assign",
            ok=302,
            body=lambda w, _: _assignment_form(w, targets=[f"area:{w.areas['V1'].pk}"]),
            staff_only=True,
            writes=True,
        ),
    ),
    "visits:assignment_end": (
        Op("GET", "visits.assign", obj="assignment"),
        Op("POST", "visits.assign", obj="assignment", ok=302, body=_assignment_end, writes=True),
    ),
    "visits:gap_list": (Op("GET", "visits.view", staff_only=True),),
    "visits:policy_list": (Op("GET", "visits.policy"),),
    "visits:policy_create": (
        Op("GET", "visits.policy"),
        Op("POST", "visits.policy", ok=302, body=_tag_policy_form, writes=True),
    ),
    "visits:policy_edit": (
        Op("GET", "visits.policy", obj="policy"),
        Op("POST", "visits.policy", obj="policy", ok=302, body=_policy_form, writes=True),
    ),
    "visits:coverage": _coverage_ops(),
    "visits:coverage_export": _coverage_ops(writes=True),
    "visits:not_reached": _coverage_ops(),
    "visits:not_reached_export": (
        *_coverage_ops("visits.view&registry.export", writes=True),
        *_coverage_ops(f"visits.view&{_FULL_EXPORT}", "POST", body=_full_export, writes=True),
    ),
    # Appeals 诉求: appeals.view reads (a resident: their household's), the tier's permission
    # handles an appeal waiting there (HANDLES), appeals.report records one (a resident: on
    # the phone, in their own name), appeals.return_visit records the return visit,
    # appeals.categories (the deployment's) edits the categories.
    "appeals:queue": (Op("GET", HANDLES, staff_only=True, expect=_appeal_queue),),
    "appeals:list": (
        Op("GET", "appeals.view", staff_only=True, lists="appeal"),
        Op(
            "GET",
            "appeals.view",
            staff_only=True,
            obj="area",
            via="query",
            label="area",
            gate="appeals.view",
            expect=_appeals_under,
        ),
    ),
    "appeals:create": (
        Op("GET", "appeals.report", staff_only=True),
        Op(
            "POST",
            "appeals.report",
            staff_only=True,
            obj="area",
            via="body",
            ok=302,
            body=_appeal_intake,
            writes=True,
        ),
    ),
    "appeals:detail": (Op("GET", SEES, obj="appeal"),),
    "appeals:photo": (Op("GET", SEES, obj="appeal_photo", writes=True),),
    "appeals:take": (
        Op("GET", HANDLES, obj="appeal"),
        Op("POST", HANDLES, obj="appeal", ok=302, body=_appeal_version, writes=True),
    ),
    "appeals:settle": (
        Op("GET", HANDLES, obj="appeal"),
        Op("POST", HANDLES, obj="appeal", ok=302, body=_appeal_settle, writes=True),
    ),
    "appeals:hand_up": (
        Op("GET", HANDLES, obj="appeal"),
        Op("POST", HANDLES, obj="appeal", ok=302, body=_appeal_reason, writes=True),
    ),
    "appeals:send_to_department": (
        Op("GET", HANDLES, obj="appeal"),
        Op("POST", HANDLES, obj="appeal", ok=302, body=_appeal_reason, writes=True),
    ),
    "appeals:return_visit": (
        Op("GET", "appeals.return_visit", obj="appeal", pick="settled", label="settled"),
        Op(
            "POST",
            "appeals.return_visit",
            obj="appeal",
            pick="settled",
            label="settled",
            ok=302,
            body=_appeal_return_visit,
            role_body=True,
            writes=True,
        ),
    ),
    "appeals:mine": (Op("GET", "appeals.view", resident_only=True),),
    "appeals:raise": (
        Op("GET", "appeals.report", resident_only=True),
        Op(
            "POST",
            "appeals.report",
            resident_only=True,
            ok=302,
            body=_appeal_raise,
            writes=True,
        ),
    ),
    "appeals:categories": (Op("GET", "appeals.categories"),),
    "appeals:category_create": (
        Op("GET", "appeals.categories"),
        Op("POST", "appeals.categories", ok=302, body=_appeal_category_form, writes=True),
    ),
    "appeals:category_edit": (
        Op("GET", "appeals.categories", obj="appeal_category"),
        Op(
            "POST",
            "appeals.categories",
            obj="appeal_category",
            ok=302,
            body=_appeal_category_form,
            writes=True,
        ),
    ),
    "appeals:category_offer": (
        Op(
            "POST",
            "appeals.categories",
            obj="appeal_category",
            ok=302,
            body=lambda w, _c: {"offered": "0"},
            writes=True,
        ),
    ),
    **_DISPUTE_PAGES,
    **_DECIDE_PAGES,
    # The API's own pages: the OpenAPI document and its docs are public (they describe the
    # interface, no data); ninja's root answers only in DEBUG, so 404 for everyone.
    "api:openapi-json": (Op("GET", PUBLIC, anon=200, ok=200),),
    "api:openapi-view": (Op("GET", PUBLIC, anon=200, ok=200),),
    "api:api-root": (Op("GET", PUBLIC, anon=404, ok=404),),
    # Open311 keys: the administrator's (accounts.manage), like the system accounts they belong
    # to; a key is shown on the answer that issues it, once.
    "open311_keys:list": (Op("GET", "accounts.manage"),),
    "open311_keys:issue": (
        Op(
            "POST",
            "accounts.manage",
            ok=200,
            body=lambda w, _t: {
                "account": w.system_account.pk,
                "channel": "hotline",
                "name": "12345",
            },
            writes=True,
        ),
    ),
    "open311_keys:revoke": (
        Op(
            "POST",
            "accounts.manage",
            ok=302,
            body=lambda w, _t: {"key": w.open311_key.pk},
            writes=True,
        ),
    ),
}


def _appeal_action(body) -> tuple[Op]:
    return (
        Op(
            "POST",
            APPEAL_HANDLER,
            obj="appeal",
            pick="waiting",
            body=body,
            lists="appeal",
            writes=True,
        ),
    )


_DECIDE_API: dict[tuple[str, str], tuple[Op, ...]] = {
    ("GET", "/api/decide/matters"): (Op("GET", LOGGED_IN),),
    ("GET", "/api/decide/matters/{id}"): (Op("GET", SEES, obj="matter"),),
    ("POST", "/api/decide/matters"): (
        Op("POST", "decide.propose", ok=201, body=_decide_propose, role_body=True, writes=True),
    ),
    ("POST", "/api/decide/matters/{id}/support"): (
        Op("POST", "decide.participate", obj="matter", writes=True),
    ),
    ("POST", "/api/decide/matters/{id}/take-up"): (
        Op("POST", _MANAGE, obj="matter", body=_decide_version, writes=True),
    ),
    ("POST", "/api/decide/matters/{id}/merge"): (
        Op("POST", _MANAGE, obj="matter", body=_decide_merge, writes=True),
    ),
}


API: dict[tuple[str, str], tuple[Op, ...]] = {
    **_DECIDE_API,
    ("GET", "/api/areas"): (Op("GET", LOGGED_IN, lists="area"),),
    ("GET", "/api/areas/{id}"): (Op("GET", "area.view", obj="area", lists="area"),),
    ("GET", "/api/areas/{id}/children"): (Op("GET", "area.view", obj="area", lists="area"),),
    ("GET", "/api/households"): (
        Op("GET", LOGGED_IN, lists="household"),
        Op("GET", LOGGED_IN, obj="area", via="filter", lists="household", label="area"),
    ),
    ("POST", "/api/households"): (
        Op(
            "POST",
            "registry.add",
            obj="household_area",
            via="body",
            ok=201,
            body=lambda w, a: {"area": a.pk, "number": "MX-99", "address": "新登记地址"},
            lists="household",
            writes=True,
        ),
    ),
    ("GET", "/api/households/{id}"): (
        Op("GET", "registry.view", obj="household", lists="household"),
    ),
    ("PATCH", "/api/households/{id}"): (
        Op(
            "PATCH",
            "registry.change",
            obj="household",
            body=lambda w, h: {"version": h.version, "address": f"{h.address}甲"},
            lists="household",
            writes=True,
        ),
    ),
    ("GET", "/api/residents"): (
        Op("GET", LOGGED_IN, lists="resident"),
        Op("GET", LOGGED_IN, obj="area", via="filter", lists="resident", label="area"),
    ),
    ("POST", "/api/residents"): (
        Op(
            "POST",
            "registry.change",
            obj="household",
            via="body",
            ok=201,
            body=lambda w, h: {"household": h.pk, **_NEW_MEMBER},
            lists="resident",
            writes=True,
        ),
    ),
    ("GET", "/api/residents/{id}"): (Op("GET", "registry.view", obj="resident", lists="resident"),),
    ("PATCH", "/api/residents/{id}"): (
        Op(
            "PATCH",
            "registry.change",
            obj="resident",
            body=lambda w, p: {"version": p.version, "name": f"{p.name}改"},
            lists="resident",
            writes=True,
        ),
    ),
    ("POST", "/api/residents/{id}/reveal"): (
        Op("POST", "registry.reveal", obj="resident", body=lambda w, p: REVEAL, writes=True),
    ),
    # The catalogue is public: no token needed.
    ("GET", "/api/catalogue"): (Op("GET", PUBLIC, anon=200, lists="item", expect=_offered_items),),
    ("GET", "/api/catalogue/categories"): (
        Op("GET", PUBLIC, anon=200, lists="category", expect=_offered_categories),
    ),
    ("GET", "/api/catalogue/{id}"): (
        Op("GET", PUBLIC, obj="item", pick="spot", anon=200, lists="item"),
        Op("GET", PUBLIC, obj="item", pick="withdrawn", ok=404, anon=404, label="withdrawn"),
    ),
    ("GET", "/api/applications"): (
        Op("GET", LOGGED_IN, lists="application"),
        Op("GET", LOGGED_IN, obj="area", via="filter", lists="application", label="area"),
    ),
    ("POST", "/api/applications"): (
        Op(
            "POST",
            "services.apply",
            obj="resident",
            via="body",
            ok=201,
            body=_api_application,
            role_body=True,
            lists="application",
            writes=True,
        ),
    ),
    ("GET", "/api/applications/{id}"): (
        Op("GET", SEES, obj="application", pick="proxy", lists="application"),
        Op(
            "GET",
            SEES,
            obj="application",
            pick="withdrawn",
            lists="application",
            label="withdrawn",
        ),
    ),
    ("POST", "/api/applications/{id}/submit"): _api_action("services.apply", "draft"),
    ("POST", "/api/applications/{id}/resubmit"): _api_action(
        "services.apply", "returned", _api_resubmit, staff_only=True
    ),
    ("POST", "/api/applications/{id}/withdraw"): _api_action("services.apply", "proxy", _reason),
    ("POST", "/api/applications/{id}/reject"): _api_action("services.handle", "guided", _reason),
    ("POST", "/api/applications/{id}/complete"): _api_action("services.handle", "spot", _complete),
    ("POST", "/api/applications/{id}/guidance"): _api_action(
        "services.handle", "guided", _guidance
    ),
    ("POST", "/api/applications/{id}/trips"): _api_action(
        "services.handle",
        "guided",
        lambda w, a: {k: v for k, v in _trip(w, a).items() if k != "version"},
        ok=201,
    ),
    ("POST", "/api/applications/{id}/rating"): _api_action(
        "services.rate", "done", lambda w, a: {"score": 5, "comment": ""}, ok=201
    ),
    ("GET", "/api/steps"): (Op("GET", LOGGED_IN, lists="step", expect=_active_steps),),
    ("GET", "/api/steps/{id}"): (Op("GET", "services.step", obj="step", lists="step"),),
    # Five links and visits: lists are what the caller may see (200, empty without it).
    ("GET", "/api/visits/assignments"): (Op("GET", LOGGED_IN, lists="assignment"),),
    ("GET", "/api/visits/assignments/{id}"): (
        Op("GET", "visits.view", obj="assignment", lists="assignment"),
    ),
    ("POST", "/api/visits/assignments"): (
        Op("POST", "visits.assign", ok=201, body=_api_assignment, lists="assignment", writes=True),
    ),
    ("POST", "/api/visits/assignments/{id}/end"): (
        Op(
            "POST",
            "visits.assign",
            obj="assignment",
            body=_assignment_end,
            lists="assignment",
            writes=True,
        ),
    ),
    ("GET", "/api/visits/visits"): (Op("GET", LOGGED_IN, lists="visit"),),
    ("GET", "/api/visits/visits/{id}"): (Op("GET", "visits.view", obj="visit", lists="visit"),),
    # The household of a new visit is looked up like a path id: 404 outside visits.record,
    # nothing written (not the 422 of other body references).
    ("POST", "/api/visits/visits"): (
        Op(
            "POST",
            "visits.record",
            obj="visit_household",
            via="hidden",
            gate="visits.record",
            ok=201,
            body=lambda w, h: {"household": h.pk, "channel": "home"},
            lists="visit",
            writes=True,
        ),
    ),
    ("GET", "/api/visits/needs"): (Op("GET", LOGGED_IN, lists="need"),),
    ("GET", "/api/visits/needs/{id}"): (Op("GET", "visits.view", obj="need", lists="need"),),
    ("POST", "/api/visits/needs/{id}/application"): (
        Op(
            "POST",
            "visits.record&services.apply",
            obj="need",
            ok=201,
            body=lambda w, n: {"item": w.items["spot"].pk, "materials": ["身份证"]},
            lists="need",
            writes=True,
        ),
    ),
    ("POST", "/api/visits/needs/{id}/close"): (
        Op(
            "POST",
            "visits.record",
            obj="need",
            body=lambda w, n: {"resolved": True, "note": "当场解决", "version": n.version},
            lists="need",
            writes=True,
        ),
    ),
    ("GET", "/api/visits/coverage"): (
        Op("GET", "visits.view"),
        Op("GET", "visits.view", **_VISITS_AREA),
    ),
    ("GET", "/api/visits/coverage/children"): (
        Op("GET", "visits.view"),
        Op("GET", "visits.view", **_VISITS_AREA),
    ),
    ("GET", "/api/visits/gaps"): (Op("GET", "visits.view"),),
    ("GET", "/api/visits/overdue"): (Op("GET", LOGGED_IN),),
    ("POST", "/api/steps/{id}/finish"): (
        Op(
            "POST",
            "services.step",
            obj="step",
            body=_step_result,
            lists="step",
            writes=True,
        ),
    ),
    # Appeals 诉求: a new one's place is looked up like a path id (404 outside appeals.report,
    # nothing written); the handler's operations go to whoever handles the appeal where it
    # waits (APPEAL_HANDLER), the return visit to appeals.return_visit over its place.
    ("GET", "/api/appeals"): (
        Op("GET", LOGGED_IN, lists="appeal"),
        Op("GET", LOGGED_IN, obj="area", via="filter", lists="appeal", label="area"),
    ),
    ("POST", "/api/appeals"): (
        Op(
            "POST",
            "appeals.report",
            obj="household_area",
            via="hidden",
            gate="appeals.report",
            staff_only=True,
            ok=201,
            body=lambda w, area: {
                "category": w.appeals[next(iter(w.appeals))].category_id,
                "channel": "counter",
                "area": area.pk,
                "description": "路灯不亮",
                "reporter_name": "过路人",
                "reporter_mobile": "13900002222",
            },
            lists="appeal",
            writes=True,
        ),
    ),
    ("GET", "/api/appeals/{id}"): (Op("GET", SEES, obj="appeal", lists="appeal"),),
    ("POST", "/api/appeals/{id}/take"): _appeal_action(lambda w, a: {}),
    ("POST", "/api/appeals/{id}/settle"): _appeal_action(lambda w, a: {"what_was_done": "已疏通"}),
    ("POST", "/api/appeals/{id}/hand-up"): _appeal_action(lambda w, a: {"reason": "需上级协调"}),
    ("POST", "/api/appeals/{id}/send-to-department"): _appeal_action(
        lambda w, a: {"reason": "属部门职责"}
    ),
    ("POST", "/api/appeals/{id}/return-visit"): (
        Op(
            "POST",
            "appeals.return_visit",
            obj="appeal",
            pick="settled",
            role_body=True,
            body=lambda w, a, role: {
                "satisfaction": "satisfied",
                "method": "resident_phone" if role == Role.RESIDENT else "phone",
            },
            lists="appeal",
            writes=True,
        ),
    ),
    ("GET", "/api/appeal-categories"): (Op("GET", LOGGED_IN),),
}


# --- residents decide: votes 表决 ------------------------------------------------------------------
#
# Built by tests/decide/test_access_matrix.py (`vx`, as `votes`): for every household, four
# matters at the household's area — one being deliberated with no vote ("matter"), one with a
# draft vote ("draft"), one with an open phone vote 一户一票 ("phone") and one with an open show
# of hands ("hands") — each vote's roll the households under that area, secret, closing a year on.
#
# Staff see a vote through `decide.view` over the matter's place and run it (prepare, edit, open,
# enter a show of hands, close) through `decide.manage` there; the staff pages check first that
# the role runs votes at all (`gate`). A resident sees the votes of their own community (the
# board's rule, not their grant) and casts a ballot where their household is on the roll; one
# who sees a vote but is not on its roll is refused (403) with the reason.

_VOTES_GATE = "decide.manage"


def is_vote_key(key) -> bool:
    """A votes page (URL name) or API operation ((method, path)): tried on the votes' world
    (tests/decide/test_access_matrix_votes.py), the rest of the module's on the matters'."""
    if isinstance(key, tuple):  # (method, path), or an unlisted page's (name, method)
        return any(str(part).startswith(("/api/decide/votes", "votes:")) for part in key)
    return key.startswith("votes:")


def vote_params(params: list, votes: bool) -> list:
    """The module's parametrised cases (or unlisted methods) on votes, or all the others."""
    out = []
    for p in params:
        # A Case in a pytest param, or an unlisted (name, method) / (method, path).
        key = p.values[0].key if isinstance(p, ParameterSet) else p
        if is_vote_key(key) == votes:
            out.append(p)
    return out


def _vote_community_path(w, vote) -> str:
    """The path of the community the vote's matter lies in (the matter's place or above it)."""
    area = vote.matter.area
    for key, _name, kind, _parent in AREAS:
        if kind == "community" and area.path.startswith(w.areas[key].path):
            return w.areas[key].path
    return area.path


def vote_resident_sees(w, vote) -> bool:
    own = w.households["HG1"].area.path
    return own.startswith(_vote_community_path(w, vote))


def vote_resident_covers(w, perm: str, vote) -> bool:
    """A resident views the votes of their community and casts where their household is on the
    roll (the households under the matter's place, 一户一票)."""
    if perm not in ROLE_PERMISSIONS[Role.RESIDENT] and perm != "decide.view":
        return False
    if perm == "decide.participate":
        return w.households["HG1"].area.path.startswith(vote.matter.area.path)
    return perm == "decide.view" and vote_resident_sees(w, vote)


def vote_target(w, op: Op, key: str):
    from linli.decide.models import Matter, Vote

    if op.obj == "vote_matter":
        return Matter.objects.select_related("area").get(pk=w.votes[key, "matter"].pk)
    return Vote.objects.select_related("matter__area").get(pk=w.votes[key, op.pick].pk)


def _vote_form(w, _target):
    return {
        "question": "矩阵表决改",
        "body": "households",
        "quorum_percent": "60",
        "majority": "simple",
        "secret": "on",
        "method": "phone",
        "closes_at": (timezone.localtime() + dt.timedelta(days=300)).strftime("%Y-%m-%dT%H:%M"),
        "choices": "",
    }


def _hands_form(w, vote):
    first = vote.roll.order_by("id").first()
    return {"witness": "矩阵监票人", f"voter-{first.pk}": vote.options.order_by("order")[0].pk}


def _ballot_form(w, vote):
    return {"choice": vote.options.order_by("order")[0].pk, "confirmed": "on"}


def _ballot_body(w, vote):
    return {"choice": vote.options.order_by("order")[0].pk}


def _vote_op(method: str, perm: str, pick: str, **extra) -> Op:
    return Op(method, perm, obj="vote", pick=pick, **extra)


def _vote_staff_op(method: str, pick: str, **extra) -> Op:
    return _vote_op(method, "decide.manage", pick, gate=_VOTES_GATE, staff_only=True, **extra)


PAGES.update(
    {
        "votes:list": (Op("GET", "decide.view", staff_only=True),),
        "votes:mine": (Op("GET", "decide.participate", resident_only=True),),
        "votes:prepare": (
            Op("GET", "decide.manage", obj="vote_matter", gate=_VOTES_GATE, staff_only=True),
            Op(
                "POST",
                "decide.manage",
                obj="vote_matter",
                gate=_VOTES_GATE,
                staff_only=True,
                ok=302,
                body=_vote_form,
                writes=True,
            ),
        ),
        "votes:detail": (_vote_op("GET", SEES, "phone"),),
        "votes:edit": (
            _vote_staff_op("GET", "draft"),
            _vote_staff_op("POST", "draft", ok=302, body=_vote_form, writes=True),
        ),
        "votes:open": (_vote_staff_op("POST", "draft", ok=302, writes=True),),
        "votes:close": (_vote_staff_op("POST", "hands", ok=302, writes=True),),
        "votes:hands": (
            _vote_staff_op("GET", "hands"),
            _vote_staff_op("POST", "hands", ok=302, body=_hands_form, writes=True),
        ),
        "votes:cast": (
            _vote_op("GET", "decide.participate", "phone", resident_only=True),
            _vote_op(
                "POST",
                "decide.participate",
                "phone",
                resident_only=True,
                ok=302,
                body=_ballot_form,
                writes=True,
            ),
        ),
    }
)
API.update(
    {
        ("GET", "/api/decide/votes/{id}"): (_vote_op("GET", SEES, "phone"),),
        ("POST", "/api/decide/votes/{id}/ballots"): (
            _vote_op(
                "POST",
                "decide.participate",
                "phone",
                resident_only=True,
                ok=201,
                body=_ballot_body,
                writes=True,
            ),
        ),
        ("POST", "/api/decide/votes/{id}/close"): (
            _vote_op("POST", "decide.manage", "hands", staff_only=True, writes=True),
        ),
    }
)

PAGES.update(BOARD_PAGES)  # residents decide: manage, supervise and the boards
API.update(BOARD_API)

# --- what the resolver and the API actually have ---------------------------------------------

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def resolver_routes() -> list[tuple[str, str]]:
    """(qualified name, route) of every URL pattern; an unnamed one is named by its route."""

    def walk(patterns, prefix: str, namespace: str):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            else:
                route = prefix + str(p.pattern)
                yield (f"{namespace}{p.name}" if p.name else f"<unnamed {route}>", route)

    return list(walk(get_resolver().url_patterns, "/", ""))


def api_operations() -> set[tuple[str, str]]:
    paths = api.get_openapi_schema()["paths"]
    return {(m.upper(), path) for path, ops in paths.items() for m in ops if m in HTTP_METHODS}


def _as_openapi_path(route: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


# Open311 GeoReport v2 (/open311/v2/) is a protocol of its own: public reads and posts with
# an Open311 key, answered in the spec's error format; tests/appeals/test_open311.py tries it.
OWN_PROTOCOLS = ("open311:",)


def page_routes() -> dict[str, str]:
    """The resolver's URLs that are not API operations (those are matched against `API`)."""
    api_paths = {path for _, path in api_operations()}
    return {
        name: route
        for name, route in resolver_routes()
        if _as_openapi_path(route) not in api_paths and not name.startswith(OWN_PROTOCOLS)
    }


# --- the cases --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    key: str | tuple[str, str]
    op: Op
    role: str
    relation: str  # own / sibling / parent, or "-" for URLs without an object

    def __str__(self) -> str:
        key = self.key if isinstance(self.key, str) else f"{self.key[0]} {self.key[1]}"
        return f"{key}-{self.op}-{self.role}-{self.relation}"


def _relations(op: Op, role: str) -> list[str]:
    if op.obj is None or op.obj in DEPLOYMENT_WIDE:
        return ["-"]
    if op.obj == "area":
        table = AREA_TARGETS
    elif op.obj in ("organisation", "post"):
        table = ORGANISATION_TARGETS
    elif op.obj == "step":
        table = STEP_TARGETS
    elif op.obj in BOARD_KINDS:
        table = BOARD_TARGETS
    else:  # household, resident, household_area, application, outreach
        table = HOUSEHOLD_TARGETS
    return list(table[role])


def _cases(matrix) -> list[Case]:
    return [
        Case(key, op, role, relation)
        for key, ops in matrix.items()
        for op in ops
        for role in ROLES
        for relation in _relations(op, role)
    ]


PAGE_CASES = _cases(PAGES)
API_CASES = _cases(API)

# Cases the application answers wrongly today, each with what is wrong. They stay in the
# matrix as strict expected failures: one that starts passing fails, and is taken off the list.
KNOWN_BUGS: dict[str, str] = {}  # case id → the application bug it shows (xfail, strict)


def _params(cases: list) -> list:
    return [
        pytest.param(c, id=str(c), marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[str(c)]))
        if str(c) in KNOWN_BUGS
        else pytest.param(c, id=str(c))
        for c in cases
    ]


def target_of(w, case: Case):
    op, role, rel = case.op, case.role, case.relation
    if op.obj is None:
        return None
    if op.obj == "tag":
        return w.tag
    if op.obj == "user":  # the accounts pages act on another person's account
        return User.objects.get(pk=w.users["grid_worker"].pk)
    if op.obj == "token":
        return w.token_records["grid_worker"]
    if op.obj == "own_token":
        return w.token_records.get(role, w.token_records["grid_worker"])
    if op.obj == "system_account":
        return User.objects.get(pk=w.system_account.pk)
    if op.obj == "grant":
        return Grant.objects.get(user=w.users["grid_worker"])
    if op.obj == "import":  # the role's own import (imports belong to whoever handed them in)
        return w.imports.get(role, w.imports["community_worker"])
    if op.obj == "area":
        return Area.objects.get(pk=w.areas[AREA_TARGETS[role][rel]].pk)
    if op.obj == "organisation":
        org = w.organisations[ORGANISATION_TARGETS[role][rel]]
        return Organisation.objects.select_related("area").get(pk=org.pk)
    if op.obj == "post":
        post = w.posts[ORGANISATION_TARGETS[role][rel]]
        return Post.objects.select_related("area").get(pk=post.pk)
    if op.obj == "item":
        return ServiceItem.objects.select_related("current").get(pk=w.items[op.pick].pk)
    if op.obj == "category":
        return ServiceCategory.objects.get(pk=w.category.pk)
    if op.obj == "calendar_year":
        return WorkCalendarYear.objects.get(year=CALENDAR_YEARS[op.pick])
    if op.obj == "calendar_day":
        return WorkCalendarDay.objects.get(pk=w.calendar.day.pk)
    if op.obj == "step":
        step = w.steps[STEP_TARGETS[role][rel]]
        return ApplicationStep.objects.select_related("organisation", "application__area").get(
            pk=step.pk
        )
    if op.obj == "policy":
        return VisitPolicy.objects.get(pk=w.policy.pk)
    if op.obj == "appeal_category":
        return AppealCategory.objects.select_related("current").get(pk=w.appeal_category.pk)
    if op.obj in BOARD_KINDS:
        return board_target(w, op.obj, BOARD_TARGETS[role][rel])
    if op.obj == "matter_category":
        return MatterCategory.objects.get(pk=w.matter_category.pk)
    key = HOUSEHOLD_TARGETS[role][rel]
    if op.obj in ("vote", "vote_matter"):
        return vote_target(w, op, key)
    if op.obj == "matter":
        chosen = {"": w.matters, "deliberate": w.matters_deliberate}[op.pick][key]
        return Matter.objects.select_related("area").get(pk=chosen.pk)
    if op.obj == "meeting":
        return Meeting.objects.select_related("matter__area").get(pk=w.meetings[key].pk)
    if op.obj == "appeal_community":
        return Appeal.objects.select_related("area").get(pk=w.appeals[key].pk)
    if op.obj == "appeal" and op.pick == "dispute":
        return Appeal.objects.select_related("area").get(pk=w.dispute_appeals[key].pk)
    if op.obj in ("visit", "need"):
        model = {"visit": Visit, "need": Need}[op.obj]
        record = getattr(w, f"{op.obj}s")[key]
        return model.objects.select_related("household__area").get(pk=record.pk)
    if op.obj == "assignment":
        return ContactAssignment.objects.select_related("scope_area").get(pk=w.assignments[key].pk)
    if op.obj == "appeal":
        chosen = (w.appeals_settled if op.pick == "settled" else w.appeals)[key]
        return Appeal.objects.select_related("area").get(pk=chosen.pk)
    if op.obj == "appeal_photo":
        return AppealPhoto.objects.select_related("appeal__area").get(pk=w.appeal_photos[key].pk)
    if op.obj == "photo":
        return (
            MaterialPhoto.objects.select_related("application__area")
            .prefetch_related(Prefetch("application__steps", queryset=_STEPS.queryset))
            .get(pk=w.photos[key].pk)
        )
    if op.obj == "application":
        application = w.applications[key, op.pick]
        return (
            Application.objects.select_related("area")
            .prefetch_related(_STEPS)
            .get(pk=application.pk)
        )
    if op.obj == "outreach":
        tasks = OutreachTask.objects.select_related("area")
        if op.pick == "declined":  # closed just now, written directly: no trail of its own
            tasks.filter(pk=w.outreach[key].pk).update(
                state="declined", closed_at=timezone.now(), version=F("version") + 1
            )
        return tasks.get(pk=w.outreach[key].pk)
    household = Household.objects.select_related("area", "head").get(pk=w.households[key].pk)
    if op.obj == "household_area":
        return household.area
    if op.obj in ("household", "visit_household"):
        return household
    return Resident.objects.select_related("household__area").get(pk=household.head_id)


# --- expectations -----------------------------------------------------------------------------


def _holds(role: str, perm: str, op: Op) -> bool:
    if perm == STAFF:
        return role != Role.RESIDENT
    if perm == HANDLES:
        return role != ANON and bool(HANDLE_PERMISSIONS & ROLE_PERMISSIONS[role])
    if perm in (LOGGED_IN, SEES):
        return True
    if op.staff_only and role == Role.RESIDENT:
        return False
    if op.resident_only and role != Role.RESIDENT:
        return False
    if "&" in perm:
        return all(p in ROLE_PERMISSIONS[role] for p in perm.split("&"))
    return any(p in ROLE_PERMISSIONS[role] for p in perm.split("|"))


def holds(role: str, op: Op) -> bool:
    return _holds(role, op.perm, op)


def granted(w, role: str, op: Op, target) -> bool:
    """Whether the role holds the op's permission over this object."""
    if op.perm == SEES:
        return sees(w, role, op.obj, target)
    if op.perm == HANDLES:
        return handles(w, role, target)
    if "&" in op.perm:
        return all(covers(w, role, p, op.obj, target) for p in op.perm.split("&"))
    return any(covers(w, role, p, op.obj, target) for p in op.perm.split("|"))


def expected_status(w, op: Op, channel: str, role: str, target) -> int:
    if op.status is not None and (role != ANON or op.perm == PUBLIC):
        return op.status(w, role, target, channel)
    if role == ANON:
        if op.perm == PUBLIC:
            return op.anon
        return 302 if channel == "page" else 401
    if op.perm == PUBLIC:
        return op.ok
    has = holds(role, op)
    if op.gate and not _holds(role, op.gate, op):
        return 403
    if op.obj is None or op.obj in DEPLOYMENT_WIDE:
        return op.ok if has else 403
    if op.via == "filter":
        if not has:
            return 403
        if channel == "api" and not sees(w, role, op.obj, target):
            return 422
        return op.ok
    if has and granted(w, role, op, target):
        return op.ok
    visible = sees(w, role, op.obj, target)
    if op.via == "body":
        if channel == "page":
            return 400 if has else 403
        return 403 if visible else 422
    return 403 if visible else 404


def expected_list(w, op: Op, role: str, target, key) -> tuple[str, set[int], bool] | None:
    """(kind, ids, exact) a successful list answer must show: exactly those ids, or (for the
    area tree, which opens level by level) at least those."""
    if op.method != "GET":
        return None
    if op.expect is not None:
        return op.expect(w, role, target)
    kind = op.lists
    if kind in (None, "audit", "item", "category") or op.via in ("body",):
        return None  # nothing listed, the audit trail, or one catalogue item (public)
    scope = in_scope_ids(w, role, kind, LIST_PERM.get(kind))
    if op.via == "filter":
        under = {o.pk for o in _all(kind) if _path(kind, o).startswith(target.path)}
        return kind, scope & under, True
    if kind == "area" and target is not None:
        if key == ("GET", "/api/areas/{id}"):
            return kind, {target.pk}, True
        children = set(Area.objects.filter(parent=target).values_list("pk", flat=True))
        return kind, scope & children, isinstance(key, tuple)
    if kind == "area" and isinstance(key, str):  # the tree page opens at the grant's top
        return kind, {w.areas[GRANT_AREA[role]].pk} & scope, False
    if kind in DETAIL_KINDS and target is not None:
        return None  # a detail: the leak scan covers it
    if kind == "organisation":  # each with its parent organisation, for context
        scope |= {o.parent_id for o in _all(kind) if o.pk in scope and o.parent_id}
    return kind, scope, True


DETAIL_KINDS = ("household", "resident", "application", "step", "outreach", "visit", "need")
DETAIL_KINDS += ("assignment", "appeal")
# Application lists start from `services.view` (an office finds its steps in its queue).
LIST_PERM = {"application": "services.view"}
PAGE_ROWS = 50  # the rows of one page of a list page


# --- reading answers --------------------------------------------------------------------------

_HOUSEHOLD_LINK = re.compile(r"/registry/households/(\d+)/")
_RESIDENT_LINK = re.compile(r"/registry/residents/(\d+)/")
_APPLICATION_LINK = re.compile(r"/services/applications/(\d+)/")
_STEP_LINK = re.compile(r"/services/steps/(\d+)/")
_OUTREACH_LINK = re.compile(r"/services/outreach/(\d+)/")
_ITEM_LINK = re.compile(r"/catalogue/(\d+)/")
_VISIT_LINK = re.compile(r"/visits/(\d+)/")
_NEED_LINK = re.compile(r"/visits/needs/(\d+)/")
_ASSIGNMENT_LINK = re.compile(r"/visits/links/(\d+)/")
_APPEAL_LINK = re.compile(r"/appeals/(\d+)/")
_AREA_LINK = re.compile(r"(?:/areas/(\d+)/|[?&](?:amp;)?area=(\d+))")
_AREA_SELECT = re.compile(r"<select[^>]*\bname=\"(?:area|parent)\"[^>]*>(.*?)</select>", re.S)
_OPTION = re.compile(r"value=\"(\d+)\"")


def _named(kind: str, text: str) -> set[int]:
    """Records of `kind` whose number or name appears in the text."""
    field = {
        "household": "number",
        "resident": "name",
        "organisation": "name",
        "post": "holder_name",
        "application": "number",
        "appeal": "number",
    }.get(kind)
    if field is None:
        return set()
    return {pk for pk, name in _names(kind, field) if name in text}


def _names(kind: str, field: str) -> list[tuple[int, str]]:
    """(id, number or name) of every record of `kind`: what `_named` looks for, read without
    the records themselves (a case that writes reads them again after its request)."""
    reads = _WORLD_READS if _case_reads is None else _case_reads
    key = f"{kind} {field}"
    if key not in reads:
        reads[key] = list(MODELS[kind].objects.values_list("pk", field))
    return reads[key]


def html_refs(text: str) -> dict[str, set[int]]:
    areas = {int(a or b) for a, b in _AREA_LINK.findall(text)}
    for options in _AREA_SELECT.findall(text):
        areas |= {int(v) for v in _OPTION.findall(options)}
    households = {int(v) for v in _HOUSEHOLD_LINK.findall(text)} | _named("household", text)
    residents = {int(v) for v in _RESIDENT_LINK.findall(text)} | _named("resident", text)
    return {
        "area": areas,
        "household": households,
        "resident": residents,
        "organisation": _named("organisation", text),
        "post": _named("post", text),
        "application": {int(v) for v in _APPLICATION_LINK.findall(text)}
        | _named("application", text),
        "step": {int(v) for v in _STEP_LINK.findall(text)},
        "outreach": {int(v) for v in _OUTREACH_LINK.findall(text)},
        "item": {int(v) for v in _ITEM_LINK.findall(text)},
        "visit": {int(v) for v in _VISIT_LINK.findall(text)},
        "need": {int(v) for v in _NEED_LINK.findall(text)},
        "assignment": {int(v) for v in _ASSIGNMENT_LINK.findall(text)},
        "appeal": {int(v) for v in _APPEAL_LINK.findall(text)} | _named("appeal", text),
    }


def _records(data) -> list[dict]:
    if not isinstance(data, dict):
        return []
    if "items" in data:
        return list(data["items"])
    return [data] if "id" in data else []


def json_refs(data, kind: str | None) -> dict[str, set[int]]:
    """The records an API answer holds. Area references inside a registry record are the
    record's own attributes (see the module docstring) and are not counted as listed areas."""
    kinds = ("area", "household", "resident", "application", "step", "item", "category")
    kinds += ("visit", "need", "assignment", "appeal")
    refs: dict[str, set[int]] = {k: set() for k in kinds}
    for record in _records(data):
        if kind == "area":
            refs["area"].add(record["id"])
        elif kind == "household":
            refs["household"].add(record["id"])
            if record.get("head"):
                refs["resident"].add(record["head"]["id"])
            refs["resident"] |= {m["id"] for m in record.get("members", [])}
        elif kind == "resident":
            refs["resident"].add(record["id"])
            refs["household"].add(record["household"]["id"])
        elif kind == "application":  # its steps are the record's own
            refs["application"].add(record["id"])
            refs["resident"].add(record["applicant"]["id"])
        elif kind == "step":
            refs["step"].add(record["id"])
            refs["application"].add(record["application"]["id"])
            refs["resident"].add(record["application"]["applicant"]["id"])
        elif kind in ("item", "category"):
            refs[kind].add(record["id"])
        elif kind in ("visit", "need"):  # the household visited is the record's own
            refs[kind].add(record["id"])
            refs["household"].add(record["household"]["id"])
            refs["need"] |= {n["id"] for n in record.get("needs", [])}
        elif kind == "assignment":
            refs[kind].add(record["id"])
        elif kind == "appeal":  # its reporter is the record's own
            refs[kind].add(record["id"])
            if (record.get("reporter") or {}).get("resident"):
                refs["resident"].add(record["reporter"]["resident"])
    text = json.dumps(data, ensure_ascii=False)
    for named in ("household", "resident", "application"):
        refs[named] |= _named(named, text)
    return refs


# Kinds with a scope to leak out of (items, categories and the calendar are everyone's).
LEAK_KINDS = ("area", "household", "resident", "organisation", "post", "application", "step")
LEAK_KINDS += ("outreach", "visit", "need", "assignment", "appeal")


def assert_nothing_out_of_scope(
    w, case: Case, refs: dict[str, set[int]], body: str, *, refused: bool = False
) -> None:
    """`leak_perm` widens or narrows what the op's own answer may show; a refusal is the site's
    error page, whose menu shows the role's own areas."""
    for kind, ids in refs.items():
        if not ids or kind not in LEAK_KINDS:
            continue
        perms = {} if refused else dict(case.op.leak_perm)
        perm = perms.get(kind, perms.get("*"))
        scope = in_scope_ids(w, case.role, kind, perm)
        if perm is None:
            scope |= attribute_ids(w, case.role, kind)
        leaked = ids - scope
        assert not leaked, (
            f"{case}: the answer shows {kind} {sorted(leaked)} outside the role's scope\n"
            f"{_around(body, w, kind, leaked)}"
        )


def _around(body: str, w, kind: str, ids: set[int]) -> str:
    """Where the answer names the first leaked record (its id or its name), or its start."""
    field = {"organisation": "name", "post": "holder_name", "resident": "name"}.get(kind, "number")
    names = [getattr(o, field, "") for o in _all(kind) if o.pk in ids] if kind in MODELS else []
    marks = [rf"(?:/|area=|value=\"){i}(?!\d)" for i in ids] + [re.escape(n) for n in names if n]
    for mark in marks:
        found = re.search(mark, body)
        if found:
            return body[max(0, found.start() - 600) : found.start() + 300]
    return body[:1500]


def _without_own_address(body: str, request: dict) -> str:
    path = request["PATH_INFO"]
    query = request.get("QUERY_STRING", "")
    for own in (f"{path}?{query}" if query else path, path):
        for form in (html.escape(own), own):
            # Only the address itself: a link below it (/services/steps/12/ on /services/steps/)
            # names another record.
            body = re.sub(re.escape(form) + r"(?![\w/-])", "", body)
    # Nor are the page's links that carry the query it was asked with (the next page).
    for pair in filter(None, query.split("&")):
        body = re.sub(r"([?&]|&amp;)" + re.escape(pair) + r"(?![\w-])", r"\1", body)
    return body


def _audit_writes() -> int:
    return AuditRecord.objects.filter(action__in=WRITE_ACTIONS).count()


def _body_for(w, op: Op, target, role: str):
    if op.body is None:
        return {}
    return op.body(w, target, role) if op.role_body else op.body(w, target)


def _path_kwargs(op: Op, target) -> dict:
    if op.obj == "calendar_year":
        return {"year": target.year}
    if op.obj == "photo":
        return {"pk": target.application_id, "photo": target.pk}
    if op.obj == "appeal_photo":
        return {"pk": target.appeal_id, "photo": target.pk}
    if op.obj == "meeting":
        return {"pk": target.matter_id, "meeting": target.pk}
    return {"pk": target.pk}


# --- the matrix, module by module ---------------------------------------------------------------
#
# Each module's cases are tried in a file of its own, tests/<module>/test_access_matrix.py, so
# that the test processes share the matrix between them: each file builds the world once (`mx`,
# imported there) and runs the cases whose URL or API operation is the module's.
# tests/core/test_access_matrix.py checks that every case falls to exactly one of them.

MODULES = ("core", "accounts", "registry", "hall", "visits", "appeals", "decide")
# Parts of residents decide 由民做主 tried in files of their own: "decide.board" (manage,
# supervise and the boards) in tests/decide/test_access_matrix_board.py.
MODULES += ("decide.board",)
_PAGE_MODULE = {  # a page's URL namespace (the language switch has none)
    "core": "core",
    "api": "core",  # the API's own pages: its documentation and schema
    "set_language": "core",
    "accounts": "accounts",
    "registry": "registry",
    "services": "hall",
    "visits": "visits",
    "appeals": "appeals",
    "disputes": "appeals",
    "open311_keys": "appeals",
    "matter_tasks": "decide.board",
    "board": "decide.board",
    "decide": "decide",
    "decide_dashboard": "decide",
    "votes": "decide",
}
_API_MODULE = {  # an API operation's first path segment
    "areas": "core",
    "households": "registry",
    "residents": "registry",
    "catalogue": "hall",
    "applications": "hall",
    "steps": "hall",
    "visits": "visits",
    "appeals": "appeals",
    "appeal-categories": "appeals",
    "decide": "decide",
}


# An API operation's first two path segments, where parts of one module share the first.
_API_PART = {
    ("decide", "tasks"): "decide.board",
    ("decide", "commitments"): "decide.board",
}


def matrix_file(module: str) -> str:
    """The file (under tests/) that tries a module's cases: tests/<module>/test_access_matrix.py,
    or for a part of a module ("decide.board") tests/decide/test_access_matrix_board.py."""
    package, _, part = module.partition(".")
    return f"{package}/test_access_matrix{'_' + part if part else ''}.py"


def module_of(key: str | tuple[str, str]) -> str:
    """The module whose file tries a page (URL name) or an API operation (method, path)."""
    if isinstance(key, tuple) and tuple(key[1].split("/")[2:4]) in _API_PART:
        return _API_PART[tuple(key[1].split("/")[2:4])]  # type: ignore[index]
    if isinstance(key, tuple):
        part, table = key[1].split("/")[2], _API_MODULE
    else:
        part, table = key.split(":")[0], _PAGE_MODULE
    if part not in table:
        raise KeyError(f"{key}: no module's access matrix tries it; add {part!r} to the table")
    return table[part]


def page_params(module: str) -> list:
    return _params([c for c in PAGE_CASES if module_of(c.key) == module])


def api_params(module: str) -> list:
    return _params([c for c in API_CASES if module_of(c.key) == module])


# --- the checks -----------------------------------------------------------------------------------


def check_matrix_lists_every_url_and_operation() -> None:
    """A URL or API operation the matrix does not list fails here (and so does a stale entry)."""
    routes = resolver_routes()
    names = [name for name, _ in routes]
    assert len(names) == len(set(names)), "two URL patterns share a name"
    found = page_routes()
    assert set(found) - set(PAGES) == set(), "URLs missing from the access matrix"
    assert set(PAGES) - set(found) == set(), "matrix entries for URLs that no longer exist"
    operations = api_operations()
    assert operations - set(API) == set(), "API operations missing from the access matrix"
    assert set(API) - operations == set(), "matrix entries for API operations that are gone"
    for name, route in found.items():
        takes_id = "<" in route
        assert takes_id == any(op.via == "path" and op.obj for op in PAGES[name]), name
    cases = {str(c) for c in PAGE_CASES + API_CASES}
    assert set(KNOWN_BUGS) <= cases, "known bugs listed for cases that are gone"
    for (method, path), ops in API.items():
        assert all(op.method == method for op in ops)
        assert ("{id}" in path) == any(op.via == "path" and op.obj for op in ops), path


def _client(w) -> Client:
    """A new client on the module's request handler."""
    client = Client()
    client.handler = w.handler
    return client


def _logged_in(w, role: str) -> Client:
    """A client on the role's session (made once per module; each case's savepoint rollback
    puts the session row back as it was)."""
    client = _client(w)
    if role != ANON:
        client.cookies[settings.SESSION_COOKIE_NAME] = w.sessions[role]
    return client


@pytest.fixture
def case_reads(case):
    """Writes change the tables: such a case reads them afresh, into readings of its own; the
    next case, back on the world as built, shares the module's again."""
    global _case_reads
    if case.op.method == "GET":
        yield
        return
    _case_reads = {}
    try:
        yield
    finally:
        _case_reads = None


def _request_page(w, case: Case, target):
    name, op = case.key, case.op
    client = _logged_in(w, case.role)
    kwargs = _path_kwargs(op, target) if op.via == "path" and target is not None else {}
    url = reverse(name, kwargs=kwargs)
    query = dict(op.query)
    if op.via in ("query", "filter"):
        query[op.param] = target.pk
    if op.method == "GET":
        return client.get(url, query)
    if query:  # a form that posts to an address with a query string (the export's filters)
        url = f"{url}?{urlencode(query)}"
    return client.post(url, _body_for(w, op, target, case.role))


def check_page(mx, case: Case) -> None:
    """One page case: the status, where a redirect leads, nothing out of scope in the answer,
    a list complete, and an audit record for an allowed write only."""
    target = target_of(mx, case)
    writes_before = mx.audit_writes
    response = _request_page(mx, case, target)
    want = expected_status(mx, case.op, "page", case.role, target)
    # The page echoes its own address (the language form's "next", the links to its next page);
    # that is not a disclosure.
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    body = _without_own_address(raw.decode(errors="replace"), response.request)
    assert response.status_code == want, (
        f"{case}: {response.status_code}, expected {want}\n{body[:800]}"
    )
    location = response.get("Location", "")
    if case.role == ANON and case.op.perm != PUBLIC:
        assert location.startswith(reverse("accounts:login")), location
    elif want == 302 and case.op.perm != PUBLIC:
        assert not location.startswith(reverse("accounts:login")), location
    refs = html_refs(body)
    refused = response.status_code in (403, 404)
    assert_nothing_out_of_scope(mx, case, refs, body, refused=refused)
    if response.status_code == case.op.ok and case.op.ok == 200:
        _check_list(mx, case, target, refs, body)
    allowed_write = case.op.writes and want == case.op.ok and case.role != ANON
    assert (_audit_writes() > writes_before) == allowed_write, f"{case}: audit trail writes"


def _check_list(w, case: Case, target, refs, body: str) -> None:
    listed = expected_list(w, case.op, case.role, target, case.key)
    if listed is None:
        return
    kind, ids, exact = listed
    shown = refs[kind]
    if exact and len(ids) > PAGE_ROWS:  # the first page of a long list
        assert shown <= ids and len(shown) == PAGE_ROWS, f"{case}: shows {kind} {sorted(shown)}"
    elif exact:
        assert shown == ids, f"{case}: shows {kind} {sorted(shown)}, expected {sorted(ids)}"
    else:
        assert ids <= shown, f"{case}: {kind} {sorted(ids - shown)} missing\n{body[:800]}"


def _request_api(w, case: Case, target):
    op = case.op
    client = _client(w)
    headers = {"Authorization": f"Bearer {w.tokens[case.role]}"} if case.role != ANON else {}
    path = case.key[1]
    if op.via == "path" and target is not None:
        path = path.replace("{id}", str(target.pk))
    if op.method == "GET":
        query = {"limit": 200, **dict(op.query)}
        if op.via in ("filter", "query"):
            query[op.param] = target.pk
        return client.get(path, query, headers=headers)
    payload = json.dumps(_body_for(w, op, target, case.role))
    send = client.post if op.method == "POST" else client.patch
    return send(path, payload, content_type="application/json", headers=headers)


def check_api(mx, case: Case) -> None:
    """One API case: the status (422 naming the field out of scope), nothing out of scope in
    the answer, a list exactly the records in scope, and an audit record for an allowed write
    only."""
    target = target_of(mx, case)
    writes_before = mx.audit_writes
    response = _request_api(mx, case, target)
    want = expected_status(mx, case.op, "api", case.role, target)
    data = response.json()
    assert response.status_code == want, f"{case}: {response.status_code}, expected {want}: {data}"
    if want == 422:
        fields = {e["field"] for e in data["errors"]}
        assert fields == {"area" if case.op.obj in ("area", "household_area") else case.op.obj}
    refs = json_refs(data, case.op.lists)
    assert_nothing_out_of_scope(mx, case, refs, json.dumps(data, ensure_ascii=False))
    if response.status_code == 200:
        listed = expected_list(mx, case.op, case.role, target, case.key)
        if listed is not None:
            kind, ids, _exact = listed
            assert refs[kind] == ids, f"{case}: lists {sorted(refs[kind])}, expected {sorted(ids)}"
            if "count" in data:
                assert data["count"] == len(ids)
    allowed_write = case.op.writes and want == case.op.ok and case.role != ANON
    assert (_audit_writes() > writes_before) == allowed_write, f"{case}: audit trail writes"


# Methods a URL does not list are refused with 405 (checked as a logged-in administrator, with
# ids of records that exist, so that nothing but the method is wrong).
UNLISTED = [
    (name, method)
    for name, ops in PAGES.items()
    for method in ("GET", "POST")
    if method not in {op.method for op in ops} and not name.startswith("api:")
]
UNLISTED_API = [
    (method, path)
    for path in sorted({p for _, p in API})
    for method in ("GET", "POST", "PATCH", "PUT", "DELETE")
    if (method, path) not in API
]


def unlisted_pages(module: str) -> list[tuple[str, str]]:
    return [(name, method) for name, method in UNLISTED if module_of(name) == module]


def unlisted_api(module: str) -> list[tuple[str, str]]:
    return [(method, path) for method, path in UNLISTED_API if module_of((method, path)) == module]


def check_page_refuses_unlisted_method(mx, name: str, method: str) -> None:
    client = _client(mx)
    client.force_login(mx.users["administrator"])
    op = PAGES[name][0]
    kwargs = {}
    if op.via == "path" and op.obj:
        case = Case(name, op, "administrator", _relations(op, "administrator")[0])
        kwargs = _path_kwargs(op, target_of(mx, case))
    url = reverse(name, kwargs=kwargs)
    response = client.get(url) if method == "GET" else client.post(url)
    assert response.status_code == 405


def check_api_refuses_unlisted_method(mx, method: str, path: str) -> None:
    client = _client(mx)
    url = path.replace("{id}", str(mx.households["HG1"].pk))
    headers = {"Authorization": f"Bearer {mx.tokens['district_leader']}"}
    response = client.generic(method, url, "{}", content_type="application/json", headers=headers)
    assert response.status_code == 405


# --- for the expectations written out by hand in the module files -----------------------------


def page_client(mx, role: str) -> Client:
    client = _client(mx)
    client.force_login(mx.users[role])
    return client


def api_get(mx, role: str, path: str, **query):
    return _client(mx).get(path, query, headers={"Authorization": f"Bearer {mx.tokens[role]}"})


def api_post(mx, role: str, path: str, body: dict):
    return _client(mx).post(
        path,
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {mx.tokens[role]}"},
    )
