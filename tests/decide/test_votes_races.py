"""200 households casting their ballots at the same moment, each in a thread with its own
database connection: exactly 200 ballots, and the tally equal to a recount. A second ballot
from each of them, raced against the first, is refused; a close racing the last ballots never
lets one in after it. Runs on SQLite (a file database shared by the threads) and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from linli.accounts import services as account_services
from linli.core.errors import Conflict
from linli.core.models import TimelineEvent
from linli.decide.models import Ballot, Vote
from linli.decide.votes import selectors, services
from linli.registry.models import Household

from .. import factories as f
from . import vote_helpers as h

pytestmark = pytest.mark.django_db(transaction=True)

HOUSEHOLDS = 200


def _residents(v, count: int) -> list:
    """`count` households more in the community's grid, each head with a resident account."""
    users = []
    for n in range(count):
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=n)
        household = Household.objects.create(
            area=v.grid, number=f"RC{n:04d}", address=f"文岭一村{n}号"
        )
        person = household.members.create(
            name=f"居民{n}",
            id_number=f.make_id_number(birth, serial=499),
            birth_date=birth,
            sex="male",
            relation="head",
        )
        Household.objects.filter(pk=household.pk).update(head=person)
        user = account_services.user_create(
            actor=None,
            username=f"race-{n}",
            password=f.PASSWORD,
            display_name=f"居民{n}",
            check_password=False,
        )
        account_services.grant_create(actor=None, user=user, role="resident", area=v.grid)
        person.account = user
        person.save(update_fields=["account"])
        users.append(user)
    return users


def _at_once(calls, workers: int = 20):
    barrier = threading.Barrier(min(len(calls), workers))
    gate = threading.Lock()
    started = [0]

    def run(call):
        try:
            with gate:
                started[0] += 1
                first_wave = started[0] <= barrier.parties
            if first_wave:
                barrier.wait(timeout=30)
            return call()
        except Exception as error:  # each refusal is part of the result
            return error
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, calls))


@pytest.fixture
def world_of_200(world):
    # Built at today's date: the world's grants start on the day it was built.
    v = h.build_votes(world)
    users = _residents(v, HOUSEHOLDS)
    # The 200 vote on a matter of their grid only (the world's households live elsewhere).
    matter = h.deliberating(v)
    matter.area = v.grid
    matter.save(update_fields=["area"])
    vote = h.opened(v, matter, closes_at=dt.datetime.now(tz=h.SHANGHAI) + dt.timedelta(days=1))
    return v, vote, users


def test_200_households_cast_at_once_and_the_tally_equals_a_recount(world_of_200):
    v, vote, users = world_of_200
    holders = list(users)
    assert vote.roll_size >= HOUSEHOLDS
    yes, no = h.choice(vote), h.choice(vote, 1)
    calls = [
        (
            lambda u=u, n=n: services.ballot_cast(
                actor=u, vote=vote.pk, choice=(yes if n % 3 else no).pk
            )
        )
        for n, u in enumerate(holders)
    ]
    # Each household's first ballot raced against a second one from the same household.
    calls += [
        (lambda u=u: services.ballot_cast(actor=u, vote=vote.pk, choice=no.pk))
        for u in holders[:40]
    ]
    outcomes = _at_once(calls)
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert all(isinstance(e, Conflict) and e.code == "already_voted" for e in errors), errors[:3]
    assert len(errors) == 40
    assert Ballot.objects.filter(vote=vote).count() == HOUSEHOLDS
    assert Ballot.objects.filter(vote=vote).values("voter").distinct().count() == HOUSEHOLDS
    vote = Vote.objects.get(pk=vote.pk)
    vote.state = "closed"  # read the counts without closing (the close is tried below)
    t = selectors.tally(vote, counts_too=True)
    assert t.cast == HOUSEHOLDS
    assert {o.pk: n for o, n in t.counts} == services.recount(vote)
    by_hand = {}
    for choice_id in Ballot.objects.filter(vote=vote).values_list("choice_id", flat=True):
        by_hand[choice_id] = by_hand.get(choice_id, 0) + 1
    assert services.recount(vote) == by_hand
    # The 40 who tried twice hold the choice of whichever of their two ballots won, never both.
    assert sum(by_hand.values()) == HOUSEHOLDS


def test_a_close_racing_the_ballots_counts_every_ballot_stored(world_of_200):
    """Staff enter a show of hands while a colleague closes the vote: each ballot lands before
    the close's recount or is refused after it; the closing line counts exactly what is stored."""
    v, vote, _users = world_of_200
    Vote.objects.filter(pk=vote.pk).update(method="show_of_hands")
    roll = list(vote.roll.order_by("id").values_list("pk", flat=True))[:60]
    yes = h.choice(vote)
    worker = v.users["community_worker"]
    calls = [
        (
            lambda pk=pk: services.ballot_cast(
                actor=worker, vote=vote.pk, choice=yes.pk, voter=pk, witness="王监票"
            )
        )
        for pk in roll
    ]
    calls.insert(30, lambda: services.vote_close(actor=worker, vote=vote.pk))
    outcomes = _at_once(calls)
    unexpected = [
        o
        for o in outcomes
        if isinstance(o, Exception) and not (isinstance(o, Conflict) and o.code == "closed")
    ]
    assert not unexpected, unexpected[:3]
    vote = Vote.objects.get(pk=vote.pk)
    assert vote.state == "closed"
    stored = Ballot.objects.filter(vote=vote).count()
    refused = sum(isinstance(o, Conflict) for o in outcomes)
    assert stored + refused == len(roll)
    line = TimelineEvent.objects.filter(object_id=vote.matter_id, verb="vote").first()
    assert line.params["cast"] == stored
