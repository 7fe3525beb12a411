"""`linli export-registry --area CODE FILE` — households under an area as a register workbook."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
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
        add_as_argument(parser)

    def handle(self, *args, file, area, as_user=None, **options):
        found = Area.objects.filter(code=area).first()
        if found is None:
            raise CommandError(_("No area has the code %(code)s.") % {"code": area})
        actor = acting_user(as_user)
        try:
            rows = imports.registry_export(actor=actor, area=found, target=file)
        except PermissionDenied:
            raise CommandError(
                _("This user may not export %(area)s.") % {"area": found.name}
            ) from None
        self.stdout.write(
            _("%(rows)s rows of %(area)s written to %(file)s")
            % {"rows": rows, "area": found.name, "file": file}
        )
