"""The browser fixtures every browser test uses: Playwright for Python driving Debian's Chromium
(/usr/bin/chromium). No browser is ever downloaded. Where Chromium is missing the tests skip with
the reason, except under CI (CI=true), where a missing browser fails the run so a broken install
cannot pass quietly.

The root conftest registers these fixtures once for the whole suite. A second registration (a
test module importing `browser` into its own namespace) would make a second session-scoped
browser in the same test process, and Playwright's sync API refuses to start while another is
running.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("LINLI_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1366, "height": 900}

# Playwright's sync API runs an event loop in this thread; the database calls the tests make
# between browser steps are ordinary synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _live_server_answers_at_once() -> None:
    """The live server (`live_server`, Django's LiveServerThread) writes an answer's headers and
    its body in separate sends; with Nagle's algorithm on, the body can then wait ~40 ms for the
    browser's delayed acknowledgement of the headers (seen on some pages, never needed). Its
    connections send at once instead (waitress, which `linli serve` runs, buffers the whole
    answer anyway)."""
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.test.testcases import LiveServerThread

    class ImmediateWSGIServer(ThreadedWSGIServer):
        def get_request(self):
            connection, address = super().get_request()
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return connection, address

    LiveServerThread.server_class = ImmediateWSGIServer


_live_server_answers_at_once()


def _browser_missing_reason() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (install Debian's chromium package)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (Python) is not installed"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _browser_missing_reason()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests cannot run under CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright gives every launch a new, empty profile directory of its own.
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


class BrowserProblems:
    """Console errors (a CSP violation is one), uncaught page errors and failed loads seen by the
    pages of one test. A test calls `assert_clean()` so a broken script or a refused style fails
    it."""

    def __init__(self):
        self.seen: list[str] = []
        self.expected_failures: set[str] = set()

    def watch(self, page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.seen.append(f"page error: {error}"))

    def expect_failed_load(self, url: str) -> None:
        """A page the test opens on purpose that answers 4xx (Chromium logs it as an error)."""
        self.expected_failures.add(url)

    def _on_console(self, message) -> None:
        text = message.text
        if message.type != "error" and "Content Security Policy" not in text:
            return
        url = (message.location or {}).get("url", "")
        if text.startswith("Failed to load resource") and url in self.expected_failures:
            return
        self.seen.append(f"console {message.type}: {text} ({url})")

    def assert_clean(self) -> None:
        assert self.seen == [], "the browser reported problems:\n" + "\n".join(self.seen)


@pytest.fixture
def problems():
    return BrowserProblems()


@pytest.fixture
def page_at(browser, problems):
    """A fresh browser context at a given viewport: `page_at("phone")` or `page_at("desktop")`.
    Every page it opens reports its console errors and page errors to `problems`."""
    contexts = []

    def open_page(size: str = "desktop"):
        # Reduced motion: Bootstrap then opens the menu without its animation, so the tests
        # need not wait it out; what opens and what is shown stay the same.
        ctx = browser.new_context(
            viewport=PHONE if size == "phone" else DESKTOP, locale="zh-CN", reduced_motion="reduce"
        )
        ctx.set_default_timeout(10_000)
        contexts.append(ctx)
        page = ctx.new_page()
        problems.watch(page)
        return page

    yield open_page
    for ctx in contexts:
        ctx.close()
