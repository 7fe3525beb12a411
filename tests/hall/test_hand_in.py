"""Missing material 补正 handed in: by the resident from his phone (photos of the documents) and
at the hall (where the hall asks whether the resident came in person, and counts a trip if so).

The resident's returned page lists each missing material, says whether a photo will do or it
must be brought in person and where (the hall's name and address from the registry); photos are
checked by their bytes, kept once, shown only to those who see the application (each look
audited), and once everything a photo can stand for is in, the application goes back with no
trip. Attacks: another household's application, a text file renamed .jpg, a photo too large,
the same sending twice, a stale page, a photo for something not missing."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from linli.core.choices import AuditAction
from linli.core.models import AuditRecord, TimelineEvent
from linli.hall.applications import selectors, services
from linli.hall.catalogue import services as catalogue
from linli.hall.catalogue.services import MaterialSpec
from linli.hall.models import Application, MaterialPhoto, Trip
from linli.registry import services as registry_services

from .. import factories as f
from . import app_helpers as h

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x11" * 200
OTHER_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x22" * 200
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
HALL_ADDRESS = "峡山区太保庄街道文岭社区党群服务中心一楼"


@pytest.fixture(autouse=True)
def photos_in_tmp(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def build_hand_in_hall(world):
    """The hall (`app_helpers.build_hall`) with its address, an item whose form is filled in at
    the hall, and a neighbour of the resident's with a login of their own."""
    built = h.build_hall(world)
    registry_services.organisation_update(actor=None, organisation=built.hall, address=HALL_ADDRESS)
    built.hall.refresh_from_db()
    # 城乡居民基本养老保险参保登记: the form is filled in at the hall, a photo will not do.
    built.pension = catalogue.item_create(
        actor=None,
        code="RS-01",
        name="城乡居民基本养老保险参保登记",
        category=built.items.category,
        mode="on_the_spot",
        time_limit_days=0,
        online=True,
        materials=[
            MaterialSpec("居民身份证"),
            MaterialSpec("参保登记表", note="在大厅填写", in_person=True),
        ],
    )
    neighbour = built.world.households[1]  # 文岭二村: the same community, another household
    built.neighbour_user = f.user_with("resident", built.world.villages[1])
    neighbour.head.account = built.neighbour_user
    neighbour.head.save(update_fields=["account"])
    built.neighbour = neighbour
    return built


SHARED = {
    "hall": build_hand_in_hall
}  # built once for the module on top of `world` (tests/sharing.py)


@pytest.fixture
def hall(shared):
    return shared("hall")


@pytest.fixture
def clients(hall):
    users = {**hall.users, "neighbour": hall.neighbour_user}
    return {key: h.client_for(user) for key, user in users.items()}


def html(response) -> str:
    return response.content.decode()


def photo(content: bytes = JPEG, name: str = "照片.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


def apply_online(hall, item, materials=()) -> Application:
    """The resident applies online for his own household without ticking the materials."""
    return services.application_create(
        actor=hall.users["resident"],
        resident=hall.resident,
        item=item,
        channel="online",
        materials_received=materials,
    )


def material(application, name):
    return application.materials.get(name=name)


def send(hall, application, *pairs, actor=None, version="current"):
    application.refresh_from_db()
    return services.application_send_photos(
        actor=actor or hall.users["resident"],
        application=application,
        photos_sent=list(pairs),
        expected_version=application.version if version == "current" else version,
    )


def stored_files(settings) -> list[Path]:
    folder = Path(settings.DATA_DIR) / services.PHOTO_DIR
    return sorted(folder.iterdir()) if folder.exists() else []


def codes(error: ValidationError) -> set:
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


def _snapshot(application) -> tuple:
    application = Application.objects.get(pk=application.pk)
    received = sorted(application.materials.filter(received=True).values_list("name", flat=True))
    return application.state, application.version, application.return_note, received


# --- the service ------------------------------------------------------------------------------


def test_returned_application_lists_each_missing_material_and_how_to_hand_it_in(hall):
    app = apply_online(hall, hall.pension)
    assert app.state == "returned" and app.returned_at is not None
    app = selectors.application_get(user=hall.users["resident"], pk=app.pk)
    missing = selectors.missing_materials(app)
    assert [(e.name, e.by_photo, e.done) for e in missing] == [
        ("居民身份证", True, False),
        ("参保登记表", False, False),
    ]
    assert missing[1].note == "在大厅填写"
    office = selectors.drop_off_office(app)
    assert (office.name, office.address) == ("文岭社区便民服务大厅", HALL_ADDRESS)


def test_photos_bring_it_back_to_the_hall_without_a_trip(hall, settings):
    app = apply_online(hall, hall.items.loan)  # 身份证 and 学籍证明 missing (照片 optional)
    assert app.state == "returned" and app.return_note == "身份证、学籍证明"
    id_card = material(app, "身份证")
    send(hall, app, (id_card.pk, photo()))
    app.refresh_from_db()
    assert app.state == "returned" and app.return_note == "学籍证明"
    assert material(app, "身份证").received is True
    saved = MaterialPhoto.objects.get(application=app)
    assert saved.material_id == id_card.pk and saved.content_type == "image/jpeg"
    assert saved.sent_by == hall.users["resident"] and saved.size == len(JPEG)
    assert [p.read_bytes() for p in stored_files(settings)] == [JPEG]

    send(hall, app, (material(app, "学籍证明").pk, photo(PNG, "学籍.png")))
    app.refresh_from_db()
    assert app.state == "in_progress" and app.return_note == ""
    assert h.active_step(app).order == 1  # the hall's step receives it
    assert app.trip_count == 0 and not Trip.objects.filter(application=app).exists()
    verbs = list(
        TimelineEvent.objects.filter(object_id=app.pk, verb__in=["photos_sent", "resubmitted"])
        .order_by("at", "id")
        .values_list("verb", flat=True)
    )
    assert verbs == ["photos_sent", "photos_sent", "resubmitted"]
    created = AuditRecord.objects.filter(
        action=AuditAction.CREATE, object_type__endswith="materialphoto"
    )
    assert created.count() == 2


def test_material_to_bring_in_person_keeps_it_returned_until_the_hall_records_it(hall):
    app = apply_online(hall, hall.pension)
    send(hall, app, (material(app, "居民身份证").pk, photo()))
    app.refresh_from_db()
    assert app.state == "returned" and app.return_note == "参保登记表"
    form = material(app, "参保登记表")
    with pytest.raises(ValidationError) as e:  # no photo stands for the form signed at the hall
        send(hall, app, (form.pk, photo(OTHER_JPEG)))
    assert codes(e.value) == {"not_waiting"}
    # The resident came to the hall with it: the hall records it, and that is his one trip.
    app.refresh_from_db()
    services.application_resubmit(
        actor=hall.users["hall_worker"],
        application=app,
        came_in_person=True,
        materials_received=["参保登记表"],
        expected_version=app.version,
    )
    app.refresh_from_db()
    assert app.state == "completed" and app.trip_count == 1
    assert Trip.objects.get(application=app).reason == "missing_material"


def test_an_office_note_is_answered_with_a_photo_and_the_same_step_takes_it_back(hall):
    app = apply_online(hall, hall.items.loan, materials=["身份证", "学籍证明"])
    step = h.active_step(app)
    services.step_finish(
        actor=hall.users["hall_worker"], step=step, result="return", note="学籍证明需加盖学校公章"
    )
    app.refresh_from_db()
    missing = selectors.missing_materials(app)
    assert [(e.material, e.name, e.by_photo) for e in missing] == [
        (None, "学籍证明需加盖学校公章", True)
    ]
    send(hall, app, (None, photo()))
    app.refresh_from_db()
    assert app.state == "in_progress" and h.active_step(app).pk == step.pk
    assert app.trip_count == 0


def test_a_file_that_is_not_a_picture_is_refused_and_nothing_changes(hall, settings):
    app = apply_online(hall, hall.items.loan)
    before = _snapshot(app)
    renamed = SimpleUploadedFile("身份证.jpg", b"%PDF-1.7 not a picture", content_type="image/jpeg")
    with pytest.raises(ValidationError) as e:
        send(hall, app, (material(app, "身份证").pk, renamed))
    message = e.value.message_dict["photos"][0]
    assert "身份证.jpg" in message and "is not a photo" in message and "身份证" in message
    assert _snapshot(app) == before
    assert not MaterialPhoto.objects.exists() and stored_files(settings) == []


def test_a_photo_too_large_or_empty_is_refused(hall, settings):
    app = apply_online(hall, hall.items.loan)
    before = _snapshot(app)
    big = JPEG + b"\x00" * services.PHOTO_MAX_BYTES
    with pytest.raises(ValidationError) as e:
        send(hall, app, (material(app, "身份证").pk, photo(big)))
    assert "larger than 10 MB" in e.value.message_dict["photos"][0]
    with pytest.raises(ValidationError) as e:
        send(hall, app, (material(app, "身份证").pk, photo(b"")))
    assert "is empty" in e.value.message_dict["photos"][0]
    with pytest.raises(ValidationError) as e:
        send(hall, app)
    assert codes(e.value) == {"no_photo"}
    assert _snapshot(app) == before and stored_files(settings) == []


def test_sending_the_same_twice_counts_once(hall, settings):
    app = apply_online(hall, hall.items.loan)
    first_version = app.version
    id_card, school = material(app, "身份证"), material(app, "学籍证明")
    send(hall, app, (id_card.pk, photo()), (school.pk, photo(OTHER_JPEG)))
    app.refresh_from_db()
    assert app.state == "in_progress"
    after = _snapshot(app)
    # The same form sent again (a double tap, the browser's back and send): refused, no change.
    with pytest.raises(ValidationError) as e:
        send(hall, app, (id_card.pk, photo()), version=first_version)
    assert codes(e.value) == {"not_returned"}
    assert _snapshot(app) == after
    assert MaterialPhoto.objects.count() == 2 and len(stored_files(settings)) == 2


def test_the_same_picture_is_kept_once_and_a_stale_page_is_refused(hall):
    app = apply_online(hall, hall.pension)
    id_card = material(app, "居民身份证")
    old_version = Application.objects.get(pk=app.pk).version
    send(hall, app, (id_card.pk, photo()))
    with pytest.raises(ValidationError) as e:
        send(hall, app, (id_card.pk, photo()), version=old_version)
    assert codes(e.value) == {"stale"}
    assert MaterialPhoto.objects.count() == 1


def test_only_the_applicants_household_sends_photos(hall):
    app = apply_online(hall, hall.items.loan)
    id_card = material(app, "身份证")
    for actor in (hall.neighbour_user, hall.users["hall_worker"]):
        with pytest.raises(PermissionDenied):
            send(hall, app, (id_card.pk, photo()), actor=actor)
    assert not MaterialPhoto.objects.exists()


# --- C: the hall's resubmission asks whether the resident came ----------------------------------


def test_resubmit_at_the_hall_asks_whether_the_resident_came(hall):
    app = h.take(hall, hall.items.guidance, materials=[])  # trip 1: he came to the counter
    worker = hall.users["hall_worker"]
    with pytest.raises(ValidationError) as e:
        services.application_resubmit(
            actor=worker,
            application=app,
            came_in_person=None,
            materials_received=["出生医学证明"],
        )
    assert "came_in_person" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        services.application_resubmit(
            actor=worker, application=app, came_in_person=True, materials_received=["出生医学证明"]
        )
    assert "trip 2" in e.value.message_dict["extra_trip_reason"][0]
    app.refresh_from_db()
    assert (app.state, app.trip_count) == ("returned", 1)
    services.application_resubmit(
        actor=worker,
        application=app,
        came_in_person=True,
        materials_received=["出生医学证明"],
        extra_trip_reason="第一次未带出生医学证明",
    )
    app.refresh_from_db()
    assert app.state == "submitted" and app.trip_count == 2
    assert app.extra_trip_reason == "第一次未带出生医学证明"
    assert list(app.trips.values_list("reason", flat=True)) == ["submit", "missing_material"]
    assert TimelineEvent.objects.filter(object_id=app.pk, verb="trip").count() == 1


def test_material_brought_by_someone_else_counts_no_trip(hall):
    app = apply_online(hall, hall.items.loan)
    services.application_resubmit(
        actor=hall.users["hall_worker"],
        application=app,
        came_in_person=False,
        materials_received=["身份证", "学籍证明"],
    )
    app.refresh_from_db()
    assert app.state == "in_progress" and app.trip_count == 0


# --- the pages ----------------------------------------------------------------------------------


def _hand_in_url(app) -> str:
    return reverse("services:application_hand_in", args=[app.pk])


def test_returned_page_says_what_is_missing_and_where_to_bring_it(hall, clients):
    app = apply_online(hall, hall.pension)
    detail = html(clients["resident"].get(reverse("services:application_detail", args=[app.pk])))
    assert _hand_in_url(app) in detail and HALL_ADDRESS in detail
    assert "must be brought in person" in detail and "can be sent as a photo" in detail
    mine = html(clients["resident"].get(reverse("services:my_applications")))
    assert _hand_in_url(app) in mine
    page = html(clients["resident"].get(_hand_in_url(app)))
    assert "居民身份证" in page and "参保登记表" in page and "在大厅填写" in page
    assert "文岭社区便民服务大厅" in page and HALL_ADDRESS in page
    field = f'name="photo_{material(app, "居民身份证").pk}"'
    assert field in page and 'accept="image/*"' in page and 'capture="environment"' in page
    assert 'enctype="multipart/form-data"' in page
    assert f'name="photo_{material(app, "参保登记表").pk}"' not in page  # to bring, not a photo


def test_hand_in_page_sends_the_photo_and_the_application_goes_back(hall, clients):
    app = apply_online(hall, hall.items.residence)  # 居住证明开具, on the spot: 身份证, 户口本
    id_card, book = material(app, "身份证"), material(app, "户口本")
    response = clients["resident"].post(
        _hand_in_url(app),
        {
            "version": app.version,
            f"photo_{id_card.pk}": photo(),
            f"photo_{book.pk}": [photo(OTHER_JPEG, "户口本首页.jpg"), photo(PNG, "本人页.png")],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("services:application_detail", args=[app.pk])
    app.refresh_from_db()
    assert app.state == "completed" and app.trip_count == 0
    assert MaterialPhoto.objects.filter(material=book).count() == 2
    # The same form sent once more: a clear message, 409, nothing new.
    again = clients["resident"].post(
        _hand_in_url(app), {"version": app.version - 1, f"photo_{id_card.pk}": photo()}
    )
    assert again.status_code == 409
    assert "no longer waiting for material" in html(again)
    assert MaterialPhoto.objects.count() == 3


def test_hand_in_page_refuses_a_renamed_file_with_a_clear_message(hall, clients, settings):
    app = apply_online(hall, hall.items.loan)
    before = _snapshot(app)
    fake = SimpleUploadedFile("身份证.jpg", b"MZ\x90\x00 an exe", content_type="image/jpeg")
    response = clients["resident"].post(
        _hand_in_url(app), {"version": app.version, f"photo_{material(app, '身份证').pk}": fake}
    )
    assert response.status_code == 400
    page = html(response)
    assert "is not a photo" in page and "身份证.jpg" in page
    assert _snapshot(app) == before and stored_files(settings) == []


def test_hand_in_page_in_chinese(hall, clients):
    app = apply_online(hall, hall.pension)
    page = html(clients["resident"].get(_hand_in_url(app), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "必须本人带来" in page or "须本人" in page
    assert "拍照" in page


def test_hand_in_page_scope_and_roles(hall, clients):
    app = apply_online(hall, hall.items.loan)
    url = _hand_in_url(app)
    assert clients["resident"].get(url).status_code == 200
    # Another resident: not his application → 404, whatever he sends, and each try recorded.
    denials = AuditRecord.objects.filter(
        action=AuditAction.DENIED, actor=hall.neighbour_user, object_id=str(app.pk)
    )
    assert clients["neighbour"].get(url).status_code == 404
    body = {"version": app.version, f"photo_{material(app, '身份证').pk}": photo()}
    assert clients["neighbour"].post(url, body).status_code == 404
    assert denials.count() == 2
    # Staff who see it hand in at the counter, not here.
    assert clients["hall_worker"].get(url).status_code == 403
    assert clients["far_worker"].get(url).status_code == 404
    assert not MaterialPhoto.objects.exists()


def test_photos_are_shown_only_to_those_who_see_the_application_and_each_look_is_audited(
    hall, clients
):
    app = apply_online(hall, hall.items.loan)
    send(hall, app, (material(app, "身份证").pk, photo()))
    saved = MaterialPhoto.objects.get()
    url = reverse("services:material_photo", args=[app.pk, saved.pk])
    reveals = AuditRecord.objects.filter(action=AuditAction.REVEAL)
    for who in ("resident", "hall_worker"):
        response = clients[who].get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == JPEG
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]
    assert reveals.count() == 2
    assert reveals.filter(actor=hall.users["hall_worker"]).get().changes["material"] == "身份证"
    for who in ("neighbour", "far_worker", "sibling_worker", "health_staff"):
        assert clients[who].get(url).status_code == 404, who
    # A photo asked for under another application's number is not found either.
    other = apply_online(hall, hall.items.residence)
    assert (
        clients["resident"]
        .get(reverse("services:material_photo", args=[other.pk, saved.pk]))
        .status_code
        == 404
    )
    assert reveals.count() == 2


def test_the_office_a_step_reached_sees_the_photos(hall, clients):
    app = apply_online(hall, hall.items.loan, materials=["身份证", "学籍证明"])
    h.approve(hall, app, "hall_worker")  # on to 区教育局
    step = h.active_step(app)
    services.step_finish(
        actor=hall.users["education_staff"], step=step, result="return", note="学籍证明不清晰"
    )
    send(hall, app, (None, photo()))
    saved = MaterialPhoto.objects.get()
    url = reverse("services:material_photo", args=[app.pk, saved.pk])
    education = h.client_for(hall.users["education_staff"])
    assert education.get(url).status_code == 200
    assert clients["health_staff"].get(url).status_code == 404


def test_resubmit_page_asks_whether_the_resident_came_in_person(hall, clients):
    app = h.take(hall, hall.items.illness, materials=["身份证", "户口本"])  # trip 1 at the counter
    url = reverse("services:application_resubmit", args=[app.pk])
    page = html(clients["hall_worker"].get(url))
    radios = re.findall(r'<input[^>]*name="came_in_person"[^>]*>', page)
    assert len(radios) == 2 and not any("checked" in r for r in radios)  # no answer chosen
    body = {"materials": ["大病证明", "医疗费用票据"], "version": app.version}
    unanswered = clients["hall_worker"].post(url, body)
    assert unanswered.status_code == 400
    assert "Say whether the resident came in person" in html(unanswered)
    assert Application.objects.get(pk=app.pk).state == "returned"
    second = clients["hall_worker"].post(url, {**body, "came_in_person": "yes"})
    assert second.status_code == 400 and "trip 2" in html(second)
    response = clients["hall_worker"].post(
        url, {**body, "came_in_person": "yes", "extra_trip_reason": "首次材料不全"}
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.state == "in_progress" and app.trip_count == 2
