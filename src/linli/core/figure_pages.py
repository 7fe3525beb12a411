"""What every dashboard page 统计页 shares: the area it is about (asked for with `?area=`, else
the working area) and the answer to a period given wrongly for a workbook."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse

from . import selectors
from .models import Area
from .scoping import OutOfScope, covers
from .workspace import current_area


def dashboard_area(request, perm: str) -> Area:
    """The area asked for (`?area=`, 404 when the user may not see it), else the working area;
    403 for one who holds no `perm` over it (and, before anything is looked up, for a resident
    or a role without it)."""
    user = request.user
    if not (user.is_staff_member and user.has_permission(perm)):
        raise PermissionDenied
    raw = request.GET.get("area", "").strip()
    area: Area | None
    if raw:
        if not raw.isdigit() or len(raw) > 18:
            raise OutOfScope(Area, raw)
        area = selectors.area_get(user=user, pk=int(raw))
    else:
        area = current_area(request)
    if area is None or not covers(user, area, perm):
        raise PermissionDenied
    return area


def bad_period(form) -> HttpResponse:
    """The period's errors in words, with a 400: a workbook of a wrong period is not made."""
    lines = [
        f"{form.fields[name].label}: {error}" if name in form.fields else str(error)
        for name, errors in form.errors.items()
        for error in errors
    ]
    return HttpResponse("\n".join(lines), status=400, content_type="text/plain; charset=utf-8")
