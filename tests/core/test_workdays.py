"""The working-day calendar (core/workdays.py): counting through statutory holidays and make-up
working days, the provisional warning for a year with no arrangement, the administrator's
writes with their checks and audit records, and seeding from chinese-calendar."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from linli.appeals.tasks import refresh_appeal_deadlines
from linli.core import workdays
from linli.core.models import AuditRecord, WorkCalendarDay, WorkCalendarYear
from linli.hall.tasks import refresh_deadlines

# Its tests that take no shared world read only what they make (the calendar, say).
OTHERS_IGNORE_SHARED = True

SHANGHAI = ZoneInfo("Asia/Shanghai")
D = dt.date


@pytest.fixture
def calendar(db):
    """The official arrangements of 2025 and 2026, as chinese-calendar has them (a test before
    this one may have emptied the tables the seeding migration filled)."""
    workdays.calendar_seed(years=[2025, 2026])


@pytest.fixture
def admin(world):
    return world.users["administrator"]


def errors_of(error: ValidationError) -> dict[str, str]:
    return {k: " ".join(v) for k, v in error.message_dict.items()}


# --- counting ---------------------------------------------------------------------------------


def test_national_day_2026_and_its_make_up_days(calendar):
    with time_machine.travel(dt.datetime(2026, 9, 29, 10, tzinfo=SHANGHAI), tick=False):
        # Tue 29 Sep + 5: Wed 30 Sep, (1–7 Oct off) Thu 8, Fri 9, Sat 10 (worked), Mon 12.
        deadline = workdays.add_working_days(D(2026, 9, 29), 5)
    assert deadline == workdays.Deadline(D(2026, 10, 12))
    assert not deadline.assumed
    # Counted Monday to Friday it would have been Tue 6 Oct, in the middle of the holiday.
    assert workdays.WorkCalendar(2026, 2026, {}, {2026}).add(D(2026, 9, 29), 5).date == D(
        2026, 10, 6
    )
    # Sunday 20 September is worked for National Day: Fri 18 + 1 is that Sunday.
    assert workdays.add_working_days(D(2026, 9, 18), 1).date == D(2026, 9, 20)
    assert workdays.is_working_day(D(2026, 9, 20)) and not workdays.is_working_day(D(2026, 10, 5))
    assert workdays.working_days_between(D(2026, 9, 29), D(2026, 10, 12)) == 5
    assert workdays.working_days_between(D(2026, 10, 12), D(2026, 9, 29)) == 0


def test_a_december_deadline_reaching_into_a_year_not_entered_is_provisional(calendar):
    with time_machine.travel(dt.datetime(2026, 12, 28, 9, tzinfo=SHANGHAI), tick=False):
        deadline = workdays.add_working_days(D(2026, 12, 28), 5)
        years = workdays.calendar_years()
    # Tue 29, Wed 30, Thu 31 Dec, then 2027 counted Monday to Friday: Fri 1, Mon 4 Jan.
    assert deadline.date == D(2027, 1, 4)
    assert deadline.assumed_years == (2027,) and deadline.assumed
    assert workdays.unpublished_years(D(2026, 12, 28), deadline.date) == [2027]
    state = {s.year: s for s in years}
    assert state[2027].published is False and state[2027].entered is False
    assert state[2026].published and state[2026].source.startswith("chinese-calendar")


def test_entering_2027s_new_year_moves_the_deadline_and_ends_the_warning(calendar, admin):
    start = D(2026, 12, 28)
    with time_machine.travel(dt.datetime(2026, 12, 28, 9, tzinfo=SHANGHAI), tick=False):
        assert workdays.add_working_days(start, 5) == workdays.Deadline(D(2027, 1, 4), (2027,))
        workdays.calendar_day_create(
            actor=admin, year=2027, date=D(2027, 1, 1), working=False, name="元旦"
        )
        # The day counts at once; the warning stays until the whole arrangement is entered.
        assert workdays.add_working_days(start, 5) == workdays.Deadline(D(2027, 1, 5), (2027,))
        workdays.calendar_year_publish(
            actor=admin, year=2027, source="国务院办公厅关于2027年部分节假日安排的通知"
        )
        assert workdays.add_working_days(start, 5) == workdays.Deadline(D(2027, 1, 5))
    year = WorkCalendarYear.objects.get(year=2027)
    assert year.published and year.updated_by == admin
    assert year.source == "国务院办公厅关于2027年部分节假日安排的通知"


def test_a_limit_out_of_range_is_refused(calendar):
    with pytest.raises(ValueError):
        workdays.add_working_days(D(2026, 1, 5), -1)
    with pytest.raises(ValueError):
        workdays.add_working_days(D(2026, 1, 5), workdays.MAX_LIMIT + 1)
    assert workdays.add_working_days(D(2026, 1, 5), 0) == workdays.Deadline(D(2026, 1, 5))


# --- the administrator's writes ---------------------------------------------------------------


def test_each_change_is_audited_and_announced(admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        day = workdays.calendar_day_create(
            actor=admin, year=2027, date=D(2027, 10, 1), working=False, name="国庆节"
        )
    # The jobs that move deadlines (the hall's, the appeals'), queued on commit.
    assert {c.func for c in callbacks} == {
        refresh_deadlines.enqueue,
        refresh_appeal_deadlines.enqueue,
    }
    assert callbacks[0].keywords == {"changed": {"2027-10-01": None}, "years": [2027]}
    with django_capture_on_commit_callbacks() as callbacks:
        workdays.calendar_day_update(
            actor=admin, day=day, date=D(2027, 10, 9), working=True, name="国庆节"
        )
    # The old date was a holiday; the new one followed the weekend rule before.
    assert callbacks[0].keywords["changed"] == {"2027-10-01": False, "2027-10-09": None}
    with django_capture_on_commit_callbacks() as callbacks:
        workdays.calendar_day_delete(actor=admin, day=day)
    assert callbacks[0].keywords["changed"] == {"2027-10-09": True}
    assert not WorkCalendarDay.objects.filter(pk=day.pk).exists()
    trail = AuditRecord.objects.filter(object_type="core.workcalendarday", object_id=str(day.pk))
    assert sorted(trail.values_list("action", flat=True)) == ["create", "delete", "update"]
    update = trail.get(action="update")
    assert update.actor == admin
    assert update.changes["before"] == {"date": "2027-10-01", "working": False}
    assert update.changes["after"] == {"date": "2027-10-09", "working": True}


@pytest.mark.parametrize(
    "date, working, name, field, words",
    [
        (D(2027, 10, 8), True, "国庆节", "date", "a working day anyway"),  # a Friday
        (D(2027, 10, 2), False, "国庆节", "date", "a day off anyway"),  # a Saturday
        (D(2026, 12, 31), False, "元旦", "date", "must be in 2027"),
        (D(2027, 10, 1), False, "  ", "name", "Name the holiday"),
    ],
)
def test_bad_days_are_refused_with_the_reason(admin, date, working, name, field, words):
    with pytest.raises(ValidationError) as error:
        workdays.calendar_day_create(actor=admin, year=2027, date=date, working=working, name=name)
    assert words in errors_of(error.value)[field]
    assert not WorkCalendarDay.objects.filter(date=date).exists()


def test_a_duplicate_day_is_refused_and_names_the_entry(admin):
    workdays.calendar_day_create(
        actor=admin, year=2027, date=D(2027, 10, 1), working=False, name="国庆节"
    )
    with pytest.raises(ValidationError) as error:
        workdays.calendar_day_create(
            actor=admin, year=2027, date=D(2027, 10, 1), working=False, name="中秋节"
        )
    message = errors_of(error.value)["date"]
    assert "2027-10-01 is already in the calendar (holiday, 国庆节)" in message
    assert WorkCalendarDay.objects.get(date=D(2027, 10, 1)).name == "国庆节"


def test_the_weekday_is_named_in_the_language_of_the_reader(admin):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        workdays.calendar_day_create(
            actor=admin, year=2027, date=D(2027, 10, 2), working=False, name="国庆节"
        )
    assert "星期六" in str(error.value)


def test_publishing_needs_a_source_and_days_and_can_be_taken_back(admin):
    with pytest.raises(ValidationError) as error:
        workdays.calendar_year_publish(actor=admin, year=2027, source=" ")
    assert "where the arrangement comes from" in errors_of(error.value)["source"]
    with pytest.raises(ValidationError) as error:
        workdays.calendar_year_publish(actor=admin, year=2027, source="国办发明电")
    assert "Enter the holidays of 2027" in " ".join(error.value.messages)
    workdays.calendar_day_create(
        actor=admin, year=2027, date=D(2027, 1, 1), working=False, name="元旦"
    )
    workdays.calendar_year_publish(actor=admin, year=2027, source="国办发明电")
    workdays.calendar_year_withdraw(actor=admin, year=2027)
    assert WorkCalendarYear.objects.get(year=2027).published is False
    with pytest.raises(ValidationError):
        workdays.calendar_year_withdraw(actor=admin, year=2027)
    actions = AuditRecord.objects.filter(object_type="core.workcalendaryear").order_by("pk")
    assert [r.changes["after"]["published"] for r in actions] == [True, False]


def test_only_administrators_change_the_calendar(world):
    for role in ("community_worker", "district_leader", "security_officer", "auditor"):
        with pytest.raises(PermissionDenied):
            workdays.calendar_day_create(
                actor=world.users[role], year=2027, date=D(2027, 1, 1), working=False, name="元旦"
            )
    with pytest.raises(PermissionDenied):
        workdays.calendar_seed(actor=world.users["district_leader"], years=[2026])
    assert not WorkCalendarDay.objects.filter(date=D(2027, 1, 1)).exists()


def test_a_year_out_of_range_is_refused(admin):
    with pytest.raises(ValidationError) as error:
        workdays.calendar_day_create(
            actor=admin, year=1999, date=D(1999, 10, 1), working=False, name="国庆节"
        )
    assert "2000" in errors_of(error.value)["year"]


# --- seeding from chinese-calendar -----------------------------------------------------------


def test_seeding_is_idempotent_and_keeps_what_an_administrator_entered(db, admin):
    WorkCalendarDay.objects.filter(date__year__in=[2025, 2026]).delete()
    WorkCalendarYear.objects.filter(year__in=[2025, 2026]).delete()
    first = workdays.calendar_seed(years=[2025, 2026])
    assert first.filled == [2025, 2026] and not first.unchanged
    national_day = WorkCalendarDay.objects.get(date=D(2026, 10, 1))
    assert (national_day.working, national_day.name) == (False, "国庆节")
    assert WorkCalendarDay.objects.get(date=D(2026, 9, 20)).working is True
    assert not WorkCalendarDay.objects.filter(date=D(2026, 10, 3)).exists()  # a Saturday
    count = WorkCalendarDay.objects.count()
    again = workdays.calendar_seed(years=[2025, 2026])
    assert again.unchanged == [2025, 2026] and not again.filled
    assert WorkCalendarDay.objects.count() == count

    # An administrator corrects 2026: the seed keeps it and says how the package differs.
    workdays.calendar_day_delete(actor=admin, day=WorkCalendarDay.objects.get(date=D(2026, 10, 10)))
    kept = workdays.calendar_seed(years=[2026])
    assert kept.differing == {2026: ["+ 2026-10-10 班 国庆节"]}
    assert not WorkCalendarDay.objects.filter(date=D(2026, 10, 10)).exists()
    restored = workdays.calendar_seed(years=[2026], overwrite=True)
    assert restored.overwritten == [2026]
    assert WorkCalendarDay.objects.get(date=D(2026, 10, 10)).working is True
    seeded = AuditRecord.objects.filter(object_type="core.workcalendaryear", actor__isnull=True)
    assert seeded.count() == 3  # 2025 and 2026 entered, 2026 restored


def test_linli_calendar_seed_and_years(db):
    WorkCalendarDay.objects.filter(date__year=2026).delete()
    WorkCalendarYear.objects.filter(year=2026).delete()
    out = io.StringIO()
    call_command("calendar", "seed", "--year", "2026", "--year", "2025", stdout=out)
    text = out.getvalue()
    assert "2026: entered from chinese-calendar." in text
    out = io.StringIO()
    call_command("calendar", "seed", "--year", "2026", stdout=out)
    assert "1 years already as chinese-calendar has them." in out.getvalue()
    out = io.StringIO()
    with time_machine.travel(dt.datetime(2026, 12, 1, tzinfo=SHANGHAI), tick=False):
        call_command("calendar", "years", stdout=out)
    lines = {line.split()[0]: line for line in out.getvalue().splitlines()}
    assert "not entered: Monday to Friday counted" in lines["2027"]
    assert "entered (chinese-calendar" in lines["2026"]
    holidays = WorkCalendarDay.objects.filter(date__year=2026, working=False).count()
    make_up = WorkCalendarDay.objects.filter(date__year=2026, working=True).count()
    assert (holidays, make_up) == (19, 6)  # the weekday holidays and weekend make-up days
    assert f"{holidays} holidays, {make_up} make-up working days" in lines["2026"]
