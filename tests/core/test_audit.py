"""The audit trail 审计日志: hash-chained, append-only, and `verify()` finds any tampering.

Tampering is simulated with raw SQL on a fixed table name, as someone with database access would.
"""

# ruff: noqa: S608

import pytest
from django.db import connection, transaction

from linli.core import audit
from linli.core.audit import GENESIS, record_hash, verify
from linli.core.models import AuditRecord

TABLE = connection.ops.quote_name(AuditRecord._meta.db_table)


def append(count: int) -> list[AuditRecord]:
    """`count` records, written and then chained, as the worker chains them moments later."""
    written = [
        audit.record(
            action="update",
            object_type="registry.household",
            object_id=str(i),
            object_repr=f"H{i:05d}",
            changes={"before": {"address": f"旧址{i}"}, "after": {"address": f"新址{i}"}},
            reason="test",
        )
        for i in range(1, count + 1)
    ]
    audit.seal()
    return list(AuditRecord.objects.filter(pk__in=[r.pk for r in written]).order_by("seq"))


def raw(sql: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_records_form_a_chain(db):
    records = append(4)
    assert [r.seq for r in records] == [1, 2, 3, 4]
    assert records[0].prev_hash == GENESIS
    for before, after in zip(records, records[1:], strict=False):
        assert after.prev_hash == before.hash
    stored = list(AuditRecord.objects.order_by("seq"))
    assert [r.hash for r in stored] == [r.hash for r in records]
    assert all(record_hash(r) == r.hash for r in stored)  # the hash survives the round trip


def test_verify_passes_an_untouched_chain(db):
    append(5)
    report = verify()
    assert report.ok, report.problems
    assert report.checked == 5


def test_verify_passes_an_empty_trail(db):
    report = verify()
    assert report.ok and report.checked == 0


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("reason", "nothing to see"),
        ("actor_label", "someone-else"),
        ("object_id", "999"),
        ("outcome", "failure"),
        ("address", "10.0.0.99"),
        ("action", "reveal"),
    ],
)
def test_an_edited_record_is_reported(db, column, value):
    append(4)
    raw(f"UPDATE {TABLE} SET {connection.ops.quote_name(column)} = %s WHERE seq = %s", value, 2)
    report = verify()
    assert not report.ok
    assert any(p.startswith("record 2:") and "does not match" in p for p in report.problems)
    assert not any(p.startswith(("record 1:", "record 3:", "record 4:")) for p in report.problems)


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(db):
    append(4)
    raw(f"UPDATE {TABLE} SET reason = %s WHERE seq = %s", "covered up", 2)
    forged = AuditRecord.objects.get(seq=2)
    raw(f"UPDATE {TABLE} SET hash = %s WHERE seq = %s", record_hash(forged), 2)
    report = verify()
    assert not report.ok
    assert any(p.startswith("record 3:") and "link" in p for p in report.problems)
    assert not any(p.startswith("record 2:") for p in report.problems)  # the key holder's own


def test_a_deleted_middle_record_is_reported(db):
    append(5)
    raw(f"DELETE FROM {TABLE} WHERE seq = %s", 3)
    report = verify()
    assert not report.ok
    assert report.checked == 4
    assert any("records 3–3 are missing" in p for p in report.problems)


def test_a_deleted_last_record_is_reported(db):
    append(5)
    raw(f"DELETE FROM {TABLE} WHERE seq = %s", 5)
    report = verify()
    assert not report.ok
    assert any("ends at record 4" in p and "head counts 5" in p for p in report.problems)


def test_an_emptied_trail_is_reported(db):
    append(3)
    raw(f"DELETE FROM {TABLE}")
    report = verify()
    assert not report.ok
    assert any("head counts 3" in p for p in report.problems)


def test_the_application_cannot_change_or_delete_a_record(db):
    first = append(2)[0]
    entry = AuditRecord.objects.get(pk=first.pk)
    entry.reason = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    assert AuditRecord.objects.get(pk=first.pk).reason == "test"
    assert AuditRecord.objects.count() == 2
    assert verify().ok


def test_a_rolled_back_change_leaves_no_record_and_the_chain_intact(db):
    append(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        rolled_back = audit.record(action="update", object_type="registry.household", object_id="7")
        assert AuditRecord.objects.count() == 3
        raise RuntimeError("the change failed")
    assert AuditRecord.objects.count() == 2
    assert verify().ok
    after = audit.record(action="update", object_type="registry.household", object_id="8")
    audit.seal()
    after.refresh_from_db()
    assert after.seq == 3  # the chain's numbers come from the sealer: no gap in the chain
    # PostgreSQL's ids skip the rolled-back one (SQLite's give it out again): nothing to the chain.
    assert after.pk >= rolled_back.pk
    assert verify().ok


def test_an_unchanged_update_writes_nothing_and_a_change_keeps_only_what_changed(world):
    area = world.villages[0]
    before = audit.snapshot(area)
    count = AuditRecord.objects.count()
    audit.record_change(actor=None, obj=area, before=before, after=dict(before))
    assert AuditRecord.objects.count() == count
    audit.record_change(actor=None, obj=area, before=before, after=before | {"name": "新名"})
    entry = AuditRecord.objects.order_by("-seq").first()
    assert entry.changes == {"before": {"name": area.name}, "after": {"name": "新名"}}
    assert (entry.object_type, entry.object_id) == ("core.area", str(area.pk))
