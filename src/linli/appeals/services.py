"""Every write to appeals 诉求 and their categories: raising an appeal from any channel, taking
it, settling it, handing it up or sending it to the department, and the return visit 回访 that
closes, reopens or hands it up; the categories 诉求类别 and their versions.

Each function is keyword-only and one transaction. It locks the appeal row first, so two people
acting on the same appeal at once are served one after the other: the second finds it changed
and is told, in a `Conflict` (409), what the first did; nothing is lost. Who acts is checked
before anything else: an appeal the actor may not see is `OutOfScope` (404, nothing given away);
one they see but do not handle where it waits is `PermissionDenied` (or, when they handle it at
another tier and it has just moved on, a `Conflict` saying where it is now). Every state change
goes through `workflow.TABLE`; each writes the audit trail and a line on the appeal's timeline
(`events.py`). Bad input is a `ValidationError` naming the field, and nothing is stored (nor
any photo file written). `actor` None is a trusted system job (the escalation job, the demo
builder, a gateway that has checked its caller).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from linli.accounts.models import User
from linli.core import audit, counters, photos
from linli.core.actors import Actor
from linli.core.choices import AuditAction
from linli.core.errors import Conflict
from linli.core.models import Area
from linli.core.notify import notify
from linli.core.scoping import OutOfScope, can, covers
from linli.core.validators import clean_text, normalise_mobile, text_problem, validate_mobile
from linli.core.workdays import add_working_days
from linli.registry.choices import OrganisationKind
from linli.registry.models import Organisation, Resident

from . import events, rules, tiers
from .choices import (
    AppealChannel,
    AppealState,
    ReturnVisitMethod,
    ReturnVisitResult,
    Satisfaction,
    StepOutcome,
    Tier,
)
from .models import (
    Appeal,
    AppealCategory,
    AppealCategoryVersion,
    AppealPhoto,
    AppealStep,
    ReturnVisit,
)
from .selectors import may_return_visit, may_see
from .tiers import Place, appeal_desk
from .workflow import TABLE, Action, Operation, Refusal, refusal

VIEW, REPORT = "appeals.view", "appeals.report"
MANAGE_CATEGORIES = "appeals.categories"

NUMBER_PREFIX = "SQ"  # 诉求
NUMBER_DIGITS = 6
NUMBER_COUNTER = "appeals.appeal"

DESCRIPTION_LENGTH = 2000
ADDRESS_LENGTH = 200
NAME_LENGTH = 50
NOTE_LENGTH = 2000
RETURN_VISIT_NOTE_LENGTH = 500
MAX_LIMIT_DAYS = 90  # a tier's time limit, in working days

PHOTO_DIR = "appeals"  # under DATA_DIR
PHOTO_MAX_MB = 10
PHOTO_MAX_BYTES = PHOTO_MAX_MB * 1024 * 1024
PHOTOS_AT_ONCE = 9
PHOTOS_PER_APPEAL = 30

# The channels staff record an appeal through; a resident raises one on the phone only.
STAFF_CHANNELS = frozenset(AppealChannel.values) - {AppealChannel.RESIDENT_PHONE}


# --- small helpers ------------------------------------------------------------------------------


def _today() -> dt.date:
    return timezone.localdate()


def _user(actor: Actor | None) -> User | None:
    """The account to name as who acted; None for a system job."""
    return actor if isinstance(actor, User) else None


def _name(value, field: str, label: str, *, required: str) -> str:
    name = clean_text(value, field, NAME_LENGTH, required=required)
    problem = text_problem(name, name=True)
    if problem is not None:
        message, params = problem
        raise ValidationError({field: _(message) % {"field": label, **params}})
    return name


# --- categories 诉求类别 -----------------------------------------------------------------------

CATEGORY_FIELDS = (
    "name",
    "description",
    "default_tier",
    "village_days",
    "community_days",
    "street_days",
    "department_days",
    "public",
    "department",
    "anonymous_allowed",
    "dispute",
)
LIMIT_FIELDS = ("village_days", "community_days", "street_days", "department_days")


def _require_manager(actor: Actor | None) -> None:
    if actor is not None and not actor.has_permission(MANAGE_CATEGORIES):
        raise PermissionDenied


def _check_limit(field: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError({field: _("Give the time limit as a whole number of working days.")})
    if not 1 <= value <= MAX_LIMIT_DAYS:
        raise ValidationError(
            {field: _("A time limit is from 1 to %(max)s working days.") % {"max": MAX_LIMIT_DAYS}}
        )
    return value


def _clean_category_fields(fields: dict) -> dict:
    cleaned = dict(fields)
    cleaned["name"] = clean_text(
        fields.get("name"), "name", 60, required=_("Give the category a name.")
    )
    cleaned["description"] = clean_text(fields.get("description"), "description", 300)
    if fields.get("default_tier") not in Tier.values:
        raise ValidationError({"default_tier": _("Choose the tier its appeals start at.")})
    for field in LIMIT_FIELDS:
        cleaned[field] = _check_limit(field, fields.get(field))
    department = fields.get("department")
    if department is not None and (
        not isinstance(department, Organisation) or department.kind != OrganisationKind.DEPARTMENT
    ):
        raise ValidationError(
            {"department": _("%(name)s is not a district department.") % {"name": department}}
        )
    if fields["default_tier"] == Tier.DEPARTMENT and department is None:
        raise ValidationError(
            {"department": _("Its appeals start at the department: name the department.")}
        )
    for flag in ("public", "anonymous_allowed", "dispute"):
        cleaned[flag] = bool(fields.get(flag))
    return cleaned


def _write_category_version(
    category: AppealCategory, number: int, fields: dict, actor: Actor | None, note: str
) -> AppealCategoryVersion:
    version = AppealCategoryVersion(
        category=category, number=number, note=note.strip()[:300], **fields
    )
    version.created_by = _user(actor)
    version.save()
    category.current, category.name = version, version.name
    category.save(update_fields=["current", "name"])
    return version


@transaction.atomic
def category_create(
    *,
    actor: Actor | None,
    code: str,
    name: str,
    village_days: int,
    community_days: int,
    street_days: int,
    department_days: int,
    default_tier: str = Tier.VILLAGE,
    description: str = "",
    public: bool = False,
    department: Organisation | None = None,
    anonymous_allowed: bool = False,
    dispute: bool = False,
    sort_order: int = 100,
) -> AppealCategory:
    """A new category with its first version (`appeals.categories`: the administrator).
    `dispute`: its appeals are disputes 矛盾纠纷, mediated between parties."""
    _require_manager(actor)
    fields = _clean_category_fields(
        {
            "name": name,
            "description": description,
            "default_tier": default_tier,
            "village_days": village_days,
            "community_days": community_days,
            "street_days": street_days,
            "department_days": department_days,
            "public": public,
            "department": department,
            "anonymous_allowed": anonymous_allowed,
            "dispute": dispute,
        }
    )
    code = clean_text(code, "code", 20, required=_("Give the category a code."))
    if AppealCategory.objects.filter(code=code).exists():
        raise ValidationError(
            {"code": _("Another category has the code %(code)s.") % {"code": code}}
        )
    category = AppealCategory(code=code, name=fields["name"], sort_order=sort_order)
    category.save()
    version = _write_category_version(category, 1, fields, actor, note="")
    events.CATEGORY_CREATED.add(
        subject=category, params={"code": code, "number": version.number}, actor=actor
    )
    audit.record(
        action=AuditAction.CREATE,
        actor=actor,
        obj=category,
        changes={"version": 1, "code": code, **audit.snapshot(version)},
    )
    return category


@transaction.atomic
def category_revise(
    *,
    actor: Actor | None,
    category: AppealCategory,
    note: str = "",
    expected_version: int | None = None,
    **changes,
) -> AppealCategoryVersion:
    """The category's next version: the current one with `changes` (version fields). Appeals
    raised before keep the version they were raised under. `expected_version` is the version
    number the editor started from: a newer one saved meanwhile is a `Conflict`; a revision that
    changes nothing is refused."""
    _require_manager(actor)
    unknown = set(changes) - set(CATEGORY_FIELDS)
    if unknown:
        raise TypeError(f"unknown category fields: {sorted(unknown)}")
    category = AppealCategory.objects.select_for_update().get(pk=category.pk)
    current = category.current_version
    if expected_version is not None and current.number != expected_version:
        raise Conflict(
            _(
                "Someone else made version %(number)s of this category while you were editing "
                "it. Reload the page to see their change, then edit again."
            )
            % {"number": current.number}
        )
    fields = {name: getattr(current, name) for name in CATEGORY_FIELDS}
    fields = _clean_category_fields({**fields, **changes})
    changed = [n for n in CATEGORY_FIELDS if fields[n] != getattr(current, n)]
    if not changed:
        raise ValidationError(
            _("Nothing has changed, so no new version was made."), code="unchanged"
        )
    version = _write_category_version(category, current.number + 1, fields, actor, note)
    (events.CATEGORY_REVISED if version.note else events.CATEGORY_REVISED_WITHOUT_NOTE).add(
        subject=category,
        params={"number": version.number, "note": version.note},
        actor=actor,
        data={"fields": changed, "from": current.number},
    )
    audit.record(
        action=AuditAction.UPDATE,
        actor=actor,
        obj=category,
        changes={"version": [current.number, version.number], "fields": changed},
        reason=version.note,
    )
    return version


@transaction.atomic
def category_set_offered(
    *, actor: Actor | None, category: AppealCategory, offered: bool
) -> AppealCategory:
    """Withdraw a category (or offer it again): appeals already raised go on; a withdrawn one
    takes no new ones."""
    _require_manager(actor)
    category = AppealCategory.objects.select_for_update().get(pk=category.pk)
    if category.active == offered:
        return category
    change = audit.audited_change(actor=actor, obj=category)
    category.active = offered
    category.save(update_fields=["active"])
    change.record()
    (events.CATEGORY_OFFERED if offered else events.CATEGORY_WITHDRAWN).add(
        subject=category, actor=actor
    )
    return category


# --- raising an appeal ---------------------------------------------------------------------------


def _offered_version(category: AppealCategory | int | str | None) -> AppealCategoryVersion:
    """The current version of the category (given as itself, its id or its code), or a
    ValidationError on "category"."""
    if isinstance(category, AppealCategory):
        category = category.pk
    if isinstance(category, int) and not isinstance(category, bool):
        found = AppealCategory.objects.select_related("current").filter(pk=category).first()
    elif isinstance(category, str) and category.strip():
        found = (
            AppealCategory.objects.select_related("current").filter(code=category.strip()).first()
        )
    else:
        raise ValidationError({"category": _("Choose the category of the appeal.")})
    if found is None:
        raise ValidationError({"category": _("There is no such appeal category.")})
    if not found.active or found.current is None:
        raise ValidationError(
            {"category": _("%(category)s takes no new appeals at present.") % {"category": found}}
        )
    return AppealCategoryVersion.objects.select_related("department").get(pk=found.current.pk)


def _area(area: Area | int | None) -> Area:
    if isinstance(area, Area):
        area = area.pk
    if isinstance(area, int) and not isinstance(area, bool):
        found = Area.objects.filter(pk=area).first()
    else:
        raise ValidationError({"area": _("Choose the place the appeal concerns.")})
    if found is None:
        raise ValidationError({"area": _("There is no such area.")})
    return found


def _check_channel(channel) -> str:
    if channel not in AppealChannel.values:
        raise ValidationError({"channel": _("Choose where the appeal came from.")})
    return str(channel)


def _check_recorder(actor: Actor | None, area: Area, channel: str) -> None:
    """Staff record appeals over their area, through any channel but the resident's phone; a
    resident raises one on their phone, for themselves (see `_reporter`)."""
    if actor is None:
        return
    if actor.is_staff_member:
        if not covers(actor, area, REPORT):
            if covers(actor, area, VIEW):
                raise PermissionDenied
            raise OutOfScope(Area, area.pk)
        if channel not in STAFF_CHANNELS:
            raise ValidationError(
                {"channel": _("An appeal from the resident's phone is raised by the resident.")}
            )
        return
    if actor.own_household_id(REPORT) is None:
        raise PermissionDenied
    if channel != AppealChannel.RESIDENT_PHONE:
        raise ValidationError({"channel": _("A resident raises an appeal on the phone.")})


@dataclass(frozen=True)
class _Reporter:
    resident: Resident | None
    name: str
    mobile: str
    anonymous: bool


def _own_person(actor: Actor) -> Resident | None:
    person = getattr(actor, "resident_record", None)
    return person if isinstance(person, Resident) else None


def _reporter(
    actor: Actor | None,
    version: AppealCategoryVersion,
    *,
    resident: Resident | None,
    name: str,
    mobile: str,
    anonymous: bool,
) -> _Reporter:
    """Who raised it: a person in the registry the actor may see, a named outsider with a
    mobile number, or nobody where the category allows it. A resident raises for themselves."""
    if actor is not None and not actor.is_staff_member:
        person = _own_person(actor)
        if person is None or (resident is not None and resident.pk != person.pk) or anonymous:
            raise ValidationError({"reporter": _("A resident raises an appeal in their own name.")})
        return _Reporter(person, "", "", False)
    if not isinstance(anonymous, bool):
        raise ValidationError({"anonymous": _("Say whether the appeal is anonymous.")})
    if anonymous:
        if resident is not None or (name or "").strip() or (mobile or "").strip():
            raise ValidationError(
                {"anonymous": _("An anonymous appeal names nobody: leave the reporter out.")}
            )
        if not version.anonymous_allowed:
            raise ValidationError(
                {
                    "anonymous": _("%(category)s cannot be raised anonymously: say who raised it.")
                    % {"category": version.name}
                }
            )
        return _Reporter(None, "", "", True)
    if resident is not None:
        resident = Resident.objects.select_related("household__area").filter(pk=resident.pk).first()
        if resident is None or (actor is not None and not can(actor, resident, "view")):
            raise OutOfScope(Resident, getattr(resident, "pk", None))
        return _Reporter(resident, "", "", False)
    missing = _("Name the reporter: a person in the registry, or a name and a mobile number.")
    name = _name(name, "reporter_name", _("The reporter's name"), required=missing)
    mobile = str(mobile or "").strip()
    if not mobile:
        raise ValidationError({"reporter_mobile": missing})
    try:
        validate_mobile(mobile)
    except ValidationError as error:
        raise ValidationError({"reporter_mobile": error.messages}) from None
    return _Reporter(None, name, normalise_mobile(mobile), False)


def _coordinate(value, field: str, limit: int) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite() or not -limit <= number <= limit:
        raise ValidationError(
            {field: _("Give a number from -%(limit)s to %(limit)s.") % {"limit": limit}}
        )
    return number.quantize(Decimal("0.000001"))


def _coordinates(latitude, longitude) -> tuple[Decimal | None, Decimal | None]:
    lat = _coordinate(latitude, "latitude", 90)
    lon = _coordinate(longitude, "longitude", 180)
    if (lat is None) != (lon is None):
        raise ValidationError(
            {"latitude" if lat is None else "longitude": _("Give both coordinates, or neither.")}
        )
    return lat, lon


def _last_serial(prefix: str) -> int:
    last = (
        Appeal.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return int(last[len(prefix) :]) if last else 0


def _insert_numbered(appeal: Appeal) -> None:
    """Insert with the day's next number (SQ20261207000001), drawn from the day's counter, as
    the hall's applications are (`core.counters.draw`: nobody waits, a failed request leaves a
    gap, never a clash)."""
    prefix = f"{NUMBER_PREFIX}{_today():%Y%m%d}"
    serial = counters.draw(NUMBER_COUNTER, prefix, start=lambda: _last_serial(prefix), keep=2)
    appeal.number = f"{prefix}{serial:0{NUMBER_DIGITS}d}"
    appeal.save(force_insert=True)


@transaction.atomic
@dataclass(frozen=True)
class AppealInput:
    """What an appeal is raised from, checked (`appeal_input`)."""

    channel: str
    version: AppealCategoryVersion
    area: Area
    who: _Reporter
    description: str
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    photos: list


def appeal_input(
    *,
    actor: Actor | None,
    category: AppealCategory | int | str | None,
    channel: str,
    area: Area | int | None,
    description: str,
    address: str = "",
    latitude: Decimal | float | str | None = None,
    longitude: Decimal | float | str | None = None,
    reporter: Resident | None = None,
    reporter_name: str = "",
    reporter_mobile: str = "",
    anonymous: bool = False,
    photos_sent: Sequence[UploadedFile] = (),
) -> AppealInput:
    """Check what an appeal would be raised from, as `appeal_create` does, storing nothing:
    raises `ValidationError` naming the field. (Open311 answers a post at once from this and
    raises the appeal later.)"""
    channel = _check_channel(channel)
    version = _offered_version(category)
    place_area = _area(area)
    _check_recorder(actor, place_area, channel)
    who = _reporter(
        actor,
        version,
        resident=reporter,
        name=reporter_name,
        mobile=reporter_mobile,
        anonymous=anonymous,
    )
    description = clean_text(
        description,
        "description",
        DESCRIPTION_LENGTH,
        required=_("Say what the appeal is about."),
    )
    address = clean_text(address, "address", ADDRESS_LENGTH)
    lat, lon = _coordinates(latitude, longitude)
    return AppealInput(
        channel=channel,
        version=version,
        area=place_area,
        who=who,
        description=description,
        address=address,
        latitude=lat,
        longitude=lon,
        photos=_check_photos(photos_sent, known=set()),
    )


def appeal_create(
    *,
    actor: Actor | None,
    category: AppealCategory | int | str | None,
    channel: str,
    area: Area | int | None,
    description: str,
    address: str = "",
    latitude: Decimal | float | str | None = None,
    longitude: Decimal | float | str | None = None,
    reporter: Resident | None = None,
    reporter_name: str = "",
    reporter_mobile: str = "",
    anonymous: bool = False,
    photos_sent: Sequence[UploadedFile] = (),
) -> Appeal:
    """Raise an appeal from any channel. `category` is the category, its id or its code;
    `area` the place it concerns (down to a village or grid), or its id. It starts at the lowest
    tier that covers the place (not below the category's starting tier), with that tier's time
    limit on the working-day calendar. Photos are checked by their bytes before anything is
    stored."""
    given = appeal_input(
        actor=actor,
        category=category,
        channel=channel,
        area=area,
        description=description,
        address=address,
        latitude=latitude,
        longitude=longitude,
        reporter=reporter,
        reporter_name=reporter_name,
        reporter_mobile=reporter_mobile,
        anonymous=anonymous,
        photos_sent=photos_sent,
    )
    version, place_area, who, checked = given.version, given.area, given.who, given.photos
    channel, description, address = given.channel, given.description, given.address
    lat, lon = given.latitude, given.longitude
    place = tiers.starting_place(place_area, version)
    appeal = Appeal(
        category_id=version.category_id,
        category_version=version,
        channel=channel,
        area=place_area,
        address=address,
        latitude=lat,
        longitude=lon,
        description=description,
        reporter=who.resident,
        household=who.resident.household if who.resident is not None else None,
        reporter_name=who.name,
        reporter_mobile=who.mobile,
        anonymous=who.anonymous,
        tier=place.tier,
        tier_area=place.area,
        department=place.department,
        created_by=_user(actor),
    )
    _insert_numbered(appeal)
    events.RAISED[channel].add(subject=appeal, params={"category": version.name}, actor=actor)
    step = _open_step(actor, appeal, place)
    appeal.save()
    audit.record_created(actor=actor, obj=appeal)
    if checked:
        _store_photos(actor, appeal, checked)
    _tell_reporter(
        appeal,
        "raised",
        gettext_noop(
            "Your appeal %(number)s (%(category)s) has been received: %(place)s handles it by "
            "%(due)s."
        ),
        place=place.name,
        due=step.due_on.isoformat(),
    )
    return appeal


# --- steps: where an appeal waits -------------------------------------------------------------


def _open_step(actor: Actor | None, appeal: Appeal, place: Place) -> AppealStep:
    """A new step at `place`, with the tier's time limit counted from today; the appeal is
    placed there (the caller saves it)."""
    days = appeal.category_version.limit_days(place.tier)
    deadline = add_working_days(_today(), days)
    last = AppealStep.objects.filter(appeal=appeal).aggregate(last=Max("order"))["last"] or 0
    step = AppealStep.objects.create(
        appeal=appeal,
        order=last + 1,
        tier=place.tier,
        area=place.area,
        department=place.department,
        time_limit_days=days,
        due_on=deadline.date,
        due_assumed=deadline.assumed,
    )
    audit.record_created(actor=actor, obj=step)
    if place.tier != appeal.tier:
        appeal.reopens_at_tier = 0
    appeal.tier, appeal.tier_area, appeal.department = place.tier, place.area, place.department
    appeal.handler = None
    appeal.due_on, appeal.due_assumed = deadline.date, deadline.assumed
    params = {"place": place.name, "due": deadline.date.isoformat()}
    if deadline.assumed:
        years = "、".join(str(y) for y in deadline.assumed_years)
        events.ARRIVED_PROVISIONAL.add(
            subject=appeal, params={**params, "years": years}, actor=actor, data={"step": step.pk}
        )
    else:
        events.ARRIVED.add(subject=appeal, params=params, actor=actor, data={"step": step.pk})
    return step


def open_step(appeal: Appeal) -> AppealStep:
    """The appeal's open step (while it waits or is handled at a tier)."""
    return AppealStep.objects.select_related("handler").get(appeal=appeal, ended_at__isnull=True)


def _end_step(actor: Actor | None, step: AppealStep, outcome: str, note: str) -> None:
    change = audit.audited_change(actor=actor, obj=step)
    step.ended_at = timezone.now()
    step.outcome = outcome
    step.note = note
    step.handler = _user(actor) or step.handler
    step.save()
    change.record()


def _locked(appeal: Appeal) -> Appeal:
    """The appeal row, locked for the rest of the transaction, with what checks need."""
    locked = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related(
            "category", "category_version", "area", "tier_area", "department", "handler"
        )
        .filter(pk=appeal.pk)
        .first()
    )
    if locked is None:
        raise OutOfScope(Appeal, appeal.pk)
    return locked


def _save(appeal: Appeal, change: audit.AuditedChange) -> None:
    appeal.version += 1
    appeal.save()
    change.record()


def _moved_on(appeal: Appeal) -> Conflict:
    return Conflict(
        _(
            "Appeal %(number)s is no longer where you saw it: it is now “%(state)s” at "
            "%(place)s. Reload the page to see what happened."
        )
        % {
            "number": appeal.number,
            "state": appeal.get_state_display(),
            "place": appeal.place_name,
        },
        code="moved",
    )


def _require_handler(actor: Actor | None, appeal: Appeal, expected_version: int | None) -> None:
    """The actor handles the appeal where it waits (see `tiers`): else 404 for one who may not
    see it; a conflict for one whose page showed an earlier version (it has moved on since);
    403 for the others."""
    if actor is None or appeal_desk(actor).covers(appeal):
        return
    if not may_see(actor, appeal):
        raise OutOfScope(Appeal, appeal.pk)
    _check_version(appeal, expected_version)
    raise PermissionDenied


def _check_version(appeal: Appeal, expected: int | None) -> None:
    """The optimistic check: someone else changed the appeal since the person's page showed
    version `expected` — say what it is now."""
    if expected is not None and appeal.version != expected:
        raise _moved_on(appeal)


def _when(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _require_running(appeal: Appeal) -> None:
    """A handler's action on an appeal no longer at a tier: someone settled it first."""
    if appeal.state == AppealState.SETTLED or appeal.state == AppealState.CLOSED:
        step = (
            AppealStep.objects.filter(appeal=appeal, outcome=StepOutcome.SETTLED)
            .select_related("handler")
            .order_by("-order")
            .first()
        )
        raise Conflict(
            _("Appeal %(number)s was settled already by %(handler)s at %(when)s: %(what)s")
            % {
                "number": appeal.number,
                "handler": (step.handler if step and step.handler else None) or _("someone else"),
                "when": _when(appeal.settled_at),
                "what": appeal.settlement,
            },
            code="settled",
        )


def _tell_reporter(appeal: Appeal, key: str, message: str, **params) -> None:
    """One message to the reporter, when the reporter is in the registry."""
    if appeal.reporter_id is None:
        return
    notify(
        message=message,
        params={"number": appeal.number, "category": appeal.category_version.name, **params},
        to_resident=appeal.reporter,
        subject=appeal,
        dedupe_key=f"appeal:{appeal.pk}:{key}",
    )


def _tell_handlers(appeal: Appeal, place: Place, step: AppealStep, message: str, **params) -> int:
    """Tell the people who act at `place` that the appeal has arrived there; how many."""
    told = 0
    for user in tiers.handlers_at(place, appeal.area):
        row = notify(
            message=message,
            params={
                "number": appeal.number,
                "category": appeal.category_version.name,
                "place": place.name,
                **params,
            },
            to_user=user,
            subject=appeal,
            dedupe_key=f"appeal-arrived:{step.pk}:{user.pk}",
        )
        told += row is not None
    return told


HANDED_TO_YOU = gettext_noop(
    "Appeal %(number)s (%(category)s) was handed to %(place)s from %(source)s: %(reason)s"
)


def move(
    actor: Actor | None, appeal: Appeal, action: str, place: Place, *, outcome: str, note: str
) -> AppealStep:
    """Hand the (locked) appeal over to `place`: the table's `action`, the open step ended with
    `outcome` and `note`, a new step opened there. Returns the new step; the caller saves the
    appeal and writes why on its timeline."""
    appeal.state = TABLE.next(appeal.state, action)
    _end_step(actor, open_step(appeal), outcome, note)
    return _open_step(actor, appeal, place)


# --- a handler's work --------------------------------------------------------------------------


@transaction.atomic
def appeal_take(
    *, actor: Actor | None, appeal: Appeal, expected_version: int | None = None
) -> Appeal:
    """受理 — a handler at the appeal's tier takes it. Taken already by someone else → a
    `Conflict` naming who and when."""
    appeal = _locked(appeal)
    _require_handler(actor, appeal, expected_version)
    _require_running(appeal)
    if appeal.state == AppealState.TAKEN:
        step = open_step(appeal)
        raise Conflict(
            _("Appeal %(number)s was taken already by %(handler)s at %(when)s.")
            % {
                "number": appeal.number,
                "handler": step.handler or _("someone else"),
                "when": _when(step.taken_at),
            },
            code="taken",
        )
    _check_version(appeal, expected_version)
    change = audit.audited_change(actor=actor, obj=appeal)
    appeal.state = TABLE.next(appeal.state, Action.TAKE)
    step = open_step(appeal)
    step_change = audit.audited_change(actor=actor, obj=step)
    step.handler, step.taken_at = _user(actor), timezone.now()
    step.save(update_fields=["handler", "taken_at"])
    step_change.record()
    appeal.handler = _user(actor)
    _save(appeal, change)
    events.TAKEN.add(
        subject=appeal,
        params={"place": appeal.place_name, "handler": str(appeal.handler or "—")},
        actor=actor,
    )
    return appeal


@transaction.atomic
def appeal_settle(
    *,
    actor: Actor | None,
    appeal: Appeal,
    what_was_done: str,
    expected_version: int | None = None,
) -> Appeal:
    """办结 — the tier settles the appeal, saying what was done (taken first, or straight from
    the queue when it is settled on the spot). The reporter is told, and a return visit is
    due."""
    appeal = _locked(appeal)
    _require_handler(actor, appeal, expected_version)
    _require_running(appeal)
    _check_version(appeal, expected_version)
    what = clean_text(what_was_done, "what_was_done", NOTE_LENGTH, required=_("Say what was done."))
    change = audit.audited_change(actor=actor, obj=appeal)
    appeal.state = TABLE.next(appeal.state, Action.SETTLE)
    _end_step(actor, open_step(appeal), StepOutcome.SETTLED, what)
    appeal.settlement, appeal.settled_at = what, timezone.now()
    appeal.handler = _user(actor) or appeal.handler
    appeal.due_on, appeal.due_assumed = None, False
    _save(appeal, change)
    events.SETTLED.add(
        subject=appeal, params={"place": appeal.place_name, "what": what}, actor=actor
    )
    _tell_reporter(
        appeal,
        f"settled:{appeal.version}",
        gettext_noop(
            "Your appeal %(number)s (%(category)s) has been settled: %(what)s. You will be asked "
            "whether you are satisfied."
        ),
        what=what,
    )
    return appeal


REFUSALS = {
    Refusal.TOP: gettext_lazy("%(place)s is the last tier for this appeal: there is none above."),
    Refusal.AT_DEPARTMENT: gettext_lazy("The appeal is at the department already."),
    Refusal.NO_DEPARTMENT: gettext_lazy(
        "The category %(category)s names no department to send it to."
    ),
}


def _refuse(appeal: Appeal, operation: str) -> None:
    """Refuse in words what a rule beyond the table refuses (`workflow.refusal`)."""
    reason = refusal(
        operation,
        tier=appeal.tier,
        department_named=appeal.category_version.department_id is not None,
    )
    if reason is not None:
        raise ValidationError(
            str(REFUSALS[reason])
            % {"place": appeal.place_name, "category": appeal.category_version.name},
            code=reason,
        )


@transaction.atomic
def appeal_hand_up(
    *, actor: Actor | None, appeal: Appeal, reason: str, expected_version: int | None = None
) -> Appeal:
    """上报 — the tier cannot settle it: up to the next tier, with the reason. The handlers
    there are told."""
    appeal = _locked(appeal)
    _require_handler(actor, appeal, expected_version)
    _require_running(appeal)
    _check_version(appeal, expected_version)
    _refuse(appeal, Operation.HAND_UP)
    reason = clean_text(reason, "reason", NOTE_LENGTH, required=_("Say why it goes up."))
    place = tiers.place_above(appeal.tier, appeal.area, appeal.category_version)
    if place is None:
        raise ValidationError(
            str(REFUSALS[Refusal.TOP]) % {"place": appeal.place_name}, code=Refusal.TOP
        )
    source = appeal.place_name
    change = audit.audited_change(actor=actor, obj=appeal)
    events.HANDED_UP.add(subject=appeal, params={"place": source, "reason": reason}, actor=actor)
    step = move(actor, appeal, Action.HAND_UP, place, outcome=StepOutcome.HANDED_UP, note=reason)
    _save(appeal, change)
    _tell_handlers(appeal, place, step, HANDED_TO_YOU, source=source, reason=reason)
    return appeal


@transaction.atomic
def appeal_send_to_department(
    *, actor: Actor | None, appeal: Appeal, reason: str, expected_version: int | None = None
) -> Appeal:
    """转办 — straight to the category's department (the matter is the department's by law,
    not the village's), with the reason. The department's staff are told."""
    appeal = _locked(appeal)
    _require_handler(actor, appeal, expected_version)
    _require_running(appeal)
    _check_version(appeal, expected_version)
    _refuse(appeal, Operation.SEND_TO_DEPARTMENT)
    reason = clean_text(
        reason, "reason", NOTE_LENGTH, required=_("Say why it goes to the department.")
    )
    place = tiers.department_place(appeal.category_version)
    assert place is not None  # `_refuse` found the department named
    source = appeal.place_name
    change = audit.audited_change(actor=actor, obj=appeal)
    events.SENT_TO_DEPARTMENT.add(
        subject=appeal,
        params={"place": source, "department": place.name, "reason": reason},
        actor=actor,
    )
    step = move(
        actor,
        appeal,
        Action.SEND_TO_DEPARTMENT,
        place,
        outcome=StepOutcome.SENT_TO_DEPARTMENT,
        note=reason,
    )
    _save(appeal, change)
    _tell_handlers(appeal, place, step, HANDED_TO_YOU, source=source, reason=reason)
    return appeal


# --- the return visit 回访 -----------------------------------------------------------------------


def _check_visitor(actor: Actor | None, appeal: Appeal, method: str) -> None:
    """Staff make the return visit by phone or in person; the reporter's household answers it
    on the phone."""
    if method not in ReturnVisitMethod.values:
        raise ValidationError({"method": _("Say how the return visit was made.")})
    if actor is None:
        return
    if not may_return_visit(actor, appeal):
        if may_see(actor, appeal):
            raise PermissionDenied
        raise OutOfScope(Appeal, appeal.pk)
    resident = not actor.is_staff_member
    if resident != (method == ReturnVisitMethod.RESIDENT_PHONE):
        raise ValidationError(
            {
                "method": _("The resident answers on the phone.")
                if resident
                else _("Staff make the return visit by phone or in person.")
            }
        )


def _check_awaits_return_visit(appeal: Appeal, expected_version: int | None) -> AppealStep:
    """The settled step the return visit judges; a conflict when its return visit was recorded
    first by someone else."""
    step = (
        AppealStep.objects.filter(appeal=appeal, outcome=StepOutcome.SETTLED)
        .order_by("-order")
        .first()
    )
    if appeal.state != AppealState.SETTLED:
        if step is not None and ReturnVisit.objects.filter(step=step).exists():
            raise Conflict(
                _(
                    "The return visit for appeal %(number)s was recorded already: it is now "
                    "“%(state)s”."
                )
                % {"number": appeal.number, "state": appeal.get_state_display()},
                code="return_visit_recorded",
            )
        TABLE.next(appeal.state, Action.CLOSE)  # not settled yet: the table says so
    _check_version(appeal, expected_version)
    assert step is not None  # a settled appeal has its settled step
    return step


RESULTS = {
    Action.CLOSE: ReturnVisitResult.CLOSED,
    Action.REOPEN: ReturnVisitResult.REOPENED,
    Action.HAND_UP_DISSATISFIED: ReturnVisitResult.HANDED_UP,
}
AGAIN_TO_YOU = gettext_noop(
    "Appeal %(number)s (%(category)s) was handed to %(place)s from %(source)s: the reporter was "
    "dissatisfied again after it was reopened there."
)


@transaction.atomic
def return_visit_record(
    *,
    actor: Actor | None,
    appeal: Appeal,
    satisfaction: str,
    method: str,
    note: str = "",
    expected_version: int | None = None,
) -> ReturnVisit:
    """回访 — the reporter's judgement of a settled appeal. 满意 and 基本满意 close it;
    不满意 reopens it once at the same tier, and a second 不满意 there hands it up (or, with no
    tier above, closes it with the dissatisfaction on record). Dissatisfaction needs a note
    saying what with."""
    appeal = _locked(appeal)
    _check_visitor(actor, appeal, method)
    step = _check_awaits_return_visit(appeal, expected_version)
    if satisfaction not in Satisfaction.values:
        raise ValidationError({"satisfaction": _("Choose how satisfied the reporter is.")})
    note = clean_text(
        note,
        "note",
        RETURN_VISIT_NOTE_LENGTH,
        required=_("Say what the reporter is dissatisfied with.")
        if satisfaction == Satisfaction.DISSATISFIED
        else "",
    )
    above = tiers.place_above(appeal.tier, appeal.area, appeal.category_version)
    action = rules.return_visit_result(
        satisfaction,
        reopens_at_tier=appeal.reopens_at_tier,
        tier_above=above.tier if above is not None else None,
    )
    visit = ReturnVisit.objects.create(
        appeal=appeal,
        step=step,
        satisfaction=satisfaction,
        note=note,
        method=method,
        result=RESULTS[action],
        visited_by=_user(actor),
    )
    audit.record_created(actor=actor, obj=visit)
    events.RETURN_VISIT[satisfaction].add(subject=appeal, params={"note": note}, actor=actor)
    change = audit.audited_change(actor=actor, obj=appeal)
    place = appeal.place_name
    if action == Action.CLOSE:
        appeal.state = TABLE.next(appeal.state, action)
        appeal.closed_at = timezone.now()
        closed = events.CLOSED if satisfaction in rules.SATISFIED else events.CLOSED_DISSATISFIED
        closed.add(subject=appeal, params={"place": place}, actor=actor)
    elif action == Action.REOPEN:
        appeal.state = TABLE.next(appeal.state, action)
        appeal.reopened_count += 1
        appeal.reopens_at_tier += 1
        events.REOPENED.add(subject=appeal, params={"place": place}, actor=actor)
        _open_step(actor, appeal, tiers.same_place(appeal))
    else:
        assert above is not None  # `return_visit_result` hands up only where there is a tier
        appeal.state = TABLE.next(appeal.state, action)
        events.HANDED_UP_DISSATISFIED.add(subject=appeal, params={"place": place}, actor=actor)
        new_step = _open_step(actor, appeal, above)
        _tell_handlers(appeal, above, new_step, AGAIN_TO_YOU, source=place)
    _save(appeal, change)
    return visit


# --- photos --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CheckedPhoto:
    upload: UploadedFile
    kind: photos.PhotoKind
    digest: str


def _photo_refused(upload, refused: photos.PhotoRefused) -> ValidationError:
    name = (getattr(upload, "name", "") or "—")[:60]
    if refused.reason == "too_large":
        message = _("“%(file)s” is larger than %(mb)s MB: choose a smaller photo.")
    elif refused.reason == "empty":
        message = _("“%(file)s” is empty: take the photo again.")
    else:
        message = _("“%(file)s” is not a photo: send a JPEG, PNG or WebP picture.")
    return ValidationError(
        {
            "photos": [
                ValidationError(message % {"file": name, "mb": PHOTO_MAX_MB}, code="not_a_photo")
            ]
        }
    )


def _check_photos(sent: Sequence[UploadedFile], *, known: set[str]) -> list[_CheckedPhoto]:
    """Each upload checked by its bytes and size; the same picture is kept once."""
    sent = list(sent or ())
    if len(sent) > PHOTOS_AT_ONCE:
        raise ValidationError(
            {"photos": _("Send at most %(count)s photos at once.") % {"count": PHOTOS_AT_ONCE}}
        )
    checked: list[_CheckedPhoto] = []
    seen = set(known)
    for upload in sent:
        try:
            kind = photos.photo_kind(upload, max_bytes=PHOTO_MAX_BYTES)
        except photos.PhotoRefused as refused:
            raise _photo_refused(upload, refused) from None
        digest = photos.photo_digest(upload)
        if digest not in seen:
            seen.add(digest)
            checked.append(_CheckedPhoto(upload, kind, digest))
    if len(seen) > PHOTOS_PER_APPEAL:
        raise ValidationError(
            {
                "photos": _("An appeal keeps at most %(count)s photos.")
                % {"count": PHOTOS_PER_APPEAL}
            }
        )
    return checked


def _store_photos(actor: Actor | None, appeal: Appeal, checked: list[_CheckedPhoto]) -> int:
    """Write the files, then their rows; a failure removes the files already written."""
    stored: list[str] = []
    try:
        for photo in checked:
            name = photos.store_photo(
                photo.upload, folder=PHOTO_DIR, extension=photo.kind.extension
            )
            stored.append(name)
            row = AppealPhoto.objects.create(
                appeal=appeal,
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
    events.PHOTOS_ADDED.add(subject=appeal, params={"count": len(checked)}, actor=actor)
    return len(checked)


@transaction.atomic
def appeal_add_photos(
    *, actor: Actor | None, appeal: Appeal, photos_sent: Sequence[UploadedFile]
) -> int:
    """More photos of an open appeal (of the place, or of what was done), by whoever may see
    it and handle it or raised it; each checked by its bytes, the same picture kept once.
    Returns how many were new."""
    appeal = _locked(appeal)
    if actor is not None and not may_see(actor, appeal):
        raise OutOfScope(Appeal, appeal.pk)
    if actor is not None and not (
        appeal_desk(actor).covers(appeal)
        or (
            appeal.household_id is not None
            and actor.own_household_id(REPORT) == appeal.household_id
        )
    ):
        raise PermissionDenied
    if appeal.state == AppealState.CLOSED:
        raise ValidationError(
            {"photos": _("Appeal %(number)s is closed.") % {"number": appeal.number}}
        )
    if not photos_sent:
        raise ValidationError({"photos": _("Choose the photos to send.")})
    known = set(AppealPhoto.objects.filter(appeal=appeal).values_list("digest", flat=True))
    checked = _check_photos(photos_sent, known=known)
    if not checked:
        raise Conflict(
            _("These photos were received already: nothing new was sent."), code="already_sent"
        )
    return _store_photos(actor, appeal, checked)


def appeal_photo_shown(*, actor: Actor | None, photo: AppealPhoto) -> None:
    """Each look at an appeal's photo is recorded (a photo may show a face or a house number).
    The caller found it through `selectors.photo_get`."""
    audit.record(
        action=AuditAction.REVEAL,
        actor=actor,
        obj=photo,
        changes={"appeal": photo.appeal.number},
    )
