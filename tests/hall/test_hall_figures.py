"""Hall figures 办件统计 on a small hand-checked set of records: counts by item and state,
median working days against the promise, one-trip share, overdue now, outreach and
satisfaction, the drill-down by area, and scoping."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.utils import timezone

from linli.hall.catalogue import services as catalogue
from linli.hall.catalogue.services import StepSpec
from linli.hall.dashboard.figures import Period, hall_report, median
from linli.hall.models import (
    Application,
    ApplicationStep,
    OutreachTask,
    Rating,
    ServiceCategory,
)
from linli.registry.models import Organisation

from .. import factories as f

# Its tests that take no shared world read only what they make (the calendar, say).
OTHERS_IGNORE_SHARED = True

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 20)


def test_median_of_a_histogram():
    assert median(Counter()) is None
    assert median(Counter({3: 1})) == 3
    assert median(Counter({1: 1, 5: 1})) == 3
    assert median(Counter({2: 2, 9: 1})) == 2
    assert median(Counter({1: 1, 2: 1, 10: 2})) == 6


@pytest.fixture
def world():
    d = f.area("统计区", "district")
    s = f.area("甲街道", "street", d)
    c1 = f.area("东社区", "community", s)
    c2 = f.area("西社区", "community", s)
    v1 = f.area("一村", "village", c1)
    v2 = f.area("二村", "village", c2)
    hall1 = Organisation.objects.create(name="东社区便民服务大厅", kind="service_hall", area=c1)
    cat = ServiceCategory.objects.create(name="民政类")
    quick = catalogue.item_create(
        actor=None, code="A1", name="居住证明", category=cat, mode="on_the_spot", time_limit_days=0
    )
    illness = catalogue.item_create(
        actor=None,
        code="A2",
        name="大病救助",
        category=cat,
        mode="proxy",
        time_limit_days=15,
        route=[StepSpec("社区受理", "hall", 1)],
    )
    h1 = f.household(v1, "H1", head_name="张炳利")
    h2 = f.household(v2, "H2", head_name="李四")
    return locals()


def _app(world, household, item, state, *, used=None, promised=0, trips=1, due=None, number=""):
    made = timezone.make_aware(dt.datetime(2026, 6, 1, 9))
    return Application.objects.create(
        number=number or f"T{Application.objects.count() + 1:05d}",
        item=item,
        item_version=item.current,
        resident=household.head,
        household=household,
        area=household.area,
        state=state,
        created_at=made,
        promised_days=promised,
        working_days_used=used,
        trip_count=trips,
        due_on=due,
        finished_at=made if state == "completed" else None,
    )


def test_figures_from_records(world):
    w = world
    a = _app(w, w["h1"], w["illness"], "completed", used=10, promised=15, trips=1)
    _app(w, w["h1"], w["illness"], "completed", used=14, promised=15, trips=2)
    _app(w, w["h1"], w["quick"], "completed", used=0, promised=0, trips=1)
    late = _app(w, w["h1"], w["illness"], "in_progress", promised=15, due=dt.date(2026, 11, 1))
    _app(w, w["h2"], w["illness"], "submitted", promised=15, due=dt.date(2026, 12, 20))
    ApplicationStep.objects.create(
        application=late,
        order=1,
        name="社区受理",
        office_kind="hall",
        organisation=w["hall1"],
        state="active",
        due_on=dt.date(2026, 10, 30),
    )
    Rating.objects.create(
        application=a,
        score=5,
        source="resident",
        rated_at=timezone.make_aware(dt.datetime(2026, 6, 20, 15)),
    )
    OutreachTask.objects.create(
        item=w["illness"],
        item_version=w["illness"].current,
        household=w["h2"],
        area=w["h2"].area,
        state="applied",
        found_at=timezone.make_aware(dt.datetime(2026, 11, 2, 8)),
        contacted_at=timezone.make_aware(dt.datetime(2026, 11, 3, 10)),
    )

    report = hall_report(
        user=None, area=w["d"], period=Period(dt.date(2026, 1, 1), TODAY), today=TODAY
    )
    t = report.total
    assert t.applications == 5 and t.completed == 3
    assert t.by_state["in_progress"] == 1 and t.by_state["submitted"] == 1
    assert t.median_days_used == 12 and t.one_trip == 2 and t.one_trip_share == pytest.approx(2 / 3)
    assert t.overdue_now == 1 and t.overdue_steps_now == 1
    assert (t.outreach_found, t.outreach_contacted, t.outreach_applied) == (1, 1, 1)
    assert t.ratings == 1 and t.average_score == 5 and t.satisfied_share == 1
    illness = report.items[w["illness"].pk]
    assert illness.applications == 4 and illness.completed == 2
    assert illness.median_days_used == 12 and illness.median_days_early == 3
    assert report.item_promises[w["illness"].pk] == 15

    # The drill-down: the street's communities, each with its own records.
    street = hall_report(
        user=None, area=w["s"], period=Period(dt.date(2026, 1, 1), TODAY), today=TODAY
    )
    assert street.branches[w["c1"].path].applications == 4
    assert street.branches[w["c2"].path].applications == 1
    assert street.branches[w["c2"].path].outreach_found == 1


def test_period_and_scope(world):
    w = world
    _app(w, w["h1"], w["quick"], "completed", used=0)
    _app(w, w["h2"], w["quick"], "completed", used=0)
    worker = f.user_with("community_worker", w["c1"])
    mine = hall_report(
        user=worker, area=w["d"], period=Period(dt.date(2026, 1, 1), TODAY), today=TODAY
    )
    assert mine.total.applications == 1  # the other community's application is not counted
    before = hall_report(
        user=None,
        area=w["d"],
        period=Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
        today=TODAY,
    )
    assert before.total.applications == 0


def test_ratings_and_overdue_steps_are_counted_within_scope(world):
    """Steps and ratings count by their application's scope: a community's worker does not
    see the other community's; the command line, which sees everything, counts both."""
    w = world
    for household in (w["h1"], w["h2"]):
        done = _app(w, household, w["quick"], "completed", used=0)
        Rating.objects.create(
            application=done,
            score=4,
            source="resident",
            rated_at=timezone.make_aware(dt.datetime(2026, 6, 20, 15)),
        )
        late = _app(w, household, w["illness"], "in_progress", due=dt.date(2026, 11, 1))
        ApplicationStep.objects.create(
            application=late,
            order=1,
            name="社区受理",
            office_kind="hall",
            organisation=w["hall1"],
            state="active",
            due_on=dt.date(2026, 10, 30),
        )
    worker = f.user_with("community_worker", w["c1"])
    period = Period(dt.date(2026, 1, 1), TODAY)
    mine = hall_report(user=worker, area=w["d"], period=period, today=TODAY).total
    everything = hall_report(user=None, area=w["d"], period=period, today=TODAY).total
    assert (mine.ratings, mine.overdue_steps_now) == (1, 1)
    assert (everything.ratings, everything.overdue_steps_now) == (2, 2)


def test_dashboard_page(world, client):
    w = world
    a = _app(w, w["h1"], w["illness"], "completed", used=10, promised=15, number="BJ-ZBL")
    Application.objects.filter(pk=a.pk).update(finished_at=timezone.now())
    leader = f.user_with("district_leader", w["d"])
    client.force_login(leader)
    page = client.get("/services/dashboard/", {"area": w["d"].pk})
    assert page.status_code == 200
    text = page.content.decode()
    assert "大病救助" in text and "BJ-ZBL" in text
    assert "张炳利" not in text and "张*" in text  # the applicant is masked on a dashboard
    outsider = f.user_with("community_worker", w["c2"])
    client.force_login(outsider)
    assert client.get("/services/dashboard/", {"area": w["c1"].pk}).status_code == 404
    resident_like = f.user_with("grid_worker", w["v1"])
    client.force_login(resident_like)
    assert client.get("/services/dashboard/").status_code == 403


def test_figures_command_gains_the_hall(world):
    import io
    import json

    from django.core.management import call_command

    w = world
    _app(w, w["h1"], w["illness"], "completed", used=10, promised=15, trips=1)
    _app(w, w["h2"], w["illness"], "completed", used=12, promised=15, trips=3)
    out = io.StringIO()
    with time_machine.travel(dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC), tick=False):
        call_command("figures", "--json", stdout=out)
    hall = json.loads(out.getvalue())["service_hall"]
    assert hall["applications"] == 2 and hall["completed"] == 2
    assert hall["median_working_days_used"] == 11 and hall["median_working_days_early"] == 4
    assert hall["one_trip_share"] == 0.5
    table = io.StringIO()
    with time_machine.travel(dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC), tick=False):
        call_command("figures", stdout=table)
    assert "50%" in table.getvalue()


def test_workbench_shows_the_hall_tiles(world, client):
    w = world
    _app(w, w["h1"], w["illness"], "in_progress", promised=15, due=dt.date(2020, 1, 1))
    worker = f.user_with("community_worker", w["c1"])
    OutreachTask.objects.create(
        item=w["illness"],
        item_version=w["illness"].current,
        household=w["h1"],
        area=w["h1"].area,
        assignee=worker,
    )
    client.force_login(worker)
    page = client.get("/").content.decode()
    assert "/services/due/?scope=area&amp;which=overdue" in page
    assert "/services/outreach/?who=mine&amp;state=open" in page
    tiles = {t["label"]: t["value"] for t in page_tiles(worker, w["c1"])}
    assert tiles["Applications overdue"] == 1 and tiles["Outreach: to contact"] == 1
    outsider = f.user_with("community_worker", w["c2"])
    assert {t["label"]: t["value"] for t in page_tiles(outsider, w["c2"])}[
        "Applications overdue"
    ] == 0


def page_tiles(user, area):
    from linli.core.selectors import workbench_tiles

    return workbench_tiles(user=user, area=area)
