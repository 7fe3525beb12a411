"""Pages of manage 民主管理 and supervise 民主监督, under /decide/tasks/: the tasks one may see
(the community's staff, a department's staff their organisation's), a task with its progress
reports and the report form, a matter's manage-and-supervise page (tasks of each round, overdue
ones marked, the on-time share, inspections, this round's ratings) with its actions: assign a
task, start supervision, record an inspection, count the ratings.

Views stay thin: parse, call one selector or service, render. Scope comes from the selectors
(out of scope → 404); a missing permission is a 403.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.accounts.models import User
from linli.core import photos
from linli.core.scoping import OutOfScope, covers
from linli.core.web import act, form_page, posted, render_page
from linli.registry.models import Organisation

from ..choices import Rating, Stage, TaskState
from ..models import DecidePhoto, Inspection, Matter, MatterTask
from . import selectors, services
from .forms import InspectionForm, NoteForm, TaskAssignForm, TaskReportForm

MANAGE = "decide.manage"


def _require_staff(user, *perms: str) -> None:
    if not (user.is_staff_member and any(user.has_permission(p) for p in perms)):
        raise PermissionDenied


@login_required
@require_GET
def task_list(request):
    """分工任务 — the tasks the user sees, open ones first, the nearest deadline first."""
    _require_staff(request.user, "decide.view", services.REPORT_TASK)
    state = request.GET.get("state", "")
    tasks = list(
        selectors.task_list(user=request.user, filters=selectors.TaskFilters(state=state))[:200]
    )
    today = timezone.localdate()
    for task in tasks:
        task.overdue = selectors.task_overdue(task, today)  # type: ignore[attr-defined]
    return render_page(
        request,
        "decide/manage/task_list.html",
        {"tasks": tasks, "state": state, "states": TaskState.choices},
    )


@login_required
@require_GET
def task_detail(request, pk: int):
    task = selectors.task_get(user=request.user, pk=pk)
    task.overdue = selectors.task_overdue(task)  # type: ignore[attr-defined]
    return render_page(
        request,
        "decide/manage/task_detail.html",
        {
            "task": task,
            "may_report": (
                services.may_report(request.user, task)
                and task.state == TaskState.OPEN
                and task.matter.stage == Stage.MANAGE
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def task_report(request, pk: int):
    """进展 — report how far the task is, with photos."""
    task = selectors.task_get(user=request.user, pk=pk)
    if not services.may_report(request.user, task):
        raise PermissionDenied
    form = TaskReportForm(
        posted(request),
        request.FILES if request.method == "POST" else None,
        initial={"percent": task.percent, "version": task.version},
    )

    def save(data):
        return services.task_report(
            actor=request.user,
            task=task,
            text=data["text"],
            percent=data["percent"],
            setback=data["setback"],
            photos_sent=data["photos"],
            expected_version=data["version"],
        )

    return form_page(
        request,
        form,
        save=save,
        names={"photos_sent": "photos", "task": "__all__"},
        success_message=_("Progress reported."),
        success_url=reverse("matter_tasks:detail", args=[task.pk]),
        template="decide/manage/form.html",
        context={
            "title": _("Report progress"),
            "facts": [(_("Task"), task.title), (_("Progress (%)"), task.percent)],
            "cancel_url": reverse("matter_tasks:detail", args=[task.pk]),
        },
    )


@login_required
@require_GET
def task_photo(request, pk: int):
    """A photo of a report or an inspection, to whoever sees the task or the matter."""
    photo = get_object_or_404(DecidePhoto.objects.select_related("report__task"), pk=pk)
    user = request.user
    seen = (
        photo.report is not None
        and selectors.task_queryset(user).filter(pk=photo.report.task_id).exists()
    ) or Matter.objects.restrict(user, "view").filter(pk=photo.matter_id).exists()
    if not seen:
        raise OutOfScope(DecidePhoto, pk)
    return photos.photo_response(
        folder=services.PHOTO_DIR, name=photo.stored_name, content_type=photo.content_type
    )


# --- a matter's manage and supervise page -----------------------------------------------------------


def _matter(request, pk: int) -> Matter:
    _require_staff(request.user, "decide.view")
    return selectors.matter_for_manage(user=request.user, pk=pk)


@login_required
@require_GET
def matter_page(request, pk: int):
    matter = _matter(request, pk)
    user = request.user
    tasks = list(
        MatterTask.objects.filter(matter=matter)
        .select_related("organisation")
        .order_by("-round", "due_on", "id")
    )
    today = timezone.localdate()
    for task in tasks:
        task.overdue = selectors.task_overdue(task, today)  # type: ignore[attr-defined]
    this_round = [t for t in tasks if t.round == matter.round]
    share = selectors.on_time_share(this_round)
    counts = services.round_counts(matter)
    manages = covers(user, matter.area, MANAGE)
    inspects = manages or services.supervision_seat(user, matter) is not None
    return render_page(
        request,
        "decide/manage/matter.html",
        {
            "matter": matter,
            "tasks": tasks,
            "open_count": sum(1 for t in this_round if t.state == TaskState.OPEN),
            "on_time": None if share is None else round(float(share) * 100),
            "inspections": Inspection.objects.filter(matter=matter)
            .select_related("inspector")
            .prefetch_related("photos")
            .order_by("-round", "-inspected_at"),
            "ratings": [(label, counts.get(value, 0)) for value, label in Rating.choices],
            "rating_total": sum(counts.values()),
            "may_assign": manages and matter.stage == Stage.MANAGE,
            "may_supervise": manages and matter.stage == Stage.MANAGE,
            "may_inspect": inspects and matter.stage == Stage.SUPERVISE,
            "may_close": manages and matter.stage == Stage.SUPERVISE,
            "note_form": NoteForm(initial={"version": matter.version}),
        },
    )


def _serving_organisations(matter: Matter):
    community = selectors.community_of(matter.area)
    return Organisation.objects.filter(
        Q(area__path__startswith=community.path) | Q(area__path__in=community.ancestor_paths())
    ).order_by("kind", "name")


@login_required
@require_http_methods(["GET", "POST"])
def task_assign(request, pk: int):
    """分工 — a task of the decision for the community or a department."""
    matter = _matter(request, pk)
    if not covers(request.user, matter.area, MANAGE):
        raise PermissionDenied
    organisations = _serving_organisations(matter)
    owners = User.objects.filter(grants__organisation__in=organisations, is_active=True).distinct()
    form = TaskAssignForm(posted(request), organisations=organisations, owners=owners)
    back = reverse("matter_tasks:matter", args=[matter.pk])

    def save(data):
        return services.task_assign(
            actor=request.user,
            matter=matter,
            title=data["title"],
            organisation=data["organisation"],
            owner=data["owner"],
            owner_name=data["owner_name"],
            due_on=data["due_on"],
        )

    return form_page(
        request,
        form,
        save=save,
        names={"matter": "__all__"},
        success_message=_("Task assigned."),
        success_url=back,
        context={
            "title": _("Assign a task"),
            "facts": [(_("Matter"), matter)],
            "breadcrumb": [{"label": matter.number, "url": back}],
            "cancel_url": back,
        },
    )


@login_required
@require_POST
def supervision_start(request, pk: int):
    matter = _matter(request, pk)
    form = NoteForm(request.POST)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    return act(
        request,
        lambda: services.supervision_start(
            actor=request.user,
            matter=matter,
            note=data.get("note", ""),
            expected_version=data.get("version"),
        ),
        success_message=_("Supervision has begun."),
        back=reverse("matter_tasks:matter", args=[matter.pk]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def inspection_record(request, pk: int):
    """监督检查 — the supervision panel's member records what they found."""
    matter = selectors.matter_for_manage(user=request.user, pk=pk)
    if not (
        covers(request.user, matter.area, MANAGE)
        or services.supervision_seat(request.user, matter) is not None
    ):
        raise PermissionDenied
    form = InspectionForm(posted(request), request.FILES if request.method == "POST" else None)
    back = reverse("matter_tasks:matter", args=[matter.pk])

    def save(data):
        return services.inspection_record(
            actor=request.user,
            matter=matter,
            passed=data["passed"],
            notes=data["notes"],
            photos_sent=data["photos"],
        )

    return form_page(
        request,
        form,
        save=save,
        names={"photos_sent": "photos", "matter": "__all__"},
        success_message=_("Inspection recorded."),
        success_url=back,
        template="decide/manage/form.html",
        context={
            "title": _("Record an inspection"),
            "facts": [(_("Matter"), matter)],
            "cancel_url": back,
        },
    )


@login_required
@require_POST
def ratings_close(request, pk: int):
    matter = _matter(request, pk)
    form = NoteForm(request.POST)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})

    def done(result: Matter) -> str:
        if result.stage == Stage.DONE:
            return _("The residents are satisfied: the matter is done.")
        return _("Too many residents are dissatisfied: round %(round)s of tasks begins.") % {
            "round": result.round
        }

    return act(
        request,
        lambda: services.rating_close(
            actor=request.user,
            matter=matter,
            note=data.get("note", ""),
            expected_version=data.get("version"),
        ),
        success_message=done,
        back=reverse("matter_tasks:matter", args=[matter.pk]),
    )
