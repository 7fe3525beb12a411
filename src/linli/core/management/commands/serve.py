"""`linli serve`: serve Linli with waitress, a production WSGI server; static files come from
whitenoise inside the application, so no other web server is needed on an intranet. Unless
LINLI_EMBEDDED_WORKER=0 (the default in production), it also runs the background jobs in a
thread of its own, so no other service is needed either."""

from __future__ import annotations

import fcntl
import hashlib
import os
import signal
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

JOB_GRACE_SECONDS = 10  # how long stopping waits for a job the embedded worker is running


def _stop_serving(signum, frame):
    # waitress ends its loop on KeyboardInterrupt as on Ctrl+C, so `systemctl stop` (SIGTERM)
    # also lets the running requests finish and the embedded worker end its job.
    raise KeyboardInterrupt


def _static_fingerprint() -> str:
    """What the static files are now: each one's name, size and time of change."""
    from django.contrib.staticfiles import finders

    digest = hashlib.sha256()
    for finder in finders.get_finders():
        for name, storage in sorted(finder.list(None), key=lambda found: found[0]):
            path = Path(storage.path(name))
            stat = path.stat()
            digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def collect_static() -> None:
    """Collect the static files under hashed, compressed names, so that browsers keep them for a
    year (core/static_storage.py) — unless they were collected from these very files already
    (a restart costs nothing then)."""
    root = Path(settings.STATIC_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    mark = root.with_name(root.name + ".collected-from")  # beside it: nothing in it is served
    fingerprint = _static_fingerprint()
    # Web processes starting together on one machine share the folder: one collects, the
    # others wait for it and then find the files collected.
    with open(root.with_name(root.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if mark.is_file() and mark.read_text() == fingerprint:
            return
        call_command("collectstatic", interactive=False, verbosity=0)
        mark.write_text(fingerprint)


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
        collect_static()
        # Only now load the application: whitenoise indexes the static files when it starts.
        from linli.wsgi import application

        proxy: dict[str, Any] = {}
        if trusted_proxy:
            proxy = {
                "trusted_proxy": trusted_proxy,
                "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
                "clear_untrusted_proxy_headers": True,
            }
        worker = None
        if settings.LINLI_EMBEDDED_WORKER:
            from linli.core.jobs import start_embedded_worker

            worker = start_embedded_worker()
        self.stdout.write(
            _("Linli is being served on http://%(host)s:%(port)s/ — press Ctrl+C to stop.")
            % {"host": host, "port": port}
        )
        main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _stop_serving) if main_thread else None
        try:
            serve(application, host=host, port=port, threads=threads, ident="linli", **proxy)
        finally:
            if main_thread:
                signal.signal(signal.SIGTERM, previous)
            if worker is not None:
                worker.stop(timeout=JOB_GRACE_SECONDS)  # let a running job finish, briefly
