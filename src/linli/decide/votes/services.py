"""Every write to a vote 表决 of residents-decide: preparing it and editing it while it is a
draft, opening it (its rules are then fixed and its roll 选民名册 taken), casting a ballot 选票
(a resident on the phone, or staff entering a show of hands with a witness 监票人), and
closing it — by staff or by the periodic job once `closes_at` has passed — which recounts the
ballots, applies `rules.vote_outcome` and moves the matter on.

Each function is keyword-only and one transaction. Opening and closing lock the matter, then the
vote. A ballot takes a shared lock on its vote (PostgreSQL; SQLite serialises every write), so
casting goes on side by side while closing waits for the ballots in flight and none slips in
after it. One ballot per voter is the database's rule (`Ballot.voter` is unique): a second is
refused with a clear message and nothing stored. The audit trail records that a voter cast a
ballot, never the choice. `actor` None is a trusted system job (the closing job, the demo).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from linli.accounts.models import User
from linli.core import audit
from linli.core.actors import Actor
from linli.core.choices import AuditAction
from linli.core.errors import Conflict, check_version
from linli.core.notify import notify
from linli.core.validators import clean_text
from linli.registry.models import Household, Resident

from .. import events, rules
from ..choices import (
    CastingMethod,
    ClosedBecause,
    Majority,
    Stage,
    VoterBody,
    VoteResult,
    VoteState,
)
from ..models import Ballot, Matter, MatterOption, Vote, VoteOption, Voter
from ..services import MANAGE, locked, matter_move, require_in_area
from ..workflow import Action

PARTICIPATE = "decide.participate"

QUESTION_LENGTH = 200
CHOICE_LENGTH = 100
WITNESS_LENGTH = 50
MIN_CHOICES, MAX_CHOICES = 2, 10

# The registry's resident tags that make a person one of the eligible body (registry data, like
# 党员): a resident representative 居民代表 and a building head 楼长.
REPRESENTATIVE_TAG = "居民代表"
BUILDING_HEAD_TAG = "楼长"
BODY_TAGS = {
    VoterBody.REPRESENTATIVES: REPRESENTATIVE_TAG,
    VoterBody.BUILDING_HEADS: BUILDING_HEAD_TAG,
}

RULE_FIELDS = (
    "question",
    "body",
    "quorum_percent",
    "majority",
    "secret",
    "method",
    "closes_at",
)


# --- small helpers ------------------------------------------------------------------------------


def _user(actor: Actor | None) -> User | None:
    return actor if isinstance(actor, User) else None


def default_choices() -> list[str]:
    """赞成 / 反对 — the choices of a yes-or-no vote, in the preparer's language."""
    return [_("For"), _("Against")]


def _locked_vote(vote: Vote | int) -> Vote:
    pk = vote.pk if isinstance(vote, Vote) else vote
    return Vote.objects.select_for_update(of=("self",)).select_related("matter").get(pk=pk)


def _check_rules(fields: dict) -> dict:
    """The rules as given, checked: each refusal names its field."""
    errors: dict[str, str] = {}
    out = dict(fields)
    if "question" in fields:
        out["question"] = clean_text(
            fields["question"],
            "question",
            QUESTION_LENGTH,
            required=_("Say what is put to the vote."),
        )
    if "body" in fields and fields["body"] not in VoterBody.values:
        errors["body"] = _("Choose who may vote.")
    if "majority" in fields and fields["majority"] not in Majority.values:
        errors["majority"] = _("Choose the majority the vote needs.")
    if "method" in fields and fields["method"] not in CastingMethod.values:
        errors["method"] = _("Choose how ballots are cast.")
    if "quorum_percent" in fields:
        quorum = fields["quorum_percent"]
        if isinstance(quorum, bool) or not isinstance(quorum, int) or not 1 <= quorum <= 100:
            errors["quorum_percent"] = _("The quorum is a share of the roll from 1 to 100 percent.")
    if "secret" in fields and not isinstance(fields["secret"], bool):
        errors["secret"] = _("Say whether the ballot is secret.")
    if "closes_at" in fields:
        closes = fields["closes_at"]
        if not isinstance(closes, dt.datetime):
            errors["closes_at"] = _("Give the date and time the vote closes.")
        elif closes <= timezone.now():
            errors["closes_at"] = _("The vote must close at a time still to come.")
    if errors:
        raise ValidationError(errors)
    return out


def _choice_labels(matter: Matter, choices: Sequence[str] | None, options) -> list:
    """(label, MatterOption or None) for each choice: the panel's options when given, else the
    labels given, else 赞成 / 反对."""
    if options:
        picked = list(options)
        if any(not isinstance(o, MatterOption) or o.matter_id != matter.pk for o in picked):
            raise ValidationError({"options": _("Choose among this matter's options.")})
        pairs = [(o.title, o) for o in picked]
    else:
        labels = default_choices() if not choices else list(choices)
        pairs = [(clean_text(label, "choices", CHOICE_LENGTH), None) for label in labels]
        pairs = [(label, None) for label, _o in pairs if label]
    labels = [label for label, _o in pairs]
    if not MIN_CHOICES <= len(labels) <= MAX_CHOICES:
        raise ValidationError(
            {
                "choices": _("A vote has from %(min)s to %(max)s choices.")
                % {"min": MIN_CHOICES, "max": MAX_CHOICES}
            }
        )
    if len(set(labels)) != len(labels):
        raise ValidationError({"choices": _("Each choice must be different.")})
    return pairs


def _replace_choices(vote: Vote, pairs: list) -> None:
    vote.options.all().delete()
    VoteOption.objects.bulk_create(
        [
            VoteOption(vote=vote, label=label, option=option, order=n)
            for n, (label, option) in enumerate(pairs, start=1)
        ]
    )


def _require_manage(actor: Actor | None, matter: Matter) -> None:
    """Staff of the matter's community (`decide.manage`); a resident is refused outright (403:
    they may see the vote, never run it)."""
    if actor is not None and not getattr(actor, "is_staff_member", False):
        raise PermissionDenied
    require_in_area(actor, matter.area, MANAGE)


def _rules_fixed() -> Conflict:
    return Conflict(
        _("This vote has opened: its rules were fixed then and can no longer change."),
        code="rules_fixed",
    )


# --- preparing 准备表决 ------------------------------------------------------------------------


@transaction.atomic
def vote_prepare(
    *,
    actor: Actor | None,
    matter: Matter | int,
    question: str,
    body: str,
    quorum_percent: int,
    majority: str,
    secret: bool,
    method: str,
    closes_at: dt.datetime,
    choices: Sequence[str] | None = None,
    options: Iterable[MatterOption] | None = None,
) -> Vote:
    """A draft vote on a matter being deliberated: the question, who may vote, the quorum, the
    majority, open or secret, how ballots are cast, when it closes, and the choices (赞成 / 反对,
    labels given, or the panel's options). Staff of the matter's community (`decide.manage`)."""
    matter = locked(matter)
    _require_manage(actor, matter)
    if matter.stage != Stage.DELIBERATE:
        raise Conflict(
            _("A vote is prepared while the matter is being deliberated."), code="not_deliberating"
        )
    if matter.votes.filter(state=VoteState.DRAFT).exists():
        raise Conflict(
            _("This matter already has a vote being prepared: edit that one."), code="draft_exists"
        )
    fields = _check_rules(
        {
            "question": question,
            "body": body,
            "quorum_percent": quorum_percent,
            "majority": majority,
            "secret": secret,
            "method": method,
            "closes_at": closes_at,
        }
    )
    pairs = _choice_labels(matter, choices, options)
    vote = Vote.objects.create(matter=matter, round=matter.round, created_by=_user(actor), **fields)
    _replace_choices(vote, pairs)
    audit.record_created(
        actor=actor, obj=vote, alongside=lambda v: {"choices": [label for label, _o in pairs]}
    )
    return vote


@transaction.atomic
def vote_edit(
    *,
    actor: Actor | None,
    vote: Vote | int,
    expected_version: int | None = None,
    choices: Sequence[str] | None = None,
    options: Iterable[MatterOption] | None = None,
    **rules_given,
) -> Vote:
    """Change a draft's rules or choices. Once it has opened its rules are fixed: refused,
    nothing changed."""
    pk = vote.pk if isinstance(vote, Vote) else vote
    matter = locked(Vote.objects.values_list("matter_id", flat=True).get(pk=pk))
    vote = _locked_vote(pk)
    _require_manage(actor, matter)
    if vote.state != VoteState.DRAFT:
        raise _rules_fixed()
    check_version(vote.version, expected_version)
    unknown = set(rules_given) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"not a rule of a vote: {sorted(unknown)}")
    fields = _check_rules(rules_given)
    change = audit.audited_change(actor=actor, obj=vote)
    for name, value in fields.items():
        setattr(vote, name, value)
    if choices is not None or options is not None:
        _replace_choices(vote, _choice_labels(matter, choices, options))
    vote.version += 1
    vote.save()
    change.record()
    return vote


# --- opening 开始表决 -----------------------------------------------------------------------------


def _roll(vote: Vote, matter: Matter) -> list[Voter]:
    """The eligible body, as it stands now: every household of the matter's place (its head's
    name), or the residents there tagged 居民代表 / 楼长 in the registry."""
    if vote.body == VoterBody.HOUSEHOLDS:
        households = (
            Household.objects.under(matter.area).select_related("head").order_by("number", "pk")
        )
        return [
            Voter(
                vote=vote,
                key=f"h{h.pk}",
                household=h,
                name=(h.head.name if h.head_id else h.number)[:60],
            )
            for h in households
        ]
    people = (
        Resident.objects.under(matter.area)
        .filter(
            tag_links__tag__name=BODY_TAGS[VoterBody(vote.body)],
            tag_links__tag__target="resident",
        )
        .distinct()
        .order_by("household_id", "pk")
    )
    return [
        Voter(vote=vote, key=f"r{p.pk}", household_id=p.household_id, resident=p, name=p.name)
        for p in people
    ]


@transaction.atomic
def vote_open(
    *, actor: Actor | None, vote: Vote | int, expected_version: int | None = None
) -> Vote:
    """Open the vote: its rules are fixed from now on, the roll is taken, and the matter moves
    to decide (`Action.PUT_TO_VOTE`)."""
    pk = vote.pk if isinstance(vote, Vote) else vote
    matter = locked(Vote.objects.values_list("matter_id", flat=True).get(pk=pk))
    vote = _locked_vote(pk)
    _require_manage(actor, matter)
    if vote.state != VoteState.DRAFT:
        raise Conflict(_("This vote has already opened."), code="opened")
    check_version(vote.version, expected_version)
    if vote.closes_at <= timezone.now():
        raise ValidationError(
            {"closes_at": _("The closing time has passed: set a later one before opening.")}
        )
    roll = _roll(vote, matter)
    if not roll:
        raise ValidationError(
            _("Nobody is on the roll: no %(body)s is registered in %(place)s.")
            % {"body": vote.get_body_display(), "place": matter.area.name}
        )
    Voter.objects.bulk_create(roll, batch_size=1000)
    change = audit.audited_change(actor=actor, obj=vote)
    vote.state, vote.opened_at, vote.roll_size = VoteState.OPEN, timezone.now(), len(roll)
    vote.version += 1
    vote.save()
    change.record()
    matter_move(actor=actor, matter=matter, action=Action.PUT_TO_VOTE, note=vote.question)
    events.VOTE_OPENED.add(
        subject=matter,
        params={
            "question": vote.question,
            "roll": vote.roll_size,
            "closes": timezone.localtime(vote.closes_at).strftime("%Y-%m-%d %H:%M"),
        },
        data={"vote": vote.pk},
        actor=actor,
    )
    return vote


# --- ballots 投票 ---------------------------------------------------------------------------------


SHARE_LOCK = "SELECT state, closes_at FROM decide_vote WHERE id = %s FOR SHARE"


def _share_lock(vote_pk: int) -> tuple[str, dt.datetime]:
    """Hold the vote row against a close while this ballot is written (PostgreSQL's FOR SHARE:
    ballots go on side by side; a close waits for them; SQLite serialises every write), and
    read its state and closing time as they are now."""
    if connection.vendor != "postgresql":
        state, closes = Vote.objects.values_list("state", "closes_at").get(pk=vote_pk)
        return state, closes
    with connection.cursor() as cursor:
        cursor.execute(SHARE_LOCK, [vote_pk])
        row = cursor.fetchone()
    if row is None:
        raise Vote.DoesNotExist
    return row[0], row[1]


def _own_voter(actor: Actor, vote: Vote) -> Voter | None:
    """The roll entry a resident casts for: their household's (一户一票) or their own."""
    person = getattr(actor, "resident_record", None)
    if person is None or not actor.has_permission(PARTICIPATE):
        return None
    key = f"h{person.household_id}" if vote.body == VoterBody.HOUSEHOLDS else f"r{person.pk}"
    return Voter.objects.filter(vote=vote, key=key).first()


def not_eligible_message(vote: Vote) -> str:
    return _(
        "You are not on this vote's roll: only %(body)s of the place it concerns may vote."
    ) % {"body": vote.get_body_display()}


class NotEligible(PermissionDenied):
    """A ballot from someone not on the roll: refused (403) with the reason."""

    def __init__(self, vote: Vote):
        super().__init__(not_eligible_message(vote))


def _check_open(vote: Vote) -> None:
    if vote.state == VoteState.DRAFT:
        raise Conflict(_("This vote has not opened yet."), code="not_open")
    if vote.state == VoteState.CLOSED or vote.closes_at <= timezone.now():
        raise Conflict(
            _("This vote closed at %(closes)s: no more ballots are taken.")
            % {"closes": timezone.localtime(vote.closes_at).strftime("%Y-%m-%d %H:%M")},
            code="closed",
        )


def _voter_for(actor: Actor | None, vote: Vote, voter: Voter | int | None) -> Voter:
    """Who this ballot is for, and whether `actor` may cast it: a resident for their own roll
    entry on a phone vote; staff of the community entering a show of hands for a named voter."""
    if vote.method == CastingMethod.PHONE:
        if actor is None:
            raise ValueError("a phone ballot is cast by the voter")
        own = _own_voter(actor, vote)
        if own is None:
            if getattr(actor, "is_staff_member", False):
                raise PermissionDenied
            raise NotEligible(vote)
        if voter is not None and (voter.pk if isinstance(voter, Voter) else voter) != own.pk:
            raise ValidationError(
                _("On the phone each voter casts their own ballot only."), code="not_own"
            )
        return own
    _require_manage(actor, vote.matter)
    if voter is None:
        raise ValidationError({"voter": _("Name the voter whose hand was counted.")})
    pk = voter.pk if isinstance(voter, Voter) else voter
    found = Voter.objects.filter(vote=vote, pk=pk).first()
    if found is None:
        raise ValidationError({"voter": _("This person is not on this vote's roll.")})
    return found


@transaction.atomic
def ballot_cast(
    *,
    actor: Actor | None,
    vote: Vote | int,
    choice: VoteOption | int,
    voter: Voter | int | None = None,
    witness: str = "",
) -> Ballot:
    """One ballot: a resident on the phone for their household (一户一票) or themselves, when on
    the roll; or staff entering one voter's show of hands, naming the witness 监票人. Refused
    before it opens, after it closes (or once `closes_at` has passed), for anyone not on the
    roll, and for a voter who has voted already — nothing stored. A ballot is never changed."""
    pk = vote.pk if isinstance(vote, Vote) else vote
    state, closes = _share_lock(pk)
    if isinstance(vote, Vote) and vote.state == state:
        found = vote  # its rules are fixed once open: only its state and closing time can move
    else:
        found = Vote.objects.select_related("matter__area").get(pk=pk)
    found.state, found.closes_at = state, closes  # as they are under the lock
    _check_open(found)
    roll_entry = _voter_for(actor, found, voter)
    witness_name = ""
    if found.method == CastingMethod.SHOW_OF_HANDS:
        witness_name = clean_text(
            witness, "witness", WITNESS_LENGTH, required=_("Name the witness of the show of hands.")
        )
    choice_pk = choice.pk if isinstance(choice, VoteOption) else choice
    picked = VoteOption.objects.filter(vote=found, pk=choice_pk).first()
    if picked is None:
        raise ValidationError({"choice": _("Choose one of this vote's choices.")})
    try:
        with transaction.atomic():
            ballot = Ballot.objects.create(
                vote=found,
                voter=roll_entry,
                choice=picked,
                entered_by=_user(actor) if found.method == CastingMethod.SHOW_OF_HANDS else None,
                witness=witness_name,
            )
    except IntegrityError:
        raise Conflict(
            _("%(voter)s has already voted; a ballot cannot be cast twice or changed.")
            % {"voter": roll_entry.name},
            code="already_voted",
        ) from None
    # The fact that this voter voted, never the choice (nor the ballot, which names it).
    audit.record(
        action=AuditAction.CREATE,
        actor=actor,
        object_type="decide.ballot",
        object_id=str(found.pk),
        object_repr=found.question[:100],
        changes={"after": {"vote": found.pk, "voter": roll_entry.key}},
    )
    return ballot


@transaction.atomic
def ballots_enter(
    *,
    actor: Actor | None,
    vote: Vote | int,
    hands: Mapping[int, int],
    witness: str,
) -> list[Ballot]:
    """举手表决录入 — a show of hands entered at once: `hands` maps each voter's roll id to their
    choice's id. All or nothing: one refusal (a voter who voted already …) stores none."""
    if not hands:
        raise ValidationError(_("Choose at least one voter's choice."))
    return [
        ballot_cast(actor=actor, vote=vote, choice=choice, voter=voter, witness=witness)
        for voter, choice in hands.items()
    ]


# --- closing 结束表决 -----------------------------------------------------------------------------


def recount(vote: Vote) -> dict[int, int]:
    """The tally recounted from the ballots (GROUP BY choice): choice id → ballots."""
    rows = Ballot.objects.filter(vote=vote).values("choice").annotate(n=Count("id"))
    return {row["choice"]: row["n"] for row in rows}


def _percent(turnout) -> str:
    return f"{float(turnout) * 100:.1f}%"


@transaction.atomic
def vote_close(
    *,
    actor: Actor | None,
    vote: Vote | int,
    expected_version: int | None = None,
    due_only: bool = False,
) -> Vote | None:
    """Close the vote: recount its ballots, apply `rules.vote_outcome`, store the result and the
    winning choice, and move the matter — passed: carry out the decision (the winning choice);
    not passed: closed; quorum missed: back to deliberation, nothing decided. Staff may close a
    show of hands once it is entered, or a phone vote once its time is up or the whole roll has
    voted. `due_only` (the job): only a vote still open past its closing time, else None."""
    pk = vote.pk if isinstance(vote, Vote) else vote
    matter = locked(Vote.objects.values_list("matter_id", flat=True).get(pk=pk))
    vote = _locked_vote(pk)
    now = timezone.now()
    if due_only and (vote.state != VoteState.OPEN or vote.closes_at > now):
        return None
    _require_manage(actor, matter)
    if vote.state != VoteState.OPEN:
        raise Conflict(
            _("This vote has already closed.")
            if vote.state == VoteState.CLOSED
            else _("This vote has not opened yet."),
            code="not_open",
        )
    check_version(vote.version, expected_version)
    counts = recount(vote)
    cast = sum(counts.values())
    early = vote.closes_at > now and vote.method == CastingMethod.PHONE
    if early and cast < vote.roll_size:
        raise Conflict(
            _("Residents are voting on the phone until %(closes)s; it closes then.")
            % {"closes": timezone.localtime(vote.closes_at).strftime("%Y-%m-%d %H:%M")},
            code="still_open",
        )
    outcome = rules.vote_outcome(
        counts, roll=vote.roll_size, quorum_percent=vote.quorum_percent, majority=vote.majority
    )
    change = audit.audited_change(actor=actor, obj=vote)
    vote.state, vote.closed_at, vote.result = VoteState.CLOSED, now, outcome.result
    vote.winning_option_id = outcome.winner
    vote.version += 1
    vote.save()
    change.record()
    turnout = _percent(outcome.turnout)
    line = {"question": vote.question, "cast": cast, "roll": vote.roll_size, "turnout": turnout}
    if outcome.result == VoteResult.PASSED:
        winner = VoteOption.objects.get(pk=int(outcome.winner or 0))
        line["choice"] = winner.label
        events.VOTE_CLOSED[VoteResult.PASSED].add(
            subject=matter, params=line, data={"vote": vote.pk}, actor=actor
        )
        matter_move(
            actor=actor, matter=matter, action=Action.DECIDED, decision=_decision(vote, winner)
        )
    elif outcome.result == VoteResult.FAILED:
        events.VOTE_CLOSED[VoteResult.FAILED].add(
            subject=matter, params=line, data={"vote": vote.pk}, actor=actor
        )
        matter_move(
            actor=actor,
            matter=matter,
            action=Action.REJECTED,
            closed_because=ClosedBecause.REJECTED,
        )
    else:
        events.VOTE_CLOSED[VoteResult.NO_QUORUM].add(
            subject=matter, params=line, data={"vote": vote.pk}, actor=actor
        )
        matter_move(actor=actor, matter=matter, action=Action.NO_QUORUM)
    if matter.proposer_id:
        notify(
            message=NOTICE[outcome.result],
            params={"number": matter.number, "title": matter.title, "turnout": turnout},
            to_resident=matter.proposer,
            subject=matter,
            dedupe_key=f"decide.vote.{vote.pk}.closed",
        )
    return vote


def _decision(vote: Vote, winner: VoteOption) -> str:
    """The decision a passed vote takes: the choice that won, as it is named (a panel's option,
    or a choice written for the vote); a plain 赞成 says nothing alone, so with the question put."""
    plain = set()
    for language, _name in settings.LANGUAGES:  # whoever prepared it, in whichever language
        with translation.override(language):
            plain |= {str(choice) for choice in default_choices()}
    if winner.option_id is not None or winner.label not in plain:
        return winner.label
    return _("%(question)s: %(choice)s") % {"question": vote.question, "choice": winner.label}


# What the proposer is told when the vote on their matter closes.
NOTICE: dict[str, str] = {
    VoteResult.PASSED: gettext_noop(
        "The vote on your matter %(number)s “%(title)s” passed (turnout %(turnout)s)."
    ),
    VoteResult.FAILED: gettext_noop(
        "The vote on your matter %(number)s “%(title)s” did not pass (turnout %(turnout)s)."
    ),
    VoteResult.NO_QUORUM: gettext_noop(
        "The vote on your matter %(number)s “%(title)s” missed its quorum (turnout %(turnout)s): "
        "nothing was decided."
    ),
}


def close_due_votes() -> int:
    """The closing job's work: close each open vote past its closing time, once (a vote closed
    meanwhile, by staff or another run, is left as it is). Returns how many it closed."""
    closed = 0
    due = Vote.objects.filter(state=VoteState.OPEN, closes_at__lte=timezone.now())
    for pk in list(due.values_list("pk", flat=True)):
        if vote_close(actor=None, vote=pk, due_only=True) is not None:
            closed += 1
    return closed
