"""Background jobs of the shared kernel."""

from __future__ import annotations

from django_tasks import task


@task()
def send_notifications() -> int:
    """Send the notifications waiting in the outbox (通知发送); returns how many were sent."""
    from .senders import send_pending

    return send_pending()
