"""`linli registry template FILE` — the empty register workbook with its notes sheet."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from linli.registry import imports


class Command(BaseCommand):
    help = _("Registry tools: `template FILE` writes the import template")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        template = sub.add_parser("template", help=_("Write the empty import template"))
        template.add_argument("file", help=_("The workbook to write (.xlsx)"))

    def handle(self, *args, action, file, **options):
        imports.registry_template(target=file)
        self.stdout.write(_("Template written to %(file)s") % {"file": file})
