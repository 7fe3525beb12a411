"""Every write to the registry: households, residents, their tags, organisations, posts, reveals.

Each function is one transaction, checks the actor's scope (actor None = a trusted system job
such as the demo builder), refuses a stale version (two workers editing one household cannot
overwrite each other), and writes the timeline and the audit trail.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from pypinyin import lazy_pinyin
from pypinyin.constants import PINYIN_DICT

from linli.core import audit, timeline
from linli.core.actors import Actor
from linli.core.choices import AuditAction
from linli.core.errors import check_version
from linli.core.models import Area
from linli.core.scoping import can, covers
from linli.core.validators import check_text_fields, normalise_mobile, parse_id_number

from . import events
from .choices import Relation, TagTarget
from .models import Household, HouseholdTag, Organisation, Post, Resident, ResidentTag, Tag

REVEALABLE_FIELDS = ("id_number", "mobile")
HOUSEHOLD_AREA_KINDS = {"village", "compound", "grid", "building", "community"}
# Search keys derived from the name and numbers: in the audit trail, not named on the timeline.
SEARCH_KEYS = ("name_pinyin", "name_initials", "id_number_reversed", "mobile_reversed")
# A change of these alone is no change a person made: nothing is recorded.
UNSHOWN = ("version", "updated_at")


@functools.cache
def _single_reading(char: str) -> str | None:
    """The pinyin of a character that has one reading only (None for polyphones like 单 and for
    anything that is not a Chinese character): it reads the same in every name."""
    readings = PINYIN_DICT.get(ord(char))
    if readings is None or "," in readings:
        return None
    return lazy_pinyin(char)[0].lower()


def name_pinyin(name: str) -> tuple[str, str]:
    """Full pinyin and initials for search: 刘志辉 → ("liuzhihui", "lzh")."""
    # Most names are made of characters with one reading, cached once each; a name with a
    # polyphone (单, 曾, 解 …) or anything else goes to pypinyin whole, which reads the context.
    syllables: list[str] = []
    for character in name:
        reading = _single_reading(character)
        if reading is None:
            syllables = [s.lower() for s in lazy_pinyin(name, errors="ignore") if s]
            break
        syllables.append(reading)
    # Each initial is its syllable's first letter (zh → z), as pypinyin's FIRST_LETTER style
    # gives it; one conversion instead of two halves the cost of an import's new names.
    return "".join(syllables), "".join(s[0] for s in syllables)


def _require(actor: Actor | None, obj, action: str) -> None:
    if actor is not None and not can(actor, obj, action):
        raise PermissionDenied


def _check_household_area(area: Area) -> None:
    if area.kind not in HOUSEHOLD_AREA_KINDS:
        raise ValidationError(
            {"area": _("A household belongs to a village, compound, grid or building.")}
        )


def _fill_identity(person: Resident) -> None:
    """Normalise the numbers and derive what follows from them (birth date, sex, search keys)."""
    # Before any parsing: an invisible character is named as such, not as a malformed number.
    check_text_fields(person, names=("name",), texts=("id_number", "mobile"))
    errors = {}
    try:
        facts = parse_id_number(person.id_number)
        person.id_number, person.birth_date, person.sex = facts.number, facts.birth_date, facts.sex
    except ValidationError as e:
        errors["id_number"] = e.messages
    person.mobile = normalise_mobile(person.mobile)
    if errors:
        raise ValidationError(errors)
    person.name = person.name.strip()
    person.name_pinyin, person.name_initials = name_pinyin(person.name)
    person.id_number_reversed = person.id_number[::-1]
    person.mobile_reversed = person.mobile[::-1]


def _validate_person(person: Resident) -> None:
    _fill_identity(person)
    person.full_clean(exclude=["household", "account"], validate_unique=False)
    clash = Resident.objects.filter(id_number=person.id_number).exclude(pk=person.pk)
    if clash.exists():
        raise ValidationError(
            {"id_number": _("A resident with this ID number is already registered.")}
        )


def _tag_links(target: str, tags: Iterable[tuple[Tag, str]]) -> list[tuple[Tag, str]]:
    cleaned = []
    for tag, detail in tags:
        if tag.target != target:
            raise ValidationError({"tags": _("Tag %(tag)s does not apply here.") % {"tag": tag}})
        detail = (detail or "").strip()
        if tag.detail_choices and detail not in tag.detail_choices:
            raise ValidationError(
                {
                    "tags": _("Tag %(tag)s needs one of: %(choices)s.")
                    % {"tag": tag, "choices": "、".join(tag.detail_choices)}
                }
            )
        cleaned.append((tag, detail))
    return cleaned


def _tags_snapshot(links) -> list[str]:
    return sorted(
        f"{link.tag.name}:{link.detail}" if link.detail else link.tag.name for link in links
    )


def _tags_of(record: Household | Resident) -> dict:
    """What the audit trail keeps of a household's or a person's tags, beside its fields."""
    return {"tags": _tags_snapshot(record.tag_links.select_related("tag"))}


# --- households ---------------------------------------------------------------------------


@transaction.atomic
def household_create(
    *,
    actor: Actor | None,
    area: Area,
    number: str,
    address: str,
    tags: Iterable[tuple[Tag, str]] = (),
) -> Household:
    if actor is not None and not covers(actor, area, "registry.add"):
        raise PermissionDenied
    _check_household_area(area)
    household = Household(area=area, number=number.strip(), address=address.strip())
    household.full_clean(exclude=["head"])
    household.save()
    _replace_household_tags(household, _tag_links(TagTarget.HOUSEHOLD, tags))
    audit.record_created(actor=actor, obj=household, alongside=_tags_of)
    events.HOUSEHOLD_REGISTERED.add(subject=household, actor=actor)
    return household


@transaction.atomic
def household_update(
    *,
    actor: Actor | None,
    household: Household,
    expected_version: int | None = None,
    address: str | None = None,
    number: str | None = None,
    area: Area | None = None,
    tags: Iterable[tuple[Tag, str]] | None = None,
) -> Household:
    household = Household.objects.select_for_update().get(pk=household.pk)
    _require(actor, household, "change")
    check_version(household.version, expected_version)
    change = audit.audited_change(actor=actor, obj=household, alongside=_tags_of, ignore=UNSHOWN)
    if area is not None and area.pk != household.area_id:
        if actor is not None and not covers(actor, area, "registry.change"):
            raise PermissionDenied
        _check_household_area(area)
        household.area = area
    if address is not None:
        household.address = address.strip()
    if number is not None:
        household.number = number.strip()
    household.full_clean(exclude=["head"])
    if tags is not None:
        _replace_household_tags(household, _tag_links(TagTarget.HOUSEHOLD, tags))
    household.version = F("version") + 1
    household.save()
    household.refresh_from_db()
    changed = change.record()
    if changed:
        events.HOUSEHOLD_CHANGED.add(
            subject=household, params=timeline.changed_fields(Household, changed), actor=actor
        )
    return household


def _replace_household_tags(household: Household, links: list[tuple[Tag, str]]) -> None:
    HouseholdTag.objects.filter(household=household).delete()
    HouseholdTag.objects.bulk_create(
        [HouseholdTag(household=household, tag=tag, detail=detail) for tag, detail in links]
    )


@transaction.atomic
def household_set_head(
    *, actor: Actor | None, household: Household, resident: Resident
) -> Household:
    household = Household.objects.select_for_update().get(pk=household.pk)
    _require(actor, household, "change")
    if resident.household_id != household.pk:
        raise ValidationError({"head": _("The head must be a member of this household.")})
    change = audit.audited_change(actor=actor, obj=household)
    old_head_id = household.head_id
    if old_head_id and old_head_id != resident.pk:
        Resident.objects.filter(pk=old_head_id).update(
            relation=Relation.OTHER, version=F("version") + 1
        )
    Resident.objects.filter(pk=resident.pk).update(relation=Relation.HEAD, version=F("version") + 1)
    household.head = resident
    household.version = F("version") + 1
    household.save(update_fields=["head", "version", "updated_at"])
    household.refresh_from_db()
    change.record()
    events.HEAD_NAMED.add(subject=household, params={"name": resident.name}, actor=actor)
    return household


# --- residents ----------------------------------------------------------------------------


@transaction.atomic
def resident_create(
    *,
    actor: Actor | None,
    household: Household,
    name: str,
    id_number: str,
    mobile: str = "",
    relation: str = Relation.OTHER,
    tags: Iterable[tuple[Tag, str]] = (),
) -> Resident:
    household = Household.objects.select_for_update().get(pk=household.pk)
    _require(actor, household, "change")
    person = Resident(
        household=household, name=name, id_number=id_number, mobile=mobile or "", relation=relation
    )
    _validate_person(person)
    links = _tag_links(TagTarget.RESIDENT, tags)
    if relation == Relation.HEAD and household.head_id:
        raise ValidationError({"relation": _("This household already has a head.")})
    person.save()
    ResidentTag.objects.bulk_create(
        [ResidentTag(resident=person, tag=t, detail=d) for t, d in links]
    )
    if relation == Relation.HEAD:
        Household.objects.filter(pk=household.pk).update(head=person, version=F("version") + 1)
    audit.record_created(actor=actor, obj=person, alongside=_tags_of)
    events.RESIDENT_REGISTERED.add(
        subject=person, params={"name": person.name, "number": household.number}, actor=actor
    )
    return person


@transaction.atomic
def resident_update(
    *,
    actor: Actor | None,
    resident: Resident,
    expected_version: int | None = None,
    name: str | None = None,
    id_number: str | None = None,
    mobile: str | None = None,
    relation: str | None = None,
    tags: Iterable[tuple[Tag, str]] | None = None,
) -> Resident:
    person = Resident.objects.select_for_update().select_related("household").get(pk=resident.pk)
    _require(actor, person, "change")
    check_version(person.version, expected_version)
    change = audit.audited_change(actor=actor, obj=person, alongside=_tags_of, ignore=UNSHOWN)
    for field, value in (
        ("name", name),
        ("id_number", id_number),
        ("mobile", mobile),
        ("relation", relation),
    ):
        if value is not None:
            setattr(person, field, value)
    _validate_person(person)
    if relation == Relation.HEAD and person.household.head_id not in (None, person.pk):
        raise ValidationError({"relation": _("This household already has a head.")})
    if tags is not None:
        links = _tag_links(TagTarget.RESIDENT, tags)
        ResidentTag.objects.filter(resident=person).delete()
        ResidentTag.objects.bulk_create(
            [ResidentTag(resident=person, tag=t, detail=d) for t, d in links]
        )
    person.version = F("version") + 1
    person.save()
    person.refresh_from_db()
    if relation == Relation.HEAD and person.household.head_id is None:
        Household.objects.filter(pk=person.household_id).update(
            head=person, version=F("version") + 1
        )
    changed = change.record()
    if changed:
        events.RESIDENT_CHANGED.add(
            subject=person,
            params={"name": person.name}
            | timeline.changed_fields(Resident, [k for k in changed if k not in SEARCH_KEYS]),
            actor=actor,
        )
    return person


@transaction.atomic
def resident_move(*, actor: Actor | None, resident: Resident, household: Household) -> Resident:
    """迁户 — a person leaves their household for another. If they headed the old household,
    it is left without a head until one is named."""
    person = Resident.objects.select_for_update().select_related("household").get(pk=resident.pk)
    target = Household.objects.select_for_update().get(pk=household.pk)
    _require(actor, person, "change")
    _require(actor, target, "change")
    if person.household_id == target.pk:
        return person
    change = audit.audited_change(actor=actor, obj=person)
    old = person.household
    if old.head_id == person.pk:
        Household.objects.filter(pk=old.pk).update(head=None, version=F("version") + 1)
    person.household = target
    person.version = F("version") + 1
    person.save(update_fields=["household", "version", "updated_at"])
    person.refresh_from_db()
    change.record()
    params = {"name": person.name, "from": old.number, "to": target.number}
    for subject in (old, target):
        events.RESIDENT_MOVED.add(subject=subject, params=params, actor=actor)
    return person


@transaction.atomic
def resident_reveal(*, actor: Actor | None, resident: Resident, field: str, reason: str) -> str:
    """查看明文 — show one masked value in full. Needs the reveal permission over the resident's
    area and a stated reason. Each reveal is in the audit trail; a refused one is recorded as a
    denial by the middleware that sees the 403/404."""
    reason = (reason or "").strip()
    if field not in REVEALABLE_FIELDS:
        raise ValidationError({"field": _("This field cannot be revealed.")})
    if len(reason) < 2:
        raise ValidationError({"reason": _("Please state why you need to see the full value.")})
    if actor is None or not can(actor, resident, "reveal"):
        raise PermissionDenied
    audit.record(
        action=AuditAction.REVEAL,
        actor=actor,
        obj=resident,
        object_repr=resident.name,
        changes={"field": field},
        reason=reason,
    )
    return getattr(resident, field)


# --- tags, organisations, posts -----------------------------------------------------------


def _require_permission(actor: Actor | None, perm: str) -> None:
    if actor is not None and not actor.has_permission(perm):
        raise PermissionDenied


@transaction.atomic
def tag_save(*, actor: Actor | None, tag: Tag | None = None, **fields) -> Tag:
    """Create or edit one entry of a tag vocabulary (administrators only)."""
    _require_permission(actor, "tags.manage")
    tag = tag or Tag()
    change = audit.audited_change(actor=actor, obj=tag)
    for name, value in fields.items():
        setattr(tag, name, value)
    tag.full_clean()
    tag.save()
    change.record()
    return tag


@transaction.atomic
def organisation_create(
    *,
    actor: Actor | None,
    name: str,
    kind: str,
    area: Area,
    parent: Organisation | None = None,
    address: str = "",
) -> Organisation:
    """组织 — register an organisation in an area inside the actor's organisation.change grant,
    optionally under a parent organisation in the same area or an area above it."""
    _require_permission(actor, "organisation.change")
    _require_organisation_scope(actor, area)
    org = Organisation(
        name=name.strip(), kind=kind, area=area, parent=parent, address=address.strip()
    )
    org.full_clean()
    _check_organisation_parent(actor, org)
    org.save()
    audit.record_created(actor=actor, obj=org)
    return org


@transaction.atomic
def post_create(
    *,
    actor: Actor | None,
    holder_name: str,
    kind: str,
    area: Area,
    starts_on,
    organisation=None,
    ends_on=None,
    title: str = "",
    holder: Resident | None = None,
    account=None,
) -> Post:
    """职务 — record who holds a post, serving an area inside the actor's organisation.change
    grant, at an organisation the actor can see, from when (and until when, if known)."""
    _require_permission(actor, "organisation.change")
    _require_organisation_scope(actor, area)
    post = Post(
        holder_name=holder_name.strip(),
        kind=kind,
        area=area,
        starts_on=starts_on,
        organisation=organisation,
        ends_on=ends_on,
        title=title.strip(),
        holder=holder,
        account=account,
    )
    post.full_clean()
    _check_post_links(actor, post)
    if post.ends_on and post.ends_on < post.starts_on:
        raise ValidationError({"ends_on": _("A post cannot end before it starts.")})
    post.save()
    audit.record_created(actor=actor, obj=post)
    return post


@transaction.atomic
def resident_link_account(*, actor: Actor | None, resident: Resident, account) -> Resident:
    """Let a resident log in: link their registry record to a login account (None unlinks)."""
    _require_permission(actor, "accounts.manage")
    person = Resident.objects.select_for_update().get(pk=resident.pk)
    taken = Resident.objects.filter(account=account).exclude(pk=person.pk)
    if account is not None and taken.exists():
        raise ValidationError(
            {"account": _("This login account already belongs to another resident.")}
        )
    change = audit.audited_change(actor=actor, obj=person)
    person.account = account
    person.version = F("version") + 1
    person.save(update_fields=["account", "version", "updated_at"])
    person.refresh_from_db()
    change.record()
    (events.ACCOUNT_LINKED if account else events.ACCOUNT_REMOVED).add(subject=person, actor=actor)
    return person


# --- organisations and posts: edits and their checks ------------------------------------


class _Unchanged:
    """The default of an optional argument that may also be set to None (e.g. no parent)."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED = _Unchanged()


def _require_organisation_scope(actor: Actor | None, area: Area) -> None:
    if actor is not None and not covers(actor, area, "organisation.change"):
        raise PermissionDenied


def _is_within(organisation_pk: int, candidate: Organisation) -> bool:
    """Whether `candidate` is the organisation itself or below it (walks up, one query a level;
    organisation trees are a few levels deep)."""
    seen: set[int] = set()
    node: Organisation | None = candidate
    while node is not None and node.pk not in seen:
        if node.pk == organisation_pk:
            return True
        seen.add(node.pk)
        node = node.parent
    return False


def _check_organisation_parent(actor: Actor | None, org: Organisation) -> None:
    """The parent must be visible to the actor, not the organisation or one below it, and in
    the same area or an area above (a 村党支部 sits under its community's 党总支)."""
    parent = org.parent
    if parent is None:
        return
    if actor is not None and not can(actor, parent, "view"):
        raise ValidationError({"parent": _("Choose a parent organisation from the list.")})
    if org.pk is not None and _is_within(org.pk, parent):
        raise ValidationError(
            {
                "parent": _(
                    "An organisation cannot be placed under itself "
                    "or under one of its own sub-organisations."
                )
            }
        )
    if not org.area.path.startswith(parent.area.path):
        raise ValidationError(
            {
                "parent": _(
                    "The parent organisation must be in the same area as this one "
                    "or in an area above it."
                )
            }
        )


def _check_organisation_children(org: Organisation) -> None:
    """After an area change the sub-organisations must still be inside the new area."""
    if org.children.exclude(area__path__startswith=org.area.path).exists():
        raise ValidationError(
            {
                "area": _(
                    "Some organisations under this one are outside the new area; move them first."
                )
            }
        )


@transaction.atomic
def organisation_update(
    *,
    actor: Actor | None,
    organisation: Organisation,
    name: str | None = None,
    kind: str | None = None,
    area: Area | None = None,
    parent: Organisation | None | _Unchanged = UNCHANGED,
    address: str | None = None,
) -> Organisation:
    """Change an organisation's name, kind, area, parent (None removes the parent) or address;
    None keeps a field. No version check: organisations are short records kept by administrators,
    and the row lock keeps two saves from interleaving. Audited with before and after."""
    org = (
        Organisation.objects.select_for_update(of=("self",))
        .select_related("area", "parent")
        .get(pk=organisation.pk)
    )
    _require(actor, org, "change")
    change = audit.audited_change(actor=actor, obj=org)
    if name is not None:
        org.name = name.strip()
    if kind is not None:
        org.kind = kind
    if area is not None and area.pk != org.area_id:
        _require_organisation_scope(actor, area)
        org.area = area
    if not isinstance(parent, _Unchanged):
        org.parent = parent
    if address is not None:
        org.address = address.strip()
    org.full_clean()
    _check_organisation_parent(actor, org)
    _check_organisation_children(org)
    org.save()
    change.record()
    return org


def _check_post_links(actor: Actor | None, post: Post) -> None:
    """The organisation and the registry record must be ones the actor can see; the login
    account must be one that can log in."""
    errors = {}
    if actor is not None and post.organisation is not None:
        visible = can(actor, post.organisation, "view")
        if not visible:
            errors["organisation"] = [_("Choose an organisation from the list.")]
    if post.holder is not None and actor is not None and not can(actor, post.holder, "view"):
        errors["holder"] = [_("Choose a resident from the list.")]
    if post.account is not None and not post.account.is_active:
        errors["account"] = [_("This login account is switched off; choose an active one.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def post_end(*, actor: Actor | None, post: Post, ends_on) -> Post:
    """卸任 — record the last day of a post (or correct it). Refuses a day before the post
    began. Audited with before and after."""
    post = Post.objects.select_for_update().select_related("area").get(pk=post.pk)
    _require(actor, post, "change")
    if ends_on is None:
        raise ValidationError({"ends_on": _("Give the last day of the post.")})
    if ends_on < post.starts_on:
        raise ValidationError({"ends_on": _("A post cannot end before it starts.")})
    change = audit.audited_change(actor=actor, obj=post)
    post.ends_on = ends_on
    post.save(update_fields=["ends_on"])
    change.record()
    return post
