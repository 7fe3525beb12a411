"""Ballots 投票 through the API under concurrent clients, and the tally's recount.

Starts `linli serve` (as drills/fleet.py does) on a PostgreSQL database of its own
(`linli_bench_votes`, made afresh each run), with one community of HOUSEHOLDS households in
GRIDS grids, each household's head a resident with a login account and an API token of their
own, a matter being deliberated there, and one vote 一户一票 (one vote per household, cast on
the phone, secret, simple majority) prepared and opened through the services — its roll is the
HOUSEHOLDS households. Then:

  - the floor: the same clients GET /healthz, which the server answers before any middleware
    (what this web server can answer at all on this machine, as bench/appeals.py measures it);
  - ballots: CLIENTS concurrent clients, one keep-alive connection each, share the households;
    each client POSTs /api/decide/votes/{id}/ballots once per household it holds, with that
    household head's token (the API lets a resident cast only for their own household, so each
    ballot is the resident's own, as on their phone) and its own Idempotency-Key — ballots/s
    over the whole run, p50 and p95 per ballot, every answer checked (201: the ballot's
    receipt);
  - the check: exactly HOUSEHOLDS ballots stored, one per voter (none lost, none twice), and the
    recount's total equal to them;
  - the tally: the recount of the ballots (`services.recount`, one GROUP BY) and the page's
    tally (`selectors.tally`), each timed TALLY_RUNS times in this process — the median, ms.

The households, residents, accounts and grants are plain bulk inserts (the registry's writer
audits each record and would take minutes for 5,000 households; what is measured here is
the ballots, not the registry); the API tokens are issued by `accounts.services`, the vote is
prepared and opened by its services. Targets (issue 21): p95 ≤ 200 ms per ballot, tally ≤ 100
ms, 0 lost or duplicate ballots. Exit status 1 when one is missed.

    PYTHONPATH=src .venv/bin/python bench/votes.py [--clients 8] [--households 5000]

The server's log is kept in var/bench/votes/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

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

DATABASE = "linli_bench_votes"
HOUSEHOLDS = 5000
GRIDS = 10
TALLY_RUNS = 9
TARGET_P95_MS = 200.0
TARGET_TALLY_MS = 100.0


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=SERVER, help=f"PostgreSQL server ({SERVER})")
    parser.add_argument("--database", default=DATABASE, help=f"database ({DATABASE})")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (8)")
    parser.add_argument("--households", type=int, default=HOUSEHOLDS, help=f"({HOUSEHOLDS})")
    parser.add_argument("--threads", type=int, default=8, help="the server's threads (8)")
    return parser.parse_args()


def _id_number(n: int) -> tuple[str, dt.date]:
    """A valid ID number, unique by its birth date (one per day from 1940 on)."""
    from stdnum.cn import ric

    birth = dt.date(1940, 1, 1) + dt.timedelta(days=n)
    body = f"370702{birth:%Y%m%d}001"
    return body + ric.calc_check_digit(body + "0"), birth


def build_community(households: int) -> tuple[int, list[str], int]:
    """The community, its households and their heads (bulk inserts), each head's account,
    grant and API token, a matter and its vote, opened. Returns the vote's id, the tokens
    (one a household) and the first choice's id."""
    from django.utils import timezone

    from linli.accounts.models import Grant, User
    from linli.accounts.services import api_token_issue
    from linli.core import services as core_services
    from linli.core.context import acting
    from linli.decide.models import Matter, MatterCategory, StageSpell
    from linli.decide.votes import services as votes
    from linli.registry.models import Household, Resident

    with acting(channel="cli", address="bench", source="bench/votes.py"):
        district = core_services.area_create(
            actor=None, name="奎文区", kind="district", parent=None, code="370705000000"
        )
        street = core_services.area_create(
            actor=None, name="东关街道", kind="street", parent=district
        )
        community = core_services.area_create(
            actor=None, name="工福街社区", kind="community", parent=street
        )
        grids = [
            core_services.area_create(
                actor=None, name=f"工福街第{g}网格", kind="grid", parent=community
            )
            for g in range(1, GRIDS + 1)
        ]
        rows = Household.objects.bulk_create(
            [
                Household(
                    area=grids[n % GRIDS], number=f"GF{n:05d}", address=f"工福街{n // 4 + 1}号"
                )
                for n in range(households)
            ],
            batch_size=1000,
        )
        people = []
        for n, household in enumerate(rows):
            number, birth = _id_number(n)
            people.append(
                Resident(
                    household=household,
                    name=f"工福{n}",
                    id_number=number,
                    id_number_reversed=number[::-1],
                    birth_date=birth,
                    sex="male",
                    relation="head",
                )
            )
        people = Resident.objects.bulk_create(people, batch_size=1000)
        for household, person in zip(rows, people, strict=True):
            household.head = person
        Household.objects.bulk_update(rows, ["head"], batch_size=1000)
        users = []
        for n in range(households):
            user = User(username=f"gf-{n:05d}", display_name=f"工福{n}")
            user.set_unusable_password()
            users.append(user)
        users = User.objects.bulk_create(users, batch_size=1000)
        today = timezone.localdate()
        Grant.objects.bulk_create(
            [
                Grant(user=u, role="resident", area=p.household.area, starts_on=today)
                for u, p in zip(users, people, strict=True)
            ],
            batch_size=1000,
        )
        for person, user in zip(people, users, strict=True):
            person.account = user
        Resident.objects.bulk_update(people, ["account"], batch_size=1000)
        keys = [api_token_issue(actor=None, user=u, name="bench")[1] for u in users]
        category = MatterCategory.objects.create(code="JZHJ", name="居住环境服务")
        matter = Matter.objects.create(
            number="YS000001",
            category=category,
            area=community,
            title="游麟路早市占道",
            description="早市摊位占道，影响通行",
            channel="staff",
            stage="deliberate",
        )
        StageSpell.objects.create(matter=matter, stage="deliberate")
        vote = votes.vote_prepare(
            actor=None,
            matter=matter,
            question="早市是否于每日8:30前撤离",
            body="households",
            quorum_percent=50,
            majority="simple",
            secret=True,
            method="phone",
            closes_at=timezone.now() + dt.timedelta(days=1),
        )
        vote = votes.vote_open(actor=None, vote=vote)
        first = vote.options.order_by("order").first()
    return vote.pk, keys, first.pk


class Client(threading.Thread):
    """One client on one keep-alive connection, casting the ballots of its households (or, with
    `floor`, as many GET /healthz, which the server answers before any middleware — what this
    web server can answer at all on this machine)."""

    def __init__(
        self, port: int, vote: int, keys: list[str], choices: list[int], floor: bool = False
    ):
        super().__init__(daemon=True)
        self.port, self.vote, self.keys, self.choices = port, vote, keys, choices
        self.floor = floor
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        path = f"/api/decide/votes/{self.vote}/ballots"
        for key, choice in zip(self.keys, self.choices, strict=True):
            headers = {
                "Content-Type": "application/json",
                "Authorization": f"Bearer {key}",
                "Idempotency-Key": str(uuid.uuid4()),
            }
            body = json.dumps({"choice": choice})
            started = time.perf_counter()
            try:
                if self.floor:
                    conn.request("GET", "/healthz")
                else:
                    conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                status = 0
            self.latencies.append(time.perf_counter() - started)
            self.statuses[status] = self.statuses.get(status, 0) + 1
        conn.close()


def cast_all(
    port: int, vote: int, keys: list[str], choices: list[int], clients: int, floor: bool = False
):
    threads = [
        Client(port, vote, keys[i::clients], choices[i::clients], floor) for i in range(clients)
    ]
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
    return elapsed, latencies, statuses


def percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, int(round(share * (len(values) - 1))))]


def timed_ms(call, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    args = arguments()
    data_dir = ROOT / "var" / "bench" / "votes" / "data"
    logs = ROOT / "var" / "bench" / "votes"
    prepare_database(args.server, args.database, data_dir, fresh=True)
    url = f"{args.server}/{args.database}"
    env = environment(url, data_dir, LINLI_LOG_LEVEL="WARNING")
    linli(env, "migrate", "--no-input")
    django_setup(env)
    built = time.perf_counter()
    vote_id, keys, choice = build_community(args.households)
    built = time.perf_counter() - built
    # Two choices in turn, a third of the households against.
    from linli.decide.models import Ballot, Vote, VoteOption

    other = VoteOption.objects.filter(vote_id=vote_id).exclude(pk=choice).first().pk
    choices = [other if n % 3 == 0 else choice for n in range(len(keys))]
    port = free_port()
    server = Process(
        "web", env, ["serve", "--port", str(port), "--threads", str(args.threads)], logs / "web.log"
    )
    try:
        if not wait_until(lambda: get(port, "/healthz")[0] == 200, 90, 0.3):
            raise SystemExit(f"the server did not answer:\n{server.output()}")
        sample = keys[: min(len(keys), 800)]
        floor_elapsed, floor_latencies, _s = cast_all(
            port, vote_id, sample, choices[: len(sample)], args.clients, floor=True
        )
        elapsed, latencies, statuses = cast_all(port, vote_id, keys, choices, args.clients)
    finally:
        stop_all()
    from linli.decide.votes import selectors, services

    vote = Vote.objects.get(pk=vote_id)
    stored = Ballot.objects.filter(vote=vote).count()
    voters = Ballot.objects.filter(vote=vote).values("voter").distinct().count()
    counts = services.recount(vote)
    expected = {choice: choices.count(choice), other: choices.count(other)}
    recount_ms = timed_ms(lambda: services.recount(vote), TALLY_RUNS)
    tally_ms = timed_ms(lambda: selectors.tally(vote, counts_too=True), TALLY_RUNS)
    total = len(latencies)
    p50, p95 = percentile(latencies, 0.50) * 1000, percentile(latencies, 0.95) * 1000
    lost = len(keys) - stored
    duplicate = stored - voters
    exact = lost == 0 and duplicate == 0 and counts == expected and statuses.get(201, 0) == total
    ok_p95, ok_tally = p95 <= TARGET_P95_MS, max(recount_ms, tally_ms) <= TARGET_TALLY_MS
    say(f"database            {args.database} on {args.server} ({args.clients} clients)")
    say(
        f"community           {len(keys)} households on the roll (built in {built:.0f} s: bulk "
        f"inserts, tokens and the vote through the services)"
    )
    say(
        f"ballots             {total} through the API in {elapsed:.1f} s: "
        f"{total / elapsed:.1f} ballots/s, p50 {p50:.0f} ms, p95 {p95:.0f} ms; "
        f"answers {dict(sorted(statuses.items()))}"
    )
    floor = len(floor_latencies) / floor_elapsed
    say(
        f"web server floor    GET /healthz (answered before any middleware), same clients: "
        f"{floor:.0f} requests/s, p95 {percentile(floor_latencies, 0.95) * 1000:.0f} ms"
    )
    say(
        f"check               stored {stored}, voters {voters}: lost {lost}, duplicate "
        f"{duplicate}; recount {sorted(counts.values())} = sent {sorted(expected.values())}: "
        f"{'yes' if counts == expected else 'NO'}"
    )
    say(
        f"tally               recount of {stored} ballots (GROUP BY) median {recount_ms:.1f} ms; "
        f"page tally median {tally_ms:.1f} ms ({TALLY_RUNS} runs)"
    )
    say(
        f"targets             p95 ≤ {TARGET_P95_MS:.0f} ms: {'met' if ok_p95 else 'MISSED'}; "
        f"tally ≤ {TARGET_TALLY_MS:.0f} ms: {'met' if ok_tally else 'MISSED'}; "
        f"0 lost or duplicate: {'yes' if exact else 'NO'}"
    )
    return 0 if ok_p95 and ok_tally and exact else 1


if __name__ == "__main__":
    sys.exit(main())
