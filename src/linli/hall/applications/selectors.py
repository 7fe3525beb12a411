"""Every read of applications 办件, steps and deadlines starts from what the user may see.

An application is visible through `services.view` over its area (or the resident's own
household); a department or office also sees an application once one of its steps has reached
them — and only what that step needs (`Application.step_only`). Lists load their relations in a
fixed number of queries, however many rows they have.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from linli.core.actors import Actor
from linli.core.dates import is_overdue, overdue
from linli.core.planning import joins_as_written
from linli.core.scoping import OutOfScope, covers
from linli.core.timeline import events_for
from linli.core.workdays import add_working_days
from linli.registry.choices import OrganisationKind
from linli.registry.models import Organisation

from .. import rules
from ..choices import ApplicationState, HandlingMode, RatingSource, StepState
from ..filters import ApplicationFilter
from ..models import (
    Application,
    ApplicationMaterial,
    ApplicationStep,
    MaterialPhoto,
    OutreachTask,
    ServiceItem,
    Trip,
)
from . import workflow
from .offices import StepDesk, may_act_on_step, step_desk

DUE_SOON_WORKING_DAYS = 2
DUE_SCOPES = ("mine", "office", "area")
DUE_WHICH = ("due_soon", "overdue")


# --- who may do what ----------------------------------------------------------------------


def _signed_in(user: Actor | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def staff_may(user: Actor, application: Application, action: str) -> bool:
    """`services.<action>` over the application's area, through a staff grant."""
    return _signed_in(user) and covers(user, application.area, f"services.{action}")


def own_may(user: Actor, application: Application, action: str) -> bool:
    """`services.<action>` as the applicant's household (a resident's own grant)."""
    if not _signed_in(user):
        return False
    return user.own_household_id(f"services.{action}") == application.household_id


def may(user: Actor | None, application: Application, action: str) -> bool:
    """Whether `user` holds `services.<action>` on this application (None: a system job)."""
    if user is None:
        return True
    return staff_may(user, application, action) or own_may(user, application, action)


def rating_sources(user: Actor, application: Application) -> list[str]:
    """How `user` may rate it: the applicant's household for itself, staff on a return call."""
    sources: list[str] = []
    if own_may(user, application, "rate"):
        sources.append(RatingSource.RESIDENT)
    if user.is_staff_member and staff_may(user, application, "rate"):
        sources.append(RatingSource.RETURN_CALL)
    return sources


def may_take_action(user: Actor, application: Application, name: str) -> bool:
    """Whether the user's permissions allow a page action on this application at all,
    whatever its state (the page answers 403 when not)."""
    if name in ("submit", "withdraw"):
        return may(user, application, "apply")
    if name == "resubmit":
        return staff_may(user, application, "apply")
    if name in ("reject", "complete", "guidance", "trip"):
        return staff_may(user, application, "handle")
    if name == "rate":
        return bool(rating_sources(user, application))
    raise ValueError(f"unknown page action {name!r}")


def application_actions(*, user: Actor, application: Application) -> list[str]:
    """The operations the page offers this user now (`workflow.Operation`): possible in the
    workflow for the state and mode (`workflow.possible`, whose rules the services enforce),
    and allowed by the user's permissions."""
    state, mode = application.state, application.item_version.mode
    rated = _has_rating(application)
    return [
        name
        for name in workflow.OPERATIONS
        if workflow.possible(name, state=state, mode=mode, rated=rated)
        and may_take_action(user, application, name)
    ]


def step_may_finish(user: Actor, step: ApplicationStep) -> bool:
    """Whether the pages and the API offer `user` the result of `step`: it waits for its
    office's result (`workflow.step_awaits_result`, which `services.step_finish` enforces) and
    it is at one of the user's offices."""
    return workflow.step_awaits_result(step.state) and may_act_on_step(user, step)


def _has_rating(application: Application) -> bool:
    try:
        return application.rating is not None
    except Application.rating.RelatedObjectDoesNotExist:
        return False


# --- applications -------------------------------------------------------------------------


def _list_queryset(qs):
    return qs.select_related("item", "item_version", "resident", "area", "hall", "taken_by")


def application_list(*, user: Actor, filters: dict | None = None):
    """Applications the user may see, newest first, filtered by `ApplicationFilter`, with what
    the list page and the API's list show (not the service item or who took each one: those
    only the application's own page shows)."""
    qs = (
        Application.objects.restrict(user, "view")
        .select_related("item_version", "resident", "area", "hall", "rating")
        .prefetch_related(_active_steps())
    )
    if filters:
        form = ApplicationFilter(filters, queryset=qs, user=user)
        qs = form.qs if form.is_valid() else qs.none()
    return qs.order_by("-created_at", "-id")


def _active_steps() -> Prefetch:
    return Prefetch(
        "steps",
        queryset=ApplicationStep.objects.filter(state=StepState.ACTIVE).select_related(
            "organisation"
        ),
        to_attr="active_steps",
    )


def _detail_queryset(qs):
    return (
        _list_queryset(qs)
        .select_related("household", "rating", "rating__rated_by")
        .prefetch_related(
            Prefetch(
                "materials",
                queryset=ApplicationMaterial.objects.prefetch_related(
                    Prefetch("photos", queryset=MaterialPhoto.objects.order_by("sent_at", "id"))
                ),
            ),
            "item_version__materials",
            Prefetch("photos", queryset=MaterialPhoto.objects.order_by("sent_at", "id")),
            Prefetch(
                "steps",
                queryset=ApplicationStep.objects.select_related("organisation", "handler").order_by(
                    "order"
                ),
            ),
            Prefetch("trips", queryset=Trip.objects.select_related("recorded_by")),
        )
    )


def application_get(*, user: Actor, pk) -> Application:
    """One application, or 404 — also when it exists outside what the user may see.
    `step_only` is True when the user sees it only because a step reached their office."""
    with joins_as_written():
        application = (
            _detail_queryset(Application.objects.restrict(user, "view")).filter(pk=pk).first()
        )
    if application is not None:
        application.step_only = False
        return application
    desk = step_desk(user)
    if desk:
        # Reached = received at the office; a step skipped when the application was withdrawn
        # or rejected before it got there never reached it.
        reached = ApplicationStep.objects.filter(
            desk.step_filter(), application_id=pk, received_at__isnull=False
        )
        with joins_as_written():
            application = (
                _detail_queryset(Application.objects.all())
                .filter(pk=pk, pk__in=reached.values("application_id"))
                .first()
            )
    if application is None:
        raise OutOfScope(Application, pk)
    application.step_only = True
    return application


def photo_get(*, user: Actor, application_pk, pk) -> MaterialPhoto:
    """A photo of missing material, to whoever sees its application (its area, the resident's
    own household, an office one of its steps has reached); 404 otherwise."""
    application = application_get(user=user, pk=application_pk)
    photo = next((p for p in application.photos.all() if p.pk == pk), None)
    if photo is None:
        raise OutOfScope(MaterialPhoto, pk)
    photo.application = application
    return photo


# --- what a returned application waits for -------------------------------------------------


@dataclass
class MissingMaterial:
    """补正材料 — one thing a returned application waits for: a material by name, or
    (`material` None) what the office's note asked for. `by_photo`: a photo from the phone
    will do; otherwise the resident must bring it in person. `done`: received since the
    return (by photo or at the hall); `photos`: the photos sent for it since the return."""

    material: ApplicationMaterial | None
    name: str
    note: str
    by_photo: bool
    done: bool
    photos: list

    @property
    def key(self) -> int | None:
        return self.material.pk if self.material is not None else None


def missing_materials(application: Application) -> list[MissingMaterial]:
    """What a returned application waits for, in the item's order (nothing when it is not
    returned): the required materials not received, and those received as photos since the
    return; or, when the office that returned it named nothing in the list, its note."""
    if application.state != ApplicationState.RETURNED:
        return []
    since = application.returned_at

    def recent(photos) -> list:
        return [p for p in photos if since is None or p.sent_at >= since]

    catalogue = {m.name: m for m in application.item_version.materials.all()}
    entries = []
    for material in application.materials.all():
        sent = recent(material.photos.all())
        if not material.required or (material.received and not sent):
            continue
        spec = catalogue.get(material.name)
        entries.append(
            MissingMaterial(
                material=material,
                name=material.name,
                note=spec.note if spec else "",
                by_photo=not (spec is not None and spec.in_person),
                done=material.received,
                photos=sent,
            )
        )
    if entries:
        return entries
    sent = recent(p for p in application.photos.all() if p.material_id is None)
    return [MissingMaterial(None, application.return_note, "", True, bool(sent), sent)]


def drop_off_office(application: Application) -> Organisation | None:
    """Where the resident brings what must be brought in person: his community's service hall
    (it carries the application on through the offices); where the registry has no hall, the
    street office whose step returned it. None: neither is in the registry."""
    if application.hall is not None:
        return application.hall
    for step in application.steps.all():
        if (
            step.state == StepState.RETURNED
            and step.organisation.kind != OrganisationKind.DEPARTMENT
        ):
            return step.organisation
    return None


def application_timeline(*, application: Application, limit: int = 200) -> list:
    return list(events_for([application]).order_by("-at", "-id")[:limit])


def offered_items(*, online_only: bool = False):
    """Items a new application may be made for, in catalogue order (category, then item)."""
    qs = ServiceItem.objects.filter(rules.OFFERED).select_related("category", "current")
    if online_only:
        qs = qs.filter(current__online=True)
    return qs.order_by("category__sort_order", "category__name", "sort_order", "code")


def offered_item_choices():
    """The offered items as a list's filter offers them: names and categories only (not the
    current versions, whose descriptions and rules the choice does not need)."""
    return offered_items().select_related(None).select_related("category")


def offered_item_get(*, pk, online_only: bool = False) -> ServiceItem | None:
    return offered_items(online_only=online_only).filter(pk=pk).first()


def outreach_task_get(*, user: Actor, pk) -> OutreachTask:
    """An outreach task the user works, to start an application from it; 404 otherwise."""
    task = (
        OutreachTask.objects.restrict(user, "work")
        .select_related("item", "household", "resident")
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise OutOfScope(OutreachTask, pk)
    return task


# --- steps --------------------------------------------------------------------------------


def _step_queryset():
    return ApplicationStep.objects.select_related(
        "organisation",
        "handler",
        "application",
        "application__item",
        "application__resident",
        "application__area",
    )


def step_queue(*, user: Actor):
    """待办 — steps at the user's offices waiting for them, the nearest deadline first."""
    desk = step_desk(user)
    if not desk:
        return ApplicationStep.objects.none()
    return (
        _step_queryset()
        .filter(desk.step_filter(), state=StepState.ACTIVE)
        .order_by("due_on", "received_at", "id")
    )


@dataclass
class ReturnedEntry:
    """A returned application 退回补正 on the to-do list of the office that returned it: the
    office of the step that returned it, or the hall that took it (returned at submission)."""

    application: Application
    office: Organisation
    step: ApplicationStep | None
    returned_at: dt.datetime | None


def _returned_querysets(desk: StepDesk):
    """The steps at the desk's offices that returned their application, and the applications
    returned at submission by the desk's halls."""
    by_step = ApplicationStep.objects.filter(
        desk.step_filter(),
        state=StepState.RETURNED,
        application__state=ApplicationState.RETURNED,
    )
    returned_step = ApplicationStep.objects.filter(
        application=OuterRef("pk"), state=StepState.RETURNED
    )
    at_hall = Q(hall_id__in=desk.organisation_ids) | Q(hall__area_id__in=desk.area_ids)
    by_hall = Application.objects.filter(at_hall, state=ApplicationState.RETURNED).exclude(
        Exists(returned_step)
    )
    return by_step, by_hall


def returned_count(*, user: Actor) -> int:
    desk = step_desk(user)
    if not desk:
        return 0
    by_step, by_hall = _returned_querysets(desk)
    return by_step.count() + by_hall.count()


def returned_queue(*, user: Actor, limit: int = 100) -> list[ReturnedEntry]:
    """退回待补正 — returned applications waiting for the resident's material, at the offices
    that returned them, the longest waiting first (at most `limit`)."""
    desk = step_desk(user)
    if not desk:
        return []
    by_step, by_hall = _returned_querysets(desk)
    steps = by_step.select_related(
        "organisation",
        "application__item_version",
        "application__resident",
        "application__area",
        "application__hall",
    ).order_by("application__returned_at", "application_id")[:limit]
    apps = (
        _list_queryset(by_hall).select_related("item_version").order_by("returned_at", "id")[:limit]
    )
    entries = [
        ReturnedEntry(s.application, s.organisation, s, s.application.returned_at) for s in steps
    ]
    entries += [ReturnedEntry(a, a.hall, None, a.returned_at) for a in apps]
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    entries.sort(key=lambda e: (e.returned_at or oldest, e.application.pk))
    return entries[:limit]


def step_get(*, user: Actor, pk) -> ApplicationStep:
    """A step that has reached one of the user's offices (in any state since), or 404: an
    office does not see an application before its step arrives there."""
    desk = step_desk(user)
    steps = _step_queryset().filter(desk.step_filter(), pk=pk, received_at__isnull=False)
    step = steps.first() if desk else None
    if step is None:
        raise OutOfScope(ApplicationStep, pk)
    return step


# --- deadlines ----------------------------------------------------------------------------


@dataclass
class DueEntry:
    """One line of a due-soon or overdue list: the application, the step it waits at (if
    any), and the deadline that put it on the list."""

    application: Application
    step: ApplicationStep | None
    due_on: dt.date
    due_assumed: bool


@dataclass(frozen=True)
class _Window:
    """The deadlines a due list shows: as a condition on a `due_on` column, and for one date."""

    condition: Q
    holds: Callable[[dt.date], bool]


def _window(which: str, today: dt.date) -> _Window:
    if which == "overdue":
        return _Window(overdue("due_on", today), lambda day: is_overdue(day, today))
    last = add_working_days(today, DUE_SOON_WORKING_DAYS).date
    return _Window(Q(due_on__gte=today, due_on__lte=last), lambda day: today <= day <= last)


def due_list(*, user: Actor, scope: str, which: str) -> list[DueEntry]:
    """Running applications and active steps whose deadline is near (`due_soon`: within two
    working days) or past (`overdue`), for the user's own work (`mine`: the applications they
    took and carry), their offices (`office`) or their area (`area`)."""
    if scope not in DUE_SCOPES or which not in DUE_WHICH:
        raise ValueError(f"unknown due list {scope}/{which}")
    window = _window(which, timezone.localdate())
    if scope == "office":
        entries = _office_entries(user, window)
    else:
        apps = Application.objects.restrict(user, "view")
        if scope == "mine":
            apps = apps.filter(taken_by=user) if _signed_in(user) else apps.none()
        entries = _application_entries(apps, window)
    return sorted(entries, key=lambda e: (e.due_on, e.application.pk))


def _application_entries(apps, window: _Window) -> list[DueEntry]:
    late_step = ApplicationStep.objects.filter(
        window.condition, application=OuterRef("pk"), state=StepState.ACTIVE
    )
    rows = (
        _list_queryset(apps)
        .filter(state__in=workflow.RUNNING_STATES)
        .filter(window.condition | Exists(late_step))
        .prefetch_related(_active_steps())
    )
    entries = []
    for app in rows:
        step = app.active_steps[0] if app.active_steps else None
        candidates = [(app.due_on, app.due_assumed, None)]
        if step is not None and step.due_on is not None:
            candidates.append((step.due_on, step.due_assumed, step))
        matching = [c for c in candidates if c[0] is not None and window.holds(c[0])]
        due_on, assumed, _which = min(matching, key=lambda c: c[0])
        entries.append(DueEntry(app, step, due_on, assumed))
    return entries


def _office_entries(user: Actor, window: _Window) -> list[DueEntry]:
    desk = step_desk(user)
    if not desk:
        return []
    steps = _step_queryset().filter(desk.step_filter(), window.condition, state=StepState.ACTIVE)
    entries = [DueEntry(s.application, s, s.due_on, s.due_assumed) for s in steps]
    # Items without a route are handled at the hall itself: its own deadline counts.
    at_hall = Q(hall_id__in=desk.organisation_ids) | Q(hall__area_id__in=desk.area_ids)
    stepless = (
        _list_queryset(Application.objects.filter(at_hall))
        .filter(window.condition, state__in=workflow.RUNNING_STATES)
        .exclude(item_version__mode=HandlingMode.PROXY)
    )
    entries += [DueEntry(a, None, a.due_on, a.due_assumed) for a in stepless]
    return entries


# --- the workbench --------------------------------------------------------------------------


def workbench_tiles(*, user: Actor, area) -> list[dict]:
    """The hall's tiles on the workbench: what waits at the user's office, what is overdue in
    the area, the outreach tasks the user is to contact; a resident's open applications."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from linli.core.lookups import starts_with

    from ..choices import OutreachState

    tiles = []
    if not user.is_staff_member:
        if user.own_household_id("services.view") is not None:
            open_ones = Application.objects.restrict(user, "view").filter(
                state__in=workflow.OPEN_STATES
            )
            url = reverse("services:my_applications")
            tiles.append(
                {"label": _("My open applications"), "value": open_ones.count(), "url": url}
            )
        return tiles
    if user.has_permission("services.step") and step_desk(user):
        url = reverse("services:step_queue")
        tiles.append(
            {"label": _("To do at my office"), "value": step_queue(user=user).count(), "url": url}
        )
        tiles.append(
            {
                "label": _("Returned: waiting for material"),
                "value": returned_count(user=user),
                "url": url + "#returned",
            }
        )
    if area is not None and user.has_permission("services.view"):
        late = Application.objects.restrict(user, "view").filter(
            rules.overdue_applications(timezone.localdate()), starts_with("area__path", area.path)
        )
        url = reverse("services:due_list") + "?scope=area&which=overdue"
        tiles.append({"label": _("Applications overdue"), "value": late.count(), "url": url})
    if user.has_permission("outreach.work"):
        mine = OutreachTask.objects.restrict(user, "view").filter(
            assignee=user, state=OutreachState.OPEN
        )
        url = reverse("services:outreach_list") + "?who=mine&state=open"
        tiles.append({"label": _("Outreach: to contact"), "value": mine.count(), "url": url})
    return tiles
