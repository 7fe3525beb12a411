"""The audit trail against someone who can write the database but holds no audit key: records
signed with a key kept outside the database, checkpoints written outside it, key rotation, and
records written before the trail was signed.

The attacker works with raw SQL on the tables, as someone with database access would; what he
can compute is the plain SHA-256 the records carried before they were signed.
"""

# ruff: noqa: S608

import datetime as dt
import hashlib
import hmac
import json
import logging
import shutil

import pytest
from django.db import connection
from django.utils import timezone

from linli.core import audit, audit_checkpoints, audit_keys, periodic
from linli.core.audit import GENESIS, unkeyed_hash, verify
from linli.core.choices import AuditAction
from linli.core.models import AuditChainHead, AuditRecord
from linli.core.tasks import audit_checkpoint

RECORDS = connection.ops.quote_name(AuditRecord._meta.db_table)
HEAD = connection.ops.quote_name(AuditChainHead._meta.db_table)


@pytest.fixture
def key_folder(settings, tmp_path):
    """A key folder of the test's own, so that rotating keys touches no other test."""
    settings.LINLI_AUDIT_KEY_DIR = tmp_path / "audit_keys"
    return settings.LINLI_AUDIT_KEY_DIR


def append(count: int, start: int = 1) -> list[AuditRecord]:
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
        for i in range(start, start + count)
    ]
    audit.seal()
    return list(AuditRecord.objects.filter(pk__in=[r.pk for r in written]).order_by("seq"))


def raw(sql: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def cut_the_tail(keep: int) -> None:
    """The attack of the report: delete the last records and rewrite the head to match."""
    last = AuditRecord.objects.get(seq=keep)
    raw(f"DELETE FROM {RECORDS} WHERE seq > %s", keep)
    raw(f"UPDATE {HEAD} SET last_seq = %s, last_hash = %s", keep, last.hash)


def forge_after_the_last(*, key_id: int) -> None:
    """Append a record by hand, hashed as the attacker can: plain SHA-256, head moved on."""
    last = AuditRecord.objects.order_by("-seq").first()
    forged = AuditRecord(
        seq=last.seq + 1,
        at=timezone.now(),
        action="update",
        outcome="success",
        object_type="registry.household",
        object_id="1",
        object_repr="H00001",
        changes={"after": {"address": "伪造"}},
        reason="",
        address="",
        channel="system",
        source="",
        prev_hash=last.hash,
        key_id=0,
    )
    forged.hash = unkeyed_hash(forged)
    forged.key_id = key_id
    forged.save(force_insert=True)
    raw(f"UPDATE {HEAD} SET last_seq = %s, last_hash = %s", forged.seq, forged.hash)


def checkpoint_lines() -> list[str]:
    path = audit_checkpoints.default_file()
    return path.read_text().splitlines() if path.exists() else []


# --- signed records ---------------------------------------------------------------------------


def test_records_are_signed_with_the_key_in_the_key_folder(db, key_folder):
    first, second = append(2)
    key_file = key_folder / "1.key"
    assert key_file.exists() and (key_file.stat().st_mode & 0o077) == 0  # the owner's only
    assert first.key_id == second.key_id == 1
    secret = bytes.fromhex(key_file.read_text().strip())
    chain_key = hmac.new(secret, b"linli audit chain", hashlib.sha256).digest()
    payload = json.loads(audit._canonical(first))
    assert payload["key_id"] == 1 and payload["prev_hash"] == GENESIS
    expected = hmac.new(chain_key, audit._canonical(first), hashlib.sha256).hexdigest()
    assert first.hash == expected != unkeyed_hash(first)
    assert AuditChainHead.objects.get().key_id == 1
    assert verify().ok


def test_an_edit_with_a_recomputed_plain_hash_is_reported(db):
    append(4)
    raw(f"UPDATE {RECORDS} SET reason = %s WHERE seq = %s", "covered up", 2)
    edited = AuditRecord.objects.get(seq=2)
    raw(f"UPDATE {RECORDS} SET hash = %s WHERE seq = %s", unkeyed_hash(edited), 2)
    report = verify()
    assert not report.ok
    assert any(
        p.startswith("record 2:") and "does not match its signature" in p for p in report.problems
    )


def test_a_record_forged_with_a_plain_hash_is_reported(db):
    append(3)
    forge_after_the_last(key_id=0)
    report = verify()
    assert not report.ok
    assert report.problems == [
        "record 4: unsigned, though the records before it are signed (forged with a plain hash)."
    ]


def test_a_record_forged_under_the_key_id_without_the_key_is_reported(db):
    append(3)
    forge_after_the_last(key_id=1)
    report = verify()
    assert not report.ok
    assert report.problems == [
        "record 4: its content does not match its signature (edited, or written without the "
        "audit key)."
    ]


def test_an_unsigned_record_after_a_forged_signed_one_is_reported_too(db):
    append(2)
    forge_after_the_last(key_id=7)
    forge_after_the_last(key_id=0)
    report = verify()
    assert report.problems == [
        "record 3: signed with audit key 7, which is not in the key folder; it cannot be checked.",
        "record 4: unsigned, though the records before it are signed (forged with a plain hash).",
    ]


# --- checkpoints outside the database ---------------------------------------------------------


def test_deleting_the_last_records_and_rewriting_the_head_is_caught_by_the_checkpoint(db):
    """The attack of the report: before, `audit verify` answered OK."""
    append(6)
    assert audit.checkpoint().ok  # the hourly job saw records 1–6
    cut_the_tail(keep=4)
    assert AuditChainHead.objects.get().last_seq == 4
    report = verify()
    assert not report.ok
    [problem] = report.problems
    assert "saw the chain end at record 6; it now ends at record 4" in problem
    assert "records 5–6 were deleted" in problem


def test_without_the_checkpoint_the_same_cut_is_what_the_database_alone_cannot_show(db):
    """Why the checkpoint is needed: the database alone agrees with itself after the cut."""
    append(6)
    cut_the_tail(keep=4)
    assert verify().ok


def test_the_hourly_job_is_on_the_schedule_and_writes_a_signed_line(db, caplog):
    entry = {job.name: job for job in periodic.schedule()}["core.audit_checkpoint"]
    assert entry.every == dt.timedelta(hours=1)
    records = append(3)
    with caplog.at_level(logging.INFO, logger="linli.audit"):
        assert audit_checkpoint.call() == 3
    [line] = checkpoint_lines()
    assert f"linli-audit-checkpoint seq=3 hash={audit_checkpoints._grouped(records[-1].hash)}" in (
        line
    )
    assert line in caplog.text  # the same line in the log, for syslog
    [checkpoint] = audit_checkpoints.read().checkpoints
    assert (checkpoint.seq, checkpoint.hash, checkpoint.key_id) == (3, records[-1].hash, 1)


def test_the_hourly_job_checks_only_what_is_new_and_writes_even_when_nothing_is(db):
    append(3)
    audit.checkpoint()
    append(2, start=4)
    report = audit.checkpoint()
    assert report.ok and report.checked == 2  # 4 and 5, after the checkpointed record 3
    assert audit.checkpoint().checked == 0  # nothing new: the line is written again
    assert [c.seq for c in audit_checkpoints.read().checkpoints] == [3, 5, 5]


def test_the_hourly_job_refuses_to_checkpoint_a_cut_chain(db, caplog):
    append(6)
    audit.checkpoint()
    cut_the_tail(keep=4)
    with caplog.at_level(logging.ERROR, logger="linli.audit"):
        report = audit.checkpoint()
    assert not report.ok and "records 5–6 were deleted" in report.problems[0]
    assert "records 5–6 were deleted" in caplog.text
    assert len(checkpoint_lines()) == 1  # the evidence stays as it was found
    append(1, start=5)  # the application writes on: record 5 again, but not the one seen
    assert not verify().ok


def test_a_record_rewritten_by_a_key_holder_still_differs_from_its_checkpoint(db):
    append(4)
    audit.checkpoint()
    raw(f"UPDATE {RECORDS} SET reason = %s WHERE seq = %s", "rewritten", 4)
    rewritten = AuditRecord.objects.get(seq=4)
    raw(f"UPDATE {RECORDS} SET hash = %s WHERE seq = 4", audit.record_hash(rewritten))
    raw(f"UPDATE {HEAD} SET last_hash = %s", audit.record_hash(rewritten))
    report = verify()
    assert report.problems == [
        f"record 4 differs from what the checkpoint of {audit_checkpoints.read().checkpoints[0].at}"
        " saw (rewritten since)."
    ]


def test_verify_writes_a_checkpoint_when_intact_and_none_when_broken(db):
    append(3)
    report = verify()
    assert report.ok and report.written is not None and report.written.seq == 3
    assert len(checkpoint_lines()) == 1
    raw(f"UPDATE {RECORDS} SET reason = %s WHERE seq = %s", "x", 3)
    report = verify()
    assert not report.ok and report.written is None
    assert len(checkpoint_lines()) == 1


def test_an_edited_or_forged_checkpoint_line_is_reported(db):
    append(3)
    audit.checkpoint()
    path = audit_checkpoints.default_file()
    [line] = checkpoint_lines()
    path.write_text(line.replace("seq=3", "seq=2") + "\n" + line + "\nlinli-audit-checkpoint ?\n")
    report = verify(write_checkpoint=False)
    assert report.checkpoints == 1
    assert report.problems == [
        f"{path}, line 1: its signature does not hold (the line was edited or written without "
        "the audit key).",
        f"{path}, line 3: not a checkpoint line Linli wrote.",
    ]


def test_a_copy_of_the_log_is_compared_too(db, tmp_path):
    """The checkpoint file lost or reset: the copy syslog kept still catches the cut."""
    append(5)
    audit.checkpoint()
    copy = tmp_path / "syslog"
    copy.write_text(
        "".join(
            f"Dec  7 10:00:00 linli1 linli[812]: INFO linli.audit: {line}\n"
            for line in [
                "not a checkpoint",
                *checkpoint_lines(),
            ]
        )
    )
    audit_checkpoints.default_file().unlink()
    cut_the_tail(keep=3)
    assert verify(write_checkpoint=False).ok  # nothing left to compare with
    report = verify(checkpoint_files=[copy])
    assert report.checkpoints == 1
    assert any("records 4–5 were deleted" in p for p in report.problems)


def test_checkpoint_hashes_never_look_like_personal_numbers_to_the_log_filter():
    digits = "1" + "3" * 63  # a hash made of digits: a mobile or ID number for the log filter
    grouped = audit_checkpoints._grouped(digits)
    from linli.core.masking import mask_text

    assert mask_text(grouped) == grouped
    assert grouped.replace("-", "") == digits


# --- rotation ---------------------------------------------------------------------------------


def test_rotating_the_key_is_recorded_and_the_whole_chain_still_verifies(db, key_folder):
    before = append(3)
    audit.checkpoint()
    rotation = audit.rotate_key()
    after = append(2, start=4)
    assert rotation.action == AuditAction.AUDIT_KEY and rotation.seq == 4
    assert rotation.key_id == 2 and rotation.changes == {"key": 2, "previous_key": 1}
    assert rotation.prev_hash == before[-1].hash  # linked to the old key's last record
    assert {r.key_id for r in before} == {1} and {r.key_id for r in after} == {2}
    assert sorted(p.name for p in key_folder.iterdir()) == ["1.key", "2.key"]
    report = verify()
    assert report.ok, report.problems
    assert report.checked == 6 and report.written.key_id == 2
    assert audit.checkpoint().ok  # old and new checkpoint lines check with their own keys


def test_a_prepared_key_is_the_one_put_in_force(db, key_folder):
    append(1)
    prepared = audit_keys.create_key()
    assert prepared == 2 and append(1, start=2)[0].key_id == 1  # not in force yet
    assert audit.rotate_key().key_id == 2
    assert sorted(p.name for p in key_folder.iterdir()) == ["1.key", "2.key"]
    assert verify().ok


def test_a_lost_old_key_makes_its_records_uncheckable(db, key_folder, tmp_path):
    append(2)
    audit.rotate_key()
    append(1, start=3)
    shutil.move(key_folder / "1.key", tmp_path / "1.key")
    audit_keys.keyring(reload=True)
    report = verify()
    assert not report.ok
    assert (
        "record 1: signed with audit key 1, which is not in the key folder; it cannot be "
        "checked." in report.problems
    )


def test_going_back_to_the_old_key_without_a_rotation_is_reported(db, key_folder):
    """Someone sets the head back to a retired (perhaps leaked) key: what is signed with it
    after the rotation shows."""
    append(2)
    audit.rotate_key()
    raw(f"UPDATE {HEAD} SET key_id = 1")
    append(1, start=3)
    report = verify()
    assert report.problems == [
        "record 4: signed with audit key 1 while key 2 is in force, and no rotation to it was "
        "recorded."
    ]


def test_a_missing_key_stops_the_write_with_a_clear_message(db, key_folder):
    append(1)
    (key_folder / "1.key").unlink()
    audit_keys.keyring(reload=True)
    with pytest.raises(audit_keys.AuditKeyMissing, match="Audit key 1 is not in"):
        append(1, start=2)
    assert AuditRecord.objects.count() == 1


# --- records written before the trail was signed ----------------------------------------------


def write_unsigned(count: int) -> list[AuditRecord]:
    """Records as Linli wrote them before this change: key id 0, plain SHA-256, after
    migrating (the migration gives every existing record key id 0)."""
    records = []
    for _ in range(count):
        head = audit._locked_head()
        entry = AuditRecord(
            seq=head.last_seq + 1,
            at=timezone.now(),
            action="update",
            object_type="registry.resident",
            object_id="7",
            changes={"after": {"mobile": "13812345678"}},
            channel="system",
            prev_hash=head.last_hash or GENESIS,
            key_id=0,
        )
        entry.hash = unkeyed_hash(entry)
        entry.save(force_insert=True)
        AuditChainHead.objects.filter(pk=1).update(last_seq=entry.seq, last_hash=entry.hash)
        records.append(entry)
    return records


def test_an_existing_unsigned_trail_keeps_verifying_and_the_signed_records_link_onto_it(db):
    unsigned = write_unsigned(3)
    assert verify().ok
    signed = append(2, start=4)
    assert signed[0].prev_hash == unsigned[-1].hash and signed[0].key_id == 1
    report = verify()
    assert report.ok, report.problems
    assert report.checked == 5


def test_rewriting_the_unsigned_records_breaks_the_first_signed_ones_link(db):
    write_unsigned(3)
    append(1, start=4)
    prev = GENESIS
    for entry in AuditRecord.objects.filter(seq__lte=3).order_by("seq"):
        entry.changes = {"after": {"mobile": "13900000000"}}
        entry.prev_hash = prev
        prev = unkeyed_hash(entry)
        raw(
            f"UPDATE {RECORDS} SET changes = %s, prev_hash = %s, hash = %s WHERE seq = %s",
            json.dumps(entry.changes),
            entry.prev_hash,
            prev,
            entry.seq,
        )
    report = verify()
    assert report.problems == ["record 4: the link to the record before it is broken."]
