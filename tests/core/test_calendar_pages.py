"""The working-day calendar pages through Django's test client: the years with their state,
one year's days, adding / changing / removing a day with clear messages for bad input,
marking a year's arrangement as entered, and who may use them (administrators only)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from linli.core import workdays
from linli.core.models import AuditRecord, WorkCalendarDay, WorkCalendarYear

SHANGHAI = ZoneInfo("Asia/Shanghai")
BACKEND = "django.contrib.auth.backends.ModelBackend"
D = dt.date


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user, backend=BACKEND)
    return client


def html(response) -> str:
    return response.content.decode()


def error_under(page: str, field_id: str) -> str:
    match = re.search(rf'id="{field_id}".*?invalid-feedback d-block">([^<]*)<', page, re.S)
    return match.group(1) if match else ""


@pytest.fixture
def admin(world):
    workdays.calendar_seed(years=[2026])
    return client_for(world.users["administrator"])


@pytest.fixture
def december_2026():
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, tzinfo=SHANGHAI), tick=False):
        yield


def test_the_years_page_shows_each_years_state(december_2026, admin):
    response = admin.get(reverse("core:calendar_years"))
    assert response.status_code == 200
    page = html(response)
    row_2026 = re.search(r'<tr data-year="2026">.*?</tr>', page, re.S).group(0)
    assert 'data-state="published"' in row_2026 and "chinese-calendar" in row_2026
    row_2027 = re.search(r'<tr data-year="2027">.*?</tr>', page, re.S).group(0)
    assert 'data-state="provisional"' in row_2027 and "Monday to Friday counted" in row_2027
    # Deadlines set now reach into 2027: the page says so and leads to it.
    assert 'data-testid="calendar-missing-2027"' in page
    assert reverse("core:calendar_year", args=[2027]) in page


def test_the_year_page_lists_holidays_and_make_up_days(admin):
    page = html(admin.get(reverse("core:calendar_year", args=[2026])))
    national_day = re.search(r'<tr data-date="2026-10-01">.*?</tr>', page, re.S).group(0)
    assert "Thursday" in national_day and "Holiday" in national_day and "国庆节" in national_day
    make_up = re.search(r'<tr data-date="2026-09-20">.*?</tr>', page, re.S).group(0)
    assert "Sunday" in make_up and "Make-up working day" in make_up
    assert 'id="calendar-source"' in page and 'id="calendar-provisional"' not in page
    empty = html(admin.get(reverse("core:calendar_year", args=[2027])))
    assert 'id="calendar-empty"' in empty and 'id="calendar-provisional"' in empty


def test_the_year_page_in_chinese(admin):
    page = html(
        admin.get(reverse("core:calendar_year", args=[2026]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    )
    national_day = re.search(r'<tr data-date="2026-10-01">.*?</tr>', page, re.S).group(0)
    assert "星期四" in national_day


def test_adding_changing_and_removing_a_day(december_2026, admin, world):
    add = reverse("core:calendar_day_add", args=[2027])
    response = admin.post(add, {"date": "2027-01-01", "kind": "holiday", "name": "元旦"})
    assert response.status_code == 302
    assert response.url == reverse("core:calendar_year", args=[2027])
    day = WorkCalendarDay.objects.get(date=D(2027, 1, 1))
    assert (day.working, day.name) == (False, "元旦")
    assert "2027-01-01 added." in html(admin.get(response.url))

    edit = reverse("core:calendar_day_edit", args=[day.pk])
    form = html(admin.get(edit))
    assert 'value="2027-01-01"' in form and 'value="元旦"' in form
    response = admin.post(edit, {"date": "2027-01-01", "kind": "holiday", "name": "元旦节"})
    assert response.status_code == 302
    day.refresh_from_db()
    assert day.name == "元旦节"

    response = admin.post(reverse("core:calendar_day_delete", args=[day.pk]))
    assert response.status_code == 302
    assert not WorkCalendarDay.objects.filter(pk=day.pk).exists()
    actions = AuditRecord.objects.filter(object_type="core.workcalendarday").values_list(
        "action", flat=True
    )
    assert sorted(actions) == ["create", "delete", "update"]
    assert set(
        AuditRecord.objects.filter(object_type="core.workcalendarday").values_list(
            "actor", flat=True
        )
    ) == {world.users["administrator"].pk}


@pytest.mark.parametrize(
    "data, field, message",
    [
        (
            {"date": "2027-10-08", "kind": "make_up", "name": "国庆节"},
            "id_date",
            "2027-10-08 is a Friday, a working day anyway: a make-up working day falls on a "
            "Saturday or Sunday.",
        ),
        (
            {"date": "2027-10-02", "kind": "holiday", "name": "国庆节"},
            "id_date",
            "2027-10-02 is a Saturday, a day off anyway: enter only the holidays that fall on "
            "a weekday.",
        ),
        (
            {"date": "2026-12-31", "kind": "holiday", "name": "元旦"},
            "id_date",
            "The date must be in 2027.",
        ),
        ({"date": "1.10.2027", "kind": "holiday", "name": "国庆节"}, "id_date", "2027-10-01"),
        ({"date": "2027-10-01", "kind": "holiday", "name": ""}, "id_name", "required"),
        ({"date": "2027-10-01", "kind": "party", "name": "国庆节"}, "id_kind", "valid choice"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(admin, data, field, message):
    response = admin.post(reverse("core:calendar_day_add", args=[2027]), data)
    assert response.status_code == 400
    assert message in error_under(html(response), field)
    assert not WorkCalendarDay.objects.filter(date__year=2027).exists()
    assert not AuditRecord.objects.filter(object_type="core.workcalendarday").exists()


def test_a_duplicate_is_refused_and_changing_a_day_keeps_to_its_rules(admin):
    add = reverse("core:calendar_day_add", args=[2026])
    response = admin.post(add, {"date": "2026-10-01", "kind": "holiday", "name": "国庆节"})
    assert response.status_code == 400
    assert "2026-10-01 is already in the calendar (holiday, 国庆节)" in error_under(
        html(response), "id_date"
    )
    day = WorkCalendarDay.objects.get(date=D(2026, 10, 1))
    edit = reverse("core:calendar_day_edit", args=[day.pk])
    response = admin.post(edit, {"date": "2026-10-01", "kind": "make_up", "name": "国庆节"})
    assert response.status_code == 400
    assert "a working day anyway" in error_under(html(response), "id_date")
    response = admin.post(edit, {"date": "2027-10-01", "kind": "holiday", "name": "国庆节"})
    assert "The date must be in 2026." in error_under(html(response), "id_date")
    day.refresh_from_db()
    assert (day.date, day.working) == (D(2026, 10, 1), False)


def test_marking_a_year_as_entered_and_back(december_2026, admin):
    publish = reverse("core:calendar_year_publish", args=[2027])
    response = admin.post(publish, {"source": "国办发明电〔2026〕7号"})
    assert response.status_code == 400
    assert "Enter the holidays of 2027" in html(response)
    response = admin.post(publish, {"source": ""})
    assert response.status_code == 400 and "required" in error_under(html(response), "id_source")
    admin.post(
        reverse("core:calendar_day_add", args=[2027]),
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
    )
    response = admin.post(publish, {"source": "国办发明电〔2026〕7号"})
    assert response.status_code == 302
    year = WorkCalendarYear.objects.get(year=2027)
    assert year.published and year.source == "国办发明电〔2026〕7号"
    page = html(admin.get(reverse("core:calendar_year", args=[2027])))
    assert "no longer carry a warning" in page and 'id="calendar-provisional"' not in page
    years = html(admin.get(reverse("core:calendar_years")))
    assert 'data-testid="calendar-missing-2027"' not in years

    response = admin.post(reverse("core:calendar_year_withdraw", args=[2027]))
    assert response.status_code == 302
    assert WorkCalendarYear.objects.get(year=2027).published is False
    again = admin.post(reverse("core:calendar_year_withdraw", args=[2027]), follow=True)
    assert "is not marked as entered" in html(again)


@pytest.mark.parametrize(
    "role",
    ["community_worker", "street_cadre", "district_leader", "security_officer", "auditor"],
)
def test_other_roles_are_refused(world, role):
    workdays.calendar_seed(years=[2026])
    client = client_for(world.users[role])
    day = WorkCalendarDay.objects.get(date=D(2026, 10, 1))
    assert client.get(reverse("core:calendar_years")).status_code == 403
    assert client.get(reverse("core:calendar_year", args=[2026])).status_code == 403
    assert client.get(reverse("core:calendar_day_edit", args=[day.pk])).status_code == 403
    post = {"date": "2026-10-01", "kind": "make_up", "name": "x"}
    assert client.post(reverse("core:calendar_day_edit", args=[day.pk]), post).status_code == 403
    assert client.post(reverse("core:calendar_day_delete", args=[day.pk])).status_code == 403
    assert (
        client.post(reverse("core:calendar_day_add", args=[2027]), post | {"date": "2027-10-01"})
    ).status_code == 403
    publish = reverse("core:calendar_year_publish", args=[2026])
    assert client.post(publish, {"source": "x"}).status_code == 403
    assert client.post(reverse("core:calendar_year_withdraw", args=[2026])).status_code == 403
    assert WorkCalendarDay.objects.filter(pk=day.pk, working=False).exists()


def test_anonymous_visitors_are_sent_to_log_in(db):
    response = Client().get(reverse("core:calendar_years"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_missing_days_and_years_out_of_range_are_404_and_methods_are_checked(admin):
    assert admin.get(reverse("core:calendar_day_edit", args=[999999])).status_code == 404
    assert admin.post(reverse("core:calendar_day_delete", args=[999999])).status_code == 404
    assert admin.get(reverse("core:calendar_year", args=[1899])).status_code == 404
    assert admin.get(reverse("core:calendar_year", args=[2101])).status_code == 404
    assert admin.post(reverse("core:calendar_years")).status_code == 405
    assert admin.get(reverse("core:calendar_day_add", args=[2027])).status_code == 405
    day = WorkCalendarDay.objects.get(date=D(2026, 10, 1))
    assert admin.get(reverse("core:calendar_day_delete", args=[day.pk])).status_code == 405


def test_the_pages_cost_the_same_queries_however_many_years_and_days(admin):
    def queries(url) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin.get(url).status_code == 200
        return len(captured)

    years, year = reverse("core:calendar_years"), reverse("core:calendar_year", args=[2026])
    queries(years)  # the first request of a session fills caches
    few = (queries(years), queries(year))
    workdays.calendar_seed()  # every year chinese-calendar knows
    WorkCalendarDay.objects.create(date=D(2026, 12, 31), working=False, name="测试")
    assert (queries(years), queries(year)) == few
