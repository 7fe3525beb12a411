"""三权分立: administrator, security officer and auditor are separate people, and only the
security officer grants roles."""

import datetime as dt
import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from linli.accounts import services
from linli.accounts.models import Grant
from linli.accounts.roles import SEPARATED_ROLES, Role
from linli.core.models import AuditRecord
from tests import factories as f

SEPARATED = sorted(SEPARATED_ROLES)
ORDINARY = [Role.COMMUNITY_WORKER, Role.DISTRICT_LEADER, Role.RESIDENT]


def grant(world, user, role, area=None):
    return services.grant_create(
        actor=world.users["security_officer"], user=user, role=role, area=area or world.district
    )


@pytest.mark.parametrize(("held", "wanted"), list(itertools.permutations(SEPARATED, 2)))
def test_nobody_holds_two_separated_roles(world, held, wanted):
    person = f.user_with(held, world.district)
    with pytest.raises(ValidationError) as refused:
        grant(world, person, wanted)
    assert "role" in refused.value.message_dict
    assert set(Grant.objects.filter(user=person).values_list("role", flat=True)) == {held}


@pytest.mark.parametrize(("separated", "ordinary"), list(itertools.product(SEPARATED, ORDINARY)))
def test_a_separated_role_excludes_every_other_role(world, separated, ordinary):
    area = world.villages[0]
    first = f.user_with(separated, world.district)
    with pytest.raises(ValidationError):
        grant(world, first, ordinary, area)
    second = f.user_with(ordinary, area)
    with pytest.raises(ValidationError):
        grant(world, second, separated)
    assert Grant.objects.filter(user__in=[first, second]).count() == 2


def test_the_same_separated_role_over_another_area_is_allowed(world):
    admin = world.users["administrator"]
    grant(world, admin, Role.ADMINISTRATOR, world.streets[0])
    assert set(admin.grants.values_list("role", flat=True)) == {Role.ADMINISTRATOR}
    assert admin.grants.count() == 2


def test_ordinary_roles_may_be_combined(world):
    cadre = world.users["village_cadre"]
    grant(world, cadre, Role.GRID_WORKER, world.grids[0])
    assert set(cadre.grants.values_list("role", flat=True)) == {"village_cadre", "grid_worker"}


def test_an_ended_grant_no_longer_blocks_a_separated_role(world):
    person = f.user_with(Role.COMMUNITY_WORKER, world.communities[0])
    person.grants.update(starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2021, 1, 1))
    grant(world, person, Role.AUDITOR)
    assert Role.AUDITOR in set(person.grants.values_list("role", flat=True))


@pytest.mark.parametrize(
    "granter", ["administrator", "auditor", "district_leader", "community_worker", "resident"]
)
def test_only_security_officers_grant_roles(world, granter):
    person = f.user_with(Role.GRID_WORKER, world.grids[0])
    with pytest.raises(PermissionDenied):
        services.grant_create(
            actor=world.users[granter], user=person, role=Role.VILLAGE_CADRE, area=world.villages[0]
        )
    assert person.grants.count() == 1


def test_a_security_officers_grant_is_audited(world):
    person = f.user_with(Role.GRID_WORKER, world.grids[0])
    officer = world.users["security_officer"]
    new = grant(world, person, Role.VILLAGE_CADRE, world.villages[0])
    entry = AuditRecord.objects.get(object_type="accounts.grant", object_id=str(new.pk))
    assert entry.actor_id == officer.pk
    assert entry.action == "create"
    assert entry.changes["after"]["role"] == "village_cadre"
    assert new.granted_by == officer


def test_administrator_cannot_deactivate_the_auditor_or_security_officer(world):
    from django.core.exceptions import ValidationError

    from linli.accounts.services import user_set_active

    admin = world.users["administrator"]
    for role in ("auditor", "security_officer"):
        watcher = world.users[role]
        with pytest.raises(ValidationError):
            user_set_active(actor=admin, user=watcher, active=False)
        watcher.refresh_from_db()
        assert watcher.is_active
    worker = world.users["community_worker"]
    user_set_active(actor=admin, user=worker, active=False)
    worker.refresh_from_db()
    assert not worker.is_active
