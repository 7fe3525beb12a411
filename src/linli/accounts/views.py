from django.contrib.auth import views as auth_views
from django.shortcuts import render

from .forms import LOGIN_FAILED_MESSAGE, LoginForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


def locked_out(request, credentials, *args, **kwargs):
    """django-axes calls this for a locked account: the same page and message as any failure."""
    form = LoginForm(request, data=request.POST or None)
    form.errors.clear()
    form.add_error(None, LOGIN_FAILED_MESSAGE)
    return render(request, "accounts/login.html", {"form": form})
