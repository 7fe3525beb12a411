"""Static files 静态文件: where `linli serve` collected them, pages name them by hashed names,
whitenoise answers those gzip-compressed and cacheable for a year; a restart with the same files
does not collect them again; where they were never collected (the suite), pages name them by
their own names."""

from __future__ import annotations

import gzip

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.templatetags.static import static
from django.test import RequestFactory
from whitenoise.middleware import WhiteNoiseMiddleware

from linli.core.management.commands import serve

HTMX = "vendor/htmx/htmx.min.js"


def test_files_never_collected_are_named_by_their_own_names(settings, tmp_path):
    settings.STORAGES = HASHED
    settings.STATIC_ROOT = tmp_path / "nothing-collected"
    assert static(HTMX) == f"/static/{HTMX}"


HASHED = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "linli.core.static_storage.StaticStorage"},
}


@pytest.fixture
def collected(settings, tmp_path):
    settings.STORAGES = HASHED  # Linli's own (the suite names files plainly: tests/conftest.py)
    settings.STATIC_ROOT = tmp_path / "static"  # a storage of its own (the setting resets it)
    serve.collect_static()
    yield settings.STATIC_ROOT


def _get(url: str, **headers):
    middleware = WhiteNoiseMiddleware(lambda request: None)  # indexes what was collected
    request = RequestFactory().get(url, headers=headers)
    return middleware(request)


def test_collected_files_are_hashed_compressed_and_kept_for_a_year(collected):
    url = static(HTMX)
    assert url != f"/static/{HTMX}" and url.startswith("/static/vendor/htmx/htmx.min.")
    answer = _get(url, accept_encoding="gzip, deflate, br")
    assert answer.status_code == 200
    assert answer["Content-Encoding"] == "gzip"
    assert "immutable" in answer["Cache-Control"] and "max-age=315360000" in answer["Cache-Control"]
    body = b"".join(answer.streaming_content)
    assert len(body) < 20_000 and b"htmx" in gzip.decompress(body)
    plain = _get(f"/static/{HTMX}")  # its own name: not cached for long, never stale
    assert "immutable" not in plain["Cache-Control"]


def test_a_restart_with_the_same_files_does_not_collect_again(collected, monkeypatch):
    calls = []
    monkeypatch.setattr(serve, "call_command", lambda *a, **k: calls.append(a))
    serve.collect_static()
    assert calls == []
    mark = collected.with_name(collected.name + ".collected-from")
    mark.write_text("other files")  # as after an upgrade brought other static files
    serve.collect_static()
    assert calls == [("collectstatic",)]
    assert not (collected / mark.name).exists()  # the mark lies beside the folder, not served
    assert staticfiles_storage.location == str(collected)
