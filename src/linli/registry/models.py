from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.core.lookups import starts_with
from linli.core.models import Area
from linli.core.scoping import RestrictedQuerySet, ScopeSpec
from linli.core.validators import check_text_fields, validate_id_number, validate_mobile

from .choices import ImportStatus, OrganisationKind, PostKind, Relation, Sex, TagTarget


class Tag(models.Model):
    """标签 — one entry of a tag vocabulary (困难户, 残疾, 留守儿童 …). Administrators edit the
    vocabulary; a tag may ask for a detail (disability grade, school stage) from a fixed list."""

    name = models.CharField(_("name"), max_length=40)
    target = models.CharField(_("applies to"), max_length=16, choices=TagTarget.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    detail_label = models.CharField(
        _("detail label"), max_length=40, blank=True, help_text=_("e.g. 残疾等级, 学段")
    )
    detail_choices = models.JSONField(
        _("detail choices"),
        default=list,
        blank=True,
        help_text=_("Allowed details, one per line; empty means free text."),
    )
    sensitive = models.BooleanField(
        _("sensitive"),
        default=False,
        help_text=_(
            "Poverty, disability, health and the like: hidden from roles that may not reveal."
        ),
    )
    active = models.BooleanField(_("in use"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["target", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["target", "name"], name="tag_unique_name_per_target")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        check_text_fields(self, names=("name",), texts=("detail_label",))


class HouseholdQuerySet(RestrictedQuerySet):
    def under(self, area: Area):
        return self.filter(starts_with("area__path", area.path))


class Household(models.Model):
    """户 — people registered together at one address, with a head 户主 and tags."""

    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="households"
    )
    number = models.CharField(_("household number"), max_length=32, unique=True)
    address = models.CharField(_("address"), max_length=200)
    head = models.OneToOneField(
        "Resident",
        verbose_name=_("head of household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_household",
    )
    tags = models.ManyToManyField(
        Tag, verbose_name=_("tags"), through="HouseholdTag", blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = HouseholdQuerySet.as_manager()
    scope = ScopeSpec(family="registry", area_path="area__path", household="pk")

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number

    def clean(self) -> None:
        check_text_fields(self, texts=("number", "address"))


class HouseholdTag(models.Model):
    """A household's tag, with an optional detail and since when."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, related_name="household_links")
    detail = models.CharField(max_length=60, blank=True)
    since = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("household tag")
        constraints = [
            models.UniqueConstraint(fields=["household", "tag"], name="household_tag_once")
        ]

    def __str__(self) -> str:
        return f"{self.tag}{'：' + self.detail if self.detail else ''}"


class ResidentQuerySet(RestrictedQuerySet):
    def under(self, area: Area):
        return self.filter(starts_with("household__area__path", area.path))


class Resident(models.Model):
    """居民 — a person in the registry. Birth date and sex come from the ID number (GB 11643);
    the pinyin columns and reversed numbers are stored so name and last-digit searches use an index."""

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="members"
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    name_pinyin = models.CharField(max_length=200, editable=False)
    name_initials = models.CharField(max_length=50, editable=False)
    id_number = models.CharField(
        _("ID number"), max_length=18, unique=True, validators=[validate_id_number]
    )
    id_number_reversed = models.CharField(max_length=18, editable=False)
    birth_date = models.DateField(_("birth date"), editable=False)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, editable=False)
    mobile = models.CharField(
        _("mobile number"), max_length=11, blank=True, validators=[validate_mobile]
    )
    mobile_reversed = models.CharField(max_length=11, blank=True, editable=False)
    relation = models.CharField(
        _("relation to head"), max_length=16, choices=Relation.choices, default=Relation.OTHER
    )
    tags = models.ManyToManyField(
        Tag, verbose_name=_("tags"), through="ResidentTag", blank=True, related_name="+"
    )
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resident_record",
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ResidentQuerySet.as_manager()
    scope = ScopeSpec(
        family="registry", area_path="household__area__path", household="household_id"
    )

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["household_id", "id"]
        # The search columns are only ever matched by prefix (`core.lookups.starts_with`). One
        # pattern index each serves that on PostgreSQL, where `db_index` would build a plain
        # index and a pattern twin; SQLite ignores the operator class and serves the range.
        indexes = [
            models.Index(
                fields=[field], name=f"resident_{field}", opclasses=["varchar_pattern_ops"]
            )
            for field in ("name_pinyin", "name_initials", "id_number_reversed", "mobile_reversed")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        check_text_fields(self, names=("name",), texts=("id_number", "mobile"))


class ResidentTag(models.Model):
    """A resident's tag with its detail (e.g. 残疾 — 二级, 在校学生 — 小学)."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, related_name="resident_links")
    detail = models.CharField(max_length=60, blank=True)
    since = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("resident tag")
        constraints = [
            models.UniqueConstraint(fields=["resident", "tag"], name="resident_tag_once")
        ]

    def __str__(self) -> str:
        return f"{self.tag}{'：' + self.detail if self.detail else ''}"


class Organisation(models.Model):
    """组织/单位 — a party organisation (党总支, 村党支部), district department (区直部门),
    service hall, clinic 卫生室, police room 警务室 … located in an area."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="organisations"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Where residents find it (a service hall's address is shown to those asked to come).
    address = models.CharField(_("address"), max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(family="organisation", area_path="area__path")

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        check_text_fields(self, names=("name",))


class Post(models.Model):
    """职务 — who holds which post, at which organisation or area, from when to when."""

    holder_name = models.CharField(_("holder"), max_length=50)
    holder = models.ForeignKey(
        Resident,
        verbose_name=_("holder in the registry"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="posts",
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="posts",
    )
    kind = models.CharField(_("post"), max_length=32, choices=PostKind.choices)
    title = models.CharField(_("title"), max_length=100, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="posts",
    )
    area = models.ForeignKey(
        Area, verbose_name=_("area served"), on_delete=models.PROTECT, related_name="posts"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(family="organisation", area_path="area__path")

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["area_id", "kind", "starts_on"]
        indexes = [models.Index(fields=["kind", "starts_on"])]

    def __str__(self) -> str:
        return f"{self.holder_name} · {self.get_kind_display()}"

    def clean(self) -> None:
        check_text_fields(self, names=("holder_name",), texts=("title",))


class RegistryImport(models.Model):
    """登记导入 — one register workbook handed in for import: the file (kept, with its hash),
    the options, progress while it runs and what it did or why it did not."""

    file_name = models.CharField(_("file"), max_length=200)
    file_sha256 = models.CharField(max_length=64, editable=False)
    file_size = models.PositiveIntegerField(default=0)
    stored_name = models.CharField(max_length=100, editable=False)  # under DATA_DIR/imports
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(max_length=16, default="web")
    address = models.CharField(max_length=64, blank=True)
    valid_only = models.BooleanField(_("import the valid households only"), default=False)
    dry_run = models.BooleanField(_("trial run"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    households_total = models.PositiveIntegerField(default=0)
    households_skipped = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)  # [[row, column, value, msgid, params]]
    failure = models.JSONField(default=dict, blank=True)  # {"message": msgid, "params": {…}}
    # The file's columns the import did not read: [[header ("" = none), column letter], …].
    ignored_columns = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(_("handed in"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("register import")
        verbose_name_plural = _("register imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"

    @property
    def finished(self) -> bool:
        return self.status in (
            ImportStatus.DONE,
            ImportStatus.CHECKED,
            ImportStatus.REJECTED,
            ImportStatus.FAILED,
        )
