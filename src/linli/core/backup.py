"""Backups 备份: the database, the data folder's files and the audit trail's keys and checkpoints
in one dated archive, with a manifest of what it holds and each file's SHA-256.

`linli backup` writes `linli-backup-<date>-<time>.tar.gz` (readable by Linli's account only):

    database/linli.sqlite3  or  database/linli.pgdump   a consistent copy taken while Linli runs
    files/…                  every file of the data folder — visit photos, register workbooks,
                             the secret key … — except the database's own files, the backups
                             and the collected static files (made again from the package)
    audit/keys/<n>.key       the audit keys (not with `--without-keys`)
    audit/checkpoints.log    the audit checkpoint file
    manifest.json            last: Linli's version, the database's kind and migrations, rows
                             per table, the jobs running and messages waiting at the snapshot,
                             and every other member's size and SHA-256

The archive is written under a temporary name and renamed when complete, so a half-written
one never looks like a backup. The checkpoint file is copied before the database, so that its
lines only name records the copy holds. The restore side (`core.restore`) unpacks an archive
with `unpack`, which checks every member against the manifest before anything is restored.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import socket
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit, audit_checkpoints, audit_keys
from .backup_database import BackupError, Database, configured
from .choices import AuditAction

FORMAT = "linli-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FILES = "files/"
KEYS = "audit/keys/"
CHECKPOINTS = "audit/checkpoints.log"
_MEMBER_PREFIXES = ("database/", FILES, "audit/")
SECRET_KEY_FILE = "secret_key"  # noqa: S105 — the name of the generated key's file
RESTORE_STAGING_PREFIX = ".linli-restore-"  # a restore unpacks into the data folder first
_CHUNK = 1 << 20

__all__ = ["BackupError", "BackupResult", "make_backup", "unpack"]


@dataclass
class BackupResult:
    """One archive written: where, its manifest, and its size in bytes."""

    path: Path
    manifest: dict
    size: int


def linli_version() -> str:
    try:
        return metadata.version("linli")
    except metadata.PackageNotFoundError:
        return "unknown"


# --- what goes in -----------------------------------------------------------------------------


def data_folder() -> Path:
    return Path(settings.DATA_DIR).resolve()


def not_data_files(database: Database, destination: Path | None = None) -> set[Path]:
    """Paths under the data folder that are not its files: the database's own (copied apart),
    the backups, the collected static files, and the audit keys and checkpoints (their own
    members of the archive)."""
    paths = {
        Path(settings.STATIC_ROOT),
        Path(settings.LINLI_BACKUP_DIR),
        audit_keys.folder(),
        audit_checkpoints.default_file(),
    }
    if destination is not None:
        paths.add(destination)
    if database.vendor == "sqlite":
        name = str(database.settings["NAME"])
        paths |= {Path(name + suffix) for suffix in ("", "-wal", "-shm", "-journal")}
    return {p.resolve() for p in paths}


def data_files(database: Database, destination: Path | None = None):
    """(relative name, path) of every regular file in the data folder that a backup holds,
    sorted; and the names of what was left out (not a regular file, or a link to nothing).
    Symbolic links are followed — a photo folder linked to a bigger disk is backed up — each
    real folder once."""
    root, excluded = data_folder(), not_data_files(database, destination)
    found, skipped, seen = [], [], {root}
    for folder, subfolders, names in os.walk(root, followlinks=True):
        here = Path(folder)
        kept = []
        for name in sorted(subfolders):
            real = (here / name).resolve()
            if real in excluded or real in seen:
                continue
            if here == root and name.startswith(RESTORE_STAGING_PREFIX):
                continue
            seen.add(real)
            kept.append(name)
        subfolders[:] = kept
        for name in names:
            path = here / name
            if path.resolve() in excluded:
                continue
            relative = path.relative_to(root).as_posix()
            if path.is_file():
                found.append((relative, path))
            else:
                skipped.append(relative)
    return sorted(found), sorted(skipped)


def _key_files() -> list[Path]:
    folder = audit_keys.folder()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.is_symlink())


# --- writing ----------------------------------------------------------------------------------


class _Hashing:
    """A file read through SHA-256: tarfile reads it, the digest is what went in."""

    def __init__(self, raw):
        self.raw, self.digest = raw, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.digest.update(chunk)
        return chunk


def _add(tar: tarfile.TarFile, name: str, path: Path) -> dict:
    with path.open("rb") as raw:
        info = tarfile.TarInfo(name)
        stat = os.fstat(raw.fileno())
        info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), stat.st_mode & 0o777
        hashing = _Hashing(raw)
        tar.addfile(info, hashing)
    return {"name": name, "size": info.size, "sha256": hashing.digest.hexdigest()}


def _add_bytes(tar: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(content), int(timezone.now().timestamp()), 0o600
    tar.addfile(info, _Hashing(_BytesReader(content)))


class _BytesReader:
    def __init__(self, content: bytes):
        self.content, self.at = content, 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.content) if size is None or size < 0 else self.at + size
        chunk, self.at = self.content[self.at : end], min(end, len(self.content))
        return chunk


def _archive_name(destination: Path) -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    path, n = destination / f"linli-backup-{stamp}.tar.gz", 1
    while path.exists() or path.with_name(path.name + ".partial").exists():
        n += 1
        path = destination / f"linli-backup-{stamp}-{n}.tar.gz"
    return path


def _copy_checkpoints(work: Path) -> Path | None:
    source = audit_checkpoints.default_file()
    if not source.is_file():
        return None
    copy = work / "checkpoints.log"
    shutil.copyfile(source, copy)
    return copy


def make_backup(*, destination: Path | None = None, with_keys: bool = True) -> BackupResult:
    """备份 — write one archive of the database, the data folder's files and (unless
    `with_keys` is off) the audit keys, into `destination` (LINLI_BACKUP_DIR by default)."""
    database = configured()
    tools = database.tools()
    destination = Path(destination or settings.LINLI_BACKUP_DIR).resolve()
    destination.mkdir(parents=True, exist_ok=True, mode=0o700)
    final = _archive_name(destination)
    partial = final.with_name(final.name + ".partial")
    audit.seal()  # the archive's trail chained as far as it goes (later records: on restore)
    with tempfile.TemporaryDirectory(dir=destination, prefix=".linli-backup-") as folder:
        work = Path(folder)
        checkpoints = _copy_checkpoints(work)
        copy = work / "database"
        facts = database.snapshot(copy)
        try:
            manifest = _write_archive(
                partial, database, copy, checkpoints, with_keys, destination, facts, tools
            )
            os.replace(partial, final)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    result = BackupResult(path=final, manifest=manifest, size=final.stat().st_size)
    _record(result, with_keys)
    return result


def _write_archive(partial, database, copy, checkpoints, with_keys, destination, facts, tools):
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as raw:
        with tarfile.open(
            fileobj=raw, mode="w:gz", compresslevel=6, format=tarfile.PAX_FORMAT
        ) as tar:
            members = [_add(tar, database.member, copy)]
            if checkpoints is not None:
                members.append(_add(tar, CHECKPOINTS, checkpoints))
            keys = _key_files() if with_keys else []
            members += [_add(tar, KEYS + path.name, path) for path in keys]
            files, skipped = data_files(database, destination)
            for name, path in files:
                try:
                    members.append(_add(tar, FILES + name, path))
                except FileNotFoundError:  # deleted while the backup ran (a temporary file)
                    skipped.append(name)
            manifest = _manifest(database, facts, tools, members, skipped, with_keys, checkpoints)
            content = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            _add_bytes(tar, MANIFEST, content)
        raw.flush()
        os.fsync(raw.fileno())
    return manifest


def _manifest(database, facts, tools, members, skipped, with_keys, checkpoints) -> dict:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": timezone.localtime().isoformat(timespec="seconds"),
        "linli_version": linli_version(),
        "host": socket.gethostname(),
        "database": {
            "vendor": database.vendor,
            "member": database.member,
            "tools": tools,
            "snapshot_started": facts.started,
            "snapshot_finished": facts.finished,
        },
        "migrations": facts.migrations,
        "counts": facts.counts,
        "running_jobs": facts.running_jobs,
        "notifications": facts.notifications,
        "audit": {
            "last_seq": facts.audit_last_seq,
            "key_ids": facts.audit_key_ids,
            "keys_included": with_keys,
            "checkpoints_included": checkpoints is not None,
        },
        "data_folder": str(data_folder()),
        "secret_key": "environment" if os.environ.get("LINLI_SECRET_KEY") else "file",
        "members": members,
        "skipped": skipped,
    }


def _record(result: BackupResult, with_keys: bool) -> None:
    manifest = result.manifest
    audit.record(
        action=AuditAction.BACKUP,
        object_type="core.backup",
        object_id=result.path.name,
        object_repr=_("Backup %(name)s") % {"name": result.path.name},
        changes={
            "archive": str(result.path),
            "size": result.size,
            "database": manifest["database"]["vendor"],
            "snapshot": manifest["database"]["snapshot_finished"],
            "files": sum(m["name"].startswith(FILES) for m in manifest["members"]),
            "audit_keys_included": with_keys,
        },
    )


# --- reading ----------------------------------------------------------------------------------


def _member_name(member: tarfile.TarInfo) -> str:
    """The member's name if it is one a backup writes: a regular file under one of the parts,
    with no way out of the folder it is unpacked into."""
    name = member.name
    path = PurePosixPath(name)
    safe = (
        member.isreg()
        and not path.is_absolute()
        and ".." not in path.parts
        and (name == MANIFEST or name.startswith(_MEMBER_PREFIXES))
        and name == path.as_posix()
    )
    if not safe:
        raise BackupError(
            _("The archive holds %(name)s, which no Linli backup writes; nothing was restored.")
            % {"name": name}
        )
    return name


def _damaged(archive: Path, detail: str) -> BackupError:
    return BackupError(
        _("The archive %(path)s is damaged or incomplete (%(detail)s); nothing was restored.")
        % {"path": archive, "detail": detail}
    )


def unpack(archive: Path, into: Path) -> dict:
    """Unpack `archive` into the folder `into` and return its manifest, once every member has
    been checked against it (size and SHA-256, none missing, none extra); BackupError if the
    archive is damaged, incomplete or not a Linli backup. Nothing outside `into` is written."""
    found: dict[str, tuple[int, str]] = {}
    content = None
    try:
        with gzip.open(archive) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                name = _member_name(member)
                if name in found or (name == MANIFEST and content is not None):
                    raise _damaged(archive, _("%(name)s twice") % {"name": name})
                source = tar.extractfile(member)
                assert source is not None  # a regular file (`_member_name`)
                if name == MANIFEST:
                    content = source.read()
                else:
                    found[name] = _unpack_one(source, into / name, member.mode & 0o777)
            # tarfile takes a damaged header for the archive's end; reading on to the end of
            # the compressed stream checks its CRC, which damage anywhere breaks.
            while stream.read(_CHUNK):
                pass
    except (tarfile.TarError, EOFError, zlib.error) as e:
        raise _damaged(archive, str(e) or type(e).__name__) from e
    except OSError as e:
        raise _damaged(archive, str(e)) from e
    manifest = _read_manifest(archive, content)
    _check_members(archive, manifest, found)
    return manifest


def _unpack_one(source, target: Path, mode: int) -> tuple[int, str]:
    """Write one member to `target` with the permissions it had (private until written)."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    digest, size = hashlib.sha256(), 0
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    target.chmod(mode or 0o600)
    return size, digest.hexdigest()


def _read_manifest(archive: Path, content: bytes | None) -> dict:
    if content is None:
        raise BackupError(
            _("%(path)s is not a Linli backup: it has no manifest.json; nothing was restored.")
            % {"path": archive}
        )
    try:
        manifest = json.loads(content)
    except ValueError as e:
        raise _damaged(archive, _("its manifest is not valid JSON")) from e
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(
            _("%(path)s is not a Linli backup; nothing was restored.") % {"path": archive}
        )
    if manifest.get("format_version", 0) > FORMAT_VERSION:
        raise BackupError(
            _(
                "%(path)s was written by a newer Linli (%(version)s), in a form this version "
                "cannot read; install that version to restore it."
            )
            % {"path": archive, "version": manifest.get("linli_version", "?")}
        )
    return manifest


def _check_members(archive: Path, manifest: dict, found: dict[str, tuple[int, str]]) -> None:
    listed = {m["name"]: (m["size"], m["sha256"]) for m in manifest.get("members", [])}
    problems = []
    for name, expected in listed.items():
        if name not in found:
            problems.append(_("%(name)s is missing") % {"name": name})
        elif found[name] != expected:
            problems.append(_("%(name)s does not match its checksum") % {"name": name})
    problems += [
        _("%(name)s is not in the manifest") % {"name": name} for name in found.keys() - listed
    ]
    if problems:
        shown = "; ".join(problems[:5]) + ("; …" if len(problems) > 5 else "")
        raise _damaged(archive, shown)
