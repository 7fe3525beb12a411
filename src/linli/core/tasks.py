"""Background jobs of the shared kernel, and their place on the periodic schedule."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from . import periodic
from .jobs import retried


@retried(attempts=5, backoff=10, stale_after=900)
@task()
def send_notifications() -> int:
    """Send the notifications waiting in the outbox (通知发送); returns how many were sent.

    Queued when a notification is written, and every minute from the schedule for the
    messages whose earlier attempt failed. Idempotent: a message is sent once, under its row's
    lock, and a run that finds nothing to send does nothing."""
    from .senders import send_pending

    return send_pending()


periodic.register("core.send_notifications", send_notifications, every=dt.timedelta(minutes=1))
