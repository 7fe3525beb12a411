"""Votes 表决 through their services: preparing and editing a draft, opening it (rules fixed,
roll taken), ballots on the phone and by a show of hands, every refusal with a clear message
and nothing changed, the three majorities and the quorum, and the closing job run twice."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from linli.core.errors import Conflict
from linli.core.models import AuditRecord, Notification, TimelineEvent
from linli.decide import tasks
from linli.decide.models import Ballot, Matter, Vote, Voter
from linli.decide.votes import selectors, services

from . import vote_helpers as h

pytestmark = pytest.mark.django_db

WORLD_CLOCK = h.WORLD_CLOCK
SHARED = {"votes": h.build_votes}


@pytest.fixture
def v(shared):
    with time_machine.travel(h.WORLD_CLOCK, tick=False):
        yield shared("votes")


def _worker(v):
    return v.users["community_worker"]


def _snapshot(vote):
    vote = Vote.objects.get(pk=vote.pk)
    return (
        vote.state,
        vote.version,
        vote.question,
        vote.quorum_percent,
        list(vote.options.values_list("label", flat=True)),
        Ballot.objects.filter(vote=vote).count(),
    )


# --- preparing and editing --------------------------------------------------------------------


def test_staff_prepare_a_draft_with_yes_and_no(v):
    vote = h.prepare(v)
    assert vote.state == "draft" and vote.roll_size == 0
    assert list(vote.options.values_list("label", flat=True)) == ["For", "Against"]
    assert Matter.objects.get(pk=v.matter.pk).stage == "deliberate"


def test_a_resident_cannot_prepare_a_vote(v):
    with pytest.raises(PermissionDenied):
        h.prepare(v, actor=v.residents[0])
    with pytest.raises(PermissionDenied):  # sees the matter's area, may not manage it
        h.prepare(v, actor=v.users["street_cadre"])
    assert not Vote.objects.exists()


def test_prepare_refuses_bad_rules_naming_the_field(v):
    with pytest.raises(ValidationError) as refused:
        h.prepare(v, quorum_percent=0, closes_at=h.WORLD_CLOCK - dt.timedelta(hours=1))
    assert set(refused.value.message_dict) == {"quorum_percent", "closes_at"}
    with pytest.raises(ValidationError) as refused:
        h.prepare(v, choices=["同意", "同意"])
    assert "Each choice must be different." in refused.value.message_dict["choices"]
    assert not Vote.objects.exists()


def test_edit_a_draft_then_rules_are_fixed_once_opened(v):
    vote = h.prepare(v)
    vote = services.vote_edit(
        actor=_worker(v), vote=vote, quorum_percent=60, choices=["同意撤离", "不同意"]
    )
    assert vote.quorum_percent == 60
    vote = services.vote_open(actor=_worker(v), vote=vote)
    before = _snapshot(vote)
    with pytest.raises(Conflict) as refused:
        services.vote_edit(actor=_worker(v), vote=vote, quorum_percent=10)
    assert refused.value.code == "rules_fixed"
    assert "its rules were fixed then and can no longer change" in refused.value.messages[0]
    with pytest.raises(Conflict):
        services.vote_edit(actor=_worker(v), vote=vote, choices=["甲", "乙"])
    assert _snapshot(vote) == before


# --- opening and the roll ----------------------------------------------------------------------


def test_open_takes_one_voter_per_household_and_moves_the_matter(v):
    vote = h.opened(v)
    assert (vote.state, vote.roll_size) == ("open", 6)
    roll = Voter.objects.filter(vote=vote)
    assert {r.key for r in roll} == {f"h{hh.pk}" for hh in v.households}
    assert {r.name for r in roll} == {hh.head.name for hh in v.households}
    matter = Matter.objects.get(pk=v.matter.pk)
    assert matter.stage == "decide"
    lines = TimelineEvent.objects.filter(object_id=matter.pk, verb="vote")
    assert lines.count() == 1 and "6 on the roll" in lines.get().text


@pytest.mark.parametrize(("body", "size"), [("representatives", 3), ("building_heads", 1)])
def test_open_takes_the_tagged_residents_for_a_body(v, body, size):
    vote = h.opened(v, body=body)
    names = set(Voter.objects.filter(vote=vote).values_list("name", flat=True))
    assert vote.roll_size == size == len(names)
    tagged = v.households[:3] if body == "representatives" else v.households[3:4]
    assert names == {hh.head.name for hh in tagged}


def test_open_refuses_an_empty_roll(v):
    vote = h.prepare(v, body="building_heads")
    v.households[3].head.tag_links.all().delete()
    with pytest.raises(ValidationError) as refused:
        services.vote_open(actor=_worker(v), vote=vote)
    assert "Nobody is on the roll" in refused.value.messages[0]
    assert Vote.objects.get(pk=vote.pk).state == "draft"
    assert Matter.objects.get(pk=v.matter.pk).stage == "deliberate"


# --- ballots ------------------------------------------------------------------------------------


def test_a_resident_votes_once_for_their_household(v):
    vote = h.opened(v)
    ballot = services.ballot_cast(actor=v.residents[0], vote=vote, choice=h.choice(vote))
    assert ballot.voter.key == f"h{v.households[0].pk}" and ballot.entered_by is None
    record = AuditRecord.objects.filter(object_type="decide.ballot").get()
    assert str(h.choice(vote).pk) not in str(record.changes.get("after", {}).get("choice", ""))
    assert "choice" not in record.changes["after"]
    before = _snapshot(vote)
    with pytest.raises(Conflict) as refused:
        services.ballot_cast(actor=v.residents[0], vote=vote, choice=h.choice(vote, 1))
    assert refused.value.code == "already_voted"
    assert "has already voted" in refused.value.messages[0]
    assert _snapshot(vote) == before
    assert Ballot.objects.get(pk=ballot.pk).choice == h.choice(vote)  # never changed


def test_someone_not_on_the_roll_is_refused(v):
    vote = h.opened(v, body="building_heads")
    with pytest.raises(services.NotEligible) as refused:
        services.ballot_cast(actor=v.residents[0], vote=vote, choice=h.choice(vote))
    assert "You are not on this vote's roll: only Building heads" in str(refused.value)
    with pytest.raises(services.NotEligible):
        services.ballot_cast(actor=v.far_resident, vote=vote, choice=h.choice(vote))
    assert not Ballot.objects.exists()
    ballot = services.ballot_cast(actor=v.residents[3], vote=vote, choice=h.choice(vote))
    assert ballot.voter.resident == v.households[3].head


def test_staff_cannot_cast_on_a_phone_vote(v):
    vote = h.opened(v)
    voter = Voter.objects.filter(vote=vote).first()
    with pytest.raises(PermissionDenied):
        services.ballot_cast(actor=_worker(v), vote=vote, choice=h.choice(vote), voter=voter)
    assert not Ballot.objects.exists()


def test_ballots_after_the_close_are_refused(v):
    vote = h.opened(v)
    with time_machine.travel(h.CLOSES + dt.timedelta(minutes=1), tick=False):
        with pytest.raises(Conflict) as refused:
            services.ballot_cast(actor=v.residents[1], vote=vote, choice=h.choice(vote))
        assert refused.value.code == "closed" and "no more ballots" in refused.value.messages[0]
        services.vote_close(actor=_worker(v), vote=vote)
    with pytest.raises(Conflict) as refused:
        services.ballot_cast(actor=v.residents[1], vote=vote, choice=h.choice(vote))
    assert refused.value.code == "closed"
    assert not Ballot.objects.exists()


def test_a_choice_of_another_vote_is_refused(v):
    vote = h.opened(v)
    other = h.prepare(v, h.deliberating(v, "另一件事"))
    with pytest.raises(ValidationError) as refused:
        services.ballot_cast(actor=v.residents[0], vote=vote, choice=h.choice(other))
    assert "choice" in refused.value.message_dict
    assert not Ballot.objects.exists()


def test_staff_enter_a_show_of_hands_with_a_witness(v):
    vote = h.opened(v, method="show_of_hands", body="representatives", secret=False)
    roll = list(Voter.objects.filter(vote=vote).order_by("id"))
    yes, no = h.choice(vote), h.choice(vote, 1)
    with pytest.raises(ValidationError) as refused:
        services.ballots_enter(actor=_worker(v), vote=vote, hands={roll[0].pk: yes.pk}, witness="")
    assert "witness" in refused.value.message_dict
    with pytest.raises(PermissionDenied):  # a resident does not run the community's votes
        services.ballots_enter(
            actor=v.residents[0], vote=vote, hands={roll[0].pk: yes.pk}, witness="王监票"
        )
    assert not Ballot.objects.exists()
    ballots = services.ballots_enter(
        actor=_worker(v),
        vote=vote,
        hands={roll[0].pk: yes.pk, roll[1].pk: yes.pk, roll[2].pk: no.pk},
        witness="王监票",
    )
    assert {b.witness for b in ballots} == {"王监票"}
    assert {b.entered_by for b in ballots} == {_worker(v)}
    with pytest.raises(Conflict):  # all or nothing: one already entered refuses the lot
        services.ballots_enter(
            actor=_worker(v), vote=vote, hands={roll[0].pk: no.pk}, witness="王监票"
        )
    assert Ballot.objects.count() == 3
    shown = selectors.ballots_shown(user=_worker(v), vote=vote)
    assert sorted(shown) == sorted(
        [(roll[0].name, yes.label), (roll[1].name, yes.label), (roll[2].name, no.label)]
    )


def test_a_secret_vote_never_shows_who_chose_what(v):
    vote = h.opened(v)
    services.ballot_cast(actor=v.residents[0], vote=vote, choice=h.choice(vote))
    assert selectors.ballots_shown(user=_worker(v), vote=vote) is None
    t = selectors.tally(vote)
    assert (t.cast, t.roll, t.counts) == (1, 6, None)  # while open: the turnout only


# --- closing: majorities, quorum, the job --------------------------------------------------------


def _cast(v, vote, picks):
    """picks: one choice index per household (None: that household does not vote)."""
    for user, pick in zip(v.residents, picks, strict=False):
        if pick is not None:
            services.ballot_cast(actor=user, vote=vote, choice=h.choice(vote, pick))


def _close_after(v, vote):
    with time_machine.travel(h.CLOSES + dt.timedelta(minutes=1), tick=False):
        return services.vote_close(actor=_worker(v), vote=vote)


@pytest.mark.parametrize(
    ("majority", "picks", "result"),
    [
        ("simple", [0, 0, 0, 1, 1, None], "passed"),  # 3 of 5
        ("simple", [0, 0, 1, 1, None, None], "failed"),  # a tie passes nothing
        ("two_thirds", [0, 0, 0, 0, 1, 1], "passed"),  # 4 of 6 is two thirds
        ("two_thirds", [0, 0, 0, 1, 1, None], "failed"),  # 3 of 5
        ("unanimous", [0, 0, 0, 0, None, None], "passed"),
        ("unanimous", [0, 0, 0, 0, 0, 1], "failed"),
    ],
)
def test_the_majorities(v, majority, picks, result):
    vote = h.opened(v, majority=majority)
    _cast(v, vote, picks)
    vote = _close_after(v, vote)
    assert vote.result == result
    matter = Matter.objects.get(pk=v.matter.pk)
    if result == "passed":
        assert vote.winning_option == h.choice(vote)
        assert matter.stage == "manage"  # the decision: the question, then the choice
        assert matter.decision.startswith(vote.question)
        assert matter.decision.endswith(h.choice(vote).label)
    else:
        assert vote.winning_option is None
        assert (matter.stage, matter.closed_because) == ("closed", "rejected")
    t = selectors.tally(vote)
    counted = {o.pk: n for o, n in t.counts}
    assert counted == {
        o.pk: sum(1 for p in picks if p == i) for i, o in enumerate(vote.options.order_by("order"))
    }


def test_a_written_choice_is_the_decision_as_it_is_worded(v):
    wording = "8:30前全部撤摊，撤摊后清扫路面"
    vote = h.opened(v, choices=[wording, "维持现状"])
    _cast(v, vote, [0, 0, 0, 0])
    _close_after(v, vote)
    assert Matter.objects.get(pk=v.matter.pk).decision == wording


def test_a_missed_quorum_decides_nothing(v):
    vote = h.opened(v, quorum_percent=50)
    _cast(v, vote, [0, 0])  # 2 of 6: a third
    vote = _close_after(v, vote)
    assert (vote.result, vote.winning_option) == ("no_quorum", None)
    matter = Matter.objects.get(pk=v.matter.pk)
    assert (matter.stage, matter.decision) == ("deliberate", "")
    line = TimelineEvent.objects.filter(object_id=matter.pk, verb="vote").first()
    assert "quorum not reached" in line.text and "2 of 6 voted" in line.text


def test_staff_cannot_close_a_phone_vote_early_unless_all_voted(v):
    vote = h.opened(v)
    _cast(v, vote, [0, 0, 0])
    with pytest.raises(Conflict) as refused:
        services.vote_close(actor=_worker(v), vote=vote)
    assert refused.value.code == "still_open"
    assert Vote.objects.get(pk=vote.pk).state == "open"
    _cast(v, vote, [None, None, None, 0, 0, 1])
    assert services.vote_close(actor=_worker(v), vote=vote).result == "passed"


def test_the_job_closes_a_due_vote_once_when_run_twice(v):
    vote = h.opened(v)
    _cast(v, vote, [0, 0, 0, 1])
    assert services.close_due_votes() == 0  # not due yet
    with time_machine.travel(h.CLOSES + dt.timedelta(minutes=5), tick=False):
        first = tasks.close_due_votes.call()
        second = tasks.close_due_votes.call()
    assert (first, second) == ({"closed": 1}, {"closed": 0})
    vote = Vote.objects.get(pk=vote.pk)
    assert (vote.state, vote.result, vote.version) == ("closed", "passed", 3)
    matter = Matter.objects.get(pk=v.matter.pk)
    assert matter.stage == "manage"
    closed_lines = TimelineEvent.objects.filter(object_id=matter.pk, verb="vote")
    assert closed_lines.count() == 2  # opened, closed
    assert "4 of 6 voted (turnout 66.7%)" in closed_lines.first().text
    told = Notification.objects.filter(recipient_resident=v.households[0].head)
    assert told.count() == 1


def test_closing_twice_by_staff_is_refused_the_second_time(v):
    vote = h.opened(v, method="show_of_hands")
    services.vote_close(actor=_worker(v), vote=vote)
    with pytest.raises(Conflict) as refused:
        services.vote_close(actor=_worker(v), vote=vote)
    assert "already closed" in refused.value.messages[0]


def test_the_panels_options_become_the_choices(v):
    from linli.decide.models import MatterOption

    first = MatterOption.objects.create(matter=v.matter, title="8:30前撤离", order=1)
    second = MatterOption.objects.create(matter=v.matter, title="移至游麟路东段", order=2)
    vote = h.prepare(v, options=[first, second])
    assert [(o.label, o.option) for o in vote.options.order_by("order")] == [
        ("8:30前撤离", first),
        ("移至游麟路东段", second),
    ]
    other = h.deliberating(v, "另一件事")
    foreign = MatterOption.objects.create(matter=other, title="别的方案")
    with pytest.raises(ValidationError) as refused:
        h.prepare(v, other, options=[foreign, first])
    assert "options" in refused.value.message_dict
