from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from linli.core.models import Area

from . import selectors
from .workspace import current_area, set_current_area


@login_required
def workbench(request):
    area = current_area(request)
    context = {"area": area, "tiles": selectors.workbench_tiles(user=request.user, area=area)}
    return render(request, "core/workbench.html", context)


@login_required
@require_GET
def area_switch(request):
    area = (
        Area.objects.restrict(request.user, "view").filter(pk=request.GET.get("area") or 0).first()
    )
    if area is None:
        raise Http404
    set_current_area(request, area)
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "core:workbench"
    return redirect(back)


def _pending(request, *args, **kwargs):
    raise Http404


area_tree = audit_list = _pending
