"""Every demo login in Chromium: log in on a 375 px phone, land on the workbench (a resident: their
own home, tests/e2e/test_resident_home_phone.py), open the menu
with the hamburger button and every module it offers, with nothing wider than the phone and no
error page; then the same workbench and main list on a desktop (a role's other logins: the
workbench and list on the phone). One demo district serves all roles, one after another on one
phone (one test). Screenshots: test-artifacts/screenshots/roles-<role>-*.png.
"""

from __future__ import annotations

import pytest

from linli.accounts.roles import Role
from linli.demo.data import DEMO_LOGINS

from .conftest import (
    DESKTOP,
    PHONE,
    log_in,
    log_out,
    nav_hrefs,
    nav_link,
    open_nav,
    screenshot,
    wider_than_window,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The list a role works from, by preference; a resident's is their own household.
MAIN_LISTS = (
    "/registry/households/",
    "/audit/",
    "/accounts/users/",
    "/accounts/grants/",
    "/registry/organisations/",
    "/areas/",
)


def _open_module(page, href: str, role: str) -> None:
    """Open one module from the menu and check a person gets its page: not an error, the entry
    marked active, nothing wider than the window."""
    from playwright.sync_api import expect

    link = nav_link(page, href)
    with page.expect_navigation() as navigation:
        link.click()
    response = navigation.value
    assert response is not None and response.ok, f"{role}: {href} answered {response.status}"
    expect(page.get_by_test_id("not-found")).to_have_count(0)
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator(f"#main-nav a.active[href='{href}']")).to_have_count(1)
    assert wider_than_window(page) == [], f"{role}: {href} is wider than the window"


def _main_list(page, hrefs: list[str]) -> str:
    """The list the role works from; read on the workbench (a resident's own household: on their
    home)."""
    for href in MAIN_LISTS:
        if href in hrefs:
            return href
    own = page.locator("main a[href^='/registry/households/']")
    assert own.count() == 1, "a role with no list has its own household on its home"
    return own.get_attribute("href")


def _phone_list(page, role: str, main_list: str) -> None:
    assert wider_than_window(page) == [], f"{role}: {main_list} is wider than the phone"
    screenshot(page, f"roles-{role}-phone-list", max_height=2400)


def _check_role(page, base: str, role: str, username: str) -> None:
    from playwright.sync_api import expect

    page.set_viewport_size(PHONE)
    log_in(page, base, username)
    assert wider_than_window(page) == [], f"{role}: the workbench is wider than the phone"
    expect(page.locator("#main-nav")).to_be_hidden()
    screenshot(page, f"roles-{role}-phone-workbench")

    open_nav(page)
    screenshot(page, f"roles-{role}-phone-menu", max_height=812)
    hrefs = nav_hrefs(page)
    assert hrefs[0] == "/", f"{role}: the workbench is the first menu entry"
    for link in page.locator("#main-nav > ul > li > a.nav-link").all():
        expect(link).to_be_visible()
    main_list = _main_list(page, hrefs)
    for href in hrefs[1:]:
        _open_module(page, href, role)
        if href == main_list:  # the list as the menu opened it
            _phone_list(page, role, main_list)
    if main_list not in hrefs:  # the resident's own household, linked from their home
        page.goto(f"{base}{main_list}")
        _phone_list(page, role, main_list)

    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/")
    expect(page.locator("#main-nav")).to_be_visible()
    expect(page.locator("button.navbar-toggler")).to_be_hidden()
    screenshot(page, f"roles-{role}-desktop-workbench")
    page.goto(f"{base}{main_list}")
    assert wider_than_window(page) == [], f"{role}: {main_list} is wider than the desktop"
    screenshot(page, f"roles-{role}-desktop-list", max_height=1600)
    log_out(page, base)


def _check_another_login(page, base: str, role: str, username: str) -> None:
    """A second login of a role already walked module by module (another area's community
    worker, say): it logs in on the phone, and its workbench and the list it works from fit."""
    page.set_viewport_size(PHONE)
    log_in(page, base, username)
    assert wider_than_window(page) == [], f"{username}: the workbench is wider than the phone"
    screenshot(page, f"roles-{username}-phone-workbench")
    main_list = _main_list(page, nav_hrefs(page))
    page.goto(f"{base}{main_list}")
    assert wider_than_window(page) == [], f"{username}: {main_list} is wider than the phone"
    screenshot(page, f"roles-{username}-phone-list", max_height=2400)
    log_out(page, base)


def test_every_role_on_phone_and_desktop(page_at, problems, demo_site):
    """One after another on the same phone, as colleagues sharing one would: each logs in on
    the login page the previous one's logout left. Each role is walked through every module
    once, by its first demo login; its other logins (the same role in another area) log in and
    open their workbench and their list: the menu is the role's, the same for all of them."""
    roles = [(login.role, login.username) for login in DEMO_LOGINS]
    assert {role for role, _ in roles} == set(Role.values), "every role has a demo login"
    page = page_at("phone")
    walked: set[str] = set()
    for role, username in roles:
        if role in walked:
            _check_another_login(page, demo_site, role, username)
        else:
            _check_role(page, demo_site, role, username)
            walked.add(role)
        problems.assert_clean()
