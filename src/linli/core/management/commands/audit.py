"""`linli audit verify`: walk the hash-chained audit trail 审计日志 and report any record that was
edited or deleted behind the application's back. Exit status 0 when intact, 1 when broken."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from linli.core import audit


class Command(BaseCommand):
    help = _("Work with the audit trail. `verify` checks the whole hash chain.")
    leave_locale_alone = True

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="verify")
        actions.add_parser(
            "verify",
            help=_("Check every record of the audit trail against its hash and its link."),
        )

    def handle(self, *args, action: str, **options):
        if action == "verify":
            self.verify()

    def verify(self) -> None:
        report = audit.verify()
        if report.ok:
            self.stdout.write(
                self.style.SUCCESS(
                    ngettext("OK, %(count)d record", "OK, %(count)d records", report.checked)
                    % {"count": report.checked}
                )
            )
            return
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
        raise CommandError(
            ngettext(
                "audit trail broken: %(count)d problem",
                "audit trail broken: %(count)d problems",
                len(report.problems),
            )
            % {"count": len(report.problems)},
            returncode=1,
        )
