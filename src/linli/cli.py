"""The `linli` command: Django's management commands under friendly names.

`linli demo`, `linli serve`, `linli migrate`, `linli backup`, `linli restore`,
`linli audit verify`, `linli check`, `linli createadmin`, `linli worker`, `linli jobs`; anything
else goes to Django unchanged (`linli shell`,
`linli makemigrations`, `linli collectstatic` …). Every command except the server and the
worker runs inside `core.context.acting(channel="cli")`, so whatever it changes shows in the
audit trail as done from the command line, by which operating-system account on which machine;
the worker runs each job as a system action instead.
"""

from __future__ import annotations

import getpass
import os
import socket
import sys
from importlib import metadata

# Friendly name → Django command, where they differ.
ALIASES = {
    "create-admin": "createadmin",
    "createsuperuser": "createadmin",  # Linli has no superusers; roles are separated
    "import-registry": "import_registry",
    "export-registry": "export_registry",
    "open311-key": "open311_key",
}
# The server sets the channel and address per request itself, the worker per job.
OWN_CONTEXT = {"serve", "runserver", "worker"}

COMMANDS = (
    (
        "demo [--rebuild] [--small]",
        "Prepare the database, build the demo district, print the logins",
    ),
    ("serve [--host H] [--port P]", "Serve Linli with waitress (default 127.0.0.1:8000)"),
    ("worker [--batch]", "Run background jobs (production; --batch: those ready, then stop)"),
    ("jobs list", "The periodic jobs: schedule, last run, next run, state"),
    ("jobs run NAME [--now]", "Queue a periodic job for the workers now (--now: run it here)"),
    ("migrate", "Bring the database up to date"),
    ("createadmin", "Create an administrator, security officer or auditor"),
    (
        "backup [--to FOLDER] [--without-keys]",
        "Back up the database, the data folder's files and the audit keys into one archive",
    ),
    (
        "restore ARCHIVE [--force] [--hold-messages]",
        "Restore a backup into an empty database and data folder, then check it",
    ),
    ("audit verify", "Check that no audit record was edited or deleted"),
    ("audit rotate-key [--prepare]", "Put a new audit key in force (the old ones are kept)"),
    ("check [--deploy]", "Check the configuration (--deploy: production checks)"),
    (
        "figures [--area NAME|CODE] [--json]",
        "An area's headline figures, counted from the records",
    ),
    (
        "import-registry FILE [--valid-only] [--dry-run]",
        "Import households and residents from a register workbook",
    ),
    (
        "export-registry --area CODE FILE [--reveal]",
        "Export the households under an area to a workbook (masked; --reveal --reason TEXT: full)",
    ),
    ("registry template FILE", "Write the empty register import template"),
    (
        "open311-key issue ACCOUNT --channel C | revoke ID | list",
        "Issue (shown once), revoke or list the keys other systems post Open311 requests with",
    ),
    (
        "calendar seed | years",
        "Enter chinese-calendar's holiday arrangements; list the calendar's years",
    ),
    ("shell", "A Python shell with Linli loaded"),
)


def _operator() -> str:
    """Who runs the command, for the audit trail's address column."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no entry for this uid in a bare container
        user = str(os.getuid()) if hasattr(os, "getuid") else "?"
    return f"{user}@{socket.gethostname()}"[:64]


def _version() -> str:
    try:
        return metadata.version("linli")
    except metadata.PackageNotFoundError:
        return "unknown"


def usage() -> str:
    from django.utils.translation import gettext as _

    width = max(len(name) for name, _text in COMMANDS) + 2
    lines = [
        _("Linli %(version)s — community service and self-governance platform")
        % {"version": _version()},
        "",
        _("Usage: linli <command> [options]"),
        "",
    ]
    lines += [f"  linli {name.ljust(width)}{_(text)}" for name, text in COMMANDS]
    lines += [
        "",
        _("Every other Django command works too: `linli help --commands` lists them,"),
        _("`linli <command> --help` explains one."),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linli.settings")

    import django
    from django.core.management import execute_from_command_line

    from linli.core.context import acting

    if not args or (len(args) == 1 and args[0] in ("help", "-h", "--help")):
        django.setup()
        print(usage())
        return
    if args[0] in ("--version", "version"):
        print(_version())
        return
    command = ALIASES.get(args[0], args[0])
    django_argv = ["linli", command, *args[1:]]
    if command in OWN_CONTEXT:
        execute_from_command_line(django_argv)
        return
    # Only the command's name goes into the trail: its options may hold a password.
    with acting(channel="cli", address=_operator(), source=f"linli {command}"):
        execute_from_command_line(django_argv)


if __name__ == "__main__":
    main()
