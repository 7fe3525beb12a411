"""The event timeline 时间线: what happened to a record, in words people read.

A line is stored untranslated — the English msgid (marked with `gettext_noop` where it is
written) and its parameters — and translated when it is shown, so a line written while one
worker used Chinese reads in English to a colleague who chose English, and the other way round.

Each module names the lines its records' timelines may hold once, in its `events.py`: a verb
(what happened, for code and filters) and the words it is told in, as an `Event`:

    # registry/events.py
    HOUSEHOLD_CHANGED = Event(Verb.UPDATED, gettext_noop("Household details changed: %(fields)s"))

    # registry/services.py
    events.HOUSEHOLD_CHANGED.add(
        subject=household,
        params=timeline.changed_fields(Household, ["address", "tags"]),
        actor=actor,
    )
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .actors import Actor, account_id
from .models import TimelineEvent

logger = logging.getLogger(__name__)

# params["fields"] holds field names of params["model"]; they are named when the line is shown.
FIELDS, MODEL = "fields", "model"


def add_event(
    *,
    subject,
    verb: str,
    message: str,
    params: dict | None = None,
    actor: Actor | None = None,
    data: dict | None = None,
) -> TimelineEvent:
    """Add a line to `subject`'s timeline. `message` is an English msgid, not yet translated;
    `params` fill its %(name)s placeholders and must be JSON (strings, numbers, lists)."""
    if isinstance(message, Promise):
        # A lazy string would be stored in whatever language is active now: the bug this avoids.
        raise TypeError("pass the msgid marked with gettext_noop, not a lazily translated string")
    return TimelineEvent.objects.create(
        content_type=ContentType.objects.get_for_model(subject, for_concrete_model=True),
        object_id=subject.pk,
        verb=verb,
        summary=message,
        params=params or {},
        actor_id=account_id(actor),
        data=data or {},
    )


def add_events(
    *,
    subjects: Iterable,
    verb: str,
    message: str,
    params: dict | None = None,
    actor: Actor | None = None,
) -> int:
    """The same line on many records' timelines (of one model), in a few statements: for jobs
    that change thousands of records at once. Returns how many lines were added."""
    if isinstance(message, Promise):
        raise TypeError("pass the msgid marked with gettext_noop, not a lazily translated string")
    subjects = list(subjects)
    if not subjects:
        return 0
    content_type = ContentType.objects.get_for_model(subjects[0], for_concrete_model=True)
    author = account_id(actor)
    rows = [
        TimelineEvent(
            content_type=content_type,
            object_id=subject.pk,
            verb=verb,
            summary=message,
            params=params or {},
            actor_id=author,
            data={},
        )
        for subject in subjects
    ]
    TimelineEvent.objects.bulk_create(rows, batch_size=500)
    return len(rows)


@dataclass(frozen=True)
class Event:
    """One kind of line a timeline may hold: its `verb` and its `message`, an English msgid
    marked with `gettext_noop` whose %(name)s placeholders the line's params fill."""

    verb: str
    message: str

    def __post_init__(self):
        object.__setattr__(self, "verb", str(self.verb))  # a plain string to store, not an enum

    def add(
        self,
        *,
        subject,
        params: dict | None = None,
        actor: Actor | None = None,
        data: dict | None = None,
    ):
        """This line on `subject`'s timeline (see `add_event`)."""
        return add_event(
            subject=subject,
            verb=self.verb,
            message=self.message,
            params=params,
            actor=actor,
            data=data,
        )

    def add_to_each(
        self, *, subjects: Iterable, params: dict | None = None, actor: Actor | None = None
    ) -> int:
        """This line on each of many records' timelines (see `add_events`)."""
        return add_events(
            subjects=subjects, verb=self.verb, message=self.message, params=params, actor=actor
        )


def changed_fields(model, names: Iterable[str]) -> dict:
    """Params naming changed fields of `model` ("address", "tags", …), labelled when shown."""
    return {FIELDS: list(names), MODEL: model._meta.label_lower}


def render(message: str, params: dict | None) -> str:
    """The line in the active language. Never raises: a row written by older code (a sentence
    already translated, no params) or with a broken translation still shows something."""
    if not message:
        return ""
    if not params or not isinstance(params, dict):
        # Nothing to fill in: older rows hold a finished sentence, maybe with a "%" of its own.
        return _(message)
    values = _display_params(params)
    for text in (_(message), message):
        try:
            return text % values
        except (KeyError, ValueError, TypeError):
            continue
    logger.warning("timeline line %r cannot be filled with %r", message, params)
    return message


def _display_params(params: dict) -> dict:
    values = dict(params)
    if isinstance(params.get(FIELDS), list):
        values[FIELDS] = join_labels(field_labels(params.get(MODEL), params[FIELDS]))
    return values


def field_labels(model_label: str | None, names: list) -> list[str]:
    """The verbose names of fields in the active language; a name not (or no longer) on the
    model is shown as it is."""
    try:
        model = apps.get_model(model_label) if model_label else None
    except (LookupError, ValueError):
        model = None
    return [_field_label(model, str(name)) for name in names]


def _field_label(model, name: str) -> str:
    if model is None:
        return name
    try:
        return str(model._meta.get_field(name.removesuffix("_id")).verbose_name)
    except FieldDoesNotExist:
        return name


def join_labels(labels: list[str]) -> str:
    """地址、标签 in Chinese, "address, tags" in English."""
    separator = "、" if (get_language() or "").startswith("zh") else ", "
    return separator.join(labels)


def events_for(subjects: Iterable):
    """Events of several records (e.g. a household and its members), newest first."""
    by_type: dict[int, list[int]] = {}
    for subject in subjects:
        ct = ContentType.objects.get_for_model(subject, for_concrete_model=True)
        by_type.setdefault(ct.pk, []).append(subject.pk)
    condition = Q(pk__in=[])
    for ct_id, ids in by_type.items():
        condition |= Q(content_type_id=ct_id, object_id__in=ids)
    return TimelineEvent.objects.filter(condition).select_related("actor")
