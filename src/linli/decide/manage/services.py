"""Every write of manage 民主管理 and supervise 民主监督: tasks 分工任务 for the community and
named departments and their progress reports 进展, the start of supervision, the supervision
panel's inspections 监督检查, the residents' ratings 由民评定 and their count, which finishes the
matter or sends it back for another round.

Each function is keyword-only and one transaction; the matter (or the task) is locked first so
two people acting at once are served one after the other. Who acts is checked before anything
else: a matter or task the actor may not see is `OutOfScope` (404), one they see but may not act
on is `PermissionDenied` (403). Bad input is a `ValidationError` naming the field and nothing is
stored, no photo file either. `actor` None is a trusted system job (the demo builder).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import Grant, User
from linli.core import audit, photos
from linli.core.actors import Actor, account_id
from linli.core.errors import Conflict, check_version
from linli.core.scoping import OutOfScope, covers
from linli.core.validators import clean_text
from linli.registry.models import Organisation

from .. import events, rules
from ..choices import PanelKind, Rating, Stage, TaskState
from ..models import (
    DecidePhoto,
    Inspection,
    Matter,
    MatterTask,
    PanelMember,
    ResidentRating,
    TaskReport,
)
from ..services import MANAGE, VIEW, locked, matter_move, require_in_area
from ..workflow import Action
from .selectors import (
    PARTICIPATE,
    community_of,
    may_see_task,
    resident_household_in,
    task_organisations,
)

REPORT_TASK = "decide.task"  # department staff report on their organisation's tasks
INSPECT = "decide.inspect"

TITLE_LENGTH = 200
TEXT_LENGTH = 1000
NOTE_LENGTH = 500
PHOTO_DIR = "decide"
PHOTO_MAX_MB = 10
PHOTO_MAX_BYTES = PHOTO_MAX_MB * 1024 * 1024
PHOTOS_AT_ONCE = 6


def _user(actor: Actor | None) -> User | None:
    return actor if isinstance(actor, User) else None


def _at_stage(matter: Matter, stage: str, field: str, message: str) -> None:
    if matter.stage != stage:
        raise ValidationError({field: message % {"number": matter.number}})


# --- tasks 分工任务 ----------------------------------------------------------------------------


def _serves(organisation: Organisation, matter: Matter) -> bool:
    """The organisation is the community's own (in its subtree) or a department above it."""
    community = community_of(matter.area)
    path = organisation.area.path
    return path.startswith(community.path) or community.path.startswith(path)


def organisation_users(organisation: Organisation):
    """The accounts whose grant names the organisation (its staff), as of today."""
    today = timezone.localdate()
    grants = Grant.objects.filter(organisation=organisation, starts_on__lte=today).exclude(
        ends_on__lt=today
    )
    return User.objects.filter(pk__in=grants.values("user_id"), is_active=True)


@transaction.atomic
def task_assign(
    *,
    actor: Actor | None,
    matter: Matter | int,
    title: str,
    organisation: Organisation,
    due_on: dt.date,
    owner: User | None = None,
    owner_name: str = "",
) -> MatterTask:
    """分工 — a task of the decision for the community or a named department, with its owner
    (an account of that organisation, or a name) and a deadline; in the matter's round."""
    matter = locked(matter)
    require_in_area(actor, matter.area, MANAGE)
    _at_stage(
        matter,
        Stage.MANAGE,
        "matter",
        _("Matter %(number)s is not at the manage stage: tasks are assigned after the decision."),
    )
    title = clean_text(title, "title", TITLE_LENGTH, required=_("Say what the task is."))
    if not _serves(organisation, matter):
        raise ValidationError(
            {
                "organisation": _(
                    "%(name)s does not serve this community: choose the community's own "
                    "organisation or a department above it."
                )
                % {"name": organisation.name}
            }
        )
    owner_name = clean_text(owner_name, "owner_name", 50)
    if owner is not None:
        if not organisation_users(organisation).filter(pk=owner.pk).exists():
            raise ValidationError(
                {
                    "owner": _("%(user)s does not work for %(name)s.")
                    % {"user": owner, "name": organisation.name}
                }
            )
        owner_name = owner_name or str(owner)
    if not owner_name:
        raise ValidationError({"owner_name": _("Name the task's owner.")})
    if due_on < timezone.localdate():
        raise ValidationError({"due_on": _("The deadline cannot be in the past.")})
    task = MatterTask.objects.create(
        matter=matter,
        round=matter.round,
        title=title,
        organisation=organisation,
        owner=owner,
        owner_name=owner_name,
        due_on=due_on,
        created_by=_user(actor),
    )
    audit.record_created(actor=actor, obj=task)
    events.TASK_ASSIGNED.add(
        subject=matter,
        params={
            "title": title,
            "organisation": organisation.name,
            "owner": owner_name,
            "due_on": due_on.isoformat(),
        },
        actor=actor,
    )
    return task


def may_report(actor: Actor | None, task: MatterTask) -> bool:
    """The task's owner, staff of the community, or its organisation's staff (decide.task)."""
    if actor is None:
        return True
    if task.owner_id is not None and task.owner_id == account_id(actor):
        return True
    if covers(actor, task.matter.area, MANAGE):
        return True
    return task.organisation_id in task_organisations(actor)


@transaction.atomic
def task_report(
    *,
    actor: Actor | None,
    task: MatterTask | int,
    text: str,
    percent: int,
    setback: bool = False,
    photos_sent: Sequence[UploadedFile] = (),
    expected_version: int | None = None,
) -> TaskReport:
    """进展 — how far the task is (percent 0–100), what was done, photos checked by their bytes.
    Progress does not go backwards unless the report says so (`setback`); 100 % is done."""
    pk = task.pk if isinstance(task, MatterTask) else task
    found = (
        MatterTask.objects.select_for_update(of=("self",))
        .select_related("matter__area", "organisation")
        .get(pk=pk)
    )
    return _report(actor, found, text, percent, setback, photos_sent, expected_version)


def _report(
    actor: Actor | None,
    task: MatterTask,
    text: str,
    percent: int,
    setback: bool,
    photos_sent: Sequence[UploadedFile],
    expected_version: int | None,
) -> TaskReport:
    if actor is not None and not may_see_task(actor, task):
        raise OutOfScope(MatterTask, task.pk)
    if not may_report(actor, task):
        raise PermissionDenied
    check_version(task.version, expected_version)
    matter = task.matter
    if task.state == TaskState.DONE:
        raise Conflict(
            _("Task “%(title)s” is done already: nothing more to report.") % {"title": task.title},
            code="task_done",
        )
    if matter.stage != Stage.MANAGE or task.round != matter.round:
        raise ValidationError(
            {
                "task": _("Matter %(number)s is no longer at the manage stage of this round.")
                % {"number": matter.number}
            }
        )
    text = clean_text(text, "text", TEXT_LENGTH, required=_("Say what was done."))
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise ValidationError({"percent": _("Progress is a whole number from 0 to 100.")})
    if percent < task.percent and not setback:
        raise ValidationError(
            {
                "percent": _(
                    "Progress was %(was)s%%: to report less, say that it went back and why."
                )
                % {"was": task.percent}
            }
        )
    checked = _check_photos(photos_sent)
    change = audit.audited_change(actor=actor, obj=task)
    went_back = percent < task.percent
    report = TaskReport.objects.create(
        task=task, text=text, percent=percent, reported_by=_user(actor)
    )
    audit.record_created(actor=actor, obj=report)
    task.percent = percent
    if percent == 100:
        task.state, task.done_at = TaskState.DONE, timezone.now()
    task.version += 1
    task.save()
    change.record()
    _store_photos(actor, matter, checked, report=report)
    params = {"title": task.title, "percent": percent, "text": text}
    line = (
        events.TASK_DONE
        if percent == 100
        else events.TASK_SET_BACK
        if went_back
        else events.TASK_PROGRESS
    )
    line.add(subject=matter, params=params, actor=actor)
    return report


def open_tasks_of_round(matter: Matter):
    return MatterTask.objects.filter(matter=matter, round=matter.round).exclude(
        state=TaskState.DONE
    )


@transaction.atomic
def supervision_start(
    *, actor: Actor | None, matter: Matter | int, note: str = "", expected_version=None
) -> Matter:
    """转入监督 — every task of the round is done: the supervision panel inspects next."""
    matter = locked(matter)
    require_in_area(actor, matter.area, MANAGE)
    note = clean_text(note, "note", NOTE_LENGTH)
    _at_stage(matter, Stage.MANAGE, "matter", _("Matter %(number)s is not at the manage stage."))
    if not MatterTask.objects.filter(matter=matter, round=matter.round).exists():
        raise ValidationError(
            {"matter": _("No task has been assigned in this round: assign the tasks first.")}
        )
    still_open = list(open_tasks_of_round(matter).values_list("title", flat=True))
    if still_open:
        raise ValidationError(
            {
                "matter": _(
                    "Supervision starts when every task is done; %(count)s still open: %(titles)s."
                )
                % {"count": len(still_open), "titles": "、".join(still_open)}
            }
        )
    return matter_move(
        actor=actor,
        matter=matter,
        action=Action.SUPERVISE,
        note=note,
        expected_version=expected_version,
    )


# --- inspections 监督检查 ------------------------------------------------------------------------


def supervision_seat(actor: Actor | None, matter: Matter) -> PanelMember | None:
    """The actor's seat on the supervision panel of the matter's community, if they have one."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return (
        PanelMember.objects.filter(
            panel__area=community_of(matter.area),
            panel__kind=PanelKind.SUPERVISION,
            account_id=actor.pk,
            active=True,
        )
        .order_by("pk")
        .first()
    )


@transaction.atomic
def inspection_record(
    *,
    actor: Actor | None,
    matter: Matter | int,
    passed: bool,
    notes: str,
    photos_sent: Sequence[UploadedFile] = (),
) -> Inspection:
    """监督检查 — a supervision panel member (or the community's staff) records what they found:
    passed or not, notes, photos."""
    matter = locked(matter)
    seat = supervision_seat(actor, matter)
    if seat is None:
        require_in_area(actor, matter.area, MANAGE)
    _at_stage(
        matter,
        Stage.SUPERVISE,
        "matter",
        _("Matter %(number)s is not under supervision: there is nothing to inspect yet."),
    )
    notes = clean_text(notes, "notes", TEXT_LENGTH, required=_("Say what you found."))
    checked = _check_photos(photos_sent)
    inspection = Inspection.objects.create(
        matter=matter,
        round=matter.round,
        inspector=seat,
        passed=bool(passed),
        notes=notes,
        recorded_by=_user(actor),
    )
    audit.record_created(actor=actor, obj=inspection)
    _store_photos(actor, matter, checked, inspection=inspection)
    line = events.INSPECTED_PASSED if passed else events.INSPECTED_FAILED
    who = seat.name if seat is not None else str(actor) if actor is not None else ""
    line.add(subject=matter, params={"inspector": who, "notes": notes}, actor=actor)
    return inspection


# --- ratings 由民评定 ---------------------------------------------------------------------------


@transaction.atomic
def rating_give(
    *, actor: Actor, matter: Matter | int, rating: str, note: str = ""
) -> ResidentRating:
    """由民评定 — a resident of the matter's community rates the result, once per household and
    round (the database refuses a second)."""
    matter = locked(matter)
    household = resident_household_in(actor, community_of(matter.area))
    if household is None:
        if covers(actor, matter.area, VIEW):
            raise PermissionDenied
        raise OutOfScope(Matter, matter.pk)
    _at_stage(
        matter,
        Stage.SUPERVISE,
        "rating",
        _("Matter %(number)s is not being rated now."),
    )
    if rating not in Rating.values:
        raise ValidationError(
            {"rating": _("Choose satisfied, basically satisfied or dissatisfied.")}
        )
    note = clean_text(note, "note", NOTE_LENGTH)
    if ResidentRating.objects.filter(
        matter=matter, round=matter.round, household=household
    ).exists():
        raise _rated_already()
    try:
        with transaction.atomic():
            given = ResidentRating.objects.create(
                matter=matter,
                round=matter.round,
                household=household,
                resident=getattr(actor, "resident_record", None),
                rating=rating,
                note=note,
            )
    except IntegrityError:
        raise _rated_already() from None
    audit.record_created(actor=actor, obj=given)
    return given


def _rated_already() -> Conflict:
    return Conflict(_("Your household has rated this result already in this round."), code="rated")


def round_counts(matter: Matter) -> Counter:
    return Counter(
        ResidentRating.objects.filter(matter=matter, round=matter.round).values_list(
            "rating", flat=True
        )
    )


@transaction.atomic
def rating_close(
    *, actor: Actor | None, matter: Matter | int, note: str = "", expected_version=None
) -> Matter:
    """评定结果 — count this round's ratings: too many 不满意 (above the matter's limit) send it
    back to manage for a new round; else it is done. Needs an inspection that passed and at least
    one rating."""
    matter = locked(matter)
    require_in_area(actor, matter.area, MANAGE)
    note = clean_text(note, "note", NOTE_LENGTH)
    _at_stage(matter, Stage.SUPERVISE, "matter", _("Matter %(number)s is not under supervision."))
    if not Inspection.objects.filter(matter=matter, round=matter.round, passed=True).exists():
        raise ValidationError(
            {
                "matter": _(
                    "No inspection of this round has passed: the supervision panel inspects "
                    "before the ratings are counted."
                )
            }
        )
    counts = round_counts(matter)
    if not counts:
        raise ValidationError(
            {"matter": _("No household has rated the result yet: nothing to count.")}
        )
    events.RATINGS_COUNTED.add(
        subject=matter,
        params={
            "round": matter.round,
            "satisfied": counts.get(Rating.SATISFIED, 0),
            "basically": counts.get(Rating.BASICALLY, 0),
            "dissatisfied": counts.get(Rating.DISSATISFIED, 0),
        },
        actor=actor,
    )
    action = (
        Action.SEND_BACK if rules.sends_back(counts, matter.dissatisfied_limit) else Action.FINISH
    )
    return matter_move(
        actor=actor, matter=matter, action=action, note=note, expected_version=expected_version
    )


# --- photos ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CheckedPhoto:
    upload: UploadedFile
    kind: photos.PhotoKind
    digest: str


def _check_photos(sent: Sequence[UploadedFile]) -> list[_CheckedPhoto]:
    """Each upload checked by its size and first bytes; the same picture kept once."""
    sent = list(sent or ())
    if len(sent) > PHOTOS_AT_ONCE:
        raise ValidationError(
            {"photos": _("Send at most %(count)s photos at once.") % {"count": PHOTOS_AT_ONCE}}
        )
    checked: list[_CheckedPhoto] = []
    seen: set[str] = set()
    for upload in sent:
        try:
            kind = photos.photo_kind(upload, max_bytes=PHOTO_MAX_BYTES)
        except photos.PhotoRefused as refused:
            name = (getattr(upload, "name", "") or "—")[:60]
            if refused.reason == "too_large":
                message = _("“%(file)s” is larger than %(mb)s MB: choose a smaller photo.")
            elif refused.reason == "empty":
                message = _("“%(file)s” is empty: take the photo again.")
            else:
                message = _("“%(file)s” is not a photo: send a JPEG, PNG or WebP picture.")
            raise ValidationError(
                {
                    "photos": [
                        ValidationError(
                            message % {"file": name, "mb": PHOTO_MAX_MB}, code="not_a_photo"
                        )
                    ]
                }
            ) from None
        digest = photos.photo_digest(upload)
        if digest not in seen:
            seen.add(digest)
            checked.append(_CheckedPhoto(upload, kind, digest))
    return checked


def _store_photos(
    actor: Actor | None,
    matter: Matter,
    checked: list[_CheckedPhoto],
    *,
    report: TaskReport | None = None,
    inspection: Inspection | None = None,
) -> None:
    """Write the files, then their rows; a failure removes the files already written."""
    stored: list[str] = []
    try:
        for photo in checked:
            name = photos.store_photo(
                photo.upload, folder=PHOTO_DIR, extension=photo.kind.extension
            )
            stored.append(name)
            row = DecidePhoto.objects.create(
                matter=matter,
                report=report,
                inspection=inspection,
                stored_name=name,
                content_type=photo.kind.content_type,
                size=photo.upload.size or 0,
                digest=photo.digest,
                sent_by=_user(actor),
            )
            audit.record_created(actor=actor, obj=row)
    except Exception:
        for name in stored:
            photos.remove_photo(folder=PHOTO_DIR, name=name)
        raise


__all__ = [
    "PARTICIPATE",
    "inspection_record",
    "may_report",
    "rating_close",
    "rating_give",
    "supervision_start",
    "task_assign",
    "task_report",
]
