"""The event timeline 时间线: what happened to a record, in words people read."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from .models import TimelineEvent


def add_event(*, subject, verb: str, summary: str, actor=None, data: dict | None = None):
    return TimelineEvent.objects.create(
        content_type=ContentType.objects.get_for_model(subject, for_concrete_model=True),
        object_id=subject.pk,
        verb=verb,
        summary=str(summary)[:300],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        data=data or {},
    )


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
