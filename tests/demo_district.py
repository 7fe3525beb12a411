"""The small demo district in the test database, built once in a test process and put back from
a copy of the database afterwards (tests/database_copy.py): a build is ~10 s, putting it back
well under one. The browser stories take it through `demo_site` (tests/e2e/conftest.py), the
demo district's own test modules through `module_demo`.

A copy stands for a build of the same size and seed for the same day, with the same audit keys
(`database_copy.matches`); the build's summary and the moment the build ended are kept with it.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import time_machine
from django.core.management import call_command
from django.utils import timezone

from linli.demo import data

from . import database_copy

if TYPE_CHECKING:  # the builder's models load once Django is set up
    from linli.demo.builder import DemoSummary


@dataclass
class _Built:
    copy: database_copy.DatabaseCopy
    summary: DemoSummary
    finished_at: dt.datetime  # the clock when the build ended


# The demo districts built in this test process: (size, seed, the day built for) → copy.
_BUILT: dict[tuple[str, int, dt.date], _Built] = {}


def _found(size: str, seed: int, day: dt.date) -> _Built | None:
    built = _BUILT.get((size, seed, day))
    return built if built is not None and database_copy.matches(built.copy) else None


def _build(size: str, seed: int) -> DemoSummary:
    from linli.demo.builder import build_demo

    summary = build_demo(seed=seed, size=size)
    _BUILT[(size, seed, timezone.localdate())] = _Built(
        database_copy.take(), copy.deepcopy(summary), timezone.now()
    )
    return summary


def demo_in_database(*, size: str, seed: int = data.DEFAULT_SEED) -> DemoSummary:
    """The demo district of `size`, built for today, in the (committed, empty) test database:
    put back from this process's copy where it has one, built and copied otherwise."""
    built = _found(size, seed, timezone.localdate())
    if built is None:
        return _build(size, seed)
    database_copy.restore(built.copy)
    return copy.deepcopy(built.summary)


@contextlib.contextmanager
def module_demo(
    built_on: dt.datetime, *, size: str = "small", seed: int = data.DEFAULT_SEED
) -> Iterator[DemoSummary]:
    """The demo district for a test module, committed to the (empty) test database, with the
    clock running from the end of its build at `built_on` as if the module had built it: built
    here the first time, put back from the copy after that. The database is emptied afterwards,
    as after a transactional test (the migration's working-day calendar put back). Call it with
    the database unblocked."""
    built = _found(size, seed, timezone.localdate(built_on))
    try:
        if built is None:
            with time_machine.travel(built_on, tick=True):
                yield _build(size, seed)
        else:
            with time_machine.travel(built.finished_at, tick=True):
                database_copy.restore(built.copy)
                yield copy.deepcopy(built.summary)
    finally:
        empty_database()


def empty_database() -> None:
    """Every table emptied as a transactional test's end empties them (the content types and
    permissions made again), then what the migrations seed put back as after such a test."""
    from django.contrib.contenttypes.models import ContentType

    from .conftest import _drop_counter_sequences, _seed_calendar_as_the_migration_does

    call_command("flush", verbosity=0, interactive=False, reset_sequences=False)
    ContentType.objects.clear_cache()
    _seed_calendar_as_the_migration_does()
    _drop_counter_sequences()
