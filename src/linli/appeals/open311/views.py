"""The GeoReport v2 endpoints at /open311/v2/.

Reads are public (no login, no key): the public categories and the requests raised in them,
shown as `reads` says. A post needs `api_key`; a key unknown, revoked or expired is 403, bad
input 400, an unknown service or request 404 — each as the spec's error list, and nothing is
stored. Every post is recorded in the audit trail under the key's system account (refused ones
too); the appeal's own records carry the key's token as their source.

Retries: a client that sends an `Idempotency-Key` header (as the JSON API's clients do) gets the
first answer back for the same key and body, and no second appeal (`core.idempotency`, per
system account).

A good post is answered at once with a `token` (201): it waits in the intake queue and a job
raises it as an appeal moments later (`queue`); `tokens/{token}` then gives its
`service_request_id`. A refusal is answered at once, as before.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from linli.core import audit, context, idempotency
from linli.core.choices import AuditAction, AuditOutcome

from . import definitions, intake, keys, places, queue, reads, render
from .intake import Open311Error, bad

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-07T00:00:00+08:00"
MAX_DAYS = 90
MAX_IDS = 100


def _fmt(fmt: str) -> str | None:
    return fmt if fmt in render.FORMATS else None


def _guarded(view):
    """Unknown format → 404; an `Open311Error` → the error list; other methods → 405."""

    def wrapped(request, *args, fmt: str, **kwargs):
        chosen = _fmt(fmt)
        if chosen is None:
            return render.errors("json", 404, _("Use .json or .xml."))
        try:
            return view(request, *args, fmt=chosen, **kwargs)
        except Open311Error as error:
            return render.errors(chosen, error.status, error.description)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return csrf_exempt(wrapped)


def _only(request, *methods: str) -> None:
    if request.method not in methods:
        raise Open311Error(405, _("Use %(methods)s here.") % {"methods": " or ".join(methods)})


@_guarded
def discovery(request, fmt: str):
    _only(request, "GET", "HEAD")
    root = request.build_absolute_uri(reverse("open311:discovery", args=["json"])).rsplit("/", 1)[0]
    return render.answer(
        fmt,
        "discovery",
        {
            "changeset": CHANGESET,
            "contact": "峡山区社会治理服务中心 12345",
            "key_service": "API keys are issued by the administrator of Linli (系统管理员).",
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": root + "/",
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


@_guarded
def service_list(request, fmt: str):
    _only(request, "GET", "HEAD")
    intake.check_jurisdiction(request.GET.get("jurisdiction_id"))
    rows = [definitions.service_row(c) for c in intake.offered_public()]
    return render.answer(fmt, "services", rows)


@_guarded
def service_definition(request, code: str, fmt: str):
    _only(request, "GET", "HEAD")
    intake.check_jurisdiction(request.GET.get("jurisdiction_id"))
    category = intake.public_category(code)
    return render.answer(fmt, "service_definition", definitions.definition(category))


def _moment(value: str, name: str) -> dt.datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        moment = parse_datetime(value.replace(" ", "+") if "T" in value else value)
    except ValueError:
        moment = None
    if moment is None:
        raise bad(
            _("%(name)s is not an ISO 8601 date and time (such as 2026-12-01T00:00:00+08:00).")
            % {"name": name}
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _window(data) -> tuple[dt.datetime, dt.datetime]:
    start, end = (
        _moment(data.get("start_date"), "start_date"),
        _moment(data.get("end_date"), "end_date"),
    )
    span = dt.timedelta(days=MAX_DAYS)
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        start = end - span
    if end is None:
        end = start + span
    if end < start:
        raise bad(_("end_date is before start_date."))
    if end - start > span:
        raise bad(
            _("start_date and end_date may be at most %(days)s days apart.") % {"days": MAX_DAYS}
        )
    return start, end


def _codes(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _list(request, fmt: str):
    data = request.GET
    intake.check_jurisdiction(data.get("jurisdiction_id"))
    qs = reads.public_requests()
    ids = _codes(data.get("service_request_id"))
    if ids:
        if len(ids) > MAX_IDS:
            raise bad(_("At most %(n)s service_request_id at once.") % {"n": MAX_IDS})
        qs = qs.filter(number__in=ids)  # overrides every other parameter, as the spec says
    else:
        start, end = _window(data)
        qs = qs.filter(created_at__gte=start, created_at__lte=end)
        services = _codes(data.get("service_code"))
        if services:
            qs = qs.filter(category__code__in=services)
        statuses = {s.lower() for s in _codes(data.get("status"))}
        if statuses - {"open", "closed"}:
            raise bad(_("status is open, closed, or both (comma separated)."))
        if statuses == {"open"}:
            qs = qs.exclude(state="closed")
        elif statuses == {"closed"}:
            qs = qs.filter(state="closed")
    directory = places.directory()
    rows = [reads.request_row(a, directory) for a in qs[: reads.MAX_RESULTS]]
    return render.answer(fmt, "service_requests", rows)


def _key_refused(request, fmt: str, secret: str):
    audit.record(
        action=AuditAction.DENIED,
        outcome=AuditOutcome.FAILURE,
        object_type="appeals.open311key",
        object_repr="Open311 POST requests",
        changes={"key_prefix": secret[3:11] if secret.startswith("lk_") else ""},
        actor_label="open311",
    )
    return render.errors(fmt, 403, _("api_key is missing, unknown or revoked."))


def _fingerprint_body(request) -> bytes:
    """The posted fields in a fixed order (form-encoded or multipart alike)."""
    return urlencode(sorted((k, v) for k, vs in request.POST.lists() for v in vs)).encode()


def _post(request, fmt: str):
    secret = (request.POST.get("api_key") or "").strip()
    key = keys.key_find(secret)
    if key is None:
        return _key_refused(request, fmt, secret)
    account = key.token.user
    context.using_api_token(key.token_id)

    def write():
        row = queue.accept(request.POST, key=key, address=context.current().address)
        return 201, {"rows": [queue.answer_row(row)]}

    try:
        status, body, replayed = idempotency.run(
            user=account,
            key=request.headers.get(idempotency.HEADER),
            method="POST",
            path=request.path,
            body=_fingerprint_body(request),
            write=write,
        )
    except Open311Error as error:
        audit.record(
            action=AuditAction.CREATE,
            outcome=AuditOutcome.FAILURE,
            actor=account,
            object_type="appeals.appeal",
            object_repr="Open311 POST requests",
            changes={"open311_key": key.pk, "status": error.status},
            reason=error.description[:500],
        )
        raise
    except ValidationError as error:  # the Idempotency-Key header itself
        raise bad(" ".join(error.messages)) from None
    response = render.answer(fmt, "service_requests", body["rows"], status=status)
    if replayed:
        response[idempotency.REPLAY_HEADER] = "true"
    return response


@_guarded
def requests(request, fmt: str):
    _only(request, "GET", "HEAD", "POST")
    if request.method == "POST":
        return _post(request, fmt)
    return _list(request, fmt)


@_guarded
def request_detail(request, number: str, fmt: str):
    _only(request, "GET", "HEAD")
    intake.check_jurisdiction(request.GET.get("jurisdiction_id"))
    appeal = reads.public_requests().filter(number=number).first()
    if appeal is None:
        raise Open311Error(404, _("There is no request %(id)s.") % {"id": number[:30]})
    return render.answer(fmt, "service_requests", [reads.request_row(appeal, places.directory())])


@_guarded
def token(request, token: str, fmt: str):
    """The request a token stands for: its id once the post is raised as an appeal, the token
    alone while it waits. (Before the intake queue, tokens were the request ids themselves.)"""
    _only(request, "GET", "HEAD")
    intake.check_jurisdiction(request.GET.get("jurisdiction_id"))
    row = queue.find(token)
    if row is not None:
        if row.state == row.State.REFUSED:
            raise Open311Error(404, queue.refusal_text(row))
        answer = {"token": row.token}
        if row.appeal_id is not None:
            answer = {"service_request_id": row.appeal.number, "token": row.token}
        return render.answer(fmt, "service_requests", [answer])
    number = reads.public_requests().filter(number=token).values_list("number", flat=True).first()
    if number is None:
        raise Open311Error(
            404, _("There is no request for the token %(token)s.") % {"token": token[:30]}
        )
    return render.answer(fmt, "service_requests", [{"service_request_id": number, "token": token}])
