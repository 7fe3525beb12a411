"""The residents-decide dashboard's workbook 由民做主统计导出: the area's figures for the period and
the areas below it, written through `core.spreadsheets` (text stays text). It names no person.
Each export is recorded in the audit trail."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core import audit
from linli.core.choices import AuditAction
from linli.core.models import Area
from linli.core.spreadsheets import (
    Workbook,
    figure_formats,
    write_figure_rows,
    write_headers,
    write_values,
)

from ..choices import STEPS
from ..figures import DecideFigures, DecideReport, figure_labels

TABLE_PERCENT = {4, 5, 7}


def _figures_sheet(workbook, formats: dict, report: DecideReport) -> None:
    sheet = workbook.add_worksheet(_("Figures"))
    period = report.period
    title = _("Residents decide in %(area)s, %(start)s to %(end)s") % {
        "area": report.area.name,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
    }
    sheet.write_string(0, 0, title, formats["title"])
    counted = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    sheet.write_string(1, 0, _("Counted from the records at %(time)s") % {"time": counted})
    write_figure_rows(sheet, 4, figure_labels(report), formats)


def _row(name: str, f: DecideFigures) -> list:
    return [
        name,
        f.raised,
        sum(f.by_stage[s] for s in STEPS),
        f.carried_out,
        f.turnout,
        f.on_time_share,
        f.tasks_overdue_now,
        f.content_share,
        f.rated,
    ]


def write_dashboard(
    *, actor, report: DecideReport, branches: list[tuple[Area, DecideFigures]], target
) -> None:
    """The dashboard's workbook into `target`."""
    workbook = Workbook(target)
    formats = figure_formats(workbook)
    _figures_sheet(workbook, formats, report)
    sheet = workbook.add_worksheet(_("By area"))
    headers = [
        _("Area"),
        _("Matters raised"),
        _("At one of the five steps now"),
        _("Carried out and rated"),
        _("Turnout"),
        _("Tasks done on time"),
        _("Tasks overdue now"),
        _("Residents satisfied or basically"),
        _("Ratings"),
    ]
    write_headers(sheet, 0, headers, formats)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, len(headers) - 1, 12)
    rows = [_row(a.name, f) for a, f in branches]
    rows.append(_row(_("Total: %(area)s") % {"area": report.area.name}, report.total))
    for line, values in enumerate(rows, start=1):
        write_values(sheet, line, values, formats, TABLE_PERCENT)
    sheet.freeze_panes(1, 1)
    workbook.close()
    audit.record(
        action=AuditAction.EXPORT,
        actor=actor,
        obj=report.area,
        changes={
            "export": "decide_figures",
            "start": report.period.start,
            "end": report.period.end,
            "areas": len(branches),
        },
    )
