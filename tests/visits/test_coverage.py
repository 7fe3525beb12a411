"""Coverage 走访覆盖 on a small hand-checked district: period edges, a household that moved,
poor households, needs found and resolved, the five levels, overdue at the end of a period;
the summaries against the records; scope.

The district (the shared `world` fixture): two streets S1 (太保庄街道) and S2 (王家庄街道), each
with two communities of two villages; one household on each village's grid (H1…H8, V1…V8).
Added here: H9 on V1's grid and H10 on V1 itself; H11, who lived on V2's grid until June and
now lives on V3's. 困难户: H1, H5, H9, H10. 党员: the heads of H2 and H5.

The period is the second quarter of 2026 (1 April – 30 June). Visits:
    H1   1 Apr (first day; level 5, by central household H9)   15 May (level 1)
    H3   31 Mar (the day before)          H4   1 Jul (the day after)
    H10  10 May on V1 (level 3)           H11  20 May on V2's grid, before moving to V3
    H5   30 Jun (last day; level 4, to party member 张五)
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from linli.core.scoping import OutOfScope
from linli.hall.catalogue import services as catalogue
from linli.hall.models import Application, ServiceCategory
from linli.registry.models import Household, Post
from linli.visits import coverage
from linli.visits.coverage import (
    calendar_period,
    coverage_by_child,
    coverage_for,
    coverage_live,
    households_not_reached,
    latest_base_overdue,
    overdue_trend,
    recent_periods,
    summaries_refresh,
)
from linli.visits.models import (
    ContactAssignment,
    CoverageSummary,
    HouseholdVisitState,
    Need,
    Visit,
    VisitPolicy,
)

from .. import factories as f

# Its tests that take no shared world read only what they make (the calendar, say).
OTHERS_IGNORE_SHARED = True

pytestmark = pytest.mark.django_db

Q2 = (dt.date(2026, 4, 1), dt.date(2026, 6, 30))
TODAY = dt.date(2026, 7, 15)
REGISTERED = timezone.make_aware(dt.datetime(2025, 1, 1, 9))


def D(month: int, day: int, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


def _assign(level, *, target, starts_on, ends_on=None, **contact):
    target_field = {"Area": "area", "Resident": "resident", "Household": "household"}[
        type(target).__name__
    ]
    scope = target if target_field == "area" else getattr(target, "area", None)
    if target_field == "resident":
        scope = target.household.area
    return ContactAssignment.objects.create(
        level=level,
        contact_name="联系人",
        scope_area=scope,
        starts_on=starts_on,
        ends_on=ends_on,
        **{target_field: target},
        **contact,
    )


def _visit(household, day, *, area=None, assignment=None):
    return Visit.objects.create(
        household=household,
        area=area or household.area,
        visited_on=day,
        channel="home",
        visitor_name="网格员",
        assignment=assignment,
        link_level=assignment.level if assignment else None,
    )


def _need(visit, status="open", application=None):
    return Need.objects.create(
        visit=visit,
        household=visit.household,
        category="livelihood",
        description="屋顶漏雨",
        status=status,
        application=application,
        found_on=visit.visited_on,
    )


def _application(household, state: str) -> Application:
    category = ServiceCategory.objects.get_or_create(name="民政类")[0]
    item = catalogue.item_create(
        actor=None,
        code=f"V{Application.objects.count() + 1}",
        name="临时救助申请",
        category=category,
        mode="on_the_spot",
        time_limit_days=0,
    )
    return Application.objects.create(
        number=f"T{Application.objects.count() + 1:05d}",
        item=item,
        item_version=item.current,
        resident=household.head,
        household=household,
        area=household.area,
        state=state,
    )


@pytest.fixture
def cov(world):
    w = world
    v = SimpleNamespace(world=w, district=w.district, streets=w.streets)
    v.communities, v.villages, grids = w.communities, w.villages, w.grids
    h = {i + 1: hh for i, hh in enumerate(w.households)}
    h[9] = f.household(grids[0], "H00009", head_name="文九")
    h[10] = f.household(w.villages[0], "H00010", head_name="文十")
    h[11] = f.household(grids[1], "H00011", head_name="搬十一")
    Household.objects.update(created_at=REGISTERED)
    poor = f.tag("困难户", "household", sensitive=True)
    for n in (1, 5, 9, 10):
        h[n].tag_links.create(tag=poor)
    party = f.tag("党员", "resident")
    h[2].head.tag_links.create(tag=party)
    h[5].head.tag_links.create(tag=party)
    v.h = h

    leader = Post.objects.create(
        holder_name="王区长", kind="district_leader", area=w.district, starts_on=D(1, 1, 2025)
    )
    contact = {"contact_post": leader}
    a1 = _assign(1, target=w.streets[0], starts_on=D(1, 1), **contact)
    a1_ended = _assign(1, target=w.streets[1], starts_on=D(1, 1), ends_on=D(3, 31), **contact)
    _assign(2, target=w.communities[1], starts_on=D(6, 30), **contact)  # first day: last of Q2
    _assign(2, target=w.communities[2], starts_on=D(7, 1), **contact)  # the day after
    a3 = _assign(3, target=w.villages[0], starts_on=D(1, 1, 2025), ends_on=D(4, 1), **contact)
    a3_now = _assign(3, target=w.villages[0], starts_on=D(4, 2), **contact)
    _assign(3, target=w.villages[4], starts_on=D(1, 1, 2025), ends_on=D(3, 31), **contact)
    a4 = _assign(4, target=h[5].head, starts_on=D(1, 1), **contact)
    a5 = _assign(5, target=h[1], starts_on=D(1, 1), contact_household=h[9])
    _assign(5, target=h[10], starts_on=D(1, 1), ends_on=D(3, 1), contact_household=h[9])
    assert a3.pk != a3_now.pk

    first = _visit(h[1], D(4, 1), assignment=a5)
    _visit(h[1], D(5, 15), assignment=a1)
    before = _visit(h[3], D(3, 31))
    _visit(h[4], D(7, 1))
    on_village = _visit(h[10], D(5, 10), area=w.villages[0], assignment=a3_now)
    moved = _visit(h[11], D(5, 20))
    last = _visit(h[5], D(6, 30), assignment=a4)
    _visit(h[6], D(3, 20), assignment=a1_ended)  # a level-1 visit before the period
    # H11 moves from V2's grid to V3's after the visit.
    Household.objects.filter(pk=h[11].pk).update(area=grids[2])
    h[11].refresh_from_db()

    _need(first, "resolved")
    _need(moved, "open")
    _need(before, "resolved")
    _need(last, "following", _application(h[5], "completed"))  # handed on, since completed
    _need(on_village, "resolved", _application(h[10], "in_progress"))  # follows the application

    quarterly = VisitPolicy.objects.create(is_default=True, every=3, unit="month")
    monthly = VisitPolicy.objects.create(tag=poor, every=1, unit="month")
    for n, hh in h.items():
        HouseholdVisitState.objects.create(
            household=hh,
            policy=monthly if n in (1, 5, 9, 10) else quarterly,
            # Overdue today (15 July): H2, H6 and H9.
            due_on=D(7, 1) if n in (2, 6, 9) else D(8, 1),
        )
    return v


# --- the hand-checked figures ---------------------------------------------------------------


def test_district_in_the_second_quarter(cov):
    c = coverage_live(area=cov.district, start=Q2[0], end=Q2[1], today=TODAY)
    assert c.source == "records"
    assert (c.households, c.households_reached) == (11, 4)  # H1, H5, H10, H11
    assert (c.poor, c.poor_reached) == (4, 3)  # H9 not reached
    assert (c.villages, c.villages_reached) == (8, 3)  # V1, V2 (H11's visit), V5
    assert c.visits == 5
    # Found: H1's (resolved), H11's (open), H5's (its application completed), H10's (stored
    # "resolved" but its application is still in progress). H3's is from 31 March.
    assert (c.needs_found, c.needs_resolved) == (4, 2)
    # Overdue on 30 June (a Tuesday; the last working day before it is 29 June): the poor
    # monthly, the rest quarterly, never-visited counted from registration (2025).
    # H1 (15 May), H2 (never), H4 (1 July is after), H6 (20 March), H7, H8, H9, H10 (10 May).
    assert c.overdue == 8
    levels = {lv.level: (lv.targets, lv.linked, lv.reached) for lv in c.levels}
    assert levels == {
        1: (2, 1, 1),  # S1 linked and visited; S2's link ended on 31 March
        2: (4, 1, 0),  # C2's link starts on the last day; C3's the day after
        3: (8, 1, 1),  # V1 (its link ended on the first day, the next began the day after)
        4: (2, 1, 1),  # 张五 (H5's head) linked and visited; H2's head neither
        5: (11, 2, 1),  # H1 linked (and visited), H9 as its central household
    }
    assert [lv.label for lv in c.levels][0] == "District leader → street"
    assert c.households_percent == 36.4 and c.poor_percent == 75.0
    assert c.levels[1].reached_percent == 0.0


def test_period_edges(cov):
    """The first and last days count, the days either side do not."""
    day_before = coverage_live(area=cov.district, start=D(3, 31), end=D(3, 31), today=TODAY)
    assert (day_before.households_reached, day_before.visits) == (1, 1)  # H3
    first = coverage_live(area=cov.district, start=D(4, 1), end=D(4, 1), today=TODAY)
    assert (first.households_reached, first.visits, first.needs_found) == (1, 1, 1)  # H1
    last = coverage_live(area=cov.district, start=D(6, 30), end=D(6, 30), today=TODAY)
    assert (last.households_reached, last.poor_reached, last.villages_reached) == (1, 1, 1)
    after = coverage_live(area=cov.district, start=D(7, 1), end=D(7, 1), today=TODAY)
    assert (after.households_reached, after.villages_reached) == (1, 1)  # H4
    wider = coverage_live(area=cov.district, start=D(3, 31), end=D(7, 1), today=TODAY)
    assert wider.households_reached == 6 and wider.visits == 7


def test_moved_household_counts_where_it_lives(cov):
    """H11 was visited on V2's grid and lives on V3's now: reached in V3 (and its community
    C2), while V2 is the village reached."""
    c1, c2 = cov.communities[0], cov.communities[1]
    v2, v3 = cov.villages[1], cov.villages[2]
    at = {a: coverage_live(area=a, start=Q2[0], end=Q2[1], today=TODAY) for a in (c1, c2, v2, v3)}
    assert (at[v3].households, at[v3].households_reached) == (2, 1)  # H3, H11
    assert (at[v3].villages, at[v3].villages_reached, at[v3].visits) == (1, 0, 0)
    assert (at[v2].households, at[v2].households_reached) == (1, 0)  # H2
    assert (at[v2].villages, at[v2].villages_reached, at[v2].visits) == (1, 1, 1)
    assert (at[v2].needs_found, at[v3].needs_found) == (1, 0)  # found where the visit was
    assert (at[c1].households, at[c1].households_reached, at[c1].villages_reached) == (4, 2, 2)
    assert (at[c2].households, at[c2].households_reached, at[c2].villages_reached) == (3, 1, 0)


def test_each_area_by_itself(cov):
    s1, s2 = cov.streets
    v1 = cov.villages[0]
    one = coverage_live(area=s1, start=Q2[0], end=Q2[1], today=TODAY)
    two = coverage_live(area=s2, start=Q2[0], end=Q2[1], today=TODAY)
    assert (one.households, one.households_reached, one.poor, one.poor_reached) == (7, 3, 3, 2)
    assert (two.households, two.households_reached, two.poor, two.poor_reached) == (4, 1, 1, 1)
    assert (one.villages_reached, two.villages_reached, one.visits, two.visits) == (2, 1, 4, 1)
    assert [(lv.targets, lv.linked, lv.reached) for lv in one.levels][:3] == [
        (1, 1, 1),
        (2, 1, 0),
        (4, 1, 1),
    ]
    assert [(lv.targets, lv.linked, lv.reached) for lv in two.levels][:3] == [
        (1, 0, 0),
        (2, 0, 0),
        (4, 0, 0),
    ]
    village = coverage_live(area=v1, start=Q2[0], end=Q2[1], today=TODAY)
    assert (village.households, village.households_reached, village.visits) == (3, 2, 3)
    assert [lv.targets for lv in village.levels] == [0, 0, 1, 0, 3]
    grid = coverage_live(area=cov.world.grids[0], start=Q2[0], end=Q2[1], today=TODAY)
    assert (grid.villages, grid.households, grid.households_reached, grid.visits) == (0, 2, 1, 2)


def test_drill_down_adds_up(cov):
    leader = cov.world.users["district_leader"]
    rows = coverage_by_child(user=leader, area=cov.district, start=Q2[0], end=Q2[1], today=TODAY)
    assert [c.area for c in rows] == cov.streets
    total = coverage_live(area=cov.district, start=Q2[0], end=Q2[1], today=TODAY)
    for name in ("households", "households_reached", "poor", "villages", "visits", "overdue"):
        assert sum(getattr(c, name) for c in rows) == getattr(total, name)
    for row in rows:
        alone = coverage_live(area=row.area, start=Q2[0], end=Q2[1], today=TODAY)
        assert row.figures() == alone.figures()
    grids = coverage_by_child(
        user=leader, area=cov.villages[0], start=Q2[0], end=Q2[1], today=TODAY
    )
    assert [(c.area, c.households, c.households_reached) for c in grids] == [
        (cov.world.grids[0], 2, 1)
    ]


def test_households_not_reached(cov):
    leader = cov.world.users["district_leader"]
    rows = households_not_reached(user=leader, area=cov.district, start=Q2[0], end=Q2[1])
    assert sorted(hh.number for hh in rows) == sorted(
        cov.h[n].number for n in (2, 3, 4, 6, 7, 8, 9)
    )
    in_v3 = households_not_reached(user=leader, area=cov.villages[2], start=Q2[0], end=Q2[1])
    assert [hh.number for hh in in_v3] == [cov.h[3].number]


def test_overdue_counts_a_household_from_when_it_is_known(cov):
    """Registered after the period: not overdue in it, unless visits show it was there (a
    register imported after years of visits)."""
    later = timezone.make_aware(dt.datetime(2026, 8, 1, 9))
    Household.objects.filter(pk__in=[cov.h[2].pk, cov.h[6].pk]).update(created_at=later)
    c = coverage_live(area=cov.district, start=Q2[0], end=Q2[1], today=TODAY)
    assert c.overdue == 7  # H2 (never visited) drops out; H6, visited on 20 March, stays


def test_overdue_now_comes_from_the_visit_states(cov):
    """A period still running counts the households due before today."""
    year = coverage_live(area=cov.district, start=D(1, 1), end=D(12, 31), today=TODAY)
    assert year.overdue == 3  # H2, H6, H9
    assert coverage_live(area=cov.streets[1], start=D(7, 1), end=D(7, 31), today=TODAY).overdue == 1


@pytest.mark.parametrize(
    ("every", "unit"), [(1, "month"), (3, "month"), (2, "week"), (10, "day"), (1, "week")]
)
def test_overdue_threshold_agrees_with_due_dates(every, unit):
    """`latest_base_overdue` is the due-date rule turned round: for every last visit around
    it, across month ends, weekends and the National Day and Spring Festival holidays, the
    household is overdue on a day exactly when its due date is before that day."""
    from linli.visits.policies import due_date

    policy = VisitPolicy(every=every, unit=unit)
    for on in (D(10, 9), D(10, 1), D(3, 2), D(2, 24), D(6, 30), D(3, 1, 2027), D(5, 6)):
        threshold = latest_base_overdue(every, unit, on)
        for delta in range(-6, 7):
            base = threshold + dt.timedelta(days=delta)
            due = due_date(last_visited_on=base, registered_on=base, policy=policy)
            assert (due < on) == (base <= threshold), (on, base, due)


# --- the summaries ---------------------------------------------------------------------------


PERIODS = [("month", D(5, 1)), ("quarter", D(4, 1)), ("year", D(1, 1)), ("month", D(7, 1))]


@pytest.mark.parametrize(("kind", "start"), PERIODS)
def test_summaries_give_the_live_figures(cov, kind, start):
    end = coverage.period_bounds(kind, start)[1]
    written = summaries_refresh(periods=[(kind, start)], today=TODAY)
    assert written == len(cov.villages) == 8
    leader = cov.world.users["district_leader"]
    areas = [cov.district, *cov.streets, *cov.communities, *cov.villages]
    for area in areas:
        kept = coverage_for(user=leader, area=area, start=start, end=end, today=TODAY)
        live = coverage_live(area=area, start=start, end=end, today=TODAY)
        assert kept.source == "summary"
        assert kept.figures() == live.figures(), area.name
    children = coverage_by_child(user=leader, area=cov.district, start=start, end=end, today=TODAY)
    assert [c.source for c in children] == ["summary", "summary"]
    for child in children:
        live = coverage_live(area=child.area, start=start, end=end, today=TODAY)
        assert child.figures() == live.figures()


def test_coverage_for_reads_the_summaries(cov):
    """Proof that the rows are what is read: a row changed by hand shows."""
    summaries_refresh(periods=[("quarter", Q2[0])], today=TODAY)
    leader = cov.world.users["district_leader"]
    CoverageSummary.objects.filter(village=cov.villages[7]).update(households=100)
    c = coverage_for(user=leader, area=cov.district, start=Q2[0], end=Q2[1], today=TODAY)
    assert (c.source, c.households) == ("summary", 110)  # H8's 1 became 100
    assert c.computed_at <= timezone.now()


def test_summaries_cost_a_fixed_number_of_queries(cov):
    summaries_refresh(periods=[("year", D(1, 1))], today=TODAY)
    leader = cov.world.users["district_leader"]
    leader.active_grants  # noqa: B018 — read once per request
    with CaptureQueriesContext(connection) as queries:
        coverage_for(user=leader, area=cov.district, start=D(1, 1), end=D(12, 31), today=TODAY)
    assert len(queries) <= 9
    assert not any("visits_visit" in q["sql"] and "assignment" not in q["sql"] for q in queries)


def test_missing_or_stale_summaries_fall_back_to_the_records(cov):
    leader = cov.world.users["district_leader"]

    def source(start=Q2[0], end=Q2[1], area=None):
        area = area or cov.district
        return coverage_for(user=leader, area=area, start=start, end=end, today=TODAY).source

    assert source() == "records"  # nothing kept yet
    summaries_refresh(periods=[("quarter", Q2[0]), ("year", D(1, 1))], today=TODAY)
    assert source() == "summary"
    assert source(start=D(4, 2)) == "records"  # not a calendar period
    assert source(area=cov.world.grids[0]) == "records"  # below the villages
    CoverageSummary.objects.filter(village=cov.villages[3], period_kind="quarter").delete()
    assert source() == "records"  # a village without its row
    assert source(area=cov.streets[1]) == "summary"  # …elsewhere the rows still serve
    # A period over, counted before it ended: not trusted.
    before_the_end = timezone.make_aware(dt.datetime(2026, 6, 30, 12))
    CoverageSummary.objects.filter(period_kind="quarter").update(refreshed_at=before_the_end)
    assert source(area=cov.streets[1]) == "records"
    # A running period (the year, on 15 July) counted more than an hour ago: not trusted.
    year = (D(1, 1), D(12, 31))
    assert source(*year) == "summary"
    CoverageSummary.objects.filter(period_kind="year", village=cov.villages[0]).update(
        refreshed_at=timezone.now() - coverage.SUMMARY_MAX_AGE - dt.timedelta(minutes=1)
    )
    assert source(*year) == "records"
    assert source(*year, area=cov.streets[1]) == "summary"


def test_a_new_village_needs_its_row(cov):
    summaries_refresh(periods=[("quarter", Q2[0])], today=TODAY)
    leader = cov.world.users["district_leader"]
    f.area("新村", "village", cov.communities[3])
    c = coverage_for(user=leader, area=cov.district, start=Q2[0], end=Q2[1], today=TODAY)
    assert (c.source, c.villages) == ("records", 9)
    summaries_refresh(periods=[("quarter", Q2[0])], today=TODAY)
    c = coverage_for(user=leader, area=cov.district, start=Q2[0], end=Q2[1], today=TODAY)
    assert (c.source, c.villages) == ("summary", 9)


def test_refresh_of_some_villages_only(cov):
    v1 = cov.villages[0]
    grid = cov.world.grids[0]
    # Given a grid (or its id), the village it lies in is refreshed.
    assert summaries_refresh(villages=[grid.pk], periods=[("quarter", Q2[0])], today=TODAY) == 1
    row = CoverageSummary.objects.get()
    assert row.village == v1
    live = coverage_live(area=v1, start=Q2[0], end=Q2[1], today=TODAY)
    assert (row.households, row.households_reached, row.visits) == (3, 2, 3)
    assert (row.poor, row.poor_reached, row.needs_found, row.needs_resolved) == (3, 2, 2, 1)
    assert (row.village_linked, row.village_reached) == (True, True)
    assert (row.households_linked, row.households_reached_by_link) == (2, 1)
    assert row.households == live.households and row.overdue == live.overdue == 3
    # Counting again changes nothing but the time.
    summaries_refresh(villages=[v1], periods=[("quarter", Q2[0])], today=TODAY)
    again = CoverageSummary.objects.get()
    assert (again.pk, again.households_reached) == (row.pk, row.households_reached)
    assert again.refreshed_at >= row.refreshed_at


def test_overdue_trend(cov):
    leader = cov.world.users["district_leader"]
    trend = overdue_trend(user=leader, area=cov.district, months=4, today=TODAY)
    assert [day for day, _n in trend] == [D(4, 1), D(5, 1), D(6, 1), D(7, 1)]
    live = [n for _day, n in trend]
    assert live[2] == 8 and live[3] == 3  # end of June (as above); today, from the states
    summaries_refresh(
        periods=[("month", day) for day, _n in trend], period_kinds=["month"], today=TODAY
    )
    CoverageSummary.objects.filter(period_start=D(6, 1)).update(overdue=0)
    kept = overdue_trend(user=leader, area=cov.district, months=4, today=TODAY)
    assert [n for _day, n in kept] == [live[0], live[1], 0, live[3]]  # June read from the rows


# --- periods ---------------------------------------------------------------------------------


def test_calendar_periods():
    assert calendar_period(D(2, 1), D(2, 28)) == "month"
    assert calendar_period(D(1, 1), D(1, 31)) == "month"
    assert calendar_period(D(1, 1), D(3, 31)) == "quarter"
    assert calendar_period(D(10, 1), D(12, 31)) == "quarter"
    assert calendar_period(D(1, 1), D(12, 31)) == "year"
    assert calendar_period(D(2, 1), D(4, 30)) is None
    assert calendar_period(D(1, 2), D(12, 31)) is None
    assert calendar_period(D(2, 1, 2028), D(2, 29, 2028)) == "month"


def test_history_periods_cover_the_trend():
    found = coverage.history_periods(D(7, 15), months=12)
    assert [start for kind, start in found if kind == "month"] == [
        D(m, 1) for m in range(7, 0, -1)
    ] + [D(m, 1, 2025) for m in range(12, 7, -1)]
    assert [start for kind, start in found if kind == "quarter"][-1] == D(7, 1, 2025)
    assert [start for kind, start in found if kind == "year"] == [D(1, 1), D(1, 1, 2025)]
    assert coverage.month_starts(D(1, 31), 3) == [D(11, 1, 2025), D(12, 1, 2025), D(1, 1)]


def test_incomplete_periods(cov):
    periods = [("month", D(5, 1)), ("month", D(6, 1))]
    assert coverage.incomplete_periods(periods) == periods
    summaries_refresh(periods=periods, today=TODAY)
    assert coverage.incomplete_periods(periods) == []
    CoverageSummary.objects.filter(period_start=D(6, 1), village=cov.villages[5]).delete()
    assert coverage.incomplete_periods(periods) == [("month", D(6, 1))]


def test_recent_periods_reach_back_ninety_days():
    found = recent_periods(D(7, 15))
    assert found == [
        ("month", D(7, 1)),
        ("month", D(6, 1)),
        ("month", D(5, 1)),
        ("month", D(4, 1)),
        ("quarter", D(7, 1)),
        ("quarter", D(4, 1)),
        ("year", D(1, 1)),
    ]
    assert ("year", D(1, 1, 2025)) in recent_periods(D(2, 10))


# --- scope -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call", [coverage_for, coverage_by_child, households_not_reached, overdue_trend]
)
def test_outside_the_grant_is_out_of_scope(cov, call):
    users = cov.world.users
    args = {"start": Q2[0], "end": Q2[1]} if call is not overdue_trend else {}
    worker = users["community_worker"]  # 文岭社区 (C1)
    call(user=worker, area=cov.communities[0], **args)  # their own: fine
    for outside in (cov.communities[1], cov.streets[0], cov.district):
        with pytest.raises(OutOfScope):
            call(user=worker, area=outside, **args)
    with pytest.raises(OutOfScope):
        call(user=users["grid_worker"], area=cov.villages[0], **args)
    with pytest.raises(OutOfScope):  # a resident has no visits.view anywhere
        call(user=users["resident"], area=cov.villages[0], **args)
    with pytest.raises(OutOfScope):
        call(user=users["auditor"], area=cov.district, **args)
