"""Every write of the public board 公开栏 and the commitment board 党员公开承诺榜: whether a
community's board is read without login, party members' commitments 党员公开承诺 posted by the
community's staff, their fulfilment records 践诺记录, and the residents' ratings 群众评议 (one per
household and commitment).

Each function is keyword-only and one transaction, audited; who acts is checked first (404 for
a place or record the actor may not see, 403 for one they see but may not change).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import User
from linli.core import audit
from linli.core.actors import Actor, account_id
from linli.core.choices import AreaKind
from linli.core.errors import Conflict
from linli.core.models import Area
from linli.core.scoping import OutOfScope, covers
from linli.core.validators import clean_text
from linli.registry.figures import PARTY_MEMBER_TAG
from linli.registry.models import Resident

from .. import events
from ..choices import CommitmentPlace, Rating
from ..manage.selectors import community_of, resident_household_in
from ..models import Commitment, CommitmentRating, CommitmentRecord, PublicBoard
from ..services import MANAGE, VIEW, require_in_area

TEXT_LENGTH = 500
RECORD_LENGTH = 1000
STREET_LENGTH = 60


def _user(actor: Actor | None) -> User | None:
    return actor if isinstance(actor, User) else None


def _community(area: Area) -> Area:
    if area.kind != AreaKind.COMMUNITY:
        raise ValidationError({"community": _("A board belongs to a community.")})
    return area


@transaction.atomic
def board_setting_change(
    *, actor: Actor | None, community: Area, without_login: bool
) -> PublicBoard:
    """公开栏设置 — whether the community's board may be read without login."""
    require_in_area(actor, community, MANAGE)
    _community(community)
    board, created = PublicBoard.objects.select_for_update().get_or_create(area=community)
    change = audit.audited_change(actor=actor, obj=board)
    board.without_login = bool(without_login)
    board.updated_by = _user(actor)
    board.save()
    if created:
        audit.record_created(actor=actor, obj=board)
    else:
        change.record()
    return board


def is_party_member(resident: Resident) -> bool:
    return resident.tag_links.filter(tag__name=PARTY_MEMBER_TAG).exists()


@transaction.atomic
def commitment_post(
    *,
    actor: Actor | None,
    community: Area,
    resident: Resident,
    place: str,
    text: str,
    year: int | None = None,
    building: Area | None = None,
    business_street: str = "",
) -> Commitment:
    """党员公开承诺 — a party member of the community commits publicly, for the community, one of
    its buildings 楼院 or a business street 商圈 (named)."""
    require_in_area(actor, community, MANAGE)
    _community(community)
    if not resident.household.area.path.startswith(community.path):
        raise ValidationError(
            {
                "resident": _("%(name)s does not live in %(community)s.")
                % {"name": resident.name, "community": community.name}
            }
        )
    if not is_party_member(resident):
        raise ValidationError(
            {
                "resident": _(
                    "%(name)s is not marked as a party member in the register: only party "
                    "members post commitments here."
                )
                % {"name": resident.name}
            }
        )
    text = clean_text(text, "text", TEXT_LENGTH, required=_("Say what is committed."))
    business_street = clean_text(business_street, "business_street", STREET_LENGTH)
    area = community
    if place == CommitmentPlace.BUILDING:
        if (
            building is None
            or building.kind != AreaKind.BUILDING
            or not building.path.startswith(community.path)
        ):
            raise ValidationError(
                {
                    "building": _("Choose a building 楼院 of %(community)s.")
                    % {"community": community.name}
                }
            )
        area, business_street = building, ""
    elif place == CommitmentPlace.BUSINESS_STREET:
        if not business_street:
            raise ValidationError({"business_street": _("Name the business street.")})
    elif place == CommitmentPlace.COMMUNITY:
        business_street = ""
    else:
        raise ValidationError({"place": _("Choose where the commitment is posted.")})
    year = year or timezone.localdate().year
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": _("Give the year the commitment is for.")})
    commitment = Commitment.objects.create(
        resident=resident,
        area=area,
        place=place,
        business_street=business_street,
        text=text,
        year=year,
        created_by=_user(actor),
    )
    audit.record_created(actor=actor, obj=commitment)
    events.COMMITMENT_POSTED.add(
        subject=commitment, params={"year": year, "text": text}, actor=actor
    )
    return commitment


def _may_record(actor: Actor | None, commitment: Commitment) -> None:
    """The community's staff, or the party member with their own account."""
    if actor is None:
        return
    if commitment.resident.account_id is not None and commitment.resident.account_id == account_id(
        actor
    ):
        return
    require_in_area(actor, commitment.area, MANAGE)


@transaction.atomic
def commitment_record(
    *, actor: Actor | None, commitment: Commitment, text: str, done_on: dt.date
) -> CommitmentRecord:
    """践诺记录 — what the party member did to keep the commitment, and when."""
    commitment = (
        Commitment.objects.select_for_update()
        .select_related("area", "resident")
        .get(pk=commitment.pk)
    )
    _may_record(actor, commitment)
    text = clean_text(text, "text", RECORD_LENGTH, required=_("Say what was done."))
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": _("Record what has been done: the date is ahead.")})
    record = CommitmentRecord.objects.create(
        commitment=commitment, text=text, done_on=done_on, recorded_by=_user(actor)
    )
    audit.record_created(actor=actor, obj=record)
    events.COMMITMENT_RECORDED.add(
        subject=commitment, params={"done_on": done_on.isoformat(), "text": text}, actor=actor
    )
    return record


@transaction.atomic
def commitment_rate(
    *, actor: Actor, commitment: Commitment, rating: str, note: str = ""
) -> CommitmentRating:
    """群众评议 — a household of the community rates the commitment's fulfilment, once."""
    commitment = Commitment.objects.select_related("area").get(pk=commitment.pk)
    community = community_of(commitment.area)
    household = resident_household_in(actor, community)
    if household is None:
        if covers(actor, commitment.area, VIEW):
            raise PermissionDenied
        raise OutOfScope(Commitment, commitment.pk)
    if rating not in Rating.values:
        raise ValidationError(
            {"rating": _("Choose satisfied, basically satisfied or dissatisfied.")}
        )
    note = clean_text(note, "note", TEXT_LENGTH)
    rated = Conflict(_("Your household has rated this commitment already."), code="rated")
    if CommitmentRating.objects.filter(commitment=commitment, household=household).exists():
        raise rated
    try:
        with transaction.atomic():
            given = CommitmentRating.objects.create(
                commitment=commitment, household=household, rating=rating, note=note
            )
    except IntegrityError:
        raise rated from None
    audit.record_created(actor=actor, obj=given)
    return given
