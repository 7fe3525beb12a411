"""Writes of residents-decide 由民做主 that every part of it shares: moving a matter from one
stage to the next (`matter_move`), and the checks that go with it.

Each write is one transaction: the matter is locked (`SELECT … FOR UPDATE`), its stage moves
only through `workflow.TABLE.next`, the time at each stage is kept (`StageSpell`), and the change
is audited and told on the matter's timeline. The parts of the module (proposing and
deliberating, votes, tasks and supervision, commitments) write through their own services and
call `matter_move` when they move a matter on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from linli.core import audit, counters
from linli.core.actors import Actor
from linli.core.choices import AreaKind
from linli.core.errors import Conflict, check_version
from linli.core.masking import MOBILE, NAME, mask
from linli.core.models import Area
from linli.core.notify import notify
from linli.core.scoping import OutOfScope, can, covers
from linli.core.timeline import changed_fields
from linli.core.validators import clean_text, text_problem
from linli.registry.models import Organisation, Resident

from . import events
from .choices import AttendeeRole, ClosedBecause, MatterChannel, MeetingKind, PanelKind, Stage
from .models import (
    Matter,
    MatterCategory,
    MatterOption,
    MatterSupport,
    Meeting,
    MeetingInvitee,
    Opinion,
    Panel,
    PanelMember,
    StageSpell,
)
from .workflow import FINAL_STAGES, OPEN_STAGES, TABLE, Action

VIEW = "decide.view"
MANAGE = "decide.manage"  # the community's staff: take up, merge, meetings, votes, tasks
REGISTRY_VIEW = "registry.view"  # who may read people's names in the registry


def require_in_area(actor: Actor | None, area: Area, perm: str) -> None:
    """The actor holds `perm` over `area` (None: the system, allowed): else 404 for one who
    cannot see the area's matters, 403 for one who sees but may not do this."""
    if actor is None or covers(actor, area, perm):
        return
    if covers(actor, area, VIEW):
        raise PermissionDenied
    raise OutOfScope(Area, area.pk)


def locked(matter: Matter | int) -> Matter:
    """The matter, re-read under a row lock (inside the caller's transaction)."""
    pk = matter.pk if isinstance(matter, Matter) else matter
    return (
        Matter.objects.select_for_update(of=("self",)).select_related("area", "category").get(pk=pk)
    )


@transaction.atomic
def matter_move(
    *,
    actor: Actor | None,
    matter: Matter | int,
    action: str,
    note: str = "",
    expected_version: int | None = None,
    **changes,
) -> Matter:
    """Move the matter by `action` (`workflow.Action`): refused with a clear message when the
    table does not allow it at its stage; `changes` are other fields set in the same write
    (`closed_because`, `merged_into`, `decision` …). Sending it back starts a new round."""
    matter = locked(matter)
    check_version(matter.version, expected_version)
    to = TABLE.next(matter.stage, action)
    change = audit.audited_change(actor=actor, obj=matter)
    before = matter.stage
    now = timezone.now()
    StageSpell.objects.filter(matter=matter, left_at__isnull=True).update(left_at=now)
    if action == Action.SEND_BACK:
        matter.round += 1
    matter.stage, matter.stage_since = to, now
    for field, value in changes.items():
        setattr(matter, field, value)
    matter.version += 1
    matter.save()
    if to not in (Stage.DONE, Stage.CLOSED):
        StageSpell.objects.create(matter=matter, stage=to, round=matter.round, entered_at=now)
    change.record()
    events.MOVED[action].add(
        subject=matter,
        params={"note": note, "round": matter.round},
        data={"from": before, "to": to},
        actor=actor,
    )
    return matter


# --- proposing and deliberating 民主提事、民主议事 ---------------------------------------------------
#
# Each function below is keyword-only and one transaction. Who acts is checked first: a matter
# or place the actor cannot see is `OutOfScope` (404), one they see but may not act on is
# `PermissionDenied` (403). Bad input is a `ValidationError` naming the field, and nothing is
# stored; a matter changed by someone else since the page showed it is a `Conflict` (409).
# `actor` None is a trusted system job (the demo builder).

PROPOSE = "decide.propose"
PARTICIPATE = "decide.participate"
ADVISE = "decide.advise"
CATEGORIES = "decide.categories"

NUMBER_PREFIX = "YS"  # 议事
NUMBER_DIGITS = 6
NUMBER_COUNTER = "decide.matter"

TITLE_LENGTH = 100
DESCRIPTION_LENGTH = 2000
NOTE_LENGTH = 500
OPINION_LENGTH = 1000
OPTION_LENGTH = 1000
AGENDA_LENGTH = 2000
MINUTES_LENGTH = 5000

# The 14 categories 事项类别 (the source names the first five), as data the administrator
# edits: `categories_install` writes those not there yet.
DEFAULT_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("JJFW", "家居服务", "家政、维修、养老助餐等上门服务"),
    ("GGFW", "公共服务", "便民设施、公共服务场所和办事服务"),
    ("JZHJ", "居住环境服务", "环境卫生、绿化、违章建筑、楼院整治"),
    ("YLFW", "医疗服务", "社区卫生、义诊、送医到户"),
    ("WHFW", "文化服务", "文体活动、场地、图书室"),
    ("SCJY", "市场经营", "早市、摊点、占道经营"),
    ("JTCX", "交通出行", "道路、停车、公交和非机动车"),
    ("WYGL", "物业管理", "物业服务、维修资金、业主事务"),
    ("AQFF", "安全防范", "治安、消防、安全隐患"),
    ("YLFZ", "养老服务", "老年人关爱、日间照料"),
    ("ETQS", "妇女儿童", "妇女儿童关爱、托育和课后服务"),
    ("LLHM", "邻里和睦", "邻里关系、公约和文明创建"),
    ("JSGZ", "旧城改造", "老旧小区改造、征收和拆迁"),
    ("QTSX", "其他事项", "其他需要居民商议的事项"),
)


def _user(actor: Actor | None):
    from linli.accounts.models import User

    return actor if isinstance(actor, User) else None


def _today():
    return timezone.localdate()


def community_of(area: Area) -> Area | None:
    """The community 社区 the area is (or lies in), or None above or outside one."""
    if area.kind == AreaKind.COMMUNITY:
        return area
    return area.ancestors().filter(kind=AreaKind.COMMUNITY).first()


def _require_categories_manager(actor: Actor | None) -> None:
    if actor is not None and not actor.has_permission(CATEGORIES):
        raise PermissionDenied


# --- categories 事项类别 -----------------------------------------------------------------------------


def _category_fields(name, description) -> tuple[str, str]:
    name = clean_text(name, "name", 40, required=_("Give the category a name."))
    problem = text_problem(name, name=True)
    if problem:
        message, params = problem
        raise ValidationError({"name": _(message) % {"field": _("name"), **params}})
    return name, clean_text(description, "description", 200)


@transaction.atomic
def category_create(
    *, actor: Actor | None, code: str, name: str, description: str = "", sort_order: int = 100
) -> MatterCategory:
    """A new matter category (`decide.categories`: the administrator)."""
    _require_categories_manager(actor)
    code = clean_text(code, "code", 20, required=_("Give the category a code.")).upper()
    name, description = _category_fields(name, description)
    if MatterCategory.objects.filter(code=code).exists():
        raise ValidationError(
            {"code": _("Another category has the code %(code)s.") % {"code": code}}
        )
    if MatterCategory.objects.filter(name=name).exists():
        raise ValidationError({"name": _("Another category is called %(name)s.") % {"name": name}})
    category = MatterCategory.objects.create(
        code=code, name=name, description=description, sort_order=sort_order
    )
    audit.record_created(actor=actor, obj=category)
    events.CATEGORY_CREATED.add(subject=category, params={"code": code}, actor=actor)
    return category


@transaction.atomic
def category_revise(
    *,
    actor: Actor | None,
    category: MatterCategory,
    name: str | None = None,
    description: str | None = None,
    sort_order: int | None = None,
) -> MatterCategory:
    """Rename a category, or change its description or its place in the list. Matters keep
    their category; a revision that changes nothing is refused."""
    _require_categories_manager(actor)
    category = MatterCategory.objects.select_for_update().get(pk=category.pk)
    new_name, new_description = _category_fields(
        category.name if name is None else name,
        category.description if description is None else description,
    )
    if MatterCategory.objects.filter(name=new_name).exclude(pk=category.pk).exists():
        raise ValidationError(
            {"name": _("Another category is called %(name)s.") % {"name": new_name}}
        )
    change = audit.audited_change(actor=actor, obj=category)
    category.name, category.description = new_name, new_description
    if sort_order is not None:
        category.sort_order = sort_order
    category.save()
    changed = change.record()
    if not changed:
        raise ValidationError(_("Nothing has changed."), code="unchanged")
    events.CATEGORY_REVISED.add(
        subject=category, params=changed_fields(MatterCategory, changed), actor=actor
    )
    return category


@transaction.atomic
def category_set_offered(
    *, actor: Actor | None, category: MatterCategory, offered: bool
) -> MatterCategory:
    """Withdraw a category (or offer it again): matters already raised go on; a withdrawn one
    takes no new ones."""
    _require_categories_manager(actor)
    category = MatterCategory.objects.select_for_update().get(pk=category.pk)
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


def categories_install(*, actor: Actor | None) -> int:
    """Write the 14 default categories that are not there yet; returns how many were made."""
    made = 0
    for order, (code, name, description) in enumerate(DEFAULT_CATEGORIES, start=1):
        if not MatterCategory.objects.filter(code=code).exists():
            category_create(
                actor=actor, code=code, name=name, description=description, sort_order=order
            )
            made += 1
    return made


def _offered_category(category) -> MatterCategory:
    if isinstance(category, MatterCategory):
        category = category.pk
    found = None
    if isinstance(category, int) and not isinstance(category, bool):
        found = MatterCategory.objects.filter(pk=category).first()
    elif isinstance(category, str) and category.strip():
        found = MatterCategory.objects.filter(code=category.strip().upper()).first()
    if found is None:
        raise ValidationError({"category": _("Choose one of the categories offered.")})
    if not found.active:
        raise ValidationError(
            {"category": _("%(category)s is no longer offered.") % {"category": found.name}}
        )
    return found


# --- raising a matter 民主提事 -----------------------------------------------------------------------


def _area(area) -> Area:
    if isinstance(area, Area):
        area = area.pk
    found = None
    if isinstance(area, int) and not isinstance(area, bool):
        found = Area.objects.filter(pk=area).first()
    if found is None:
        raise ValidationError({"area": _("Choose the community or building the matter concerns.")})
    return found


def _matter_place(area: Area) -> Area:
    """The matter's place must be a community or lie in one; returns its community."""
    community = community_of(area)
    if community is None:
        raise ValidationError(
            {"area": _("A matter is raised in a community or one of its buildings.")}
        )
    return community


def _own_person(actor: Actor) -> Resident | None:
    person = getattr(actor, "resident_record", None)
    return person if isinstance(person, Resident) else None


def _resident(resident) -> Resident | None:
    if resident is None or resident == "":
        return None
    pk = resident.pk if isinstance(resident, Resident) else resident
    if not isinstance(pk, int) or isinstance(pk, bool):
        raise ValidationError({"resident": _("There is no such resident.")})
    found = Resident.objects.select_related("household__area").filter(pk=pk).first()
    if found is None:
        raise OutOfScope(Resident, pk)
    return found


def _lives_in(resident: Resident, community: Area) -> bool:
    return resident.household.area.path.startswith(community.path)


def _last_serial(prefix: str) -> int:
    last = (
        Matter.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return int(last[len(prefix) :]) if last else 0


def _insert_numbered(matter: Matter) -> None:
    """Insert with the day's next number (YS20261207000001), drawn as appeals' are."""
    prefix = f"{NUMBER_PREFIX}{_today():%Y%m%d}"
    serial = counters.draw(NUMBER_COUNTER, prefix, start=lambda: _last_serial(prefix), keep=2)
    matter.number = f"{prefix}{serial:0{NUMBER_DIGITS}d}"
    matter.save(force_insert=True)


def community_managers(area: Area):
    """The accounts that run the community's side of the matters at `area` (`decide.manage`
    granted over the area, at the community or below it): those told a matter waits."""
    from linli.accounts.models import Grant, User
    from linli.accounts.roles import ROLE_PERMISSIONS

    community = community_of(area) or area
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if MANAGE in perms]
    today = _today()
    paths = [p for p in area.ancestor_paths() if p.startswith(community.path)]
    grants = Grant.objects.filter(
        role__in=roles, area__path__in=paths, starts_on__lte=today
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    return User.objects.filter(pk__in=grants.values("user_id"), is_active=True).order_by("pk")


def _tell_managers(matter: Matter, message: str, key: str) -> None:
    for user in community_managers(matter.area):
        notify(
            message=message,
            params={"number": matter.number, "title": matter.title},
            to_user=user,
            subject=matter,
            dedupe_key=f"decide:{key}:{matter.pk}:{matter.version}:{user.pk}",
        )


def _tell_proposer(matter: Matter, message: str, key: str, **params) -> None:
    if matter.proposer_id is None:
        return
    notify(
        message=message,
        params={"number": matter.number, "title": matter.title, **params},
        to_resident=matter.proposer,
        subject=matter,
        dedupe_key=f"decide:{key}:{matter.pk}:{matter.version}",
    )


def _check_channel(actor: Actor | None, area: Area, channel) -> str:
    if channel in (None, ""):
        if actor is None:
            return MatterChannel.STAFF
        return MatterChannel.STAFF if covers(actor, area, MANAGE) else MatterChannel.COLLECTOR
    if channel not in (MatterChannel.COLLECTOR, MatterChannel.STAFF):
        raise ValidationError(
            {"channel": _("Staff raise a matter as an opinion collector or as staff.")}
        )
    return str(channel)


@transaction.atomic
def matter_propose(
    *,
    actor: Actor | None,
    category,
    title: str,
    description: str,
    area=None,
    resident=None,
    channel: str | None = None,
) -> Matter:
    """Raise a matter 民主提事. A resident raises one for themselves, in their own community (the
    place: their community, or the building their household is in); an opinion collector or
    community staff raise one on a named resident's behalf, in a place under their
    `decide.propose` grant, where the resident lives. The matter starts at propose."""
    if actor is not None and not actor.is_staff_member:
        person = _own_person(actor)
        if person is None or actor.own_household_id(PROPOSE) is None:
            raise PermissionDenied
        named = _resident(resident) if resident not in (None, "") else None
        if named is not None and named.pk != person.pk:
            raise ValidationError({"resident": _("A resident raises a matter in their own name.")})
        if channel not in (None, "", MatterChannel.RESIDENT_PHONE):
            raise ValidationError({"channel": _("A resident raises a matter on the phone.")})
        household_area = person.household.area
        place = household_area if area in (None, "") else _area(area)
        community = _matter_place(place)
        if not household_area.path.startswith(place.path):
            raise ValidationError(
                {"area": _("A resident raises a matter in their own community or building.")}
            )
        if area in (None, ""):
            place = community
        proposer, channel = person, MatterChannel.RESIDENT_PHONE
    else:
        if area in (None, ""):
            raise ValidationError(
                {"area": _("Choose the community or building the matter concerns.")}
            )
        place = _area(area)
        require_in_area(actor, place, PROPOSE)
        community = _matter_place(place)
        channel = _check_channel(actor, place, channel)
        named = _resident(resident)
        if named is None:
            raise ValidationError({"resident": _("Name the resident who raises the matter.")})
        proposer = named
        if not _lives_in(proposer, community):
            raise ValidationError(
                {
                    "resident": _("The resident named does not live in %(community)s.")
                    % {"community": community.name}
                }
            )
        if actor is not None and not can(actor, proposer, "view"):
            raise OutOfScope(Resident, proposer.pk)
    found = _offered_category(category)
    title = clean_text(title, "title", TITLE_LENGTH, required=_("Say in a few words what it is."))
    description = clean_text(
        description,
        "description",
        DESCRIPTION_LENGTH,
        required=_("Describe the matter: what is wrong and what you would like done."),
    )
    return _create_matter(
        actor=actor,
        category=found,
        area=place,
        title=title,
        description=description,
        channel=channel,
        proposer=proposer,
    )


def _create_matter(*, actor, category, area, title, description, channel, proposer, appeal=None):
    matter = Matter(
        category=category,
        area=area,
        title=title,
        description=description,
        channel=channel,
        proposer=proposer,
        household=proposer.household if proposer is not None else None,
        appeal=appeal,
        raised_by=_user(actor),
    )
    _insert_numbered(matter)
    StageSpell.objects.create(
        matter=matter, stage=Stage.PROPOSE, round=1, entered_at=matter.stage_since
    )
    audit.record_created(actor=actor, obj=matter)
    events.RAISED[channel].add(
        subject=matter,
        params={"title": title, "appeal": appeal.number if appeal is not None else ""},
        actor=actor,
    )
    _tell_managers(matter, gettext_noop("New matter %(number)s to consider: %(title)s"), "new")
    return matter


@transaction.atomic
def matter_from_appeal(
    *, actor: Actor | None, appeal, category, title: str = "", description: str = ""
) -> Matter:
    """Raise an appeal 诉求 to a matter in one step (`decide.manage` over its community): the
    appeal's reporter is the proposer, its description the matter's unless another is given;
    the two stay linked. An appeal is raised once."""
    from linli.appeals.models import Appeal
    from linli.appeals.selectors import may_see

    pk = appeal.pk if isinstance(appeal, Appeal) else appeal
    found = Appeal.objects.select_related("area", "reporter__household").filter(pk=pk).first()
    if found is None or (actor is not None and not may_see(actor, found)):
        raise OutOfScope(Appeal, pk)
    community = community_of(found.area)
    if community is None:
        raise ValidationError(_("The appeal's place is not in a community."))
    if actor is not None and not covers(actor, community, MANAGE):
        raise PermissionDenied
    existing = Matter.objects.filter(appeal=found).first()
    if existing is not None:
        raise Conflict(
            _("This appeal has already been raised as matter %(number)s.")
            % {"number": existing.number},
            code="raised",
        )
    category = _offered_category(category)
    title = clean_text(
        title or found.description[:TITLE_LENGTH],
        "title",
        TITLE_LENGTH,
        required=_("Say in a few words what it is."),
    )
    description = clean_text(
        description or found.description,
        "description",
        DESCRIPTION_LENGTH,
        required=_("Describe the matter: what is wrong and what you would like done."),
    )
    proposer = found.reporter
    if proposer is not None and not _lives_in(proposer, community):
        proposer = None
    return _create_matter(
        actor=actor,
        category=category,
        area=community,
        title=title,
        description=description,
        channel=MatterChannel.APPEAL,
        proposer=proposer,
        appeal=found,
    )


def _visible(actor: Actor | None, matter: Matter | int) -> Matter:
    """The matter, for an actor who may see it (staff through `decide.view`, a resident of its
    community through the board), else `OutOfScope`."""
    pk = matter.pk if isinstance(matter, Matter) else matter
    found = Matter.objects.select_related("area", "category").filter(pk=pk).first()
    if found is None:
        raise OutOfScope(Matter, pk)
    if actor is None:
        return found
    from .selectors import may_see

    if not may_see(actor, found):
        raise OutOfScope(Matter, pk)
    return found


def _require_open(matter: Matter, stages=None) -> None:
    stages = stages or OPEN_STAGES
    if matter.stage not in stages:
        raise Conflict(
            _("Matter %(number)s is at the stage “%(stage)s”: this is no longer possible.")
            % {"number": matter.number, "stage": matter.get_stage_display()},
            code="stage",
        )


SUPPORT_STAGES = frozenset({Stage.PROPOSE, Stage.DELIBERATE})


@transaction.atomic
def matter_support(*, actor: Actor, matter: Matter | int) -> MatterSupport:
    """附议 — a resident of the matter's community supports it, once."""
    found = _visible(actor, matter)
    person = _own_person(actor) if actor is not None else None
    if person is None or actor.own_household_id(PARTICIPATE) is None:
        raise PermissionDenied(_("Only a resident of the community can support a matter."))
    community = community_of(found.area)
    if community is None or not _lives_in(person, community):
        raise PermissionDenied(_("Only a resident of the community can support a matter."))
    found = locked(found)
    _require_open(found, SUPPORT_STAGES)
    already = Conflict(_("You have already supported this matter."), code="supported")
    if MatterSupport.objects.filter(matter=found, resident=person).exists():
        raise already
    try:
        with transaction.atomic():
            support = MatterSupport.objects.create(matter=found, resident=person)
    except IntegrityError:
        raise already from None
    audit.record_created(actor=actor, obj=support)
    events.SUPPORTED.add(subject=found, actor=actor)
    return support


@transaction.atomic
def opinion_add(
    *, actor: Actor | None, matter: Matter | int, text: str, resident=None, name: str = ""
) -> Opinion:
    """民意 — an opinion collector (`decide.propose` over the matter's place) writes down what a
    neighbour said, named (a resident of the community, or a name) or not; a resident of the
    community may write their own."""
    found = _visible(actor, matter)
    community = community_of(found.area)
    person = None
    if actor is not None and not actor.is_staff_member:
        person = _own_person(actor)
        if person is None or community is None or not _lives_in(person, community):
            raise PermissionDenied
        if actor.own_household_id(PARTICIPATE) is None:
            raise PermissionDenied
        name = ""
    else:
        _require_on(actor, found, PROPOSE)
        person = _resident(resident)
        if person is not None and (
            (actor is not None and not can(actor, person, "view"))
            or community is None
            or not _lives_in(person, community)
        ):
            raise ValidationError({"resident": _("Name a resident of the matter's community.")})
        name = clean_text(name, "name", 50)
        problem = text_problem(name, name=True) if name else None
        if problem:
            message, params = problem
            raise ValidationError({"name": _(message) % {"field": _("name"), **params}})
    text = clean_text(text, "text", OPINION_LENGTH, required=_("Write down what was said."))
    found = locked(found)
    _require_open(found, SUPPORT_STAGES)
    opinion = Opinion.objects.create(
        matter=found,
        resident=person,
        name="" if person is not None else name,
        text=text,
        collected_by=_user(actor),
    )
    audit.record_created(actor=actor, obj=opinion)
    events.OPINION_ADDED.add(subject=found, actor=actor)
    return opinion


def _require_on(actor: Actor | None, matter: Matter, perm: str) -> None:
    """The actor, who sees the matter, holds `perm` over its place: else 403."""
    if actor is not None and not covers(actor, matter.area, perm):
        raise PermissionDenied


def _require_manager_of(actor: Actor | None, matter: Matter) -> None:
    _require_on(actor, matter, MANAGE)


@transaction.atomic
def matter_take_up(
    *, actor: Actor | None, matter: Matter | int, note: str = "", expected_version=None
) -> Matter:
    """受理议事 — the community takes the matter up for deliberation (propose → deliberate); the
    proposer and the advisory panel members who study its category are told."""
    found = _visible(actor, matter)
    _require_manager_of(actor, found)
    note = clean_text(note, "note", NOTE_LENGTH)
    moved = matter_move(
        actor=actor,
        matter=found,
        action=Action.DELIBERATE,
        note=note,
        expected_version=expected_version,
    )
    _tell_proposer(moved, gettext_noop("Your matter %(number)s is taken up: %(title)s"), "up")
    for member in advisers(moved):
        if member.account_id is not None:
            notify(
                message=gettext_noop("Matter %(number)s waits for your options: %(title)s"),
                params={"number": moved.number, "title": moved.title},
                to_user=member.account,
                subject=moved,
                dedupe_key=f"decide:advise:{moved.pk}:{moved.version}:{member.pk}",
            )
    return moved


@transaction.atomic
def matter_drop(
    *, actor: Actor | None, matter: Matter | int, reason: str, expected_version=None
) -> Matter:
    """不予议事 — the community closes the matter (at propose or deliberate), saying why."""
    found = _visible(actor, matter)
    _require_manager_of(actor, found)
    reason = clean_text(
        reason, "reason", NOTE_LENGTH, required=_("Say why the matter is not taken further.")
    )
    moved = matter_move(
        actor=actor,
        matter=found,
        action=Action.DROP,
        note=reason,
        expected_version=expected_version,
        closed_because=ClosedBecause.DROPPED,
        closing_note=reason,
    )
    _tell_proposer(
        moved, gettext_noop("Your matter %(number)s was closed: %(reason)s"), "drop", reason=reason
    )
    return moved


@transaction.atomic
def matter_merge(
    *,
    actor: Actor | None,
    matter: Matter | int,
    into: Matter | int,
    note: str = "",
    expected_version=None,
) -> Matter:
    """合并 — staff merge a matter into a similar open one of the same community: it closes,
    and its supporters and opinions are shown on the other."""
    found = _visible(actor, matter)
    _require_manager_of(actor, found)
    target = _visible(actor, into)
    if target.pk == found.pk:
        raise ValidationError({"into": _("A matter cannot be merged into itself.")})
    if community_of(target.area) != community_of(found.area):
        raise ValidationError({"into": _("Merge into a matter of the same community.")})
    note = clean_text(note, "note", NOTE_LENGTH)
    # Both rows locked, the smaller id first: two merges the other way round cannot deadlock.
    first, second = sorted([found.pk, target.pk])
    locked(first), locked(second)
    target = locked(target)
    if target.stage in FINAL_STAGES or target.merged_into_id is not None:
        raise ValidationError(
            {
                "into": _("Matter %(number)s is closed: merge into an open matter.")
                % {"number": target.number}
            }
        )
    moved = matter_move(
        actor=actor,
        matter=found,
        action=Action.MERGE,
        note=f"{target.number} {note}".strip(),
        expected_version=expected_version,
        merged_into=target,
        closed_because=ClosedBecause.MERGED,
        closing_note=note,
    )
    events.MERGED_FROM.add(subject=target, params={"number": moved.number}, actor=actor)
    _tell_proposer(
        moved,
        gettext_noop("Your matter %(number)s was merged into %(into)s: %(title)s"),
        "merge",
        into=target.number,
    )
    return moved


# --- panels, options and meetings 民主议事 ----------------------------------------------------------


@transaction.atomic
def panel_create(*, actor: Actor | None, area: Area, kind: str, name: str) -> Panel:
    """A community's advisory panel 顾问团 or supervision panel 监督团 (one of each)."""
    area = _area(area)
    require_in_area(actor, area, MANAGE)
    if area.kind != AreaKind.COMMUNITY:
        raise ValidationError({"area": _("A panel belongs to a community.")})
    if kind not in PanelKind.values:
        raise ValidationError({"kind": _("Choose the advisory or the supervision panel.")})
    name = clean_text(name, "name", 60, required=_("Give the panel a name."))
    if Panel.objects.filter(area=area, kind=kind).exists():
        raise ValidationError(
            {"kind": _("%(community)s already has this panel.") % {"community": area.name}}
        )
    panel = Panel.objects.create(area=area, kind=kind, name=name)
    audit.record_created(actor=actor, obj=panel)
    return panel


@transaction.atomic
def panel_member_add(
    *,
    actor: Actor | None,
    panel: Panel,
    name: str = "",
    background: str = "",
    resident=None,
    account=None,
    categories=(),
) -> PanelMember:
    """A named member of a panel, with the categories they study (none: all)."""
    panel = Panel.objects.select_related("area").get(pk=panel.pk)
    require_in_area(actor, panel.area, MANAGE)
    person = _resident(resident)
    if person is not None and not _lives_in(person, panel.area):
        raise ValidationError({"resident": _("Name a resident of the matter's community.")})
    name = clean_text(
        name or (person.name if person is not None else ""),
        "name",
        50,
        required=_("Give the member's name."),
    )
    background = clean_text(background, "background", 100)
    chosen = [_offered_category(c) for c in categories]
    member = PanelMember.objects.create(
        panel=panel, resident=person, name=name, background=background, account=account
    )
    member.categories.set(chosen)
    audit.record_created(
        actor=actor,
        obj=member,
        alongside=lambda m: {"categories": sorted(c.code for c in chosen)},
    )
    return member


def advisers(matter: Matter):
    """The advisory panel members of the matter's community who study its category."""
    community = community_of(matter.area)
    return (
        PanelMember.objects.filter(
            panel__area=community, panel__kind=PanelKind.ADVISORY, active=True
        )
        .filter(Q(categories=matter.category) | Q(categories__isnull=True))
        .select_related("account")
        .distinct()
        .order_by("pk")
    )


def sees_names(actor: Actor | None, matter: Matter) -> bool:
    """Whether the actor is shown the names of the matter's proposer and of the neighbours who
    gave opinions: the community's staff who hold the registry there (`registry.view`); opinion
    collectors and panel members (who hold no registry), others and residents see them
    masked."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    return (
        actor.is_staff_member
        and covers(actor, matter.area, REGISTRY_VIEW)
        and (covers(actor, matter.area, MANAGE) or covers(actor, matter.area, PROPOSE))
    )


def proposer_shown(actor: Actor | None, matter: Matter) -> str:
    """Who raised the matter, as `actor` may see it: the community's staff and opinion
    collectors (`sees_names`) the name and the masked mobile, the proposer their own name,
    everyone else the masked name."""
    person = matter.proposer
    if person is None:
        return ""
    if sees_names(actor, matter):
        return f"{person.name} {mask(person.mobile, MOBILE)}".strip()
    own = _own_person(actor) if actor is not None else None
    if own is not None and own.pk == person.pk:
        return person.name
    return mask(person.name, NAME)


def adviser_seat(actor: Actor | None, matter: Matter) -> PanelMember | None:
    """The actor's seat on the advisory panel of the matter's community, where it studies the
    matter's category, and the actor holds `decide.advise` there."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    if not covers(actor, matter.area, ADVISE):
        return None
    return advisers(matter).filter(account_id=actor.pk).first()


OPTION_STAGES = frozenset({Stage.DELIBERATE})


@transaction.atomic
def option_add(
    *, actor: Actor | None, matter: Matter | int, title: str, description: str = ""
) -> MatterOption:
    """方案 — an option for a matter under deliberation, by an advisory panel member who studies
    its category (or the community's staff)."""
    found = _visible(actor, matter)
    seat = None
    if actor is not None and not covers(actor, found.area, MANAGE):
        if not covers(actor, found.area, ADVISE):
            raise PermissionDenied
        seat = adviser_seat(actor, found)
        if seat is None:
            raise PermissionDenied(
                _(
                    "Options for %(category)s are written by the advisory panel members who "
                    "study it."
                )
                % {"category": found.category.name}
            )
    title = clean_text(title, "title", 100, required=_("Name the option."))
    description = clean_text(description, "description", OPTION_LENGTH)
    found = locked(found)
    _require_open(found, OPTION_STAGES)
    order = (MatterOption.objects.filter(matter=found).aggregate(n=Max("order"))["n"] or 0) + 1
    option = MatterOption.objects.create(
        matter=found, title=title, description=description, written_by=seat, order=order
    )
    audit.record_created(actor=actor, obj=option)
    events.OPTION_ADDED.add(subject=found, params={"order": order, "title": title}, actor=actor)
    return option


MEETING_STAGES = frozenset({Stage.DELIBERATE, Stage.DECIDE, Stage.MANAGE, Stage.SUPERVISE})


@dataclass(frozen=True)
class Invitee:
    """One to invite: a resident (building head, representative …), a department (an
    organisation), or a name (a panel member, staff)."""

    role: str
    resident: Resident | int | None = None
    organisation: Organisation | int | None = None
    name: str = ""


def _invitee_row(actor, community: Area, invitee: Invitee) -> MeetingInvitee:
    if invitee.role not in AttendeeRole.values:
        raise ValidationError({"invitees": _("Say as what each one is invited.")})
    person = _resident(invitee.resident)
    organisation = None
    if invitee.organisation is not None:
        given = invitee.organisation
        pk = given.pk if isinstance(given, Organisation) else given
        organisation = Organisation.objects.filter(pk=pk).first()
        if organisation is None:
            raise ValidationError({"invitees": _("There is no such department.")})
    if person is not None and not _lives_in(person, community):
        raise ValidationError(
            {
                "invitees": _("%(name)s does not live in %(community)s.")
                % {"name": person.name, "community": community.name}
            }
        )
    name = (invitee.name or "").strip() or (
        person.name if person else organisation.name if organisation else ""
    )
    name = clean_text(name, "invitees", 60, required=_("Name everyone invited."))
    return MeetingInvitee(role=invitee.role, resident=person, organisation=organisation, name=name)


@transaction.atomic
def meeting_arrange(
    *,
    actor: Actor | None,
    matter: Matter | int,
    kind: str,
    title: str,
    starts_at,
    place: str,
    agenda: str,
    invitees=(),
) -> Meeting:
    """议事会 — arrange a meeting on the matter (工福会客厅 or 由民做主会议): when, where, its
    agenda and who is invited (building heads, resident representatives, departments, panel
    members). The residents invited are told."""
    found = _visible(actor, matter)
    _require_manager_of(actor, found)
    if kind not in MeetingKind.values:
        raise ValidationError({"kind": _("Choose the kind of meeting.")})
    title = clean_text(title, "title", 100, required=_("Give the meeting a title."))
    place = clean_text(place, "place", 100, required=_("Say where the meeting is held."))
    agenda = clean_text(agenda, "agenda", AGENDA_LENGTH, required=_("Write the agenda."))
    if starts_at is None or not isinstance(starts_at, dt.datetime):
        raise ValidationError({"starts_at": _("Say when the meeting is held.")})
    community = community_of(found.area) or found.area
    rows = [_invitee_row(actor, community, i) for i in invitees]
    if not rows:
        raise ValidationError({"invitees": _("Invite at least one person or department.")})
    found = locked(found)
    _require_open(found, MEETING_STAGES)
    meeting = Meeting.objects.create(
        matter=found,
        kind=kind,
        title=title,
        starts_at=starts_at,
        place=place,
        agenda=agenda,
        created_by=_user(actor),
    )
    for row in rows:
        row.meeting = meeting
    MeetingInvitee.objects.bulk_create(rows)
    audit.record_created(
        actor=actor,
        obj=meeting,
        alongside=lambda m: {"invitees": [f"{r.role}:{r.name}" for r in rows]},
    )
    when = timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M")
    events.MEETING_ARRANGED.add(
        subject=found, params={"title": title, "when": when, "place": place}, actor=actor
    )
    for row in rows:
        if row.resident_id is not None:
            notify(
                message=gettext_noop("You are invited to %(title)s, %(when)s at %(place)s."),
                params={"title": title, "when": when, "place": place},
                to_resident=row.resident,
                subject=found,
                dedupe_key=f"decide:meeting:{meeting.pk}:{row.resident_id}",
            )
    return meeting


def _meeting(actor: Actor | None, meeting: Meeting | int) -> Meeting:
    pk = meeting.pk if isinstance(meeting, Meeting) else meeting
    found = Meeting.objects.select_related("matter__area").filter(pk=pk).first()
    if found is None:
        raise OutOfScope(Meeting, pk)
    _visible(actor, found.matter)
    _require_manager_of(actor, found.matter)
    return Meeting.objects.select_for_update(of=("self",)).select_related("matter").get(pk=pk)


@transaction.atomic
def meeting_roll(*, actor: Actor | None, meeting: Meeting | int, present) -> Meeting:
    """点名 — who of those invited came (`present`: their invitee ids; the others did not)."""
    found = _meeting(actor, meeting)
    came = {int(p) for p in present}
    invitees = list(found.invitees.all())
    unknown = came - {i.pk for i in invitees}
    if unknown:
        raise ValidationError({"present": _("Mark only those invited to this meeting.")})
    for invitee in invitees:
        change = audit.audited_change(actor=actor, obj=invitee)
        invitee.present = invitee.pk in came
        invitee.save(update_fields=["present"])
        change.record()
    events.MEETING_ROLL.add(
        subject=found.matter,
        params={"title": found.title, "present": len(came), "invited": len(invitees)},
        actor=actor,
    )
    return found


@transaction.atomic
def meeting_minutes(
    *, actor: Actor | None, meeting: Meeting | int, minutes: str, held_at=None
) -> Meeting:
    """会议纪要 — the minutes of the meeting, which marks it held (at its time unless said)."""
    found = _meeting(actor, meeting)
    minutes = clean_text(minutes, "minutes", MINUTES_LENGTH, required=_("Write the minutes."))
    held_at = held_at or min(found.starts_at, timezone.now())
    if held_at > timezone.now():
        raise ValidationError({"held_at": _("A meeting cannot be held in the future.")})
    change = audit.audited_change(actor=actor, obj=found)
    found.minutes, found.held_at = minutes, held_at
    found.save(update_fields=["minutes", "held_at"])
    change.record()
    events.MEETING_HELD.add(subject=found.matter, params={"title": found.title}, actor=actor)
    return found
