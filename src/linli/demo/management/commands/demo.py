"""`linli demo`: prepare the database, build the demo city 潍坊市 (峡山区 in full, 奎文区's
东关街道 beside it) once, print the logins grouped by place."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils.translation import gettext as _

from linli.accounts.models import User
from linli.accounts.roles import Role
from linli.core import audit_checkpoints
from linli.demo import builder, data


def _width(text: str) -> int:
    """Columns a terminal uses for `text` (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - _width(text))


class Command(BaseCommand):
    help = _(
        "Migrate the database, build the 峡山区 demo district if it is not built yet, "
        "and print one demo login per role."
    )
    # Keep the configured language: the audit trail stores object names as they read when written.
    leave_locale_alone = True

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help=_("Delete the SQLite database file first and build everything again."),
        )
        parser.add_argument(
            "--small",
            action="store_true",
            help=_(
                "Build the small district: the same places, organisations and posts, but only "
                "about five households a village."
            ),
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=data.DEFAULT_SEED,
            help=_("Seed of the random generator (the same seed gives the same district)."),
        )

    def handle(self, *args, rebuild: bool, small: bool, seed: int, **options):
        self.verbosity = options["verbosity"]
        if rebuild:
            self._delete_database()
        self.stdout.write(_("Preparing the database: %(db)s") % {"db": self._describe_db()})
        call_command("migrate", interactive=False, verbosity=max(0, options["verbosity"] - 1))
        if builder.demo_exists():
            self.stdout.write(
                _(
                    "The demo district %(name)s is already built; using it "
                    "(`linli demo --rebuild` starts again from scratch)."
                )
                % {"name": data.DISTRICT_NAME}
            )
        else:
            self._build(seed, "small" if small else "full")
        self._print_logins()

    def _build(self, seed: int, size: str) -> None:
        self.stdout.write(
            _("Building the demo district %(name)s (seed %(seed)s) …")
            % {"name": data.DISTRICT_NAME, "seed": seed}
        )
        try:
            summary = builder.build_demo(seed=seed, size=size)
        except builder.DemoError as e:
            raise CommandError(str(e)) from e
        c = summary.counts
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Built in %(seconds).1f s: %(streets)d streets, %(communities)d communities, "
                    "%(villages)d villages, %(grids)d grids, %(households)d households, "
                    "%(residents)d residents, %(organisations)d organisations, %(posts)d posts."
                )
                % ({"seconds": summary.seconds} | c)
            )
        )
        self.stdout.write(
            _("%(items)d service items, %(applications)d applications, %(tasks)d outreach tasks.")
            % {
                "items": c["service_items"],
                "applications": c["applications"],
                "tasks": c["outreach_tasks"],
            }
        )
        self.stdout.write(
            _("%(assignments)d contact assignments, %(visits)d visits, %(needs)d needs found.")
            % {
                "assignments": c["contact_assignments"],
                "visits": c["visits"],
                "needs": c["needs"],
            }
        )
        self.stdout.write(
            _(
                "%(categories)d appeal categories, %(appeals)d appeals, "
                "%(return_visits)d return visits."
            )
            % {
                "categories": c["appeal_categories"],
                "appeals": c["appeals"],
                "return_visits": c["return_visits"],
            }
        )
        self.stdout.write(
            _(
                "%(matters)d residents-decide matters, %(votes)d votes, "
                "%(commitments)d party members' commitments."
            )
            % {"matters": c["matters"], "votes": c["votes"], "commitments": c["commitments"]}
        )
        if self.verbosity >= 2:
            for step, seconds in summary.timings.items():
                self.stdout.write(f"  {step}: {seconds:.1f} s")

    def _describe_db(self) -> str:
        db = settings.DATABASES["default"]
        if db["ENGINE"].endswith("sqlite3"):
            return str(db["NAME"])
        return f"{db['ENGINE'].rsplit('.', 1)[-1]} {db.get('NAME')}@{db.get('HOST') or 'localhost'}"

    def _delete_database(self) -> None:
        db = settings.DATABASES["default"]
        if not db["ENGINE"].endswith("sqlite3"):
            raise CommandError(
                _(
                    "--rebuild only deletes an SQLite database file. With %(engine)s, drop and "
                    "create the database yourself, then run `linli demo`."
                )
                % {"engine": db["ENGINE"].rsplit(".", 1)[-1]}
            )
        connections.close_all()
        path = Path(db["NAME"])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        self.stdout.write(_("Deleted %(path)s") % {"path": path})
        # The audit checkpoints describe the deleted database's chain; the new one starts afresh.
        if aside := audit_checkpoints.set_aside():
            self.stdout.write(_("Audit checkpoints set aside as %(path)s") % {"path": aside})

    def _print_logins(self) -> None:
        """The demo logins, grouped by the place they serve (the city's own accounts, 峡山区,
        then 工福街社区 and 苇湾社区 of 奎文区东关街道)."""
        names = dict(
            User.objects.filter(username__in=[x.username for x in data.DEMO_LOGINS]).values_list(
                "username", "display_name"
            )
        )
        groups = [
            (
                place,
                [
                    (
                        str(Role(login.role).label),
                        login.username,
                        names.get(login.username, ""),
                        f"{login.area} {login.organisation}".strip(),
                    )
                    for login in logins
                ],
            )
            for place, logins in data.LOGIN_GROUPS
        ]
        rows = [row for _place, place_rows in groups for row in place_rows]
        role_width = max(_width(r[0]) for r in rows) + 2
        name_width = max(_width(r[1]) for r in rows) + 2
        self.stdout.write("")
        self.stdout.write(
            self.style.MIGRATE_HEADING(
                _("Demo logins — every one uses the password %(password)s")
                % {"password": data.DEMO_PASSWORD}
            )
        )
        for place, place_rows in groups:
            self.stdout.write(f"  {place}")
            for role, username, display, area in place_rows:
                self.stdout.write(
                    f"    {_pad(role, role_width)}{_pad(username, name_width)}{display} · {area}"
                )
        self.stdout.write("")
        self.stdout.write(
            _("Serve it with `linli serve` (`make demo` does) and open %(url)s")
            % {"url": data.DEMO_URL}
        )
