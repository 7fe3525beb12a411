"""The area a staff member is working in (the area switcher), kept in the session."""

from __future__ import annotations

from linli.core.models import Area

from .actors import Actor

SESSION_KEY = "linli_area_id"
SWITCHER_DEPTH = 2  # levels below each scope top offered in the switcher (street → village)


_CURRENT = "_linli_current_area"  # looked up once a request: by the page and by its shell
_SWITCHABLE = "_linli_switchable_areas"  # once for the user of a request, as their grants are


def current_area(request) -> Area | None:
    if _CURRENT not in request.__dict__:
        request.__dict__[_CURRENT] = _current_area(request)
    return request.__dict__[_CURRENT]


def _current_area(request) -> Area | None:
    user = request.user
    tops = user.scope_areas()
    if not tops:
        return None
    chosen_id = request.session.get(SESSION_KEY)
    if chosen_id:
        chosen = Area.objects.restrict(user, "view").filter(pk=chosen_id).first()
        if chosen is not None:
            return chosen
    return tops[0]


def set_current_area(request, area: Area) -> None:
    request.session[SESSION_KEY] = area.pk
    request.__dict__.pop(_CURRENT, None)


def switchable_areas(user: Actor) -> list[Area]:
    """Scope tops and a couple of levels below them, indented, for the switcher (the list
    page's area filter offers the same)."""
    if _SWITCHABLE not in user.__dict__:
        user.__dict__[_SWITCHABLE] = _switchable_areas(user)
    return list(user.__dict__[_SWITCHABLE])


def _switchable_areas(user: Actor) -> list[Area]:
    areas: list[Area] = []
    for top in user.scope_areas():
        below = (
            Area.objects.under(top)
            .filter(depth__lte=top.depth + SWITCHER_DEPTH)
            .exclude(kind__in=["grid", "building"])
            .only("id", "name", "path", "depth", "kind")
            .order_by("path")[:400]
        )
        for a in below:
            a.indent = "\u3000" * (a.depth - top.depth)
            areas.append(a)
    return areas
