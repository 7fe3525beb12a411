"""The access matrix (tests/access_matrix.py) for residents decide 由民做主: its votes 表决 (the
matters' pages and API are tried in test_access_matrix.py).

Votes: every vote page and API operation tried by every role on a vote in its own area, a
sibling area and the parent area (`test_page`, `test_api`), in the matrix's world with — for
every household — a matter being deliberated, one with a draft vote, one with an open phone
vote 一户一票 and one with an open show of hands, each at the household's area (`vx`, built
through the votes' services in a savepoint rolled back after the module). The expectations
are computed in tests/access_matrix.py from the role table and the areas' paths: staff see a
vote through `decide.view` over its matter's place and run it through `decide.manage` there; a
resident sees the votes of their own community and casts where their household is on the roll.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from linli.decide.models import Matter, MatterCategory, StageSpell
from linli.decide.votes import services as votes
from tests import access_matrix as m
from tests.access_matrix import case_reads, mx  # noqa: F401 — the fixtures, used by name

MODULE = "decide"


def _matter(category, household, n: int) -> Matter:
    matter = Matter.objects.create(
        number=f"MX{n:06d}",
        category=category,
        area=household.area,
        title="矩阵事项",
        description="矩阵事项说明",
        channel="staff",
        stage="deliberate",
    )
    StageSpell.objects.create(matter=matter, stage="deliberate")
    return matter


def _vote(matter, method: str):
    return votes.vote_prepare(
        actor=None,
        matter=matter,
        question="矩阵表决",
        body="households",
        quorum_percent=50,
        majority="simple",
        secret=True,
        method=method,
        closes_at=timezone.now() + dt.timedelta(days=365),
    )


# --- votes 表决 -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vx(mx, django_db_blocker):  # noqa: F811
    """The votes of the matrix's world (`votes`: (household key, pick) → matter or vote)."""
    with django_db_blocker.unblock(), transaction.atomic():
        category = MatterCategory.objects.create(code="MX-decide", name="矩阵类别")
        built: dict = {}
        n = 0
        for key, household in mx.households.items():
            for pick in ("matter", "draft", "phone", "hands"):
                n += 1
                matter = _matter(category, household, n)
                if pick == "matter":
                    built[key, pick] = matter
                    continue
                vote = _vote(matter, "show_of_hands" if pick == "hands" else "phone")
                if pick != "draft":
                    vote = votes.vote_open(actor=None, vote=vote)
                built[key, pick] = vote
        mx.votes = built
        built_writes, mx.audit_writes = mx.audit_writes, m._audit_writes()
        m._WORLD_READS.clear()
        yield mx
        del mx.votes
        mx.audit_writes = built_writes
        m._WORLD_READS.clear()
        transaction.set_rollback(True)


@pytest.mark.parametrize("case", m.vote_params(m.page_params(MODULE), votes=True))
def test_page(vx, db, case_reads, case: m.Case):  # noqa: F811
    m.check_page(vx, case)


@pytest.mark.parametrize(
    ("name", "method"), m.vote_params(m.unlisted_pages(MODULE), votes=True), ids=lambda v: str(v)
)
def test_page_refuses_unlisted_methods(vx, db, name, method):
    m.check_page_refuses_unlisted_method(vx, name, method)


@pytest.mark.parametrize("case", m.vote_params(m.api_params(MODULE), votes=True))
def test_api(vx, db, case_reads, case: m.Case):  # noqa: F811
    m.check_api(vx, case)


@pytest.mark.parametrize(
    ("method", "path"), m.vote_params(m.unlisted_api(MODULE), votes=True), ids=lambda v: str(v)
)
def test_api_refuses_unlisted_methods(vx, db, method, path):  # noqa: F811
    m.check_api_refuses_unlisted_method(vx, method, path)
