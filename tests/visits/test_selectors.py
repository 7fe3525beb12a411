"""Reads of the five links and visits module: "my households" (most overdue first, pinyin
search), the overdue lists and counts per village, community and grid worker, visits and needs
in scope (a district leader sees the district, another street nothing), assignments, and the
gap list per level — each list at a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from linli.core.scoping import OutOfScope
from linli.registry.models import Post
from linli.visits import policies, selectors, services
from linli.visits.services import NeedInput

from .. import factories as f

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 9, 28)  # a Monday


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(dt.datetime(2026, 9, 28, 10, tzinfo=SHANGHAI), tick=False):
        yield


def _refresh():
    policies.states_refresh(today=TODAY)


# --- my households ----------------------------------------------------------------------------


def test_my_households_most_overdue_first(visits_world):
    v = visits_world
    _refresh()
    rows = list(selectors.my_households(user=v.worker))
    # Registered 5 Jan, never visited: 留守老人 due 19 Jan, 困难户 5 Feb, the others 7 Apr.
    assert [h.number for h in rows] == ["H20002", "H20001", "H00001", "H20003"]
    assert [h.due_on for h in rows] == [
        dt.date(2026, 1, 19),
        dt.date(2026, 2, 5),
        dt.date(2026, 4, 7),
        dt.date(2026, 4, 7),
    ]
    assert [h.overdue_days for h in rows] == [(TODAY - h.due_on).days for h in rows]
    assert rows[0].overdue_days == 252 and rows[0].last_visited_on is None
    services.visit_record(actor=v.worker, household=v.left_behind, channel="home")
    rows = list(selectors.my_households(user=v.worker))
    assert rows[-1].number == "H20002"
    assert (rows[-1].last_visited_on, rows[-1].overdue_days) == (TODAY, 0)
    assert rows[-1].due_on == dt.date(2026, 10, 12)  # 12 Oct: two weeks on, a Monday


def test_my_households_are_the_record_scope(visits_world):
    v = visits_world
    assert selectors.my_households(user=v.users["auditor"]).count() == 0
    assert selectors.my_households(user=v.users["resident"]).count() == 0
    cadre = {h.number for h in selectors.my_households(user=v.users["community_worker"])}
    assert cadre == {"H00001", "H00002", "H20001", "H20002", "H20003"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lzh", {"H20001"}),  # initials of 刘志辉
        ("liuzhi", {"H20001"}),  # the start of the full pinyin
        ("刘志", {"H20001"}),
        ("wanglaoh", {"H20002"}),  # 王老汉, a member, not the head
        ("H2000", {"H20001", "H20002", "H20003"}),  # household number, its start
        ("H20003", {"H20003"}),
        ("H20003号", {"H20003"}),  # the address
        ("zzz", set()),
        ("  ", {"H00001", "H20001", "H20002", "H20003"}),
    ],
)
def test_my_households_search(visits_world, query, expected):
    rows = selectors.my_households(user=visits_world.worker, query=query)
    assert {h.number for h in rows} == expected


def _count_queries(fn) -> int:
    with CaptureQueriesContext(connection) as queries:
        fn()
    return len(queries)


def _more_households(v, n: int):
    for i in range(n):
        f.household(v.grid, f"H3{i:04d}", head_name=f"加户{i}")


def test_my_households_cost_a_fixed_number_of_queries(visits_world, django_assert_max_num_queries):
    v = visits_world
    _refresh()

    shown = []

    def show():
        for h in selectors.my_households(user=v.worker, query="h"):
            shown.append((h.number, h.area.name, h.head.name, h.due_on, h.overdue_days))

    show()  # the user's grants are read once per request
    few = _count_queries(show)
    _more_households(v, 6)
    _refresh()
    with django_assert_max_num_queries(few):
        show()
    assert few <= 2


def test_visit_list_costs_a_fixed_number_of_queries(visits_world, django_assert_max_num_queries):
    v = visits_world
    leader = v.users["district_leader"]
    shown = []

    def show():
        for visit in selectors.visit_list(user=leader, filters={}):
            household = visit.household
            shown.append((household.number, household.head.name, household.area.name))
            shown.append((visit.area.name, visit.visitor, visit.get_channel_display()))

    services.visit_record(actor=v.worker, household=v.poor, channel="home")
    show()
    few = _count_queries(show)
    for household in (v.plain, v.left_behind, v.central, v.poor):
        services.visit_record(actor=v.worker, household=household, channel="phone")
    with django_assert_max_num_queries(few):
        show()
    assert few <= 2


# --- overdue ----------------------------------------------------------------------------------


@pytest.fixture
def overdue_world(visits_world):
    """Visited within their interval: H00001 and 困难户 H20001 (grid 1 of 文岭一村). Every other
    household (registered in January, never visited) is overdue."""
    v = visits_world
    for household in (v.plain, v.poor):
        services.visit_record(
            actor=v.worker, household=household, channel="home", visited_on=dt.date(2026, 9, 20)
        )
    _refresh()
    return v


def test_overdue_list_and_its_filters(overdue_world):
    v, w = overdue_world, overdue_world.world
    mine = list(selectors.overdue_list(user=v.worker))
    assert [h.number for h in mine] == ["H20002", "H20003"]
    assert all(h.overdue_days > 0 for h in mine)
    leader = v.users["district_leader"]
    everyone = selectors.overdue_list(user=leader)
    assert everyone.count() == 9  # 8 village households − H00001 + H20002, H20003
    area = selectors.overdue_list(user=leader, filters={"area": str(w.villages[1].pk)})
    assert [h.number for h in area] == ["H00002"]
    assert [
        h.number for h in selectors.overdue_list(user=leader, filters={"area": w.villages[0]})
    ] == [
        "H20002",
        "H20003",
    ]
    by_worker = selectors.overdue_list(user=leader, filters={"worker": v.worker.pk})
    assert [h.number for h in by_worker] == ["H20002", "H20003"]
    assert not selectors.overdue_list(user=leader, filters={"worker": 10**6}).exists()
    assert not selectors.overdue_list(user=leader, filters={"area": "nonsense"}).exists()
    far = f.user_with("street_cadre", w.streets[1])
    assert {h.number for h in selectors.overdue_list(user=far)} == {
        "H00005",
        "H00006",
        "H00007",
        "H00008",
    }


def _counts(rows) -> dict:
    return {r["label"]: (r["households"], r["overdue"]) for r in rows}


def test_overdue_counts_by_village_community_and_worker(overdue_world):
    v, w = overdue_world, overdue_world.world
    leader = v.users["district_leader"]
    villages = selectors.overdue_counts(user=leader, by="village")
    assert _counts(villages)["文岭一村"] == (4, 2)
    assert _counts(villages)["文岭二村"] == (1, 1)
    assert len(villages) == 8 and sum(r["overdue"] for r in villages) == 9
    assert {r["key"] for r in villages} == {a.pk for a in w.villages}
    communities = selectors.overdue_counts(user=leader, by="community")
    assert _counts(communities) == {
        "文岭社区": (5, 3),
        "营辉社区": (2, 2),
        "东朱社区": (2, 2),
        "西朱社区": (2, 2),
    }
    assert communities[0]["label"] == "文岭社区"  # the most overdue first
    in_street = selectors.overdue_counts(user=leader, by="community", area=w.streets[1])
    assert set(_counts(in_street)) == {"东朱社区", "西朱社区"}
    # Grid workers: the posts with a login, over their grids; an ended post does not count.
    Post.objects.create(
        holder_name="无账号网格员", kind="grid_worker", area=w.grids[1], starts_on=TODAY
    )
    gone = f.user_with("grid_worker", w.grids[2])
    Post.objects.create(
        holder_name="已离任",
        kind="grid_worker",
        area=w.grids[2],
        account=gone,
        starts_on=dt.date(2024, 1, 1),
        ends_on=dt.date(2026, 6, 30),
    )
    workers = selectors.overdue_counts(user=leader, by="worker")
    assert workers == [{"key": v.worker.pk, "label": "网格员小李", "households": 4, "overdue": 2}]
    # A grid worker counts their own grid only.
    own = selectors.overdue_counts(user=v.worker, by="village")
    assert _counts(own) == {"文岭一村": (4, 2)}
    far = f.user_with("street_cadre", w.streets[1])
    assert selectors.overdue_counts(user=far, by="worker") == []
    with pytest.raises(ValueError):
        selectors.overdue_counts(user=leader, by="planet")


# --- visits and needs in scope ----------------------------------------------------------------


def test_visits_in_scope(overdue_world, django_assert_max_num_queries):
    v, w = overdue_world, overdue_world.world
    visit = services.visit_record(
        actor=v.worker,
        household=v.central,
        channel="phone",
        needs=[NeedInput("dispute", "邻里纠纷")],
    )
    leader, far = v.users["district_leader"], f.user_with("street_cadre", w.streets[1])
    assert selectors.visit_list(user=leader).count() == 3
    assert selectors.visit_list(user=far).count() == 0
    with pytest.raises(OutOfScope):
        selectors.visit_get(user=far, pk=visit.pk)
    # Two reads; on PostgreSQL also the join order's SET and RESET around them (core.planning).
    planning = 2 if connection.vendor == "postgresql" else 0
    with django_assert_max_num_queries(2 + planning):
        got = selectors.visit_get(user=leader, pk=visit.pk)
        needs = [(n.description, n.household.head.name, n.application) for n in got.needs.all()]
    assert needs == [("邻里纠纷", "张党员", None)]
    filtered = selectors.visit_list(user=leader, filters={"channel": "phone"})
    assert list(filtered) == [visit]
    by_day = {"date_from": "2026-09-21", "date_to": "2026-09-28"}
    assert list(selectors.visit_list(user=leader, filters=by_day)) == [visit]
    assert selectors.visit_list(user=leader, filters={"household": v.poor.pk}).count() == 1
    assert selectors.visit_list(user=leader, filters={"visitor": str(v.worker.pk)}).count() == 3
    assert selectors.visit_list(user=leader, filters={"area": w.villages[1].pk}).count() == 0
    assert selectors.visit_list(user=leader, filters={"date_from": "28/09/2026"}).count() == 0
    assert selectors.visit_list(user=leader, filters={"channel": "fax"}).count() == 0
    # Needs, likewise.
    need = visit.needs.get()
    assert list(selectors.need_list(user=leader, filters={"status": "open"})) == [need]
    assert list(selectors.need_list(user=leader, filters={"category": "dispute"})) == [need]
    assert selectors.need_list(user=leader, filters={"category": "medical"}).count() == 0
    assert selectors.need_list(user=far).count() == 0
    with pytest.raises(OutOfScope):
        selectors.need_get(user=far, pk=need.pk)


# --- assignments and gaps ---------------------------------------------------------------------


@pytest.fixture
def linked(visits_world):
    """文岭一村 has a cadre (from 1 Sep); the central household takes 困难户 H20001; the party
    member has a village cadre; a leader took 太保庄街道 until 31 Aug."""
    v, w = visits_world, visits_world.world
    leader_post = Post.objects.create(
        holder_name="区长", kind="district_leader", area=w.district, starts_on=dt.date(2024, 1, 1)
    )
    cadre_post = Post.objects.create(
        holder_name="下派干部",
        kind="civil_servant",
        area=w.streets[0],
        starts_on=dt.date(2024, 1, 1),
    )

    def assign(level, contact, target, start=dt.date(2026, 9, 1), end=None):
        return services.assignment_create(
            actor=None, level=level, contact=contact, target=target, starts_on=start, ends_on=end
        )

    v.links = {
        1: assign(1, leader_post, w.streets[0], dt.date(2026, 1, 1), dt.date(2026, 8, 31)),
        3: assign(3, cadre_post, w.villages[0]),
        4: assign(4, v.worker_post, v.party_member),
        5: assign(5, v.central, v.poor),
    }
    return v


def test_assignment_list_and_get(linked):
    v, w = linked, linked.world
    leader, cadre = v.users["district_leader"], v.users["village_cadre"]
    assert [a.level for a in selectors.assignment_list(user=leader)] == [1, 3, 4, 5]
    assert [a.level for a in selectors.assignment_list(user=cadre)] == [3, 4, 5]
    assert [a.level for a in selectors.assignment_list(user=v.worker)] == [4, 5]
    filters = {"active_on": "2026-09-28"}
    assert [a.level for a in selectors.assignment_list(user=leader, filters=filters)] == [3, 4, 5]
    assert [a.level for a in selectors.assignment_list(user=leader, filters={"level": "5"})] == [5]
    by_name = selectors.assignment_list(user=leader, filters={"contact": "张党员"})
    assert list(by_name) == [v.links[5]]
    assert selectors.assignment_list(user=leader, filters={"area": w.streets[1].pk}).count() == 0
    far = f.user_with("street_cadre", w.streets[1])
    assert selectors.assignment_list(user=far).count() == 0
    with pytest.raises(OutOfScope):
        selectors.assignment_get(user=far, pk=v.links[3].pk)
    assert selectors.assignment_get(user=cadre, pk=v.links[3].pk).target_label == "文岭一村"


def test_gap_list_per_level(linked):
    v, w = linked, linked.world
    street_cadre = v.users["street_cadre"]
    assert list(selectors.gap_list(user=street_cadre, level=1)) == [w.streets[0]]  # ended
    assert list(selectors.gap_list(user=street_cadre, level=1, on=dt.date(2026, 8, 31))) == []
    assert list(selectors.gap_list(user=street_cadre, level=2)) == w.communities[:2]
    assert list(selectors.gap_list(user=street_cadre, level=3)) == w.villages[1:4]
    assert (
        list(selectors.gap_list(user=street_cadre, level=3, area=w.communities[1]))
        == (w.villages[2:4])
    )
    assert (
        list(selectors.gap_list(user=street_cadre, level=3, on=dt.date(2026, 8, 31)))
        == (w.villages[:4])
    )
    assert list(selectors.gap_list(user=street_cadre, level=4)) == []
    # Level 5: neither contacted by a central household nor one with households to contact.
    gaps = {h.number for h in selectors.gap_list(user=v.worker, level=5)}
    assert gaps == {"H00001", "H20002"}
    assert (
        list(selectors.gap_list(user=f.user_with("street_cadre", w.streets[1]), level=3))
        == (w.villages[4:])
    )


def test_gap_list_of_party_members(linked):
    v = linked
    second = f.household(v.grid, "H20009", head_name="新党员")
    second.head.tag_links.create(tag=v.tags.party)
    assert list(selectors.gap_list(user=v.worker, level=4)) == [second.head]


def test_gap_counts(linked):
    v, w = linked, linked.world
    rows = selectors.gap_counts(user=v.users["district_leader"], area=w.district)
    counts = {r["level"]: (r["targets"], r["linked"], r["gaps"]) for r in rows}
    households = 8 + 3
    assert counts == {1: (2, 0, 2), 2: (4, 0, 4), 3: (8, 1, 7), 4: (1, 1, 0), 5: (households, 2, 9)}
    assert [r["label"] for r in rows][0] == "District leader → street"
    street = selectors.gap_counts(user=v.users["district_leader"], area=w.streets[1])
    assert {r["level"]: r["targets"] for r in street} == {1: 1, 2: 2, 3: 4, 4: 0, 5: 4}
    assert all(r["linked"] == 0 for r in street)


def test_gap_counts_cost_one_query_a_level(linked, django_assert_max_num_queries):
    v, w = linked, linked.world
    leader = v.users["district_leader"]
    selectors.gap_counts(user=leader, area=w.district)
    with django_assert_max_num_queries(5):
        selectors.gap_counts(user=leader, area=w.district)


def test_policy_list(visits_world):
    rows = list(selectors.policy_list())
    assert rows[0].is_default and {p.every for p in rows} == {3, 1, 2}


def test_a_worker_counts_the_households_in_buildings_of_their_grid(overdue_world):
    v = overdue_world
    building = f.area("3号楼", "building", v.grid)
    f.household(building, "H40001", head_name="楼里人")
    _refresh()
    leader = v.users["district_leader"]
    workers = selectors.overdue_counts(user=leader, by="worker")
    assert [(r["households"], r["overdue"]) for r in workers] == [(5, 2)]  # registered today
    in_building = selectors.overdue_list(user=leader, filters={"worker": v.worker.pk})
    assert [h.number for h in in_building] == ["H20002", "H20003"]
