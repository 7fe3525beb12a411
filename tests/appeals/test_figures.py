"""The appeals figures 诉求统计 on a handful of appeals moved through the services by hand: counts
by category, channel and the tier that settled them, the share settled in the village, working
days per tier on the calendar, hand-overs, overdue now, satisfaction; the period's and the
area's edges; the drill-down; the dashboard's scoping, its period errors, its workbook (masked,
in the audit trail); and a fixed number of queries however many appeals there are."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from python_calamine import CalamineWorkbook

from linli.appeals import figures as figures_module
from linli.appeals import services
from linli.appeals.disputes import services as disputes
from linli.appeals.figures import (
    FigurePart,
    Period,
    appeal_report,
    figure_labels,
    figure_rows,
    median,
    register_part,
)
from linli.core.models import AuditRecord

from . import dispute_helpers as d
from . import helpers as h

WORLD_CLOCK = h.WORLD_CLOCK  # Wednesday 2026-11-25 09:30
SHARED = {"appeals": h.build_appeals, "disputes": d.build_disputes}
TODAY = dt.date(2026, 12, 1)
WEEK = Period(dt.date(2026, 11, 25), TODAY)


@pytest.fixture
def clock():
    with time_machine.travel(WORLD_CLOCK, tick=False) as traveller:
        yield traveller


@pytest.fixture
def a(clock, shared):
    return shared("appeals")


def _at(clock, day: int, hour: int = 10, minute: int = 0, month: int = 11) -> None:
    clock.move_to(dt.datetime(2026, month, day, hour, minute, tzinfo=h.SHANGHAI))


@pytest.fixture
def week(a, clock):
    """Four appeals:
    a1 counter, 环境卫生, 文岭一村: settled at the village the same day, 满意 → closed;
    a2 hotline, 邻里纠纷, 文岭一村 (an outsider): handed up the next day, settled at the
       community the day after, 不满意 → reopened there;
    a3 visit, 环境卫生, 东朱一村: sent to the department the next day, settled there the day
       after, 基本满意 → closed;
    a4 counter, 环境卫生, 文岭一村, raised 24 November 23:55 (before the week): still waiting
       at the village, due 27 November — overdue on 1 December."""
    cadre, worker = a.users["village_cadre"], a.users["community_worker"]
    far = a.users["far_cadre"]
    _at(clock, 24, 23, 55)
    a4 = h.raise_appeal(a, actor=None)  # the grants start on the 25th
    _at(clock, 25, 9, 30)
    a1 = h.raise_appeal(a, channel="counter")
    a2 = h.raise_appeal(
        a,
        channel="hotline",
        category=a.categories.neighbours,
        reporter=None,
        reporter_name="王大海",
        reporter_mobile="13900001111",
    )
    a3 = h.raise_appeal(
        a,
        actor=far,
        channel="visit",
        area=a.far_village,
        reporter=a.world.households[4].head,
    )
    _at(clock, 25, 15)
    services.appeal_take(actor=cadre, appeal=a1)
    services.appeal_settle(actor=cadre, appeal=a1, what_was_done="疏通了排水沟")
    _at(clock, 26, 10)
    services.return_visit_record(actor=worker, appeal=a1, satisfaction="satisfied", method="phone")
    services.appeal_hand_up(actor=cadre, appeal=a2, reason="村里协调未果")
    services.appeal_send_to_department(actor=far, appeal=a3, reason="需执法部门处理")
    _at(clock, 27, 11)
    services.appeal_settle(actor=worker, appeal=a2, what_was_done="社区组织双方调解")
    services.appeal_settle(actor=a.users["city_staff"], appeal=a3, what_was_done="已清理")
    _at(clock, 30, 10)
    services.return_visit_record(
        actor=worker, appeal=a2, satisfaction="dissatisfied", method="visit", note="还在漏水"
    )
    services.return_visit_record(actor=far, appeal=a3, satisfaction="basically", method="phone")
    _at(clock, 1, 10, month=12)
    return {"a1": a1, "a2": a2, "a3": a3, "a4": a4}


def test_median_of_a_histogram():
    assert median(Counter()) is None
    assert median(Counter({3: 1})) == 3
    assert median(Counter({1: 1, 5: 1})) == 3
    assert median(Counter({0: 1, 1: 2})) == 1


def test_figures_counted_from_the_records(a, week):
    report = appeal_report(user=None, area=a.world.district, period=WEEK, today=TODAY)
    t = report.total
    assert t.raised == 3
    assert {k: v for k, v in t.by_channel.items() if v} == {"counter": 1, "hotline": 1, "visit": 1}
    assert t.settled_by_tier == {"village": 1, "community": 0, "street": 0, "department": 1}
    assert t.waiting_by_tier["community"] == 1  # a2, reopened there
    assert (t.settled, t.village_share, t.community_share) == (2, 0.5, 0.5)
    assert (t.handed_up, t.sent_to_department, t.handed_up_appeals) == (1, 1, 1)
    # Working days: a1 settled the day it came (0); a2 and a3 left the village the next
    # working day (1 each); a2 at the community and a3 at the department took one more.
    assert t.days_used["village"] == Counter({0: 1, 1: 2})
    assert t.median_days("village") == 1
    assert t.days_used["community"] == Counter({1: 1})
    assert t.days_used["department"] == Counter({1: 1})
    assert t.median_allowed("village") == 3 and t.in_time_share("village") == 1
    assert t.satisfaction == {"satisfied": 1, "basically": 1, "dissatisfied": 1}
    assert t.content_share == pytest.approx(2 / 3)
    # a4 was raised before the week, but is overdue now whatever its age.
    assert t.overdue_now == 1
    names = {report.category_names[pk]: fig.raised for pk, fig in report.categories.items()}
    assert names == {"环境卫生": 2, "邻里纠纷": 1}


def test_the_periods_edges_are_local_days(a, week):
    before = appeal_report(
        user=None,
        area=a.world.district,
        period=Period(dt.date(2026, 11, 24), dt.date(2026, 11, 24)),
    )
    assert before.total.raised == 1  # a4, at 23:55 on the 24th (Shanghai)
    later = appeal_report(
        user=None, area=a.world.district, period=Period(dt.date(2026, 11, 26), TODAY), today=TODAY
    )
    assert later.total.raised == 0 and later.total.overdue_now == 1


def test_the_areas_edges_and_the_drill_down(a, week):
    district = appeal_report(user=None, area=a.world.district, period=WEEK, today=TODAY)
    by_street = {path: fig.raised for path, fig in district.branches.items()}
    assert by_street == {a.street.path: 2, a.world.streets[1].path: 1}
    street = appeal_report(user=None, area=a.street, period=WEEK, today=TODAY)
    assert street.total.raised == 2 and street.total.overdue_now == 1
    assert set(street.branches) == {c.path for c in a.world.communities[:2]}
    assert street.branches[a.community.path].raised == 2
    village = appeal_report(user=None, area=a.village, period=WEEK, today=TODAY)
    assert set(village.branches) == {a.grid.path} and village.total.raised == 2


def test_a_user_counts_only_what_they_see(a, week):
    mine = appeal_report(user=a.users["far_cadre"], area=a.far_village, period=WEEK, today=TODAY)
    assert mine.total.raised == 1 and mine.total.settled_by_tier["department"] == 1
    sibling = appeal_report(
        user=a.users["sibling_cadre"], area=a.other_village, period=WEEK, today=TODAY
    )
    assert sibling.total.raised == 0 and sibling.total.overdue_now == 0


def test_figure_rows_for_linli_figures(a, week, clock):
    rows = {name: value for name, _label, value in figure_rows(a.world.district, TODAY)}
    assert rows["raised"] == 4  # the past 12 months hold a4 too
    assert rows["channel_counter"] == 2 and rows["category_HJWS"] == 3
    assert rows["village_share"] == 0.5 and rows["overdue_now"] == 1
    assert rows["satisfied_share"] == pytest.approx(0.3333, abs=1e-4)


def test_a_part_adds_its_figures_everywhere(a, week):
    """The disputes' figures join as a part: counted over the same appeals, shown in the rows."""

    def count(cohort, branch):
        for row in cohort.filter(category__code="LLJF").values("category_id"):
            yield None, row["category_id"], "disputes", 1

    part = FigurePart(
        key="test",
        labels=(("disputes", "纠纷"), ("disputes_share", "纠纷占比")),
        count=count,
        shares=(("disputes_share", "disputes", "raised_here"),),
    )
    register_part(part)
    try:
        report = appeal_report(user=None, area=a.world.district, period=WEEK, today=TODAY)
        rows = {name: value for name, _label, value in figure_labels(report)}
        assert rows["disputes"] == 1 and rows["disputes_share"] is None
        assert report.total.as_dict()["disputes"] == 1
    finally:
        figures_module.PARTS[:] = [p for p in figures_module.PARTS if p.key != "test"]


def test_the_disputes_mediated_and_the_agreements_kept(clock, shared):
    """The disputes' part, from known records: of five disputes raised in the week in 文岭一村
    (and one the day before, not counted), four mediated; two agreed, one of them found kept;
    one referred on; one only marked as a dispute. By area, by category and in the rows."""
    a = shared("disputes")
    cadre = a.users["village_cadre"]
    _at(clock, 24, 15)
    before = d.raise_dispute(a, actor=None)  # the grants start on the 25th
    _at(clock, 25, 9, 30)
    d.ready_to_agree(a, before)
    kept, agreed, referred, failing = (d.raise_dispute(a) for _ in range(4))
    marked = h.raise_appeal(a)  # another category, marked a dispute by the handler
    disputes.dispute_mark(actor=cadre, appeal=marked)
    _at(clock, 25, 15)
    for appeal in (kept, agreed, referred, failing):
        d.ready_to_agree(a, appeal)
    d.agree(a, kept)
    d.agree(a, agreed)
    disputes.dispute_refer(
        actor=cadre, appeal=referred, referred_to="litigation", reason="双方分歧过大"
    )
    _at(clock, 30, 10)
    disputes.fulfilment_check_record(actor=cadre, appeal=kept, result="kept", note="已改道")
    _at(clock, 1, 10, month=12)

    report = appeal_report(user=None, area=a.world.district, period=WEEK, today=TODAY)
    expected = {
        "disputes": 5,
        "disputes_mediated": 4,
        "disputes_agreed": 2,
        "disputes_agreed_share": 0.5,
        "disputes_referred": 1,
        "agreements_kept": 1,
        "agreements_kept_share": 0.5,
    }
    total = report.total.as_dict()
    assert {name: total[name] for name in expected} == expected
    rows = {name: value for name, _label, value in figure_labels(report)}
    assert {name: rows[name] for name in expected} == expected
    street = report.branches[a.street.path].as_dict()
    assert (street["disputes"], street["agreements_kept"]) == (5, 1)
    by_category = {
        report.category_codes[pk]: (f.more["disputes"], f.more["disputes_agreed"])
        for pk, f in report.categories.items()
    }
    assert by_category == {"LLTJ": (4, 2), "HJWS": (1, 0)}
    # The village cadre's own dashboard shows them as cards; another area's figures have none.
    mine = appeal_report(user=cadre, area=a.village, period=WEEK, today=TODAY)
    assert mine.total.more["disputes_mediated"] == 4
    far = appeal_report(user=None, area=a.far_village, period=WEEK, today=TODAY)
    assert far.total.as_dict()["disputes"] == 0
    assert far.total.as_dict()["agreements_kept_share"] is None


def test_queries_do_not_grow_with_the_appeals(a, week, clock):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            appeal_report(
                user=a.users["district_leader"], area=a.world.district, period=WEEK, today=TODAY
            )
        return len(captured)

    queries()  # the user's grants are read once, then kept
    first = queries()
    _at(clock, 1, 11, month=12)
    for grid in a.world.grids:
        appeal = h.raise_appeal(
            a,
            actor=None,
            area=grid,
            channel="api",
            reporter=None,
            reporter_name="李明",
            reporter_mobile="13700002222",
            category=a.categories.safety,
        )
        services.appeal_settle(actor=None, appeal=appeal, what_was_done="已处置")
    assert queries() == first


# --- the dashboard -----------------------------------------------------------------------------

URL = "appeals:dashboard"


def _get(client, user, name=URL, **params):
    client.force_login(user)
    return client.get(reverse(name), params)


WEEK_QUERY = {"period": "custom", "start": "2026-11-25", "end": "2026-12-01"}


def test_the_dashboard_shows_the_district(a, week, client):
    leader = a.users["district_leader"]
    response = _get(client, leader, area=a.world.district.pk, **WEEK_QUERY)
    assert response.status_code == 200
    cards = {c["key"]: c["value"] for c in response.context["cards"]}
    assert cards["raised"] == "3" and cards["village_share"] == "50%"
    assert cards["overdue_now"] == "1"
    areas = {r["area"].name: r["raised"] for r in response.context["areas"]}
    assert areas == {"太保庄街道": 2, "王家庄街道": 1}
    # A click on a street's bar opens the street's dashboard, the period kept.
    links = response.context["area_links"]
    assert f"area={a.street.pk}" in links[0] and "start=2026-11-25" in links[0]
    assert b"area-chart-links" in response.content
    assert b"vendor/echarts/echarts.min.js" in response.content


def test_another_areas_leader_sees_nothing_of_it(a, week, client):
    other = a.users["far_street_cadre"]  # 王家庄街道
    assert _get(client, other, area=a.street.pk, **WEEK_QUERY).status_code == 404
    assert _get(client, other, area=a.world.district.pk, **WEEK_QUERY).status_code == 404
    response = _get(client, other, area=a.world.streets[1].pk, **WEEK_QUERY)
    assert response.status_code == 200
    cards = {c["key"]: c["value"] for c in response.context["cards"]}
    assert cards["raised"] == "1" and cards["overdue_now"] == "0"
    assert "文岭" not in response.content.decode()
    export = _get(client, other, "appeals:dashboard_export", area=a.street.pk, **WEEK_QUERY)
    assert export.status_code == 404


@pytest.mark.parametrize("role", ["resident", "city_staff", "administrator"])
def test_who_holds_no_view_of_appeals_is_refused(a, client, role):
    assert _get(client, a.users[role]).status_code == 403


def test_a_wrong_period_is_said_and_the_past_year_shown(a, week, client):
    leader = a.users["district_leader"]
    response = _get(
        client,
        leader,
        area=a.world.district.pk,
        period="custom",
        start="2026-12-01",
        end="2026-11-01",
    )
    assert response.status_code == 400
    assert (
        "结束日期不能早于开始日期" in response.content.decode()
        or "before the start" in response.content.decode()
    )
    export = _get(
        client,
        leader,
        "appeals:dashboard_export",
        area=a.world.district.pk,
        period="custom",
        start="x",
    )
    assert export.status_code == 400


def test_the_workbook_is_masked_and_recorded(a, week, client):
    leader = a.users["district_leader"]
    response = _get(
        client, leader, "appeals:dashboard_export", area=a.world.district.pk, **WEEK_QUERY
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    cells = [
        str(cell)
        for name in book.sheet_names
        for row in book.get_sheet_by_name(name).to_python()
        for cell in row
    ]
    overdue = book.get_sheet_by_name(book.sheet_names[-1]).to_python()
    assert len(overdue) == 2 and overdue[1][0] == week["a4"].number
    head = a.household.head
    assert overdue[1][6] == head.name[0] + "*" * (len(head.name) - 1)
    assert overdue[1][7] == "138****5678"
    assert head.name not in cells and head.mobile not in cells
    assert "13900001111" not in cells
    record = AuditRecord.objects.filter(action="export").order_by("-pk").first()
    assert record is not None and record.actor_id == leader.pk
    assert record.changes["export"] == "appeal_figures" and record.changes["overdue"] == 1
