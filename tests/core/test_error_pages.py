"""Refusals 403 answer with the site's own Chinese page in its layout, like the 404 page: a
permission refused and a form refused by the CSRF check alike (Django's own pages are English
and wider than a phone)."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from linli.core.models import AuditRecord

BACKEND = "django.contrib.auth.backends.ModelBackend"


def chinese_client(user, **kwargs) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans", **kwargs)
    client.force_login(user, backend=BACKEND)
    return client


def assert_site_page(page: str) -> None:
    """The base layout: Chinese document, phone viewport, the menu, the footer."""
    assert '<html lang="zh-CN">' in page
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    assert 'id="main-nav"' in page and "<footer" in page
    assert 'data-testid="forbidden"' in page


def test_a_refused_page_is_the_chinese_403_page(world):
    worker = world.users["grid_worker"]

    response = chinese_client(worker).get(reverse("accounts:user_list"))

    assert response.status_code == 403
    page = response.content.decode()
    assert_site_page(page)
    assert '<h1 class="h4">无权访问</h1>' in page
    assert "返回工作台" in page and 'href="/"' in page
    assert "Forbidden" not in page and "403" not in page.split("<body", 1)[1]
    assert AuditRecord.objects.filter(action="denied", actor_id=worker.pk).count() == 1


def test_a_refusal_with_a_reason_shows_it(world):
    admin = world.users["administrator"]
    street_cadre = world.users["street_cadre"]

    response = chinese_client(admin).post(
        reverse("accounts:api_token_issue", args=[street_cadre.pk]), {"name": "x"}
    )

    assert response.status_code == 403
    page = response.content.decode()
    assert_site_page(page)
    assert 'id="forbidden-reason"' in page and "系统账号" in page


def test_a_form_refused_by_the_csrf_check_is_the_chinese_page_too(world):
    worker = world.users["grid_worker"]
    client = chinese_client(worker, enforce_csrf_checks=True)

    response = client.post(reverse("accounts:own_token_issue"), {"name": "x"})

    assert response.status_code == 403
    page = response.content.decode()
    assert_site_page(page)
    assert "表单未能提交" in page
    assert "CSRF verification failed" not in page and "Forbidden" not in page
