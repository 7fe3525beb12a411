"""`linli backup`: the database, the data folder's files and the audit keys and checkpoints in
one dated archive with a manifest and checksums (core/backup.py). Safe while Linli runs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from linli.core import audit_keys, backup
from linli.core.backup_database import BackupError


class Command(BaseCommand):
    _called_from_command_line: bool  # Django's, set by run_from_argv; not in django-stubs

    help = _(
        "Back up the database, the files of the data folder and the audit keys and checkpoints "
        "into one dated archive (safe while Linli runs)."
    )
    leave_locale_alone = True

    def add_arguments(self, parser):
        parser.add_argument(
            "--to",
            type=Path,
            default=None,
            metavar="FOLDER",
            help=_(
                "Folder to write the archive to (default: LINLI_BACKUP_DIR, else backups/ "
                "in the data folder)."
            ),
        )
        parser.add_argument(
            "--without-keys",
            action="store_true",
            help=_(
                "Leave the audit keys out of the archive, to keep them apart from the "
                "database's backups (then back up the key folder on its own)."
            ),
        )

    def handle(self, *args, to: Path | None, without_keys: bool, **options):
        try:
            result = backup.make_backup(destination=to, with_keys=not without_keys)
        except (BackupError, OSError, DatabaseError) as e:
            self._fail(_("No backup was written: %(error)s") % {"error": e})
        self._summary(result, without_keys)

    def _summary(self, result: backup.BackupResult, without_keys: bool) -> None:
        m, say = result.manifest, self.stdout.write
        say(
            self.style.SUCCESS(
                _("Backup written: %(path)s (%(size)s)")
                % {"path": result.path, "size": filesizeformat(result.size)}
            )
        )
        counts = m["counts"]
        say(
            _(
                "  Database: %(vendor)s, %(tables)d tables, %(rows)d rows; the copy is the "
                "database as it stood between %(started)s and %(finished)s."
            )
            % {
                "vendor": m["database"]["vendor"],
                "tables": len(counts),
                "rows": sum(counts.values()),
                "started": m["database"]["snapshot_started"],
                "finished": m["database"]["snapshot_finished"],
            }
        )
        files = [x for x in m["members"] if x["name"].startswith(backup.FILES)]
        say(
            _("  Files: %(count)d from the data folder %(folder)s (%(size)s).")
            % {
                "count": len(files),
                "folder": m["data_folder"],
                "size": filesizeformat(sum(x["size"] for x in files)),
            }
        )
        if m["skipped"]:
            say(
                _("  Left out (not regular files, or deleted meanwhile): %(names)s")
                % {"names": ", ".join(m["skipped"][:10])}
            )
        self._keys(m, without_keys)

    def _keys(self, m: dict, without_keys: bool) -> None:
        say = self.stdout.write
        if without_keys:
            say(
                self.style.WARNING(
                    _(
                        "  Audit keys: not in the archive. Back up the key folder %(folder)s on "
                        "its own: without it the restored audit trail cannot be checked."
                    )
                    % {"folder": audit_keys.folder()}
                )
            )
        else:
            keys = [x for x in m["members"] if x["name"].startswith(backup.KEYS)]
            say(
                self.style.WARNING(
                    _(
                        "  Audit keys: %(count)d in the archive. Whoever holds the archive can "
                        "sign audit records: keep it as secret as the database, or use "
                        "--without-keys and keep the key folder apart."
                    )
                    % {"count": len(keys)}
                )
            )
        if m["audit"]["checkpoints_included"]:
            say(_("  Audit checkpoints: the checkpoint file is in the archive."))
        if m["secret_key"] == "environment":  # noqa: S105 — where the key comes from
            say(
                _(
                    "  Secret key: set by LINLI_SECRET_KEY, so not in the archive; keep the "
                    "environment file with the backups."
                )
            )

    def _fail(self, message: str) -> NoReturn:
        """Stop with status 1, the message alone (Django would put its English class name
        before it)."""
        if self._called_from_command_line:
            self.stderr.write(message)
            sys.exit(1)
        raise CommandError(message, returncode=1)
