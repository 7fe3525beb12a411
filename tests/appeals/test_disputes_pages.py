"""The dispute pages: the dispute section (the appeal page's include hook and the dispute's own
page), the forms of a mediation's work with their bad input (a party twice, a session in the
future, a scan that is not a picture or a PDF: 400 and nothing stored), 404 for another area's
appeal and 403 for one who only reads, the A4 agreement page with the parties' numbers masked
and revealed only with a reason (each reveal audited), the signed scan, and the list of
agreement checks due."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from linli.appeals.disputes import services as disputes
from linli.appeals.models import Agreement, Dispute, DisputeParty, MediationSession
from linli.core.masking import mask_id_number, mask_mobile
from linli.core.models import AuditRecord

from . import dispute_helpers as d
from . import helpers as h

BACKEND = "django.contrib.auth.backends.ModelBackend"
WORLD_CLOCK = h.WORLD_CLOCK
SHARED = {"appeals": h.build_appeals, "disputes": d.build_disputes}


@pytest.fixture
def clock():
    with time_machine.travel(h.WORLD_CLOCK, tick=False) as traveller:
        yield traveller


@pytest.fixture
def a(clock, shared):
    return shared("disputes")


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user, backend=BACKEND)
    return client


def html(response) -> str:
    return response.content.decode()


def _url(name: str, appeal) -> str:
    return reverse(f"disputes:{name}", args=[appeal.pk])


def _cadre(a) -> Client:
    return client_for(a.users["village_cadre"])


# --- the section and the page ----------------------------------------------------------------


def test_the_include_hook_renders_the_dispute_section_for_the_appeal_page(a):
    appeal = d.raise_dispute(a)
    d.ready_to_agree(a, appeal)
    request = RequestFactory().get("/")
    request.user, request.session = a.users["village_cadre"], {}
    page = render_to_string(
        "appeals/_dispute_section.html", {"appeal": h.fresh(appeal)}, request=request
    )
    assert 'id="dispute"' in page and "Being mediated" in page
    assert a.neighbour.head.name in page
    assert mask_id_number(a.neighbour.head.id_number) in page
    assert a.neighbour.head.id_number not in page
    assert _url("agreement_add", appeal) in page
    # Another category's appeal: only the handler's button to mark it.
    other = h.raise_appeal(a)
    page = render_to_string("appeals/_dispute_section.html", {"appeal": other}, request=request)
    assert _url("mark", other) in page and 'id="dispute"' not in page


def test_the_dispute_page_for_handlers_readers_and_other_areas(a):
    appeal = d.raise_dispute(a)
    page = html(_cadre(a).get(_url("dispute", appeal)))
    assert appeal.number in page and _url("party_add", appeal) in page
    reader = client_for(a.users["community_worker"]).get(_url("dispute", appeal))
    assert reader.status_code == 200 and _url("party_add", appeal) not in html(reader)
    assert client_for(a.users["community_worker"]).get(_url("party_add", appeal)).status_code == 403
    for key in ("far_cadre", "sibling_cadre", "far_street_cadre"):
        client = client_for(a.users[key])
        assert client.get(_url("dispute", appeal)).status_code == 404
        assert client.get(_url("party_add", appeal)).status_code == 404
        posted = client.post(_url("party_add", appeal), {"side": "applicant", "name": "王五"})
        assert posted.status_code == 404
    assert client_for(a.users["resident"]).get(_url("dispute", appeal)).status_code == 403
    assert not Dispute.objects.exists()


def test_marking_an_appeal_as_a_dispute_on_the_page(a):
    appeal = h.raise_appeal(a)
    response = _cadre(a).post(_url("mark", appeal))
    assert response.status_code == 302 and Dispute.objects.filter(appeal=appeal).exists()
    response = client_for(a.users["far_cadre"]).post(_url("mark", appeal))
    assert response.status_code == 404


# --- the forms --------------------------------------------------------------------------------


def test_adding_parties_and_a_party_twice(a):
    appeal = d.raise_dispute(a)
    client = _cadre(a)
    form = html(client.get(_url("party_add", appeal)))
    assert a.household.head.name in form and a.household.head.id_number not in form
    ok = client.post(
        _url("party_add", appeal), {"side": "applicant", "resident": a.household.head.pk}
    )
    assert ok.status_code == 302
    by_number = client.post(
        _url("party_add", appeal),
        {"side": "respondent", "resident_id_number": a.neighbour.head.id_number, "version": 2},
    )
    assert by_number.status_code == 302
    twice = client.post(
        _url("party_add", appeal), {"side": "respondent", "resident": a.household.head.pk}
    )
    assert twice.status_code == 400 and "party to this dispute already" in html(twice)
    unknown = client.post(
        _url("party_add", appeal),
        {"side": "respondent", "resident_id_number": "110101199003077777"},
    )
    assert unknown.status_code == 400 and "No person with this ID number" in html(unknown)
    stale = client.post(
        _url("party_add", appeal),
        {"side": "respondent", "name": "王外来", "mobile": d.OUTSIDER_MOBILE, "version": 1},
    )
    assert stale.status_code == 409
    assert DisputeParty.objects.count() == 2


def test_a_session_in_the_future_is_refused_on_the_page(a):
    appeal = d.raise_dispute(a)
    client = _cadre(a)
    first = disputes.dispute_add_party(
        actor=a.users["village_cadre"], appeal=appeal, side="applicant", resident=a.household.head
    )
    response = client.post(_url("mediator", appeal), {"mediator_name": "赵调解"})
    assert response.status_code == 302
    ahead = timezone.localtime() + dt.timedelta(days=1)
    data = {
        "held_at": ahead.strftime("%Y-%m-%dT%H:%M"),
        "place": "村委会",
        "attended": [first.pk],
        "notes": "调解",
    }
    response = client.post(_url("session_add", appeal), data)
    assert response.status_code == 400 and "not ahead" in html(response)
    assert not MediationSession.objects.exists()
    data["held_at"] = (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(_url("session_add", appeal), data).status_code == 302
    assert MediationSession.objects.count() == 1


def test_recording_the_agreement_and_uploading_its_scan(a, data_dir):
    appeal = d.raise_dispute(a)
    d.ready_to_agree(a, appeal)
    client = _cadre(a)
    response = client.post(
        _url("agreement_add", appeal),
        {"facts": "排水沟纠纷", "terms": "十日内改道", "signed_on": "2026-11-25"},
    )
    assert response.status_code == 302 and response["Location"] == _url("agreement_print", appeal)
    assert h.fresh(appeal).state == "settled"
    not_a_scan = d.scan(b"MZ\x90\x00 not a scan", "协议书.pdf")
    response = client.post(_url("scan_upload", appeal), {"scan": not_a_scan})
    assert response.status_code == 400 and "is not a scan" in html(response)
    assert h.file_count(data_dir) == 0
    response = client.post(_url("scan_upload", appeal), {"scan": d.scan()})
    assert response.status_code == 302
    shown = client.get(_url("scan_file", appeal))
    assert shown.status_code == 200 and shown["Content-Type"] == "application/pdf"
    assert b"".join(shown.streaming_content) == d.PDF
    assert AuditRecord.objects.filter(object_type="appeals.agreement", action="reveal").count() == 1
    assert client_for(a.users["far_cadre"]).get(_url("scan_file", appeal)).status_code == 404


def test_a_failed_mediation_and_a_check_on_the_pages(a, clock):
    appeal = d.raise_dispute(a)
    d.ready_to_agree(a, appeal)
    client = _cadre(a)
    response = client.post(_url("refer", appeal), {"referred_to": "court", "reason": "分歧"})
    assert response.status_code == 400
    response = client.post(
        _url("refer", appeal), {"referred_to": "arbitration", "reason": "分歧大"}
    )
    assert response.status_code == 302 and h.fresh(appeal).state == "settled"
    assert client.get(_url("check_add", appeal)).status_code == 404  # no agreement to check


def test_the_list_of_checks_due(a, clock):
    appeal = d.raise_dispute(a)
    d.ready_to_agree(a, appeal)
    agreement = d.agree(a, appeal)
    url = reverse("disputes:checks_due")
    assert agreement.number not in html(_cadre(a).get(url))
    clock.move_to(dt.datetime(2026, 12, 28, 9, 0, tzinfo=h.SHANGHAI))
    page = html(_cadre(a).get(url))
    assert agreement.number in page and "overdue by 3 days" in page
    assert agreement.number not in html(client_for(a.users["far_cadre"]).get(url))
    assert client_for(a.users["district_leader"]).get(url).status_code == 403
    response = _cadre(a).post(_url("check_add", appeal), {"result": "kept", "note": ""})
    assert response.status_code == 302
    assert agreement.number not in html(_cadre(a).get(url))


def test_the_list_of_checks_due_costs_the_same_queries_however_long(a, clock):
    url = reverse("disputes:checks_due")

    def count() -> int:
        client = _cadre(a)  # a new session: a month on, the last one has timed out
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for n in range(3):
        appeal = d.raise_dispute(a, description=f"纠纷{n}")
        d.ready_to_agree(a, appeal)
        d.agree(a, appeal)
        if n == 0:
            clock.move_to(dt.datetime(2026, 12, 28, 9, 0, tzinfo=h.SHANGHAI))
            one = count()
            clock.move_to(h.WORLD_CLOCK)
    clock.move_to(dt.datetime(2026, 12, 28, 9, 0, tzinfo=h.SHANGHAI))
    assert html(_cadre(a).get(url)).count("TJ2026") == 3
    assert count() == one


# --- the A4 print page ---------------------------------------------------------------------


def _agreed(a):
    appeal = d.raise_dispute(a)
    cadre = a.users["village_cadre"]
    first = disputes.dispute_add_party(
        actor=cadre, appeal=appeal, side="applicant", resident=a.household.head
    )
    outsider = disputes.dispute_add_party(
        actor=cadre,
        appeal=appeal,
        side="respondent",
        name="王外来",
        mobile=d.OUTSIDER_MOBILE,
        id_number=d.OUTSIDER_ID,
    )
    disputes.dispute_set_mediator(actor=cadre, appeal=appeal, mediator_name="赵调解")
    disputes.session_record(
        actor=cadre,
        appeal=appeal,
        held_at=timezone.now() - dt.timedelta(hours=2),
        place="村委会",
        attended=[first, outsider],
        notes="调解",
    )
    agreement = d.agree(a, appeal, facts="王外来的排水沟排向户主院墙", terms="十日内改道，费用自理")
    return appeal, agreement


def test_the_print_page_has_the_agreement_on_a4_with_the_numbers_masked(a):
    appeal, agreement = _agreed(a)
    response = _cadre(a).get(_url("agreement_print", appeal))
    page = html(response)
    assert response.status_code == 200
    assert "People's mediation agreement" in page and agreement.number in page
    assert "appeals/agreement.css" in page
    head = a.household.head
    for text in (head.name, "王外来", "王外来的排水沟排向户主院墙", "十日内改道，费用自理"):
        assert text in page
    assert mask_id_number(head.id_number) in page and head.id_number not in page
    assert mask_id_number(d.OUTSIDER_ID) in page and d.OUTSIDER_ID not in page
    assert mask_mobile(d.OUTSIDER_MOBILE) in page and d.OUTSIDER_MOBILE not in page
    assert page.count('class="agreement-line"') == 3  # two parties and the mediator
    assert "文岭一村人民调解委员会" in page and "2026年11月25日" in page
    assert "Print with full ID numbers" in page  # the village cadre may reveal there
    assert not AuditRecord.objects.filter(action="reveal").exists()


def test_the_print_page_reveals_with_a_reason_and_audits_each_party(a):
    appeal, agreement = _agreed(a)
    client = _cadre(a)
    refused = client.post(_url("agreement_print", appeal), {"reason": ""})
    assert refused.status_code == 400 and d.OUTSIDER_ID not in html(refused)
    page = html(client.post(_url("agreement_print", appeal), {"reason": "打印供双方签字"}))
    assert a.household.head.id_number in page and d.OUTSIDER_ID in page
    assert d.OUTSIDER_MOBILE in page
    reveals = AuditRecord.objects.filter(action="reveal", reason="打印供双方签字")
    assert reveals.count() == 2
    assert set(reveals.values_list("object_type", flat=True)) == {
        "registry.resident",
        "appeals.disputeparty",
    }


def test_a_reader_who_may_not_reveal_sees_only_masked_numbers(a):
    appeal, _agreement = _agreed(a)
    client = client_for(a.users["district_leader"])  # sees the appeal, may not reveal
    page = html(client.get(_url("agreement_print", appeal)))
    assert "Print with full ID numbers" not in page
    assert mask_id_number(d.OUTSIDER_ID) in page and d.OUTSIDER_ID not in page
    response = client.post(_url("agreement_print", appeal), {"reason": "想看"})
    assert response.status_code == 403
    assert not AuditRecord.objects.filter(action="reveal").exists()
    assert client_for(a.users["far_cadre"]).get(_url("agreement_print", appeal)).status_code == 404


def test_no_print_page_before_an_agreement(a):
    appeal = d.raise_dispute(a)
    d.ready_to_agree(a, appeal)
    assert _cadre(a).get(_url("agreement_print", appeal)).status_code == 404
    assert not Agreement.objects.exists()
