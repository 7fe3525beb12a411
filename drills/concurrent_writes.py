"""Drill: many API clients writing at once, on PostgreSQL 并发写入演练.

What an operator rehearses before a district's halls all open at nine: `linli serve`
(`--processes`, one by default; LINLI_EMBEDDED_WORKER=0) and one `linli worker` on the small demo
district, in a database of the drill's own (`linli_drill_concurrent`, built once with `linli demo
--small` and kept; `--fresh` builds it again). Counter staff of 文岭社区 (each client with a token
of its own) take applications through `POST /api/applications` (`--kind applications`, the
default); with `--kind visits` grid workers record visits through `POST /api/visits/visits`
instead (a write that takes no number: only the audit trail is shared), `--kind mixed` half and
half. Each write has its own idempotency key and is tried again on 409, 5xx or a dropped
connection (at most 10 tries, with a growing pause). Then:

0. One writer alone, for reference: `--alone` writes (20; 10), one after the other.
1. Closed loop: 8, 30 and 50 clients (`--clients`), each sending its next write as soon as the
   last one is answered, no pause between. Per run it prints the first-try conflict (409) rate,
   the tries the writes needed, p50/p95 of the requests and of whole writes (retries included),
   the throughput, the time backends spent waiting on locks and on which (pg_stat_activity
   sampled every 20 ms: wait_event_type 'Lock', by the statement that waits) and the
   duplicate-key errors PostgreSQL logged for the drill's database (from the server's log file,
   when the drill can read it: `--pg-log`).
2. Paced: 30 writers (`--paced-writers`), each waiting a random think time between writes so
   that together they offer `--load` (65 %) of the best throughput measured above (or
   `--rate` writes per second, to compare two releases at the same load), for `--seconds`.
   The same figures; the target is p95 ≤ 300 ms.
3. Afterwards: every acknowledged key gave exactly one application or visit (its stored answer
   names the same one), none is lost, no application number twice; the audit records written
   meanwhile are all chained within a few seconds (in a release that chains them after the
   write), and `linli audit verify` says OK.

It exits 1 when a check fails: a write not acknowledged, an application lost or twice, a number
twice, any 409 (a write refused for a clash: two clients never send the same key at once), a
duplicate-key error in the server's log, or a broken audit trail. The latency targets are
printed as met or not, never failed on: on a shared machine they measure the machine too.

    .venv/bin/python drills/concurrent_writes.py --quick       # CI: fewer writes, 15 s paced
    .venv/bin/python drills/concurrent_writes.py               # 400 writes per run, 60 s paced
    .venv/bin/python drills/concurrent_writes.py --processes 2

PostgreSQL only: on DATABASE_URL's server if it names one, else postgres://postgres@127.0.0.1:5432
(`--server`). The processes' logs are kept in var/drills/<database>/.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from fleet import (
    ROOT,
    SERVER,
    Checks,
    Process,
    django_setup,
    environment,
    free_port,
    fresh_snapshot,
    get,
    linli,
    prepare_database,
    say,
    stop_all,
    wait_until,
)

DATABASE = "linli_drill_concurrent"
CLERK = "community_worker"  # 孙丽, counter staff of 文岭社区 in the demo
GRID_WORKER = "grid_worker"  # 赵敏, who visits households in the demo
KINDS = ("applications", "visits", "mixed")
PATHS = {"applications": "/api/applications", "visits": "/api/visits/visits"}
WORKER = "drill-concurrent-worker"
MAX_TRIES = 10
REQUEST_TIMEOUT = 60.0
SAMPLE_EVERY = 0.02  # seconds between looks at pg_stat_activity
P95_TARGET = 0.300  # seconds, paced writers
PG_LOGS = "/var/log/postgresql"
DUPLICATE = re.compile(r'ERROR:\s+duplicate key value violates unique constraint "([^"]+)"')
# What a backend waiting on a lock is doing, told by its statement.
WAITS = (
    ("the audit chain head", re.compile(r"core_auditchainhead", re.I)),
    ("the day's number counter", re.compile(r"core_counter", re.I)),
    (
        "an application's number",
        re.compile(r"services_application\b.*number|INSERT INTO \"services_application\"", re.I),
    ),
    ("an idempotency key", re.compile(r"core_idempotencykey", re.I)),
    ("a job row", re.compile(r"django_tasks", re.I)),
)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI: fewer writes, shorter paced run")
    parser.add_argument("--server", default=SERVER, help=f"PostgreSQL server ({SERVER})")
    parser.add_argument("--database", default=DATABASE, help=f"drill database ({DATABASE})")
    parser.add_argument("--fresh", action="store_true", help="drop and build the database again")
    parser.add_argument("--processes", type=int, default=1, help="linli serve processes (1)")
    parser.add_argument("--kind", choices=KINDS, default="applications", help="what is written")
    parser.add_argument("--alone", type=int, help="writes of the one writer alone (20; 10)")
    parser.add_argument(
        "--clients", default="8,30,50", help="closed-loop client counts, comma-separated"
    )
    parser.add_argument("--writes", type=int, help="writes per closed-loop run (400; 100)")
    parser.add_argument("--paced-writers", type=int, default=30, help="paced writers (30)")
    parser.add_argument(
        "--load", type=float, default=0.65, help="paced load, share of the throughput (0.65)"
    )
    parser.add_argument("--rate", type=float, help="paced load in writes/s (instead of --load)")
    parser.add_argument("--seconds", type=float, help="paced run's length (60; 15)")
    parser.add_argument("--pg-log", help=f"PostgreSQL's log file (the newest in {PG_LOGS})")
    args = parser.parse_args()
    args.clients = [int(n) for n in args.clients.split(",") if n.strip()]
    args.writes = args.writes or (100 if args.quick else 400)
    args.alone = args.alone if args.alone is not None else (10 if args.quick else 20)
    args.seconds = args.seconds or (15.0 if args.quick else 60.0)
    return args


# --- what the clients need ----------------------------------------------------------------


@dataclass
class Setup:
    tokens: dict[str, list[str]]  # by kind of write
    residents: list[int]
    item: int
    households: list[int]

    def kind_of(self, kind: str, client: int) -> str:
        return ("applications", "visits")[client % 2] if kind == "mixed" else kind


def make_setup(clients: int) -> Setup:
    from linli.accounts.models import User
    from linli.accounts.services import api_token_issue
    from linli.core.context import acting
    from linli.hall.applications import selectors as hall
    from linli.registry import selectors as registry

    clerk = User.objects.get(username=CLERK)
    visitor = User.objects.get(username=GRID_WORKER)
    tokens = {}
    with acting(channel="cli", address="drill", source="drills/concurrent_writes.py"):
        for kind, user in (("applications", clerk), ("visits", visitor)):
            tokens[kind] = [
                api_token_issue(actor=user, user=user, name=f"concurrency drill {i + 1}")[1]
                for i in range(clients)
            ]
    residents = list(registry.resident_list(user=clerk).values_list("pk", flat=True)[:500])
    item = hall.offered_items().order_by("pk").values_list("pk", flat=True).first()
    households = list(registry.household_list(user=visitor).values_list("pk", flat=True)[:500])
    if not residents or item is None or not households:
        raise SystemExit(
            "the demo has no resident in 文岭社区, no service item on offer or no household "
            f"{GRID_WORKER} visits"
        )
    return Setup(tokens=tokens, residents=residents, item=item, households=households)


# --- one write ----------------------------------------------------------------------------


@dataclass
class Write:
    kind: str
    key: str
    body: bytes
    port: int
    token: str
    statuses: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # seconds, one per request
    started: float = 0.0
    took: float = 0.0  # seconds, every try and pause included
    created: int | None = None  # the id of the application or visit

    @property
    def tries(self) -> int:
        return len(self.statuses)


def post(port: int, path: str, token: str, key: str, body: bytes) -> tuple[int, dict]:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        conn.request(
            "POST",
            path,
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


def send(write: Write, rng: random.Random) -> None:
    """Send `write` until it is acknowledged, refused for good, or MAX_TRIES are used."""
    pause = 0.02
    write.started = time.monotonic()
    while write.tries < MAX_TRIES:
        began = time.monotonic()
        status, data = post(write.port, PATHS[write.kind], write.token, write.key, write.body)
        write.latencies.append(time.monotonic() - began)
        write.statuses.append(status)
        if status == 201:
            write.created = data["id"]
            break
        if status not in (0, 409) and status < 500:
            break  # refused for good: counted as a failed write
        time.sleep(rng.uniform(pause / 2, pause))
        pause = min(pause * 2, 0.5)
    write.took = time.monotonic() - write.started


def new_write(kind: str, token: str, setup: Setup, ports, n: int, rng) -> Write:
    if kind == "applications":
        payload = {"resident": rng.choice(setup.residents), "item": setup.item}
        payload["channel"] = "counter"
    else:
        payload = {"household": rng.choice(setup.households), "channel": "home"}
        payload["note"] = "并发演练"
    return Write(
        kind=kind,
        key=f"drill-{uuid.uuid4()}",
        body=json.dumps(payload).encode(),
        port=ports[n % len(ports)],
        token=token,
    )


class ClosedLoopClient(threading.Thread):
    """Sends `count` writes one after the other, no pause between."""

    def __init__(self, kind, token, setup, ports, seed, count, results, lock):
        super().__init__(daemon=True)
        self.kind, self.token, self.setup, self.ports = kind, token, setup, ports
        self.count, self.results, self.lock = count, results, lock
        self.rng, self.seed = random.Random(seed), seed

    def run(self) -> None:
        for n in range(self.count):
            write = new_write(
                self.kind, self.token, self.setup, self.ports, self.seed + n, self.rng
            )
            send(write, self.rng)
            with self.lock:
                self.results.append(write)


class PacedClient(threading.Thread):
    """Starts a write at random moments, `rate` a second on average (a Poisson process), until
    `deadline`; a write still running when the next is due delays it (never two at once)."""

    def __init__(self, kind, token, setup, ports, seed, rate, deadline, results, lock):
        super().__init__(daemon=True)
        self.kind, self.token, self.setup, self.ports = kind, token, setup, ports
        self.rate, self.deadline, self.results, self.lock = rate, deadline, results, lock
        self.rng, self.seed = random.Random(seed), seed

    def run(self) -> None:
        due = time.monotonic() + self.rng.expovariate(self.rate)
        n = 0
        while due < self.deadline:
            time.sleep(max(0.0, due - time.monotonic()))
            write = new_write(
                self.kind, self.token, self.setup, self.ports, self.seed + n, self.rng
            )
            send(write, self.rng)
            with self.lock:
                self.results.append(write)
            n += 1
            due = max(due + self.rng.expovariate(self.rate), time.monotonic())


# --- what the database says meanwhile -----------------------------------------------------


class LockSampler(threading.Thread):
    """Looks at the drill database's backends every SAMPLE_EVERY seconds: how many are busy
    (running a statement or waiting on a lock) and how many wait on a lock, and on what."""

    def __init__(self, server: str, database: str):
        super().__init__(daemon=True)
        self.server, self.database = server, database
        self.samples = 0
        self.busy = 0  # backend-samples running a statement (waiting ones included)
        self.waiting = 0  # backend-samples waiting on a lock
        self.on: Counter[str] = Counter()
        self._halt = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(f"{self.server}/postgres", autocommit=True) as conn:
            while not self._halt.is_set():
                rows = conn.execute(
                    "SELECT state, wait_event_type, query FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid() AND backend_type = "
                    "'client backend'",
                    [self.database],
                ).fetchall()
                self.samples += 1
                for state, wait_type, query in rows:
                    if state != "active":
                        continue
                    self.busy += 1
                    if wait_type == "Lock":
                        self.waiting += 1
                        self.on[_what_waits(query or "")] += 1
                time.sleep(SAMPLE_EVERY)

    def stop(self) -> None:
        self._halt.set()
        self.join(5)

    def summary(self, seconds: float) -> str:
        if not self.samples:
            return "no samples"
        waited = self.waiting * seconds / self.samples  # each sample stands for its interval
        share = self.waiting / self.busy if self.busy else 0.0
        worst = ", ".join(
            f"{what} {n * 100 // max(self.waiting, 1)} %" for what, n in self.on.most_common(3)
        )
        return (
            f"lock waits: {waited:.1f} backend-seconds in {seconds:.1f} s, {share:.0%} of the "
            f"time statements were running" + (f" (on {worst})" if worst else "")
        )


def _what_waits(query: str) -> str:
    for what, pattern in WAITS:
        if pattern.search(query):
            return what
    words = " ".join(query.split()[:3])
    return words[:40] or "?"


class ServerLog:
    """PostgreSQL's log file, read from where the last look left it: the duplicate-key errors
    it holds for the drill's database."""

    def __init__(self, path: str | None, database: str):
        self.database = database
        self.path = Path(path) if path else self._newest()
        self.offset = self._size()

    @staticmethod
    def _newest() -> Path | None:
        logs = sorted(Path(PG_LOGS).glob("postgresql-*.log"), key=lambda p: p.stat().st_mtime)
        return logs[-1] if logs else None

    def _size(self) -> int | None:
        try:
            with self.path.open("rb") as f:
                f.read(1)
            return self.path.stat().st_size
        except (OSError, AttributeError):
            return None

    @property
    def readable(self) -> bool:
        return self.offset is not None

    def duplicates(self) -> Counter[str] | None:
        """Duplicate-key errors logged since the last call, by constraint; None if unreadable."""
        if self.offset is None:
            return None
        with self.path.open("rb") as f:
            f.seek(self.offset)
            text = f.read().decode("utf-8", "replace")
            self.offset = f.tell()
        found: Counter[str] = Counter()
        for line in text.splitlines():
            if f"@{self.database} " in line and (match := DUPLICATE.search(line)):
                found[match[1]] += 1
        return found


def database_counters(server: str, database: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit, xact_rollback, deadlocks FROM pg_stat_database WHERE datname = %s",
            [database],
        ).fetchone()
    return dict(zip(("commits", "rollbacks", "deadlocks"), row, strict=True))


# --- one run ------------------------------------------------------------------------------


def quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


@dataclass
class Run:
    name: str
    writes: list[Write]
    seconds: float
    locks: str
    duplicates: Counter[str] | None
    database: dict[str, int]

    @property
    def acknowledged(self) -> list[Write]:
        return [w for w in self.writes if w.created is not None]

    @property
    def throughput(self) -> float:
        return len(self.acknowledged) / self.seconds if self.seconds else 0.0

    def request_p(self, q: float) -> float:
        return quantile([t for w in self.writes for t in w.latencies], q)

    def write_p(self, q: float) -> float:
        return quantile([w.took for w in self.writes], q)

    def first_try_conflicts(self) -> int:
        return sum(1 for w in self.writes if w.statuses[:1] == [409])

    def report(self) -> None:
        writes, acked = self.writes, self.acknowledged
        tries = Counter(w.tries for w in acked)
        statuses = Counter(s for w in writes for s in w.statuses)
        say(
            f"  {len(writes)} writes in {self.seconds:.1f} s, {len(acked)} acknowledged "
            f"({self.throughput:.1f}/s); statuses {dict(sorted(statuses.items()))}"
        )
        say(
            f"  first try answered 409: {self.first_try_conflicts()} "
            f"({self.first_try_conflicts() / max(len(writes), 1):.0%}); tries needed "
            f"{dict(sorted(tries.items()))}, at most {max(tries, default=0)}"
        )
        say(
            f"  requests p50 {self.request_p(0.50) * 1000:.0f} ms, p95 "
            f"{self.request_p(0.95) * 1000:.0f} ms; whole writes (retries included) p50 "
            f"{self.write_p(0.50) * 1000:.0f} ms, p95 {self.write_p(0.95) * 1000:.0f} ms, max "
            f"{max((w.took for w in writes), default=0) * 1000:.0f} ms"
        )
        say(f"  {self.locks}")
        if self.duplicates is None:
            say("  duplicate-key errors in the server's log: log not readable (--pg-log)")
        else:
            say(
                f"  duplicate-key errors in the server's log: {sum(self.duplicates.values())}"
                + (f" {dict(self.duplicates)}" if self.duplicates else "")
            )
        say(
            f"  transactions: {self.database['commits']} committed, "
            f"{self.database['rollbacks']} rolled back, {self.database['deadlocks']} deadlocks"
        )


def run(name: str, clients: list[threading.Thread], results, args, log: ServerLog) -> Run:
    sampler = LockSampler(args.server, args.database)
    before = database_counters(args.server, args.database)
    log.duplicates()  # what an earlier run left
    sampler.start()
    started = time.monotonic()
    for client in clients:
        client.start()
    for client in clients:
        client.join(900)
    seconds = time.monotonic() - started
    sampler.stop()
    after = database_counters(args.server, args.database)
    return Run(
        name=name,
        writes=list(results),
        seconds=seconds,
        locks=sampler.summary(seconds),
        duplicates=log.duplicates(),
        database={k: after[k] - before[k] for k in after},
    )


def closed_loop(
    args, setup: Setup, ports: list[int], clients: int, log: ServerLog, *, per_client=None
) -> Run:
    results: list[Write] = []
    lock = threading.Lock()
    per_client = per_client or max(1, args.writes // clients)
    threads = []
    for i in range(clients):
        kind = setup.kind_of(args.kind, i)
        token = setup.tokens[kind][i]
        threads.append(
            ClosedLoopClient(kind, token, setup, ports, i * 1000, per_client, results, lock)
        )
    name = "1 writer alone" if clients == 1 else f"{clients} clients"
    say(f"\nclosed loop: {name}, {per_client} writes each, no pause between")
    result = run(name, threads, results, args, log)
    result.report()
    return result


def paced(args, setup: Setup, ports: list[int], rate: float, log: ServerLog) -> Run:
    results: list[Write] = []
    lock = threading.Lock()
    writers = args.paced_writers
    deadline = time.monotonic() + args.seconds
    threads = []
    for i in range(writers):
        kind = setup.kind_of(args.kind, i)
        token = setup.tokens[kind][i]
        seed = 100_000 + i * 1000
        threads.append(
            PacedClient(kind, token, setup, ports, seed, rate / writers, deadline, results, lock)
        )
    say(
        f"\npaced: {writers} writers offering {rate:.1f} writes/s together (a write every "
        f"{writers / rate:.1f} s each on average) for {args.seconds:.0f} s"
    )
    result = run(f"paced {writers}", threads, results, args, log)
    result.report()
    return result


# --- the checks ---------------------------------------------------------------------------


def check_writes(checks: Checks, runs: list[Run], since: dict[str, int]) -> None:
    from linli.core.models import IdempotencyKey
    from linli.hall.models import Application
    from linli.visits.models import Visit

    writes = [w for r in runs for w in r.writes]
    acknowledged = [w for w in writes if w.created is not None]
    say(f"\nall runs: {len(writes)} writes, {len(acknowledged)} acknowledged")
    checks.check(len(acknowledged) == len(writes), "every write was acknowledged")
    for kind, model in (("applications", Application), ("visits", Visit)):
        acked = [w.created for w in acknowledged if w.kind == kind]
        rows = set(model.objects.filter(pk__gt=since[kind]).values_list("pk", flat=True))
        if not acked and not rows:
            continue
        checks.check(
            rows == set(acked) and len(acked) == len(set(acked)),
            f"the {kind} are exactly the acknowledged writes, one each ({len(rows)} rows, "
            f"{len(set(acked))} acknowledged; lost {len(set(acked) - rows)}, unacknowledged "
            f"{len(rows - set(acked))}, answered twice {len(acked) - len(set(acked))})",
        )
    stored = dict(
        IdempotencyKey.objects.filter(key__in=[w.key for w in acknowledged]).values_list(
            "key", "body"
        )
    )
    same = sum(1 for w in acknowledged if (stored.get(w.key) or {}).get("id") == w.created)
    checks.check(
        same == len(acknowledged),
        f"every acknowledged key's stored answer names what it made ({same} of "
        f"{len(acknowledged)})",
    )
    numbers = list(
        Application.objects.filter(pk__gt=since["applications"]).values_list("number", flat=True)
    )
    if numbers:
        checks.check(len(numbers) == len(set(numbers)), f"no number twice ({len(set(numbers))})")
    for r in runs:
        checks.check(
            not any(409 in w.statuses for w in r.writes),
            f"{r.name}: no write answered 409 ({sum(w.statuses.count(409) for w in r.writes)})",
        )
        if r.duplicates is not None:
            checks.check(
                not r.duplicates,
                f"{r.name}: no duplicate-key error in the server's log "
                f"({sum(r.duplicates.values())})",
            )


def targets(runs: list[Run], paced_run: Run | None) -> None:
    say("\ntargets (printed, not failed on: they measure the machine too)")
    for r in runs:
        if r.name.endswith("alone"):
            say(
                f"  {r.name}, for reference: requests p50 {r.request_p(0.5) * 1000:.0f} ms, p95 "
                f"{r.request_p(0.95) * 1000:.0f} ms"
            )
            continue
        rate = r.first_try_conflicts() / max(len(r.writes), 1)
        say(f"  {r.name}: first-try 409 rate {rate:.0%} (target 0)")
    if paced_run is not None:
        p95 = paced_run.request_p(0.95)
        say(
            f"  {paced_run.name}: requests p95 {p95 * 1000:.0f} ms (target ≤ "
            f"{P95_TARGET * 1000:.0f} ms): {'met' if p95 <= P95_TARGET else 'NOT met'}"
        )


def check_audit(checks: Checks, env: dict[str, str], since_record: int) -> None:
    from linli.core.models import AuditRecord

    fresh_snapshot()
    written = AuditRecord.objects.filter(pk__gt=since_record).count()
    sealed_field = AuditRecord._meta.get_field("seq").null  # a release that chains later
    if sealed_field:

        def unsealed() -> int:
            fresh_snapshot()
            return AuditRecord.objects.filter(seq__isnull=True).count()

        left = unsealed()
        began = time.monotonic()
        wait_until(lambda: unsealed() == 0, 30, 0.5)
        checks.check(
            unsealed() == 0,
            f"the worker chained the audit records: {written} written during the runs, "
            f"{left} not yet chained when the writes ended, none {time.monotonic() - began:.1f} "
            "s later",
        )
    else:
        say(f"  --   {written} audit records written during the runs (chained as written)")
    result = subprocess.run(  # noqa: S603 — our own command
        [sys.executable, "-m", "linli.cli", "audit", "verify"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    first = (result.stdout.strip().splitlines() or [result.stderr.strip()[:200]])[0]
    checks.check(result.returncode == 0, f"`linli audit verify`: {first}")


# --- the fleet ----------------------------------------------------------------------------


def start_fleet(env: dict[str, str], processes: int, logs: Path) -> list[int]:
    web_env = env | {"LINLI_EMBEDDED_WORKER": "0"}
    ports = []
    for n in range(processes):
        port = free_port()
        name = f"web-{n + 1}"
        Process(name, web_env, ["serve", "--port", str(port)], logs / f"{name}.log")
        ports.append(port)
    Process("worker", env, ["worker", "--worker-id", WORKER], logs / "worker.log")
    for port in ports:
        if not wait_until(lambda p=port: get(p, "/api/catalogue")[0] == 200, 90, 0.3):
            raise SystemExit(f"the web process on port {port} did not answer")
    return ports


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
    from linli.core.models import AuditRecord
    from linli.hall.models import Application
    from linli.visits.models import Visit

    most = max([*args.clients, args.paced_writers])
    setup = make_setup(most)
    log = ServerLog(args.pg_log, args.database)
    say(
        "the server's log: "
        + (str(log.path) if log.readable else "not readable; duplicate keys are not counted")
    )
    try:
        ports = start_fleet(env, args.processes, data_dir)
        say(
            f"started {args.processes} web process(es) on "
            f"{', '.join(f'127.0.0.1:{p}' for p in ports)} and worker {WORKER}"
        )
        since = {
            kind: model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            for kind, model in (("applications", Application), ("visits", Visit))
        }
        since_record = AuditRecord.objects.order_by("-pk").values_list("pk", flat=True).first()
        say(f"writing {args.kind}")
        runs = []
        if args.alone:
            runs.append(closed_loop(args, setup, ports, 1, log, per_client=args.alone))
        runs += [closed_loop(args, setup, ports, n, log) for n in args.clients]
        measured = max((r.throughput for r in runs), default=0.0)
        rate = args.rate or measured * args.load
        paced_run = None
        if rate > 0 and args.paced_writers:
            say(
                f"\nthroughput measured by the closed loop: {measured:.1f} writes/s; paced load "
                + (f"{rate:.1f} writes/s (--rate)" if args.rate else f"{args.load:.0%} of it")
            )
            paced_run = paced(args, setup, ports, rate, log)
        all_runs = runs + ([paced_run] if paced_run else [])
        check_writes(checks, all_runs, since)
        check_audit(checks, env, since_record or 0)
        targets(runs, paced_run)
        say(
            "\nRESULT "
            + " ".join(
                f"{r.name.replace(' ', '_')}:conflict={r.first_try_conflicts() / max(len(r.writes), 1):.2f}"
                f",p50={r.request_p(0.5) * 1000:.0f}ms,p95={r.request_p(0.95) * 1000:.0f}ms"
                f",rate={r.throughput:.1f}/s"
                for r in all_runs
            )
        )
    finally:
        stop_all()
    say(f"drill took {time.monotonic() - started:.0f} s")
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
