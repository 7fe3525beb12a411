"""The commitment board 党员公开承诺榜 at the level of the services: staff post a party member's
commitment for the community, a building or a business street; records of what was done; one
rating per household of the community. Every refusal leaves nothing changed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from linli.core.errors import Conflict
from linli.core.scoping import OutOfScope
from linli.decide.board import services
from linli.decide.models import Commitment, CommitmentRating, CommitmentRecord

from . import board_world as bw

WORLD_CLOCK = bw.WORLD_CLOCK
SHARED = {"board": bw.build_board}


@pytest.fixture
def b(shared):
    with time_machine.travel(WORLD_CLOCK, tick=False):
        yield shared("board")


def _post(b, who="community_worker", resident=None, place="community", **extra):
    return services.commitment_post(
        actor=b.users[who],
        community=extra.pop("community", b.community),
        resident=resident or b.party_member,
        place=place,
        text=extra.pop("text", "每周三清理楼道小广告"),
        **extra,
    )


def test_a_commitment_for_the_community(b):
    commitment = _post(b)
    assert (commitment.area, commitment.place, commitment.year, commitment.resident) == (
        b.community,
        "community",
        2026,
        b.party_member,
    )


def test_a_commitment_for_a_building_and_for_a_business_street(b):
    building = _post(b, place="building", building=b.building)
    street = _post(b, place="business_street", business_street="游麟路商圈")
    assert (building.area, street.area, street.business_street) == (
        b.building,
        b.community,
        "游麟路商圈",
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"resident": "not_member"}, "resident"),  # not tagged 党员
        ({"resident": "far_member"}, "resident"),  # a party member of another community
        ({"place": "building"}, "building"),  # no building named
        ({"place": "business_street"}, "business_street"),  # the street not named
        ({"text": " "}, "text"),
    ],
)
def test_a_commitment_refused_with_the_field_named(b, fields, field):
    if "resident" in fields:
        fields = {**fields, "resident": getattr(b, fields["resident"])}
    with pytest.raises(ValidationError) as refused:
        _post(b, **fields)
    assert field in refused.value.message_dict
    assert not Commitment.objects.exists()


def test_a_commitment_for_someone_not_a_party_member_says_so(b):
    with pytest.raises(ValidationError, match="not marked as a party member"):
        _post(b, resident=b.not_member)


@pytest.mark.parametrize(
    ("who", "refusal"),
    [("far_worker", OutOfScope), ("street_cadre", PermissionDenied), ("resident", OutOfScope)],
)
def test_only_the_communitys_staff_post(b, who, refusal):
    with pytest.raises(refusal):
        _post(b, who=who)
    assert not Commitment.objects.exists()


def test_records_by_staff_and_by_the_party_member_with_an_account(b):
    commitment = _post(b)
    services.commitment_record(
        actor=b.users["community_worker"],
        commitment=commitment,
        text="清理3号楼小广告",
        done_on=dt.date(2026, 11, 18),
    )
    # The party member (households[1]'s head) signs in as the "neighbour" account.
    services.commitment_record(
        actor=b.users["neighbour"],
        commitment=commitment,
        text="清理5号楼小广告",
        done_on=dt.date(2026, 11, 25),
    )
    assert list(commitment.records.values_list("text", flat=True)) == [
        "清理5号楼小广告",
        "清理3号楼小广告",
    ]


def test_a_record_from_the_future_or_by_another_resident_refused(b):
    commitment = _post(b)
    with pytest.raises(ValidationError, match="the date is ahead"):
        services.commitment_record(
            actor=b.users["community_worker"],
            commitment=commitment,
            text="x",
            done_on=dt.date(2026, 12, 1),
        )
    with pytest.raises(OutOfScope):
        services.commitment_record(
            actor=b.users["resident"], commitment=commitment, text="x", done_on=dt.date(2026, 11, 1)
        )
    assert not CommitmentRecord.objects.exists()


def test_a_household_rates_once(b):
    commitment = _post(b)
    services.commitment_rate(actor=b.users["resident"], commitment=commitment, rating="satisfied")
    with pytest.raises(Conflict, match="rated this commitment already"):
        services.commitment_rate(
            actor=b.users["resident"], commitment=commitment, rating="dissatisfied"
        )
    assert list(CommitmentRating.objects.values_list("rating", flat=True)) == ["satisfied"]


def test_a_rating_from_another_communitys_household_is_refused(b):
    commitment = _post(b)
    with pytest.raises(OutOfScope):
        services.commitment_rate(
            actor=b.users["far_resident"], commitment=commitment, rating="satisfied"
        )
    with pytest.raises(ValidationError, match="Choose satisfied"):
        services.commitment_rate(actor=b.users["resident"], commitment=commitment, rating="great")
    assert not CommitmentRating.objects.exists()


def test_the_board_setting_is_the_communitys_staffs(b):
    board = services.board_setting_change(
        actor=b.users["community_worker"], community=b.community, without_login=True
    )
    assert board.without_login is True
    with pytest.raises(OutOfScope):
        services.board_setting_change(
            actor=b.users["far_worker"], community=b.community, without_login=False
        )
    board.refresh_from_db()
    assert board.without_login is True
