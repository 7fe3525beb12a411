"""The area tree and audit trail pages, and the denials they leave in the trail."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from linli.core import audit, services
from linli.core.models import Area, AuditRecord
from tests import factories as f

TREE = "core:area_tree"


def tree_url(area=None) -> str:
    return reverse(TREE) + (f"?area={area.pk}" if area is not None else "")


def as_user(client, world, role):
    client.force_login(world.users[role])
    return world.users[role]


def last_record() -> AuditRecord:
    return AuditRecord.objects.order_by("-pk").first()


# --- the area tree ------------------------------------------------------------------------------


def test_tree_starts_at_the_users_scope(client, world):
    """With one area of work, the tree opens on it and lists what lies below it."""
    as_user(client, world, "community_worker")
    page = client.get(tree_url()).content.decode()
    heading, tree = page.split('id="area-tree"', 1)
    assert world.communities[0].name in heading
    own_villages = [v for v in world.villages if v.parent_id == world.communities[0].pk]
    other_villages = [v for v in world.villages if v.parent_id != world.communities[0].pk]
    assert all(v.name in tree for v in own_villages)
    assert not any(v.name in page for v in other_villages)
    assert world.communities[1].name not in page


def test_tree_with_several_areas_of_work_lists_them_closed(client, world):
    from linli.accounts.services import grant_create

    worker = world.users["community_worker"]
    grant_create(actor=None, user=worker, role="community_worker", area=world.communities[2])
    as_user(client, world, "community_worker")
    tree = client.get(tree_url()).content.decode().split('id="area-tree"', 1)[1]
    assert world.communities[0].name in tree
    assert world.communities[2].name in tree
    assert world.communities[1].name not in tree


def test_a_node_shows_kind_code_breadcrumb_and_counts(client, world):
    as_user(client, world, "street_cadre")
    community = world.communities[0]
    Area.objects.filter(pk=community.pk).update(code="370772101000")
    response = client.get(tree_url(community))
    assert response.status_code == 200
    page = response.content.decode()
    assert "370772101000" in page
    crumbs = page[page.index('class="breadcrumb') : page.index("</ol>")]
    assert world.streets[0].name in crumbs and world.district.name not in crumbs
    # each village below: one sub-area (its grid) and one household
    assert page.count("1 sub-area") >= 2 and page.count("1 household") >= 2
    assert f'hx-get="{reverse("core:area_children", args=[world.villages[0].pk])}"' in page


def test_children_partial_is_a_fragment_of_one_level(client, world):
    as_user(client, world, "community_worker")
    response = client.get(reverse("core:area_children", args=[world.villages[0].pk]))
    assert response.status_code == 200
    fragment = response.content.decode()
    assert "<html" not in fragment
    assert f">{world.grids[0].name}<" in fragment
    assert f">{world.villages[0].name}<" not in fragment


def test_a_village_cadre_cannot_open_the_district(client, world):
    cadre = as_user(client, world, "village_cadre")
    assert client.get(tree_url(world.villages[0])).status_code == 200
    for url in [
        tree_url(world.district),
        tree_url(world.villages[1]),
        reverse("core:area_children", args=[world.district.pk]),
        reverse("core:area_edit", args=[world.villages[1].pk]),
    ]:
        assert client.get(url).status_code == 404, url
    denial = last_record()
    assert (denial.action, denial.outcome, denial.actor_id) == ("denied", "failure", cadre.pk)
    assert (denial.object_type, denial.object_id) == ("core.area", str(world.villages[1].pk))
    assert AuditRecord.objects.filter(action="denied", actor_id=cadre.pk).count() == 4


def test_a_missing_permission_is_a_403_and_recorded(client, world):
    worker = as_user(client, world, "community_worker")
    village = world.villages[0]
    for name in ("core:area_edit", "core:area_move", "core:area_add"):
        assert client.get(reverse(name, args=[village.pk])).status_code == 403
    denials = AuditRecord.objects.filter(action="denied", actor_id=worker.pk)
    assert denials.count() == 3
    assert denials.first().changes["status"] == 403


def test_unknown_urls_and_anonymous_visitors_are_not_denials(client, world):
    as_user(client, world, "community_worker")
    count = AuditRecord.objects.count()
    assert client.get("/no-such-page/").status_code == 404
    client.logout()
    count = AuditRecord.objects.count()
    assert client.get(tree_url(world.district)).status_code == 302  # to the login page
    assert AuditRecord.objects.count() == count


def test_residents_have_no_area_tree(client, world):
    as_user(client, world, "resident")
    assert client.get(tree_url()).status_code == 403


# --- edit, add, move ----------------------------------------------------------------------------


def test_administrator_moves_a_village_with_a_reason(client, world):
    admin = as_user(client, world, "administrator")
    village, old, new = world.villages[0], world.communities[0], world.communities[1]
    form = client.get(reverse("core:area_move", args=[village.pk])).content.decode()
    options = form[
        form.index('name="parent"') : form.index("</select>", form.index('name="parent"'))
    ]
    offered = {int(v) for v in re.findall(r'<option value="(\d+)"', options)}
    assert offered == {c.pk for c in world.communities} - {old.pk}  # not where it already is
    assert new.name in options

    response = client.post(
        reverse("core:area_move", args=[village.pk]), {"parent": new.pk, "reason": "合村并居"}
    )

    assert response.status_code == 302
    assert response["Location"] == tree_url(village)
    village.refresh_from_db()
    assert village.parent_id == new.pk
    entry = AuditRecord.objects.get(action="move")
    assert entry.actor_id == admin.pk and entry.reason == "合村并居"
    assert world.households[0] in world.households[0].__class__.objects.under(new)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"parent": "", "reason": "合村并居"}, "New parent area"),
        ({"reason": "合村并居"}, "New parent area"),
        ({"parent": "STREET", "reason": "合村并居"}, "New parent area"),
        ({"parent": "GRID", "reason": "合村并居"}, "New parent area"),
        ({"parent": "abc", "reason": "合村并居"}, "New parent area"),
        ({"parent": "TARGET", "reason": ""}, "Reason"),
        ({"parent": "TARGET", "reason": " "}, "Reason"),
    ],
)
def test_a_bad_move_is_refused_naming_the_field(client, world, data, field):
    as_user(client, world, "administrator")
    village = world.villages[0]
    stand_in = {"STREET": world.streets[1], "GRID": world.grids[0], "TARGET": world.communities[1]}
    if data.get("parent") in stand_in:
        data = data | {"parent": stand_in[data["parent"]].pk}
    paths = dict(Area.objects.values_list("pk", "path"))

    response = client.post(reverse("core:area_move", args=[village.pk]), data)

    assert response.status_code == 400
    assert f"{field}: " in response.content.decode()
    assert dict(Area.objects.values_list("pk", "path")) == paths
    assert not AuditRecord.objects.filter(action="move").exists()


def test_administrator_renames_and_sets_a_division_code(client, world):
    as_user(client, world, "administrator")
    village = world.villages[0]
    url = reverse("core:area_edit", args=[village.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "文岭新村", "code": "370772101201"})
    assert response.status_code == 302
    village.refresh_from_db()
    assert (village.name, village.code) == ("文岭新村", "370772101201")
    entry = last_record()
    assert entry.action == "update"
    assert entry.changes["after"]["name"] == "文岭新村"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("3707721012", "A division code has exactly 12 digits."),
        ("37077210120x", "A division code has exactly 12 digits."),
        ("370772000001", "This division code names a village without its town."),
        ("370772000000", "Another area already has this division code."),  # the district's
    ],
)
def test_a_bad_division_code_is_refused_with_a_field_message(client, world, code, message):
    as_user(client, world, "administrator")
    village = world.villages[0]
    response = client.post(
        reverse("core:area_edit", args=[village.pk]), {"name": village.name, "code": code}
    )
    assert response.status_code == 400
    assert f"Division code: {message}" in response.content.decode()
    village.refresh_from_db()
    assert village.code == ""


def test_administrator_adds_a_grid_to_a_village(client, world):
    as_user(client, world, "administrator")
    village = world.villages[0]
    url = reverse("core:area_add", args=[village.pk])
    form = client.get(url).content.decode()
    kinds = form[form.index('name="kind"') : form.index("</select>", form.index('name="kind"'))]
    assert 'value="grid"' in kinds and 'value="building"' in kinds
    assert 'value="community"' not in kinds

    response = client.post(url, {"name": "文岭一村第2网格", "kind": "grid", "code": ""})

    assert response.status_code == 302
    grid = Area.objects.get(name="文岭一村第2网格")
    assert grid.parent == village and grid.path.startswith(village.path)
    assert client.post(url, {"name": "错", "kind": "community"}).status_code == 400


def test_a_street_administrator_is_offered_only_targets_in_scope(client, world):
    street_admin = f.user_with("administrator", world.streets[0])
    client.force_login(street_admin)
    form = client.get(reverse("core:area_move", args=[world.villages[0].pk])).content.decode()
    options = form[
        form.index('name="parent"') : form.index("</select>", form.index('name="parent"'))
    ]
    assert world.communities[1].name in options
    assert world.communities[2].name not in options and world.communities[3].name not in options
    response = client.post(
        reverse("core:area_move", args=[world.villages[0].pk]),
        {"parent": world.communities[2].pk, "reason": "越权"},
    )
    assert response.status_code == 400
    world.villages[0].refresh_from_db()
    assert world.villages[0].parent == world.communities[0]


# --- the audit trail ----------------------------------------------------------------------------

AUDIT = "core:audit_list"


@pytest.mark.parametrize(
    "role",
    [
        "resident",
        "grid_worker",
        "village_cadre",
        "community_worker",
        "street_cadre",
        "district_leader",
        "administrator",
        "security_officer",
    ],
)
def test_only_auditors_read_the_audit_trail(client, world, role):
    user = as_user(client, world, role)
    assert client.get(reverse(AUDIT)).status_code in (403, 404)
    assert client.post(reverse("core:audit_verify")).status_code in (403, 404)
    assert b"Audit trail" not in client.get(reverse("core:workbench")).content
    assert AuditRecord.objects.filter(action="denied", actor_id=user.pk).count() == 2


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = client.get(reverse(AUDIT))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_auditor_reads_the_trail_and_reading_changes_nothing(client, world):
    as_user(client, world, "auditor")
    count = AuditRecord.objects.count()
    response = client.get(reverse(AUDIT))
    assert response.status_code == 200
    assert AuditRecord.objects.count() == count
    assert f"{count} records" in response.content.decode()
    assert client.post(reverse(AUDIT)).status_code == 405  # no way to write through the page


def test_the_trail_shows_changes_with_personal_numbers_masked(client, world):
    as_user(client, world, "auditor")
    person = world.households[0].head
    response = client.get(reverse(AUDIT), {"object_type": "registry.resident"})
    page = response.content.decode()
    assert person.name in page
    assert person.id_number not in page and person.mobile not in page
    assert person.id_number[:6] + "********" + person.id_number[-4:] in page
    assert person.id_number[::-1] not in page  # the search key would give it away reversed


def test_a_move_reads_as_names_before_and_after(client, world):
    services.area_move(
        actor=world.users["administrator"],
        area=world.villages[0],
        new_parent=world.communities[1],
        reason="调整",
    )
    as_user(client, world, "auditor")
    page = client.get(reverse(AUDIT), {"action": "move"}).content.decode()
    row = page[page.index("<tbody>") : page.index("</tbody>")]
    assert f"{world.communities[0].name} (#{world.communities[0].pk})" in row
    assert f"{world.communities[1].name} (#{world.communities[1].pk})" in row
    assert "调整" in row


def _rows(response) -> int:
    page = response.content.decode()
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return body.count('<td data-label="#">')


def test_the_filters_narrow_the_trail(client, world):
    cadre = world.users["village_cadre"]
    client.force_login(cadre)
    client.get(tree_url(world.district))  # a denial
    client.logout()
    as_user(client, world, "auditor")
    get = lambda **q: client.get(reverse(AUDIT), q)  # noqa: E731

    denied = get(action="denied")
    assert _rows(denied) == 1 and cadre.username in denied.content.decode()
    assert _rows(get(outcome="failure")) == AuditRecord.objects.filter(outcome="failure").count()
    assert _rows(get(actor=cadre.username)) == 3  # logged in, was refused, logged out
    assert _rows(get(actor=cadre.username, action="login")) == 1
    assert _rows(get(object_type="core.area", object_id=str(world.district.pk))) == 2
    assert _rows(get(address="127.0")) == 1  # only the denial came through the web
    today = timezone.localdate()
    assert _rows(get(since=today.isoformat(), until=today.isoformat(), action="denied")) == 1
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert _rows(get(since=tomorrow)) == 0


def test_a_bad_filter_is_refused_naming_the_field(client, world):
    as_user(client, world, "auditor")
    today = timezone.localdate()
    response = client.get(
        reverse(AUDIT),
        {"since": today.isoformat(), "until": (today - dt.timedelta(days=2)).isoformat()},
    )
    assert response.status_code == 400
    assert "The end date must not be before the start date." in response.content.decode()
    response = client.get(reverse(AUDIT), {"action": "erase"})
    assert response.status_code == 400
    assert _rows(response) == 0


def test_the_trail_is_paginated(client, world):
    as_user(client, world, "auditor")
    audit.seal()  # as the worker does moments after each write
    total = AuditRecord.objects.count()
    assert total > 50
    first = client.get(reverse(AUDIT))
    assert _rows(first) == 50
    second = client.get(reverse(AUDIT), {"page": 2})
    assert _rows(second) == min(total - 50, 50)
    assert f'<td data-label="#">{total}</td>' in first.content.decode()
    assert f'<td data-label="#">{total}</td>' not in second.content.decode()
    audit.record(action="update", object_type="core.area", object_id="1")  # not yet chained
    newest = client.get(reverse(AUDIT)).content.decode()
    assert newest.index('<td data-label="#">…</td>') < newest.index(f'<td data-label="#">{total}<')


def test_the_trail_page_costs_the_same_queries_however_long(
    client, world, django_assert_max_num_queries
):
    as_user(client, world, "auditor")
    client.get(reverse(AUDIT))
    with django_assert_max_num_queries(12):
        client.get(reverse(AUDIT))


def test_verify_reports_an_intact_chain_and_then_a_tampered_one(client, world):
    as_user(client, world, "auditor")
    ok = client.post(reverse("core:audit_verify"))
    assert ok.status_code == 200
    assert "The chain is intact" in ok.content.decode()

    table = connection.ops.quote_name(AuditRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET reason = %s WHERE seq = %s", ["tampered", 3])  # noqa: S608
    broken = client.post(reverse("core:audit_verify"), HTTP_HX_REQUEST="true")
    fragment = broken.content.decode()
    assert "<html" not in fragment
    assert "The chain is broken" in fragment and "record 3" in fragment
    assert not audit.verify().ok


def test_audit_page_shows_a_household_change_with_its_tag_list(world, client):
    """A household's audit record carries its tags as a list (a many-to-many field): the page must
    render it as text, not fail on it."""
    from linli.registry import services

    from .. import factories as f

    poor = f.tag("困难户")
    services.household_update(actor=None, household=world.households[0], tags=[(poor, "")])
    client.force_login(world.users["auditor"])
    response = client.get("/audit/", {"object_type": "registry.household"})
    assert response.status_code == 200
    assert "困难户" in response.content.decode()
