"""`linli audit`: the audit trail 审计日志 from the command line.

`linli audit verify` chains the records waiting to be chained, walks the signed hash chain,
compares it with every checkpoint written outside the database and checks each record not yet
chained by its own signature; it reports any record edited, forged or deleted behind the
application's back. Exit status 0 when intact, 1 when broken. `linli audit rotate-key` puts a new audit key in
force (`--prepare` only makes it, for copying to the other machines first).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from linli.core import audit, audit_checkpoints, audit_keys


class Command(BaseCommand):
    _called_from_command_line: bool  # Django's, set by run_from_argv; not in django-stubs

    help = _(
        "Work with the audit trail: `verify` checks the whole chain, `rotate-key` puts a new "
        "audit key in force."
    )
    leave_locale_alone = True

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="verify|rotate-key")
        verify = actions.add_parser(
            "verify",
            help=_(
                "Check every record of the audit trail against its signature, its link and the "
                "checkpoints."
            ),
        )
        verify.add_argument(
            "--checkpoints",
            type=Path,
            action="append",
            default=[],
            metavar="FILE",
            help=_(
                "Also compare with the checkpoint lines in this file, e.g. a copy kept by "
                "syslog or on write-once storage (may be given more than once)."
            ),
        )
        rotate = actions.add_parser(
            "rotate-key",
            help=_("Put a new audit key in force; the old ones are kept for checking."),
        )
        rotate.add_argument(
            "--prepare",
            action="store_true",
            help=_(
                "Only make the new key, to copy it to every machine first; run rotate-key "
                "again without --prepare to put it in force."
            ),
        )

    def handle(self, *args, action: str, **options):
        if action == "verify":
            self.verify(options["checkpoints"])
        elif action == "rotate-key":
            self.rotate_key(prepare=options["prepare"])

    def verify(self, extra_files: list[Path]) -> None:
        for path in extra_files:
            if not path.is_file():
                self._fail(_("No such file: %(path)s") % {"path": path})
        report = audit.verify(checkpoint_files=extra_files)
        if report.ok:
            self._intact(report)
            return
        self._broken(report)

    def _intact(self, report: audit.VerifyReport) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                ngettext("OK, %(count)d record", "OK, %(count)d records", report.checked)
                % {"count": report.checked}
            )
        )
        if report.unchained:
            self.stdout.write(
                ngettext(
                    "%(count)d of them not yet chained (written moments ago), checked by its own "
                    "signature.",
                    "%(count)d of them not yet chained (written moments ago), checked by their "
                    "own signatures.",
                    report.unchained,
                )
                % {"count": report.unchained}
            )
        latest = report.latest_checkpoint
        if latest is None:
            self.stdout.write(_("No checkpoint to compare with yet."))
        else:
            self.stdout.write(
                ngettext(
                    "Compared with %(count)d checkpoint; the latest, of %(at)s, saw record "
                    "%(seq)d.",
                    "Compared with %(count)d checkpoints; the latest, of %(at)s, saw record "
                    "%(seq)d.",
                    report.checkpoints,
                )
                % {"count": report.checkpoints, "at": latest.at, "seq": latest.seq}
            )
        if report.written is not None:
            self.stdout.write(
                _("Checkpoint written to %(file)s: record %(seq)d at %(at)s.")
                % {
                    "file": audit_checkpoints.default_file(),
                    "seq": report.written.seq,
                    "at": report.written.at,
                }
            )
        elif report.not_written:
            self.stderr.write(
                _("No checkpoint could be written: %(error)s") % {"error": report.not_written}
            )

    def _broken(self, report: audit.VerifyReport) -> None:
        self.stdout.write(
            self.style.ERROR(
                _("The audit trail is BROKEN. %(checked)d records checked; problems found:")
                % {"checked": report.checked}
            )
        )
        for problem in report.problems:
            self.stdout.write(f"  - {problem}")
        self.stdout.write(
            _(
                "Someone changed the database directly. Keep this report, restore the records "
                "from a backup and find out who had access to the database."
            )
        )
        self._fail(
            ngettext(
                "audit trail broken: %(count)d problem",
                "audit trail broken: %(count)d problems",
                len(report.problems),
            )
            % {"count": len(report.problems)}
        )

    def _fail(self, message: str) -> NoReturn:
        """Stop with status 1. From the command line the message is printed alone: Django would
        put the exception's English class name before it."""
        if self._called_from_command_line:
            self.stderr.write(message)
            sys.exit(1)
        raise CommandError(message, returncode=1)

    def rotate_key(self, *, prepare: bool) -> None:
        if prepare:
            key_id = audit_keys.create_key()
            self.stdout.write(
                _(
                    "Audit key %(key)d made in %(folder)s but not yet in force. Copy the folder "
                    "to every machine that runs Linli, then run `linli audit rotate-key`."
                )
                % {"key": key_id, "folder": audit_keys.folder()}
            )
            return
        entry = audit.rotate_key()
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Audit key %(key)d is in force from record %(seq)d on; the older keys stay "
                    "in %(folder)s to check the records they signed. Back up the folder now."
                )
                % {"key": entry.key_id, "seq": entry.seq, "folder": audit_keys.folder()}
            )
        )
