"""Every write to applications 办件: taking them, the route through the offices, returns for
missing material 补正 (handed in at the hall, or sent as photos from the resident's phone),
completion, trips 跑腿 and ratings 评价.

Each function is one transaction. It locks the application row first (then the step row), so
two people acting on the same application at once are served one after the other and the second
sees what the first did. Every state change goes through the transition tables' `next`
(`workflow.APPLICATION_TABLE`, `workflow.STEP_TABLE`); each change writes a line on the
application's timeline and a record in the audit trail, and the resident is told when the
application is received, returned, completed or rejected. `actor` None is a trusted system job
(the demo builder).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from linli.accounts.models import User
from linli.core import audit, counters, photos, timeline
from linli.core.actors import Actor
from linli.core.choices import AuditAction
from linli.core.errors import Conflict, check_version
from linli.core.notify import notify
from linli.core.scoping import OutOfScope, can, covers
from linli.core.workdays import add_working_days, working_days_between
from linli.registry.models import Resident

from .. import events, rules
from ..choices import (
    ApplicationChannel,
    ApplicationState,
    HandlingMode,
    RatingSource,
    StepState,
    TripReason,
)
from ..models import (
    Application,
    ApplicationMaterial,
    ApplicationStep,
    MaterialPhoto,
    OutreachTask,
    Rating,
    ServiceItem,
    ServiceItemVersion,
    Trip,
)
from ..outreach import workflow as workflow_outreach
from . import workflow
from .offices import hall_for, may_act_on_step, office_for_step
from .selectors import MissingMaterial, may, missing_materials, own_may, staff_may
from .workflow import APPLICATION_TABLE, STEP_TABLE, Action, Operation, Refusal, StepAction

NUMBER_PREFIX = "BJ"
NUMBER_DIGITS = 6

MATERIAL_SEPARATOR = "、"
STALE_APPLICATION = gettext_lazy(
    "Someone else changed this application while you were looking at it. "
    "Reload the page to see what they did."
)


# --- small helpers ------------------------------------------------------------------------


def _today() -> dt.date:
    return timezone.localdate()


def _user(actor: Actor | None) -> User | None:
    """The account to name as who acted; None for a system job."""
    return actor if isinstance(actor, User) else None


def _locked(application: Application) -> Application:
    """The application row, locked for the rest of the transaction, with what checks need."""
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("item_version", "item", "resident", "area")
        .get(pk=application.pk)
    )


def _require_may(actor: Actor | None, application: Application, action: str) -> None:
    """`services.<action>` on the application, as staff or as the applicant's household."""
    if not may(actor, application, action):
        raise PermissionDenied


def _require_staff_may(actor: Actor | None, application: Application, action: str) -> None:
    """`services.<action>` on the application through a staff grant (None: a system job)."""
    if actor is not None and not staff_may(actor, application, action):
        raise PermissionDenied


# What `workflow.refusal` refuses, in words (IN_ROUTE names the office: see `_refuse`). A second
# rating is a conflict (409): the application is no longer as the person saw it.
REFUSALS = {
    Refusal.PROXY: (
        gettext_lazy("A proxy application completes when its last step is approved."),
        "wrong_mode",
    ),
    Refusal.GUIDED: (
        gettext_lazy("A guided application completes when the guidance is recorded."),
        "wrong_mode",
    ),
    Refusal.NOT_GUIDED: (gettext_lazy("Only a guided item records guidance."), "wrong_mode"),
    Refusal.DRAFT: (gettext_lazy("A draft has no trips yet."), "draft"),
    Refusal.NOT_DONE: (gettext_lazy("Only a completed application can be rated."), "not_done"),
    Refusal.RATED: (gettext_lazy("This application has already been rated."), "rated"),
}
CONFLICTING_REFUSALS = frozenset({Refusal.RATED})


def _refuse(application: Application, operation: str, *, rated: bool = False) -> None:
    """Refuse `operation` in words when a rule of the hall beyond the workflow table does
    (`workflow.refusal`, which the pages ask too); the table itself is asked by its `next`."""
    reason = workflow.refusal(
        operation, state=application.state, mode=application.item_version.mode, rated=rated
    )
    if reason is None:
        return
    if reason == Refusal.IN_ROUTE:
        raise ValidationError(
            _("It is with %(office)s now: the office of its current step decides.")
            % {"office": _current_office(application)},
            code="in_route",
        )
    message, code = REFUSALS[reason]
    if reason in CONFLICTING_REFUSALS:
        raise Conflict(str(message), code=code)
    raise ValidationError(str(message), code=code)


def _required_text(value: str | None, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def _event(application: Application, event: timeline.Event, actor: Actor | None, **params) -> None:
    event.add(subject=application, params=params, actor=actor)


def _tell_resident(application: Application, what: str, message: str, **params) -> None:
    """One message to the applicant; `what` (with a serial where it can recur) dedupes it."""
    notify(
        message=message,
        params={"number": application.number, "item": application.item_version.name, **params},
        to_resident=application.resident,
        subject=application,
        dedupe_key=f"application:{application.pk}:{what}",
    )


def _save(application: Application, change: audit.AuditedChange) -> None:
    application.version += 1
    application.save()
    change.record()


def _deadline(days: int) -> tuple[dt.date, bool]:
    deadline = add_working_days(_today(), days)
    return deadline.date, deadline.assumed


# --- taking an application ----------------------------------------------------------------


def _current_version(item: ServiceItem) -> ServiceItemVersion:
    item = ServiceItem.objects.select_related("current").get(pk=item.pk)
    if not rules.is_offered(item):
        raise ValidationError(
            {"item": _("%(item)s is not offered at present.") % {"item": item.name}}
        )
    return item.current_version


def _check_applicant(
    actor: Actor | None, resident: Resident, version: ServiceItemVersion, channel: str
) -> None:
    """Staff apply over their area at the counter or on a visit; a resident applies online, for
    their own household, for an item that can be applied for online."""
    if channel not in ApplicationChannel.values:
        raise ValidationError({"channel": _("Choose how the application came in.")})
    if actor is None:
        return
    area = resident.household.area
    if actor.is_staff_member and covers(actor, area, "services.apply"):
        if channel == ApplicationChannel.ONLINE:
            raise ValidationError(
                {"channel": _("Online applications are made by residents themselves.")}
            )
        return
    if actor.own_household_id("services.apply") == resident.household_id:
        if channel != ApplicationChannel.ONLINE:
            raise ValidationError({"channel": _("A resident applies online.")})
        if not version.online:
            raise ValidationError(
                {
                    "item": _(
                        "%(item)s cannot be applied for online: please come to the service hall."
                    )
                    % {"item": version.name}
                }
            )
        return
    if can(actor, resident, "view"):
        raise PermissionDenied
    raise OutOfScope(Resident, resident.pk)


def _material_names(version: ServiceItemVersion, names: Iterable[str]) -> set[str]:
    known = {m.name for m in version.materials.all()}
    given = {str(n).strip() for n in names or () if str(n).strip()}
    unknown = sorted(given - known)
    if unknown:
        raise ValidationError(
            {
                "materials": _("%(item)s asks for no material called %(names)s.")
                % {"item": version.name, "names": MATERIAL_SEPARATOR.join(unknown)}
            }
        )
    return given


NUMBER_COUNTER = "services.application"


def _last_serial(prefix: str) -> int:
    """The largest serial already given out under `prefix` (0 if none): where the day's counter
    starts when it is first taken."""
    last = (
        Application.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return int(last[len(prefix) :]) if last else 0


def _insert_numbered(application: Application) -> None:
    """Insert with the day's next number (BJ20260928000001), drawn from the day's counter: two
    counters taking an application at the same moment get two numbers and neither waits for
    the other or fails for it (core/counters.py). A number drawn by a request that then fails
    is not given again: a gap, never a clash. The last two days' counters are kept, so a
    request begun just before midnight still finds yesterday's."""
    prefix = f"{NUMBER_PREFIX}{_today():%Y%m%d}"
    serial = counters.draw(NUMBER_COUNTER, prefix, start=lambda: _last_serial(prefix), keep=2)
    application.number = f"{prefix}{serial:0{NUMBER_DIGITS}d}"
    application.save(force_insert=True)


def _copy_materials(application: Application, version: ServiceItemVersion, received: set[str]):
    now = timezone.now()
    ApplicationMaterial.objects.bulk_create(
        ApplicationMaterial(
            application=application,
            order=m.order,
            name=m.name,
            required=m.required,
            received=m.name in received,
            received_at=now if m.name in received else None,
        )
        for m in version.materials.all()
    )


def _route_offices(version: ServiceItemVersion, resident: Resident) -> list[tuple]:
    route = list(version.route.select_related("department").order_by("order"))
    if version.mode == HandlingMode.PROXY and not route:
        raise ValidationError(
            {
                "item": _("%(item)s has no route of offices: it cannot be handled for now.")
                % {"item": version.name}
            }
        )
    return [(step, office_for_step(step, resident.household)) for step in route]


def _create_steps(application: Application, route: list[tuple]) -> None:
    ApplicationStep.objects.bulk_create(
        ApplicationStep(
            application=application,
            order=step.order,
            name=step.name,
            office_kind=step.office_kind,
            organisation=office,
            time_limit_days=step.time_limit_days,
        )
        for step, office in route
    )


def _lock_outreach(actor: Actor | None, task: OutreachTask, resident: Resident, item: ServiceItem):
    task = OutreachTask.objects.select_for_update().get(pk=task.pk)
    if actor is not None and not can(actor, task, "work"):
        raise PermissionDenied
    if not workflow_outreach.OUTREACH_TABLE.allows(task.state, workflow_outreach.Action.APPLY):
        raise ValidationError(
            {
                "outreach": _("This outreach task is already closed (%(state)s).")
                % {"state": task.get_state_display()}
            }
        )
    if task.household_id != resident.household_id or task.item_id != item.pk:
        raise ValidationError(
            {"outreach": _("This outreach task is for another household or service item.")}
        )
    return task


def _close_outreach(actor: Actor | None, task: OutreachTask, application: Application) -> None:
    change = audit.audited_change(actor=actor, obj=task)
    task.state = workflow_outreach.OUTREACH_TABLE.next(task.state, workflow_outreach.Action.APPLY)
    task.application = application
    task.closed_at = timezone.now()
    # Taking the application is contact too: a task applied for straight away counts among
    # the contacted ones in the figures.
    task.contacted_at = task.contacted_at or task.closed_at
    task.version += 1
    task.save()
    change.record()
    events.TASK_APPLIED.add(subject=task, params={"number": application.number}, actor=actor)


@transaction.atomic
def application_create(
    *,
    actor: Actor | None,
    resident: Resident,
    item: ServiceItem,
    channel: str,
    materials_received: Iterable[str] = (),
    submit: bool = True,
    outreach_task: OutreachTask | None = None,
) -> Application:
    """Take an application for `resident`. `materials_received` are the names of the item's
    materials handed in. At the counter the resident came in person: that is the first trip.
    With `submit` it is submitted at once (see `application_submit`)."""
    resident = Resident.objects.select_related("household__area").get(pk=resident.pk)
    version = _current_version(item)
    _check_applicant(actor, resident, version, channel)
    if outreach_task is not None:
        outreach_task = _lock_outreach(actor, outreach_task, resident, item)
    received = _material_names(version, materials_received)
    route = _route_offices(version, resident)
    application = Application(
        item=item,
        item_version=version,
        resident=resident,
        household=resident.household,
        area=resident.household.area,
        hall=hall_for(resident.household),
        channel=channel,
        taken_by=_user(actor) if actor is not None and actor.is_staff_member else None,
    )
    _insert_numbered(application)
    _copy_materials(application, version, received)
    _create_steps(application, route)
    if channel == ApplicationChannel.COUNTER:
        _add_trip(application, actor, on=_today(), reason=TripReason.SUBMIT, note="")
        application.save(update_fields=["trip_count"])
    audit.record_created(actor=actor, obj=application)
    _event(application, events.TAKEN[channel], actor, item=version.name)
    if outreach_task is not None:
        _close_outreach(actor, outreach_task, application)
    if submit:
        change = audit.audited_change(actor=actor, obj=application)
        _submit(actor, application)
        _save(application, change)
    return application


# --- submission, receipt and the route ----------------------------------------------------


def _missing_materials(application: Application) -> list[str]:
    return [m.name for m in application.materials.all() if m.required and not m.received]


def _submit(actor: Actor | None, application: Application) -> None:
    application.state = APPLICATION_TABLE.next(application.state, Action.SUBMIT)
    application.submitted_at = timezone.now()
    _check_materials_then_receive(actor, application)


def _check_materials_then_receive(actor: Actor | None, application: Application) -> None:
    missing = _missing_materials(application)
    if missing:
        _return(actor, application, MATERIAL_SEPARATOR.join(missing))
    else:
        _receive(actor, application)


def _return(
    actor: Actor | None, application: Application, note: str, step: ApplicationStep | None = None
):
    """补正 — back to the resident for missing material: at submission (`step` None) with the
    list of what is missing, or by the office of `step` with its handler's note."""
    application.state = APPLICATION_TABLE.next(application.state, Action.RETURN)
    application.return_note = note[:500]
    application.returned_at = timezone.now()
    if step is None:
        _event(application, events.RETURNED, actor, missing=note)
    else:
        _event(
            application,
            events.RETURNED_BY_STEP,
            actor,
            step=step.name,
            office=step.organisation.name,
            missing=note,
        )
    _tell_resident(
        application,
        f"returned:{application.version}",
        gettext_noop(
            "Your application %(number)s (%(item)s) needs more material: %(missing)s. "
            "Please bring it to the service hall."
        ),
        missing=note,
    )


def _receive(actor: Actor | None, application: Application) -> None:
    """All required material is in: the promise starts (once), then the item's mode decides."""
    if application.received_on is None:
        version = application.item_version
        application.received_on = _today()
        application.promised_days = version.time_limit_days
        application.due_on, application.due_assumed = _deadline(version.time_limit_days)
        _event(
            application,
            events.RECEIVED,
            actor,
            days=application.promised_days,
            due=application.due_on.isoformat(),
        )
        _tell_resident(
            application,
            "submitted",
            gettext_noop(
                "Your application %(number)s (%(item)s) has been received. It will be done "
                "within %(days)s working days, by %(due)s."
            ),
            days=application.promised_days,
            due=application.due_on.isoformat(),
        )
    mode = application.item_version.mode
    if mode == HandlingMode.ON_THE_SPOT:
        _complete(actor, application, outcome="")
    elif mode == HandlingMode.PROXY:
        _start_route(actor, application)


def _start_route(actor: Actor | None, application: Application) -> None:
    """A proxy application starts at its first step, or resumes at the step that returned it."""
    application.state = APPLICATION_TABLE.next(application.state, Action.START)
    steps = ApplicationStep.objects.select_for_update(of=("self",)).select_related("organisation")
    step = (
        steps.filter(application=application, state=StepState.RETURNED).first()
        or steps.filter(application=application, state=StepState.WAITING).order_by("order").first()
    )
    assert step is not None  # a proxy item has a route (`catalogue` requires one)
    _activate(actor, application, step)


def _activate(actor: Actor | None, application: Application, step: ApplicationStep) -> None:
    change = audit.audited_change(actor=actor, obj=step)
    step.state = STEP_TABLE.next(step.state, StepAction.RECEIVE)
    step.received_at = timezone.now()
    step.due_on, step.due_assumed = _deadline(step.time_limit_days)
    step.handler, step.finished_at, step.result_note = None, None, ""
    step.version += 1
    step.save()
    change.record()
    application.current_step = step.order
    _event(
        application,
        events.STEP_RECEIVED,
        actor,
        office=step.organisation.name,
        step=step.name,
        due=step.due_on.isoformat(),
    )


def _complete(actor: Actor | None, application: Application, *, outcome: str) -> None:
    application.state = APPLICATION_TABLE.next(application.state, Action.COMPLETE)
    application.finished_at = timezone.now()
    application.current_step = None
    if outcome:
        application.outcome = outcome
    assert application.received_on is not None  # an application is received before it ends
    application.working_days_used = working_days_between(application.received_on, _today())
    _event(
        application,
        events.COMPLETED,
        actor,
        days=application.working_days_used,
        promised=application.promised_days,
    )
    _tell_resident(
        application,
        "completed",
        gettext_noop("Your application %(number)s (%(item)s) is complete."),
    )


def _end_route(application: Application) -> None:
    """The steps not reached or not finished are no longer needed."""
    ApplicationStep.objects.filter(
        application=application, state__in=workflow.UNFINISHED_STEP_STATES
    ).update(state=StepState.SKIPPED)
    application.current_step = None


def _reject(actor: Actor | None, application: Application, reason: str) -> None:
    application.state = APPLICATION_TABLE.next(application.state, Action.REJECT)
    application.finished_at = timezone.now()
    _tell_resident(
        application,
        "rejected",
        gettext_noop("Your application %(number)s (%(item)s) was not approved: %(reason)s"),
        reason=reason,
    )


@transaction.atomic
def application_submit(*, actor: Actor | None, application: Application) -> Application:
    """Submit a draft. Required material missing → returned at once with the list (补正)."""
    application = _locked(application)
    _require_may(actor, application, "apply")
    change = audit.audited_change(actor=actor, obj=application)
    _submit(actor, application)
    _save(application, change)
    return application


@transaction.atomic
def application_resubmit(
    *,
    actor: Actor | None,
    application: Application,
    came_in_person: bool,
    materials_received: Iterable[str] = (),
    note: str = "",
    extra_trip_reason: str = "",
    expected_version: int | None = None,
) -> Application:
    """The missing material was handed in at the hall: back to submitted, or to the step that
    returned it. Material still missing → returned again with what is still missing.
    `came_in_person` is asked every time: if the resident came to bring it, that is a trip
    (from the second one on, with the reason for it); a relative or a worker bringing it is
    not."""
    application = _locked(application)
    _require_staff_may(actor, application, "apply")
    check_version(application.version, expected_version, STALE_APPLICATION)
    state = APPLICATION_TABLE.next(application.state, Action.RESUBMIT)
    if not isinstance(came_in_person, bool):
        raise ValidationError(
            {"came_in_person": _("Say whether the resident came in person to bring it.")}
        )
    received = _material_names(application.item_version, materials_received)
    note = (note or "").strip()
    if not received and not note:
        raise ValidationError(
            {"materials": _("Tick the material handed in, or say in the note what was brought.")}
        )
    extra_trip_reason = (extra_trip_reason or "").strip()
    if came_in_person:
        _check_extra_trip(application, extra_trip_reason)
    change = audit.audited_change(actor=actor, obj=application)
    application.state = state
    application.return_note = ""
    application.materials.filter(name__in=received, received=False).update(
        received=True, received_at=timezone.now()
    )
    _event(
        application,
        events.MATERIAL_HANDED_IN,
        actor,
        materials=MATERIAL_SEPARATOR.join(sorted(received) + ([note] if note else [])),
    )
    if came_in_person:
        _record_trip(
            application,
            actor,
            on=_today(),
            reason=TripReason.MISSING_MATERIAL,
            note="",
            extra_trip_reason=extra_trip_reason,
        )
    _check_materials_then_receive(actor, application)
    _save(application, change)
    return application


# --- photos of missing material, sent from the resident's phone -------------------------------

PHOTO_DIR = "applications"  # under DATA_DIR
PHOTO_MAX_MB = 10
PHOTO_MAX_BYTES = PHOTO_MAX_MB * 1024 * 1024
PHOTOS_AT_ONCE = 10
PHOTOS_PER_APPLICATION = 40
FILE_NAME_SHOWN = 60  # of a refused file's name, in the message


def _photo_error(message: str, code: str, error=ValidationError) -> ValidationError:
    return ValidationError({"photos": [error(message, code=code)]})


@dataclass(frozen=True)
class _CheckedPhoto:
    entry: MissingMaterial
    upload: UploadedFile
    kind: photos.PhotoKind
    digest: str

    @property
    def size(self) -> int:
        """The file's size in bytes, which `photos.photo_kind` found above zero."""
        assert self.upload.size is not None
        return self.upload.size


def _photo_refused(entry: MissingMaterial, upload, refused: photos.PhotoRefused):
    params = {
        "material": entry.name,
        "file": (getattr(upload, "name", "") or "—")[:FILE_NAME_SHOWN],
        "mb": PHOTO_MAX_MB,
    }
    if refused.reason == "too_large":
        message = _(
            "The photo of %(material)s is larger than %(mb)s MB: take it again, or choose a "
            "smaller one."
        )
    elif refused.reason == "empty":
        message = _("The photo of %(material)s is empty: take it again.")
    else:
        message = _(
            "“%(file)s” sent for %(material)s is not a photo: take a picture of the document "
            "with the phone's camera (JPEG, PNG or WebP)."
        )
    return _photo_error(message % params, "not_a_photo")


def _check_photos(sent, entries: dict) -> list[_CheckedPhoto]:
    """Each upload checked: for a material still waiting for a photo, a real picture (by its
    bytes), not too large, not too many."""
    if not sent:
        raise _photo_error(
            _("Take a photo of the missing material first, then send it."), "no_photo"
        )
    if len(sent) > PHOTOS_AT_ONCE:
        raise _photo_error(
            _("Send at most %(count)s photos at once.") % {"count": PHOTOS_AT_ONCE}, "too_many"
        )
    checked = []
    for key, upload in sent:
        entry = entries.get(key)
        if entry is None:
            raise _photo_error(
                _("This application is not waiting for a photo of that."), "not_waiting"
            )
        try:
            kind = photos.photo_kind(upload, max_bytes=PHOTO_MAX_BYTES)
        except photos.PhotoRefused as refused:
            raise _photo_refused(entry, upload, refused) from None
        checked.append(_CheckedPhoto(entry, upload, kind, photos.photo_digest(upload)))
    return checked


def _new_photos(application: Application, checked: list[_CheckedPhoto]) -> list[_CheckedPhoto]:
    """The photos not received before (the same picture sent twice is kept once)."""
    known = set(application.photos.values_list("digest", flat=True))
    fresh = []
    for photo in checked:
        if photo.digest not in known:
            known.add(photo.digest)
            fresh.append(photo)
    if not fresh:
        raise _photo_error(
            _("These photos were received already: nothing new was sent."),
            "already_sent",
            Conflict,  # the same form sent twice
        )
    if len(known) > PHOTOS_PER_APPLICATION:
        raise _photo_error(
            _("This application already has %(count)s photos: bring the rest to the hall.")
            % {"count": len(known) - len(fresh)},
            "too_many",
        )
    return fresh


def _store_photos(
    actor: Actor | None, application: Application, fresh: list[_CheckedPhoto]
) -> list:
    """Write the files, then their rows; a failure removes the files already written."""
    stored: list[str] = []
    try:
        rows = []
        for photo in fresh:
            name = photos.store_photo(
                photo.upload, folder=PHOTO_DIR, extension=photo.kind.extension
            )
            stored.append(name)
            row = MaterialPhoto.objects.create(
                application=application,
                material=photo.entry.material,
                stored_name=name,
                content_type=photo.kind.content_type,
                size=photo.size,
                digest=photo.digest,
                sent_by=_user(actor),
            )
            audit.record_created(actor=actor, obj=row)
            rows.append(row)
    except Exception:
        for name in stored:
            photos.remove_photo(folder=PHOTO_DIR, name=name)
        raise
    return rows


def _check_hand_in(
    actor: Actor | None, application: Application, expected_version: int | None
) -> None:
    if actor is not None and not own_may(actor, application, "apply"):
        raise PermissionDenied
    if application.state != ApplicationState.RETURNED:
        raise Conflict(
            _(
                "Application %(number)s is no longer waiting for material: it is “%(state)s”. "
                "What you sent before has been received."
            )
            % {"number": application.number, "state": application.get_state_display()},
            code="not_returned",
        )
    stale = _(
        "This page was out of date: what you sent before has been received. Look again at "
        "what is still missing."
    )
    check_version(application.version, expected_version, stale)


@transaction.atomic
def application_send_photos(
    *,
    actor: Actor | None,
    application: Application,
    photos_sent: Sequence[tuple[int | None, object]],
    expected_version: int | None = None,
) -> Application:
    """补正 from the phone — the resident sends photos of what his returned application is
    missing: `photos_sent` pairs a missing material's id (None: what the office's note asked
    for) with an uploaded picture. Each is checked by its bytes and size, kept once, and the
    material counts as received. Once nothing is missing that a photo can stand for, and
    nothing must still be brought in person, the application goes back to the hall or the step
    that returned it — with no trip: he did not have to come."""
    application = _locked(application)
    _check_hand_in(actor, application, expected_version)
    entries = {e.key: e for e in missing_materials(application) if e.by_photo and not e.done}
    fresh = _new_photos(application, _check_photos(photos_sent, entries))
    change = audit.audited_change(actor=actor, obj=application)
    _store_photos(actor, application, fresh)
    material_ids = {p.entry.material.pk for p in fresh if p.entry.material is not None}
    application.materials.filter(pk__in=material_ids, received=False).update(
        received=True, received_at=timezone.now()
    )
    names = list(dict.fromkeys(p.entry.name for p in fresh))
    _event(
        application,
        events.PHOTOS_SENT,
        actor,
        count=len(fresh),
        materials=MATERIAL_SEPARATOR.join(names),
    )
    _resubmit_if_complete(actor, application)
    _save(application, change)
    return application


def material_photo_shown(*, actor: Actor | None, photo: MaterialPhoto) -> None:
    """Each look at a photo of material is recorded: a photo of an identity document shows
    all that the masking hides. The caller found it through `selectors.photo_get`."""
    audit.record(
        action=AuditAction.REVEAL,
        actor=actor,
        obj=photo,
        changes={
            "application": photo.application.number,
            "material": photo.material.name if photo.material is not None else "",
        },
    )


def _resubmit_if_complete(actor: Actor | None, application: Application) -> None:
    still = [e for e in missing_materials(application) if not e.done]
    if still:
        if all(e.material is not None for e in still):
            application.return_note = MATERIAL_SEPARATOR.join(e.name for e in still)[:500]
        return
    application.state = APPLICATION_TABLE.next(application.state, Action.RESUBMIT)
    application.return_note = ""
    _event(application, events.BACK_WITH_PHOTOS, actor)
    _check_materials_then_receive(actor, application)


# --- steps --------------------------------------------------------------------------------


def _check_step_open(step: ApplicationStep) -> None:
    """The step waits for its office's result (`workflow.step_awaits_result`, which the pages
    ask too); else why not, in words."""
    if workflow.step_awaits_result(step.state):
        return
    if step.state in (StepState.DONE, StepState.RETURNED, StepState.REJECTED):
        when = timezone.localtime(step.finished_at).strftime("%Y-%m-%d %H:%M")
        raise Conflict(
            _("This step was already finished by %(handler)s at %(when)s (%(result)s).")
            % {
                "handler": step.handler or _("someone else"),
                "when": when,
                "result": step.get_state_display(),
            },
            code="already_finished",
        )
    if step.state == StepState.WAITING:
        raise ValidationError(
            _("This step has not reached %(office)s yet.") % {"office": step.organisation},
            code="not_reached",
        )
    raise Conflict(
        _("This step is no longer needed: the application was withdrawn or rejected."),
        code="already_finished",
    )


def _step_result_event(result: str, note: str) -> timeline.Event:
    if result == "approve":
        return events.STEP_APPROVED_WITH_NOTE if note else events.STEP_APPROVED
    return events.STEP_REJECTED


@transaction.atomic
def step_finish(
    *,
    actor: Actor | None,
    step: ApplicationStep,
    result: str,
    note: str = "",
    expected_version: int | None = None,
) -> ApplicationStep:
    """Finish the active step of a proxy application at its office: `approve` passes it to
    the next step (or completes the application after the last), `return` sends it back for
    missing material, `reject` ends it. Someone else finished it first → a ValidationError
    that says who and when, and nothing changes."""
    application = _locked(step.application)
    step = (
        ApplicationStep.objects.select_for_update(of=("self",))
        .select_related("organisation", "handler")
        .get(pk=step.pk)
    )
    if actor is not None and not may_act_on_step(actor, step):
        raise OutOfScope(ApplicationStep, step.pk)
    _check_step_open(step)
    check_version(step.version, expected_version, STALE_APPLICATION)
    if result not in workflow.STEP_RESULTS:
        raise ValidationError({"result": _("Choose approve, return or reject.")})
    note = (note or "").strip()
    if result != "approve" and not note:
        raise ValidationError(
            {"note": _("Say what is missing, or why it is rejected: the resident will be told.")}
        )
    change = audit.audited_change(actor=actor, obj=application)
    _close_step(actor, step, result, note)
    if result == "approve":
        _event(
            application,
            _step_result_event(result, note),
            actor,
            step=step.name,
            office=step.organisation.name,
            note=note,
        )
        _pass_on(actor, application, step)
    elif result == "return":
        _return(actor, application, note, step)
    else:
        _event(
            application,
            _step_result_event(result, note),
            actor,
            step=step.name,
            office=step.organisation.name,
            note=note,
        )
        _end_route(application)
        _reject(actor, application, note)
    _save(application, change)
    return step


def _close_step(actor: Actor | None, step: ApplicationStep, result: str, note: str) -> None:
    change = audit.audited_change(actor=actor, obj=step)
    step.state = STEP_TABLE.next(step.state, result)
    step.handler = _user(actor)
    step.finished_at = timezone.now()
    step.result_note = note[:500]
    step.version += 1
    step.save()
    change.record()


def _pass_on(actor: Actor | None, application: Application, done: ApplicationStep) -> None:
    following = (
        ApplicationStep.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .filter(application=application, state=StepState.WAITING, order__gt=done.order)
        .order_by("order")
        .first()
    )
    if following is None:
        _complete(actor, application, outcome=done.result_note)
        return
    application.state = APPLICATION_TABLE.next(application.state, Action.ADVANCE)
    _activate(actor, application, following)


# --- other ends: reject, withdraw, guidance, complete --------------------------------------


@transaction.atomic
def application_reject(
    *,
    actor: Actor | None,
    application: Application,
    reason: str,
    expected_version: int | None = None,
) -> Application:
    """The hall refuses a submitted application (a proxy one in progress is rejected by the
    office of its current step)."""
    application = _locked(application)
    _require_staff_may(actor, application, "handle")
    check_version(application.version, expected_version, STALE_APPLICATION)
    _refuse(application, Operation.REJECT)
    reason = _required_text(reason, "reason", _("Say why it is rejected: the resident is told."))
    change = audit.audited_change(actor=actor, obj=application)
    _reject(actor, application, reason)
    _end_route(application)
    _event(application, events.REJECTED, actor, reason=reason)
    _save(application, change)
    return application


def _current_office(application: Application) -> str:
    step = application.steps.filter(state=StepState.ACTIVE).select_related("organisation").first()
    return step.organisation.name if step else "—"


@transaction.atomic
def application_withdraw(
    *,
    actor: Actor | None,
    application: Application,
    reason: str,
    expected_version: int | None = None,
) -> Application:
    """撤回 — at the resident's wish, from any open state."""
    application = _locked(application)
    _require_may(actor, application, "apply")
    check_version(application.version, expected_version, STALE_APPLICATION)
    reason = _required_text(reason, "reason", _("Say why the application is withdrawn."))
    change = audit.audited_change(actor=actor, obj=application)
    application.state = APPLICATION_TABLE.next(application.state, Action.WITHDRAW)
    application.finished_at = timezone.now()
    _end_route(application)
    _event(application, events.WITHDRAWN, actor, reason=reason)
    _save(application, change)
    return application


@transaction.atomic
def application_record_guidance(
    *,
    actor: Actor | None,
    application: Application,
    guidance: str,
    outcome: str,
    expected_version: int | None = None,
) -> Application:
    """指导办理 — record the guidance given and its outcome; that completes the application."""
    application = _locked(application)
    _require_staff_may(actor, application, "handle")
    check_version(application.version, expected_version, STALE_APPLICATION)
    _refuse(application, Operation.GUIDANCE)
    guidance = _required_text(guidance, "guidance", _("Write down the guidance given."))
    outcome = _required_text(outcome, "outcome", _("Write down what came of it."))
    change = audit.audited_change(actor=actor, obj=application)
    _event(application, events.GUIDED, actor, guidance=guidance, outcome=outcome)
    _complete(actor, application, outcome=f"{guidance}\n\n{outcome}")
    _save(application, change)
    return application


@transaction.atomic
def application_complete(
    *,
    actor: Actor | None,
    application: Application,
    outcome: str = "",
    expected_version: int | None = None,
) -> Application:
    """Complete an item done at the counter (即时办理). A proxy item completes with its last
    step; a guided one by recording the guidance."""
    application = _locked(application)
    _require_staff_may(actor, application, "handle")
    check_version(application.version, expected_version, STALE_APPLICATION)
    _refuse(application, Operation.COMPLETE)
    change = audit.audited_change(actor=actor, obj=application)
    _complete(actor, application, outcome=(outcome or "").strip())
    _save(application, change)
    return application


# --- trips --------------------------------------------------------------------------------


def _add_trip(
    application: Application, actor: Actor | None, *, on: dt.date, reason: str, note: str
) -> Trip:
    application.trip_count += 1
    return Trip.objects.create(
        application=application, on=on, reason=reason, note=note[:300], recorded_by=_user(actor)
    )


def _check_trip(application: Application, on, reason: str) -> None:
    if reason not in TripReason.values:
        raise ValidationError({"reason": _("Choose why the resident came.")})
    if not isinstance(on, dt.date):
        raise ValidationError({"on": _("Give the date of the trip.")})
    if on > _today():
        raise ValidationError({"on": _("A trip cannot be in the future.")})
    if on < timezone.localtime(application.created_at).date():
        raise ValidationError({"on": _("A trip cannot be before the application was taken.")})


@transaction.atomic
def trip_record(
    *,
    actor: Actor | None,
    application: Application,
    on: dt.date,
    reason: str,
    note: str = "",
    extra_trip_reason: str = "",
) -> Trip:
    """跑腿 — the resident had to come in person once more. From the second trip on, the
    reason for the extra trip is required (the promise is at most one)."""
    application = _locked(application)
    _require_staff_may(actor, application, "handle")
    _refuse(application, Operation.TRIP)
    _check_trip(application, on, reason)
    extra_trip_reason = (extra_trip_reason or "").strip()
    _check_extra_trip(application, extra_trip_reason, keep_recorded=False)
    change = audit.audited_change(actor=actor, obj=application)
    trip = _record_trip(
        application,
        actor,
        on=on,
        reason=reason,
        note=(note or "").strip(),
        extra_trip_reason=extra_trip_reason,
    )
    _save(application, change)
    return trip


def _check_extra_trip(
    application: Application, extra_trip_reason: str, *, keep_recorded: bool = True
) -> None:
    """A trip beyond the promise (`rules.PROMISED_TRIPS`) needs the reason the resident had to
    come again. `keep_recorded`: a reason already on the application will do."""
    count = application.trip_count + 1
    known = application.extra_trip_reason if keep_recorded else ""
    if rules.over_trip_promise(count) and not (extra_trip_reason or known):
        raise ValidationError(
            {
                "extra_trip_reason": _(
                    "This is trip %(count)s for this application: say why the resident had to "
                    "come more than once."
                )
                % {"count": count}
            }
        )


def _record_trip(
    application: Application,
    actor: Actor | None,
    *,
    on: dt.date,
    reason: str,
    note: str,
    extra_trip_reason: str,
) -> Trip:
    trip = _add_trip(application, actor, on=on, reason=reason, note=note)
    if extra_trip_reason:
        application.extra_trip_reason = extra_trip_reason[:300]
    _event(application, events.TRIP, actor, count=application.trip_count, date=on.isoformat())
    return trip


# --- ratings ------------------------------------------------------------------------------


def _check_rater(actor: Actor | None, application: Application, source: str) -> None:
    if source not in RatingSource.values:
        raise ValidationError({"source": _("Say whether the resident or a return call rated it.")})
    if actor is None:
        return
    if source == RatingSource.RESIDENT and own_may(actor, application, "rate"):
        return
    if (
        source == RatingSource.RETURN_CALL
        and actor.is_staff_member
        and staff_may(actor, application, "rate")
    ):
        return
    raise PermissionDenied


def _check_score(score) -> int:
    try:
        value = int(score)
    except (TypeError, ValueError):
        value = 0
    if value < 1 or value > 5 or str(score).strip() not in {str(value), f"{value}.0"}:
        raise ValidationError({"score": _("Give a score from 1 to 5.")})
    return value


@transaction.atomic
def rating_give(
    *, actor: Actor | None, application: Application, score: int, comment: str = "", source: str
) -> Rating:
    """评价 — a completed application is rated once, 1–5: by the resident for their own, or
    by staff on a return call 回访."""
    application = _locked(application)
    _check_rater(actor, application, source)
    rated = Rating.objects.filter(application=application).exists()
    _refuse(application, Operation.RATE, rated=rated)
    value = _check_score(score)
    rating = Rating.objects.create(
        application=application,
        score=value,
        comment=(comment or "").strip()[:500],
        source=source,
        rated_by=_user(actor),
    )
    audit.record_created(actor=actor, obj=rating)
    _event(application, events.RATED[source], actor, score=value)
    return rating
