"""Notification senders 消息发送通道: console by default, SMS and WeChat by plugging in.

`LINLI_NOTIFICATION_SENDER` names a class with `channel` and `send(notification, text) -> None`
(raising `SendError` on failure). `send_pending` delivers the outbox, each row once: a row is
claimed by moving it from pending to sent inside a row lock, so two workers never send the same
message twice.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from . import timeline
from .masking import mask_mobile
from .models import Notification, NotificationState

logger = logging.getLogger("linli.notify")

MAX_ATTEMPTS = 5


class SendError(Exception):
    """A sender could not deliver a message (the gateway refused it or did not answer)."""


class ConsoleSender:
    """Writes each message to the log: the default, and what the demo and tests use."""

    channel = "console"

    def send(self, notification: Notification, text: str) -> None:
        logger.info("notification to %s: %s", _recipient_label(notification), text)


def _recipient_label(notification: Notification) -> str:
    if notification.address:
        return mask_mobile(notification.address)
    return f"user {notification.recipient_user_id}"


def sender():
    path = getattr(settings, "LINLI_NOTIFICATION_SENDER", "linli.core.senders.ConsoleSender")
    return import_string(path)()


def message_text(notification: Notification) -> str:
    """The message in Chinese: residents read their messages in the language of the place."""
    with translation.override("zh-hans"):
        return timeline.render(notification.message, notification.params)


def _address(notification: Notification) -> str:
    resident = notification.recipient_resident
    return resident.mobile if resident is not None else ""


def send_pending(limit: int = 500) -> int:
    """Send up to `limit` pending messages; returns how many were sent."""
    ids = list(
        Notification.objects.filter(
            state=NotificationState.PENDING, attempts__lt=MAX_ATTEMPTS
        ).values_list("pk", flat=True)[:limit]
    )
    return sum(_send_one(pk) for pk in ids)


def _send_one(pk: int) -> bool:
    out = sender()
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update()
            .select_related("recipient_resident")
            .filter(pk=pk, state=NotificationState.PENDING)
            .first()
        )
        if row is None:  # another worker sent it
            return False
        row.address = row.address or _address(row)
        row.channel = out.channel
        row.attempts += 1
        try:
            out.send(row, message_text(row))
        except SendError as e:
            row.last_error = str(e)[:300]
            if row.attempts >= MAX_ATTEMPTS:
                row.state = NotificationState.FAILED
            row.save()
            return False
        row.state, row.sent_at = NotificationState.SENT, timezone.now()
        row.save()
        return True
