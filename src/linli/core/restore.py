"""Restore 恢复: put a backup archive (`core.backup`) back — database, files, audit keys and
checkpoints — into the configured database and data folder.

Nothing is touched until the archive has been unpacked beside the data folder and every member
checked against its manifest, and until the target is known to be empty (or `force` is given)
and able to take the archive (the same kind of database, no migration this Linli does not know,
every audit key the trail needs at hand). Then, in order:

1. the database is loaded, all or nothing, and its rows counted against the manifest before
   anything else changes; `migrate` runs if this Linli has migrations the backup had not;
2. the jobs that were running at the backup are queued again (their worker is gone);
   messages already sent stay sent, so the sending job never sends them again; with
   `hold_messages` the ones still waiting are marked failed instead of being sent, for a
   restore after which the old server may have sent them already;
3. the audit keys missing from the key folder are added (a key is never overwritten), the
   checkpoint file in place is set aside as `<name>.before-restore-<time>` — its lines may name
   records the backup does not have, which `verify` would take for a deleted tail — and the
   archive's checkpoint file takes its place;
4. the data folder's files are put in place;
5. the restore is recorded in the audit trail, and the whole trail is verified.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.core.management import call_command
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import TaskResultStatus

from . import audit, audit_checkpoints, audit_keys
from .backup import (
    CHECKPOINTS,
    FILES,
    KEYS,
    RESTORE_STAGING_PREFIX,
    SECRET_KEY_FILE,
    data_files,
    data_folder,
    not_data_files,
    unpack,
)
from .backup_database import BackupError, Database, Facts, configured
from .choices import AuditAction
from .models import Notification, NotificationState

HELD_MESSAGE = "held at the restore: it may have been sent after the backup was taken"


class RestoreRefused(BackupError):
    """The target is not empty, or cannot take the archive; nothing was changed."""


@dataclass
class RestoreReport:
    """What a restore did and found, for the command to print."""

    archive: Path
    manifest: dict = field(default_factory=dict)
    restored: Facts | None = None
    differences: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    migrated: bool = False
    jobs_requeued: int = 0
    messages_waiting: int = 0
    messages_held: int = 0
    files_restored: int = 0
    keys_added: list[int] = field(default_factory=list)
    checkpoints_set_aside: Path | None = None
    record_seq: int | None = 0  # the restore's own audit record's place in the chain
    verify: audit.VerifyReport | None = None

    @property
    def counts_equal(self) -> bool:
        return not self.differences


def restore(archive: Path, *, force: bool = False, hold_messages: bool = False) -> RestoreReport:
    """恢复 — restore `archive` into the configured database and data folder (see the module)."""
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(_("No such file: %(path)s") % {"path": archive})
    database = configured()
    database.tools()
    if not force:
        _refuse_a_target_in_use(database)
    staging = _staging_folder()
    try:
        manifest = unpack(archive, staging)
        _check_fits(manifest, database, staging)
        report = RestoreReport(archive=archive, manifest=manifest)
        _load_database(report, database, staging / manifest["database"]["member"])
        _requeue_running_jobs(report)
        _mind_messages(report, hold_messages)
        _put_keys(report, staging)
        _put_checkpoints(report, staging)
        _put_files(report, staging)
        _record(report)
        report.verify = audit.verify()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report


# --- before anything is touched ---------------------------------------------------------------


def _refuse_a_target_in_use(database: Database) -> None:
    """Refuse a database with someone's data in it, or still in use, or a data folder with
    files in it: a restore replaces them."""
    held = database.data_held()
    if held:
        shown = ", ".join(
            f"{apps.get_model(label)._meta.verbose_name_plural} {count}"
            for label, count in held.items()
        )
        raise RestoreRefused(
            _(
                "The database %(db)s is not empty (%(rows)s). A restore replaces everything in "
                "it: restore into a new database, or give --force to replace it."
            )
            % {"db": database.describe(), "rows": shown}
        )
    if sessions := database.other_sessions():
        raise RestoreRefused(
            _(
                "%(count)d other connections to %(db)s are open: stop Linli's servers and "
                "workers first (or give --force)."
            )
            % {"count": sessions, "db": database.describe()}
        )
    files, _skipped = data_files(database)
    files = [name for name, _path in files if name != SECRET_KEY_FILE]
    if files:
        raise RestoreRefused(
            _(
                "The data folder %(folder)s is not empty (%(files)s). Restore into a new data "
                "folder, or give --force to write the archive's files over it."
            )
            % {"folder": data_folder(), "files": ", ".join(files[:3]) + (", …" * (len(files) > 3))}
        )


def _staging_folder() -> Path:
    root = data_folder()
    root.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    staging = root / f"{RESTORE_STAGING_PREFIX}{stamp}-{os.getpid()}"
    staging.mkdir(mode=0o700)
    return staging


def _check_fits(manifest: dict, database: Database, staging: Path) -> None:
    vendor = manifest["database"]["vendor"]
    if vendor != database.vendor:
        raise RestoreRefused(
            _(
                "The archive holds a %(archive)s database; Linli is configured with %(db)s. "
                "Restore it into the same kind of database."
            )
            % {"archive": vendor, "db": database.describe()}
        )
    unknown = _unknown_migrations(manifest)
    if unknown:
        raise RestoreRefused(
            _(
                "The archive comes from a newer Linli (%(version)s): its database has "
                "migrations this version does not know (%(names)s). Install that version or a "
                "newer one, then restore."
            )
            % {
                "version": manifest.get("linli_version", "?"),
                "names": ", ".join(unknown[:3]) + (", …" * (len(unknown) > 3)),
            }
        )
    _check_file_places(manifest, database)
    _check_keys(manifest, staging)


def _check_file_places(manifest: dict, database: Database) -> None:
    """No file of the archive may land on the database's files, the backups, the audit keys
    or the checkpoint file: a backup never holds them among its files, and a key is never
    overwritten."""
    root, reserved = data_folder(), not_data_files(database)
    for member in manifest.get("members", []):
        name = member["name"]
        if not name.startswith(FILES):
            continue
        target = (root / name.removeprefix(FILES)).resolve()
        if any(target == place or place in target.parents for place in reserved):
            raise RestoreRefused(
                _("The archive holds %(name)s, which no Linli backup writes; nothing was restored.")
                % {"name": name}
            )


def _unknown_migrations(manifest: dict) -> list[str]:
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return sorted(
        f"{app}.{name}"
        for app, names in manifest.get("migrations", {}).items()
        for name in names
        if (app, name) not in known
    )


def _check_keys(manifest: dict, staging: Path) -> None:
    """Every key the trail was signed with must be at hand after the restore, and no key in the
    key folder may differ from the archive's key of the same number."""
    folder = audit_keys.folder()
    in_archive = (
        {p.name: p for p in (staging / KEYS).glob("*")} if (staging / KEYS).is_dir() else {}
    )
    for name, path in in_archive.items():
        present = folder / name
        if present.is_file() and present.read_bytes().strip() != path.read_bytes().strip():
            raise RestoreRefused(
                _(
                    "The key folder %(folder)s already holds a different audit key %(name)s. A "
                    "key is never overwritten: point LINLI_AUDIT_KEY_DIR at another folder, or "
                    "move this one aside, then restore again."
                )
                % {"folder": folder, "name": name}
            )
    at_hand = set(in_archive) | ({p.name for p in folder.iterdir()} if folder.is_dir() else set())
    missing = [k for k in manifest["audit"].get("key_ids", []) if f"{k}.key" not in at_hand]
    if missing:
        raise RestoreRefused(
            _(
                "The audit trail in the archive is signed with audit keys %(keys)s, which are "
                "neither in the archive (it was made with --without-keys) nor in %(folder)s. "
                "Restore the key folder from its own backup first."
            )
            % {"keys": ", ".join(map(str, missing)), "folder": folder}
        )


# --- the database -----------------------------------------------------------------------------


def _load_database(report: RestoreReport, database: Database, copy: Path) -> None:
    database.load(copy)
    connections.close_all()
    report.restored = database.facts()
    expected = report.manifest.get("counts", {})
    for table, count in expected.items():
        restored = report.restored.counts.get(table)
        if restored != count:
            report.differences[table] = (count, restored)
    if _unapplied_migrations():
        call_command("migrate", interactive=False, verbosity=0)
        report.migrated = True


def _unapplied_migrations() -> bool:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections["default"])
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _requeue_running_jobs(report: RestoreReport) -> None:
    """A job that was running at the backup had a worker that is gone: it runs again now
    (every Linli job is idempotent), rather than after its stale limit."""
    from django_tasks_db.models import DBTaskResult

    report.jobs_requeued = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.READY, run_after=timezone.now()
    )


def _mind_messages(report: RestoreReport, hold: bool) -> None:
    waiting = Notification.objects.filter(state=NotificationState.PENDING)
    report.messages_waiting = waiting.count()
    if hold:
        report.messages_held = waiting.update(
            state=NotificationState.FAILED, last_error=HELD_MESSAGE
        )


# --- keys, checkpoints and files --------------------------------------------------------------


def _put_keys(report: RestoreReport, staging: Path) -> None:
    source = staging / KEYS
    if not source.is_dir():
        return
    folder = audit_keys.folder()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for path in sorted(source.iterdir()):
        target = folder / path.name
        if target.exists():
            continue  # the same key (checked before)
        shutil.copyfile(path, target)
        target.chmod(0o600)
        if path.stem.isdigit():
            report.keys_added.append(int(path.stem))
    audit_keys.keyring(reload=True)


def _put_checkpoints(report: RestoreReport, staging: Path) -> None:
    live = audit_checkpoints.default_file()
    if live.exists():
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        aside = live.with_name(f"{live.name}.before-restore-{stamp}")
        live.rename(aside)
        report.checkpoints_set_aside = aside
    copy = staging / CHECKPOINTS
    if copy.is_file():
        live.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(copy, live)
        live.chmod(0o600)


def _put_files(report: RestoreReport, staging: Path) -> None:
    source, root = staging / FILES, data_folder()
    if not source.is_dir():
        return
    for folder, _subfolders, names in os.walk(source):
        for name in names:
            path = Path(folder) / name
            target = root / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            # A rename, the staging folder being in the data folder — or a copy, where a folder
            # of the data folder is a link to another disk.
            shutil.move(path, target)
            report.files_restored += 1


# --- the record -------------------------------------------------------------------------------


def _record(report: RestoreReport) -> None:
    manifest = report.manifest
    entry = audit.record(
        action=AuditAction.RESTORE,
        object_type="core.backup",
        object_id=report.archive.name,
        object_repr=_("Backup %(name)s") % {"name": report.archive.name},
        changes={
            "archive": str(report.archive),
            "created_at": manifest.get("created_at", ""),
            "linli_version": manifest.get("linli_version", ""),
            "database": manifest["database"]["vendor"],
            "last_record_in_backup": manifest["audit"].get("last_seq", 0),
            "counts_equal": report.counts_equal,
            "jobs_requeued": report.jobs_requeued,
            "messages_held": report.messages_held,
            "files": report.files_restored,
            "checkpoints_set_aside": str(report.checkpoints_set_aside or ""),
        },
    )
    audit.seal()
    entry.refresh_from_db(fields=["seq"])
    report.record_seq = entry.seq
