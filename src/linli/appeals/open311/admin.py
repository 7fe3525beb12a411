"""Open311 keys 接口密钥, the administrator's page: the keys and their system accounts with the
posts each brought, a form to issue one (its key shown on that one answer only), a button to
revoke one, and the latest posts that could not be raised as appeals (and why)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from linli.accounts.models import User
from linli.core.web import act, submit

from . import keys, queue

MANAGE = keys.MANAGE


def _require(user) -> None:
    if not user.has_permission(MANAGE):
        raise PermissionDenied


class KeyForm(forms.Form):
    account = forms.ModelChoiceField(
        label=gettext_lazy("System account"),
        queryset=User.objects.filter(is_system_account=True, is_active=True).order_by("username"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        choices=[(c.value, c.label) for c in keys.KEY_CHANNELS],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    name = forms.CharField(
        label=gettext_lazy("Used by"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


def _page(request, form=None, status: int = 200):
    context = {
        "keys": keys.key_list(),
        "refused": queue.refused_lately(),
        "form": form or KeyForm(),
    }
    return render(request, "appeals/open311/keys.html", context, status=status)


@login_required
@require_GET
def key_list(request):
    """Open311 密钥 — every key, whose system account holds it, its channel and whether it is
    in use."""
    _require(request.user)
    return _page(request)


@never_cache
@login_required
@require_POST
def key_issue(request):
    _require(request.user)
    form = KeyForm(request.POST)

    def save(data):
        key, secret = keys.key_issue(
            actor=request.user, account=data["account"], channel=data["channel"], name=data["name"]
        )
        return render(request, "appeals/open311/key_issued.html", {"key": key, "secret": secret})

    outcome = submit(request, form, save=save)
    return outcome.response or _page(request, form=form, status=outcome.status)


@login_required
@require_POST
def key_revoke(request):
    _require(request.user)
    pk = request.POST.get("key", "")
    key = keys.key_get(int(pk)) if pk.isdigit() and len(pk) < 19 else None
    back = reverse("open311_keys:list")
    if key is None:
        from django.contrib import messages
        from django.shortcuts import redirect

        messages.error(request, _("There is no such key."))
        return redirect(back)
    return act(
        request,
        lambda: keys.key_revoke(actor=request.user, key=key),
        success_message=_("Key %(id)s revoked.") % {"id": key.pk},
        back=back,
    )
