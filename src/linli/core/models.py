from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import AreaKind, AuditAction, AuditOutcome, Channel
from .lookups import starts_with
from .scoping import RestrictedQuerySet, ScopeSpec
from .validators import check_text_fields, validate_division_code

PATH_STEP = 7  # characters per level of the materialised path: base-36 id, zero-padded
PATH_SEPARATOR = "."


def path_segment(pk: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while pk:
        pk, rest = divmod(pk, 36)
        out = digits[rest] + out
    return out.rjust(PATH_STEP, "0") + PATH_SEPARATOR


class AreaQuerySet(RestrictedQuerySet):
    def under(self, area: Area, *, include_self: bool = True):
        """Everything under `area`: one indexed prefix query on SQLite and PostgreSQL."""
        qs = self.filter(starts_with("path", area.path))
        return qs if include_self else qs.exclude(pk=area.pk)

    def district_depth(self) -> int:
        """The depth the districts sit at: 1 when a city is the root of the tree (潍坊市 →
        峡山区 → streets …), 0 when a district is. Whatever counts by depth (the villages of
        the coverage figures sit three levels below their district) starts from here; one tree
        has one kind of root."""
        roots = self.model.objects.filter(parent__isnull=True, kind=AreaKind.CITY)
        return 1 if roots.exists() else 0


class Area(models.Model):
    """区域 — a node of the area tree: city, district, street/town, community, village,
    compound, building or grid. `path` is a materialised path (each ancestor's segment, root first), so a
    subtree is a prefix and a move rewrites one prefix."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=AreaKind.choices, db_index=True)
    code = models.CharField(
        _("division code"),
        max_length=12,
        blank=True,
        default="",
        validators=[validate_division_code],
        help_text=_("12-digit national statistical division code, if known."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = AreaQuerySet.as_manager()
    scope = ScopeSpec(family="area", area_path="path")

    child_count: int  # on the nodes of the area tree page (`selectors.area_nodes`)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~models.Q(code=""), name="area_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        check_text_fields(self, names=("name",))

    def ancestor_paths(self) -> list[str]:
        step = PATH_STEP + len(PATH_SEPARATOR)
        return [self.path[:i] for i in range(step, len(self.path) + 1, step)]

    def ancestors(self):
        """Root first, self last."""
        return Area.objects.filter(path__in=self.ancestor_paths()).order_by("depth")


class AuditChainHead(models.Model):
    """The tip of the audit chain: the last chained record's sequence number and hash, and the
    audit key in force (0 until the first signed record).

    Sealing (core/audit.py) locks this single row, so one sealer chains at a time; writers only
    read it (for the key in force) and never wait for it. It lets `audit verify` notice a
    deleted tail (the head would name a record that is gone). Someone who can write the database
    can rewrite this row too: the checkpoints outside the database (`core.audit_checkpoints`)
    are what such a rewrite cannot reach."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")
    key_id = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"audit chain at {self.last_seq}"


class AuditRecord(models.Model):
    """审计日志 — one entry of the append-only, hash-chained audit trail, signed with an audit
    key kept outside the database: its content when it is written (`signature`), then its place
    in the chain when it is sealed 封存 moments later (`seq`, `prev_hash`, `hash`)."""

    # The place in the chain, given by the sealer; empty until then (core/audit.py).
    seq = models.BigIntegerField(unique=True, null=True, blank=True, editable=False)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        # The trail outlives accounts: deleting a user must not touch (and so break) the chain.
        db_constraint=False,
    )
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(
        _("action"), max_length=16, choices=AuditAction.choices, db_index=True
    )
    outcome = models.CharField(
        _("outcome"), max_length=8, choices=AuditOutcome.choices, default=AuditOutcome.SUCCESS
    )
    object_type = models.CharField(_("object type"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    address = models.CharField(_("address"), max_length=64, blank=True)
    channel = models.CharField(
        _("channel"), max_length=8, choices=Channel.choices, default=Channel.SYSTEM
    )
    source = models.CharField(_("source"), max_length=200, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    # The audit key (core.audit_keys) that signs `hash` once chained, `signature` until then; 0
    # for the plain SHA-256 records written before the trail was signed.
    key_id = models.PositiveIntegerField(default=0, editable=False)
    hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    # The record's own signature, made when it is written: what shows an edit before it is
    # chained. Empty on the records written before records were chained by a sealer.
    signature = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        # Append-only: the application can add records (through core.audit) but never change one;
        # the sealer fills in a new record's place in the chain, once, with an update of its own.
        if not self._state.adding:
            raise PermissionError("audit records cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit records cannot be deleted")


class TimelineEvent(models.Model):
    """时间线事件 — a line on a record's timeline ("registered", "tag 困难户 added", …),
    shown to the staff who may see the record. The audit trail is the security record; this is
    the working history people read."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.BigIntegerField()
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verb = models.CharField(max_length=32)
    # The English msgid, untranslated; `text` translates it for whoever reads the line.
    summary = models.CharField(max_length=300)
    params = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        """The line in the reader's (active) language."""
        from .timeline import render  # timeline imports this module

        return render(self.summary, self.params)


class IdempotencyKey(models.Model):
    """幂等键 — an API write sent with an `Idempotency-Key` header. A retry with the same key
    from the same user replays the stored response instead of writing a second time."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)  # the same key must carry the same request
    status = models.PositiveSmallIntegerField()
    body = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"


class WorkCalendarYear(models.Model):
    """工作日历年度 — one year of the working-day calendar. `published` says the State
    Council's arrangement of statutory holidays and make-up working days for the year is in
    the calendar; for a year that is not, deadlines count Monday to Friday and say so."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    published = models.BooleanField(_("official arrangement entered"), default=False)
    source = models.CharField(_("source"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("working-day calendar year")
        verbose_name_plural = _("working-day calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class WorkCalendarDay(models.Model):
    """工作日历例外日 — a day that breaks the Monday-to-Friday rule: a statutory holiday on a
    weekday (`working` False) or a make-up working day on a weekend (`working` True)."""

    date = models.DateField(_("date"), unique=True)
    working = models.BooleanField(_("working day"))
    name = models.CharField(_("holiday"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("working-day calendar day")
        verbose_name_plural = _("working-day calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'班' if self.working else '休'} {self.name}"


class NotificationState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    """通知消息 — one message to a resident or a staff member, kept as an outbox row: a job
    sends it through the configured sender (console, SMS gateway, WeChat template message) and
    records the result, so a crash between writing and sending loses nothing, and `dedupe_key`
    makes a second attempt to queue the same message a no-op."""

    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    recipient_resident = models.ForeignKey(
        "registry.Resident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    channel = models.CharField(_("channel"), max_length=16, default="console")
    address = models.CharField(max_length=100, blank=True)  # phone number, openid …
    # The English msgid and its parameters, translated when sent (like a timeline line).
    message = models.CharField(max_length=300)
    params = models.JSONField(default=dict, blank=True)
    subject_type = models.CharField(max_length=100, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    dedupe_key = models.CharField(max_length=150, null=True, blank=True, unique=True)
    state = models.CharField(
        _("state"),
        max_length=8,
        choices=NotificationState.choices,
        default=NotificationState.PENDING,
        db_index=True,
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.channel} → {self.address or self.recipient_user_id}: {self.message}"


class PeriodicRun(models.Model):
    """定时任务执行记录 — one slot of a periodic job (e.g. "outreach scan, 2026-11-28").
    The slot is unique, so however many workers look at the schedule, one queues the job."""

    name = models.CharField(max_length=100)
    slot = models.CharField(max_length=40)
    queued_at = models.DateTimeField(default=timezone.now)
    task_result_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("periodic job run")
        verbose_name_plural = _("periodic job runs")
        constraints = [
            models.UniqueConstraint(fields=["name", "slot"], name="periodic_run_once_per_slot")
        ]

    def __str__(self) -> str:
        return f"{self.name} @ {self.slot}"


class WorkerHeartbeat(models.Model):
    """工作进程心跳 — a job worker's sign of life: each running worker (every `linli worker`,
    the thread inside `linli serve`) writes `last_beat` every few seconds and deletes its row
    when it stops cleanly. The jobs left "running" under a worker whose beat stopped are queued
    again (core/heartbeat.py)."""

    worker_id = models.CharField(_("worker"), max_length=64, primary_key=True)
    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    last_beat = models.DateTimeField(_("last beat"), default=timezone.now)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return self.worker_id


class Counter(models.Model):
    """计数器 — a counter that hands out 1, 2, 3 … per name and key (the applications of one
    day: name "services.application", key "BJ20260928"), never the same value twice, on SQLite
    and PostgreSQL alike (core/counters.py). A value taken in a transaction that rolls back is
    given out again."""

    name = models.CharField(_("name"), max_length=100)
    key = models.CharField(_("key"), max_length=100, blank=True, default="")
    value = models.BigIntegerField(_("last value"), default=0)

    class Meta:
        verbose_name = _("counter")
        verbose_name_plural = _("counters")
        constraints = [
            models.UniqueConstraint(fields=["name", "key"], name="counter_once_per_name_and_key"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.key}: {self.value}"
