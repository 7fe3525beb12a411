"""The votes pages 表决: the vote page shows its rules before anything else, the turnout while
open and the tally and result after; a secret vote never shows who chose what; the resident's
投票 with its confirmation step and “您已投票”; staff prepare, edit, open, enter a show of hands
and close."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from linli.decide.models import Ballot, Vote, Voter
from linli.decide.votes import services

from . import vote_helpers as h

pytestmark = pytest.mark.django_db

WORLD_CLOCK = h.WORLD_CLOCK
SHARED = {"votes": h.build_votes}


@pytest.fixture
def v(shared):
    with time_machine.travel(h.WORLD_CLOCK, tick=False):
        yield shared("votes")


def _as(client, user):
    client.force_login(user)
    return client


def test_the_vote_page_shows_its_rules_first_then_the_turnout_only(client, v):
    vote = h.opened(v, quorum_percent=60, majority="two_thirds")
    services.ballot_cast(actor=v.residents[0], vote=vote, choice=h.choice(vote))
    page = _as(client, v.residents[1]).get(reverse("votes:detail", args=[vote.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    rules = text.index('data-testid="vote-rules"')
    assert rules < text.index('data-testid="vote-turnout"')
    for shown in (
        "One vote per household",
        "60% of the roll must vote",
        "Two thirds",
        "Secret: nobody sees who chose what",
        "On the phone",
        "2026-11-28 09:30",
    ):
        assert shown in text[rules:], shown
    assert "1 of 6 on the roll have voted (16.7%)." in text
    assert "The count of each choice is shown when the vote closes." in text
    assert 'data-testid="vote-result"' not in text


def test_after_the_close_the_tally_and_a_missed_quorum_says_so(client, v):
    vote = h.opened(v)
    services.ballot_cast(actor=v.residents[0], vote=vote, choice=h.choice(vote))
    with time_machine.travel(h.CLOSES + dt.timedelta(minutes=1), tick=False):
        services.close_due_votes()
    text = _as(client, v.residents[2]).get(reverse("votes:detail", args=[vote.pk])).content.decode()
    assert "Quorum not reached: nothing decided." in text
    assert "1 of 6 on the roll have voted" in text


def test_a_secret_vote_shows_no_voters_choice_to_staff(client, v):
    vote = h.opened(v, method="show_of_hands", body="representatives", secret=True)
    voter = Voter.objects.filter(vote=vote).first()
    services.ballot_cast(
        actor=v.users["community_worker"],
        vote=vote,
        choice=h.choice(vote),
        voter=voter,
        witness="王监票",
    )
    worker = _as(client, v.users["community_worker"])
    for name in ("votes:detail", "votes:hands"):
        text = worker.get(reverse(name, args=[vote.pk])).content.decode()
        assert "Who chose what" not in text
        assert f"{voter.name} — " not in text and "Entered:" not in text
    open_vote = h.opened(
        v,
        h.deliberating(v, "公开表决"),
        method="show_of_hands",
        secret=False,
        body="representatives",
    )
    voter = Voter.objects.filter(vote=open_vote).first()
    services.ballot_cast(
        actor=v.users["community_worker"],
        vote=open_vote,
        choice=h.choice(open_vote),
        voter=voter,
        witness="王监票",
    )
    text = worker.get(reverse("votes:detail", args=[open_vote.pk])).content.decode()
    assert f"{voter.name} — {h.choice(open_vote).label}" in text


def test_a_resident_votes_with_a_confirmation_step(client, v):
    vote = h.opened(v)
    resident = _as(client, v.residents[1])
    url = reverse("votes:cast", args=[vote.pk])
    assert 'data-testid="choice"' in resident.get(url).content.decode()
    yes = h.choice(vote)
    confirm = resident.post(url, {"choice": yes.pk})
    assert confirm.status_code == 200 and 'data-testid="confirm-step"' in confirm.content.decode()
    assert not Ballot.objects.exists()
    done = resident.post(url, {"choice": yes.pk, "confirmed": "on"})
    assert done.status_code == 302
    assert Ballot.objects.get().choice == yes
    assert "You have voted." in resident.get(url).content.decode()
    again = resident.post(url, {"choice": h.choice(vote, 1).pk, "confirmed": "on"})
    assert "You have voted." in again.content.decode()
    assert Ballot.objects.get().choice == yes


def test_one_not_on_the_roll_is_told_why(client, v):
    vote = h.opened(v, body="building_heads")
    page = _as(client, v.residents[0]).get(reverse("votes:cast", args=[vote.pk]))
    text = page.content.decode()
    assert page.status_code == 403
    assert "You are not on this vote&#x27;s roll: only Building heads" in text
    assert 'data-testid="choice"' not in text


def test_a_resident_of_another_community_gets_404(client, v):
    vote = h.opened(v)
    far = _as(client, v.far_resident)
    assert far.get(reverse("votes:detail", args=[vote.pk])).status_code == 404
    assert far.get(reverse("votes:cast", args=[vote.pk])).status_code == 404


def test_staff_prepare_edit_open_enter_hands_and_close(client, v):
    worker = _as(client, v.users["community_worker"])
    form = {
        "question": "是否拆除违建",
        "body": "representatives",
        "quorum_percent": "50",
        "majority": "unanimous",
        "method": "show_of_hands",
        "closes_at": "2026-11-26T18:00",
        "choices": "",
    }
    made = worker.post(reverse("votes:prepare", args=[v.matter.pk]), form)
    assert made.status_code == 302, made.content.decode()[:2000]
    vote = Vote.objects.get()
    assert (vote.secret, vote.majority) == (False, "unanimous")
    edited = worker.post(reverse("votes:edit", args=[vote.pk]), {**form, "quorum_percent": "70"})
    assert edited.status_code == 302
    assert worker.post(reverse("votes:open", args=[vote.pk])).status_code == 302
    vote.refresh_from_db()
    assert (vote.state, vote.quorum_percent, vote.roll_size) == ("open", 70, 3)
    refused = worker.post(reverse("votes:edit", args=[vote.pk]), {**form, "quorum_percent": "10"})
    assert refused.status_code == 409
    assert "its rules were fixed" in refused.content.decode()
    hands_url = reverse("votes:hands", args=[vote.pk])
    assert worker.get(hands_url).status_code == 200
    roll = list(Voter.objects.filter(vote=vote).order_by("id"))
    yes = h.choice(vote)
    posted = {"witness": "王监票", **{f"voter-{r.pk}": yes.pk for r in roll}}
    assert worker.post(hands_url, posted).status_code == 302
    assert Ballot.objects.filter(vote=vote).count() == 3
    assert worker.post(reverse("votes:close", args=[vote.pk])).status_code == 302
    vote.refresh_from_db()
    assert vote.result == "passed"
    text = worker.get(reverse("votes:detail", args=[vote.pk])).content.decode()
    assert "Passed: For" in text


def test_a_resident_cannot_reach_the_staff_pages(client, v):
    vote = h.opened(v, method="show_of_hands")
    resident = _as(client, v.residents[0])
    assert resident.get(reverse("votes:list")).status_code == 403
    assert resident.get(reverse("votes:hands", args=[vote.pk])).status_code == 403
    assert resident.post(reverse("votes:close", args=[vote.pk])).status_code == 403
    assert Vote.objects.get(pk=vote.pk).state == "open"


def test_a_draft_is_the_staffs_own_until_it_opens(client, v):
    vote = h.prepare(v)
    assert (
        _as(client, v.residents[0]).get(reverse("votes:detail", args=[vote.pk])).status_code == 404
    )
    worker = _as(client, v.users["community_worker"])
    assert worker.get(reverse("votes:detail", args=[vote.pk])).status_code == 200
