"""Every read of disputes 矛盾纠纷 starts from the appeals the user may see
(`appeals.selectors.appeal_get`): a dispute is seen by whoever sees its appeal, and worked by
whoever handles the appeal where it waits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from linli.accounts.models import User
from linli.core.actors import Actor
from linli.core.scoping import OutOfScope

from .. import tiers
from ..choices import DisputeState
from ..models import Agreement, Appeal, Dispute, DisputeParty, FulfilmentCheck, MediationSession
from ..selectors import appeal_get
from ..workflow import RUNNING_STATES
from .workflow import AWAITING_CHECK, TABLE, Action


def is_dispute(appeal: Appeal, dispute: Dispute | None) -> bool:
    """An appeal is a dispute when its category says so or a handler marked it."""
    return dispute is not None or appeal.category_version.dispute


def dispute_of(appeal: Appeal) -> Dispute | None:
    """The appeal's dispute with its parties, sessions (and who came), agreement and checks, in
    a fixed number of queries; None when it has none yet."""
    return (
        Dispute.objects.filter(appeal=appeal)
        .select_related("mediator", "agreement")
        .prefetch_related(
            Prefetch(
                "parties",
                queryset=DisputeParty.objects.select_related("resident").order_by("order"),
            ),
            Prefetch(
                "sessions",
                queryset=MediationSession.objects.prefetch_related("attended__resident").order_by(
                    "order"
                ),
            ),
        )
        .first()
    )


def agreement_checks(agreement: Agreement | None) -> list[FulfilmentCheck]:
    if agreement is None:
        return []
    return list(
        FulfilmentCheck.objects.filter(agreement=agreement)
        .select_related("checked_by")
        .order_by("checked_on", "id")
    )


@dataclass
class DisputeView:
    """What the dispute section shows: the appeal, its dispute (None until one is made), the
    agreement and its checks, and what the user may do now."""

    appeal: Appeal
    dispute: Dispute | None
    agreement: Agreement | None = None
    checks: list[FulfilmentCheck] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    may_mark: bool = False

    @property
    def is_dispute(self) -> bool:
        return is_dispute(self.appeal, self.dispute)

    @property
    def version(self) -> int | None:
        return self.dispute.version if self.dispute is not None else None

    @property
    def parties(self) -> list[DisputeParty]:
        return list(self.dispute.parties.all()) if self.dispute is not None else []

    @property
    def sessions(self) -> list[MediationSession]:
        return list(self.dispute.sessions.all()) if self.dispute is not None else []

    @property
    def check_overdue(self) -> bool:
        return (
            self.agreement is not None
            and self.dispute is not None
            and self.dispute.state in AWAITING_CHECK
            and self.agreement.follow_up_on <= timezone.localdate()
        )


# The mediation's own actions are done while the appeal is at a tier; the agreement's scan and
# its checks after it is settled too.
MEDIATION_ACTIONS = (
    Action.ADD_PARTY,
    Action.SET_MEDIATOR,
    Action.RECORD_SESSION,
    Action.AGREE,
    Action.REFER,
)
LATER_ACTIONS = (Action.UPLOAD_SCAN, Action.CHECK_KEPT)


def dispute_actions(*, user: Actor, appeal: Appeal, dispute: Dispute | None) -> list[str]:
    """The dispute actions the pages offer this user now: allowed by the table in the dispute's
    state (a dispute category's appeal not yet begun counts as being prepared), to a handler
    where the appeal waits."""
    if not tiers.appeal_desk(user).covers(appeal) or not is_dispute(appeal, dispute):
        return []
    state = dispute.state if dispute is not None else DisputeState.PREPARING
    offered = [a for a in LATER_ACTIONS if TABLE.allows(state, a)]
    if appeal.state in RUNNING_STATES:
        offered = [a for a in MEDIATION_ACTIONS if TABLE.allows(state, a)] + offered
    return offered


def dispute_view(*, user: Actor, appeal_pk) -> DisputeView:
    """The dispute section of an appeal the user may see (404 otherwise)."""
    appeal = appeal_get(user=user, pk=appeal_pk)
    return dispute_view_for(user=user, appeal=appeal)


def dispute_view_for(*, user: Actor, appeal: Appeal) -> DisputeView:
    """The dispute section of an appeal already found through `appeal_get`."""
    dispute = dispute_of(appeal)
    agreement = getattr(dispute, "agreement", None) if dispute is not None else None
    return DisputeView(
        appeal=appeal,
        dispute=dispute,
        agreement=agreement,
        checks=agreement_checks(agreement),
        actions=dispute_actions(user=user, appeal=appeal, dispute=dispute),
        may_mark=dispute is None
        and not appeal.category_version.dispute
        and appeal.state in RUNNING_STATES
        and tiers.appeal_desk(user).covers(appeal),
    )


def agreement_get(*, user: Actor, appeal_pk) -> DisputeView:
    """The agreement of a dispute the user may see, for printing (404 when there is none)."""
    view = dispute_view(user=user, appeal_pk=appeal_pk)
    if view.agreement is None:
        raise OutOfScope(Agreement, appeal_pk)
    return view


def mediator_choices(appeal: Appeal) -> list[User]:
    """The staff who handle appeals where this one waits: those who may mediate it."""
    return tiers.handlers_at(tiers.same_place(appeal), appeal.area)


def fulfilment_checks_due(*, user: Actor, today: dt.date) -> QuerySet[Agreement]:
    """到期履行回访 — agreements whose keeping is due to be checked (or overdue), of the disputes
    whose appeals the user handles where they were settled, the earliest first."""
    desk = tiers.appeal_desk(user)
    if not desk:
        return Agreement.objects.none()
    handled = Appeal.objects.filter(desk.queue_filter()).values("pk")
    return (
        Agreement.objects.filter(
            dispute__state__in=AWAITING_CHECK,
            follow_up_on__lte=today,
            dispute__appeal__in=handled,
        )
        .select_related("dispute__appeal__area", "dispute__appeal__category_version")
        .order_by("follow_up_on", "id")
    )
