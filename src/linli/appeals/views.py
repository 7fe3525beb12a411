"""Pages of appeals 诉求: the tier queues 待办, the list of all appeals, the appeal page with
its steps, photos, return visits and timeline, the handler's actions (take, settle, hand up,
send to the department, return visit), the counter / 12345 intake, the category
administration, and the resident's own pages: 我要反映 and 我的诉求.

Views stay thin: they parse, call one selector or service, and prepare what the template shows.
Scope comes from the selectors (out of scope → 404); a missing permission is a 403; masking
comes from `core.masking.mask` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.core import photos
from linli.core import selectors as core_selectors
from linli.core.choices import AreaKind
from linli.core.masking import ID_NUMBER, MOBILE, mask
from linli.core.models import Area
from linli.core.pagination import page_by_ids
from linli.core.scoping import covers
from linli.core.web import act, form_page, posted, render_page
from linli.registry import selectors as registry_selectors
from linli.registry.choices import OrganisationKind
from linli.registry.models import Household, Organisation

from . import rules, selectors, services
from .choices import AppealChannel, AppealState, ReturnVisitMethod, Tier
from .forms import (
    REPORTER_ANONYMOUS,
    REPORTER_REGISTRY,
    CategoryForm,
    IntakeForm,
    ReasonForm,
    ResidentRaiseForm,
    ResidentReturnVisitForm,
    ReturnVisitForm,
    SettleForm,
    TakeForm,
)
from .tiers import appeal_desk
from .workflow import RUNNING_STATES, Operation

PAGE_SIZE = 50
RAISE_MATTER = "decide.manage"  # 转为议事: an appeal raised to a residents-decide matter
QUEUE_PAGE_SIZE = 30
SEARCH_LIMIT = 20
SEARCH_MAX_LENGTH = 50
# Where an appeal may be placed: a village or compound, or a grid in one; a community or a
# street for what concerns it as a whole.
PLACE_KINDS = (
    AreaKind.VILLAGE,
    AreaKind.COMPOUND,
    AreaKind.GRID,
    AreaKind.COMMUNITY,
    AreaKind.STREET,
    AreaKind.TOWN,
)
TIER_LABELS = dict(Tier.choices)


# --- helpers ------------------------------------------------------------------------------


def _require_staff(user, *perms: str) -> None:
    """Staff pages: a resident or a role with none of `perms` gets 403 (nothing looked up)."""
    if not (user.is_staff_member and any(user.has_permission(p) for p in perms)):
        raise PermissionDenied


def _require_handler(user) -> None:
    if not user.is_staff_member or not appeal_desk(user):
        raise PermissionDenied


def _own_household(user, perm: str) -> int:
    """The resident's own household, for the resident pages; 403 for anyone else."""
    household_id = None if user.is_staff_member else user.own_household_id(perm)
    if household_id is None:
        raise PermissionDenied
    return household_id


def _digits(value) -> int | None:
    value = str(value or "").strip()
    return int(value) if value.isdigit() and len(value) < 19 else None


def _page_context(page) -> dict:
    return {
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
    }


def _masked(person):
    if person is not None:
        person.masked_id = mask(person.id_number, ID_NUMBER)
        person.masked_mobile = mask(person.mobile, MOBILE)
    return person


def _mark(rows, today) -> list:
    """What the templates ask of each row: is its clock running, is it overdue."""
    rows = list(rows)
    for appeal in rows:
        appeal.is_running = appeal.state in RUNNING_STATES
        appeal.is_overdue = bool(appeal.is_running and appeal.due_on and appeal.due_on < today)
    return rows


def _detail_url(appeal) -> str:
    return reverse("appeals:detail", args=[appeal.pk])


def _areas_for(user, perm: str):
    """The places where `user` holds `perm` that an appeal may concern."""
    condition = Q(pk__in=[])
    for path in user.scope_paths(perm):
        condition |= Q(path__startswith=path)
    return (
        Area.objects.filter(condition, kind__in=PLACE_KINDS)
        .select_related("parent")
        .order_by("path")
    )


# --- the tier queues ------------------------------------------------------------------------


@login_required
@require_GET
def queue(request):
    """待办 — the appeals waiting where the user handles them, the nearest deadline first, one
    tab per tier the user handles."""
    user = request.user
    _require_handler(user)
    tiers = appeal_desk(user).tiers
    tier = request.GET.get("tier", "")
    tier = tier if tier in tiers else ""
    today = timezone.localdate()
    appeals = selectors.appeal_queue(user=user, tier=tier or None)
    page = page_by_ids(appeals, QUEUE_PAGE_SIZE, request.GET.get("page"))
    query = QueryDict(mutable=True)
    if tier:
        query["tier"] = tier
    context = {
        **_page_context(page),
        "rows": _mark(page.object_list, today),
        "tabs": [(t, TIER_LABELS[t]) for t in tiers],
        "tier": tier,
        "query": query,
        "overdue_count": appeals.filter(rules.overdue_appeals(today)).count(),
        "can_report": user.has_permission("appeals.report"),
    }
    return render_page(request, "appeals/queue.html", context, partial="results")


# --- all appeals ----------------------------------------------------------------------------

LIST_KEYS = ("category", "channel", "tier", "state", "overdue")


@login_required
@require_GET
def appeal_list(request):
    """诉求 — every appeal the user may see, newest first, with filters."""
    user = request.user
    _require_staff(user, "appeals.view")
    params = QueryDict(mutable=True)
    for key in LIST_KEYS:
        value = request.GET.get(key, "").strip()[:SEARCH_MAX_LENGTH]
        if value:
            params[key] = value
    filters: dict[str, Any] = {k: params[k] for k in ("channel", "tier", "state") if k in params}
    category = _digits(params.get("category"))
    if category is not None:
        filters["category"] = category
    area = None
    raw_area = request.GET.get("area", "").strip()
    if raw_area:
        area = core_selectors.area_get(user=user, pk=_digits(raw_area) or 0)
        params["area"] = str(area.pk)
        filters["area"] = area
    today = timezone.localdate()
    appeals = selectors.appeal_list(user=user, filters=filters)
    if params.get("overdue"):
        appeals = appeals.filter(rules.overdue_appeals(today))
    page = page_by_ids(appeals, PAGE_SIZE, request.GET.get("page"))
    context = {
        **_page_context(page),
        "rows": _mark(page.object_list, today),
        "params": params,
        "query": params,
        "area": area,
        "area_options": _list_areas(user, area),
        "categories": selectors.category_list(),
        "channels": AppealChannel.choices,
        "tiers": Tier.choices,
        "states": AppealState.choices,
    }
    return render_page(request, "appeals/list.html", context, partial="results")


def _list_areas(user, area) -> list[Area]:
    options = list(
        Area.objects.restrict(user, "view")
        .filter(kind__in=(AreaKind.STREET, AreaKind.TOWN, AreaKind.COMMUNITY, AreaKind.VILLAGE))
        .order_by("path")[:200]
    )
    if area is not None and all(a.pk != area.pk for a in options):
        options.insert(0, area)
    return options


# --- the appeal page ------------------------------------------------------------------------


@login_required
@require_GET
def appeal_detail(request, pk: int):
    user = request.user
    appeal = selectors.appeal_get(user=user, pk=pk)
    _masked(appeal.reporter)
    appeal.masked_mobile = mask(appeal.reporter_mobile, MOBILE)
    today = timezone.localdate()
    _mark([appeal], today)
    steps = list(appeal.steps.all())
    for step in steps:
        step.is_open = step.ended_at is None
    actions = selectors.appeal_actions(user=user, appeal=appeal)
    staff = user.is_staff_member
    context = {
        "appeal": appeal,
        "steps": steps,
        "photos": list(appeal.photos.all()),
        "return_visits": list(appeal.return_visits.all()),
        "actions": actions,
        "staff": staff,
        "take_form": TakeForm(appeal=appeal) if Operation.TAKE in actions else None,
        "timeline": selectors.appeal_timeline(appeal=appeal),
        "can_raise_matter": _may_raise_matter(user, appeal),
    }
    return render_page(request, "appeals/detail.html", context)


def _may_raise_matter(user, appeal) -> bool:
    """转为议事 is offered to staff who run residents-decide (`decide.manage`) over the appeal's
    community, while the appeal has not been raised to a matter yet. The link goes by URL name
    (`decide:from_appeal`): appeals know nothing else of that module."""
    if not user.is_staff_member or not user.has_permission(RAISE_MATTER):
        return False
    community = appeal.area.ancestors().filter(kind=AreaKind.COMMUNITY).first()
    if community is None or not covers(user, community, RAISE_MATTER):
        return False
    return not hasattr(appeal, "matter")


@never_cache
@login_required
@require_GET
def appeal_photo(request, pk: int, photo: int):
    """A photo of an appeal, to whoever sees the appeal; each look is recorded."""
    found = selectors.photo_get(user=request.user, appeal_pk=pk, pk=photo)
    response = photos.photo_response(
        folder=services.PHOTO_DIR, name=found.stored_name, content_type=found.content_type
    )
    services.appeal_photo_shown(actor=request.user, photo=found)
    return response


# --- the actions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PageAction:
    form: Any
    title: Any
    button: Any
    done: Any
    perform: Any


def _v(data: dict) -> dict:
    return {"expected_version": data.get("version")}


def _return_visit(user, appeal, data):
    method = data.get("method") or ReturnVisitMethod.RESIDENT_PHONE
    return services.return_visit_record(
        actor=user,
        appeal=appeal,
        satisfaction=data["satisfaction"],
        method=method,
        note=data["note"],
        **_v(data),
    )


PAGE_ACTIONS = {
    Operation.TAKE: PageAction(
        TakeForm,
        gettext_lazy("Take the appeal"),
        gettext_lazy("Take it"),
        gettext_lazy("Appeal taken: it is yours to handle."),
        lambda u, a, d: services.appeal_take(actor=u, appeal=a, **_v(d)),
    ),
    Operation.SETTLE: PageAction(
        SettleForm,
        gettext_lazy("Settle the appeal"),
        gettext_lazy("Settle"),
        gettext_lazy("Appeal settled; it waits for the return visit."),
        lambda u, a, d: services.appeal_settle(
            actor=u, appeal=a, what_was_done=d["what_was_done"], **_v(d)
        ),
    ),
    Operation.HAND_UP: PageAction(
        ReasonForm,
        gettext_lazy("Hand the appeal up"),
        gettext_lazy("Hand up"),
        gettext_lazy("Appeal handed up to the next tier."),
        lambda u, a, d: services.appeal_hand_up(actor=u, appeal=a, reason=d["reason"], **_v(d)),
    ),
    Operation.SEND_TO_DEPARTMENT: PageAction(
        ReasonForm,
        gettext_lazy("Send to the department"),
        gettext_lazy("Send"),
        gettext_lazy("Appeal sent to the department."),
        lambda u, a, d: services.appeal_send_to_department(
            actor=u, appeal=a, reason=d["reason"], **_v(d)
        ),
    ),
    Operation.RETURN_VISIT: PageAction(
        ReturnVisitForm,
        gettext_lazy("Return visit"),
        gettext_lazy("Record the return visit"),
        gettext_lazy("Return visit recorded."),
        _return_visit,
    ),
}


def _after_action(user, appeal) -> str:
    """The appeal page again, if the user still sees it (a department's staff hand it on);
    else their queue, or their own appeals."""
    if selectors.may_see(user, appeal):
        return _detail_url(appeal)
    return reverse("appeals:queue") if user.is_staff_member else reverse("appeals:mine")


def _action_page(request, pk: int, name: str):
    """GET shows the action's form (or why it cannot be done now); POST performs it."""
    user = request.user
    appeal = selectors.appeal_get(user=user, pk=pk)
    if not selectors.may_do(user, appeal, name):
        raise PermissionDenied
    _masked(appeal.reporter)
    action = PAGE_ACTIONS[name]
    form_class = action.form
    resident = name == Operation.RETURN_VISIT and not user.is_staff_member
    if resident:
        form_class = ResidentReturnVisitForm
    form = form_class(posted(request), appeal=appeal)
    return form_page(
        request,
        form,
        save=lambda data: action.perform(user, appeal, data),
        success_message=_("Thank you: your answer is recorded.") if resident else action.done,
        success_url=lambda result: _after_action(user, appeal),
        template="appeals/action.html",
        context=lambda: {
            "appeal": appeal,
            "action": action,
            "name": name,
            "resident": resident,
            "possible": name in selectors.appeal_actions(user=user, appeal=appeal),
        },
    )


def _action_view(name: str):
    @login_required
    @require_http_methods(["GET", "POST"])
    def view(request, pk: int):
        return _action_page(request, pk, name)

    view.__name__ = view.__qualname__ = f"appeal_{name}"
    view.__doc__ = f"The “{name}” action on one appeal."
    return view


appeal_take = _action_view(Operation.TAKE)
appeal_settle = _action_view(Operation.SETTLE)
appeal_hand_up = _action_view(Operation.HAND_UP)
appeal_send = _action_view(Operation.SEND_TO_DEPARTMENT)
appeal_return_visit = _action_view(Operation.RETURN_VISIT)


# --- the counter and the 12345 hotline ------------------------------------------------------


def _chosen_reporter(request, source):
    """The registry person chosen (404 outside what the user sees), and those found by ?q=."""
    user = request.user
    resident = None
    resident_id = _digits(source.get("resident"))
    if resident_id is not None:
        resident = _masked(registry_selectors.resident_get(user=user, pk=resident_id))
    q = str(source.get("q", "")).strip()[:SEARCH_MAX_LENGTH]
    found = []
    if q and resident is None:
        people = registry_selectors.resident_list(user=user, filters={"q": q})
        found = [_masked(p) for p in people[:SEARCH_LIMIT]]
    return resident, found, q


@login_required
@require_http_methods(["GET", "POST"])
def appeal_create(request):
    """窗口受理 / 12345 转办 — record an appeal brought to the counter or handed on by the
    hotline: category, place, description, the reporter (a registry person, a named outsider
    with a mobile, or nobody where the category allows), photos."""
    user = request.user
    _require_staff(user, "appeals.report")
    source = request.POST if request.method == "POST" else request.GET
    resident, found, q = _chosen_reporter(request, source)
    areas = _areas_for(user, "appeals.report")
    initial: dict[str, Any] = {"resident": getattr(resident, "pk", None)}
    if resident is not None:
        initial["reporter_kind"] = REPORTER_REGISTRY
        initial["area"] = resident.household.area_id
    form = IntakeForm(
        posted(request),
        request.FILES if request.method == "POST" else None,
        categories=selectors.offered_categories(),
        areas=areas,
        initial=initial,
    )

    def save(data):
        kind = data["reporter_kind"]
        chosen = resident if kind == REPORTER_REGISTRY else None
        outsider = kind not in (REPORTER_REGISTRY, REPORTER_ANONYMOUS)
        return services.appeal_create(
            actor=user,
            category=data["category"],
            channel=data["channel"],
            area=data["area"],
            description=data["description"],
            address=data["address"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            reporter=chosen,
            reporter_name=data["reporter_name"] if outsider else "",
            reporter_mobile=data["reporter_mobile"] if outsider else "",
            anonymous=kind == REPORTER_ANONYMOUS,
            photos_sent=data["photos"],
        )

    return form_page(
        request,
        form,
        save=save,
        names={"reporter": "resident", "photos_sent": "photos"},
        success_message=lambda a: (
            _("Appeal %(number)s recorded: it waits at %(place)s.")
            % {"number": a.number, "place": a.place_name}
        ),
        success_url=_detail_url,
        template="appeals/create.html",
        context={"resident": resident, "found": found, "q": q},
        partial={"reporter-results": "reporters"},
    )


# --- the resident's own pages ---------------------------------------------------------------


@login_required
@require_GET
def my_appeals(request):
    """我的诉求 — the appeals the resident's household raised, where each stands."""
    user = request.user
    household_id = _own_household(user, "appeals.view")
    appeals = selectors.appeal_list(user=user).filter(household_id=household_id)
    page = page_by_ids(appeals, QUEUE_PAGE_SIZE, request.GET.get("page"))
    rows = _mark(page.object_list, timezone.localdate())
    for appeal in rows:
        appeal.can_judge = appeal.state == AppealState.SETTLED and selectors.may_return_visit(
            user, appeal
        )
    context = {
        **_page_context(page),
        "rows": rows,
        "query": QueryDict(),
        "can_raise": user.own_household_id("appeals.report") is not None,
    }
    return render_page(request, "appeals/mine.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def appeal_raise(request):
    """我要反映 — the resident raises an appeal about their own place, from the phone."""
    user = request.user
    household_id = _own_household(user, "appeals.report")
    household = Household.objects.select_related("area").get(pk=household_id)
    form = ResidentRaiseForm(
        posted(request),
        request.FILES if request.method == "POST" else None,
        categories=selectors.offered_categories(),
        initial={"address": household.address},
    )

    def save(data):
        return services.appeal_create(
            actor=user,
            category=data["category"],
            channel=AppealChannel.RESIDENT_PHONE,
            area=household.area,
            description=data["description"],
            address=data["address"],
            photos_sent=data["photos"],
        )

    return form_page(
        request,
        form,
        save=save,
        names={"photos_sent": "photos"},
        success_message=lambda a: (
            _("Received. Your appeal number is %(number)s.") % {"number": a.number}
        ),
        success_url=reverse("appeals:mine"),
        template="appeals/raise.html",
        context={"photo_max_mb": services.PHOTO_MAX_MB},
    )


# --- categories -----------------------------------------------------------------------------


def _departments():
    return Organisation.objects.filter(kind=OrganisationKind.DEPARTMENT).order_by("name")


def _category_page_context(title, category=None) -> dict:
    return {
        "title": title,
        "breadcrumb": [{"label": _("Appeal categories"), "url": reverse("appeals:categories")}],
        "cancel_url": reverse("appeals:categories"),
        "category": category,
    }


@login_required
@require_GET
def category_list(request):
    """诉求类别 — every category, offered or withdrawn, with its time limits."""
    _require_staff(request.user, "appeals.categories")
    return render_page(
        request, "appeals/category_list.html", {"rows": list(selectors.category_list())}
    )


@login_required
@require_http_methods(["GET", "POST"])
def category_create(request):
    user = request.user
    _require_staff(user, "appeals.categories")
    form = CategoryForm(posted(request), departments=_departments())
    return form_page(
        request,
        form,
        save=lambda data: services.category_create(actor=user, **data),
        success_message=_("Category saved."),
        success_url=reverse("appeals:categories"),
        context=_category_page_context(_("New appeal category")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def category_edit(request, pk: int):
    """A change makes the category's next version; appeals raised before keep theirs."""
    user = request.user
    _require_staff(user, "appeals.categories")
    category = selectors.category_get(pk=pk)
    form = CategoryForm(posted(request), departments=_departments(), category=category)

    def save(data):
        data = dict(data)
        note, expected = data.pop("note"), data.pop("version")
        return services.category_revise(
            actor=user, category=category, note=note, expected_version=expected, **data
        )

    return form_page(
        request,
        form,
        save=save,
        success_message=_("Category saved as a new version."),
        success_url=reverse("appeals:categories"),
        context=_category_page_context(
            _("Edit the category %(name)s") % {"name": category.name}, category
        ),
    )


@login_required
@require_POST
def category_offer(request, pk: int):
    """Withdraw a category (it takes no new appeals), or offer it again."""
    user = request.user
    _require_staff(user, "appeals.categories")
    category = selectors.category_get(pk=pk)
    offered = request.POST.get("offered") == "1"
    return act(
        request,
        lambda: services.category_set_offered(actor=user, category=category, offered=offered),
        success_message=_("Category offered again.") if offered else _("Category withdrawn."),
        back=reverse("appeals:categories"),
    )
