"""Notifications (core/notify.py, core/senders.py): the outbox row and its sending job, the
console sender, the SMS gateway and WeChat template-message senders against a local HTTP
server started here (no internet), retries with growing pauses, each row sent once however
many workers send at once, and recipients without a mobile number."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import logging
import socket
import threading
import time

import pytest
import time_machine
from django.db import connection
from django.utils.translation import gettext_noop
from django_tasks_db.models import DBTaskResult

from linli.core import jobs, senders
from linli.core.models import Notification, NotificationState
from linli.core.notify import notify

from .. import factories as f

MESSAGE = gettext_noop("Your application %(number)s (%(item)s) is complete.")
PARAMS = {"number": "BJ20260001", "item": "居住证明开具"}
SMS = "linli.core.senders.SmsGatewaySender"
WECHAT = "linli.core.senders.WeChatTemplateSender"


class Gateway(http.server.ThreadingHTTPServer):
    """A stand-in for the district's intranet gateway: records every request and answers
    with the statuses it is given (then 200), optionally slowly."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), GatewayHandler)
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.delay = 0.0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/send"


class GatewayHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server: Gateway = self.server
        with server.lock:
            server.requests.append(
                {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
            )
            status = server.statuses.pop(0) if server.statuses else 200
        time.sleep(server.delay)
        answer = b'{"ok": true}' if status == 200 else b'{"error": "quota exceeded"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    server = Gateway()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def sms(settings, gateway):
    settings.LINLI_NOTIFICATION_SENDER = SMS
    settings.LINLI_SMS_GATEWAY_URL = gateway.url
    settings.LINLI_SMS_GATEWAY_KEY = "secret-key"
    settings.LINLI_SMS_SIGNATURE = "【峡山区】"
    return gateway


@pytest.fixture
def people(world):
    liu = world.households[0].head  # mobile 13812345678 (the factory's)
    silent = f.household(world.villages[1], "H20001", head_name="王无机", mobile="").head
    return {"liu": liu, "silent": silent, "worker": world.users["community_worker"]}


def clock(*args):
    return time_machine.travel(dt.datetime(*args, tzinfo=dt.UTC), tick=False)


# --- the outbox -----------------------------------------------------------------------------


def test_notify_writes_a_row_and_queues_sending_once_per_transaction(
    people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = notify(message=MESSAGE, params=PARAMS, to_resident=people["liu"])
        notify(message=MESSAGE, params=PARAMS, to_user=people["worker"], dedupe_key="k1")
        assert (
            notify(message=MESSAGE, params=PARAMS, to_user=people["worker"], dedupe_key="k1")
            is None
        )
    assert len(callbacks) == 1
    assert first.state == NotificationState.PENDING and first.message == MESSAGE
    assert Notification.objects.count() == 2
    assert DBTaskResult.objects.get().task_path == "linli.core.tasks.send_notifications"


def test_notify_refuses_lazy_text_and_no_recipient(db):
    from django.utils.translation import gettext_lazy

    with pytest.raises(TypeError):
        notify(message=gettext_lazy("Sent"), to_user=None)
    with pytest.raises(ValueError):
        notify(message=MESSAGE)


def test_the_console_sender_logs_the_chinese_text_with_the_number_masked(people, caplog):
    notify(message=MESSAGE, params=PARAMS, to_resident=people["liu"])
    with caplog.at_level(logging.INFO, logger="linli.notify"):
        assert senders.send_pending() == 1
    row = Notification.objects.get()
    assert (row.state, row.channel, row.attempts) == (NotificationState.SENT, "console", 1)
    assert row.address == "13812345678" and row.sent_at is not None
    assert "138****5678" in caplog.text and "13812345678" not in caplog.text
    assert "BJ20260001" in caplog.text  # the message itself, rendered in Chinese
    assert senders.send_pending() == 0  # sent once


def test_the_sending_job_run_twice_sends_each_message_once(
    people, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notify(message=MESSAGE, params=PARAMS, to_resident=people["liu"])
    from linli.core.tasks import send_notifications

    send_notifications.enqueue()  # a second run, as the minute's schedule queues
    with caplog.at_level(logging.INFO, logger="linli.notify"):
        assert jobs.run_pending_jobs() == 2
    returns = sorted(DBTaskResult.objects.values_list("return_value", flat=True))
    assert returns == [0, 1]
    assert caplog.text.count("BJ20260001") == 1


def test_a_resident_without_a_mobile_number_fails_clearly_once(people, sms):
    notify(message=MESSAGE, params=PARAMS, to_resident=people["silent"])
    assert senders.send_pending() == 0
    row = Notification.objects.get()
    assert row.state == NotificationState.FAILED
    assert row.last_error == "the resident has no mobile number"
    assert row.attempts == 1 and row.channel == "sms"
    with clock(2030, 1, 1):
        assert senders.send_pending() == 0
    row.refresh_from_db()
    assert row.attempts == 1  # not tried again
    assert sms.requests == []


def test_staff_are_reached_through_their_own_registry_record(people, sms):
    worker = people["worker"]
    notify(message=MESSAGE, params=PARAMS, to_user=worker)
    senders.send_pending()
    row = Notification.objects.get()
    assert row.state == NotificationState.FAILED
    assert row.last_error == "the staff member has no mobile number in the registry"
    person = people["liu"]
    person.account = worker
    person.save(update_fields=["account"])
    notify(message=MESSAGE, params=PARAMS, to_user=worker, dedupe_key="again")
    assert senders.send_pending() == 1
    assert sms.requests[0]["json"]["mobile"] == "13812345678"


# --- gateways -------------------------------------------------------------------------------


def test_the_sms_gateway_gets_one_json_document_per_message(people, sms):
    row = notify(message=MESSAGE, params=PARAMS, to_resident=people["liu"])
    assert senders.send_pending() == 1
    (request,) = sms.requests
    assert request["path"] == "/send"
    assert request["headers"]["Authorization"] == "Bearer secret-key"
    assert request["headers"]["Content-Type"] == "application/json; charset=utf-8"
    body = request["json"]
    assert body["id"] == f"linli-{row.pk}"  # lets the gateway drop a repeat
    assert body["mobile"] == "13812345678"
    assert body["text"].startswith("【峡山区】") and "BJ20260001" in body["text"]
    row.refresh_from_db()
    assert (row.state, row.channel, row.last_error) == (NotificationState.SENT, "sms", "")


def test_the_wechat_sender_sends_a_template_message(people, settings, gateway):
    settings.LINLI_NOTIFICATION_SENDER = WECHAT
    settings.LINLI_WECHAT_GATEWAY_URL = gateway.url
    settings.LINLI_WECHAT_GATEWAY_KEY = ""
    settings.LINLI_WECHAT_TEMPLATE_ID = "TPL-BANJIAN-01"
    with clock(2026, 11, 2, 1, 30):
        row = notify(message=MESSAGE, params=PARAMS, to_resident=people["liu"])
        assert senders.send_pending() == 1
    body = gateway.requests[0]["json"]
    assert "Authorization" not in gateway.requests[0]["headers"]
    assert body["template_id"] == "TPL-BANJIAN-01" and body["mobile"] == "13812345678"
    assert "BJ20260001" in body["data"]["content"]["value"]
    assert body["data"]["time"]["value"] == "2026-11-02 09:30"  # local time
    row.refresh_from_db()
    assert (row.state, row.channel) == (NotificationState.SENT, "wechat")


def test_a_refused_message_is_retried_later_then_given_up(people, sms):
    sms.statuses = [503] * senders.MAX_ATTEMPTS
    with clock(2026, 11, 2, 8) as traveller:
        row = notify(message=MESSAGE, params=PARAMS, to_resident=people["liu"])
        assert senders.send_pending() == 0
        row.refresh_from_db()
        assert (row.state, row.attempts) == (NotificationState.PENDING, 1)
        assert row.last_error == 'the gateway answered 503: {"error": "quota exceeded"}'
        traveller.shift(dt.timedelta(seconds=59))
        senders.send_pending()
        assert len(sms.requests) == 1  # the next try waits a minute
        waits = []
        for tried in range(1, senders.MAX_ATTEMPTS):
            wait = senders.RETRY_BASE * (2**tried - 1)  # 1, 3, 7 … minutes after writing
            waits.append(wait)
            traveller.move_to(dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC) + wait)
            senders.send_pending()
        row.refresh_from_db()
    assert len(sms.requests) == senders.MAX_ATTEMPTS
    assert (row.state, row.attempts) == (NotificationState.FAILED, senders.MAX_ATTEMPTS)
    assert waits[-1] == dt.timedelta(minutes=127)  # about two hours of trying


def test_a_gateway_that_comes_back_gets_the_message(people, sms):
    sms.statuses = [500]
    with clock(2026, 11, 2, 8) as traveller:
        notify(message=MESSAGE, params=PARAMS, to_resident=people["liu"])
        senders.send_pending()
        traveller.shift(dt.timedelta(minutes=1))
        assert senders.send_pending() == 1
    row = Notification.objects.get()
    assert (row.state, row.attempts, row.last_error) == (NotificationState.SENT, 2, "")


def test_an_unreachable_or_unset_gateway_is_a_clear_error(people, settings):
    settings.LINLI_NOTIFICATION_SENDER = SMS
    settings.LINLI_SMS_GATEWAY_URL = ""
    notify(message=MESSAGE, params=PARAMS, to_resident=people["liu"])
    senders.send_pending()
    row = Notification.objects.get()
    assert row.last_error == "LINLI_SMS_GATEWAY_URL is not set"
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    settings.LINLI_SMS_GATEWAY_URL = f"http://127.0.0.1:{closed}/send"
    with clock(2030, 1, 1):
        senders.send_pending()
    row.refresh_from_db()
    assert row.last_error.startswith("the gateway could not be reached")
    assert (row.state, row.attempts) == (NotificationState.PENDING, 2)


class BrokenSender(senders.ConsoleSender):
    def send(self, notification, text, address):
        raise KeyError("template")


def test_a_broken_sender_is_recorded_not_looped(people, settings):
    settings.LINLI_NOTIFICATION_SENDER = "tests.core.test_notify.BrokenSender"
    notify(message=MESSAGE, params=PARAMS, to_resident=people["liu"])
    assert senders.send_pending() == 0
    row = Notification.objects.get()
    assert (row.state, row.attempts) == (NotificationState.PENDING, 1)
    assert row.last_error == "KeyError: 'template'"
    assert senders.send_pending() == 0  # not again before its pause
    assert Notification.objects.get().attempts == 1


def test_two_workers_sending_at_once_send_each_message_once(transactional_db, settings, gateway):
    settings.LINLI_NOTIFICATION_SENDER = SMS
    settings.LINLI_SMS_GATEWAY_URL = gateway.url
    gateway.delay = 0.05  # each message takes a moment: the workers overlap
    district = f.area("峡山区", "district")
    street = f.area("太保庄街道", "street", district)
    village = f.area("王家庄村", "village", f.area("文岭社区", "community", street))
    people = [
        f.household(village, f"H{n:05d}", head_name=f"居民{n}", mobile=f"139000000{n:02d}").head
        for n in range(12)
    ]
    for person in people:
        notify(message=MESSAGE, params=PARAMS, to_resident=person)
    start = threading.Barrier(3)
    sent: dict[int, int] = {}

    def worker(n):
        try:
            start.wait(30)
            sent[n] = senders.send_pending()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(sent.values()) == 12
    mobiles = [r["json"]["mobile"] for r in gateway.requests]
    assert sorted(mobiles) == sorted(p.mobile for p in people)  # each once
    assert set(Notification.objects.values_list("state", flat=True)) == {NotificationState.SENT}
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
