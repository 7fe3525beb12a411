"""Writes of the five links and visits module: recording visits (scope, validation, the link a
visit fulfils, the kept state, audit and timeline, the coverage job), needs (handed on to the
service hall and following the application, closed, added), contact assignments (the rules of
each level, all-or-nothing bulk, overlap, end) and visit policies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from linli.core.models import AuditRecord, TimelineEvent
from linli.core.scoping import OutOfScope
from linli.hall.applications import services as hall_services
from linli.hall.models import Application
from linli.registry import services as registry_services
from linli.registry.models import Organisation, Post
from linli.visits import needs, selectors, services, tasks
from linli.visits.models import ContactAssignment, HouseholdVisitState, Need, Visit, VisitPolicy
from linli.visits.services import NeedInput

from .. import factories as f
from ..hall import app_helpers as h

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64


def today() -> dt.date:
    return timezone.localdate()


def _written() -> tuple[int, ...]:
    """Everything a visit writes, counted."""
    return (
        Visit.objects.count(),
        Need.objects.count(),
        AuditRecord.objects.count(),
        TimelineEvent.objects.count(),
        HouseholdVisitState.objects.count(),
    )


def _photos(settings) -> list[Path]:
    folder = Path(settings.DATA_DIR) / "visits"
    return sorted(folder.iterdir()) if folder.exists() else []


# --- recording visits: scope ------------------------------------------------------------------


def test_a_grid_worker_records_visits_only_in_their_grid(visits_world):
    v = visits_world
    before = _written()
    for household in (v.other_grid, v.far):
        with pytest.raises(OutOfScope):
            services.visit_record(actor=v.worker, household=household, channel="home")
    assert _written() == before
    visit = services.visit_record(actor=v.worker, household=v.plain, channel="home")
    assert visit.household == v.plain and visit.area == v.grid


@pytest.mark.parametrize("role", ["resident", "administrator", "auditor"])
def test_roles_that_do_not_visit_find_no_household(visits_world, role):
    before = _written()
    with pytest.raises(OutOfScope):
        services.visit_record(
            actor=visits_world.users[role], household=visits_world.plain, channel="home"
        )
    assert _written() == before


def test_a_street_cadre_records_anywhere_in_the_street(visits_world):
    v = visits_world
    visit = services.visit_record(
        actor=v.users["street_cadre"], household=v.other_grid, channel="talk_room"
    )
    assert visit.visitor == v.users["street_cadre"]
    with pytest.raises(OutOfScope):
        services.visit_record(actor=v.users["street_cadre"], household=v.far, channel="home")


# --- recording visits: what is written --------------------------------------------------------


def test_a_visit_with_needs_and_a_photo(visits_world, settings, django_capture_on_commit_callbacks):
    v = visits_world
    photo = SimpleUploadedFile("门口.jpg", JPEG, content_type="image/jpeg")
    day = today() - dt.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        visit = services.visit_record(
            actor=v.worker,
            household=v.poor,
            channel="home",
            visited_on=day,
            note="  家中老人身体尚可  ",
            needs=[NeedInput("schooling", " 孩子学费困难 "), NeedInput("medical", "慢性病买药")],
            photo=photo,
        )
    visit.refresh_from_db()
    assert (visit.visited_on, visit.channel, visit.note) == (day, "home", "家中老人身体尚可")
    assert visit.visitor == v.worker and visit.visitor_name == v.worker.display_name
    assert visit.photo_type == "image/jpeg" and visit.photo.endswith(".jpg")
    assert [p.name for p in _photos(settings)] == [visit.photo]
    assert (Path(settings.DATA_DIR) / "visits" / visit.photo).read_bytes() == JPEG
    rows = list(visit.needs.order_by("id").values_list("category", "description", "found_on"))
    assert rows == [("schooling", "孩子学费困难", day), ("medical", "慢性病买药", day)]
    assert set(visit.needs.values_list("household", flat=True)) == {v.poor.pk}
    # The state moves on: the poor household is monthly.
    state = HouseholdVisitState.objects.get(household=v.poor)
    assert state.last_visited_on == day and state.policy == v.policies.poor
    # Audit and timeline.
    record = AuditRecord.objects.get(object_type="visits.visit", object_id=str(visit.pk))
    assert record.action == "create" and record.actor_id == v.worker.pk
    assert record.changes["after"]["needs"] == [
        ["schooling", "孩子学费困难"],
        ["medical", "慢性病买药"],
    ]
    event = TimelineEvent.objects.get(
        content_type=ContentType.objects.get_for_model(v.poor), object_id=v.poor.pk, verb="visited"
    )
    assert event.summary == "Home visit by %(visitor)s on %(date)s"
    assert event.params == {"visitor": v.worker.display_name, "date": day.isoformat()}
    # The village's coverage is queued once the visit is committed.
    job = DBTaskResult.objects.get()
    assert job.task_path == tasks.refresh_village_coverage.module_path
    assert job.args_kwargs["args"] == [v.world.villages[0].pk]


def test_the_date_defaults_to_today_and_may_be_90_days_back(visits_world):
    v = visits_world
    assert services.visit_record(actor=v.worker, household=v.plain, channel="phone").visited_on == (
        today()
    )
    back = today() - dt.timedelta(days=90)
    visit = services.visit_record(
        actor=v.worker, household=v.plain, channel="phone", visited_on=back
    )
    assert visit.visited_on == back
    state = HouseholdVisitState.objects.get(household=v.plain)
    assert state.last_visited_on == today()  # the latest visit, not the last recorded


def _big_photo():
    return SimpleUploadedFile("big.jpg", JPEG + b"\x00" * (5 * 1024 * 1024), "image/jpeg")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"visited_on": "tomorrow"}, "visited_on"),
        ({"visited_on": "91 days back"}, "visited_on"),
        ({"channel": "fax"}, "channel"),
        ({"channel": ""}, "channel"),
        ({"needs": [NeedInput("schooling", "   ")]}, "needs.0.description"),
        ({"needs": [NeedInput("medical", "x"), NeedInput("weather", "x")]}, "needs.1.category"),
        ({"needs": [NeedInput("medical", "病" * 301)]}, "needs.0.description"),
        ({"needs": [NeedInput("other", "x")] * 11}, "needs"),
        ({"note": "记" * 1001}, "note"),
        ({"note": "a\x00b"}, "note"),
        ({"photo": "big"}, "photo"),
        ({"photo": "gif"}, "photo"),
        ({"photo": "text"}, "photo"),
    ],
)
def test_bad_visits_are_refused_and_nothing_is_written(visits_world, settings, changes, field):
    v = visits_world
    values = {"actor": v.worker, "household": v.poor, "channel": "home"} | changes
    if changes.get("visited_on") == "tomorrow":
        values["visited_on"] = today() + dt.timedelta(days=1)
    if changes.get("visited_on") == "91 days back":
        values["visited_on"] = today() - dt.timedelta(days=91)
    photos = {
        "big": _big_photo,
        "gif": lambda: SimpleUploadedFile("a.gif", b"GIF89a" + b"\x00" * 40, "image/gif"),
        # A text file that calls itself a JPEG: the bytes decide.
        "text": lambda: SimpleUploadedFile("a.jpg", b"<script>alert(1)</script>", "image/jpeg"),
    }
    if "photo" in changes:
        values["photo"] = photos[changes["photo"]]()
    before = _written()
    with pytest.raises(ValidationError) as error:
        services.visit_record(**values)
    assert field in error.value.message_dict
    assert _written() == before
    assert _photos(settings) == []


@pytest.mark.parametrize(("content", "kind"), [(PNG, "image/png"), (WEBP, "image/webp")])
def test_png_and_webp_photos_are_taken(visits_world, settings, content, kind):
    upload = SimpleUploadedFile("photo.bin", content, "application/octet-stream")
    visit = services.visit_record(
        actor=visits_world.worker, household=visits_world.plain, channel="home", photo=upload
    )
    assert visit.photo_type == kind and visit.photo.endswith("." + kind.split("/")[1])


# --- the link a visit fulfils -----------------------------------------------------------------


def _post(kind: str, area, name: str, account=None):
    return Post.objects.create(
        holder_name=name, kind=kind, area=area, account=account, starts_on=dt.date(2024, 1, 1)
    )


def test_a_visit_counts_for_the_closest_link_of_the_visitor(visits_world):
    v = visits_world
    start = today() - dt.timedelta(days=30)
    cadre_post = _post("first_secretary", v.world.villages[0], "第一书记", account=v.worker)
    village_link = services.assignment_create(
        actor=None, level=3, contact=cadre_post, target=v.world.villages[0], starts_on=start
    )
    member_link = services.assignment_create(
        actor=None, level=4, contact=v.worker_post, target=v.party_member, starts_on=start
    )
    # The party member lives in the central household: level 4 beats the village's level 3.
    visit = services.visit_record(actor=v.worker, household=v.central, channel="home")
    assert (visit.assignment, visit.link_level) == (member_link, 4)
    # Any other household of the village: the village link.
    visit = services.visit_record(actor=v.worker, household=v.plain, channel="home")
    assert (visit.assignment, visit.link_level) == (village_link, 3)
    # Before the links began: none.
    early = today() - dt.timedelta(days=40)
    visit = services.visit_record(
        actor=v.worker, household=v.plain, channel="home", visited_on=early
    )
    assert visit.assignment is None and visit.link_level is None


def test_a_central_household_head_visits_its_households_at_level_5(visits_world):
    v = visits_world
    head_user = f.user_with("grid_worker", v.grid)
    v.central.head.account = head_user
    v.central.head.save(update_fields=["account"])
    link = services.assignment_create(
        actor=None, level=5, contact=v.central, target=v.poor, starts_on=today()
    )
    assert link.contact_account == head_user
    visit = services.visit_record(actor=head_user, household=v.poor, channel="party_room")
    assert (visit.assignment, visit.link_level) == (link, 5)
    # Someone else's visit does not count for that link.
    other = services.visit_record(actor=v.worker, household=v.poor, channel="home")
    assert other.assignment is None


# --- needs ------------------------------------------------------------------------------------


@pytest.fixture
def hall(visits_world):
    return h.build_hall(visits_world.world)


@pytest.fixture
def need(visits_world):
    visit = services.visit_record(
        actor=visits_world.worker,
        household=visits_world.plain,
        channel="home",
        needs=[NeedInput("schooling", "孩子上大学缺学费")],
    )
    return visit.needs.get()


def _status(user, need) -> str:
    row = selectors.need_get(user=user, pk=need.pk)
    assert needs.effective_status(row) == row.status_now
    return row.status_now


def test_a_need_becomes_an_application_that_it_follows_to_completion(visits_world, hall, need):
    v = visits_world
    application = services.need_to_application(
        actor=v.worker,
        need=need,
        item=hall.items.loan,
        materials_received=["身份证", "学籍证明"],
    )
    assert application.channel == "visit" and application.resident == v.plain.head
    assert application.state in ("submitted", "in_progress")
    need.refresh_from_db()
    assert (need.application, need.status) == (application, "following")
    assert _status(v.worker, need) == "following"
    assert AuditRecord.objects.filter(object_type="visits.need", object_id=str(need.pk)).exists()
    h.approve(hall, application, "hall_worker")
    assert _status(v.worker, need) == "following"
    h.approve(hall, application, "education_staff")
    application.refresh_from_db()
    assert application.state == "completed"
    assert _status(v.worker, need) == "resolved"
    resolved = selectors.need_list(user=v.worker, filters={"status": "resolved"})
    assert list(resolved) == [need]
    assert not selectors.need_list(user=v.worker, filters={"status": "following"}).exists()


def test_a_rejected_application_closes_the_need(visits_world, hall, need):
    v = visits_world
    application = services.need_to_application(
        actor=v.worker, need=need, item=hall.items.loan, materials_received=["身份证", "学籍证明"]
    )
    step = h.active_step(application)
    hall_services.step_finish(
        actor=hall.users["hall_worker"], step=step, result="reject", note="不符合条件"
    )
    assert _status(v.worker, need) == "closed"
    assert list(selectors.need_list(user=v.worker, filters={"status": "closed"})) == [need]


def test_a_need_is_handed_on_once(visits_world, hall, need):
    v = visits_world
    services.need_to_application(actor=v.worker, need=need, item=hall.items.residence)
    with pytest.raises(ValidationError):
        services.need_to_application(actor=v.worker, need=need, item=hall.items.residence)
    with pytest.raises(ValidationError):
        services.need_close(actor=v.worker, need=need, resolved=True, note="x")
    assert Application.objects.count() == 1


def test_hand_on_checks_the_applicant_and_the_scope(visits_world, hall, need):
    v = visits_world
    with pytest.raises(ValidationError) as error:
        services.need_to_application(
            actor=v.worker, need=need, item=hall.items.residence, resident=v.poor.head
        )
    assert "resident" in error.value.message_dict
    far_worker = f.user_with("grid_worker", v.world.grids[4])
    with pytest.raises(OutOfScope):
        services.need_to_application(actor=far_worker, need=need, item=hall.items.residence)
    assert Application.objects.count() == 0
    need.refresh_from_db()
    assert need.application is None and need.status == "open"


def test_a_member_other_than_the_head_may_apply(visits_world, hall, need):
    v = visits_world
    spouse = registry_services.resident_create(
        actor=None, household=v.plain, name="配偶", id_number=f.make_id_number(), relation="spouse"
    )
    application = services.need_to_application(
        actor=v.worker, need=need, item=hall.items.residence, resident=spouse
    )
    assert application.resident == spouse


def test_close_a_need(visits_world, need):
    v = visits_world
    with pytest.raises(ValidationError) as error:
        services.need_close(actor=v.worker, need=need, resolved=True, note="  ")
    assert "note" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.need_close(actor=v.worker, need=need, resolved=True, note="x", version=99)
    assert error.value.code == "stale"
    closed = services.need_close(
        actor=v.worker, need=need, resolved=True, note="当场联系学校减免", version=need.version
    )
    assert (closed.status, closed.closed_on, closed.closing_note) == (
        "resolved",
        today(),
        "当场联系学校减免",
    )
    assert closed.version == need.version + 1
    assert _status(v.worker, need) == "resolved"
    with pytest.raises(ValidationError):
        services.need_close(actor=v.worker, need=need, resolved=False, note="again")


def test_close_without_action(visits_world, need):
    closed = services.need_close(
        actor=visits_world.worker, need=need, resolved=False, note="住户表示不需要"
    )
    assert closed.status == "closed"


def test_add_a_need_to_a_visit(visits_world, need):
    v = visits_world
    added = services.need_add(
        actor=v.worker, visit=need.visit, category="employment", description="想找工作"
    )
    assert (added.household, added.found_on) == (v.plain, need.visit.visited_on)
    with pytest.raises(ValidationError):
        services.need_add(actor=v.worker, visit=need.visit, category="x", description="y")
    with pytest.raises(OutOfScope):
        services.need_add(
            actor=v.users["resident"], visit=need.visit, category="other", description="y"
        )
    assert need.visit.needs.count() == 2


# --- contact assignments ----------------------------------------------------------------------


@pytest.fixture
def contacts(visits_world):
    w = visits_world.world
    department = Organisation.objects.create(
        name="峡山区民政局", kind="department", area=w.district
    )
    return {
        "leader": _post("district_leader", w.district, "区长"),
        "cadre": _post("civil_servant", w.streets[0], "下派干部", account=w.users["street_cadre"]),
        "secretary": _post("village_branch_secretary", w.villages[0], "村书记"),
        "department": department,
    }


def _assign(v, contacts, level, contact, target, **extra):
    contact = contacts.get(contact, contact) if isinstance(contact, str) else contact
    return services.assignment_create(
        actor=v.users["district_leader"],
        level=level,
        contact=contact,
        target=target,
        starts_on=extra.pop("starts_on", dt.date(2026, 1, 1)),
        **extra,
    )


def test_each_level_takes_its_own_contacts_and_targets(visits_world, contacts):
    v, w = visits_world, visits_world.world
    made = [
        _assign(v, contacts, 1, "leader", w.streets[0]),
        _assign(v, contacts, 2, "department", w.communities[0]),
        _assign(v, contacts, 3, "cadre", w.villages[0], note="包村"),
        _assign(v, contacts, 4, "secretary", v.party_member),
        _assign(v, contacts, 4, v.elder, v.party_member),
        _assign(v, contacts, 5, v.central, v.poor),
    ]
    assert [a.level for a in made] == [1, 2, 3, 4, 4, 5]
    assert [a.scope_area for a in made] == [
        w.streets[0],
        w.communities[0],
        w.villages[0],
        v.grid,
        v.grid,
        v.grid,
    ]
    assert [a.contact_name for a in made] == [
        "区长",
        "峡山区民政局",
        "下派干部",
        "村书记",
        "王老汉",
        "张党员（H20003）",
    ]
    assert made[2].contact_account == v.users["street_cadre"] and made[2].note == "包村"
    assert made[0].contact_account is None
    assert made[5].contact_household == v.central and made[5].household == v.poor
    record = AuditRecord.objects.get(
        object_type="visits.contactassignment", object_id=str(made[5].pk)
    )
    assert record.action == "create"
    assert TimelineEvent.objects.filter(object_id=v.poor.pk, verb="assignment").exists()


@pytest.mark.parametrize(
    ("level", "contact", "target", "field", "words"),
    [
        (1, "cadre", "street", "contact", "district leader"),
        (1, "leader", "community", "target", "a street"),
        (2, "leader", "community", "contact", "district department"),
        (2, "department", "village", "target", "a community"),
        (3, "secretary", "village", "contact", "street or community cadre"),
        (3, "cadre", "community", "target", "a village"),
        (4, "cadre", "member", "contact", "village cadre"),
        (4, "secretary", "plain_head", "target", "党员"),
        (4, "member", "member", "target", "own contact"),
        (5, "plain", "poor", "contact", "党员中心户"),
        (5, "central", "member", "target", "a household"),
        (5, "central", "central", "target", "own contact"),
        (5, "central", "far", "target", "own village"),
        (7, "leader", "street", "level", "five link levels"),
    ],
)
def test_wrong_contacts_and_targets_are_refused_with_a_reason(
    visits_world, contacts, level, contact, target, field, words
):
    v, w = visits_world, visits_world.world
    things = contacts | {
        "street": w.streets[0],
        "community": w.communities[0],
        "village": w.villages[0],
        "member": v.party_member,
        "plain_head": v.plain.head,
        "plain": v.plain,
        "poor": v.poor,
        "central": v.central,
        "far": v.far,
    }
    with pytest.raises(ValidationError) as error:
        _assign(v, contacts, level, things[contact], things[target])
    assert field in error.value.message_dict
    assert words in " ".join(error.value.message_dict[field])
    assert not ContactAssignment.objects.exists()


def test_who_may_assign(visits_world, contacts):
    v, w = visits_world, visits_world.world
    cadre = v.users["village_cadre"]  # 文岭一村
    made = services.assignment_create(
        actor=cadre,
        level=4,
        contact=contacts["secretary"],
        target=v.party_member,
        starts_on=today(),
    )
    assert made.created_by == cadre
    with pytest.raises(OutOfScope):  # another village: not even visible
        services.assignment_create(
            actor=cadre, level=3, contact=contacts["cadre"], target=w.villages[1], starts_on=today()
        )
    with pytest.raises(PermissionDenied):  # a grid worker sees visits but does not assign
        services.assignment_create(
            actor=v.worker, level=5, contact=v.central, target=v.poor, starts_on=today()
        )
    assert ContactAssignment.objects.count() == 1


def test_overlapping_duplicates_are_refused(visits_world, contacts):
    v, w = visits_world, visits_world.world
    first = _assign(v, contacts, 3, "cadre", w.villages[0], starts_on=dt.date(2026, 1, 1))
    with pytest.raises(ValidationError) as error:
        _assign(v, contacts, 3, "cadre", w.villages[0], starts_on=dt.date(2026, 6, 1))
    assert error.value.error_dict["target"][0].code == "duplicate"
    with pytest.raises(ValidationError):  # ends inside the first
        _assign(
            v,
            contacts,
            3,
            "cadre",
            w.villages[0],
            starts_on=dt.date(2025, 1, 1),
            ends_on=dt.date(2026, 1, 1),
        )
    # Before it, without touching it: fine; another village: fine.
    _assign(
        v,
        contacts,
        3,
        "cadre",
        w.villages[0],
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2025, 12, 31),
    )
    _assign(v, contacts, 3, "cadre", w.villages[1])
    # Once the first ends, the next may follow it.
    services.assignment_end(actor=None, assignment=first, ends_on=dt.date(2026, 5, 31))
    _assign(v, contacts, 3, "cadre", w.villages[0], starts_on=dt.date(2026, 6, 1))
    assert ContactAssignment.objects.count() == 4


def test_bulk_is_all_or_nothing(visits_world, contacts):
    v = visits_world
    neighbours = [v.poor, v.left_behind, v.plain]
    with pytest.raises(ValidationError) as error:
        services.assignment_bulk_create(
            actor=v.users["village_cadre"],
            level=5,
            contact=v.central,
            targets=[*neighbours, v.central],
            starts_on=today(),
        )
    assert "targets" in error.value.message_dict
    assert "H20003" in error.value.message_dict["targets"][0]
    assert not ContactAssignment.objects.exists()
    for targets in ([], [v.poor, v.poor]):
        with pytest.raises(ValidationError) as error:
            services.assignment_bulk_create(
                actor=None, level=5, contact=v.central, targets=targets, starts_on=today()
            )
        assert "targets" in error.value.message_dict
    made = services.assignment_bulk_create(
        actor=v.users["village_cadre"],
        level=5,
        contact=v.central,
        targets=neighbours,
        starts_on=today(),
    )
    assert [a.household for a in made] == neighbours
    assert ContactAssignment.objects.filter(level=5, contact_household=v.central).count() == 3


def test_bulk_villages_for_a_cadre(visits_world, contacts):
    v, w = visits_world, visits_world.world
    made = services.assignment_bulk_create(
        actor=v.users["street_cadre"],
        level=3,
        contact=contacts["cadre"],
        targets=w.villages[:4],
        starts_on=today(),
    )
    assert len(made) == 4
    with pytest.raises(OutOfScope):  # the other street's village: all or nothing
        services.assignment_bulk_create(
            actor=v.users["street_cadre"],
            level=3,
            contact=contacts["cadre"],
            targets=[w.villages[5], w.villages[4]],
            starts_on=today() + dt.timedelta(days=400),
        )
    assert ContactAssignment.objects.count() == 4


def test_end_an_assignment(visits_world, contacts):
    v, w = visits_world, visits_world.world
    made = _assign(v, contacts, 3, "cadre", w.villages[0], starts_on=dt.date(2026, 3, 1))
    leader = v.users["district_leader"]
    with pytest.raises(ValidationError) as error:
        services.assignment_end(actor=leader, assignment=made, ends_on=dt.date(2026, 2, 28))
    assert "ends_on" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.assignment_end(
            actor=leader, assignment=made, ends_on=dt.date(2026, 9, 30), version=made.version + 1
        )
    assert error.value.code == "stale"
    with pytest.raises(OutOfScope):
        services.assignment_end(
            actor=f.user_with("street_cadre", w.streets[1]),
            assignment=made,
            ends_on=dt.date(2026, 9, 30),
        )
    ended = services.assignment_end(
        actor=leader, assignment=made, ends_on=dt.date(2026, 9, 30), version=made.version
    )
    assert (ended.ends_on, ended.version) == (dt.date(2026, 9, 30), made.version + 1)
    record = AuditRecord.objects.filter(object_type="visits.contactassignment").latest("pk")
    assert record.changes["after"]["ends_on"] == "2026-09-30"


def test_a_post_that_ended_cannot_take_a_link(visits_world, contacts):
    v, w = visits_world, visits_world.world
    Post.objects.filter(pk=contacts["cadre"].pk).update(ends_on=dt.date(2025, 12, 31))
    with pytest.raises(ValidationError) as error:
        _assign(v, contacts, 3, "cadre", w.villages[0])
    assert "contact" in error.value.message_dict


# --- visit policies ---------------------------------------------------------------------------


def test_policy_save(visits_world, django_capture_on_commit_callbacks):
    v = visits_world
    admin = v.users["administrator"]
    with django_capture_on_commit_callbacks(execute=True):
        policy = services.policy_save(actor=admin, every=1, unit="week", tag=v.tags.party)
    assert (policy.every, policy.unit, policy.tag, policy.version) == (1, "week", v.tags.party, 1)
    assert DBTaskResult.objects.get().task_path == tasks.refresh_visit_states.module_path
    changed = services.policy_save(
        actor=admin, every=10, unit="day", tag=v.tags.party, policy=policy, version=1
    )
    assert (changed.every, changed.unit, changed.version) == (10, "day", 2)
    assert AuditRecord.objects.filter(object_type="visits.visitpolicy").count() == 2


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"every": 0, "unit": "month", "tag": "party"}, "every"),
        ({"every": 13, "unit": "month", "tag": "party"}, "every"),
        ({"every": 1, "unit": "year", "tag": "party"}, "unit"),
        ({"every": 1, "unit": "month"}, "tag"),
        ({"every": 1, "unit": "month", "tag": "party", "is_default": True}, "tag"),
        ({"every": 1, "unit": "month", "is_default": True}, "is_default"),
        ({"every": 1, "unit": "month", "tag": "poor"}, "tag"),
    ],
)
def test_bad_policies_are_refused(visits_world, values, field):
    v = visits_world
    if "tag" in values:
        values = values | {"tag": getattr(v.tags, values["tag"])}
    before = list(VisitPolicy.objects.values_list("pk", "every", "unit"))
    with pytest.raises(ValidationError) as error:
        services.policy_save(actor=v.users["administrator"], **values)
    assert field in error.value.message_dict
    assert list(VisitPolicy.objects.values_list("pk", "every", "unit")) == before


def test_only_administrators_save_policies(visits_world):
    v = visits_world
    for role in ("district_leader", "grid_worker"):
        with pytest.raises(PermissionDenied):
            services.policy_save(actor=v.users[role], every=1, unit="week", tag=v.tags.party)
    with pytest.raises(ValidationError) as error:
        services.policy_save(
            actor=v.users["administrator"],
            every=2,
            unit="month",
            policy=v.policies.default,
            is_default=True,
            version=5,
        )
    assert error.value.code == "stale"
    assert not VisitPolicy.objects.filter(tag=v.tags.party).exists()
