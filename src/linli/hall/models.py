from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.models import Area
from linli.core.scoping import RestrictedQuerySet, ScopeSpec
from linli.registry.models import Household, Organisation, Resident

from . import rules
from .choices import (
    OPEN_OUTREACH_STATES,
    ApplicationChannel,
    ApplicationState,
    HandlingMode,
    OfficeKind,
    OutreachState,
    RatingSource,
    StepState,
    TripReason,
)

# --- the catalogue 服务清单 ---------------------------------------------------------------------


class ServiceCategory(models.Model):
    """服务类别 — a chapter of the catalogue (e.g. 民政救助类)."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class ServiceItem(models.Model):
    """服务事项 — one service of the catalogue. What it is (mode, materials, route, time
    limit, eligibility) lives in its versions; `current` is the one new applications use, and
    `name` and `category` mirror it so lists need no join."""

    code = models.CharField(_("item code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    category = models.ForeignKey(
        ServiceCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="items"
    )
    current = models.ForeignKey(
        "ServiceItemVersion",
        verbose_name=_("current version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    active = models.BooleanField(_("offered"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        ordering = ["category__sort_order", "sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def current_version(self) -> ServiceItemVersion:
        """`current`, where the item must have one: an item has a version from the moment
        `catalogue.item_create` makes it (only an offered one takes applications)."""
        if self.current is None:
            raise ServiceItemVersion.DoesNotExist(f"service item {self.pk} has no version")
        return self.current


class ServiceItemVersion(models.Model):
    """服务事项版本 — an item as it stood from one edit to the next. Versions are never
    changed once an application uses them; an edit makes a new one."""

    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=100)
    category = models.ForeignKey(
        ServiceCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    mode = models.CharField(_("handling mode"), max_length=16, choices=HandlingMode.choices)
    description = models.TextField(_("description"), blank=True)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    time_limit_days = models.PositiveSmallIntegerField(
        _("promised time limit (working days)"), default=0
    )
    online = models.BooleanField(_("can be applied for online"), default=False)
    # Declarative eligibility over registry facts (see hall.outreach.eligibility); {} = nobody is
    # sought out.
    eligibility = models.JSONField(_("who is eligible"), default=dict, blank=True)
    outreach_role = models.CharField(
        _("who does the outreach"), max_length=24, blank=True
    )  # a Role value; blank = no outreach
    outreach_recent_days = models.PositiveSmallIntegerField(
        _("an application counts as recent for (days)"), default=365
    )
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("service item version")
        verbose_name_plural = _("service item versions")
        ordering = ["item_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="item_version_number_once")
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"


class ItemMaterial(models.Model):
    """所需材料 — a document an item's applicant hands in."""

    version = models.ForeignKey(
        ServiceItemVersion, on_delete=models.CASCADE, related_name="materials"
    )
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("material"), max_length=100)
    note = models.CharField(_("note"), max_length=200, blank=True)
    required = models.BooleanField(_("required"), default=True)
    # A form filled in and signed at the hall, an original to be checked: a photo will not do.
    in_person = models.BooleanField(_("must be brought in person"), default=False)

    class Meta:
        verbose_name = _("required material")
        verbose_name_plural = _("required materials")
        ordering = ["version_id", "order"]

    def __str__(self) -> str:
        return self.name


class RouteStep(models.Model):
    """环节 — one step of a proxy item's route 办理流程. A hall or street step is handled by
    the applicant's own community hall or street office; a department step names the
    department."""

    version = models.ForeignKey(ServiceItemVersion, on_delete=models.CASCADE, related_name="route")
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("step"), max_length=60)
    office_kind = models.CharField(_("office"), max_length=16, choices=OfficeKind.choices)
    department = models.ForeignKey(
        Organisation,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    time_limit_days = models.PositiveSmallIntegerField(_("time limit (working days)"), default=1)

    class Meta:
        verbose_name = _("route step")
        verbose_name_plural = _("route steps")
        ordering = ["version_id", "order"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(office_kind=OfficeKind.DEPARTMENT) | Q(department__isnull=False),
                name="route_department_step_names_department",
            )
        ]

    def __str__(self) -> str:
        return self.name


# --- applications 办件 ------------------------------------------------------------------------


class Application(models.Model):
    """办件 — one resident's request for one service item, from submission to its end.
    It keeps the item version it was made under; `area` is the household's place when it was
    made, and decides who may see it."""

    number = models.CharField(_("application number"), max_length=20, unique=True)
    item = models.ForeignKey(
        ServiceItem, verbose_name=_("service item"), on_delete=models.PROTECT, related_name="+"
    )
    item_version = models.ForeignKey(
        ServiceItemVersion, on_delete=models.PROTECT, related_name="applications"
    )
    resident = models.ForeignKey(
        Resident, verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="applications"
    )
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="applications")
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    hall = models.ForeignKey(
        Organisation,
        verbose_name=_("service hall"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hall_applications",
    )
    channel = models.CharField(
        _("channel"), max_length=8, choices=ApplicationChannel.choices, default="counter"
    )
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=ApplicationState.choices,
        default=ApplicationState.DRAFT,
        db_index=True,
    )
    current_step = models.PositiveSmallIntegerField(_("at step"), null=True, blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("taken by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    promised_days = models.PositiveSmallIntegerField(_("promised working days"), default=0)
    due_on = models.DateField(_("due"), null=True, blank=True)
    due_assumed = models.BooleanField(default=False)  # counted Mon–Fri through an unknown year
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    working_days_used = models.PositiveSmallIntegerField(
        _("working days used"), null=True, blank=True
    )
    trip_count = models.PositiveSmallIntegerField(_("trips"), default=0)
    extra_trip_reason = models.CharField(_("why more than one trip"), max_length=300, blank=True)
    return_note = models.CharField(_("what is missing"), max_length=500, blank=True)
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    outcome = models.TextField(_("result"), blank=True)  # result, or the guidance given
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(family="services", area_path="area__path", household="household_id")

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # Lists show the newest first: read in this order, a page stops after its rows.
            models.Index(fields=["created_at", "id"], name="application_created"),
            # The dashboard's latest completed applications: read in this order, ten rows.
            models.Index(fields=["state", "finished_at"], name="application_finished"),
            models.Index(fields=["state", "due_on"]),
            models.Index(fields=["item", "state"]),
            models.Index(fields=["household", "item"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def over_trip_promise(self) -> bool:
        """The resident came in person more often than the hall promises (最多跑一次)."""
        return rules.over_trip_promise(self.trip_count)


class ApplicationMaterial(models.Model):
    """An application's copy of one required material, and whether it was received."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("material"), max_length=100)
    required = models.BooleanField(_("required"), default=True)
    received = models.BooleanField(_("received"), default=False)
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("application material")
        verbose_name_plural = _("application materials")
        ordering = ["application_id", "order"]

    def __str__(self) -> str:
        return self.name


class ApplicationStep(models.Model):
    """An application's passage through one office of its route: who handled it, when it
    arrived and left, its deadline and its result."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    name = models.CharField(_("step"), max_length=60)
    office_kind = models.CharField(_("office"), max_length=16, choices=OfficeKind.choices)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("office"), on_delete=models.PROTECT, related_name="+"
    )
    time_limit_days = models.PositiveSmallIntegerField(_("time limit (working days)"), default=1)
    state = models.CharField(
        _("state"), max_length=16, choices=StepState.choices, default=StepState.WAITING
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True)
    due_assumed = models.BooleanField(default=False)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    result_note = models.CharField(_("result"), max_length=500, blank=True)
    escalated_on = models.DateField(null=True, blank=True)  # the last day it was escalated
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("application step")
        verbose_name_plural = _("application steps")
        ordering = ["application_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["application", "order"], name="step_order_once")
        ]
        indexes = [models.Index(fields=["organisation", "state", "due_on"])]

    def __str__(self) -> str:
        return f"{self.application_id}/{self.order} {self.name}"


class MaterialPhoto(models.Model):
    """补正材料照片 — a photo of missing material that the resident sent from his phone while
    the application was returned. `material` None: a photo of what the office's note asked
    for. The file is kept under DATA_DIR/applications and shown only to those who see the
    application."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="photos")
    material = models.ForeignKey(
        ApplicationMaterial,
        verbose_name=_("material"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="photos",
    )
    stored_name = models.CharField(max_length=100)  # under DATA_DIR/applications
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)  # SHA-256 of the bytes: the same photo is kept once
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("photo of material")
        verbose_name_plural = _("photos of material")
        ordering = ["application_id", "sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "digest"], name="material_photo_once_per_application"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id}/{self.pk}"


class Trip(models.Model):
    """跑腿 — one time the resident had to come in person for an application."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="trips")
    on = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=20, choices=TripReason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("trip")
        verbose_name_plural = _("trips")
        ordering = ["application_id", "on", "id"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.on}"


class Rating(models.Model):
    """评价 — a resident's 1–5 rating of a completed application, given by the resident or
    taken by staff on a return call 回访."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    source = models.CharField(_("given"), max_length=16, choices=RatingSource.choices)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1) & Q(score__lte=5), name="rating_score_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.score}"


# --- outreach 主动服务 ------------------------------------------------------------------------


class OutreachTask(models.Model):
    """主动服务任务 — "this household looks eligible for this item: contact them". Made by
    the outreach scan for the worker responsible for the household; one open task per item and
    household at a time."""

    item = models.ForeignKey(
        ServiceItem, verbose_name=_("service item"), on_delete=models.PROTECT, related_name="+"
    )
    item_version = models.ForeignKey(
        ServiceItemVersion, on_delete=models.PROTECT, related_name="outreach_tasks"
    )
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="+"
    )
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("person to contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible worker"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outreach_tasks",
    )
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=OutreachState.choices,
        default=OutreachState.OPEN,
        db_index=True,
    )
    # Why the scan found the household eligible: [[msgid, params], …], shown masked as needed.
    reasons = models.JSONField(default=list, blank=True)
    found_at = models.DateTimeField(_("found"), default=timezone.now)
    contacted_at = models.DateTimeField(_("contacted"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    outcome_note = models.CharField(_("note"), max_length=500, blank=True)
    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outreach_tasks",
    )
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(family="outreach", area_path="area__path")

    class Meta:
        verbose_name = _("outreach task")
        verbose_name_plural = _("outreach tasks")
        ordering = ["-found_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "household"],
                condition=Q(state__in=OPEN_OUTREACH_STATES),
                name="outreach_one_open_task_per_item_household",
            )
        ]
        indexes = [models.Index(fields=["item", "household", "found_at"])]

    def __str__(self) -> str:
        return f"{self.item_id} → {self.household_id} ({self.state})"
