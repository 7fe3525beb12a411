"""Application numbers come from a counter per day (core.Counter) from now on: the counters of
yesterday, today and tomorrow (local time, whatever the clock says during the deployment) start
where the numbers already given out end, so numbering goes on without a clash. Later days start
from 1, and a day's first number checks the numbers already there in any case."""

import datetime as dt

from django.db import migrations
from django.utils import timezone

PREFIX = "BJ"
COUNTER = "services.application"


def seed_counters(apps, schema_editor):
    Application = apps.get_model("services", "Application")
    Counter = apps.get_model("core", "Counter")
    today = timezone.localdate()
    for offset in (-1, 0, 1):
        prefix = f"{PREFIX}{today + dt.timedelta(days=offset):%Y%m%d}"
        last = (
            Application.objects.filter(number__startswith=prefix)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        if last:
            value = int(last[len(prefix) :])
            counter, _new = Counter.objects.get_or_create(
                name=COUNTER, key=prefix, defaults={"value": value}
            )
            if counter.value < value:
                Counter.objects.filter(pk=counter.pk).update(value=value)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0011_counter_and_audit_sealing"),
        ("services", "0003_applications_newest_and_latest_completed_first"),
    ]

    operations = [migrations.RunPython(seed_counters, migrations.RunPython.noop)]
