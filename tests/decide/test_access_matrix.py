"""The access matrix (tests/access_matrix.py) for residents decide 由民做主 — proposing and
deliberating: the matters pages and API operations, tried by every role on a matter raised in
its own area, a sibling area and the parent area. A resident sees (and supports) the matters of
their own community, on the board, whatever their grant; staff see those under their
`decide.view` grant. Votes 表决 are tried in test_access_matrix_votes.py, on a world of their own."""

from __future__ import annotations

import pytest

from tests import access_matrix as m
from tests.access_matrix import case_reads, mx  # noqa: F401 — the fixtures, used by name

MODULE = "decide"


@pytest.mark.parametrize("case", m.vote_params(m.page_params(MODULE), votes=False))
def test_page(mx, db, case_reads, case: m.Case):  # noqa: F811
    m.check_page(mx, case)


@pytest.mark.parametrize("case", m.vote_params(m.api_params(MODULE), votes=False))
def test_api(mx, db, case_reads, case: m.Case):  # noqa: F811
    m.check_api(mx, case)


@pytest.mark.parametrize(
    ("name", "method"), m.vote_params(m.unlisted_pages(MODULE), votes=False), ids=lambda v: str(v)
)
def test_page_refuses_unlisted_methods(mx, db, name, method):  # noqa: F811
    m.check_page_refuses_unlisted_method(mx, name, method)


@pytest.mark.parametrize(
    ("method", "path"), m.vote_params(m.unlisted_api(MODULE), votes=False), ids=lambda v: str(v)
)
def test_api_refuses_unlisted_methods(mx, db, method, path):  # noqa: F811
    m.check_api_refuses_unlisted_method(mx, method, path)
