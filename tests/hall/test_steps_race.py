"""Two people acting at the same moment, in two threads with their own database connections:
one handler wins a step, the other is told who finished it and nothing is lost; two counters
taking applications at once get different numbers, and none is refused for it. Runs on SQLite
(a file database shared by the threads) and on PostgreSQL (row locks)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from linli.hall.applications import services
from linli.hall.models import Application, ApplicationStep

from .. import factories as f
from . import app_helpers as h

pytestmark = pytest.mark.django_db(transaction=True)


SHARED = {"hall": h.build_hall}  # built once for the module on top of `world` (tests/sharing.py)


@pytest.fixture
def hall(shared):
    return shared("hall")


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


def test_two_handlers_finish_the_same_step_one_wins(hall):
    colleague = f.user_with("community_worker", hall.world.communities[0])
    app = h.take(hall, hall.items.illness)
    step = h.active_step(app)
    worker = hall.users["hall_worker"]
    outcomes = _at_once(
        lambda: services.step_finish(actor=worker, step=step, result="approve", note="材料齐全"),
        lambda: services.step_finish(actor=colleague, step=step, result="reject", note="不符合"),
    )
    won = [o for o in outcomes if isinstance(o, ApplicationStep)]
    lost = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    winner = won[0].handler
    assert lost[0].code == "already_finished"
    assert str(winner) in lost[0].messages[0]
    step.refresh_from_db()
    app.refresh_from_db()
    assert step.handler == winner and step.version == won[0].version
    if step.state == "done":
        assert app.state == "in_progress" and app.current_step == 2
        assert step.result_note == "材料齐全"
    else:
        assert step.state == "rejected" and app.state == "rejected"
        assert step.result_note == "不符合"


def test_two_counters_at_once_get_different_numbers(hall):
    colleague = f.user_with("community_worker", hall.world.communities[0])
    other_resident = hall.world.households[1].head
    outcomes = _at_once(
        lambda: h.take(hall, hall.items.residence),
        lambda: h.take(hall, hall.items.residence, actor=colleague, resident=other_resident),
    )
    assert all(isinstance(o, Application) for o in outcomes), outcomes
    numbers = sorted(Application.objects.values_list("number", flat=True))
    assert len(set(numbers)) == 2
    assert int(numbers[1][10:]) == int(numbers[0][10:]) + 1


def test_six_counters_at_once_all_get_a_number_and_none_is_refused(hall):
    """Numbers come from the day's counter: before, each took the day's largest number plus
    one, so counters at the same moment picked the same number, tried again, and after five
    clashes the request failed."""
    clerks = [hall.users["hall_worker"]] + [
        f.user_with("community_worker", hall.world.communities[0]) for _ in range(5)
    ]
    outcomes = _at_once(
        *(lambda clerk=clerk: h.take(hall, hall.items.residence, actor=clerk) for clerk in clerks)
    )
    assert all(isinstance(o, Application) for o in outcomes), outcomes
    serials = sorted(int(o.number[10:]) for o in outcomes)
    assert serials == list(range(serials[0], serials[0] + 6))
