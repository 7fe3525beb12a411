"""Pages of visits 走访: my households 我的走访户 (most overdue first), the visit form, the
visit page with its needs and their hand-on to the service hall, the visit and need lists, and
the overdue lists.

Views stay thin: they parse, call one selector or service, and prepare what the template shows.
Scope comes from the selectors (out of scope → 404); a missing permission is a 403; masking
comes from `core.masking.mask` only.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from linli.appeals import selectors as appeal_selectors
from linli.core.scoping import OutOfScope, covers
from linli.core.web import form_page, posted, render_page
from linli.hall.applications import selectors as hall_selectors
from linli.hall.choices import ApplicationState
from linli.registry import selectors as registry_selectors
from linli.registry.models import Household

from . import needs as need_rules
from . import selectors, services
from .choices import NeedCategory, NeedStatus, VisitChannel
from .forms import (
    MAX_NEEDS,
    NeedAppealForm,
    NeedApplicationForm,
    NeedCloseForm,
    VisitForm,
    suggested_items,
)
from .views_common import (
    RevealScope,
    area_options,
    clean_params,
    digits,
    masked_person,
    page_context,
    paginate,
    requested_area,
    require,
    visible_tags,
)
from .workflow import Action

MY_PAGE_SIZE = 30  # a phone screen or two of big rows
LAST_VISITS = 5
PHOTO_DIR = "visits"
OVERDUE_TABS = {
    "households": gettext_lazy("Households"),
    "worker": gettext_lazy("By grid worker"),
    "village": gettext_lazy("By village"),
    "community": gettext_lazy("By community"),
}


# --- my households ------------------------------------------------------------------------


@login_required
@require_GET
def my_households(request):
    """我的走访户 — the households the user visits, the most overdue first; find by pinyin."""
    user = request.user
    require(user, "visits.record")
    params = clean_params(request, ("q",))
    today = timezone.localdate()
    households = selectors.my_households(user=user, query=params.get("q", ""), today=today)
    page = paginate(request, households, MY_PAGE_SIZE)
    context = {**page_context(page), "rows": list(page.object_list), "params": params}
    return render_page(request, "visits/my_households.html", context, partial="results")


# --- the visit form -----------------------------------------------------------------------


def _household_for_visit(user, pk: int) -> Household:
    """The household, if the user may record a visit there (404 otherwise), with members."""
    household = (
        selectors.my_households(user=user)
        .select_related("area", "head")
        .prefetch_related("members", "tag_links__tag", "members__tag_links__tag")
        .filter(pk=pk)
        .first()
    )
    if household is None:
        raise OutOfScope(Household, pk)
    return household


def _household_summary(user, household: Household) -> dict:
    """What the visit form shows of the household: members (masked), tags the user may see."""
    show_sensitive = RevealScope(user).covers(household.area)
    members = [masked_person(m) for m in household.members.all()]
    tags = visible_tags(household.tag_links.all(), show_sensitive)
    for member in members:
        tags += [t for t in visible_tags(member.tag_links.all(), show_sensitive) if t not in tags]
    return {"members": members, "tags": tags, "head": masked_person(household.head)}


NEED_FIELDS = {
    f"needs.{i}.{part}": f"need{i + 1}_{part}"
    for i in range(MAX_NEEDS)
    for part in ("category", "description")
}


def _need_inputs(form: VisitForm) -> list:
    return [services.NeedInput(category, text) for category, text in form.cleaned_data["needs"]]


@login_required
@require_http_methods(["GET", "POST"])
def visit_create(request, pk: int):
    """记录走访 — one visit to one household: channel, date, needs, note, photo."""
    user = request.user
    household = _household_for_visit(user, pk)
    data = posted(request)
    form = VisitForm(data, request.FILES or None, today=timezone.localdate())

    def save(data):
        return services.visit_record(
            actor=user,
            household=household,
            channel=data["channel"],
            visited_on=data["visited_on"],
            note=data["note"].strip(),
            needs=_need_inputs(form),
            photo=data["photo"],
        )

    last_visits = selectors.visit_list(user=user, filters={"household": household.pk})
    return form_page(
        request,
        form,
        save=save,
        names=NEED_FIELDS,
        success_message=_visit_message,
        success_url=lambda visit: reverse("visits:visit_detail", args=[visit.pk]),
        template="visits/visit_form.html",
        context={
            "household": household,
            **_household_summary(user, household),
            "last_visits": last_visits[:LAST_VISITS],
        },
    )


def _visit_message(visit) -> str:
    count = len(visit.needs.all())
    if count:
        return ngettext(
            "Visit to household %(number)s recorded with %(count)s need.",
            "Visit to household %(number)s recorded with %(count)s needs.",
            count,
        ) % {"number": visit.household.number, "count": count}
    return _("Visit to household %(number)s recorded.") % {"number": visit.household.number}


# --- the visit page -----------------------------------------------------------------------


def _mark_needs(user, visit) -> list:
    """Each need with its effective status and what the user may do with it."""
    area = visit.household.area
    rows = list(visit.needs.all())
    for need in rows:
        need.shown_status = need_rules.effective_status(need)
        need.shown_status_label = NeedStatus(need.shown_status).label
        actions = selectors.need_actions(user=user, need=need, area=area)
        need.can_apply = Action.HAND_ON in actions
        need.can_raise_appeal = Action.RAISE_APPEAL in actions
        need.can_close = Action.RESOLVE in actions or Action.CLOSE in actions  # one page
    return rows


@login_required
@require_GET
def visit_detail(request, pk: int):
    user = request.user
    visit = selectors.visit_get(user=user, pk=pk)
    context = {
        "visit": visit,
        "needs": _mark_needs(user, visit),
        "head": masked_person(visit.household.head),
        "can_record": covers(user, visit.household.area, "visits.record"),
    }
    return render_page(request, "visits/visit_detail.html", context)


@never_cache
@login_required
@require_GET
def visit_photo(request, pk: int):
    """The visit's photo, to whoever may see the visit (it is not a public file)."""
    visit = selectors.visit_get(user=request.user, pk=pk)
    if not visit.photo or "/" in visit.photo or "\\" in visit.photo:
        raise Http404
    path = Path(settings.DATA_DIR) / PHOTO_DIR / visit.photo
    if not path.is_file():
        raise Http404
    content_type = visit.photo_type or mimetypes.guess_type(path.name)[0]
    response = FileResponse(path.open("rb"), content_type=content_type or "image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- a need handed on to the service hall -------------------------------------------------


def _need_for_action(user, pk: int, *perms: str):
    """The need (404 outside the user's scope) if the user holds `perms` over its household
    (403 otherwise)."""
    need = selectors.need_get(user=user, pk=pk)
    area = need.household.area
    if not all(covers(user, area, perm) for perm in perms):
        raise PermissionDenied
    need.shown_status = need_rules.effective_status(need)
    return need


def _chosen_item(source, items):
    item_id = digits(source.get("item"))
    return items.filter(pk=item_id).first() if item_id is not None else None


@login_required
@require_http_methods(["GET", "POST"])
def need_application(request, pk: int):
    """转为服务申请 — the need becomes a service-hall application in one step."""
    user = request.user
    need = _need_for_action(user, pk, "visits.record", "services.apply")
    source = request.POST if request.method == "POST" else request.GET
    items = hall_selectors.offered_items()
    item = _chosen_item(source, items)
    members = list(
        registry_selectors.resident_list(user=user).filter(household_id=need.household_id)
    )
    initial = {"item": getattr(item, "pk", None), "applicant": need.household.head_id}
    form = NeedApplicationForm(
        posted(request),
        items=items,
        suggested=suggested_items(items, need.category),
        members=members,
        item=item,
        initial=initial,
    )

    def save(data):
        return services.need_to_application(
            actor=user,
            need=need,
            item=data["item"],
            resident=next(m for m in members if m.pk == data["applicant"]),
            materials_received=data["materials"],
        )

    return form_page(
        request,
        form,
        save=save,
        names={"resident": "applicant"},
        success_message=_handed_on_message,
        success_url=lambda application: reverse(
            "services:application_detail", args=[application.pk]
        ),
        template="visits/need_application.html",
        context={"need": need, "item": item, "item_groups": form.fields["item"].choices[1:]},
        partial={"need-materials": "materials"},
    )


def _handed_on_message(application) -> str:
    """What became of the application made from the need, as it stands: material not ticked
    returns it at once, and saying "on its way" then would be untrue."""
    params = {"number": application.number, "missing": application.return_note}
    if application.state == ApplicationState.RETURNED:
        return (
            _(
                "Application %(number)s made from the need, but returned at once for missing "
                "material: %(missing)s. It waits at the hall's to-do list until the material is "
                "in; the resident can send photos of it from his phone."
            )
            % params
        )
    if application.state == ApplicationState.COMPLETED:
        return _("Application %(number)s made from the need and completed.") % params
    return _("Application %(number)s made from the need; it is on its way in the hall.") % params


@login_required
@require_http_methods(["GET", "POST"])
def need_appeal(request, pk: int):
    """转为诉求 — the need becomes an appeal 诉求 in one step: its category, the description
    (the need's, to complete), at the household's place, reported by its head."""
    user = request.user
    need = _need_for_action(user, pk, "visits.record", "appeals.report")
    form = NeedAppealForm(
        posted(request),
        categories=appeal_selectors.offered_categories(),
        initial={"description": need.description},
    )
    return form_page(
        request,
        form,
        save=lambda data: services.need_to_appeal(
            actor=user, need=need, category=data["category"], description=data["description"]
        ),
        success_message=lambda appeal: (
            _("Appeal %(number)s raised from the need.") % {"number": appeal.number}
        ),
        success_url=lambda appeal: reverse("appeals:detail", args=[appeal.pk]),
        template="visits/need_appeal.html",
        context={"need": need},
    )


@login_required
@require_http_methods(["GET", "POST"])
def need_close(request, pk: int):
    """Close a need: resolved on the spot, or closed without action, with a note."""
    user = request.user
    need = _need_for_action(user, pk, "visits.record")
    return form_page(
        request,
        NeedCloseForm(posted(request), need=need),
        save=lambda data: services.need_close(
            actor=user,
            need=need,
            resolved=data["outcome"] == "resolved",
            note=data["note"],
            version=data["version"],
        ),
        success_message=_("Need closed."),
        success_url=reverse("visits:visit_detail", args=[need.visit_id]),
        template="visits/need_close.html",
        context={"need": need},
    )


# --- the lists ----------------------------------------------------------------------------


def _area_param(request, params: QueryDict):
    """The ?area= filter as an area the user may see (404 otherwise); the working area when
    none is given."""
    area = requested_area(request)
    if area is not None:
        params["area"] = str(area.pk)
    return area


@login_required
@require_GET
def visit_list(request):
    """走访记录 — visits in the user's area, newest first, with filters."""
    user = request.user
    require(user, "visits.view")
    keys = ("household", "visitor", "channel", "date_from", "date_to")
    params = clean_params(request, keys)
    area = _area_param(request, params)
    page = paginate(request, selectors.visit_list(user=user, filters=params))
    context = {
        **page_context(page),
        "rows": list(page.object_list),
        "params": params,
        "area": area,
        "area_options": area_options(user, area),
        "channels": VisitChannel.choices,
    }
    return render_page(request, "visits/visit_list.html", context, partial="results")


@login_required
@require_GET
def need_list(request):
    """需求 — needs found on visits, with their effective status."""
    user = request.user
    require(user, "visits.view")
    params = clean_params(request, ("status", "category"))
    area = _area_param(request, params)
    page = paginate(request, selectors.need_list(user=user, filters=params))
    rows = list(page.object_list)
    for need in rows:
        need.shown_status = need.status_now
        need.shown_status_label = NeedStatus(need.status_now).label
    context = {
        **page_context(page),
        "rows": rows,
        "params": params,
        "area": area,
        "area_options": area_options(user, area),
        "statuses": NeedStatus.choices,
        "categories": NeedCategory.choices,
    }
    return render_page(request, "visits/need_list.html", context, partial="results")


def _overdue_tab(request) -> str:
    tab = request.GET.get("tab", "")
    return tab if tab in OVERDUE_TABS else "households"


@login_required
@require_GET
def overdue(request):
    """逾期未走访 — households whose visit is overdue; counts per worker, village, community."""
    user = request.user
    require(user, "visits.view")
    tab = _overdue_tab(request)
    params = clean_params(request, ("worker",))
    area = _area_param(request, params)
    today = timezone.localdate()
    context = {
        "tab": tab,
        "tabs": OVERDUE_TABS,
        "params": params,
        "area": area,
        "area_options": area_options(user, area),
        "tab_keep": {"tab": tab},
    }
    if tab == "households":
        households = selectors.overdue_list(user=user, filters=params, today=today)
        page = paginate(request, households)
        context.update(page_context(page), rows=list(page.object_list))
    else:
        counts = selectors.overdue_counts(user=user, by=tab, area=area, today=today)
        context["counts"] = counts
    query = params.copy()
    query["tab"] = tab
    context["query"] = query
    return render_page(request, "visits/overdue.html", context)
