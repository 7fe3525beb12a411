"""`linli restore ARCHIVE`: put a backup back into the configured database and data folder
(core/restore.py), then compare the rows with the manifest and verify the audit trail.

Exit status 0 when the counts equal the manifest's and the trail is intact; 1 when the archive
or the target was refused (nothing changed), or when the restored copy does not hold up."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from linli.core import audit_checkpoints, audit_keys, restore
from linli.core.backup_database import JOBS, MAIN_MODELS, BackupError, table_of
from linli.core.models import NotificationState


def _table_name(label: str) -> str:
    if label == JOBS:
        return _("background jobs")  # the job table's own name is not translated
    return str(apps.get_model(label)._meta.verbose_name_plural)


class Command(BaseCommand):
    _called_from_command_line: bool  # Django's, set by run_from_argv; not in django-stubs

    help = _(
        "Restore a backup archive into the configured database and data folder; refuses a "
        "target that is not empty unless --force."
    )
    leave_locale_alone = True

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help=_("The archive `linli backup` wrote."))
        parser.add_argument(
            "--force",
            action="store_true",
            help=_(
                "Replace a database that holds data, and write over the files of a data folder "
                "that is not empty (stop Linli's servers and workers first)."
            ),
        )
        parser.add_argument(
            "--hold-messages",
            action="store_true",
            help=_(
                "Do not send the messages that were waiting at the backup (mark them failed): "
                "for a restore after which the old server may have sent them already."
            ),
        )

    def handle(self, *args, archive: Path, force: bool, hold_messages: bool, **options):
        self.stdout.write(_("Restoring %(path)s …") % {"path": archive})
        try:
            report = restore.restore(archive, force=force, hold_messages=hold_messages)
        except (BackupError, OSError, DatabaseError) as e:
            self._fail(str(e))
        self._about(report)
        self._counts(report)
        self._jobs_and_messages(report)
        self._files_and_keys(report)
        self._verdict(report)

    def _about(self, report: restore.RestoreReport) -> None:
        m = report.manifest
        self.stdout.write(
            _(
                "Every file of the archive matches its checksum. Backup of %(at)s by Linli "
                "%(version)s on %(host)s, %(vendor)s database."
            )
            % {
                "at": m.get("created_at", "?"),
                "version": m.get("linli_version", "?"),
                "host": m.get("host", "?"),
                "vendor": m["database"]["vendor"],
            }
        )

    def _counts(self, report: restore.RestoreReport) -> None:
        assert report.restored is not None  # a finished restore has read what it restored
        expected, restored = report.manifest.get("counts", {}), report.restored.counts
        say = self.stdout.write
        say(_("Rows restored / in the backup's manifest:"))
        for label in MAIN_MODELS:
            table = table_of(label)
            if table in expected:
                say(f"  {_table_name(label)}: {restored.get(table)} / {expected[table]}")
        if report.counts_equal:
            say(
                self.style.SUCCESS(
                    _("All %(count)d tables hold as many rows as the backup.")
                    % {"count": len(expected)}
                )
            )
        else:
            for table, (count, got) in sorted(report.differences.items()):
                say(
                    self.style.ERROR(
                        _("  %(table)s: %(count)s in the backup, %(got)s restored")
                        % {"table": table, "count": count, "got": got}
                    )
                )
        if report.migrated:
            say(_("This Linli had migrations the backup had not: they were applied."))

    def _jobs_and_messages(self, report: restore.RestoreReport) -> None:
        say = self.stdout.write
        if not report.jobs_requeued:
            say(_("No job was running at the backup."))
        else:
            say(
                ngettext(
                    "%(count)d job was running at the backup; it is queued again.",
                    "%(count)d jobs were running at the backup; they are queued again.",
                    report.jobs_requeued,
                )
                % {"count": report.jobs_requeued}
            )
        sent = report.manifest.get("notifications", {}).get(NotificationState.SENT, 0)
        say(
            _("Messages: %(sent)d sent before the backup stay sent and are not sent again.")
            % {"sent": sent}
        )
        if report.messages_held:
            say(
                _("%(count)d waiting messages were held (marked failed) and will not be sent.")
                % {"count": report.messages_held}
            )
        elif report.messages_waiting:
            say(
                _(
                    "%(count)d messages waiting at the backup will be sent now (use "
                    "--hold-messages if the old server may have sent them since)."
                )
                % {"count": report.messages_waiting}
            )

    def _files_and_keys(self, report: restore.RestoreReport) -> None:
        say = self.stdout.write
        say(_("Files: %(count)d put back in the data folder.") % {"count": report.files_restored})
        if report.keys_added:
            say(
                _("Audit keys added to %(folder)s: %(keys)s.")
                % {"folder": audit_keys.folder(), "keys": ", ".join(map(str, report.keys_added))}
            )
        if report.checkpoints_set_aside:
            say(
                self.style.WARNING(
                    _(
                        "The checkpoint file in place was set aside as %(aside)s: its lines may "
                        "name records the backup does not have, and verify would take them for "
                        "deleted ones. Keep it with this restore's record."
                    )
                    % {"aside": report.checkpoints_set_aside}
                )
            )
        say(
            _(
                "Checkpoints go on in %(file)s from the restored trail's end; the restore is "
                "audit record %(seq)d."
            )
            % {"file": audit_checkpoints.default_file(), "seq": report.record_seq}
        )

    def _verdict(self, report: restore.RestoreReport) -> None:
        verified = report.verify
        assert verified is not None  # a finished restore has verified the trail
        if verified.ok:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Audit trail: OK, %(count)d records.") % {"count": verified.checked}
                )
            )
        else:
            self.stdout.write(self.style.ERROR(_("Audit trail: BROKEN.")))
            for problem in verified.problems:
                self.stdout.write(f"  - {problem}")
        if not (verified.ok and report.counts_equal):
            self._fail(_("The restored copy does not hold up: see above."))
        self.stdout.write(self.style.SUCCESS(_("Restore complete.")))

    def _fail(self, message: str) -> NoReturn:
        """Stop with status 1, the message alone (Django would put its English class name
        before it)."""
        if self._called_from_command_line:
            self.stderr.write(message)
            sys.exit(1)
        raise CommandError(message, returncode=1)
