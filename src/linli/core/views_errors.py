"""Error pages that need a view of their own. 403 and 404 are templates (templates/403.html,
templates/404.html) rendered by Django's own handlers."""

from __future__ import annotations

from django.shortcuts import render


def csrf_failure(request, reason: str = ""):
    """A form refused by the CSRF check: the site's Chinese page in its own layout, instead of
    Django's English one. The reason stays out of the page (it is for developers)."""
    return render(request, "403_csrf.html", status=403)
