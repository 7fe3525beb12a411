"""Pages of residents decide 由民做主 — proposing and deliberating: the matters waiting for the
user 待办, every matter the user sees 议事事项 (with filters), the matter page with its five
steps, opinions, options, meetings and timeline, the forms of the community's moves (take up,
merge, drop), of the panel's options and of the meetings (arrange, roll, minutes), a matter raised
by staff or from an appeal, the categories; and the resident's own pages: 社区议事 (their
community's matters, each with a big 附议 button) and 我要提事.

Views stay thin: they parse, call one selector or service, and prepare what the template shows.
Scope comes from the selectors (out of scope → 404); a missing permission is a 403; masking comes
from `core.masking.mask` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.core import selectors as core_selectors
from linli.core.choices import AreaKind
from linli.core.lookups import starts_with
from linli.core.masking import MOBILE, NAME, mask
from linli.core.models import Area
from linli.core.pagination import page_by_ids
from linli.core.scoping import OutOfScope, covers
from linli.core.web import act, form_page, posted, render_page
from linli.registry import selectors as registry_selectors
from linli.registry.choices import OrganisationKind
from linli.registry.models import Organisation, Resident

from . import selectors, services
from .choices import STEPS, AttendeeRole, MatterChannel, PanelKind, Stage, VoteState
from .forms import (
    CategoryForm,
    DropForm,
    FromAppealForm,
    MeetingForm,
    MergeForm,
    MinutesForm,
    OpinionForm,
    OptionForm,
    ProposeForm,
    RollForm,
    StaffProposeForm,
    TakeUpForm,
    names,
)
from .models import Meeting
from .workflow import Action

PAGE_SIZE = 50
QUEUE_PAGE_SIZE = 30
SEARCH_MAX_LENGTH = 50
SEARCH_LIMIT = 20
# Where a matter may be placed: a community, or a building / grid / compound in one.
PLACE_KINDS = (
    AreaKind.COMMUNITY,
    AreaKind.VILLAGE,
    AreaKind.COMPOUND,
    AreaKind.GRID,
    AreaKind.BUILDING,
)
# The pages of the other parts of the module, linked from the matter page once they exist.
PART_LINKS = (
    ("matter_tasks:matter", gettext_lazy("Tasks and supervision")),
    ("board:matter", gettext_lazy("On the public board")),
)


# --- helpers ------------------------------------------------------------------------------


def _require_staff(user, *perms: str) -> None:
    """Staff pages: a resident or a role with none of `perms` gets 403 (nothing looked up)."""
    if not (user.is_staff_member and any(user.has_permission(p) for p in perms)):
        raise PermissionDenied


def _resident_of(user) -> Resident:
    """The signed-in resident (their own record), for the resident pages; 403 for anyone else."""
    if user.is_staff_member or user.own_household_id(services.PARTICIPATE) is None:
        raise PermissionDenied
    person = getattr(user, "resident_record", None)
    if person is None:
        raise PermissionDenied
    return person


def _digits(value) -> int | None:
    value = str(value or "").strip()
    return int(value) if value.isdigit() and len(value) < 19 else None


def _page_context(page) -> dict:
    return {
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
    }


def _detail_url(matter) -> str:
    return reverse("decide:detail", args=[matter.pk])


def _stage_bar(matter) -> list[dict]:
    """The five steps, each done, current or to come (a closed matter: the step it left)."""
    order = [str(s) for s in STEPS]
    current = matter.stage
    if current in order:
        at = order.index(current)
    elif current == Stage.DONE:
        at = len(order)
    else:
        at = -1
    return [
        {
            "value": step.value,
            "label": step.label,
            "state": "done" if i < at else "current" if i == at else "todo",
        }
        for i, step in enumerate(STEPS)
    ]


def _part_links(matter) -> list[tuple[str, str]]:
    return [(reverse(name, args=[matter.pk]), str(label)) for name, label in PART_LINKS]


def _areas_for(user, perm: str):
    """The places where `user` holds `perm` that a matter may concern."""
    condition = Q(pk__in=[])
    for path in user.scope_paths(perm):
        condition |= starts_with("path", path)
    return (
        Area.objects.filter(condition, kind__in=PLACE_KINDS)
        .select_related("parent")
        .order_by("path")
    )


def _list_areas(user, area) -> list[Area]:
    options = list(
        Area.objects.restrict(user, "view")
        .filter(kind__in=(AreaKind.STREET, AreaKind.TOWN, AreaKind.COMMUNITY))
        .order_by("path")[:200]
    )
    if area is not None and all(a.pk != area.pk for a in options):
        options.insert(0, area)
    return options


# --- the queue and the list ----------------------------------------------------------------


@login_required
@require_GET
def queue(request):
    """待办 — the matters waiting for the user: to take up or close (the community's staff),
    to write options for (an advisory panel member), the longest waiting first."""
    user = request.user
    _require_staff(user, services.MANAGE, services.ADVISE)
    matters = selectors.matter_queue(user=user)
    page = page_by_ids(matters, QUEUE_PAGE_SIZE, request.GET.get("page"))
    context = {
        **_page_context(page),
        "rows": page.object_list,
        "query": QueryDict(),
        "can_propose": user.has_permission(services.PROPOSE),
    }
    return render_page(request, "decide/queue.html", context, partial="results")


LIST_KEYS = ("stage", "category", "q")


@login_required
@require_GET
def matter_list(request):
    """议事事项 — every matter the user sees, newest first, with filters."""
    user = request.user
    _require_staff(user, selectors.VIEW)
    params = QueryDict(mutable=True)
    for key in LIST_KEYS:
        value = request.GET.get(key, "").strip()[:SEARCH_MAX_LENGTH]
        if value:
            params[key] = value
    filters: dict[str, Any] = {}
    if params.get("stage") in {*Stage.values, "open"}:
        filters["stage"] = params["stage"]
    category = _digits(params.get("category"))
    if category is not None:
        filters["category"] = category
    if params.get("q"):
        filters["q"] = params["q"]
    area = None
    raw_area = request.GET.get("area", "").strip()
    if raw_area:
        area = core_selectors.area_get(user=user, pk=_digits(raw_area) or 0)
        params["area"] = str(area.pk)
        filters["area"] = area
    matters = selectors.matter_list(user=user, filters=filters)
    page = page_by_ids(matters, PAGE_SIZE, request.GET.get("page"))
    context = {
        **_page_context(page),
        "rows": page.object_list,
        "params": params,
        "query": params,
        "area": area,
        "area_options": _list_areas(user, area),
        "categories": selectors.category_list(),
        "stages": Stage.choices,
        "can_propose": user.has_permission(services.PROPOSE),
    }
    return render_page(request, "decide/list.html", context, partial="results")


# --- the matter page -----------------------------------------------------------------------


@login_required
@require_GET
def matter_detail(request, pk: int):
    """The matter: its five steps, what it is, who raised it, supporters, opinions, options,
    meetings (invitees, roll, minutes), the timeline, and what the user may do at its stage."""
    user = request.user
    matter = selectors.matter_get(user=user, pk=pk)
    staff = user.is_staff_member
    names = services.sees_names(user, matter)
    actions = selectors.matter_actions(user=user, matter=matter)
    meetings = list(matter.meetings.all())
    for meeting in meetings:
        invitees = list(meeting.invitees.all())
        meeting.invited = invitees
        meeting.came = sum(1 for i in invitees if i.present)
        meeting.roll_taken = any(i.present is not None for i in invitees)
    opinions = list(selectors.matter_opinions(matter))
    for opinion in opinions:
        said = opinion.resident.name if opinion.resident_id else opinion.name
        opinion.said_by = (said if names else mask(said, NAME)) if said else ""
    context = {
        "matter": matter,
        "staff": staff,
        "steps": _stage_bar(matter),
        "proposer": services.proposer_shown(user, matter),
        "supporters": selectors.supporter_count(matter),
        "supported": selectors.has_supported(user, matter),
        "opinions": opinions,
        "options": list(matter.options.all()),
        "meetings": meetings,
        "merged": list(selectors.merged_matters(matter)),
        "actions": actions,
        "take_up_form": TakeUpForm(matter=matter) if Action.DELIBERATE in actions else None,
        "part_links": _part_links(matter),
        **_votes_of(user, matter),
        "timeline": selectors.matter_timeline(matter=matter),
    }
    return render_page(request, "decide/detail.html", context)


def _votes_of(user, matter) -> dict:
    """The matter's votes (a draft only to its staff), and whether the user may prepare one: the
    community's staff while it is being deliberated and no draft waits."""
    manages = user.is_staff_member and covers(user, matter.area, services.MANAGE)
    votes = list(matter.votes.order_by("created_at", "id"))
    drafting = any(v.state == VoteState.DRAFT for v in votes)
    if not manages:
        votes = [v for v in votes if v.state != VoteState.DRAFT]
    return {
        "votes": votes,
        "may_prepare_vote": manages and matter.stage == Stage.DELIBERATE and not drafting,
    }


# --- the moves and the forms on a matter ------------------------------------------------------


@dataclass(frozen=True)
class PageAction:
    title: Any
    button: Any
    done: Any


PAGE_ACTIONS = {
    Action.DELIBERATE: PageAction(
        gettext_lazy("Take up for deliberation"),
        gettext_lazy("Take it up"),
        gettext_lazy("Matter taken up: it is under deliberation."),
    ),
    Action.DROP: PageAction(
        gettext_lazy("Close without deliberation"),
        gettext_lazy("Close the matter"),
        gettext_lazy("Matter closed."),
    ),
    Action.MERGE: PageAction(
        gettext_lazy("Merge into a similar matter"),
        gettext_lazy("Merge"),
        gettext_lazy("Matter merged."),
    ),
    "opinion": PageAction(
        gettext_lazy("Write down an opinion"),
        gettext_lazy("Save the opinion"),
        gettext_lazy("Opinion written down."),
    ),
    "option": PageAction(
        gettext_lazy("Write an option"),
        gettext_lazy("Save the option"),
        gettext_lazy("Option saved."),
    ),
    "meeting": PageAction(
        gettext_lazy("Arrange a meeting"),
        gettext_lazy("Arrange the meeting"),
        gettext_lazy("Meeting arranged; the residents invited are told."),
    ),
}


def _v(data: dict) -> dict:
    return {"expected_version": data.get("version")}


def _action_page(request, matter, name: str, form, save, *, extra: dict | None = None):
    action = PAGE_ACTIONS[name]
    return form_page(
        request,
        form,
        save=save,
        success_message=action.done,
        success_url=lambda result: _detail_url(matter),
        template="decide/action.html",
        context=lambda: {
            "matter": matter,
            "action": action,
            "name": name,
            "possible": name in selectors.matter_actions(user=request.user, matter=matter),
            **(extra or {}),
        },
    )


def _matter_for(request, pk: int, name: str):
    """The matter (404 outside what the user sees), and 403 for one who may not make the move
    at all; at a stage where the move is not possible the page says so."""
    user = request.user
    matter = selectors.matter_get(user=user, pk=pk)
    if name in (Action.DELIBERATE, Action.DROP, Action.MERGE, "meeting"):
        if not covers(user, matter.area, services.MANAGE):
            raise PermissionDenied
    elif name == "opinion":
        if not (user.is_staff_member and covers(user, matter.area, services.PROPOSE)):
            raise PermissionDenied
    elif name == "option":
        manages = covers(user, matter.area, services.MANAGE)
        if not manages and services.adviser_seat(user, matter) is None:
            raise PermissionDenied
    return matter


@login_required
@require_http_methods(["GET", "POST"])
def matter_take_up(request, pk: int):
    matter = _matter_for(request, pk, Action.DELIBERATE)
    user = request.user
    return _action_page(
        request,
        matter,
        Action.DELIBERATE,
        TakeUpForm(posted(request), matter=matter),
        lambda d: services.matter_take_up(actor=user, matter=matter, note=d["note"], **_v(d)),
    )


@login_required
@require_http_methods(["GET", "POST"])
def matter_drop(request, pk: int):
    matter = _matter_for(request, pk, Action.DROP)
    user = request.user
    return _action_page(
        request,
        matter,
        Action.DROP,
        DropForm(posted(request), matter=matter),
        lambda d: services.matter_drop(actor=user, matter=matter, reason=d["reason"], **_v(d)),
    )


@login_required
@require_http_methods(["GET", "POST"])
def matter_merge(request, pk: int):
    matter = _matter_for(request, pk, Action.MERGE)
    user = request.user
    targets = selectors.merge_targets(user=user, matter=matter)
    return _action_page(
        request,
        matter,
        Action.MERGE,
        MergeForm(posted(request), matter=matter, targets=targets),
        lambda d: services.matter_merge(
            actor=user, matter=matter, into=d["into"], note=d["note"], **_v(d)
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def opinion_add(request, pk: int):
    matter = _matter_for(request, pk, "opinion")
    user = request.user
    return _action_page(
        request,
        matter,
        "opinion",
        OpinionForm(posted(request)),
        lambda d: services.opinion_add(actor=user, matter=matter, text=d["text"], name=d["name"]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def option_add(request, pk: int):
    matter = _matter_for(request, pk, "option")
    user = request.user
    return _action_page(
        request,
        matter,
        "option",
        OptionForm(posted(request)),
        lambda d: services.option_add(
            actor=user, matter=matter, title=d["title"], description=d["description"]
        ),
    )


def _invitees(matter, data: dict, departments, panel) -> list[services.Invitee]:
    """What the meeting form names, as invitees: a name typed for a building head or a
    representative is the resident of the community of that name, where there is exactly one."""
    community = services.community_of(matter.area) or matter.area
    people = Resident.objects.filter(starts_with("household__area__path", community.path))
    out: list[services.Invitee] = []
    for role, field in (
        (AttendeeRole.BUILDING_HEAD, "building_heads"),
        (AttendeeRole.REPRESENTATIVE, "representatives"),
    ):
        for name in names(data.get(field) or ""):
            found = list(people.filter(name=name)[:2])
            resident = found[0] if len(found) == 1 else None
            out.append(services.Invitee(role=role, resident=resident, name=name))
    chosen = {str(o.pk): o for o in departments}
    for pk in data.get("departments") or ():
        out.append(services.Invitee(role=AttendeeRole.DEPARTMENT, organisation=chosen[pk]))
    seats = {str(m.pk): m for m in panel}
    for pk in data.get("panel") or ():
        seat = seats[pk]
        out.append(
            services.Invitee(role=AttendeeRole.PANEL, resident=seat.resident, name=seat.name)
        )
    for name in names(data.get("others") or ""):
        out.append(services.Invitee(role=AttendeeRole.STAFF, name=name))
    return out


def _departments():
    return Organisation.objects.filter(kind=OrganisationKind.DEPARTMENT).order_by("name")


@login_required
@require_http_methods(["GET", "POST"])
def meeting_arrange(request, pk: int):
    matter = _matter_for(request, pk, "meeting")
    user = request.user
    departments = list(_departments())
    community = services.community_of(matter.area) or matter.area
    panel = [
        m
        for p in selectors.panels_of(community)
        if p.kind == PanelKind.ADVISORY
        for m in p.members.all()
        if m.active
    ]
    form = MeetingForm(posted(request), departments=departments, panel=panel)

    def save(d):
        return services.meeting_arrange(
            actor=user,
            matter=matter,
            kind=d["kind"],
            title=d["title"],
            starts_at=d["starts_at"],
            place=d["place"],
            agenda=d["agenda"],
            invitees=_invitees(matter, d, departments, panel),
        )

    return _action_page(request, matter, "meeting", form, save)


def _meeting_for(request, pk: int, meeting: int) -> Meeting:
    user = request.user
    matter = selectors.matter_get(user=user, pk=pk)
    found = (
        Meeting.objects.filter(pk=_digits(meeting) or 0, matter=matter)
        .prefetch_related("invitees")
        .first()
    )
    if found is None:
        raise OutOfScope(Meeting, meeting)
    if not covers(user, matter.area, services.MANAGE):
        raise PermissionDenied
    found.matter = matter
    return found


@login_required
@require_http_methods(["GET", "POST"])
def meeting_roll(request, pk: int, meeting: int):
    """点名 — who of those invited came."""
    found = _meeting_for(request, pk, meeting)
    user = request.user
    form = RollForm(posted(request), invitees=list(found.invitees.all()))
    return form_page(
        request,
        form,
        save=lambda d: services.meeting_roll(actor=user, meeting=found, present=d["present"]),
        success_message=_("Roll taken."),
        success_url=_detail_url(found.matter),
        template="decide/meeting_form.html",
        context={"matter": found.matter, "meeting": found, "title": _("Take the roll")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_minutes(request, pk: int, meeting: int):
    """会议纪要 — the minutes, which mark the meeting held."""
    found = _meeting_for(request, pk, meeting)
    user = request.user
    form = MinutesForm(posted(request), initial={"minutes": found.minutes})
    return form_page(
        request,
        form,
        save=lambda d: services.meeting_minutes(actor=user, meeting=found, minutes=d["minutes"]),
        success_message=_("Minutes recorded."),
        success_url=_detail_url(found.matter),
        template="decide/meeting_form.html",
        context={"matter": found.matter, "meeting": found, "title": _("Record the minutes")},
    )


@login_required
@require_POST
def matter_support(request, pk: int):
    """附议 — the resident's big button."""
    user = request.user
    matter = selectors.matter_get(user=user, pk=pk)
    _resident_of(user)
    return act(
        request,
        lambda: services.matter_support(actor=user, matter=matter),
        success_message=_("Thank you: your support is counted."),
        back=_detail_url(matter),
    )


# --- raising a matter: by staff, from an appeal, by the resident -------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def matter_propose(request):
    """代为提事 — an opinion collector or staff raise a matter on a named resident's behalf."""
    user = request.user
    _require_staff(user, services.PROPOSE)
    source = request.POST if request.method == "POST" else request.GET
    resident = None
    resident_id = _digits(source.get("resident"))
    if resident_id is not None:
        resident = registry_selectors.resident_get(user=user, pk=resident_id)
        resident.masked_mobile = mask(resident.mobile, MOBILE)
    q = str(source.get("q", "")).strip()[:SEARCH_MAX_LENGTH]
    found = []
    if q and resident is None:
        found = list(registry_selectors.resident_list(user=user, filters={"q": q})[:SEARCH_LIMIT])
        for person in found:
            person.masked_mobile = mask(person.mobile, MOBILE)
    form = StaffProposeForm(
        posted(request),
        categories=selectors.offered_categories(),
        areas=_areas_for(user, services.PROPOSE),
        initial={"resident": getattr(resident, "pk", None)},
    )
    return form_page(
        request,
        form,
        save=lambda d: services.matter_propose(
            actor=user,
            category=d["category"],
            area=d["area"],
            resident=resident,
            title=d["title"],
            description=d["description"],
        ),
        success_message=lambda m: _("Matter %(number)s raised.") % {"number": m.number},
        success_url=_detail_url,
        template="decide/propose.html",
        context={"resident": resident, "found": found, "q": q},
        partial={"resident-results": "residents"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def matter_from_appeal(request, pk: int):
    """转为议事 — an appeal of the community raised to a matter in one step."""
    from linli.appeals import selectors as appeal_selectors

    user = request.user
    _require_staff(user, services.MANAGE)
    found = appeal_selectors.appeal_get(user=user, pk=pk)
    community = services.community_of(found.area)
    if community is None or not covers(user, community, services.MANAGE):
        raise PermissionDenied
    form = FromAppealForm(
        posted(request),
        categories=selectors.offered_categories(),
        initial={"title": found.description[:100], "description": found.description},
    )
    return form_page(
        request,
        form,
        save=lambda d: services.matter_from_appeal(
            actor=user,
            appeal=found,
            category=d["category"],
            title=d["title"],
            description=d["description"],
        ),
        success_message=lambda m: (
            _("Matter %(number)s raised from the appeal.") % {"number": m.number}
        ),
        success_url=_detail_url,
        context={
            "title": _("Raise as a matter"),
            "breadcrumb": [
                {"label": found.number, "url": reverse("appeals:detail", args=[found.pk])}
            ],
            "intro": _("The appeal's reporter becomes the proposer; the two stay linked."),
            "submit": _("Raise as a matter"),
            "cancel_url": reverse("appeals:detail", args=[found.pk]),
        },
    )


@login_required
@require_GET
def community_matters(request):
    """社区议事 — the matters of the resident's community, newest first, each with how many
    support it; theirs marked."""
    user = request.user
    person = _resident_of(user)
    matters = (
        selectors.board_matters(user)
        .filter(merged_into=None)
        .select_related("category", "area")
        .order_by("-created_at", "-id")
    )
    community = selectors.own_community(user)
    if community is not None:
        matters = matters.filter(starts_with("area__path", community.path))
    page = page_by_ids(
        selectors._listed(matters).order_by("-created_at", "-id"),
        QUEUE_PAGE_SIZE,
        request.GET.get("page"),
    )
    context = {
        **_page_context(page),
        "rows": page.object_list,
        "query": QueryDict(),
        "person": person,
        "community": community,
        "can_propose": user.own_household_id(services.PROPOSE) is not None,
    }
    return render_page(request, "decide/community.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def matter_raise(request):
    """我要提事 — the resident raises a matter in their community, from the phone."""
    user = request.user
    _resident_of(user)
    if user.own_household_id(services.PROPOSE) is None:
        raise PermissionDenied
    form = ProposeForm(posted(request), categories=selectors.offered_categories())
    return form_page(
        request,
        form,
        save=lambda d: services.matter_propose(
            actor=user,
            category=d["category"],
            title=d["title"],
            description=d["description"],
            channel=MatterChannel.RESIDENT_PHONE,
        ),
        success_message=lambda m: (
            _("Received. Your matter number is %(number)s.") % {"number": m.number}
        ),
        success_url=_detail_url,
        template="decide/raise.html",
    )


# --- categories -------------------------------------------------------------------------------


@login_required
@require_GET
def category_list(request):
    _require_staff(request.user, services.CATEGORIES)
    return render_page(
        request, "decide/category_list.html", {"categories": selectors.category_list()}
    )


def _category_context(title) -> dict:
    return {
        "title": title,
        "breadcrumb": [{"label": _("Matter categories"), "url": reverse("decide:categories")}],
        "cancel_url": reverse("decide:categories"),
    }


@login_required
@require_http_methods(["GET", "POST"])
def category_create(request):
    user = request.user
    _require_staff(user, services.CATEGORIES)
    return form_page(
        request,
        CategoryForm(posted(request)),
        save=lambda d: services.category_create(actor=user, **d),
        success_message=_("Category saved."),
        success_url=reverse("decide:categories"),
        context=_category_context(_("New matter category")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def category_edit(request, pk: int):
    user = request.user
    _require_staff(user, services.CATEGORIES)
    category = selectors.category_get(pk=pk)
    form = CategoryForm(
        posted(request),
        initial={
            "code": category.code,
            "name": category.name,
            "description": category.description,
            "sort_order": category.sort_order,
        },
    )
    form.fields["code"].disabled = True
    return form_page(
        request,
        form,
        save=lambda d: services.category_revise(
            actor=user,
            category=category,
            name=d["name"],
            description=d["description"],
            sort_order=d["sort_order"],
        ),
        success_message=_("Category saved."),
        success_url=reverse("decide:categories"),
        context=_category_context(category.name),
    )


@login_required
@require_POST
def category_offer(request, pk: int):
    user = request.user
    _require_staff(user, services.CATEGORIES)
    category = selectors.category_get(pk=pk)
    offered = request.POST.get("offered") == "1"
    return act(
        request,
        lambda: services.category_set_offered(actor=user, category=category, offered=offered),
        success_message=_("Category offered.") if offered else _("Category withdrawn."),
        back=reverse("decide:categories"),
    )
