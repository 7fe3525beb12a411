"""Every write of the five links and visits module 五联与走访: visits and the needs they find,
handing a need on to the service hall or raising it as an appeal 诉求, contact assignments
联系责任, visit policies 走访频次.

Each function is keyword-only and one transaction. It checks the actor's scope (`actor` None
is a trusted system job such as the demo builder): a record outside it is `OutOfScope` (404,
nothing given away), a role that may see but not act is `PermissionDenied`. Bad input is a
`ValidationError` naming the field, and nothing is written. Each write goes to the audit trail
and to the timeline of the household (or person, or area) it concerns; jobs are queued with
`transaction.on_commit`, so work rolled back queues nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linli.accounts.models import User
from linli.appeals import services as appeal_services
from linli.appeals.choices import AppealChannel
from linli.core import audit, photos
from linli.core.actors import Actor
from linli.core.choices import AreaKind
from linli.core.errors import check_version
from linli.core.jobs import enqueue_on_commit, enqueue_once_on_commit
from linli.core.models import Area
from linli.core.scoping import OutOfScope, covers
from linli.core.timeline import Event
from linli.core.validators import clean_text
from linli.hall.applications import services as hall_services
from linli.hall.choices import ApplicationChannel
from linli.registry.choices import OrganisationKind, PostKind
from linli.registry.models import Household, HouseholdTag, Organisation, Post, Resident, ResidentTag

from . import events, policies, tasks, workflow
from .choices import IntervalUnit, LinkLevel, NeedCategory, VisitChannel
from .models import ContactAssignment, Need, Visit, VisitPolicy
from .needs import handed_on

RECORD, ASSIGN, VIEW, POLICY = "visits.record", "visits.assign", "visits.view", "visits.policy"
BACKDATE_DAYS = 90  # a visit may be recorded up to this many days after it took place
MAX_NEEDS = 10
NEED_LENGTH = 300
NOTE_LENGTH = 1000
CLOSING_NOTE_LENGTH = 300
ASSIGNMENT_NOTE_LENGTH = 200
MAX_INTERVAL_DAYS = 366  # a policy asks for a visit at least once a year
PHOTO_DIR = "visits"  # under DATA_DIR
PHOTO_MAX_BYTES = 5 * 1024 * 1024
STALE_RECORD = gettext_lazy(
    "Someone else changed this record while you were looking at it. "
    "Reload the page to see what they did."
)

# The posts that may hold each post-held link (PostKind values).
LEADER_POSTS = frozenset({PostKind.DISTRICT_LEADER})
CADRE_POSTS = frozenset(
    {
        PostKind.FIRST_SECRETARY,
        PostKind.CIVIL_SERVANT,
        PostKind.GRADUATE_VILLAGE_OFFICIAL,
        PostKind.AGENCY_CADRE,
        PostKind.GENERAL_BRANCH_SECRETARY,
        PostKind.GENERAL_BRANCH_MEMBER,
        PostKind.HALL_STAFF,
        PostKind.OTHER,
    }
)
VILLAGE_CADRE_POSTS = frozenset(
    {
        PostKind.VILLAGE_BRANCH_SECRETARY,
        PostKind.VILLAGE_COMMITTEE_DIRECTOR,
        PostKind.GRID_WORKER,
    }
)


@dataclass(frozen=True)
class NeedInput:
    """One need found on a visit, as the form or the API gives it."""

    category: str
    description: str


# --- small helpers ----------------------------------------------------------------------------


def _today() -> dt.date:
    return timezone.localdate()


def _user(actor: Actor | None) -> User | None:
    """The account to name as who acted; None for a system job."""
    return actor if isinstance(actor, User) else None


def _require_over(actor: Actor | None, area: Area, perm: str, model, pk) -> None:
    """`perm` over `area`; one who cannot even see visits there is told it does not exist."""
    if actor is None or covers(actor, area, perm):
        return
    if covers(actor, area, VIEW):
        raise PermissionDenied
    raise OutOfScope(model, pk)


def _village_of(area: Area) -> Area | None:
    """The village an area lies in (itself when it is one)."""
    if area.kind == AreaKind.VILLAGE:
        return area
    return Area.objects.filter(path__in=area.ancestor_paths(), kind=AreaKind.VILLAGE).first()


def _queue_coverage(area: Area) -> None:
    village = _village_of(area)
    enqueue_once_on_commit(tasks.refresh_village_coverage, village.pk if village else area.pk)


# --- visits -----------------------------------------------------------------------------------


def _check_visit_day(visited_on: dt.date, today: dt.date) -> None:
    if not isinstance(visited_on, dt.date) or isinstance(visited_on, dt.datetime):
        raise ValidationError({"visited_on": _("Give the date of the visit.")})
    if visited_on > today:
        raise ValidationError({"visited_on": _("A visit cannot be dated in the future.")})
    if visited_on < today - dt.timedelta(days=BACKDATE_DAYS):
        raise ValidationError(
            {
                "visited_on": _("A visit can be recorded up to %(days)s days after it took place.")
                % {"days": BACKDATE_DAYS}
            }
        )


def _check_channel(channel) -> str:
    if channel not in VisitChannel.values:
        raise ValidationError({"channel": _("Choose how the contact was made.")})
    return str(channel)


def _clean_need(category, description, field: str = "") -> tuple[str, str]:
    if category not in NeedCategory.values:
        raise ValidationError({f"{field}category": _("Choose the category of the need.")})
    text = clean_text(
        description,
        f"{field}description",
        NEED_LENGTH,
        required=_("Describe the need in a few words."),
    )
    return str(category), text


def _clean_needs(needs: Iterable) -> list[tuple[str, str]]:
    needs = list(needs or ())
    if len(needs) > MAX_NEEDS:
        raise ValidationError(
            {"needs": _("At most %(count)s needs on one visit.") % {"count": MAX_NEEDS}}
        )
    return [_clean_need(n.category, n.description, f"needs.{i}.") for i, n in enumerate(needs)]


def _photo_kind(photo) -> tuple[str, str]:
    """(extension, content type) of an uploaded photo, checked by size and by its bytes."""
    try:
        kind = photos.photo_kind(photo, max_bytes=PHOTO_MAX_BYTES)
    except photos.PhotoRefused as refused:
        if refused.reason == "too_large":
            message = _("The photo is larger than 5 MB: take a smaller one.")
        else:
            message = _("The photo must be a JPEG, PNG or WebP picture.")
        raise ValidationError({"photo": message}) from None
    return kind.extension, kind.content_type


def _store_photo(photo, extension: str) -> str:
    return photos.store_photo(photo, folder=PHOTO_DIR, extension=extension)


def _assignment_for(
    actor: Actor | None, household: Household, on: dt.date
) -> ContactAssignment | None:
    """The actor's link in force on `on` that covers the household: the household itself, an
    area it lies in, or a person living in it; the closest (highest) level first."""
    user = _user(actor)
    if user is None:
        return None
    return (
        ContactAssignment.objects.filter(contact_account=user, starts_on__lte=on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .filter(
            Q(household=household)
            | Q(resident__household=household)
            | Q(area__path__in=household.area.ancestor_paths())
        )
        .order_by("-level", "id")
        .first()
    )


def _visitor_name(actor: Actor | None) -> str:
    user = _user(actor)
    return (str(user) if user is not None else _("system"))[:100]


@transaction.atomic
def visit_record(
    *,
    actor: Actor | None,
    household: Household,
    channel: str,
    visited_on: dt.date | None = None,
    note: str = "",
    needs: Iterable[NeedInput] = (),
    photo=None,
) -> Visit:
    """走访 — record one contact with a household (today unless told otherwise, up to 90
    days back), the needs it found and an optional photo. The visit counts for the link the
    actor holds over the household, and the household's next due date moves on."""
    household = Household.objects.select_related("area").get(pk=household.pk)
    _require_over(actor, household.area, RECORD, Household, household.pk)
    today = _today()
    visited_on = visited_on or today
    _check_visit_day(visited_on, today)
    channel = _check_channel(channel)
    note = clean_text(note, "note", NOTE_LENGTH)
    found = _clean_needs(needs)
    photo_kind = _photo_kind(photo) if photo else None
    assignment = _assignment_for(actor, household, visited_on)
    visit = Visit.objects.create(
        household=household,
        area=household.area,
        visited_on=visited_on,
        channel=channel,
        visitor=_user(actor),
        visitor_name=_visitor_name(actor),
        assignment=assignment,
        link_level=assignment.level if assignment else None,
        note=note,
        photo_type=photo_kind[1] if photo_kind else "",
    )
    rows = Need.objects.bulk_create(
        Need(visit=visit, household=household, category=c, description=d, found_on=visited_on)
        for c, d in found
    )
    if photo_kind:
        # Last, so that nothing that can still fail leaves a stored photo behind.
        visit.photo = _store_photo(photo, photo_kind[0])
        visit.save(update_fields=["photo"])
    found_needs = {"needs": [[n.category, n.description] for n in rows]}
    audit.record_created(actor=actor, obj=visit, alongside=lambda visit: found_needs)
    events.VISITED[channel].add(
        subject=household,
        params={"visitor": visit.visitor_name, "date": visited_on.isoformat()},
        actor=actor,
        data={"visit": visit.pk, "needs": len(rows)},
    )
    policies.states_refresh(household_ids=[household.pk], today=today)
    _queue_coverage(household.area)
    return visit


# --- needs ------------------------------------------------------------------------------------


def _locked_need(need: Need) -> Need:
    # Lock the need alone: FOR UPDATE may not reach the nullable side of the joins.
    Need.objects.select_for_update().filter(pk=need.pk).first()
    related = ("household__area", "household__head", "visit")
    locked = Need.objects.select_related(*related).filter(pk=need.pk).first()
    if locked is None:
        raise OutOfScope(Need, need.pk)
    return locked


def _check_open(need: Need, action: str) -> None:
    """The need workflow allows `action` (`workflow.refusal`, which the visit page asks too);
    else why not, in words."""
    refused = workflow.refusal(action, status=need.status, handed_on=handed_on(need))
    if refused == workflow.Refusal.HANDED_ON and need.application_id is not None:
        raise ValidationError(
            _("This need is already handed on to the service hall."), code="handed_on"
        )
    if refused == workflow.Refusal.HANDED_ON:
        raise ValidationError(_("This need is already raised as an appeal."), code="handed_on")
    if refused == workflow.Refusal.CLOSED:
        raise ValidationError(
            _("This need is already closed (%(status)s).") % {"status": need.get_status_display()},
            code="closed",
        )


def _need_event(need: Need, event: Event, actor: Actor | None, **params) -> None:
    event.add(
        subject=need.household,
        params={"description": need.description, **params},
        actor=actor,
        data={"need": need.pk, "visit": need.visit_id},
    )


@transaction.atomic
def need_add(*, actor: Actor | None, visit: Visit, category: str, description: str) -> Need:
    """A need found on a visit already recorded (remembered afterwards)."""
    visit = Visit.objects.select_related("household__area").get(pk=visit.pk)
    _require_over(actor, visit.household.area, RECORD, Visit, visit.pk)
    category, description = _clean_need(category, description)
    need = Need.objects.create(
        visit=visit,
        household=visit.household,
        category=category,
        description=description,
        found_on=visit.visited_on,
    )
    audit.record_created(actor=actor, obj=need)
    _need_event(need, events.NEED_FOUND, actor)
    _queue_coverage(visit.household.area)
    return need


def _applicant(need: Need, resident: Resident | None) -> Resident:
    resident = resident or need.household.head
    if resident is None:
        raise ValidationError(
            {"resident": _("The household has no head registered: choose the applicant.")}
        )
    if resident.household_id != need.household_id:
        raise ValidationError({"resident": _("Choose a member of this household.")})
    return resident


@transaction.atomic
def need_to_application(
    *,
    actor: Actor | None,
    need: Need,
    item,
    resident: Resident | None = None,
    materials_received: Iterable[str] = (),
):
    """转为服务申请 — hand a need on to the service hall in one step: an application for
    `item`, taken on the visit and submitted at once, for `resident` (the head of the household
    when not given). From then on the need's status follows the application."""
    need = _locked_need(need)
    _require_over(actor, need.household.area, RECORD, Need, need.pk)
    _check_open(need, workflow.Action.HAND_ON)
    applicant = _applicant(need, resident)
    application = hall_services.application_create(
        actor=actor,
        resident=applicant,
        item=item,
        channel=ApplicationChannel.VISIT,
        materials_received=materials_received,
        submit=True,
    )
    change = audit.audited_change(actor=actor, obj=need)
    need.application = application
    need.status = workflow.NEED_TABLE.next(need.status, workflow.Action.HAND_ON)
    need.version += 1
    need.save(update_fields=["application", "status", "version"])
    change.record()
    _need_event(need, events.NEED_HANDED_ON, actor, number=application.number)
    _queue_coverage(need.household.area)
    return application


@transaction.atomic
def need_to_appeal(
    *,
    actor: Actor | None,
    need: Need,
    category,
    reporter: Resident | None = None,
    description: str | None = None,
    address: str = "",
    photos_sent: Iterable = (),
):
    """转为诉求 — raise a need as an appeal in one step: in `category` (the category, its id or
    its code), concerning the household's place, reported by `reporter` (the head of the
    household when not given), described as the need was unless `description` says more. From
    then on the need's status follows the appeal."""
    need = _locked_need(need)
    _require_over(actor, need.household.area, RECORD, Need, need.pk)
    _check_open(need, workflow.Action.RAISE_APPEAL)
    reporter = reporter or need.household.head
    if reporter is None:
        raise ValidationError(
            {"reporter": _("The household has no head registered: choose who raised it.")}
        )
    if reporter.household_id != need.household_id:
        raise ValidationError({"reporter": _("Choose a member of this household.")})
    appeal = appeal_services.appeal_create(
        actor=actor,
        category=category,
        channel=AppealChannel.VISIT,
        area=need.household.area,
        description=need.description if description is None else description,
        address=address or need.household.address,
        reporter=reporter,
        photos_sent=list(photos_sent),
    )
    change = audit.audited_change(actor=actor, obj=need)
    need.appeal = appeal
    need.status = workflow.NEED_TABLE.next(need.status, workflow.Action.RAISE_APPEAL)
    need.version += 1
    need.save(update_fields=["appeal", "status", "version"])
    change.record()
    _need_event(need, events.NEED_RAISED_AS_APPEAL, actor, number=appeal.number)
    _queue_coverage(need.household.area)
    return appeal


@transaction.atomic
def need_close(
    *, actor: Actor | None, need: Need, resolved: bool, note: str, version: int | None = None
) -> Need:
    """Close a need that was not handed on: resolved on the spot, or closed without action;
    either way say what was done (or why nothing)."""
    need = _locked_need(need)
    _require_over(actor, need.household.area, RECORD, Need, need.pk)
    check_version(need.version, version, STALE_RECORD)
    action = workflow.Action.RESOLVE if resolved else workflow.Action.CLOSE
    _check_open(need, action)
    note = clean_text(
        note,
        "note",
        CLOSING_NOTE_LENGTH,
        required=_("Say what was done, or why nothing will be."),
    )
    change = audit.audited_change(actor=actor, obj=need)
    need.status = workflow.NEED_TABLE.next(need.status, action)
    need.closed_on = _today()
    need.closing_note = note
    need.version += 1
    need.save(update_fields=["status", "closed_on", "closing_note", "version"])
    change.record()
    _need_event(need, events.NEED_RESOLVED if resolved else events.NEED_CLOSED, actor, note=note)
    _queue_coverage(need.household.area)
    return need


# --- contact assignments ----------------------------------------------------------------------


def _contact_field(contact) -> str:
    for model, field in (
        (Post, "contact_post"),
        (Organisation, "contact_organisation"),
        (Household, "contact_household"),
        (Resident, "contact_resident"),
    ):
        if isinstance(contact, model):
            return field
    raise ValidationError({"contact": _("Choose a post, a department, a household or a person.")})


def _target_field(target) -> str:
    for model, field in ((Area, "area"), (Resident, "resident"), (Household, "household")):
        if isinstance(target, model):
            return field
    raise ValidationError({"target": _("Choose an area, a person or a household.")})


def _has_tag(link_model, owner_field: str, owner, name: str) -> bool:
    return link_model.objects.filter(**{owner_field: owner, "tag__name": name}).exists()


def _wrong_contact(level: int, expected: str) -> ValidationError:
    return ValidationError(
        {
            "contact": _("At link level %(level)s the contact must be %(expected)s.")
            % {"level": level, "expected": expected}
        }
    )


def _wrong_target(level: int, expected: str) -> ValidationError:
    return ValidationError(
        {
            "target": _("At link level %(level)s the one contacted must be %(expected)s.")
            % {"level": level, "expected": expected}
        }
    )


def _check_area_level(level: int, contact, target, posts, kind: str) -> None:
    if level == LinkLevel.DEPARTMENT:
        if not (isinstance(contact, Organisation) and contact.kind == OrganisationKind.DEPARTMENT):
            raise _wrong_contact(level, _("a district department"))
    elif not (isinstance(contact, Post) and contact.kind in posts):
        posts_expected: dict[int, str] = {
            LinkLevel.DISTRICT_LEADER: _("a district leader's post"),
            LinkLevel.CADRE: _("a street or community cadre's post"),
        }
        expected = posts_expected[level]
        raise _wrong_contact(level, expected)
    if not (isinstance(target, Area) and target.kind == kind):
        areas_expected: dict[str, str] = {
            AreaKind.STREET: _("a street"),
            AreaKind.COMMUNITY: _("a community"),
            AreaKind.VILLAGE: _("a village"),
        }
        expected = areas_expected[kind]
        raise _wrong_target(level, expected)


def _check_party_member_level(contact, target) -> None:
    level = LinkLevel.VILLAGE_CADRE
    is_cadre_post = isinstance(contact, Post) and contact.kind in VILLAGE_CADRE_POSTS
    if not (is_cadre_post or isinstance(contact, Resident)):
        raise _wrong_contact(level, _("a village cadre's post or a person"))
    member = isinstance(target, Resident) and _has_tag(
        ResidentTag, "resident", target, policies.PARTY_MEMBER_TAG
    )
    if not member:
        raise _wrong_target(level, _("a party member (a person tagged 党员)"))
    if isinstance(contact, Resident) and contact.pk == target.pk:
        raise ValidationError({"target": _("A party member cannot be their own contact.")})


def _check_central_household_level(contact, target) -> None:
    level = LinkLevel.CENTRAL_HOUSEHOLD
    central = isinstance(contact, Household) and _has_tag(
        HouseholdTag, "household", contact, policies.CENTRAL_HOUSEHOLD_TAG
    )
    if not central:
        raise _wrong_contact(level, _("a party-member central household (tagged 党员中心户)"))
    if not isinstance(target, Household):
        raise _wrong_target(level, _("a household"))
    if target.pk == contact.pk:
        raise ValidationError({"target": _("A central household cannot be its own contact.")})
    village = _village_of(contact.area)
    if village is None or not target.area.path.startswith(village.path):
        raise ValidationError(
            {"target": _("A central household keeps in touch with households of its own village.")}
        )


def _check_level(level, contact, target) -> None:
    if level not in LinkLevel.values:
        raise ValidationError({"level": _("Choose one of the five link levels.")})
    if level == LinkLevel.DISTRICT_LEADER:
        _check_area_level(level, contact, target, LEADER_POSTS, AreaKind.STREET)
    elif level == LinkLevel.DEPARTMENT:
        _check_area_level(level, contact, target, (), AreaKind.COMMUNITY)
    elif level == LinkLevel.CADRE:
        _check_area_level(level, contact, target, CADRE_POSTS, AreaKind.VILLAGE)
    elif level == LinkLevel.VILLAGE_CADRE:
        _check_party_member_level(contact, target)
    else:
        _check_central_household_level(contact, target)


def _contact_account(contact):
    if isinstance(contact, Post | Resident):
        return contact.account
    if isinstance(contact, Household) and contact.head is not None:
        return contact.head.account
    return None


def _contact_name(contact) -> str:
    if isinstance(contact, Post):
        return contact.holder_name
    if isinstance(contact, Household):
        head = contact.head.name if contact.head is not None else ""
        return f"{head}（{contact.number}）" if head else contact.number
    return contact.name


def _scope_area(target) -> Area:
    if isinstance(target, Area):
        return target
    if isinstance(target, Resident):
        return target.household.area
    return target.area


def _check_dates(starts_on, ends_on) -> None:
    if not isinstance(starts_on, dt.date):
        raise ValidationError({"starts_on": _("Give the first day of the assignment.")})
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("An assignment cannot end before it starts.")})


def _check_post_in_force(contact, starts_on: dt.date) -> None:
    if isinstance(contact, Post) and contact.ends_on and contact.ends_on < starts_on:
        raise ValidationError(
            {
                "contact": _("%(holder)s left this post on %(date)s.")
                % {"holder": contact.holder_name, "date": contact.ends_on.isoformat()}
            }
        )


def _check_no_overlap(contact_field: str, contact, target_field: str, target, starts_on, ends_on):
    overlapping = ContactAssignment.objects.filter(
        **{contact_field: contact, target_field: target}
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
    if ends_on is not None:
        overlapping = overlapping.filter(starts_on__lte=ends_on)
    existing = overlapping.first()
    if existing is not None:
        message = _(
            "%(contact)s is already assigned to %(target)s from %(start)s; end that "
            "assignment first."
        ) % {
            "contact": existing.contact_name,
            "target": existing.target_label,
            "start": existing.starts_on.isoformat(),
        }
        raise ValidationError({"target": ValidationError(message, code="duplicate")})


def _fresh(obj):
    """The record as stored now (with what the checks read), locked while the assignment is
    made so that two people assigning the same pair at once cannot both pass the overlap
    check."""
    model = type(obj)
    model.objects.select_for_update().filter(pk=obj.pk).first()
    related = {
        Area: (),
        Resident: ("household__area",),
        Household: ("area", "head"),
        Post: (),
        Organisation: (),
    }[model]
    return model.objects.select_related(*related).get(pk=obj.pk)


def _assignment_event(
    assignment: ContactAssignment, target, event: Event, actor: Actor | None, **params
):
    event.add(
        subject=target,
        params={"contact": assignment.contact_name, "level": assignment.level, **params},
        actor=actor,
        data={"assignment": assignment.pk},
    )


@transaction.atomic
def assignment_create(
    *,
    actor: Actor | None,
    level: int,
    contact,
    target,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    note: str = "",
) -> ContactAssignment:
    """联系责任 — who (`contact`: a Post, an Organisation, a central Household or a Resident)
    keeps in touch with whom (`target`: an Area, a Resident or a Household) at one of the five
    levels, from `starts_on` (until `ends_on`, if known). See the level rules in `_check_level`."""
    contact_field, target_field = _contact_field(contact), _target_field(target)
    contact, target = _fresh(contact), _fresh(target)
    scope_area = _scope_area(target)
    _require_over(actor, scope_area, ASSIGN, type(target), target.pk)
    _check_dates(starts_on, ends_on)
    note = clean_text(note, "note", ASSIGNMENT_NOTE_LENGTH)
    _check_level(level, contact, target)
    _check_post_in_force(contact, starts_on)
    _check_no_overlap(contact_field, contact, target_field, target, starts_on, ends_on)
    assignment = ContactAssignment.objects.create(
        level=level,
        **{contact_field: contact, target_field: target},
        contact_account=_contact_account(contact),
        contact_name=_contact_name(contact)[:100],
        scope_area=scope_area,
        starts_on=starts_on,
        ends_on=ends_on,
        note=note,
        created_by=_user(actor),
    )
    audit.record_created(actor=actor, obj=assignment)
    _assignment_event(
        assignment,
        target,
        events.ASSIGNED,
        actor,
        start=starts_on.isoformat(),
    )
    return assignment


def _target_label(target) -> str:
    if isinstance(target, Household):
        return target.number
    return str(target)


@transaction.atomic
def assignment_bulk_create(
    *,
    actor: Actor | None,
    level: int,
    contact,
    targets: Iterable,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    note: str = "",
) -> list[ContactAssignment]:
    """The same contact for several targets at once (a central household's 10–15 neighbours,
    a cadre's villages): all are made, or — when one is refused — none."""
    targets = list(targets or ())
    if not targets:
        raise ValidationError({"targets": _("Choose at least one target.")})
    keys = [(type(t), t.pk) for t in targets]
    if len(set(keys)) != len(keys):
        raise ValidationError({"targets": _("Each target may be given only once.")})
    made = []
    for target in targets:
        try:
            made.append(
                assignment_create(
                    actor=actor,
                    level=level,
                    contact=contact,
                    target=target,
                    starts_on=starts_on,
                    ends_on=ends_on,
                    note=note,
                )
            )
        except ValidationError as error:
            raise _for_target(error, target) from error
    return made


def _for_target(error: ValidationError, target) -> ValidationError:
    """A refusal of one target of several, named: the fields of a target become "targets"."""
    if not hasattr(error, "error_dict"):
        return ValidationError(
            {"targets": [f"{_target_label(target)}: {m}" for m in error.messages]}
        )
    fields: dict[str, list[str]] = {}
    for name, items in error.error_dict.items():
        key = "targets" if name == "target" else name
        messages = [m for e in items for m in e.messages]
        if key == "targets":
            messages = [f"{_target_label(target)}: {m}" for m in messages]
        fields.setdefault(key, []).extend(messages)
    return ValidationError(fields)


@transaction.atomic
def assignment_end(
    *,
    actor: Actor | None,
    assignment: ContactAssignment,
    ends_on: dt.date,
    version: int | None = None,
) -> ContactAssignment:
    """End a contact assignment on `ends_on` (its last day), or correct the end."""
    assignment = ContactAssignment.objects.select_for_update().get(pk=assignment.pk)
    assignment = ContactAssignment.objects.select_related(
        "scope_area", "area", "resident", "household"
    ).get(pk=assignment.pk)
    _require_over(actor, assignment.scope_area, ASSIGN, ContactAssignment, assignment.pk)
    check_version(assignment.version, version, STALE_RECORD)
    if not isinstance(ends_on, dt.date):
        raise ValidationError({"ends_on": _("Give the last day of the assignment.")})
    if ends_on < assignment.starts_on:
        raise ValidationError({"ends_on": _("An assignment cannot end before it starts.")})
    change = audit.audited_change(actor=actor, obj=assignment)
    assignment.ends_on = ends_on
    assignment.version += 1
    assignment.save(update_fields=["ends_on", "version"])
    change.record()
    target = assignment.area or assignment.resident or assignment.household
    _assignment_event(
        assignment,
        target,
        events.ASSIGNMENT_ENDS,
        actor,
        end=ends_on.isoformat(),
    )
    return assignment


# --- visit policies ---------------------------------------------------------------------------


def _check_policy(*, every, unit, tag, is_default: bool, policy: VisitPolicy | None) -> None:
    if unit not in IntervalUnit.values:
        raise ValidationError({"unit": _("Choose days, weeks or months.")})
    if not isinstance(every, int) or isinstance(every, bool) or every < 1:
        raise ValidationError({"every": _("Give a whole number of at least 1.")})
    if policies.interval_days(every, unit) > MAX_INTERVAL_DAYS:
        raise ValidationError({"every": _("Ask for a visit at least once a year.")})
    if is_default and tag is not None:
        raise ValidationError({"tag": _("The default policy is for households without a tag.")})
    if not is_default and tag is None:
        raise ValidationError({"tag": _("Choose the tag this policy is for.")})
    others = (
        VisitPolicy.objects.all() if policy is None else VisitPolicy.objects.exclude(pk=policy.pk)
    )
    if is_default and others.filter(is_default=True).exists():
        raise ValidationError({"is_default": _("There is a default policy already: edit that.")})
    if tag is not None and others.filter(tag=tag).exists():
        raise ValidationError(
            {"tag": _("%(tag)s has a policy already: edit that.") % {"tag": tag.name}}
        )


@transaction.atomic
def policy_save(
    *,
    actor: Actor | None,
    every: int,
    unit: str,
    tag=None,
    is_default: bool = False,
    active: bool = True,
    policy: VisitPolicy | None = None,
    version: int | None = None,
) -> VisitPolicy:
    """走访频次 — create or change a visit policy (administrators). Every household's due
    date is recomputed by a job once the change is committed."""
    if actor is not None and not actor.has_permission(POLICY):
        raise PermissionDenied
    if policy is not None:
        policy = VisitPolicy.objects.select_for_update().get(pk=policy.pk)
        check_version(policy.version, version, STALE_RECORD)
    _check_policy(every=every, unit=unit, tag=tag, is_default=is_default, policy=policy)
    policy = policy or VisitPolicy()
    change = audit.audited_change(actor=actor, obj=policy, exclude=("updated_at",))
    policy.every, policy.unit, policy.tag = every, unit, tag
    policy.is_default, policy.active = is_default, active
    policy.version = policy.version + 1 if policy.pk else 1
    policy.save()
    change.record()
    enqueue_on_commit(tasks.refresh_visit_states)
    return policy
