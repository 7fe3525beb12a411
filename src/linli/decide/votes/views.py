"""Pages of votes 表决: the staff's list, preparing and editing a draft, opening and closing it,
entering a show of hands (the roll with a choice for each voter and the witness, on a tablet);
the vote page everyone who sees the matter reads — its rules first, then the roll size, the
turnout, and once closed the tally and result; and the resident's 投票 on the phone: big
choice buttons, a confirmation, then “您已投票”.

Thin: each view calls one selector or service. A vote one may not see is a 404; a staff action
by one who sees but may not manage it is a 403.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.core.scoping import OutOfScope
from linli.core.web import act, form_page, posted, render_page

from ..choices import CastingMethod
from ..models import Matter
from ..services import MANAGE, VIEW
from . import selectors, services
from .forms import BallotForm, HandsForm, VoteForm

# The rules' form: its lists of choices one a line, on a phone too.
# Its lists of choices one a line on a phone (decide/partials/field.html).
FIELD = "decide/partials/field.html"


def _staff(user, perm: str = VIEW) -> None:
    if not (user.is_staff_member and user.has_permission(perm)):
        raise PermissionDenied


def _managed(request, pk: int):
    """The vote, for staff who run votes at all (else 403), seen by the user (else 404) and
    managed by them (else 403)."""
    _staff(request.user, MANAGE)
    vote = selectors.vote_get(user=request.user, pk=pk)
    if not selectors.may_manage(request.user, vote):
        raise PermissionDenied
    return vote


def _detail_url(vote) -> str:
    return reverse("votes:detail", args=[vote.pk])


@login_required
@require_GET
def vote_list(request):
    """表决 — the votes of the staff member's area, newest first."""
    _staff(request.user)
    votes = list(selectors.vote_list(user=request.user)[:100])
    return render_page(request, "decide/votes/list.html", {"votes": votes})


@login_required
@require_GET
def my_votes(request):
    """我要投票 — the open votes the resident is on the roll of."""
    if request.user.is_staff_member:
        raise PermissionDenied
    votes = selectors.votes_for_resident(user=request.user)
    return render_page(request, "decide/votes/mine.html", {"votes": votes})


def _matter_for(request, pk: int) -> Matter:
    matter = (
        Matter.objects.restrict(request.user, "view").select_related("area").filter(pk=pk).first()
    )
    if matter is None:
        raise OutOfScope(Matter, pk)
    return matter


@login_required
@require_http_methods(["GET", "POST"])
def vote_prepare(request, pk: int):
    """准备表决 — a draft vote on a matter (`pk`) being deliberated."""
    _staff(request.user, MANAGE)
    found = _matter_for(request, pk)
    form = VoteForm(posted(request), matter=found)
    return form_page(
        request,
        form,
        save=lambda data: services.vote_prepare(actor=request.user, matter=found, **form.rules()),
        success_message=_("The vote is prepared; check it, then open it."),
        success_url=_detail_url,
        context={
            "field_template": FIELD,
            "title": _("Prepare a vote"),
            "intro": f"{found.number} {found.title}",
            "breadcrumb": [{"label": _("Votes"), "url": reverse("votes:list")}],
            "cancel_url": reverse("votes:list"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def vote_edit(request, pk: int):
    """Edit a draft's rules and choices (refused once it has opened)."""
    vote = _managed(request, pk)
    initial = {
        "question": vote.question,
        "body": vote.body,
        "quorum_percent": vote.quorum_percent,
        "majority": vote.majority,
        "secret": vote.secret,
        "method": vote.method,
        "closes_at": vote.closes_at,
        "choices": "\n".join(o.label for o in vote.options.all() if o.option_id is None),
        "options": [o.option_id for o in vote.options.all() if o.option_id],
    }
    form = VoteForm(posted(request), matter=vote.matter, initial=initial)
    return form_page(
        request,
        form,
        save=lambda data: services.vote_edit(
            actor=request.user, vote=vote, expected_version=vote.version, **form.rules()
        ),
        success_message=_("The vote's rules are saved."),
        success_url=_detail_url(vote),
        context={
            "field_template": FIELD,
            "title": _("Edit the vote"),
            "intro": vote.question,
            "breadcrumb": [{"label": vote.question, "url": _detail_url(vote)}],
            "cancel_url": _detail_url(vote),
        },
    )


@login_required
@require_POST
def vote_open(request, pk: int):
    """开始表决 — fix the rules, take the roll."""
    vote = _managed(request, pk)
    return act(
        request,
        lambda: services.vote_open(actor=request.user, vote=vote),
        success_message=lambda v: _("The vote is open: %(n)s on the roll.") % {"n": v.roll_size},
        back=_detail_url(vote),
    )


@login_required
@require_POST
def vote_close(request, pk: int):
    """结束表决 — recount the ballots and apply the result."""
    vote = _managed(request, pk)
    return act(
        request,
        lambda: services.vote_close(actor=request.user, vote=vote),
        success_message=lambda v: (
            _("The vote is closed: %(result)s.") % {"result": v.get_result_display()}
        ),
        back=_detail_url(vote),
    )


@login_required
@require_GET
def vote_detail(request, pk: int):
    """The vote: its rules first, then the roll size, turnout, and once closed its tally."""
    vote = selectors.vote_get(user=request.user, pk=pk)
    voter = selectors.own_voter(user=request.user, vote=vote)
    context = {
        "vote": vote,
        "tally": selectors.tally(vote),
        "shown": selectors.ballots_shown(user=request.user, vote=vote),
        "manages": selectors.may_manage(request.user, vote),
        "voter": voter,
        "voted": selectors.has_voted(voter),
        "state": selectors.state_label(vote),
    }
    return render_page(request, "decide/votes/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def vote_cast(request, pk: int):
    """投票 — the resident's ballot on the phone: choose, confirm, done."""
    vote = selectors.vote_get(user=request.user, pk=pk)
    if vote.method != CastingMethod.PHONE or request.user.is_staff_member:
        raise PermissionDenied
    voter = selectors.own_voter(user=request.user, vote=vote)
    context = {"vote": vote, "voter": voter, "voted": selectors.has_voted(voter), "picked": None}
    if voter is None:  # sees the vote, is not on its roll: told why, nothing to press
        context["errors"] = [services.not_eligible_message(vote)]
        return render_page(request, "decide/votes/cast.html", context, status=403)
    status = 200
    if request.method == "POST" and not context["voted"]:
        form = BallotForm(request.POST)
        if form.is_valid():
            picked = vote.options.filter(pk=form.cleaned_data["choice"]).first()
            if picked is None:
                raise Http404
            if not form.cleaned_data["confirmed"]:
                context["picked"] = picked  # the confirmation step
            else:
                try:
                    services.ballot_cast(actor=request.user, vote=vote, choice=picked)
                except ValidationError as error:
                    context["errors"] = error.messages
                    status = 409 if getattr(error, "status", 0) == 409 else 400
                else:
                    return redirect(reverse("votes:cast", args=[vote.pk]))
        else:
            status = 400
    return render_page(request, "decide/votes/cast.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def vote_hands(request, pk: int):
    """举手表决录入 — the roll with a choice for each voter and the witness (staff)."""
    vote = _managed(request, pk)
    if vote.method != CastingMethod.SHOW_OF_HANDS:
        raise PermissionDenied
    form = HandsForm(posted(request))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            hands = form.hands(request.POST)
            try:
                entered = services.ballots_enter(
                    actor=request.user,
                    vote=vote,
                    hands=hands,
                    witness=form.cleaned_data["witness"],
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
                status = 409 if any(getattr(e, "status", 0) == 409 for e in [error]) else 400
            else:
                from django.contrib import messages

                messages.success(request, _("%(n)s ballots entered.") % {"n": len(entered)})
                return redirect(reverse("votes:hands", args=[vote.pk]))
        else:
            status = 400
    context = {
        "vote": vote,
        "form": form,
        "roll": selectors.roll_to_enter(vote=vote),
        "options": list(vote.options.all()),
        "tally": selectors.tally(vote),
    }
    return render_page(request, "decide/votes/hands.html", context, status=status)
