"""Writes the demo catalogue 服务清单 (catalogue_data.py) through the catalogue services, as a
trusted system job (`actor=None`): each category and item gets its audit record, each item its
first version and its timeline line, exactly as if an administrator had typed them in.

The district's departments must exist first (the builder makes them with the organisations).
Everything here is fixed data, so two builds give the same catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping

from linli.hall.catalogue import services as catalogue
from linli.hall.catalogue.services import MaterialSpec, StepSpec
from linli.registry.choices import OrganisationKind
from linli.registry.models import Organisation

from .catalogue_data import CATEGORIES, DEPARTMENT, ItemData

SORT_STEP = 10  # gaps in the order, so an administrator can slot an item in between


class MissingDepartments(LookupError):
    """The catalogue routes steps to departments the database does not hold."""


def department_names() -> list[str]:
    """Every department a demo route names, in the order first named."""
    names: dict[str, None] = {}
    for category in CATEGORIES:
        for item in category.items:
            for step in item.route:
                if step.office == DEPARTMENT:
                    names[step.department] = None
    return list(names)


def _departments(given: Mapping[str, Organisation] | None) -> dict[str, Organisation]:
    wanted = department_names()
    if given is None:
        found = Organisation.objects.filter(kind=OrganisationKind.DEPARTMENT, name__in=wanted)
        given = {org.name: org for org in found}
    missing = [name for name in wanted if name not in given]
    if missing:
        raise MissingDepartments(
            "the demo catalogue routes steps to departments that do not exist: "
            + ", ".join(missing)
        )
    return {name: given[name] for name in wanted}


def _item_fields(item: ItemData, departments: dict[str, Organisation]) -> dict:
    return {
        "code": item.code,
        "name": item.name,
        "mode": item.mode,
        "time_limit_days": item.days,
        "online": item.online,
        "legal_basis": item.legal_basis,
        "description": item.description,
        "eligibility": item.eligibility,
        "outreach_role": item.outreach_role,
        "materials": [
            MaterialSpec(m.name, m.required, m.note, m.in_person) for m in item.materials
        ],
        "route": [
            StepSpec(
                s.name,
                s.office,
                s.days,
                departments[s.department] if s.office == DEPARTMENT else None,
            )
            for s in item.route
        ],
    }


def build_catalogue(*, departments: Mapping[str, Organisation] | None = None) -> dict[str, int]:
    """Write the 4 categories and 48 items; `departments` maps full names to the district's
    departments (looked up by name when not given). Returns what it wrote, counted."""
    found = _departments(departments)
    counts = {"categories": 0, "items": 0}
    for c_order, data in enumerate(CATEGORIES, start=1):
        category = catalogue.category_create(
            actor=None,
            name=data.name,
            description=data.description,
            sort_order=c_order * SORT_STEP,
        )
        counts["categories"] += 1
        for i_order, item in enumerate(data.items, start=1):
            catalogue.item_create(
                actor=None,
                category=category,
                sort_order=i_order * SORT_STEP,
                **_item_fields(item, found),
            )
            counts["items"] += 1
    return counts
