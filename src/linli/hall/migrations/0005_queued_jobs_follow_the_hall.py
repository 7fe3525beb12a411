"""The service hall's code moved from `linli.services` to `linli.hall`. A job already in the
job table names its function by dotted path (e.g. `linli.services.tasks.escalate_overdue_steps`),
so the rows written before the move are pointed at the new path: a job queued before an upgrade
still runs after it, and the schedule still finds each job's last run."""

from django.db import migrations
from django.db.models import TextField, Value
from django.db.models.functions import Concat, Substr

OLD = "linli.services."
NEW = "linli.hall."


def _repath(apps, old: str, new: str) -> None:
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    DBTaskResult.objects.filter(task_path__startswith=old).update(
        task_path=Concat(
            Value(new), Substr("task_path", len(old) + 1), output_field=TextField()
        )
    )


def forwards(apps, schema_editor):
    _repath(apps, OLD, NEW)


def backwards(apps, schema_editor):
    _repath(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
        ("services", "0004_application_number_counters"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
