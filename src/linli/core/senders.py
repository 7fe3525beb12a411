"""Notification senders 消息发送通道: console by default, an SMS gateway or WeChat template
messages by setting.

`LINLI_NOTIFICATION_SENDER` names the sender class (dotted path; default the console). A
sender has a `channel`, an `address(notification)` that says where the message goes (raising
`NoAddress` when the recipient has none) and a `send(notification, text, address)` that
delivers it (raising `SendError` when the gateway refuses it or does not answer).

Two gateway senders come with Linli, for the intranet gateways districts run in front of the
carriers and of the WeChat official account: each POSTs one JSON document per message, with
the key in an `Authorization: Bearer` header, and takes any 2xx answer as delivered.

- `SmsGatewaySender` (`linli.core.senders.SmsGatewaySender`): `LINLI_SMS_GATEWAY_URL`,
  `LINLI_SMS_GATEWAY_KEY`, optional `LINLI_SMS_SIGNATURE` (e.g. 【峡山区】, put before the
  text) — body `{"id", "mobile", "text"}`;
- `WeChatTemplateSender` (`linli.core.senders.WeChatTemplateSender`):
  `LINLI_WECHAT_GATEWAY_URL`, `LINLI_WECHAT_GATEWAY_KEY`, `LINLI_WECHAT_TEMPLATE_ID` — body
  `{"id", "mobile", "template_id", "data": {"content": {"value"}, "time": {"value"}}}`; the
  gateway finds the follower (openid) by the mobile number.

Both use `LINLI_NOTIFICATION_TIMEOUT` (seconds, default 10). A real gateway with another
format plugs in as a subclass that overrides `payload()` (or a class of its own).

Delivery (`send_pending`): each message is sent once. A worker takes a pending row under its
row lock (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite the transaction holds
the database's write lock), sends it, and marks it sent before letting go, so two workers
never send the same row. `id` ("linli-<row id>") lets a gateway drop the rare repeat (a worker
that dies after the gateway took the message but before it recorded that). A message whose
sending fails is tried again later — 1, 3, 7, 15 … minutes after it was written — up to
`MAX_ATTEMPTS` times, then marked failed with the gateway's answer as its `last_error`. A
recipient without an address (a resident with no mobile number) fails at once with a clear
`last_error`; nothing is retried for it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import urllib.error
import urllib.request
from abc import ABC, abstractmethod

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from . import timeline
from .masking import mask_mobile
from .models import Notification, NotificationState

logger = logging.getLogger("linli.notify")

MAX_ATTEMPTS = 8  # the last one about two hours after the message was written
RETRY_BASE = dt.timedelta(minutes=1)  # attempt k+1 not before written + (2**k - 1) × this
DEFAULT_TIMEOUT = 10.0


class SendError(Exception):
    """A sender could not deliver a message (the gateway refused it or did not answer)."""


class NoAddress(Exception):
    """The recipient has no address this sender can use (e.g. no mobile number)."""


def setting(name: str, default: str = "") -> str:
    """A sender's setting: from the settings module, else from the environment."""
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return str(value)


def mobile_of(notification: Notification) -> str:
    """The recipient's mobile number: the resident's, or the staff member's own registry
    record's (a staff account linked to the person in the registry)."""
    resident = notification.recipient_resident
    if resident is None and notification.recipient_user is not None:
        resident = getattr(notification.recipient_user, "resident_record", None)
    mobile = resident.mobile if resident is not None else ""
    if not mobile:
        raise NoAddress(
            "the resident has no mobile number"
            if notification.recipient_resident_id
            else "the staff member has no mobile number in the registry"
        )
    return mobile


class ConsoleSender:
    """Writes each message to the log: the default, and what the demo and tests use. Like an
    SMS gateway it needs a resident's mobile number; staff are named by their account."""

    channel = "console"

    def address(self, notification: Notification) -> str:
        if notification.recipient_resident_id:
            return mobile_of(notification)
        return ""

    def send(self, notification: Notification, text: str, address: str) -> None:
        label = mask_mobile(address) if address else f"user {notification.recipient_user_id}"
        logger.info("notification to %s: %s", label, text)


class HttpJsonSender(ABC):
    """POST one JSON document per message to an intranet gateway (standard library only).
    A gateway's sender says how its document looks (`payload`) and where its settings are."""

    channel = "http"
    url_setting = ""
    key_setting = ""

    def __init__(self):
        self.url = setting(self.url_setting)
        self.key = setting(self.key_setting)
        self.timeout = float(setting("LINLI_NOTIFICATION_TIMEOUT", str(DEFAULT_TIMEOUT)))
        # An intranet gateway is reached directly, never through a proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def address(self, notification: Notification) -> str:
        return mobile_of(notification)

    @abstractmethod
    def payload(self, notification: Notification, text: str, address: str) -> dict:
        """The JSON document the gateway takes for one message."""

    def send(self, notification: Notification, text: str, address: str) -> None:
        if not self.url:
            raise SendError(f"{self.url_setting} is not set")
        body = json.dumps(self.payload(notification, text, address), ensure_ascii=False)
        request = urllib.request.Request(  # noqa: S310 — the operator's configured gateway
            self.url,
            data=body.encode(),
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"}
            | ({"Authorization": f"Bearer {self.key}"} if self.key else {}),
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                response.read(1000)
        except urllib.error.HTTPError as e:
            answer = e.read(200).decode(errors="replace").strip()
            raise SendError(f"the gateway answered {e.code}: {answer}") from e
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise SendError(f"the gateway could not be reached: {reason}") from e

    @staticmethod
    def message_id(notification: Notification) -> str:
        return f"linli-{notification.pk}"


class SmsGatewaySender(HttpJsonSender):
    """短信 — text messages through the district's SMS gateway."""

    channel = "sms"
    url_setting = "LINLI_SMS_GATEWAY_URL"
    key_setting = "LINLI_SMS_GATEWAY_KEY"

    def payload(self, notification: Notification, text: str, address: str) -> dict:
        signature = setting("LINLI_SMS_SIGNATURE")
        return {"id": self.message_id(notification), "mobile": address, "text": signature + text}


class WeChatTemplateSender(HttpJsonSender):
    """微信模板消息 — template messages of the district's WeChat official account, through
    its gateway (which knows each follower's openid by mobile number)."""

    channel = "wechat"
    url_setting = "LINLI_WECHAT_GATEWAY_URL"
    key_setting = "LINLI_WECHAT_GATEWAY_KEY"

    def payload(self, notification: Notification, text: str, address: str) -> dict:
        written = timezone.localtime(notification.created_at).strftime("%Y-%m-%d %H:%M")
        return {
            "id": self.message_id(notification),
            "mobile": address,
            "template_id": setting("LINLI_WECHAT_TEMPLATE_ID"),
            "data": {"content": {"value": text}, "time": {"value": written}},
        }


def sender():
    path = getattr(settings, "LINLI_NOTIFICATION_SENDER", None) or os.environ.get(
        "LINLI_NOTIFICATION_SENDER", "linli.core.senders.ConsoleSender"
    )
    return import_string(path)()


def message_text(notification: Notification) -> str:
    """The message in Chinese: residents read their messages in the language of the place."""
    with translation.override("zh-hans"):
        return timeline.render(notification.message, notification.params)


def _due(now: dt.datetime) -> Q:
    """Pending rows whose next attempt is due: a row tried k times waits until
    (2**k - 1) × RETRY_BASE after it was written."""
    due = Q(attempts=0)
    for tried in range(1, MAX_ATTEMPTS):
        wait = RETRY_BASE * (2**tried - 1)
        due |= Q(attempts=tried, created_at__lte=now - wait)
    return Q(state=NotificationState.PENDING) & due


def send_pending(limit: int = 500, now: dt.datetime | None = None) -> int:
    """Send up to `limit` messages whose attempt is due; returns how many were sent."""
    ids = list(
        Notification.objects.filter(_due(now or timezone.now()))
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    out = sender()
    return sum(_send_one(pk, out) for pk in ids)


def _send_one(pk: int, out) -> bool:
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient_resident", "recipient_user__resident_record")
            .filter(pk=pk, state=NotificationState.PENDING)
            .first()
        )
        if row is None:  # sent or being sent by another worker
            return False
        row.channel = out.channel
        row.attempts += 1
        try:
            row.address = out.address(row)
        except NoAddress as e:
            row.state, row.last_error = NotificationState.FAILED, str(e)[:300]
            row.save(update_fields=["channel", "attempts", "state", "last_error"])
            logger.warning("notification %s not sent: %s", row.pk, e)
            return False
        try:
            out.send(row, message_text(row), row.address)
        except Exception as e:  # a broken sender must not stop the outbox: record, retry later
            if not isinstance(e, SendError):
                logger.exception("the sender failed on notification %s", row.pk)
            row.last_error = (str(e) if isinstance(e, SendError) else f"{type(e).__name__}: {e}")[
                :300
            ]
            if row.attempts >= MAX_ATTEMPTS:
                row.state = NotificationState.FAILED
            row.save(update_fields=["channel", "address", "attempts", "state", "last_error"])
            logger.warning("notification %s not sent (attempt %s): %s", row.pk, row.attempts, e)
            return False
        row.state, row.sent_at, row.last_error = NotificationState.SENT, timezone.now(), ""
        row.save()
        return True
