"""Every write to disputes 矛盾纠纷: marking an appeal as a dispute, its parties, its mediator,
its mediation sessions, and its outcome — an agreement 调解协议书 (with its signed scan, and the
later checks of its keeping) or a failed mediation referred on (诉讼、仲裁、信访).

A dispute is worked by the handlers of its appeal where the appeal waits (`tiers.AppealDesk`),
as the appeal itself is. Each function is one transaction that locks the appeal row first (as
the appeal's own services do), so two mediators recording at the same moment are served one
after the other: the second finds the dispute changed (`expected_version`) or the appeal
settled and is told in a `Conflict` (409). The outcome settles the appeal through
`appeals.services.appeal_settle`, so the return visit 回访 follows an agreement as it follows
any settlement. Each write is audited and leaves a line on the appeal's timeline.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import User
from linli.core import audit, counters, photos
from linli.core.actors import Actor
from linli.core.choices import AuditAction
from linli.core.errors import Conflict
from linli.core.scoping import OutOfScope, can, covers
from linli.core.validators import (
    clean_text,
    normalise_id_number,
    normalise_mobile,
    parse_id_number,
    validate_mobile,
)
from linli.registry.models import Resident

from .. import events
from .. import services as appeal_services
from ..choices import DisputeSide, Fulfilment, Referral, Tier
from ..models import (
    Agreement,
    Appeal,
    Dispute,
    DisputeParty,
    FulfilmentCheck,
    MediationSession,
)
from ..selectors import may_see
from ..tiers import appeal_desk
from .workflow import CHECK_ACTIONS, TABLE, Action

NAME_LENGTH = 50
PLACE_LENGTH = 200
COMMITTEE_LENGTH = 100
NOTES_LENGTH = 4000
NOTE_LENGTH = 500
REASON_LENGTH = 2000
PARTIES_MAX = 20
FOLLOW_UP_DAYS = 30  # an agreement's keeping is checked this many days after it is signed
FOLLOW_UP_MAX_DAYS = 366
SCAN_DIR = "agreements"  # under DATA_DIR, as photos are kept
SCAN_MAX_MB = 20
SCAN_MAX_BYTES = SCAN_MAX_MB * 1024 * 1024
PDF_MAGIC = b"%PDF-"
PDF_CONTENT_TYPE = "application/pdf"
AGREEMENT_PREFIX = "TJ"  # 调解
AGREEMENT_COUNTER = "appeals.agreement"
REVEAL = "registry.reveal"

_name = appeal_services._name
_user = appeal_services._user


def _today() -> dt.date:
    return timezone.localdate()


# --- who acts, and the dispute as it stands ---------------------------------------------------


def _locked_appeal(actor: Actor | None, appeal: Appeal) -> Appeal:
    """The appeal row locked, its actor a handler where it waits: 404 for one who may not see
    it, 403 for one who sees it but does not handle it there."""
    locked = appeal_services._locked(appeal)
    if actor is not None and not appeal_desk(actor).covers(locked):
        if not may_see(actor, locked):
            raise OutOfScope(Appeal, locked.pk)
        raise PermissionDenied
    return locked


def _require_open_appeal(appeal: Appeal) -> None:
    """Mediation goes on while the appeal waits or is handled at its tier; once it is settled
    (by another mediator's agreement, say) the latecomer is told."""
    appeal_services._require_running(appeal)


def _committee_for(appeal: Appeal) -> str:
    """The mediation committee that signs where the appeal waits (文岭一村人民调解委员会)."""
    place = appeal.department if appeal.tier == Tier.DEPARTMENT else appeal.tier_area
    return f"{place}人民调解委员会" if place is not None else ""


def _new_dispute(actor: Actor | None, appeal: Appeal) -> Dispute:
    dispute = Dispute.objects.create(
        appeal=appeal, committee=_committee_for(appeal)[:COMMITTEE_LENGTH], created_by=_user(actor)
    )
    audit.record_created(actor=actor, obj=dispute)
    return dispute


def _dispute(
    actor: Actor | None, appeal: Appeal, expected_version: int | None, *, create: bool = True
) -> Dispute:
    """The appeal's dispute, locked; made now for an appeal of a dispute category. An appeal of
    another category is a dispute once a handler marks it so. `expected_version` is the
    dispute's version the person's page showed: another one is a `Conflict`."""
    dispute = Dispute.objects.select_for_update().filter(appeal=appeal).first()
    if dispute is None:
        if not (create and appeal.category_version.dispute):
            raise ValidationError(
                _("Appeal %(number)s is not a dispute: mark it as one first.")
                % {"number": appeal.number},
                code="not_a_dispute",
            )
        dispute = _new_dispute(actor, appeal)
    if expected_version is not None and dispute.version != expected_version:
        raise Conflict(
            _(
                "Someone else recorded something on this dispute while you were writing: it is "
                "now “%(state)s”. Reload the page to see what they did, then record again."
            )
            % {"state": dispute.get_state_display()},
            code="stale",
        )
    dispute.appeal = appeal
    return dispute


def _save(actor: Actor | None, dispute: Dispute, change: audit.AuditedChange) -> None:
    dispute.version += 1
    dispute.save()
    change.record()


# --- marking, parties, mediator ----------------------------------------------------------------


@transaction.atomic
def dispute_mark(*, actor: Actor | None, appeal: Appeal) -> Dispute:
    """标记为矛盾纠纷 — a handler marks an appeal of another category as a dispute to mediate
    (an appeal of a dispute category becomes one on its first step). Marked already: a
    `Conflict`."""
    appeal = _locked_appeal(actor, appeal)
    _require_open_appeal(appeal)
    if Dispute.objects.filter(appeal=appeal).exists():
        raise Conflict(
            _("Appeal %(number)s is a dispute already.") % {"number": appeal.number},
            code="marked",
        )
    dispute = _new_dispute(actor, appeal)
    events.DISPUTE_MARKED.add(subject=appeal, actor=actor)
    return dispute


def _check_side(side) -> str:
    if side not in DisputeSide.values:
        raise ValidationError({"side": _("Choose which side the party is on.")})
    return str(side)


def _registry_party(actor: Actor | None, dispute: Dispute, resident: Resident) -> Resident:
    found = Resident.objects.filter(pk=resident.pk).first()
    if found is None or (actor is not None and not can(actor, found, "view")):
        raise OutOfScope(Resident, resident.pk)
    if DisputeParty.objects.filter(dispute=dispute, resident=found).exists():
        raise ValidationError(
            {"resident": _("%(name)s is a party to this dispute already.") % {"name": found.name}}
        )
    return found


def _outsider(dispute: Dispute, name, mobile, id_number) -> tuple[str, str, str]:
    missing = _("Name the party: a person in the registry, or a name and a mobile number.")
    name = _name(name, "name", _("The party's name"), required=missing)
    mobile = str(mobile or "").strip()
    if not mobile:
        raise ValidationError({"mobile": missing})
    try:
        validate_mobile(mobile)
    except ValidationError as error:
        raise ValidationError({"mobile": error.messages}) from None
    mobile = normalise_mobile(mobile)
    id_number = str(id_number or "").strip()
    if id_number:
        try:
            id_number = parse_id_number(id_number).number
        except ValidationError as error:
            raise ValidationError({"id_number": error.messages}) from None
    twice = DisputeParty.objects.filter(dispute=dispute, resident__isnull=True, mobile=mobile)
    if twice.exists() or (
        id_number
        and DisputeParty.objects.filter(dispute=dispute, resident__id_number=id_number).exists()
    ):
        raise ValidationError(
            {"mobile": _("%(name)s is a party to this dispute already.") % {"name": name}}
        )
    return name, mobile, normalise_id_number(id_number)


@transaction.atomic
def dispute_add_party(
    *,
    actor: Actor | None,
    appeal: Appeal,
    side: str,
    resident: Resident | None = None,
    name: str = "",
    mobile: str = "",
    id_number: str = "",
    expected_version: int | None = None,
) -> DisputeParty:
    """当事人 — a party to the dispute: a person in the registry the actor may see, or a named
    outsider with a mobile number (and their ID number, if they give it). The same person is a
    party once."""
    appeal = _locked_appeal(actor, appeal)
    _require_open_appeal(appeal)
    dispute = _dispute(actor, appeal, expected_version)
    TABLE.next(dispute.state, Action.ADD_PARTY)
    side = _check_side(side)
    count = DisputeParty.objects.filter(dispute=dispute).count()
    if count >= PARTIES_MAX:
        raise ValidationError(
            _("A dispute has at most %(count)s parties.") % {"count": PARTIES_MAX}, code="parties"
        )
    party = DisputeParty(dispute=dispute, order=count + 1, side=side, added_by=_user(actor))
    if resident is not None:
        if (name or "").strip() or (mobile or "").strip() or (id_number or "").strip():
            raise ValidationError(
                {"resident": _("Choose a person in the registry, or name an outsider: not both.")}
            )
        party.resident = _registry_party(actor, dispute, resident)
    else:
        party.name, party.mobile, party.id_number = _outsider(dispute, name, mobile, id_number)
    party.save()
    audit.record_created(actor=actor, obj=party)
    change = audit.audited_change(actor=actor, obj=dispute)
    _save(actor, dispute, change)
    events.DISPUTE_PARTY_ADDED.add(
        subject=appeal,
        params={"side": str(party.get_side_display()), "name": party.display_name},
        actor=actor,
        data={"party": party.pk},
    )
    return party


def _staff_mediator(appeal: Appeal, mediator) -> User:
    """A staff member who handles appeals where this one waits."""
    if not isinstance(mediator, User) or not mediator.is_active or not mediator.is_staff_member:
        raise ValidationError({"mediator": _("Choose a staff member as the mediator.")})
    if not appeal_desk(mediator).covers(appeal):
        raise ValidationError(
            {
                "mediator": _("%(name)s does not handle appeals at %(place)s.")
                % {"name": mediator, "place": appeal.place_name}
            }
        )
    return mediator


@transaction.atomic
def dispute_set_mediator(
    *,
    actor: Actor | None,
    appeal: Appeal,
    mediator: User | None = None,
    mediator_name: str = "",
    committee: str = "",
    expected_version: int | None = None,
) -> Dispute:
    """调解员 — who mediates: a staff member of the tier handling the appeal, or a named
    people's mediator 人民调解员; and the mediation committee that signs (kept as it was when
    not given)."""
    appeal = _locked_appeal(actor, appeal)
    _require_open_appeal(appeal)
    dispute = _dispute(actor, appeal, expected_version)
    TABLE.next(dispute.state, Action.SET_MEDIATOR)
    mediator_name = str(mediator_name or "").strip()
    if mediator is not None and mediator_name:
        raise ValidationError(
            {"mediator": _("Choose a staff member or name a people's mediator: not both.")}
        )
    if mediator is not None:
        user: User | None = _staff_mediator(appeal, mediator)
    else:
        user = None
        mediator_name = _name(
            mediator_name,
            "mediator_name",
            _("The mediator's name"),
            required=_("Choose a staff member or name a people's mediator."),
        )
    committee = clean_text(committee, "committee", COMMITTEE_LENGTH) or dispute.committee
    change = audit.audited_change(actor=actor, obj=dispute)
    dispute.mediator, dispute.mediator_name, dispute.committee = user, mediator_name, committee
    _save(actor, dispute, change)
    events.DISPUTE_MEDIATOR_SET.add(
        subject=appeal, params={"mediator": dispute.mediator_display}, actor=actor
    )
    return dispute


# --- sessions ----------------------------------------------------------------------------------


def _check_held_at(appeal: Appeal, held_at) -> dt.datetime:
    if not isinstance(held_at, dt.datetime):
        raise ValidationError({"held_at": _("Give the day and time of the session.")})
    if timezone.is_naive(held_at):
        held_at = timezone.make_aware(held_at)
    if held_at > timezone.now():
        raise ValidationError({"held_at": _("A session is recorded once it is held: not ahead.")})
    if timezone.localdate(held_at) < timezone.localdate(appeal.created_at):
        raise ValidationError({"held_at": _("The session cannot be before the appeal was raised.")})
    return held_at


def _attendees(dispute: Dispute, attended) -> list[DisputeParty]:
    ids = {getattr(p, "pk", p) for p in attended or ()}
    if not ids:
        raise ValidationError({"attended": _("Say which parties came.")})
    parties = list(DisputeParty.objects.filter(dispute=dispute, pk__in=ids).order_by("order"))
    if len(parties) != len(ids):
        raise ValidationError({"attended": _("Only the dispute's parties can attend.")})
    return parties


@transaction.atomic
def session_record(
    *,
    actor: Actor | None,
    appeal: Appeal,
    held_at: dt.datetime,
    place: str,
    attended,
    notes: str,
    expected_version: int | None = None,
) -> MediationSession:
    """调解会 — a mediation session held: when (not ahead of now), where, which parties came
    (the dispute's own), and what was said. Needs the mediator named."""
    appeal = _locked_appeal(actor, appeal)
    _require_open_appeal(appeal)
    dispute = _dispute(actor, appeal, expected_version)
    new_state = TABLE.next(dispute.state, Action.RECORD_SESSION)
    if not dispute.mediator_display:
        raise ValidationError(_("Name the mediator first."), code="no_mediator")
    held_at = _check_held_at(appeal, held_at)
    place = clean_text(place, "place", PLACE_LENGTH, required=_("Say where the session was held."))
    notes = clean_text(notes, "notes", NOTES_LENGTH, required=_("Say what was said and done."))
    parties = _attendees(dispute, attended)
    last = MediationSession.objects.filter(dispute=dispute).aggregate(last=Max("order"))["last"]
    session = MediationSession.objects.create(
        dispute=dispute,
        order=(last or 0) + 1,
        held_at=held_at,
        place=place,
        notes=notes,
        recorded_by=_user(actor),
    )
    session.attended.set(parties)
    audit.record_created(actor=actor, obj=session)
    change = audit.audited_change(actor=actor, obj=dispute)
    dispute.state = new_state
    _save(actor, dispute, change)
    events.DISPUTE_SESSION.add(
        subject=appeal,
        params={
            "order": session.order,
            "when": timezone.localtime(held_at).strftime("%Y-%m-%d %H:%M"),
            "place": place,
            "who": "、".join(p.display_name for p in parties),
        },
        actor=actor,
        data={"session": session.pk},
    )
    return session


# --- the outcome: an agreement, or a referral ----------------------------------------------


def _agreement_number() -> str:
    year = f"{_today():%Y}"
    prefix = f"{AGREEMENT_PREFIX}{year}"

    def last() -> int:
        found = (
            Agreement.objects.filter(number__startswith=prefix)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        return int(found[len(prefix) :]) if found else 0

    return f"{prefix}{counters.draw(AGREEMENT_COUNTER, year, start=last, keep=2):05d}"


def _check_dates(dispute: Dispute, signed_on, follow_up_on) -> tuple[dt.date, dt.date]:
    if not isinstance(signed_on, dt.date) or isinstance(signed_on, dt.datetime):
        raise ValidationError({"signed_on": _("Give the day the agreement was signed.")})
    if signed_on > _today():
        raise ValidationError({"signed_on": _("The agreement cannot be signed ahead of today.")})
    first = MediationSession.objects.filter(dispute=dispute).order_by("held_at").first()
    if first is not None and signed_on < timezone.localdate(first.held_at):
        raise ValidationError(
            {"signed_on": _("The agreement cannot be signed before the first session.")}
        )
    if follow_up_on is None:
        follow_up_on = signed_on + dt.timedelta(days=FOLLOW_UP_DAYS)
    if not isinstance(follow_up_on, dt.date) or not (
        signed_on < follow_up_on <= signed_on + dt.timedelta(days=FOLLOW_UP_MAX_DAYS)
    ):
        raise ValidationError(
            {
                "follow_up_on": _(
                    "Check the keeping of the agreement after it is signed, within a year."
                )
            }
        )
    return signed_on, follow_up_on


@transaction.atomic
def agreement_record(
    *,
    actor: Actor | None,
    appeal: Appeal,
    facts: str,
    terms: str,
    signed_on: dt.date,
    follow_up_on: dt.date | None = None,
    committee: str = "",
    expected_version: int | None = None,
) -> Agreement:
    """调解协议书 — the parties agreed: the facts, the agreed terms, the day it was signed and
    the day its keeping is checked (30 days on unless given). Needs two parties and a session
    held. The appeal is settled by it (`appeal_settle`), so the return visit follows."""
    appeal = _locked_appeal(actor, appeal)
    _require_open_appeal(appeal)
    dispute = _dispute(actor, appeal, expected_version, create=False)
    new_state = TABLE.next(dispute.state, Action.AGREE)
    if DisputeParty.objects.filter(dispute=dispute).count() < 2:
        raise ValidationError(_("An agreement is between two parties at least."), code="parties")
    facts = clean_text(facts, "facts", NOTES_LENGTH, required=_("State the facts of the dispute."))
    terms = clean_text(terms, "terms", NOTES_LENGTH, required=_("State what the parties agreed."))
    signed_on, follow_up_on = _check_dates(dispute, signed_on, follow_up_on)
    committee = clean_text(committee, "committee", COMMITTEE_LENGTH) or dispute.committee
    if not committee:
        raise ValidationError({"committee": _("Name the mediation committee.")})
    agreement = Agreement.objects.create(
        dispute=dispute,
        number=_agreement_number(),
        facts=facts,
        terms=terms,
        signed_on=signed_on,
        follow_up_on=follow_up_on,
        committee=committee,
        recorded_by=_user(actor),
    )
    audit.record_created(actor=actor, obj=agreement)
    change = audit.audited_change(actor=actor, obj=dispute)
    dispute.state = new_state
    _save(actor, dispute, change)
    events.DISPUTE_AGREED.add(
        subject=appeal,
        params={
            "number": agreement.number,
            "signed": signed_on.isoformat(),
            "follow_up": follow_up_on.isoformat(),
        },
        actor=actor,
    )
    appeal_services.appeal_settle(
        actor=actor,
        appeal=appeal,
        what_was_done=_("Mediated: agreement %(number)s. %(terms)s")
        % {"number": agreement.number, "terms": terms},
    )
    return agreement


@transaction.atomic
def dispute_refer(
    *,
    actor: Actor | None,
    appeal: Appeal,
    referred_to: str,
    reason: str,
    expected_version: int | None = None,
) -> Dispute:
    """调解不成 — the mediation failed: the parties are sent on (诉讼、仲裁、信访), with the
    reason. The appeal is settled as referred (`appeal_settle`); the return visit still
    follows."""
    appeal = _locked_appeal(actor, appeal)
    _require_open_appeal(appeal)
    dispute = _dispute(actor, appeal, expected_version)
    new_state = TABLE.next(dispute.state, Action.REFER)
    if referred_to not in Referral.values:
        raise ValidationError({"referred_to": _("Choose where the parties are sent on.")})
    reason = clean_text(reason, "reason", REASON_LENGTH, required=_("Say why mediation failed."))
    change = audit.audited_change(actor=actor, obj=dispute)
    dispute.state = new_state
    dispute.referred_to, dispute.referral_reason = referred_to, reason
    dispute.referred_at = timezone.now()
    _save(actor, dispute, change)
    label = str(Referral(referred_to).label)
    events.DISPUTE_REFERRED.add(
        subject=appeal, params={"referral": label, "reason": reason}, actor=actor
    )
    appeal_services.appeal_settle(
        actor=actor,
        appeal=appeal,
        what_was_done=_("Mediation failed; referred to %(referral)s: %(reason)s")
        % {"referral": label, "reason": reason},
    )
    return dispute


# --- the signed scan -------------------------------------------------------------------------


def _scan_kind(upload) -> tuple[str, str]:
    """(extension, content type) of a signed scan: a photo (by `core.photos`) or a PDF, told
    by its first bytes; anything else is refused."""
    name = (getattr(upload, "name", "") or "—")[:60]
    try:
        kind = photos.photo_kind(upload, max_bytes=SCAN_MAX_BYTES)
        return kind.extension, kind.content_type
    except photos.PhotoRefused as refused:
        if refused.reason == "too_large":
            message = _("“%(file)s” is larger than %(mb)s MB: scan it smaller.")
        elif refused.reason == "empty":
            message = _("“%(file)s” is empty: scan it again.")
        else:
            upload.seek(0)
            head = upload.read(len(PDF_MAGIC))
            upload.seek(0)
            if head == PDF_MAGIC:
                return "pdf", PDF_CONTENT_TYPE
            message = _("“%(file)s” is not a scan: send a JPEG, PNG or WebP picture or a PDF.")
    raise ValidationError(
        {"scan": [ValidationError(message % {"file": name, "mb": SCAN_MAX_MB}, code="not_a_scan")]}
    )


def _digest(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@transaction.atomic
def agreement_upload_scan(
    *, actor: Actor | None, appeal: Appeal, scan: UploadedFile | None
) -> Agreement:
    """签字扫描件 — the signed agreement, scanned or photographed: a picture or a PDF, checked
    by its bytes and size, kept under DATA_DIR/agreements. A new scan replaces the one before
    (whose file is removed once the change is committed)."""
    appeal = _locked_appeal(actor, appeal)
    dispute = _dispute(actor, appeal, None, create=False)
    TABLE.next(dispute.state, Action.UPLOAD_SCAN)
    agreement = Agreement.objects.select_for_update().get(dispute=dispute)
    if scan is None:
        raise ValidationError({"scan": _("Choose the scan of the signed agreement.")})
    extension, content_type = _scan_kind(scan)
    digest = _digest(scan)
    if digest == agreement.scan_digest:
        raise Conflict(_("This scan was uploaded already."), code="already_sent")
    old = agreement.scan_name
    name = photos.store_photo(scan, folder=SCAN_DIR, extension=extension)
    try:
        change = audit.audited_change(actor=actor, obj=agreement)
        agreement.scan_name, agreement.scan_content_type = name, content_type
        agreement.scan_size, agreement.scan_digest = scan.size or 0, digest
        agreement.scan_uploaded_at, agreement.scan_uploaded_by = timezone.now(), _user(actor)
        agreement.save()
        change.record()
        events.DISPUTE_SCAN.add(subject=appeal, params={"number": agreement.number}, actor=actor)
    except Exception:
        photos.remove_photo(folder=SCAN_DIR, name=name)
        raise
    if old:
        transaction.on_commit(lambda: photos.remove_photo(folder=SCAN_DIR, name=old))
    return agreement


def agreement_scan_shown(*, actor: Actor | None, agreement: Agreement) -> None:
    """Each look at a signed scan is recorded (it carries the parties' signatures and ID
    numbers). The caller found it through `selectors.agreement_get`."""
    audit.record(
        action=AuditAction.REVEAL,
        actor=actor,
        obj=agreement,
        changes={"scan": agreement.number},
    )


# --- keeping the agreement ------------------------------------------------------------------


def _ahead_within_a_year(day) -> bool:
    today = _today()
    return isinstance(day, dt.date) and today < day <= today + dt.timedelta(days=FOLLOW_UP_MAX_DAYS)


@transaction.atomic
def fulfilment_check_record(
    *,
    actor: Actor | None,
    appeal: Appeal,
    result: str,
    note: str = "",
    checked_on: dt.date | None = None,
    next_check_on: dt.date | None = None,
    expected_version: int | None = None,
) -> FulfilmentCheck:
    """履行回访 — whether the agreement is kept: kept, not kept (with a note saying what), or
    partly kept (with a note and the day to check again)."""
    appeal = _locked_appeal(actor, appeal)
    dispute = _dispute(actor, appeal, expected_version, create=False)
    if result not in Fulfilment.values:
        raise ValidationError({"result": _("Choose what the check found.")})
    new_state = TABLE.next(dispute.state, CHECK_ACTIONS[result])
    agreement = Agreement.objects.select_for_update().get(dispute=dispute)
    checked_on = checked_on or _today()
    if not isinstance(checked_on, dt.date) or not agreement.signed_on <= checked_on <= _today():
        raise ValidationError(
            {"checked_on": _("The check is made after the agreement was signed, and not ahead.")}
        )
    note = clean_text(
        note,
        "note",
        NOTE_LENGTH,
        required="" if result == Fulfilment.KEPT else _("Say what is not kept."),
    )
    if result == Fulfilment.PARTLY and not _ahead_within_a_year(next_check_on):
        raise ValidationError(
            {"next_check_on": _("Give the day to check again, after today and within a year.")}
        )
    check = FulfilmentCheck.objects.create(
        agreement=agreement,
        checked_on=checked_on,
        result=result,
        note=note,
        checked_by=_user(actor),
    )
    audit.record_created(actor=actor, obj=check)
    if result == Fulfilment.PARTLY:
        assert next_check_on is not None
        agreement_change = audit.audited_change(actor=actor, obj=agreement)
        agreement.follow_up_on = next_check_on
        agreement.save(update_fields=["follow_up_on"])
        agreement_change.record()
    change = audit.audited_change(actor=actor, obj=dispute)
    dispute.state = new_state
    _save(actor, dispute, change)
    events.DISPUTE_CHECKED[result].add(
        subject=appeal,
        params={
            "number": agreement.number,
            "note": note,
            "follow_up": agreement.follow_up_on.isoformat(),
        },
        actor=actor,
    )
    return check


# --- the printed agreement: revealing the parties' numbers --------------------------------


def may_reveal_party(user: Actor, party: DisputeParty, appeal: Appeal) -> bool:
    """A registry person's numbers by `registry.reveal` over that person; an outsider's by
    `registry.reveal` over the appeal's place."""
    if party.resident_id is not None:
        return can(user, party.resident, "reveal")
    return covers(user, appeal.area, REVEAL)


@transaction.atomic
def agreement_reveal(
    *, actor: Actor, agreement: Agreement, parties: list[DisputeParty], reason: str
) -> set[int]:
    """查看明文 — the parties' full ID and mobile numbers on the printed agreement, for whoever
    may reveal them, with a stated reason; each party revealed is a reveal in the audit trail.
    Returns the ids of the parties shown in full (none: PermissionDenied)."""
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ValidationError({"reason": _("Please state why you need to see the full value.")})
    if len(reason) > 200:
        raise ValidationError(
            {"reason": _("At most %(limit)s characters, please.") % {"limit": 200}}
        )
    appeal = agreement.dispute.appeal
    shown = {p.pk for p in parties if may_reveal_party(actor, p, appeal)}
    if not shown:
        raise PermissionDenied
    for party in parties:
        if party.pk in shown:
            audit.record(
                action=AuditAction.REVEAL,
                actor=actor,
                obj=party.resident if party.resident_id is not None else party,
                object_repr=party.display_name,
                changes={"field": ["id_number", "mobile"], "agreement": agreement.number},
                reason=reason,
            )
    return shown
