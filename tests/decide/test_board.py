"""The public board 公开栏 through its pages: who reads a community's board (its residents, staff
over it, anyone when the community opens it without login), what it shows (stage, tasks and
progress, overdue ones, inspections, ratings, commitments), the matter's entry and its printable
notice with the QR code, a resident's rating from the phone, and the board's cost in queries."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from linli.decide.board import services as board_services
from linli.decide.choices import Stage
from linli.decide.manage import services
from linli.decide.models import CommitmentRating, ResidentRating

from . import board_world as bw

WORLD_CLOCK = bw.WORLD_CLOCK
SHARED = {"board": bw.build_board}
TOMORROW = dt.date(2026, 11, 26)


@pytest.fixture
def clock():
    with time_machine.travel(WORLD_CLOCK, tick=False) as traveller:
        yield traveller


@pytest.fixture
def b(clock, shared):
    return shared("board")


def _as(client, b, role):
    if role != "anonymous":
        client.force_login(b.users[role])
    return client


def _board(b):
    return reverse("board:community", args=[b.community.pk])


def _open(b, on=True):
    board_services.board_setting_change(actor=None, community=b.community, without_login=on)


def _supervised(b):
    task = services.task_assign(
        actor=None,
        matter=b.matter,
        title="清理游麟路摊点",
        organisation=b.city,
        owner_name="王科长",
        due_on=TOMORROW,
    )
    services.task_report(actor=None, task=task, text="摊点已迁入市场", percent=100)
    services.supervision_start(actor=None, matter=b.matter)
    services.inspection_record(actor=None, matter=b.matter, passed=True, notes="8:30后畅通")
    return task


@pytest.mark.parametrize(
    ("role", "opened", "status"),
    [
        ("resident", False, 200),  # the community's resident
        ("neighbour", False, 200),
        ("community_worker", False, 200),
        ("street_cadre", False, 200),
        ("far_resident", False, 404),  # a resident of 营辉社区
        ("far_worker", False, 404),
        ("anonymous", False, 404),
        ("anonymous", True, 200),
        ("far_resident", True, 200),
    ],
)
def test_who_reads_the_board(client, b, role, opened, status):
    if opened:
        _open(b)
    answer = _as(client, b, role).get(_board(b))
    assert answer.status_code == status
    if status == 200:
        assert b.matter.title in answer.content.decode()


def test_the_board_shows_the_stage_tasks_inspections_and_ratings(client, b, clock):
    _supervised(b)
    late = bw.make_matter(b.community, b.category, title="苇湾违建拆除")
    services.task_assign(
        actor=None,
        matter=late,
        title="拆除两户违建",
        organisation=b.office,
        owner_name="吕峰",
        due_on=TOMORROW,
    )
    services.rating_give(actor=b.users["neighbour"], matter=b.matter, rating="basically")
    clock.move_to(dt.datetime(2026, 11, 28, 9, tzinfo=bw.SHANGHAI))
    body = _as(client, b, "resident").get(_board(b)).content.decode()
    assert "清理游麟路摊点" in body and "8:30后畅通" in body
    assert 'aria-current="step">Supervise' in body
    assert "Overdue" in body  # the removal task is past its deadline and not done
    assert "Basically satisfied 1" in body
    assert reverse("board:rate", args=[b.matter.pk]) in body  # the resident may still rate


def test_another_communitys_matter_is_not_on_the_board(client, b):
    """A matter of 营辉社区 is on neither 文岭社区's board nor open to 文岭社区's resident; a matter
    of one village of 文岭社区 is on the whole community's board."""
    far = bw.make_matter(b.other_community, b.category, title="营辉加装电梯")
    near = bw.make_matter(b.world.villages[1], b.category, title="二村加装电梯")
    _as(client, b, "resident")
    body = client.get(_board(b)).content.decode()
    assert "营辉加装电梯" not in body and "二村加装电梯" in body
    assert client.get(reverse("board:matter", args=[far.pk])).status_code == 404
    assert client.get(reverse("board:matter", args=[near.pk])).status_code == 200
    _as(client, b, "far_resident")
    assert client.get(reverse("board:matter", args=[far.pk])).status_code == 200


def test_the_notice_carries_a_qr_code_of_the_entry(client, b):
    answer = _as(client, b, "community_worker").get(reverse("board:notice", args=[b.matter.pk]))
    body = answer.content.decode()
    assert answer.status_code == 200
    assert '<svg viewBox="' in body and 'class="segno"' in body
    assert f"http://testserver/board/matters/{b.matter.pk}/" in body


def test_a_resident_rates_on_the_phone_once(client, b):
    _supervised(b)
    _as(client, b, "resident")
    url = reverse("board:rate", args=[b.matter.pk])
    assert client.get(url).status_code == 200
    answer = client.post(url, {"rating": "satisfied", "note": "路通了"})
    assert answer.status_code == 302
    again = client.post(url, {"rating": "dissatisfied"})
    assert again.status_code == 409
    assert "rated this result already" in again.content.decode()
    assert list(ResidentRating.objects.values_list("rating", flat=True)) == ["satisfied"]


def test_another_communitys_resident_cannot_rate_even_on_an_open_board(client, b):
    _supervised(b)
    _open(b)
    _as(client, b, "far_resident")
    url = reverse("board:rate", args=[b.matter.pk])
    assert client.post(url, {"rating": "dissatisfied"}).status_code == 403
    assert not ResidentRating.objects.exists()


def test_commitments_on_the_board_and_rated_once(client, b):
    commitment = board_services.commitment_post(
        actor=None,
        community=b.community,
        resident=b.party_member,
        place="business_street",
        business_street="游麟路商圈",
        text="每周巡查商圈占道",
    )
    board_services.commitment_record(
        actor=None, commitment=commitment, text="劝离占道摊点3处", done_on=dt.date(2026, 11, 20)
    )
    body = _as(client, b, "resident").get(_board(b)).content.decode()
    assert "每周巡查商圈占道" in body and "劝离占道摊点3处" in body and "游麟路商圈" in body
    url = reverse("board:commitment_rate", args=[commitment.pk])
    assert client.post(url, {"rating": "satisfied"}).status_code == 302
    assert client.post(url, {"rating": "satisfied"}).status_code == 409
    assert CommitmentRating.objects.count() == 1


def test_staff_switch_reading_without_login(client, b):
    url = reverse("board:setting", args=[b.community.pk])
    assert _as(client, b, "far_worker").post(url, {"without_login": "on"}).status_code == 404
    client.logout()
    assert client.get(_board(b)).status_code == 404
    assert _as(client, b, "community_worker").post(url, {"without_login": "on"}).status_code == 302
    client.logout()
    assert client.get(_board(b)).status_code == 200


def test_my_community_board_entry(client, b):
    answer = _as(client, b, "resident").get(reverse("board:index"))
    assert answer.status_code == 302 and answer["Location"] == _board(b)


def _commit(b, text="承诺"):
    commitment = board_services.commitment_post(
        actor=None, community=b.community, resident=b.party_member, place="community", text=text
    )
    board_services.commitment_record(
        actor=None, commitment=commitment, text="做了", done_on=dt.date(2026, 11, 20)
    )


def test_the_board_costs_the_same_at_one_and_at_six_matters(client, b):
    _supervised(b)
    _commit(b)
    _as(client, b, "resident")
    client.get(_board(b))  # warm the caches of the session and the menu

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_board(b)).status_code == 200
        return len(queries)

    one = cost()
    for n in range(5):
        matter = bw.make_matter(b.community, b.category, title=f"事项{n}")
        services.task_assign(
            actor=None,
            matter=matter,
            title=f"任务{n}",
            organisation=b.city,
            owner_name="王科长",
            due_on=TOMORROW,
        )
        _commit(b, f"承诺{n}")
    assert cost() == one
    assert one <= 30


def test_matters_leave_the_supervise_step_when_done(client, b):
    _supervised(b)
    services.rating_give(actor=b.users["resident"], matter=b.matter, rating="satisfied")
    services.rating_close(actor=None, matter=b.matter)
    body = _as(client, b, "neighbour").get(_board(b)).content.decode()
    assert b.matter.title in body and "aria-current" not in body.split("board-matter")[1][:2000]
    b.matter.refresh_from_db()
    assert b.matter.stage == Stage.DONE
