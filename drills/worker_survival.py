"""Drill: a job worker outlives the database, and a killed worker's job comes back quickly.

What an operator checks before going live, on PostgreSQL, in a database of the drill's own
(`linli_drill_worker`, migrated with `linli migrate`; the jobs are the harmless ones of
tests/core/jobs_for_tests.py):

1. The database goes away. `linli worker` reaches PostgreSQL through a small TCP proxy on a
   loopback port, which the drill cuts for `--outage` seconds (20; 10 with --quick): the open
   connections are reset and new ones refused, as when the server stops — but the real server
   keeps running for everyone else. Jobs are queued before and during the outage. The worker
   must still be running at the end of it, run every job queued during it once the database
   is back, and log the outage in one line and its end in one line, without a traceback.
2. A worker dies. A job that takes a while (`pause`, whose own time limit is an hour) is taken
   by worker 1; a second worker starts, directly on the database; worker 1 is killed with
   SIGKILL in the middle of the job. Worker 2 must queue the job again within the heartbeat
   limit (dead after `LINLI_WORKER_DEAD_AFTER` seconds, plus one look at the schedule every
   15 s) and run it; the dead worker's heartbeat row must be gone, and worker 2's too once it
   is stopped with SIGTERM.

    PYTHONPATH=src .venv/bin/python drills/worker_survival.py            # the real limits
    PYTHONPATH=src .venv/bin/python drills/worker_survival.py --quick    # CI, under a minute

--quick shortens the outage and the heartbeat (a beat every second, dead after 5 s) so that
it runs in CI; without it the workers run with Linli's defaults (10 s and 60 s). The drill
prints what it did and found and exits with status 1 when a check fails. Processes' logs are
kept in var/drills/<database>/.
"""

from __future__ import annotations

import argparse
import sys
import time

from fleet import (
    ROOT,
    SERVER,
    Checks,
    CuttableProxy,
    Process,
    django_setup,
    environment,
    host_and_port,
    linli,
    prepare_database,
    say,
    stop_all,
    wait_until,
    with_address,
)

DATABASE = "linli_drill_worker"
JOBS = "tests.core.jobs_for_tests"
SCHEDULE_LOOK = 15  # seconds between a worker's looks at the schedule (core/jobs.py)
AWAY = "The database cannot be reached"
BACK = "The database answers again"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI: a short outage and heartbeat")
    parser.add_argument("--server", default=SERVER, help=f"PostgreSQL server ({SERVER})")
    parser.add_argument("--database", default=DATABASE, help=f"drill database ({DATABASE})")
    parser.add_argument("--outage", type=float, help="seconds without the database (20; 10)")
    parser.add_argument("--jobs", type=int, default=5, help="jobs queued before and during it")
    parser.add_argument("--fresh", action="store_true", help="drop the drill database first")
    args = parser.parse_args()
    if args.outage is None:
        args.outage = 10.0 if args.quick else 20.0
    return args


def heartbeat_settings(quick: bool) -> dict[str, str]:
    if quick:
        return {"LINLI_WORKER_HEARTBEAT": "1", "LINLI_WORKER_DEAD_AFTER": "5"}
    return {}


def limits(env: dict[str, str]) -> tuple[float, float]:
    """(seconds between beats, seconds after which a silent worker is taken for dead)."""
    return (
        float(env.get("LINLI_WORKER_HEARTBEAT", "10")),
        float(env.get("LINLI_WORKER_DEAD_AFTER", "60")),
    )


# --- looking at the job table (directly, never through the proxy) --------------------------


def job_rows(ids: list[str]) -> list:
    from django_tasks_db.models import DBTaskResult

    return list(DBTaskResult.objects.filter(pk__in=ids))


def all_finished(ids: list[str]) -> bool:
    rows = job_rows(ids)
    return len(rows) == len(ids) and all(row.status in ("SUCCESSFUL", "FAILED") for row in rows)


def beating() -> list[str]:
    try:
        from linli.core.models import WorkerHeartbeat
    except ImportError:
        return ["(no heartbeats in this release)"]
    return sorted(WorkerHeartbeat.objects.values_list("worker_id", flat=True))


def queue_adds(count: int, offset: int) -> list[str]:
    from tests.core import jobs_for_tests as jobs

    return [str(jobs.add.enqueue(offset + i, 1).id) for i in range(count)]


# --- the two parts ------------------------------------------------------------------------


def outage(args, checks: Checks, env: dict[str, str], proxy: CuttableProxy, logs) -> Process:
    say(f"== 1. The database goes away for {args.outage:.0f} s under a running worker")
    via_proxy = environment(
        with_address(args.server, "127.0.0.1", proxy.port) + f"/{args.database}",
        env["LINLI_DATA_DIR"],
        **heartbeat_settings(args.quick),
    )
    worker = Process("worker 1", via_proxy, ["worker", "--worker-id", "drill-w1"], logs / "w1.log")
    say(f"worker 1 (pid {worker.pid}) reaches PostgreSQL through a proxy on 127.0.0.1:{proxy.port}")
    before = queue_adds(args.jobs, 0)
    started = time.monotonic()
    done = wait_until(lambda: all_finished(before), 60)
    checks.check(
        bool(done),
        f"worker 1 ran the {len(before)} jobs queued before the outage "
        f"({time.monotonic() - started:.1f} s)",
    )

    proxy.cut()
    cut_at = time.monotonic()
    say("cut the proxy: connections reset, new ones refused (PostgreSQL itself keeps running)")
    during = queue_adds(args.jobs, 100)
    say(f"queued {len(during)} jobs during the outage (directly, as a web process elsewhere would)")
    while time.monotonic() - cut_at < args.outage and worker.alive():
        time.sleep(0.2)
    lines_during = len(worker.output().splitlines())
    checks.check(
        worker.alive(),
        f"worker 1 still running after {time.monotonic() - cut_at:.0f} s without its database"
        + ("" if worker.alive() else f" (it exited with status {worker.popen.returncode})"),
    )
    proxy.restore()
    back_at = time.monotonic()
    say("restored the proxy: the database is reachable again")
    done = wait_until(lambda: all_finished(during), 60)
    rows = job_rows(during)
    checks.check(
        bool(done) and all(row.status == "SUCCESSFUL" for row in rows),
        f"the {len(during)} jobs queued during the outage ran "
        + (
            f"{time.monotonic() - back_at:.1f} s after the database came back"
            if done
            else "— not within 60 s: "
            + ", ".join(sorted({row.status for row in rows}) or ["no rows"])
        ),
    )
    ran_by = {row.worker_ids[-1] for row in rows if row.worker_ids}
    checks.check(ran_by == {"drill-w1"}, f"by worker 1 itself (run by: {sorted(ran_by)})")
    log = worker.output()
    away, back = log.count(AWAY), log.count(BACK)
    checks.check(
        (away, back) == (1, 1),
        f"worker 1 logged the outage in one line and its end in one ({away} and {back})",
    )
    checks.check(
        "Traceback" not in log,
        f"no traceback in worker 1's log ({lines_during} lines by the end of the outage)",
    )
    for line in log.splitlines():
        if AWAY in line or BACK in line or "failed (attempt" in line:
            say(f"    log: {line.strip()}")  # a run the outage cut short is retried by its policy
    return worker


def killed_worker(args, checks: Checks, env: dict[str, str], worker1: Process, logs) -> None:
    say()
    say("== 2. A worker killed with SIGKILL in the middle of a job")
    from tests.core import jobs_for_tests as jobs

    beat, dead_after = limits(env | heartbeat_settings(args.quick))
    pause = 120.0  # the first try only: long enough to be killed in the middle of it
    if not worker1.alive():
        worker1 = Process("worker 1", worker1.env, worker1.args, logs / "w1-again.log")
        say(f"worker 1 did not survive part 1: started again (pid {worker1.pid})")
    job_id = str(jobs.pause.enqueue(pause, "paused").id)
    claimed = wait_until(lambda: _running_under(job_id, "drill-w1"), 30, 0.05)
    if not checks.check(bool(claimed), "worker 1 took a job that takes two minutes"):
        return
    worker2 = Process(
        "worker 2",
        environment(env["DATABASE_URL"], env["LINLI_DATA_DIR"], **heartbeat_settings(args.quick)),
        ["worker", "--worker-id", "drill-w2"],
        logs / "w2.log",
    )
    up = wait_until(lambda: "worker_id=drill-w2" in worker2.output(), 30)
    checks.check(bool(up), f"worker 2 (pid {worker2.pid}) started, directly on the database")
    both = wait_until(lambda: {"drill-w1", "drill-w2"} <= set(beating()), 5)
    checks.check(bool(both), f"both workers beat: {beating()}")
    still = _running_under(job_id, "drill-w1")
    if not checks.check(bool(still), "worker 1 is still in the middle of the job"):
        return
    worker1.kill()
    killed_at = time.monotonic()
    say(f"killed worker 1 (SIGKILL) with the job in hand; its limit: dead after {dead_after:.0f} s")
    bound = dead_after + SCHEDULE_LOOK + beat + 10
    requeued = wait_until(lambda: not _running_under(job_id, "drill-w1"), bound + 60, 0.1)
    requeue_delay = time.monotonic() - killed_at
    checks.check(
        bool(requeued) and requeue_delay <= bound,
        f"the job was queued again {requeue_delay:.1f} s after the kill "
        f"(limit {bound:.0f} s: dead after {dead_after:.0f} s + a look at the schedule every "
        f"{SCHEDULE_LOOK} s + a beat every {beat:.0f} s + 10 s)"
        if requeued
        else f"the job was not queued again within {bound + 60:.0f} s of the kill",
    )
    done = wait_until(lambda: all_finished([job_id]), 60) if requeued else None
    [row] = job_rows([job_id])
    checks.check(
        bool(done) and row.status == "SUCCESSFUL" and row.worker_ids == ["drill-w1", "drill-w2"],
        f"worker 2 ran it to the end {time.monotonic() - killed_at:.1f} s after the kill "
        f"(state {row.status}, tried by {row.worker_ids})",
    )
    checks.check("drill-w1" not in beating(), f"worker 1's heartbeat is gone: {beating()}")
    status = worker2.stop()
    checks.check(
        status == 0 and "drill-w2" not in beating(),
        f"worker 2 stopped cleanly on SIGTERM (status {status}) and its heartbeat went with it",
    )
    if requeued:
        say(f"RESULT requeue_delay_s={requeue_delay:.1f} dead_after_s={dead_after:.0f}")
    else:
        say(f"RESULT not_requeued_within_s={requeue_delay:.0f} dead_after_s={dead_after:.0f}")


def _running_under(job_id: str, worker_id: str) -> bool:
    rows = job_rows([job_id])
    return bool(rows) and rows[0].status == "RUNNING" and rows[0].worker_ids[-1:] == [worker_id]


def main() -> int:
    args = arguments()
    checks = Checks()
    data_dir = ROOT / "var" / "drills" / args.database
    started = time.monotonic()
    new = prepare_database(args.server, args.database, data_dir, fresh=args.fresh)
    env = environment(f"{args.server}/{args.database}", data_dir)
    linli(env, "migrate", "-v0")
    say(
        f"database {args.database} {'created and ' if new else ''}migrated "
        f"({time.monotonic() - started:.0f} s); logs in {data_dir.relative_to(ROOT)}/"
    )
    django_setup(env)
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(task_path__startswith=JOBS).delete()  # an earlier run's
    proxy = CuttableProxy(host_and_port(args.server))
    try:
        worker1 = outage(args, checks, env, proxy, data_dir)
        killed_worker(args, checks, env, worker1, data_dir)
    finally:
        stop_all()
        proxy.close()
    say(f"drill took {time.monotonic() - started:.0f} s")
    return checks.status()


if __name__ == "__main__":
    sys.exit(main())
