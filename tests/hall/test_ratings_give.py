"""Ratings 评价: a completed application is rated once, 1–5, by the resident for his own or by
staff on a return call 回访; anything else is refused and writes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from linli.core.models import AuditRecord
from linli.hall.applications import services
from linli.hall.models import Rating

from . import app_helpers as h

SHARED = {"hall": h.build_hall}  # built once for the module on top of `world` (tests/sharing.py)


@pytest.fixture
def hall(shared):
    return shared("hall")


@pytest.fixture
def done(hall):
    return h.take(hall, hall.items.residence)


def test_resident_rates_his_completed_application_once(hall, done):
    rating = services.rating_give(
        actor=hall.users["resident"],
        application=done,
        score=5,
        comment="一次办好",
        source="resident",
    )
    assert (rating.score, rating.source, rating.rated_by) == (5, "resident", hall.users["resident"])
    assert AuditRecord.objects.filter(object_type="services.rating", object_id=rating.pk).exists()
    with pytest.raises(ValidationError) as e:
        services.rating_give(
            actor=hall.users["hall_worker"], application=done, score=1, source="return_call"
        )
    assert e.value.code == "rated"
    assert Rating.objects.get(application=done).score == 5


def test_staff_rate_on_a_return_call(hall, done):
    rating = services.rating_give(
        actor=hall.users["hall_worker"], application=done, score=4, source="return_call"
    )
    assert rating.source == "return_call" and rating.rated_by == hall.users["hall_worker"]


@pytest.mark.parametrize("score", [0, 6, -1, "five", None, 3.5, True])
def test_score_outside_one_to_five_is_refused(hall, done, score):
    with pytest.raises(ValidationError) as e:
        services.rating_give(
            actor=hall.users["resident"], application=done, score=score, source="resident"
        )
    assert "score" in e.value.message_dict
    assert not Rating.objects.exists()


def test_only_completed_applications_are_rated(hall):
    app = h.take(hall, hall.items.guidance)
    with pytest.raises(ValidationError) as e:
        services.rating_give(
            actor=hall.users["resident"], application=app, score=5, source="resident"
        )
    assert e.value.code == "not_done"
    assert not Rating.objects.exists()


@pytest.mark.parametrize(
    ("user_key", "source"),
    [
        ("hall_worker", "resident"),  # staff cannot rate in the resident's name
        ("resident", "return_call"),
        ("sibling_worker", "return_call"),  # another community's worker
        ("street_cadre", "return_call"),  # no services.rate
    ],
)
def test_who_may_rate(hall, done, user_key, source):
    with pytest.raises(PermissionDenied):
        services.rating_give(actor=hall.users[user_key], application=done, score=3, source=source)
    assert not Rating.objects.exists()


def test_another_households_resident_may_not_rate(hall):
    app = h.take(hall, hall.items.residence, resident=hall.world.households[1].head)
    with pytest.raises(PermissionDenied):
        services.rating_give(
            actor=hall.users["resident"], application=app, score=3, source="resident"
        )


def test_unknown_source_is_refused(hall, done):
    with pytest.raises(ValidationError) as e:
        services.rating_give(actor=hall.users["resident"], application=done, score=3, source="sms")
    assert "source" in e.value.message_dict
