"""`linli jobs list` and `linli jobs run NAME [--now]`: the periodic jobs 定时任务 for operators.

`list` prints each job of the schedule: its name, how often it runs, its last run (from the
job table, however it was queued), its next slot and the state of its last run; then the
workers (every `linli worker`, every `linli serve` with its job thread) and their last beat. `run` queues
the job for the workers, out of turn — safe to repeat: a run already waiting or running is
not queued twice —, or with `--now` runs it here and prints what it did. An unknown name
ends with a message listing the jobs and exit status 1; so does a run that fails.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import unicodedata

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import TaskResultStatus
from django_tasks_db.models import get_date_max

from linli.core import heartbeat, jobs, periodic

TIME = "%Y-%m-%d %H:%M"
MINUTE, HOUR, DAY = 60, 3600, 86400


def _width(text: str) -> int:
    """Columns a terminal uses for `text` (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - _width(text))


def _at(moment) -> str:
    return timezone.localtime(moment).strftime(TIME) if moment else "—"


def describe_schedule(job: periodic.PeriodicJob) -> str:
    """How often the job runs, in words: "every 15 minutes", "daily at 01:30" …"""
    every, at = int(job.every.total_seconds()), int(job.at.total_seconds())
    clock = f"{at // HOUR:02d}:{at % HOUR // MINUTE:02d}"
    if every % DAY == 0:
        days = every // DAY
        if days == 1:
            return _("daily at %(time)s") % {"time": clock}
        return _("every %(days)s days at %(time)s") % {"days": days, "time": clock}
    # Not ngettext: Chinese has one plural form, and "every 1 minute" is not how it is said.
    if every % HOUR == 0:
        hours = every // HOUR
        text = _("every hour") if hours == 1 else _("every %(hours)s hours") % {"hours": hours}
        if at:
            text += " " + _("from %(time)s") % {"time": clock}
        return text
    minutes = every // MINUTE
    if minutes == 1:
        return _("every minute")
    return _("every %(minutes)s minutes") % {"minutes": minutes}


def describe_age(age: dt.timedelta) -> str:
    """How long ago, in words: "4 s ago", "12 min ago", "3 h ago"."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 2 * MINUTE:
        return _("%(seconds)d s ago") % {"seconds": seconds}
    if seconds < 2 * HOUR:
        return _("%(minutes)d min ago") % {"minutes": seconds // MINUTE}
    return _("%(hours)d h ago") % {"hours": seconds // HOUR}


def describe_state(run, now) -> str:
    """What became of the job's latest run, in words."""
    if run is None:
        return _("never run")
    if run.status == TaskResultStatus.READY:
        if run.run_after != get_date_max() and run.run_after > now:
            return _("to be tried again at %(time)s") % {"time": _at(run.run_after)}
        return _("queued, waiting for a worker")
    if run.status == TaskResultStatus.RUNNING:
        worker = run.worker_ids[-1] if run.worker_ids else "?"
        return _("running on %(worker)s") % {"worker": worker}
    if run.status == TaskResultStatus.SUCCESSFUL:
        return _("succeeded")
    error = run.exception_class_path.rsplit(".", 1)[-1] or "?"
    return _("failed: %(error)s") % {"error": error}


class Command(BaseCommand):
    help = _("The periodic jobs: list them with their last and next run, or run one now.")

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="list | run")
        actions.add_parser(
            "list",
            help=_(
                "Each periodic job, its last run and its next run; the workers and their last beat."
            ),
        )
        run = actions.add_parser(
            "run", help=_("Queue a periodic job for the workers now (--now: run it here).")
        )
        run.add_argument("name", help=_("The job's name, as `linli jobs list` shows it."))
        run.add_argument(
            "--now",
            action="store_true",
            help=_("Run the job in this process and print what it did, instead of queuing it."),
        )

    def handle(self, *args, action: str, **options):
        if action == "list":
            self.list_jobs()
        else:
            self.run_job(options["name"], now=options["now"])

    # --- list ---------------------------------------------------------------------------

    def list_jobs(self) -> None:
        now = timezone.now()
        header = (_("Job"), _("Schedule"), _("Last run"), _("Next run"), _("State"))
        rows = [
            (
                state.job.name,
                describe_schedule(state.job),
                _at(state.last.started_at or state.last.enqueued_at) if state.last else "—",
                _("now") if state.due else _at(state.next_at),
                describe_state(state.last, now),
            )
            for state in periodic.job_states(now)
        ]
        self._table(header, rows)
        self.stdout.write("")
        self.stdout.write(
            _(
                "“now”: the job's time has come; a running worker queues it within "
                "%(seconds)d seconds. Times are local (%(zone)s)."
            )
            % {"seconds": jobs.PERIODIC_TICK, "zone": timezone.get_current_timezone_name()}
        )
        self.stdout.write("")
        self.list_workers(now)

    def list_workers(self, now) -> None:
        """The workers that beat (core/heartbeat.py): where, since when, their last beat."""
        workers = heartbeat.worker_list()
        if not workers:
            self.stdout.write(
                _(
                    "No worker is running: queued jobs wait until one starts (`linli worker`, "
                    "or `linli serve` with its job thread)."
                )
            )
            return
        limit = heartbeat.dead_after()
        header = (_("Worker"), _("Host"), _("Process"), _("Started"), _("Last beat"), _("State"))
        rows = [
            (
                worker.worker_id,
                worker.host,
                str(worker.pid),
                _at(worker.started_at),
                describe_age(now - worker.last_beat),
                _("running")
                if now - worker.last_beat <= limit
                else _("silent: taken for stopped, its jobs are queued again"),
            )
            for worker in workers
        ]
        self._table(header, rows)

    def _table(self, header: tuple, rows: list[tuple]) -> None:
        widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
        for row in [header, *rows]:
            cells = [_pad(cell, width) for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  ".join([*cells, row[-1]]).rstrip())

    # --- run ----------------------------------------------------------------------------

    def _job(self, name: str) -> periodic.PeriodicJob:
        job = periodic.job_named(name)
        if job is None:
            names = ", ".join(j.name for j in periodic.schedule())
            raise CommandError(
                _("There is no periodic job named “%(name)s”. The periodic jobs are: %(names)s.")
                % {"name": name, "names": names},
                returncode=1,
            )
        return job

    def run_job(self, name: str, *, now: bool) -> None:
        job = self._job(name)
        run, new = periodic.queue_by_hand(job)
        if run.status == TaskResultStatus.RUNNING:
            self.stdout.write(
                _(
                    "%(name)s is running now (job %(id)s, on %(worker)s since %(time)s); "
                    "it is not started again."
                )
                % {
                    "name": job.name,
                    "id": run.pk,
                    "worker": run.worker_ids[-1] if run.worker_ids else "?",
                    "time": _at(run.started_at),
                }
            )
            if now:
                raise CommandError(_("Not run here: it is running already."), returncode=1)
            return
        if not now:
            message = (
                _("Queued %(name)s (job %(id)s): a worker runs it shortly.")
                if new
                else _(
                    "%(name)s was already queued (job %(id)s, since %(time)s): not queued again."
                )
            )
            self.stdout.write(
                message % {"name": job.name, "id": run.pk, "time": _at(run.enqueued_at)}
            )
            return
        self.run_here(job, run)

    def run_here(self, job: periodic.PeriodicJob, run) -> None:
        self.stdout.write(_("Running %(name)s here …") % {"name": job.name})
        started = time.perf_counter()
        done = jobs.run_here(str(run.pk))
        seconds = time.perf_counter() - started
        if done is None:
            self.stdout.write(_("A worker took job %(id)s first; it runs there.") % {"id": run.pk})
            return
        if done.status == TaskResultStatus.SUCCESSFUL:
            self.stdout.write(
                self.style.SUCCESS(
                    _("%(name)s succeeded in %(seconds).1f s (job %(id)s):")
                    % {"name": job.name, "seconds": seconds, "id": done.pk}
                )
            )
            self.stdout.write(json.dumps(done.return_value, ensure_ascii=False, indent=2))
            return
        last_line = (done.traceback or "").strip().splitlines()[-1:] or ["?"]
        self.stdout.write(self.style.ERROR(last_line[0]))
        if done.status == TaskResultStatus.READY:
            self.stdout.write(
                _("It is queued to be tried again at %(time)s.") % {"time": _at(done.run_after)}
            )
        raise CommandError(
            _("%(name)s failed (job %(id)s); its row in the job table keeps the traceback.")
            % {"name": job.name, "id": done.pk},
            returncode=1,
        )
