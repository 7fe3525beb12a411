"""`linli createadmin`: create the first administrator (or security officer, or auditor) of a
deployment, over a root area of the area tree, from the command line.

Administrator, security officer and auditor are separate duties (三权分立): in the application
only the security officer grants roles, so a new deployment creates all three here.
"""

from __future__ import annotations

import getpass
import os
import sys

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from linli.accounts import services as account_services
from linli.accounts.models import User
from linli.accounts.roles import SEPARATED_ROLES, Role
from linli.core import services as area_services
from linli.core.choices import AreaKind
from linli.core.models import Area

PASSWORD_ENV = "LINLI_ADMIN_PASSWORD"  # noqa: S105 — the name of a variable, not a secret


def _messages(error: ValidationError) -> str:
    return "; ".join(error.messages)


class Command(BaseCommand):
    help = _(
        "Create a user with the administrator role (or security officer or auditor) over a "
        "root area. Asks for what is missing unless --no-input is given."
    )
    leave_locale_alone = True

    def add_arguments(self, parser):
        parser.add_argument("--username")
        parser.add_argument("--display-name", default="")
        parser.add_argument(
            "--role",
            default=Role.ADMINISTRATOR,
            choices=sorted(SEPARATED_ROLES),
            help=_("Which of the three separate duties the user holds."),
        )
        parser.add_argument(
            "--area",
            help=_("Name or number of the root area the role covers (default: the only one)."),
        )
        parser.add_argument(
            "--new-district",
            default="",
            help=_("Create this district as the root area first (a new, empty deployment)."),
        )
        parser.add_argument(
            "--password",
            help=_("The password (for scripts; prefer the %(env)s variable or the prompt).")
            % {"env": PASSWORD_ENV},
        )
        parser.add_argument(
            "--no-input", action="store_true", help=_("Never ask; fail if something is missing.")
        )

    def handle(self, *args, **options):
        self.interactive = not options["no_input"] and sys.stdin.isatty()
        try:
            area = self._area(options["area"], options["new_district"])
            username = self._username(options["username"])
            password = self._password(options["password"], username)
        except (EOFError, KeyboardInterrupt):
            raise CommandError(_("Cancelled; nothing was created.")) from None
        with transaction.atomic():
            if isinstance(area, str):  # a new root district, created with the account
                area = area_services.area_create(
                    actor=None, name=area, kind=AreaKind.DISTRICT, parent=None
                )
            user = account_services.user_create(
                actor=None,
                username=username,
                password=password,
                display_name=options["display_name"],
            )
            account_services.grant_create(actor=None, user=user, role=options["role"], area=area)
        self.stdout.write(
            self.style.SUCCESS(
                _("Created %(username)s: %(role)s over %(area)s. They can log in now.")
                % {"username": username, "role": Role(options["role"]).label, "area": area.name}
            )
        )

    # what to ask -------------------------------------------------------------------------

    def _ask(self, prompt: str) -> str:
        if not self.interactive:
            raise CommandError(
                _("%(what)s is missing (and --no-input forbids asking).") % {"what": prompt}
            )
        return input(f"{prompt}: ").strip()

    def _username(self, given: str | None) -> str:
        username = (given or "").strip()
        while True:
            if not username:
                username = self._ask(_("User name"))
                continue
            if not User.objects.filter(username__iexact=username).exists():
                return username
            if not self.interactive:
                raise CommandError(_("The user name %(name)s is taken.") % {"name": username})
            self.stderr.write(_("The user name %(name)s is taken.") % {"name": username})
            username = ""

    def _password(self, given: str | None, username: str) -> str:
        password = given or os.environ.get(PASSWORD_ENV, "")
        probe = User(username=username)
        while True:
            if not password:
                if not self.interactive:
                    raise CommandError(
                        _("No password: give --password or set %(env)s.") % {"env": PASSWORD_ENV}
                    )
                password = getpass.getpass(_("Password: "))
                if password != getpass.getpass(_("Password (again): ")):
                    self.stderr.write(_("The two passwords differ."))
                    password = ""
                    continue
            try:
                validate_password(password, probe)
                return password
            except ValidationError as e:
                if not self.interactive:
                    raise CommandError(_messages(e)) from e
                self.stderr.write(_messages(e))
                password = ""

    def _area(self, wanted: str | None, new_district: str) -> Area | str:
        """An existing root area, or the name of a new district to create."""
        roots = list(Area.objects.filter(parent=None).order_by("pk"))
        if new_district.strip():
            if any(r.name == new_district.strip() for r in roots):
                raise CommandError(
                    _("A root area called %(name)s exists already; use --area.")
                    % {"name": new_district}
                )
            return new_district.strip()
        if not roots:
            name = self._ask(_("No area exists yet. Name of the district to create"))
            if not name:
                raise CommandError(_("A district name is needed."))
            return name
        if wanted:
            return self._pick(roots, wanted)
        if len(roots) == 1:
            return roots[0]
        listing = ", ".join(f"{r.pk} {r.name}" for r in roots)
        if not self.interactive:
            raise CommandError(
                _("There are several root areas (%(list)s); choose one with --area.")
                % {"list": listing}
            )
        self.stdout.write(_("Root areas: %(list)s") % {"list": listing})
        return self._pick(roots, self._ask(_("Which root area")))

    def _pick(self, roots: list[Area], wanted: str) -> Area:
        wanted = wanted.strip()
        for root in roots:
            if wanted in (root.name, str(root.pk)):
                return root
        raise CommandError(
            _("No root area is called %(name)s. Root areas: %(list)s")
            % {"name": wanted, "list": ", ".join(f"{r.pk} {r.name}" for r in roots)}
        )
