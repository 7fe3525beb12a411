from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from . import factories as f
from . import sharing

# The browser fixtures, registered here once for every browser test (see tests/browser.py).
from .browser import browser, page_at, problems  # noqa: F401, E402

# Test data built once for a module and copied for each of its tests (see tests/sharing.py).
from .sharing import module_shared, shared  # noqa: F401, E402


@pytest.fixture(scope="session", autouse=True)
def static_files_by_their_own_names():
    """Pages in the suite name static files by their own names, served from the package, however
    a `linli serve` started by a test (or before the run) left the collected files: the browser
    tests' server serves the package's files only. tests/core/test_static_files.py tries the
    hashed, compressed names `linli serve` gives."""
    from django.test import override_settings

    plain = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=plain):
        yield


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On SQLite the test database is a file (one per test process), not Django's in-memory
    default: threads then share it as they share a real one — WAL and a busy timeout — so the
    browser tests' server threads and job thread wait for each other instead of failing with
    "database table is locked" (in-memory shared-cache databases never wait)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        name = Path(tempfile.gettempdir()) / f"linli-test-{os.getpid()}.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(name)


def _transactional(request) -> bool:
    return _transactional_item(request.node)


def _transactional_item(item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(items):
    sharing.modules_sharing(items)
    if os.environ.get("PYTEST_XDIST_WORKER"):
        _longest_first(items)


def _longest_first(items) -> None:
    """Files in the order the test processes should take them: those with a slow or a browser
    test first, then the others by their number of tests, most first, so that neither process
    is left with a long file after the other has run out of work (`make test` keeps this order:
    --no-loadscope-reorder). Each file's tests stay together and in their order."""
    files: dict[str, list] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::")[0], []).append(item)

    def weight(tests: list) -> tuple[bool, int]:
        slow = any(t.get_closest_marker("slow") or t.get_closest_marker("browser") for t in tests)
        return (not slow, -len(tests))

    items[:] = [t for tests in sorted(files.values(), key=weight) for t in tests]


@pytest.fixture(autouse=True)
def working_day_calendar(request, django_db_blocker):
    """A transactional test empties every table when it ends, the working-day calendar that a
    migration seeds included; the ones after it get the calendar back (deadlines across the
    National Day holiday must count it)."""
    if _transactional(request):
        with django_db_blocker.unblock():
            _seed_calendar_as_the_migration_does()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test has emptied every table (its last teardown step), put the
    calendar back at once: the files run one after another in each test process, so the next
    file's tests — inside their own transactions, where a seed would roll back — need it there."""
    yield
    # nextitem None: the last test, whose teardown has removed the test database itself.
    if nextitem is not None and _transactional_item(item):
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            _seed_calendar_as_the_migration_does()
            _drop_counter_sequences()


def _drop_counter_sequences() -> None:
    """Emptying the tables leaves PostgreSQL's counter sequences (core/counters.py `draw`) where
    they were: drop them, as the emptied counters start again from 1."""
    from django.db import connection

    from linli.core.counters import SEQUENCE_PREFIX

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'S' AND relname LIKE %s",
            [SEQUENCE_PREFIX.replace("_", r"\_") + "%"],
        )
        for (sequence,) in cursor.fetchall():
            cursor.execute(f"DROP SEQUENCE IF EXISTS {sequence}")


def _seed_calendar_as_the_migration_does() -> None:
    # Rows only, as migration core.0007 writes them: the calendar service would also queue
    # jobs (moving deadlines), which tests counting jobs must not find.
    from linli.core.models import WorkCalendarDay, WorkCalendarYear
    from linli.core.workdays import package_arrangements

    if WorkCalendarYear.objects.exists():
        return
    years, days = package_arrangements()
    WorkCalendarDay.objects.bulk_create(
        [WorkCalendarDay(date=d, working=w, name=n) for d, w, n in days], batch_size=500
    )
    WorkCalendarYear.objects.bulk_create(
        [WorkCalendarYear(year=y, published=True, source="chinese-calendar") for y in years]
    )


@pytest.fixture(scope="session", autouse=True)
def audit_key_folder(tmp_path_factory):
    """The audit trail's keys live outside the database: one folder for the session's tests,
    set before any fixture (the demo district's, built once per module) signs a record."""
    from django.conf import settings

    settings.LINLI_AUDIT_KEY_DIR = tmp_path_factory.getbasetemp() / "audit_keys"


@pytest.fixture(autouse=True)
def audit_checkpoint_file(settings, tmp_path_factory):
    """Each test has a database of its own, so it gets a checkpoint file of its own (made only
    when a checkpoint is written)."""
    folder = tmp_path_factory.getbasetemp() / "audit_checkpoints"
    settings.LINLI_AUDIT_CHECKPOINT_FILE = folder / f"{uuid.uuid4().hex}.log"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """argon2 is deliberately slow (~0.15 s a hash) and fixtures build many accounts; tests that
    are not about hashing use a fast one. tests/accounts/test_login.py checks the real setting."""
    settings.PASSWORD_HASHERS = list(sharing.FAST_HASHERS)


@pytest.fixture(autouse=True)
def english_unless_asked(request, settings):
    """Linli defaults to Chinese (LANGUAGE_CODE "zh-hans"); tests read the English msgids unless
    a request asks for Chinese (Accept-Language, the language cookie). tests/test_translations.py
    checks the real default and that the pages render in Chinese. Browser tests keep the real
    default, so the records they build (audit object names …) are Chinese like their pages."""
    if request.node.get_closest_marker("browser") is None:
        settings.LANGUAGE_CODE = "en"


@pytest.fixture
def world(shared):  # noqa: F811
    """A small district: two streets, two communities each, villages with grids, a household
    in each village, and one user per role (`build_world`), built once for a test module and
    copied for each of its tests where they may share it (tests/sharing.py)."""
    return shared("world")


def build_world() -> SimpleNamespace:
    """Names follow the source where it names places."""
    district = f.area("峡山区", "district", code="370772000000")
    streets, communities, villages, grids, households = [], [], [], [], []
    for s_name, c_names in (
        ("太保庄街道", ("文岭社区", "营辉社区")),
        ("王家庄街道", ("东朱社区", "西朱社区")),
    ):
        street = f.area(s_name, "street", district)
        streets.append(street)
        for c_name in c_names:
            community = f.area(c_name, "community", street)
            communities.append(community)
            for v_name in (f"{c_name[:2]}一村", f"{c_name[:2]}二村"):
                village = f.area(v_name, "village", community)
                villages.append(village)
                grid = f.area(f"{v_name}第1网格", "grid", village)
                grids.append(grid)
                households.append(
                    f.household(
                        grid,
                        f"H{len(households) + 1:05d}",
                        head_name=f"{v_name[:2]}户主{len(households)}",
                    )
                )
    w = SimpleNamespace(
        district=district,
        streets=streets,
        communities=communities,
        villages=villages,
        grids=grids,
        households=households,
    )
    own_village, own_community, own_street = villages[0], communities[0], streets[0]
    w.users = {
        "grid_worker": f.user_with("grid_worker", grids[0]),
        "village_cadre": f.user_with("village_cadre", own_village),
        "community_worker": f.user_with("community_worker", own_community),
        "street_cadre": f.user_with("street_cadre", own_street),
        "district_leader": f.user_with("district_leader", district),
        "administrator": f.user_with("administrator", district),
        "security_officer": f.user_with("security_officer", district),
        "auditor": f.user_with("auditor", district),
    }
    resident_user = f.user_with("resident", own_village)
    person = households[0].head
    person.account = resident_user
    person.save(update_fields=["account"])
    w.users["resident"] = resident_user
    return w


sharing.COMMON["world"] = build_world
