"""Photos taken with a phone and kept in the data folder (a visit's photo, a photo of a missing
document): checking what an upload is, storing it, and handing it back to whoever may see it.

A photo is told by its first bytes, never by its name or the type the browser claims: a file
renamed "证件.jpg" that is not a picture is refused. Stored photos sit under
`DATA_DIR/<folder>/` with a random name; they are not public files, so each module serves them
through a view that checks scope first (`photo_response`).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404

HEAD_BYTES = 16
# Photo types, told by their first bytes (what the file is, not what it calls itself). Phones
# hand a photo over as JPEG even where they keep HEIC (the browser converts it for an
# image/* input), and HEIC would not show in most staff browsers anyway.
PHOTO_TYPES = (
    ("jpg", "image/jpeg", lambda head: head[:3] == b"\xff\xd8\xff"),
    ("png", "image/png", lambda head: head[:8] == b"\x89PNG\r\n\x1a\n"),
    ("webp", "image/webp", lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
)
CONTENT_TYPES = frozenset(content_type for _ext, content_type, _test in PHOTO_TYPES)


class PhotoRefused(ValueError):
    """The upload is not a photo Linli keeps: `reason` is "too_large", "empty" or
    "not_a_photo"; the caller words the message for its own page."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PhotoKind:
    extension: str
    content_type: str


def photo_kind(upload, *, max_bytes: int) -> PhotoKind:
    """What the uploaded file is, checked by its size and its first bytes."""
    size = getattr(upload, "size", None)
    if not size:
        raise PhotoRefused("empty")
    if size > max_bytes:
        raise PhotoRefused("too_large")
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    for extension, content_type, matches in PHOTO_TYPES:
        if matches(head):
            return PhotoKind(extension, content_type)
    raise PhotoRefused("not_a_photo")


def photo_digest(upload) -> str:
    """SHA-256 of the file's bytes: the same photo sent twice is known as such."""
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _folder(folder: str) -> Path:
    return Path(settings.DATA_DIR) / folder


def store_photo(upload, *, folder: str, extension: str) -> str:
    """Write the upload under DATA_DIR/`folder` with a new random name; returns the name."""
    target = _folder(folder)
    target.mkdir(parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}.{extension}"
    upload.seek(0)
    with open(target / name, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return name


def remove_photo(*, folder: str, name: str) -> None:
    """Delete a stored photo (one written by a transaction that did not commit)."""
    if _safe_name(name):
        (_folder(folder) / name).unlink(missing_ok=True)


def _safe_name(name: str) -> bool:
    return bool(name) and "/" not in name and "\\" not in name and not name.startswith(".")


def photo_response(*, folder: str, name: str, content_type: str) -> FileResponse:
    """The stored photo as a response that browsers show and never sniff; 404 when there is
    none. The caller has checked that the user may see it."""
    path = _folder(folder) / name
    if not _safe_name(name) or not path.is_file():
        raise Http404
    if content_type not in CONTENT_TYPES:
        content_type = "application/octet-stream"
    response = FileResponse(path.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
