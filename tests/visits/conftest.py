"""Shared data of the five links and visits tests: `visits_world`.

It builds on the `world` district (tests/conftest.py) and adds, in the grid worker's grid
(文岭一村第1网格):
- the tags 困难户 and 党员中心户 (household), 留守老人 and 党员 (resident);
- the visit policies: 困难户 monthly, 留守老人 every two weeks, the default quarterly;
- `poor` (H20001, 困难户), `left_behind` (H20002, a member 留守老人), `central` (H20003, 党员中心户,
  its head a party member `party_member`), `plain` (world.households[0], no tag);
- `worker_post`: the grid worker's post (with their login) over that grid.
Every household is registered on `REGISTERED` (2026-01-05), so due dates do not depend on the
day the test runs.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from linli.accounts.models import Grant
from linli.registry import services as registry_services
from linli.registry.models import Household, Post
from linli.visits.models import VisitPolicy

from .. import factories as f
from .. import sharing

REGISTERED = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def photos_in_tmp(settings, tmp_path):
    """Visit photos are written under DATA_DIR: a fresh one per test."""
    settings.DATA_DIR = tmp_path


def _member(household, name: str, tag=None, relation: str = "parent"):
    return registry_services.resident_create(
        actor=None,
        household=household,
        name=name,
        id_number=f.make_id_number(dt.date(1948, 3, 2)),
        relation=relation,
        tags=[(tag, "")] if tag else [],
    )


def build_visits_world(world) -> SimpleNamespace:
    w = world
    grid = w.grids[0]
    tags = SimpleNamespace(
        poor=f.tag("困难户", "household", sensitive=True),
        central=f.tag("党员中心户", "household"),
        left_behind=f.tag("留守老人", "resident"),
        party=f.tag("党员", "resident"),
    )
    policies = SimpleNamespace(
        default=VisitPolicy.objects.create(is_default=True, every=3, unit="month"),
        poor=VisitPolicy.objects.create(tag=tags.poor, every=1, unit="month"),
        left_behind=VisitPolicy.objects.create(tag=tags.left_behind, every=2, unit="week"),
    )
    poor = f.household(grid, "H20001", head_name="刘志辉", tags=[(tags.poor, "")])
    left_behind = f.household(grid, "H20002", head_name="王秀英", mobile="13900002222")
    elder = _member(left_behind, "王老汉", tags.left_behind)
    central = f.household(grid, "H20003", head_name="张党员", tags=[(tags.central, "")])
    central.head.tag_links.create(tag=tags.party)
    Household.objects.update(created_at=REGISTERED)
    # The grants start long before any day a test travels to.
    Grant.objects.update(starts_on=dt.date(2020, 1, 1))
    for user in w.users.values():
        user.__dict__.pop("active_grants", None)
    worker = w.users["grid_worker"]
    worker_post = Post.objects.create(
        holder_name="网格员小李",
        kind="grid_worker",
        area=grid,
        account=worker,
        starts_on=dt.date(2025, 1, 1),
    )
    return SimpleNamespace(
        world=w,
        grid=grid,
        tags=tags,
        policies=policies,
        worker=worker,
        worker_post=worker_post,
        plain=w.households[0],
        poor=poor,
        left_behind=left_behind,
        elder=elder,
        central=central,
        party_member=central.head,
        other_grid=w.households[1],  # 文岭二村, the same community, another grid
        far=w.households[4],  # 王家庄街道
        users=w.users,
    )


@pytest.fixture
def visits_world(shared):
    """Built once for a test module on top of `world` where its tests may share it."""
    return shared("visits_world")


sharing.COMMON["visits_world"] = build_visits_world
