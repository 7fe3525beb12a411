"""服务清单 — the public catalogue: the items on offer and their categories. No token needed."""

from __future__ import annotations

from ninja import Query, Router

from linli.core.api import PageQuery, PathId, page, responses

from ..catalogue import selectors as catalogue_selectors
from ..models import ServiceItem
from .schemas import CatalogueQuery, CategoryPage, ServiceItemOut, ServiceItemPage

router = Router(tags=["catalogue"])


def _catalogue_items() -> list[ServiceItem]:
    return [item for group in catalogue_selectors.public_catalogue() for item in group.items]


@router.get(
    "",
    response=responses({200: ServiceItemPage}),
    operation_id="catalogue_list",
    auth=None,
)
def list_catalogue(request, filters: Query[CatalogueQuery]):
    """服务清单 — every service item on offer, in catalogue order, with its materials and
    route. Public: no token needed."""
    items = _catalogue_items()
    if filters.category is not None:
        items = [i for i in items if i.category_id == filters.category]
    if filters.mode is not None:
        items = [i for i in items if i.current.mode == filters.mode]
    if filters.online is not None:
        items = [i for i in items if i.current.online == filters.online]
    if filters.q:
        q = filters.q.lower()
        items = [i for i in items if q in i.current.name.lower() or q in i.code.lower()]
    return page(items, filters)


@router.get(
    "/categories",
    response=responses({200: CategoryPage}),
    operation_id="catalogue_categories",
    auth=None,
)
def list_catalogue_categories(request, params: Query[PageQuery]):
    """The categories that have items on offer, in catalogue order. Public."""
    return page(catalogue_selectors.public_catalogue(), params)


@router.get(
    "/{id}",
    response=responses({200: ServiceItemOut}),
    operation_id="catalogue_item_get",
    auth=None,
)
def get_catalogue_item(request, id: PathId):
    """One item on offer; 404 for an unknown or withdrawn one. Public."""
    return catalogue_selectors.public_item_get(pk=id)
