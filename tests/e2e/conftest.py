"""Browser tests: the steps a person takes (log in, open the menu, go by the navigation) and
screenshots, shared by every browser test. The fixtures `browser`, `page_at` and `problems` live in
tests/browser.py, registered once by the root conftest. Screenshots go to
test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from linli.demo.data import DEMO_PASSWORD

from ..browser import DESKTOP, PHONE  # noqa: F401  (viewport sizes, for the tests here)
from ..demo_district import demo_in_database

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture
def demo_site(live_server) -> str:
    """The 峡山区 demo district (small build) with its demo logins, in the live server's
    database; returns the server's address. The first test of a test process builds it and
    copies the database, the others get that copy back — the same rows, ids and audit chain,
    signed with the same keys (tests/demo_district.py). The live server's transactional test
    empties the database afterwards."""
    demo_in_database(size="small")
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
    # A login writes (session, last login, audit record); on SQLite it waits its turn behind a
    # job thread's write, which on a busy 2-core test machine can take longer than the default
    # 10 s: allow 30 s for this one step.
    page.locator("main form button[type=submit]").click(timeout=30_000)
    # Waits for the navigation itself rather than polling the address.
    page.wait_for_url(f"{base_url}/", timeout=30_000)
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
