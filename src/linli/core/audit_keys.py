"""Audit keys 审计密钥: the secrets that sign the audit trail, kept outside the database.

Each key is a file `<id>.key` in the key folder (`LINLI_AUDIT_KEY_DIR`, by default
`audit_keys/` in the data folder), 32 random bytes written as hex, readable by Linli's account
only. Nothing in the database can stand in for them: someone who can write the database but has
not read this folder cannot sign a record or a checkpoint.

Keys are numbered from 1. The chain head names the key in force; older keys stay in the folder
so that the records they signed can still be checked. Id 0 means "no key": the plain SHA-256
records written before keys existed.

From one key four keys are derived, one per use, so that no value made for one purpose can be
passed off as another: the records' place in the chain, each record's own signature (made when
it is written, before it is chained), the personal-number fingerprints, and the checkpoint
lines.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

UNKEYED = 0
KEY_BYTES = 32
FINGERPRINT_CHARS = 16  # 64 bits: no two of a city's numbers share one
_KEY_FILE = re.compile(r"^([1-9]\d{0,5})\.key$")

CHAIN = b"linli audit chain"
RECORD = b"linli audit record"
FINGERPRINT = b"linli audit fingerprint"
CHECKPOINT = b"linli audit checkpoint"


class AuditKeyMissing(ImproperlyConfigured):
    """A key the trail needs is not in the key folder (lost, or not copied to this machine)."""


@dataclass(frozen=True)
class Keyring:
    """The keys found in one key folder, by id, and the folder's modification time then."""

    folder: Path
    keys: dict[int, bytes]
    stamp: int | None = None

    @property
    def newest(self) -> int:
        return max(self.keys, default=UNKEYED)


_loaded: dict[Path, Keyring] = {}


def folder() -> Path:
    return Path(settings.LINLI_AUDIT_KEY_DIR)


def keyring(*, reload: bool = False) -> Keyring:
    """The keys of the configured folder, read once per process (again when `reload`)."""
    where = folder()
    if reload or where not in _loaded:
        _loaded[where] = Keyring(where, _read_keys(where), _stamp(where))
    return _loaded[where]


def _stamp(where: Path) -> int | None:
    try:
        return where.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def _read_keys(where: Path) -> dict[int, bytes]:
    if not where.is_dir():
        return {}
    keys = {}
    for path in where.iterdir():
        if match := _KEY_FILE.match(path.name):
            try:
                keys[int(match.group(1))] = bytes.fromhex(path.read_text().strip())
            except ValueError as e:
                raise ImproperlyConfigured(
                    _("%(path)s is not an audit key (hex digits expected).") % {"path": path}
                ) from e
    return keys


def key(key_id: int) -> bytes:
    """Key `key_id`; the folder is read again if it changed since it was read (another
    process may have made a key), then AuditKeyMissing."""
    ring = keyring()
    if key_id not in ring.keys and _stamp(ring.folder) != ring.stamp:
        ring = keyring(reload=True)
    if key_id not in ring.keys:
        raise AuditKeyMissing(
            _(
                "Audit key %(key)d is not in %(folder)s. Restore the key folder from its "
                "backup, or copy it from the machine where the key was made."
            )
            % {"key": key_id, "folder": ring.folder}
        )
    return ring.keys[key_id]


def create_key() -> int:
    """Write a new key, numbered after the newest in the folder; returns its id. Two processes
    creating one at once get two different ids (the file is created exclusively)."""
    where = folder()
    if not where.exists():
        where.mkdir(parents=True, mode=0o700)
    while True:
        key_id = keyring(reload=True).newest + 1
        try:
            descriptor = os.open(
                where / f"{key_id}.key", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600
            )
        except FileExistsError:
            continue
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_hex(KEY_BYTES) + "\n")
        keyring(reload=True)
        return key_id


def newest_or_new() -> int:
    """The newest key in the folder, made first if there is none (a new installation)."""
    return keyring().newest or keyring(reload=True).newest or create_key()


@functools.lru_cache(maxsize=64)
def _derived(secret: bytes, purpose: bytes) -> bytes:
    return hmac.new(secret, purpose, hashlib.sha256).digest()


def sign(key_id: int, purpose: bytes, message: bytes) -> str:
    """HMAC-SHA256 of `message` with the key derived from key `key_id` for `purpose`, as hex."""
    return hmac.new(_derived(key(key_id), purpose), message, hashlib.sha256).hexdigest()


def fingerprint(value: str, kind: str, key_id: int) -> str:
    """指纹 — a keyed fingerprint of a personal number: equal for equal numbers under one key,
    and without the key no number can be tried against it."""
    return sign(key_id, FINGERPRINT, f"{kind}:{value}".encode())[:FINGERPRINT_CHARS]
