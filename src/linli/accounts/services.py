"""Writes to accounts: users, grants, API tokens, lockouts. Each in one transaction, audited.

Who may do what follows 三权分立: the administrator manages accounts and API tokens, the
security officer grants roles and unlocks locked accounts, the auditor reads the trail. A call
with `actor=None` comes from the command line setting a deployment up, and is not checked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from axes.utils import reset as axes_reset
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core import audit
from linli.core.choices import AuditAction
from linli.core.scoping import covers
from linli.core.validators import check_text_fields

from .models import ApiToken, Grant, User
from .roles import SEPARATED_ROLES, Role


def _require(actor, perm: str) -> None:
    if actor is not None and not actor.has_permission(perm):
        raise PermissionDenied


def _forget_grants(user: User) -> None:
    """Drop the per-request cache of a user's grants after they change."""
    user.__dict__.pop("active_grants", None)


# --- users ----------------------------------------------------------------------------------


def _check_username(username: str) -> None:
    try:
        User._meta.get_field("username").run_validators(username)
    except ValidationError as error:
        raise ValidationError({"username": error.error_list}) from error
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This user name is taken.")})


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from error


@transaction.atomic
def user_create(
    *, actor, username: str, password: str, display_name: str = "", check_password: bool = True
) -> User:
    """A new account with no role: roles come from the security officer's grants."""
    _require(actor, "accounts.manage")
    _check_username(username)
    user = User(username=username, display_name=display_name)
    check_text_fields(user, names=("display_name",))
    if check_password:
        _check_password(password, user)
    user.set_password(password)
    user.save()
    audit.record_change(
        actor=actor, obj=user, before=None, after=audit.snapshot(user, exclude=("password",))
    )
    return user


@transaction.atomic
def user_set_active(*, actor, user: User, active: bool) -> User:
    """Deactivate 停用 or reactivate an account. A deactivated person cannot log in, their
    open sessions stop working at the next request, and their API tokens are refused."""
    _require(actor, "accounts.manage")
    if actor is not None and actor.pk == user.pk and not active:
        raise ValidationError(_("You cannot deactivate your own account."))
    user = User.objects.select_for_update().get(pk=user.pk)
    if actor is not None and user.roles & (SEPARATED_ROLES - {Role.ADMINISTRATOR}):
        # 三权分立: the administrator must not be able to silence the people who watch them.
        raise ValidationError(
            _("Security officer and auditor accounts are managed from the command line only.")
        )
    if user.is_active == active:
        return user
    before = {"is_active": user.is_active}
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit.record_change(actor=actor, obj=user, before=before, after={"is_active": active})
    return user


# --- grants ---------------------------------------------------------------------------------


def _check_separation(user: User, role: str) -> None:
    held = set(
        Grant.objects.filter(user=user)
        .exclude(ends_on__lt=timezone.localdate())
        .values_list("role", flat=True)
    )
    if not held or held == {role}:
        return
    if role in SEPARATED_ROLES or held & SEPARATED_ROLES:
        raise ValidationError(
            {
                "role": _(
                    "Administrator, security officer and auditor are separate duties: "
                    "a person who holds one of them may hold no other role."
                )
            }
        )


def _check_granter(actor, user: User, area) -> None:
    """A security officer grants only inside their own grant area, and never to themself."""
    if actor is None:
        return
    _require(actor, "grants.manage")
    if actor.pk == user.pk:
        raise PermissionDenied(_("Nobody may change their own roles."))
    if not covers(actor, area, "grants.manage"):
        raise PermissionDenied(_("This area is outside your own grant."))


@transaction.atomic
def grant_create(
    *, actor, user: User, role: str, area, organisation=None, starts_on=None, ends_on=None
) -> Grant:
    """Give `user` a role over `area`. The security officer grants roles (三权分立), except when
    the deployment is being set up from the command line (actor None)."""
    _check_granter(actor, user, area)
    User.objects.select_for_update().get(pk=user.pk)
    Role(role)  # unknown roles fail loudly
    _check_separation(user, role)
    if role == Role.DEPARTMENT_STAFF and organisation is None:
        raise ValidationError({"organisation": _("Department staff need their department.")})
    grant = Grant(
        user=user,
        role=role,
        area=area,
        organisation=organisation,
        granted_by=actor if actor is not None else None,
    )
    if starts_on:
        grant.starts_on = starts_on
    if ends_on is not None and ends_on < grant.starts_on:
        raise ValidationError({"ends_on": _("The end date cannot be before the start date.")})
    grant.ends_on = ends_on
    grant.save()
    audit.record_change(actor=actor, obj=grant, before=None, after=audit.snapshot(grant))
    _forget_grants(user)
    return grant


@transaction.atomic
def grant_end(*, actor, grant: Grant) -> Grant:
    """End a grant now. The end date is inclusive, so it becomes yesterday: ending today would
    leave the role working until midnight."""
    grant = Grant.objects.select_for_update().select_related("user", "area").get(pk=grant.pk)
    _check_granter(actor, grant.user, grant.area)
    today = timezone.localdate()
    if grant.ends_on is not None and grant.ends_on < today:
        raise ValidationError(_("This grant has already ended."))
    before = audit.snapshot(grant)
    grant.ends_on = today - dt.timedelta(days=1)
    grant.save(update_fields=["ends_on"])
    audit.record_change(actor=actor, obj=grant, before=before, after=audit.snapshot(grant))
    _forget_grants(grant.user)
    return grant


# --- lockouts -------------------------------------------------------------------------------


@transaction.atomic
def account_unlock(*, actor, username: str, addresses: list[str] | None = None) -> int:
    """解锁 — clear django-axes' failed attempts for `username` at every address, so the person
    can log in again before the cool-off ends. Returns how many attempt records were cleared."""
    _require(actor, "accounts.unlock")
    cleared = axes_reset(username=username)
    if cleared:
        account = User.objects.filter(username=username).first()
        audit.record(
            action=AuditAction.UPDATE,
            actor=actor,
            obj=account,
            object_type="" if account else "accounts.user",
            object_repr="" if account else username[:200],
            changes={
                "before": {"locked_addresses": sorted(addresses or [])},
                "after": {"locked_addresses": []},
            },
        )
    return cleared


# --- API tokens -----------------------------------------------------------------------------


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_issue(*, actor, user: User, name: str, expires_at=None) -> tuple[ApiToken, str]:
    """Returns the token record and the key, which is shown once and never stored."""
    _require(actor, "accounts.manage")
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Please name the token after what will use it.")})
    key = "lk_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[3:11], key_hash=_hash_key(key), expires_at=expires_at
    )
    audit.record_change(
        actor=actor, obj=token, before=None, after=audit.snapshot(token, exclude=("key_hash",))
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, actor, token: ApiToken) -> ApiToken:
    """Revoke 吊销 a token: from the next request on, the API answers it with 401."""
    _require(actor, "accounts.manage")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked:
        raise ValidationError(_("This token has already been revoked."))
    token.revoked = True
    token.save(update_fields=["revoked"])
    audit.record_change(actor=actor, obj=token, before={"revoked": False}, after={"revoked": True})
    return token


def api_token_user(key: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash_key(key), revoked=False)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.expires_at and token.expires_at < now:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
