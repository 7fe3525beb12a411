"""The dashboard's workbook 诉求统计导出: the area's figures for the period, the areas below it, the
categories, and the appeals overdue now. Written through `core.spreadsheets` (text stays text);
the reporter of an overdue appeal is masked as everywhere (`core.masking`: 张*, 138****5678) —
the workbook is for counting and chasing, not for looking people up. Each export is recorded in
the audit trail."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core import audit
from linli.core.choices import AuditAction
from linli.core.masking import MOBILE, mask, mask_name
from linli.core.models import Area
from linli.core.spreadsheets import Workbook

from ..figures import AppealFigures, AppealReport, figure_labels
from ..models import Appeal

OVERDUE_ROWS = 5000  # the longest overdue first; a workbook is not the place for more


def _formats(workbook) -> dict:
    return {
        "title": workbook.add_format({"bold": True, "font_size": 13}),
        "header": workbook.add_format({"bold": True, "bg_color": "#E8F0FE", "border": 1}),
        "percent": workbook.add_format({"num_format": "0.0%"}),
        "bold": workbook.add_format({"bold": True}),
    }


def _headers(sheet, row: int, headers: list[str], formats: dict) -> None:
    for col, header in enumerate(headers):
        sheet.write_string(row, col, header, formats["header"])


def _write(sheet, row: int, values: Iterable, formats: dict, percent: set[int]) -> None:
    for col, value in enumerate(values):
        if value is None:
            sheet.write_blank(row, col, None)
        elif col in percent:
            sheet.write_number(row, col, value, formats["percent"])
        elif isinstance(value, int | float):
            sheet.write_number(row, col, value)
        else:
            sheet.write_string(row, col, str(value))


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
    _headers(sheet, 3, [_("Figure"), _("Value")], formats)
    sheet.set_column(0, 0, 44)
    sheet.set_column(1, 1, 14)
    for line, (name, label, value) in enumerate(figure_labels(report), start=4):
        percent = {1} if name.endswith("_share") else set()
        _write(
            sheet,
            line,
            [label.strip() if label.startswith("  ") else label, value],
            formats,
            percent,
        )


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
    _headers(sheet, 0, _table_headers(first), formats)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 9, 12)
    for line, values in enumerate(rows, start=1):
        _write(sheet, line, values, formats, TABLE_PERCENT)
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
    _headers(sheet, 0, headers, formats)
    for col, width in enumerate((18, 12, 16, 18, 12, 10, 10, 14)):
        sheet.set_column(col, col, width)
    count = 0
    for count, appeal in enumerate(overdue[:OVERDUE_ROWS], start=1):
        name, mobile = _reporter(appeal)
        _write(
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
    formats = _formats(workbook)
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
