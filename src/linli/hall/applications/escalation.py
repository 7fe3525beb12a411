"""Escalation 超期督办: a step still at its office after its deadline is brought to the
attention of whoever should act on it and of their supervisors, once a day.

A step is overdue when it is active (at its office) and its due date is before today: the
deadline is the end of the due day. For each overdue step the periodic job
(`hall.tasks.escalate_overdue_steps`) notifies

- the step's handler; when nobody has taken the step yet, the staff who may act at the
  step's office (as `hall.applications.offices` decides it): those whose grant names the office, or,
  for a community hall or a street office, those holding `services.step` through a grant on
  the office's own area;
- the handler's supervisors, by the office's tier:
  a community hall's step → the street cadres of the street (or town) above the hall;
  a street office's step and a district department's step → the district leaders, i.e. the
  holders of `hall.view` through a grant on the district. When a tier has nobody, the tier
  above is told (a hall with no street cadre → the district leaders).

Once per step per day: each message carries the key `escalate:<step>:<date>:<user>`, so a
second run the same day (a retry, a second worker, a restart) writes nothing new, and the
step's `escalated_on` records the day. The step is locked while it is escalated, and one
that was finished meanwhile is left alone.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from linli.accounts.models import Grant
from linli.accounts.roles import ROLE_PERMISSIONS
from linli.core import audit
from linli.core.choices import AreaKind, AuditAction
from linli.core.models import Area
from linli.core.notify import notify
from linli.registry.choices import OrganisationKind
from linli.registry.models import Organisation

from .. import events, rules
from ..choices import OfficeKind
from ..models import ApplicationStep
from .workflow import RUNNING_STATES

logger = logging.getLogger(__name__)

STEP_PERMISSION = "services.step"
SUPERVISOR_PERMISSION = "hall.view"
STREET_KINDS = (AreaKind.STREET, AreaKind.TOWN)
BATCH = 200  # steps read per query

TO_OFFICE = gettext_noop(
    "Overdue: step “%(step)s” of application %(number)s (%(item)s) at %(office)s was due on "
    "%(due)s and is not finished."
)
TO_SUPERVISOR = gettext_noop(
    "For your attention: step “%(step)s” of application %(number)s (%(item)s) at %(office)s "
    "was due on %(due)s and is not finished."
)


def _holders(permission: str) -> list[str]:
    return [role for role, perms in ROLE_PERMISSIONS.items() if permission in perms]


@dataclass
class Staff:
    """The active grants of the roles escalation writes to, read once per run."""

    today: dt.date
    by_organisation: dict[int, set[int]] = field(default_factory=dict)
    by_area: dict[int, set[int]] = field(default_factory=dict)  # services.step, no organisation
    street_cadres: dict[int, set[int]] = field(default_factory=dict)  # by the street's area id
    leaders: dict[int, set[int]] = field(default_factory=dict)  # hall.view, by district area id

    @classmethod
    def load(cls, today: dt.date) -> Staff:
        staff = cls(today)
        step_roles = set(_holders(STEP_PERMISSION))
        leader_roles = set(_holders(SUPERVISOR_PERMISSION))
        grants = (
            Grant.objects.filter(role__in=step_roles | leader_roles | {"street_cadre"})
            .filter(starts_on__lte=today)
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
            .filter(user__is_active=True)
            .values_list("user_id", "role", "area_id", "area__kind", "organisation_id")
        )
        for user_id, role, area_id, area_kind, organisation_id in grants:
            if role in step_roles:
                if organisation_id:
                    staff.by_organisation.setdefault(organisation_id, set()).add(user_id)
                else:
                    staff.by_area.setdefault(area_id, set()).add(user_id)
            if role == "street_cadre" and area_kind in STREET_KINDS:
                staff.street_cadres.setdefault(area_id, set()).add(user_id)
            if role in leader_roles and area_kind == AreaKind.DISTRICT:
                staff.leaders.setdefault(area_id, set()).add(user_id)
        return staff

    def at_office(self, office: Organisation) -> set[int]:
        """Who may act at the office (the rule of `hall.applications.offices`)."""
        users = set(self.by_organisation.get(office.pk, ()))
        if office.kind != OrganisationKind.DEPARTMENT:
            users |= self.by_area.get(office.area_id, set())
        return users


class Tiers:
    """The street and the district above each office's area (two queries per new area)."""

    def __init__(self):
        self._above: dict[int, dict[str, int | None]] = {}

    def above(self, area: Area) -> dict[str, int | None]:
        if area.pk not in self._above:
            found: dict[str, int | None] = {"street": None, "district": None}
            for kind, pk in area.ancestors().values_list("kind", "pk"):
                if kind in STREET_KINDS:
                    found["street"] = pk
                elif kind == AreaKind.DISTRICT:
                    found["district"] = pk
            self._above[area.pk] = found
        return self._above[area.pk]


def supervisors(step: ApplicationStep, staff: Staff, tiers: Tiers) -> set[int]:
    """The supervisors of the step's office (see the module docstring)."""
    above = tiers.above(step.organisation.area)
    leaders = staff.leaders.get(above["district"], set()) if above["district"] else set()
    if step.office_kind == OfficeKind.HALL:
        cadres = staff.street_cadres.get(above["street"], set()) if above["street"] else set()
        return cadres or leaders
    return leaders


@dataclass
class EscalationReport:
    today: dt.date
    steps: int = 0
    notifications: int = 0
    nobody_to_tell: list[int] = field(default_factory=list)  # step ids


def overdue_steps(today: dt.date):
    """Active steps past their due date, of running applications, not yet escalated today."""
    return (
        ApplicationStep.objects.filter(
            rules.overdue_steps(today), application__state__in=RUNNING_STATES
        )
        .filter(Q(escalated_on__isnull=True) | Q(escalated_on__lt=today))
        .order_by("due_on", "pk")
    )


def escalate_overdue(*, today: dt.date | None = None) -> EscalationReport:
    """Escalate every overdue step (see the module docstring); one transaction per step."""
    today = today or timezone.localdate()
    report = EscalationReport(today)
    staff, tiers = Staff.load(today), Tiers()
    last_pk = 0
    while True:
        batch = list(overdue_steps(today).filter(pk__gt=last_pk).order_by("pk")[:BATCH])
        if not batch:
            break
        last_pk = batch[-1].pk
        for step in batch:
            sent = _escalate_one(step.pk, today, staff, tiers)
            if sent is None:
                continue
            report.steps += 1
            report.notifications += sent
            if not sent:
                report.nobody_to_tell.append(step.pk)
    if report.nobody_to_tell:
        logger.warning("Overdue steps with nobody to tell: %s", report.nobody_to_tell)
    return report


@transaction.atomic
def _escalate_one(pk: int, today: dt.date, staff: Staff, tiers: Tiers) -> int | None:
    """Escalate one step under its row lock; the number of messages written, or None when the
    step is no longer overdue or was escalated today already."""
    step = (
        overdue_steps(today)
        .select_for_update(of=("self",))
        .select_related("organisation__area", "application__item", "handler")
        .filter(pk=pk)
        .first()
    )
    if step is None:
        return None
    if step.handler is not None and step.handler.is_active:
        office_users = {step.handler_id}
    else:  # nobody has taken it (or the handler left): whoever may act at the office
        office_users = staff.at_office(step.organisation)
    supervisor_users = supervisors(step, staff, tiers) - office_users
    application = step.application
    params = {
        "step": step.name,
        "number": application.number,
        "item": application.item.name,
        "office": step.organisation.name,
        "due": step.due_on.isoformat(),
    }
    users = get_user_model().objects.in_bulk(list(office_users | supervisor_users), field_name="pk")
    written = 0
    for user_ids, message in ((office_users, TO_OFFICE), (supervisor_users, TO_SUPERVISOR)):
        for user_id in sorted(user_ids):
            user = users.get(user_id)
            if user is None or not user.is_active:
                continue
            row = notify(
                message=message,
                params=params,
                to_user=user,
                subject=application,
                dedupe_key=f"escalate:{step.pk}:{today.isoformat()}:{user.pk}",
            )
            written += row is not None
    ApplicationStep.objects.filter(pk=step.pk).update(escalated_on=today)
    audit.record(
        action=AuditAction.UPDATE,
        obj=step,
        changes={
            "before": {"escalated_on": step.escalated_on},
            "after": {"escalated_on": today},
        },
    )
    events.ESCALATED.add(
        subject=application,
        params={"step": step.name, "due": step.due_on.isoformat(), "count": written},
        data={"step": step.pk},
    )
    return written
