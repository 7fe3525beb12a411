"""Manage 民主管理 and supervise 民主监督 at the level of the services: tasks for the community and
departments, progress reports by who may make them, supervision once every task is done,
inspections, residents' ratings once per household and round, and the count that finishes the
matter or sends it back for another round. Every refusal leaves nothing changed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from linli.core.errors import Conflict
from linli.core.models import TimelineEvent
from linli.core.scoping import OutOfScope
from linli.decide.choices import Stage
from linli.decide.manage import selectors, services
from linli.decide.models import (
    DecidePhoto,
    Inspection,
    MatterTask,
    ResidentRating,
    TaskReport,
)

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


def _assign(b, organisation=None, owner=None, owner_name="", title="清理游麟路摊点", **extra):
    return services.task_assign(
        actor=b.users["community_worker"],
        matter=b.matter,
        title=title,
        organisation=organisation or b.city,
        owner=owner,
        owner_name=owner_name or ("" if owner else "王科长"),
        due_on=extra.pop("due_on", TOMORROW),
        **extra,
    )


def _report(b, task, percent, who="city_staff", text="已劝离摊贩", **extra):
    return services.task_report(
        actor=b.users[who] if who else None, task=task, text=text, percent=percent, **extra
    )


def _fresh(obj):
    obj.refresh_from_db()
    return obj


def _to_supervise(b):
    task = _assign(b)
    _report(b, task, 100)
    return services.supervision_start(actor=b.users["community_worker"], matter=b.matter)


def _nothing_written(before_events: int):
    assert TimelineEvent.objects.count() == before_events


# --- tasks ----------------------------------------------------------------------------------------


def test_a_task_for_a_department_with_its_staff_as_owner(b):
    task = _assign(b, owner=b.users["city_staff"])
    assert (task.round, task.organisation, task.owner, task.state, task.percent) == (
        1,
        b.city,
        b.users["city_staff"],
        "open",
        0,
    )
    assert task.owner_name == str(b.users["city_staff"])
    assert TimelineEvent.objects.filter(verb="task", object_id=b.matter.pk).count() == 1


def test_a_task_for_the_communitys_own_office_named_owner(b):
    task = _assign(b, organisation=b.office, owner_name="社区主任")
    assert (task.organisation, task.owner, task.owner_name) == (b.office, None, "社区主任")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"organisation": "far_office"}, "organisation"),
        ({"owner": "housing_staff"}, "owner"),
        ({"due_on": dt.date(2026, 11, 24)}, "due_on"),
        ({"title": "   "}, "title"),
    ],
)
def test_a_task_refused_with_the_field_named(b, change, field):
    fields = {}
    if "organisation" in change:
        fields["organisation"] = getattr(b, change["organisation"])
    if "owner" in change:
        fields["owner"] = b.users[change["owner"]]
    if "due_on" in change:
        fields["due_on"] = change["due_on"]
    if "title" in change:
        fields["title"] = change["title"]
    with pytest.raises(ValidationError) as refused:
        _assign(b, **fields)
    assert field in refused.value.message_dict
    assert not MatterTask.objects.exists()


def test_tasks_only_at_the_manage_stage(b):
    matter = bw.make_matter(b.community, b.category, stage=Stage.DECIDE)
    with pytest.raises(ValidationError, match="not at the manage stage"):
        services.task_assign(
            actor=b.users["community_worker"],
            matter=matter,
            title="x",
            organisation=b.city,
            owner_name="王科长",
            due_on=TOMORROW,
        )
    assert not MatterTask.objects.exists()


@pytest.mark.parametrize(("who", "refusal"), [("far_worker", OutOfScope), ("resident", OutOfScope)])
def test_only_the_communitys_staff_assign(b, who, refusal):
    with pytest.raises(refusal):
        services.task_assign(
            actor=b.users[who],
            matter=b.matter,
            title="清理",
            organisation=b.city,
            owner_name="王科长",
            due_on=TOMORROW,
        )
    assert not MatterTask.objects.exists()


def test_progress_by_the_departments_staff_up_to_done(b):
    task = _assign(b)
    _report(b, task, 40, photos_sent=[bw.photo()])
    _report(b, task, 100, text="摊点已全部迁入市场")
    task = _fresh(task)
    assert (task.state, task.percent, task.done_at is not None) == ("done", 100, True)
    assert list(task.reports.values_list("percent", flat=True)) == [40, 100]
    photo = DecidePhoto.objects.get()
    assert (photo.report.percent, photo.content_type, photo.matter) == (40, "image/jpeg", b.matter)


def test_progress_by_the_owner_and_by_the_communitys_staff(b):
    task = _assign(b, organisation=b.office, owner=None, owner_name="社区主任")
    _report(b, task, 30, who="community_worker")
    owned = _assign(b, owner=b.users["city_staff"])
    _report(b, owned, 10, who="city_staff")
    assert TaskReport.objects.count() == 2


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("housing_staff", OutOfScope),  # another department's staff: not theirs to see
        ("far_worker", OutOfScope),  # another community's staff
        ("neighbour", OutOfScope),  # a resident reads the board, not the task desk
        ("street_cadre", PermissionDenied),  # sees the community's tasks, does not run them
        ("panel_member", PermissionDenied),
    ],
)
def test_a_report_by_one_who_may_not_changes_nothing(b, who, refusal):
    task = _assign(b)
    with pytest.raises(refusal):
        _report(b, task, 50, who=who)
    task = _fresh(task)
    assert (task.percent, task.version, TaskReport.objects.count()) == (0, 1, 0)


@pytest.mark.parametrize("percent", [101, -1, 1000])
def test_percent_outside_0_to_100_refused(b, percent):
    task = _assign(b)
    with pytest.raises(ValidationError) as refused:
        _report(b, task, percent)
    assert "percent" in refused.value.message_dict
    assert (_fresh(task).percent, TaskReport.objects.count()) == (0, 0)


def test_progress_goes_back_only_when_said(b):
    task = _assign(b)
    _report(b, task, 60)
    with pytest.raises(ValidationError, match="went back"):
        _report(b, task, 40)
    assert _fresh(task).percent == 60
    _report(b, task, 40, text="雨后摊贩回流，重新劝离", setback=True)
    assert _fresh(task).percent == 40
    assert TimelineEvent.objects.filter(summary__contains="set back").count() == 1


def test_a_text_file_named_jpg_is_refused_and_nothing_stored(b, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    task = _assign(b)
    with pytest.raises(ValidationError, match="not a photo"):
        _report(b, task, 50, photos_sent=[bw.text_as_jpg()])
    assert (TaskReport.objects.count(), DecidePhoto.objects.count()) == (0, 0)
    assert not (tmp_path / "decide").exists() or not any((tmp_path / "decide").iterdir())


def test_a_done_task_takes_no_more_reports(b):
    task = _assign(b)
    _report(b, task, 100)
    with pytest.raises(Conflict, match="done already"):
        _report(b, task, 100)
    assert TaskReport.objects.count() == 1


def test_overdue_and_the_on_time_share(b, clock):
    late = _assign(b, title="拆除违建", due_on=TOMORROW)
    on_time = _assign(b, title="划线", due_on=TOMORROW)
    _report(b, on_time, 100)
    clock.move_to(dt.datetime(2026, 11, 28, 10, tzinfo=bw.SHANGHAI))
    late, on_time = _fresh(late), _fresh(on_time)
    assert (selectors.task_overdue(late), selectors.task_overdue(on_time)) == (True, False)
    assert selectors.on_time_share([late, on_time]) == pytest.approx(0.5)
    listed = selectors.task_list(
        user=b.users["community_worker"], filters=selectors.TaskFilters(state="overdue")
    )
    assert list(listed) == [late]


def test_department_staff_list_only_their_organisations_tasks(b):
    mine = _assign(b, organisation=b.city)
    _assign(b, organisation=b.housing, owner_name="李科长")
    assert list(selectors.task_list(user=b.users["city_staff"])) == [mine]
    assert selectors.task_list(user=b.users["far_worker"]).count() == 0
    assert selectors.task_list(user=b.users["community_worker"]).count() == 2


# --- supervision ----------------------------------------------------------------------------------


def test_supervision_refused_while_a_task_is_open(b):
    done, still = _assign(b, title="清理"), _assign(b, title="划定临时市场")
    _report(b, done, 100)
    before = TimelineEvent.objects.count()
    with pytest.raises(ValidationError, match="1 still open: 划定临时市场"):
        services.supervision_start(actor=b.users["community_worker"], matter=b.matter)
    assert _fresh(b.matter).stage == Stage.MANAGE
    _nothing_written(before)
    _report(b, still, 100)
    matter = services.supervision_start(actor=b.users["community_worker"], matter=b.matter)
    assert matter.stage == Stage.SUPERVISE


def test_supervision_refused_without_any_task(b):
    with pytest.raises(ValidationError, match="No task has been assigned"):
        services.supervision_start(actor=b.users["community_worker"], matter=b.matter)


def test_an_inspection_by_the_supervision_panels_member(b):
    _to_supervise(b)
    inspection = services.inspection_record(
        actor=b.users["panel_member"],
        matter=b.matter,
        passed=True,
        notes="8:30后路面畅通",
        photos_sent=[bw.photo(bw.PNG, "路面.png", "image/png")],
    )
    assert (inspection.inspector, inspection.passed, inspection.round) == (b.inspector, True, 1)
    assert DecidePhoto.objects.get().inspection == inspection


@pytest.mark.parametrize(("who", "refusal"), [("resident", OutOfScope), ("far_worker", OutOfScope)])
def test_an_inspection_by_one_not_on_the_panel_refused(b, who, refusal):
    _to_supervise(b)
    with pytest.raises(refusal):
        services.inspection_record(actor=b.users[who], matter=b.matter, passed=True, notes="好")
    assert not Inspection.objects.exists()


def test_no_inspection_before_supervision(b):
    with pytest.raises(ValidationError, match="not under supervision"):
        services.inspection_record(
            actor=b.users["panel_member"], matter=b.matter, passed=True, notes="好"
        )


# --- ratings -------------------------------------------------------------------------------------


def _rate(b, who, rating="satisfied", note=""):
    return services.rating_give(actor=b.users[who], matter=b.matter, rating=rating, note=note)


def test_a_second_rating_of_the_household_is_refused(b):
    _to_supervise(b)
    _rate(b, "resident")
    with pytest.raises(Conflict, match="rated this result already"):
        _rate(b, "resident", "dissatisfied")
    assert list(ResidentRating.objects.values_list("rating", flat=True)) == ["satisfied"]


def test_the_database_refuses_a_second_rating_too(b):
    _to_supervise(b)
    first = _rate(b, "resident")
    with pytest.raises(IntegrityError), transaction.atomic():
        ResidentRating.objects.create(
            matter=b.matter, round=1, household=first.household, rating="dissatisfied"
        )


def test_a_rating_from_another_communitys_household_is_refused(b):
    _to_supervise(b)
    with pytest.raises(OutOfScope):
        _rate(b, "far_resident")
    assert not ResidentRating.objects.exists()


def test_staff_do_not_rate(b):
    _to_supervise(b)
    with pytest.raises(PermissionDenied):
        _rate(b, "community_worker")


def test_no_rating_before_supervision(b):
    with pytest.raises(ValidationError, match="not being rated"):
        _rate(b, "resident")


def test_closing_refused_without_a_passed_inspection(b):
    _to_supervise(b)
    _rate(b, "resident")
    services.inspection_record(
        actor=b.users["panel_member"], matter=b.matter, passed=False, notes="仍有摊点"
    )
    with pytest.raises(ValidationError, match="No inspection of this round has passed"):
        services.rating_close(actor=b.users["community_worker"], matter=b.matter)
    assert _fresh(b.matter).stage == Stage.SUPERVISE


def test_closing_refused_with_no_rating(b):
    _to_supervise(b)
    services.inspection_record(
        actor=b.users["panel_member"], matter=b.matter, passed=True, notes="畅通"
    )
    with pytest.raises(ValidationError, match="No household has rated"):
        services.rating_close(actor=b.users["community_worker"], matter=b.matter)
    assert _fresh(b.matter).stage == Stage.SUPERVISE


def test_good_ratings_finish_the_matter(b):
    _to_supervise(b)
    services.inspection_record(
        actor=b.users["panel_member"], matter=b.matter, passed=True, notes="畅通"
    )
    _rate(b, "resident")
    _rate(b, "neighbour", "basically")
    matter = services.rating_close(actor=b.users["community_worker"], matter=b.matter)
    assert (matter.stage, matter.round) == (Stage.DONE, 1)


def test_a_low_rating_sends_the_matter_back_for_a_new_round(b):
    _to_supervise(b)
    services.inspection_record(
        actor=b.users["panel_member"], matter=b.matter, passed=True, notes="畅通"
    )
    _rate(b, "resident", "dissatisfied", "摊贩又回来了")
    _rate(b, "neighbour", "satisfied")
    matter = services.rating_close(actor=b.users["community_worker"], matter=b.matter)
    assert (matter.stage, matter.round) == (Stage.MANAGE, 2)  # 50 % dissatisfied > 30 %
    task = _assign(b, title="第二轮：固定巡查")
    assert task.round == 2
    # A new round: the household rates again.
    _report(b, task, 100)
    services.supervision_start(actor=b.users["community_worker"], matter=b.matter)
    assert _rate(b, "resident").round == 2


def test_only_staff_close_the_ratings(b):
    _to_supervise(b)
    with pytest.raises(PermissionDenied):
        services.rating_close(actor=b.users["street_cadre"], matter=b.matter)
