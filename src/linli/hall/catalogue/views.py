"""Pages of the catalogue 服务清单: the public catalogue (anyone, logged in or not; printable)
and its administration (`catalogue.manage`): items with their materials and route, versions
and what changed between them, withdrawing and offering again, categories.

Views stay thin: they parse, call one selector or service, and prepare what the template shows.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.core import timeline
from linli.core.web import form_page, posted, submit

from ..choices import HandlingMode
from ..models import ServiceItem
from . import selectors
from . import services as catalogue
from .forms import CategoryForm, ItemForms, item_forms, rearranged

ITEM_FORM = "services/catalogue/item_form.html"


# --- the public catalogue -----------------------------------------------------------------------


@require_GET
def catalogue_public(request):
    q = request.GET.get("q", "").strip()[: selectors.SEARCH_MAX_LENGTH]
    groups = selectors.public_catalogue(q)
    user = request.user
    context = {
        "groups": groups,
        "q": q,
        "item_count": sum(len(g.items) for g in groups),
        "perms_manage": user.is_authenticated and user.has_permission(catalogue.MANAGE),
    }
    return render(request, "services/catalogue/public_list.html", context)


@require_GET
def catalogue_public_item(request, pk: int):
    item = selectors.public_item_get(pk=pk)
    return render(request, "services/catalogue/public_item.html", {"item": item})


# --- items: administration ----------------------------------------------------------------------


@login_required
@require_GET
def catalogue_manage(request):
    user = request.user
    items = list(selectors.item_list(user=user, filters=request.GET))
    context = {
        "items": items,
        "categories": selectors.category_choices(),
        "modes": HandlingMode.choices,
        "filters": {
            "q": request.GET.get("q", "")[: selectors.SEARCH_MAX_LENGTH],
            "category": request.GET.get("category", ""),
            "mode": request.GET.get("mode", ""),
            "offered": request.GET.get("offered", ""),
        },
    }
    return render(request, "services/catalogue/manage_list.html", context)


@login_required
@require_GET
def catalogue_item_manage(request, pk: int):
    item = selectors.item_get(user=request.user, pk=pk)
    version = item.current
    context = {
        "item": item,
        "version": version,
        "eligibility_text": selectors.describe_eligibility(version),
        "eligibility_json": selectors.eligibility_json(version),
        "outreach_role": selectors.outreach_role_label(version.outreach_role),
        "events": list(timeline.events_for([item])[:50]),
    }
    return render(request, "services/catalogue/item_manage.html", context)


@login_required
@require_GET
def catalogue_item_versions(request, pk: int):
    item = selectors.item_get(user=request.user, pk=pk)
    entries = selectors.item_history(user=request.user, item=item)
    return render(
        request, "services/catalogue/item_versions.html", {"item": item, "entries": entries}
    )


def _item_form_page(request, forms: ItemForms, item: ServiceItem | None, status: int):
    version = item.current if item is not None else None
    context = {"forms": forms, "item": item, "version": version}
    if version is not None:
        context["eligibility_text"] = selectors.describe_eligibility(version)
        context["outreach_role"] = selectors.outreach_role_label(version.outreach_role)
        context["eligibility_json"] = selectors.eligibility_json(version)
    # A row button sent by HTMX gets the same page; HTMX swaps the form only.
    response = render(request, ITEM_FORM, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _item_form(request, *, item: ServiceItem | None) -> HttpResponse:
    user = request.user
    choices = {
        "categories": selectors.category_choices(),
        "departments": selectors.department_choices(user=user),
    }
    if request.method != "POST":
        return _item_form_page(request, item_forms(None, item=item, **choices), item, 200)
    forms = item_forms(request.POST, item=item, **choices)
    op = request.POST.get("op", "save")
    if op != "save":
        rows = rearranged(forms, op)
        if rows is None:
            return HttpResponseBadRequest(_("Unknown form action."))
        return _item_form_page(
            request, item_forms(None, item=item, rows=rows, **choices), item, 200
        )
    outcome = submit(
        request,
        forms,
        save=lambda data: _save_item(user, forms, item),
        success_message=_saved_message if item is not None else _added_message,
        success_url=lambda saved: reverse("services:catalogue_item_manage", args=[saved.pk]),
    )
    return outcome.response or _item_form_page(request, forms, item, outcome.status)


def _added_message(item: ServiceItem) -> str:
    return _("Service item %(name)s added.") % {"name": item.name}


def _saved_message(item: ServiceItem) -> str:
    return _("Version %(number)s of %(name)s saved.") % {
        "number": item.current.number,
        "name": item.name,
    }


def _save_item(user, forms: ItemForms, item: ServiceItem | None) -> ServiceItem:
    data = forms.item.cleaned_data
    fields = forms.item.version_fields()
    materials, route = forms.material_specs(), forms.step_specs()
    if item is None:
        return catalogue.item_create(
            actor=user,
            code=data["code"],
            sort_order=data["sort_order"],
            materials=materials,
            route=route,
            **fields,
        )
    catalogue.item_revise(
        actor=user,
        item=item,
        note=data["note"],
        expected_version=data["version"],
        materials=materials,
        route=route,
        **fields,
    )
    item.refresh_from_db()
    return item


@login_required
@require_http_methods(["GET", "POST"])
def catalogue_item_create(request):
    selectors.require_manager(request.user)
    return _item_form(request, item=None)


@login_required
@require_http_methods(["GET", "POST"])
def catalogue_item_edit(request, pk: int):
    item = selectors.item_get(user=request.user, pk=pk)
    return _item_form(request, item=item)


@login_required
@require_POST
def catalogue_item_offer(request, pk: int):
    """Withdraw the item from the catalogue (offered=0) or offer it again (offered=1)."""
    item = selectors.item_get(user=request.user, pk=pk)
    offered = request.POST.get("offered", "")
    if offered not in ("0", "1"):
        return HttpResponseBadRequest(_("Say whether the item is offered (1) or withdrawn (0)."))
    catalogue.item_set_offered(actor=request.user, item=item, offered=offered == "1")
    if offered == "1":
        messages.success(request, _("%(name)s is offered again.") % {"name": item.name})
    else:
        messages.success(
            request, _("%(name)s is withdrawn from the catalogue.") % {"name": item.name}
        )
    return redirect("services:catalogue_item_manage", pk=item.pk)


# --- categories ---------------------------------------------------------------------------------


@login_required
@require_GET
def catalogue_category_list(request):
    categories = selectors.category_list(user=request.user)
    return render(request, "services/catalogue/category_list.html", {"categories": categories})


@login_required
@require_http_methods(["GET", "POST"])
def catalogue_category_create(request):
    selectors.require_manager(request.user)
    return _category_form(request, category=None)


@login_required
@require_http_methods(["GET", "POST"])
def catalogue_category_edit(request, pk: int):
    category = selectors.category_get(user=request.user, pk=pk)
    return _category_form(request, category=category)


def _category_form(request, *, category) -> HttpResponse:
    def save(data):
        if category is None:
            return catalogue.category_create(actor=request.user, **data)
        return catalogue.category_update(actor=request.user, category=category, **data)

    categories = reverse("services:catalogue_category_list")
    if category is None:
        title = _("New category")
    else:
        title = _("Edit category %(name)s") % {"name": category.name}
    return form_page(
        request,
        CategoryForm(posted(request), category=category),
        save=save,
        success_message=lambda saved: _("Category %(name)s saved.") % {"name": saved.name},
        success_url=categories,
        context={
            "title": title,
            "breadcrumb": [{"label": _("Service categories"), "url": categories}],
            "cancel_url": categories,
        },
    )
