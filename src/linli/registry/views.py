"""Pages of the registry 户籍登记: household and resident lists, the household page, the forms,
reveal 查看明文, the tag vocabulary, organisations and posts.

Views stay thin: they parse, call one selector or service, and prepare what the template shows.
Scope comes from the selectors (`restrict`); masking from `core.masking.mask` only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.core.dates import age_on
from linli.core.masking import ID_NUMBER, MOBILE, mask
from linli.core.models import Area
from linli.core.scoping import covers
from linli.core.selectors import area_for_list
from linli.core.web import form_page, is_htmx, posted, render_page
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
    areas_for,
    organisation_areas_for,
)
from .models import Organisation, Resident, Tag

PAGE_SIZE = 50
SEARCH_MAX_LENGTH = 50
REVEAL_LABELS = {"id_number": ID_NUMBER, "mobile": MOBILE}


# --- helpers ------------------------------------------------------------------------------


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
        export_oob=is_htmx(request),  # the results alone: their export buttons come along
        reason_min=imports.FULL_EXPORT_REASON_MIN,
    )
    return render_page(request, "registry/household_list.html", context, partial="results")


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
    return render_page(request, "registry/resident_list.html", context, partial="results")


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
    return render_page(request, "registry/organisation_list.html", context, partial="results")


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
    return render_page(request, "registry/post_list.html", context, partial="results")


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
    template = "registry/partials/reveal.html" if is_htmx(request) else "registry/reveal.html"
    return render(request, template, context, status=status)


# --- forms --------------------------------------------------------------------------------


def _tags_for(user, target: str, area: Area | None) -> list[Tag]:
    """The vocabulary a form offers; sensitive tags only where the user may reveal."""
    show_sensitive = area is None or covers(user, area, "registry.reveal")
    tags = selectors.tag_vocabulary(target=target)
    return [t for t in tags if show_sensitive or not t.sensitive]


def _to_household(household) -> str:
    return reverse("registry:household_detail", args=[household.pk])


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
    initial = _working_area_initial(request, areas)
    form = HouseholdForm(posted(request), areas=areas, tags=tags, initial=initial)

    def save(data):
        return services.household_create(
            actor=user,
            area=data["area"],
            number=data["number"],
            address=data["address"],
            tags=_allowed_tags(user, data["area"], form.chosen_tags()),
        )

    return form_page(
        request,
        form,
        save=save,
        success_message=_("Household registered. Now add its members."),
        success_url=_to_household,
        template="registry/household_form.html",
    )


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
    form = HouseholdForm(posted(request), areas=areas, tags=tags, household=household)

    def save(data):
        return services.household_update(
            actor=user,
            household=household,
            expected_version=data["version"],
            area=data["area"],
            number=data["number"],
            address=data["address"],
            tags=form.chosen_tags(keep=household.tag_links.all()),
        )

    return form_page(
        request,
        form,
        save=save,
        success_message=_("Household saved."),
        success_url=_to_household,
        template="registry/household_form.html",
        context={"household": household},
    )


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
    form = ResidentForm(posted(request), tags=tags, initial=initial)

    def save(data):
        return services.resident_create(
            actor=user,
            household=household,
            name=data["name"],
            id_number=data["id_number"],
            mobile=data["mobile"],
            relation=data["relation"],
            tags=form.chosen_tags(),
        )

    return form_page(
        request,
        form,
        save=save,
        success_message=lambda person: _("%(name)s added.") % {"name": person.name},
        success_url=_to_household(household),
        template="registry/resident_form.html",
        context={"household": household},
    )


@login_required
@require_http_methods(["GET", "POST"])
def resident_edit(request, pk: int):
    user = request.user
    person = selectors.resident_get(user=user, pk=pk)
    household = person.household
    if not covers(user, household.area, "registry.change"):
        raise PermissionDenied
    tags = _tags_for(user, TagTarget.RESIDENT, household.area)
    form = ResidentForm(posted(request), tags=tags, resident=person)

    def save(data):
        return services.resident_update(
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

    return form_page(
        request,
        form,
        save=save,
        success_message=lambda saved: _("%(name)s saved.") % {"name": saved.name},
        success_url=_to_household(household),
        template="registry/resident_form.html",
        context={"household": household, "person": person},
    )


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
    tags = reverse("registry:tag_list")
    title = _("New tag") if tag is None else _("Edit tag %(name)s") % {"name": tag.name}
    return form_page(
        request,
        TagForm(posted(request), tag=tag),
        save=lambda data: services.tag_save(actor=request.user, tag=tag, **data),
        success_message=_("Tag saved."),
        success_url=tags,
        context={
            "title": title,
            "breadcrumb": [{"label": _("Tags"), "url": tags}],
            "cancel_url": tags,
        },
    )


# --- organisations and posts: the administrator's forms ------------------------------------


def _require_organisation_change(user, area: Area) -> None:
    """Seen but not the user's to change: 403 (the record was already looked up in scope)."""
    if not (user.is_staff_member and covers(user, area, "organisation.change")):
        raise PermissionDenied


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
        posted(request), areas=areas, parents=parents, organisation=organisation, **extra
    )

    def save(data):
        fields = {
            "name": data["name"],
            "kind": data["kind"],
            "area": data["area"],
            "parent": data["parent_organisation"],
            "address": data["address"],
        }
        if organisation is None:
            return services.organisation_create(actor=user, **fields)
        return services.organisation_update(actor=user, organisation=organisation, **fields)

    if organisation is None:
        title = _("New organisation")
    else:
        title = _("Edit organisation %(name)s") % {"name": organisation.name}
    return form_page(
        request,
        form,
        save=save,
        names={"parent": "parent_organisation"},
        success_message=lambda saved: _("Organisation %(name)s saved.") % {"name": saved.name},
        success_url=lambda saved: _list_url("registry:organisation_list", saved.area_id),
        context=_organisations_page(title, "registry:organisation_list", _("Organisations")),
    )


def _organisations_page(title: str, list_name: str, list_label: str, **more) -> dict:
    """What the form page of an organisation or a post shows around the form."""
    back = reverse(list_name)
    return {
        "title": title,
        "breadcrumb": [{"label": list_label, "url": back}],
        "cancel_url": back,
        **more,
    }


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
        posted(request),
        areas=areas,
        organisations=organisations,
        initial=_working_area_initial(request, areas),
    )

    def save(data):
        return services.post_create(
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

    return form_page(
        request,
        form,
        save=save,
        success_message=lambda post: _("Post of %(name)s saved.") % {"name": post.holder_name},
        success_url=lambda post: _list_url("registry:post_list", post.area_id),
        context=_organisations_page(_("New post"), "registry:post_list", _("Posts")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def post_end(request, pk: int):
    """卸任 — set the last day of a post."""
    user = request.user
    post = selectors.post_get(user=user, pk=pk)
    _require_organisation_change(user, post.area)
    post_label = post.get_kind_display() + (f" · {post.title}" if post.title else "")
    facts = [
        (_("Post"), post_label),
        (_("Organisation"), post.organisation.name if post.organisation else "—"),
        (_("Area served"), post.area.name),
        (_("From"), post.starts_on.isoformat()),
    ]
    return form_page(
        request,
        PostEndForm(posted(request), post=post),
        save=lambda data: services.post_end(actor=user, post=post, ends_on=data["ends_on"]),
        success_message=_("Post of %(name)s ended.") % {"name": post.holder_name},
        success_url=_list_url("registry:post_list", post.area_id),
        context=_organisations_page(
            _("End the post of %(name)s") % {"name": post.holder_name},
            "registry:post_list",
            _("Posts"),
            facts=facts,
            submit=_("End post"),
        ),
    )
