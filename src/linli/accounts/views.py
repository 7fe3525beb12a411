from django.contrib.auth import views as auth_views
from django.shortcuts import render

from .forms import LockedLoginForm, LoginForm


class LoginView(auth_views.LoginView):
    """登录 — a new session on success (Django cycles the key); one message for any failure."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


def locked_out(request, original_response=None, credentials=None):
    """django-axes calls this for a locked account: the same page and message as any failure."""
    form = LockedLoginForm(request, data=request.POST or None)
    form.is_valid()
    context = {"form": form, "next": request.POST.get("next", "")}
    return render(request, "accounts/login.html", context)
