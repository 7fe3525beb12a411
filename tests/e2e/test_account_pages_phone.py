"""On a 375-px phone: the 403 page and the password change a new account is led to at its first
login, each fitting the screen, in Chinese."""

from __future__ import annotations

import pytest
from django.urls import reverse

from linli.accounts import services

from ..factories import PASSWORD
from .conftest import log_in, screenshot, wider_than_window

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_403_page_fits_a_phone(live_server, world, page_at, problems):
    from playwright.sync_api import expect

    page = page_at("phone")
    log_in(page, live_server.url, world.users["grid_worker"].username, PASSWORD)
    url = f"{live_server.url}{reverse('accounts:user_list')}"
    problems.expect_failed_load(url)

    response = page.goto(url)

    assert response.status == 403
    expect(page.get_by_test_id("forbidden")).to_be_visible()
    expect(page.locator("main h1")).to_have_text("无权访问")
    expect(page.locator("button.navbar-toggler")).to_be_visible()  # the site's own layout
    screenshot(page, "forbidden-phone")
    assert wider_than_window(page) == []
    page.get_by_test_id("forbidden").locator("a.btn").click()
    page.wait_for_url(f"{live_server.url}/")
    problems.assert_clean()


def test_a_new_account_changes_its_password_on_a_phone(live_server, world, page_at, problems):
    from playwright.sync_api import expect

    services.user_create(
        actor=world.users["administrator"],
        username="wang-fang",
        password="Chu-Shi-2026",
        display_name="王芳",
    )
    page = page_at("phone")
    problems.expect_failed_load(f"{live_server.url}{reverse('accounts:password_change')}")
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill("wang-fang")
    page.locator("#id_password").fill("Chu-Shi-2026")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}{reverse('accounts:password_change')}*")
    expect(page.locator("#password-change-required")).to_be_visible()
    assert wider_than_window(page) == []

    page.locator("#id_current_password").fill("Chu-Shi-2026")
    page.locator("#id_new_password").fill("abcdefgh")
    page.locator("#id_new_password_again").fill("abcdefgh")
    page.locator("main form button[type=submit]").click()
    error = page.locator(".invalid-feedback").first
    expect(error).to_contain_text("新密码：密码至少需要 8 个字符")
    screenshot(page, "password-change-phone")
    assert wider_than_window(page) == []

    page.locator("#id_current_password").fill("Chu-Shi-2026")
    page.locator("#id_new_password").fill("Wo-De-Mi-Ma-9")
    page.locator("#id_new_password_again").fill("Wo-De-Mi-Ma-9")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator(".alert-success")).to_be_visible()
    problems.assert_clean()
