"""The demo's stopped clock: the services write what happened on the day it happened.

The services read the time from `django.utils.timezone.now()` (and `localdate()`, which reads
it), and the models' `default=timezone.now` read it through the same function. Inside
`stopped_clock(at)` that function tells the clock's time, which the builder sets before each
step of its story (`clock.at = …`), so the records, their audit trail and their timelines carry
the story's dates, as if each step had been taken then. The clock is put back on leaving.

Only the builder uses it, in one thread, for the length of its step.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

from django.utils import timezone as django_timezone

_REAL = django_timezone.datetime


class StoppedClock:
    """The time the services read while the clock is stopped; the builder moves it."""

    def __init__(self, at: dt.datetime):
        self.at = at

    @property
    def at(self) -> dt.datetime:
        return self._at

    @at.setter
    def at(self, value: dt.datetime) -> None:
        if value.tzinfo is None:
            raise ValueError("the stopped clock reads an aware time")
        self._at = value


@contextlib.contextmanager
def stopped_clock(at: dt.datetime) -> Iterator[StoppedClock]:
    """`django.utils.timezone.now()` reads the clock's time for the length of the block."""
    clock = StoppedClock(at)

    class _Stopped(_REAL):
        @classmethod
        def now(cls, tz=None):
            if tz is None:
                return clock.at.astimezone().replace(tzinfo=None)
            return clock.at.astimezone(tz)

    if django_timezone.datetime is not _REAL:
        raise RuntimeError("the demo clock is stopped already")
    django_timezone.datetime = _Stopped
    try:
        yield clock
    finally:
        django_timezone.datetime = _REAL
