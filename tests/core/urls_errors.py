"""The site's URLs plus a view that fails, for tests/core/test_outage.py."""

from django.urls import path

from linli.urls import handler500  # noqa: F401 — Django reads it from the URL conf
from linli.urls import urlpatterns as site_urls


def broken(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [
    *site_urls,
    path("broken/", broken),
]
