"""The access matrix (tests/access_matrix.py) for appeals 诉求: its pages, tried by every role on
an appeal in its own area, a sibling area and the parent area (`test_page`), and — one layer
down, at the level of the services and selectors — every operation on appeals at each tier, in
the matrix's world.

Its dispute pages 矛盾纠纷 run on a dispute appeal for every household (`dx`); its API
operations are in tests/access_matrix.py (`API`) and tried at the end of this file too.

At the services' level the rule is held with the expectations computed — as the matrix computes
them — from the role table (`ROLE_PERMISSIONS`), the grants' areas and `Area.path` prefixes, not
from the module's own scoping code:

- sees an appeal: `appeals.view` over its place (a resident: their own household's appeal), or
  a department's staff once one of its steps has reached their department;
- acts on it where it waits (take, settle): the tier's permission (`appeals.village`,
  `.community`, `.street`) over its place, or, at the department tier, the department's staff;
- raises one at a place: `appeals.report` over the place (a resident: in their own name);
- makes the return visit: `appeals.return_visit` over its place (a resident: their own).

Allowed → done; the appeal not visible to the role → `OutOfScope` (404), for a place as for an
appeal; visible but not allowed → `PermissionDenied` (403); and a list shows exactly what the
role sees.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from linli.accounts.roles import ROLE_PERMISSIONS, Role
from linli.appeals import selectors, services
from linli.appeals.disputes import services as disputes
from linli.appeals.models import Appeal
from linli.core.scoping import OutOfScope
from tests import access_matrix as m
from tests.access_matrix import case_reads, mx  # noqa: F401 — the fixtures, used by name

TIERS = ("village", "community", "street", "department")
TIER_PERMISSION = {
    "village": "appeals.village",
    "community": "appeals.community",
    "street": "appeals.street",
}
ROLES = [r.value for r in Role]
OK, NOT_ALLOWED, NOT_THERE = "ok", "403", "404"


@pytest.fixture(scope="module")
def ax(mx, django_db_blocker):  # noqa: F811
    """Appeals in the matrix's world, built once for the module inside a savepoint that is
    rolled back after it: for every household, one waiting at each tier (its head the reporter,
    its area the place) and one settled at the village."""
    with django_db_blocker.unblock(), transaction.atomic():
        department = mx.organisations["dept"]
        categories = {
            tier: services.category_create(
                actor=None,
                code=f"MX-{tier}",
                name=f"矩阵{tier}",
                default_tier=tier,
                village_days=3,
                community_days=3,
                street_days=3,
                department_days=3,
                department=department,
            )
            for tier in TIERS
        }
        appeals: dict[tuple[str, str], Appeal] = {}
        for key, household in mx.households.items():
            for tier in TIERS:
                appeals[(key, tier)] = _raise(categories[tier], household)
            settled = _raise(categories["village"], household)
            appeals[(key, "settled")] = services.appeal_settle(
                actor=None, appeal=settled, what_was_done="已处理"
            )
        yield SimpleNamespace(world=mx, appeals=appeals, department=department)
        transaction.set_rollback(True)


def _raise(category, household) -> Appeal:
    return services.appeal_create(
        actor=None,
        category=category,
        channel="counter",
        area=household.area,
        description="矩阵诉求",
        reporter=household.head,
    )


# --- the expectations, from the role table and the areas' paths ---------------------------------


def _grant_path(w, role: str) -> str:
    return w.areas[m.GRANT_AREA[role]].path


def _over(w, role: str, perm: str, appeal: Appeal) -> bool:
    """`perm` over the appeal's place: a grant above it, or a resident's own household."""
    if perm not in ROLE_PERMISSIONS[role]:
        return False
    if role == Role.RESIDENT:
        return appeal.household_id == w.own_household_id
    return appeal.area.path.startswith(_grant_path(w, role))


def _department_staff_of(ax, role: str, appeal: Appeal) -> bool:
    return role == Role.DEPARTMENT_STAFF and appeal.department_id == ax.department.pk


def sees(ax, role: str, appeal: Appeal) -> bool:
    return _over(ax.world, role, "appeals.view", appeal) or _department_staff_of(ax, role, appeal)


def acts(ax, role: str, appeal: Appeal) -> bool:
    if appeal.tier == "department":
        return _department_staff_of(ax, role, appeal)
    return role != Role.RESIDENT and _over(ax.world, role, TIER_PERMISSION[appeal.tier], appeal)


def _expected(allowed: bool, visible: bool) -> str:
    return OK if allowed else (NOT_ALLOWED if visible else NOT_THERE)


def _outcome(call) -> str:
    try:
        with transaction.atomic():
            call()
            transaction.set_rollback(True)
    except OutOfScope:
        return NOT_THERE
    except PermissionDenied:
        return NOT_ALLOWED
    return OK


CASES = [
    pytest.param(role, relation, key, id=f"{role}-{relation}")
    for role in ROLES
    for relation, key in m.HOUSEHOLD_TARGETS[role].items()
]


# --- the cases -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "relation", "key"), CASES)
def test_reading(ax, db, role, relation, key):
    user = ax.world.users[role]
    listed = set(selectors.appeal_list(user=user).values_list("pk", flat=True))
    for what in (*TIERS, "settled"):
        appeal = ax.appeals[(key, what)]
        visible = sees(ax, role, appeal)
        got = _outcome(lambda appeal=appeal: selectors.appeal_get(user=user, pk=appeal.pk))
        assert got == (OK if visible else NOT_THERE), (role, relation, what)
        assert (appeal.pk in listed) == visible, (role, relation, what)


def test_lists_show_exactly_what_each_role_sees(ax, db):
    for role in ROLES:
        user = ax.world.users[role]
        listed = set(selectors.appeal_list(user=user).values_list("pk", flat=True))
        every = list(Appeal.objects.select_related("area"))  # the matrix world's too
        expected = {a.pk for a in every if sees(ax, role, a)}
        assert listed == expected, role
        queue = set(selectors.appeal_queue(user=user).values_list("pk", flat=True))
        waiting = {a.pk for a in every if a.state == "waiting" and acts(ax, role, a)}
        assert queue == waiting, role


@pytest.mark.parametrize(("role", "relation", "key"), CASES)
def test_handling_at_each_tier(ax, db, role, relation, key):
    user = ax.world.users[role]
    for tier in TIERS:
        appeal = ax.appeals[(key, tier)]
        want = _expected(acts(ax, role, appeal), sees(ax, role, appeal))
        take = _outcome(lambda appeal=appeal: services.appeal_take(actor=user, appeal=appeal))
        settle = _outcome(
            lambda appeal=appeal: services.appeal_settle(
                actor=user, appeal=appeal, what_was_done="已处理"
            )
        )
        assert (take, settle) == (want, want), (role, relation, tier)


@pytest.mark.parametrize(("role", "relation", "key"), CASES)
def test_return_visit(ax, db, role, relation, key):
    user = ax.world.users[role]
    appeal = ax.appeals[(key, "settled")]
    staff = role != Role.RESIDENT
    allowed = _over(ax.world, role, "appeals.return_visit", appeal)
    got = _outcome(
        lambda: services.return_visit_record(
            actor=user,
            appeal=appeal,
            satisfaction="satisfied",
            method="phone" if staff else "resident_phone",
        )
    )
    assert got == _expected(allowed, sees(ax, role, appeal)), (role, relation)


AREA_CASES = [
    pytest.param(role, relation, area, id=f"{role}-{relation}")
    for role in ROLES
    for relation, area in m.AREA_TARGETS[role].items()
]


@pytest.mark.parametrize(("role", "relation", "area_key"), AREA_CASES)
def test_raising_an_appeal_at_a_place(ax, db, role, relation, area_key):
    w = ax.world
    user, area = w.users[role], w.areas[area_key]
    perms = ROLE_PERMISSIONS[role]
    if role == Role.RESIDENT:  # in their own name, about any place
        allowed, visible = "appeals.report" in perms, True
        extra = {"channel": "resident_phone"}
    else:
        under = area.path.startswith(_grant_path(w, role))
        allowed = under and "appeals.report" in perms
        visible = under and "appeals.view" in perms
        extra = {"channel": "counter", "reporter_name": "路人甲", "reporter_mobile": "13900000001"}
    got = _outcome(
        lambda: services.appeal_create(
            actor=user,
            category="MX-village",
            area=area,
            description="矩阵新诉求",
            **extra,
        )
    )
    assert got == _expected(allowed, visible), (role, relation)


# --- the dispute pages, through the matrix ---------------------------------------------------------

MODULE = "appeals"
AGREEMENT_SCAN = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _agreed_dispute(category, household) -> Appeal:
    """A dispute between the household's head and an outsider, mediated at its tier and settled
    by an agreement whose signed scan is uploaded."""
    appeal = _raise(category, household)
    head = disputes.dispute_add_party(
        actor=None, appeal=appeal, side="applicant", resident=household.head
    )
    outsider = disputes.dispute_add_party(
        actor=None, appeal=appeal, side="respondent", name="矩阵邻居", mobile="13900000002"
    )
    disputes.dispute_set_mediator(actor=None, appeal=appeal, mediator_name="矩阵调解员")
    disputes.session_record(
        actor=None,
        appeal=appeal,
        held_at=timezone.now(),
        place="村委会调解室",
        attended=[head, outsider],
        notes="双方同意",
    )
    disputes.agreement_record(
        actor=None,
        appeal=appeal,
        facts="排水沟纠纷",
        terms="十日内改道",
        signed_on=timezone.localdate(),
    )
    scan = SimpleUploadedFile("协议书.pdf", AGREEMENT_SCAN, content_type="application/pdf")
    disputes.agreement_upload_scan(actor=None, appeal=appeal, scan=scan)
    return appeal


@pytest.fixture(scope="module")
def dx(mx, django_db_blocker):  # noqa: F811
    """A settled dispute appeal for every household of the matrix's world (`dispute_appeals`),
    in a savepoint rolled back after the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        category = services.category_create(
            actor=None,
            code="MX-dispute",
            name="矩阵纠纷",
            village_days=3,
            community_days=3,
            street_days=3,
            department_days=3,
            dispute=True,
        )
        mx.dispute_appeals = {
            key: _agreed_dispute(category, household) for key, household in mx.households.items()
        }
        # The world's tables and audit trail now hold the disputes: every case starts from here.
        built_writes, mx.audit_writes = mx.audit_writes, m._audit_writes()
        m._WORLD_READS.clear()
        yield mx
        del mx.dispute_appeals
        mx.audit_writes = built_writes
        m._WORLD_READS.clear()
        transaction.set_rollback(True)


@pytest.mark.parametrize("case", m.page_params(MODULE))
def test_page(dx, db, case_reads, case: m.Case):  # noqa: F811
    m.check_page(dx, case)


@pytest.mark.parametrize(("name", "method"), m.unlisted_pages(MODULE), ids=lambda v: str(v))
def test_page_refuses_unlisted_methods(dx, db, name, method):
    m.check_page_refuses_unlisted_method(dx, name, method)


@pytest.mark.parametrize("case", m.api_params(MODULE))
def test_api(mx, db, case_reads, case: m.Case):  # noqa: F811
    m.check_api(mx, case)


@pytest.mark.parametrize(("method", "path"), m.unlisted_api(MODULE), ids=lambda v: str(v))
def test_api_refuses_unlisted_methods(mx, db, method, path):  # noqa: F811
    m.check_api_refuses_unlisted_method(mx, method, path)
