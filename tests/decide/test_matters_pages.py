"""The residents-decide pages 由民做主 for proposing and deliberating: the queue and the list
(filters, HTMX, queries that do not grow with the rows), the matter page and what it offers at
each stage, the forms of the moves, the meetings, the resident's pages (社区议事 with 附议, 我要提事),
a matter from the appeal page, and the categories."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from linli.decide import services
from linli.decide.choices import Stage
from linli.decide.models import Matter, MatterCategory, MatterSupport, Meeting

from . import helpers
from .helpers import WORLD_CLOCK

SHARED = {"decide": helpers.build_decide}
HTMX = {"HX-Request": "true", "HX-Target": "results"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(WORLD_CLOCK, tick=False) as traveller:
        yield traveller


@pytest.fixture
def d(shared):
    return shared("decide")


def client_for(d, role: str) -> Client:
    client = Client()
    client.force_login(d.users[role])
    return client


def test_the_queue_and_the_list(d):
    matter = helpers.propose(d)
    worker = client_for(d, "community_worker")
    page = worker.get(reverse("decide:queue"))
    assert page.status_code == 200 and matter.title in page.content.decode()
    listed = worker.get(reverse("decide:list"), {"stage": "propose"}, headers=HTMX)
    assert listed.status_code == 200 and matter.number in listed.content.decode()
    assert "<html" not in listed.content.decode()
    none = worker.get(reverse("decide:list"), {"stage": "deliberate"}).content.decode()
    assert matter.number not in none
    assert client_for(d, "other_worker").get(reverse("decide:list")).status_code == 200
    assert (
        matter.number
        not in client_for(d, "other_worker").get(reverse("decide:list")).content.decode()
    )
    assert client_for(d, "wang").get(reverse("decide:list")).status_code == 403
    assert client_for(d, "collector").get(reverse("decide:queue")).status_code == 403


@pytest.mark.parametrize("url", ["decide:queue", "decide:list"])
def test_list_queries_do_not_grow_with_rows(d, url):
    client = client_for(d, "community_worker")
    helpers.propose(d)
    client.get(reverse(url))
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(url)).status_code == 200
    for n in range(5):
        other = helpers.propose(d, title=f"第{n}件事情")
        services.matter_support(actor=d.users["li"], matter=other)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse(url)).status_code == 200
    assert len(many) == len(few)


def test_the_matter_page_offers_what_its_stage_allows(d):
    matter = helpers.propose(d)
    worker = client_for(d, "community_worker")
    page = worker.get(reverse("decide:detail", args=[matter.pk])).content.decode()
    for testid in ("take-up", "merge", "drop", "add-opinion", "stage-bar"):
        assert f'data-testid="{testid}"' in page
    assert 'data-testid="add-option"' not in page and 'data-testid="arrange-meeting"' not in page
    response = worker.post(reverse("decide:take_up", args=[matter.pk]), {"version": matter.version})
    assert response.status_code == 302
    page = worker.get(reverse("decide:detail", args=[matter.pk])).content.decode()
    assert 'data-testid="take-up"' not in page and 'data-testid="merge"' not in page
    for testid in ("add-option", "arrange-meeting", "drop"):
        assert f'data-testid="{testid}"' in page
    # A second press with the old version is told someone came first.
    stale = worker.post(reverse("decide:drop", args=[matter.pk]), {"version": 1, "reason": "重复"})
    assert stale.status_code == 409
    adviser = client_for(d, "adviser").get(reverse("decide:detail", args=[matter.pk]))
    assert 'data-testid="add-option"' in adviser.content.decode()
    other = client_for(d, "other_adviser").get(reverse("decide:detail", args=[matter.pk]))
    assert 'data-testid="add-option"' not in other.content.decode()
    assert (
        client_for(d, "other_adviser")
        .get(reverse("decide:option_add", args=[matter.pk]))
        .status_code
        == 403
    )
    assert (
        client_for(d, "other_worker").get(reverse("decide:detail", args=[matter.pk])).status_code
        == 404
    )


def test_options_opinions_and_a_meeting_through_the_pages(d):
    matter = helpers.taken_up(d)
    adviser = client_for(d, "adviser")
    url = reverse("decide:option_add", args=[matter.pk])
    assert adviser.get(url).status_code == 200
    assert adviser.post(url, {"title": "\u200b"}).status_code == 400
    assert (
        adviser.post(url, {"title": "规定早市时间", "description": "8:30前撤摊"}).status_code == 302
    )
    collector = client_for(d, "collector")
    url = reverse("decide:opinion_add", args=[matter.pk])
    assert collector.post(url, {"text": "早上车过不去", "name": "张大爷"}).status_code == 302
    worker = client_for(d, "community_worker")
    url = reverse("decide:meeting_arrange", args=[matter.pk])
    assert worker.get(url).status_code == 200
    form = {
        "kind": "parlour",
        "title": "工福会客厅",
        "starts_at": "2026-11-27T15:00",
        "place": "社区会客厅",
        "agenda": "讨论方案",
        "building_heads": "王大威",
        "representatives": "李秀英、不在册的人",
        "departments": [str(d.city.pk), str(d.market_office.pk)],
        "panel": [str(d.adviser_seat.pk)],
    }
    assert worker.post(url, {**form, "agenda": " "}).status_code == 400
    assert worker.post(url, form).status_code == 302
    meeting = Meeting.objects.get(matter=matter)
    invitees = list(meeting.invitees.order_by("pk"))
    assert [(i.name, i.resident_id) for i in invitees[:3]] == [
        ("王大威", d.wang.pk),
        ("李秀英", d.li.pk),
        ("不在册的人", None),
    ]
    roll = reverse("decide:meeting_roll", args=[matter.pk, meeting.pk])
    assert worker.get(roll).status_code == 200
    assert worker.post(roll, {"present": [str(i.pk) for i in invitees[:4]]}).status_code == 302
    minutes = reverse("decide:meeting_minutes", args=[matter.pk, meeting.pk])
    assert worker.post(minutes, {"minutes": "决定8:30前撤摊"}).status_code == 302
    page = worker.get(reverse("decide:detail", args=[matter.pk])).content.decode()
    assert "规定早市时间" in page and "早上车过不去" in page and "决定8:30前撤摊" in page
    assert "4 of 6 came." in page
    assert client_for(d, "other_worker").get(roll).status_code == 404
    assert client_for(d, "collector").get(roll).status_code == 403


def test_the_resident_proposes_and_supports(d):
    wang = client_for(d, "wang")
    assert wang.get(reverse("decide:raise")).status_code == 200
    bad = wang.post(
        reverse("decide:raise"), {"category": d.market.pk, "title": " ", "description": "x"}
    )
    assert bad.status_code == 400 and not Matter.objects.exists()
    sent = wang.post(
        reverse("decide:raise"),
        {
            "category": d.market.pk,
            "title": helpers.MARKET_TITLE,
            "description": helpers.MARKET_TEXT,
        },
    )
    assert sent.status_code == 302
    matter = Matter.objects.get()
    assert matter.proposer == d.wang and matter.stage == Stage.PROPOSE
    li = client_for(d, "li")
    listing = li.get(reverse("decide:community")).content.decode()
    assert helpers.MARKET_TITLE in listing
    page = li.get(reverse("decide:detail", args=[matter.pk])).content.decode()
    assert 'data-testid="support"' in page and "王**" in page and "王大威" not in page
    own = wang.get(reverse("decide:detail", args=[matter.pk])).content.decode()
    assert "王大威" in own, "the proposer reads their own name"
    assert li.post(reverse("decide:support", args=[matter.pk])).status_code == 302
    assert li.post(reverse("decide:support", args=[matter.pk])).status_code == 302  # told
    assert MatterSupport.objects.filter(matter=matter).count() == 1
    page = li.get(reverse("decide:detail", args=[matter.pk])).content.decode()
    assert 'data-testid="supported"' in page
    other = client_for(d, "other_resident")
    assert other.get(reverse("decide:detail", args=[matter.pk])).status_code == 404
    assert other.post(reverse("decide:support", args=[matter.pk])).status_code == 404
    assert client_for(d, "community_worker").get(reverse("decide:community")).status_code == 403


def test_staff_propose_for_a_resident(d):
    worker = client_for(d, "community_worker")
    url = reverse("decide:propose")
    found = worker.get(
        url, {"q": "李秀英"}, headers={"HX-Request": "true", "HX-Target": "resident-results"}
    )
    assert found.status_code == 200 and "李秀英" in found.content.decode()
    response = worker.post(
        url,
        {
            "resident": d.li.pk,
            "category": d.environment.pk,
            "area": d.buildings[0].pk,
            "title": "楼道堆物",
            "description": "楼道堆放杂物影响通行",
        },
    )
    assert response.status_code == 302
    assert Matter.objects.get().proposer == d.li


def test_an_appeal_raised_to_a_matter_from_its_page(d):
    from linli.appeals import services as appeal_services

    category = appeal_services.category_create(
        actor=None,
        code="HJWS",
        name="环境卫生",
        village_days=3,
        community_days=5,
        street_days=5,
        department_days=10,
    )
    appeal = appeal_services.appeal_create(
        actor=d.users["community_worker"],
        category=category,
        channel="counter",
        area=d.buildings[1],
        description="游麟路早市垃圾无人清理",
        reporter=d.li,
    )
    worker = client_for(d, "community_worker")
    page = worker.get(reverse("appeals:detail", args=[appeal.pk])).content.decode()
    assert 'data-testid="raise-matter"' in page
    url = reverse("decide:from_appeal", args=[appeal.pk])
    assert worker.get(url).status_code == 200
    response = worker.post(
        url, {"category": d.market.pk, "title": "早市垃圾", "description": "游麟路早市垃圾无人清理"}
    )
    assert response.status_code == 302
    assert Matter.objects.get().appeal == appeal
    page = worker.get(reverse("appeals:detail", args=[appeal.pk])).content.decode()
    assert 'data-testid="raise-matter"' not in page
    assert (
        worker.post(
            url, {"category": d.market.pk, "title": "再来", "description": "再来"}
        ).status_code
        == 409
    )
    # The world's village cadre sees appeals there but does not run 工福街社区's matters.
    assert client_for(d, "other_worker").get(url).status_code == 404


def test_categories_page(d):
    admin = client_for(d, "administrator")
    assert admin.get(reverse("decide:categories")).status_code == 200
    response = admin.post(
        reverse("decide:category_create"),
        {"code": "TEST", "name": "测试类别", "description": "", "sort_order": 99},
    )
    assert response.status_code == 302
    category = MatterCategory.objects.get(code="TEST")
    assert (
        admin.post(
            reverse("decide:category_edit", args=[category.pk]),
            {"name": "家居服务", "description": "", "sort_order": 99},
        ).status_code
        == 400
    )
    assert (
        admin.post(
            reverse("decide:category_offer", args=[category.pk]), {"offered": "0"}
        ).status_code
        == 302
    )
    assert not MatterCategory.objects.get(pk=category.pk).active
    assert client_for(d, "community_worker").get(reverse("decide:categories")).status_code == 403


def test_the_workbench_tile_counts_what_waits(d):
    from linli.decide.tiles import decide_tiles

    helpers.propose(d)
    helpers.propose(d, title="楼道灯不亮")
    tiles = decide_tiles(user=d.users["community_worker"], area=None)
    assert [t["value"] for t in tiles] == [2]
    assert decide_tiles(user=d.users["adviser"], area=None)[0]["value"] == 0
    assert decide_tiles(user=d.users["wang"], area=None) == []
    assert decide_tiles(user=d.users["city_staff"], area=None) == []
    page = client_for(d, "community_worker").get(reverse("core:workbench"))
    assert page.status_code == 200 and reverse("decide:queue") in page.content.decode()


def test_the_matter_page_leads_to_its_votes(d):
    """The community's staff prepare a vote from the matter page while it is deliberated; its
    votes are listed there, a draft to its staff only."""
    import datetime as dt

    from linli.decide.votes import services as vote_services

    matter = helpers.taken_up(d)
    url = reverse("decide:detail", args=[matter.pk])
    prepare = reverse("votes:prepare", args=[matter.pk])
    worker = client_for(d, "community_worker")
    assert prepare in worker.get(url).content.decode()
    assert prepare not in client_for(d, "adviser").get(url).content.decode()
    assert prepare not in client_for(d, "other_worker").get(url).content.decode()
    vote = vote_services.vote_prepare(
        actor=d.users["community_worker"],
        matter=matter,
        question="早市是否于每日8:30前撤离",
        body="households",
        quorum_percent=50,
        majority="simple",
        secret=True,
        method="phone",
        closes_at=WORLD_CLOCK + dt.timedelta(days=3),
    )
    shown = reverse("votes:detail", args=[vote.pk])
    page = worker.get(url).content.decode()
    assert shown in page and prepare not in page  # one draft at a time
    assert shown not in client_for(d, "li").get(url).content.decode()
    vote_services.vote_open(actor=d.users["community_worker"], vote=vote)
    assert shown in client_for(d, "li").get(url).content.decode()
    assert prepare not in worker.get(url).content.decode()  # the matter is being decided
