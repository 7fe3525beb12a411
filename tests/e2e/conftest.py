"""Browser tests: Playwright for Python driving Debian's Chromium (/usr/bin/chromium).

No browser is ever downloaded. Where Chromium is missing the tests skip with the reason, except
under CI (CI=true), where a missing browser fails the run so a broken install cannot pass quietly.
Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from linli.demo.data import DEMO_PASSWORD

CHROMIUM = os.environ.get("LINLI_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
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


@pytest.fixture
def demo_site(live_server) -> str:
    """The 峡山区 demo district (small build) with its demo logins, built into the live server's
    database; returns the server's address. The live server's transactional test empties the
    database afterwards."""
    from linli.demo.builder import build_demo

    build_demo(size="small")
    return live_server.url


def screenshot(page, name: str, *, max_height: int | None = None) -> Path:
    """The whole page, or its top `max_height` pixels (a long list: the first screens are what
    a person sees, and a 20,000-pixel picture is too long to look at)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    clip = None
    if max_height:
        height = page.evaluate("document.documentElement.scrollHeight")
        clip = {
            "x": 0,
            "y": 0,
            "width": page.viewport_size["width"],
            "height": min(height, max_height),
        }
    page.screenshot(path=str(path), full_page=True, clip=clip)
    return path


# --- steps a person takes, shared by the browser tests ------------------------------------------
# Elements are found by id, href, role or data-testid, never by UI text: the wording is translated.


_OVERFLOW_JS = """() => {
  const wide = [];
  if (document.documentElement.scrollWidth > window.innerWidth) { wide.push("the page"); }
  // Tables scroll inside .table-responsive boxes: a row cut off there is hidden just the same.
  for (const box of document.querySelectorAll(".table-responsive, .table-responsive-md")) {
    if (box.scrollWidth <= box.clientWidth) { continue; }
    // Name the first cell that sticks out, so a failure says where to look.
    const edge = box.getBoundingClientRect().right + 1;
    const cell = [...box.querySelectorAll("th, td")].find(c => c.getBoundingClientRect().right > edge);
    const where = cell ? `${cell.dataset.label || cell.tagName}: ${cell.textContent.trim().slice(0, 60)}` : "";
    wide.push(`${box.querySelector("table")?.className || "a table"} (${where})`);
  }
  return wide;
}"""


def wider_than_window(page) -> list[str]:
    """What needs sideways scrolling: the page itself (document.documentElement.scrollWidth
    greater than window.innerWidth) or a table in its scroll box. Empty when everything fits."""
    return page.evaluate(_OVERFLOW_JS)


def log_in(page, base_url: str, username: str, password: str = DEMO_PASSWORD) -> None:
    """Through the real login form; lands on the workbench."""
    from playwright.sync_api import expect

    page.goto(f"{base_url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()
    # Waits for the navigation itself rather than polling the address.
    page.wait_for_url(f"{base_url}/")
    expect(page.locator("#main-nav")).to_be_attached()


def open_nav(page) -> None:
    """Show the navigation: on a phone it hides behind the hamburger button."""
    from playwright.sync_api import expect

    toggler = page.locator("button.navbar-toggler[aria-controls=main-nav]")
    nav = page.locator("#main-nav")
    if toggler.is_visible():
        if toggler.get_attribute("aria-expanded") != "true":
            toggler.click()
        expect(toggler).to_have_attribute("aria-expanded", "true")
        # Bootstrap animates the menu open ("collapsing"); "show" is set once it has finished.
        expect(nav).to_have_class(re.compile(r"\bshow\b"))
    expect(nav).to_be_visible()


# Every page link of the menu: top-level entries and the entries of its drop-down menus.
NAV_LINKS = "#main-nav a.nav-link:not(.dropdown-toggle), #main-nav a.dropdown-item"


def nav_hrefs(page) -> list[str]:
    return page.locator(NAV_LINKS).evaluate_all("links => links.map(a => a.pathname)")


def nav_link(page, href: str):
    """The menu's link to `href`, made visible as a person would: the hamburger first on a
    phone, then the drop-down menu the entry sits in."""
    open_nav(page)
    link = page.locator(f"#main-nav a[href='{href}']:not(.dropdown-toggle)")
    menu = link.locator("xpath=ancestor::li[contains(@class, 'dropdown')]")
    if menu.count() and not link.is_visible():
        menu.locator("a.dropdown-toggle").click()
    return link


def go_by_nav(page, href: str) -> None:
    """Open a module from the navigation, as a person would."""
    nav_link(page, href).click()
    page.wait_for_url(re.compile(re.escape(href) + r"(\?.*)?$"))


def log_out(page, base_url: str) -> None:
    """With the button in the menu; lands on the login page."""
    from playwright.sync_api import expect

    open_nav(page)
    page.locator("#main-nav form[action='/accounts/logout/'] button").click()
    page.wait_for_url(f"{base_url}/accounts/login/")
    expect(page.locator("#id_username")).to_be_visible()
