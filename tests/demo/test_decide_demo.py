"""The demo's residents decide 由民做主, small build: the source's two stories carried to their end
through the module's services — 工福街社区's morning market on 游麟路 (王大威 proposes, a
parlour meeting with the two departments, a representatives' vote, tasks done on time, the
supervision panel's inspection, residents' ratings) and 苇湾社区's illegal structures (the
building heads' unanimous vote, the removal done) — and a year of matters in 东关街道 at every
stage, dated in the past with their audit trail and timelines; the figures count the records."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db.models import Count

from linli.core.models import Area, AuditRecord, TimelineEvent
from linli.core.periods import period_of
from linli.decide import rules
from linli.decide.choices import (
    AttendeeRole,
    ClosedBecause,
    MatterChannel,
    Rating,
    Stage,
    TaskState,
    VoteResult,
    VoteState,
)
from linli.decide.figures import decide_report
from linli.decide.models import (
    Ballot,
    Commitment,
    Matter,
    MatterTask,
    ResidentRating,
    Vote,
)
from linli.decide.selectors import board_matters
from linli.demo import data
from linli.demo import decide_data as d
from linli.registry.models import Resident

from ..demo_district import module_demo

pytestmark = pytest.mark.slow

BUILT_ON = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The small district, shared with the other demo modules built on the same day
    (tests/demo_district.py)."""
    with django_db_blocker.unblock(), module_demo(BUILT_ON, seed=data.DEFAULT_SEED) as summary:
        yield summary


@pytest.fixture
def today(demo, db) -> dt.date:
    return demo.today


def _street() -> Area:
    return Area.objects.get(name=data.URBAN_STREETS[0].name, kind="street")


def _matter(title: str) -> Matter:
    return Matter.objects.select_related("area", "proposer__account").get(title=title)


def _only_vote(matter: Matter) -> Vote:
    return matter.votes.get()


def test_the_morning_market_is_settled_as_the_source_tells(today):
    s = d.MORNING_MARKET
    matter = _matter(s["title"])
    assert matter.area.name == data.GONGFU_COMMUNITY
    assert (matter.stage, matter.round) == (Stage.DONE, 1)
    assert matter.proposer.name == "王大威"
    assert matter.proposer.account.username == "wang_dawei"
    assert matter.channel == MatterChannel.RESIDENT_PHONE
    opinions = list(matter.opinions.select_related("collected_by"))
    assert [(o.name, o.text) for o in opinions] == list(s["opinions"])
    assert {o.collected_by.username for o in opinions} == {"gongfu_collector"}
    assert matter.supports.count() == s["supporters"]
    options = list(matter.options.select_related("written_by__account"))
    assert [o.title for o in options] == [title for title, _ in s["options"]]
    assert {o.written_by.account.username for o in options} == {"gongfu_panel"}

    meeting = matter.meetings.get()
    assert (meeting.kind, meeting.title) == ("parlour", s["meeting"]["title"])
    assert meeting.minutes == s["meeting"]["minutes"] and meeting.held_at is not None
    departments = meeting.invitees.filter(role=AttendeeRole.DEPARTMENT)
    assert {i.organisation.name for i in departments} == set(s["meeting"]["departments"])
    assert all(i.present for i in departments)

    vote = _only_vote(matter)
    rules_given = s["vote"]
    assert (vote.body, vote.quorum_percent, vote.majority) == (
        rules_given["body"],
        rules_given["quorum"],
        rules_given["majority"],
    )
    assert (vote.state, vote.result) == (VoteState.CLOSED, VoteResult.PASSED)
    representatives = Resident.objects.filter(
        household__area__path__startswith=matter.area.path, tag_links__tag__name="居民代表"
    )
    assert vote.roll_size == representatives.count() == vote.roll.count() > 0
    cast = Ballot.objects.filter(vote=vote).count()
    assert rules.quorum_met(cast, vote.roll_size, vote.quorum_percent)
    assert vote.winning_option.label == s["options"][0][0] == matter.decision
    assert vote.opened_at < vote.closed_at < meeting.held_at + dt.timedelta(hours=3)

    tasks = list(matter.tasks.select_related("organisation"))
    assert [(t.title, t.organisation.name, t.owner_name) for t in tasks] == [
        tuple(task) for task in s["tasks"]
    ]
    for task in tasks:
        assert (task.state, task.percent) == (TaskState.DONE, 100)
        assert task.done_at.date() <= task.due_on  # on time
        assert task.reports.order_by("-reported_at").first().percent == 100
    inspection = matter.inspections.select_related("inspector", "recorded_by").get()
    assert inspection.passed and inspection.inspector.name == "高秀兰"
    assert inspection.recorded_by.username == "gongfu_supervisor"
    ratings = Counter(matter.ratings.values_list("rating", flat=True))
    assert sum(ratings.values()) == len(s["ratings"])
    assert ratings[Rating.SATISFIED] > sum(ratings.values()) / 2
    assert not ratings[Rating.DISSATISFIED]
    assert matter in board_matters(None)  # 工福街社区's board is open to everyone


def test_the_building_heads_remove_the_illegal_structures_unanimously(today):
    s = d.ILLEGAL_STRUCTURES
    matter = _matter(s["title"])
    assert (matter.area.name, matter.stage) == (data.WEIWAN_COMMUNITY, Stage.DONE)
    assert matter.raised_by.username == "weiwan_secretary"
    meeting = matter.meetings.get()
    assert meeting.kind == "residents_decide" and meeting.minutes == s["meeting"]["minutes"]
    heads = Resident.objects.filter(
        household__area__path__startswith=matter.area.path, tag_links__tag__name="楼长"
    )
    assert heads.count() == len(data.URBAN_STREETS[0].communities[1].villages)  # one a 楼院
    assert set(
        meeting.invitees.filter(role=AttendeeRole.BUILDING_HEAD).values_list(
            "resident_id", flat=True
        )
    ) == set(heads.values_list("pk", flat=True))

    vote = _only_vote(matter)
    assert (vote.body, vote.majority, vote.quorum_percent) == ("building_heads", "unanimous", 80)
    assert (vote.state, vote.result) == (VoteState.CLOSED, VoteResult.PASSED)
    assert vote.roll_size == heads.count()
    tally = Counter(Ballot.objects.filter(vote=vote).values_list("choice__label", flat=True))
    assert tally == {s["decision"]: heads.count()}  # every building head, for
    assert rules.quorum_met(sum(tally.values()), vote.roll_size, vote.quorum_percent)
    assert matter.decision == s["decision"]
    task = matter.tasks.select_related("organisation").get()
    assert task.organisation.name == s["tasks"][0][1]
    assert task.state == TaskState.DONE and task.done_at.date() <= task.due_on
    assert matter.inspections.get().passed
    assert matter.ratings.count() == len(s["ratings"])


def test_the_stories_happened_in_the_past_with_their_trail(today):
    """Through the services, on the days they happened: each matter's creation is audited at
    its time and starts its timeline; the stage spells follow each other."""
    content_type = ContentType.objects.get_for_model(Matter)
    for matter in Matter.objects.filter(area__path__startswith=_street().path):
        assert matter.created_at.date() < today
        created = AuditRecord.objects.get(
            action="create", object_type="decide.matter", object_id=str(matter.pk)
        )
        assert created.at == matter.created_at
        lines = TimelineEvent.objects.filter(content_type=content_type, object_id=matter.pk)
        assert lines.order_by("at", "pk").first().at == matter.created_at
        assert lines.filter(at__date__gte=today).count() == 0
        spells = list(matter.spells.order_by("entered_at", "pk"))
        assert spells[0].entered_at == matter.created_at
        for earlier, later in zip(spells, spells[1:], strict=False):
            assert earlier.left_at == later.entered_at
    market = _matter(d.MORNING_MARKET["title"])
    assert (
        AuditRecord.objects.filter(
            object_type="decide.ballot", object_id=str(_only_vote(market).pk)
        ).count()
        == Ballot.objects.filter(vote__matter=market).count()
    )


def test_a_year_of_matters_at_every_stage(today):
    matters = Matter.objects.filter(area__path__startswith=_street().path)
    assert 32 <= matters.count() <= 62
    stages = Counter(matters.values_list("stage", flat=True))
    assert all(stages[stage] for stage in Stage.values), stages
    assert stages[Stage.DONE] >= 5
    closed = Counter(matters.values_list("closed_because", flat=True))
    for why in (ClosedBecause.MERGED, ClosedBecause.DROPPED, ClosedBecause.REJECTED):
        assert closed[why], why
    assert matters.filter(merged_into__isnull=False).count() == closed[ClosedBecause.MERGED]
    results = Counter(Vote.objects.filter(matter__in=matters).values_list("result", flat=True))
    assert results[VoteResult.NO_QUORUM] >= 1 and results[VoteResult.FAILED] >= 1
    assert Vote.objects.filter(matter__in=matters, state=VoteState.OPEN).exists()
    assert matters.filter(round=2, stage=Stage.MANAGE).exists()  # sent back by its ratings
    late = [
        t for t in MatterTask.objects.filter(state=TaskState.DONE) if t.done_at.date() > t.due_on
    ]
    assert late  # not every task on time
    communities = matters.values("area").annotate(n=Count("pk"))
    assert len(communities) == len(data.URBAN_STREETS[0].communities)
    assert Commitment.objects.filter(area__path__startswith=_street().path).count() >= 2


def test_the_figures_count_the_records(today):
    street = _street()
    period = period_of("12m", today)
    report = decide_report(user=None, area=street, period=period, today=today)
    raised = Matter.objects.filter(
        area__path__startswith=street.path,
        created_at__date__gte=period.start,
        created_at__date__lte=period.end,
    )
    f = report.total
    assert f.raised == raised.count() > 0
    assert dict(f.by_stage) == dict(Counter(raised.values_list("stage", flat=True)))
    closed = Vote.objects.filter(matter__area__path__startswith=street.path, state="closed")
    assert f.votes == closed.count()
    assert f.ballots == Ballot.objects.filter(vote__in=closed).count()
    assert f.rated == ResidentRating.objects.filter(matter__in=raised).count()
    assert f.tasks_done == MatterTask.objects.filter(matter__in=raised, state="done").count()
    assert 0 < f.on_time_share < 1
    out = StringIO()
    call_command("figures", "--json", stdout=out)
    figures = json.loads(out.getvalue())["decide"]
    everywhere = Matter.objects.filter(
        created_at__date__gte=period.start, created_at__date__lte=period.end
    )
    assert figures["matters_raised"] == everywhere.count()
    assert figures["at_done"] == everywhere.filter(stage=Stage.DONE).count()
    assert figures["votes_passed"] == Vote.objects.filter(result=VoteResult.PASSED).count()


def test_the_notifications_the_stories_queued_wait_from_the_build_not_the_story(today):
    """The stories' steps queue notifications at the story's moment; waiting when the build
    ends, they count from the build, so `/readyz` does not take them for a dead worker's."""
    from linli.core.health import job_queue_check, oldest_ready_job_age

    age = oldest_ready_job_age()
    assert age is not None and age < dt.timedelta(minutes=5)
    assert job_queue_check().ok
