"""Drill: two web processes and one job worker on one PostgreSQL database.

How Linli runs past one process (docs/operator.md, "Several web processes"): nginx spreads
requests over `linli serve` processes on several ports, each with LINLI_EMBEDDED_WORKER=0,
and `linli worker` runs the jobs, all on one database. This drill starts exactly that on
loopback — two `linli serve` processes on two free ports and one `linli worker`, on the small
demo district in a database of its own (`linli_drill_web`, built once with `linli demo
--small`, reused after) — and checks what must hold:

- both processes answer, and a session opened by logging in on one is good on the other
  (sessions live in the database);
- a bounded set of API clients (counter staff of 文岭社区, each with a token they issued
  themselves) take applications through `POST /api/applications`, round-robin over the two
  processes, each write with its own idempotency key and tried again on 409, 5xx or a dropped
  connection; a key answered by one process and sent again to the other gets the same
  application back;
- the database holds exactly the acknowledged writes: one application per key, no number
  twice, nothing lost, and the writes were spread over both processes;
- the worker ran the jobs the writes queued (the applicants' notifications), and no web
  process ran any;
- both processes stop cleanly on SIGTERM, with no traceback in their logs.

    PYTHONPATH=src .venv/bin/python drills/two_web_processes.py            # 8 clients × 25
    PYTHONPATH=src .venv/bin/python drills/two_web_processes.py --quick    # CI: 4 clients × 8

It prints what it did and found and exits with status 1 when a check fails. The processes'
logs are kept in var/drills/<database>/; `--fresh` drops the database and builds it again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import random
import re
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from fleet import (
    ROOT,
    SERVER,
    Checks,
    Process,
    django_setup,
    environment,
    free_port,
    get,
    linli,
    prepare_database,
    say,
    stop_all,
    wait_until,
)

DATABASE = "linli_drill_web"
CLERK = "community_worker"  # 孙丽, counter staff of 文岭社区 in the demo
PASSWORD = "Linli-demo-2026"  # the demo's, public on purpose  # noqa: S105
WORKER = "drill-web-worker"
MAX_TRIES = 10


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI: fewer clients and writes")
    parser.add_argument("--server", default=SERVER, help=f"PostgreSQL server ({SERVER})")
    parser.add_argument("--database", default=DATABASE, help=f"drill database ({DATABASE})")
    parser.add_argument("--clients", type=int, help="concurrent API clients (8; 4)")
    parser.add_argument("--writes", type=int, help="writes per client (25; 8)")
    parser.add_argument("--fresh", action="store_true", help="drop and build the database again")
    args = parser.parse_args()
    args.clients = args.clients or (4 if args.quick else 8)
    args.writes = args.writes or (8 if args.quick else 25)
    return args


# --- what the clients need, read and written in this process ------------------------------


@dataclass
class Setup:
    tokens: list[str]
    residents: list[int]
    item: int


def make_setup(clients: int) -> Setup:
    from linli.accounts.models import User
    from linli.accounts.services import api_token_issue
    from linli.core.context import acting
    from linli.hall.applications import selectors as hall
    from linli.registry import selectors as registry

    clerk = User.objects.get(username=CLERK)
    with acting(channel="cli", address="drill", source="drills/two_web_processes.py"):
        tokens = [
            api_token_issue(actor=clerk, user=clerk, name=f"drill client {i + 1}")[1]
            for i in range(clients)
        ]
    residents = list(registry.resident_list(user=clerk).values_list("pk", flat=True)[:200])
    item = hall.offered_items().order_by("pk").values_list("pk", flat=True).first()
    if not residents or item is None:
        raise SystemExit("the demo has no resident in 文岭社区 or no service item on offer")
    return Setup(tokens=tokens, residents=residents, item=item)


# --- the web processes and the worker -----------------------------------------------------


def start_fleet(env: dict[str, str], logs) -> tuple[list[tuple[Process, int]], Process]:
    web_env = env | {"LINLI_EMBEDDED_WORKER": "0"}
    webs = []
    for name in ("web-a", "web-b"):
        port = free_port()
        webs.append(
            (Process(name, web_env, ["serve", "--port", str(port)], logs / f"{name}.log"), port)
        )
    worker = Process("worker", env, ["worker", "--worker-id", WORKER], logs / "worker.log")
    for web, port in webs:
        answered = wait_until(lambda p=port: get(p, "/api/catalogue")[0] == 200, 90, 0.3)
        if not answered:
            raise SystemExit(f"{web.name} did not answer on port {port}:\n{web.output()}")
    return webs, worker


def health(checks: Checks, webs) -> None:
    """/healthz (liveness) and /readyz (readiness), in a release that has them."""
    for web, port in webs:
        answers = {path: get(port, path)[0] for path in ("/healthz", "/readyz")}
        if set(answers.values()) == {404}:
            say(f"  --   {web.name}: no /healthz or /readyz in this release")
            continue
        checks.check(
            answers == {"/healthz": 200, "/readyz": 200},
            f"{web.name} on port {port}: /healthz {answers['/healthz']}, "
            f"/readyz {answers['/readyz']}",
        )


def session_on_both(checks: Checks, webs) -> None:
    """Log in on one process; the session cookie must be good on the other."""
    (a_name, a_port), (b_name, b_port) = [(w.name, p) for w, p in webs]
    status, headers, body = get(a_port, "/accounts/login/")
    csrf_cookie = _cookie(headers, "csrftoken")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if not (status == 200 and csrf_cookie and match):
        checks.check(False, f"the login page of {a_name} answers with a form (status {status})")
        return
    form = (
        f"username={CLERK}&password={PASSWORD}&csrfmiddlewaretoken={match.group(1).decode()}"
    ).encode()
    conn = http.client.HTTPConnection("127.0.0.1", a_port, timeout=30)
    conn.request(
        "POST",
        "/accounts/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
        },
    )
    response = conn.getresponse()
    response.read()
    session = _cookie(response.headers, "sessionid")
    conn.close()
    if not checks.check(
        response.status == 302 and bool(session), f"logged in on {a_name} as {CLERK}"
    ):
        return
    status, headers, _body = get(b_port, "/", {"Cookie": f"sessionid={session}"})
    checks.check(
        status == 200,
        f"the session opened on {a_name} is good on {b_name} (GET / → {status}"
        + (f", to {headers.get('Location')}" if status in (301, 302) else "")
        + ")",
    )


def _cookie(headers, name: str) -> str:
    values = headers.get_all("Set-Cookie") if hasattr(headers, "get_all") else None
    for value in values or []:
        if value.startswith(f"{name}="):
            return value.split(";", 1)[0].split("=", 1)[1]
    return ""


# --- the clients --------------------------------------------------------------------------


@dataclass
class Write:
    key: str
    process: str
    port: int
    body: bytes
    tries: int = 0
    statuses: list[int] = field(default_factory=list)
    application: int | None = None


class Client(threading.Thread):
    """Takes `count` applications, the n-th through process (offset + n) mod 2."""

    def __init__(self, token, setup, webs, offset, count, results, lock):
        super().__init__(daemon=True)
        self.token, self.setup, self.webs = token, setup, webs
        self.offset, self.count, self.results, self.lock = offset, count, results, lock
        self.rng = random.Random(offset)

    def run(self) -> None:
        for n in range(self.count):
            web, port = self.webs[(self.offset + n) % len(self.webs)]
            body = json.dumps(
                {
                    "resident": self.rng.choice(self.setup.residents),
                    "item": self.setup.item,
                    "channel": "counter",
                }
            ).encode()
            write = Write(key=f"drill-{uuid.uuid4()}", process=web.name, port=port, body=body)
            send(write, self.token, self.rng)
            with self.lock:
                self.results.append(write)


def post(port: int, token: str, key: str, body: bytes) -> tuple[int, dict]:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(
            "POST",
            "/api/applications",
            body=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": key,
            },
        )
        response = conn.getresponse()
        payload = response.read()
        conn.close()
    except (OSError, http.client.HTTPException):
        return 0, {}
    try:
        return response.status, json.loads(payload or b"{}")
    except ValueError:
        return response.status, {}


def send(write: Write, token: str, rng: random.Random) -> None:
    pause = 0.02
    while write.tries < MAX_TRIES:
        status, data = post(write.port, token, write.key, write.body)
        write.tries += 1
        write.statuses.append(status)
        if status == 201:
            write.application = data["id"]
            return
        if status not in (0, 409) and status < 500:
            return  # refused for good: counted as a failed write
        time.sleep(rng.uniform(pause / 2, pause))
        pause = min(pause * 2, 0.5)


# --- the checks ---------------------------------------------------------------------------


def check_writes(checks: Checks, writes: list[Write], since_pk: int) -> None:
    from linli.hall.models import Application

    acknowledged = [w for w in writes if w.application is not None]
    per_process = Counter(w.process for w in acknowledged)
    retried = sum(1 for w in writes if w.tries > 1)
    say(
        f"writes: {len(writes)} sent, {len(acknowledged)} acknowledged "
        f"({', '.join(f'{name} {count}' for name, count in sorted(per_process.items()))}); "
        f"{retried} needed more than one try; statuses seen: "
        f"{dict(Counter(s for w in writes for s in w.statuses))}"
    )
    checks.check(len(acknowledged) == len(writes), "every write was acknowledged")
    checks.check(
        len(per_process) == 2 and min(per_process.values()) >= len(writes) // 4,
        f"the writes were spread over both processes: {dict(sorted(per_process.items()))}",
    )
    rows = list(Application.objects.filter(pk__gt=since_pk).values_list("pk", "number"))
    ids = {pk for pk, _number in rows}
    acked = {w.application for w in acknowledged}
    numbers = [number for _pk, number in rows]
    say(f"rows: {len(rows)} applications in the database since the drill began")
    checks.check(
        ids == acked and len(rows) == len(acknowledged),
        f"the rows are exactly the acknowledged writes ({len(rows)} rows, "
        f"{len(acked)} acknowledged; lost {len(acked - ids)}, unacknowledged {len(ids - acked)})",
    )
    checks.check(
        len(numbers) == len(set(numbers)), f"no application number twice ({len(set(numbers))})"
    )


def check_replay(checks: Checks, writes: list[Write], token: str, webs, since_pk: int) -> None:
    """A key answered by one process, sent again to the other: the same application."""
    from linli.hall.models import Application

    done = next((w for w in writes if w.application is not None), None)
    if done is None:
        return
    other_name, other_port = next((w.name, p) for w, p in webs if w.name != done.process)
    before = Application.objects.filter(pk__gt=since_pk).count()
    status, data = post(other_port, token, done.key, done.body)
    after = Application.objects.filter(pk__gt=since_pk).count()
    checks.check(
        data.get("id") == done.application and after == before,
        f"a key answered by {done.process}, sent again to {other_name}: the same application "
        f"{data.get('id')} (status {status}), no new row",
    )


def check_jobs(checks: Checks, began: dt.datetime, timeout: float) -> None:
    from django_tasks_db.models import DBTaskResult

    from linli.core.models import Notification

    def settled() -> bool:
        waiting = Notification.objects.filter(created_at__gte=began, state="pending").exists()
        unfinished = DBTaskResult.objects.filter(
            enqueued_at__gte=began, task_path__endswith="send_notifications"
        ).exclude(status__in=["SUCCESSFUL", "FAILED"])
        return not waiting and not unfinished.exists()

    started = time.monotonic()
    wait_until(settled, timeout, 0.5)
    notes = Counter(
        Notification.objects.filter(created_at__gte=began).values_list("state", flat=True)
    )
    runs = list(
        DBTaskResult.objects.filter(enqueued_at__gte=began).values_list(
            "task_path", "status", "worker_ids"
        )
    )
    by_task = Counter(path.rsplit(".", 1)[-1] for path, _status, _ids in runs)
    runners = Counter(ids[-1] for _path, status, ids in runs if ids and status != "READY")
    say(f"jobs queued since the drill began: {dict(by_task)}; run by: {dict(runners)}")
    checks.check(
        notes and not notes.get("pending") and settled(),
        f"the worker sent the applicants' notifications within "
        f"{time.monotonic() - started:.0f} s: {dict(notes)}",
    )
    checks.check(
        set(runners) <= {WORKER},
        "every job ran on the worker, none in a web process",
    )


def main() -> int:
    args = arguments()
    checks = Checks()
    data_dir = ROOT / "var" / "drills" / args.database
    started = time.monotonic()
    prepare_database(args.server, args.database, data_dir, fresh=args.fresh)
    env = environment(f"{args.server}/{args.database}", data_dir)
    linli(env, "demo", "--small")
    say(f"demo database {args.database} ready ({time.monotonic() - started:.0f} s)")
    django_setup(env)
    from django.utils import timezone

    from linli.hall.models import Application

    setup = make_setup(args.clients)
    try:
        webs, worker = start_fleet(env, data_dir)
        ports = ", ".join(f"{w.name} on 127.0.0.1:{p} (pid {w.pid})" for w, p in webs)
        say(f"started {ports}, both with LINLI_EMBEDDED_WORKER=0, and {WORKER} (pid {worker.pid})")
        health(checks, webs)
        session_on_both(checks, webs)
        since_pk = Application.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        began = timezone.now()
        writes: list[Write] = []
        lock = threading.Lock()
        clients = [
            Client(token, setup, webs, i, args.writes, writes, lock)
            for i, token in enumerate(setup.tokens)
        ]
        write_start = time.monotonic()
        for client in clients:
            client.start()
        for client in clients:
            client.join(300)
        say(
            f"{args.clients} clients × {args.writes} writes, round-robin over both processes, "
            f"in {time.monotonic() - write_start:.1f} s"
        )
        check_writes(checks, writes, since_pk)
        check_replay(checks, writes, setup.tokens[0], webs, since_pk)
        check_jobs(checks, began, 60)
        for web, _port in webs:
            status = web.stop()
            checks.check(
                status == 0 and "Traceback" not in web.output(),
                f"{web.name} stopped cleanly on SIGTERM (status {status}), no traceback in its log",
            )
        checks.check(worker.stop() == 0, "the worker stopped cleanly on SIGTERM")
    finally:
        stop_all()
    say(f"drill took {time.monotonic() - started:.0f} s")
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
