"""Pages of accounts 账号: login and logout, one's own password and API tokens, and the account
management of the three separate duties (三权分立) — users, system accounts and their tokens for
the administrator, grants and unlocking for the security officer.

Views are thin: parse, call one selector or service, render. A missing permission is a 403,
which `core.middleware.DenialAuditMiddleware` records as a denial.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.core import outage
from linli.core.web import act, form_page, posted, safe_next, submit

from . import selectors, services
from .forms import (
    ApiTokenForm,
    GrantForm,
    LockedLoginForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    SystemAccountForm,
    UnlockForm,
    UserCreateForm,
    UserFilterForm,
)

PAGE_SIZE = 50


class LoginView(auth_views.LoginView):
    """登录 — a new session on success (Django cycles the key); one message for any failure."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get(self, request, *args, **kwargs):
        # The empty form needs no query; without one, a database that does not answer would
        # still show people a login that cannot work (they get the 503 page instead).
        outage.check_database()
        return super().get(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    pass


def locked_out(request, original_response=None, credentials=None):
    """django-axes calls this for a locked account: the same page and message as any failure."""
    form = LockedLoginForm(request, data=request.POST or None)
    form.is_valid()
    context = {"form": form, "next": request.POST.get("next", "")}
    return render(request, "accounts/login.html", context)


# --- helpers --------------------------------------------------------------------------------


def _require(user, perm: str) -> None:
    if not user.has_permission(perm):
        raise PermissionDenied


# --- users (administrator) ------------------------------------------------------------------


def _user_list_page(request, *, perm: str, mode: str):
    _require(request.user, perm)
    form = UserFilterForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    filters = form.cleaned_data if form.is_bound and valid else {}
    users = selectors.user_list(user=request.user, filters=filters)
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page,
        "page_range": page.paginator.get_elided_page_range(page.number),
        "mode": mode,
    }
    return render(request, "accounts/user_list.html", context, status=200 if valid else 400)


@login_required
@require_GET
def user_list(request):
    """用户管理 — every account, searchable, for the administrator."""
    return _user_list_page(request, perm="accounts.manage", mode="users")


def _new_account_context(title: str, intro: str) -> dict:
    users = reverse("accounts:user_list")
    return {
        "title": title,
        "intro": intro,
        "breadcrumb": [{"label": _("Users"), "url": users}],
        "submit": _("Create"),
        "cancel_url": users,
    }


def _to_account(user) -> str:
    return reverse("accounts:user_detail", args=[user.pk])


@login_required
@require_http_methods(["GET", "POST"])
def user_create(request):
    """A new account with an initial password; roles come later, from the security officer."""
    _require(request.user, "accounts.manage")

    def save(data):
        return services.user_create(
            actor=request.user,
            username=data["username"],
            display_name=data["display_name"].strip(),
            password=data["password"],
        )

    return form_page(
        request,
        UserCreateForm(posted(request)),
        save=save,
        success_message=lambda user: _("Account %(name)s created.") % {"name": user.username},
        success_url=_to_account,
        context=_new_account_context(
            _("New user"),
            _("The account starts without any role: the security officer grants roles."),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def system_account_create(request):
    """A new system account 系统账号 for another system: no password, no personal role; the
    administrator then issues its API tokens."""
    _require(request.user, "accounts.manage")

    def save(data):
        return services.system_account_create(
            actor=request.user,
            username=data["username"],
            display_name=data["display_name"].strip(),
        )

    intro = _(
        "For another system that calls the API, such as a 12345 hotline gateway. It has no "
        "password, nobody logs in with it, and it holds no personal role; you issue its API "
        "tokens on its page."
    )
    return form_page(
        request,
        SystemAccountForm(posted(request)),
        save=save,
        success_message=lambda user: (
            _("System account %(name)s created.") % {"name": user.username}
        ),
        success_url=_to_account,
        context=_new_account_context(_("New system account"), intro),
    )


def _user_page(request, target, *, token_form=None, reset_form=None, status: int = 200):
    context = {
        "target": target,
        "current_grants": target.active_grants,
        "tokens": selectors.api_token_list(user=request.user, target=target),
        "token_form": token_form or ApiTokenForm(),
        "reset_form": reset_form or PasswordResetForm(),
        "is_self": target.pk == request.user.pk,
        "can_reset_password": services.password_reset_allowed(actor=request.user, user=target),
    }
    return render(request, "accounts/user_detail.html", context, status=status)


@login_required
@require_GET
def user_detail(request, pk: int):
    """One account for the administrator: status, the roles it holds, its API tokens."""
    _require(request.user, "accounts.manage")
    target = selectors.user_get(user=request.user, pk=pk, perms=("accounts.manage",))
    return _user_page(request, target)


@login_required
@require_POST
def user_set_active(request, pk: int):
    """Deactivate or reactivate an account (`active` = 1 or 0)."""
    _require(request.user, "accounts.manage")
    target = selectors.user_get(user=request.user, pk=pk, perms=("accounts.manage",))
    active = request.POST.get("active") == "1"
    done = _("%(name)s can log in again.") if active else _("%(name)s is deactivated.")
    return act(
        request,
        lambda: services.user_set_active(actor=request.user, user=target, active=active),
        success_message=done % {"name": target.username},
        back=_to_account(target),
    )


@login_required
@require_POST
def user_password_reset(request, pk: int):
    """重置密码 — a new initial password for a person, who must change it at their next login."""
    _require(request.user, "accounts.manage")
    target = selectors.user_get(user=request.user, pk=pk, perms=("accounts.manage",))
    form = PasswordResetForm(request.POST)
    outcome = submit(
        request,
        form,
        save=lambda data: services.user_password_reset(
            actor=request.user, user=target, password=data["password"]
        ),
        success_message=_(
            "%(name)s has a new initial password and must change it at the next login."
        )
        % {"name": target.username},
        success_url=_to_account(target),
    )
    return outcome.response or _user_page(request, target, reset_form=form, status=outcome.status)


# --- API tokens (administrator: system accounts) --------------------------------------------


def _issue_token(request, target, form):
    """Issue a token and show its key on this one response only: it is stored as a hash, so
    neither this page nor any other can show it again (and the response is never cached).
    When the form or the service refused, the reasons are on the form."""

    def save(data):
        token, key = services.api_token_issue(
            actor=request.user, user=target, name=data["name"], expires_at=form.expires_at
        )
        context = {
            "target": target,
            "token": token,
            "key": key,
            "own": target.pk == request.user.pk,
        }
        return render(request, "accounts/token_issued.html", context)

    return submit(request, form, save=save)


@never_cache
@login_required
@require_POST
def api_token_issue(request, pk: int):
    """A token for a system account; a person's own tokens are issued on their own page."""
    _require(request.user, "accounts.manage")
    target = selectors.user_get(user=request.user, pk=pk, perms=("accounts.manage",))
    form = ApiTokenForm(request.POST)
    issued = _issue_token(request, target, form)
    return issued.response or _user_page(request, target, token_form=form, status=issued.status)


@login_required
@require_POST
def api_token_revoke(request, pk: int):
    _require(request.user, "accounts.manage")
    token = selectors.api_token_get(user=request.user, pk=pk)
    return _revoke(request, token, back=reverse("accounts:user_detail", args=[token.user_id]))


def _revoke(request, token, *, back: str):
    return act(
        request,
        lambda: services.api_token_revoke(actor=request.user, token=token),
        success_message=_("Token %(name)s revoked.") % {"name": token.name},
        back=back,
    )


# --- one's own account: password and API tokens ---------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    """修改密码 — the person's own password. While an administrator's initial password is still
    in use, every other page leads here (see `PasswordChangeRequiredMiddleware`)."""
    user = request.user
    if user.is_system_account:
        raise PermissionDenied

    def save(data):
        changed = services.password_change(
            actor=user, current_password=data["current_password"], new_password=data["new_password"]
        )
        update_session_auth_hash(request, changed)  # stay logged in here, end other sessions
        return changed

    return form_page(
        request,
        PasswordChangeForm(posted(request)),
        save=save,
        success_message=_("Your password is changed."),
        success_url=safe_next(request) or reverse("core:workbench"),
        template="accounts/password_change.html",
        context=lambda: {"forced": request.user.must_change_password, "next": safe_next(request)},
    )


def _require_staff_member(user) -> None:
    """Own API tokens are for staff; a resident uses the pages."""
    if not user.is_staff_member:
        raise PermissionDenied


def _own_tokens_page(request, *, form=None, status: int = 200):
    context = {
        "tokens": selectors.own_api_token_list(user=request.user),
        "token_form": form or ApiTokenForm(),
    }
    return render(request, "accounts/own_tokens.html", context, status=status)


@login_required
@require_GET
def own_tokens(request):
    """我的接口令牌 — the tokens a person issued for their own use of the API."""
    _require_staff_member(request.user)
    return _own_tokens_page(request)


@never_cache
@login_required
@require_POST
def own_token_issue(request):
    _require_staff_member(request.user)
    form = ApiTokenForm(request.POST)
    issued = _issue_token(request, request.user, form)
    return issued.response or _own_tokens_page(request, form=form, status=issued.status)


@login_required
@require_POST
def own_token_revoke(request, pk: int):
    _require_staff_member(request.user)
    token = selectors.own_api_token_get(user=request.user, pk=pk)
    return _revoke(request, token, back=reverse("accounts:own_tokens"))


# --- grants (security officer) --------------------------------------------------------------


@login_required
@require_GET
def grant_user_list(request):
    """授权管理 — the same list of accounts, each leading to its grants."""
    return _user_list_page(request, perm="grants.manage", mode="grants")


@login_required
@require_http_methods(["GET", "POST"])
def user_grants(request, pk: int):
    """One account's grants, with the form that adds one (not for one's own account)."""
    user = request.user
    _require(user, "grants.manage")
    target = selectors.user_get(user=user, pk=pk, perms=("grants.manage",))
    is_self = target.pk == user.pk
    form = GrantForm(
        posted(request),
        areas=selectors.grantable_areas(user=user),
        organisations=selectors.grantable_organisations(user=user),
    )
    if request.method == "POST" and is_self:
        raise PermissionDenied
    return form_page(
        request,
        form,
        save=lambda data: services.grant_create(actor=user, user=target, **data),
        success_message=lambda grant: (
            _("%(user)s is now %(role)s over %(area)s.")
            % {"user": target, "role": grant.get_role_display(), "area": grant.area.name}
        ),
        success_url=reverse("accounts:user_grants", args=[target.pk]),
        template="accounts/user_grants.html",
        context=lambda: {
            "target": target,
            "grants": selectors.grant_list(user=user, target=target),
            "is_self": is_self,
        },
    )


@login_required
@require_POST
def grant_end(request, pk: int):
    """End a grant now (its last day becomes yesterday)."""
    _require(request.user, "grants.manage")
    grant = selectors.grant_get(user=request.user, pk=pk)
    return act(
        request,
        lambda: services.grant_end(actor=request.user, grant=grant),
        success_message=_("%(user)s no longer holds %(role)s over %(area)s.")
        % {"user": grant.user, "role": grant.get_role_display(), "area": grant.area.name},
        back=reverse("accounts:user_grants", args=[grant.user_id]),
    )


# --- locked-out accounts (security officer) -------------------------------------------------


@login_required
@require_GET
def locked_list(request):
    """锁定账号 — accounts django-axes refuses after too many failed logins."""
    _require(request.user, "accounts.unlock")
    context = {
        "locked": selectors.locked_out_list(user=request.user),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    return render(request, "accounts/locked_list.html", context)


@login_required
@require_POST
def account_unlock(request):
    _require(request.user, "accounts.unlock")
    form = UnlockForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an account to unlock."))
        return redirect("accounts:locked_list")
    username = form.cleaned_data["username"]
    locked = {e.username: e for e in selectors.locked_out_list(user=request.user)}
    addresses = locked[username].addresses if username in locked else []
    if services.account_unlock(actor=request.user, username=username, addresses=addresses):
        messages.success(request, _("%(name)s is unlocked.") % {"name": username})
    else:
        messages.info(request, _("%(name)s was not locked.") % {"name": username})
    return redirect("accounts:locked_list")
