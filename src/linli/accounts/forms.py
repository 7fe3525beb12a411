import datetime as dt

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import (
    password_validators_help_text_html,
    validate_password,
)
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from linli.core.forms import BootstrapFormMixin
from linli.core.models import Area

from .models import User
from .roles import Role

# One message whatever went wrong (unknown name, wrong password, locked account), so the page
# tells an attacker nothing about which accounts exist or are locked.
LOGIN_FAILED_MESSAGE = _(
    "Login failed: the user name or password is wrong, or the account is temporarily locked. "
    "Please try again later or ask your administrator."
)


class LoginForm(BootstrapFormMixin, AuthenticationForm):
    error_messages = {"invalid_login": LOGIN_FAILED_MESSAGE, "inactive": LOGIN_FAILED_MESSAGE}

    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.is_system_account:  # it has no password; should it get one, it still may not
            raise self.get_invalid_login_error()


class LockedLoginForm(LoginForm):
    """The login form while an account is locked: it fails exactly like a wrong password, but
    without authenticating again (which would count, and audit, a second failure)."""

    def clean(self):
        raise self.get_invalid_login_error()


# --- account management -----------------------------------------------------------------------
# These forms only parse and check input; the writes are the services in accounts.services,
# whose own checks (separation of duties, scope, password rules) stay authoritative.


class UserFilterForm(BootstrapFormMixin, forms.Form):
    """Search of the user list: user name or display name, and a role held today."""

    q = forms.CharField(label=_("Search"), max_length=50, required=False)
    role = forms.ChoiceField(label=_("Role"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", _("Any role")), *Role.choices]
        self.fields["q"].widget.attrs.update(
            {"placeholder": _("User name or display name"), "type": "search"}
        )


class UserCreateForm(BootstrapFormMixin, forms.Form):
    """A new account: user name, display name and an initial password (no role: the security
    officer grants roles)."""

    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and @ . + - _ only; used to log in."),
    )
    display_name = forms.CharField(label=_("Display name"), max_length=100, required=False)
    password = forms.CharField(label=_("Initial password"), strip=False)
    password_again = forms.CharField(label=_("Initial password (again)"), strip=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = password_validators_help_text_html()
        for name in ("password", "password_again"):
            self.fields[name].widget = forms.PasswordInput(attrs={"autocomplete": "new-password"})
        self.fields["username"].widget.attrs.update({"autocomplete": "off"})

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip()

    def clean(self):
        data = super().clean()
        password, again = data.get("password"), data.get("password_again")
        if password and again and password != again:
            self.add_error("password_again", _("The two passwords differ."))
        if password:
            probe = User(
                username=data.get("username", ""), display_name=data.get("display_name", "")
            )
            try:
                validate_password(password, probe)
            except ValidationError as error:
                self.add_error("password", error)
        return data


class SystemAccountForm(BootstrapFormMixin, forms.Form):
    """A new system account 系统账号: a user name and what system it stands for. No password."""

    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and @ . + - _ only, e.g. hotline-12345."),
    )
    display_name = forms.CharField(
        label=_("System"),
        max_length=100,
        required=False,
        help_text=_("What calls the API with it, e.g. the 12345 hotline gateway."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "off"})

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip()


def _password_widget(autocomplete: str) -> forms.PasswordInput:
    return forms.PasswordInput(attrs={"autocomplete": autocomplete})


class _NewPasswordForm(BootstrapFormMixin, forms.Form):
    """A new password typed twice; the password rules are the service's to apply."""

    new_field = "password"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[self.new_field].help_text = password_validators_help_text_html()

    def clean(self):
        data = super().clean()
        new, again = data.get(self.new_field), data.get(f"{self.new_field}_again")
        if new and again and new != again:
            self.add_error(f"{self.new_field}_again", _("The two passwords differ."))
        return data


class PasswordChangeForm(_NewPasswordForm):
    """修改密码 — the person's current password and the new one, twice."""

    new_field = "new_password"

    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=_password_widget("current-password"),
    )
    new_password = forms.CharField(
        label=_("New password"), strip=False, widget=_password_widget("new-password")
    )
    new_password_again = forms.CharField(
        label=_("New password (again)"), strip=False, widget=_password_widget("new-password")
    )


class PasswordResetForm(_NewPasswordForm):
    """重置密码 — a new initial password for a person, which they must change at login."""

    password = forms.CharField(
        label=_("New initial password"), strip=False, widget=_password_widget("new-password")
    )
    password_again = forms.CharField(
        label=_("New initial password (again)"),
        strip=False,
        widget=_password_widget("new-password"),
    )


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class _AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Area) -> str:
        indent = "\u3000" * obj.depth  # areas come in tree order: indent shows the nesting
        return f"{indent}{obj.name}（{obj.get_kind_display()}）"


class _OrganisationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name}（{obj.get_kind_display()} · {obj.area.name}）"


class GrantForm(BootstrapFormMixin, forms.Form):
    """A new grant: role over a scope area (+ organisation for department staff), from/until."""

    role = forms.ChoiceField(label=_("Role"), choices=[("", "—"), *Role.choices])
    area = _AreaChoiceField(
        label=_("Scope area"),
        queryset=Area.objects.none(),
        empty_label=_("Choose an area"),
        error_messages={
            "invalid_choice": _("Choose one of the listed areas (those inside your own grant).")
        },
    )
    organisation = _OrganisationChoiceField(
        label=_("Organisation"),
        queryset=Area.objects.none(),
        required=False,
        empty_label="—",
        help_text=_("Required for department staff: the department they work for."),
    )
    starts_on = forms.DateField(label=_("From"), widget=_DateInput())
    ends_on = forms.DateField(
        label=_("Until"),
        widget=_DateInput(),
        required=False,
        help_text=_("Last day of the grant; leave empty for no end date."),
    )

    def __init__(self, *args, areas, organisations, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("starts_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas
        self.fields["organisation"].queryset = organisations

    def clean_starts_on(self):
        starts_on = self.cleaned_data["starts_on"]
        if starts_on < timezone.localdate():
            raise ValidationError(_("A grant cannot start in the past."), code="past")
        return starts_on

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The end date cannot be before the start date."))
        return data


class ApiTokenForm(BootstrapFormMixin, forms.Form):
    """A new API token: a name, and optionally the last day it works."""

    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What will use the token, e.g. the city data platform."),
    )
    valid_until = forms.DateField(
        label=_("Valid until"),
        widget=_DateInput(),
        required=False,
        help_text=_("Last day the token works; leave empty for no expiry."),
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Please name the token after what will use it."))
        return name

    def clean_valid_until(self):
        day = self.cleaned_data["valid_until"]
        if day is not None and day < timezone.localdate():
            raise ValidationError(_("The last day cannot be in the past."), code="past")
        return day

    @property
    def expires_at(self):
        """The moment the token stops working: the end of its last day, local time."""
        day = self.cleaned_data.get("valid_until")
        if day is None:
            return None
        midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
        return timezone.make_aware(midnight)


class UnlockForm(forms.Form):
    username = forms.CharField(max_length=255)
