"""The web kernel every module's pages share: HTMX-aware rendering and the form page.

A form page, in the manner of NetBox's `ObjectEditView`: GET shows the form; POST validates it,
calls one service, and on success says so and redirects; a refusal goes back on the form, under
the fields it names, with 400 for bad input and 409 when someone else acted first
(`core.errors`). The view keeps what is its own — which record, which form, which service, where
to go next — and hands the rest here:

    return form_page(
        request,
        HouseholdForm(posted(request), areas=areas, tags=tags, household=household),
        save=lambda data: services.household_update(actor=request.user, ...),
        success_message=_("Household saved."),
        success_url=reverse("registry:household_detail", args=[household.pk]),
        template="registry/household_form.html",
        context={"household": household},
    )

A form that fits the generic page (`FORM_PAGE`: title, breadcrumb, the fields one under
another) needs no template of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

from .errors import error_status
from .forms import add_service_errors

# The page of a simple form: title, breadcrumb, the fields one under another, submit, cancel.
FORM_PAGE = "form_page.html"


def posted(request: HttpRequest):
    """The form data of a POST, None for a GET: a form bound to it shows what was sent (an
    empty POST included, whose fields are then reported missing)."""
    return request.POST if request.method == "POST" else None


def is_htmx(request: HttpRequest) -> bool:
    """Whether HTMX asks for a part of the page. A history restore (back button after the
    cache expired) is sent by HTMX too, but wants the whole page."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render_page(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    partial: str | Mapping[str, str] = "",
    status: int = 200,
) -> HttpResponse:
    """The whole page, or only its `partial` (a django-template-partials name) when HTMX asks.
    `partial` may map the element HTMX targets (its HX-Target id) to the partial that fills
    it, for a page whose parts are reloaded one at a time; an unknown target gets the page."""
    name = template
    if isinstance(partial, Mapping):
        chosen = partial.get(request.headers.get("HX-Target", ""), "")
        vary = ["HX-Request", "HX-Target"]
    else:
        chosen, vary = partial, ["HX-Request"]
    if chosen and is_htmx(request):
        name = f"{template}#{chosen}"
    response = render(request, name, context, status=status)
    if partial:
        patch_vary_headers(response, vary)
    return response


@dataclass(frozen=True)
class Submitted:
    """What came of a posted form: the response to send (the redirect after a success), or the
    status to show the form again with (400 bad input, 409 conflict)."""

    response: HttpResponse | None = None
    status: int = 200


def _resolve(value, result):
    return value(result) if callable(value) else value


def submit(
    request: HttpRequest,
    form,
    *,
    save: Callable[[dict], Any],
    success_url: str | Callable[[Any], str] | None = None,
    success_message: str | Callable[[Any], str] = "",
    names: Mapping[str, str] | None = None,
) -> Submitted:
    """Validate the posted `form` and call `save(form.cleaned_data)`, the one service call.
    On success: `success_message` (text, or made from what `save` returned) and a redirect to
    `success_url` (likewise); a `save` that returns a response of its own (a page asking to
    confirm, a key shown once) has it sent as it is. On a refusal the service's errors go on
    the form (`names` maps its field names to the form's) and the status says which kind."""
    if not form.is_valid():
        return Submitted(status=400)
    try:
        result = save(form.cleaned_data)
    except ValidationError as error:
        add_service_errors(form, error, names=names)
        return Submitted(status=error_status(error))
    if isinstance(result, HttpResponse):
        return Submitted(response=result)
    message = _resolve(success_message, result)
    if message:
        messages.success(request, message)
    return Submitted(response=redirect(_resolve(success_url, result)))


def form_page(
    request: HttpRequest,
    form,
    *,
    template: str = FORM_PAGE,
    context: dict | Callable[[], dict] | None = None,
    partial: str | Mapping[str, str] = "",
    **submission,
) -> HttpResponse:
    """A page with one form: GET shows it (200); POST submits it (`submit`: the redirect after
    a success, else the page again with the form's errors and 400 or 409). `context` — a dict,
    or a function called after the submission for what depends on it — gets the form as
    "form"; `partial` is as for `render_page`."""
    status = 200
    if request.method == "POST":
        outcome = submit(request, form, **submission)
        if outcome.response is not None:
            return outcome.response
        status = outcome.status
    values = dict(context() if callable(context) else context or {})
    values.setdefault("form", form)
    return render_page(request, template, values, partial=partial, status=status)


def act(
    request: HttpRequest,
    perform: Callable[[], Any],
    *,
    success_message: str | Callable[[Any], str],
    back: str,
) -> HttpResponse:
    """A button that changes something without a form (deactivate, revoke, end): `perform()`
    calls the one service; its refusal is shown as error messages, its success as
    `success_message`, and either way the person goes `back` to the page they were on."""
    try:
        result = perform()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _resolve(success_message, result))
    return redirect(back)


def safe_next(request: HttpRequest, default: str = "") -> str:
    """The page to go back to (`next` in the form or the query), if it is one of this site's;
    else `default`."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return wanted if wanted and allowed else default
