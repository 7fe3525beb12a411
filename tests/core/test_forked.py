"""Work handed to a forked child (core/forked.py): the result comes back, a failure falls back
to the caller, and a child nobody waits for is stopped."""

from __future__ import annotations

import os
import time

import pytest

from linli.core.forked import Forked

needs_fork = pytest.mark.skipif(
    not hasattr(os, "fork") or (os.cpu_count() or 1) < 2, reason="needs fork and two cores"
)


def _pid_and_total(numbers: list[int]) -> tuple[int, int]:
    return os.getpid(), sum(numbers)


def _fails_in_child(parent: int) -> str:
    if os.getpid() != parent:
        raise RuntimeError("a child's failure")
    return "done by the caller"


@needs_fork
def test_the_work_runs_in_a_child_and_its_result_comes_back():
    with Forked(_pid_and_total, list(range(100_000))) as forked:
        pid, total = forked.result()
    assert pid not in (0, os.getpid())
    assert total == sum(range(100_000))


def test_without_fork_the_work_runs_in_the_caller():
    with Forked(_pid_and_total, [1, 2, 3], fork=False) as forked:
        assert forked.result() == (os.getpid(), 6)


@needs_fork
def test_a_child_that_fails_leaves_the_work_to_the_caller():
    with Forked(_fails_in_child, os.getpid()) as forked:
        assert forked.result() == "done by the caller"


@needs_fork
def test_a_child_nobody_waits_for_is_stopped_and_reaped():
    with Forked(_pid_and_total, list(range(10))) as forked:
        child = forked.pid
        assert child
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)  # already reaped: no such child any more


def _sleeps_in_child(parent: int) -> str:
    if os.getpid() != parent:
        time.sleep(30)
    return "done by the caller"


@needs_fork
def test_a_child_that_does_not_answer_in_time_is_stopped_and_the_caller_does_the_work():
    with Forked(_sleeps_in_child, os.getpid(), timeout=0.5) as forked:
        child = forked.pid
        assert forked.result() == "done by the caller"
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)
