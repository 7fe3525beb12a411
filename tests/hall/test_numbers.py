"""Application numbers 办件编号 (BJ20260928000001) come from a counter per day: one after the
other, on from the numbers already given out before the counter existed (the demo's, a
database from an older release), and seeded by the migration for the days around it. On
PostgreSQL the day's counter is a sequence no request waits for, so a failed request leaves a
gap; on SQLite its number is given again."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from linli.core import counters
from linli.core.models import Counter
from linli.hall.applications import services
from linli.hall.models import Application

from . import app_helpers as h

seeding = importlib.import_module("linli.hall.migrations.0004_application_number_counters")


@pytest.fixture
def hall(world):
    return h.build_hall(world)


def _prefix() -> str:
    return f"BJ{timezone.localdate():%Y%m%d}"


def _renumber(application: Application, serial: int) -> None:
    """Give an application a number as something other than the counter did (the demo)."""
    Application.objects.filter(pk=application.pk).update(number=f"{_prefix()}{serial:06d}")
    Counter.objects.all().delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            sequence = counters.sequence_name(services.NUMBER_COUNTER, _prefix())
            cursor.execute(f"DROP SEQUENCE IF EXISTS {sequence}")


def test_a_days_applications_are_numbered_one_after_the_other(hall):
    numbers = [h.take(hall, hall.items.residence).number for _ in range(3)]
    prefix = _prefix()
    assert numbers == [f"{prefix}000001", f"{prefix}000002", f"{prefix}000003"]
    assert counters.last_drawn(services.NUMBER_COUNTER, prefix) == 3


def test_the_counter_goes_on_from_numbers_given_out_before_it(hall):
    _renumber(h.take(hall, hall.items.residence), 41)
    assert h.take(hall, hall.items.residence).number == f"{_prefix()}000042"


def test_the_migration_seeds_todays_counter_from_the_numbers_already_given_out(hall):
    _renumber(h.take(hall, hall.items.residence), 57)
    seeding.seed_counters(apps, None)
    assert Counter.objects.get(name=services.NUMBER_COUNTER, key=_prefix()).value == 57
    seeding.seed_counters(apps, None)  # run again: the counter does not go back
    assert Counter.objects.get(name=services.NUMBER_COUNTER, key=_prefix()).value == 57
    assert h.take(hall, hall.items.residence).number == f"{_prefix()}000058"


def test_a_rolled_back_application_leaves_a_gap_or_gives_its_number_back(hall, monkeypatch):
    first = h.take(hall, hall.items.residence)

    def fail(*args, **kwargs):
        raise RuntimeError("the route could not be made")

    monkeypatch.setattr(services, "_create_steps", fail)
    with pytest.raises(RuntimeError):
        h.take(hall, hall.items.residence)
    monkeypatch.undo()
    after = h.take(hall, hall.items.residence)
    skipped = 1 if connection.vendor == "postgresql" else 0  # the failed request's draw
    assert int(after.number[10:]) == int(first.number[10:]) + 1 + skipped
