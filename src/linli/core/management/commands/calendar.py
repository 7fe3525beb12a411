"""`linli calendar`: the working-day calendar from the command line.

`linli calendar seed` enters the official arrangements chinese-calendar knows (idempotent: run
it after upgrading chinese-calendar, or on a restored database); a year an administrator
entered otherwise is kept and its differences listed, unless `--overwrite`.
`linli calendar years` lists the years and whether their arrangement is entered.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from linli.core import workdays


class Command(BaseCommand):
    help = _(
        "Show the working-day calendar's years, or enter the arrangements chinese-calendar knows."
    )

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        seed = commands.add_parser(
            "seed", help=_("Enter the official arrangements chinese-calendar knows (idempotent).")
        )
        seed.add_argument(
            "--overwrite",
            action="store_true",
            help=_("Replace years entered otherwise with chinese-calendar's arrangement."),
        )
        seed.add_argument(
            "--year",
            type=int,
            action="append",
            dest="years",
            help=_("Only this year (may be given more than once)."),
        )
        commands.add_parser("years", help=_("List the years and the state of their arrangement."))

    def handle(self, *args, action: str, verbosity: int, **options):
        if action == "seed":
            self._seed(overwrite=options["overwrite"], years=options["years"], verbosity=verbosity)
        else:
            self._years()

    def _seed(self, *, overwrite: bool, years, verbosity: int) -> None:
        report = workdays.calendar_seed(actor=None, overwrite=overwrite, years=years)
        for year in report.filled:
            self.stdout.write(_("%(year)s: entered from chinese-calendar.") % {"year": year})
        for year in report.overwritten:
            self.stdout.write(
                _("%(year)s: replaced by chinese-calendar's arrangement.") % {"year": year}
            )
        for year, lines in report.differing.items():
            self.stdout.write(
                _("%(year)s: kept as entered; chinese-calendar differs (--overwrite replaces it):")
                % {"year": year}
            )
            for line in lines:
                self.stdout.write(f"    {line}")
        if verbosity:
            self.stdout.write(
                _("%(count)s years already as chinese-calendar has them.")
                % {"count": len(report.unchanged)}
            )

    def _years(self) -> None:
        for state in workdays.calendar_years():
            if state.published:
                status = _("entered (%(source)s)") % {"source": state.source}
            else:
                status = _("not entered: Monday to Friday counted")
            counts = _("%(holidays)s holidays, %(make_up)s make-up working days") % {
                "holidays": state.holidays,
                "make_up": state.make_up_days,
            }
            self.stdout.write(f"{state.year}  {status}  {counts}")
