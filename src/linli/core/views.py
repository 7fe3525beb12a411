"""Pages of the shell: workbench, area switcher, area tree 区域 and audit trail 审计日志.

Views are thin: parse, call one selector or service, render. Scope comes from the selectors
(out of scope → 404); a missing permission for an action is a 403. Both are recorded as denials
by `core.middleware.DenialAuditMiddleware`.
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.core.models import Area

from . import audit, resident_home, selectors, services
from .actors import Actor
from .filters import AuditFilter
from .forms import AreaCreateForm, AreaEditForm, AreaMoveForm
from .masking import ID_NUMBER, MOBILE, mask, mask_text
from .scoping import OutOfScope, can
from .web import form_page, is_htmx, posted
from .workspace import current_area, set_current_area

AUDIT_PAGE_SIZE = 50


def _require(user: Actor, perm: str) -> None:
    if not user.has_permission(perm):
        raise PermissionDenied


@login_required
@require_GET
def workbench(request):
    """工作台 for staff; a resident gets their own home (`core.resident_home`) instead."""
    person = resident_home.resident_person(request.user)
    if person is not None:
        cards = resident_home.home_cards(request.user, person)
        return render(request, "core/resident_home.html", {"person": person, "cards": cards})
    area = current_area(request)
    context = {"area": area, "tiles": selectors.workbench_tiles(user=request.user, area=area)}
    return render(request, "core/workbench.html", context)


@login_required
@require_GET
def area_switch(request):
    pk = request.GET.get("area") or 0
    area = Area.objects.restrict(request.user, "view").filter(pk=pk).first()
    if area is None:
        raise OutOfScope(Area, pk)
    set_current_area(request, area)
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "core:workbench"
    return redirect(back)


# --- care mode 关怀模式 --------------------------------------------------------------------------

CARE_COOKIE = "linli_care"
CARE_COOKIE_AGE = 60 * 60 * 24 * 365 * 5  # kept on the phone until turned off


def care_mode_on(request) -> bool:
    return request.COOKIES.get(CARE_COOKIE) == "1"


def _local_path(url: str) -> str | None:
    """`url` when it is a path on this site ("/registry/…"), else None: the switch never sends a
    person to another site, whatever the form was made to say."""
    if not url.startswith("/") or url.startswith("//") or "\\" in url:
        return None
    if not url_has_allowed_host_and_scheme(url, allowed_hosts=set()):
        return None
    return url


@require_POST
def care_mode(request):
    """Turn care mode (larger type, higher contrast, big targets) on or off for this browser,
    with a long-lived cookie, and go back to the page the switch was pressed on."""
    back = _local_path(request.POST.get("next", "")) or "/"
    response = redirect(back)
    if request.POST.get("on") == "1":
        response.set_cookie(
            CARE_COOKIE,
            "1",
            max_age=CARE_COOKIE_AGE,
            samesite="Lax",
            httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
        )
    else:
        response.delete_cookie(CARE_COOKIE, samesite="Lax")
    return response


# --- the area tree --------------------------------------------------------------------------


def _area_param(request) -> int | None:
    raw = request.GET.get("area", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise OutOfScope(Area, raw)
    return int(raw)


@login_required
@require_GET
def area_tree(request):
    """The areas in the user's scope, from the tops of their grants down; `?area=` opens one."""
    user = request.user
    pk = _area_param(request)
    # An id is looked up first, so an area the user cannot see is a 404 for everyone, as on
    # every page that takes an id; only the plain tree answers 403 without area.view.
    area = selectors.area_get(user=user, pk=pk) if pk is not None else None
    if area is None:
        _require(user, "area.view")
        tops = user.scope_areas()
        if len(tops) == 1:  # one area of work: open it rather than show a lone closed node
            area = tops[0]
    context = {
        "area": area,
        "breadcrumb": selectors.area_breadcrumb(user=user, area=area) if area else [],
        "nodes": selectors.area_nodes(user=user, parent=area),
        "shows_households": user.has_permission("registry.view"),
    }
    if area is not None:
        context.update(
            {
                "can_change": can(user, area, "change"),
                "can_add": can(user, area, "add"),
                "can_move": area.parent_id is not None and can(user, area, "change"),
            }
        )
    return render(request, "core/area_tree.html", context)


@login_required
@require_GET
def area_children(request, pk: int):
    """HTMX partial: the children of one node, each with its counts."""
    user = request.user
    area = selectors.area_get(user=user, pk=pk)  # 404 without area.view over it
    context = {
        "nodes": selectors.area_nodes(user=user, parent=area),
        "shows_households": user.has_permission("registry.view"),
    }
    return render(request, "core/area_tree.html#nodes", context)


def _area_for(request, pk: int, action: str) -> Area:
    """The area if the user sees it (else 404) and may `action` it (else 403)."""
    area = selectors.area_get(user=request.user, pk=pk)
    if not can(request.user, area, action):
        raise PermissionDenied
    return area


def _tree_url(area: Area) -> str:
    return f"{reverse('core:area_tree')}?area={area.pk}"


def _form_context(area: Area, title: str, submit: str) -> dict:
    return {
        "title": title,
        "breadcrumb": [
            {"label": _("My areas"), "url": reverse("core:area_tree")},
            {"label": area.name, "url": _tree_url(area)},
        ],
        "submit": submit,
        "cancel_url": _tree_url(area),
    }


@login_required
@require_http_methods(["GET", "POST"])
def area_edit(request, pk: int):
    """Rename an area or set its division code (administrators)."""
    area = _area_for(request, pk, "change")
    initial = {"name": area.name, "code": area.code}
    form = AreaEditForm(posted(request), initial=initial, area=area)
    return form_page(
        request,
        form,
        save=lambda data: services.area_update(actor=request.user, area=area, **data),
        success_message=_("Saved."),
        success_url=_tree_url,
        context=_form_context(area, _("Edit %(name)s") % {"name": area.name}, _("Save")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def area_add(request, pk: int):
    """Create an area directly below this one (administrators)."""
    parent = _area_for(request, pk, "add")
    form = AreaCreateForm(posted(request), parent=parent)
    if not cast(forms.ChoiceField, form.fields["kind"]).choices:
        messages.info(request, _("No kind of area can be placed under this one."))
        return redirect(_tree_url(parent))
    title = _("New area under %(name)s") % {"name": parent.name}
    return form_page(
        request,
        form,
        save=lambda data: services.area_create(actor=request.user, parent=parent, **data),
        success_message=lambda area: _("Area %(name)s created.") % {"name": area.name},
        success_url=_tree_url,
        context=_form_context(parent, title, _("Create")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def area_move(request, pk: int):
    """Move an area (e.g. a village into another community); everything below it follows."""
    area = _area_for(request, pk, "change")
    if area.parent_id is None:
        raise PermissionDenied  # the root of the tree has nowhere to go
    targets = selectors.area_move_targets(user=request.user, area=area)
    form = AreaMoveForm(posted(request), targets=targets)

    def save(data):
        return services.area_move(
            actor=request.user, area=area, new_parent=data["parent"], reason=data["reason"]
        )

    return form_page(
        request,
        form,
        save=save,
        success_message=lambda moved: (
            _("%(name)s now belongs to %(parent)s.")
            % {"name": moved.name, "parent": form.cleaned_data["parent"].name}
        ),
        success_url=_tree_url,
        context=_form_context(area, _("Move %(name)s") % {"name": area.name}, _("Move")),
    )


# --- the audit trail ------------------------------------------------------------------------

# Search keys of the registry say nothing to a reader and would undo masking; an area's path
# is an internal encoding (its parent, shown instead, says the same).
_HIDDEN_CHANGE_KEYS = {"id_number_reversed", "mobile_reversed", "name_pinyin", "name_initials"}
_MASKED_CHANGE_KEYS = {"id_number": ID_NUMBER, "mobile": MOBILE}
_OTHER_KEY_LABELS = {
    "method": gettext_lazy("Method"),
    "path": gettext_lazy("Page"),
    "status": gettext_lazy("Status"),
    "field": gettext_lazy("Field"),
    "tags": gettext_lazy("Tags"),
    # Model fields that carry no translatable verbose_name of their own.
    "user": gettext_lazy("User"),
    "granted_by": gettext_lazy("Granted by"),
    "created_at": gettext_lazy("Created at"),
    "updated_at": gettext_lazy("Updated at"),
    "version": gettext_lazy("Version"),
    "revoked": gettext_lazy("Revoked"),
    "since": gettext_lazy("Since"),
    "detail": gettext_lazy("Detail"),
}


def _model_of(record):
    try:
        return apps.get_model(record.object_type) if record.object_type else None
    except (LookupError, ValueError):
        return None


def _field_of(model, key: str):
    if model is None:
        return None
    try:
        field = model._meta.get_field(key.removesuffix("_id"))
    except FieldDoesNotExist:
        return None
    # A change's key that happens to name a reverse relation (an item's "versions") is a
    # value of the change, not a field of the record.
    return None if field.auto_created and not field.concrete else field


def _field_label(model, key: str) -> str:
    field = _field_of(model, key)
    label = getattr(field, "verbose_name", None)
    if isinstance(label, Promise):  # a translatable verbose_name
        return str(label)
    name = field.name if field is not None else key  # "user_id" in a change is the field "user"
    return str(_OTHER_KEY_LABELS.get(name, label or key))


def _related_names(records) -> dict:
    """Names of the records that changes point at (a parent area, a household …), one query
    per related model for the whole page, so "parent area: 5 → 9" reads "文岭社区 → 营辉社区"."""
    wanted: dict = {}
    for entry in records:
        model = _model_of(entry)
        for side in ("before", "after"):
            values = (entry.changes or {}).get(side)
            if not isinstance(values, dict):
                continue
            for key, value in values.items():
                field = _field_of(model, key)
                related = field is not None and field.is_relation and field.many_to_one
                if related and isinstance(value, int):
                    wanted.setdefault(field.related_model, set()).add(value)
    names = {}
    for model, ids in wanted.items():
        for pk, obj in model._default_manager.in_bulk(list(ids)).items():
            names[(model, pk)] = str(obj)
    return names


def _shown(model, key: str, value, names: dict) -> str:
    """A value as the auditor sees it: personal numbers masked, the empty shown as a dash."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, dict) and set(value) == {"masked", "fingerprint"}:
        return _("%(masked)s (fingerprint %(fingerprint)s)") % value
    if key in _MASKED_CHANGE_KEYS:  # written before the trail kept numbers masked
        return mask(str(value), _MASKED_CHANGE_KEYS[key])
    field = _field_of(model, key)
    related = field is not None and field.is_relation and field.many_to_one
    if related and (field.related_model, value) in names:
        return f"{names[(field.related_model, value)]} (#{value})"
    if field is not None and field.choices and not isinstance(value, list):
        return str(dict(field.flatchoices).get(value, value))
    if key == "field" and model is not None:
        return _field_label(model, str(value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        value = "、".join(str(v) for v in value)
    return mask_text(str(value))


def _hidden(model, key: str) -> bool:
    return key in _HIDDEN_CHANGE_KEYS or (model is Area and key in {"path", "depth"})


def readable_changes(record, names: dict | None = None) -> list[dict]:
    """The record's changes as rows of field / before / after, for people to read."""
    changes, model, names = record.changes or {}, _model_of(record), names or {}
    if isinstance(changes.get("before"), dict) or isinstance(changes.get("after"), dict):
        before, after = changes.get("before") or {}, changes.get("after") or {}
        keys = [k for k in dict.fromkeys([*before, *after]) if not _hidden(model, k)]
        return [
            {
                "field": _field_label(model, k),
                "before": _shown(model, k, before.get(k), names) if "before" in changes else "",
                "after": _shown(model, k, after.get(k), names) if "after" in changes else "",
            }
            for k in keys
        ]
    # Other shapes: a reveal ({"field": …}), a denial ({"method", "path", "status"}) …
    return [
        {
            "field": str(_OTHER_KEY_LABELS.get(k) or _field_label(model, k)),
            "before": "",
            "after": _shown(model, k, v, names),
        }
        for k, v in changes.items()
        if k not in _HIDDEN_CHANGE_KEYS
    ]


def _audit_page(request, *, verify_report=None):
    user = request.user
    records = selectors.audit_list(user=user, filters=request.GET)
    filter_form = AuditFilter(request.GET or None).form
    page = Paginator(records, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    names = _related_names(page.object_list)
    for entry in page.object_list:
        entry.rows = readable_changes(entry, names)
        model = _model_of(entry)
        entry.type_label = model._meta.verbose_name if model else entry.object_type
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filter_form": filter_form,
        "query": query.urlencode(),
        "verify_report": verify_report,
    }
    status = 400 if filter_form.is_bound and not filter_form.is_valid() else 200
    return render(request, "core/audit_list.html", context, status=status)


@login_required
@require_GET
def audit_list(request):
    """The audit trail for auditors: read-only, filtered, paginated. Reading it changes nothing
    and is therefore not itself written to the trail."""
    return _audit_page(request)


@login_required
@require_POST
def audit_verify(request):
    """Walk the hash chain (`linli audit verify`) and show whether it holds."""
    _require(request.user, "audit.view")
    report = audit.verify()
    if is_htmx(request):
        return render(request, "core/audit_list.html#verify-result", {"verify_report": report})
    return _audit_page(request, verify_report=report)
