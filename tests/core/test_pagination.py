"""Paging by ids first (core.pagination): the same rows in the same order as slicing the
queryset, with what select_related brings, on every page; annotations kept."""

from __future__ import annotations

from django.db import connection
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.test.utils import CaptureQueriesContext

from linli.core.pagination import page_by_ids, slice_by_ids
from linli.registry.models import Household


def test_pages_by_ids_match_the_sliced_queryset(world):
    households = Household.objects.select_related("area", "head").order_by("-number")
    expected = list(households)
    assert len(expected) == 8
    pages = [page_by_ids(households, 3, n) for n in (1, 2, 3)]
    assert [h.pk for p in pages for h in p.object_list] == [h.pk for h in expected]
    assert pages[0].paginator.count == 8 and pages[2].has_next() is False
    # A bad page number gives the nearest page, as Django's get_page does.
    assert [h.pk for h in page_by_ids(households, 3, "x").object_list] == [
        h.pk for h in expected[:3]
    ]
    assert [h.pk for h in page_by_ids(households, 3, 99).object_list] == [
        h.pk for h in expected[6:]
    ]
    # The rows come with their joins: naming the area and the head costs no query.
    rows = page_by_ids(households, 3, 2).object_list
    with CaptureQueriesContext(connection) as queries:
        assert all(h.area.name and h.head.name for h in rows)
    assert len(queries) == 0


def test_a_slice_keeps_the_filters_order_and_annotations(world):
    street = world.streets[1]
    households = (
        Household.objects.filter(area__path__startswith=street.path)
        .annotate(label=Concat(F("number"), Value("/"), F("area__name")))
        .order_by("number")
    )
    rows = slice_by_ids(households, 1, 2)
    assert [h.pk for h in rows] == [h.pk for h in households[1:3]]
    assert all(h.label == f"{h.number}/{h.area.name}" for h in rows)
    assert slice_by_ids(households, 10, 5) == []
