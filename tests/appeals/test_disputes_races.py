"""Two mediators recording on the same dispute at the same moment, in two threads with their own
database connections: one wins, the other is told in a `Conflict`, and nothing is recorded twice.
Runs on SQLite (a file database shared by the threads) and on PostgreSQL (row locks)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from linli.appeals.disputes import services as disputes
from linli.appeals.models import Agreement, Dispute, MediationSession
from linli.core.errors import Conflict
from linli.core.models import TimelineEvent

from . import dispute_helpers as d
from . import helpers as h
from .test_races import _at_once

pytestmark = pytest.mark.django_db(transaction=True)

SHARED = {"appeals": h.build_appeals, "disputes": d.build_disputes}


@pytest.fixture
def a(shared):
    with time_machine.travel(h.WORLD_CLOCK, tick=False):
        yield shared("disputes")


def _agree(actor, appeal, version, terms):
    return lambda: disputes.agreement_record(
        actor=actor,
        appeal=appeal,
        facts="排水沟纠纷",
        terms=terms,
        signed_on=timezone.localdate(),
        expected_version=version,
    )


def test_two_mediators_record_the_agreement_at_once_one_wins(a):
    appeal = d.raise_dispute(a)
    d.ready_to_agree(a, appeal)
    version = Dispute.objects.get(appeal=appeal).version
    outcomes = _at_once(
        _agree(a.users["village_cadre"], appeal, version, "十日内改道"),
        _agree(a.users["grid_worker"], appeal, version, "二十日内改道"),
    )
    won = [o for o in outcomes if isinstance(o, Agreement)]
    lost = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert Agreement.objects.count() == 1
    appeal = h.fresh(appeal)
    assert appeal.state == "settled" and won[0].terms in appeal.settlement
    assert TimelineEvent.objects.filter(object_id=appeal.pk, verb="dispute_agreed").count() == 1
    assert TimelineEvent.objects.filter(object_id=appeal.pk, verb="settled").count() == 1


def test_two_mediators_record_a_session_from_the_same_page_one_is_told(a):
    appeal = d.raise_dispute(a)
    first, second = d.ready_to_agree(a, appeal)
    version = Dispute.objects.get(appeal=appeal).version

    def session(actor, notes):
        return lambda: disputes.session_record(
            actor=actor,
            appeal=appeal,
            held_at=timezone.now() - dt.timedelta(minutes=10),
            place="村委会",
            attended=[first, second],
            notes=notes,
            expected_version=version,
        )

    outcomes = _at_once(
        session(a.users["village_cadre"], "第二次调解"),
        session(a.users["grid_worker"], "第二次调解（重复）"),
    )
    won = [o for o in outcomes if isinstance(o, MediationSession)]
    lost = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert MediationSession.objects.filter(dispute__appeal=appeal).count() == 2
    assert Dispute.objects.get(appeal=appeal).version == version + 1
