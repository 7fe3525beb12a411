"""Masking 脱敏 — the one place personal values are hidden, for pages, API, exports and logs.

`mask(value, kind)` is the function everything calls; the per-kind helpers exist only so
templates and tests can name what they mean.
"""

from __future__ import annotations

import logging
import re

ID_NUMBER = "id_number"
MOBILE = "mobile"
NAME = "name"


def mask_id_number(value: str | None) -> str:
    """370702199001011234 → 370702********1234 (area code and last four stay readable)."""
    if not value:
        return ""
    value = str(value)
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_mobile(value: str | None) -> str:
    """13812345678 → 138****5678."""
    if not value:
        return ""
    value = str(value)
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """张三丰 → 张** (family name stays, so staff can still address the person)."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)


_MASKERS = {ID_NUMBER: mask_id_number, MOBILE: mask_mobile, NAME: mask_name}


def mask(value: str | None, kind: str) -> str:
    return _MASKERS[kind](value)


# An 18-character ID (17 digits + digit or X) or an 11-digit mainland mobile number,
# not glued to other digits. Used to scrub free text such as log lines.
_ID_IN_TEXT = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def mask_text(text: str) -> str:
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), text)
    return _MOBILE_IN_TEXT.sub(lambda m: mask_mobile(m.group(0)), text)


class MaskingLogFilter(logging.Filter):
    """Scrubs ID and mobile numbers out of every log line, whatever logged them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        # A traceback can carry values too (e.g. a database error quoting a duplicate ID).
        # Formatters reuse `exc_text` when it is set, so setting it masked is enough.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True
