"""The residents-decide figures (decide/figures.py) count what the records hold: matters raised
in the period by category and stage, days at each step from the stage spells, votes closed with
their results and turnout, tasks done on time and overdue now, residents' ratings and party
members' commitments — for the area and each area below it, and only what the user may see; and
`linli figures` has the section."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest

from linli.core.periods import Period
from linli.decide import figures
from linli.decide.choices import Stage
from linli.decide.models import (
    Ballot,
    Commitment,
    CommitmentRecord,
    Matter,
    MatterCategory,
    MatterTask,
    ResidentRating,
    StageSpell,
    Vote,
    VoteOption,
    Voter,
)
from linli.registry import services as registry_services

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOCK = dt.datetime(2026, 11, 25, 9, 30, tzinfo=SHANGHAI)
PERIOD = Period(dt.date(2026, 1, 1), dt.date(2026, 11, 25))


def at(day: int, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, 10, 0, tzinfo=SHANGHAI)


def build(world):
    d = type("D", (), {})()
    d.market = MatterCategory.objects.create(code="JJFW", name="居住环境服务")
    d.culture = MatterCategory.objects.create(code="WHFW", name="文化服务")
    d.community, d.other = world.communities[0], world.communities[2]  # 文岭社区, 东朱社区
    n = iter(range(1, 100))

    def matter(area, category, stage, created):
        return Matter.objects.create(
            number=f"YS{next(n):04d}",
            category=category,
            area=area,
            title="早市占道",
            description="游麟路摊位不按时撤摊",
            channel="staff",
            stage=stage,
            created_at=created,
        )

    d.done = matter(d.community, d.market, Stage.DONE, at(2, 3))
    d.open = matter(d.community, d.culture, Stage.PROPOSE, at(1))
    d.far = matter(d.other, d.market, Stage.MANAGE, at(3, 6))
    d.old = matter(d.community, d.market, Stage.CLOSED, at(3, 6) - dt.timedelta(days=365))
    # Days at each step: propose 4 days, deliberate 10 days (the done matter).
    StageSpell.objects.create(matter=d.done, stage="propose", entered_at=at(2, 3), left_at=at(6, 3))
    StageSpell.objects.create(
        matter=d.done, stage="deliberate", entered_at=at(6, 3), left_at=at(16, 3)
    )
    StageSpell.objects.create(matter=d.open, stage="propose", entered_at=at(1))
    # A vote closed in the period: 4 of 5 cast ballots, it passed.
    vote = Vote.objects.create(
        matter=d.done,
        question="早市8:30前撤摊",
        body="households",
        quorum_percent=50,
        majority="simple",
        method="phone",
        closes_at=at(20, 3),
        state="closed",
        closed_at=at(20, 3),
        roll_size=5,
        result="passed",
    )
    yes = VoteOption.objects.create(vote=vote, label="赞成", order=1)
    for i, household in enumerate(world.households[:4]):
        voter = Voter.objects.create(
            vote=vote, key=f"h{household.pk}", household=household, name=str(i)
        )
        Ballot.objects.create(vote=vote, voter=voter, choice=yes)
    office = registry_services.organisation_create(
        actor=None, name="工福街社区居委会", kind="other", area=d.community
    )

    def task(matter, due, state, done_at=None):
        return MatterTask.objects.create(
            matter=matter,
            title="撤摊",
            organisation=office,
            owner_name="王主任",
            due_on=due,
            state=state,
            done_at=done_at,
            percent=100 if done_at else 0,
        )

    task(d.done, dt.date(2026, 4, 1), "done", at(30, 3))  # on time
    task(d.done, dt.date(2026, 4, 1), "done", at(5, 4))  # late
    task(d.far, dt.date(2026, 11, 1), "open")  # overdue now, in the other community
    for household, rating in zip(
        world.households[:3], ["satisfied", "basically", "dissatisfied"], strict=True
    ):
        ResidentRating.objects.create(
            matter=d.done, household=household, rating=rating, rated_at=at(1, 5)
        )
    person = world.households[0].head
    commitment = Commitment.objects.create(
        resident=person, area=d.community, place="community", text="每周走访独居老人", year=2026
    )
    CommitmentRecord.objects.create(
        commitment=commitment, text="走访3户", done_on=dt.date(2026, 5, 1)
    )
    return d


@pytest.fixture
def d(world):
    # The records carry their own dates; "today" is given to the report (the world's grants
    # begin on the day it is built, so the clock is not moved).
    return build(world)


def report(user, area):
    return figures.decide_report(user=user, area=area, period=PERIOD, today=CLOCK.date())


def test_the_district_counts_what_the_records_hold(world, d):
    r = report(None, world.district)
    t = r.total
    assert t.raised == 3  # the matter raised a year before is outside the period
    assert t.by_stage[Stage.DONE] == 1 and t.by_stage[Stage.PROPOSE] == 1
    assert t.by_stage[Stage.MANAGE] == 1
    assert t.by_category[d.market.pk] == 2 and t.by_category[d.culture.pk] == 1
    assert t.median_days(Stage.PROPOSE) == 4 and t.median_days(Stage.DELIBERATE) == 10
    assert t.median_days(Stage.DECIDE) is None  # no spell there ended
    assert (t.votes, t.roll, t.ballots, t.turnout) == (1, 5, 4, 0.8)
    assert t.by_result["passed"] == 1
    assert (t.tasks_done, t.tasks_on_time, t.on_time_share) == (2, 1, 0.5)
    assert t.tasks_overdue_now == 1
    assert t.rated == 3 and t.content_share == round(2 / 3, 4)
    assert (t.commitments, t.commitment_records) == (1, 1)
    # The streets below: 太保庄街道 holds 文岭社区's matters, 王家庄街道 东朱社区's.
    first, second = (r.branches[s.path] for s in world.streets)
    assert (first.raised, second.raised) == (2, 1)
    assert (first.tasks_overdue_now, second.tasks_overdue_now) == (0, 1)


def test_votes_alike_in_place_result_and_roll_are_each_counted(world, d):
    """Two votes of one community that both passed with a roll of 5: two votes, not one."""
    first = Vote.objects.get(matter=d.done)
    second = Vote.objects.create(
        matter=d.open,
        question="广场舞时间",
        body="households",
        quorum_percent=20,
        majority="simple",
        method="phone",
        closes_at=first.closed_at,
        state="closed",
        closed_at=first.closed_at,
        roll_size=5,
        result="passed",
    )
    yes = VoteOption.objects.create(vote=second, label="赞成", order=1)
    for household in world.households[:2]:
        voter = Voter.objects.create(
            vote=second, key=f"h{household.pk}", household=household, name=household.number
        )
        Ballot.objects.create(vote=second, voter=voter, choice=yes)
    t = report(None, world.district).total
    assert (t.votes, t.roll, t.ballots, t.turnout) == (2, 10, 6, 0.6)
    assert t.by_result["passed"] == 2


def test_a_user_counts_only_the_matters_they_may_see(world, d):
    worker = world.users["community_worker"]  # 文岭社区
    r = report(worker, world.communities[0])
    assert r.total.raised == 2 and r.total.tasks_overdue_now == 0
    village_cadre = world.users["village_cadre"]  # sees only 文岭一村: no matter is there
    assert report(village_cadre, world.communities[0]).total.raised == 0


def test_linli_figures_has_the_section(world, d):
    rows = {
        name: value for name, _label, value in figures.figure_rows(world.district, CLOCK.date())
    }
    assert rows["matters_raised"] == 3  # the past 12 months: the one of June 2025 is out
    assert rows["votes_closed"] == 1 and rows["turnout"] == 0.8
    assert rows["tasks_overdue_now"] == 1


# --- the dashboard ---------------------------------------------------------------------------------


def test_the_dashboard_shows_the_figures_and_drills_down(client, world, d):
    client.force_login(world.users["district_leader"])
    page = client.get("/decide/dashboard/", {"area": world.district.pk, "period": "year"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="figure-raised"' in html and "area-chart" in html
    assert "vendor/echarts/echarts.min.js" in html  # what draws the charts
    assert 'value="12m"' in html and 'value="custom"' in html  # the period can be chosen
    assert html.count('data-testid="area-row"') == 2  # the two streets, each a link down
    street = world.streets[0]
    down = client.get("/decide/dashboard/", {"area": street.pk, "period": "year"})
    assert down.status_code == 200 and street.name in down.content.decode()


def test_the_workbook_is_a_real_excel_file_and_its_export_is_recorded(client, world, d):
    from openpyxl import load_workbook

    from linli.core.models import AuditRecord

    leader = world.users["district_leader"]
    client.force_login(leader)
    response = client.get(
        "/decide/dashboard/export/", {"area": world.district.pk, "period": "year"}
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    figures_sheet = book.worksheets[0]
    values = {row[0]: row[1] for row in figures_sheet.iter_rows(min_row=5, values_only=True)}
    assert values["Matters raised"] == 3  # this year: March, June and November
    assert any(r[0] == "Total: 峡山区" for r in book.worksheets[1].iter_rows(values_only=True))
    assert AuditRecord.objects.filter(
        actor=leader, action="export", changes__export="decide_figures"
    ).exists()


def test_wrong_dates_and_roles_without_the_figures_are_refused(client, world, d):
    leader = world.users["district_leader"]
    client.force_login(leader)
    bad = {
        "area": world.district.pk,
        "period": "custom",
        "start": "2026-05-01",
        "end": "2026-01-01",
    }
    assert client.get("/decide/dashboard/", bad).status_code == 400
    assert client.get("/decide/dashboard/export/", bad).status_code == 400
    client.force_login(world.users["resident"])
    assert client.get("/decide/dashboard/").status_code == 403
    client.force_login(world.users["community_worker"])  # 文岭社区: 东朱社区 is not theirs
    assert client.get("/decide/dashboard/", {"area": world.communities[2].pk}).status_code == 404
