"""`linli import-registry FILE [--valid-only] [--dry-run]` — the same import as the upload page."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from linli.registry import imports
from linli.registry.choices import ImportStatus
from linli.registry.importing.validate import RowError

from ._operator import acting_user, add_as_argument

SHOWN_ERRORS = 50
BAR_WIDTH = 30


class ProgressBar:
    """A one-line progress bar on stderr: rows checked, rows per second, errors so far."""

    def __init__(self, stream):
        self.stream, self.started = stream, time.perf_counter()

    def __call__(self, rows: int, total: int, errors: int) -> None:
        share = rows / total if total else 1
        filled = int(BAR_WIDTH * share)
        rate = rows / max(time.perf_counter() - self.started, 1e-6)
        line = _("%(rows)s/%(total)s rows · %(rate)s rows/s · %(errors)s errors") % {
            "rows": rows,
            "total": total,
            "rate": int(rate),
            "errors": errors,
        }
        self.stream.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {share:4.0%} {line}")
        self.stream.flush()
        if rows >= total:
            self.stream.write("\n")


class Command(BaseCommand):
    help = _("Import households and residents from a register workbook")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("The workbook (.xlsx, .xls or .ods)"))
        parser.add_argument(
            "--valid-only",
            action="store_true",
            help=_("Import the households without errors, leave out the others"),
        )
        parser.add_argument(
            "--dry-run", action="store_true", help=_("Check and count, change nothing")
        )
        parser.add_argument(
            "--error-report",
            metavar="FILE",
            help=_("Write the workbook with an error column to this file"),
        )
        add_as_argument(parser)

    def handle(self, *args, file, valid_only, dry_run, error_report=None, as_user=None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(file)s") % {"file": file})
        actor = acting_user(as_user)
        try:
            with path.open("rb") as source:
                started = imports.import_start(
                    actor=actor,
                    source=source,
                    file_name=path.name,
                    valid_only=valid_only,
                    dry_run=dry_run,
                    queue=False,
                )
        except ValidationError as e:
            raise CommandError(" ".join(e.messages)) from None
        except PermissionDenied:
            raise CommandError(_("This user may not import into the register.")) from None
        progress = ProgressBar(self.stderr._out if hasattr(self.stderr, "_out") else sys.stderr)
        result = imports.import_run(import_id=started.pk, progress=progress)
        self._report(result, error_report)
        if result.status in (ImportStatus.REJECTED, ImportStatus.FAILED):
            raise CommandError(result.get_status_display())

    def _report(self, result, error_report: str | None) -> None:
        self.stdout.write(f"#{result.pk} {result.file_name}: {result.get_status_display()}")
        ignored = imports.ignored_columns_text(result)
        if ignored:
            self.stdout.write(_("Columns not imported: %(columns)s") % {"columns": ignored})
        if result.failure:
            self.stdout.write(
                imports.timeline.render(result.failure["message"], result.failure.get("params"))
            )
        for data in result.errors[:SHOWN_ERRORS]:
            error = RowError.from_list(data)
            self.stdout.write(
                _("row %(row)s, %(column)s, “%(value)s”: %(reason)s")
                % {
                    "row": error.row,
                    "column": error.header or "—",
                    "value": error.value,
                    "reason": imports.render_error(error),
                }
            )
        if result.error_count > SHOWN_ERRORS:
            self.stdout.write(_("… and %(n)s more.") % {"n": result.error_count - SHOWN_ERRORS})
        for key, value in (result.summary or {}).items():
            self.stdout.write(f"  {key}: {value}")
        if error_report and result.errors:
            imports.import_error_report(registry_import=result, target=error_report)
            self.stdout.write(_("Error report written to %(file)s") % {"file": error_report})
