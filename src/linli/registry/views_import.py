"""Pages for register import and export 导入导出: upload a workbook, watch it being checked and
written, read the errors or download them in the workbook, the template, and the export of the
household list as it is filtered: masked by a GET, with the full numbers by a POST that states
its reason (明文导出, for those who may reveal)."""

from __future__ import annotations

import io
import tempfile

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from linli.core import selectors as core_selectors
from linli.core.downloads import XLSX, attachment, full_export_refused
from linli.core.forms import BootstrapFormMixin
from linli.core.models import Area
from linli.core.scoping import OutOfScope
from linli.core.web import form_page, posted, render_page
from linli.core.workspace import current_area

from . import imports, selectors
from .importing.validate import RowError
from .models import RegistryImport

ERRORS_ON_PAGE = 200


class ImportForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Register workbook"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.xlsm,.ods"}),
    )
    valid_only = forms.BooleanField(
        label=gettext_lazy("Import the valid households only"),
        required=False,
        help_text=gettext_lazy(
            "Otherwise nothing is imported while any row has an error. A household is imported "
            "whole or not at all."
        ),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Trial run: check and count, change nothing"),
        required=False,
    )


def _workbook_response(content: bytes, file_name: str):
    return attachment(content, file_name)


def _require_import(user) -> None:
    if not (user.is_staff_member and user.scope_paths("registry.import")):
        raise PermissionDenied


def _own_import(user, pk: int) -> RegistryImport:
    """An import is seen by whoever handed it in. Anyone else's is as unknown as a missing one
    (404), and the attempt is recorded as a denial like any record outside one's scope."""
    found = RegistryImport.objects.filter(pk=pk, created_by=user).first()
    if found is None:
        raise OutOfScope(RegistryImport, pk)
    return found


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request):
    user = request.user
    _require_import(user)
    form = ImportForm(posted(request), request.FILES or None)

    def save(data):
        return imports.import_start(
            actor=user,
            source=data["file"],
            file_name=data["file"].name,
            valid_only=data["valid_only"],
            dry_run=data["dry_run"],
        )

    return form_page(
        request,
        form,
        save=save,
        success_url=lambda started: reverse("registry:import_detail", args=[started.pk]),
        template="registry/import.html",
        context={"recent": RegistryImport.objects.filter(created_by=user)[:20]},
    )


def _progress_context(registry_import: RegistryImport) -> dict:
    elapsed = None
    if registry_import.started_at:
        end = registry_import.finished_at or timezone.now()
        elapsed = max((end - registry_import.started_at).total_seconds(), 0.001)
    rate = (
        round(registry_import.rows_done / elapsed) if elapsed and registry_import.rows_done else 0
    )
    percent = (
        round(100 * registry_import.rows_done / registry_import.rows_total)
        if registry_import.rows_total
        else 0
    )
    errors = [RowError.from_list(e) for e in registry_import.errors[:ERRORS_ON_PAGE]]
    for error in errors:
        error.text = imports.render_error(error)
    failure = registry_import.failure
    return {
        "imp": registry_import,
        "rate": rate,
        "percent": percent,
        "elapsed": round(elapsed, 1) if elapsed else None,
        "errors": errors,
        "more_errors": registry_import.error_count - len(errors),
        "ignored_columns": imports.ignored_columns_text(registry_import),
        "failure": imports.timeline.render(failure["message"], failure.get("params"))
        if failure
        else "",
    }


@never_cache
@login_required
@require_GET
def import_detail(request, pk: int):
    _require_import(request.user)
    registry_import = _own_import(request.user, pk)
    context = _progress_context(registry_import)
    return render_page(request, "registry/import_detail.html", context, partial="progress")


@never_cache
@login_required
@require_GET
def import_errors(request, pk: int):
    _require_import(request.user)
    registry_import = _own_import(request.user, pk)
    if not registry_import.errors:
        raise Http404
    # Written to a temporary file and sent from there a block at a time: a district's report
    # never sits in memory whole. The file is gone once the response is closed.
    report = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    imports.import_error_report(registry_import=registry_import, target=report)
    report.seek(0)
    stem = registry_import.file_name.rsplit(".", 1)[0]
    return FileResponse(
        report, as_attachment=True, filename=f"{stem}-{_('errors')}.xlsx", content_type=XLSX
    )


@login_required
@require_GET
def import_template(request):
    _require_import(request.user)
    out = io.BytesIO()
    imports.registry_template(target=out)
    return _workbook_response(out.getvalue(), "户籍登记模板.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def export(request):
    """The household list as filtered (area, search, tags, in the query string), as a workbook:
    masked for a GET; with the full numbers for a POST whose body states the reason."""
    user = request.user
    params = request.GET.copy()
    params.pop("page", None)
    area = _export_area(request, params.get("area", ""))  # 404 for an area the user cannot see
    if not (user.is_staff_member and user.scope_paths("registry.export")):
        raise PermissionDenied
    params["area"] = str(area.pk)
    action = selectors.list_action(params)  # as on the list: sensitive tags need reveal
    households = selectors.household_list(user=user, filters=params, action=action)
    full = request.method == "POST"
    out = io.BytesIO()
    try:
        imports.registry_export(
            actor=user,
            area=area,
            households=households,
            target=out,
            filters=dict(params.lists()),
            reveal=full,
            reason=request.POST.get("reason", "") if full else "",
        )
    except ValidationError as e:
        back = f"{reverse('registry:household_list')}?{params.urlencode()}"
        return full_export_refused(request, e, back=back, reason_min=imports.FULL_EXPORT_REASON_MIN)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _workbook_response(out.getvalue(), f"{area.name}-户籍-{stamp}.xlsx")


def _export_area(request, raw: str) -> Area:
    if raw.isdigit():
        # Another area's export answers 404 and is recorded as a denial (OutOfScope); a number
        # too long to be an id is nobody's area.
        if len(raw) > 18:
            raise OutOfScope(Area, raw)
        return core_selectors.area_get(user=request.user, pk=int(raw))
    area = current_area(request)
    if area is None:
        raise PermissionDenied
    return area
