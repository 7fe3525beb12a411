"""Taking, submitting, returning, resubmitting, rejecting, withdrawing and completing
applications through the services: happy paths, bad input (no change), scope, and every
service tried in every state."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model

from linli.core.models import AuditRecord, Notification, TimelineEvent
from linli.core.scoping import OutOfScope
from linli.hall.applications import services
from linli.hall.models import (
    Application,
    ApplicationMaterial,
    ApplicationStep,
    OutreachTask,
    Trip,
)

from . import app_helpers as h

SHARED = {"hall": h.build_hall}  # built once for the module on top of `world` (tests/sharing.py)


@pytest.fixture
def hall(shared):
    return shared("hall")


def _events(application) -> list[str]:
    return list(
        TimelineEvent.objects.filter(object_id=application.pk, content_type__model="application")
        .order_by("id")
        .values_list("verb", flat=True)
    )


def _state_of(model: type[Model], pk) -> dict:
    return model.objects.filter(pk=pk).values().get()


# --- taking an application --------------------------------------------------------------


def test_counter_application_of_a_proxy_item_starts_its_route(hall):
    worker = hall.users["hall_worker"]
    app = h.take(hall, hall.items.illness)
    app.refresh_from_db()
    assert app.number.startswith("BJ") and len(app.number) == 16
    assert app.state == "in_progress" and app.current_step == 1
    assert app.item_version == hall.items.illness.current
    assert app.area == hall.household.area and app.hall == hall.hall
    assert app.taken_by == worker and app.channel == "counter"
    assert app.trip_count == 1 and Trip.objects.get(application=app).reason == "submit"
    assert app.received_on is not None and app.promised_days == 15 and app.due_on is not None
    steps = list(app.steps.order_by("order").select_related("organisation"))
    assert [s.organisation for s in steps] == [
        hall.hall,
        hall.street_office,
        hall.departments["health"],
        hall.departments["civil"],
    ]
    assert [s.state for s in steps] == ["active", "waiting", "waiting", "waiting"]
    assert steps[0].received_at is not None and steps[0].due_on is not None
    assert [m.received for m in app.materials.all()] == [True] * 4
    assert _events(app) == ["created", "received", "step_received"]
    assert AuditRecord.objects.filter(object_type="services.application", object_id=app.pk)
    note = Notification.objects.get(dedupe_key=f"application:{app.pk}:submitted")
    assert note.recipient_resident == hall.resident and note.params["number"] == app.number


def test_numbers_follow_each_other_within_a_day(hall):
    first = h.take(hall, hall.items.residence)
    second = h.take(hall, hall.items.residence)
    assert first.number[:10] == second.number[:10]
    assert int(second.number[10:]) == int(first.number[10:]) + 1


def test_on_the_spot_item_completes_at_the_counter(hall):
    app = h.take(hall, hall.items.residence)
    app.refresh_from_db()
    assert app.state == "completed" and app.finished_at is not None
    assert app.working_days_used == 0 and app.promised_days == 0
    assert not app.steps.exists()
    keys = set(Notification.objects.values_list("dedupe_key", flat=True))
    assert {f"application:{app.pk}:submitted", f"application:{app.pk}:completed"} <= keys


def test_guided_item_waits_for_the_guidance(hall):
    app = h.take(hall, hall.items.guidance)
    assert app.state == "submitted"
    done = services.application_record_guidance(
        actor=hall.users["hall_worker"],
        application=app,
        guidance="讲解落户所需材料和流程",
        outcome="居民已到派出所办理",
    )
    assert done.state == "completed"
    assert "讲解落户所需材料和流程" in done.outcome and "居民已到派出所办理" in done.outcome
    assert _events(app)[-2:] == ["guided", "completed"]


def test_guidance_needs_both_texts_and_a_guided_item(hall):
    app = h.take(hall, hall.items.guidance)
    before = _state_of(Application, app.pk)
    for guidance, outcome, field in (("", "办好了", "guidance"), ("讲解", " ", "outcome")):
        with pytest.raises(ValidationError) as e:
            services.application_record_guidance(
                actor=hall.users["hall_worker"], application=app, guidance=guidance, outcome=outcome
            )
        assert field in e.value.message_dict
    assert _state_of(Application, app.pk) == before
    proxy = h.take(hall, hall.items.illness)
    with pytest.raises(ValidationError) as e:
        services.application_record_guidance(
            actor=hall.users["hall_worker"], application=proxy, guidance="x", outcome="y"
        )
    assert e.value.code == "wrong_mode"


def test_visit_channel_records_no_trip(hall):
    app = h.take(hall, hall.items.guidance, channel="visit", actor=hall.users["grid_worker"])
    assert app.trip_count == 0 and not app.trips.exists()
    assert app.taken_by == hall.users["grid_worker"]


def test_draft_then_submit(hall):
    app = h.take(hall, hall.items.guidance, submit=False)
    assert app.state == "draft" and app.received_on is None
    services.application_submit(actor=hall.users["hall_worker"], application=app)
    app.refresh_from_db()
    assert app.state == "submitted" and app.received_on is not None


# --- materials missing: returned with the list ------------------------------------------


def test_missing_material_returns_it_at_once_with_the_list(hall):
    app = h.take(hall, hall.items.illness, materials=["身份证", "户口本"])
    app.refresh_from_db()
    assert app.state == "returned"
    assert app.return_note == "大病证明、医疗费用票据"
    assert app.received_on is None and app.due_on is None
    assert set(app.steps.values_list("state", flat=True)) == {"waiting"}
    note = Notification.objects.get(dedupe_key__startswith=f"application:{app.pk}:returned")
    assert note.params["missing"] == "大病证明、医疗费用票据"
    assert "returned" in _events(app)


def test_optional_material_may_be_missing(hall):
    app = h.take(hall, hall.items.loan, materials=["身份证", "学籍证明"])
    assert app.state == "in_progress"


def test_resubmit_with_part_of_the_material_returns_it_again(hall):
    app = h.take(hall, hall.items.illness, materials=["身份证", "户口本"])
    worker = hall.users["hall_worker"]
    services.application_resubmit(
        actor=worker, application=app, came_in_person=False, materials_received=["大病证明"]
    )
    app.refresh_from_db()
    assert app.state == "returned" and app.return_note == "医疗费用票据"
    services.application_resubmit(
        actor=worker, application=app, came_in_person=False, materials_received=["医疗费用票据"]
    )
    app.refresh_from_db()
    assert app.state == "in_progress" and app.return_note == ""
    assert app.received_on is not None and h.active_step(app).order == 1
    returned = Notification.objects.filter(dedupe_key__startswith=f"application:{app.pk}:returned")
    assert returned.count() == 2


def test_resubmit_needs_material_or_a_note_and_known_names(hall):
    app = h.take(hall, hall.items.illness, materials=["身份证"])
    before = _state_of(Application, app.pk)
    worker = hall.users["hall_worker"]
    with pytest.raises(ValidationError) as e:
        services.application_resubmit(
            actor=worker, application=app, came_in_person=False, materials_received=[]
        )
    assert "materials" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        services.application_resubmit(
            actor=worker, application=app, came_in_person=False, materials_received=["房产证"]
        )
    assert "房产证" in e.value.message_dict["materials"][0]
    assert _state_of(Application, app.pk) == before


def test_unknown_material_at_taking_is_refused_and_nothing_is_written(hall):
    with pytest.raises(ValidationError) as e:
        h.take(hall, hall.items.residence, materials=["身份证", "结婚证"])
    assert "结婚证" in e.value.message_dict["materials"][0]
    assert not Application.objects.exists() and not ApplicationMaterial.objects.exists()


# --- bad input and scope when taking ----------------------------------------------------


def test_resident_outside_the_workers_scope_is_not_found(hall):
    with pytest.raises(OutOfScope):
        h.take(hall, hall.items.residence, resident=hall.far_household.head)
    assert not Application.objects.exists()


def test_street_cadre_may_see_but_not_apply(hall):
    with pytest.raises(PermissionDenied):
        h.take(hall, hall.items.residence, actor=hall.users["street_cadre"])


def test_staff_cannot_use_the_online_channel(hall):
    with pytest.raises(ValidationError) as e:
        h.take(hall, hall.items.residence, channel="online")
    assert "channel" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        h.take(hall, hall.items.residence, channel="phone")
    assert "channel" in e.value.message_dict


def test_item_withdrawn_from_the_catalogue_is_refused(hall):
    item = hall.items.residence
    item.active = False
    item.save(update_fields=["active"])
    with pytest.raises(ValidationError) as e:
        h.take(hall, item)
    assert "item" in e.value.message_dict


def test_proxy_item_without_a_route_is_refused(hall):
    item = hall.items.loan
    item.current.route.all().delete()
    with pytest.raises(ValidationError) as e:
        h.take(hall, item)
    assert "no route" in e.value.message_dict["item"][0]
    assert not Application.objects.exists()


def test_proxy_application_without_an_office_is_refused(hall):
    hall.hall.kind = "other"
    hall.hall.save(update_fields=["kind"])
    with pytest.raises(ValidationError) as e:
        h.take(hall, hall.items.illness)
    message = e.value.message_dict["item"][0]
    assert "社区受理" in message and "no service hall" in message
    assert not Application.objects.exists() and not ApplicationStep.objects.exists()


def test_street_step_without_a_street_office_is_refused(hall):
    hall.street_office.kind = "other"
    hall.street_office.save(update_fields=["kind"])
    with pytest.raises(ValidationError) as e:
        h.take(hall, hall.items.illness)
    assert "no street or town office" in e.value.message_dict["item"][0]


# --- residents online -------------------------------------------------------------------


def test_resident_applies_online_for_an_online_item(hall):
    user = hall.users["resident"]
    app = h.take(hall, hall.items.loan, actor=user, channel="online")
    assert app.channel == "online" and app.taken_by is None and app.trip_count == 0
    assert app.state == "in_progress"


def test_resident_is_refused_what_is_not_online_or_not_his(hall):
    user = hall.users["resident"]
    with pytest.raises(ValidationError) as e:
        h.take(hall, hall.items.illness, actor=user, channel="online")
    assert "online" in e.value.message_dict["item"][0]
    with pytest.raises(ValidationError) as e:
        h.take(hall, hall.items.loan, actor=user, channel="counter")
    assert "channel" in e.value.message_dict
    with pytest.raises(OutOfScope):
        h.take(
            hall,
            hall.items.loan,
            actor=user,
            channel="online",
            resident=hall.world.households[1].head,
        )
    assert not Application.objects.exists()


# --- outreach -----------------------------------------------------------------------------


def _outreach_task(hall, item, household=None):
    household = household or hall.household
    return OutreachTask.objects.create(
        item=item,
        item_version=item.current,
        household=household,
        resident=household.head,
        area=household.area,
        assignee=hall.users["hall_worker"],
    )


def test_application_from_an_outreach_task_closes_it(hall):
    task = _outreach_task(hall, hall.items.loan)
    app = services.application_create(
        actor=hall.users["hall_worker"],
        resident=hall.resident,
        item=hall.items.loan,
        channel="counter",
        materials_received=["身份证", "学籍证明"],
        outreach_task=task,
    )
    task.refresh_from_db()
    assert task.state == "applied" and task.application == app and task.closed_at is not None
    assert task.version == 2


def test_closed_or_mismatched_outreach_task_is_refused(hall):
    task = _outreach_task(hall, hall.items.loan)
    task.state = "declined"
    task.save(update_fields=["state"])
    other = _outreach_task(hall, hall.items.illness)
    for bad in (task, other):
        with pytest.raises(ValidationError) as e:
            services.application_create(
                actor=hall.users["hall_worker"],
                resident=hall.resident,
                item=hall.items.loan,
                channel="counter",
                materials_received=["身份证", "学籍证明"],
                outreach_task=bad,
            )
        assert "outreach" in e.value.message_dict
    assert not Application.objects.exists()


# --- reject, withdraw, complete -----------------------------------------------------------


def test_hall_rejects_a_submitted_application_with_a_reason(hall):
    app = h.take(hall, hall.items.guidance)
    worker = hall.users["hall_worker"]
    with pytest.raises(ValidationError) as e:
        services.application_reject(actor=worker, application=app, reason="  ")
    assert "reason" in e.value.message_dict
    services.application_reject(actor=worker, application=app, reason="不属于本辖区办理")
    app.refresh_from_db()
    assert app.state == "rejected" and app.finished_at is not None
    assert Notification.objects.filter(dedupe_key=f"application:{app.pk}:rejected").exists()


def test_hall_cannot_reject_a_proxy_application_on_its_route(hall):
    app = h.take(hall, hall.items.illness)
    with pytest.raises(ValidationError) as e:
        services.application_reject(actor=hall.users["hall_worker"], application=app, reason="x")
    assert e.value.code == "in_route"


def test_resident_withdraws_his_own_application_and_steps_are_skipped(hall):
    app = h.take(hall, hall.items.illness)
    services.application_withdraw(
        actor=hall.users["resident"], application=app, reason="已自行解决"
    )
    app.refresh_from_db()
    assert app.state == "withdrawn" and app.current_step is None
    assert set(app.steps.values_list("state", flat=True)) == {"skipped"}


def test_withdraw_of_another_households_application_is_refused(hall):
    app = h.take(hall, hall.items.guidance, resident=hall.world.households[1].head)
    with pytest.raises(PermissionDenied):
        services.application_withdraw(actor=hall.users["resident"], application=app, reason="x")


def test_stale_version_is_refused(hall):
    app = h.take(hall, hall.items.guidance)
    with pytest.raises(ValidationError) as e:
        services.application_reject(
            actor=hall.users["hall_worker"], application=app, reason="x", expected_version=1
        )
    assert e.value.code == "stale"


def test_complete_is_only_for_on_the_spot_items(hall):
    worker = hall.users["hall_worker"]
    for item in (hall.items.guidance, hall.items.illness):
        app = h.take(hall, item)
        with pytest.raises(ValidationError) as e:
            services.application_complete(actor=worker, application=app)
        assert e.value.code == "wrong_mode"


def test_other_community_worker_may_not_act(hall):
    app = h.take(hall, hall.items.guidance)
    for call in (
        lambda u: services.application_reject(actor=u, application=app, reason="x"),
        lambda u: services.application_withdraw(actor=u, application=app, reason="x"),
        lambda u: services.application_record_guidance(
            actor=u, application=app, guidance="x", outcome="y"
        ),
    ):
        with pytest.raises(PermissionDenied):
            call(hall.users["sibling_worker"])
    assert Application.objects.get(pk=app.pk).state == "submitted"


# --- every service in every state ---------------------------------------------------------


def _in_state(hall, state: str) -> Application:
    worker = hall.users["hall_worker"]
    if state == "draft":
        return h.take(hall, hall.items.guidance, submit=False)
    if state == "submitted":
        return h.take(hall, hall.items.guidance)
    if state == "in_progress":
        return h.take(hall, hall.items.illness)
    if state == "returned":
        return h.take(hall, hall.items.guidance, materials=[])
    if state == "completed":
        return h.take(hall, hall.items.residence)
    app = h.take(hall, hall.items.guidance)
    if state == "rejected":
        return services.application_reject(actor=worker, application=app, reason="x")
    return services.application_withdraw(actor=worker, application=app, reason="x")


CALLS = {
    "submit": lambda w, a: services.application_submit(actor=w, application=a),
    "resubmit": lambda w, a: services.application_resubmit(
        actor=w, application=a, came_in_person=False, materials_received=["出生医学证明"]
    ),
    "withdraw": lambda w, a: services.application_withdraw(actor=w, application=a, reason="r"),
    "reject": lambda w, a: services.application_reject(actor=w, application=a, reason="r"),
    "guidance": lambda w, a: services.application_record_guidance(
        actor=w, application=a, guidance="g", outcome="o"
    ),
}
ALLOWED = {
    "draft": {"submit", "withdraw"},
    "submitted": {"withdraw", "reject", "guidance"},
    "in_progress": {"withdraw"},
    "returned": {"resubmit", "withdraw"},
    "completed": set(),
    "rejected": set(),
    "withdrawn": set(),
}


@pytest.mark.parametrize("state", list(ALLOWED))
@pytest.mark.parametrize("call", list(CALLS))
def test_each_service_in_each_state(hall, state, call):
    app = _in_state(hall, state)
    app.refresh_from_db()
    before = _state_of(Application, app.pk)
    worker = hall.users["hall_worker"]
    if call in ALLOWED[state]:
        CALLS[call](worker, app)
        assert Application.objects.get(pk=app.pk).version > before["version"]
        return
    with pytest.raises(ValidationError) as e:
        CALLS[call](worker, app)
    assert e.value.code in {"illegal_transition", "in_route", "wrong_mode"}
    assert _state_of(Application, app.pk) == before
