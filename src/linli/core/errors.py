"""What a refused write is, and how pages and the API answer it.

A service refuses with Django's `ValidationError`: bad input (400 on a page, 422 in the API),
said field by field where it can be. One kind of refusal is not the person's mistake: the record
is no longer as they saw it — someone else saved first, the step was finished by a colleague,
the same thing was sent twice. That is a `Conflict` (409 everywhere), and whether a refusal is
one is decided where it is raised, not guessed from its code by each page:

    check_version(task.version, expected_version, STALE_TASK)
    raise Conflict(_("This application has already been rated."), code="rated")

A conflict concerns the whole record, so it is raised on its own or inside a list (a list keeps
it a `Conflict`; Django turns a lone error given as a dict value into a plain one).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

STALE_RECORD = _(
    "Someone else changed this record while you were editing it. "
    "Reload the page to see their change, then edit again."
)


class Conflict(ValidationError):
    """The record is no longer as the person saw it: pages and the API answer 409, with the
    message saying what happened. Its code names the case ("stale", "already_finished" …)."""

    status = 409

    def __init__(self, message, code: str = "stale", params=None):
        super().__init__(message, code=code, params=params)


def check_version(current: int, expected: int | None, message=STALE_RECORD) -> None:
    """The optimistic version check: `expected` is the version the person's page or request
    showed (None: the caller did not say); another one means someone else saved first."""
    if expected is not None and current != expected:
        raise Conflict(message, code="stale")


def leaves(error: ValidationError) -> list[ValidationError]:
    """Every single error inside `error`, whether it names fields or not."""
    if hasattr(error, "error_dict"):
        return [e for errors in error.error_dict.values() for e in errors]
    return list(error.error_list)


def is_conflict(error: ValidationError) -> bool:
    return any(isinstance(e, Conflict) for e in leaves(error))


def error_status(error: ValidationError) -> int:
    """A page's answer to a refused write: 409 for a conflict, 400 for bad input."""
    return Conflict.status if is_conflict(error) else 400
