"""Data of the appeals module 诉求与矛盾纠纷.

An `AppealCategory` is editable data, versioned as the hall's catalogue is: what a category is
(its starting tier, the working-day limit at each tier, whether it is public, the department it
goes to, whether an appeal of it may be anonymous) lives in its `AppealCategoryVersion`s, and an
appeal keeps the version it was raised under. An `Appeal` 诉求 passes through `AppealStep`s —
one for each time it waits at a tier (the first, each hand-over, each reopening) — and closes
after a `ReturnVisit` 回访. Its `AppealPhoto`s are checked by their bytes.

A dispute 矛盾纠纷 is an appeal with parties, a mediator, sessions and an outcome: a `Dispute`
hangs off its `Appeal` (one to one), with its `DisputeParty`s, `MediationSession`s, and either
an `Agreement` 调解协议书 (whose keeping is checked later: `FulfilmentCheck`) or a referral on.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.models import Area
from linli.core.scoping import RestrictedQuerySet, ScopeSpec
from linli.registry.models import Household, Organisation, Resident

from .choices import (
    AppealChannel,
    AppealState,
    DisputeSide,
    DisputeState,
    Fulfilment,
    Referral,
    ReturnVisitMethod,
    ReturnVisitResult,
    Satisfaction,
    StepOutcome,
    Tier,
)

# --- categories 诉求类别 -------------------------------------------------------------------------


class AppealCategory(models.Model):
    """诉求类别 — a kind of appeal (环境卫生, 道路设施, 邻里纠纷 …). What it is lives in its
    versions; `current` is the one new appeals follow, and `name` mirrors it so lists need no
    join. A category withdrawn (`active` False) takes no new appeals."""

    code = models.CharField(_("category code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    current = models.ForeignKey(
        "AppealCategoryVersion",
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
        verbose_name = _("appeal category")
        verbose_name_plural = _("appeal categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def current_version(self) -> AppealCategoryVersion:
        """`current`, which a category has from the moment `category_create` makes it."""
        if self.current is None:
            raise AppealCategoryVersion.DoesNotExist(f"appeal category {self.pk} has no version")
        return self.current


class AppealCategoryVersion(models.Model):
    """诉求类别版本 — a category as it stood from one edit to the next; an edit makes a new one,
    so an appeal's limits never change under it."""

    category = models.ForeignKey(AppealCategory, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=60)
    description = models.CharField(_("description"), max_length=300, blank=True)
    default_tier = models.CharField(
        _("starting tier"), max_length=16, choices=Tier.choices, default=Tier.VILLAGE
    )
    village_days = models.PositiveSmallIntegerField(_("time limit at the village (working days)"))
    community_days = models.PositiveSmallIntegerField(
        _("time limit at the community (working days)")
    )
    street_days = models.PositiveSmallIntegerField(_("time limit at the street (working days)"))
    department_days = models.PositiveSmallIntegerField(
        _("time limit at the department (working days)")
    )
    public = models.BooleanField(_("public (listed without login)"), default=False)
    department = models.ForeignKey(
        Organisation,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    anonymous_allowed = models.BooleanField(_("may be raised anonymously"), default=False)
    # Its appeals are disputes 矛盾纠纷 (邻里纠纷 …): mediated, with parties and an agreement.
    dispute = models.BooleanField(_("its appeals are disputes (mediated)"), default=False)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("appeal category version")
        verbose_name_plural = _("appeal category versions")
        ordering = ["category_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "number"], name="appeal_category_version_once"
            ),
            models.CheckConstraint(
                condition=Q(village_days__gte=1)
                & Q(community_days__gte=1)
                & Q(street_days__gte=1)
                & Q(department_days__gte=1),
                name="appeal_category_limits_positive",
            ),
            models.CheckConstraint(
                condition=~Q(default_tier=Tier.DEPARTMENT) | Q(department__isnull=False),
                name="appeal_category_department_tier_names_department",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"

    def limit_days(self, tier: str) -> int:
        """The working-day limit at `tier`."""
        return int(getattr(self, f"{tier}_days"))


# --- appeals 诉求 ----------------------------------------------------------------------------------


class Appeal(models.Model):
    """诉求 — a resident's request or complaint, from any channel, handled at a tier.

    `area` is the place it concerns (down to a village or grid) and decides who may see it;
    `household` is the reporter's, when the reporter is in the registry (a resident sees their
    own household's appeals). Where it waits now — `tier`, `tier_area` (the village, community
    or street) or `department`, `handler` and `due_on` — mirrors its open step, so that queues
    and the escalation job read one table. `version` is the optimistic concurrency check."""

    number = models.CharField(_("appeal number"), max_length=20, unique=True)
    category = models.ForeignKey(
        AppealCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    category_version = models.ForeignKey(
        AppealCategoryVersion, on_delete=models.PROTECT, related_name="appeals"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=AppealChannel.choices)
    area = models.ForeignKey(
        Area, verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    description = models.TextField(_("description"), max_length=2000)
    # A link to a photo another system holds (Open311's media_url); never fetched.
    media_url = models.URLField(_("photo link"), max_length=500, blank=True)
    # The reporter: a person in the registry, or a named outsider with a phone, or nobody
    # (anonymous, where the category allows it).
    reporter = models.ForeignKey(
        Resident,
        verbose_name=_("reporter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
    )
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="appeals"
    )
    reporter_name = models.CharField(_("reporter's name"), max_length=50, blank=True)
    reporter_mobile = models.CharField(_("reporter's mobile"), max_length=11, blank=True)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    # Where it waits now (its open step's place).
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices)
    tier_area = models.ForeignKey(
        Area,
        verbose_name=_("waits at"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        Organisation,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(
        _("state"), max_length=16, choices=AppealState.choices, default=AppealState.WAITING
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    due_assumed = models.BooleanField(default=False)  # counted Mon–Fri through an unknown year
    settlement = models.TextField(_("what was done"), max_length=2000, blank=True)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # Reopenings at the tier it waits at now (the rule: once per tier, then up).
    reopens_at_tier = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(_("raised"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(family="appeals", area_path="area__path", household="household_id")

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Anonymous: nobody named; otherwise a registry person or a name with a mobile.
            models.CheckConstraint(
                condition=Q(
                    anonymous=True, reporter__isnull=True, reporter_name="", reporter_mobile=""
                )
                | Q(anonymous=False, reporter__isnull=False)
                | (Q(anonymous=False) & ~Q(reporter_name="") & ~Q(reporter_mobile="")),
                name="appeal_reporter_named_or_anonymous",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                name="appeal_coordinates_both_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(tier=Tier.DEPARTMENT) | Q(department__isnull=False),
                name="appeal_department_tier_names_department",
            ),
        ]
        indexes = [
            models.Index(fields=["created_at", "id"], name="appeal_created"),
            # A tier's queue and the escalation job: open appeals by tier and deadline.
            models.Index(fields=["state", "tier", "due_on"], name="appeal_queue"),
            models.Index(fields=["department", "state", "due_on"], name="appeal_department_queue"),
            models.Index(fields=["category", "created_at"], name="appeal_category_created"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def place_name(self) -> str:
        """Where it waits now: the village, community or street, or the department."""
        place = self.department if self.tier == Tier.DEPARTMENT else self.tier_area
        return str(place) if place is not None else "—"


class AppealStep(models.Model):
    """诉求环节 — one time an appeal waits at a tier: where (the village, community or street
    area, or the department), who took it, when it arrived, its deadline on the working-day
    calendar (`due_assumed`: provisional, counted Monday to Friday through a year whose official
    arrangement is not entered), and how it ended and why. An appeal has one open step (not
    ended) while it is waiting or being handled."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices)
    area = models.ForeignKey(
        Area,
        verbose_name=_("waits at"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        Organisation,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(_("arrived"), default=timezone.now)
    time_limit_days = models.PositiveSmallIntegerField(_("time limit (working days)"))
    due_on = models.DateField(_("due"))
    due_assumed = models.BooleanField(default=False)
    taken_at = models.DateTimeField(_("taken"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=24, choices=StepOutcome.choices, blank=True)
    note = models.TextField(_("what was done, or why"), max_length=2000, blank=True)
    # A step overdue with no tier above to hand it to: the day its supervisors were told.
    overdue_told_on = models.DateField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(
        family="appeals", area_path="appeal__area__path", household="appeal__household_id"
    )

    class Meta:
        verbose_name = _("appeal step")
        verbose_name_plural = _("appeal steps")
        ordering = ["appeal_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["appeal", "order"], name="appeal_step_order_once"),
            # One place at a time: two hand-overs of the same appeal cannot both open a step.
            models.UniqueConstraint(
                fields=["appeal"],
                condition=Q(ended_at__isnull=True),
                name="appeal_one_open_step",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, outcome="")
                | (Q(ended_at__isnull=False) & ~Q(outcome="")),
                name="appeal_step_ended_with_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appeal_id}/{self.order} {self.tier}"


class AppealPhoto(models.Model):
    """诉求照片 — a photo of what the appeal is about (the broken light, the blocked drain),
    checked by its bytes and kept under DATA_DIR/appeals; shown only to those who see the
    appeal. The same photo is kept once per appeal."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="photos")
    stored_name = models.CharField(max_length=100)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)  # SHA-256 of the bytes
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(
        family="appeals", area_path="appeal__area__path", household="appeal__household_id"
    )

    class Meta:
        verbose_name = _("appeal photo")
        verbose_name_plural = _("appeal photos")
        ordering = ["appeal_id", "sent_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["appeal", "digest"], name="appeal_photo_once")
        ]

    def __str__(self) -> str:
        return f"{self.appeal_id}/{self.pk}"


class ReturnVisit(models.Model):
    """回访 — asking the reporter, after a settlement, whether they are satisfied: by phone, in
    person, or by the resident on their phone. One per settled step; what it did to the appeal
    (closed, reopened at the same tier, handed up) is kept as `result`."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="return_visits")
    step = models.OneToOneField(AppealStep, on_delete=models.CASCADE, related_name="return_visit")
    satisfaction = models.CharField(_("satisfaction"), max_length=16, choices=Satisfaction.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    method = models.CharField(_("how"), max_length=16, choices=ReturnVisitMethod.choices)
    result = models.CharField(_("result"), max_length=16, choices=ReturnVisitResult.choices)
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    visited_at = models.DateTimeField(_("when"), default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(
        family="appeals", area_path="appeal__area__path", household="appeal__household_id"
    )

    class Meta:
        verbose_name = _("return visit")
        verbose_name_plural = _("return visits")
        ordering = ["appeal_id", "visited_at", "id"]

    def __str__(self) -> str:
        return f"{self.appeal_id}: {self.satisfaction}"


# --- disputes 矛盾纠纷 ---------------------------------------------------------------------------

DISPUTE_SCOPE = ScopeSpec(
    family="appeals", area_path="appeal__area__path", household="appeal__household_id"
)


class Dispute(models.Model):
    """矛盾纠纷 — an appeal mediated between parties: who mediates (a staff member of the tier
    handling it, or a named people's mediator 人民调解员), the mediation committee
    人民调解委员会 that signs the agreement, and where the mediation stands (`state`, moved only
    through `disputes.workflow.TABLE`). A failed mediation keeps where the parties were sent
    (诉讼、仲裁、信访) and why. `version` is the optimistic concurrency check."""

    appeal = models.OneToOneField(Appeal, on_delete=models.CASCADE, related_name="dispute")
    state = models.CharField(
        _("mediation"), max_length=16, choices=DisputeState.choices, default=DisputeState.PREPARING
    )
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("mediator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    mediator_name = models.CharField(_("people's mediator"), max_length=50, blank=True)
    committee = models.CharField(_("mediation committee"), max_length=100, blank=True)
    referred_to = models.CharField(
        _("referred to"), max_length=16, choices=Referral.choices, blank=True
    )
    referral_reason = models.TextField(_("why mediation failed"), max_length=2000, blank=True)
    referred_at = models.DateTimeField(_("referred"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()
    scope = DISPUTE_SCOPE

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        constraints = [
            # One mediator: a staff member or a named people's mediator, not both.
            models.CheckConstraint(
                condition=Q(mediator__isnull=True) | Q(mediator_name=""),
                name="dispute_one_mediator",
            ),
            models.CheckConstraint(
                condition=~Q(state=DisputeState.REFERRED) | ~Q(referred_to=""),
                name="dispute_referred_says_where",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appeal_id}: {self.state}"

    @property
    def mediator_display(self) -> str:
        if self.mediator_id is not None:
            return str(self.mediator)
        return self.mediator_name


class DisputeParty(models.Model):
    """当事人 — one side's person in a dispute: a person in the registry, or a named outsider
    with a mobile number (and, if they give it, their ID number for the agreement). The same
    person is a party once."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    order = models.PositiveSmallIntegerField()
    side = models.CharField(_("side"), max_length=16, choices=DisputeSide.choices)
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("person in the registry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=50, blank=True)
    mobile = models.CharField(_("mobile"), max_length=11, blank=True)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(
        family="appeals",
        area_path="dispute__appeal__area__path",
        household="dispute__appeal__household_id",
    )

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["dispute_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["dispute", "order"], name="dispute_party_order_once"),
            models.UniqueConstraint(
                fields=["dispute", "resident"],
                condition=Q(resident__isnull=False),
                name="dispute_party_person_once",
            ),
            models.UniqueConstraint(
                fields=["dispute", "mobile"],
                condition=Q(resident__isnull=True),
                name="dispute_party_outsider_once",
            ),
            models.CheckConstraint(
                condition=Q(resident__isnull=False, name="", mobile="", id_number="")
                | (Q(resident__isnull=True) & ~Q(name="") & ~Q(mobile="")),
                name="dispute_party_person_or_named",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.resident.name if self.resident_id is not None else self.name

    @property
    def party_id_number(self) -> str:
        return self.resident.id_number if self.resident_id is not None else self.id_number

    @property
    def party_mobile(self) -> str:
        return self.resident.mobile if self.resident_id is not None else self.mobile


class MediationSession(models.Model):
    """调解会 — one sitting of a mediation: when, where, which parties came, and what was said."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="sessions")
    order = models.PositiveSmallIntegerField()
    held_at = models.DateTimeField(_("when"))
    place = models.CharField(_("where"), max_length=200)
    attended = models.ManyToManyField(
        DisputeParty, verbose_name=_("who came"), related_name="sessions"
    )
    notes = models.TextField(_("notes"), max_length=4000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(
        family="appeals",
        area_path="dispute__appeal__area__path",
        household="dispute__appeal__household_id",
    )

    class Meta:
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")
        ordering = ["dispute_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["dispute", "order"], name="mediation_session_once")
        ]

    def __str__(self) -> str:
        return f"{self.dispute_id}/{self.order}"


class Agreement(models.Model):
    """调解协议书 — what the parties agreed, printed on A4 for them and the mediator to sign, and
    its signed scan (a picture or a PDF, checked by its bytes, kept under DATA_DIR/agreements).
    `follow_up_on` is the day its keeping is to be checked."""

    dispute = models.OneToOneField(Dispute, on_delete=models.CASCADE, related_name="agreement")
    number = models.CharField(_("agreement number"), max_length=24, unique=True)
    facts = models.TextField(_("the facts"), max_length=4000)
    terms = models.TextField(_("the agreed terms"), max_length=4000)
    signed_on = models.DateField(_("signed on"))
    committee = models.CharField(_("mediation committee"), max_length=100)
    follow_up_on = models.DateField(_("check its keeping on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    scan_name = models.CharField(max_length=100, blank=True)
    scan_content_type = models.CharField(max_length=32, blank=True)
    scan_size = models.PositiveIntegerField(default=0)
    scan_digest = models.CharField(max_length=64, blank=True)
    scan_uploaded_at = models.DateTimeField(null=True, blank=True)
    scan_uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(
        family="appeals",
        area_path="dispute__appeal__area__path",
        household="dispute__appeal__household_id",
    )

    class Meta:
        verbose_name = _("mediation agreement")
        verbose_name_plural = _("mediation agreements")
        indexes = [models.Index(fields=["follow_up_on"], name="agreement_follow_up")]
        constraints = [
            models.CheckConstraint(
                condition=Q(follow_up_on__gt=models.F("signed_on")),
                name="agreement_follow_up_after_signing",
            )
        ]

    def __str__(self) -> str:
        return self.number


class FulfilmentCheck(models.Model):
    """履行回访 — a check of whether an agreement is kept: kept, partly kept (checked again
    later) or not kept, with a note."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="checks")
    checked_on = models.DateField(_("checked on"))
    result = models.CharField(_("found"), max_length=16, choices=Fulfilment.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(
        family="appeals",
        area_path="agreement__dispute__appeal__area__path",
        household="agreement__dispute__appeal__household_id",
    )

    class Meta:
        verbose_name = _("fulfilment check")
        verbose_name_plural = _("fulfilment checks")
        ordering = ["agreement_id", "checked_on", "id"]

    def __str__(self) -> str:
        return f"{self.agreement_id}: {self.result}"


# --- Open311 keys ----------------------------------------------------------------------------------


class Open311Key(models.Model):
    """Open311 接口密钥 — the `api_key` another system (a 12345 hotline gateway, an Open311
    client) posts requests with: an API token of a system account (so only its SHA-256 is
    stored, and it is shown once), tied to the channel its appeals are raised through.
    Revoking the token revokes the key."""

    token = models.OneToOneField(
        "accounts.ApiToken", on_delete=models.CASCADE, related_name="open311_key"
    )
    channel = models.CharField(
        _("channel"),
        max_length=16,
        choices=[
            (AppealChannel.OPEN311, AppealChannel.OPEN311.label),
            (AppealChannel.HOTLINE, AppealChannel.HOTLINE.label),
        ],
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("Open311 key")
        verbose_name_plural = _("Open311 keys")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.token} → {self.channel}"


class Open311Intake(models.Model):
    """Open311 受理登记 — a request posted to Open311, accepted at once and raised as an appeal
    moments later by a job (the spec's `token`: the answer to the post gives the token, and
    `tokens/{token}` gives the request's id once the appeal is raised).

    The post's fields were checked before the row was written, so a row is a request that was
    well-formed when it came; the job checks them again (a category may have been withdrawn in
    between) and either raises the appeal or records why it could not (`refusal`)."""

    class State(models.TextChoices):
        WAITING = "waiting", _("waiting to be raised")
        RAISED = "raised", _("raised as an appeal")
        REFUSED = "refused", _("refused")

    token = models.CharField(_("token"), max_length=40, unique=True)
    key = models.ForeignKey(Open311Key, on_delete=models.PROTECT, related_name="intakes")
    fields = models.JSONField(_("posted fields"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    address = models.CharField(_("client address"), max_length=45, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.WAITING
    )
    appeal = models.OneToOneField(
        "Appeal",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="open311_intake",
    )
    refusal = models.CharField(_("refusal"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("Open311 intake")
        verbose_name_plural = _("Open311 intakes")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id"], name="open311_intake_waiting", condition=Q(state="waiting"))
        ]

    def __str__(self) -> str:
        return self.token
