"""The dashboard's workbook 诉求统计导出: the area's figures for the period, the areas below it, the
categories, and the appeals overdue now. Written through `core.spreadsheets` (text stays text);
the reporter of an overdue appeal is masked as everywhere (`core.masking`: 张*, 138****5678) —
the workbook is for counting and chasing, not for looking people up. Each export is recorded in
the audit trail."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core import audit
from linli.core.choices import AuditAction
from linli.core.masking import MOBILE, mask, mask_name
from linli.core.models import Area
from linli.core.spreadsheets import (
    Workbook,
    figure_formats,
    write_figure_rows,
    write_headers,
    write_values,
)

from ..figures import AppealFigures, AppealReport, figure_labels
from ..models import Appeal

OVERDUE_ROWS = 5000  # the longest overdue first; a workbook is not the place for more


def _figures_sheet(workbook, formats: dict, report: AppealReport) -> None:
    sheet = workbook.add_worksheet(_("Figures"))
    period = report.period
    title = _("Appeals of %(area)s raised %(start)s to %(end)s") % {
        "area": report.area.name,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
    }
    sheet.write_string(0, 0, title, formats["title"])
    counted = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    sheet.write_string(1, 0, _("Counted from the records at %(time)s") % {"time": counted})
    write_figure_rows(sheet, 4, figure_labels(report), formats)


TABLE_PERCENT = {4, 5, 8}


def _table_headers(first: str) -> list[str]:
    return [
        first,
        _("Raised"),
        _("Settled"),
        _("Settled in the village"),
        _("Share settled in the village"),
        _("Share settled inside the community"),
        _("Hand-ups"),
        _("Overdue now"),
        _("Satisfied or basically satisfied"),
        _("Return visits"),
    ]


def _table_row(name: str, f: AppealFigures) -> list:
    return [
        name,
        f.raised,
        f.settled,
        f.settled_by_tier["village"],
        f.village_share,
        f.community_share,
        f.handed_up,
        f.overdue_now,
        f.content_share,
        f.return_visits,
    ]


def _table_sheet(workbook, formats: dict, title: str, first: str, rows: list[list]) -> None:
    sheet = workbook.add_worksheet(title)
    write_headers(sheet, 0, _table_headers(first), formats)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 9, 12)
    for line, values in enumerate(rows, start=1):
        write_values(sheet, line, values, formats, TABLE_PERCENT)
    sheet.freeze_panes(1, 1)


def _reporter(appeal: Appeal) -> tuple[str, str]:
    """The reporter as the workbook shows them: masked name and mobile."""
    if appeal.anonymous:
        return _("Anonymous"), ""
    if appeal.reporter is not None:
        return mask_name(appeal.reporter.name), mask(appeal.reporter.mobile, MOBILE)
    return mask_name(appeal.reporter_name), mask(appeal.reporter_mobile, MOBILE)


def _overdue_sheet(workbook, formats: dict, overdue, today) -> int:
    sheet = workbook.add_worksheet(_("Overdue now"))
    headers = [
        _("Appeal number"),
        _("Category"),
        _("Place"),
        _("Waits at"),
        _("Due"),
        _("Days overdue"),
        _("Reporter"),
        _("Mobile"),
    ]
    write_headers(sheet, 0, headers, formats)
    for col, width in enumerate((18, 12, 16, 18, 12, 10, 10, 14)):
        sheet.set_column(col, col, width)
    count = 0
    for count, appeal in enumerate(overdue[:OVERDUE_ROWS], start=1):
        name, mobile = _reporter(appeal)
        write_values(
            sheet,
            count,
            [
                appeal.number,
                appeal.category_version.name,
                appeal.area.name,
                appeal.place_name,
                appeal.due_on.isoformat() if appeal.due_on else "",
                (today - appeal.due_on).days if appeal.due_on else None,
                name,
                mobile,
            ],
            formats,
            set(),
        )
    sheet.freeze_panes(1, 1)
    return count


def write_dashboard(
    *,
    actor,
    report: AppealReport,
    branches: list[tuple[Area, AppealFigures]],
    overdue,
    target,
) -> int:
    """The dashboard's workbook into `target`; returns how many overdue appeals it lists."""
    workbook = Workbook(target)
    formats = figure_formats(workbook)
    _figures_sheet(workbook, formats, report)
    area_rows = [_table_row(a.name, f) for a, f in branches]
    area_rows.append(_table_row(_("Total: %(area)s") % {"area": report.area.name}, report.total))
    _table_sheet(workbook, formats, _("By area"), _("Area"), area_rows)
    category_rows = sorted(
        (_table_row(report.category_names.get(pk, ""), f) for pk, f in report.categories.items()),
        key=lambda row: (-row[1], row[0]),
    )
    _table_sheet(workbook, formats, _("By category"), _("Category"), category_rows)
    count = _overdue_sheet(workbook, formats, overdue, report.today)
    workbook.close()
    audit.record(
        action=AuditAction.EXPORT,
        actor=actor,
        obj=report.area,
        changes={
            "export": "appeal_figures",
            "start": report.period.start,
            "end": report.period.end,
            "areas": len(branches),
            "overdue": count,
            "masked": True,
        },
    )
    return count
