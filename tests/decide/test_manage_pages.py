"""Manage 民主管理 and supervise 民主监督 through the pages and the API: the staff's matter page
and its actions, a department's staff reporting progress with photos checked by their bytes,
refusals that change nothing, and the API's tasks, reports and ratings with idempotency keys."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from linli.decide.choices import Stage
from linli.decide.manage import services
from linli.decide.models import DecidePhoto, MatterTask, ResidentRating, TaskReport

from . import board_world as bw

WORLD_CLOCK = bw.WORLD_CLOCK
SHARED = {"board": bw.build_board}
TOMORROW = dt.date(2026, 11, 26)


@pytest.fixture
def clock():
    with time_machine.travel(WORLD_CLOCK, tick=False) as traveller:
        yield traveller


@pytest.fixture
def b(clock, shared, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return shared("board")


def _task(b, organisation=None):
    return services.task_assign(
        actor=None,
        matter=b.matter,
        title="清理游麟路摊点",
        organisation=organisation or b.city,
        owner_name="王科长",
        due_on=TOMORROW,
    )


def _as(client, b, role):
    client.force_login(b.users[role])
    return client


def test_staff_assign_a_task_on_the_matter_page(client, b):
    _as(client, b, "community_worker")
    page = client.get(reverse("matter_tasks:matter", args=[b.matter.pk]))
    assert page.status_code == 200
    url = reverse("matter_tasks:assign", args=[b.matter.pk])
    assert client.get(url).status_code == 200
    answer = client.post(
        url,
        {
            "title": "划定临时市场",
            "organisation": b.city.pk,
            "owner": b.users["city_staff"].pk,
            "due_on": "2026-12-01",
        },
    )
    assert answer.status_code == 302
    task = MatterTask.objects.get()
    assert (task.owner, task.organisation) == (b.users["city_staff"], b.city)


def test_a_department_reports_with_a_photo_and_a_text_file_is_refused(client, b):
    task = _task(b)
    _as(client, b, "city_staff")
    url = reverse("matter_tasks:report", args=[task.pk])
    refused = client.post(
        url, {"percent": 50, "text": "劝离", "photos": bw.text_as_jpg(), "version": 1}
    )
    assert refused.status_code == 400
    assert "is not a photo" in refused.content.decode()
    assert (TaskReport.objects.count(), DecidePhoto.objects.count()) == (0, 0)
    done = client.post(
        url, {"percent": 100, "text": "全部迁入", "photos": bw.photo(), "version": 1}
    )
    assert done.status_code == 302
    photo = DecidePhoto.objects.get()
    shown = client.get(reverse("matter_tasks:photo", args=[photo.pk]))
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    task.refresh_from_db()
    assert task.state == "done"


@pytest.mark.parametrize(("role", "status"), [("housing_staff", 404), ("street_cadre", 403)])
def test_a_report_page_for_one_who_may_not(client, b, role, status):
    task = _task(b)
    _as(client, b, role)
    url = reverse("matter_tasks:report", args=[task.pk])
    assert client.post(url, {"percent": 50, "text": "x"}).status_code == status
    assert not TaskReport.objects.exists()


def test_percent_above_100_on_the_page(client, b):
    task = _task(b)
    _as(client, b, "city_staff")
    answer = client.post(
        reverse("matter_tasks:report", args=[task.pk]), {"percent": 120, "text": "x"}
    )
    assert answer.status_code == 400
    assert "from 0 to 100" in answer.content.decode()
    task.refresh_from_db()
    assert task.percent == 0


def test_supervision_refused_with_the_reason_on_the_page(client, b):
    _task(b)
    _as(client, b, "community_worker")
    answer = client.post(reverse("matter_tasks:supervise", args=[b.matter.pk]), follow=True)
    assert "1 still open" in answer.content.decode()
    b.matter.refresh_from_db()
    assert b.matter.stage == Stage.MANAGE


def test_the_panel_member_inspects_and_the_staff_count(client, b):
    task = _task(b)
    services.task_report(actor=None, task=task, text="完成", percent=100)
    services.supervision_start(actor=None, matter=b.matter)
    _as(client, b, "panel_member")
    url = reverse("matter_tasks:inspect", args=[b.matter.pk])
    assert client.post(url, {"passed": "yes", "notes": "畅通"}).status_code == 302
    _as(client, b, "community_worker")
    close = reverse("matter_tasks:close", args=[b.matter.pk])
    refused = client.post(close, follow=True)
    assert "No household has rated" in refused.content.decode()
    services.rating_give(actor=b.users["resident"], matter=b.matter, rating="satisfied")
    assert client.post(close).status_code == 302
    b.matter.refresh_from_db()
    assert b.matter.stage == Stage.DONE


def test_the_task_list_of_a_department_is_its_own(client, b):
    _task(b)
    _task(b, organisation=b.housing)
    _as(client, b, "city_staff")
    body = client.get(reverse("matter_tasks:list")).content.decode()
    assert body.count('data-testid="task"') == 1
    _as(client, b, "resident")
    assert client.get(reverse("matter_tasks:list")).status_code == 403


# --- the API ---------------------------------------------------------------------------------------


def test_api_lists_gets_and_reports_once_per_key(client, b):
    task = _task(b)
    _as(client, b, "city_staff")
    listed = client.get("/api/decide/tasks").json()
    assert [row["id"] for row in listed["items"]] == [task.pk]
    assert client.get(f"/api/decide/tasks/{task.pk}").json()["organisation"]["name"] == b.city.name
    headers = {"HTTP_IDEMPOTENCY_KEY": "k-1"}
    body = {"text": "已劝离", "percent": 40}
    first = client.post(
        f"/api/decide/tasks/{task.pk}/reports", body, content_type="application/json", **headers
    )
    again = client.post(
        f"/api/decide/tasks/{task.pk}/reports", body, content_type="application/json", **headers
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert TaskReport.objects.count() == 1
    too_much = client.post(
        f"/api/decide/tasks/{task.pk}/reports",
        {"text": "x", "percent": 101},
        content_type="application/json",
    )
    assert too_much.status_code == 422
    _as(client, b, "housing_staff")
    assert client.get(f"/api/decide/tasks/{task.pk}").status_code == 404


def test_api_rating_once_and_from_the_community_only(client, b):
    task = _task(b)
    services.task_report(actor=None, task=task, text="完成", percent=100)
    services.supervision_start(actor=None, matter=b.matter)
    body = {"rating": "dissatisfied", "note": "又回来了"}
    url = f"/api/decide/tasks/matters/{b.matter.pk}/ratings"
    _as(client, b, "far_resident")
    far = client.post(url, body, content_type="application/json")
    assert far.status_code == 404
    _as(client, b, "resident")
    headers = {"HTTP_IDEMPOTENCY_KEY": "r-1"}
    first = client.post(url, body, content_type="application/json", **headers)
    replay = client.post(url, body, content_type="application/json", **headers)
    second = client.post(url, body, content_type="application/json")
    assert (first.status_code, replay.status_code, second.status_code) == (201, 201, 409)
    assert ResidentRating.objects.count() == 1


def test_api_commitments_of_the_residents_community(client, b):
    from linli.decide.board import services as board_services

    commitment = board_services.commitment_post(
        actor=None, community=b.community, resident=b.party_member, place="community", text="承诺"
    )
    _as(client, b, "resident")
    rows = client.get("/api/decide/commitments").json()["items"]
    assert [(r["id"], r["community"]) for r in rows] == [(commitment.pk, b.community.pk)]
    rated = client.post(
        f"/api/decide/commitments/{commitment.pk}/ratings",
        {"rating": "satisfied"},
        content_type="application/json",
    )
    assert rated.status_code == 201
    _as(client, b, "far_resident")
    assert client.get("/api/decide/commitments").json()["items"] == []
