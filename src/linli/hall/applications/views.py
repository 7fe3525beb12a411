"""Pages of applications 办件: the counter 窗口受理, the application page and its actions, the
step queue 待办 (with the returned applications waiting for material), the due-soon and overdue
lists, and the resident's own applications 我的办件 with the online application and the page
where he sends photos of missing material 补正 from his phone.

Views stay thin: they parse, call one selector or service, and prepare what the template shows.
Scope comes from the selectors (out of scope → 404); a missing permission is a 403; masking
comes from `core.masking.mask` only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from linli.core import photos
from linli.core.masking import ID_NUMBER, MOBILE, mask
from linli.core.pagination import page_by_ids
from linli.core.web import form_page, posted, render_page, safe_next
from linli.registry import selectors as registry_selectors

from ..choices import ApplicationState, StepState
from . import selectors, services, workflow
from .forms import (
    CompleteForm,
    CounterForm,
    GuidanceForm,
    HandInForm,
    OnlineApplyForm,
    RatingForm,
    ReasonForm,
    ResubmitForm,
    StepFinishForm,
    SubmitForm,
    TripForm,
)
from .offices import step_desk

PAGE_SIZE = 50
QUEUE_PAGE_SIZE = 20
RETURNED_LIMIT = 50  # the longest waiting; the application list shows the rest
SEARCH_LIMIT = 20
SEARCH_MAX_LENGTH = 50


# --- helpers ------------------------------------------------------------------------------


def _require_staff_with_any_of(user, *perms: str) -> None:
    """Staff pages: a resident or a role with none of `perms` gets 403."""
    if not (user.is_staff_member and any(user.has_permission(p) for p in perms)):
        raise PermissionDenied


def _own_household(user, perm: str) -> int:
    """The resident's own household, for the resident pages; 403 for anyone else."""
    household_id = user.own_household_id(perm)
    if household_id is None:
        raise PermissionDenied
    return household_id


def _paginate(request, queryset, size: int | None = None) -> Page:
    return Paginator(queryset, size or PAGE_SIZE).get_page(request.GET.get("page"))


def _page_context(page: Page) -> dict:
    return {
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
    }


def _digits(value) -> int | None:
    value = str(value or "").strip()
    return int(value) if value.isdigit() and len(value) < 19 else None


def _masked(person):
    """The applicant as pages show them: ID and mobile masked."""
    person.masked_id = mask(person.id_number, ID_NUMBER)
    person.masked_mobile = mask(person.mobile, MOBILE)
    return person


def _mark(user, rows, *, rating: bool = True) -> list:
    """What the templates ask of each row: is its clock running, and (`rating`: the pages that
    offer it) may the user rate it."""
    rows = list(rows)
    for application in rows:
        application.is_running = application.state in workflow.RUNNING_STATES
        application.can_rate = (
            rating
            and application.state == ApplicationState.COMPLETED
            and "rate" in selectors.application_actions(user=user, application=application)
        )
    return rows


def _detail_url(application) -> str:
    return reverse("services:application_detail", args=[application.pk])


def _taken_message(application) -> str:
    if application.state == ApplicationState.RETURNED:
        return _("Application %(number)s is returned for missing material: %(missing)s") % {
            "number": application.number,
            "missing": application.return_note,
        }
    return _("Application %(number)s taken.") % {"number": application.number}


# --- lists --------------------------------------------------------------------------------


@login_required
@require_GET
def application_list(request):
    user = request.user
    _require_staff_with_any_of(user, "services.view")
    params = request.GET.copy()
    params.pop("page", None)
    if "q" in params:
        params["q"] = params["q"].strip()[:SEARCH_MAX_LENGTH]
    # The page's ids first, then those rows with what they show: sorting only ids keeps the
    # sort narrow (a community's hundreds of applications, the district's thousands).
    apps = selectors.application_list(user=user, filters=params)
    page = page_by_ids(apps, PAGE_SIZE, request.GET.get("page"))
    context = {
        **_page_context(page),
        "rows": _mark(user, page.object_list, rating=False),  # the staff list offers no rating
        "params": params,
        "states": ApplicationState.choices,
        "items": selectors.offered_item_choices(),
        "can_take": user.has_permission("services.apply"),
    }
    return render_page(request, "services/applications/list.html", context, partial="results")


@login_required
@require_GET
def step_queue(request):
    """待办 — the active steps at the user's offices, the nearest deadline first."""
    user = request.user
    _require_staff_with_any_of(user, "services.step")
    # Each row carries its own result form: a shorter page keeps it quick to load and to scroll
    # on a phone.
    page = _paginate(request, selectors.step_queue(user=user), QUEUE_PAGE_SIZE)
    rows = list(page.object_list)
    for step in rows:
        step.form = StepFinishForm(step=step, auto_id=f"step{step.pk}_%s")
    returned = selectors.returned_queue(user=user, limit=RETURNED_LIMIT)
    for entry in returned:
        _masked(entry.application.resident)
    context = {
        **_page_context(page),
        "rows": rows,
        "query": QueryDict(),
        "returned": returned,
        "returned_count": selectors.returned_count(user=user),
    }
    return render(request, "services/applications/queue.html", context)


def _due_scopes(user) -> list[tuple[str, str]]:
    scopes = []
    if user.has_permission("services.apply"):
        scopes.append(("mine", gettext_lazy("Mine")))
    if step_desk(user):
        scopes.append(("office", gettext_lazy("My office")))
    if user.has_permission("services.view"):
        scopes.append(("area", gettext_lazy("My area")))
    return scopes


@login_required
@require_GET
def due_list(request):
    """Due-soon and overdue applications and steps: mine, my office's, my area's."""
    user = request.user
    _require_staff_with_any_of(user, "services.view", "services.step")
    scopes = _due_scopes(user)
    if not scopes:
        raise PermissionDenied
    scope = request.GET.get("scope", "")
    scope = scope if scope in dict(scopes) else scopes[0][0]
    which = request.GET.get("which", "")
    which = which if which in selectors.DUE_WHICH else "overdue"
    context = {
        "entries": selectors.due_list(user=user, scope=scope, which=which),
        "scopes": scopes,
        "scope": scope,
        "which": which,
        "soon_days": selectors.DUE_SOON_WORKING_DAYS,
    }
    return render(request, "services/applications/due.html", context)


@login_required
@require_GET
def my_applications(request):
    """我的办件 — the resident's household's applications and where each stands."""
    user = request.user
    household_id = _own_household(user, "services.view")
    apps = selectors.application_list(user=user).filter(household_id=household_id)
    page = _paginate(request, apps)
    context = {
        **_page_context(page),
        "rows": _mark(user, page.object_list),
        "can_apply": user.own_household_id("services.apply") is not None,
        "query": QueryDict(),
    }
    return render(request, "services/applications/mine.html", context)


# --- the counter --------------------------------------------------------------------------


@dataclass
class CounterChoice:
    """What the counter page has chosen so far, from the query string or the posted form."""

    resident: object = None
    item: object = None
    task: object = None
    found: list = field(default_factory=list)
    q: str = ""


def _counter_choice(request, source) -> CounterChoice:
    user = request.user
    choice = CounterChoice()
    task_id = _digits(source.get("outreach"))
    if task_id is not None:
        choice.task = selectors.outreach_task_get(user=user, pk=task_id)
    resident_id = _digits(source.get("resident"))
    if resident_id is None and choice.task is not None and "resident" not in source:
        resident_id = choice.task.resident_id or choice.task.household.head_id
    if resident_id is not None:
        choice.resident = _masked(registry_selectors.resident_get(user=user, pk=resident_id))
    item_id = _digits(source.get("item"))
    if item_id is None and choice.task is not None:
        item_id = choice.task.item_id
    if item_id is not None:
        choice.item = selectors.offered_item_get(pk=item_id)
    choice.q = str(source.get("q", "")).strip()[:SEARCH_MAX_LENGTH]
    if choice.q and choice.resident is None:
        people = registry_selectors.resident_list(user=user, filters={"q": choice.q})
        choice.found = [_masked(p) for p in people[:SEARCH_LIMIT]]
    return choice


@login_required
@require_http_methods(["GET", "POST"])
def counter(request):
    """窗口受理 — find the resident, pick the item, tick the materials received, submit."""
    user = request.user
    _require_staff_with_any_of(user, "services.apply")
    choice = _counter_choice(request, request.POST if request.method == "POST" else request.GET)
    items = selectors.offered_items()
    initial = {
        "resident": getattr(choice.resident, "pk", None),
        "item": getattr(choice.item, "pk", None),
        "outreach": getattr(choice.task, "pk", None),
    }
    form = CounterForm(posted(request), items=items, item=choice.item, initial=initial)
    return form_page(
        request,
        form,
        save=lambda data: _take(user, data, choice),
        success_message=_taken_message,
        success_url=_detail_url,
        template="services/applications/counter.html",
        context={"choice": choice, "items": items},
        # The resident search and the item's materials reload by themselves.
        partial={"resident-results": "residents", "take-form": "take"},
    )


def _take(user, data: dict, choice: CounterChoice):
    resident = registry_selectors.resident_get(user=user, pk=data["resident"])
    task = choice.task
    if data.get("outreach") and (task is None or task.pk != data["outreach"]):
        task = selectors.outreach_task_get(user=user, pk=data["outreach"])
    return services.application_create(
        actor=user,
        resident=resident,
        item=data["item"],
        channel=data["channel"],
        materials_received=data["materials"],
        outreach_task=task,
    )


# --- the resident applies online ----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def apply_online(request):
    """在线申办 — a plain page where a resident applies for an online item."""
    user = request.user
    household_id = _own_household(user, "services.apply")
    source = request.POST if request.method == "POST" else request.GET
    items = selectors.offered_items(online_only=True)
    item_id = _digits(source.get("item"))
    item = selectors.offered_item_get(pk=item_id, online_only=True) if item_id else None
    members = list(registry_selectors.resident_list(user=user).filter(household_id=household_id))
    own = getattr(user, "resident_record", None)
    initial = {"item": getattr(item, "pk", None), "applicant": getattr(own, "pk", None)}
    form = OnlineApplyForm(
        posted(request), items=items, members=members, item=item, initial=initial
    )

    def save(data):
        return services.application_create(
            actor=user,
            resident=next(m for m in members if m.pk == data["applicant"]),
            item=data["item"],
            channel="online",
            materials_received=data["materials"],
        )

    return form_page(
        request,
        form,
        save=save,
        success_message=_taken_message,
        success_url=_detail_url,
        template="services/applications/apply.html",
        context={"item": item, "items": items},
        partial={"apply-materials": "materials"},
    )


# --- the application page -----------------------------------------------------------------


def _steps_for(user, application) -> list:
    steps = list(application.steps.all())
    for step in steps:
        step.running = step.state == StepState.ACTIVE
        step.can_act = selectors.step_may_finish(user, step)
        if step.can_act:
            step.form = StepFinishForm(step=step, auto_id=f"step{step.pk}_%s")
    return steps


@login_required
@require_GET
def application_detail(request, pk: int):
    user = request.user
    application = selectors.application_get(user=user, pk=pk)
    _masked(application.resident)
    steps = _steps_for(user, application)
    application.active_steps = [s for s in steps if s.state == StepState.ACTIVE]
    _mark(user, [application])
    full = not application.step_only
    actions = selectors.application_actions(user=user, application=application) if full else []
    context = {
        "application": application,
        "steps": steps,
        "actions": actions,
        "full": full,
        "staff": user.is_staff_member,
        "timeline": selectors.application_timeline(application=application) if full else [],
        "trip_form": TripForm(application=application) if "trip" in actions else None,
        "rating_form": _rating_form(user, application) if "rate" in actions else None,
        **_missing_context(user, application),
    }
    return render(request, "services/applications/detail.html", context)


def _missing_context(user, application) -> dict:
    """What a returned application waits for, where to bring what a photo will not do, and
    whether this user is the resident who may send the photos."""
    missing = selectors.missing_materials(application)
    return {
        "missing": missing,
        "bring_in_person": [e for e in missing if not e.by_photo and not e.done],
        "note_photos": [p for p in application.photos.all() if p.material_id is None],
        "drop_off": selectors.drop_off_office(application) if missing else None,
        "can_send_photos": bool(missing)
        and not application.step_only
        and selectors.own_may(user, application, "apply")
        and any(e.by_photo and not e.done for e in missing),
    }


def _rating_form(user, application, data=None) -> RatingForm:
    sources = selectors.rating_sources(user, application)
    return RatingForm(data, application=application, sources=sources)


# --- actions on an application ------------------------------------------------------------


@dataclass(frozen=True)
class PageAction:
    form: Callable
    title: str
    button: str
    done: str
    perform: Callable


def _expected(data: dict) -> dict:
    return {"expected_version": data.get("version")}


PAGE_ACTIONS = {
    "submit": PageAction(
        SubmitForm,
        gettext_lazy("Submit the application"),
        gettext_lazy("Submit"),
        gettext_lazy("Application submitted."),
        lambda u, a, d: services.application_submit(actor=u, application=a),
    ),
    "resubmit": PageAction(
        ResubmitForm,
        gettext_lazy("Missing material handed in"),
        gettext_lazy("Record the material"),
        gettext_lazy("Material recorded."),
        lambda u, a, d: services.application_resubmit(
            actor=u,
            application=a,
            came_in_person=d["came_in_person"],
            materials_received=d["materials"],
            note=d["note"],
            extra_trip_reason=d.get("extra_trip_reason", ""),
            **_expected(d),
        ),
    ),
    "withdraw": PageAction(
        ReasonForm,
        gettext_lazy("Withdraw the application"),
        gettext_lazy("Withdraw"),
        gettext_lazy("Application withdrawn."),
        lambda u, a, d: services.application_withdraw(
            actor=u, application=a, reason=d["reason"], **_expected(d)
        ),
    ),
    "reject": PageAction(
        ReasonForm,
        gettext_lazy("Reject the application"),
        gettext_lazy("Reject"),
        gettext_lazy("Application rejected."),
        lambda u, a, d: services.application_reject(
            actor=u, application=a, reason=d["reason"], **_expected(d)
        ),
    ),
    "complete": PageAction(
        CompleteForm,
        gettext_lazy("Complete the application"),
        gettext_lazy("Complete"),
        gettext_lazy("Application completed."),
        lambda u, a, d: services.application_complete(
            actor=u, application=a, outcome=d["outcome"], **_expected(d)
        ),
    ),
    "guidance": PageAction(
        GuidanceForm,
        gettext_lazy("Record the guidance given"),
        gettext_lazy("Record and complete"),
        gettext_lazy("Guidance recorded; the application is complete."),
        lambda u, a, d: services.application_record_guidance(
            actor=u, application=a, guidance=d["guidance"], outcome=d["outcome"], **_expected(d)
        ),
    ),
    "trip": PageAction(
        TripForm,
        gettext_lazy("Record a trip"),
        gettext_lazy("Record the trip"),
        gettext_lazy("Trip recorded."),
        lambda u, a, d: services.trip_record(
            actor=u,
            application=a,
            on=d["on"],
            reason=d["reason"],
            note=d["note"],
            extra_trip_reason=d.get("extra_trip_reason", ""),
        ),
    ),
    "rate": PageAction(
        lambda data, application, user: _rating_form(user, application, data),
        gettext_lazy("Rate the service"),
        gettext_lazy("Rate"),
        gettext_lazy("Thank you: the rating is recorded."),
        lambda u, a, d: services.rating_give(
            actor=u, application=a, score=d["score"], comment=d["comment"], source=d["source"]
        ),
    ),
}


def _make_form(name: str, data, application, user):
    config = PAGE_ACTIONS[name]
    if name == "rate":
        return config.form(data, application, user)
    return config.form(data, application=application)


def _action_page(request, pk: int, name: str):
    """GET shows the action's form (or why it cannot be done now); POST performs it."""
    user = request.user
    application = selectors.application_get(user=user, pk=pk)
    if application.step_only or not selectors.may_take_action(user, application, name):
        raise PermissionDenied
    _masked(application.resident)
    action = PAGE_ACTIONS[name]
    return form_page(
        request,
        _make_form(name, posted(request), application, user),
        save=lambda data: action.perform(user, application, data),
        success_message=action.done,
        success_url=_detail_url(application),
        template="services/applications/action.html",
        context=lambda: {
            "application": application,
            "action": action,
            "name": name,
            "possible": name in selectors.application_actions(user=user, application=application),
        },
    )


def _action_view(name: str):
    @login_required
    @require_http_methods(["GET", "POST"])
    def view(request, pk: int):
        return _action_page(request, pk, name)

    view.__name__ = view.__qualname__ = f"application_{name}"
    view.__doc__ = f"The “{name}” action on one application."
    return view


application_submit = _action_view("submit")
application_resubmit = _action_view("resubmit")
application_withdraw = _action_view("withdraw")
application_reject = _action_view("reject")
application_complete = _action_view("complete")
application_guidance = _action_view("guidance")
trip_record = _action_view("trip")
application_rate = _action_view("rate")


# --- photos of missing material from the resident's phone ----------------------------------


def _hand_in_done_message(application) -> str:
    if application.state == ApplicationState.RETURNED:
        return _("Thank you: the photos were received. Look below at what is still missing.")
    return _(
        "Thank you: the photos were received and your application %(number)s is back with "
        "the hall. You do not need to come."
    ) % {"number": application.number}


@login_required
@require_http_methods(["GET", "POST"])
def application_hand_in(request, pk: int):
    """补正 — the resident's page for a returned application: what is missing, which of it he
    can send as a photo from his phone, and where to bring the rest."""
    user = request.user
    application = selectors.application_get(user=user, pk=pk)
    if application.step_only or not selectors.own_may(user, application, "apply"):
        raise PermissionDenied
    missing = selectors.missing_materials(application)
    form = HandInForm(
        posted(request),
        request.FILES if request.method == "POST" else None,
        application=application,
        entries=missing,
    )

    def save(data):
        return services.application_send_photos(
            actor=user,
            application=application,
            photos_sent=form.photos_sent(),
            expected_version=data.get("version"),
        )

    def success_url(sent) -> str:
        if sent.state == ApplicationState.RETURNED:  # more is missing: this page again
            return reverse("services:application_hand_in", args=[pk])
        return _detail_url(sent)

    return form_page(
        request,
        form,
        save=save,
        success_message=_hand_in_done_message,
        success_url=success_url,
        template="services/applications/hand_in.html",
        context={
            "application": application,
            "missing": missing,
            "drop_off": selectors.drop_off_office(application) if missing else None,
            "photo_max_mb": services.PHOTO_MAX_MB,
        },
    )


@never_cache
@login_required
@require_GET
def material_photo(request, pk: int, photo: int):
    """A photo of missing material, to whoever sees the application; each look is recorded
    (a photo of an identity document shows everything the masking hides)."""
    found = selectors.photo_get(user=request.user, application_pk=pk, pk=photo)
    response = photos.photo_response(
        folder=services.PHOTO_DIR, name=found.stored_name, content_type=found.content_type
    )
    services.material_photo_shown(actor=request.user, photo=found)
    return response


# --- one step -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def step_finish(request, pk: int):
    """A step at the user's office: its result (approve, return, reject) and a note."""
    user = request.user
    step = selectors.step_get(user=user, pk=pk)
    _masked(step.application.resident)
    data = posted(request)
    form = StepFinishForm(data, step=None if data is not None else step)

    def save(data):
        return services.step_finish(
            actor=user,
            step=step,
            result=data["result"],
            note=data["note"],
            expected_version=data["version"],
        )

    def context() -> dict:
        if form.is_bound:  # refused: show the step as it is now
            step.refresh_from_db()
            _masked(step.application.resident)
        return {"step": step, "application": step.application, "next": safe_next(request)}

    return form_page(
        request,
        form,
        save=save,
        success_message=_("%(step)s: done.") % {"step": step.name},
        success_url=safe_next(request, reverse("services:step_queue")),
        template="services/applications/step.html",
        context=context,
    )
