"""Disputes 矛盾纠纷, through their services: marking an appeal as a dispute, its parties, its
mediator, its sessions, the agreement that settles the appeal (and the return visit after it),
the failed mediation referred on, the signed scan checked by its bytes, the checks of the
agreement's keeping and the list of those due; every bad input refused with nothing stored, and
a handler from another area given 404."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from linli.appeals import services
from linli.appeals.disputes import selectors as dispute_selectors
from linli.appeals.disputes import services as disputes
from linli.appeals.models import Agreement, Dispute, DisputeParty, FulfilmentCheck, MediationSession
from linli.core.errors import Conflict
from linli.core.models import AuditRecord, TimelineEvent
from linli.core.scoping import OutOfScope

from . import dispute_helpers as d
from . import helpers as h

WORLD_CLOCK = h.WORLD_CLOCK
SHARED = {"appeals": h.build_appeals, "disputes": d.build_disputes}


@pytest.fixture
def clock():
    with time_machine.travel(WORLD_CLOCK, tick=False) as traveller:
        yield traveller


@pytest.fixture
def a(clock, shared):
    return shared("disputes")


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def _verbs(appeal) -> list[str]:
    return list(
        TimelineEvent.objects.filter(object_id=appeal.pk, verb__startswith="dispute_")
        .order_by("id")
        .values_list("verb", flat=True)
    )


def _cadre(a):
    return a.users["village_cadre"]


# --- which appeals are disputes --------------------------------------------------------------


def test_a_dispute_category_makes_the_dispute_on_its_first_step(a):
    appeal = d.raise_dispute(a)
    assert not Dispute.objects.filter(appeal=appeal).exists()
    view = dispute_selectors.dispute_view(user=_cadre(a), appeal_pk=appeal.pk)
    assert view.is_dispute and "add_party" in view.actions and not view.may_mark
    disputes.dispute_add_party(
        actor=_cadre(a), appeal=appeal, side="applicant", resident=a.household.head
    )
    dispute = Dispute.objects.get(appeal=appeal)
    assert (dispute.state, dispute.committee) == ("preparing", "文岭一村人民调解委员会")


def test_a_handler_marks_an_appeal_of_another_category_as_a_dispute(a):
    appeal = h.raise_appeal(a)  # 环境卫生: not a dispute category
    view = dispute_selectors.dispute_view(user=_cadre(a), appeal_pk=appeal.pk)
    assert not view.is_dispute and view.may_mark and view.actions == []
    with pytest.raises(ValidationError) as refused:
        disputes.dispute_add_party(
            actor=_cadre(a), appeal=appeal, side="applicant", resident=a.household.head
        )
    assert refused.value.code == "not_a_dispute"
    dispute = disputes.dispute_mark(actor=_cadre(a), appeal=appeal)
    assert dispute.state == "preparing"
    assert _verbs(appeal) == ["dispute_marked"]
    assert AuditRecord.objects.filter(object_type="appeals.dispute", action="create").exists()
    with pytest.raises(Conflict):
        disputes.dispute_mark(actor=_cadre(a), appeal=appeal)


def test_the_category_flag_is_versioned(a):
    category = a.categories.sanitation
    version = services.category_revise(
        actor=a.users["administrator"], category=category, dispute=True, note="按纠纷调解"
    )
    assert version.dispute and version.number == 2
    earlier = h.fresh(h.raise_appeal(a))
    assert earlier.category_version.dispute


# --- parties -----------------------------------------------------------------------------------


def test_parties_from_the_registry_and_outsiders(a):
    appeal = d.raise_dispute(a)
    cadre = _cadre(a)
    first = disputes.dispute_add_party(
        actor=cadre, appeal=appeal, side="applicant", resident=a.household.head
    )
    outsider = disputes.dispute_add_party(
        actor=cadre,
        appeal=appeal,
        side="respondent",
        name="王外来",
        mobile="139 1234 5678",
        id_number=d.OUTSIDER_ID,
    )
    assert (first.order, outsider.order) == (1, 2)
    assert (outsider.mobile, outsider.id_number) == (d.OUTSIDER_MOBILE, d.OUTSIDER_ID)
    assert first.display_name == a.household.head.name
    assert Dispute.objects.get(appeal=appeal).version == 3  # made, then two parties
    assert _verbs(appeal) == ["dispute_party_added", "dispute_party_added"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"side": "judge", "name": "王五", "mobile": "13912345678"}, "side"),
        ({"side": "applicant", "name": "", "mobile": "13912345678"}, "name"),
        ({"side": "applicant", "name": "王五", "mobile": ""}, "mobile"),
        ({"side": "applicant", "name": "王五", "mobile": "12345"}, "mobile"),
        (
            {"side": "applicant", "name": "王五", "mobile": "13912345678", "id_number": "1234"},
            "id_number",
        ),
    ],
)
def test_a_bad_party_is_refused_and_nothing_stored(a, fields, field):
    appeal = d.raise_dispute(a)
    with pytest.raises(ValidationError) as refused:
        disputes.dispute_add_party(actor=_cadre(a), appeal=appeal, **fields)
    assert field in refused.value.message_dict
    assert not DisputeParty.objects.exists() and not Dispute.objects.exists()


def test_a_party_twice_is_refused(a):
    appeal = d.raise_dispute(a)
    cadre = _cadre(a)
    disputes.dispute_add_party(
        actor=cadre, appeal=appeal, side="applicant", resident=a.household.head
    )
    with pytest.raises(ValidationError) as refused:
        disputes.dispute_add_party(
            actor=cadre, appeal=appeal, side="respondent", resident=a.household.head
        )
    assert "party to this dispute already" in refused.value.message_dict["resident"][0]
    disputes.dispute_add_party(
        actor=cadre, appeal=appeal, side="respondent", name="王外来", mobile=d.OUTSIDER_MOBILE
    )
    with pytest.raises(ValidationError) as refused:
        disputes.dispute_add_party(
            actor=cadre, appeal=appeal, side="respondent", name="王另一", mobile=d.OUTSIDER_MOBILE
        )
    assert "mobile" in refused.value.message_dict
    assert DisputeParty.objects.count() == 2


def test_a_person_the_handler_may_not_see_is_out_of_scope(a):
    appeal = d.raise_dispute(a)
    far_person = a.world.households[4].head  # 东朱一村
    with pytest.raises(OutOfScope):
        disputes.dispute_add_party(
            actor=_cadre(a), appeal=appeal, side="respondent", resident=far_person
        )
    assert not DisputeParty.objects.exists()


def test_another_areas_handler_gets_404_and_a_reader_403(a):
    appeal = d.raise_dispute(a)
    for user in (a.users["far_cadre"], a.users["sibling_cadre"], a.users["far_street_cadre"]):
        with pytest.raises(OutOfScope):
            disputes.dispute_add_party(
                actor=user, appeal=appeal, side="applicant", resident=a.household.head
            )
        with pytest.raises(OutOfScope):
            dispute_selectors.dispute_view(user=user, appeal_pk=appeal.pk)
    # The community worker sees the appeal but does not handle it at the village tier.
    with pytest.raises(PermissionDenied):
        disputes.dispute_add_party(
            actor=a.users["community_worker"],
            appeal=appeal,
            side="applicant",
            resident=a.household.head,
        )
    assert not Dispute.objects.exists()


# --- mediator and sessions ------------------------------------------------------------------


def test_the_mediator_is_a_handler_there_or_a_named_peoples_mediator(a):
    appeal = d.raise_dispute(a)
    cadre = _cadre(a)
    dispute = disputes.dispute_set_mediator(
        actor=cadre, appeal=appeal, mediator=a.users["grid_worker"]
    )
    assert dispute.mediator == a.users["grid_worker"]
    dispute = disputes.dispute_set_mediator(
        actor=cadre, appeal=appeal, mediator_name="赵调解", committee="文岭一村调委会"
    )
    assert (dispute.mediator, dispute.mediator_name, dispute.committee) == (
        None,
        "赵调解",
        "文岭一村调委会",
    )
    for bad in (
        {"mediator": a.users["community_worker"]},  # does not handle at the village
        {"mediator": a.users["far_cadre"]},
        {"mediator": cadre, "mediator_name": "赵调解"},
        {},
    ):
        with pytest.raises(ValidationError):
            disputes.dispute_set_mediator(actor=cadre, appeal=appeal, **bad)
    assert Dispute.objects.get(appeal=appeal).mediator_name == "赵调解"
    choices = dispute_selectors.mediator_choices(appeal)
    assert cadre in choices and a.users["community_worker"] not in choices


def test_a_session_moves_the_dispute_to_mediating(a):
    appeal = d.raise_dispute(a)
    first, second = d.ready_to_agree(a, appeal)
    dispute = Dispute.objects.get(appeal=appeal)
    session = MediationSession.objects.get(dispute=dispute)
    assert dispute.state == "mediating"
    assert set(session.attended.all()) == {first, second}
    assert _verbs(appeal)[-1] == "dispute_session"


def test_bad_sessions_are_refused(a):
    appeal = d.raise_dispute(a)
    cadre = _cadre(a)
    party = disputes.dispute_add_party(
        actor=cadre, appeal=appeal, side="applicant", resident=a.household.head
    )
    good = {
        "held_at": timezone.now() - dt.timedelta(hours=1),
        "place": "村委会",
        "attended": [party],
        "notes": "调解",
    }
    with pytest.raises(ValidationError) as refused:
        disputes.session_record(actor=cadre, appeal=appeal, **good)
    assert refused.value.code == "no_mediator"
    disputes.dispute_set_mediator(actor=cadre, appeal=appeal, mediator=cadre)
    other = d.raise_dispute(a, description="另一起纠纷")
    stranger = disputes.dispute_add_party(
        actor=cadre, appeal=other, side="applicant", name="王外来", mobile=d.OUTSIDER_MOBILE
    )
    for change, field in (
        ({"held_at": timezone.now() + dt.timedelta(hours=2)}, "held_at"),  # in the future
        ({"held_at": timezone.now() - dt.timedelta(days=30)}, "held_at"),  # before the appeal
        ({"held_at": "2026-11-25"}, "held_at"),
        ({"place": ""}, "place"),
        ({"notes": " "}, "notes"),
        ({"attended": []}, "attended"),
        ({"attended": [stranger]}, "attended"),  # another dispute's party
    ):
        with pytest.raises(ValidationError) as refused:
            disputes.session_record(actor=cadre, appeal=appeal, **{**good, **change})
        assert field in refused.value.message_dict, change
    assert not MediationSession.objects.exists()
    assert Dispute.objects.get(appeal=appeal).state == "preparing"


# --- the agreement --------------------------------------------------------------------------


def test_an_agreement_settles_the_appeal_and_the_return_visit_follows(a):
    appeal = d.raise_dispute(a)
    d.ready_to_agree(a, appeal)
    agreement = d.agree(a, appeal)
    assert agreement.number == "TJ202600001"
    assert agreement.follow_up_on == dt.date(2026, 12, 25)  # 30 days on
    assert agreement.committee == "文岭一村人民调解委员会"
    appeal = h.fresh(appeal)
    assert appeal.state == "settled" and agreement.number in appeal.settlement
    assert Dispute.objects.get(appeal=appeal).state == "agreed"
    assert "dispute_agreed" in _verbs(appeal)
    assert TimelineEvent.objects.filter(object_id=appeal.pk, verb="settled").count() == 1
    visit = services.return_visit_record(
        actor=a.users["village_cadre"], appeal=appeal, satisfaction="satisfied", method="phone"
    )
    assert visit.result == "closed"
    # Nothing more is mediated on a settled appeal.
    with pytest.raises(Conflict):
        disputes.dispute_add_party(
            actor=_cadre(a), appeal=appeal, side="applicant", name="王五", mobile="13900000000"
        )


def test_an_agreement_needs_a_session_and_two_parties(a):
    appeal = d.raise_dispute(a)
    cadre = _cadre(a)
    disputes.dispute_add_party(
        actor=cadre, appeal=appeal, side="applicant", resident=a.household.head
    )
    with pytest.raises(ValidationError) as refused:
        d.agree(a, appeal)
    assert refused.value.code == "illegal_transition"  # preparing: no session held
    other = d.raise_dispute(a, description="另一起")
    with pytest.raises(ValidationError) as refused:
        d.agree(a, other)
    assert refused.value.code == "not_a_dispute"
    assert not Agreement.objects.exists()
    assert h.fresh(appeal).state == "waiting"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"facts": ""}, "facts"),
        ({"terms": "  "}, "terms"),
        ({"signed_on": dt.date(2026, 11, 26)}, "signed_on"),  # tomorrow
        ({"signed_on": dt.date(2026, 11, 24)}, "signed_on"),  # before the session
        ({"signed_on": "2026-11-25"}, "signed_on"),
        ({"follow_up_on": dt.date(2026, 11, 25)}, "follow_up_on"),  # not after signing
        ({"follow_up_on": dt.date(2028, 1, 1)}, "follow_up_on"),
    ],
)
def test_a_bad_agreement_is_refused_and_the_appeal_stays(a, change, field):
    appeal = d.raise_dispute(a)
    d.ready_to_agree(a, appeal)
    with pytest.raises(ValidationError) as refused:
        d.agree(a, appeal, **change)
    assert field in refused.value.message_dict
    assert not Agreement.objects.exists()
    assert h.fresh(appeal).state == "waiting"
    assert Dispute.objects.get(appeal=appeal).state == "mediating"


def test_a_stale_page_is_a_conflict(a):
    appeal = d.raise_dispute(a)
    d.ready_to_agree(a, appeal)
    version = Dispute.objects.get(appeal=appeal).version
    disputes.dispute_set_mediator(actor=_cadre(a), appeal=appeal, mediator_name="赵调解")
    with pytest.raises(Conflict):
        d.agree(a, appeal, expected_version=version)
    assert not Agreement.objects.exists()


# --- a failed mediation -----------------------------------------------------------------------


def test_a_failed_mediation_is_referred_and_settles_the_appeal(a):
    appeal = d.raise_dispute(a)
    d.ready_to_agree(a, appeal)
    for bad, field in (({"referred_to": "court"}, "referred_to"), ({"reason": ""}, "reason")):
        with pytest.raises(ValidationError) as refused:
            disputes.dispute_refer(
                actor=_cadre(a),
                appeal=appeal,
                **{"referred_to": "litigation", "reason": "双方分歧过大", **bad},
            )
        assert field in refused.value.message_dict
    assert h.fresh(appeal).state == "waiting"
    dispute = disputes.dispute_refer(
        actor=_cadre(a), appeal=appeal, referred_to="litigation", reason="双方分歧过大"
    )
    assert (dispute.state, dispute.referred_to) == ("referred", "litigation")
    appeal = h.fresh(appeal)
    assert appeal.state == "settled" and "双方分歧过大" in appeal.settlement
    assert "dispute_referred" in _verbs(appeal)
    with pytest.raises(ValidationError):  # no agreement after a referral
        disputes.fulfilment_check_record(actor=_cadre(a), appeal=appeal, result="kept")


# --- the signed scan ---------------------------------------------------------------------------


def test_the_signed_scan_is_a_picture_or_a_pdf(a, data_dir):
    appeal = d.raise_dispute(a)
    d.ready_to_agree(a, appeal)
    d.agree(a, appeal)
    cadre = _cadre(a)
    for bad in (
        d.scan(b"<html>not a scan</html>", "协议书.pdf"),
        d.scan(b"", "空.pdf"),
        d.scan(b"GIF89a" + b"\x00" * 20, "协议书.gif", "image/gif"),
    ):
        with pytest.raises(ValidationError) as refused:
            disputes.agreement_upload_scan(actor=cadre, appeal=appeal, scan=bad)
        assert "scan" in refused.value.message_dict
    assert h.file_count(data_dir) == 0
    agreement = disputes.agreement_upload_scan(actor=cadre, appeal=appeal, scan=d.scan())
    assert agreement.scan_content_type == "application/pdf" and agreement.scan_size == len(d.PDF)
    assert (data_dir / "agreements" / agreement.scan_name).read_bytes() == d.PDF
    with pytest.raises(Conflict):
        disputes.agreement_upload_scan(actor=cadre, appeal=appeal, scan=d.scan())
    photo = disputes.agreement_upload_scan(actor=cadre, appeal=appeal, scan=h.photo())
    assert photo.scan_content_type == "image/jpeg"
    assert h.file_count(data_dir) == 2  # the PDF goes once the change is committed
    assert "dispute_scan" in _verbs(appeal)


def test_a_scan_before_an_agreement_is_refused(a, data_dir):
    appeal = d.raise_dispute(a)
    d.ready_to_agree(a, appeal)
    with pytest.raises(ValidationError):
        disputes.agreement_upload_scan(actor=_cadre(a), appeal=appeal, scan=d.scan())
    assert h.file_count(data_dir) == 0


def test_a_scan_too_large_is_refused(a, data_dir, monkeypatch):
    monkeypatch.setattr(disputes, "SCAN_MAX_BYTES", len(d.PDF) - 1)
    appeal = d.raise_dispute(a)
    d.ready_to_agree(a, appeal)
    d.agree(a, appeal)
    with pytest.raises(ValidationError) as refused:
        disputes.agreement_upload_scan(actor=_cadre(a), appeal=appeal, scan=d.scan())
    assert "MB" in refused.value.message_dict["scan"][0]


# --- keeping the agreement ---------------------------------------------------------------------


def test_fulfilment_checks_and_the_list_of_those_due(a, clock):
    appeal = d.raise_dispute(a)
    d.ready_to_agree(a, appeal)
    agreement = d.agree(a, appeal)
    cadre = _cadre(a)
    today = timezone.localdate()
    assert not dispute_selectors.fulfilment_checks_due(user=cadre, today=today).exists()
    due_day = agreement.follow_up_on + dt.timedelta(days=1)
    assert list(dispute_selectors.fulfilment_checks_due(user=cadre, today=due_day)) == [agreement]
    assert not dispute_selectors.fulfilment_checks_due(
        user=a.users["far_cadre"], today=due_day
    ).exists()
    clock.move_to(dt.datetime(2026, 12, 28, 10, 0, tzinfo=h.SHANGHAI))
    with pytest.raises(ValidationError) as refused:
        disputes.fulfilment_check_record(
            actor=cadre, appeal=appeal, result="partly", note="仅改一半"
        )
    assert "next_check_on" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        disputes.fulfilment_check_record(actor=cadre, appeal=appeal, result="not_kept")
    assert "note" in refused.value.message_dict
    disputes.fulfilment_check_record(
        actor=cadre,
        appeal=appeal,
        result="partly",
        note="仅改一半",
        next_check_on=dt.date(2027, 1, 15),
    )
    agreement.refresh_from_db()
    assert agreement.follow_up_on == dt.date(2027, 1, 15)
    assert Dispute.objects.get(appeal=appeal).state == "agreed"
    assert not dispute_selectors.fulfilment_checks_due(
        user=cadre, today=timezone.localdate()
    ).exists()
    check = disputes.fulfilment_check_record(actor=cadre, appeal=appeal, result="kept")
    assert check.result == "kept" and FulfilmentCheck.objects.count() == 2
    assert Dispute.objects.get(appeal=appeal).state == "fulfilled"
    with pytest.raises(ValidationError):
        disputes.fulfilment_check_record(actor=cadre, appeal=appeal, result="kept")
    assert _verbs(appeal).count("dispute_checked") == 2


def test_a_check_dated_ahead_or_by_an_outsider_is_refused(a):
    appeal = d.raise_dispute(a)
    d.ready_to_agree(a, appeal)
    d.agree(a, appeal)
    with pytest.raises(ValidationError) as refused:
        disputes.fulfilment_check_record(
            actor=_cadre(a), appeal=appeal, result="kept", checked_on=dt.date(2026, 12, 1)
        )
    assert "checked_on" in refused.value.message_dict
    with pytest.raises(OutOfScope):
        disputes.fulfilment_check_record(actor=a.users["far_cadre"], appeal=appeal, result="kept")
    assert not FulfilmentCheck.objects.exists()
