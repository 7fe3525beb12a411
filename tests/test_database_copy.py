"""The copy of the test database the browser tests put back instead of building the demo again
(tests/database_copy.py): what comes back is what was copied — rows, the next ids, the counters
— and later writes chain on in the audit trail as they would have after the build."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from linli.core import audit, counters
from linli.core.models import Area

from . import database_copy
from . import factories as f


def _everything() -> dict[str, list[tuple]]:
    rows = {}
    with connection.cursor() as cursor:
        for table in database_copy._tables():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")  # noqa: S608
            rows[table] = cursor.fetchall()
    return rows


@pytest.mark.django_db(transaction=True)
def test_a_copy_comes_back_as_it_was_taken():
    district = f.area("峡山区", "district", code="370772000000")
    street = f.area("太保庄街道", "street", district)
    village = f.area("文岭一村", "village", f.area("文岭社区", "community", street))
    f.household(village, "H00001")
    f.user_with("grid_worker", village)
    drawn = counters.draw("services.application", "BJ20260928")
    audit.seal()
    before = _everything()
    copy = database_copy.take()

    call_command("flush", interactive=False, verbosity=0)
    with connection.cursor() as cursor:  # as the root conftest does after a flush
        for sequence in counters.sequences("services.application"):
            cursor.execute(f"DROP SEQUENCE {sequence}")
    assert not Area.objects.exists()
    f.area("别处", "district")  # rows that the copy replaces
    assert database_copy.matches(copy)
    database_copy.restore(copy)

    assert _everything() == before
    # The next ids and counter values follow the copied ones, as they would after the build,
    # and the trail goes on from the copied chain, signed with the same keys.
    later = f.area("新区", "district")
    assert later.pk > max(row[0] for row in before[Area._meta.db_table])
    assert counters.draw("services.application", "BJ20260928") == drawn + 1
    audit.seal()
    call_command("audit", "verify", verbosity=0)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"


def test_a_copy_is_not_put_back_with_other_audit_keys(settings, tmp_path, db):
    copy = database_copy.DatabaseCopy(
        connection.vendor, settings.LINLI_AUDIT_KEY_DIR, {"1.key": b"another key\n"}
    )
    assert not database_copy.matches(copy)
    settings.LINLI_AUDIT_KEY_DIR = tmp_path
    copy.keys = {}
    assert not database_copy.matches(copy)
