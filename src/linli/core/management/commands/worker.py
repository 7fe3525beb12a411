"""`linli worker`: run background jobs in a process of their own (production).

Every queue, checked once a second when idle; the worker id is the host name and process id.
Any number of workers, on any number of machines, can share one PostgreSQL database: each job
is claimed by locking its row, so it runs once. SIGTERM or Ctrl+C lets the current job finish.
The worker beats while it runs (core/heartbeat.py), so that the others queue its jobs again
within a minute or two if it is killed; it waits out the database's outages and goes on.
"""

from __future__ import annotations

import logging
import signal

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from linli.core import heartbeat, jobs

SIGNALS = [s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGQUIT", None)) if s]


def count(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError(value)
    return number


def seconds(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 3600:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = _("Run background jobs until stopped (production: one or more per machine).")

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue",
            default=jobs.ALL_QUEUES,
            help=_("Queues to take jobs from, separated by commas (default: all)."),
        )
        parser.add_argument(
            "--interval",
            type=seconds,
            default=jobs.EMBEDDED_INTERVAL,
            help=_("Seconds to wait before looking again when there is no job (default: 1)."),
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help=_("Run the jobs that are ready, then stop."),
        )
        parser.add_argument(
            "--max-jobs",
            type=count,
            default=None,
            help=_("Stop after this many jobs (a supervisor then starts a fresh process)."),
        )
        parser.add_argument(
            "--worker-id",
            default="",
            help=_(
                "Name of this worker, unique among all workers (default: host name and process id)."
            ),
        )

    def handle(self, *args, queue, interval, batch, max_jobs, worker_id, verbosity, **options):
        queues = [q.strip() for q in queue.split(",") if q.strip()]
        if not queues:
            raise CommandError(_("Name at least one queue."))
        worker_id = worker_id or jobs.worker_id()
        if len(worker_id) > 64:
            raise CommandError(_("The worker id must be at most 64 characters long."))
        level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
        for name in ("django_tasks", "django_tasks_db"):
            logging.getLogger(name).setLevel(level)
        worker = jobs.make_worker(
            worker_id=worker_id,
            queue_names=queues,
            interval=interval,
            batch=batch,
            max_jobs=max_jobs,
            startup_delay=not batch,  # workers started together do not all look at once
        )
        previous = {s: signal.getsignal(s) for s in SIGNALS}
        worker.configure_signals()  # the first signal lets the current job finish
        try:
            with heartbeat.beating(worker_id):
                worker.run_ready() if batch else worker.run()
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
        if verbosity:
            message = ngettext(
                "Worker %(id)s ran %(count)d job.",
                "Worker %(id)s ran %(count)d jobs.",
                worker.jobs_run,
            )
            self.stdout.write(message % {"id": worker_id, "count": worker.jobs_run})
