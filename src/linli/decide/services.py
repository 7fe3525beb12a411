"""Writes of residents-decide 由民做主 that every part of it shares: moving a matter from one
stage to the next (`matter_move`), and the checks that go with it.

Each write is one transaction: the matter is locked (`SELECT … FOR UPDATE`), its stage moves
only through `workflow.TABLE.next`, the time at each stage is kept (`StageSpell`), and the change
is audited and told on the matter's timeline. The parts of the module (proposing and
deliberating, votes, tasks and supervision, commitments) write through their own services and
call `matter_move` when they move a matter on.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from linli.core import audit
from linli.core.actors import Actor
from linli.core.errors import check_version
from linli.core.models import Area
from linli.core.scoping import OutOfScope, covers

from . import events
from .choices import Stage
from .models import Matter, StageSpell
from .workflow import TABLE, Action

VIEW = "decide.view"
MANAGE = "decide.manage"  # the community's staff: take up, merge, meetings, votes, tasks


def require_in_area(actor: Actor | None, area: Area, perm: str) -> None:
    """The actor holds `perm` over `area` (None: the system, allowed): else 404 for one who
    cannot see the area's matters, 403 for one who sees but may not do this."""
    if actor is None or covers(actor, area, perm):
        return
    if covers(actor, area, VIEW):
        raise PermissionDenied
    raise OutOfScope(Area, area.pk)


def locked(matter: Matter | int) -> Matter:
    """The matter, re-read under a row lock (inside the caller's transaction)."""
    pk = matter.pk if isinstance(matter, Matter) else matter
    return (
        Matter.objects.select_for_update(of=("self",)).select_related("area", "category").get(pk=pk)
    )


@transaction.atomic
def matter_move(
    *,
    actor: Actor | None,
    matter: Matter | int,
    action: str,
    note: str = "",
    expected_version: int | None = None,
    **changes,
) -> Matter:
    """Move the matter by `action` (`workflow.Action`): refused with a clear message when the
    table does not allow it at its stage; `changes` are other fields set in the same write
    (`closed_because`, `merged_into`, `decision` …). Sending it back starts a new round."""
    matter = locked(matter)
    check_version(matter.version, expected_version)
    to = TABLE.next(matter.stage, action)
    change = audit.audited_change(actor=actor, obj=matter)
    before = matter.stage
    now = timezone.now()
    StageSpell.objects.filter(matter=matter, left_at__isnull=True).update(left_at=now)
    if action == Action.SEND_BACK:
        matter.round += 1
    matter.stage, matter.stage_since = to, now
    for field, value in changes.items():
        setattr(matter, field, value)
    matter.version += 1
    matter.save()
    if to not in (Stage.DONE, Stage.CLOSED):
        StageSpell.objects.create(matter=matter, stage=to, round=matter.round, entered_at=now)
    change.record()
    events.MOVED[action].add(
        subject=matter,
        params={"note": note, "round": matter.round},
        data={"from": before, "to": to},
        actor=actor,
    )
    return matter
