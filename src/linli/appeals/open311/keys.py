"""Open311 keys 接口密钥: issued and revoked by the administrator.

A key belongs to a system account 系统账号 (a 12345 hotline gateway, an Open311 client) and is
one of its API tokens (`accounts.services.api_token_issue`: only the SHA-256 is stored, the key
is shown once), tied to the channel its appeals are raised through (`open311` or `hotline`).
A system account holds no grants, so it never acts as a handler: the Open311 layer checks the
key and its channel, then raises the appeal as a trusted gateway (`appeal_create(actor=None)`)
with the request's audit source naming the key's token, and records the post itself under the
key's account.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from linli.accounts import services as account_services
from linli.accounts.models import ApiToken, User
from linli.core import audit
from linli.core.actors import Actor

from ..choices import AppealChannel
from ..models import Open311Intake, Open311Key

KEY_CHANNELS = (AppealChannel.OPEN311, AppealChannel.HOTLINE)
MANAGE = "accounts.manage"


def _require_manager(actor: Actor | None) -> None:
    if actor is not None and not actor.has_permission(MANAGE):
        raise PermissionDenied


@transaction.atomic
def key_issue(
    *, actor: User | None, account: User, channel: str, name: str = ""
) -> tuple[Open311Key, str]:
    """A new key for the system account `account`, raising appeals through `channel`. Returns
    the key record and the key itself, which is shown once and never stored."""
    _require_manager(actor)
    if not account.is_system_account:
        raise ValidationError({"account": _("Open311 keys are issued to system accounts only.")})
    if channel not in KEY_CHANNELS:
        raise ValidationError({"channel": _("Choose the channel: Open311 or the 12345 hotline.")})
    name = (name or "").strip() or f"Open311 ({channel})"
    token, secret = account_services.api_token_issue(actor=actor, user=account, name=name)
    key = Open311Key.objects.create(token=token, channel=channel)
    audit.record_created(actor=actor, obj=key)
    return key, secret


@transaction.atomic
def key_revoke(*, actor: User | None, key: Open311Key) -> Open311Key:
    """Revoke the key (its token): from the next request on, a post with it is refused (403)."""
    _require_manager(actor)
    account_services.api_token_revoke(actor=actor, token=key.token)
    key.token.refresh_from_db()
    return key


def key_find(secret: str) -> Open311Key | None:
    """The key this secret belongs to if it works now (not revoked, not expired, its system
    account active), with its token and account; None otherwise."""
    if not isinstance(secret, str) or not secret.startswith("lk_") or len(secret) > 200:
        return None
    key = (
        account_services.api_tokens_of_key(
            Open311Key.objects.select_related("token__user"), secret, prefix="token__"
        )
        .filter(token__user__is_system_account=True)
        .first()
    )
    if key is None or not account_services.api_token_works(key.token):
        return None
    return key


def key_list() -> list[Open311Key]:
    """Every key, newest first, with how many posts it brought (`posts`) and how many of them
    wait in the intake queue (`waiting`) or could not be raised (`refused`)."""
    waiting, refused = Open311Intake.State.WAITING, Open311Intake.State.REFUSED
    return list(
        Open311Key.objects.select_related("token__user", "token__issued_by")
        .annotate(
            posts=Count("intakes"),
            waiting=Count("intakes", filter=Q(intakes__state=waiting)),
            refused=Count("intakes", filter=Q(intakes__state=refused)),
        )
        .order_by("-created_at", "-id")
    )


def key_get(pk) -> Open311Key | None:
    return Open311Key.objects.select_related("token__user").filter(pk=pk).first()


__all__ = ["ApiToken", "key_find", "key_get", "key_issue", "key_list", "key_revoke"]
