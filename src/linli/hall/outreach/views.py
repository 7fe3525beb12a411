"""Pages of proactive outreach 主动服务: the worker's task list, the task page with the outcome
form, and the administrator's eligibility editor for an item.

Views stay thin: they parse, call one selector or service, and prepare what the template shows.
Scope comes from the selectors (`restrict`); masking from `core.masking.mask` only.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.accounts.roles import Role
from linli.core.dates import age_on
from linli.core.errors import error_status
from linli.core.forms import add_service_errors
from linli.core.masking import ID_NUMBER, MOBILE, mask
from linli.core.models import Area
from linli.core.pagination import page_by_ids
from linli.core.scoping import covers
from linli.core.web import render_page, submit
from linli.core.workspace import switchable_areas

from ..choices import OPEN_OUTREACH_STATES, OutreachState
from ..models import ServiceItem
from . import eligibility, selectors
from . import services as outreach
from . import workflow as workflow_outreach
from .forms import (
    BLANK_ROWS,
    MAX_ROWS,
    EligibilityForm,
    OutcomeForm,
    ReopenForm,
    combine_rows,
    condition_formset,
    rows_of,
)
from .workflow import Action, Refusal

PAGE_SIZE = 50
ROLE_LABELS = {role.value: role.label for role in Role}
# Where a task's "take the application" link goes: the first of these pages that exists (each
# takes ?resident=&item=&outreach=), else the path the application page is planned under.
APPLICATION_PAGES = ("services:application_new", "services:counter")
APPLICATION_NEW_PATH = "/services/applications/new/"


def _require(user, perm: str) -> None:
    """Staff pages: a resident or a role without `perm` gets 403 (nothing to look up)."""
    if not (user.is_staff_member and user.has_permission(perm)):
        raise PermissionDenied


class RevealScope:
    """Where the user holds registry.reveal (sensitive facts shown), read once a request."""

    def __init__(self, user):
        self.paths = tuple(user.scope_paths("registry.reveal"))

    def covers(self, area: Area) -> bool:
        return bool(self.paths) and area.path.startswith(self.paths)


# --- the task list ------------------------------------------------------------------------


def _list_params(request) -> dict:
    user = request.user
    params = {key: request.GET.get(key, "") for key in ("who", "state", "item", "area")}
    if params["who"] not in (selectors.WHO_MINE, selectors.WHO_UNASSIGNED, selectors.WHO_ALL):
        params["who"] = selectors.WHO_MINE if user.has_permission("outreach.work") else "all"
    if params["state"] not in (selectors.STATE_ANY, *OutreachState.values):
        params["state"] = selectors.STATE_TO_CONTACT
    return params


def _query(params: dict) -> QueryDict:
    """The list's filters for its page links."""
    query = QueryDict(mutable=True)
    query.update({k: v for k, v in params.items() if v})
    return query


@login_required
@require_GET
def task_list(request):
    """主动服务任务 — the tasks of the user's area, those to contact first."""
    user = request.user
    _require(user, "outreach.view")
    params = _list_params(request)
    tasks = selectors.task_list(user=user, filters=params)
    # The page's ids first, then those rows with what they show: sorting only ids keeps a
    # district-wide list fast (tens of thousands of tasks).
    page = page_by_ids(tasks, PAGE_SIZE, request.GET.get("page"))
    rows = page.object_list
    reveal = RevealScope(user)
    for task in rows:
        task.reason_lines = eligibility.reason_lines(
            task.reasons, show_sensitive=reveal.covers(task.area)
        )
    context = {
        "rows": rows,
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        "params": params,
        "query": _query(params),
        "items": list(selectors.outreach_items()),
        "areas": switchable_areas(user),
        "states": OutreachState.choices,
    }
    return render_page(request, "services/outreach/task_list.html", context, partial="results")


# --- the task page ------------------------------------------------------------------------


def application_link(task) -> str:
    """Where the worker takes the application from the task: the application form with the
    person, the item and the task filled in."""
    base = APPLICATION_NEW_PATH
    for name in APPLICATION_PAGES:
        try:
            base = reverse(name)
        except NoReverseMatch:
            continue
        break
    query = {"item": task.item_id, "outreach": task.pk}
    if task.resident_id:
        query = {"resident": task.resident_id, **query}
    return f"{base}?{urlencode(query)}"


def _present_members(household, *, show_sensitive: bool) -> list:
    today = timezone.localdate()
    members = list(household.members.all())
    for person in members:
        person.masked_id = mask(person.id_number, ID_NUMBER)
        person.masked_mobile = mask(person.mobile, MOBILE)
        person.age = age_on(person.birth_date, today)
        person.shown_tags = [
            link for link in person.tag_links.all() if show_sensitive or not link.tag.sensitive
        ]
    return members


def _reopen_context(user, task, actions: list[str], form: ReopenForm | None) -> dict:
    """Whether the page offers to reopen the closed task, and until when."""
    now = timezone.now()
    can_reopen = Action.REOPEN in actions
    expired = workflow_outreach.reopen_refusal(task.state, task.closed_at, now) == Refusal.EXPIRED
    if can_reopen and form is None:
        form = ReopenForm(task=task)
    return {
        "reopen_until": outreach.reopen_until(task),
        "reopen_days": outreach.REOPEN_DAYS,
        "can_reopen": can_reopen,
        "reopen_expired": expired and covers(user, task.area, "outreach.work"),
        "reopen_form": form if (can_reopen or form is not None) else None,
    }


def _task_context(
    user, task, form: OutcomeForm | None = None, reopen_form: ReopenForm | None = None
) -> dict:
    household = task.household
    show_sensitive = covers(user, household.area, "registry.reveal")
    actions = selectors.task_actions(user=user, task=task)
    can_work = any(a in actions for a in workflow_outreach.OUTCOME_ACTIONS.values())
    if can_work and form is None:
        form = OutcomeForm(task=task)
    return {
        "task": task,
        "household": household,
        "members": _present_members(household, show_sensitive=show_sensitive),
        "household_tags": [
            link for link in household.tag_links.all() if show_sensitive or not link.tag.sensitive
        ],
        "reason_lines": eligibility.reason_lines(task.reasons, show_sensitive=show_sensitive),
        # A rule that holds by what a household is not ("not 低保") leaves no facts to name.
        "rule_described": ""
        if task.reasons
        else eligibility.describe(task.item_version.eligibility),
        "can_reveal": show_sensitive,
        "can_work": can_work,
        "can_apply": Action.APPLY in actions,
        "can_open_household": user.has_permission("registry.view")
        and covers(user, household.area, "registry.view"),
        "application_url": application_link(task),
        "form": form if can_work else None,
        "timeline": selectors.task_timeline(task=task),
        **_reopen_context(user, task, actions, reopen_form),
    }


@login_required
@require_GET
def task_detail(request, pk: int):
    """One task; 404 for anyone who may not see it (as for any record outside one's scope)."""
    user = request.user
    task = selectors.task_get(user=user, pk=pk)
    return render(request, "services/outreach/task_detail.html", _task_context(user, task))


def _needs_confirmation(form: OutcomeForm, task) -> bool:
    """An outcome that closes the task is asked about once more before it is recorded (a
    refusal must not be one slip of the finger). A task no longer as the form saw it goes
    straight to the service, which says why."""
    data = form.cleaned_data
    return (
        data["outcome"] in outreach.CLOSED_BY_OUTCOME
        and not data["confirmed"]
        and task.state in OPEN_OUTREACH_STATES
        and data["version"] in (None, task.version)
    )


@login_required
@require_POST
def task_outcome(request, pk: int):
    """Record what came of contacting the household (contacted, declined, not eligible); an
    outcome that closes the task first shows a page asking to confirm it."""
    user = request.user
    task = selectors.task_get(user=user, pk=pk)
    if not covers(user, task.area, "outreach.work"):
        raise PermissionDenied
    form = OutcomeForm(request.POST, task=task)

    def save(data):
        if _needs_confirmation(form, task):
            return _confirm_page(request, task, form)
        return outreach.task_record_outcome(
            actor=user,
            task=task,
            outcome=data["outcome"],
            note=data["note"],
            expected_version=data["version"],
        )

    outcome = submit(
        request,
        form,
        save=save,
        success_message=_("Recorded."),
        success_url=reverse("services:outreach_detail", args=[task.pk]),
    )
    if outcome.response is not None:
        return outcome.response
    task = selectors.task_get(user=user, pk=pk)
    context = _task_context(user, task, form)
    return render(request, "services/outreach/task_detail.html", context, status=outcome.status)


def _confirm_page(request, task, form: OutcomeForm):
    data = form.cleaned_data
    labels = dict(form.fields["outcome"].choices)
    context = {
        "task": task,
        "outcome": data["outcome"],
        "outcome_label": labels.get(data["outcome"], data["outcome"]),
        "note": data["note"],
        "version": task.version,
        "recent_days": task.item_version.outreach_recent_days,
        "reopen_days": outreach.REOPEN_DAYS,
    }
    return render(request, "services/outreach/task_confirm.html", context)


@login_required
@require_POST
def task_reopen(request, pk: int):
    """Reopen a task closed as declined or not eligible, within REOPEN_DAYS days, saying why."""
    user = request.user
    task = selectors.task_get(user=user, pk=pk)
    if not covers(user, task.area, "outreach.work"):
        raise PermissionDenied
    form = ReopenForm(request.POST)
    outcome = submit(
        request,
        form,
        save=lambda data: outreach.task_reopen(
            actor=user, task=task, reason=data["reason"], expected_version=data["version"]
        ),
        success_message=_("The task is open again."),
        success_url=reverse("services:outreach_detail", args=[task.pk]),
    )
    if outcome.response is not None:
        return outcome.response
    task = selectors.task_get(user=user, pk=pk)
    context = _task_context(user, task, reopen_form=form)
    return render(request, "services/outreach/task_detail.html", context, status=outcome.status)


# --- the eligibility editor ---------------------------------------------------------------


def _editor_item(pk: int) -> ServiceItem:
    item = ServiceItem.objects.select_related("current", "category").filter(pk=pk).first()
    if item is None or item.current is None:
        raise Http404
    return item


def _initial(item: ServiceItem, vocabulary) -> tuple[dict, list[dict], bool]:
    version = item.current
    shown = rows_of(version.eligibility, vocabulary)
    combine, rows = shown if shown is not None else ("all", [])
    initial = {
        "combine": combine,
        "outreach_role": version.outreach_role,
        "outreach_recent_days": version.outreach_recent_days,
        "version": version.number,
    }
    return initial, rows, shown is None


@login_required
@require_http_methods(["GET", "POST"])
def item_eligibility(request, pk: int):
    """Who is eligible for an item, who seeks them out, and how many households that finds."""
    user = request.user
    _require(user, "catalogue.manage")
    item = _editor_item(pk)
    vocabulary = eligibility.Vocabulary.load()
    initial, rows, unshown = _initial(item, vocabulary)
    context = {
        "item": item,
        "version": item.current,
        "described": eligibility.describe(item.current.eligibility),
        "role_label": ROLE_LABELS.get(item.current.outreach_role, item.current.outreach_role),
        "unshown": unshown,
        "preview": None,
    }
    if request.method == "GET":
        context["form"] = EligibilityForm(initial=initial)
        context["rows"] = condition_formset(initial=rows, vocabulary=vocabulary)
        return render(request, "services/outreach/eligibility.html", context)

    action = request.POST.get("action", "save")
    data = request.POST.copy()
    if action == "add_row":
        # The same rows again with empty ones below; nothing is checked or saved.
        total = data.get("row-TOTAL_FORMS", "0")
        total = int(total) if total.isdigit() else 0
        data["row-TOTAL_FORMS"] = str(min(total + BLANK_ROWS, MAX_ROWS))
    form = EligibilityForm(data)
    formset = condition_formset(data=data, vocabulary=vocabulary)
    context.update(form=form, rows=formset)
    if action == "add_row":
        return _render_editor(request, context)
    partial = "preview" if action == "preview" else ""
    if not (form.is_valid() and formset.is_valid()):
        context["problems"] = _problems(form, formset)
        return _render_editor(request, context, status=400, partial=partial)
    rules = formset.rules()
    if formset.has_row_errors():
        context["problems"] = _problems(form, formset)
        return _render_editor(request, context, status=400, partial=partial)
    rule = combine_rows(form.cleaned_data["combine"], rules)
    if action == "preview":
        context["preview"] = {
            "count": selectors.eligibility_preview(user=user, rule=rule),
            "described": eligibility.describe(rule),
        }
        return _render_editor(request, context, partial=partial)
    try:
        outreach.item_outreach_update(
            actor=user,
            item=item,
            eligibility_rule=rule,
            outreach_role=form.cleaned_data["outreach_role"],
            outreach_recent_days=form.cleaned_data["outreach_recent_days"],
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data["version"],
        )
    except ValidationError as e:
        add_service_errors(form, e)
        return _render_editor(request, context, status=error_status(e))
    messages.success(request, _("Saved as a new version of the item."))
    return redirect("services:outreach_eligibility", pk=item.pk)


def _problems(form: EligibilityForm, formset) -> list[str]:
    """Every problem of the editor as one line each (for the preview beside the rows)."""
    lines = [str(e) for e in form.non_field_errors()]
    for name, field in form.fields.items():
        lines += [f"{field.label}: {e}" for e in form.errors.get(name, [])]
    lines += [str(e) for e in formset.non_form_errors()]
    for number, row in enumerate(formset.forms, start=1):
        for name, errors in row.errors.items():
            label = row.fields[name].label if name in row.fields else ""
            for e in errors:
                text = f"{label}: {e}" if label else str(e)
                lines.append(_("Row %(number)s: %(problem)s") % {"number": number, "problem": text})
    return lines


def _render_editor(request, context: dict, *, status: int = 200, partial: str = ""):
    return render_page(
        request, "services/outreach/eligibility.html", context, partial=partial, status=status
    )
