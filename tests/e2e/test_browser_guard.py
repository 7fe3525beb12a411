"""The browser tests' own guard: a page with no problem passes it, and a CSP violation or a script
error fails it. Without this, a guard that silently saw nothing would pass every story."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_the_login_page_is_clean_and_has_its_icon(page_at, problems, live_server):
    page = page_at("phone")
    page.goto(f"{live_server.url}/accounts/login/")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon.endswith(".svg")
    assert page.request.get(f"{live_server.url}{icon}").ok
    page.reload()
    problems.assert_clean()


def test_a_csp_violation_and_a_script_error_are_caught(page_at, problems, live_server):
    page = page_at("desktop")
    page.goto(f"{live_server.url}/accounts/login/")
    # An inline style attribute, which the policy (style-src 'self') refuses.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.evaluate("setTimeout(() => { throw new Error('linli-guard-check'); })")
    wanted = ("Content Security Policy", "linli-guard-check")
    for _ in range(100):  # the reports arrive asynchronously; give them up to 5 s
        if all(any(w in seen for seen in problems.seen) for w in wanted):
            break
        page.wait_for_timeout(50)
    for w in wanted:
        assert any(w in seen for seen in problems.seen), problems.seen
    with pytest.raises(AssertionError):
        problems.assert_clean()
