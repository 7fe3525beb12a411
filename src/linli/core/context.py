"""Where the current action comes from (address, channel), for the audit trail.

Set once per request by `RequestContextMiddleware` and per command by the CLI, so services
record it without every caller passing it along.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class ActionContext:
    address: str = ""
    channel: str = "system"
    source: str = ""  # e.g. an import's name, so its changes can be traced back to it


_current: contextvars.ContextVar[ActionContext] = contextvars.ContextVar(
    "linli_action_context",
    default=ActionContext(),  # noqa: B039 (frozen dataclass)
)


def current() -> ActionContext:
    return _current.get()


@contextmanager
def acting(*, address: str = "", channel: str = "system", source: str = ""):
    token = _current.set(ActionContext(address=address, channel=channel, source=source))
    try:
        yield
    finally:
        _current.reset(token)


# The source of what is done with an API token: "api-token:<the token's id>".
API_TOKEN_SOURCE = "api-token:"  # noqa: S105 — a label, not a secret


def using_api_token(token_id: int) -> None:
    """The rest of this request acts with API token `token_id` (接口令牌): what it records in
    the audit trail names the token as its source. Called once the token is accepted; the
    request's own `acting()` block (RequestContextMiddleware) ends it with the request."""
    _current.set(replace(_current.get(), source=f"{API_TOKEN_SOURCE}{token_id}"))


def client_address(request) -> str:
    """The client's address; behind a proxy the operator sets LINLI_PROXY_COUNT."""
    from django.conf import settings

    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", None)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")
