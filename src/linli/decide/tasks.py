"""Background jobs of residents-decide 由民做主, and their place on the periodic schedule.

- `close_due_votes` — every few minutes: closes each vote still open past its closing time
  (`votes.services.vote_close`: recount, result, the matter moved on, the proposer told).

Idempotent: a vote is closed once, under its lock; a second run, or a run racing a member of
staff closing it, finds it closed and leaves it (`core.jobs.retried`).
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from linli.core import periodic
from linli.core.jobs import retried

CLOSE_EVERY = dt.timedelta(minutes=5)


@retried(attempts=5, backoff=30, stale_after=600)
@task()
def close_due_votes() -> dict:
    """Close the votes past their closing time; returns how many."""
    from .votes import services

    return {"closed": services.close_due_votes()}


periodic.register("decide.close_due_votes", close_due_votes, every=CLOSE_EVERY)
