"""Page weight 页面流量 and first contentful paint on a slow phone line (issue 22, item 6).

Builds the small demo (`linli demo --small`) into a temporary data folder on SQLite, starts
`linli serve` on a free loopback port (it collects the static files under hashed, compressed
names, as in production) and drives Debian's Chromium (/usr/bin/chromium, launched as
tests/browser.py does) with Playwright, a phone-sized window, through a DevTools (CDP) session:

  - `Network.emulateNetworkConditions` with Chrome DevTools' own "Slow 3G" preset (below);
  - a first visit with the browser cache disabled (`Network.setCacheDisabled`): the login page
    as an anonymous visitor, then the resident's home (the workbench) after logging in as the
    demo resident (`resident`, the demo password);
  - a repeat visit of each with the cache on, after one visit that fills it.

Bytes transferred: the sum of `encodedDataLength` of every `Network.loadingFinished` of the
visit (headers and bodies as they came over the wire, compressed where they were). First
contentful paint: `performance.getEntriesByName('first-contentful-paint')` of the page.

Prints a table in KB (1 KB = 1000 bytes) and ms beside the targets — every first visit
≤ 150 KB, every first contentful paint ≤ 2000 ms, and on a repeat visit no static file fetched
again (hashed names, kept for a year) — and what each visit fetched. Exit status 1 when a target
is missed.

The pages themselves (HTML) go uncompressed on purpose: they carry the CSRF token and a
signed-in person's own records beside text a request can echo (a search), which is what a
BREACH attack needs to read a secret out of compressed sizes over HTTPS. They weigh 3–5 KB;
the static files, which hold no secret, are the ones compressed.

    PYTHONPATH=src .venv/bin/python bench/page_weight.py [--latency MS] [--keep]

The server's log is kept in var/bench/page_weight/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "drills"))

from fleet import Process, free_port, get, linli, say, stop_all, wait_until  # noqa: E402

sys.path.insert(0, str(ROOT))
# Chromium as the browser tests launch it, the phone they use.
from tests.browser import CHROMIUM, LAUNCH_ARGS, PHONE  # noqa: E402

# Chrome DevTools' "Slow 3G" preset, as DevTools itself defines it (ChromeDevTools/
# devtools-frontend, front_end/core/sdk/NetworkManager.ts, `Slow3GConditions`): ~500 kbit/s down
# and up at 80 % (500 * 1000 / 8 * .8 = 50,000 bytes/s) and a 400 ms round trip, which DevTools
# multiplies by 5 (2000 ms) because it adds the latency once per request, where a real line pays
# several round trips for a new connection.
SLOW_3G_RTT_MS = 400
SLOW_3G = {
    "offline": False,
    "latency": SLOW_3G_RTT_MS * 5,  # ms, added to every request
    "downloadThroughput": 500 * 1000 / 8 * 0.8,  # bytes/s
    "uploadThroughput": 500 * 1000 / 8 * 0.8,  # bytes/s
}

TARGET_KB = 150.0
TARGET_FCP_MS = 2000.0
RESIDENT, PASSWORD = "resident", "Linli-demo-2026"  # the demo's resident (linli/demo/data.py)
LOG_DIR = ROOT / "var" / "bench" / "page_weight"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--latency",
        type=float,
        default=SLOW_3G["latency"],
        help=f"added latency per request in ms (Slow 3G: {SLOW_3G['latency']})",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="a data folder a run with --keep left (its demo is used again); else a new one",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    return parser.parse_args()


@dataclass
class Visit:
    name: str
    cached: bool
    bytes: int = 0
    fcp_ms: float | None = None
    fetched: list[tuple[str, int]] = field(default_factory=list)

    @property
    def kb(self) -> float:
        return self.bytes / 1000


class Meter:
    """Counts what one page's CDP session reports finished loading, by URL."""

    def __init__(self, cdp) -> None:
        self.urls: dict[str, str] = {}
        self.finished: list[tuple[str, int]] = []
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.loadingFinished", self._finished)

    def _sent(self, event) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]

    def _finished(self, event) -> None:
        url = self.urls.get(event["requestId"], "?")
        if not url.startswith("data:"):  # Bootstrap's inline icons: nothing over the wire
            self.finished.append((url, int(event["encodedDataLength"])))

    def reset(self) -> None:
        self.finished = []


def measure(page, meter: Meter, url: str, visit: Visit) -> Visit:
    meter.reset()
    page.goto(url, wait_until="load", timeout=120_000)
    fcp = page.wait_for_function(
        "() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime",
        timeout=30_000,
    ).json_value()
    # What the page still fetches after `load` (none expected) is counted too.
    page.wait_for_load_state("networkidle", timeout=60_000)
    visit.fcp_ms = float(fcp)
    visit.fetched = list(meter.finished)
    visit.bytes = sum(size for _url, size in visit.fetched)
    return visit


def run_browser(base: str, conditions: dict) -> list[Visit]:
    from playwright.sync_api import sync_playwright

    visits: list[Visit] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            for who in ("anonymous", RESIDENT):
                context = browser.new_context(viewport=PHONE, locale="zh-CN")
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                meter = Meter(cdp)
                if who == RESIDENT:  # log in at full speed: only the home is measured
                    page.goto(f"{base}/accounts/login/")
                    page.fill("input[name=username]", RESIDENT)
                    page.fill("input[name=password]", PASSWORD)
                    with page.expect_navigation():
                        page.click("button[type=submit]")
                    if "/accounts/login/" in page.url:
                        raise SystemExit("the demo resident could not log in")
                    url, label = f"{base}/", "resident's home (logged in)"
                else:
                    url, label = f"{base}/accounts/login/", "login page (anonymous)"
                cdp.send("Network.emulateNetworkConditions", conditions)
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                visits.append(measure(page, meter, url, Visit(f"{label}, first visit", False)))
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
                page.goto("about:blank")
                page.goto(url, wait_until="networkidle", timeout=120_000)  # fills the cache
                page.goto("about:blank")
                visits.append(measure(page, meter, url, Visit(f"{label}, repeat visit", True)))
                context.close()
        finally:
            browser.close()
    return visits


def start_server(data_dir: Path) -> tuple[Process, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)  # SQLite in the data folder
    env.update(
        LINLI_DATA_DIR=str(data_dir),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")])),
        DJANGO_SETTINGS_MODULE="linli.settings",
        LINLI_ALLOWED_HOSTS="127.0.0.1,localhost",
        LINLI_EMBEDDED_WORKER="0",
        PYTHONUNBUFFERED="1",
    )
    if not (data_dir / "linli.sqlite3").is_file():
        say("building the small demo (linli demo --small) …")
        started = time.monotonic()
        linli(env, "demo", "--small")
        say(f"  built in {time.monotonic() - started:.0f} s")
    port = free_port()
    server = Process(
        "web", env, ["serve", "--port", str(port)], LOG_DIR / "serve.log"
    )  # collects the static files first
    if not wait_until(lambda: get(port, "/healthz")[0] == 200 or not server.alive(), 120):
        raise SystemExit("linli serve did not answer within 120 s")
    if not server.alive():
        raise SystemExit(f"linli serve stopped:\n{server.output()}")
    return server, f"http://127.0.0.1:{port}"


def report(visits: list[Visit], conditions: dict) -> int:
    say()
    say(
        f"network: latency {conditions['latency']:.0f} ms a request, "
        f"down {conditions['downloadThroughput'] * 8 / 1000:.0f} kbit/s, "
        f"up {conditions['uploadThroughput'] * 8 / 1000:.0f} kbit/s"
        + (" (Chrome DevTools' Slow 3G)" if conditions == SLOW_3G else " (not DevTools' Slow 3G)")
    )
    say("viewport: 375×812 (phone); cache disabled on first visits")
    say()
    width = max(len(v.name) for v in visits) + 2
    say(f"{'visit'.ljust(width)}{'KB':>8} {'≤ KB':>6} {'FCP ms':>8} {'≤ ms':>6}  requests")
    missed: list[str] = []
    for v in visits:
        marks = ""
        if not v.cached and v.kb > TARGET_KB:
            missed.append(f"{v.name}: {v.kb:.1f} KB > {TARGET_KB:.0f} KB")
            marks += " KB!"
        if v.fcp_ms is None or v.fcp_ms > TARGET_FCP_MS:
            missed.append(
                f"{v.name}: first contentful paint {v.fcp_ms:.0f} ms > {TARGET_FCP_MS:.0f}"
            )
            marks += " FCP!"
        again = [url for url, size in v.fetched if v.cached and "/static/" in url and size]
        if again:
            missed.append(f"{v.name}: static files fetched again: {', '.join(again)}")
            marks += " CACHE!"
        budget = "—" if v.cached else f"{TARGET_KB:.0f}"
        say(
            f"{v.name.ljust(width)}{v.kb:8.1f} {budget:>6} {v.fcp_ms:8.0f} "
            f"{TARGET_FCP_MS:6.0f}  {len(v.fetched)}{marks}"
        )
    say()
    for v in visits:
        say(f"{v.name}:")
        for url, size in v.fetched:
            path = url.split("/", 3)[-1] if "://" in url else url
            say(f"  {size / 1000:8.1f} KB  /{path}")
    say()
    floor = conditions["latency"]
    if floor >= TARGET_FCP_MS:
        say(
            f"note: the profile adds {floor:.0f} ms to every request, so no page can paint "
            f"within {TARGET_FCP_MS:.0f} ms under it (its document alone arrives after that)."
        )
    if missed:
        say(f"MISSED: {len(missed)} target(s)")
        for what in missed:
            say(f"  - {what}")
        return 1
    say("PASSED: every target held")
    return 0


def main() -> int:
    args = arguments()
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        raise SystemExit(f"Chromium not found at {CHROMIUM} (install Debian's chromium package)")
    conditions = dict(SLOW_3G, latency=args.latency)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="linli-bench-page-weight-"))
    try:
        _server, base = start_server(data_dir)
        visits = run_browser(base, conditions)
    finally:
        stop_all()
        if args.keep or args.data_dir:
            say(f"data folder kept: {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return report(visits, conditions)


if __name__ == "__main__":
    sys.exit(main())
