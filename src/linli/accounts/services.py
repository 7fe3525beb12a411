"""Writes to accounts: users, grants, API tokens, lockouts. Each in one transaction, audited.

Who may do what follows 三权分立: the administrator manages accounts (and issues API tokens for
system accounts only), the security officer grants roles and unlocks locked accounts, the auditor
reads the trail; a person changes their own password and issues their own API tokens, so nobody
holds another person's credentials. A call with `actor=None` comes from the command line setting
a deployment up, and is not checked.
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
from linli.core.choices import AuditAction, AuditOutcome
from linli.core.scoping import covers
from linli.core.validators import check_text_fields

from .models import ApiToken, Grant, User
from .roles import PERSONAL_ROLES, SEPARATED_ROLES, Role

SECRETS = ("password", "key_hash")  # hashes the audit trail never holds


def _require(actor: User | None, perm: str) -> None:
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


def _check_password(password: str, user: User, field: str = "password") -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({field: error.error_list}) from error


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    display_name: str = "",
    check_password: bool = True,
    must_change_password: bool | None = None,
    password_hash: str = "",
) -> User:
    """A new account with no role: roles come from the security officer's grants.

    An account an administrator creates in the application must change the password they typed
    at its first login; one created from the command line (`createadmin`, the demo) need not,
    unless `must_change_password` says otherwise. `password_hash`, from `make_password`, stands
    for `password` where many accounts share one (the demo's logins): hashing is slow on
    purpose, and once is enough."""
    _require(actor, "accounts.manage")
    _check_username(username)
    if must_change_password is None:
        must_change_password = actor is not None
    user = User(
        username=username, display_name=display_name, must_change_password=must_change_password
    )
    check_text_fields(user, names=("display_name",))
    if password_hash:
        user.password = password_hash
    else:
        if check_password:
            _check_password(password, user)
        user.set_password(password)
    user.save()
    audit.record_created(actor=actor, obj=user, exclude=SECRETS)
    return user


@transaction.atomic
def system_account_create(*, actor: User | None, username: str, display_name: str = "") -> User:
    """系统账号 — an account for another system (a 12345 gateway, an Open311 client). It has no
    password, so nobody logs in with it; it works only through the API tokens the administrator
    issues for it, and it holds no personal role."""
    _require(actor, "accounts.manage")
    _check_username(username)
    user = User(username=username, display_name=display_name, is_system_account=True)
    user.set_unusable_password()
    user.save()
    audit.record_created(actor=actor, obj=user, exclude=SECRETS)
    return user


@transaction.atomic
def user_set_active(*, actor: User | None, user: User, active: bool) -> User:
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
    change = audit.audited_change(actor=actor, obj=user, exclude=SECRETS)
    user.is_active = active
    user.save(update_fields=["is_active"])
    change.record()
    return user


# --- passwords ------------------------------------------------------------------------------


def password_change(*, actor: User, current_password: str, new_password: str) -> User:
    """修改密码 — a person changes their own password, under the password rules. A wrong current
    password changes nothing and is recorded as a failure."""
    if actor.is_system_account or not actor.has_usable_password():
        raise PermissionDenied
    if not actor.check_password(current_password):
        audit.record(
            action=AuditAction.UPDATE,
            outcome=AuditOutcome.FAILURE,
            actor=actor,
            obj=actor,
            changes={"field": "password"},
        )
        raise ValidationError(
            {"current_password": _("The current password is wrong.")}, code="wrong"
        )
    if new_password == current_password:
        raise ValidationError(
            {"new_password": _("The new password must differ from the current one.")},
            code="same",
        )
    return _set_password(actor=actor, user=actor, password=new_password, must_change=False)


def _check_password_reset(actor: User | None, user: User) -> None:
    _require(actor, "accounts.manage")
    if actor is not None and actor.pk == user.pk:
        raise PermissionDenied(_("Change your own password on the password page."))
    if user.is_system_account:
        raise ValidationError(_("A system account has no password."))
    if actor is not None and user.roles & (SEPARATED_ROLES - {Role.ADMINISTRATOR}):
        # 三权分立: the administrator must not be able to log in as the people who watch them.
        raise ValidationError(
            _("Security officer and auditor accounts are managed from the command line only.")
        )


def password_reset_allowed(*, actor: User | None, user: User) -> bool:
    """Whether `actor` may reset `user`'s password (for showing the form)."""
    try:
        _check_password_reset(actor, user)
    except (PermissionDenied, ValidationError):
        return False
    return True


def user_password_reset(*, actor: User | None, user: User, password: str) -> User:
    """重置密码 — the administrator gives a person a new initial password, which the person must
    change at their next login. Their open sessions end with the old password."""
    _check_password_reset(actor, user)
    return _set_password(actor=actor, user=user, password=password, must_change=True)


@transaction.atomic
def _set_password(*, actor: User | None, user: User, password: str, must_change: bool) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    field = "password" if must_change else "new_password"
    _check_password(password, user, field)
    change = audit.audited_change(actor=actor, obj=user, exclude=SECRETS)
    user.set_password(password)
    user.must_change_password = must_change
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    change.record()
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


def _check_granter(actor: User | None, user: User, area) -> None:
    """A security officer grants only inside their own grant area, and never to themself."""
    if actor is None:
        return
    _require(actor, "grants.manage")
    if actor.pk == user.pk:
        raise PermissionDenied(_("Nobody may change their own roles."))
    if not covers(actor, area, "grants.manage"):
        raise PermissionDenied(_("This area is outside your own grant."))


_grant_listeners: list = []


def when_granted(listener):
    """Register `listener(grant)`, called inside the transaction of every new grant: modules
    whose work waits for someone to hold a role (outreach tasks nobody was responsible for)
    register one in their AppConfig.ready and queue a job for it if there is work to do."""
    if listener not in _grant_listeners:
        _grant_listeners.append(listener)
    return listener


@transaction.atomic
def grant_create(
    *,
    actor: User | None,
    user: User,
    role: str,
    area,
    organisation=None,
    starts_on=None,
    ends_on=None,
) -> Grant:
    """Give `user` a role over `area`. The security officer grants roles (三权分立), except when
    the deployment is being set up from the command line (actor None)."""
    _check_granter(actor, user, area)
    User.objects.select_for_update().get(pk=user.pk)
    Role(role)  # unknown roles fail loudly
    if user.is_system_account and role in PERSONAL_ROLES:
        raise ValidationError(
            {
                "role": _(
                    "A system account holds no personal role: it acts for a system, not a person."
                )
            }
        )
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
    audit.record_created(actor=actor, obj=grant)
    _forget_grants(user)
    for listener in _grant_listeners:
        listener(grant)
    return grant


@transaction.atomic
def grant_end(*, actor: User | None, grant: Grant) -> Grant:
    """End a grant now. The end date is inclusive, so it becomes yesterday: ending today would
    leave the role working until midnight."""
    grant = Grant.objects.select_for_update().select_related("user", "area").get(pk=grant.pk)
    _check_granter(actor, grant.user, grant.area)
    today = timezone.localdate()
    if grant.ends_on is not None and grant.ends_on < today:
        raise ValidationError(_("This grant has already ended."))
    change = audit.audited_change(actor=actor, obj=grant)
    grant.ends_on = today - dt.timedelta(days=1)
    grant.save(update_fields=["ends_on"])
    change.record()
    _forget_grants(grant.user)
    return grant


# --- lockouts -------------------------------------------------------------------------------


@transaction.atomic
def account_unlock(*, actor: User | None, username: str, addresses: list[str] | None = None) -> int:
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


def _check_token_issuer(actor: User | None, user: User) -> None:
    """A person issues tokens for themselves; the administrator only for system accounts, which
    act for a system and never as a person (三权分立: nobody holds another's credentials)."""
    if actor is None:
        return
    if actor.pk == user.pk:
        if not actor.is_staff_member:
            raise PermissionDenied(_("API tokens are for staff and system accounts."))
        return
    _require(actor, "accounts.manage")
    if not user.is_system_account:
        raise PermissionDenied(
            _("Tokens for a person are issued by that person; you issue them for system accounts.")
        )


@transaction.atomic
def api_token_issue(
    *, actor: User | None, user: User, name: str, expires_at=None
) -> tuple[ApiToken, str]:
    """Returns the token record and the key, which is shown once and never stored."""
    _check_token_issuer(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise ValidationError(_("Reactivate the account to issue a token."))
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Please name the token after what will use it.")})
    key = "lk_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[3:11],
        key_hash=_hash_key(key),
        expires_at=expires_at,
        issued_by=actor,
    )
    audit.record_created(actor=actor, obj=token, exclude=SECRETS)
    return token, key


@transaction.atomic
def api_token_revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    """Revoke 吊销 a token: from the next request on, the API answers it with 401. Its owner
    may revoke it, and so may the administrator, whoever's it is."""
    if actor is not None and actor.pk != token.user_id:
        _require(actor, "accounts.manage")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked:
        raise ValidationError(_("This token has already been revoked."))
    change = audit.audited_change(actor=actor, obj=token, exclude=SECRETS)
    token.revoked = True
    token.save(update_fields=["revoked"])
    change.record()
    return token


def api_token_find(key: str) -> ApiToken | None:
    """The token this key belongs to, with its user, if it works now: not revoked, not expired,
    its account active. Notes when it was last used (at most every five minutes)."""
    # A resident's own person and home come with the user (one join, not two queries on every
    # request of theirs: scoping reads where their household lies).
    tokens = ApiToken.objects.select_related("user__resident_record__household__area")
    token = api_tokens_of_key(tokens, key).first()
    return token if token is not None and api_token_works(token) else None


def api_tokens_of_key(tokens, key: str, prefix: str = ""):
    """`tokens` (or rows reaching a token through `prefix`, such as "token__") narrowed to the
    unrevoked token of this key: one indexed look-up by the key's hash."""
    return tokens.filter(**{f"{prefix}key_hash": _hash_key(key), f"{prefix}revoked": False})


def api_token_works(token: ApiToken) -> bool:
    """Whether the token found for a key works now (its account active, not expired); notes
    when it was last used, at most every five minutes."""
    if not token.user.is_active:
        return False
    now = timezone.now()
    if token.expires_at and token.expires_at < now:
        return False
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return True
