"""Escalation 超时上报: an appeal still waiting or being handled at its tier after the tier's time
limit is handed up to the next tier by the periodic job (`appeals.tasks.escalate_overdue_appeals`).

An appeal is overdue when its deadline (the end of the due day) has passed while it waits or
is handled. The job then, for each overdue appeal, under its row lock:

- hands it up to the next tier that covers its place (`tiers.place_above`): the open step ends
  "handed up when the time limit passed", a new step opens at the next tier with that tier's
  limit counted from today, and the timeline says why (where it was, when it was due, how many
  people were told);
- tells the handlers at the new tier and the supervisors of the tier it left
  (`tiers.handlers_at`, `tiers.supervisors_of`) — once: each message's key names the overdue
  step and the person;
- where there is no tier above (the department, or the street of a category that names no
  department), it cannot go up: the handler (or, if nobody has taken it, the tier's handlers)
  and the supervisors are told once, and the step remembers the day (`overdue_told_on`).

Run twice — a retry, a second worker, the next hour — it does the work once: a handed-up appeal
has a new deadline in the future, and a step whose overdue was told is left alone.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from linli.accounts.models import User
from linli.core import audit
from linli.core.choices import AuditAction
from linli.core.notify import notify

from . import events, rules, services, tiers
from .choices import StepOutcome
from .models import Appeal, AppealStep
from .workflow import Action

logger = logging.getLogger(__name__)

BATCH = 200  # appeals read per query

TO_NEXT_TIER = gettext_noop(
    "Appeal %(number)s (%(category)s) was handed up to %(place)s: its time limit at %(source)s "
    "passed on %(due)s."
)
TO_SUPERVISOR = gettext_noop(
    "For your attention: appeal %(number)s (%(category)s) passed its time limit at %(source)s "
    "on %(due)s and was handed up to %(place)s."
)
OVERDUE_TO_HANDLER = gettext_noop(
    "Overdue: appeal %(number)s (%(category)s) at %(source)s was due on %(due)s and is not "
    "settled; there is no tier above to hand it to."
)
OVERDUE_TO_SUPERVISOR = gettext_noop(
    "For your attention: appeal %(number)s (%(category)s) at %(source)s was due on %(due)s and "
    "is not settled; there is no tier above to hand it to."
)


@dataclass
class EscalationReport:
    today: dt.date
    handed_up: int = 0
    overdue_at_top: int = 0
    notifications: int = 0
    nobody_to_tell: list[int] = field(default_factory=list)  # appeal ids


def overdue_appeals(today: dt.date) -> QuerySet[Appeal]:
    """Appeals past their tier's deadline, except those at the top whose supervisors were told."""
    told = AppealStep.objects.filter(
        appeal=OuterRef("pk"), ended_at__isnull=True, overdue_told_on__isnull=False
    )
    return Appeal.objects.filter(rules.overdue_appeals(today)).exclude(Exists(told))


def escalate_overdue(*, today: dt.date | None = None) -> EscalationReport:
    """Escalate every overdue appeal (see the module docstring); one transaction each."""
    today = today or timezone.localdate()
    report = EscalationReport(today)
    last_pk = 0
    while True:
        batch = list(
            overdue_appeals(today)
            .filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not batch:
            break
        last_pk = batch[-1]
        for pk in batch:
            done = _escalate_one(pk, today)
            if done is None:
                continue
            handed_up, sent = done
            if handed_up:
                report.handed_up += 1
            else:
                report.overdue_at_top += 1
            report.notifications += sent
            if not sent:
                report.nobody_to_tell.append(pk)
    if report.nobody_to_tell:
        logger.warning("Overdue appeals with nobody to tell: %s", report.nobody_to_tell)
    return report


def _send(appeal: Appeal, users: list[User], message: str, params: dict, key: str) -> int:
    written = 0
    for user in users:
        row = notify(
            message=message,
            params=params,
            to_user=user,
            subject=appeal,
            dedupe_key=f"{key}:{user.pk}",
        )
        written += row is not None
    return written


@transaction.atomic
def _escalate_one(pk: int, today: dt.date) -> tuple[bool, int] | None:
    """Escalate one appeal under its row lock: (handed up, messages written), or None when it is
    no longer overdue (settled, or handed up by another run meanwhile)."""
    appeal = (
        overdue_appeals(today)
        .select_for_update(of=("self",))
        .select_related("category_version__department", "area", "tier_area", "department")
        .filter(pk=pk)
        .first()
    )
    if appeal is None:
        return None
    step = services.open_step(appeal)
    assert appeal.due_on is not None  # an appeal at a tier has its deadline
    params = {
        "number": appeal.number,
        "category": appeal.category_version.name,
        "source": appeal.place_name,
        "due": appeal.due_on.isoformat(),
    }
    place = tiers.place_above(appeal.tier, appeal.area, appeal.category_version)
    if place is None:
        return False, _tell_overdue(appeal, step, today, params)
    next_users = tiers.handlers_at(place, appeal.area)
    supervisors = tiers.supervisors_of(appeal.tier, appeal.area, besides=next_users)
    params["place"] = place.name
    key = f"appeal-escalated:{step.pk}"
    written = _send(appeal, next_users, TO_NEXT_TIER, params, key)
    written += _send(appeal, supervisors, TO_SUPERVISOR, params, key)
    events.ESCALATED.add(
        subject=appeal,
        params={
            "place": params["source"],
            "next": place.name,
            "due": params["due"],
            "count": written,
        },
        data={"step": step.pk},
    )
    change = audit.audited_change(actor=None, obj=appeal)
    services.move(None, appeal, Action.ESCALATE, place, outcome=StepOutcome.ESCALATED, note="")
    appeal.version += 1
    appeal.save()
    change.record()
    return True, written


def _tell_overdue(appeal: Appeal, step: AppealStep, today: dt.date, params: dict) -> int:
    """No tier above: tell the handler (or the tier's handlers) and the supervisors, once."""
    if step.handler is not None and step.handler.is_active:
        handlers = [step.handler]
    else:
        handlers = tiers.handlers_at(tiers.same_place(appeal), appeal.area)
    supervisors = tiers.supervisors_of(appeal.tier, appeal.area, besides=handlers)
    key = f"appeal-overdue:{step.pk}"
    written = _send(appeal, handlers, OVERDUE_TO_HANDLER, params, key)
    written += _send(appeal, supervisors, OVERDUE_TO_SUPERVISOR, params, key)
    AppealStep.objects.filter(pk=step.pk).update(overdue_told_on=today)
    audit.record(
        action=AuditAction.UPDATE,
        obj=step,
        changes={"before": {"overdue_told_on": None}, "after": {"overdue_told_on": today}},
    )
    events.OVERDUE_AT_TOP.add(
        subject=appeal,
        params={"place": params["source"], "due": params["due"], "count": written},
        data={"step": step.pk},
    )
    return written
