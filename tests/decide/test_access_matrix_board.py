"""The access matrix (tests/access_matrix.py) for manage 民主管理, supervise 民主监督 and the
boards 公开栏 / 党员公开承诺榜: every page and API operation tried by every role on a record of
its own community (春社区, the resident's) and of another (秋社区).

What each case expects is computed in the matrix from the role table and the grants' areas:
a community's board is read by its residents and by whoever holds decide.view over it (the
world's boards are not open without login: a visitor gets 404); a task is seen through
decide.view over its matter and by the staff of the department it is given to, and reported on
by the community's staff (decide.manage) or that department's; the supervision panel's member
inspects; a resident of the community rates, once."""

from __future__ import annotations

import pytest

from tests import access_matrix as m
from tests.access_matrix import case_reads, mx  # noqa: F401 — the fixtures, used by name

MODULE = "decide.board"


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
