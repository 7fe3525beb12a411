"""`linli open311-key`: Open311 keys from the command line (the administrator's page does the
same).

`linli open311-key issue ACCOUNT --channel open311|hotline [--name NAME] [--create]` issues a
key to the system account ACCOUNT (`--create` makes the account first) and prints the key once;
`linli open311-key revoke ID` revokes one; `linli open311-key list` lists them (never the keys
themselves, which are not stored).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from linli.accounts import services as account_services
from linli.accounts.models import User

from ...open311 import keys


class Command(BaseCommand):
    help = _("Issue, revoke or list the keys other systems post Open311 requests with.")

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        issue = commands.add_parser("issue", help=_("Issue a key to a system account."))
        issue.add_argument("account", help=_("The system account's user name."))
        issue.add_argument("--channel", choices=list(keys.KEY_CHANNELS), required=True)
        issue.add_argument("--name", default="", help=_("What will use the key."))
        issue.add_argument(
            "--create", action="store_true", help=_("Make the system account first.")
        )
        revoke = commands.add_parser("revoke", help=_("Revoke a key."))
        revoke.add_argument("id", type=int)
        commands.add_parser("list", help=_("List the keys."))

    def handle(self, *args, action: str, **options):
        try:
            if action == "issue":
                self._issue(options)
            elif action == "revoke":
                self._revoke(options["id"])
            else:
                self._list()
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None

    def _issue(self, options) -> None:
        username = options["account"]
        account = User.objects.filter(username=username).first()
        if account is None:
            if not options["create"]:
                raise CommandError(
                    _("There is no account %(name)s (--create makes it).") % {"name": username}
                )
            account = account_services.system_account_create(actor=None, username=username)
        key, secret = keys.key_issue(
            actor=None, account=account, channel=options["channel"], name=options["name"]
        )
        self.stdout.write(
            _("Key %(id)s for %(account)s (%(channel)s), shown once: %(secret)s")
            % {"id": key.pk, "account": username, "channel": key.channel, "secret": secret}
        )

    def _revoke(self, pk: int) -> None:
        key = keys.key_get(pk)
        if key is None:
            raise CommandError(_("There is no key %(id)s.") % {"id": pk})
        keys.key_revoke(actor=None, key=key)
        self.stdout.write(_("Key %(id)s revoked.") % {"id": pk})

    def _list(self) -> None:
        for key in keys.key_list():
            state = _("revoked") if key.token.revoked else _("in use")
            self.stdout.write(
                f"{key.pk}\t{key.token.user.username}\t{key.channel}\t{key.token.prefix}…\t"
                f"{key.created_at:%Y-%m-%d}\t{state}"
            )
