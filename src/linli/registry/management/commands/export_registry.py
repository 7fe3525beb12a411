"""`linli export-registry --area CODE FILE [--reveal --reason TEXT]` — households under an area
as a register workbook: masked, or with the full numbers when the operator states why."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from linli.core.models import Area
from linli.registry import imports

from ._operator import acting_user, add_as_argument


class Command(BaseCommand):
    help = _("Export the households under an area to a register workbook")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("The workbook to write (.xlsx)"))
        parser.add_argument(
            "--area", metavar="CODE", required=True, help=_("The area's 12-digit division code")
        )
        parser.add_argument(
            "--reveal",
            action="store_true",
            help=_(
                "Write the full ID and mobile numbers and the sensitive tags (masked otherwise); "
                "needs --reason, and is recorded as a reveal"
            ),
        )
        parser.add_argument(
            "--reason", default="", help=_("Why the full numbers are needed (with --reveal)")
        )
        add_as_argument(parser)

    def handle(self, *args, file, area, reveal=False, reason="", as_user=None, **options):
        if reason and not reveal:
            raise CommandError(_("--reason goes with --reveal; without it the export is masked."))
        found = Area.objects.filter(code=area).first()
        if found is None:
            raise CommandError(_("No area has the code %(code)s.") % {"code": area})
        actor = acting_user(as_user)
        try:
            rows = imports.registry_export(
                actor=actor, area=found, target=file, reveal=reveal, reason=reason
            )
        except PermissionDenied:
            raise CommandError(
                _("This user may not export %(area)s.") % {"area": found.name}
                if not reveal
                else _("This user may not export %(area)s with the full numbers.")
                % {"area": found.name}
            ) from None
        except ValidationError as e:
            raise CommandError(" ".join(e.messages)) from None
        written = (
            _("%(rows)s rows of %(area)s written to %(file)s, with the full numbers")
            if reveal
            else _("%(rows)s rows of %(area)s written to %(file)s, numbers masked")
        )
        self.stdout.write(written % {"rows": rows, "area": found.name, "file": file})
