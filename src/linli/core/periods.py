"""Periods 统计期 of the figures — the named ones, the form that chooses one on a dashboard (the
past 12 months, this year, quarter or month so far, or two dates) — and the median of counted
values: one home for what every module's dashboard, the cockpit and `linli figures` share."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django import forms
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .forms import BootstrapFormMixin


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both days included."""

    start: dt.date
    end: dt.date

    @classmethod
    def year_to_date(cls, today: dt.date | None = None) -> Period:
        today = today or timezone.localdate()
        return cls(dt.date(today.year, 1, 1), today)

    def condition(self, field_name: str) -> Q:
        """Times from the start of the first day to the end of the last, in local time (a range
        on the column itself, so that its index serves)."""
        zone = timezone.get_current_timezone()
        start = dt.datetime.combine(self.start, dt.time.min, tzinfo=zone)
        end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        return Q(**{f"{field_name}__gte": start, f"{field_name}__lt": end})


PERIOD_KINDS = ("12m", "year", "quarter", "month")


def period_of(kind: str, today: dt.date) -> Period:
    """A named period up to today: the past 12 months ("12m"), this calendar year, quarter or
    month so far."""
    if kind == "year":
        return Period(dt.date(today.year, 1, 1), today)
    if kind == "quarter":
        return Period(dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today)
    if kind == "month":
        return Period(today.replace(day=1), today)
    try:
        start = today.replace(year=today.year - 1) + dt.timedelta(days=1)
    except ValueError:  # 29 February: a year ago there was none
        start = dt.date(today.year - 1, 3, 1)
    return Period(start, today)


def median(histogram: Counter) -> float | None:
    """The median of values given as {value: how many}; None when there are none."""
    total = sum(histogram.values())
    if not total:
        return None
    lower, upper = (total - 1) // 2, total // 2  # 0-based ranks of the middle one or two
    seen, low = 0, None
    for value in sorted(histogram):
        seen += histogram[value]
        if low is None and seen > lower:
            low = value
        if seen > upper:
            return (low + value) / 2
    return float(max(histogram))  # pragma: no cover - the loop always returns


# --- choosing a period on a page -----------------------------------------------------------------

PERIOD_CHOICES = [
    ("12m", _("Past 12 months")),
    ("year", _("This year")),
    ("quarter", _("This quarter")),
    ("month", _("This month")),
    ("custom", _("Custom dates")),
]
MAX_PERIOD_DAYS = 366 * 5


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PeriodForm(BootstrapFormMixin, forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)
    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=_date_widget(),
        error_messages={"invalid": _("Enter the date as year-month-day.")},
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        widget=_date_widget(),
        error_messages={"invalid": _("Enter the date as year-month-day.")},
    )

    def clean(self):
        data = super().clean() or {}
        if data.get("period") != "custom":
            return data
        start, end = data.get("start"), data.get("end")
        if start is None and "start" not in self.errors:
            self.add_error("start", _("Enter the first day of the period."))
        if end is None and "end" not in self.errors:
            self.add_error("end", _("Enter the last day of the period."))
        if start and end:
            if end < start:
                self.add_error("end", _("The end cannot be before the start."))
            elif (end - start).days > MAX_PERIOD_DAYS:
                self.add_error("end", _("A period of at most five years, please."))
        return data


DEFAULT_PERIOD = "12m"


@dataclass
class PeriodChoice:
    """The period a page shows, as chosen in its `PeriodForm`."""

    kind: str
    period: Period
    form: PeriodForm

    @property
    def query(self) -> QueryDict:
        """The period as a query string, for links that keep it."""
        query = QueryDict(mutable=True)
        query["period"] = self.kind
        if self.kind == "custom":
            query["start"] = self.period.start.isoformat()
            query["end"] = self.period.end.isoformat()
        return query

    @property
    def refused(self) -> bool:
        return self.form.is_bound and bool(self.form.errors)


def chosen_period(request, today: dt.date) -> PeriodChoice:
    """The period asked for; the past 12 months when none is, or when the dates given are wrong
    (the form then carries the errors for the page to show)."""
    form = PeriodForm(request.GET or None, initial={"period": DEFAULT_PERIOD})
    kind = DEFAULT_PERIOD
    if form.is_bound and form.is_valid():
        kind = form.cleaned_data.get("period") or DEFAULT_PERIOD
        if kind == "custom":
            data = form.cleaned_data
            return PeriodChoice(kind, Period(data["start"], data["end"]), form)
    return PeriodChoice(kind, period_of(kind, today), form)
