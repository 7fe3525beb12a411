"""The access matrix (tests/access_matrix.py) for core: the workbench, the area tree, the audit
trail, the working-day calendar, the health checks, the API's own pages, the language switch and
the areas API, tried by every role on an object in its own area, in a sibling area and in the
parent area.

This file also checks the matrix itself: that it lists every URL and API operation there is,
and that each of its cases is tried in exactly one module's file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import access_matrix as m
from tests.access_matrix import case_reads, mx  # noqa: F401 — the fixtures, used by name

MODULE = "core"


def test_matrix_lists_every_url_and_operation():
    """A URL or API operation the matrix does not list fails here (and so does a stale entry)."""
    m.check_matrix_lists_every_url_and_operation()


def test_every_case_is_tried_in_one_modules_file():
    """The cases fall to the modules without a rest, and every module has its file."""
    tried = [c for module in m.MODULES for c in m.page_params(module) + m.api_params(module)]
    assert len(tried) == len(m.PAGE_CASES) + len(m.API_CASES)
    unlisted = [u for module in m.MODULES for u in m.unlisted_pages(module)]
    assert len(unlisted) == len(m.UNLISTED)
    unlisted_api = [u for module in m.MODULES for u in m.unlisted_api(module)]
    assert len(unlisted_api) == len(m.UNLISTED_API)
    tests = Path(__file__).parents[1]
    for module in m.MODULES:
        assert (tests / m.matrix_file(module)).is_file(), module


@pytest.mark.parametrize("case", m.page_params(MODULE))
def test_page(mx, db, case_reads, case: m.Case):  # noqa: F811
    m.check_page(mx, case)


@pytest.mark.parametrize("case", m.api_params(MODULE))
def test_api(mx, db, case_reads, case: m.Case):  # noqa: F811
    m.check_api(mx, case)


@pytest.mark.parametrize(("name", "method"), m.unlisted_pages(MODULE), ids=lambda v: str(v))
def test_page_refuses_unlisted_methods(mx, db, name, method):  # noqa: F811
    m.check_page_refuses_unlisted_method(mx, name, method)


@pytest.mark.parametrize(("method", "path"), m.unlisted_api(MODULE), ids=lambda v: str(v))
def test_api_refuses_unlisted_methods(mx, db, method, path):  # noqa: F811
    m.check_api_refuses_unlisted_method(mx, method, path)
