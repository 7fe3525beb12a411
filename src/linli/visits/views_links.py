"""Pages of the five links 五联: contact assignments (list, one, several at once, end), the
gap list 空白点 (targets with nobody assigned, per level), and the visit policies 走访频次.

Choosing an assignment goes in steps a person can follow on a phone: the level, then where
(an area narrows the lists) and who keeps in touch, then whom. The lists offered come from the
registry's selectors, limited to where the user may assign; the service checks the level's
rules again and decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from linli.core.lookups import starts_with
from linli.core.models import Area
from linli.core.pagination import page_of_all_ids
from linli.core.scoping import covers
from linli.core.web import form_page, posted, render_page
from linli.registry import selectors as registry_selectors
from linli.registry.choices import OrganisationKind, PostKind
from linli.registry.figures import PARTY_CENTRAL_HOUSEHOLD_TAG, PARTY_MEMBER_TAG
from linli.registry.models import Household, Organisation, Post, Resident

from . import selectors, services
from .choices import LinkLevel
from .forms import AssignmentBulkForm, AssignmentEndForm, AssignmentForm, PolicyForm
from .models import VisitPolicy
from .views_common import (
    PAGE_SIZE,
    area_options,
    clean_params,
    digits,
    page_context,
    paginate,
    requested_area,
    require,
)

CHOICES_LIMIT = 500  # options in one list; narrow by area beyond that
CADRE_POSTS = (
    PostKind.FIRST_SECRETARY,
    PostKind.CIVIL_SERVANT,
    PostKind.GRADUATE_VILLAGE_OFFICIAL,
    PostKind.AGENCY_CADRE,
    PostKind.GENERAL_BRANCH_SECRETARY,
    PostKind.GENERAL_BRANCH_MEMBER,
    PostKind.HALL_STAFF,
    PostKind.OTHER,
)
VILLAGE_CADRE_POSTS = (
    PostKind.VILLAGE_BRANCH_SECRETARY,
    PostKind.VILLAGE_COMMITTEE_DIRECTOR,
    PostKind.GRID_WORKER,
)
TARGET_AREA_KINDS = {1: "street", 2: "community", 3: "village"}


# --- the assignment list ------------------------------------------------------------------


@login_required
@require_GET
def assignment_list(request):
    """联系责任 — who keeps in touch with whom, per level."""
    user = request.user
    require(user, "visits.view")
    params = clean_params(request, ("level", "contact", "active_on"))
    area = requested_area(request)
    if area is not None:
        params["area"] = str(area.pk)
    page = paginate(request, selectors.assignment_list(user=user, filters=params))
    rows = list(page.object_list)
    today = timezone.localdate()
    for row in rows:
        row.is_active = row.starts_on <= today and (row.ends_on is None or row.ends_on >= today)
        row.can_end = row.is_active and covers(user, row.scope_area, "visits.assign")
    context = {
        **page_context(page),
        "rows": rows,
        "params": params,
        "area": area,
        "area_options": area_options(user, area),
        "levels": LinkLevel.choices,
        "can_assign": bool(user.scope_paths("visits.assign")),
    }
    return render_page(request, "visits/assignment_list.html", context, partial="results")


# --- choosing contacts and targets --------------------------------------------------------


@dataclass
class Choice:
    """One option of a contact or target list: its form key and the record behind it."""

    key: str
    label: str
    record: object


def _assign_scope(user, path_field: str) -> Q | None:
    condition = None
    for path in user.scope_paths("visits.assign"):
        clause = starts_with(path_field, path)
        condition = clause if condition is None else condition | clause
    return condition


def _within(qs, user, path_field: str, area: Area | None):
    scope = _assign_scope(user, path_field)
    if scope is None:
        return qs.none()
    qs = qs.filter(scope)
    return qs.filter(starts_with(path_field, area.path)) if area is not None else qs


def _current(qs):
    today = timezone.localdate()
    return qs.filter(starts_on__lte=today).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))


def _post_choices(posts) -> list[Choice]:
    return [
        Choice(
            f"post:{p.pk}", f"{p.holder_name}（{p.title or p.get_kind_display()} · {p.area}）", p
        )
        for p in posts[:CHOICES_LIMIT]
    ]


def _above_or_within(path_field: str, paths: list[str]) -> Q:
    """Records whose area is inside one of `paths` or above it."""
    condition = Q(pk__in=[])
    above: set[str] = set()
    for path in paths:
        condition |= starts_with(path_field, path)
        above |= set(Area(path=path).ancestor_paths())
    return condition | Q(**{f"{path_field}__in": sorted(above)})


def _officials(user, qs, area: Area | None):
    """Posts or departments serving the areas where the user assigns, or above them: district
    leaders, departments and street cadres sit above a community's scope yet keep in touch
    with it (who holds a public post is no secret)."""
    qs = qs.filter(_above_or_within("area__path", user.scope_paths("visits.assign")))
    if area is not None:
        qs = qs.filter(_above_or_within("area__path", [area.path]))
    return qs


def contact_choices(user, level: int, area: Area | None) -> list[Choice]:
    """Who may keep in touch at `level`: the posts, departments or central households the
    level's rule names, near `area` and where the user may assign."""
    if level == LinkLevel.DEPARTMENT:
        orgs = _officials(user, Organisation.objects.filter(kind=OrganisationKind.DEPARTMENT), area)
        return [Choice(f"org:{o.pk}", o.name, o) for o in orgs.order_by("name")[:CHOICES_LIMIT]]
    if level == LinkLevel.CENTRAL_HOUSEHOLD:
        households = _within(
            registry_selectors.household_list(user=user), user, "area__path", area
        ).filter(tag_links__tag__name=PARTY_CENTRAL_HOUSEHOLD_TAG)
        return [
            Choice(f"household:{h.pk}", f"{h.number} {h.head.name if h.head else ''}", h)
            for h in households.distinct()[:CHOICES_LIMIT]
        ]
    if level == LinkLevel.VILLAGE_CADRE:
        posts = registry_selectors.post_list(user=user).filter(kind__in=VILLAGE_CADRE_POSTS)
        posts = _within(_current(posts), user, "area__path", area)
    else:
        kinds = (PostKind.DISTRICT_LEADER,) if level == LinkLevel.DISTRICT_LEADER else CADRE_POSTS
        posts = Post.objects.select_related("area").filter(kind__in=kinds)
        posts = _officials(user, _current(posts), area)
    return _post_choices(posts.order_by("area__path", "holder_name"))


def _village_of(area: Area) -> Area:
    """The village `area` lies in (the area itself when none is above it)."""
    village = Area.objects.filter(path__in=area.ancestor_paths(), kind="village").first()
    return village or area


def _contact_area(contact) -> Area | None:
    if isinstance(contact, Household):
        return contact.area
    if isinstance(contact, Post | Organisation):
        return contact.area
    return None


def target_choices(user, level: int, area: Area | None, contact) -> list[Choice]:
    """Whom the contact may keep in touch with: streets, communities or villages; the party
    members of the contact's village (level 4); the households of the central household's
    village, not itself (level 5)."""
    if level in TARGET_AREA_KINDS:
        areas = _within(Area.objects.all(), user, "path", area).filter(
            kind=TARGET_AREA_KINDS[level]
        )
        return [Choice(f"area:{a.pk}", a.name, a) for a in areas.order_by("path")[:CHOICES_LIMIT]]
    if contact is None:
        return []
    village = _village_of(_contact_area(contact))
    if level == LinkLevel.VILLAGE_CADRE:
        people = _within(
            registry_selectors.resident_list(user=user), user, "household__area__path", village
        ).filter(tag_links__tag__name=PARTY_MEMBER_TAG)
        return [
            Choice(f"resident:{p.pk}", f"{p.name}（{p.household.number}）", p)
            for p in people.distinct()[:CHOICES_LIMIT]
        ]
    households = (
        _within(registry_selectors.household_list(user=user), user, "area__path", village)
        .exclude(pk=contact.pk)
        .prefetch_related(None)
    )
    return [
        Choice(f"household:{h.pk}", f"{h.number} {h.head.name if h.head else ''} {h.address}", h)
        for h in households[:CHOICES_LIMIT]
    ]


def _by_key(choices: list[Choice]) -> dict[str, object]:
    return {c.key: c.record for c in choices}


def _pairs(choices: list[Choice]) -> list[tuple[str, str]]:
    return [(c.key, c.label) for c in choices]


@dataclass
class AssignStep:
    """Where the assignment form stands: level, area, contact (from the query or the post)."""

    level: int | None
    area: Area | None
    contacts: list[Choice]
    contact: object = None
    contact_key: str = ""


def _assign_step(request, source) -> AssignStep:
    user = request.user
    raw_level = digits(source.get("level"))
    level = raw_level if raw_level in LinkLevel.values else None
    area = requested_area(request)
    if level is None:
        return AssignStep(None, area, [])
    contacts = contact_choices(user, level, area)
    key = str(source.get("contact", ""))
    contact = _by_key(contacts).get(key)
    return AssignStep(level, area, contacts, contact, key if contact is not None else "")


def _assign_page(request, *, bulk: bool):
    user = request.user
    require(user, "visits.assign")
    step = _assign_step(request, request.POST if request.method == "POST" else request.GET)
    targets = (
        target_choices(user, step.level, step.area, step.contact) if step.level is not None else []
    )
    form_class = AssignmentBulkForm if bulk else AssignmentForm
    form = form_class(
        posted(request),
        contacts=_pairs(step.contacts),
        targets=_pairs(targets),
        initial={"level": step.level, "contact": step.contact_key},
    )
    context = {
        "step": step,
        "bulk": bulk,
        "levels": LinkLevel.choices,
        "level_label": LinkLevel(step.level).label if step.level else "",
        "area_options": area_options(user, step.area, "visits.assign"),
        "targets": targets,
    }
    if request.method == "POST" and step.level is None:
        form.add_error(None, _("Choose the link level first."))
        return render_page(
            request, "visits/assignment_form.html", context | {"form": form}, status=400
        )
    return form_page(
        request,
        form,
        save=lambda data: _assign(user, data, step, _by_key(targets), bulk=bulk),
        success_message=lambda made: made,
        success_url=f"{reverse('visits:assignment_list')}?level={step.level}",
        template="visits/assignment_form.html",
        context=context,
    )


def _assign(user, data: dict, step: AssignStep, targets: dict, *, bulk: bool) -> str:
    common = {
        "actor": user,
        "level": step.level,
        "contact": step.contact,
        "starts_on": data["starts_on"],
        "ends_on": data["ends_on"],
    }
    if bulk:
        chosen = [targets[key] for key in data["targets"]]
        made = services.assignment_bulk_create(targets=chosen, **common)
        return ngettext(
            "%(count)s contact assignment made.", "%(count)s contact assignments made.", len(made)
        ) % {"count": len(made)}
    services.assignment_create(target=targets[data["target"]], note=data["note"], **common)
    return _("Contact assignment made.")


@login_required
@require_http_methods(["GET", "POST"])
def assignment_create(request):
    """One contact assignment."""
    return _assign_page(request, bulk=False)


@login_required
@require_http_methods(["GET", "POST"])
def assignment_bulk(request):
    """One contact, several targets at once: all made or none."""
    return _assign_page(request, bulk=True)


@login_required
@require_http_methods(["GET", "POST"])
def assignment_end(request, pk: int):
    """End a contact assignment on a day (it stays in the history)."""
    user = request.user
    assignment = selectors.assignment_get(user=user, pk=pk)
    if not covers(user, assignment.scope_area, "visits.assign"):
        raise PermissionDenied
    return form_page(
        request,
        AssignmentEndForm(posted(request), assignment=assignment),
        save=lambda data: services.assignment_end(
            actor=user, assignment=assignment, ends_on=data["ends_on"], version=data["version"]
        ),
        success_message=_("Contact assignment ended."),
        success_url=reverse("visits:assignment_list"),
        template="visits/assignment_end.html",
        context={"assignment": assignment},
    )


# --- gaps ---------------------------------------------------------------------------------


def _gap_label(level: int, record) -> str:
    if isinstance(record, Area):
        return record.name
    if isinstance(record, Resident):
        return f"{record.name}（{record.household.number}）"
    if isinstance(record, Household):
        head = record.head.name if record.head_id and record.head else ""
        return f"{record.number} {head}".strip()
    return str(record)


@login_required
@require_GET
def gap_list(request):
    """空白点 — per level, the streets, communities, villages, party members and households
    nobody is assigned to keep in touch with."""
    user = request.user
    require(user, "visits.view")
    area = requested_area(request)
    raw_level = digits(request.GET.get("level"))
    level = raw_level if raw_level in LinkLevel.values else None
    # The overview counts every level (a scan of each level's targets); a level's own list
    # says its count, so the drill-down does not count the other four.
    overview = area is not None and level is None
    counts = selectors.gap_counts(user=user, area=area) if overview else []
    context = {
        "area": area,
        "area_options": area_options(user, area),
        "gap_keep": {"level": level} if level else {},
        "counts": counts,
        "level": level,
        "levels": LinkLevel.choices,
    }
    if level is not None:
        gaps = selectors.gap_list(user=user, level=level, area=area)
        page = page_of_all_ids(gaps, PAGE_SIZE, request.GET.get("page"))
        rows = [{"record": r, "label": _gap_label(level, r)} for r in page.object_list]
        query = clean_params(request, ("level",))
        if area is not None:
            query["area"] = str(area.pk)
        context.update(page_context(page), rows=rows, query=query)
        context["level_label"] = LinkLevel(level).label
    return render_page(request, "visits/gap_list.html", context)


# --- visit policies -----------------------------------------------------------------------


def _policy_tags():
    return registry_selectors.tag_vocabulary().order_by("target", "sort_order", "name")


@login_required
@require_GET
def policy_list(request):
    """走访频次 — how often households of each tag must be visited."""
    require(request.user, "visits.policy")
    return render_page(request, "visits/policy_list.html", {"rows": selectors.policy_list()})


def _policy_page(request, policy: VisitPolicy | None):
    def save(data):
        return services.policy_save(
            actor=request.user,
            every=data["every"],
            unit=data["unit"],
            tag=data["tag"],
            is_default=data["is_default"],
            active=data["active"],
            policy=policy,
            version=data["version"] if policy is not None else None,
        )

    return form_page(
        request,
        PolicyForm(posted(request), tags=_policy_tags(), policy=policy),
        save=save,
        success_message=_("Visit policy saved; the households' due dates are being recomputed."),
        success_url=reverse("visits:policy_list"),
        template="visits/policy_form.html",
        context={"policy": policy},
    )


@login_required
@require_http_methods(["GET", "POST"])
def policy_create(request):
    require(request.user, "visits.policy")
    return _policy_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request, pk: int):
    require(request.user, "visits.policy")
    policy = selectors.policy_list().filter(pk=pk).first()
    if policy is None:
        raise Http404
    return _policy_page(request, policy)
