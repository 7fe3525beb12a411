"""The demo district's year of appeals 诉求, small build: the categories made through the
services, appeals from every channel settled mostly in the village, some handed up, a few sent
to a department, return visits mostly 满意, needs found on visits handed on to their appeals,
the timeline of each; the same seed gives the same year; `linli figures` prints them."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from linli.appeals.choices import AppealChannel, Satisfaction, StepOutcome, Tier
from linli.appeals.figures import appeal_report
from linli.appeals.models import Appeal, AppealCategory, AppealStep, ReturnVisit
from linli.core.models import Area, AuditRecord, TimelineEvent
from linli.demo import appeals as demo_appeals
from linli.demo import data
from linli.registry.models import Household
from linli.visits.models import Need

from ..demo_district import module_demo

pytestmark = pytest.mark.slow

BUILT_ON = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The small district built with the clock at BUILT_ON (and running on from there) for the
    build and the module's tests: once per test process, put back from its copy for the other
    modules that build it on the same day (tests/demo_district.py), and emptied after the
    module. Each test still runs in its own transaction."""
    with django_db_blocker.unblock(), module_demo(BUILT_ON, seed=data.DEFAULT_SEED) as summary:
        yield summary


@pytest.fixture
def today(demo, db):
    return demo.today


def test_the_categories_come_through_the_services(today):
    categories = AppealCategory.objects.select_related("current__department")
    assert {c.name for c in categories} >= {
        "环境卫生",
        "道路设施",
        "邻里纠纷",
        "物业管理",
        "治安隐患",
        "政策咨询",
    }
    sanitation = categories.get(code="HJWS").current
    assert (sanitation.village_days, sanitation.department.name) == (3, "峡山区住房和城乡建设局")
    assert categories.get(code="LLJF").current.department is None
    created = AuditRecord.objects.filter(object_type="appeals.appealcategory", action="create")
    assert created.count() == categories.count()


def test_a_proportionate_year_from_every_channel(demo, today):
    households = Household.objects.count()
    appeals = Appeal.objects.all()
    assert 0.03 * households <= appeals.count() <= 0.09 * households
    assert demo.counts["appeals"] == appeals.count()
    channels = dict(appeals.values_list("channel").annotate(n=Count("pk")))
    assert set(channels) == set(AppealChannel.values) and min(channels.values()) > 0
    first = appeals.order_by("created_at").first().created_at
    assert timezone.localtime(first).date() >= today - dt.timedelta(days=366)
    assert not appeals.filter(created_at__gte=timezone.now()).exists()


def test_most_are_settled_in_the_village_some_go_up_a_few_to_departments(today):
    district = Area.objects.get(parent=None)
    report = appeal_report(user=None, area=district, today=today)
    t = report.total
    assert t.raised > 0 and 0.65 <= t.village_share <= 0.92
    assert all(t.settled_by_tier[tier] > 0 for tier in (Tier.VILLAGE, Tier.COMMUNITY))
    assert t.handed_up > 0 and t.sent_to_department > 0
    assert t.sent_to_department < t.handed_up < t.settled_by_tier[Tier.VILLAGE]
    assert t.return_visits > 0 and t.satisfaction_share(Satisfaction.SATISFIED) > 0.6
    assert t.satisfaction[Satisfaction.DISSATISFIED] < t.satisfaction[Satisfaction.SATISFIED] / 5
    steps = AppealStep.objects.filter(outcome=StepOutcome.SENT_TO_DEPARTMENT)
    assert not steps.filter(appeal__category_version__department__isnull=True).exists()


def test_the_records_are_what_the_services_leave(today):
    open_steps = AppealStep.objects.filter(ended_at__isnull=True)
    assert open_steps.count() == Appeal.objects.filter(state__in=["waiting", "taken"]).count()
    for appeal in Appeal.objects.select_related("tier_area", "department")[:200]:
        steps = list(appeal.steps.order_by("order"))
        assert steps[0].started_at == appeal.created_at
        assert steps[-1].tier == appeal.tier
        if appeal.state in ("settled", "closed"):
            assert steps[-1].outcome == "settled" and appeal.due_on is None
        else:
            assert steps[-1].ended_at is None and appeal.due_on == steps[-1].due_on
        for before, after in zip(steps, steps[1:], strict=False):
            assert before.ended_at <= after.started_at
    closed = Appeal.objects.filter(state="closed")
    assert not closed.filter(return_visits__isnull=True).exists()
    assert (
        ReturnVisit.objects.filter(step__outcome="settled").count() == ReturnVisit.objects.count()
    )
    timeline = TimelineEvent.objects.filter(content_type__model="appeal")
    assert timeline.filter(verb="created").count() == Appeal.objects.count()
    assert AuditRecord.objects.filter(object_repr="demo: a year of appeals").count() == 1


def test_needs_found_on_visits_are_handed_on(today):
    from_visits = Appeal.objects.filter(channel=AppealChannel.VISIT)
    needs = Need.objects.filter(appeal__isnull=False).select_related("visit", "appeal")
    assert needs.count() == from_visits.count() > 0
    for need in needs[:100]:
        assert need.household_id == need.appeal.household_id == need.visit.household_id
        assert need.visit.visited_on == timezone.localtime(need.appeal.created_at).date()


def test_the_same_seed_gives_the_same_year(today):
    households = list(
        Household.objects.filter(head__isnull=False)
        .order_by("pk")
        .values_list("pk", "area_id", "head_id")
    )

    def plan():
        year = demo_appeals.Year(seed=data.DEFAULT_SEED, today=today)
        year.year(households)
        return [
            (
                p.appeal.number,
                p.appeal.channel,
                p.appeal.category_id,
                p.appeal.area_id,
                p.appeal.state,
            )
            + tuple((s.tier, s.outcome, s.due_on) for s in p.steps)
            for p in year.planned
        ]

    first = plan()
    assert first and first == plan()


def test_linli_figures_prints_the_appeals(today):
    out = StringIO()
    call_command("figures", "--json", stdout=out)
    appeals = json.loads(out.getvalue())["appeals"]
    assert appeals["raised"] > 0 and 0.65 <= appeals["village_share"] <= 0.92
    assert all(appeals[f"channel_{c}"] > 0 for c in AppealChannel.values)


def test_a_few_disputes_mediated_at_the_village(demo, today):
    """Two disputes in the small demo, in the dispute category: two neighbours of one grid,
    mediated by the village cadre, each settled at the village by its agreement and closed
    after its return visit; one kept at its check, one in the demo logins' village due to be
    checked (on the handler's list); counted by the disputes' figures."""
    from linli.accounts.models import User
    from linli.appeals.disputes.selectors import fulfilment_checks_due
    from linli.appeals.models import Dispute

    disputes = list(
        Dispute.objects.select_related("appeal__category_version", "agreement").order_by("pk")
    )
    assert len(disputes) == 2 and demo.counts["disputes"] == demo.counts["agreements"] == 2
    for dispute in disputes:
        appeal = dispute.appeal
        assert appeal.category_version.dispute and appeal.category.code == "MDTJ"
        assert (appeal.state, appeal.tier) == ("closed", Tier.VILLAGE)
        parties = list(dispute.parties.select_related("resident__household"))
        assert [p.side for p in parties] == ["applicant", "respondent"]
        assert len({p.resident.household.area_id for p in parties}) == 1
        assert dispute.mediator == appeal.handler and dispute.sessions.exists()
        assert dispute.agreement.signed_on <= timezone.localdate(appeal.settled_at)
        assert appeal.return_visits.get().satisfaction == Satisfaction.SATISFIED
        assert appeal.steps.get().outcome == StepOutcome.SETTLED
    assert [d.state for d in disputes] == ["agreed", "fulfilled"]
    cadre = User.objects.get(username="village_cadre")
    assert list(fulfilment_checks_due(user=cadre, today=today)) == [disputes[0].agreement]
    verbs = set(
        TimelineEvent.objects.filter(
            object_id=disputes[1].appeal_id, content_type__model="appeal"
        ).values_list("verb", flat=True)
    )
    assert {"dispute_party_added", "dispute_session", "dispute_agreed", "dispute_checked"} <= verbs
    district = Area.objects.get(parent=None)
    rows = appeal_report(user=None, area=district, today=today).total.as_dict()
    assert (rows["disputes_mediated"], rows["disputes_agreed"], rows["agreements_kept"]) == (
        2,
        2,
        1,
    )
    assert AuditRecord.objects.filter(object_repr="demo: disputes mediated").count() == 1
