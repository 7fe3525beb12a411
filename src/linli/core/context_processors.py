from django.utils import timezone

from .navigation import nav_items
from .workspace import current_area, switchable_areas


def workbench(request):
    """What every page's shell needs: navigation, and the area switcher within scope."""
    user = getattr(request, "user", None)
    today = timezone.localdate()  # deadlines are marked overdue against the local date
    if user is None or not user.is_authenticated:
        return {"today": today}
    return {
        "today": today,
        "nav_items": nav_items(request),
        "scope_areas": user.scope_areas(),
        "switchable_areas": switchable_areas(user) if user.is_staff_member else [],
        "current_area": current_area(request),
    }


def care_mode(request):
    """Care mode 关怀模式 (larger type, higher contrast, big targets), chosen with the switch in
    every page's footer and kept in a cookie of the browser."""
    from .views import care_mode_on

    return {"care_mode": care_mode_on(request)}
