"""Workbooks of the coverage page 覆盖导出: the coverage of an area's child areas for a period,
and the households not reached in it. Written through `core.spreadsheets` like the registry's
export (text stays text); each export is recorded in the audit trail (as a reveal when the
numbers went out unmasked).

Phone numbers are masked and sensitive tags left out; the full numbers go out only when a user
who may reveal in the area asks for them with a stated reason — the same rule as the register
export (`registry.imports.full_export_reason`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from linli.core import audit, bulk
from linli.core.choices import AuditAction
from linli.core.masking import MOBILE, mask
from linli.core.models import Area
from linli.core.scoping import covers
from linli.core.spreadsheets import Workbook
from linli.registry.imports import full_export_reason
from linli.registry.models import HouseholdTag

CHUNK = 2000  # households per round of queries
BIG = 5000  # rows from which the workbook streams to disk instead of memory


def _percent(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _workbook(target, *, big: bool):
    workbook = Workbook(target, big=big)
    formats = {
        "title": workbook.add_format({"bold": True, "font_size": 13}),
        "header": workbook.add_format({"bold": True, "bg_color": "#E8F0FE", "border": 1}),
        "percent": workbook.add_format({"num_format": "0.0%"}),
        "text": workbook.add_format({"num_format": "@"}),
        "bold": workbook.add_format({"bold": True}),
    }
    return workbook, formats


def _headers(sheet, row: int, headers: list[str], formats) -> None:
    for col, header in enumerate(headers):
        sheet.write_string(row, col, header, formats["header"])


# --- coverage of the child areas ----------------------------------------------------------


def coverage_headers() -> list[str]:
    return [
        _("Area"),
        _("Villages"),
        _("Villages reached"),
        _("Households"),
        _("Households reached"),
        _("Household coverage"),
        _("Poor households"),
        _("Poor households reached"),
        _("Poor household coverage"),
        _("Visits"),
        _("Needs found"),
        _("Needs resolved"),
        _("Overdue now"),
    ]


def coverage_row(c) -> list:
    return [
        c.area.name,
        c.villages,
        c.villages_reached,
        c.households,
        c.households_reached,
        _percent(c.households_reached, c.households),
        c.poor,
        c.poor_reached,
        _percent(c.poor_reached, c.poor),
        c.visits,
        c.needs_found,
        c.needs_resolved,
        c.overdue,
    ]


PERCENT_COLUMNS = {5, 8}


def _write_coverage_row(sheet, row: int, values: list, formats, *, bold: bool = False) -> None:
    for col, value in enumerate(values):
        if value is None:
            sheet.write_blank(row, col, None)
        elif col in PERCENT_COLUMNS:
            sheet.write_number(row, col, value, formats["percent"])
        elif isinstance(value, int | float):
            sheet.write_number(row, col, value, formats["bold"] if bold else None)
        else:
            sheet.write_string(row, col, str(value), formats["bold"] if bold else None)


def write_coverage(*, actor, area: Area, start: dt.date, end: dt.date, total, rows, target) -> int:
    """The child areas' coverage (one row each) and the area's total, for [start, end]."""
    workbook, formats = _workbook(target, big=False)
    sheet = workbook.add_worksheet(_("Coverage"))
    title = _("Visit coverage of %(area)s, %(start)s to %(end)s") % {
        "area": area.name,
        "start": start.isoformat(),
        "end": end.isoformat(),
    }
    sheet.write_string(0, 0, title, formats["title"])
    headers = coverage_headers()
    _headers(sheet, 2, headers, formats)
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, len(headers) - 1, 12)
    line = 3
    for child in rows:
        _write_coverage_row(sheet, line, coverage_row(child), formats)
        line += 1
    total_values = coverage_row(total)
    total_values[0] = _("Total: %(area)s") % {"area": area.name}
    _write_coverage_row(sheet, line, total_values, formats, bold=True)
    sheet.freeze_panes(3, 1)
    workbook.close()
    audit.record(
        action=AuditAction.EXPORT,
        actor=actor,
        obj=area,
        changes={
            "export": "visit_coverage",
            "rows": len(rows),
            "start": start,
            "end": end,
        },
    )
    return len(rows)


# --- households not reached ---------------------------------------------------------------


def not_reached_headers() -> list[str]:
    return [
        _("Household number"),
        _("Area"),
        _("Address"),
        _("Head of household"),
        _("Mobile"),
        _("Household tags"),
        _("Last visit"),
        _("Next visit due"),
    ]


def _tags(pks: list[int], reveal: bool) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    rows = HouseholdTag.objects.filter(household_id__in=pks).order_by(
        "tag__sort_order", "tag__name"
    )
    for pk, name, sensitive in rows.values_list("household_id", "tag__name", "tag__sensitive"):
        if reveal or not sensitive:
            found[pk].append(name)
    return found


def not_reached_rows(households, *, reveal: bool) -> Iterator[list[str]]:
    """Rows for `households` (already restricted to what the user may see), by number."""
    keys = list(
        households.order_by("number").values_list(
            "pk",
            "number",
            "area__name",
            "address",
            "head__name",
            "head__mobile",
            "visit_state__last_visited_on",
            "visit_state__due_on",
        )
    )
    for chunk in bulk.chunks(keys, CHUNK):
        tags = _tags([row[0] for row in chunk], reveal)
        for pk, number, area, address, head, mobile, last, due in chunk:
            yield [
                number,
                area or "",
                address or "",
                head or "",
                (mobile if reveal else mask(mobile, MOBILE)) or "",
                "；".join(tags.get(pk, [])),
                last.isoformat() if last else "",
                due.isoformat() if due else "",
            ]


def _write_rows(sheet, rows: Iterable[list[str]], start_row: int) -> int:
    count = 0
    for count, row in enumerate(rows, start=1):
        sheet.write_row(start_row + count - 1, 0, row)
    return count


def write_not_reached(
    *,
    actor,
    area: Area,
    start: dt.date,
    end: dt.date,
    households,
    target,
    reveal: bool = False,
    reason: str = "",
) -> int:
    """The households under `area` with no visit in [start, end], one row each. The user
    needs registry.export there. Masked and recorded as an export; with `reveal` and a stated
    `reason` (registry.reveal needed there) unmasked, recorded as a reveal with the reason."""
    if not covers(actor, area, "registry.export"):
        raise PermissionDenied
    if reveal:
        reason = full_export_reason(actor=actor, area=area, reason=reason)
    workbook, formats = _workbook(target, big=households.count() > BIG)
    sheet = workbook.add_worksheet(_("Not reached"))
    headers = not_reached_headers()
    _headers(sheet, 0, headers, formats)
    for col, width in enumerate((14, 16, 30, 10, 14, 20, 12, 12)):
        sheet.set_column(col, col, width, formats["text"] if col in (0, 4) else None)
    count = _write_rows(sheet, not_reached_rows(households, reveal=reveal), 1)
    sheet.freeze_panes(1, 0)
    workbook.close()
    audit.record(
        action=AuditAction.REVEAL if reveal else AuditAction.EXPORT,
        actor=actor,
        obj=area,
        reason=reason if reveal else "",
        changes={
            "export": "visits_not_reached",
            "rows": count,
            "masked": not reveal,
            "start": start,
            "end": end,
        },
    )
    return count
