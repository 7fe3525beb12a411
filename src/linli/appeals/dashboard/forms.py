"""The dashboard's period: the past 12 months, this calendar year, quarter or month so far, or
two dates."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.core.forms import BootstrapFormMixin

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
        data = super().clean()
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
