"""Data of the five links and visits module 五联与走访.

A `ContactAssignment` names who keeps in touch with whom at one of the five levels; a `Visit`
records one contact with a household and the `Need`s it found; a `VisitPolicy` says how often a
kind of household must be visited. Two tables are kept by the module itself so that the busy
pages stay fast at city size: `HouseholdVisitState` (each household's last visit and next due
date, for the overdue lists) and `CoverageSummary` (each village's coverage per calendar month,
quarter and year, for the leader's page).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.models import Area
from linli.core.scoping import RestrictedQuerySet, ScopeSpec
from linli.registry.models import Household, Organisation, Post, Resident, Tag

from .choices import IntervalUnit, LinkLevel, NeedCategory, NeedStatus, PeriodKind, VisitChannel

CONTACT_FIELDS = ("contact_post", "contact_organisation", "contact_household", "contact_resident")
TARGET_FIELDS = ("area", "resident", "household")


def _exactly_one(fields: tuple[str, ...]) -> Q:
    """Q that holds when exactly one of `fields` (foreign keys) is set."""
    condition = Q()
    for chosen in fields:
        clause = Q(**{f"{chosen}__isnull": False})
        for other in fields:
            if other != chosen:
                clause &= Q(**{f"{other}__isnull": True})
        condition |= clause
    return condition


class ContactAssignment(models.Model):
    """联系责任 — one link of the five-level contact chain 五联: who (a post holder, a
    department, a party-member central household or a named person) keeps in touch with whom
    (a street, community or village, a party member, or a household), from when until when.

    `scope_area` is the area the one contacted belongs to (the area itself, or the household's
    area); scoping and the gap list go through it."""

    level = models.PositiveSmallIntegerField(_("link level"), choices=LinkLevel.choices)
    contact_post = models.ForeignKey(
        Post,
        verbose_name=_("contact (post)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contact_assignments",
    )
    contact_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("contact (organisation)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contact_assignments",
    )
    contact_household = models.ForeignKey(
        Household,
        verbose_name=_("contact (central household)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contact_assignments",
    )
    contact_resident = models.ForeignKey(
        Resident,
        verbose_name=_("contact (person)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contact_assignments",
    )
    # The login that records visits for this link (the post's or the person's account), so that
    # a visit can tell which link it fulfils.
    contact_account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact_assignments",
    )
    contact_name = models.CharField(_("contact"), max_length=100)
    area = models.ForeignKey(
        Area,
        verbose_name=_("area contacted"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contact_assignments",
    )
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("person contacted"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="linked_by",
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household contacted"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="linked_by",
    )
    scope_area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(family="visits", area_path="scope_area__path")

    class Meta:
        verbose_name = _("contact assignment")
        verbose_name_plural = _("contact assignments")
        ordering = ["level", "id"]
        constraints = [
            models.CheckConstraint(
                condition=_exactly_one(CONTACT_FIELDS), name="assignment_one_contact"
            ),
            models.CheckConstraint(
                condition=_exactly_one(TARGET_FIELDS), name="assignment_one_target"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="assignment_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["level", "ends_on"], name="assignment_level_end"),
            # Whether a target has someone in force at a level is asked for every household
            # or party member of the gap list: answered from the index alone.
            models.Index(
                fields=["household", "level", "starts_on", "ends_on"],
                name="assignment_household_level",
            ),
            models.Index(
                fields=["contact_household", "level", "starts_on", "ends_on"],
                name="assignment_central_level",
            ),
            models.Index(
                fields=["resident", "level", "starts_on", "ends_on"],
                name="assignment_resident_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact_name} → {self.target_label}"

    @property
    def target_label(self) -> str:
        if self.area_id:
            return str(self.area)
        if self.resident_id:
            return str(self.resident)
        return str(self.household)


class VisitPolicy(models.Model):
    """走访频次 — how often households with a tag must be visited (e.g. 困难户 monthly). The
    policy without a tag is the default for all other households. A household with several
    tags follows the most frequent of its policies; a resident tag applies to the household of
    anyone who has it (留守老人 → that household every two weeks)."""

    tag = models.OneToOneField(
        Tag,
        verbose_name=_("tag"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="visit_policy",
    )
    is_default = models.BooleanField(_("default for all other households"), default=False)
    every = models.PositiveSmallIntegerField(_("every"))
    unit = models.CharField(_("unit"), max_length=8, choices=IntervalUnit.choices)
    active = models.BooleanField(_("in use"), default=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("visit policy")
        verbose_name_plural = _("visit policies")
        ordering = ["-is_default", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_policy"
            ),
            models.CheckConstraint(
                condition=Q(is_default=True, tag__isnull=True)
                | Q(is_default=False, tag__isnull=False),
                name="policy_tag_or_default",
            ),
            models.CheckConstraint(condition=Q(every__gte=1), name="policy_every_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.tag or _('default')}: {self.every} {self.get_unit_display()}"


class Visit(models.Model):
    """走访 — one contact with a household: who, when, how, and what was found.

    `area` is where the household lived on the day of the visit (the village it counts for in
    that period); the household may have moved since."""

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="visits"
    )
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    visited_on = models.DateField(_("date of visit"))
    channel = models.CharField(_("channel"), max_length=16, choices=VisitChannel.choices)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("visitor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
    )
    visitor_name = models.CharField(_("visitor"), max_length=100)
    assignment = models.ForeignKey(
        ContactAssignment,
        verbose_name=_("contact assignment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
    )
    link_level = models.PositiveSmallIntegerField(
        _("link level"), choices=LinkLevel.choices, null=True, blank=True
    )
    note = models.TextField(_("note"), max_length=1000, blank=True)
    photo = models.CharField(max_length=100, blank=True)  # stored name under DATA_DIR/visits
    photo_type = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(family="visits", area_path="household__area__path")

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-id"]
        indexes = [
            models.Index(fields=["household", "visited_on"], name="visit_household_day"),
            models.Index(fields=["visited_on", "household"], name="visit_day_household"),
            models.Index(fields=["visitor", "visited_on"], name="visit_visitor_day"),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.visited_on}"


class Need(models.Model):
    """需求 — something a visit found (诉求线索). It can be handed on in one step: to a service
    hall application, or to an appeal 诉求; a residents' matter when that module arrives (each
    follow-up has its own link field and an entry in `needs.FOLLOW_UPS`). Once handed on, the
    status shown follows that record."""

    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="needs"
    )
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.CASCADE, related_name="needs"
    )
    category = models.CharField(_("category"), max_length=16, choices=NeedCategory.choices)
    description = models.CharField(_("description"), max_length=300)
    status = models.CharField(
        _("status"), max_length=16, choices=NeedStatus.choices, default=NeedStatus.OPEN
    )
    application = models.ForeignKey(
        "services.Application",
        verbose_name=_("application"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="needs",
    )
    appeal = models.ForeignKey(
        "appeals.Appeal",
        verbose_name=_("appeal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="needs",
    )
    found_on = models.DateField(_("found on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closing_note = models.CharField(_("closing note"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(family="visits", area_path="household__area__path")

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["-found_on", "-id"]
        indexes = [models.Index(fields=["found_on"], name="need_found_on")]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.description[:30]}"


class HouseholdVisitState(models.Model):
    """走访状态 — for each household: the last visit, the policy it follows and the day the
    next visit is due (moved to the next working day when it falls on a rest day). Kept by
    `visit_record` and refreshed by a job when policies, tags or the calendar change."""

    household = models.OneToOneField(
        Household, primary_key=True, on_delete=models.CASCADE, related_name="visit_state"
    )
    last_visited_on = models.DateField(_("last visit"), null=True, blank=True)
    policy = models.ForeignKey(
        VisitPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField(_("next visit due"))
    refreshed_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(family="visits", area_path="household__area__path")

    class Meta:
        verbose_name = _("household visit state")
        # The overdue households are read from this index alone: due date and household.
        indexes = [models.Index(fields=["due_on", "household"], name="visit_state_due")]

    def __str__(self) -> str:
        return f"{self.household_id} due {self.due_on}"


class CoverageSummary(models.Model):
    """覆盖汇总 — one village's coverage in one calendar month, quarter or year, counted from
    the records by a job. Households are counted where they live at the time of counting, so
    the villages' rows add up to any area above them."""

    village = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    period_kind = models.CharField(max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField()
    households = models.PositiveIntegerField(default=0)
    households_reached = models.PositiveIntegerField(default=0)
    poor = models.PositiveIntegerField(default=0)
    poor_reached = models.PositiveIntegerField(default=0)
    visits = models.PositiveIntegerField(default=0)
    needs_found = models.PositiveIntegerField(default=0)
    needs_resolved = models.PositiveIntegerField(default=0)
    # Five links: the village's own link (level 3), its party members (4), its households (5).
    village_linked = models.BooleanField(default=False)
    village_reached = models.BooleanField(default=False)
    party_members = models.PositiveIntegerField(default=0)
    party_members_linked = models.PositiveIntegerField(default=0)
    party_members_reached = models.PositiveIntegerField(default=0)
    households_linked = models.PositiveIntegerField(default=0)
    households_reached_by_link = models.PositiveIntegerField(default=0)
    # Households whose next visit was overdue at the end of the period (today, for the current
    # period): the leader's overdue trend.
    overdue = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(family="visits", area_path="village__path")

    class Meta:
        verbose_name = _("coverage summary")
        constraints = [
            models.UniqueConstraint(
                fields=["period_kind", "period_start", "village"], name="coverage_one_row"
            )
        ]

    def __str__(self) -> str:
        return f"{self.village_id} {self.period_kind} {self.period_start}"
