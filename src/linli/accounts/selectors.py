"""Reads for the account pages: users, their grants and API tokens, locked-out accounts.

Users and grants belong to the whole deployment rather than to an area, so what a reader sees
is decided by permission: administrators (accounts.manage) and security officers
(grants.manage) see every user; a security officer grants only areas inside their own grant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from linli.core.models import Area
from linli.core.scoping import OutOfScope, ScopeSpec, scope_filter

from .models import ApiToken, Grant, User
from .roles import Role

# The areas a security officer may grant: the area tree under their grants.manage grants.
_GRANTABLE_AREAS = ScopeSpec(family="grants", area_path="path")
_GRANTABLE_ORGANISATIONS = ScopeSpec(family="grants", area_path="area__path")

USER_READERS = ("accounts.manage", "grants.manage")


def _require_any(user: User, perms) -> None:
    if not any(user.has_permission(p) for p in perms):
        raise PermissionDenied


def current_grants_q(prefix: str = "") -> Q:
    """Grants in force today (the same rule as `User.active_grants`)."""
    today = timezone.localdate()
    return Q(**{f"{prefix}starts_on__lte": today}) & (
        Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": today})
    )


# --- users ----------------------------------------------------------------------------------


def user_list(*, user: User, filters) -> QuerySet[User]:
    """Every account, searched by user name or display name (`q`) and filtered by a role held
    today (`role`); each carries `current_grants` (with their areas) in a fixed number of
    queries however many users the page shows."""
    _require_any(user, USER_READERS)
    users = User.objects.order_by("username")
    q = (filters.get("q") or "").strip()
    if q:
        users = users.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    role = filters.get("role") or ""
    if role in Role.values:
        users = users.filter(
            pk__in=Grant.objects.filter(current_grants_q(), role=role).values("user_id")
        )
    in_force = Grant.objects.filter(current_grants_q()).select_related("area")
    return users.prefetch_related(Prefetch("grants", queryset=in_force, to_attr="current_grants"))


def user_get(*, user: User, pk, perms=USER_READERS) -> User:
    _require_any(user, perms)
    found = User.objects.filter(pk=pk).first()
    if found is None:
        raise OutOfScope(User, pk)
    return found


# --- grants ---------------------------------------------------------------------------------


def grant_list(*, user: User, target: User) -> list[Grant]:
    """All of `target`'s grants, newest first, each marked `in_force` / `ended` and
    `can_end` (still running, and inside the reader's own grant area)."""
    _require_any(user, ("grants.manage",))
    today = timezone.localdate()
    paths = tuple(user.scope_paths("grants.manage"))
    grants = list(
        Grant.objects.filter(user=target)
        .select_related("area", "organisation", "granted_by")
        .order_by("-starts_on", "-pk")
    )
    for grant in grants:
        grant.ended = grant.ends_on is not None and grant.ends_on < today
        grant.in_force = not grant.ended and grant.starts_on <= today
        grant.can_end = (
            not grant.ended and user.pk != target.pk and grant.area.path.startswith(paths)
        )
    return grants


def grant_get(*, user: User, pk) -> Grant:
    _require_any(user, ("grants.manage",))
    grant = Grant.objects.select_related("user", "area").filter(pk=pk).first()
    if grant is None:
        raise OutOfScope(Grant, pk)
    return grant


def grantable_areas(*, user: User) -> QuerySet[Area]:
    """The areas `user` may grant roles over: inside their own grants.manage grants."""
    condition = scope_filter(user, _GRANTABLE_AREAS, "manage")
    if condition is None:
        return Area.objects.none()
    return Area.objects.filter(condition).order_by("path")


def grantable_organisations(*, user: User):
    from linli.registry.models import Organisation

    condition = scope_filter(user, _GRANTABLE_ORGANISATIONS, "manage")
    if condition is None:
        return Organisation.objects.none()
    return Organisation.objects.filter(condition).select_related("area").order_by("kind", "name")


# --- API tokens -----------------------------------------------------------------------------


def _with_status(tokens) -> list[ApiToken]:
    now = timezone.now()
    tokens = list(tokens)
    for token in tokens:
        if token.revoked:
            token.status = "revoked"
        elif token.expires_at is not None and token.expires_at < now:
            token.status = "expired"
        else:
            token.status = "active"
    return tokens


def _tokens_of(target: User):
    return (
        ApiToken.objects.filter(user=target)
        .select_related("issued_by")
        .order_by("-created_at", "-pk")
    )


def api_token_list(*, user: User, target: User) -> list[ApiToken]:
    """`target`'s API tokens, newest first, each with its `status` (active/expired/revoked),
    for the administrator (who may revoke any of them)."""
    _require_any(user, ("accounts.manage",))
    return _with_status(_tokens_of(target))


def api_token_get(*, user: User, pk) -> ApiToken:
    _require_any(user, ("accounts.manage",))
    token = ApiToken.objects.select_related("user").filter(pk=pk).first()
    if token is None:
        raise OutOfScope(ApiToken, pk)
    return token


def own_api_token_list(*, user: User) -> list[ApiToken]:
    """我的接口令牌 — the reader's own tokens, newest first, each with its `status`."""
    return _with_status(_tokens_of(user))


def own_api_token_get(*, user: User, pk) -> ApiToken:
    """One of the reader's own tokens; anyone else's is not found (404), not refused."""
    token = ApiToken.objects.select_related("user").filter(pk=pk, user=user).first()
    if token is None:
        raise OutOfScope(ApiToken, pk)
    return token


# --- locked-out accounts --------------------------------------------------------------------


@dataclass
class LockedAccount:
    """An account django-axes currently refuses, with where the failures came from."""

    username: str
    account: User | None = None
    addresses: list[str] = field(default_factory=list)
    failures: int = 0
    last_attempt: object = None
    unlocks_at: object = None


def locked_out_list(*, user: User) -> list[LockedAccount]:
    """User names (and their addresses) that reached the failure limit within the cool-off.

    A lock is per user name *and* address (settings.AXES_LOCKOUT_PARAMETERS); this groups the
    locks by user name, because unlocking clears the name at every address."""
    _require_any(user, ("accounts.unlock",))
    attempts = AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT, username__isnull=False
    ).exclude(username="")
    cool_off = get_cool_off()
    if cool_off is not None:
        attempts = attempts.filter(attempt_time__gt=timezone.now() - cool_off)
    locked: dict[str, LockedAccount] = {}
    for attempt in attempts.order_by("username", "-attempt_time"):
        entry = locked.setdefault(attempt.username, LockedAccount(username=attempt.username))
        if attempt.ip_address and attempt.ip_address not in entry.addresses:
            entry.addresses.append(attempt.ip_address)
        entry.failures += attempt.failures_since_start
        if entry.last_attempt is None or attempt.attempt_time > entry.last_attempt:
            entry.last_attempt = attempt.attempt_time
            entry.unlocks_at = attempt.attempt_time + cool_off if cool_off else None
    accounts = User.objects.in_bulk(list(locked), field_name="username")
    for entry in locked.values():
        entry.account = accounts.get(entry.username)
    return list(locked.values())
