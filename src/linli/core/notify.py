"""Notifications 通知: messages to residents and staff, sent through pluggable senders.

Services call `notify(...)` inside their transaction. It writes an outbox row
(`core.Notification`) and, once the transaction commits, queues the job that sends it; so a
message is never sent for work that was rolled back, and never lost when a sender or a worker
fails (the row stays pending and is retried). A `dedupe_key` makes queuing the same message
twice a no-op — the escalation job uses it to notify once per step per day. However many
messages one transaction writes, it queues the sending job once.

The message is an English msgid with parameters, translated when it is sent, like a timeline
line. Delivery (senders, retries) is in `send_pending` and the job `core.tasks.send_notifications`.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.functional import Promise

from .models import Notification


def notify(
    *,
    message: str,
    params: dict | None = None,
    to_resident=None,
    to_user=None,
    subject=None,
    dedupe_key: str | None = None,
) -> Notification | None:
    """Queue one message to a resident (by their phone) or a staff member (by their account).
    Returns the outbox row, or None when a message with the same `dedupe_key` exists."""
    if isinstance(message, Promise):
        raise TypeError("pass the msgid marked with gettext_noop, not a lazily translated string")
    if to_resident is None and to_user is None:
        raise ValueError("a notification needs a recipient")
    row = Notification(
        recipient_resident=to_resident,
        recipient_user=to_user,
        message=message,
        params=params or {},
        subject_type=subject._meta.label_lower if subject is not None else "",
        subject_id=str(subject.pk) if subject is not None else "",
        dedupe_key=dedupe_key,
    )
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    _queue_delivery()
    return row


def _queue_delivery() -> None:
    """Queue the sending job once the transaction commits: once per transaction, however many
    messages it writes (an escalation run writes hundreds)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        callback is _enqueue_sending for _ids, callback, _robust in connection.run_on_commit
    ):
        return
    transaction.on_commit(_enqueue_sending)


def _enqueue_sending() -> None:
    from .tasks import send_notifications

    send_notifications.enqueue()
