"""The whole-tree shortcut of core.scoping: a user whose grants cover every tree of areas gets
lists with no path test (and no joins up to the area), and only then. A second district, a
grant below the top, or a way to the area through an empty link each keep the test."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from linli.core.models import Area
from linli.core.scoping import _always_in_tree, under_area
from linli.registry.models import Household
from linli.visits.models import Visit

from .. import factories as f


def _sql(queryset) -> str:
    return str(queryset.query).lower()


def test_a_leader_of_the_only_district_lists_every_household_without_a_path_test(world):
    leader = world.users["district_leader"]
    households = Household.objects.restrict(leader, "view")
    assert "core_area" not in _sql(households)
    assert set(households) == set(Household.objects.all())


def test_a_second_district_keeps_the_path_test_and_its_households_out(world):
    other = f.area("另一区", "district")
    street = f.area("外街道", "street", other)
    village = f.area("外村", "village", f.area("外社区", "community", street))
    outside = f.household(village, "X00001")
    leader = type(world.users["district_leader"]).objects.get(pk=world.users["district_leader"].pk)
    households = Household.objects.restrict(leader, "view")
    assert "core_area" in _sql(households)
    assert outside not in set(households)
    assert set(households) == set(Household.objects.exclude(pk=outside.pk))


def test_a_street_cadre_keeps_the_path_test_without_looking_up_the_tree(world):
    cadre = world.users["street_cadre"]
    cadre.active_grants  # noqa: B018 — grants are read once a request anyway
    with CaptureQueriesContext(connection) as queries:
        households = list(Household.objects.restrict(cadre, "view"))
    assert len(queries) == 1  # the list itself: no look-up of the tree's tops
    assert {h.area.path[: len(world.streets[0].path)] for h in households} == {
        world.streets[0].path
    }


def test_under_the_top_of_the_only_tree_is_everything_and_under_a_street_is_the_street(world):
    everything = under_area(Household.objects.all(), "area__path", world.district)
    assert "where" not in _sql(everything)
    street = under_area(Household.objects.all(), "area__path", world.streets[1])
    assert set(street) == {
        h for h in world.households if h.area.path.startswith(world.streets[1].path)
    }
    f.area("另一区", "district")
    district = Area.objects.get(pk=world.district.pk)  # a new request's area
    assert "core_area" in _sql(under_area(Household.objects.all(), "area__path", district))


def test_a_way_to_the_area_through_an_empty_link_never_takes_the_shortcut():
    assert _always_in_tree(Visit, "household__area__path")
    assert not _always_in_tree(Visit, "assignment__scope_area__path")  # a visit may have none
    assert _always_in_tree(Area, "path")
