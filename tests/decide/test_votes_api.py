"""The votes API 表决: a vote with its rules and tally, a ballot cast with an Idempotency-Key
(sent twice: one ballot, the same answer), the refusals (not on the roll, a second ballot,
after the close) with their reasons and nothing stored, a secret vote that never says who chose
what, closing, scope (404), and the fuzzer over these operations (no input causes a 5xx)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import schemathesis
import time_machine
from schemathesis import GenerationMode

from linli.accounts.services import api_token_issue
from linli.decide.models import Ballot, Vote, Voter
from tests.api.conftest import ApiClient
from tests.api.test_fuzz import _fuzz, wsgi_app  # noqa: F401 — the fixture is used by name

from . import vote_helpers as h

pytestmark = pytest.mark.django_db

WORLD_CLOCK = h.WORLD_CLOCK
SHARED = {"votes": h.build_votes}
ROOT = "/api/decide/votes"


@pytest.fixture
def v(shared):
    with time_machine.travel(h.WORLD_CLOCK, tick=False):
        yield shared("votes")


@pytest.fixture
def api(client, v):
    def make(user) -> ApiClient:
        _, key = api_token_issue(actor=None, user=user, name="test")
        return ApiClient(client, key)

    return make


def test_get_a_vote_with_its_rules_and_turnout(v, api):
    vote = h.opened(v, quorum_percent=60)
    body = api(v.residents[1]).get(f"{ROOT}/{vote.pk}").json()
    assert body["body"] == "households" and body["quorum_percent"] == 60
    assert (body["majority"], body["secret"], body["method"]) == ("simple", True, "phone")
    assert (body["roll_size"], body["cast"], body["tally"]) == (6, 0, None)
    assert body["you"] == {"on_roll": True, "voted": False}
    assert [c["label"] for c in body["choices"]] == ["For", "Against"]


def test_a_ballot_sent_twice_with_its_key_is_cast_once(v, api):
    vote = h.opened(v)
    resident = api(v.residents[1])
    key = {"Idempotency-Key": str(uuid.uuid4())}
    payload = {"choice": h.choice(vote).pk}
    first = resident.post(f"{ROOT}/{vote.pk}/ballots", payload, headers=key)
    again = resident.post(f"{ROOT}/{vote.pk}/ballots", payload, headers=key)
    assert first.status_code == again.status_code == 201, first.content
    assert again["Idempotent-Replayed"] == "true"
    assert first.json() == again.json()
    assert first.json()["you"] == {"on_roll": True, "voted": True}
    assert Ballot.objects.count() == 1
    # Without the key a second ballot is refused, with the reason.
    second = resident.post(f"{ROOT}/{vote.pk}/ballots", {"choice": h.choice(vote, 1).pk})
    assert second.status_code == 409
    assert "has already voted" in second.json()["detail"]
    assert Ballot.objects.get().choice == h.choice(vote)


def test_refusals_store_nothing(v, api):
    vote = h.opened(v, body="building_heads")
    not_on_roll = api(v.residents[0]).post(
        f"{ROOT}/{vote.pk}/ballots", {"choice": h.choice(vote).pk}
    )
    assert not_on_roll.status_code == 403
    assert "not on this vote's roll" in not_on_roll.json()["detail"]
    far = api(v.far_resident).post(f"{ROOT}/{vote.pk}/ballots", {"choice": h.choice(vote).pk})
    assert far.status_code == 404
    with time_machine.travel(h.CLOSES + dt.timedelta(minutes=1), tick=False):
        late = api(v.residents[3]).post(f"{ROOT}/{vote.pk}/ballots", {"choice": h.choice(vote).pk})
    assert late.status_code == 409 and "no more ballots" in late.json()["detail"]
    assert not Ballot.objects.exists()


def test_a_secret_vote_never_says_who_chose_what(v, api):
    vote = h.opened(v, method="show_of_hands", body="representatives", secret=True)
    worker = api(v.users["community_worker"])
    voter = Voter.objects.filter(vote=vote).first()
    cast = worker.post(
        f"{ROOT}/{vote.pk}/ballots",
        {"choice": h.choice(vote).pk, "voter": voter.pk, "witness": "王监票"},
    )
    assert cast.status_code == 201
    assert set(cast.json()) == {"vote", "cast_at", "you"}  # a receipt: never the choice
    closed = worker.post(f"{ROOT}/{vote.pk}/close", {})
    body = closed.json()
    assert closed.status_code == 200 and body["state"] == "closed"
    assert body["ballots"] is None and voter.name not in closed.content.decode()
    assert body["tally"] == [
        {"choice": h.choice(vote).pk, "label": "For", "ballots": 1},
        {"choice": h.choice(vote, 1).pk, "label": "Against", "ballots": 0},
    ]
    assert body["result"] == "no_quorum"  # 1 of 3, quorum 50%


def test_an_open_vote_lists_voters_for_staff_only(v, api):
    vote = h.opened(v, method="show_of_hands", body="representatives", secret=False)
    worker = api(v.users["community_worker"])
    voter = Voter.objects.filter(vote=vote).first()
    worker.post(
        f"{ROOT}/{vote.pk}/ballots",
        {"choice": h.choice(vote).pk, "voter": voter.pk, "witness": "王监票"},
    )
    assert worker.get(f"{ROOT}/{vote.pk}").json()["ballots"] == [
        {"voter": voter.name, "choice": "For"}
    ]
    assert api(v.residents[1]).get(f"{ROOT}/{vote.pk}").json()["ballots"] is None


def test_closing_needs_the_community_staff(v, api):
    vote = h.opened(v, method="show_of_hands")
    assert api(v.residents[0]).post(f"{ROOT}/{vote.pk}/close", {}).status_code == 403
    assert api(v.users["street_cadre"]).post(f"{ROOT}/{vote.pk}/close", {}).status_code == 403
    assert Vote.objects.get(pk=vote.pk).state == "open"
    assert api(v.users["community_worker"]).post(f"{ROOT}/{vote.pk}/close", {}).status_code == 200


@pytest.mark.slow
def test_no_server_errors(v, wsgi_app):  # noqa: F811
    vote = h.opened(v, method="show_of_hands")
    _, key = api_token_issue(actor=None, user=v.users["community_worker"], name="fuzz")
    headers = {"Authorization": f"Bearer {key}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(ROOT):
            continue
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _fuzz(operation, headers, mode)
            if not (operation.method.lower() == "get" and mode is GenerationMode.NEGATIVE):
                failures += _fuzz(operation, headers, mode, path_parameters={"id": vote.pk})
    assert operations == 3
    assert not failures, "\n\n".join(failures[:5])
