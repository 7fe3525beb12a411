"""Data of the residents-decide module 由民做主.

A `Matter` 议事事项 is one thing residents want settled, raised in a community (or one of its
buildings) and carried through the five steps (`choices.Stage`; `workflow.TABLE`):

- propose 民主提事 — `MatterSupport` 附议 (one per person) and the `Opinion`s 民意 an opinion
  collector 民情服务队员 gathers from neighbours; similar matters are merged (`merged_into`);
- deliberate 民主议事 — the community's advisory `Panel` 顾问团 (its `PanelMember`s, each
  studying some `MatterCategory`s) writes `MatterOption`s 方案; a `Meeting` 议事会 (会客厅 /
  由民做主会议) with its agenda, its `MeetingInvitee`s and who came, and minutes 会议纪要;
- decide 民主决策 — a `Vote` 表决 whose rules (who may vote, quorum, majority, open or secret,
  how ballots are cast) are fixed when it opens; its roll `Voter` 选民名册 is taken then, and
  each voter casts at most one `Ballot` 选票 (the database refuses a second);
- manage 民主管理 — `MatterTask`s 分工任务 for the community and named departments, each with
  an owner and a deadline, and their `TaskReport`s (text, percent, photos);
- supervise 民主监督 — `Inspection`s 监督检查 by the supervision panel 监督团, then residents'
  `ResidentRating`s 由民评定 (one per household and round); too many 不满意 send the matter back
  to manage with a new `round`.

Beside them, party members' `Commitment`s 党员公开承诺 (for a community, a building or a
business street 商圈), their `CommitmentRecord`s of fulfilment and the residents'
`CommitmentRating`s; and a community's `PublicBoard` 公开栏 setting (shown without login or not).

Every record reaches its area through the matter (scope family `decide`); a resident sees the
matters of their own community on the board (`selectors.board_matters`), not by their grant.
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
    AttendeeRole,
    CastingMethod,
    ClosedBecause,
    CommitmentPlace,
    Majority,
    MatterChannel,
    MeetingKind,
    PanelKind,
    Rating,
    Stage,
    TaskState,
    VoterBody,
    VoteResult,
    VoteState,
)

USER = settings.AUTH_USER_MODEL


def _by(verbose: str = "by"):
    return models.ForeignKey(
        USER,
        verbose_name=_(verbose),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )


MATTER_SCOPE = ScopeSpec(family="decide", area_path="matter__area__path")


# --- categories and panels -----------------------------------------------------------------------


class MatterCategory(models.Model):
    """事项类别 — the 14 kinds of matter (家居服务、公共服务、居住环境服务、医疗服务、文化服务 …),
    data the administrator edits. A panel member studies the matters of some categories."""

    code = models.CharField(_("category code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=40, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    active = models.BooleanField(_("offered"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("matter category")
        verbose_name_plural = _("matter categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Panel(models.Model):
    """顾问团 / 监督团 — a community's advisory panel (local experts, retired party members and
    officials, who study matters and write options) or supervision panel (who inspect what is
    done), such as 工福街社区's “工福晴雨”顾问团."""

    area = models.ForeignKey(Area, verbose_name=_("community"), on_delete=models.PROTECT)
    kind = models.CharField(_("kind"), max_length=16, choices=PanelKind.choices)
    name = models.CharField(_("name"), max_length=60)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(family="decide", area_path="area__path")

    class Meta:
        verbose_name = _("panel")
        verbose_name_plural = _("panels")
        ordering = ["area_id", "kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["area", "kind"], name="decide_panel_one_of_each_kind")
        ]

    def __str__(self) -> str:
        return self.name


class PanelMember(models.Model):
    """顾问团 / 监督团成员 — a named member (a registry person where there is one), with what they
    are (退休教师, 老党员, 退休干部 …), the account they act with, and the categories they study
    (none: all)."""

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="members")
    resident = models.ForeignKey(
        Resident, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=50)
    background = models.CharField(_("background"), max_length=100, blank=True)
    account = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="panel_seats"
    )
    categories = models.ManyToManyField(
        MatterCategory, verbose_name=_("categories studied"), blank=True, related_name="+"
    )
    active = models.BooleanField(_("serving"), default=True)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(family="decide", area_path="panel__area__path")

    class Meta:
        verbose_name = _("panel member")
        verbose_name_plural = _("panel members")
        ordering = ["panel_id", "id"]

    def __str__(self) -> str:
        return self.name


# --- matters 议事事项 --------------------------------------------------------------------------------


class Matter(models.Model):
    """议事事项 — something residents want settled in their community, carried through the five
    steps. `area` is the community or one of its buildings; `household` is the proposer's (so a
    resident finds their own). `round` counts the manage–supervise rounds (a low rating starts
    another). `version` is the optimistic concurrency check."""

    number = models.CharField(_("matter number"), max_length=20, unique=True)
    category = models.ForeignKey(
        MatterCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    area = models.ForeignKey(
        Area, verbose_name=_("place"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), max_length=2000)
    channel = models.CharField(_("raised"), max_length=16, choices=MatterChannel.choices)
    proposer = models.ForeignKey(
        Resident,
        verbose_name=_("proposer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="matters",
    )
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="matters"
    )
    appeal = models.OneToOneField(
        "appeals.Appeal",
        verbose_name=_("from appeal"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="matter",
    )
    stage = models.CharField(
        _("stage"), max_length=16, choices=Stage.choices, default=Stage.PROPOSE
    )
    stage_since = models.DateTimeField(_("at this stage since"), default=timezone.now)
    closed_because = models.CharField(
        _("closed because"), max_length=16, choices=ClosedBecause.choices, blank=True
    )
    closing_note = models.CharField(_("closing note"), max_length=500, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
    )
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    # 由民评定: a share of 不满意 (in percent of the ratings) above this sends it back to manage.
    dissatisfied_limit = models.PositiveSmallIntegerField(
        _("dissatisfied share that sends it back (%)"), default=30
    )
    decision = models.TextField(_("decision"), max_length=2000, blank=True)
    raised_by = _by("raised by")
    created_at = models.DateTimeField(_("raised"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(family="decide", area_path="area__path", household="household_id")

    class Meta:
        verbose_name = _("matter")
        verbose_name_plural = _("matters")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["stage", "area"], name="decide_matter_stage_area")]
        constraints = [
            models.CheckConstraint(
                condition=Q(dissatisfied_limit__gte=1) & Q(dissatisfied_limit__lte=100),
                name="decide_matter_dissatisfied_limit_percent",
            ),
            models.CheckConstraint(
                condition=~Q(closed_because=ClosedBecause.MERGED) | Q(merged_into__isnull=False),
                name="decide_matter_merged_names_its_matter",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class StageSpell(models.Model):
    """环节用时 — the time a matter spent at one stage in one round: `left_at` is empty while it
    is there. The figures' days in each stage are counted from these."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="spells")
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    entered_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    scope = MATTER_SCOPE

    class Meta:
        ordering = ["matter_id", "entered_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["matter"],
                condition=Q(left_at__isnull=True),
                name="decide_one_open_spell_per_matter",
            )
        ]

    def __str__(self) -> str:
        return f"{self.matter_id} {self.stage} {self.round}"


class MatterSupport(models.Model):
    """附议 — a resident supports a matter; one each."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="supports")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    scope = MATTER_SCOPE

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["matter", "resident"], name="decide_support_once")
        ]

    def __str__(self) -> str:
        return f"{self.matter_id}/{self.resident_id}"


class Opinion(models.Model):
    """民意 — what a neighbour said about a matter, written down by an opinion collector (or by
    the resident), named or not."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="opinions")
    resident = models.ForeignKey(
        Resident, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("said by"), max_length=50, blank=True)
    text = models.CharField(_("opinion"), max_length=1000)
    collected_by = _by("collected by")
    collected_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    scope = MATTER_SCOPE

    class Meta:
        ordering = ["matter_id", "collected_at", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class MatterOption(models.Model):
    """方案 — an option the advisory panel writes for a matter."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="options")
    title = models.CharField(_("option"), max_length=100)
    description = models.CharField(_("details"), max_length=1000, blank=True)
    written_by = models.ForeignKey(
        PanelMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    scope = MATTER_SCOPE

    class Meta:
        ordering = ["matter_id", "order", "id"]

    def __str__(self) -> str:
        return self.title


class Meeting(models.Model):
    """议事会 — a meeting on a matter (工福会客厅, 由民做主会议): when, where, the agenda, who was
    invited and who came, and the minutes 会议纪要 (written after; `held_at` says it took place)."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(_("kind"), max_length=20, choices=MeetingKind.choices)
    title = models.CharField(_("title"), max_length=100)
    starts_at = models.DateTimeField(_("when"))
    place = models.CharField(_("where"), max_length=100)
    agenda = models.TextField(_("agenda"), max_length=2000)
    minutes = models.TextField(_("minutes"), max_length=5000, blank=True)
    held_at = models.DateTimeField(_("held"), null=True, blank=True)
    created_by = _by("arranged by")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    scope = MATTER_SCOPE

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["matter_id", "starts_at", "id"]

    def __str__(self) -> str:
        return self.title


class MeetingInvitee(models.Model):
    """One invited to a meeting: a building head, a resident representative, a department
    (an organisation), a panel member or staff; `present` is the roll (empty until taken)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitees")
    role = models.CharField(_("as"), max_length=16, choices=AttendeeRole.choices)
    resident = models.ForeignKey(
        Resident, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=60)
    present = models.BooleanField(_("came"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(family="decide", area_path="meeting__matter__area__path")

    class Meta:
        ordering = ["meeting_id", "id"]

    def __str__(self) -> str:
        return self.name


# --- votes 表决 ---------------------------------------------------------------------------------


class Vote(models.Model):
    """表决 — a vote on a matter. Its rules — the eligible body, the quorum (percent of the roll
    who must cast a ballot), the majority, open or secret, how ballots are cast, and its options
    — are fixed when it opens (`opened_at`) and shown on it; the roll `Voter` is taken then.
    The tally is recounted from the ballots; `result` is written when it closes."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="votes")
    round = models.PositiveSmallIntegerField(default=1)
    question = models.CharField(_("question"), max_length=200)
    body = models.CharField(_("who may vote"), max_length=20, choices=VoterBody.choices)
    quorum_percent = models.PositiveSmallIntegerField(_("quorum (%)"), default=50)
    majority = models.CharField(_("majority"), max_length=16, choices=Majority.choices)
    secret = models.BooleanField(_("secret ballot"), default=False)
    method = models.CharField(_("ballots cast"), max_length=16, choices=CastingMethod.choices)
    closes_at = models.DateTimeField(_("closes"))
    state = models.CharField(
        _("state"), max_length=16, choices=VoteState.choices, default=VoteState.DRAFT
    )
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    roll_size = models.PositiveIntegerField(_("eligible voters"), default=0)
    result = models.CharField(_("result"), max_length=16, choices=VoteResult.choices, blank=True)
    winning_option = models.ForeignKey(
        "VoteOption", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = _by("prepared by")
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()
    scope = MATTER_SCOPE

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["matter_id", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quorum_percent__gte=1) & Q(quorum_percent__lte=100),
                name="decide_vote_quorum_percent",
            ),
            models.UniqueConstraint(
                fields=["matter"],
                condition=Q(state="open"),
                name="decide_one_open_vote_per_matter",
            ),
        ]

    def __str__(self) -> str:
        return self.question


class VoteOption(models.Model):
    """One choice on a vote's ballot (赞成 / 反对, or one of the panel's options)."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("choice"), max_length=100)
    option = models.ForeignKey(
        MatterOption, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    order = models.PositiveSmallIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(family="decide", area_path="vote__matter__area__path")

    class Meta:
        ordering = ["vote_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["vote", "label"], name="decide_vote_option_label_once")
        ]

    def __str__(self) -> str:
        return self.label


class Voter(models.Model):
    """选民名册 — one entry of a vote's roll, taken when it opens: a household (one vote per
    household; `resident` is then empty) or a person (a representative, a building head).
    `key` ("h<household id>" / "r<resident id>") makes each voter once per vote."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="roll")
    key = models.CharField(max_length=24)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey(
        Resident, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("voter"), max_length=60)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(family="decide", area_path="vote__matter__area__path")

    class Meta:
        ordering = ["vote_id", "id"]
        constraints = [models.UniqueConstraint(fields=["vote", "key"], name="decide_voter_once")]

    def __str__(self) -> str:
        return self.name


class Ballot(models.Model):
    """选票 — one voter's choice. One per voter, enforced by the database (`voter` is unique);
    never changed after it is cast. In a secret vote nothing shows whose ballot is whose; the
    link to the roll is kept only so a second ballot is refused. A show of hands entered by
    staff names the witness 监票人."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="ballots")
    voter = models.OneToOneField(Voter, on_delete=models.PROTECT, related_name="ballot")
    choice = models.ForeignKey(VoteOption, on_delete=models.PROTECT, related_name="ballots")
    cast_at = models.DateTimeField(default=timezone.now)
    entered_by = _by("entered by")
    witness = models.CharField(_("witness"), max_length=50, blank=True)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(family="decide", area_path="vote__matter__area__path")

    class Meta:
        ordering = ["vote_id", "id"]
        indexes = [models.Index(fields=["vote", "choice"], name="decide_ballot_tally")]

    def __str__(self) -> str:
        return f"{self.vote_id}/{self.pk}"


# --- manage 民主管理 and supervise 民主监督 --------------------------------------------------------


class MatterTask(models.Model):
    """分工任务 — a part of a decision given to the community or a named department, with an
    owner, a deadline and its progress (`percent`, the last report's)."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="tasks")
    round = models.PositiveSmallIntegerField(default=1)
    title = models.CharField(_("task"), max_length=200)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="matter_tasks",
    )
    owner = models.ForeignKey(
        USER,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="matter_tasks",
    )
    owner_name = models.CharField(_("owner"), max_length=50)
    due_on = models.DateField(_("deadline"))
    state = models.CharField(
        _("state"), max_length=16, choices=TaskState.choices, default=TaskState.OPEN
    )
    percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    created_by = _by("assigned by")
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedQuerySet.as_manager()
    scope = MATTER_SCOPE

    class Meta:
        verbose_name = _("matter task")
        verbose_name_plural = _("matter tasks")
        ordering = ["matter_id", "due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__lte=100), name="decide_task_percent_at_most_100"
            )
        ]

    def __str__(self) -> str:
        return self.title


class TaskReport(models.Model):
    """进展 — a progress report on a task: what was done, how far (percent), photos."""

    task = models.ForeignKey(MatterTask, on_delete=models.CASCADE, related_name="reports")
    text = models.CharField(_("progress"), max_length=1000)
    percent = models.PositiveSmallIntegerField(_("progress (%)"))
    reported_by = _by("reported by")
    reported_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(family="decide", area_path="task__matter__area__path")

    class Meta:
        ordering = ["task_id", "reported_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__lte=100), name="decide_report_percent_at_most_100"
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_id} {self.percent}%"


class Inspection(models.Model):
    """监督检查 — a supervision panel member's inspection of what was done: passed or not, with
    notes and photos."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="inspections")
    round = models.PositiveSmallIntegerField(default=1)
    inspector = models.ForeignKey(
        PanelMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    passed = models.BooleanField(_("passed"))
    notes = models.CharField(_("notes"), max_length=1000)
    recorded_by = _by("recorded by")
    inspected_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    scope = MATTER_SCOPE

    class Meta:
        ordering = ["matter_id", "inspected_at", "id"]

    def __str__(self) -> str:
        return f"{self.matter_id}/{self.pk}"


class DecidePhoto(models.Model):
    """照片 — a photo of a task's progress or of an inspection, checked by its bytes
    (`core.photos`) and kept under DATA_DIR/decide."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="photos")
    report = models.ForeignKey(
        TaskReport, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    inspection = models.ForeignKey(
        Inspection, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    stored_name = models.CharField(max_length=100)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)
    sent_by = _by("sent by")
    sent_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    scope = MATTER_SCOPE

    class Meta:
        ordering = ["matter_id", "sent_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(report__isnull=True) ^ Q(inspection__isnull=True),
                name="decide_photo_of_a_report_or_an_inspection",
            )
        ]

    def __str__(self) -> str:
        return f"{self.matter_id}/{self.pk}"


class ResidentRating(models.Model):
    """由民评定 — a household's rating of the result, once per round."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="ratings")
    round = models.PositiveSmallIntegerField(default=1)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey(
        Resident, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rating = models.CharField(_("rating"), max_length=16, choices=Rating.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    rated_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    scope = MATTER_SCOPE

    class Meta:
        ordering = ["matter_id", "round", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["matter", "round", "household"], name="decide_rating_once_per_household"
            )
        ]

    def __str__(self) -> str:
        return f"{self.matter_id}/{self.round}/{self.household_id}"


# --- the boards 公开栏 and 党员公开承诺榜 ----------------------------------------------------------


class PublicBoard(models.Model):
    """公开栏 — a community's board setting: whether its matters and commitments may be read
    without login (the residents of the community always read them)."""

    area = models.OneToOneField(Area, verbose_name=_("community"), on_delete=models.PROTECT)
    without_login = models.BooleanField(_("readable without login"), default=False)
    updated_by = _by("changed by")
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(family="decide", area_path="area__path")

    def __str__(self) -> str:
        return str(self.area)


class Commitment(models.Model):
    """党员公开承诺 — a party member's public commitment for a community, a building or a
    business street 商圈 (`street_name`), for a year; residents see its fulfilment records and
    rate it."""

    resident = models.ForeignKey(
        Resident, verbose_name=_("party member"), on_delete=models.PROTECT, related_name="+"
    )
    area = models.ForeignKey(Area, verbose_name=_("place"), on_delete=models.PROTECT)
    place = models.CharField(_("posted for"), max_length=20, choices=CommitmentPlace.choices)
    business_street = models.CharField(_("business street"), max_length=60, blank=True)
    text = models.CharField(_("commitment"), max_length=500)
    year = models.PositiveSmallIntegerField(_("year"))
    active = models.BooleanField(_("on the board"), default=True)
    created_by = _by("posted by")
    created_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(family="decide", area_path="area__path")

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["area_id", "-year", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(place=CommitmentPlace.BUSINESS_STREET) | ~Q(business_street=""),
                name="decide_commitment_business_street_named",
            )
        ]

    def __str__(self) -> str:
        return self.text[:40]


class CommitmentRecord(models.Model):
    """践诺记录 — what a party member did to keep a commitment."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="records")
    text = models.CharField(_("what was done"), max_length=1000)
    done_on = models.DateField(_("date"))
    recorded_by = _by("recorded by")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(family="decide", area_path="commitment__area__path")

    class Meta:
        ordering = ["commitment_id", "-done_on", "-id"]

    def __str__(self) -> str:
        return self.text[:40]


class CommitmentRating(models.Model):
    """群众评议 — a household's rating of a commitment's fulfilment, once a year."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="ratings")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="+")
    rating = models.CharField(_("rating"), max_length=16, choices=Rating.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    rated_at = models.DateTimeField(default=timezone.now)

    objects = RestrictedQuerySet.as_manager()
    scope = ScopeSpec(family="decide", area_path="commitment__area__path")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "household"], name="decide_commitment_rating_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.commitment_id}/{self.household_id}"
