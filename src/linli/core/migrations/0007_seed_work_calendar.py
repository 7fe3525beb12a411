"""Seed the working-day calendar with the official arrangements chinese-calendar knows."""

from django.db import migrations

SOURCE = "chinese-calendar"


def seed(apps, schema_editor):
    from linli.core.workdays import package_arrangements

    Year = apps.get_model("core", "WorkCalendarYear")
    Day = apps.get_model("core", "WorkCalendarDay")
    years, days = package_arrangements()
    known = set(Day.objects.values_list("date", flat=True))
    Day.objects.bulk_create(
        [Day(date=d, working=w, name=n) for d, w, n in days if d not in known], batch_size=500
    )
    for year in years:
        Year.objects.get_or_create(year=year, defaults={"published": True, "source": SOURCE})


def unseed(apps, schema_editor):
    apps.get_model("core", "WorkCalendarYear").objects.filter(source=SOURCE).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0006_work_calendar_notifications_periodic")]

    operations = [migrations.RunPython(seed, unseed)]
