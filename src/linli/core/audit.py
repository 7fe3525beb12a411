"""The audit trail 审计日志: append, seal, snapshot, verify and checkpoint.

Every record is signed when it is written, and chained soon after. Both are HMACs with an audit
key kept outside the database (`core.audit_keys`):

- Appending (`record`) happens inside the caller's transaction, and takes no lock that other
  writers wait for: the record gets its content signed (its own signature 签名) and its order
  from the database (its id), and nothing else. If the change rolls back, so does its record.
- Sealing 封存 (`seal`) gives the records written since the last seal their place in the chain,
  in id order: a sequence number and the hash of the record before, signed over both and the
  content. One sealer at a time holds the chain head's row; writers never touch it. Every job
  worker seals every few seconds (`LINLI_AUDIT_SEAL_SECONDS`), the periodic job
  `core.audit_seal` every minute, and `verify` and the hourly checkpoint seal first. A record is
  chained only when its own signature holds: one edited before it was chained stays out of the
  chain, and `verify` names it.
- A transaction may commit after a later one (its id is lower, yet it shows up later). Such a
  record is not lost and does not wait: the next seal chains it after the ones already chained.
  The chain's order is the order records became visible to the sealer — id order within each
  seal. Ids left unused by rolled-back transactions are nothing to the chain, whose numbers come
  from the sealer and have no gaps.

Editing, deleting or forging a record directly in the database breaks the chain at that point
(or, for a record not yet chained, its own signature), and `verify()` (`linli audit verify`)
reports where. Deleting records from the end and rewriting the chain head to match leaves no
trace inside the database; the checkpoints written outside it (`core.audit_checkpoints`) every
hour and at every verify are what catch that. A record deleted in the seconds before it was
chained leaves no trace either: that window is the sealing interval.

Personal numbers do not enter the trail in full: an ID or mobile number in a record's changes,
reason or object name is stored as its masked value plus a keyed fingerprint 指纹, so the trail
proves which number a change set without holding it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit_checkpoints, audit_keys, context
from .actors import Actor
from .audit_checkpoints import Checkpoint
from .audit_keys import UNKEYED
from .choices import AuditAction, AuditOutcome
from .masking import ID_NUMBER, MOBILE, mask
from .models import AuditChainHead, AuditRecord

logger = logging.getLogger("linli.audit")

GENESIS = "0" * 64
SEAL_BATCH = 1000  # records chained per transaction of the sealer
# The advisory lock (PostgreSQL) that writers hold shared, and a key rotation alone: see _fence.
ROTATION_FENCE = 0x6C696E6C69_01  # "linli" 1
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

# Keys of a change whose values are personal numbers, and the search copies of those numbers
# (reversed, for last-digit search) that are left out of the trail altogether.
PERSONAL_NUMBER_KEYS = {"id_number": ID_NUMBER, "mobile": MOBILE}
_SEARCH_COPIES = frozenset({"id_number_reversed", "mobile_reversed"})
# Numbers standing alone in free text (a reason, a search in an export's filters). Unlike the
# log filter, a number glued to letters is left alone: hex digests must come through intact.
_NUMBERS_IN_TEXT = (
    (ID_NUMBER, re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")),
    (MOBILE, re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")),
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


# --- personal numbers -----------------------------------------------------------------------


def fingerprint(value: str, kind: str, key_id: int) -> str:
    """The keyed fingerprint 指纹 of an ID (`kind` "id_number") or mobile number ("mobile")."""
    return audit_keys.fingerprint(value, kind, key_id)


def protected_number(value: str, kind: str, key_id: int) -> dict:
    """A personal number as the trail keeps it: masked, plus its keyed fingerprint."""
    return {"masked": mask(value, kind), "fingerprint": fingerprint(value, kind, key_id)}


def protect_text(text: str, key_id: int) -> str:
    """Free text with every ID and mobile number in it masked and followed by `#fingerprint`."""
    for kind, pattern in _NUMBERS_IN_TEXT:
        text = pattern.sub(_protector(kind, key_id), text)
    return text


def _protector(kind: str, key_id: int) -> Callable[[re.Match[str]], str]:
    """What a number of `kind` found in free text is replaced with (see `protect_text`)."""

    def protected(match: re.Match[str]) -> str:
        return f"{mask(match[0], kind)}#{fingerprint(match[0], kind, key_id)}"

    return protected


def protect(value, key_id: int, kind: str | None = None):
    """`value` (JSON-ready changes) with personal numbers masked and fingerprinted."""
    if isinstance(value, dict):
        return {
            k: protect(v, key_id, PERSONAL_NUMBER_KEYS.get(k))
            for k, v in value.items()
            if k not in _SEARCH_COPIES
        }
    if isinstance(value, list):
        return [protect(v, key_id, kind) for v in value]
    if isinstance(value, str):
        return (
            protected_number(value, kind, key_id) if kind and value else protect_text(value, key_id)
        )
    return value


# --- hashing --------------------------------------------------------------------------------


# A record's own signature covers its content, not yet its place in the chain.
_SIGNED_FIELDS = tuple(name for name in _HASHED_FIELDS if name not in ("seq", "prev_hash"))


def _canonical(entry: AuditRecord, fields: tuple[str, ...] = _HASHED_FIELDS) -> bytes:
    payload = {}
    for name in fields:
        value = getattr(entry, name)
        if name == "at":
            value = value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        payload[name] = _jsonable(value)
    if entry.key_id != UNKEYED:
        payload["key_id"] = entry.key_id  # a record cannot be passed off as signed by another key
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def unkeyed_hash(entry: AuditRecord) -> str:
    """The plain SHA-256 of the records written before the trail was signed (key id 0)."""
    return hashlib.sha256(_canonical(entry)).hexdigest()


def record_hash(entry: AuditRecord) -> str:
    """The record's hash: its signature with its audit key, or the plain hash for key id 0.
    Raises AuditKeyMissing if the key is not in the key folder."""
    if entry.key_id == UNKEYED:
        return unkeyed_hash(entry)
    return audit_keys.sign(entry.key_id, audit_keys.CHAIN, _canonical(entry))


def own_signature(entry: AuditRecord) -> str:
    """The signature a record gets when it is written: its content (not its place in the chain,
    which it has not yet) with its audit key. Raises AuditKeyMissing without the key."""
    return audit_keys.sign(entry.key_id, audit_keys.RECORD, _canonical(entry, _SIGNED_FIELDS))


# --- appending ------------------------------------------------------------------------------


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
    actor: Actor | None = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: dict | None = None,
    reason: str = "",
    outcome: str = AuditOutcome.SUCCESS,
    actor_label: str = "",
) -> AuditRecord:
    """Append one record, signed, to be chained by the next seal. Takes no lock another writer
    waits for."""
    if obj is not None:
        object_type = object_type or object_type_of(obj)
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_label = actor_label or actor.get_username()
        actor_id = actor.pk
    else:
        actor_id = None
    entry = AuditRecord(
        actor_id=actor_id,
        actor_label=actor_label[:150],
        action=action,
        outcome=outcome,
        object_type=object_type,
        object_id=str(object_id)[:64],
        object_repr=object_repr,
        changes=_jsonable(changes or {}),
        reason=reason,
    )
    _fence()
    return _write(entry, key_in_force() or audit_keys.newest_or_new())


def _write(entry: AuditRecord, key_id: int) -> AuditRecord:
    """Protect and sign `entry` with `key_id` and store it, not yet chained."""
    where = context.current()
    entry.seq, entry.prev_hash, entry.hash = None, "", ""
    entry.at = timezone.now()
    entry.key_id = key_id
    entry.changes = protect(entry.changes, key_id)
    entry.object_repr = protect_text(entry.object_repr, key_id)[:200]
    entry.reason = protect_text(entry.reason, key_id)[:500]
    entry.address = where.address[:64]
    entry.channel = where.channel
    entry.source = where.source[:200]
    entry.signature = own_signature(entry)
    entry.save(force_insert=True)
    return entry


def _fence(*, rotation: bool = False) -> None:
    """On PostgreSQL, writers hold an advisory lock shared until their transaction ends, and a key
    rotation holds it alone: the rotation waits for the writers that may have read the old key
    to commit (and chains their records before its own), and writers wait the moment it takes.
    Shared holders never wait for each other. SQLite runs one write transaction at a time."""
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock" if rotation else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [ROTATION_FENCE])


def _locked_head(*, skip_locked: bool = False) -> AuditChainHead | None:
    """The chain head, locked for the rest of the transaction (made if missing). With
    `skip_locked`, None when another sealer holds it."""
    head = AuditChainHead.objects.select_for_update(skip_locked=skip_locked).filter(pk=1).first()
    if head is None:
        AuditChainHead.objects.bulk_create([AuditChainHead(pk=1)], ignore_conflicts=True)
        head = (
            AuditChainHead.objects.select_for_update(skip_locked=skip_locked).filter(pk=1).first()
        )
    return head


def record_change(
    *,
    actor: Actor | None,
    obj,
    before: dict | None,
    after: dict | None,
    action: str = "",
    reason: str = "",
) -> None:
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
    record(action=action, actor=actor, obj=obj, changes=changes, reason=reason)


def record_created(
    *, actor: Actor | None, obj, exclude: tuple[str, ...] = (), alongside=None
) -> None:
    """A new record, with every field it was made with (and what `alongside(obj)` returns: what
    belongs to it but is stored elsewhere, such as its tags)."""
    after = snapshot(obj, exclude=exclude) | (alongside(obj) if alongside else {})
    record_change(actor=actor, obj=obj, before=None, after=after)


class AuditedChange:
    """One change to a record, audited: the record's state is taken when the change begins
    and again at `record()`, and only the fields that differ go into the trail (all of them
    for a record not yet saved when the change began: it is recorded as created).

        change = audit.audited_change(actor=actor, obj=step)
        step.state = StepState.DONE
        step.save()
        change.record()

    `alongside(obj)` returns what belongs to the record but is stored elsewhere (its tags), read
    at both ends; `exclude` leaves fields out (a password hash). A change whose only differences
    are in `ignore` (the version counter, the time of the last save) is not recorded at all."""

    def __init__(
        self, *, actor: Actor | None, obj, action: str = "", exclude=(), alongside=None, ignore=()
    ):
        self.actor, self.obj, self.action = actor, obj, action
        self.exclude, self.alongside, self.ignore = tuple(exclude), alongside, tuple(ignore)
        self.before = self.state() if obj.pk is not None else None  # None: a new record

    def state(self) -> dict:
        return snapshot(self.obj, exclude=self.exclude) | (
            self.alongside(self.obj) if self.alongside else {}
        )

    def record(self, *, reason: str = "") -> list[str]:
        """Record the change, with the `reason` given for it (save and refresh the record
        first: a field set to an F() expression holds its new value only after
        `refresh_from_db`). Returns the names of the fields that changed, `ignore` left out,
        for the timeline."""
        after = self.state()
        changed = [k for k in diff(self.before or {}, after) if k not in self.ignore]
        if changed:
            record_change(
                actor=self.actor,
                obj=self.obj,
                before=self.before,
                after=after,
                action=self.action,
                reason=reason,
            )
        return changed


def audited_change(*, actor: Actor | None, obj, **options) -> AuditedChange:
    """Begin an audited change to `obj` (see `AuditedChange`); call `record()` once it is made."""
    return AuditedChange(actor=actor, obj=obj, **options)


def record_deleted(*, actor: Actor | None, obj, exclude: tuple[str, ...] = ()) -> None:
    """A record about to be deleted, with every field it had."""
    record_change(actor=actor, obj=obj, before=snapshot(obj, exclude=exclude), after=None)


# --- sealing --------------------------------------------------------------------------------


_reported_unsealable: set[int] = set()  # ids this process has logged as unsealable


def seal(*, wait: bool = True) -> int:
    """封存 — chain every record written since the last seal whose own signature holds, in id
    order; returns how many were chained. Safe to run anywhere at any time: one sealer works at a
    time (without `wait`, a call that finds another one at work returns 0 at once). A record
    whose signature does not hold is left out, logged, and reported by `verify`."""
    sealed, after = 0, 0
    # A look outside a transaction first: with nothing waiting, no lock at all (on SQLite a
    # transaction would take the database's write lock).
    while AuditRecord.objects.filter(seq__isnull=True, pk__gt=after).exists():
        with transaction.atomic():
            head = _locked_head(skip_locked=not wait)
            if head is None:
                return sealed
            count, last = _seal_batch(head, after)
        sealed += count
        if last is None:
            return sealed
        after = last
    return sealed


def _seal_batch(
    head: AuditChainHead, after: int, key_id: int | None = None
) -> tuple[int, int | None]:
    """Chain up to SEAL_BATCH records not yet chained, with ids above `after`, under the locked
    `head`, with `key_id` (by default the key in force); (how many were chained, the last id
    looked at, or None when there are no more)."""
    pending = list(
        AuditRecord.objects.filter(seq__isnull=True, pk__gt=after).order_by("pk")[:SEAL_BATCH]
    )
    if not pending:
        return 0, None
    key_id = key_id or head.key_id or audit_keys.newest_or_new()
    seq, prev = head.last_seq, head.last_hash or GENESIS
    chained = []
    for entry in pending:
        problem = _unchained_problem(entry, key_id)
        if problem:
            _report_unsealable(entry, problem)
            continue
        seq += 1
        entry.seq, entry.prev_hash, entry.key_id = seq, prev, key_id
        entry.hash = prev = record_hash(entry)
        chained.append(entry)
    if chained:
        AuditRecord.objects.bulk_update(chained, ["seq", "prev_hash", "key_id", "hash"], 500)
        AuditChainHead.objects.filter(pk=head.pk).update(
            last_seq=seq, last_hash=prev, key_id=key_id
        )
        head.last_seq, head.last_hash, head.key_id = seq, prev, key_id
    more = len(pending) == SEAL_BATCH
    return len(chained), (pending[-1].pk if more else None)


def _report_unsealable(entry: AuditRecord, problem: str) -> None:
    if entry.pk not in _reported_unsealable:
        _reported_unsealable.add(entry.pk)
        logger.error("Audit trail: %s It stays out of the chain.", problem)


def _unchained_problem(entry: AuditRecord, key_in_force: int) -> str:
    """What is wrong with a record not yet chained, or "" when its own signature holds with the
    key in force."""
    values = {"id": entry.pk, "key": entry.key_id, "in_force": key_in_force}
    if not entry.signature or entry.key_id == UNKEYED:
        return _("record id %(id)d (not yet chained): it has no signature (forged).") % values
    try:
        expected = own_signature(entry)
    except audit_keys.AuditKeyMissing:
        return (
            _(
                "record id %(id)d (not yet chained): signed with audit key %(key)d, which is not "
                "in the key folder; it cannot be checked."
            )
            % values
        )
    if not hmac.compare_digest(expected, entry.signature):
        return (
            _(
                "record id %(id)d (not yet chained): its content does not match its signature "
                "(edited, or written without the audit key)."
            )
            % values
        )
    if entry.key_id != key_in_force:
        return (
            _(
                "record id %(id)d (not yet chained): signed with audit key %(key)d while key "
                "%(in_force)d is in force."
            )
            % values
        )
    return ""


# --- keys -----------------------------------------------------------------------------------


def key_in_force() -> int:
    """The audit key that signs new records (0 while the trail holds only unsigned ones)."""
    return AuditChainHead.objects.filter(pk=1).values_list("key_id", flat=True).first() or UNKEYED


@transaction.atomic
def rotate_key(*, actor: Actor | None = None) -> AuditRecord:
    """密钥轮换 — put a newer audit key in force: the newest key in the key folder if it is newer
    than the one in force (made beforehand with `audit_keys.create_key` and copied to every
    machine), else a new one. Every record written until then is chained with the old key; the
    rotation is itself a record, signed and chained with the new key at once, linked to the
    last record of the old one; older keys stay in the folder for `verify`."""
    _fence(rotation=True)
    head = _locked_head()
    assert head is not None  # made if missing; only `skip_locked` gives up on it
    _seal_batches(head)  # with the key in force until now
    newest = audit_keys.keyring(reload=True).newest
    new = newest if newest > head.key_id else audit_keys.create_key()
    entry = AuditRecord(
        actor_id=actor.pk if actor is not None else None,
        actor_label=actor.get_username() if actor is not None else "",
        action=AuditAction.AUDIT_KEY,
        object_id=str(new),
        object_repr=_("Audit key %(key)d") % {"key": new},
        changes={"key": new, "previous_key": head.key_id},
    )
    _write(entry, new)
    _seal_batches(head, after=entry.pk - 1, key_id=new)
    entry.refresh_from_db()
    return entry


def _seal_batches(head: AuditChainHead, after: int = 0, key_id: int | None = None) -> None:
    next_after: int | None = after
    while next_after is not None:
        _count, next_after = _seal_batch(head, next_after, key_id)


def _is_rotation_to(entry: AuditRecord) -> bool:
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    return entry.action == AuditAction.AUDIT_KEY and changes.get("key") == entry.key_id


# --- verifying ------------------------------------------------------------------------------


@dataclass
class VerifyReport:
    """What a walk of the chain found, in the language active when it ran."""

    checked: int = 0
    unchained: int = 0  # of those, records not yet chained, checked by their own signature
    problems: list[str] = field(default_factory=list)
    checkpoints: int = 0  # checkpoint lines the chain was compared with
    latest_checkpoint: Checkpoint | None = None
    written: Checkpoint | None = None  # the checkpoint written after an intact walk
    not_written: str = ""  # why none was written, if writing failed

    @property
    def ok(self) -> bool:
        return not self.problems


def _chained_seq(entry: AuditRecord) -> int:
    """The place in the chain of a record that has one (`seq` is empty until it is sealed)."""
    if entry.seq is None:
        raise ValueError(f"audit record {entry.pk} is not chained yet")
    return entry.seq


class _Walk:
    """The chain walked in order, from GENESIS or from a checkpoint's record."""

    def __init__(self, report: VerifyReport, *, prev=GENESIS, seq=1, key_id=UNKEYED, last=None):
        self.report = report
        self.prev, self.seq, self.key_id, self.last = prev, seq, key_id, last
        # Once a record claims a key, whether its signature holds or not, no unsigned record
        # may follow: unsigned records exist only from before the trail was signed.
        self.signed_seen = key_id != UNKEYED

    def check(self, entry: AuditRecord) -> None:
        seq = _chained_seq(entry)
        report, values = self.report, {"seq": seq}
        report.checked += 1
        if seq > self.seq:
            report.problems.append(
                _("records %(first)d–%(last)d are missing (deleted).")
                % {"first": self.seq, "last": seq - 1}
            )
        elif seq < self.seq:
            report.problems.append(_("record %(seq)d is out of order.") % values)
        if entry.prev_hash != self.prev:
            report.problems.append(
                _("record %(seq)d: the link to the record before it is broken.") % values
            )
        self._check_signature(entry)
        self.prev, self.seq, self.last = entry.hash, seq + 1, entry

    def _check_signature(self, entry: AuditRecord) -> None:
        report, values = self.report, {"seq": entry.seq, "key": entry.key_id}
        if entry.key_id == UNKEYED:
            if self.signed_seen:
                report.problems.append(
                    _(
                        "record %(seq)d: unsigned, though the records before it are signed "
                        "(forged with a plain hash)."
                    )
                    % values
                )
            elif unkeyed_hash(entry) != entry.hash:
                report.problems.append(
                    _("record %(seq)d: its content does not match its hash (edited).") % values
                )
            return
        self.signed_seen = True
        try:
            expected = record_hash(entry)
        except audit_keys.AuditKeyMissing:
            report.problems.append(
                _(
                    "record %(seq)d: signed with audit key %(key)d, which is not in the key "
                    "folder; it cannot be checked."
                )
                % values
            )
            return
        if not hmac.compare_digest(expected, entry.hash):
            report.problems.append(
                _(
                    "record %(seq)d: its content does not match its signature (edited, or "
                    "written without the audit key)."
                )
                % values
            )
            return
        if entry.key_id != self.key_id and self.key_id != UNKEYED and not _is_rotation_to(entry):
            report.problems.append(
                _(
                    "record %(seq)d: signed with audit key %(key)d while key %(in_force)d is in "
                    "force, and no rotation to it was recorded."
                )
                % (values | {"in_force": self.key_id})
            )
        self.key_id = entry.key_id


def verify(
    batch_size: int = 5000,
    *,
    checkpoint_files: Sequence[Path] = (),
    write_checkpoint: bool = True,
    seal_first: bool = True,
) -> VerifyReport:
    """Chain what is waiting (`seal_first`), then walk the chain in order; report every record
    whose signature or link does not hold, every checkpoint (the configured file and
    `checkpoint_files`) the chain no longer matches, and every record not yet chained whose own
    signature does not hold. An intact trail gets a new checkpoint for the chain's end."""
    if seal_first:
        seal()
    report = VerifyReport()
    checkpoints = _read_checkpoints(report, [audit_checkpoints.default_file(), *checkpoint_files])
    by_seq: dict[int, list[Checkpoint]] = {}
    for checkpoint in checkpoints:
        by_seq.setdefault(checkpoint.seq, []).append(checkpoint)
    walk = _Walk(report)
    chained = AuditRecord.objects.filter(seq__isnull=False).order_by("seq")
    for entry in chained.iterator(chunk_size=batch_size):
        walk.check(entry)
        for checkpoint in by_seq.get(_chained_seq(entry), ()):
            if checkpoint.hash != entry.hash:
                report.problems.append(_rewritten(_chained_seq(entry), checkpoint))
    _check_head(report, walk)
    _check_deleted_tail(report, walk, checkpoints)
    _check_unchained(report, batch_size)
    if report.ok and write_checkpoint and walk.last is not None:
        _write_checkpoint(report, walk.last)
    return report


def _check_unchained(report: VerifyReport, batch_size: int = 5000) -> None:
    """The records not yet chained (written since the last seal, or left out of the chain for a
    signature that does not hold), each by its own signature."""
    waiting = AuditRecord.objects.filter(seq__isnull=True).order_by("pk")
    if not waiting.exists():
        return
    in_force = key_in_force() or audit_keys.newest_or_new()
    for entry in waiting.iterator(chunk_size=batch_size):
        report.checked += 1
        report.unchained += 1
        if problem := _unchained_problem(entry, in_force):
            report.problems.append(problem)


def _read_checkpoints(report: VerifyReport, paths: list[Path]) -> list[Checkpoint]:
    checkpoints = []
    for path in paths:
        reading = audit_checkpoints.read(path)
        checkpoints += reading.checkpoints
        report.problems += reading.problems
    report.checkpoints = len(checkpoints)
    report.latest_checkpoint = max(checkpoints, key=lambda c: (c.seq, c.at), default=None)
    return checkpoints


def _rewritten(seq: int, checkpoint: Checkpoint) -> str:
    return _("record %(seq)d differs from what the checkpoint of %(at)s saw (rewritten since).") % {
        "seq": seq,
        "at": checkpoint.at,
    }


def _deleted_since(checkpoint: Checkpoint, last_seq: int) -> str:
    return _(
        "the checkpoint of %(at)s saw the chain end at record %(seq)d; it now ends at record "
        "%(last)d: records %(first)d–%(seq)d were deleted (or the database was restored from "
        "an older backup)."
    ) % {"at": checkpoint.at, "seq": checkpoint.seq, "last": last_seq, "first": last_seq + 1}


def _check_head(report: VerifyReport, walk: _Walk) -> None:
    head = AuditChainHead.objects.filter(pk=1).first()
    last_seq, chain_end = (head.last_seq if head else 0), walk.seq - 1
    if last_seq != chain_end:
        report.problems.append(
            _(
                "the chain ends at record %(end)d but the chain head counts %(written)d "
                "(records at the end were deleted)."
            )
            % {"end": chain_end, "written": last_seq}
        )
    elif head and report.checked and head.last_hash != walk.prev:
        report.problems.append(_("the last record does not match the chain head (edited)."))


def _check_deleted_tail(report: VerifyReport, walk: _Walk, checkpoints) -> None:
    last_seq = walk.last.seq if walk.last is not None else 0
    beyond = [c for c in checkpoints if c.seq > last_seq]
    if beyond:
        report.problems.append(_deleted_since(max(beyond, key=lambda c: c.seq), last_seq))


def _write_checkpoint(report: VerifyReport, last: AuditRecord) -> None:
    try:
        key_id = key_in_force() or audit_keys.newest_or_new()
        report.written = audit_checkpoints.append(
            seq=_chained_seq(last), hash=last.hash, key_id=key_id
        )
    except OSError as e:  # a read-only data folder must not hide the verdict
        report.not_written = str(e)


def checkpoint() -> VerifyReport:
    """检查点 — chain what is waiting, check the records chained since the last checkpoint and
    those not yet chained, then write a new checkpoint for the chain's end (the hourly job). A
    chain that no longer matches the last checkpoint, or a record that does not hold, is logged
    as an error and no checkpoint is written."""
    seal()
    report = VerifyReport()
    reading = audit_checkpoints.read()
    for problem in reading.problems:
        logger.error("Audit checkpoint file: %s", problem)
    latest = max(reading.checkpoints, key=lambda c: (c.seq, c.at), default=None)
    walk = _walk_from(report, latest)
    if walk is not None:
        start = latest.seq if latest is not None else 0
        for entry in AuditRecord.objects.filter(seq__gt=start).order_by("seq").iterator():
            walk.check(entry)
    _check_unchained(report)
    for problem in report.problems:
        logger.error("Audit trail: %s", problem)
    if report.ok and walk is not None and walk.last is not None:
        _write_checkpoint(report, walk.last)
    return report


def _walk_from(report: VerifyReport, latest: Checkpoint | None) -> _Walk | None:
    """A walk that starts after the record `latest` saw, if that record is still as it saw it."""
    if latest is None or latest.seq == 0:
        return _Walk(report)
    anchor = AuditRecord.objects.filter(seq=latest.seq).first()
    if anchor is None:
        chained = AuditRecord.objects.filter(seq__isnull=False).order_by("-seq")
        last = chained.values_list("seq", flat=True).first() or 0
        report.problems.append(
            _deleted_since(latest, last)
            if last < latest.seq
            else _("record %(seq)d, which the checkpoint of %(at)s saw, is missing (deleted).")
            % {"seq": latest.seq, "at": latest.at}
        )
        return None
    if anchor.hash != latest.hash:
        report.problems.append(_rewritten(latest.seq, latest))
        return None
    return _Walk(report, prev=anchor.hash, seq=latest.seq + 1, key_id=anchor.key_id, last=anchor)
