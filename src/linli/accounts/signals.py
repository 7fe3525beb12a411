"""Login, logout and failed logins go into the audit trail. Django's auth signals are the only
place these events surface, so this is the one use of signals here."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from linli.core import audit
from linli.core.choices import AuditAction, AuditOutcome


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    audit.record(action=AuditAction.LOGIN, actor=user, obj=user)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record(action=AuditAction.LOGOUT, actor=user, obj=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    audit.record(
        action=AuditAction.LOGIN_FAILED,
        outcome=AuditOutcome.FAILURE,
        object_type="accounts.user",
        object_repr=str(credentials.get("username", ""))[:150],
        actor_label=str(credentials.get("username", ""))[:150],
    )
