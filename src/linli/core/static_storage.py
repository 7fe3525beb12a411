"""Static files 静态文件 under names that carry a hash of their content, compressed, so that a
browser keeps them for a year and a village phone fetches each once (`linli serve` collects
them on start; whitenoise serves the hashed names with `Cache-Control: immutable` and the
gzip copy to a browser that takes it).

Where the files were never collected — the test suite, a developer's `manage.py runserver` — a
page names each file by its own name instead of failing, and whitenoise serves it from the
package (`WHITENOISE_USE_FINDERS`)."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage  # type: ignore[import-untyped]


class StaticStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._not_collected: set[str] = set()

    def stored_name(self, name: str) -> str:
        if name in self._not_collected:
            return name
        try:
            return super().stored_name(name)
        except ValueError:  # not collected: no manifest entry and no copy to hash
            self._not_collected.add(name)
            return name

    def post_process(self, *args, **kwargs):
        self._not_collected.clear()
        yield from super().post_process(*args, **kwargs)
