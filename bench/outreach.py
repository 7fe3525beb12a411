"""The outreach scan 主动服务扫描 over the whole 峡山区 demo district.

Builds the demo district (65,549 households) and its catalogue into a throwaway database, then
times, in the same process:
  - first scan:  every offered item with an eligibility rule against every household; the
                 tasks it makes (bulk insert);
  - second scan: the same scan again at once — it must make no task at all.
Prints the time, households checked per second (households × items) and the tasks made, then
the worse of the two scans against the target. Target (issue 4): the full scan ≤ 10 s on SQLite.

Run with `make bench`, or `.venv/bin/python bench/outreach.py`. The demo is built into a fresh
temporary data folder (SQLite), so ./var is never touched. Set DATABASE_URL to measure on an
empty PostgreSQL database instead.

The demo build runs the outreach scan itself and gives its tasks a history; those tasks are
removed before the measurement (its applications stay), so the first scan is a complete one.
The catalogue's items come from the demo catalogue (`linli.demo.catalogue.build_catalogue`)
when the build does not write them itself; should neither be there, the benchmark writes six
items of its own with the same kinds of rule (stated in its output).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
if "LINLI_DATA_DIR" not in os.environ:
    # A folder of our own for the throwaway database, removed when the measurement ends.
    os.environ["LINLI_DATA_DIR"] = tempfile.mkdtemp(prefix="linli-bench-outreach-")
    os.environ["BENCH_OWN_DATA_DIR"] = "1"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

TARGET_SECONDS = 10.0

# Used only when the demo catalogue is not available: the kinds of rule the demo items use.
FALLBACK_ITEMS = (
    (
        "BENCH-01",
        "助学贷款补助申请",
        {
            "all": [
                {"household_tag": "困难户"},
                {"member": {"tag": "在校学生", "detail_in": ["小学", "初中", "高中", "大学"]}},
            ]
        },
        "community_worker",
    ),
    ("BENCH-02", "高龄津贴申领", {"member": {"age_min": 80}}, "community_worker"),
    (
        "BENCH-03",
        "残疾人两项补贴申请",
        {
            "any": [
                {"member": {"tag": "残疾", "detail_in": ["一级", "二级"]}},
                {"all": [{"household_tag": "低保"}, {"member": {"tag": "残疾"}}]},
            ]
        },
        "community_worker",
    ),
    (
        "BENCH-04",
        "临时救助申请",
        {
            "all": [
                {"household_tag": "困难户"},
                {"not": {"household_tag": "低保"}},
                {"not": {"household_tag": "特困"}},
            ]
        },
        "community_worker",
    ),
    ("BENCH-05", "留守儿童关爱登记", {"member": {"tag": "留守儿童"}}, "grid_worker"),
    ("BENCH-06", "留守老人关爱登记", {"member": {"tag": "留守老人"}}, "grid_worker"),
)


def _outreach_items():
    from linli.hall.outreach.services import scanned_items

    return scanned_items()


def _catalogue() -> str:
    """Make sure items with eligibility exist; say where they came from."""
    if _outreach_items():
        return "the demo build's catalogue"
    try:
        from linli.demo.catalogue import build_catalogue
    except ImportError:
        build_catalogue = None
    if build_catalogue is not None:
        build_catalogue()
        if _outreach_items():
            return "the demo catalogue (linli.demo.catalogue.build_catalogue)"
    from linli.hall.catalogue import services as catalogue
    from linli.hall.models import ServiceCategory

    category = ServiceCategory.objects.get_or_create(name="基准测试事项")[0]
    for code, name, rule, role in FALLBACK_ITEMS:
        catalogue.item_create(
            actor=None,
            code=code,
            name=name,
            category=category,
            mode="guided",
            time_limit_days=10,
            eligibility=rule,
            outreach_role=role,
        )
    return "six items written by the benchmark (the demo catalogue is not available)"


def build() -> None:
    """Migrate, build the demo district and its catalogue (run as a child, see main)."""
    from linli.demo.builder import build_demo, demo_exists

    call_command("migrate", verbosity=0)
    if not demo_exists():
        started = time.perf_counter()
        summary = build_demo()
        print(f"demo district built in {time.perf_counter() - started:.1f} s: {summary.counts}")
    print(f"items with eligibility: {_catalogue()}")
    _clear_demo_tasks()


def _clear_demo_tasks() -> None:
    """The demo build runs the scan itself and gives its tasks a history; the benchmark times a
    first scan, so those tasks go (the demo's applications stay, and keep their households from
    being sought out again, as they should)."""
    from linli.hall.models import Application, OutreachTask

    tasks = OutreachTask.objects.count()
    if tasks:
        OutreachTask.objects.all().delete()
        print(
            f"removed the {tasks:,} outreach tasks the demo build made "
            f"({Application.objects.count():,} applications kept)"
        )


def main() -> None:
    # The build runs in a child process, so the measuring process holds only what a job
    # worker holds; the build's leftovers would otherwise slow every garbage collection.
    subprocess.run([sys.executable, __file__, "--build"], check=True, env=os.environ)
    from django.db import connection

    from linli.hall.models import OutreachTask
    from linli.hall.outreach import services as outreach

    items = _outreach_items()
    print(f"\n{len(items)} items with eligibility and an outreach role:")
    for item in items:
        print(f"  {item.code} {item.name} → {item.current.outreach_role}")
    if OutreachTask.objects.exists():
        raise SystemExit("this database already holds outreach tasks; use an empty one")

    runs = []
    for label in ("first scan", "second scan"):
        started = time.perf_counter()
        result = outreach.scan()
        runs.append((label, time.perf_counter() - started, result))

    first = runs[0][2]
    print("\nby item (first scan): eligible households / tasks made")
    for counts in first.items:
        print(f"  {counts.code:<8} {counts.name:<20} {counts.eligible:>7,} {counts.created:>7,}")
    assigned = OutreachTask.objects.filter(assignee__isnull=False).count()
    print(f"  tasks with a responsible worker: {assigned:,} of {OutreachTask.objects.count():,}")

    print(f"\noutreach scan on {connection.vendor}, {first.households:,} households")
    print(
        f"{'scan':<12} {'seconds':>8} {'items':>6} {'households/s':>13} "
        f"{'checks/s':>11} {'eligible':>9} {'tasks made':>11} {'s/target':>9}"
    )
    for label, seconds, result in runs:
        print(
            f"{label:<12} {seconds:8.2f} {len(result.items):6d} "
            f"{result.households / seconds:13,.0f} {result.households_checked / seconds:11,.0f} "
            f"{result.eligible:9,d} {result.created:11,d} {seconds / TARGET_SECONDS:9.2f}"
        )
    second = runs[1][2]
    if second.created:
        raise SystemExit(f"the second scan made {second.created} tasks; it must make none")
    if first.created == 0:
        raise SystemExit("the first scan made no task: the benchmark measured nothing")
    worst = max(runs, key=lambda r: r[1])
    print(
        f"worst: {worst[0]} {worst[1]:.2f} s, target {TARGET_SECONDS:.0f} s, "
        f"ratio {worst[1] / TARGET_SECONDS:.2f}"
    )


if __name__ == "__main__":
    if "--build" in sys.argv:
        build()
    else:
        try:
            main()
        finally:
            if os.environ.get("BENCH_OWN_DATA_DIR") == "1":
                django.db.connections.close_all()
                shutil.rmtree(os.environ["LINLI_DATA_DIR"], ignore_errors=True)
