"""Paging long lists 分页: a page's ids first, then only those rows with what they show.

A district-wide list holds hundreds of thousands of rows (a year of visits). Sorting them with
every joined column they display makes the database carry all those columns through the sort;
sorting only their ids and then fetching the page's rows keeps the sort narrow, whatever is
joined for display. The count and the order are those of the queryset given.
"""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet


def _by_ids(queryset: QuerySet, ids: list) -> QuerySet:
    """These rows of `queryset`, fetched by primary key. The ids came through the queryset's
    filters already; applying them again can cost a scan (a filter on a set of ids is built
    whole first), so a queryset without annotations is fetched afresh with its joins, columns
    and prefetches. Annotations are tied to the queryset's own joins: those keep its filters."""
    if queryset.query.annotations:
        return queryset.filter(pk__in=ids)
    fresh = queryset.model._default_manager.filter(pk__in=ids)
    fresh.query.select_related = queryset.query.select_related
    fresh.query.deferred_loading = queryset.query.deferred_loading
    # Django's own record of the prefetches, which django-stubs do not declare.
    fresh._prefetch_related_lookups = queryset._prefetch_related_lookups  # type: ignore[attr-defined]
    return fresh


def rows_in_order(queryset: QuerySet, ids: list) -> list:
    """The rows of `queryset` with these primary keys, in the order of `ids`."""
    position = {pk: i for i, pk in enumerate(ids)}
    return sorted(_by_ids(queryset, ids), key=lambda row: position[row.pk])


def page_by_ids(queryset: QuerySet, per_page: int, number) -> Page:
    """The page `number` (as given: a bad or too large number gives the nearest page) of
    `queryset`, its object_list the rows themselves."""
    page = Paginator(queryset.values_list("pk", flat=True), per_page).get_page(number)
    page.object_list = rows_in_order(queryset, list(page.object_list))
    return page


def page_of_all_ids(queryset: QuerySet, per_page: int, number) -> Page:
    """As `page_by_ids`, for a list whose filter costs a pass over a whole table whatever the
    page (the gap list asks every household whether someone keeps in touch with it): all its
    ids in that one pass, counted here, rather than one pass to count and another for the page."""
    ids = list(queryset.values_list("pk", flat=True))
    page = Paginator(ids, per_page).get_page(number)
    page.object_list = rows_in_order(queryset, list(page.object_list))
    return page


def slice_by_ids(queryset: QuerySet, offset: int, limit: int) -> list:
    """Rows offset … offset + limit of `queryset` (the API's paging), ids first."""
    ids = list(queryset.values_list("pk", flat=True)[offset : offset + limit])
    return rows_in_order(queryset, ids)
