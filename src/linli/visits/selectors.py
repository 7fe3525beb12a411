"""Every read of the five links and visits module 五联与走访.

Each list starts from what the user may see (`restrict(user, action)`, or the same rule for
households: `visits.view` / `visits.record` over the household's area) and selects what its
rows show, so that a page or an API list costs a fixed number of queries however long it is.
Filters come from pages (text) and from the API (typed values); either is accepted, and a value
that cannot be read gives an empty list rather than an error (the API checks its own input).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Substr
from django.utils import timezone

from linli.core.actors import Actor
from linli.core.choices import AreaKind
from linli.core.lookups import starts_with
from linli.core.models import PATH_SEPARATOR, PATH_STEP, Area
from linli.core.planning import joins_as_written
from linli.core.scoping import OutOfScope, ScopeSpec, covers, scope_filter, under_area
from linli.registry.choices import PostKind
from linli.registry.filters import person_search
from linli.registry.models import Household, Post, Resident, ResidentTag

from . import workflow
from .choices import LinkLevel, NeedCategory, NeedStatus, VisitChannel
from .models import ContactAssignment, Need, Visit, VisitPolicy
from .needs import handed_on, need_status_expression
from .policies import PARTY_MEMBER_TAG, overdue_household_ids, overdue_households

# Households are registry records: their visits scope is the same area rule in this family
# (and posts, whose area is where they serve, follow it too).
HOUSEHOLD_SCOPE = ScopeSpec(family="visits", area_path="area__path")
RESIDENT_SCOPE = ScopeSpec(family="visits", area_path="household__area__path")
AREA_SCOPE = ScopeSpec(family="visits", area_path="path")
SEGMENT = PATH_STEP + len(PATH_SEPARATOR)
# How far below its district each kind of area the overdue counts group by sits (street 1,
# community 2, village 3); a city above the districts adds one (`Area.objects.district_depth`).
GROUP_DEPTHS = {"community": 2, "village": 3}
AREA_LEVELS: dict[int, str] = {
    LinkLevel.DISTRICT_LEADER: AreaKind.STREET,
    LinkLevel.DEPARTMENT: AreaKind.COMMUNITY,
    LinkLevel.CADRE: AreaKind.VILLAGE,
}


class DaysBetween(Func):
    """(later − earlier) in whole days, for two dates, on SQLite and PostgreSQL."""

    output_field = IntegerField()
    arity = 2

    def as_sql(
        self, compiler, connection, function=None, template=None, arg_joiner=None, **extra_context
    ):
        later, later_params = compiler.compile(self.source_expressions[0])
        earlier, earlier_params = compiler.compile(self.source_expressions[1])
        if connection.vendor == "sqlite":
            sql = f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"
        else:
            sql = f"(({later})::date - ({earlier})::date)"
        return sql, (*later_params, *earlier_params)


# --- reading filters --------------------------------------------------------------------------


class _Unreadable(Exception):
    """A filter value that names nothing: the list is empty."""


def _id(value) -> int | None:
    if value is None or value == "":
        return None
    if hasattr(value, "pk"):
        return value.pk
    text = str(value).strip()
    if not text.isdigit() or len(text) > 18:
        raise _Unreadable
    return int(text)


def _date(value) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise _Unreadable from None


def _area(value) -> Area | None:
    if isinstance(value, Area):
        return value
    pk = _id(value)
    if pk is None:
        return None
    area = Area.objects.filter(pk=pk).first()
    if area is None:
        raise _Unreadable
    return area


def _choice(value, choices) -> str | None:
    if value is None or value == "":
        return None
    if str(value) not in {str(c) for c in choices}:
        raise _Unreadable
    return str(value)


def _filtered(qs: QuerySet, filters: dict | None, apply) -> QuerySet:
    try:
        return apply(qs, filters or {})
    except _Unreadable:
        return qs.none()


def _active_on(day: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}starts_on__lte": day}) & (
        Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": day})
    )


def _scoped(qs: QuerySet, user: Actor, spec: ScopeSpec, action: str) -> QuerySet:
    condition = scope_filter(user, spec, action, model=qs.model)
    return qs.none() if condition is None else qs.filter(condition)


# --- households to visit ----------------------------------------------------------------------


def _with_state(qs: QuerySet, today: dt.date) -> QuerySet:
    """Households with their last visit, due date and days overdue (0 when not overdue)."""
    return qs.annotate(
        due_on=F("visit_state__due_on"),
        last_visited_on=F("visit_state__last_visited_on"),
        overdue_days=Case(
            When(
                overdue_households(today),
                then=DaysBetween(Value(today), F("visit_state__due_on")),
            ),
            default=Value(0),
            output_field=IntegerField(),
        ),
    ).order_by(F("visit_state__due_on").asc(nulls_last=True), "number")


def household_search(query: str) -> Q:
    """Households by a member's name, its pinyin or initials (lzh → 刘志辉), the last digits of
    a member's ID or mobile, the household number (or its start) or part of the address."""
    query = (query or "").strip()
    if not query:
        return Q()
    members = Resident.objects.filter(person_search(query)).values("household_id")
    return Q(pk__in=members) | starts_with("number", query) | Q(address__contains=query)


def my_households(*, user: Actor, query: str = "", today: dt.date | None = None) -> QuerySet:
    """我的走访户 — the households where the user records visits, the most overdue first
    (due date, then household number), annotated `due_on`, `last_visited_on`, `overdue_days`."""
    today = today or timezone.localdate()
    qs = _scoped(Household.objects.all(), user, HOUSEHOLD_SCOPE, "record")
    qs = qs.select_related("area", "head")
    if query:
        qs = qs.filter(household_search(query))
    return _with_state(qs, today)


def _worker_paths(worker_id: int, today: dt.date) -> list[str]:
    """The areas (grids) of a grid worker's posts in force today."""
    posts = Post.objects.filter(kind=PostKind.GRID_WORKER, account_id=worker_id)
    return list(posts.filter(_active_on(today)).values_list("area__path", flat=True))


def _overdue_filters(today: dt.date):
    def apply(qs: QuerySet, filters: dict) -> QuerySet:
        area = _area(filters.get("area"))
        if area is not None:
            qs = under_area(qs, "area__path", area)
        worker = _id(filters.get("worker"))
        if worker is not None:
            paths = _worker_paths(worker, today)
            if not paths:
                return qs.none()
            condition = Q()
            for path in paths:
                condition |= starts_with("area__path", path)
            qs = qs.filter(condition)
        return qs

    return apply


def overdue_list(
    *, user: Actor, filters: dict | None = None, today: dt.date | None = None
) -> QuerySet:
    """逾期未走访 — households whose next visit was due before today, in the user's
    `visits.view` scope, the most overdue first. Filters: area (id), worker (a grid worker's
    user id: the households of their grids)."""
    today = today or timezone.localdate()
    qs = _scoped(Household.objects.all(), user, HOUSEHOLD_SCOPE, "view")
    qs = qs.filter(pk__in=overdue_household_ids(today)).select_related("area", "head")
    return _with_state(_filtered(qs, filters, _overdue_filters(today)), today)


def _count_households(qs: QuerySet, today: dt.date, group) -> list[dict]:
    return list(
        qs.annotate(group=group)
        .values("group")
        .annotate(
            households=Count("pk"),
            overdue=Count("pk", filter=overdue_households(today)),
        )
        .order_by("group")
    )


def _counts_by_area(qs: QuerySet, by: str, today: dt.date) -> list[dict]:
    length = (Area.objects.district_depth() + GROUP_DEPTHS[by] + 1) * SEGMENT
    rows = _count_households(qs, today, Substr("area__path", 1, length))
    areas = {a.path: a for a in Area.objects.filter(path__in=[r["group"] for r in rows])}
    out = []
    for row in rows:
        area = areas.get(row["group"])
        if area is None:
            continue
        out.append(
            {
                "key": area.pk,
                "label": area.name,
                "households": row["households"],
                "overdue": row["overdue"],
            }
        )
    return out


def _counts_by_path(qs: QuerySet, paths: set[str], today: dt.date) -> dict[str, dict]:
    """Households and overdue ones under each of `paths`: one query per path length (grids
    sit at one or two depths), households in buildings under a grid included."""
    counts: dict[str, dict] = {}
    for length in {len(p) for p in paths}:
        same = [p for p in paths if len(p) == length]
        under = Q()
        for path in same:
            under |= starts_with("area__path", path)
        rows = _count_households(qs.filter(under), today, Substr("area__path", 1, length))
        counts.update({r["group"]: r for r in rows})
    return counts


def _counts_by_worker(qs: QuerySet, user: Actor, area: Area | None, today: dt.date) -> list[dict]:
    grid_posts = Post.objects.filter(
        _active_on(today), kind=PostKind.GRID_WORKER, account__isnull=False
    )
    scoped = _scoped(grid_posts.select_related("area"), user, HOUSEHOLD_SCOPE, "view")
    if area is not None:
        scoped = scoped.filter(starts_with("area__path", area.path))
    posts = list(scoped.order_by("holder_name", "id"))
    counts = _counts_by_path(qs, {p.area.path for p in posts}, today)
    workers: dict[int, dict] = {}
    grids: dict[int, set[str]] = {}
    for post in posts:
        row = workers.setdefault(
            post.account_id,
            {"key": post.account_id, "label": post.holder_name, "households": 0, "overdue": 0},
        )
        if post.area.path in grids.setdefault(post.account_id, set()):
            continue  # two posts of one worker over one grid count it once
        grids[post.account_id].add(post.area.path)
        counted = counts.get(post.area.path, {"households": 0, "overdue": 0})
        row["households"] += counted["households"]
        row["overdue"] += counted["overdue"]
    return list(workers.values())


def overdue_counts(
    *, user: Actor, by: str, area: Area | None = None, today: dt.date | None = None
) -> list[dict]:
    """Households and how many are overdue, per village, community or grid worker (the grid
    worker posts with a login, counting the households of their grids), in the user's
    `visits.view` scope (under `area` if given): rows {key, label, households, overdue}, the
    most overdue first. `key` is the area's id, or the worker's user id."""
    today = today or timezone.localdate()
    qs = _scoped(Household.objects.all(), user, HOUSEHOLD_SCOPE, "view")
    if area is not None:
        qs = under_area(qs, "area__path", area)
    if by == "worker":
        rows = _counts_by_worker(qs, user, area, today)
    elif by in GROUP_DEPTHS:
        rows = _counts_by_area(qs, by, today)
    else:
        raise ValueError(f"overdue counts by {by!r}?")
    return sorted(rows, key=lambda r: (-r["overdue"], r["label"]))


# --- visits -----------------------------------------------------------------------------------


VISIT_RELATED = ("household", "household__area", "household__head", "area", "visitor")


def _apply_visit_filters(qs: QuerySet, filters: dict) -> QuerySet:
    area = _area(filters.get("area"))
    if area is not None:
        qs = under_area(qs, "household__area__path", area)
    for key, field in (("household", "household_id"), ("visitor", "visitor_id")):
        value = _id(filters.get(key))
        if value is not None:
            qs = qs.filter(**{field: value})
    channel = _choice(filters.get("channel"), VisitChannel.values)
    if channel is not None:
        qs = qs.filter(channel=channel)
    start, end = _date(filters.get("date_from")), _date(filters.get("date_to"))
    if start is not None:
        qs = qs.filter(visited_on__gte=start)
    if end is not None:
        qs = qs.filter(visited_on__lte=end)
    return qs


def visit_list(*, user: Actor, filters: dict | None = None) -> QuerySet:
    """走访记录 — visits to households in the user's scope, the latest first. Filters: area,
    household, visitor (user id), channel, date_from, date_to."""
    qs = Visit.objects.restrict(user, "view").select_related(*VISIT_RELATED)
    return _filtered(qs.order_by("-visited_on", "-id"), filters, _apply_visit_filters)


def visit_get(*, user: Actor, pk) -> Visit:
    """One visit with its needs (and what each was handed on to), or 404 — also outside the
    user's scope."""
    needs = Need.objects.select_related("application", "appeal").order_by("id")
    with joins_as_written():
        visit = (
            Visit.objects.restrict(user, "view")
            .select_related(*VISIT_RELATED, "assignment")
            .prefetch_related(Prefetch("needs", queryset=needs))
            .filter(pk=pk)
            .first()
        )
    if visit is None:
        raise OutOfScope(Visit, pk)
    for need in visit.needs.all():
        need.household = visit.household  # the visit's own household: no query a need
    return visit


# --- needs ------------------------------------------------------------------------------------

NEED_RELATED = (
    "household",
    "household__area",
    "household__head",
    "visit",
    "visit__area",
    "application",
    "appeal",
)


def _apply_need_filters(qs: QuerySet, filters: dict) -> QuerySet:
    status = _choice(filters.get("status"), NeedStatus.values)
    if status is not None:
        qs = qs.filter(status_now=status)
    category = _choice(filters.get("category"), NeedCategory.values)
    if category is not None:
        qs = qs.filter(category=category)
    area = _area(filters.get("area"))
    if area is not None:
        qs = under_area(qs, "household__area__path", area)
    return qs


def need_list(*, user: Actor, filters: dict | None = None) -> QuerySet:
    """需求 — needs found on visits in the user's scope, the latest first, annotated
    `status_now` (the effective status: the application's once handed on). Filters: status
    (effective), category, area."""
    qs = (
        Need.objects.restrict(user, "view")
        .select_related(*NEED_RELATED)
        .annotate(status_now=need_status_expression())
        .order_by("-found_on", "-id")
    )
    return _filtered(qs, filters, _apply_need_filters)


def need_get(*, user: Actor, pk) -> Need:
    need = (
        Need.objects.restrict(user, "view")
        .select_related(*NEED_RELATED)
        .annotate(status_now=need_status_expression())
        .filter(pk=pk)
        .first()
    )
    if need is None:
        raise OutOfScope(Need, pk)
    return need


# The permissions over the need's household each action asks for.
NEED_ACTION_PERMISSIONS = {
    workflow.Action.HAND_ON: ("visits.record", "services.apply"),
    workflow.Action.RAISE_APPEAL: ("visits.record", "appeals.report"),
    workflow.Action.RESOLVE: ("visits.record",),
    workflow.Action.CLOSE: ("visits.record",),
}


def need_actions(*, user: Actor, need: Need, area: Area) -> list[str]:
    """The actions the visit page offers `user` on a need (`workflow.Action`): possible in the
    need workflow — the check the services make — and allowed by the user's permissions over
    `area`, the need's household's."""
    return [
        action
        for action in workflow.ACTIONS
        if workflow.possible(action, status=need.status, handed_on=handed_on(need))
        and all(covers(user, area, perm) for perm in NEED_ACTION_PERMISSIONS[action])
    ]


# --- contact assignments ----------------------------------------------------------------------

ASSIGNMENT_RELATED = (
    "scope_area",
    "area",
    "resident",
    "resident__household",
    "household",
    "contact_post",
    "contact_organisation",
    "contact_household",
    "contact_resident",
)


def _apply_assignment_filters(qs: QuerySet, filters: dict) -> QuerySet:
    level = _choice(filters.get("level"), LinkLevel.values)
    if level is not None:
        qs = qs.filter(level=int(level))
    area = _area(filters.get("area"))
    if area is not None:
        qs = under_area(qs, "scope_area__path", area)
    day = _date(filters.get("active_on"))
    if day is not None:
        qs = qs.filter(_active_on(day))
    contact = str(filters.get("contact") or "").strip()
    if contact:
        qs = qs.filter(contact_name__contains=contact)
    return qs


def assignment_list(*, user: Actor, filters: dict | None = None) -> QuerySet:
    """联系责任 — contact assignments in the user's scope, by level. Filters: level, area,
    active_on (a day), contact (part of the contact's name)."""
    # The area's path is read for each row rather than joined: ordered by a joined column, a
    # planner that knows the area tree is small sorts every assignment; this way it reads them
    # in level order and sorts one level at a time, so a page stops early.
    scope_path = Area.objects.filter(pk=OuterRef("scope_area_id")).values("path")
    qs = (
        ContactAssignment.objects.restrict(user, "view")
        .select_related(*ASSIGNMENT_RELATED)
        .alias(scope_path=Subquery(scope_path))
        .order_by("level", "scope_path", "id")
    )
    return _filtered(qs, filters, _apply_assignment_filters)


def assignment_get(*, user: Actor, pk) -> ContactAssignment:
    assignment = (
        ContactAssignment.objects.restrict(user, "view")
        .select_related(*ASSIGNMENT_RELATED)
        .filter(pk=pk)
        .first()
    )
    if assignment is None:
        raise OutOfScope(ContactAssignment, pk)
    return assignment


def policy_list() -> QuerySet:
    """走访频次 — the visit policies, the default first (they are not secret: no scope)."""
    return VisitPolicy.objects.select_related("tag").order_by("-is_default", "id")


# --- the gap list -----------------------------------------------------------------------------


def _linked(level: int, on: dt.date, field: str) -> Exists:
    return Exists(
        ContactAssignment.objects.filter(_active_on(on), level=level, **{field: OuterRef("pk")})
    )


def _targets(user: Actor, level: int, area: Area | None, on: dt.date) -> tuple[QuerySet, Q]:
    """The targets of `level` in the user's `visits.view` scope (under `area`), and the
    condition that an assignment of that level is in force for one on `on`."""
    if level in AREA_LEVELS:
        qs = _scoped(Area.objects.filter(kind=AREA_LEVELS[level]), user, AREA_SCOPE, "view")
        path, linked = "path", Q(_linked(level, on, "area"))
        qs = qs.order_by("path")
    elif level == LinkLevel.VILLAGE_CADRE:
        # The members as a set of ids, not a join: ordered by household number, a join lets
        # SQLite walk every resident in that order to find the few without a contact.
        tagged = ResidentTag.objects.filter(tag__name=PARTY_MEMBER_TAG).values("resident_id")
        members = Resident.objects.filter(pk__in=tagged)
        qs = _scoped(members, user, RESIDENT_SCOPE, "view").select_related("household__area")
        path, linked = "household__area__path", Q(_linked(level, on, "resident"))
        qs = qs.order_by("household__number", "id")
    elif level == LinkLevel.CENTRAL_HOUSEHOLD:
        qs = _scoped(Household.objects.all(), user, HOUSEHOLD_SCOPE, "view")
        qs = qs.select_related("area", "head").order_by("number")
        path = "area__path"
        linked = Q(_linked(level, on, "household")) | Q(_linked(level, on, "contact_household"))
    else:
        raise ValueError(f"link level {level!r}?")
    if area is not None:
        qs = under_area(qs, path, area)
    return qs, linked


def gap_list(*, user: Actor, level: int, area: Area | None = None, on: dt.date | None = None):
    """空白点 — the targets of one link level with nobody assigned on `on` (today by default),
    in the user's `visits.view` scope: streets (1), communities (2), villages (3), party
    members (4), households neither contacted by a central household nor one themselves (5)."""
    on = on or timezone.localdate()
    qs, linked = _targets(user, int(level), area, on)
    return qs.exclude(linked)


def gap_counts(*, user: Actor, area: Area | None, on: dt.date | None = None) -> list[dict]:
    """Per link level: {level, label, targets, linked, gaps} under `area`. One query a level."""
    on = on or timezone.localdate()
    rows = []
    for level in LinkLevel:
        # The condition itself, not an annotation of it: Django drops an annotation that an
        # aggregate's filter names when it wraps the query (the count would read 0).
        qs, linked = _targets(user, level, area, on)
        counted = qs.order_by().aggregate(targets=Count("pk"), linked=Count("pk", filter=linked))
        rows.append(
            {
                "level": level.value,
                "label": level.label,
                "targets": counted["targets"],
                "linked": counted["linked"],
                "gaps": counted["targets"] - counted["linked"],
            }
        )
    return rows
