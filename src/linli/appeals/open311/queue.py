"""The Open311 intake queue 受理队列: a post answered at once with a token, raised moments later.

GeoReport v2 lets a server answer a post with a `token` instead of the request's id when the
request is not created at once, and clients ask `tokens/{token}` for the id later. Linli does
so: `accept` checks every field as the spec says (a refusal is answered at once, with nothing
stored), writes one `Open311Intake` row and queues `raise_open311_intakes`; the job raises each
waiting row as an appeal (`intake.raise_checked`, in the audit context of the post: its client
address, the key's token as the source) and records the post in the audit trail under the key's
system account.

Why: raising an appeal is some forty statements (its number, the appeal, its first step, the
timeline, the audit trail, the messages to the tier); a gateway forwarding the 12345 hotline's
calls at rush hour should not wait for each. The row is written in the same transaction as the
post's idempotency record, so a retried post finds its token, and the job claims each row by
changing its state, so two workers never raise it twice.
"""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core import audit, context
from linli.core.choices import AuditAction, AuditOutcome
from linli.core.jobs import enqueue_once_on_commit

from ..models import Appeal, Open311Intake, Open311Key
from . import intake, reads

BATCH = 200  # rows a run raises before it looks again (new posts keep arriving)
TOKEN_BYTES = 12


def new_token() -> str:
    return "tk" + secrets.token_hex(TOKEN_BYTES)


def kept_fields(data) -> dict[str, str]:
    """The posted fields the appeal is raised from (the last value of each), without the key."""
    return {name: data.get(name) or "" for name in data if name != "api_key"}


def accept(data, *, key: Open311Key, address: str = "") -> Open311Intake:
    """Check the post and queue it; raises `intake.Open311Error` (nothing stored) on bad input."""
    intake.check_request(data)
    row = Open311Intake.objects.create(
        token=new_token(), key=key, fields=kept_fields(data), address=address[:45]
    )
    from ..tasks import raise_open311_intakes

    enqueue_once_on_commit(raise_open311_intakes)
    return row


def answer_row(row: Open311Intake) -> dict:
    """The post's answer, and the token's: the request's id once the appeal is raised."""
    appeal = row.appeal
    if appeal is None:
        notice = _("Accepted; the request's id follows in a moment: ask tokens/%(token)s.") % {
            "token": row.token
        }
        return {"token": row.token, "service_notice": notice, "account_id": ""}
    return {
        "service_request_id": appeal.number,
        "token": row.token,
        "service_notice": reads.notice(appeal),
        "account_id": "",
    }


def raise_waiting(limit: int | None = None) -> dict[str, int]:
    """Raise the rows waiting, oldest first; returns how many were raised and refused."""
    counts = {"raised": 0, "refused": 0}
    while limit is None or sum(counts.values()) < limit:
        waiting = list(
            Open311Intake.objects.filter(state=Open311Intake.State.WAITING)
            .order_by("id")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not waiting:
            break
        for pk in waiting:
            state = raise_one(pk)
            if state in counts:
                counts[state] += 1
    return counts


def raise_one(pk: int) -> str:
    """Raise one waiting row; returns its new state ("" when another run had it)."""
    row = (
        Open311Intake.objects.select_related("key__token__user")
        .filter(pk=pk, state=Open311Intake.State.WAITING)
        .first()
    )
    if row is None:
        return ""
    with context.acting(
        address=row.address,
        channel="api",
        source=f"{context.API_TOKEN_SOURCE}{row.key.token_id}",
    ):
        return _raise_claimed(row)


@transaction.atomic
def _raise_claimed(row: Open311Intake) -> str:
    # The claim: the first run to move the row out of "waiting" raises it; a second run (a
    # retried job, another worker) changes no row and leaves it alone.
    claimed = Open311Intake.objects.filter(pk=row.pk, state=Open311Intake.State.WAITING).update(
        state=Open311Intake.State.RAISED
    )
    if not claimed:
        return ""
    account = row.key.token.user
    try:
        appeal = intake.raise_checked(intake.check_request(row.fields), channel=row.key.channel)
    except intake.Open311Error as error:
        _refuse(row, account, error)
        return Open311Intake.State.REFUSED
    Open311Intake.objects.filter(pk=row.pk).update(appeal=appeal)
    audit.record(
        action=AuditAction.CREATE,
        actor=account,
        obj=appeal,
        changes={
            "open311_key": row.key_id,
            "channel": row.key.channel,
            "service_code": appeal.category.code,
            "token": row.token,
            "received_at": timezone.localtime(row.received_at).isoformat(),
        },
    )
    return Open311Intake.State.RAISED


def _refuse(row: Open311Intake, account, error: intake.Open311Error) -> None:
    """The fields were good when posted and are not now (a category withdrawn in between)."""
    Open311Intake.objects.filter(pk=row.pk).update(
        state=Open311Intake.State.REFUSED, refusal=error.description[:500]
    )
    audit.record(
        action=AuditAction.CREATE,
        outcome=AuditOutcome.FAILURE,
        actor=account,
        object_type="appeals.appeal",
        object_repr="Open311 POST requests",
        changes={"open311_key": row.key_id, "token": row.token, "status": error.status},
        reason=error.description[:500],
    )


def refused_lately(limit: int = 20) -> list[Open311Intake]:
    """The latest posts the job could not raise, for the administrator's keys page."""
    return list(
        Open311Intake.objects.select_related("key__token")
        .filter(state=Open311Intake.State.REFUSED)
        .order_by("-received_at", "-id")[:limit]
    )


def find(token: str) -> Open311Intake | None:
    return Open311Intake.objects.select_related("appeal").filter(token=token).first()


def refusal_text(row: Open311Intake) -> str:
    return _("The request for the token %(token)s was not raised: %(why)s") % {
        "token": row.token,
        "why": row.refusal,
    }


__all__ = ["Appeal", "accept", "answer_row", "find", "raise_one", "raise_waiting"]
