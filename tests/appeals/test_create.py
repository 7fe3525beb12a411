"""Raising an appeal 诉求 from any channel: where it starts (the lowest tier covering its place,
not below its category's), its number, deadline, timeline and audit; and every kind of bad
input refused with a message on the field, nothing stored and no photo file written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from linli.appeals import services
from linli.appeals.models import Appeal, AppealPhoto, AppealStep
from linli.core.models import AuditRecord, Notification, TimelineEvent
from linli.core.scoping import OutOfScope

from .. import factories as f
from . import helpers as h

WORLD_CLOCK = h.WORLD_CLOCK
SHARED = {"appeals": h.build_appeals}


@pytest.fixture
def clock():
    with time_machine.travel(WORLD_CLOCK, tick=False) as traveller:
        yield traveller


@pytest.fixture
def a(clock, shared):
    return shared("appeals")


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


# --- where it starts ---------------------------------------------------------------------------


def test_an_appeal_in_a_grid_starts_at_its_village(a, data_dir):
    appeal = h.raise_appeal(a, photos_sent=[h.photo()])
    assert appeal.number == "SQ20261125000001"
    assert appeal.state == "waiting" and appeal.version == 1
    assert (appeal.tier, appeal.tier_area) == ("village", a.village)
    # Three working days from Wednesday 25 November: Monday 30 November.
    assert appeal.due_on == dt.date(2026, 11, 30) and not appeal.due_assumed
    assert appeal.household == a.household and appeal.reporter == a.household.head
    [step] = AppealStep.objects.filter(appeal=appeal)
    assert (step.order, step.tier, step.area, step.time_limit_days) == (1, "village", a.village, 3)
    assert step.due_on == appeal.due_on and step.ended_at is None
    [photo] = AppealPhoto.objects.filter(appeal=appeal)
    assert (
        photo.content_type == "image/jpeg" and (data_dir / "appeals" / photo.stored_name).is_file()
    )
    lines = list(
        TimelineEvent.objects.filter(object_id=appeal.pk, content_type__model="appeal")
        .order_by("id")
        .values_list("verb", "summary", "params")
    )
    assert [verb for verb, _s, _p in lines] == ["created", "arrived", "photos_added"]
    assert lines[0][2] == {"category": "环境卫生"}
    assert lines[1][2] == {"place": "文岭一村", "due": "2026-11-30"}
    created = AuditRecord.objects.filter(object_type="appeals.appeal", object_id=str(appeal.pk))
    assert list(created.values_list("action", flat=True)) == ["create"]
    told = Notification.objects.get(recipient_resident=a.household.head)
    assert told.params["number"] == appeal.number and told.params["place"] == "文岭一村"


def test_numbers_follow_one_another_through_the_day(a):
    first, second = h.raise_appeal(a), h.raise_appeal(a)
    assert (first.number, second.number) == ("SQ20261125000001", "SQ20261125000002")


def test_a_place_on_the_community_starts_at_the_community(a):
    appeal = h.raise_appeal(a, area=a.community)
    assert (appeal.tier, appeal.tier_area, appeal.due_on) == (
        "community",
        a.community,
        dt.date(2026, 12, 2),  # five working days
    )


def test_the_category_may_start_higher_than_the_place(a):
    appeal = h.raise_appeal(a, category=a.categories.safety, area=a.village)
    assert (appeal.tier, appeal.tier_area) == ("street", a.street)
    policy = h.raise_appeal(a, category=a.categories.policy)
    assert (policy.tier, policy.tier_area, policy.department) == ("department", None, a.housing)


def test_a_place_above_every_street_goes_to_the_department_or_is_refused(a):
    leader = a.users["district_leader"]
    assert not leader.has_permission("appeals.report")
    appeal = h.raise_appeal(a, actor=None, area=a.world.district)
    assert (appeal.tier, appeal.department) == ("department", a.city)
    with pytest.raises(ValidationError) as refused:
        h.raise_appeal(a, actor=None, area=a.world.district, category=a.categories.neighbours)
    assert "No tier handles 邻里纠纷 at 峡山区" in refused.value.message_dict["area"][0]


def test_category_and_area_may_be_given_by_id_or_code(a):
    appeal = h.raise_appeal(a, category="LLJF", area=a.grid.pk)
    assert appeal.category == a.categories.neighbours and appeal.area == a.grid
    again = h.raise_appeal(a, category=a.categories.neighbours.pk)
    assert again.category_version == a.categories.neighbours.current


def test_a_deadline_into_a_year_not_entered_is_provisional(a, clock):
    clock.move_to(dt.datetime(2026, 12, 29, 10, 0, tzinfo=h.SHANGHAI))
    appeal = h.raise_appeal(a)
    assert appeal.due_assumed
    line = TimelineEvent.objects.filter(verb="arrived", object_id=appeal.pk).get()
    assert line.params["years"] == "2027"
    assert "provisional" in line.summary


def test_a_resident_raises_one_on_the_phone_in_their_own_name(a):
    resident = a.users["resident"]
    appeal = services.appeal_create(
        actor=resident,
        category="HJWS",
        channel="resident_phone",
        area=a.grid,
        description="门口路灯坏了",
    )
    assert appeal.reporter == a.household.head and appeal.household == a.household
    with pytest.raises(ValidationError) as refused:
        services.appeal_create(
            actor=resident, category="HJWS", channel="counter", area=a.grid, description="x"
        )
    assert "channel" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.appeal_create(
            actor=resident,
            category="HJWS",
            channel="resident_phone",
            area=a.grid,
            description="x",
            reporter=a.world.households[1].head,
        )
    assert "reporter" in refused.value.message_dict


def test_a_named_outsider_and_an_anonymous_appeal(a):
    outsider = h.raise_appeal(
        a,
        channel="hotline",
        reporter=None,
        reporter_name="过路人王先生",
        reporter_mobile="+86 139 1234 5678",
    )
    assert (outsider.reporter, outsider.household) == (None, None)
    assert (outsider.reporter_name, outsider.reporter_mobile) == ("过路人王先生", "13912345678")
    anonymous = h.raise_appeal(a, reporter=None, anonymous=True)
    assert anonymous.anonymous and anonymous.reporter_name == ""
    assert not Notification.objects.filter(subject_id__in=[outsider.pk, anonymous.pk]).exists()


def test_coordinates_are_kept_to_six_places(a):
    appeal = h.raise_appeal(a, latitude="36.5251234", longitude=119.1634)
    appeal.refresh_from_db()
    assert (appeal.latitude, appeal.longitude) == (Decimal("36.525123"), Decimal("119.163400"))


# --- bad input: a clear message, nothing stored -----------------------------------------------


def _nothing_stored(data_dir=None) -> None:
    assert not Appeal.objects.exists()
    assert not AppealStep.objects.exists()
    assert not AppealPhoto.objects.exists()
    records = ("appeals.appeal", "appeals.appealstep", "appeals.appealphoto")
    assert not AuditRecord.objects.filter(object_type__in=records).exists()
    if data_dir is not None:
        assert h.file_count(data_dir / "appeals") == 0


def _refused(a, field: str, words: str, **extra) -> None:
    with pytest.raises(ValidationError) as refused:
        h.raise_appeal(a, **extra)
    assert field in refused.value.message_dict, refused.value
    assert words in " ".join(refused.value.message_dict[field])
    _nothing_stored()


@pytest.mark.parametrize(
    ("field", "words", "extra"),
    [
        ("category", "no such appeal category", {"category": 999999}),
        ("category", "no such appeal category", {"category": "NOPE"}),
        ("category", "Choose the category", {"category": ""}),
        ("category", "Choose the category", {"category": True}),
        ("area", "There is no such area", {"area": 999999}),
        ("area", "Choose the place", {"area": "文岭一村"}),
        ("channel", "Choose where the appeal came from", {"channel": "fax"}),
        ("channel", "raised by the resident", {"channel": "resident_phone"}),
        ("description", "Say what the appeal is about", {"description": "   "}),
        ("description", "Say what the appeal is about", {"description": "\u200b\u200e\u202e"}),
        ("description", "At most 2000 characters", {"description": "堵" * 2001}),
        ("description", "cannot be stored", {"description": "堵塞\x00"}),
        ("address", "At most 200 characters", {"address": "路" * 201}),
        ("latitude", "Give both coordinates", {"longitude": "119.16"}),
        ("longitude", "Give both coordinates", {"latitude": "36.5"}),
        ("latitude", "from -90 to 90", {"latitude": "91", "longitude": "119"}),
        ("longitude", "from -180 to 180", {"latitude": "36", "longitude": "east"}),
        ("latitude", "from -90 to 90", {"latitude": "NaN", "longitude": "119"}),
        (
            "reporter_mobile",
            "Name the reporter",
            {"reporter": None, "reporter_name": "王先生"},
        ),
        ("reporter_name", "Name the reporter", {"reporter": None}),
        (
            "reporter_mobile",
            "11 digits",
            {"reporter": None, "reporter_name": "王先生", "reporter_mobile": "12345"},
        ),
        (
            "reporter_name",
            "formula",
            {"reporter": None, "reporter_name": "=HYPERLINK()", "reporter_mobile": "13912345678"},
        ),
        (
            "anonymous",
            "cannot be raised anonymously",
            {"reporter": None, "anonymous": True, "category": "LLJF"},
        ),
        ("anonymous", "names nobody", {"anonymous": True}),
    ],
)
def test_bad_input_is_refused_on_its_field(a, field, words, extra):
    _refused(a, field, words, **extra)


def test_a_withdrawn_category_takes_no_new_appeals(a):
    services.category_set_offered(actor=None, category=a.categories.sanitation, offered=False)
    _refused(a, "category", "takes no new appeals")


def test_a_photo_that_is_not_an_image_stores_nothing(a, data_dir):
    with pytest.raises(ValidationError) as refused:
        h.raise_appeal(a, photos_sent=[h.photo(), h.not_a_photo("排水沟.jpg")])
    [message] = refused.value.message_dict["photos"]
    assert "“排水沟.jpg” is not a photo" in message
    _nothing_stored(data_dir)


def test_an_empty_or_too_large_photo_is_refused(a, data_dir, monkeypatch):
    with pytest.raises(ValidationError) as refused:
        h.raise_appeal(a, photos_sent=[h.photo(b"")])
    assert "is empty" in refused.value.message_dict["photos"][0]
    monkeypatch.setattr(services, "PHOTO_MAX_BYTES", 10)
    with pytest.raises(ValidationError) as refused:
        h.raise_appeal(a, photos_sent=[h.photo()])
    assert "larger than" in refused.value.message_dict["photos"][0]
    _nothing_stored(data_dir)


def test_the_same_photo_twice_is_kept_once(a, data_dir):
    appeal = h.raise_appeal(a, photos_sent=[h.photo(), h.photo(), h.photo(h.PNG, "b.png")])
    assert AppealPhoto.objects.filter(appeal=appeal).count() == 2
    assert h.file_count(data_dir / "appeals") == 2


# --- who may raise one where --------------------------------------------------------------------


def test_a_place_outside_the_recorders_area_does_not_exist_for_them(a):
    with pytest.raises(OutOfScope):
        h.raise_appeal(a, actor=a.users["grid_worker"], area=a.far_village)
    with pytest.raises(OutOfScope):
        h.raise_appeal(a, actor=a.users["sibling_cadre"])
    _nothing_stored()


def test_one_who_sees_appeals_but_records_none_is_refused(a):
    with pytest.raises(PermissionDenied):
        h.raise_appeal(a, actor=a.users["district_leader"])
    # The administrator sees no appeal anywhere: there is no place to raise one for them.
    with pytest.raises(OutOfScope):
        h.raise_appeal(a, actor=a.users["administrator"])
    _nothing_stored()


def test_a_reporter_the_recorder_may_not_see_is_out_of_scope(a):
    far_person = a.world.households[4].head  # 东朱一村
    with pytest.raises(OutOfScope):
        h.raise_appeal(a, actor=a.users["grid_worker"], reporter=far_person)
    _nothing_stored()


def test_staff_of_the_village_record_appeals_there(a):
    for role in ("grid_worker", "village_cadre", "community_worker", "street_cadre"):
        appeal = h.raise_appeal(a, actor=a.users[role], channel="visit")
        assert appeal.created_by == a.users[role]
    assert Appeal.objects.count() == 4


def test_a_resident_without_a_household_in_the_registry_cannot_raise_one(a):
    stranger = f.user_with("resident", a.village)
    with pytest.raises(PermissionDenied):
        services.appeal_create(
            actor=stranger,
            category="HJWS",
            channel="resident_phone",
            area=a.grid,
            description="x",
        )
    _nothing_stored()
