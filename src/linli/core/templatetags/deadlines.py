"""Template filters for deadlines: `{% load deadlines %}`."""

import datetime as dt

from django import template

from linli.core.dates import is_overdue

register = template.Library()


@register.filter
def overdue(due_on, today) -> bool:
    """`{% if due|overdue:today %}` — the deadline has passed (see `core.dates`). Anything but
    two dates (no `today` in the context, say) is not overdue, as a template's `<` would say."""
    if not (isinstance(due_on, dt.date) and isinstance(today, dt.date)):
        return False
    try:
        return is_overdue(due_on, today)
    except TypeError:  # a date and a datetime
        return False
