"""Idempotent API writes 幂等写入: the same `Idempotency-Key` from the same user runs once.

An integration that times out and retries a POST must not register a household twice. The
client sends a key of its choosing with each write; the first request with that key runs and its
response is stored in the same transaction as the write, so either both are kept or neither is.
A retry with the same key and the same request gets the stored response back, marked with the
`Idempotent-Replayed: true` header. Reusing a key for a different request is refused.

Only successful responses are stored: a request that failed changed nothing, so the client
may fix it and send it again under the same key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .actors import Actor
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
KEY_PATTERN = r"^[A-Za-z0-9_.:\-]{1,100}$"
KEEP_FOR = dt.timedelta(hours=24)  # after that a key may be used afresh

_KEY = re.compile(KEY_PATTERN)

Outcome = tuple[int, dict]


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def _key_error(message: str) -> ValidationError:
    return ValidationError({HEADER: message})


def _stored(user: Actor, key: str) -> IdempotencyKey | None:
    """The live stored response for this user and key; an expired one is dropped."""
    entry = IdempotencyKey.objects.filter(user_id=user.pk, key=key).first()
    if entry is not None and entry.created_at < timezone.now() - KEEP_FOR:
        entry.delete()
        return None
    return entry


def _replay(entry: IdempotencyKey, fingerprint: str) -> Outcome:
    if entry.request_hash != fingerprint:
        raise _key_error(_("This key was already used for a different request."))
    return entry.status, entry.body


def run(
    *,
    user: Actor,
    key: str | None,
    method: str,
    path: str,
    body: bytes,
    write: Callable[[], Outcome],
) -> tuple[int, dict, bool]:
    """Run `write` once per (user, key). Returns (status, body, replayed)."""
    if not key:
        return (*write(), False)
    if not _KEY.match(key):
        raise _key_error(
            _("Use 1 to 100 letters, digits and the characters _ . : - (a UUID is a good key).")
        )
    fingerprint = request_fingerprint(method, path, body)
    try:
        with transaction.atomic():
            entry = _stored(user, key)
            if entry is not None:
                return (*_replay(entry, fingerprint), True)
            status, payload = write()
            if 200 <= status < 300:
                IdempotencyKey.objects.create(
                    user_id=user.pk,
                    key=key,
                    method=method[:8],
                    path=path[:255],
                    request_hash=fingerprint,
                    status=status,
                    body=payload,
                )
            return status, payload, False
    except IntegrityError:
        # A concurrent request with the same key committed first; this one rolled back whole.
        entry = _stored(user, key)
        if entry is None:
            raise
        return (*_replay(entry, fingerprint), True)
