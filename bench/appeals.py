"""Open311 intake 诉求受理 under concurrent clients, beside PostgreSQL's own insert rate.

Starts `linli serve` (as drills/fleet.py does) on a PostgreSQL database of its own
(`linli_bench_appeals`, made afresh each run), with a district of 4 streets, 16 communities and
64 villages named as 峡山区's are and one public category, and a system account holding an
Open311 key (the 12345 hotline gateway), and a `linli worker` beside the web process (the
intake job raises the posts as appeals there, as in production). Then, in the same run:

  - the floor: the same clients GET /healthz, which the server answers before any middleware —
    what this web server can answer at all on this machine;
  - intake: CLIENTS concurrent clients each POST REQUESTS requests to
    /open311/v2/requests.json (form-encoded, as GeoReport v2 says; each with its own
    Idempotency-Key; the place named by address_string), one keep-alive connection each —
    requests/s over the whole run, p50 and p95 of the answers' latency, every answer checked
    (201 with a token); then the wait until the worker has raised every token's appeal, once;
  - pgbench: the same number of clients inserting single rows into a table of the same
    database (`INSERT INTO … VALUES (…)`, one row a transaction) for the same time — its tps.

Prints the rates, their ratios and the targets (issue 20): intake ≥ 30 % of pgbench's
single-row insert rate, p95 ≤ 200 ms. Exit status 1 when a target is missed.

    PYTHONPATH=src .venv/bin/python bench/appeals.py [--clients 8] [--requests 60]

pgbench is looked for on PATH and in /usr/lib/postgresql/*/bin. The server's log is kept in
var/bench/appeals/.
"""

from __future__ import annotations

import argparse
import glob
import http.client
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "drills"))

from fleet import (  # noqa: E402
    SERVER,
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

DATABASE = "linli_bench_appeals"
TARGET_RATIO = 0.30
TARGET_P95_MS = 200.0
STREETS = ("太保庄街道", "王家庄街道", "郑公街道", "峡山街道")
VILLAGES_PER_COMMUNITY = 4
COMMUNITIES_PER_STREET = 4


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=SERVER, help=f"PostgreSQL server ({SERVER})")
    parser.add_argument("--database", default=DATABASE, help=f"database ({DATABASE})")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (8)")
    parser.add_argument("--requests", type=int, default=60, help="posts per client (60)")
    parser.add_argument("--threads", type=int, default=8, help="the server's threads (8)")
    return parser.parse_args()


def find_pgbench() -> str:
    found = shutil.which("pgbench") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)), None
    )
    if not found:
        raise SystemExit("pgbench not found (it comes with postgresql-client)")
    return found


def build_district() -> tuple[str, list[str]]:
    """The district, its places and one public category; a gateway's Open311 key. Returns the
    key and the address strings the clients name (street + community + village)."""
    from linli.accounts import services as account_services
    from linli.appeals import services as appeal_services
    from linli.appeals.open311 import keys
    from linli.core import services as core_services
    from linli.core.context import acting

    addresses: list[str] = []
    with acting(channel="cli", address="bench", source="bench/appeals.py"):
        district = core_services.area_create(
            actor=None, name="峡山区", kind="district", parent=None, code="370772000000"
        )
        for s, street_name in enumerate(STREETS, start=1):
            street = core_services.area_create(
                actor=None, name=street_name, kind="street", parent=district
            )
            for c in range(1, COMMUNITIES_PER_STREET + 1):
                community_name = f"{street_name[:2]}{c}社区"
                community = core_services.area_create(
                    actor=None, name=community_name, kind="community", parent=street
                )
                for v in range(1, VILLAGES_PER_COMMUNITY + 1):
                    village_name = f"{community_name[:3]}{v}村"
                    core_services.area_create(
                        actor=None,
                        name=village_name,
                        kind="village",
                        parent=community,
                        code=f"370772{s:03d}{c:01d}{v:02d}",
                    )
                    addresses.append(f"峡山区{street_name}{community_name}{village_name}东头")
        appeal_services.category_create(
            actor=None,
            code="HJWS",
            name="环境卫生",
            village_days=3,
            community_days=5,
            street_days=5,
            department_days=10,
            public=True,
            anonymous_allowed=True,
        )
        account = account_services.system_account_create(
            actor=None, username="hotline-12345", display_name="12345 热线网关"
        )
        _key, secret = keys.key_issue(actor=None, account=account, channel="hotline")
    return secret, addresses


def post_fields(secret: str, address: str, n: int) -> bytes:
    return urlencode(
        {
            "api_key": secret,
            "jurisdiction_id": "370772000000",
            "service_code": "HJWS",
            "address_string": address,
            "lat": "36.50",
            "long": "119.41",
            "description": f"排水沟堵塞，污水漫到路上（第{n}件）",
            "first_name": "建国",
            "last_name": "张",
            "phone": "13912345678",
            "attribute[URGENCY]": "normal",
        }
    ).encode()


class Client(threading.Thread):
    """One client on one keep-alive connection: POSTs (or, with `floor`, GET /healthz, which
    the server answers before any middleware — the web server's own ceiling)."""

    def __init__(
        self,
        port: int,
        secret: str,
        addresses: list[str],
        count: int,
        offset: int,
        floor: bool = False,
    ):
        super().__init__(daemon=True)
        self.port, self.secret, self.addresses = port, secret, addresses
        self.count, self.offset, self.floor = count, offset, floor
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.tokens: list[str] = []

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        for i in range(self.count):
            n = self.offset + i
            body = post_fields(self.secret, self.addresses[n % len(self.addresses)], n)
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "Idempotency-Key": str(uuid.uuid4()),
            }
            started = time.perf_counter()
            try:
                if self.floor:
                    conn.request("GET", "/healthz")
                else:
                    conn.request("POST", "/open311/v2/requests.json", body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                status, payload = 0, b""
            self.latencies.append(time.perf_counter() - started)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            match = re.search(rb'"token": "([^"]+)"', payload)
            if status == 201 and match:
                self.tokens.append(match.group(1).decode())
        conn.close()


def intake(
    port: int, secret: str, addresses: list[str], clients: int, each: int, floor: bool = False
):
    threads = [Client(port, secret, addresses, each, i * each, floor) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies = sorted(x for t in threads for x in t.latencies)
    statuses: dict[int, int] = {}
    for t in threads:
        for status, count in t.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    tokens = [n for t in threads for n in t.tokens]
    return elapsed, latencies, statuses, tokens


def percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(round(share * (len(values) - 1))))]


def pgbench(url: str, clients: int, seconds: int) -> float:
    """Single-row inserts, one a transaction, by `clients` connections for `seconds`: tps."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_single_row")
        conn.execute(
            "CREATE TABLE bench_single_row (id bigserial PRIMARY KEY, body text NOT NULL, "
            "created_at timestamptz NOT NULL DEFAULT now())"
        )
    script = ROOT / "var" / "bench" / "appeals" / "insert.sql"
    script.write_text("INSERT INTO bench_single_row (body) VALUES ('排水沟堵塞');\n")
    result = subprocess.run(  # noqa: S603 — pgbench with our own arguments
        [
            find_pgbench(),
            "-n",
            "-c",
            str(clients),
            "-j",
            str(min(clients, os.cpu_count() or 1)),
            "-T",
            str(seconds),
            "-f",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", result.stdout)
    if result.returncode or not match:
        raise SystemExit(f"pgbench failed:\n{result.stdout}\n{result.stderr}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE bench_single_row")
    return float(match.group(1))


def raised_after(tokens: list[str], timeout: float) -> tuple[int, float]:
    """Wait until the worker has raised every token's appeal: (appeals raised, seconds waited)."""
    from linli.appeals.models import Open311Intake

    started = time.perf_counter()
    rows = Open311Intake.objects.filter(token__in=tokens, appeal__isnull=False)
    wait_until(lambda: rows.count() == len(tokens), timeout, 0.5)
    return rows.count(), time.perf_counter() - started


def main() -> int:
    args = arguments()
    data_dir = ROOT / "var" / "bench" / "appeals" / "data"
    logs = ROOT / "var" / "bench" / "appeals"
    prepare_database(args.server, args.database, data_dir, fresh=True)
    url = f"{args.server}/{args.database}"
    env = environment(url, data_dir, LINLI_EMBEDDED_WORKER="0", LINLI_LOG_LEVEL="WARNING")
    linli(env, "migrate", "--no-input")
    django_setup(env)
    secret, addresses = build_district()
    port = free_port()
    server = Process(
        "web", env, ["serve", "--port", str(port), "--threads", str(args.threads)], logs / "web.log"
    )
    # The intake job runs in a worker of its own, as in production, beside the web process.
    Process("worker", env, ["worker", "--worker-id", "bench-appeals"], logs / "worker.log")
    try:
        if not wait_until(lambda: get(port, "/open311/v2/services.json")[0] == 200, 90, 0.3):
            raise SystemExit(f"the server did not answer:\n{server.output()}")
        intake(port, secret, addresses, 2, 10)  # warm up: connections, caches
        floor_elapsed, floor_latencies, _s, _t = intake(
            port, secret, addresses, args.clients, args.requests, floor=True
        )
        started = time.perf_counter()
        elapsed, latencies, statuses, tokens = intake(
            port, secret, addresses, args.clients, args.requests
        )
        stored, drained = raised_after(tokens, 300)
        end_to_end = time.perf_counter() - started
    finally:
        stop_all()
    total = len(latencies)
    rate = total / elapsed
    floor = len(floor_latencies) / floor_elapsed
    p50, p95 = percentile(latencies, 0.50) * 1000, percentile(latencies, 0.95) * 1000
    seconds = max(5, round(elapsed))
    tps = pgbench(url, args.clients, seconds)
    ratio = rate / tps if tps else 0.0
    ok_ratio, ok_p95 = ratio >= TARGET_RATIO, p95 <= TARGET_P95_MS
    good = statuses.get(201, 0) == total and stored == total == len(set(tokens))
    say(f"database            {args.database} on {args.server} ({args.clients} clients)")
    say(
        f"open311 intake      {total} posts in {elapsed:.1f} s: {rate:.1f} requests/s, "
        f"p50 {p50:.0f} ms, p95 {p95:.0f} ms; answers {dict(sorted(statuses.items()))}"
    )
    say(
        f"raised by the job   {stored} appeals, the last {drained:.1f} s after the last post: "
        f"{stored / end_to_end:.1f} appeals/s from the first post to the last appeal"
    )
    say(
        f"web server floor    GET /healthz (answered before any middleware), same clients: "
        f"{floor:.0f} requests/s"
    )
    say(
        f"pgbench             single-row inserts, {args.clients} clients, {seconds} s: {tps:.0f} tps"
    )
    say(
        f"ratios              intake / pgbench = {ratio:.1%}; floor / pgbench = "
        f"{floor / tps:.1%}; intake / floor = {rate / floor:.1%}"
    )
    say(
        f"targets             ratio ≥ {TARGET_RATIO:.0%}: {'met' if ok_ratio else 'MISSED'}; "
        f"p95 ≤ {TARGET_P95_MS:.0f} ms: {'met' if ok_p95 else 'MISSED'}; "
        f"every post raised once: {'yes' if good else 'NO'}"
    )
    return 0 if ok_ratio and ok_p95 and good else 1


if __name__ == "__main__":
    sys.exit(main())
