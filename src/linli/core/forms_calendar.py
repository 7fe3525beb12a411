"""Forms of the working-day calendar pages: one day of a year, and a year's source when its
arrangement is marked as entered. They parse input; the rules (a make-up working day on a
weekend, a holiday on a weekday, inside the year, no duplicate) are `core.workdays`'s."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import BootstrapFormMixin

HOLIDAY, MAKE_UP = "holiday", "make_up"


class CalendarDayForm(BootstrapFormMixin, forms.Form):
    """A statutory holiday on a weekday, or a make-up working day on a weekend."""

    date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date such as 2027-10-01.")},
    )
    kind = forms.ChoiceField(
        label=_("Kind of day"),
        choices=[
            (HOLIDAY, _("Holiday: a weekday off")),
            (MAKE_UP, _("Make-up working day: a Saturday or Sunday worked")),
        ],
    )
    name = forms.CharField(
        label=_("Holiday"),
        max_length=40,
        help_text=_("The holiday the day belongs to, e.g. National Day."),
    )

    def __init__(self, *args, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.year = year
        self.fields["date"].widget.attrs.update({"min": f"{year}-01-01", "max": f"{year}-12-31"})

    @classmethod
    def initial_for(cls, day) -> dict:
        return {"date": day.date, "kind": MAKE_UP if day.working else HOLIDAY, "name": day.name}

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"date": data["date"], "working": data["kind"] == MAKE_UP, "name": data["name"]}


class CalendarPublishForm(BootstrapFormMixin, forms.Form):
    """Where the year's official arrangement comes from."""

    source = forms.CharField(
        label=_("Source"),
        max_length=200,
        help_text=_("The State Council notice the arrangement comes from, with its number."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
