"""The timeline 时间线 stores untranslated lines and translates them for whoever reads them."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy, gettext_noop

from linli.core import services as area_services
from linli.core import timeline
from linli.core.models import TimelineEvent
from linli.registry import services
from linli.registry.models import Household, Resident
from tests import factories as f


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def worker(world):
    return world.users["community_worker"]


def last_event(obj) -> TimelineEvent:
    ct = ContentType.objects.get_for_model(obj)
    return TimelineEvent.objects.filter(content_type=ct, object_id=obj.pk).first()


def read(event: TimelineEvent, language: str) -> str:
    with translation.override(language):
        return event.text


def household_page(world, household, language: str) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(world.users["community_worker"])
    response = client.get(reverse("registry:household_detail", args=[household.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_line_written_in_chinese_reads_in_the_readers_language(world, worker):
    with translation.override("zh-hans"):
        household = services.household_create(
            actor=worker, area=world.grids[0], number="T1", address="文岭一村1号"
        )
    event = last_event(household)
    assert (event.summary, event.params) == ("Household registered", {})
    assert read(event, "en") == "Household registered"
    assert read(event, "zh-hans") == "登记建户"


def test_a_line_with_parameters_is_filled_in_either_language(world, worker):
    household = world.households[0]
    with translation.override("zh-hans"):
        person = services.resident_create(
            actor=worker,
            household=household,
            name="刘小雨",
            id_number=f.make_id_number(),
            relation="child",
        )
    event = last_event(person)
    assert event.params == {"name": "刘小雨", "number": household.number}
    assert read(event, "en") == f"刘小雨 registered in household {household.number}"
    assert read(event, "zh-hans") == f"刘小雨登记入户（户号 {household.number}）"


def test_changed_fields_are_named_in_the_readers_language(world, worker):
    household = world.households[0]
    poor = f.tag("困难户", sensitive=True)
    with translation.override("en"):
        services.household_update(
            actor=worker, household=household, address="文岭一村9号", tags=[(poor, "")]
        )
    event = last_event(household)
    assert event.params == {"fields": ["address", "tags"], "model": "registry.household"}
    assert read(event, "en") == "Household details changed: address, tags"
    assert read(event, "zh-hans") == "户信息变更：地址、标签"


def test_a_residents_changed_fields_leave_out_the_search_keys(world, worker):
    person = Resident.objects.get(pk=world.households[0].head_id)
    with translation.override("zh-hans"):
        services.resident_update(actor=worker, resident=person, name="刘志辉", mobile="13900001111")
    event = last_event(person)
    assert event.params["fields"] == ["mobile", "name"]
    assert read(event, "en") == "刘志辉: mobile number, name changed"
    assert read(event, "zh-hans") == "刘志辉：手机号、姓名已变更"


def test_an_area_move_reads_in_either_language(world):
    village = world.villages[0]
    target = next(c for c in world.communities if c.pk != village.parent_id)
    with translation.override("zh-hans"):
        area_services.area_move(actor=None, area=village, new_parent=target)
    event = last_event(village)
    assert read(event, "en") == f"Moved to {target.name}"
    assert read(event, "zh-hans") == f"调整至{target.name}"


def test_the_household_page_shows_the_line_in_the_readers_language(world, worker):
    household = world.households[0]
    with translation.override("zh-hans"):
        services.household_update(actor=worker, household=household, address="文岭一村9号")
    assert "Household details changed: address" in household_page(world, household, "en")
    chinese = household_page(world, household, "zh-CN")
    assert "户信息变更：地址" in chinese
    assert "Household details changed" not in chinese


def test_old_and_malformed_rows_still_show_on_the_page(world):
    household = world.households[0]
    ct = ContentType.objects.get_for_model(Household)
    rows = {
        # Written before lines were stored untranslated: a finished sentence, no params.
        "户信息变更：地址 100%": {},
        # A placeholder with no value, a value for no placeholder, a bad format.
        "Head of household: %(name)s": {"other": "x"},
        "Moved to %(parent)": {"parent": "东朱社区"},
        # A field list of a model that no longer exists, and one that is not a list.
        "Household details changed: %(fields)s": {"fields": ["flat_no"], "model": "gone.model"},
        "%(name)s: %(fields)s changed": {"name": "刘志辉", "fields": "address"},
    }
    for message, params in rows.items():
        TimelineEvent.objects.create(
            content_type=ct, object_id=household.pk, verb="x", summary=message, params=params
        )
    page = household_page(world, household, "en")
    assert "户信息变更：地址 100%" in page
    assert "Head of household: %(name)s" in page
    assert "Moved to %(parent)" in page
    assert "Household details changed: flat_no" in page
    assert "刘志辉: address changed" in page


def test_field_labels_fall_back_to_the_name():
    with translation.override("zh-hans"):
        assert timeline.field_labels("registry.household", ["address", "area_id", "gone"]) == [
            "地址",
            str(Household._meta.get_field("area").verbose_name),
            "gone",
        ]
        assert timeline.field_labels("no.such", ["address"]) == ["address"]
        assert timeline.field_labels("nonsense", ["address"]) == ["address"]


def test_a_translated_message_is_refused(world):
    with pytest.raises(TypeError):
        timeline.add_event(
            subject=world.households[0], verb="x", message=gettext_lazy("Household registered")
        )
    event = timeline.add_event(
        subject=world.households[0], verb="x", message=gettext_noop("Household registered")
    )
    assert str(event) == "Household registered"
