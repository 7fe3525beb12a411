"""The operator documentation names the job table and the periodic jobs as they are: an
operator who looks up a failed job's traceback in the table the README names must find it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django_tasks_db.models import DBTaskResult

from linli.core import periodic

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "docs" / "jobs.md", ROOT / "docs" / "operator.md"]
TABLE_NAME = re.compile(r"`(django_tasks\w*dbtaskresult)`")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_the_job_table_is_named_as_the_database_has_it(doc):
    named = set(TABLE_NAME.findall(doc.read_text(encoding="utf-8")))
    assert named == {DBTaskResult._meta.db_table}


def test_the_jobs_guide_lists_every_periodic_job():
    guide = (ROOT / "docs" / "jobs.md").read_text(encoding="utf-8")
    for job in periodic.schedule():
        assert f"`{job.name}`" in guide, job.name
