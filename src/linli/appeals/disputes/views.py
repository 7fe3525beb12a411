"""Pages of a dispute 矛盾纠纷: its section of the appeal page (also a page of its own at
/appeals/<id>/dispute/), and the forms of its work — marking an appeal as a dispute, adding a
party, setting the mediator, recording a session, the agreement with its A4 print page and its
signed scan, a failed mediation referred on, the checks of the agreement's keeping — and the
list of those checks that are due.

Views stay thin: they parse, call one selector or service, and prepare what the template shows.
Scope comes from the selectors (out of scope → 404); a reader who does not handle the appeal
where it waits gets 403; ID and mobile numbers are masked through `core.masking.mask` only, and
shown in full on the print page only through a reveal that is audited.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.core import photos
from linli.core.masking import ID_NUMBER, MOBILE, mask
from linli.core.validators import normalise_id_number
from linli.core.web import act, form_page, posted, render_page
from linli.registry.models import Resident

from ..models import Appeal
from ..selectors import appeal_get
from ..tiers import appeal_desk
from . import selectors, services
from .forms import (
    AgreementForm,
    CheckForm,
    MediatorForm,
    PartyForm,
    ReferForm,
    RevealForm,
    ScanForm,
    SessionForm,
)
from .workflow import Action

VIEW = "appeals.view"


def _staff_reader(user) -> None:
    if not user.is_staff_member or not (user.has_permission(VIEW) or appeal_desk(user)):
        raise PermissionDenied


def _appeal(request, pk: int) -> Appeal:
    """The appeal (404 outside what the user sees), for a staff member."""
    _staff_reader(request.user)
    return appeal_get(user=request.user, pk=pk)


def _handled(request, pk: int, action: str) -> selectors.DisputeView:
    """The dispute of an appeal the user handles where it waits, `action` offered now (403 for
    a reader who does not; 404 outside what the user sees)."""
    appeal = _appeal(request, pk)
    view = selectors.dispute_view_for(user=request.user, appeal=appeal)
    if not appeal_desk(request.user).covers(appeal):
        raise PermissionDenied
    if request.method == "GET" and action not in view.actions:
        raise Http404  # nothing to do here now: back to the dispute page
    return view


def _dispute_url(appeal: Appeal) -> str:
    return reverse("disputes:dispute", args=[appeal.pk])


def _breadcrumb(appeal: Appeal) -> list[dict]:
    return [{"label": appeal.number, "url": _dispute_url(appeal)}]


def _form_context(view: selectors.DisputeView, title: str, **extra) -> dict:
    return {
        "title": title,
        "breadcrumb": _breadcrumb(view.appeal),
        "cancel_url": _dispute_url(view.appeal),
        "facts": [(_("Appeal"), f"{view.appeal.number} · {view.appeal.category_version.name}")],
        **extra,
    }


def masked_party(party, *, revealed: bool = False):
    """A party as the pages show them: ID and mobile masked unless revealed (and audited)."""
    id_number, mobile = party.party_id_number, party.party_mobile
    party.shown_id = id_number if revealed else mask(id_number, ID_NUMBER)
    party.shown_mobile = mobile if revealed else mask(mobile, MOBILE)
    return party


def section_context(view: selectors.DisputeView) -> dict:
    """What the dispute section shows (the appeal page's include and the dispute page)."""
    return {
        "dv": view,
        "parties": [masked_party(p) for p in view.parties],
        "sessions": view.sessions,
        "Action": Action,
    }


# --- the dispute page ------------------------------------------------------------------------


@login_required
@require_GET
def dispute_detail(request, pk: int):
    """The dispute of an appeal, on a page of its own (the appeal page shows the same section)."""
    appeal = _appeal(request, pk)
    view = selectors.dispute_view_for(user=request.user, appeal=appeal)
    if not view.is_dispute and not view.may_mark:
        raise Http404
    return render_page(request, "appeals/dispute_page.html", section_context(view))


@login_required
@require_POST
def dispute_mark(request, pk: int):
    appeal = _appeal(request, pk)
    return act(
        request,
        lambda: services.dispute_mark(actor=request.user, appeal=appeal),
        success_message=_("Marked as a dispute."),
        back=_dispute_url(appeal),
    )


# --- parties, mediator, sessions ------------------------------------------------------------


def _candidates(appeal: Appeal) -> list[tuple[Resident, str]]:
    """The people offered at once: the reporter's household (the usual first party)."""
    if appeal.household_id is None:
        return []
    members = Resident.objects.filter(household_id=appeal.household_id).order_by("pk")
    return [(p, f"{p.name}（{mask(p.id_number, ID_NUMBER)}）") for p in members]


def _resident_by_id_number(user, value: str) -> Resident:
    number = normalise_id_number(value)
    found = Resident.objects.restrict(user, "view").filter(id_number=number).first()
    if found is None:
        raise ValidationError(
            {"resident_id_number": _("No person with this ID number is in the registry you see.")}
        )
    return found


@login_required
@require_http_methods(["GET", "POST"])
def party_add(request, pk: int):
    view = _handled(request, pk, Action.ADD_PARTY)
    appeal, user = view.appeal, request.user
    candidates = _candidates(appeal)

    def save(data):
        resident = None
        if data["resident"]:
            resident = next((p for p, _label in candidates if p.pk == data["resident"]), None)
            if resident is None:
                raise ValidationError({"resident": _("Choose one of the people offered.")})
        elif data["resident_id_number"].strip():
            resident = _resident_by_id_number(user, data["resident_id_number"])
        return services.dispute_add_party(
            actor=user,
            appeal=appeal,
            side=data["side"],
            resident=resident,
            name=data["name"],
            mobile=data["mobile"],
            id_number=data["id_number"],
            expected_version=data["version"],
        )

    return form_page(
        request,
        PartyForm(posted(request), candidates=candidates, initial={"version": view.version}),
        save=save,
        success_message=lambda party: _("%(name)s added as a party.") % {"name": party},
        success_url=_dispute_url(appeal),
        context=_form_context(view, _("Add a party"), submit=_("Add")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def mediator_set(request, pk: int):
    view = _handled(request, pk, Action.SET_MEDIATOR)
    appeal, user = view.appeal, request.user
    mediators = selectors.mediator_choices(appeal)
    dispute = view.dispute
    initial = {
        "version": view.version,
        "mediator": dispute.mediator_id if dispute else None,
        "mediator_name": dispute.mediator_name if dispute else "",
        "committee": dispute.committee if dispute else services._committee_for(appeal),
    }

    def save(data):
        mediator = next((u for u in mediators if u.pk == data["mediator"]), None)
        if data["mediator"] and mediator is None:
            raise ValidationError({"mediator": _("Choose one of the staff offered.")})
        return services.dispute_set_mediator(
            actor=user,
            appeal=appeal,
            mediator=mediator,
            mediator_name=data["mediator_name"],
            committee=data["committee"],
            expected_version=data["version"],
        )

    return form_page(
        request,
        MediatorForm(posted(request), mediators=mediators, initial=initial),
        save=save,
        success_message=_("Mediator set."),
        success_url=_dispute_url(appeal),
        context=_form_context(view, _("Set the mediator")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_add(request, pk: int):
    view = _handled(request, pk, Action.RECORD_SESSION)
    appeal, user = view.appeal, request.user
    return form_page(
        request,
        SessionForm(posted(request), parties=view.parties, initial={"version": view.version}),
        save=lambda data: services.session_record(
            actor=user,
            appeal=appeal,
            held_at=data["held_at"],
            place=data["place"],
            attended=data["attended"],
            notes=data["notes"],
            expected_version=data["version"],
        ),
        success_message=_("Mediation session recorded."),
        success_url=_dispute_url(appeal),
        context=_form_context(view, _("Record a mediation session"), submit=_("Record")),
    )


# --- the outcome ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def agreement_add(request, pk: int):
    view = _handled(request, pk, Action.AGREE)
    appeal, user = view.appeal, request.user
    initial = {
        "version": view.version,
        "signed_on": timezone.localdate(),
        "committee": view.dispute.committee if view.dispute else "",
        "facts": appeal.description,
    }
    return form_page(
        request,
        AgreementForm(posted(request), initial=initial),
        save=lambda data: services.agreement_record(
            actor=user,
            appeal=appeal,
            facts=data["facts"],
            terms=data["terms"],
            signed_on=data["signed_on"],
            follow_up_on=data["follow_up_on"],
            committee=data["committee"],
            expected_version=data["version"],
        ),
        success_message=lambda agreement: (
            _("Agreement %(number)s recorded; the appeal is settled. Print it for signing.")
            % {"number": agreement.number}
        ),
        success_url=reverse("disputes:agreement_print", args=[appeal.pk]),
        context=_form_context(
            view,
            _("Record the agreement"),
            intro=_("Recording the agreement settles the appeal; the return visit follows."),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def refer(request, pk: int):
    view = _handled(request, pk, Action.REFER)
    appeal, user = view.appeal, request.user
    return form_page(
        request,
        ReferForm(posted(request), initial={"version": view.version}),
        save=lambda data: services.dispute_refer(
            actor=user,
            appeal=appeal,
            referred_to=data["referred_to"],
            reason=data["reason"],
            expected_version=data["version"],
        ),
        success_message=_("Failed mediation recorded; the appeal is settled as referred."),
        success_url=_dispute_url(appeal),
        context=_form_context(
            view,
            _("Record a failed mediation"),
            intro=_("The appeal is settled as referred on; the return visit still follows."),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def scan_upload(request, pk: int):
    view = _handled(request, pk, Action.UPLOAD_SCAN)
    appeal, user = view.appeal, request.user
    return form_page(
        request,
        ScanForm(posted(request), request.FILES or None),
        save=lambda data: services.agreement_upload_scan(
            actor=user, appeal=appeal, scan=data["scan"]
        ),
        success_message=_("Signed agreement uploaded."),
        success_url=_dispute_url(appeal),
        template="appeals/dispute_upload.html",
        context=_form_context(view, _("Upload the signed agreement"), submit=_("Upload")),
    )


@never_cache
@login_required
@require_GET
def scan_file(request, pk: int):
    """The signed scan, to whoever sees the appeal; each look is audited."""
    view = selectors.agreement_get(user=request.user, appeal_pk=_appeal(request, pk).pk)
    agreement = view.agreement
    assert agreement is not None
    if not agreement.scan_name:
        raise Http404
    response = photos.photo_response(
        folder=services.SCAN_DIR,
        name=agreement.scan_name,
        content_type=agreement.scan_content_type,
    )
    if agreement.scan_content_type == services.PDF_CONTENT_TYPE:
        response["Content-Type"] = services.PDF_CONTENT_TYPE
        response["Content-Disposition"] = f'inline; filename="{agreement.number}.pdf"'
    services.agreement_scan_shown(actor=request.user, agreement=agreement)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def check_add(request, pk: int):
    view = _handled(request, pk, Action.CHECK_KEPT)
    appeal, user = view.appeal, request.user
    return form_page(
        request,
        CheckForm(posted(request), initial={"version": view.version}),
        save=lambda data: services.fulfilment_check_record(
            actor=user,
            appeal=appeal,
            result=data["result"],
            note=data["note"],
            checked_on=data["checked_on"],
            next_check_on=data["next_check_on"],
            expected_version=data["version"],
        ),
        success_message=_("Fulfilment check recorded."),
        success_url=_dispute_url(appeal),
        context=_form_context(view, _("Check the keeping of the agreement"), submit=_("Record")),
    )


# --- the A4 print page ----------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def agreement_print(request, pk: int):
    """调解协议书 on A4: the parties' ID and mobile numbers masked; one who may reveal them
    states why (POST) and sees them in full, each party's reveal audited."""
    view = selectors.agreement_get(user=request.user, appeal_pk=_appeal(request, pk).pk)
    agreement = view.agreement
    assert agreement is not None
    parties = view.parties
    form = RevealForm(posted(request))
    shown: set[int] = set()
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                shown = services.agreement_reveal(
                    actor=request.user,
                    agreement=agreement,
                    parties=parties,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                form.add_error(None, error)
                status = 400
        else:
            status = 400
    may_reveal = any(services.may_reveal_party(request.user, p, view.appeal) for p in parties)
    context = {
        "dv": view,
        "agreement": agreement,
        "parties": [masked_party(p, revealed=p.pk in shown) for p in parties],
        "revealed": bool(shown),
        "may_reveal": may_reveal,
        "form": form,
        "back_url": _dispute_url(view.appeal),
    }
    return render_page(request, "appeals/agreement_print.html", context, status=status)


# --- the list of checks due ----------------------------------------------------------------


@login_required
@require_GET
def checks_due(request):
    """到期履行回访 — the agreements whose keeping is due to be checked where the user handles
    appeals, the most overdue first."""
    user = request.user
    if not (user.is_staff_member and appeal_desk(user)):
        raise PermissionDenied
    today = timezone.localdate()
    agreements = list(selectors.fulfilment_checks_due(user=user, today=today)[:200])
    for agreement in agreements:
        agreement.days_over = (today - agreement.follow_up_on).days
    return render_page(request, "appeals/fulfilment_due.html", {"agreements": agreements})
