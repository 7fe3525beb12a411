from linli.registry.models import Household, Resident


def test_scope_follows_the_tree(world):
    cw = world.users["community_worker"]
    visible = set(Household.objects.restrict(cw, "view").values_list("number", flat=True))
    assert visible == {world.households[0].number, world.households[1].number}
    leader = world.users["district_leader"]
    assert Household.objects.restrict(leader, "view").count() == len(world.households)
    assert Household.objects.restrict(leader, "change").count() == 0
    resident = world.users["resident"]
    assert list(Resident.objects.restrict(resident, "view")) == list(
        world.households[0].members.all()
    )
    assert Household.objects.restrict(world.users["auditor"], "view").count() == 0
