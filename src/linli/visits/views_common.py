"""What the visits pages share: permission checks, paging, the area a page is about, and how a
person or a household is shown (masked through `core.masking`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import QueryDict

from linli.core import selectors as core_selectors
from linli.core.masking import ID_NUMBER, MOBILE, mask
from linli.core.models import Area
from linli.core.pagination import page_by_ids
from linli.core.scoping import OutOfScope, covers
from linli.core.workspace import current_area, switchable_areas

PAGE_SIZE = 50
SEARCH_MAX_LENGTH = 50


def require(user, *perms: str) -> None:
    """Staff pages: a resident or a role with none of `perms` gets 403 (nothing looked up)."""
    if not (user.is_staff_member and any(user.has_permission(p) for p in perms)):
        raise PermissionDenied


def digits(value) -> int | None:
    value = str(value or "").strip()
    return int(value) if value.isdigit() and len(value) < 19 else None


def paginate(request, queryset, size: int = PAGE_SIZE) -> Page:
    """The requested page of a list, its ids first (a district's year of visits is long)."""
    if isinstance(queryset, list):
        return Paginator(queryset, size).get_page(request.GET.get("page"))
    return page_by_ids(queryset, size, request.GET.get("page"))


def page_context(page: Page) -> dict:
    return {
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
    }


def clean_params(request, keys: tuple[str, ...]) -> QueryDict:
    """The list's filters as given (search text trimmed), without the page number."""
    params = QueryDict(mutable=True)
    for key in keys:
        value = request.GET.get(key, "").strip()
        if value:
            params[key] = value[:SEARCH_MAX_LENGTH]
    return params


def requested_area(request, *, default_current: bool = True) -> Area | None:
    """The area named by ?area= (404 when the user may not see it), else the working area."""
    raw = request.GET.get("area", "").strip()
    if raw:
        if not raw.isdigit() or len(raw) > 18:
            raise OutOfScope(Area, raw)
        return core_selectors.area_get(user=request.user, pk=int(raw))
    return current_area(request) if default_current else None


def masked_person(person):
    """A person as the visits pages show them: ID and mobile masked."""
    if person is not None:
        person.masked_id = mask(person.id_number, ID_NUMBER)
        person.masked_mobile = mask(person.mobile, MOBILE)
    return person


class RevealScope:
    """Where the user holds registry.reveal (sensitive tags shown), read once a request."""

    def __init__(self, user):
        self.paths = tuple(user.scope_paths("registry.reveal"))

    def covers(self, area: Area) -> bool:
        return bool(self.paths) and area.path.startswith(self.paths)


def visible_tags(links, show_sensitive: bool) -> list:
    return [link.tag for link in links if show_sensitive or not link.tag.sensitive]


def area_options(user, area: Area | None, perm: str = "visits.view") -> list[Area]:
    """The areas a list can be narrowed to: those of the switcher where the user holds `perm`,
    and the one asked for."""
    options = [a for a in switchable_areas(user) if covers(user, a, perm)]
    if area is not None and all(a.pk != area.pk for a in options):
        area.indent = ""
        options = [area, *options]
    return options
