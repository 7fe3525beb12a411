"""The full 峡山区 demo district reproduces the source's figures exactly: 277 villages, 65,549
households, 2,271 poor households 困难户, and the organisations and posts it counts. The plan is
checked without a database; then the whole district is built once, as `linli demo` builds it."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db.models import Count

from linli.core.dates import age_on
from linli.core.models import Area
from linli.core.validators import parse_id_number, validate_division_code
from linli.demo import builder, data
from linli.registry.models import Household, HouseholdTag, Organisation, Post, Resident

DAY = dt.date(2026, 3, 1)


def test_the_district_data_has_the_source_places():
    villages = [v for s in data.STREETS for c in s.communities for v in c.villages]
    assert len(data.STREETS) == 4
    assert sum(len(s.communities) for s in data.STREETS) == 26
    assert len(villages) == 277 and len(set(villages)) == 277
    communities = [c.name for s in data.STREETS for c in s.communities]
    assert len(set(communities)) == 26
    assert not set(communities) & set(villages)
    for first, second in data.JOINT_BRANCHES:
        community = next(c for s in data.STREETS for c in s.communities if first in c.villages)
        assert second in community.villages
    assert len(data.COMMUNITIES_WITHOUT_CLINIC) == 26 - 22
    assert len(data.COMMUNITIES_WITHOUT_POLICE_ROOM) == 26 - 24
    for street in data.STREETS:
        for _community, _village, code in builder.village_codes(street):
            validate_division_code(code)


@pytest.mark.slow
def test_the_full_plan_has_the_source_figures():
    planner, villages = builder.plan_district(seed=data.DEFAULT_SEED, today=DAY)
    households = [hh for v in villages for hh in v.households]
    people = [m for hh in households for m in hh.members]
    assert len(villages) == 277
    assert len(households) == 65_549
    assert 2.8 <= len(people) / len(households) <= 3.4
    assert len({p.id_number for p in people}) == len(people)
    for person in people[::97]:
        facts = parse_id_number(person.id_number, today=DAY)
        assert age_on(facts.birth_date, DAY) == person.age
        assert facts.sex == ("male" if person.male else "female")
    # 2,270 poor households in the plan; the community worker adds 刘志辉's after registration.
    poor = [hh for hh in households if hh.has("困难户")]
    assert len(poor) == 2_270
    liu = next(hh for hh in households if hh.head.name == "刘志辉")
    assert not liu.has("困难户")
    assert all(hh.has("困难户") for hh in households if hh.has("特困") or hh.has("低保"))
    for village in villages:
        low, high = data.VILLAGE_HOUSEHOLDS
        assert low <= len(village.households) <= high, village.name
        grids = Counter(hh.grid for hh in village.households)
        assert sorted(grids) == list(range(village.grids))
        assert all(85 <= n <= 180 for n in grids.values()), village.name
        numbers = {hh.number for hh in village.households}
        for central, neighbours in village.central_households:
            assert 10 <= len(neighbours) <= 15 and central not in neighbours
            assert numbers >= {central, *neighbours}
        assert len(village.central_households) == round(len(numbers) / 12)
    central = [hh for hh in households if hh.has("党员中心户")]
    assert 11 <= len(households) / len(central) <= 13
    assert all(any(m.has("党员") for m in hh.members) for hh in central)
    # The small build has the same places, grids, branches and secretaries' villages.
    _small_planner, small = builder.plan_district(seed=data.DEFAULT_SEED, today=DAY, size="small")

    def places(vs):
        return [
            (v.name, v.code, v.community, v.grids, v.branch, v.secretary is not None) for v in vs
        ]

    assert places(small) == places(villages)


@pytest.mark.slow
def test_the_full_build_has_the_source_figures(db):
    """峡山区 keeps the source's figures inside the city 潍坊市; 奎文区 beside it has a few thousand
    households of its own."""
    summary = builder.build_demo(seed=data.DEFAULT_SEED)
    district = Area.objects.get(kind="district", code=data.DISTRICT_CODE)
    within = district.path
    areas = Counter(Area.objects.under(district).values_list("kind", flat=True))
    assert (areas["street"], areas["community"], areas["village"]) == (4, 26, 277)
    households = Household.objects.filter(area__path__startswith=within)
    assert households.count() == 65_549
    poor = HouseholdTag.objects.filter(
        tag__name="困难户", tag__target="household", household__area__path__startswith=within
    )
    assert poor.count() == 2_271
    assert poor.filter(household__members__name="刘志辉").exists()
    assert summary.counts["households"] == Household.objects.count()
    kuiwen = Area.objects.get(kind="district", code=data.URBAN_DISTRICT_CODE)
    urban = Household.objects.filter(area__path__startswith=kuiwen.path)
    assert 2_000 <= urban.count() <= 5_000
    assert urban.count() + households.count() == Household.objects.count()
    assert summary.counts["residents"] == Resident.objects.count() > 3 * 60_000
    organisations = Counter(
        Organisation.objects.filter(area__path__startswith=within).values_list("kind", flat=True)
    )
    assert {k: organisations[k] for k in organisations} == {
        "department": len(data.DEPARTMENTS),
        "street_office": 4,
        "general_party_branch": 26,
        "service_hall": 26,
        "clinic": 22,
        "police_room": 24,
        "village_party_branch": 275,
        "village_committee": 277,
    }
    posts = Counter(
        Post.objects.filter(area__path__startswith=within).values_list("kind", flat=True)
    )
    assert {
        "first_secretary": 54,
        "civil_servant": 27,
        "graduate_village_official": 6,
        "agency_cadre": 142,
        "general_branch_secretary": 26,
        "general_branch_member": 275,
        "village_branch_secretary": 275,
    }.items() <= posts.items()
    assert posts["grid_worker"] == areas["grid"]
    # Every village has households, in grids of about a hundred or more.
    per_grid = households.values("area").annotate(n=Count("id"))
    assert per_grid.count() == areas["grid"]
    assert all(85 <= row["n"] <= 180 for row in per_grid)
