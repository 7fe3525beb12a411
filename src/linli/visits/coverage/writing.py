"""Writing the coverage summaries 覆盖汇总 (`CoverageSummary`), one row per unit and period."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from django.utils import timezone

from linli.core.choices import AreaKind
from linli.core.models import Area

from ..models import CoverageSummary
from .base import SUMMED, unit_depth, unit_length
from .periods import current_periods, period_bounds
from .records import _rows_from_records, _villages_linked


def units_of(villages: Iterable) -> list[Area]:
    """The units (see the package's docstring) the given areas or ids belong to."""
    ids = [v.pk if isinstance(v, Area) else int(v) for v in villages]
    length = unit_length(unit_depth())
    paths = {p[:length] for p in Area.objects.filter(pk__in=ids).values_list("path", flat=True)}
    return list(Area.objects.filter(path__in=paths))


def _summary(unit_id: int, kind: str, start: dt.date, row: Counter, villages: tuple, now):
    is_village, linked = villages
    return CoverageSummary(
        village_id=unit_id,
        period_kind=kind,
        period_start=start,
        **{name: row[name] for name in SUMMED},
        village_linked=is_village and linked,
        village_reached=is_village and row["level3_visits"] > 0,
        refreshed_at=now,
    )


def _count_period(kind: str, start: dt.date, units: list[Area] | None, today: dt.date) -> list:
    """The summary rows of one period, for `units` (None: every unit)."""
    end = period_bounds(kind, start)[1]
    now = timezone.now()
    depth = unit_depth()
    length = unit_length(depth)
    if units is None:
        rows = _rows_from_records("", length, start, end, today)
        wanted = dict(Area.objects.filter(depth=depth).values_list("path", "pk"))
        shallow = [k for k in rows if k not in wanted]
        wanted |= dict(Area.objects.filter(path__in=shallow).values_list("path", "pk"))
        linked = _villages_linked("", start, end)
    else:
        rows, wanted, linked = {}, {}, set()
        for unit in units:
            counted = _rows_from_records(unit.path, length, start, end, today)
            rows[unit.path] = counted.get(unit.path, Counter())
            wanted[unit.path] = unit.pk
            linked |= _villages_linked(unit.path, start, end)
    villages = set(
        Area.objects.filter(path__in=list(wanted), kind=AreaKind.VILLAGE).values_list(
            "path", flat=True
        )
    )
    return [
        _summary(
            pk, kind, start, rows.get(path, Counter()), (path in villages, path in linked), now
        )
        for path, pk in wanted.items()
    ]


def summaries_refresh(
    *,
    villages: Iterable | None = None,
    period_kinds: Iterable[str] | None = None,
    today: dt.date | None = None,
    periods: Iterable[tuple[str, dt.date]] | None = None,
) -> int:
    """Count the coverage summaries again and write them; returns the rows written.

    `villages`: areas or ids whose unit (their village) to refresh — None for every one;
    `periods`: (kind, first day) pairs — by default the periods of `period_kinds` (all three by
    default) running on `today`. Idempotent: a second run writes the same figures."""
    today = today or timezone.localdate()
    wanted = list(periods) if periods is not None else current_periods(today, period_kinds)
    units = None if villages is None else units_of(villages)
    written = 0
    for kind, start in wanted:
        start = period_bounds(kind, start)[0]
        summaries = _count_period(kind, start, units, today)
        CoverageSummary.objects.bulk_create(
            summaries,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["period_kind", "period_start", "village"],
            update_fields=[
                *SUMMED,
                "village_linked",
                "village_reached",
                "refreshed_at",
            ],
        )
        written += len(summaries)
    return written
