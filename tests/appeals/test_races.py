"""Two people (or two workers) acting on the same appeal at the same moment, in two threads with
their own database connections: one wins, the other is told what happened in a `Conflict`, and
nothing is lost or done twice. Runs on SQLite (a file database shared by the threads) and on
PostgreSQL (row locks)."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.db import connection

from linli.appeals import services
from linli.appeals.escalation import escalate_overdue
from linli.appeals.models import Appeal, AppealStep, ReturnVisit
from linli.core.errors import Conflict
from linli.core.models import Notification, TimelineEvent

from . import helpers as h

pytestmark = pytest.mark.django_db(transaction=True)

SHARED = {"appeals": h.build_appeals}


@pytest.fixture
def a(shared):
    with time_machine.travel(h.WORLD_CLOCK, tick=False):
        yield shared("appeals")


def _at_once(*calls):
    """Run the calls in threads released together; each result or the exception it raised."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(timeout=10)
            return call()
        except Exception as error:  # the loser's refusal is the point of the test
            return error
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_two_handlers_take_the_same_appeal_one_wins(a):
    appeal = h.raise_appeal(a)
    cadre, colleague = a.users["village_cadre"], a.users["village_colleague"]
    outcomes = _at_once(
        lambda: services.appeal_take(actor=cadre, appeal=appeal, expected_version=1),
        lambda: services.appeal_take(actor=colleague, appeal=appeal, expected_version=1),
    )
    won = [o for o in outcomes if isinstance(o, Appeal)]
    lost = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    winner = won[0].handler
    assert lost[0].code == "taken" and str(winner) in lost[0].messages[0]
    appeal = h.fresh(appeal)
    assert (appeal.state, appeal.handler, appeal.version) == ("taken", winner, 2)
    assert TimelineEvent.objects.filter(object_id=appeal.pk, verb="taken").count() == 1


def test_settle_and_hand_up_at_once_one_wins_and_nothing_is_lost(a):
    appeal = h.raise_appeal(a)
    cadre, worker = a.users["village_cadre"], a.users["grid_worker"]
    outcomes = _at_once(
        lambda: services.appeal_settle(
            actor=cadre, appeal=appeal, what_was_done="已疏通", expected_version=1
        ),
        lambda: services.appeal_hand_up(
            actor=worker, appeal=appeal, reason="需社区协调", expected_version=1
        ),
    )
    won = [o for o in outcomes if isinstance(o, Appeal)]
    lost = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    appeal = h.fresh(appeal)
    assert appeal.version == 2
    steps = list(AppealStep.objects.filter(appeal=appeal).order_by("order"))
    if appeal.state == "settled":
        assert [(s.outcome, s.note) for s in steps] == [("settled", "已疏通")]
        assert lost[0].code in ("moved", "settled")
    else:
        assert (appeal.state, appeal.tier) == ("waiting", "community")
        assert [(s.outcome, s.note) for s in steps] == [("handed_up", "需社区协调"), ("", "")]
        assert lost[0].code == "moved"


def test_two_return_visits_at_once_record_one(a):
    appeal = h.raise_appeal(a)
    appeal = services.appeal_settle(
        actor=a.users["village_cadre"], appeal=appeal, what_was_done="已疏通"
    )
    version = appeal.version
    outcomes = _at_once(
        lambda: services.return_visit_record(
            actor=a.users["community_worker"],
            appeal=appeal,
            satisfaction="dissatisfied",
            method="phone",
            note="还有积水",
            expected_version=version,
        ),
        lambda: services.return_visit_record(
            actor=a.users["street_cadre"],
            appeal=appeal,
            satisfaction="satisfied",
            method="visit",
            expected_version=version,
        ),
    )
    assert sum(isinstance(o, ReturnVisit) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, Conflict) for o in outcomes) == 1, outcomes
    assert ReturnVisit.objects.filter(appeal=appeal).count() == 1


def test_two_escalation_runs_at_once_hand_up_once(a):
    with time_machine.travel(h.WORLD_CLOCK, tick=False):
        appeals = [h.raise_appeal(a) for _ in range(4)]
    after = dt.date(2026, 12, 1)
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, 0, tzinfo=h.SHANGHAI), tick=False):
        reports = _at_once(
            lambda: escalate_overdue(today=after), lambda: escalate_overdue(today=after)
        )
    assert all(not isinstance(r, Exception) for r in reports), reports
    assert sum(r.handed_up for r in reports) == 4
    for appeal in appeals:
        assert AppealStep.objects.filter(appeal=appeal).count() == 2
        assert h.fresh(appeal).tier == "community"
    assert TimelineEvent.objects.filter(verb="escalated").count() == 4
    assert Notification.objects.filter(recipient_user__isnull=False).count() == 8  # 4 × 2 people
