"""Headline figures 区域概况 counted from the records: the selectors on a small hand-checked
district, scope (a community worker counts only their community, and sees no other's overview),
ended posts left out, one query per figure for all child areas, the `linli figures` command
(JSON, the table, a wrong code) and the overview page with its drill-down and chart."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from linli import cli
from linli.core import services as area_services
from linli.registry import services
from linli.registry.choices import PostKind
from linli.registry.figures import area_and_child_figures, area_figures, child_area_figures
from linli.registry.management.commands.figures import display_width

from .. import factories as f

# Its tests that take no shared world read only what they make (the calendar, say).
OTHERS_IGNORE_SHARED = True

BACKEND = "django.contrib.auth.backends.ModelBackend"
NO_POSTS = {kind.value: 0 for kind in PostKind}


def _member(household, name, *, tags=(), male=True, birth=dt.date(1990, 1, 1)):
    return services.resident_create(
        actor=None,
        household=household,
        name=name,
        id_number=f.make_id_number(birth, male=male),
        relation="other",
        tags=[(tag, "") for tag in tags],
    )


def _tag_resident(person, *tags):
    services.resident_update(actor=None, resident=person, tags=[(t, "") for t in tags])


def _tag_household(household, *tags):
    services.household_update(actor=None, household=household, tags=[(t, "") for t in tags])


def _post(kind, area, *, ends_on=None, holder="任职者"):
    return services.post_create(
        actor=None,
        holder_name=holder,
        kind=kind,
        area=area,
        starts_on=dt.date(2020, 1, 1),
        ends_on=ends_on,
    )


@pytest.fixture
def fig(world):
    """The `world` district (2 streets × 2 communities × 2 villages, one grid and one
    household in each village) with tags, organisations and posts placed by hand:

    文岭社区 (communities[0]; villages[0], villages[1]; households[0], households[1]):
      households[0]: 困难户 + 党员中心户; head; spouse 党员 + 留守妇女; child 留守儿童
      households[1]: 困难户; head 党员 + 留守老人
      service hall, clinic, police room, party branch (not counted) on the community;
      a clinic in villages[0]; first secretary in villages[0]; agency cadre on the community;
      grid worker in grids[0]
    营辉社区 (communities[1]): households[2] 党员中心户; households[3] has a member tagged
      留守老人 + 留守妇女 (one person, counted once as left behind);
      a first secretary in villages[2] who left yesterday (not counted)
    东朱社区 (communities[2], the other street): households[4] 困难户; a service hall;
      a first secretary in villages[4] whose last day is today (still counted)
    西朱社区 (communities[3]): households[5] head 党员; a general branch secretary who left in
      2022; a district department on the district (not counted)
    """
    poor = f.tag("困难户", "household", sensitive=True)
    central = f.tag("党员中心户", "household")
    party = f.tag("党员", "resident")
    elderly = f.tag("留守老人", "resident", sensitive=True)
    child = f.tag("留守儿童", "resident", sensitive=True)
    woman = f.tag("留守妇女", "resident", sensitive=True)
    f.tag("留守", "household")  # a household tag of a similar name: not a left-behind person
    hh = world.households
    _tag_household(hh[0], poor, central)
    _member(hh[0], "配偶甲", male=False, tags=(party, woman))
    _member(hh[0], "子女甲", birth=dt.date(2015, 6, 1), tags=(child,))
    _tag_household(hh[1], poor, f.tag("留守", "household"))
    _tag_resident(hh[1].head, party, elderly)
    _tag_household(hh[2], central)
    _member(hh[3], "老人乙", male=False, birth=dt.date(1950, 2, 2), tags=(elderly, woman))
    _tag_household(hh[4], poor)
    _tag_resident(hh[5].head, party)

    c = world.communities
    for name, kind, area in (
        ("文岭社区便民服务大厅", "service_hall", c[0]),
        ("文岭社区卫生室", "clinic", c[0]),
        ("文岭社区警务室", "police_room", c[0]),
        ("文岭社区党总支", "general_party_branch", c[0]),
        ("文岭一村卫生室", "clinic", world.villages[0]),
        ("东朱社区便民服务大厅", "service_hall", c[2]),
        ("峡山区民政局", "department", world.district),
    ):
        services.organisation_create(actor=None, name=name, kind=kind, area=area)

    today = timezone.localdate()
    _post("first_secretary", world.villages[0])
    _post("agency_cadre", c[0])
    _post("grid_worker", world.grids[0])
    _post("first_secretary", world.villages[2], ends_on=today - dt.timedelta(days=1))
    _post("first_secretary", world.villages[4], ends_on=today)
    _post("general_branch_secretary", c[3], ends_on=dt.date(2022, 6, 30))
    return world


DISTRICT = {
    "communities": 4,
    "villages": 8,
    "households": 8,
    "poor_households": 3,
    "party_central_households": 2,
    "residents": 11,
    "party_members": 3,
    "left_behind": 4,
    "left_behind_elderly": 2,
    "left_behind_children": 1,
    "left_behind_women": 2,
    "service_halls": 2,
    "clinics": 2,
    "police_rooms": 1,
}
DISTRICT_POSTS = NO_POSTS | {"first_secretary": 2, "agency_cadre": 1, "grid_worker": 1}
WENLING = {
    "communities": 1,
    "villages": 2,
    "households": 2,
    "poor_households": 2,
    "party_central_households": 1,
    "residents": 4,
    "party_members": 2,
    "left_behind": 3,
    "left_behind_elderly": 1,
    "left_behind_children": 1,
    "left_behind_women": 1,
    "service_halls": 1,
    "clinics": 2,
    "police_rooms": 1,
}
WENLING_POSTS = NO_POSTS | {"first_secretary": 1, "agency_cadre": 1, "grid_worker": 1}


def figures_of(figures) -> dict:
    data = figures.as_dict()
    return {k: v for k, v in data.items() if k not in ("area", "posts")}


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user, backend=BACKEND)
    return client


# --- the selectors ------------------------------------------------------------------------


def test_district_figures_for_the_system(fig):
    figures = area_figures(user=None, area=fig.district)
    assert figures_of(figures) == DISTRICT
    assert figures.as_dict()["posts"] == DISTRICT_POSTS
    assert figures.current_posts == 4
    # Every post kind, in PostKind order, each with its label.
    assert [kind for kind, _label, _n in figures.post_rows()] == PostKind.values
    assert figures.post_rows()[0] == ("first_secretary", "First secretary", 2)


def test_district_leader_sees_the_same_figures(fig):
    figures = area_figures(user=fig.users["district_leader"], area=fig.district)
    assert figures_of(figures) == DISTRICT
    assert figures.as_dict()["posts"] == DISTRICT_POSTS


def test_a_community_counts_itself_and_what_is_under_it(fig):
    figures = area_figures(user=None, area=fig.communities[0])
    assert figures_of(figures) == WENLING
    assert figures.as_dict()["posts"] == WENLING_POSTS


def test_a_village_and_a_grid(fig):
    village = area_figures(user=None, area=fig.villages[0])
    assert (village.communities, village.villages, village.households) == (0, 1, 1)
    assert (village.residents, village.poor_households, village.clinics) == (3, 1, 1)
    assert (village.left_behind, village.left_behind_women, village.left_behind_children) == (
        2,
        1,
        1,
    )
    assert village.service_halls == 0  # the hall is on the community, above the village
    assert village.posts[PostKind.FIRST_SECRETARY] == 1
    assert village.posts[PostKind.GRID_WORKER] == 1  # in the village's grid
    assert village.posts[PostKind.AGENCY_CADRE] == 0
    grid = area_figures(user=None, area=fig.grids[0])
    assert (grid.villages, grid.households, grid.residents) == (0, 1, 3)


def test_ended_posts_are_not_counted(fig):
    second = area_figures(user=None, area=fig.communities[1])
    assert second.posts[PostKind.FIRST_SECRETARY] == 0  # left yesterday
    assert area_figures(user=None, area=fig.communities[3]).current_posts == 0  # left in 2022
    third = area_figures(user=None, area=fig.communities[2])
    assert third.posts[PostKind.FIRST_SECRETARY] == 1  # today is the last day: still in post
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    later = area_figures(user=None, area=fig.communities[2], on=tomorrow)
    assert later.posts[PostKind.FIRST_SECRETARY] == 0


def test_one_person_left_behind_twice_is_counted_once(fig):
    second = area_figures(user=None, area=fig.communities[1])
    assert (second.left_behind_elderly, second.left_behind_women, second.left_behind) == (1, 1, 1)
    assert second.residents == 3


def test_figures_follow_the_records(fig):
    """Nothing is stored: a tag taken off shows at the next asking."""
    household = fig.households[1]
    services.household_update(actor=None, household=household, tags=[])
    assert area_figures(user=None, area=fig.district).poor_households == 2


def test_community_worker_counts_only_their_community(fig):
    worker = fig.users["community_worker"]  # 文岭社区
    own = area_figures(user=worker, area=fig.communities[0])
    assert figures_of(own) == WENLING
    # Asked about the street (or the district), they still count only what they may see.
    for above in (fig.streets[0], fig.district):
        figures = area_figures(user=worker, area=above)
        assert figures_of(figures) == WENLING
        assert figures.as_dict()["posts"] == WENLING_POSTS
    assert figures_of(area_figures(user=worker, area=fig.communities[1])) == dict.fromkeys(
        DISTRICT, 0
    )


def test_a_role_without_the_registry_counts_no_households(fig):
    """Each figure honours its own family's scope: an administrator (areas and organisations,
    no registry) counts areas and organisations but not a household or resident."""
    figures = area_figures(user=fig.users["administrator"], area=fig.district)
    assert (figures.communities, figures.clinics, figures.current_posts) == (4, 2, 4)
    assert (figures.households, figures.residents, figures.poor_households) == (0, 0, 0)


def test_child_area_figures(fig):
    rows = child_area_figures(user=None, area=fig.district)
    assert [r.area.name for r in rows] == ["太保庄街道", "王家庄街道"]
    first, second = rows
    assert (first.communities, first.villages, first.households, first.residents) == (2, 4, 4, 7)
    assert (first.poor_households, first.party_central_households) == (2, 2)
    assert (first.left_behind, first.service_halls, first.clinics, first.police_rooms) == (
        4,
        1,
        2,
        1,
    )
    assert first.as_dict()["posts"] == WENLING_POSTS
    assert (second.communities, second.households, second.poor_households) == (2, 4, 1)
    assert (second.party_members, second.left_behind, second.service_halls) == (1, 0, 1)
    assert second.as_dict()["posts"] == NO_POSTS | {"first_secretary": 1}
    # Each child's figures are the ones asked of that child alone.
    for row in rows:
        alone = area_figures(user=None, area=row.area)
        assert row.as_dict() == alone.as_dict()


@pytest.mark.parametrize("role", [None, "community_worker", "district_leader"])
def test_one_pass_gives_the_area_and_its_children(fig, role):
    """The overview's single pass adds up to what each area's own figures say, including the
    records placed on the area itself (the hall, clinic and police room on 文岭社区)."""
    user = fig.users[role] if role else None
    areas = [fig.district, fig.streets[0], fig.communities[0], fig.villages[0], fig.grids[0]]
    for area in areas:
        own, children = area_and_child_figures(user=user, area=area)
        assert own.as_dict() == area_figures(user=user, area=area).as_dict(), area.name
        assert [c.as_dict() for c in children] == [
            c.as_dict() for c in child_area_figures(user=user, area=area)
        ]


def test_child_area_figures_within_scope(fig):
    worker = fig.users["community_worker"]
    rows = child_area_figures(user=worker, area=fig.communities[0])
    assert [r.area.pk for r in rows] == [fig.villages[0].pk, fig.villages[1].pk]
    assert [r.households for r in rows] == [1, 1]
    assert [r.residents for r in rows] == [3, 1]
    # Below an area they cannot see, nothing is listed.
    assert child_area_figures(user=worker, area=fig.streets[1]) == []
    assert child_area_figures(user=None, area=fig.grids[0]) == []


def test_child_area_figures_cost_a_fixed_number_of_queries(fig, django_assert_max_num_queries):
    leader = fig.users["district_leader"]
    leader.active_grants  # noqa: B018 — the grants are read once per request, not per figure
    with CaptureQueriesContext(connection) as two_streets:
        assert len(child_area_figures(user=leader, area=fig.district)) == 2
    # The children, the counted tags, then one query per table: areas, households, residents,
    # organisations, posts; and once for the user, the tops of the area tree (a leader of the
    # only district needs no path test).
    assert len(two_streets) <= 8
    for n in range(4):
        street = f.area(f"新街道{n}", "street", fig.district)
        community = f.area(f"新社区{n}", "community", street)
        village = f.area(f"新村{n}", "village", community)
        f.household(village, f"N{n:04d}")
        services.organisation_create(actor=None, name=f"新卫生室{n}", kind="clinic", area=street)
        _post("first_secretary", village)
    with django_assert_max_num_queries(len(two_streets)):
        rows = child_area_figures(user=leader, area=fig.district)
    assert len(rows) == 6
    new = [r for r in rows if r.area.name.startswith("新街道")]
    assert [(r.communities, r.villages, r.households, r.clinics) for r in new] == [(1, 1, 1, 1)] * 4
    assert [r.posts[PostKind.FIRST_SECRETARY] for r in new] == [1] * 4


# --- the command line -----------------------------------------------------------------------


def run_figures(*args) -> str:
    out = io.StringIO()
    call_command("figures", *args, stdout=out)
    return out.getvalue()


def test_command_json_for_the_district(fig):
    data = json.loads(run_figures("--json"))
    assert data["area"] == {
        "id": fig.district.pk,
        "name": "峡山区",
        "code": "370772000000",
        "kind": "district",
    }
    assert {k: data[k] for k in DISTRICT} == DISTRICT
    assert data["posts"] == DISTRICT_POSTS
    assert list(data["posts"]) == PostKind.values  # in PostKind order
    assert dt.datetime.fromisoformat(data["counted_at"]).date() == timezone.localdate()


def test_command_json_for_an_area_by_code(fig):
    area_services.area_update(
        actor=None, area=fig.communities[0], name="文岭社区", code="370772001001"
    )
    data = json.loads(run_figures("--area", "370772001001", "--json"))
    assert data["area"]["name"] == "文岭社区"
    assert {k: data[k] for k in WENLING} == WENLING
    assert data["posts"] == WENLING_POSTS


def _table_lines(text: str) -> dict[str, str]:
    """label → the line that shows it, for the lines ending in a number."""
    return {
        re.sub(r"\s+[\d,]+$", "", line).strip(): line
        for line in text.splitlines()
        if re.search(r"\d$", line) and re.search(r"\s{2,}[\d,]+$", line)
    }


def test_command_table(fig):
    text = run_figures("--area", "370772000000")
    lines = text.splitlines()
    assert lines[0] == "峡山区 370772000000"
    assert lines[1].startswith("Counted from the records at ")
    rows = _table_lines(text)
    expected = {
        "Communities": 4,
        "Villages": 8,
        "Households": 8,
        "Poor households": 3,
        "Party-member central households": 2,
        "Residents": 11,
        "Party members": 3,
        "Left-behind people": 4,
        "Left-behind elderly": 2,
        "Left-behind children": 1,
        "Left-behind women": 2,
        "Service halls": 2,
        "Clinics": 2,
        "Police rooms": 1,
        "First secretary": 2,
        "Agency cadre posted to a community": 1,
        "Grid worker": 1,
        "General party branch secretary": 0,
    }
    for label, value in expected.items():
        assert rows[label].endswith(f" {value}"), rows[label]
    assert "Current posts" in lines
    # Every number ends in the same column.
    assert len({display_width(line) for line in rows.values()}) == 1


def test_command_table_in_chinese_stays_aligned(fig):
    with translation.override("zh-hans"):
        text = run_figures()
    rows = _table_lines(text)
    assert rows["第一书记"].endswith(" 2")  # post kinds are labelled in Chinese
    assert rows["网格员"].endswith(" 1")
    # Chinese characters take two columns: the numbers still line up on a terminal.
    assert len({display_width(line) for line in rows.values()}) == 1
    assert len({len(line) for line in rows.values()}) > 1  # not merely equal in characters


def test_thousands_are_grouped(fig):
    from linli.registry.management.commands.figures import figures_table

    figures = area_figures(user=None, area=fig.district)
    figures.households = 65549
    text = figures_table(figures, timezone.localtime())
    assert re.search(r"Households\s+65,549$", text, re.M)


def test_command_unknown_code(fig):
    with pytest.raises(CommandError, match="No area has the division code 370772999999") as e:
        run_figures("--area", "370772999999")
    assert e.value.returncode == 1
    with pytest.raises(CommandError, match="No area is named 春风社区") as e:
        run_figures("--area", "春风社区")
    assert e.value.returncode == 1


def test_command_for_an_area_by_name(fig):
    data = json.loads(run_figures("--area", "文岭社区", "--json"))
    assert data["area"]["name"] == "文岭社区"
    assert {k: data[k] for k in WENLING} == WENLING
    assert json.loads(run_figures("--area", "峡山区", "--json"))["area"]["id"] == fig.district.pk


def test_command_refuses_a_name_two_areas_share(fig):
    """A name two areas share (two 文岭社区 in two streets) names neither: the operator is
    told both codes and chooses."""
    area_services.area_update(
        actor=None, area=fig.communities[0], name="文岭社区", code="370772001001"
    )
    area_services.area_update(
        actor=None, area=fig.communities[2], name="文岭社区", code="370772002001"
    )
    with pytest.raises(CommandError, match="2 areas are named 文岭社区") as e:
        run_figures("--area", "文岭社区")
    assert "370772001001" in str(e.value) and "370772002001" in str(e.value)
    assert json.loads(run_figures("--area", "370772002001", "--json"))["area"]["id"] == (
        fig.communities[2].pk
    )


def test_command_listed_in_usage():
    assert "linli figures [--area NAME|CODE] [--json]" in cli.usage()


# --- the overview page ---------------------------------------------------------------------

URL = "/registry/overview/"


def _cards(page: str) -> dict[str, str]:
    """Card label → the number under it."""
    found = re.findall(
        r'<div class="text-muted small">([^<]+)</div>\s*<div class="fs-4 fw-semibold">([^<]+)</div>',
        page,
    )
    return dict(found)


def _chart(page: str) -> dict:
    match = re.search(r'<script id="overview-chart" type="application/json">(.*?)</script>', page)
    assert match, "the chart's data is on the page"
    return json.loads(match.group(1))


def test_url_name():
    assert reverse("registry:overview") == URL


def test_district_leader_overview(fig):
    response = client_for(fig.users["district_leader"]).get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    cards = _cards(page)
    assert cards["Communities"] == "4"
    assert cards["Households"] == "8"
    assert cards["Poor households"] == "3"
    assert cards["Residents"] == "11"
    assert cards["Left-behind people"] == "4"
    assert cards["Police rooms"] == "1"
    assert "Left-behind women 2" in page
    posts = page[page.index('id="posts"') :]
    assert re.search(r"<span>First secretary</span><span[^>]*>2</span>", posts)
    assert "General party branch secretary" not in posts  # none in post: not listed
    for street in fig.streets:  # the drill-down
        assert f'href="{URL}?area={street.pk}"' in page
    chart = _chart(page)
    assert chart["xAxis"]["data"] == ["太保庄街道", "王家庄街道"]
    assert [s["data"] for s in chart["series"]] == [[4, 4], [2, 1]]
    assert 'data-chart="overview-chart"' in page
    assert "vendor/echarts/echarts.min.js" in page
    assert "<script>" not in page  # nothing inline (CSP)


def test_drill_down_and_breadcrumb(fig):
    client = client_for(fig.users["street_cadre"])  # 太保庄街道
    page = client.get(URL, {"area": fig.communities[0].pk}).content.decode()
    cards = _cards(page)
    assert (cards["Households"], cards["Poor households"], cards["Clinics"]) == ("2", "2", "2")
    crumbs = page[page.index('class="breadcrumb') : page.index("</ol>")]
    assert f"?area={fig.streets[0].pk}" in crumbs  # back up to the street
    assert f"?area={fig.district.pk}" not in crumbs  # above the cadre's scope: not a link
    for village in fig.villages[:2]:
        assert f'href="{URL}?area={village.pk}"' in page
    grid_page = client.get(URL, {"area": fig.grids[0].pk}).content.decode()
    assert 'id="areas-below"' not in grid_page  # nothing below a grid here: no table, no chart
    assert "echarts" not in grid_page


def test_community_worker_overview_is_their_own_community(fig):
    client = client_for(fig.users["community_worker"])
    page = client.get(URL).content.decode()
    assert "文岭社区" in page
    cards = _cards(page)
    assert cards["Households"] == "2" and cards["Communities"] == "1"
    for other in (fig.communities[1], fig.communities[2], fig.streets[0], fig.district):
        assert client.get(URL, {"area": other.pk}).status_code == 404
    assert client.get(URL, {"area": "x1"}).status_code == 404
    assert client.get(URL, {"area": fig.villages[1].pk}).status_code == 200


def test_the_working_area_is_the_default(fig):
    client = client_for(fig.users["district_leader"])
    client.get(reverse("core:area_switch"), {"area": fig.communities[2].pk})
    page = client.get(URL).content.decode()
    assert "Overview · 东朱社区" in page
    assert _cards(page)["Service halls"] == "1"


def test_roles_without_the_registry_are_refused(fig):
    for role in ("administrator", "auditor", "resident"):
        assert client_for(fig.users[role]).get(URL).status_code == 403
    assert Client().get(URL).status_code == 302


def test_overview_in_the_menu(fig):
    leader = client_for(fig.users["district_leader"]).get("/").content.decode()
    assert f'href="{URL}"' in leader
    admin = client_for(fig.users["administrator"]).get("/").content.decode()
    assert f'href="{URL}"' not in admin


def test_overview_page_queries_do_not_grow_with_children(fig, django_assert_max_num_queries):
    client = client_for(fig.users["district_leader"])
    with CaptureQueriesContext(connection) as before:
        assert client.get(URL).status_code == 200
    for n in range(3):
        f.area(f"新街道{n}", "street", fig.district)
    with django_assert_max_num_queries(len(before)):
        page = client.get(URL).content.decode()
    assert page.count(f'href="{URL}?area=') == 5
