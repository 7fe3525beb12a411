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


@retried(attempts=3, backoff=60, stale_after=900)
@task()
def audit_checkpoint() -> int:
    """Check the audit records written since the last checkpoint and write the chain's end to
    the checkpoint file outside the database (审计检查点); returns the records checked.

    Hourly from the schedule. A chain that no longer matches the last checkpoint is logged as an
    error and gets no new checkpoint, so the evidence stays as it was found."""
    from . import audit

    return audit.checkpoint().checked


@retried(attempts=3, backoff=10, stale_after=300)
@task()
def audit_seal() -> int:
    """Chain the audit records written since the last seal (审计封存); returns how many.

    Every job worker seals every few seconds between jobs (LINLI_AUDIT_SEAL_SECONDS); this
    run every minute from the schedule is for the rest of the time. Idempotent: records are
    chained once, and a run that finds another sealer at work leaves it to that one."""
    from . import audit

    return audit.seal(wait=False)


periodic.register("core.send_notifications", send_notifications, every=dt.timedelta(minutes=1))
periodic.register("core.audit_checkpoint", audit_checkpoint, every=dt.timedelta(hours=1))
periodic.register("core.audit_seal", audit_seal, every=dt.timedelta(minutes=1))
