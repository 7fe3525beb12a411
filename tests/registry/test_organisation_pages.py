"""Organisations 组织 and posts 职务 kept by the administrator through the pages: create, edit,
end a post; field errors that change nothing; 403 for other roles; 404 outside the grant; the
audit trail."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from linli.accounts import services as account_services
from linli.core.choices import AuditAction
from linli.core.models import AuditRecord
from linli.registry import services
from linli.registry.models import Organisation, Post

from .. import factories as f

BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user, backend=BACKEND)
    return client


def text(response) -> str:
    return response.content.decode()


def errors_under(page: str, field: str) -> list[str]:
    """The error messages shown in one field's block of a form page, without the field's label
    that each message starts with ("Name: This field is required.")."""
    start = page.index(f'id="id_{field}"')
    end = page.find('<div class="mb-3">', start)
    block = page[start : end if end != -1 else None]
    shown = [html.unescape(m) for m in re.findall(r'invalid-feedback d-block">([^<]*)<', block)]
    assert all(": " in m for m in shown), shown
    return [m.split(": ", 1)[1] for m in shown]


def audit_of(obj, action: str) -> list[AuditRecord]:
    return list(
        AuditRecord.objects.filter(
            object_type=obj._meta.label_lower, object_id=str(obj.pk), action=action
        )
    )


def changes() -> int:
    return AuditRecord.objects.filter(action__in=[AuditAction.CREATE, AuditAction.UPDATE]).count()


@pytest.fixture
def admin(world):
    return client_for(world.users["administrator"])


@pytest.fixture
def orgs(world):
    """文岭社区党总支 in the first community with 文岭一村党支部 under it, and a clinic in the
    third community (another street)."""
    branch = services.organisation_create(
        actor=None, name="文岭社区党总支", kind="general_party_branch", area=world.communities[0]
    )
    village_branch = services.organisation_create(
        actor=None,
        name="文岭一村党支部",
        kind="village_party_branch",
        area=world.villages[0],
        parent=branch,
    )
    clinic = services.organisation_create(
        actor=None, name="东朱社区卫生室", kind="clinic", area=world.communities[2]
    )
    return {"branch": branch, "village_branch": village_branch, "clinic": clinic}


@pytest.fixture
def post(world, orgs):
    return services.post_create(
        actor=None,
        holder_name="王书记",
        kind="village_branch_secretary",
        area=world.villages[0],
        organisation=orgs["village_branch"],
        starts_on=dt.date(2021, 1, 1),
    )


@pytest.fixture
def far(db):
    """A second district root, outside every grant of the world."""
    district = f.area("远山区", "district")
    street = f.area("远山街道", "street", district)
    village = f.area("远山村", "village", f.area("远山社区", "community", street))
    org = services.organisation_create(
        actor=None, name="远山村党支部", kind="village_party_branch", area=village
    )
    post = services.post_create(
        actor=None,
        holder_name="远书记",
        kind="village_branch_secretary",
        area=village,
        organisation=org,
        starts_on=dt.date(2020, 5, 1),
    )
    return {"district": district, "village": village, "org": org, "post": post}


# --- organisations -------------------------------------------------------------------------


def test_administrator_creates_an_organisation(world, admin, orgs):
    page = text(admin.get(reverse("registry:organisation_create")))
    assert world.villages[1].name in page and "文岭社区党总支" in page
    response = admin.post(
        reverse("registry:organisation_create"),
        {
            "name": " 文岭二村卫生室 ",
            "kind": "clinic",
            "area": world.villages[1].pk,
            "parent_organisation": orgs["branch"].pk,
        },
    )
    assert response.status_code == 302
    org = Organisation.objects.get(name="文岭二村卫生室")
    assert (org.kind, org.area, org.parent) == ("clinic", world.villages[1], orgs["branch"])
    assert response["Location"] == f"{reverse('registry:organisation_list')}?area={org.area_id}"
    [record] = audit_of(org, AuditAction.CREATE)
    assert record.actor_id == world.users["administrator"].pk
    assert record.changes["after"]["name"] == "文岭二村卫生室"
    listing = text(admin.get(response["Location"]))
    assert "文岭二村卫生室" in listing
    assert reverse("registry:organisation_edit", args=[org.pk]) in listing


def test_administrator_edits_an_organisation(world, admin, orgs):
    clinic = orgs["clinic"]
    url = reverse("registry:organisation_edit", args=[clinic.pk])
    page = text(admin.get(url))
    assert 'value="东朱社区卫生室"' in page
    response = admin.post(
        url,
        {"name": "东朱社区卫生服务站", "kind": "clinic", "area": world.villages[4].pk},
    )
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert (clinic.name, clinic.area) == ("东朱社区卫生服务站", world.villages[4])
    [record] = audit_of(clinic, AuditAction.UPDATE)
    assert record.changes["before"] == {
        "name": "东朱社区卫生室",
        "area_id": world.communities[2].pk,
    }
    assert record.changes["after"] == {
        "name": "东朱社区卫生服务站",
        "area_id": world.villages[4].pk,
    }


def test_administrator_records_where_an_organisation_is(world, admin, orgs):
    """The address residents are sent to when they must bring material in person."""
    clinic = orgs["clinic"]
    url = reverse("registry:organisation_edit", args=[clinic.pk])
    address = "峡山区王家庄街道东朱社区党群服务中心一楼"
    body = {"name": clinic.name, "kind": "clinic", "area": clinic.area_id, "address": address}
    assert admin.post(url, body).status_code == 302
    clinic.refresh_from_db()
    assert clinic.address == address
    [record] = audit_of(clinic, AuditAction.UPDATE)
    assert record.changes["after"] == {"address": address}
    assert f'value="{address}"' in text(admin.get(url))
    too_long = admin.post(url, {**body, "address": "址" * 201})
    assert too_long.status_code == 400 and errors_under(text(too_long), "address")
    clinic.refresh_from_db()
    assert clinic.address == address


def test_saving_an_unchanged_organisation_writes_no_audit_record(world, admin, orgs):
    branch = orgs["branch"]
    before = changes()
    response = admin.post(
        reverse("registry:organisation_edit", args=[branch.pk]),
        {"name": branch.name, "kind": branch.kind, "area": branch.area_id},
    )
    assert response.status_code == 302
    assert changes() == before


def test_empty_name_is_refused_under_the_field_and_changes_nothing(world, admin, orgs):
    before, count = changes(), Organisation.objects.count()
    response = admin.post(
        reverse("registry:organisation_create"),
        {"name": "  ", "kind": "", "area": world.villages[0].pk},
    )
    assert response.status_code == 400
    page = text(response)
    assert errors_under(page, "name") == ["This field is required."]
    assert errors_under(page, "kind") == ["This field is required."]
    assert Organisation.objects.count() == count
    branch = orgs["branch"]
    response = admin.post(
        reverse("registry:organisation_edit", args=[branch.pk]),
        {"name": "", "kind": branch.kind, "area": branch.area_id},
    )
    assert response.status_code == 400
    assert errors_under(text(response), "name") == ["This field is required."]
    branch.refresh_from_db()
    assert branch.name == "文岭社区党总支"
    assert changes() == before


def test_parent_must_be_in_the_same_area_or_above(world, admin, orgs):
    before = changes()
    response = admin.post(
        reverse("registry:organisation_create"),
        {
            "name": "文岭社区卫生室",
            "kind": "clinic",
            "area": world.communities[0].pk,
            "parent_organisation": orgs["village_branch"].pk,  # in a village below
        },
    )
    assert response.status_code == 400
    assert errors_under(text(response), "parent_organisation") == [
        "The parent organisation must be in the same area as this one or in an area above it."
    ]
    assert not Organisation.objects.filter(name="文岭社区卫生室").exists()
    assert changes() == before


def test_an_organisation_cannot_go_under_its_own_sub_organisation(world, admin, orgs):
    branch, village_branch = orgs["branch"], orgs["village_branch"]
    url = reverse("registry:organisation_edit", args=[branch.pk])
    options = re.search(r'name="parent_organisation".*?</select>', text(admin.get(url)), re.S)
    assert "文岭一村党支部" not in options.group(0)  # not even offered
    response = admin.post(
        url,
        {
            "name": branch.name,
            "kind": branch.kind,
            "area": branch.area_id,
            "parent_organisation": village_branch.pk,
        },
    )
    assert response.status_code == 400
    assert errors_under(text(response), "parent_organisation") == [
        "Choose a parent organisation from the list."
    ]
    branch.refresh_from_db()
    assert branch.parent is None
    with pytest.raises(ValidationError) as error:
        services.organisation_update(actor=None, organisation=branch, parent=village_branch)
    assert "parent" in error.value.message_dict


def test_moving_an_organisation_away_from_its_sub_organisations_is_refused(world, orgs):
    branch = orgs["branch"]
    with pytest.raises(ValidationError) as error:
        services.organisation_update(actor=None, organisation=branch, area=world.communities[1])
    assert "area" in error.value.message_dict
    branch.refresh_from_db()
    assert branch.area == world.communities[0]


# --- posts ---------------------------------------------------------------------------------


def _post_form(world, **changes) -> dict:
    return {
        "holder_name": "李网格",
        "account": "",
        "kind": "grid_worker",
        "title": "第1网格网格员",
        "organisation": "",
        "area": world.grids[0].pk,
        "starts_on": "2024-03-01",
        "ends_on": "",
        **changes,
    }


def test_administrator_creates_a_post(world, admin, orgs):
    account = world.users["grid_worker"]
    page = text(admin.get(reverse("registry:post_create")))
    assert account.username in page and "文岭一村党支部" in page
    response = admin.post(
        reverse("registry:post_create"),
        _post_form(world, account=account.pk, organisation=orgs["village_branch"].pk),
    )
    assert response.status_code == 302
    post = Post.objects.get(holder_name="李网格")
    assert (post.account, post.organisation, post.area) == (
        account,
        orgs["village_branch"],
        world.grids[0],
    )
    assert (post.starts_on, post.ends_on, post.title) == (
        dt.date(2024, 3, 1),
        None,
        "第1网格网格员",
    )
    [record] = audit_of(post, AuditAction.CREATE)
    assert record.changes["after"]["holder_name"] == "李网格"
    listing = text(admin.get(response["Location"]))
    assert "李网格" in listing
    assert reverse("registry:post_end", args=[post.pk]) in listing


def test_a_post_ending_before_it_starts_is_refused_and_nothing_is_created(world, admin):
    before = changes()
    response = admin.post(
        reverse("registry:post_create"),
        _post_form(world, holder_name="", ends_on="2024-02-01"),
    )
    assert response.status_code == 400
    page = text(response)
    assert errors_under(page, "holder_name") == ["This field is required."]
    assert errors_under(page, "ends_on") == ["A post cannot end before it starts."]
    assert Post.objects.count() == 0
    assert changes() == before


def test_a_switched_off_account_is_not_offered(world, admin):
    account = world.users["grid_worker"]
    account_services.user_set_active(actor=world.users["administrator"], user=account, active=False)
    assert account.username not in text(admin.get(reverse("registry:post_create")))
    response = admin.post(reverse("registry:post_create"), _post_form(world, account=account.pk))
    assert response.status_code == 400
    assert errors_under(text(response), "account") == [
        "Choose an active login account from the list."
    ]
    assert Post.objects.count() == 0


def test_administrator_ends_a_post(world, admin, post):
    url = reverse("registry:post_end", args=[post.pk])
    page = text(admin.get(url))
    assert "End the post of 王书记" in page and "2021-01-01" in page
    response = admin.post(url, {"ends_on": "2025-06-30"})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.ends_on == dt.date(2025, 6, 30)
    [record] = audit_of(post, AuditAction.UPDATE)
    assert record.changes == {"before": {"ends_on": None}, "after": {"ends_on": "2025-06-30"}}
    listing = text(admin.get(response["Location"]))
    assert "王书记" in listing and "2025-06-30" in listing
    assert url not in listing  # a post that is over is not offered for ending again


def test_ending_a_post_before_it_began_is_refused(world, admin, post):
    before = changes()
    url = reverse("registry:post_end", args=[post.pk])
    response = admin.post(url, {"ends_on": "2020-12-31"})
    assert response.status_code == 400
    assert errors_under(text(response), "ends_on") == ["A post cannot end before it starts."]
    response = admin.post(url, {"ends_on": ""})
    assert response.status_code == 400
    assert errors_under(text(response), "ends_on") == ["Give the last day of the post."]
    post.refresh_from_db()
    assert post.ends_on is None
    assert changes() == before


# --- who may -------------------------------------------------------------------------------


def test_other_roles_get_403_and_change_nothing(world, orgs, post):
    before = changes()
    own_org = orgs["village_branch"]  # inside the community worker's community
    for role in ("community_worker", "street_cadre", "district_leader", "auditor"):
        client = client_for(world.users[role])
        for name in ("registry:organisation_create", "registry:post_create"):
            assert client.get(reverse(name)).status_code == 403, (role, name)
        response = client.post(
            reverse("registry:organisation_create"),
            {"name": "冒名组织", "kind": "clinic", "area": world.villages[0].pk},
        )
        assert response.status_code == 403
        assert client.post(reverse("registry:post_create"), _post_form(world)).status_code == 403
    cw = client_for(world.users["community_worker"])
    edit = reverse("registry:organisation_edit", args=[own_org.pk])
    assert cw.get(edit).status_code == 403
    answer = cw.post(edit, {"name": "改名", "kind": own_org.kind, "area": own_org.area_id})
    assert answer.status_code == 403
    end = reverse("registry:post_end", args=[post.pk])
    assert cw.get(end).status_code == 403
    assert cw.post(end, {"ends_on": "2025-01-01"}).status_code == 403
    # Outside the community worker's community: not even there.
    assert (
        cw.get(reverse("registry:organisation_edit", args=[orgs["clinic"].pk])).status_code == 404
    )
    own_org.refresh_from_db()
    post.refresh_from_db()
    assert (own_org.name, post.ends_on) == ("文岭一村党支部", None)
    assert Organisation.objects.filter(name="冒名组织").count() == 0
    assert Post.objects.count() == 1
    assert changes() == before


def test_lists_offer_the_buttons_only_to_those_who_may_change(world, admin, orgs, post):
    cw = client_for(world.users["community_worker"])
    for client, shown in ((admin, True), (cw, False)):
        page = text(client.get(reverse("registry:organisation_list")))
        assert "文岭一村党支部" in page
        assert (reverse("registry:organisation_create") in page) is shown
        assert (reverse("registry:organisation_edit", args=[orgs["branch"].pk]) in page) is shown
        page = text(client.get(reverse("registry:post_list")))
        assert "王书记" in page
        assert (reverse("registry:post_create") in page) is shown
        assert (reverse("registry:post_end", args=[post.pk]) in page) is shown


def test_outside_the_administrators_grant_is_404_or_refused(world, admin, far):
    before = changes()
    assert admin.get(reverse("registry:organisation_edit", args=[far["org"].pk])).status_code == 404
    response = admin.post(
        reverse("registry:organisation_edit", args=[far["org"].pk]),
        {"name": "改名", "kind": "clinic", "area": far["village"].pk},
    )
    assert response.status_code == 404
    end = reverse("registry:post_end", args=[far["post"].pk])
    assert admin.get(end).status_code == 404
    assert admin.post(end, {"ends_on": "2025-01-01"}).status_code == 404
    form = text(admin.get(reverse("registry:organisation_create")))
    assert "远山村" not in form and "远山村党支部" not in form
    response = admin.post(
        reverse("registry:organisation_create"),
        {"name": "越界组织", "kind": "clinic", "area": far["village"].pk},
    )
    assert response.status_code == 400
    assert errors_under(text(response), "area") == [
        "Choose one of the listed areas (those inside your own grant)."
    ]
    response = admin.post(
        reverse("registry:post_create"),
        _post_form(world, area=far["village"].pk, organisation=far["org"].pk),
    )
    assert response.status_code == 400
    page = text(response)
    assert errors_under(page, "area") == [
        "Choose one of the listed areas (those inside your own grant)."
    ]
    assert errors_under(page, "organisation") == ["Choose an organisation from the list."]
    far["org"].refresh_from_db()
    far["post"].refresh_from_db()
    assert (far["org"].name, far["post"].ends_on) == ("远山村党支部", None)
    assert not Organisation.objects.filter(name="越界组织").exists()
    assert changes() == before


def test_services_refuse_outside_the_grant(world, far):
    admin = world.users["administrator"]
    with pytest.raises(PermissionDenied):
        services.organisation_create(actor=admin, name="越界", kind="clinic", area=far["village"])
    with pytest.raises(PermissionDenied):
        services.post_create(
            actor=admin,
            holder_name="越界",
            kind="other",
            area=far["village"],
            starts_on=dt.date(2024, 1, 1),
        )
    with pytest.raises(PermissionDenied):
        services.organisation_update(actor=admin, organisation=far["org"], name="改")
    with pytest.raises(PermissionDenied):
        services.post_end(actor=admin, post=far["post"], ends_on=dt.date(2025, 1, 1))
    with pytest.raises(ValidationError) as error:  # a parent the administrator cannot see
        services.organisation_create(
            actor=admin, name="挂靠", kind="clinic", area=world.villages[0], parent=far["org"]
        )
    assert "parent" in error.value.message_dict
    cw = world.users["community_worker"]
    with pytest.raises(PermissionDenied):
        services.organisation_create(actor=cw, name="越权", kind="clinic", area=world.villages[0])


def test_form_pages_fit_a_phone_and_lists_stack(world, admin, orgs, post):
    """Forms are one column on a phone; list rows turn into labelled cards (.table-stack)."""
    for name in ("registry:organisation_create", "registry:post_create"):
        page = text(admin.get(reverse(name)))
        assert 'class="col-12 col-lg-8"' in page and "style=" not in page
    for name in ("registry:organisation_list", "registry:post_list"):
        page = text(admin.get(reverse(name)))
        assert "table-stack" in page and 'data-label="Area' in page
