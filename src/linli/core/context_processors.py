from .navigation import nav_items
from .workspace import current_area, switchable_areas


def workbench(request):
    """What every page's shell needs: navigation, and the area switcher within scope."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_items": nav_items(request),
        "scope_areas": user.scope_areas(),
        "switchable_areas": switchable_areas(user) if user.is_staff_member else [],
        "current_area": current_area(request),
    }
