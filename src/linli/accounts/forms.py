from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

# One message whatever went wrong (unknown name, wrong password, locked account), so the page
# tells an attacker nothing about which accounts exist or are locked.
LOGIN_FAILED_MESSAGE = _(
    "Login failed: the user name or password is wrong, or the account is temporarily locked. "
    "Please try again later or ask your administrator."
)


class LoginForm(AuthenticationForm):
    error_messages = {"invalid_login": LOGIN_FAILED_MESSAGE, "inactive": LOGIN_FAILED_MESSAGE}

    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "username", "class": "form-control"}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "current-password", "class": "form-control"}
        ),
    )


class LockedLoginForm(LoginForm):
    """The login form while an account is locked: it fails exactly like a wrong password, but
    without authenticating again (which would count, and audit, a second failure)."""

    def clean(self):
        raise self.get_invalid_login_error()
