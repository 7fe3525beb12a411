"""The working-day calendar pages 工作日历 (administrators, `calendar.manage`): the years and
whether their official arrangement is entered; one year's holidays and make-up working days;
add, change and remove a day; mark a year's arrangement as entered (or take that back).

The calendar belongs to the whole deployment, not to an area: without the permission every
page answers 403. Views are thin: the rules and the audit are in `core.workdays`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import workdays
from .actors import Actor
from .forms_calendar import CalendarDayForm, CalendarPublishForm
from .models import WorkCalendarDay
from .web import form_page, posted, submit


def _require_manager(user: Actor) -> None:
    if not user.has_permission(workdays.CALENDAR_MANAGE):
        raise PermissionDenied


def _year_or_404(year: int) -> int:
    if not workdays.FIRST_YEAR <= year <= workdays.LAST_YEAR:
        raise Http404
    return year


def _day_or_404(pk: int) -> WorkCalendarDay:
    day = WorkCalendarDay.objects.filter(pk=pk).first()
    if day is None:
        raise Http404
    return day


@login_required
@require_GET
def calendar_years(request):
    """Every year of the calendar with the state of its arrangement."""
    _require_manager(request.user)
    years = workdays.calendar_years()
    missing = [y for y in years if not y.published and y.year in workdays.years_deadlines_reach()]
    return render(request, "core/calendar_years.html", {"years": years, "missing": missing})


def _year_page(request, year: int, *, day_form=None, publish_form=None, status: int = 200):
    context = {
        "year": year,
        "state": workdays.calendar_year_state(year=year),
        "days": workdays.calendar_days(year=year),
        "day_form": day_form or CalendarDayForm(year=year, initial={"kind": "holiday"}),
        "publish_form": publish_form or CalendarPublishForm(),
    }
    return render(request, "core/calendar_year.html", context, status=status)


@login_required
@require_GET
def calendar_year(request, year: int):
    """One year: its holidays and make-up working days, the form to add one, and its state."""
    _require_manager(request.user)
    return _year_page(request, _year_or_404(year))


@login_required
@require_POST
def calendar_day_add(request, year: int):
    _require_manager(request.user)
    year = _year_or_404(year)
    form = CalendarDayForm(request.POST, year=year)
    outcome = submit(
        request,
        form,
        save=lambda data: workdays.calendar_day_create(
            actor=request.user, year=year, **form.service_arguments()
        ),
        success_message=lambda day: _("%(date)s added.") % {"date": day.date.isoformat()},
        success_url=reverse("core:calendar_year", args=[year]),
    )
    return outcome.response or _year_page(request, year, day_form=form, status=outcome.status)


@login_required
@require_http_methods(["GET", "POST"])
def calendar_day_edit(request, pk: int):
    _require_manager(request.user)
    day = _day_or_404(pk)
    year = day.date.year
    initial = CalendarDayForm.initial_for(day)
    form = CalendarDayForm(posted(request), initial=initial, year=year)
    year_url = reverse("core:calendar_year", args=[year])
    context = {
        "title": _("Change %(date)s") % {"date": day.date.isoformat()},
        "breadcrumb": [
            {"label": _("Working-day calendar"), "url": reverse("core:calendar_years")},
            {"label": year, "url": year_url},
        ],
        "cancel_url": year_url,
    }
    return form_page(
        request,
        form,
        save=lambda data: workdays.calendar_day_update(
            actor=request.user, day=day, **form.service_arguments()
        ),
        success_message=lambda day: _("%(date)s saved.") % {"date": day.date.isoformat()},
        success_url=year_url,
        context=context,
    )


@login_required
@require_POST
def calendar_day_delete(request, pk: int):
    _require_manager(request.user)
    day = _day_or_404(pk)
    workdays.calendar_day_delete(actor=request.user, day=day)
    messages.success(
        request,
        _("%(date)s removed: it counts as an ordinary day again.") % {"date": day.date.isoformat()},
    )
    return redirect("core:calendar_year", year=day.date.year)


@login_required
@require_POST
def calendar_year_publish(request, year: int):
    _require_manager(request.user)
    year = _year_or_404(year)
    form = CalendarPublishForm(request.POST)
    outcome = submit(
        request,
        form,
        save=lambda data: workdays.calendar_year_publish(
            actor=request.user, year=year, source=data["source"]
        ),
        success_message=_(
            "The arrangement of %(year)s is entered: deadlines through it no longer carry a "
            "warning."
        )
        % {"year": year},
        success_url=reverse("core:calendar_year", args=[year]),
    )
    return outcome.response or _year_page(request, year, publish_form=form, status=outcome.status)


@login_required
@require_POST
def calendar_year_withdraw(request, year: int):
    _require_manager(request.user)
    year = _year_or_404(year)
    try:
        workdays.calendar_year_withdraw(actor=request.user, year=year)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("core:calendar_year", year=year)
    messages.warning(
        request,
        _(
            "%(year)s is provisional again: deadlines through it count Monday to Friday and "
            "carry a warning."
        )
        % {"year": year},
    )
    return redirect("core:calendar_year", year=year)
