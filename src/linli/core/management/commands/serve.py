"""`linli serve`: serve Linli with waitress, a production WSGI server; static files come from
whitenoise inside the application, so no other web server is needed on an intranet."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = _("Serve Linli over HTTP with waitress (put a reverse proxy with HTTPS in front).")
    requires_system_checks = "__all__"
    leave_locale_alone = True

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("LINLI_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("LINLI_PORT", "8000")))
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("LINLI_THREADS", "8")),
            help=_("Worker threads (requests served at the same time)."),
        )
        parser.add_argument(
            "--trusted-proxy",
            default=os.environ.get("LINLI_TRUSTED_PROXY", ""),
            help=_(
                "Address of the reverse proxy in front (e.g. 127.0.0.1); its "
                "X-Forwarded-For and X-Forwarded-Proto headers are then believed."
            ),
        )

    def handle(self, *args, host: str, port: int, threads: int, trusted_proxy: str, **options):
        from waitress import serve

        if not 0 < port < 65536:
            raise CommandError(_("The port must be between 1 and 65535."))
        # whitenoise warns about a missing STATIC_ROOT even when it serves from the package.
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        if settings.PRODUCTION:
            # Production serves the collected, hashed files; collect them for this version.
            call_command("collectstatic", interactive=False, verbosity=0)
        # Only now load the application: whitenoise indexes the static files when it starts.
        from linli.wsgi import application

        proxy = {}
        if trusted_proxy:
            proxy = {
                "trusted_proxy": trusted_proxy,
                "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
                "clear_untrusted_proxy_headers": True,
            }
        self.stdout.write(
            _("Linli is being served on http://%(host)s:%(port)s/ — press Ctrl+C to stop.")
            % {"host": host, "port": port}
        )
        serve(application, host=host, port=port, threads=threads, ident="linli", **proxy)
