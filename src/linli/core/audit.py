"""The audit trail 审计日志: append, snapshot and verify.

Every record holds the hash of the one before it, so editing or deleting any record directly in
the database breaks the chain at that point, and `verify()` (`linli audit verify`) reports where.
Appending happens inside the caller's transaction: if a change rolls back, so does its record.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from dataclasses import dataclass, field

from django.db import models, transaction
from django.utils import timezone

from . import context
from .choices import AuditAction, AuditOutcome
from .models import AuditChainHead, AuditRecord

GENESIS = "0" * 64
_HASHED_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_label",
    "action",
    "outcome",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "reason",
    "address",
    "channel",
    "source",
    "prev_hash",
)


def _jsonable(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, set | frozenset):
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def record_hash(record: AuditRecord) -> str:
    payload = {}
    for name in _HASHED_FIELDS:
        value = getattr(record, name)
        if name == "at":
            value = value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        payload[name] = _jsonable(value)
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def snapshot(obj: models.Model, *, exclude: tuple[str, ...] = ()) -> dict:
    """The concrete field values of `obj`, JSON-ready, for before/after in the trail."""
    data = {}
    for f in obj._meta.concrete_fields:
        if f.name in exclude:
            continue
        data[f.attname] = _jsonable(getattr(obj, f.attname))
    return data


def diff(before: dict, after: dict) -> dict:
    """Only the fields that changed: {field: [before, after]}."""
    keys = set(before) | set(after)
    return {k: [before.get(k), after.get(k)] for k in sorted(keys) if before.get(k) != after.get(k)}


def object_type_of(obj_or_model) -> str:
    return obj_or_model._meta.label_lower


@transaction.atomic
def record(
    *,
    action: str,
    actor=None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: dict | None = None,
    reason: str = "",
    outcome: str = AuditOutcome.SUCCESS,
    actor_label: str = "",
) -> AuditRecord:
    """Append one record to the chain (locks the chain head for the append)."""
    where = context.current()
    if obj is not None:
        object_type = object_type or object_type_of(obj)
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_label = actor_label or actor.get_username()
        actor_id = actor.pk
    else:
        actor_id = None
    head = _locked_head()
    entry = AuditRecord(
        seq=head.last_seq + 1,
        at=timezone.now(),
        actor_id=actor_id,
        actor_label=actor_label[:150],
        action=action,
        outcome=outcome,
        object_type=object_type,
        object_id=str(object_id)[:64],
        object_repr=object_repr[:200],
        changes=_jsonable(changes or {}),
        reason=reason[:500],
        address=where.address[:64],
        channel=where.channel,
        source=where.source[:200],
        prev_hash=head.last_hash or GENESIS,
    )
    entry.hash = record_hash(entry)
    entry.save(force_insert=True)
    AuditChainHead.objects.filter(pk=head.pk).update(last_seq=entry.seq, last_hash=entry.hash)
    return entry


def _locked_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def record_change(*, actor, obj, before: dict | None, after: dict | None, action: str = "") -> None:
    """A create (before None), delete (after None) or update (only changed fields kept)."""
    if before is None:
        action, changes = action or AuditAction.CREATE, {"after": after}
    elif after is None:
        action, changes = action or AuditAction.DELETE, {"before": before}
    else:
        changed = diff(before, after)
        if not changed:
            return
        action = action or AuditAction.UPDATE
        changes = {
            "before": {k: v[0] for k, v in changed.items()},
            "after": {k: v[1] for k, v in changed.items()},
        }
    record(action=action, actor=actor, obj=obj, changes=changes)


@dataclass
class VerifyReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(batch_size: int = 5000) -> VerifyReport:
    """Walk the chain in order; report every record whose hash or link does not hold."""
    report = VerifyReport()
    expected_prev, expected_seq = GENESIS, 1
    rows = AuditRecord.objects.order_by("seq").iterator(chunk_size=batch_size)
    for entry in rows:
        report.checked += 1
        if entry.seq != expected_seq:
            report.problems.append(
                f"records {expected_seq}..{entry.seq - 1} are missing (deleted?)"
                if entry.seq > expected_seq
                else f"record {entry.seq} is out of order"
            )
        if entry.prev_hash != expected_prev:
            report.problems.append(f"record {entry.seq}: link to the previous record is broken")
        if record_hash(entry) != entry.hash:
            report.problems.append(f"record {entry.seq}: content does not match its hash (edited)")
        expected_prev, expected_seq = entry.hash, entry.seq + 1
    head = AuditChainHead.objects.filter(pk=1).first()
    last_seq = head.last_seq if head else 0
    if last_seq != expected_seq - 1:
        report.problems.append(
            f"the chain ends at record {expected_seq - 1} but {last_seq} were written "
            "(records at the end were deleted)"
        )
    elif head and report.checked and head.last_hash != expected_prev:
        report.problems.append("the last record does not match the chain head (edited)")
    return report
