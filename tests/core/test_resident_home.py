"""The resident's home 居民首页 (core/resident_home.py and the cards each module registers): a
resident who logs in finds search, common items, their household, their own applications and
appeals with where each stands, the matters and votes of their own community waiting for them,
and who serves them with a tap to call — never a neighbour's; staff keep their workbench."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from linli.decide.models import Matter, MatterCategory, MatterSupport, StageSpell
from linli.decide.votes import services as votes
from linli.hall.catalogue import services as catalogue
from linli.hall.catalogue.services import StepSpec
from linli.hall.models import Application, ApplicationStep, ServiceCategory
from linli.registry import services as registry_services
from tests.appeals import helpers as h

from .. import factories as f

WORLD_CLOCK = h.WORLD_CLOCK
HOME = "/"


def _application(home, household, number: str, *, state: str, note: str = "") -> Application:
    application = Application.objects.create(
        number=number,
        item=home.item,
        item_version=home.item.current,
        resident=household.head,
        household=household,
        area=household.area,
        hall=home.hall,
        state=state,
        return_note=note,
        received_on=WORLD_CLOCK.date(),
    )
    if state == "in_progress":
        ApplicationStep.objects.create(
            application=application,
            order=1,
            name="社区受理",
            office_kind="hall",
            organisation=home.hall,
            time_limit_days=1,
            state="active",
        )
    return application


def _matter(category, area, number: str, title: str, stage: str = "propose") -> Matter:
    matter = Matter.objects.create(
        number=number,
        category=category,
        area=area,
        title=title,
        description=f"{title}的说明",
        channel="staff",
        stage=stage,
    )
    StageSpell.objects.create(matter=matter, stage=stage)
    return matter


def _open_vote(matter, question: str):
    vote = votes.vote_prepare(
        actor=None,
        matter=matter,
        question=question,
        body="households",
        quorum_percent=50,
        majority="simple",
        secret=True,
        method="phone",
        closes_at=timezone.now() + dt.timedelta(days=30),
    )
    return votes.vote_open(actor=None, vote=vote)


def _post(kind, area, name, *, holder=None, organisation=None):
    return registry_services.post_create(
        actor=None,
        holder_name=name,
        kind=kind,
        area=area,
        starts_on=dt.date(2020, 1, 1),
        holder=holder,
        organisation=organisation,
    )


def build_home(appeals) -> SimpleNamespace:
    world = appeals.world
    own, neighbour = world.households[0], world.households[1]  # 文岭一村, 文岭二村
    community = world.communities[0]
    home = SimpleNamespace(world=world, appeals=appeals, own=own, neighbour=neighbour)
    home.hall = registry_services.organisation_create(
        actor=None,
        name="文岭社区便民服务大厅",
        kind="service_hall",
        area=community,
        address="文岭路1号",
    )
    category = ServiceCategory.objects.create(name="社会救助类", sort_order=1)
    home.item = catalogue.item_create(
        actor=None,
        code="MZ-DB",
        name="大病救助",
        category=category,
        mode="proxy",
        time_limit_days=15,
        route=[StepSpec("社区受理", "hall", 1)],
    )
    home.online_item = catalogue.item_create(
        actor=None,
        code="MZ-LN",
        name="老年优待证办理",
        category=category,
        mode="on_the_spot",
        time_limit_days=1,
        online=True,
    )
    home.running = _application(home, own, "A-OWN-1", state="in_progress")
    home.returned = _application(home, own, "A-OWN-2", state="returned", note="户口本复印件")
    home.theirs = _application(home, neighbour, "A-NEIGHBOUR", state="in_progress")
    home.my_appeal = h.raise_appeal(appeals)
    home.their_appeal = h.raise_appeal(
        appeals,
        reporter=neighbour.head,
        area=world.grids[1],
        description="邻居家门口的路灯坏了",
    )
    decide = MatterCategory.objects.create(code="HOME", name="公共设施")
    home.to_support = _matter(decide, community, "M-1", "文岭路装路灯")
    home.supported = _matter(decide, community, "M-2", "修补村口道路")
    MatterSupport.objects.create(matter=home.supported, resident=own.head)
    home.elsewhere = _matter(decide, world.communities[1], "M-3", "营辉社区建车棚")
    home.vote = _open_vote(
        _matter(decide, community, "M-4", "广场改造", "deliberate"), "广场改造方案是否通过"
    )
    home.other_vote = _open_vote(
        _matter(decide, world.communities[1], "M-5", "营辉广场", "deliberate"), "营辉广场方案"
    )
    worker = registry_services.resident_create(
        actor=None,
        household=own,
        name="王网格",
        id_number=f.make_id_number(),
        mobile="13900001111",
        relation="other",
    )
    _post("grid_worker", world.grids[0], "王网格", holder=worker)
    _post("village_branch_secretary", world.villages[0], "李书记")
    _post("grid_worker", world.grids[1], "赵网格")  # the neighbour village's grid
    return home


SHARED = {"appeals": h.build_appeals, "home": build_home}


@pytest.fixture
def clock():
    with time_machine.travel(WORLD_CLOCK, tick=False) as traveller:
        yield traveller


@pytest.fixture
def home(clock, shared):
    return shared("home")


def _page(client, user) -> str:
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    return response


def test_a_resident_gets_their_home_with_their_own_records(client, home):
    response = _page(client, home.world.users["resident"])
    assert response.templates[0].name == "core/resident_home.html"
    page = response.content.decode()
    # search over the catalogue, and the common items (the online one applied for here)
    assert 'action="/services/catalogue/"' in page
    assert "大病救助" in page and f"/services/apply/?item={home.online_item.pk}" in page
    # my household, linked once
    assert page.count(f"/registry/households/{home.own.pk}/") == 1
    # my applications: where each is and what it waits for; not the neighbour's
    assert f"/services/applications/{home.running.pk}/" in page
    assert "At 文岭社区便民服务大厅: 社区受理" in page
    assert "Waiting for material: 户口本复印件" in page
    assert f"/services/applications/{home.theirs.pk}/" not in page
    # my appeals, not the neighbour's
    assert f"/appeals/{home.my_appeal.pk}/" in page
    assert f"/appeals/{home.their_appeal.pk}/" not in page
    # matters of my community to support (not one I supported, nor another community's)
    assert f"/decide/{home.to_support.pk}/" in page
    assert f"/decide/{home.supported.pk}/" not in page
    assert f"/decide/{home.elsewhere.pk}/" not in page
    # the open vote of my community I may cast, not another community's
    assert f"/decide/votes/{home.vote.pk}/cast/" in page
    assert f"/decide/votes/{home.other_vote.pk}/cast/" not in page
    # who serves me, with a tap to call where the number is known
    assert 'href="tel:13900001111"' in page
    assert "李书记" in page and "文岭社区便民服务大厅" in page
    assert "赵网格" not in page
    # the menu calls it their home, not a workbench
    assert "Workbench" not in page


def test_a_cast_vote_leaves_the_home(client, home):
    choice = home.vote.options.order_by("id").first()
    votes.ballot_cast(actor=home.world.users["resident"], vote=home.vote, choice=choice)
    page = _page(client, home.world.users["resident"]).content.decode()
    assert f"/decide/votes/{home.vote.pk}/cast/" not in page


@pytest.mark.parametrize("role", ["community_worker", "grid_worker"])
def test_staff_keep_their_workbench(client, home, role):
    response = _page(client, home.world.users[role])
    assert response.templates[0].name == "core/workbench.html"
    assert b'data-testid="resident-home"' not in response.content
    assert b"Workbench" in response.content and b"My home" not in response.content


def test_the_home_reads_a_fixed_number_of_queries(client, home):
    client.force_login(home.world.users["resident"])
    client.get(HOME)  # the login's session is written on the first page
    with CaptureQueriesContext(connection) as few:
        assert client.get(HOME).status_code == 200
    for n in range(6):
        _application(home, home.own, f"A-MORE-{n}", state="in_progress")
        h.raise_appeal(home.appeals, description=f"又一件事{n}")
    with CaptureQueriesContext(connection) as many:
        assert client.get(HOME).status_code == 200
    assert len(many) == len(few) <= 25


def test_the_home_search_finds_items_in_the_catalogue(client, home):
    page = client.get("/services/catalogue/", {"q": "老年"}).content.decode()
    assert "老年优待证办理" in page and "大病救助" not in page
