"""Pages of the registry 户籍登记: household and resident lists, the household page, the forms,
reveal 查看明文, the tag vocabulary, organisations and posts.

Views stay thin: they parse, call one selector or service, and prepare what the template shows.
Scope comes from the selectors (`restrict`); masking from `core.masking.mask` only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.core.dates import age_on
from linli.core.masking import ID_NUMBER, MOBILE, mask
from linli.core.models import Area
from linli.core.scoping import covers
from linli.core.selectors import area_for_list
from linli.core.workspace import current_area, switchable_areas

from . import imports, selectors, services
from .choices import OrganisationKind, PostKind, TagTarget
from .forms import (
    HouseholdForm,
    OrganisationForm,
    PostEndForm,
    PostForm,
    ResidentForm,
    TagForm,
    apply_service_errors,
    areas_for,
    is_stale,
    organisation_areas_for,
)
from .models import Organisation, Resident, Tag

PAGE_SIZE = 50
SEARCH_MAX_LENGTH = 50
REVEAL_LABELS = {"id_number": ID_NUMBER, "mobile": MOBILE}


# --- helpers ------------------------------------------------------------------------------


def _is_htmx(request: HttpRequest) -> bool:
    # A history restore asks for the whole page even though HTMX sends it.
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def _render(request, template: str, context: dict, *, partial: str = "", status: int = 200):
    """The whole page, or only `partial` of it when HTMX asks (search as you type)."""
    name = f"{template}#{partial}" if partial and _is_htmx(request) else template
    response = render(request, name, context, status=status)
    if partial:
        patch_vary_headers(response, ["HX-Request"])
    return response


def _require(user, perm: str) -> None:
    """Staff pages: a resident or a role without `perm` gets 403 (nothing to look up)."""
    if not (user.is_staff_member and user.has_permission(perm)):
        raise PermissionDenied


class RevealScope:
    """Where the user holds registry.reveal, read once per request from the cached grants, so
    "may this row show sensitive tags?" costs no query however many rows a page has."""

    def __init__(self, user):
        self.paths = tuple(user.scope_paths("registry.reveal"))

    def __bool__(self) -> bool:
        return bool(self.paths)

    def covers(self, area: Area) -> bool:
        return area.path.startswith(self.paths) if self.paths else False


def _visible_links(links, show_sensitive: bool) -> list:
    return [link for link in links if show_sensitive or not link.tag.sensitive]


def _present_person(person: Resident, *, show_sensitive: bool, today: dt.date) -> Resident:
    """What a page shows of a person: masked numbers, age, the tags the viewer may see."""
    person.masked_id = mask(person.id_number, ID_NUMBER)
    person.masked_mobile = mask(person.mobile, MOBILE)
    person.age = age_on(person.birth_date, today)
    person.shown_tags = _visible_links(person.tag_links.all(), show_sensitive)
    return person


def _paginate(request, queryset) -> Page:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@dataclass
class ListFilters:
    """The filters of a list page as the user set them, with the defaults filled in."""

    params: QueryDict
    area: Area | None
    area_options: list[Area]
    q: str = ""
    tags: list[Tag] = field(default_factory=list)
    chosen_tags: set[int] = field(default_factory=set)
    sensitive_chosen: bool = False
    area_refused: bool = False  # another area was asked for (neither in nor above the scope)


def _list_filters(request, *, with_tags: bool) -> ListFilters:
    """Search text, area (default: the working area) and tags from the query string."""
    user = request.user
    params = request.GET.copy()
    params.pop("page", None)
    if "area" not in params:
        working = current_area(request)
        params["area"] = str(working.pk) if working else ""
    if "q" in params:
        params["q"] = params["q"].strip()[:SEARCH_MAX_LENGTH]
    raw_area = params.get("area", "")
    # Another area lists nothing and is recorded as a denial (area_for_list); one above the
    # user's scope lists what they see, and is not named on the page.
    wanted = area_for_list(user=user, pk=int(raw_area)) if raw_area.isdigit() else None
    refused = raw_area.isdigit() and wanted is None
    area = wanted if wanted is not None and covers(user, wanted, "area.view") else None
    options = switchable_areas(user)
    if area is not None and all(a.pk != area.pk for a in options):
        options = [area, *options]
    filters = ListFilters(
        params=params,
        area=area,
        area_options=options,
        q=params.get("q", ""),
        area_refused=refused,
    )
    if with_tags:
        _add_tag_filters(filters, user)
    return filters


def _add_tag_filters(filters: ListFilters, user) -> None:
    vocabulary = list(selectors.tag_vocabulary())
    # Only ids of the vocabulary go on to the query: anything else (a mistyped or huge number)
    # is dropped rather than failing the page.
    known = {str(t.pk) for t in vocabulary}
    chosen = {int(v) for v in filters.params.getlist("tag") if v in known}
    if "tag" in filters.params:
        filters.params.setlist("tag", [str(pk) for pk in sorted(chosen)])
    # Sensitive tags are offered only to those who may reveal somewhere; filtering by one
    # narrows the list to where the user may reveal, so the filter itself discloses nothing.
    reveal = RevealScope(user)
    filters.tags = [t for t in vocabulary if reveal or not t.sensitive]
    filters.chosen_tags = chosen
    filters.sensitive_chosen = any(t.sensitive and t.pk in chosen for t in vocabulary)


def _export_query(filters: ListFilters) -> str:
    """The list's filters for the export link, naming only an area the user may see."""
    params = filters.params.copy()
    params.pop("area", None)
    if filters.area is not None:
        params["area"] = str(filters.area.pk)
    return params.urlencode()


def _list_context(filters: ListFilters, page: Page, **extra) -> dict:
    return {
        "filters": filters,
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
        **extra,
    }


# --- lists --------------------------------------------------------------------------------


@login_required
@require_GET
def household_list(request):
    user = request.user
    _require(user, "registry.view")
    filters = _list_filters(request, with_tags=True)
    action = "reveal" if filters.sensitive_chosen else "view"
    households = selectors.household_list(user=user, filters=filters.params, action=action)
    page = _paginate(request, households)
    rows = list(page.object_list)
    counts = dict(
        Resident.objects.filter(household_id__in=[h.pk for h in rows])
        .order_by()
        .values_list("household_id")
        .annotate(n=Count("id"))
    )
    reveal = RevealScope(user)
    export_query = _export_query(filters)
    for household in rows:
        household.member_count = counts.get(household.pk, 0)
        household.shown_tags = _visible_links(
            household.tag_links.all(), reveal.covers(household.area)
        )
        if household.head is not None:
            household.head.masked_id = mask(household.head.id_number, ID_NUMBER)
            household.head.masked_mobile = mask(household.head.mobile, MOBILE)
    context = _list_context(
        filters,
        page,
        rows=rows,
        can_add=bool(user.scope_paths("registry.add")),
        can_import=bool(user.scope_paths("registry.import")),
        can_export=bool(user.scope_paths("registry.export")),
        export_query=export_query,
        can_export_full=_may_export_full(user, filters.area),
        full_export_action=f"{reverse('registry:export')}?{export_query}",
        export_oob=_is_htmx(request),  # the results alone: their export buttons come along
        reason_min=imports.FULL_EXPORT_REASON_MIN,
    )
    return _render(request, "registry/household_list.html", context, partial="results")


def _may_export_full(user, area: Area | None) -> bool:
    """Whether the list offers the export with full numbers (明文导出): export and reveal over
    the area shown. Whoever may not gets the masked export only."""
    return area is not None and all(
        covers(user, area, perm) for perm in ("registry.export", "registry.reveal")
    )


@login_required
@require_GET
def resident_list(request):
    user = request.user
    _require(user, "registry.view")
    filters = _list_filters(request, with_tags=True)
    action = "reveal" if filters.sensitive_chosen else "view"
    people = selectors.resident_list(user=user, filters=filters.params, action=action)
    page = _paginate(request, people)
    reveal, today = RevealScope(user), timezone.localdate()
    rows = [
        _present_person(p, show_sensitive=reveal.covers(p.household.area), today=today)
        for p in page.object_list
    ]
    context = _list_context(filters, page, rows=rows)
    return _render(request, "registry/resident_list.html", context, partial="results")


def _mark_changeable(user, page: Page) -> None:
    """Flag the rows the user may change (organisation.change over the row's area); the
    grants are cached on the user, so this costs no query however many rows there are."""
    page.object_list = list(page.object_list)
    for row in page.object_list:
        row.can_change = covers(user, row.area, "organisation.change")


def _under_area(queryset, filters: ListFilters):
    if filters.area_refused:
        return queryset.none()
    area = filters.area
    return queryset.filter(area__path__startswith=area.path) if area else queryset


@login_required
@require_GET
def organisation_list(request):
    user = request.user
    _require(user, "organisation.view")
    filters = _list_filters(request, with_tags=False)
    organisations = _under_area(selectors.organisation_list(user=user), filters)
    if filters.q:
        organisations = organisations.filter(name__contains=filters.q)
    kind = filters.params.get("kind", "")
    if kind in OrganisationKind.values:
        organisations = organisations.filter(kind=kind)
    page = _paginate(request, organisations.order_by("area__path", "kind", "name"))
    _mark_changeable(user, page)
    context = _list_context(
        filters,
        page,
        kinds=OrganisationKind.choices,
        kind=kind,
        can_add=bool(user.scope_paths("organisation.change")),
    )
    return _render(request, "registry/organisation_list.html", context, partial="results")


@login_required
@require_GET
def post_list(request):
    user = request.user
    _require(user, "organisation.view")
    filters = _list_filters(request, with_tags=False)
    posts = _under_area(selectors.post_list(user=user), filters)
    if filters.q:
        posts = posts.filter(Q(holder_name__contains=filters.q) | Q(title__contains=filters.q))
    kind = filters.params.get("kind", "")
    if kind in PostKind.values:
        posts = posts.filter(kind=kind)
    current_only = filters.params.get("current") == "1"
    today = timezone.localdate()
    if current_only:
        posts = posts.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    page = _paginate(request, posts.order_by("area__path", "kind", "-starts_on", "id"))
    _mark_changeable(user, page)
    for post in page.object_list:
        # A post already over is history: ending it again is not offered.
        post.can_end = post.can_change and (post.ends_on is None or post.ends_on >= today)
    context = _list_context(
        filters,
        page,
        kinds=PostKind.choices,
        kind=kind,
        current_only=current_only,
        can_add=bool(user.scope_paths("organisation.change")),
    )
    return _render(request, "registry/post_list.html", context, partial="results")


# --- the household page and reveal ---------------------------------------------------------


@login_required
@require_GET
def household_detail(request, pk: int):
    user = request.user
    household = selectors.household_get(user=user, pk=pk)
    show_sensitive = covers(user, household.area, "registry.reveal")
    today = timezone.localdate()
    members = [
        _present_person(m, show_sensitive=show_sensitive, today=today)
        for m in household.members.all()
    ]
    context = {
        "household": household,
        "members": members,
        "household_tags": _visible_links(household.tag_links.all(), show_sensitive),
        "breadcrumb": _breadcrumb(user, household.area),
        "can_reveal": show_sensitive,
        "can_change": covers(user, household.area, "registry.change"),
        # The timeline is the staff's working history; residents see their household only.
        "timeline": selectors.household_timeline(household=household)
        if user.is_staff_member
        else [],
    }
    return render(request, "registry/household_detail.html", context)


def _breadcrumb(user, area: Area) -> list[dict]:
    """The area's ancestors, root first; those inside the user's scope link to their list."""
    may_list = user.is_staff_member and user.has_permission("registry.view")
    return [
        {"area": a, "link": may_list and covers(user, a, "registry.view")} for a in area.ancestors()
    ]


@never_cache
@login_required
@require_POST
def resident_reveal(request, pk: int):
    """查看明文 — the full ID or mobile number in place of the masked one, with a reason."""
    person = selectors.resident_get(user=request.user, pk=pk)
    if not covers(request.user, person.household.area, "registry.reveal"):
        raise PermissionDenied
    field_name = request.POST.get("field", "")
    if field_name not in REVEAL_LABELS:
        return HttpResponseBadRequest(_("This field cannot be revealed."))
    context = {"person": person, "field": field_name, "can_reveal": True}
    context["masked"] = mask(getattr(person, field_name), REVEAL_LABELS[field_name])
    status = 200
    try:
        context["value"] = services.resident_reveal(
            actor=request.user,
            resident=person,
            field=field_name,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as e:
        context["error"] = " ".join(e.messages)
        status = 400
    template = "registry/partials/reveal.html" if _is_htmx(request) else "registry/reveal.html"
    return render(request, template, context, status=status)


# --- forms --------------------------------------------------------------------------------


def _save_failed(form, error: ValidationError) -> int:
    """Show the service's messages on the form; 409 for a stale edit, 400 otherwise."""
    apply_service_errors(form, error)
    return 409 if is_stale(error) else 400


def _tags_for(user, target: str, area: Area | None) -> list[Tag]:
    """The vocabulary a form offers; sensitive tags only where the user may reveal."""
    show_sensitive = area is None or covers(user, area, "registry.reveal")
    tags = selectors.tag_vocabulary(target=target)
    return [t for t in tags if show_sensitive or not t.sensitive]


@login_required
@require_http_methods(["GET", "POST"])
def household_create(request):
    user = request.user
    areas = areas_for(user, "registry.add")
    if not user.is_staff_member or not areas.exists():
        raise PermissionDenied
    # Sensitive tags are offered if the user may reveal anywhere; `_allowed_tags` drops them
    # again once the chosen area is known, should the user not hold reveal there.
    reveal = RevealScope(user)
    vocabulary = selectors.tag_vocabulary(target=TagTarget.HOUSEHOLD)
    tags = [t for t in vocabulary if reveal or not t.sensitive]
    working = current_area(request)
    initial = {"area": working.pk} if working and areas.filter(pk=working.pk).exists() else {}
    form = HouseholdForm(request.POST or None, areas=areas, tags=tags, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                household = services.household_create(
                    actor=user,
                    area=form.cleaned_data["area"],
                    number=form.cleaned_data["number"],
                    address=form.cleaned_data["address"],
                    tags=_allowed_tags(user, form.cleaned_data["area"], form.chosen_tags()),
                )
            except ValidationError as e:
                status = _save_failed(form, e)
            else:
                messages.success(request, _("Household registered. Now add its members."))
                return redirect("registry:household_detail", pk=household.pk)
    return render(request, "registry/household_form.html", {"form": form}, status=status)


def _allowed_tags(user, area: Area, chosen: list[tuple[Tag, str]]) -> list[tuple[Tag, str]]:
    # The area is only known once chosen: drop sensitive tags where the user may not reveal.
    if covers(user, area, "registry.reveal"):
        return chosen
    return [(tag, detail) for tag, detail in chosen if not tag.sensitive]


@login_required
@require_http_methods(["GET", "POST"])
def household_edit(request, pk: int):
    user = request.user
    household = selectors.household_get(user=user, pk=pk)
    if not covers(user, household.area, "registry.change"):
        raise PermissionDenied
    areas = areas_for(user, "registry.change", include=household.area)
    tags = _tags_for(user, TagTarget.HOUSEHOLD, household.area)
    form = HouseholdForm(request.POST or None, areas=areas, tags=tags, household=household)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.household_update(
                    actor=user,
                    household=household,
                    expected_version=form.cleaned_data["version"],
                    area=form.cleaned_data["area"],
                    number=form.cleaned_data["number"],
                    address=form.cleaned_data["address"],
                    tags=form.chosen_tags(keep=household.tag_links.all()),
                )
            except ValidationError as e:
                status = _save_failed(form, e)
            else:
                messages.success(request, _("Household saved."))
                return redirect("registry:household_detail", pk=household.pk)
    context = {"form": form, "household": household}
    return render(request, "registry/household_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def resident_create(request, pk: int):
    """Add a member to household `pk`."""
    user = request.user
    household = selectors.household_get(user=user, pk=pk)
    if not covers(user, household.area, "registry.change"):
        raise PermissionDenied
    tags = _tags_for(user, TagTarget.RESIDENT, household.area)
    initial = {"relation": "other" if household.head_id else "head"}
    form = ResidentForm(request.POST or None, tags=tags, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.resident_create(
                    actor=user,
                    household=household,
                    name=data["name"],
                    id_number=data["id_number"],
                    mobile=data["mobile"],
                    relation=data["relation"],
                    tags=form.chosen_tags(),
                )
            except ValidationError as e:
                status = _save_failed(form, e)
            else:
                messages.success(request, _("%(name)s added.") % {"name": data["name"]})
                return redirect("registry:household_detail", pk=household.pk)
    context = {"form": form, "household": household}
    return render(request, "registry/resident_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def resident_edit(request, pk: int):
    user = request.user
    person = selectors.resident_get(user=user, pk=pk)
    household = person.household
    if not covers(user, household.area, "registry.change"):
        raise PermissionDenied
    tags = _tags_for(user, TagTarget.RESIDENT, household.area)
    form = ResidentForm(request.POST or None, tags=tags, resident=person)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.resident_update(
                    actor=user,
                    resident=person,
                    expected_version=data["version"],
                    name=data["name"],
                    # Empty means "keep": the form never showed the full numbers.
                    id_number=data["id_number"] or None,
                    mobile=data["mobile"] or None,
                    relation=data["relation"],
                    tags=form.chosen_tags(keep=person.tag_links.all()),
                )
            except ValidationError as e:
                status = _save_failed(form, e)
            else:
                messages.success(request, _("%(name)s saved.") % {"name": data["name"]})
                return redirect("registry:household_detail", pk=household.pk)
    context = {"form": form, "household": household, "person": person}
    return render(request, "registry/resident_form.html", context, status=status)


# --- tag vocabulary -----------------------------------------------------------------------


def _require_tag_admin(user) -> None:
    if not user.has_permission("tags.manage"):
        raise PermissionDenied


@login_required
@require_GET
def tag_list(request):
    _require_tag_admin(request.user)
    tags = list(selectors.tag_vocabulary(active_only=False))
    groups = [
        {"label": label, "tags": [t for t in tags if t.target == value]}
        for value, label in TagTarget.choices
    ]
    return render(request, "registry/tag_list.html", {"groups": groups})


@login_required
@require_http_methods(["GET", "POST"])
def tag_create(request):
    return _tag_form(request, tag=None)


@login_required
@require_http_methods(["GET", "POST"])
def tag_edit(request, pk: int):
    _require_tag_admin(request.user)
    tag = selectors.tag_vocabulary(active_only=False).filter(pk=pk).first()
    if tag is None:
        raise Http404
    return _tag_form(request, tag=tag)


def _tag_form(request, *, tag: Tag | None) -> HttpResponse:
    _require_tag_admin(request.user)
    form = TagForm(request.POST or None, tag=tag)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.tag_save(actor=request.user, tag=tag, **form.cleaned_data)
            except ValidationError as e:
                status = _save_failed(form, e)
            else:
                messages.success(request, _("Tag saved."))
                return redirect("registry:tag_list")
    return render(request, "registry/tag_form.html", {"form": form, "tag": tag}, status=status)


# --- organisations and posts: the administrator's forms ------------------------------------


def _require_organisation_change(user, area: Area) -> None:
    """Seen but not the user's to change: 403 (the record was already looked up in scope)."""
    if not (user.is_staff_member and covers(user, area, "organisation.change")):
        raise PermissionDenied


def _renamed(error: ValidationError, names: dict[str, str]) -> ValidationError:
    """The service names model fields; a form may call one differently."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError({names.get(k, k): v for k, v in error.error_dict.items()})


def _working_area_initial(request, areas) -> dict:
    working = current_area(request)
    return {"area": working.pk} if working and areas.filter(pk=working.pk).exists() else {}


@login_required
@require_http_methods(["GET", "POST"])
def organisation_create(request):
    _require(request.user, "organisation.change")
    return _organisation_form(request, organisation=None)


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request, pk: int):
    organisation = selectors.organisation_get(user=request.user, pk=pk)
    _require_organisation_change(request.user, organisation.area)
    return _organisation_form(request, organisation=organisation)


def _organisation_form(request, *, organisation: Organisation | None) -> HttpResponse:
    user = request.user
    areas = organisation_areas_for(user, include=organisation.area if organisation else None)
    parents = selectors.organisation_list(user=user).order_by("area__path", "kind", "name")
    if organisation is not None:
        # Under itself or under one of its own would make a loop.
        parents = parents.exclude(pk__in=selectors.organisation_subtree_ids(organisation))
    # A new organisation starts in the working area; an edit starts from the record.
    extra = {} if organisation else {"initial": _working_area_initial(request, areas)}
    form = OrganisationForm(
        request.POST or None, areas=areas, parents=parents, organisation=organisation, **extra
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            fields = {
                "name": data["name"],
                "kind": data["kind"],
                "area": data["area"],
                "parent": data["parent_organisation"],
                "address": data["address"],
            }
            try:
                if organisation is None:
                    saved = services.organisation_create(actor=user, **fields)
                else:
                    saved = services.organisation_update(
                        actor=user, organisation=organisation, **fields
                    )
            except ValidationError as e:
                status = _save_failed(form, _renamed(e, {"parent": "parent_organisation"}))
            else:
                messages.success(request, _("Organisation %(name)s saved.") % {"name": saved.name})
                return redirect(_list_url("registry:organisation_list", saved.area_id))
    context = {"form": form, "organisation": organisation}
    return render(request, "registry/organisation_form.html", context, status=status)


def _list_url(name: str, area_id: int) -> str:
    """A list filtered to the saved record's area, so the record is in view."""
    return f"{reverse(name)}?area={area_id}"


@login_required
@require_http_methods(["GET", "POST"])
def post_create(request):
    user = request.user
    _require(user, "organisation.change")
    areas = organisation_areas_for(user)
    organisations = selectors.organisation_list(user=user).order_by("area__path", "kind", "name")
    form = PostForm(
        request.POST or None,
        areas=areas,
        organisations=organisations,
        initial=_working_area_initial(request, areas),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                post = services.post_create(
                    actor=user,
                    holder_name=data["holder_name"],
                    account=data["account"],
                    kind=data["kind"],
                    title=data["title"],
                    organisation=data["organisation"],
                    area=data["area"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                )
            except ValidationError as e:
                status = _save_failed(form, e)
            else:
                messages.success(request, _("Post of %(name)s saved.") % {"name": post.holder_name})
                return redirect(_list_url("registry:post_list", post.area_id))
    return render(request, "registry/post_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def post_end(request, pk: int):
    """卸任 — set the last day of a post."""
    user = request.user
    post = selectors.post_get(user=user, pk=pk)
    _require_organisation_change(user, post.area)
    form = PostEndForm(request.POST or None, post=post)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.post_end(actor=user, post=post, ends_on=form.cleaned_data["ends_on"])
            except ValidationError as e:
                status = _save_failed(form, e)
            else:
                messages.success(request, _("Post of %(name)s ended.") % {"name": post.holder_name})
                return redirect(_list_url("registry:post_list", post.area_id))
    context = {"form": form, "post": post, "ending": True}
    return render(request, "registry/post_form.html", context, status=status)
