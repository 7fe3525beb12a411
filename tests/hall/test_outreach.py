"""The outreach scan 主动服务扫描 and outreach tasks: who is found, who gets the task, what
stops a second task, the worker's outcome, scope and the figures."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from linli.accounts.models import Grant
from linli.core.models import AuditRecord
from linli.core.scoping import OutOfScope
from linli.hall.catalogue import services as catalogue
from linli.hall.choices import OutreachState
from linli.hall.models import Application, OutreachTask, ServiceCategory
from linli.hall.outreach import selectors
from linli.hall.outreach import services as outreach
from linli.registry import services as registry_services
from linli.registry.models import Household, Tag

from .. import factories as f
from .test_eligibility import LIU_RULE, build_registry

pytestmark = pytest.mark.django_db


def make_item(code, name, rule, *, role="community_worker", recent_days=365, actor=None):
    category = ServiceCategory.objects.get_or_create(name="社会救助类")[0]
    return catalogue.item_create(
        actor=actor,
        code=code,
        name=name,
        category=category,
        mode="guided",
        time_limit_days=5,
        eligibility=rule,
        outreach_role=role,
        outreach_recent_days=recent_days,
    )


def build_outreach():
    """The registry of test_eligibility.py with a user of each role that outreach concerns
    and the 助学贷款补助 item, whose rule finds 刘志辉."""
    reg = build_registry()
    users = SimpleNamespace(
        cw=f.user_with("community_worker", reg.wenling),  # 刘志辉's community
        cw_other=f.user_with("community_worker", reg.yinghui),
        grid=f.user_with("grid_worker", reg.grid),
        village=f.user_with("village_cadre", reg.wangjia),
        street=f.user_with("street_cadre", reg.street),
        leader=f.user_with("district_leader", reg.district),
        admin=f.user_with("administrator", reg.district),
    )
    reg.users = users
    reg.loan = make_item("JY-01", "助学贷款补助申请", LIU_RULE)
    return reg


SHARED = {"w": build_outreach}  # built once for the module (tests/sharing.py)


@pytest.fixture
def w(shared):
    return shared("w")


def tasks_of(item):
    return list(OutreachTask.objects.filter(item=item).order_by("household__number"))


# --- the scan ---------------------------------------------------------------------------------


def test_scan_finds_liu_and_gives_the_task_to_his_community_worker(w):
    result = outreach.scan()
    assert (result.households, result.eligible, result.created) == (5, 1, 1)
    [task] = tasks_of(w.loan)
    assert task.household == w.liu
    assert task.resident == w.liu.head and task.resident.name == "刘志辉"
    assert task.area == w.grid  # the household's own area
    assert task.assignee == w.users.cw
    assert task.state == OutreachState.OPEN
    assert task.item_version == w.loan.current
    assert [r[0] for r in task.reasons] == [
        "Household: %(tag)s",
        "Member %(name)s (%(relation)s): %(facts)s",
        "Head of household %(name)s: %(facts)s",
    ]
    record = AuditRecord.objects.filter(object_type="services.outreachtask").latest("pk")
    assert record.changes["created"] == 1 and record.changes["eligible"] == 1
    assert record.changes["by_item"] == {"JY-01": [1, 1]}
    assert record.actor is None


def test_a_second_scan_creates_nothing(w):
    assert outreach.scan().created == 1
    again = outreach.scan()
    assert again.eligible == 1 and again.created == 0
    assert OutreachTask.objects.count() == 1
    assert AuditRecord.objects.filter(object_type="services.outreachtask").count() == 2


def test_the_database_refuses_a_second_open_task_even_if_the_query_missed_it(w, monkeypatch):
    outreach.scan()
    # Two scans at once: both saw no open task. The constraint refuses the second one quietly.
    monkeypatch.setattr(outreach, "_new_households", lambda item, q, now: (1, [w.liu.pk]))
    result = outreach.scan()
    assert result.created == 0
    assert OutreachTask.objects.filter(item=w.loan).count() == 1


def test_the_deepest_grant_wins_then_the_lowest_user_id(w):
    street_level = f.user_with("community_worker", w.street)  # a wider grant of the same role
    second = f.user_with("community_worker", w.wenling)  # same area, higher id
    outreach.scan()
    [task] = tasks_of(w.loan)
    assert task.assignee == w.users.cw
    assert w.users.cw.pk < second.pk and street_level != task.assignee


def test_the_item_role_decides_who_is_responsible(w):
    grid_item = make_item("GL-01", "高龄补贴", {"member": {"age_min": 80}}, role="grid_worker")
    village_item = make_item("CJ-01", "残疾人补贴", {"head": {"tag": "残疾"}}, role="village_cadre")
    outreach.scan()
    [elder] = tasks_of(grid_item)
    # 张大山 lives in the village, not in the first grid: no grid worker covers him.
    assert elder.household == w.elder and elder.assignee is None
    [disabled] = tasks_of(village_item)
    assert disabled.household == w.liu and disabled.assignee == w.users.village


def test_unassigned_when_no_grant_covers_the_area(w):
    item = make_item("DB-02", "低保复核", {"household_tag": "低保"})
    Grant.objects.filter(user=w.users.cw_other).update(
        ends_on=timezone.localdate() - dt.timedelta(1)
    )
    outreach.scan()
    [task] = tasks_of(item)
    assert task.household == w.student and task.assignee is None  # the only grant has ended
    visible = set(selectors.task_list(user=w.users.street, filters={"who": "all"}))
    assert task in visible
    assert task in set(selectors.task_list(user=w.users.leader, filters={"who": "unassigned"}))
    assert task not in set(selectors.task_list(user=w.users.cw, filters={"who": "all"}))


def _application(item, household, *, state, days_ago):
    when = timezone.now() - dt.timedelta(days=days_ago)
    return Application.objects.create(
        number=f"A{Application.objects.count() + 1:06d}",
        item=item,
        item_version=item.current,
        resident=household.head,
        household=household,
        area=household.area,
        state=state,
        created_at=when,
    )


@pytest.mark.parametrize(
    ("state", "days_ago", "suppressed"),
    [
        ("completed", 10, True),  # recent, whatever its state
        ("rejected", 364, True),
        ("completed", 400, False),  # long ago and finished: seek them out again
        ("in_progress", 400, True),  # long ago but still open
        ("draft", 400, True),
        ("withdrawn", 366, False),
    ],
)
def test_an_open_or_recent_application_suppresses_a_task(w, state, days_ago, suppressed):
    _application(w.loan, w.liu, state=state, days_ago=days_ago)
    result = outreach.scan()
    assert result.eligible == 1
    assert result.created == (0 if suppressed else 1)


def test_an_application_for_another_item_does_not_suppress(w):
    other = make_item("QT-01", "其他事项", {}, role="")
    _application(other, w.liu, state="submitted", days_ago=1)
    assert outreach.scan().created == 1


def test_a_recent_declined_task_suppresses_a_new_one(w):
    outreach.scan()
    [task] = tasks_of(w.loan)
    outreach.task_record_outcome(actor=w.users.cw, task=task, outcome="declined", note="暂不需要")
    assert outreach.scan().created == 0
    # A year and more later the household is sought out again.
    OutreachTask.objects.filter(pk=task.pk).update(found_at=timezone.now() - dt.timedelta(days=366))
    assert outreach.scan().created == 1
    assert OutreachTask.objects.filter(item=w.loan, state="open").count() == 1


def test_recent_days_are_the_items_own(w):
    short = make_item("DB-03", "临时救助", {"household_tag": "困难户"}, recent_days=30)
    outreach.scan()
    [task] = tasks_of(short)
    outreach.task_record_outcome(actor=w.users.cw, task=task, outcome="not_eligible")
    OutreachTask.objects.filter(pk=task.pk).update(found_at=timezone.now() - dt.timedelta(days=31))
    result = outreach.scan(items=[short])
    assert [i.code for i in result.items] == ["DB-03"] and result.created == 1


def test_a_moved_household_gets_the_worker_of_its_new_area(w):
    registry_services.household_update(actor=None, household=w.liu, area=w.yingcun)
    outreach.scan()
    [task] = tasks_of(w.loan)
    assert task.area == w.yingcun and task.assignee == w.users.cw_other


def test_an_open_task_follows_its_household(w):
    outreach.scan()
    [task] = tasks_of(w.loan)
    assert task.assignee == w.users.cw
    registry_services.household_update(actor=None, household=w.liu, area=w.yingcun)
    result = outreach.scan()
    assert result.moved == 1 and result.created == 0
    task.refresh_from_db()
    assert task.area == w.yingcun and task.assignee == w.users.cw_other
    assert task.version == 2
    assert [e.verb for e in selectors.task_timeline(task=task)] == ["moved"]
    with pytest.raises(OutOfScope):
        selectors.task_get(user=w.users.cw, pk=task.pk)


def test_items_not_offered_or_without_a_rule_or_role_are_not_scanned(w):
    make_item("A-1", "无条件", {})
    make_item("A-2", "无人负责", {"household_tag": "困难户"}, role="")
    withdrawn = make_item("A-3", "已停办", {"household_tag": "困难户"})
    catalogue.item_set_offered(actor=None, item=withdrawn, offered=False)
    result = outreach.scan()
    assert [i.code for i in result.items] == ["JY-01"]
    assert result.created == 1


def test_an_item_whose_rule_no_longer_fits_the_vocabulary_is_skipped_and_said(w):
    make_item("A-4", "旧标签", {"household_tag": "低保"})
    Tag.objects.filter(name="低保").update(name="最低生活保障")
    result = outreach.scan()
    assert result.skipped == {"A-4": ["There is no household tag “低保”."]}
    assert [i.code for i in result.items] == ["JY-01"]


def test_the_task_keeps_the_version_it_was_found_under(w):
    outreach.scan()
    first = w.loan.current
    catalogue.item_revise(actor=None, item=w.loan, time_limit_days=3)
    [task] = tasks_of(w.loan)
    assert task.item_version == first


def test_a_household_without_a_head_gets_a_task_without_a_person(w):
    item = make_item("A-5", "独居关爱", {"member": {"relation_in": ["other"]}})
    outreach.scan()
    [task] = tasks_of(item)
    assert task.household == w.headless and task.resident is None


# --- the worker's outcome ---------------------------------------------------------------------


@pytest.fixture
def task(w):
    outreach.scan()
    return tasks_of(w.loan)[0]


def test_contacted_then_declined(w, task):
    cw = w.users.cw
    task = outreach.task_record_outcome(
        actor=cw, task=task, outcome="contacted", note="电话联系", expected_version=1
    )
    assert task.state == "contacted" and task.contacted_at and task.closed_at is None
    assert task.version == 2 and task.outcome_note == "电话联系"
    task = outreach.task_record_outcome(actor=cw, task=task, outcome="declined", expected_version=2)
    assert task.state == "declined" and task.closed_at and task.outcome_note == "电话联系"
    events = selectors.task_timeline(task=task)[::-1]
    assert [e.verb for e in events] == ["contacted", "declined"]
    assert events[0].text == "Household contacted: 电话联系"
    assert (
        AuditRecord.objects.filter(
            object_type="services.outreachtask", object_id=str(task.pk), action="update"
        ).count()
        == 2
    )


def test_a_stale_version_is_refused_and_nothing_changes(w, task):
    outreach.task_record_outcome(actor=w.users.cw, task=task, outcome="contacted")
    with pytest.raises(ValidationError) as e:
        outreach.task_record_outcome(
            actor=w.users.grid, task=task, outcome="not_eligible", expected_version=1
        )
    assert e.value.error_list[0].code == "stale"
    task.refresh_from_db()
    assert task.state == "contacted" and task.version == 2


def test_a_closed_task_takes_no_more_outcomes(w, task):
    outreach.task_record_outcome(actor=w.users.cw, task=task, outcome="not_eligible")
    with pytest.raises(ValidationError) as e:
        outreach.task_record_outcome(actor=w.users.cw, task=task, outcome="contacted")
    assert "closed" in e.value.message_dict["outcome"][0]


def test_contacted_twice_is_refused(w, task):
    outreach.task_record_outcome(actor=w.users.cw, task=task, outcome="contacted")
    with pytest.raises(ValidationError) as e:
        outreach.task_record_outcome(actor=w.users.cw, task=task, outcome="contacted")
    assert "already recorded as contacted" in e.value.message_dict["outcome"][0]


@pytest.mark.parametrize("outcome", ["applied", "open", "", "won"])
def test_only_the_workers_outcomes_are_accepted(w, task, outcome):
    with pytest.raises(ValidationError) as e:
        outreach.task_record_outcome(actor=w.users.cw, task=task, outcome=outcome)
    assert "outcome" in e.value.message_dict
    task.refresh_from_db()
    assert task.state == "open"


def test_a_note_too_long_is_refused(w, task):
    with pytest.raises(ValidationError) as e:
        outreach.task_record_outcome(
            actor=w.users.cw, task=task, outcome="contacted", note="x" * 501
        )
    assert "note" in e.value.message_dict


def test_a_worker_of_another_community_cannot_record(w, task):
    with pytest.raises(OutOfScope):
        outreach.task_record_outcome(actor=w.users.cw_other, task=task, outcome="contacted")


def test_a_viewer_without_outreach_work_cannot_record(w, task):
    with pytest.raises(PermissionDenied):
        outreach.task_record_outcome(actor=w.users.street, task=task, outcome="contacted")
    task.refresh_from_db()
    assert task.state == "open"


# --- selectors and figures --------------------------------------------------------------------


def test_scope_another_community_sees_nothing(w, task):
    assert list(selectors.task_list(user=w.users.cw_other, filters={"who": "all"})) == []
    with pytest.raises(OutOfScope):
        selectors.task_get(user=w.users.cw_other, pk=task.pk)
    resident = f.user_with("resident", w.wangjia)
    assert list(selectors.task_list(user=resident)) == []
    assert list(selectors.task_list(user=w.users.admin)) == []


def test_task_list_filters(w, task):
    item = make_item("DB-04", "低保复核", {"household_tag": "低保"})
    outreach.scan()
    leader = w.users.leader
    assert len(selectors.task_list(user=leader, filters={"who": "all"})) == 2
    assert list(selectors.task_list(user=w.users.cw, filters={"who": "mine"})) == [task]
    assert list(selectors.task_list(user=w.users.cw_other, filters={"who": "mine"})) == [
        OutreachTask.objects.get(item=item)
    ]
    assert list(selectors.task_list(user=leader, filters={"item": str(w.loan.pk)})) == [task]
    assert list(selectors.task_list(user=leader, filters={"area": str(w.wenling.pk)})) == [task]
    assert list(selectors.task_list(user=leader, filters={"area": "999999"})) == []
    outreach.task_record_outcome(actor=w.users.cw, task=task, outcome="declined")
    assert list(selectors.task_list(user=leader, filters={"item": str(w.loan.pk)})) == []
    assert list(
        selectors.task_list(user=leader, filters={"item": str(w.loan.pk), "state": "declined"})
    ) == [task]
    assert len(selectors.task_list(user=leader, filters={"state": "any"})) == 2
    # Nonsense is ignored, not an error.
    assert len(selectors.task_list(user=leader, filters={"item": "x'; --", "state": "?"})) == 1


def test_task_list_puts_tasks_to_contact_first(w):
    make_item("DB-05", "低保复核", {"household_tag": "低保"})
    outreach.scan()
    first = OutreachTask.objects.order_by("pk").first()
    outreach.task_record_outcome(actor=None, task=first, outcome="contacted")
    states = [t.state for t in selectors.task_list(user=w.users.leader, filters={"state": "any"})]
    assert states == ["open", "contacted"]


def test_outreach_counts(w, task):
    make_item("DB-06", "低保复核", {"household_tag": "低保"})
    make_item("GL-02", "高龄补贴", {"member": {"age_min": 80}})
    outreach.scan()
    tasks = list(OutreachTask.objects.order_by("pk"))
    assert len(tasks) == 3
    outreach.task_record_outcome(actor=None, task=tasks[0], outcome="contacted")
    outreach.task_record_outcome(actor=None, task=tasks[1], outcome="declined")
    outreach.task_record_outcome(actor=None, task=tasks[2], outcome="not_eligible")
    OutreachTask.objects.filter(pk=tasks[0].pk).update(state="applied")
    counts = selectors.outreach_counts(area=w.district)
    assert counts == {
        "found": 3,
        "to_contact": 0,
        "contacted": 2,
        "applied": 1,
        "declined": 1,
        "not_eligible": 1,
    }
    assert selectors.outreach_counts(user=w.users.cw)["found"] == 2  # 文岭社区 only
    assert selectors.outreach_counts(user=w.users.cw_other)["found"] == 1
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert selectors.outreach_counts(since=tomorrow)["found"] == 0
    assert selectors.outreach_counts(area=w.yinghui)["found"] == 1


# --- the editor's write -----------------------------------------------------------------------


def test_item_outreach_update_makes_a_new_version(w):
    admin = w.users.admin
    rule = {"any": [{"household_tag": "困难户"}, {"household_tag": "低保"}]}
    version = outreach.item_outreach_update(
        actor=admin,
        item=w.loan,
        eligibility_rule=rule,
        outreach_role="grid_worker",
        outreach_recent_days=180,
        note="扩大到低保户",
        expected_version=1,
    )
    w.loan.refresh_from_db()
    assert w.loan.current == version and version.number == 2
    assert version.eligibility == rule and version.outreach_role == "grid_worker"
    assert version.outreach_recent_days == 180 and version.note == "扩大到低保户"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"eligibility_rule": {"household_tag": "富裕户"}}, "eligibility"),
        ({"outreach_role": "district_leader"}, "outreach_role"),
        ({"outreach_recent_days": 0}, "outreach_recent_days"),
        ({"outreach_recent_days": 5000}, "outreach_recent_days"),
    ],
)
def test_item_outreach_update_refuses_bad_input_and_changes_nothing(w, changes, field):
    data = {
        "eligibility_rule": LIU_RULE,
        "outreach_role": "community_worker",
        "outreach_recent_days": 30,
    } | changes
    with pytest.raises(ValidationError) as e:
        outreach.item_outreach_update(actor=w.users.admin, item=w.loan, **data)
    assert field in e.value.message_dict
    w.loan.refresh_from_db()
    assert w.loan.current.number == 1 and w.loan.versions.count() == 1


def test_item_outreach_update_refuses_a_stale_edit_and_other_roles(w):
    catalogue.item_revise(actor=None, item=w.loan, time_limit_days=4)
    with pytest.raises(ValidationError) as e:
        outreach.item_outreach_update(
            actor=w.users.admin,
            item=w.loan,
            eligibility_rule={},
            outreach_role="",
            outreach_recent_days=30,
            expected_version=1,
        )
    assert e.value.error_list[0].code == "stale"
    with pytest.raises(PermissionDenied):
        outreach.item_outreach_update(
            actor=w.users.cw,
            item=w.loan,
            eligibility_rule={},
            outreach_role="",
            outreach_recent_days=30,
        )
    assert Household.objects.count() == 5


def test_item_outreach_update_with_nothing_changed_makes_no_version(w):
    version = outreach.item_outreach_update(
        actor=w.users.admin,
        item=w.loan,
        eligibility_rule=LIU_RULE,
        outreach_role="community_worker",
        outreach_recent_days=365,
        expected_version=1,
    )
    w.loan.refresh_from_db()
    assert version == w.loan.current and w.loan.versions.count() == 1


def test_tasks_are_inserted_in_batches(w, monkeypatch):
    monkeypatch.setattr(outreach, "INSERT_ROWS", 2)
    monkeypatch.setattr(outreach, "CHUNK", 2)
    make_item("QT-03", "全体关爱", {"member": {"age_min": 0}})
    result = outreach.scan()
    assert result.created == 6  # five households, and 刘志辉's for the loan
    assert OutreachTask.objects.filter(state="open", version=1, outcome_note="").count() == 6
    reasons = OutreachTask.objects.get(item__code="QT-03", household=w.headless).reasons
    assert reasons == [
        [
            "Member %(name)s (%(relation)s): %(facts)s",
            {"name": "赵六", "relation": "other", "facts": [{"age": 60}]},
        ]
    ]
