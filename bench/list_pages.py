"""Staff list pages and API lists with the demo district loaded: p50 / p95 over repeated requests.

Standing target (docs/engineering.md): every staff list page and API list p95 < 100 ms with the
demo district loaded on SQLite. Run with `make bench` (or `.venv/bin/python bench/list_pages.py`).
It builds the demo into a temporary data folder, so it never touches ./var.
Set DATABASE_URL to measure on PostgreSQL instead (the database must be empty).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("LINLI_DATA_DIR", tempfile.mkdtemp(prefix="linli-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")
os.environ.setdefault("LINLI_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

REPEATS = int(os.environ.get("BENCH_REPEATS", "40"))
TARGET_MS = 100.0

# (role, label, url) — the lists each role uses every day, with and without a search.
DASHBOARD_MS = 300.0  # the standing target for dashboards (engineering.md)
CASES = [
    ("community_worker", "household list page", "/registry/households/"),
    ("community_worker", "household list page, search lzh", "/registry/households/?q=lzh"),
    ("community_worker", "resident list page", "/registry/residents/"),
    ("community_worker", "resident list page, last 4 ID digits", "/registry/residents/?q=0012"),
    ("district_leader", "household list page (whole district)", "/registry/households/"),
    ("district_leader", "area tree page", "/areas/"),
    ("auditor", "audit trail page", "/audit/"),
    ("community_worker", "API households", "/api/households"),
    ("community_worker", "API residents, search lzh", "/api/residents?q=lzh"),
    ("district_leader", "API households (whole district)", "/api/households"),
    ("district_leader", "API areas", "/api/areas"),
    ("community_worker", "application list page", "/services/applications/"),
    ("district_leader", "application list page (whole district)", "/services/applications/"),
    ("community_worker", "outreach task list page", "/services/outreach/"),
    ("department_staff", "step queue page (民政局)", "/services/steps/"),
    ("community_worker", "overdue list, my area", "/services/due/?scope=area&which=overdue"),
    ("district_leader", "hall dashboard (whole district)", "/services/dashboard/", DASHBOARD_MS),
    ("district_leader", "API applications (whole district)", "/api/applications"),
    ("grid_worker", "my households to visit", "/visits/"),
    ("grid_worker", "my households to visit, search lzh", "/visits/?q=lzh"),
    ("grid_worker", "visit list page, my grid", "/visits/records/"),
    ("community_worker", "need list page", "/visits/needs/"),
    ("community_worker", "overdue visits page", "/visits/overdue/"),
    ("community_worker", "contact assignment list page", "/visits/links/"),
    ("district_leader", "visit list page (whole district)", "/visits/records/"),
    ("district_leader", "need list page (whole district)", "/visits/needs/"),
    ("district_leader", "contact assignment list page (whole district)", "/visits/links/"),
    # The gap overview counts five levels' targets: a figures page, held to the dashboards' bar.
    ("district_leader", "gap overview (whole district)", "/visits/links/gaps/", DASHBOARD_MS),
    ("district_leader", "gap list, level 5 (whole district)", "/visits/links/gaps/?level=5"),
    ("district_leader", "overdue visits page (whole district)", "/visits/overdue/"),
    ("administrator", "visit policy list page", "/visits/policies/"),
    ("district_leader", "coverage page (whole district)", "/visits/coverage/", DASHBOARD_MS),
    ("district_leader", "API visits (whole district)", "/api/visits/visits"),
    ("district_leader", "API needs (whole district)", "/api/visits/needs"),
    ("district_leader", "API contact assignments (whole district)", "/api/visits/assignments"),
    ("district_leader", "API overdue (whole district)", "/api/visits/overdue"),
    ("district_leader", "API coverage (whole district)", "/api/visits/coverage", DASHBOARD_MS),
    # The appeals figures by tier, category and area below (issue 20: p95 ≤ 300 ms).
    ("district_leader", "appeals dashboard (whole district)", "/appeals/dashboard/", DASHBOARD_MS),
    ("street_cadre", "appeals dashboard (太保庄街道)", "/appeals/dashboard/", DASHBOARD_MS),
]
# BENCH_ONLY=<text> measures only the cases whose label holds the text.
ONLY = os.environ.get("BENCH_ONLY", "")


def build() -> None:
    """Migrate and build the demo district in this process (run as a child, see main)."""
    from linli.demo.builder import build_demo, demo_exists

    call_command("migrate", verbosity=0)
    if not demo_exists():
        started = time.perf_counter()
        summary = build_demo()
        print(f"demo district built in {time.perf_counter() - started:.1f} s: {summary.counts}")


def measure(client: Client, url: str) -> list[float]:
    timings = []
    for i in range(REPEATS + 3):
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        if i >= 3:  # the first requests warm caches and are not what people see
            timings.append(elapsed)
    return timings


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def main() -> None:
    from linli.accounts.models import User

    # The build runs in a child process, so the measuring process holds only what a serving
    # process holds; the build's leftovers would otherwise make every garbage collection slow.
    subprocess.run([sys.executable, __file__, "--build"], check=True, env=os.environ)
    import linli.wsgi  # noqa: F401 — start up as a serving process does

    setup_test_environment()
    engine = django.db.connection.vendor
    rows = []
    clients: dict[str, Client] = {}
    for role, label, url, *target in CASES:
        if ONLY and ONLY not in label:
            continue
        if role not in clients:
            clients[role] = Client()
            clients[role].force_login(User.objects.get(username=role))
        timings = measure(clients[role], url)
        goal = target[0] if target else TARGET_MS
        rows.append((label, role, statistics.median(timings), p95(timings), goal))
    width = max(len(r[0]) for r in rows)
    print(f"\nlist pages and API lists on {engine}, {REPEATS} requests each (ms)")
    print(f"{'list':<{width}}  {'role':<17} {'p50':>7} {'p95':>7}  target  p95/target")
    for label, role, p50, p95_, goal in rows:
        print(
            f"{label:<{width}}  {role:<17} {p50:7.1f} {p95_:7.1f}  {goal:6.0f}  {p95_ / goal:6.2f}"
        )
    worst = max(rows, key=lambda r: r[3] / r[4])
    print(
        f"worst p95/target: {worst[3]:.1f} ms ({worst[0]}), target {worst[4]:.0f} ms, "
        f"ratio {worst[3] / worst[4]:.2f}"
    )


if __name__ == "__main__":
    if "--build" in sys.argv:
        build()
    else:
        main()
