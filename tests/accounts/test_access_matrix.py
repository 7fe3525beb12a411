"""The access matrix (tests/access_matrix.py) for accounts: logging in and out, one's own password
and API tokens, users, system accounts, grants, locked accounts and the administrator's tokens,
tried by every role (accounts belong to the whole deployment, not to an area)."""

from __future__ import annotations

import pytest

from tests import access_matrix as m
from tests.access_matrix import case_reads, mx  # noqa: F401 — the fixtures, used by name

MODULE = "accounts"


@pytest.mark.parametrize("case", m.page_params(MODULE))
def test_page(mx, db, case_reads, case: m.Case):  # noqa: F811
    m.check_page(mx, case)


@pytest.mark.parametrize(("name", "method"), m.unlisted_pages(MODULE), ids=lambda v: str(v))
def test_page_refuses_unlisted_methods(mx, db, name, method):  # noqa: F811
    m.check_page_refuses_unlisted_method(mx, name, method)
