"""Records written without a lock, chained moments later: writers never wait for one another on
the audit trail, the sealer chains in id order and once, a record edited before it is chained
is caught by its own signature, and a transaction that commits late (or rolls back) leaves the
chain whole.

The PostgreSQL tests hold transactions open in threads with connections of their own, as two
web processes would; SQLite runs one write transaction at a time, so there they do not apply.
"""

# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from linli.core import audit, audit_keys, jobs, periodic
from linli.core.audit import GENESIS, verify
from linli.core.models import AuditChainHead, AuditRecord
from linli.core.tasks import audit_seal

RECORDS = connection.ops.quote_name(AuditRecord._meta.db_table)
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite runs one write transaction at a time: no two writers to keep apart",
)


@pytest.fixture
def key_folder(settings, tmp_path):
    settings.LINLI_AUDIT_KEY_DIR = tmp_path / "audit_keys"
    return settings.LINLI_AUDIT_KEY_DIR


def write(n: int = 1, start: int = 1) -> list[AuditRecord]:
    return [
        audit.record(
            action="update",
            object_type="registry.household",
            object_id=str(i),
            changes={"after": {"address": f"新址{i}"}},
            reason="test",
        )
        for i in range(start, start + n)
    ]


def raw(sql: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def chained() -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(seq__isnull=False).order_by("seq"))


# --- sealing --------------------------------------------------------------------------------


def test_a_record_is_written_signed_and_not_yet_chained(db):
    [entry] = write()
    stored = AuditRecord.objects.get(pk=entry.pk)
    assert (stored.seq, stored.prev_hash, stored.hash) == (None, "", "")
    assert stored.signature == audit.own_signature(stored) != ""
    assert AuditChainHead.objects.filter(last_seq__gt=0).count() == 0  # writers leave it alone


def test_the_sealer_chains_in_id_order_and_only_once(db):
    written = write(5)
    assert audit.seal() == 5
    records = chained()
    assert [r.pk for r in records] == [r.pk for r in written]  # id order
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert records[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(records, records[1:], strict=False))
    assert all(audit.record_hash(r) == r.hash for r in records)
    head = AuditChainHead.objects.get()
    assert (head.last_seq, head.last_hash) == (5, records[-1].hash)
    assert audit.seal() == 0  # nothing new: nothing changes
    assert [(r.seq, r.hash) for r in chained()] == [(r.seq, r.hash) for r in records]
    write(2, start=6)
    assert audit.seal() == 2
    assert [r.seq for r in chained()] == [1, 2, 3, 4, 5, 6, 7]
    assert verify().ok


def test_the_sealer_works_in_batches(db, monkeypatch):
    monkeypatch.setattr(audit, "SEAL_BATCH", 2)
    write(5)
    assert audit.seal() == 5
    assert [r.seq for r in chained()] == [1, 2, 3, 4, 5]
    assert verify().ok


def test_verify_checks_the_records_not_yet_chained_by_their_own_signature(db):
    write(2)
    audit.seal()
    write(3, start=3)
    report = verify(seal_first=False)
    assert report.ok, report.problems
    assert (report.checked, report.unchained) == (5, 3)
    report = verify()  # seals first: nothing left waiting
    assert report.ok and (report.checked, report.unchained) == (5, 0)
    assert report.written.seq == 5


def test_an_edited_record_not_yet_chained_is_caught_and_kept_out_of_the_chain(db, caplog):
    first, edited, third = write(3)
    raw(f"UPDATE {RECORDS} SET reason = %s WHERE id = %s", "nothing to see", edited.pk)
    with caplog.at_level(logging.ERROR, logger="linli.audit"):
        report = verify()
    assert report.problems == [
        f"record id {edited.pk} (not yet chained): its content does not match its signature "
        "(edited, or written without the audit key)."
    ]
    assert f"record id {edited.pk}" in caplog.text
    assert [r.pk for r in chained()] == [first.pk, third.pk]  # the others are chained
    assert AuditRecord.objects.get(pk=edited.pk).seq is None  # the evidence stays as found
    assert report.written is None  # no checkpoint for a broken trail
    assert not verify().ok  # and it stays reported


def test_a_record_forged_unchained_without_the_key_is_caught(db):
    write(2)
    audit.seal()
    [model] = write()
    raw(f"UPDATE {RECORDS} SET signature = %s WHERE id = %s", "", model.pk)
    [signed_elsewhere] = write(start=9)
    raw(f"UPDATE {RECORDS} SET key_id = %s WHERE id = %s", 7, signed_elsewhere.pk)
    report = verify()
    assert report.problems == [
        f"record id {model.pk} (not yet chained): it has no signature (forged).",
        f"record id {signed_elsewhere.pk} (not yet chained): signed with audit key 7, which is "
        "not in the key folder; it cannot be checked.",
    ]
    assert len(chained()) == 2


def test_a_record_signed_with_a_key_not_in_force_stays_out_of_the_chain(db, key_folder):
    write(1)
    audit.rotate_key()
    entry = audit.AuditRecord(action="update", object_type="registry.household", object_id="1")
    audit._write(entry, 1)  # the retired key, as someone holding a leaked copy of it would
    report = verify()
    assert report.problems == [
        f"record id {entry.pk} (not yet chained): signed with audit key 1 while key 2 is in force."
    ]


def test_rotating_the_key_chains_the_waiting_records_with_the_old_key_first(db, key_folder):
    waiting = write(2)
    rotation = audit.rotate_key()
    after = write(1, start=3)
    audit.seal()
    records = chained()
    assert [r.pk for r in records] == [waiting[0].pk, waiting[1].pk, rotation.pk, after[0].pk]
    assert [r.key_id for r in records] == [1, 1, 2, 2]
    assert rotation.seq == 3 and rotation.prev_hash == records[1].hash
    assert verify().ok


def test_a_cut_tail_is_still_caught_once_new_records_are_chained_onto_it(db):
    """Records deleted from the chain's end and the head rewritten, then the application writes
    on: the sealer links the new records to the cut head, and the checkpoint still shows it."""
    write(6)
    assert audit.checkpoint().ok  # seals, and saw records 1–6
    kept = AuditRecord.objects.get(seq=4)
    raw(f"DELETE FROM {RECORDS} WHERE seq > %s", 4)
    head = connection.ops.quote_name(AuditChainHead._meta.db_table)
    raw(f"UPDATE {head} SET last_seq = %s, last_hash = %s", 4, kept.hash)
    write(3, start=7)
    report = verify()
    assert not report.ok
    assert any("record 6 differs from what the checkpoint" in p for p in report.problems)
    assert [r.seq for r in chained()] == [1, 2, 3, 4, 5, 6, 7]


def test_the_checkpoint_job_seals_first(db):
    write(3)
    report = audit.checkpoint()
    assert report.ok and report.written.seq == 3
    assert AuditRecord.objects.filter(seq__isnull=True).count() == 0


# --- who seals, and when ----------------------------------------------------------------------


def test_the_seal_job_is_on_the_schedule_every_minute(db):
    entry = {job.name: job for job in periodic.schedule()}["core.audit_seal"]
    assert entry.every == dt.timedelta(minutes=1)
    write(3)
    assert audit_seal.call() == 3
    assert audit_seal.call() == 0
    assert len(chained()) == 3


def test_a_worker_seals_between_jobs(db, settings):
    settings.LINLI_AUDIT_SEAL_SECONDS = 2
    worker = jobs.make_worker(worker_id="test-sealer", periodic=True)
    write(2)
    worker.seal_audit()
    assert len(chained()) == 2
    write(1, start=3)
    worker.seal_audit()  # within the interval: not its turn yet
    assert len(chained()) == 2
    worker._next_seal = 0
    worker.seal_audit()
    assert len(chained()) == 3


def test_a_batch_worker_leaves_sealing_to_the_long_running_ones(db):
    worker = jobs.make_worker(worker_id="test-batch", batch=True)
    write(1)
    worker.seal_audit()
    assert chained() == []


# --- two writers at once (PostgreSQL) -------------------------------------------------------------


def _in_thread(function):
    """Run `function` in a thread of its own (its own database connection); its future."""
    pool = ThreadPoolExecutor(max_workers=1)

    def run():
        try:
            return function()
        finally:
            connection.close()

    future = pool.submit(run)
    pool.shutdown(wait=False)
    return future


def _no_lock_waits(seconds: str = "3s") -> None:
    """From here to the transaction's end, a lock not granted within `seconds` is an error."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{seconds}'")


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_writers_append_at_once_and_neither_waits_for_the_other():
    """Before, the second writer waited on the chain head's lock until the first committed."""
    first_wrote, second_done = threading.Event(), threading.Event()

    def first():
        with transaction.atomic():
            write(1)
            first_wrote.set()
            assert second_done.wait(30), "the second writer did not get through"
        return "first committed"

    def second():
        assert first_wrote.wait(30)
        with transaction.atomic():
            _no_lock_waits()
            write(1, start=2)
        second_done.set()
        return "second committed"

    futures = [_in_thread(first), _in_thread(second)]
    assert [f.result(60) for f in futures] == ["first committed", "second committed"]
    assert audit.seal() == 2
    assert verify().ok


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_writer_does_not_wait_for_the_sealer():
    write(1)
    sealing, written = threading.Event(), threading.Event()

    def sealer():
        with transaction.atomic():
            audit._locked_head()  # a seal under way holds the head
            sealing.set()
            assert written.wait(30), "the writer did not get through"

    future = _in_thread(sealer)
    assert sealing.wait(30)
    with transaction.atomic():
        _no_lock_waits()
        write(1, start=2)
    written.set()
    future.result(60)
    assert audit.seal() == 2


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_record_committed_after_a_later_one_was_chained_is_chained_after_it():
    """A transaction with the lower id commits last: its record is not lost and does not hold
    the others back; it joins the chain at the next seal."""
    wrote, let_go = threading.Event(), threading.Event()

    def slow():
        with transaction.atomic():
            [entry] = write(1)
            wrote.set()
            assert let_go.wait(30)
        return entry.pk

    future = _in_thread(slow)
    assert wrote.wait(30)
    [quick] = write(1, start=2)
    assert audit.seal() == 1  # the quick one; the slow one is not visible yet
    let_go.set()
    slow_pk = future.result(60)
    assert slow_pk < quick.pk
    assert audit.seal() == 1
    assert [r.pk for r in chained()] == [quick.pk, slow_pk]
    report = verify()
    assert report.ok, report.problems
    assert report.unchained == 0


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_writer_leaves_a_gap_in_the_ids_and_none_in_the_chain():
    write(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        [lost] = write(1, start=2)
        raise RuntimeError("the change failed")
    [after] = write(1, start=3)
    assert after.pk > lost.pk  # the id was used up all the same
    assert audit.seal() == 2
    assert [r.seq for r in chained()] == [1, 2]
    assert verify().ok


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_key_rotation_waits_for_the_writers_that_read_the_old_key(settings, tmp_path):
    """A writer that read key 1 commits after the rotation began: its record is chained with key
    1 before the rotation's, not left signed with a retired key."""
    settings.LINLI_AUDIT_KEY_DIR = tmp_path / "audit_keys"
    write(1)
    audit.seal()
    wrote, let_go = threading.Event(), threading.Event()

    def writer():
        with transaction.atomic():
            [entry] = write(1, start=2)
            wrote.set()
            assert let_go.wait(30)
        return entry.pk

    writing = _in_thread(writer)
    assert wrote.wait(30)
    rotating = _in_thread(lambda: audit.rotate_key().pk)
    assert _waits_for_the_fence(), "the rotation did not wait for the writer"
    let_go.set()
    late_pk, rotation_pk = writing.result(60), rotating.result(60)
    records = chained()
    assert [r.pk for r in records] == [records[0].pk, late_pk, rotation_pk]
    assert [r.key_id for r in records] == [1, 1, 2]
    assert verify().ok


def _waits_for_the_fence() -> bool:
    """Whether a backend is waiting for the rotation's advisory lock (looked at for 10 s)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False


def test_a_missing_key_in_force_stops_the_write_not_the_sealer(db, key_folder):
    write(1)
    audit.seal()
    (key_folder / "1.key").unlink()
    audit_keys.keyring(reload=True)
    with pytest.raises(audit_keys.AuditKeyMissing):
        write(1, start=2)
    assert audit.seal() == 0
