"""Audit checkpoints 审计检查点: the chain's tip, written down outside the database.

Every hour (the periodic job `core.audit_checkpoint`) and after every `verify` that found the
chain intact, one line goes to the checkpoint file (`LINLI_AUDIT_CHECKPOINT_FILE`, by default
`audit-checkpoints.log` in the data folder) and the same line to the log:

    2026-11-28T10:00:00+08:00 linli-audit-checkpoint seq=1234 hash=3f9a0c1b-… key=2 mac=…

It names the last record, its hash and the key that signs the line. `verify` compares the chain
with every line: records deleted from the end, or a record rewritten since a checkpoint saw it,
no longer match. Hashes are written in groups of eight so that the log's masking of personal
numbers can never take a run of digits in them for a mobile or ID number.

A line is read wherever it stands in a text line, so a copy kept by syslog or journald (with
their own prefix) can be handed to `linli audit verify --checkpoints FILE` as it is.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit_keys

logger = logging.getLogger("linli.audit")

MARK = "linli-audit-checkpoint"
_LINE = re.compile(
    rf"(?P<at>\S+) {MARK} seq=(?P<seq>\d+) hash=(?P<hash>[0-9a-f-]+) key=(?P<key>\d+) "
    r"mac=(?P<mac>[0-9a-f-]+)"
)


@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint: at `at`, the chain ended at record `seq` with hash `hash`."""

    at: str
    seq: int
    hash: str
    key_id: int
    line: int = 0  # where it was read (1-based), 0 for one just made

    def body(self) -> str:
        return f"{self.at} {MARK} seq={self.seq} hash={_grouped(self.hash)} key={self.key_id}"

    def signature(self) -> str:
        return audit_keys.sign(self.key_id, audit_keys.CHECKPOINT, self.body().encode())

    def text(self) -> str:
        return f"{self.body()} mac={_grouped(self.signature())}"


def _grouped(hex_digits: str) -> str:
    return "-".join(hex_digits[i : i + 8] for i in range(0, len(hex_digits), 8))


def default_file() -> Path:
    return Path(settings.LINLI_AUDIT_CHECKPOINT_FILE)


def append(*, seq: int, hash: str, key_id: int) -> Checkpoint:
    """Write one checkpoint line to the checkpoint file (flushed to disk) and to the log."""
    at = timezone.localtime().isoformat(timespec="seconds")
    checkpoint = Checkpoint(at=at, seq=seq, hash=hash, key_id=key_id)
    line = checkpoint.text()
    path = default_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    # One write of one short line in append mode: lines from several processes never mix.
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, (line + "\n").encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    logger.info("%s", line)
    return checkpoint


def set_aside() -> Path | None:
    """Rename the checkpoint file for a database that was deleted on purpose (`linli demo
    --rebuild`): its lines describe a chain that is gone. Returns the new name, if any."""
    path = default_file()
    if not path.exists():
        return None
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.{stamp}")
    path.rename(aside)
    return aside


@dataclass
class Reading:
    """The checkpoints read from one file, and the lines that could not be trusted."""

    path: Path
    checkpoints: list[Checkpoint]
    problems: list[str]


def read(path: Path | None = None) -> Reading:
    """Every checkpoint of `path` (the configured file by default) whose signature holds; a line
    that names the mark but does not parse or verify is a problem. A missing file has none."""
    path = path or default_file()
    reading = Reading(path=path, checkpoints=[], problems=[])
    if not path.exists():
        return reading
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, text in enumerate(lines, start=1):
            if MARK not in text:
                continue
            checkpoint, problem = _parse(text, number, path)
            if checkpoint is not None:
                reading.checkpoints.append(checkpoint)
            else:
                reading.problems.append(problem)
    return reading


def _parse(text: str, number: int, path: Path) -> tuple[Checkpoint | None, str]:
    where = {"file": path, "line": number}
    match = _LINE.search(text)
    if match is None:
        return None, _("%(file)s, line %(line)d: not a checkpoint line Linli wrote.") % where
    checkpoint = Checkpoint(
        at=match["at"],
        seq=int(match["seq"]),
        hash=match["hash"].replace("-", ""),
        key_id=int(match["key"]),
        line=number,
    )
    try:
        expected = checkpoint.signature()
    except audit_keys.AuditKeyMissing:
        return None, _(
            "%(file)s, line %(line)d: signed with audit key %(key)d, which is not in the key "
            "folder; it cannot be checked."
        ) % (where | {"key": checkpoint.key_id})
    if not hmac.compare_digest(expected, match["mac"].replace("-", "")):
        return None, _(
            "%(file)s, line %(line)d: its signature does not hold (the line was edited or "
            "written without the audit key)."
        ) % where
    return checkpoint, ""
