"""Template filters for fields with choices: `{% load choices %}`."""

import functools

from django import template
from django.utils.encoding import force_str

register = template.Library()


@functools.cache
def _labels(field) -> dict:
    """The field's values and their labels; the labels stay lazy, translated when shown."""
    return dict(field.flatchoices)


@register.filter
def choice_label(record, field_name: str):
    """`{{ record|choice_label:"action" }}` — what `record.get_action_display` gives. Django
    builds the table of the field's choices afresh on every call (translating each label to
    hash it); a list asks it on every row, so here the table is built once per field. No
    record (an empty relation) shows nothing, as a missing variable would."""
    if record is None:
        return ""
    field = record._meta.get_field(field_name)
    value = getattr(record, field.attname)
    return force_str(_labels(field).get(value, value), strings_only=True)
