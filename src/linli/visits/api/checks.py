"""The checks the visits endpoints share: the role gate of the writes and a list's area
filter."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from linli.core import selectors as core_selectors
from linli.core.models import Area


def gate(user, perm: str) -> None:
    """A role that never may (a resident recording a visit) gets 403 before anything is
    looked up, as on the pages."""
    if not (user.is_staff_member and user.has_permission(perm)):
        raise PermissionDenied


def filter_area(user, pk: int | None) -> Area | None:
    """A list's area filter: one outside the scope is a field error (the selector would
    quietly return nothing)."""
    if pk is None:
        return None
    try:
        return core_selectors.area_get(user=user, pk=pk)
    except Http404:
        raise ValidationError({"area": _("There is no such area in your scope.")}) from None
