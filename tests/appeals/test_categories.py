"""Appeal categories 诉求类别 are data the administrator edits, versioned as the hall's catalogue
is: an edit makes a new version, an appeal keeps the one it was raised under, a category can be
withdrawn and offered again; bad input and a stale edit are refused; only the administrator
(`appeals.categories`) edits them. Photos added to an appeal later are checked as at first."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from linli.appeals import selectors, services
from linli.appeals.models import AppealCategory, AppealCategoryVersion, AppealPhoto
from linli.core.errors import Conflict
from linli.core.models import AuditRecord, TimelineEvent
from linli.core.scoping import OutOfScope
from linli.registry import services as registry_services

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


LIMITS = {"village_days": 3, "community_days": 5, "street_days": 5, "department_days": 10}


def test_the_administrator_makes_a_category(a):
    admin = a.users["administrator"]
    category = services.category_create(
        actor=admin, code="DLSS", name="道路设施", department=a.housing, public=True, **LIMITS
    )
    version = category.current_version
    assert (category.name, version.number, version.default_tier, version.department) == (
        "道路设施",
        1,
        "village",
        a.housing,
    )
    assert version.created_by == admin and version.limit_days("street") == 5
    assert TimelineEvent.objects.filter(object_id=category.pk, verb="created").exists()
    record = AuditRecord.objects.filter(
        object_type="appeals.appealcategory", object_id=str(category.pk)
    ).get()
    assert record.action == "create"
    assert (record.changes["code"], record.changes["village_days"]) == ("DLSS", 3)


def test_others_may_not_edit_categories(a):
    for role in ("street_cadre", "district_leader", "security_officer", "auditor"):
        with pytest.raises(PermissionDenied):
            services.category_create(actor=a.users[role], code="X", name="X", **LIMITS)
        with pytest.raises(PermissionDenied):
            services.category_revise(
                actor=a.users[role], category=a.categories.sanitation, village_days=2
            )
        with pytest.raises(PermissionDenied):
            services.category_set_offered(
                actor=a.users[role], category=a.categories.sanitation, offered=False
            )


@pytest.mark.parametrize(
    ("field", "fields"),
    [
        ("name", {"name": " "}),
        ("code", {"code": ""}),
        ("code", {"code": "HJWS"}),  # taken
        ("default_tier", {"default_tier": "province"}),
        ("village_days", {"village_days": 0}),
        ("street_days", {"street_days": 91}),
        ("community_days", {"community_days": "5"}),
        ("department_days", {"department_days": True}),
        ("department", {"default_tier": "department"}),
    ],
)
def test_bad_category_input_is_refused_on_its_field(a, field, fields):
    before = AppealCategory.objects.count()
    values = {"code": "NEW", "name": "新类别", **LIMITS, **fields}
    with pytest.raises(ValidationError) as refused:
        services.category_create(actor=a.users["administrator"], **values)
    assert field in refused.value.message_dict
    assert AppealCategory.objects.count() == before


def test_a_department_must_be_a_district_department(a):
    branch = registry_services.organisation_create(
        actor=None, name="文岭一村党支部", kind="village_party_branch", area=a.village
    )
    with pytest.raises(ValidationError) as refused:
        services.category_create(actor=None, code="N", name="N", department=branch, **LIMITS)
    assert refused.value.message_dict["department"] == [
        "文岭一村党支部 is not a district department."
    ]


def test_an_edit_makes_a_new_version_and_appeals_keep_theirs(a):
    appeal = h.raise_appeal(a)
    admin = a.users["administrator"]
    version = services.category_revise(
        actor=admin,
        category=a.categories.sanitation,
        village_days=2,
        note="时限压缩",
        expected_version=1,
    )
    assert version.number == 2 and version.village_days == 2 and version.note == "时限压缩"
    category = AppealCategory.objects.get(pk=a.categories.sanitation.pk)
    assert category.current == version
    appeal.refresh_from_db()
    assert appeal.category_version.number == 1 and appeal.category_version.village_days == 3
    later = h.raise_appeal(a)
    assert later.category_version == version
    assert AppealCategoryVersion.objects.filter(category=category).count() == 2
    line = TimelineEvent.objects.filter(object_id=category.pk, verb="revised").get()
    assert line.data == {"fields": ["village_days"], "from": 1}


def test_a_stale_or_empty_edit_is_refused(a):
    admin = a.users["administrator"]
    services.category_revise(actor=admin, category=a.categories.sanitation, public=False)
    with pytest.raises(Conflict):
        services.category_revise(
            actor=admin, category=a.categories.sanitation, street_days=3, expected_version=1
        )
    with pytest.raises(ValidationError) as refused:
        services.category_revise(actor=admin, category=a.categories.sanitation, public=False)
    assert refused.value.code == "unchanged"
    with pytest.raises(TypeError):
        services.category_revise(actor=admin, category=a.categories.sanitation, colour="red")


def test_withdrawn_categories_leave_the_offered_list(a):
    offered = [c.code for c in selectors.offered_categories()]
    assert offered == ["HJWS", "LLJF", "ZAYH", "ZCZX"]
    assert [c.code for c in selectors.offered_categories(public_only=True)] == ["HJWS", "ZCZX"]
    services.category_set_offered(actor=None, category=a.categories.neighbours, offered=False)
    assert [c.code for c in selectors.offered_categories()] == ["HJWS", "ZAYH", "ZCZX"]
    assert len(selectors.category_list()) == 4
    services.category_set_offered(actor=None, category=a.categories.neighbours, offered=True)
    assert "LLJF" in [c.code for c in selectors.offered_categories()]
    verbs = TimelineEvent.objects.filter(object_id=a.categories.neighbours.pk).values_list(
        "verb", flat=True
    )
    assert {"withdrawn", "offered"} <= set(verbs)


# --- photos added later ---------------------------------------------------------------------------


def test_photos_added_later_are_checked_and_kept_once(a, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    appeal = h.raise_appeal(a, photos_sent=[h.photo()])
    cadre = a.users["village_cadre"]
    assert services.appeal_add_photos(actor=cadre, appeal=appeal, photos_sent=[h.photo(h.PNG)]) == 1
    with pytest.raises(Conflict):
        services.appeal_add_photos(actor=cadre, appeal=appeal, photos_sent=[h.photo()])
    with pytest.raises(ValidationError) as refused:
        services.appeal_add_photos(actor=cadre, appeal=appeal, photos_sent=[h.not_a_photo()])
    assert "is not a photo" in refused.value.message_dict["photos"][0]
    with pytest.raises(OutOfScope):
        services.appeal_add_photos(
            actor=a.users["sibling_cadre"], appeal=appeal, photos_sent=[h.photo(h.PNG + b"1")]
        )
    with pytest.raises(PermissionDenied):
        services.appeal_add_photos(
            actor=a.users["district_leader"], appeal=appeal, photos_sent=[h.photo(h.PNG + b"1")]
        )
    # The reporter's household may add its own.
    services.appeal_add_photos(
        actor=a.users["resident"], appeal=appeal, photos_sent=[h.photo(h.PNG + b"2")]
    )
    assert AppealPhoto.objects.filter(appeal=appeal).count() == 3
    assert h.file_count(tmp_path / "appeals") == 3
    photo = selectors.photo_get(
        user=a.users["grid_worker"], appeal_pk=appeal.pk, pk=AppealPhoto.objects.first().pk
    )
    services.appeal_photo_shown(actor=a.users["grid_worker"], photo=photo)
    assert AuditRecord.objects.filter(object_type="appeals.appealphoto", action="reveal").exists()
    with pytest.raises(OutOfScope):
        selectors.photo_get(user=a.users["sibling_cadre"], appeal_pk=appeal.pk, pk=photo.pk)
