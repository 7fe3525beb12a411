"""The area tree 区域: subtree queries, moving a village with everything under it, codes."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from linli.core import audit, selectors, services
from linli.core.models import Area, AuditRecord, TimelineEvent
from linli.registry.models import Household, Resident
from tests import factories as f


def subtree_by_parent_links(root: Area) -> set[int]:
    """The subtree computed the slow, obvious way: following parent links."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Area.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    found, todo = set(), [root.pk]
    while todo:
        pk = todo.pop()
        found.add(pk)
        todo.extend(children.get(pk, []))
    return found


def test_under_is_one_query_and_exactly_the_subtree(world, django_assert_num_queries):
    for root in [world.district, world.streets[1], world.communities[0], world.villages[3]]:
        with django_assert_num_queries(1):
            found = {a.pk for a in Area.objects.under(root)}
        assert found == subtree_by_parent_links(root)
    with django_assert_num_queries(1):
        below = list(Area.objects.under(world.communities[0], include_self=False))
    assert world.communities[0] not in below
    assert {a.pk for a in below} == subtree_by_parent_links(world.communities[0]) - {
        world.communities[0].pk
    }


def test_under_does_not_catch_a_sibling_whose_path_shares_digits(world):
    # Paths are fixed-width segments with a separator, so area 1 is no prefix of area 10.
    for village in world.villages:
        under = set(Area.objects.under(village))
        assert under == {village, *village.children.all()}


@pytest.fixture
def move(world):
    """文岭一村 (under 文岭社区) with a building in its grid, ready to move to 营辉社区."""
    village, grid = world.villages[0], world.grids[0]
    building = f.area("1号楼", "building", grid)
    return village, grid, building, world.communities[0], world.communities[1]


def test_moving_a_village_carries_its_grids_households_and_residents(world, move):
    village, grid, building, old, new = move
    admin = world.users["administrator"]
    household = world.households[0]
    old_worker = world.users["community_worker"]
    new_worker = f.user_with("community_worker", new)
    assert Household.objects.restrict(old_worker).filter(pk=household.pk).exists()
    assert not Household.objects.restrict(new_worker).filter(pk=household.pk).exists()

    services.area_move(actor=admin, area=village, new_parent=new, reason="2015年合村并居")

    village.refresh_from_db(), grid.refresh_from_db(), building.refresh_from_db()
    assert village.parent == new
    assert village.path.startswith(new.path) and village.depth == new.depth + 1
    assert grid.path.startswith(village.path) and grid.depth == village.depth + 1
    assert building.path.startswith(grid.path) and building.depth == grid.depth + 1
    assert set(Area.objects.under(village)) == {village, grid, building}
    assert set(Area.objects.under(old)) == {old, world.villages[1], world.grids[1]}

    members = set(household.members.all())
    assert household in Household.objects.under(new)
    assert household not in Household.objects.under(old)
    assert members <= set(Resident.objects.under(new))
    assert not members & set(Resident.objects.under(old))
    # Scope follows the tree: the old community's worker lost them, the new one has them.
    assert not Household.objects.restrict(old_worker).filter(pk=household.pk).exists()
    assert not Resident.objects.restrict(old_worker).filter(household=household).exists()
    assert Household.objects.restrict(new_worker).filter(pk=household.pk).exists()
    assert set(Resident.objects.restrict(new_worker).filter(household=household)) == members


def test_a_move_is_in_the_audit_trail_with_before_and_after(world, move):
    village, _, _, old, new = move
    admin = world.users["administrator"]
    old_path = village.path

    services.area_move(actor=admin, area=village, new_parent=new, reason="2015年合村并居")

    entry = AuditRecord.objects.get(action="move", object_id=str(village.pk))
    assert entry.object_type == "core.area"
    assert entry.actor_id == admin.pk
    assert entry.reason == "2015年合村并居"
    assert entry.changes["before"] == {"parent_id": old.pk, "path": old_path}
    village.refresh_from_db()
    assert entry.changes["after"] == {"parent_id": new.pk, "path": village.path}
    assert TimelineEvent.objects.filter(object_id=village.pk, verb="moved").exists()


def test_history_stays_with_the_moved_households(world, move):
    village, _, _, _, new = move
    household = world.households[0]
    history = set(
        AuditRecord.objects.filter(object_type="registry.household", object_id=str(household.pk))
    )
    assert history
    services.area_move(actor=world.users["administrator"], area=village, new_parent=new)
    after = set(
        AuditRecord.objects.filter(object_type="registry.household", object_id=str(household.pk))
    )
    assert history <= after  # nothing lost, nothing re-keyed
    assert audit.verify().ok


def test_an_area_cannot_move_under_its_own_descendant(world):
    admin = world.users["administrator"]
    street, community = world.streets[0], world.communities[0]
    paths = dict(Area.objects.values_list("pk", "path"))
    for area, target in [(street, community), (community, world.grids[0]), (community, community)]:
        with pytest.raises(ValidationError) as refused:
            services.area_move(actor=admin, area=area, new_parent=target)
        assert "parent" in refused.value.message_dict
    assert dict(Area.objects.values_list("pk", "path")) == paths


def test_a_village_cannot_move_under_the_wrong_kind_of_area(world):
    with pytest.raises(ValidationError) as refused:
        services.area_move(
            actor=world.users["administrator"], area=world.villages[0], new_parent=world.streets[1]
        )
    assert "parent" in refused.value.message_dict
    world.villages[0].refresh_from_db()
    assert world.villages[0].parent == world.communities[0]


def test_only_someone_who_may_change_both_places_can_move(world):
    village, target = world.villages[0], world.communities[2]
    with pytest.raises(PermissionDenied):
        services.area_move(actor=world.users["community_worker"], area=village, new_parent=target)
    street_admin = f.user_with("administrator", world.streets[0])
    with pytest.raises(PermissionDenied):  # the target is in another street
        services.area_move(actor=street_admin, area=village, new_parent=target)
    village.refresh_from_db()
    assert village.parent == world.communities[0]
    assert not AuditRecord.objects.filter(action="move").exists()


@pytest.mark.parametrize("bad", ["37070200100", "37070200100a", "000000000000", "370702000001"])
def test_bad_division_codes_are_refused_on_create_and_update(world, bad):
    admin = world.users["administrator"]
    count = Area.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.area_create(
            actor=admin, name="新村", kind="village", parent=world.communities[0], code=bad
        )
    assert "code" in refused.value.message_dict
    assert Area.objects.count() == count
    with pytest.raises(ValidationError) as refused:
        services.area_update(actor=admin, area=world.villages[0], name="文岭一村", code=bad)
    assert "code" in refused.value.message_dict
    world.villages[0].refresh_from_db()
    assert world.villages[0].code == ""


def test_a_good_division_code_is_stored(world):
    admin = world.users["administrator"]
    area = services.area_update(
        actor=admin, area=world.villages[0], name="文岭一村", code="370772101201"
    )
    assert Area.objects.get(pk=area.pk).code == "370772101201"


def test_tree_level_counts_cost_the_same_queries_however_many_children(world):
    leader = world.users["district_leader"]  # sees areas and households
    small = world.communities[0]
    big = world.communities[1]
    for i in range(6):
        village = f.area(f"新村{i}", "village", big)
        f.household(village, f"N{i:04d}")
    counts = []
    for parent in (small, big):
        leader = type(leader).objects.get(pk=leader.pk)  # fresh grants cache for each run
        leader.active_grants  # noqa: B018 (load the grants outside the measured block)
        with CaptureQueriesContext(connection) as queries:
            nodes = selectors.area_nodes(user=leader, parent=parent)
        counts.append(len(queries))
    assert len(nodes) == 8
    # The level, its child counts, its household counts, and (once for the user) the tops of
    # the area tree, which tell that a district leader's scope needs no path test.
    assert counts[0] == counts[1] == 4
    by_name = {n.name: n for n in nodes}
    assert by_name["新村0"].household_count == 1 and by_name["新村0"].child_count == 0
    assert by_name[world.villages[2].name].child_count == 1
    assert by_name[world.villages[2].name].household_count == 1
