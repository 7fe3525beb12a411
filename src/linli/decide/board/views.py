"""Pages of the public board 公开栏 and the commitment board 党员公开承诺榜, under /board/:

- `index` — 我的社区公开栏: a resident goes to their community's board; staff and visitors get
  the boards they may open;
- `community` — a community's board: every matter it shows the reader, its stage on the
  five-step bar, options, the votes' rules and tallies, this round's tasks and progress,
  inspections and ratings; the party members' commitments with their records and ratings;
  the staff's switch for reading without login;
- `matter` — one matter's entry (what the notice's QR code opens), with the rating form for a
  resident while the matter is rated; `notice` — the printable A4 notice with the QR code;
- the resident's ratings (a result, a commitment) and the staff's forms (post a commitment,
  record what was done).

Who reads a board is `selectors.board_reader`'s rule; a board one may not read is 404.
"""

from __future__ import annotations

import segno
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.core.choices import AreaKind
from linli.core.models import Area
from linli.core.scoping import OutOfScope, covers
from linli.core.web import act, form_page, posted, render_page
from linli.registry.figures import PARTY_MEMBER_TAG
from linli.registry.models import Resident

from ..choices import STEPS, Stage
from ..manage import services as manage_services
from ..models import PublicBoard
from . import selectors, services
from .forms import CommitmentForm, CommitmentRecordForm, RatingForm

MANAGE = "decide.manage"
QR_SCALE = 5
# Where the other parts' pages are, when they exist (guarded: a missing one shows no link).
VOTE_PAGE = "votes:detail"
PROPOSE_PAGES = ("decide:raise",)  # 我要提事, the resident's own


def _maybe_url(name: str, *args) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _propose_url() -> str:
    for name in PROPOSE_PAGES:
        url = _maybe_url(name)
        if url:
            return url
    return ""


def _decorate(entries) -> None:
    """The vote pages' addresses, where the votes' part has them."""
    for entry in entries:
        for vote in entry.votes:
            vote.url = _maybe_url(VOTE_PAGE, vote.pk)
            vote.turnout = round(vote.cast * 100 / vote.roll_size) if vote.roll_size else 0


def _steps():
    return [(i, label) for i, (value, label) in enumerate(Stage.choices, start=1) if value in STEPS]


@require_GET
def index(request):
    """我的社区公开栏 — the resident's own community's board; else the boards one may open."""
    community = selectors.own_community(request.user)
    if community is not None:
        return redirect("board:community", pk=community.pk)
    boards = list(selectors.boards_for(request.user)[:200])
    return render_page(request, "decide/board/index.html", {"boards": boards})


@require_GET
def community(request, pk: int):
    reader = selectors.board_get(user=request.user, pk=pk)
    entries = selectors.board_entries(selectors.board_matters(request.user, reader), reader)
    _decorate(entries)
    manages = request.user.is_authenticated and covers(request.user, reader.community, MANAGE)
    board = PublicBoard.objects.filter(area=reader.community).first()
    return render_page(
        request,
        "decide/board/community.html",
        {
            "reader": reader,
            "community": reader.community,
            "entries": entries,
            "commitments": selectors.commitment_entries(reader),
            "steps": _steps(),
            "manages": manages,
            "without_login": bool(board and board.without_login),
            "propose_url": _propose_url() if reader.household is not None else "",
        },
    )


@require_GET
def matter(request, pk: int):
    reader, entry = selectors.board_matter_get(user=request.user, pk=pk)
    _decorate([entry])
    return render_page(
        request,
        "decide/board/matter.html",
        {"reader": reader, "community": reader.community, "entry": entry, "steps": _steps()},
    )


@require_GET
def notice(request, pk: int):
    """公示 — the A4 notice of a matter to put up in the community, with a QR code that opens
    the matter's entry on a phone."""
    reader, entry = selectors.board_matter_get(user=request.user, pk=pk)
    _decorate([entry])
    url = request.build_absolute_uri(reverse("board:matter", args=[pk]))
    return render_page(
        request,
        "decide/board/notice.html",
        {
            "community": reader.community,
            "entry": entry,
            "url": url,
            "qr": segno.make(url, error="m").svg_inline(scale=QR_SCALE, omitsize=True),
            "printed_on": timezone.localdate(),
            "steps": _steps(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def rate(request, pk: int):
    """由民评定 — a resident of the community rates the result on the phone."""
    reader, entry = selectors.board_matter_get(user=request.user, pk=pk)
    if reader.household is None:
        raise PermissionDenied
    form = RatingForm(posted(request))
    back = reverse("board:matter", args=[pk])

    def save(data):
        return manage_services.rating_give(
            actor=request.user, matter=entry.matter, rating=data["rating"], note=data["note"]
        )

    return form_page(
        request,
        form,
        save=save,
        names={"matter": "__all__"},
        success_message=_("Thank you: your rating is counted."),
        success_url=back,
        template="decide/board/rate.html",
        context={"title": _("Rate the result"), "subject": entry.matter.title, "back": back},
    )


@login_required
@require_POST
def board_setting(request, pk: int):
    """公开栏设置 — whether the board is read without login."""
    area = Area.objects.filter(pk=pk, kind=AreaKind.COMMUNITY).first()
    if area is None:
        raise OutOfScope(Area, pk)
    wanted = request.POST.get("without_login") == "on"
    return act(
        request,
        lambda: services.board_setting_change(
            actor=request.user, community=area, without_login=wanted
        ),
        success_message=(
            _("The board may now be read without login.")
            if wanted
            else _("The board is now read only by the community's residents and staff.")
        ),
        back=reverse("board:community", args=[pk]),
    )


# --- commitments ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def commitment_new(request, pk: int):
    """党员公开承诺 — staff post a party member's commitment."""
    reader = selectors.board_get(user=request.user, pk=pk)
    community = reader.community
    if not covers(request.user, community, MANAGE):
        raise PermissionDenied
    members = Resident.objects.filter(
        household__area__path__startswith=community.path,
        tag_links__tag__name=PARTY_MEMBER_TAG,
    ).order_by("name_pinyin", "id")
    buildings = Area.objects.filter(
        path__startswith=community.path, kind=AreaKind.BUILDING
    ).order_by("path")
    form = CommitmentForm(
        posted(request),
        members=members,
        buildings=buildings,
        initial={"year": timezone.localdate().year},
    )
    back = reverse("board:community", args=[pk])

    def save(data):
        return services.commitment_post(
            actor=request.user,
            community=community,
            resident=data["resident"],
            place=data["place"],
            text=data["text"],
            year=data["year"],
            building=data["building"],
            business_street=data["business_street"],
        )

    return form_page(
        request,
        form,
        save=save,
        success_message=_("Commitment posted on the board."),
        success_url=back,
        context={
            "title": _("Post a party member's commitment"),
            "facts": [(_("Community"), community.name)],
            "breadcrumb": [{"label": community.name, "url": back}],
            "cancel_url": back,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def commitment_record(request, pk: int):
    """践诺记录 — what the party member did."""
    reader, commitment = selectors.commitment_for_board(user=request.user, pk=pk)
    user = request.user
    if not (
        covers(user, commitment.area, MANAGE)
        or (
            commitment.resident.account_id is not None and commitment.resident.account_id == user.pk
        )
    ):
        raise PermissionDenied
    form = CommitmentRecordForm(posted(request), initial={"done_on": timezone.localdate()})
    back = reverse("board:community", args=[reader.community.pk])
    return form_page(
        request,
        form,
        save=lambda data: services.commitment_record(
            actor=user, commitment=commitment, text=data["text"], done_on=data["done_on"]
        ),
        success_message=_("Recorded on the board."),
        success_url=back,
        context={
            "title": _("Record what was done"),
            "facts": [(_("Commitment"), commitment.text), (_("Party member"), commitment.resident)],
            "cancel_url": back,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def commitment_rate(request, pk: int):
    """群众评议 — a household of the community rates a commitment's fulfilment."""
    reader, commitment = selectors.commitment_for_board(user=request.user, pk=pk)
    if reader.household is None:
        raise PermissionDenied
    form = RatingForm(posted(request))
    back = reverse("board:community", args=[reader.community.pk]) + "#commitments"
    return form_page(
        request,
        form,
        save=lambda data: services.commitment_rate(
            actor=request.user, commitment=commitment, rating=data["rating"], note=data["note"]
        ),
        success_message=_("Thank you: your rating is counted."),
        success_url=back,
        template="decide/board/rate.html",
        context={
            "title": _("Rate a party member's commitment"),
            "subject": f"{commitment.resident.name}：{commitment.text}",
            "back": back,
        },
    )
