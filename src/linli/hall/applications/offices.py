"""Offices 办理单位: which organisation handles a step of an application, and who acts for it.

A hall step goes to the service hall 便民服务大厅 of the applicant's community, a street step to
the street (or town) office 街道办事处 above it, a department step to the department the route
names. Who may act on a step: the staff whose grant names that organisation, or — for a hall or
street office — whoever holds `services.step` through a grant on the office's own area (a
community worker granted at 文岭社区 handles 文岭社区便民服务大厅's steps). A department's steps
are its own staff's only.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from linli.accounts.models import User
from linli.accounts.roles import ROLE_PERMISSIONS
from linli.core.actors import Actor
from linli.core.choices import AreaKind
from linli.core.models import Area
from linli.registry.choices import OrganisationKind
from linli.registry.models import Household, Organisation

from ..choices import OfficeKind
from ..models import ApplicationStep, RouteStep

STEP_PERMISSION = "services.step"
STREET_KINDS = (AreaKind.STREET, AreaKind.TOWN)


def _ancestor_of_kind(area: Area, kinds) -> Area | None:
    """The nearest area of one of `kinds` at or above `area` (one query)."""
    return area.ancestors().filter(kind__in=kinds).order_by("-depth").first()


def _office_at(area: Area | None, kind: str) -> Organisation | None:
    if area is None:
        return None
    return Organisation.objects.filter(area=area, kind=kind).order_by("id").first()


def hall_for(household: Household) -> Organisation | None:
    """The service hall of the household's community, if the registry has one."""
    community = _ancestor_of_kind(household.area, (AreaKind.COMMUNITY,))
    return _office_at(community, OrganisationKind.SERVICE_HALL)


def street_office_for(household: Household) -> Organisation | None:
    """The street or town office above the household's community, if the registry has one."""
    street = _ancestor_of_kind(household.area, STREET_KINDS)
    return _office_at(street, OrganisationKind.STREET_OFFICE)


def office_for_step(route_step: RouteStep, household: Household) -> Organisation:
    """The organisation that handles `route_step` for this household, or a ValidationError
    saying which office is missing from the registry."""
    if route_step.office_kind == OfficeKind.DEPARTMENT:
        assert route_step.department is not None  # the route step's check constraint
        return route_step.department
    if route_step.office_kind == OfficeKind.HALL:
        office = hall_for(household)
        missing = _("The registry has no service hall for the community of %(area)s.")
    else:
        office = street_office_for(household)
        missing = _("The registry has no street or town office above %(area)s.")
    if office is None:
        raise ValidationError(
            {
                "item": _("Step “%(step)s” cannot be routed: %(reason)s")
                % {"step": route_step.name, "reason": missing % {"area": household.area.name}}
            }
        )
    return office


@dataclass(frozen=True)
class StepDesk:
    """Where a user may act on steps: the organisations their grants name, and the areas
    whose hall or street office they act for. Read from the user's cached grants."""

    organisation_ids: frozenset[int]
    area_ids: frozenset[int]

    def __bool__(self) -> bool:
        return bool(self.organisation_ids or self.area_ids)

    def covers(self, organisation: Organisation) -> bool:
        if organisation.pk in self.organisation_ids:
            return True
        return organisation.kind != OrganisationKind.DEPARTMENT and (
            organisation.area_id in self.area_ids
        )

    def step_filter(self, prefix: str = "") -> Q:
        """Steps at these offices (`prefix` leads from the queried model to the step)."""
        by_org = Q(**{f"{prefix}organisation_id__in": self.organisation_ids})
        by_area = Q(**{f"{prefix}organisation__area_id__in": self.area_ids}) & ~Q(
            **{f"{prefix}organisation__kind": OrganisationKind.DEPARTMENT}
        )
        return by_org | by_area


def step_desk(user: Actor | None) -> StepDesk:
    if not isinstance(user, User) or not user.is_active:  # nobody, or a visitor not signed in
        return StepDesk(frozenset(), frozenset())
    grants = [g for g in user.active_grants if STEP_PERMISSION in ROLE_PERMISSIONS[g.role]]
    return StepDesk(
        frozenset(g.organisation_id for g in grants if g.organisation_id),
        frozenset(g.area_id for g in grants),
    )


def may_act_on_step(user: Actor, step: ApplicationStep) -> bool:
    """Whether `user` handles this step's office (see the module docstring)."""
    return step_desk(user).covers(step.organisation)
