"""Test data built once for a test module and shared by its tests, each test with a copy of
its own: the `world` district (tests/conftest.py) and what a module builds on top of it.

A module names what its tests share in `SHARED` (name → builder) and takes each thing through
a fixture of the same name that asks `shared` for it:

    SHARED = {"hall": app_helpers.build_hall}  # built once for the module on top of `world`

    @pytest.fixture
    def hall(shared):
        return shared("hall")

A builder's parameters name the shared things it builds on (`build_hall(world)` gets `world`).
`module_shared` builds them all once, when the module's first test starts, inside a
transaction rolled back after the module's last test; each test runs in a savepoint of its own
(pytest-django's `db`) and gets a deep copy of the objects, so whatever one test writes or
changes is gone for the next, as if it had built them itself.

Sharing is safe only where every test would have built the same things, so a module shares
the things that every test of it using the database takes (no test finds records it did not
ask for: a module whose tests all take `world` but only some `hall` shares `world`, and each of
those tests builds its hall on its copy of `world`), and nothing at all (`modules_sharing`)
- when one of its tests is transactional (a test that commits cannot run inside the module's
  transaction);
- when it says `SHARE_WORLD = False` (a module whose tests build their world differently, say
  in another language).
A module whose other tests do not look at such records (they read the working-day calendar or
check a schedule, say) says `OTHERS_IGNORE_SHARED = True`: it shares what every test taking
something shared takes, and the others run beside it.
Whatever a module does not share, `shared(name)` builds for the test itself, as before.

Everything is built as each test would build it: with the fast password hasher, in English,
and at the time the module's tests run at if it names one (`WORLD_CLOCK`: a module whose
`clock` fixture stops the time before anything is built). The ID numbers the shared things hold
are kept from the numbers the module's tests make (`factories.serials_kept`).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import re

import pytest
import time_machine
from django.db import transaction
from django.test import override_settings

from . import factories as f

FAST_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
# Things every module may share (the root conftest adds `world`).
COMMON: dict[str, object] = {}
# What each module's tests share (module name → names, in the order they are built), found
# when the tests are collected.
_SHARING: dict[str, list[str]] = {}


def _commits(item) -> bool:
    """A transactional test: its writes are committed (and the tables emptied after it)."""
    marker = item.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


def _uses_database(item) -> bool:
    return item.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))
    )


def _builders(module) -> dict:
    return {**COMMON, **getattr(module, "SHARED", {})}


# `shared("name")` in a fixture's source: a thing the fixture takes under a name of its own
# (a module's `a` fixture returning `shared("appeals")`).
_ASKED = re.compile(r"""\bshared\(\s*["'](\w+)["']\s*\)""")


@functools.cache
def _asked_in(func) -> frozenset[str]:
    try:
        return frozenset(_ASKED.findall(inspect.getsource(func)))
    except (OSError, TypeError):
        return frozenset()


def _taken(item, builders) -> set[str]:
    """The shared things a test takes: fixtures named after them, and those that the test's
    fixtures ask `shared` for under another name."""
    taken = {name for name in item.fixturenames if name in builders}
    fixture_info = getattr(item, "_fixtureinfo", None)
    for definitions in getattr(fixture_info, "name2fixturedefs", {}).values():
        for definition in definitions:
            taken |= {name for name in _asked_in(definition.func) if name in builders}
    return taken


def _needed(module, tests) -> list[str]:
    """The shared things the module's tests take, and those they are built on, in the order
    they are built."""
    builders = _builders(module)
    taken = {name for t in tests for name in _taken(t, builders)}
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        for parameter in inspect.signature(builders[name]).parameters:
            visit(parameter)
        order.append(name)

    for name in builders:
        if name in taken:
            visit(name)
    return order


def modules_sharing(items) -> None:
    """Note what each module's tests share (see the module's docstring); called by the root
    conftest when the tests are collected."""
    modules: dict[object, list] = {}
    for item in items:
        if getattr(item, "module", None) is not None:
            modules.setdefault(item.module, []).append(item)
    for module, tests in modules.items():
        if not getattr(module, "SHARE_WORLD", True) or any(_commits(t) for t in tests):
            continue
        using = [t for t in tests if _uses_database(t)]
        if getattr(module, "OTHERS_IGNORE_SHARED", False):
            using = [t for t in using if _needed(module, [t])]
        common = set.intersection(*(set(_needed(module, [t])) for t in using)) if using else set()
        if common:
            _SHARING[module.__name__] = [n for n in _needed(module, tests) if n in common]


@pytest.fixture(scope="module")
def module_shared(request, django_db_setup, django_db_blocker):
    """What the module's tests share, built once (name → object), or None where they share
    nothing."""
    module = request.module
    if module.__name__ not in _SHARING:
        yield None
        return
    builders = _builders(module)
    clock = getattr(module, "WORLD_CLOCK", None)
    built: dict[str, object] = {}
    with django_db_blocker.unblock(), transaction.atomic():
        with (
            override_settings(PASSWORD_HASHERS=FAST_HASHERS, LANGUAGE_CODE="en"),
            time_machine.travel(clock, tick=False) if clock else contextlib.nullcontext(),
            f.serials_kept() as kept,
        ):
            for name in _SHARING[module.__name__]:
                build = builders[name]
                built[name] = build(**{p: built[p] for p in inspect.signature(build).parameters})
        yield built
        transaction.set_rollback(True)
    f.serials_released(kept)


@pytest.fixture
def shared(request, db, module_shared):
    """`shared(name)`: the test's own copy of the shared thing `name`. Copies made for one test
    share one memo, so an object two shared things hold (a user of `world` that the hall keeps
    too) is one object in the test as well. What the module's tests do not share is built for
    the test (once, whoever asks), on the test's copies of what they do share."""
    made: dict[str, object] = {}
    memo: dict = {}
    builders = _builders(request.module)

    def get(name: str):
        if name not in made:
            if module_shared is not None and name in module_shared:
                made[name] = copy.deepcopy(module_shared[name], memo)
            else:
                build = builders[name]
                made[name] = build(**{p: get(p) for p in inspect.signature(build).parameters})
        return made[name]

    return get
