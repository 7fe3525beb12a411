"""Backup and restore (core/backup.py, core/restore.py; `linli backup`, `linli restore`).

A backup is restored into a fresh data folder and an emptied database: the rows equal the
manifest's, the audit trail verifies, a visit photo is back and served by its page, a job that
was running is queued again, a message already sent is not sent again. A damaged archive, an
archive whose file was replaced, a target that is not empty and an archive that does not fit
are refused with nothing changed. The last test runs the real commands in processes of their
own, into a database that has no tables at all."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.urls import reverse
from django.utils.translation import gettext_noop
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from linli.accounts.models import User
from linli.core import audit, audit_checkpoints, backup, backup_database, jobs, senders
from linli.core.choices import AuditAction
from linli.core.models import Area, AuditRecord, Notification, NotificationState
from linli.core.notify import notify
from linli.registry.models import Household, Resident
from linli.visits import services as visit_services
from linli.visits.models import Visit

from .. import factories as f
from . import jobs_for_tests

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump and sqlite read committed rows

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
MESSAGE = gettext_noop("Your application %(number)s (%(item)s) is complete.")
PARAMS = {"number": "BJ20260001", "item": "居住证明开具"}


class RecordingSender(senders.ConsoleSender):
    """Remembers which messages it was asked to send."""

    sent: list[int] = []

    def send(self, notification, text, address):
        RecordingSender.sent.append(notification.pk)


@pytest.fixture
def place(settings, tmp_path):
    """The installation that is backed up keeps its files in old/; the one restored into is
    new/ with its own key folder and checkpoint file; archives go to backups/."""
    settings.DATA_DIR = tmp_path / "old"
    settings.LINLI_BACKUP_DIR = tmp_path / "backups"
    settings.LINLI_NOTIFICATION_SENDER = "tests.core.test_backup.RecordingSender"
    RecordingSender.sent = []
    return SimpleNamespace(old=tmp_path / "old", new=tmp_path / "new", tmp=tmp_path)


def move_to_a_new_installation(settings, place) -> None:
    """An emptied database (as `linli migrate` leaves a new one) and a new data folder."""
    call_command("flush", interactive=False, verbosity=0)
    settings.DATA_DIR = place.new
    settings.LINLI_AUDIT_KEY_DIR = place.new / "audit_keys"
    settings.LINLI_AUDIT_CHECKPOINT_FILE = place.new / "audit-checkpoints.log"


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}


def rewrite(archive: Path, changed: dict[str, bytes]) -> None:
    """Write `archive` again with some members' content replaced (a valid tar and gzip)."""
    content = members(archive) | changed
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in content.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def manifest_of(archive: Path) -> dict:
    return json.loads(members(archive)["manifest.json"])


def household_world(world, settings):
    """The `world` district with a visit photo, a message sent, one waiting and a job that a
    worker was running."""
    worker = world.users["grid_worker"]
    visit = visit_services.visit_record(
        actor=worker,
        household=world.households[0],
        channel="home",
        photo=SimpleUploadedFile("门口.png", PNG, content_type="image/png"),
    )
    staff = world.users["community_worker"]
    sent = notify(message=MESSAGE, params=PARAMS, to_user=staff)
    assert senders.send_pending() == 1
    waiting = notify(message=MESSAGE, params=PARAMS, to_user=staff)
    running = jobs_for_tests.add.enqueue(1, 2)
    DBTaskResult.objects.get(pk=running.id).claim("a-worker-that-is-gone")
    RecordingSender.sent = []
    return SimpleNamespace(
        visit=visit, worker=worker, sent=sent, waiting=waiting, running_job=running.id
    )


@pytest.fixture
def restored(world, place, settings):
    """Back up the district, restore it into a new installation; what it held, said and became."""
    held = household_world(world, settings)
    held.counts = {
        m: m.objects.count() for m in (Area, User, Household, Resident, Visit, Notification)
    }
    held.backup_said = run("backup")
    (archive,) = (place.tmp / "backups").glob("linli-backup-*.tar.gz")
    held.archive, held.manifest = archive, manifest_of(archive)
    move_to_a_new_installation(settings, place)
    held.restore_said = run("restore", str(archive))
    return held


# --- backup and restore -----------------------------------------------------------------------


def test_a_restore_into_a_fresh_folder_and_database_holds_every_row_and_photo(
    restored, client, settings
):
    assert "Backup written" in restored.backup_said
    assert {m: m.objects.count() for m in restored.counts} == restored.counts
    manifest = restored.manifest
    assert manifest["counts"][Household._meta.db_table] == restored.counts[Household]
    assert manifest["database"]["vendor"] == connection.vendor
    applied = MigrationRecorder(connection).applied_migrations()
    assert {(app, n) for app, names in manifest["migrations"].items() for n in names} == set(
        applied
    )
    assert "All" in restored.restore_said and "tables hold as many rows" in restored.restore_said
    # The trail: the backed-up records, then the restore's own, and it verifies.
    in_backup = manifest["counts"][AuditRecord._meta.db_table]
    assert AuditRecord.objects.count() == in_backup + 1
    last = AuditRecord.objects.order_by("-pk").first()
    assert last.action == AuditAction.RESTORE and last.object_id == restored.archive.name
    assert last.changes["counts_equal"] is True
    report = audit.verify()
    assert report.ok, report.problems
    assert "Audit trail: OK" in restored.restore_said
    # The visit photo is in the new data folder, and its page serves it.
    visit = Visit.objects.get(pk=restored.visit.pk)
    path = Path(settings.DATA_DIR) / "visits" / visit.photo
    assert path.read_bytes() == PNG
    client.force_login(User.objects.get(pk=restored.worker.pk))
    response = client.get(reverse("visits:visit_photo", args=[visit.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG


def test_a_running_job_is_queued_again_and_a_sent_message_is_not_sent_again(restored):
    job = DBTaskResult.objects.get(pk=restored.running_job)
    assert job.status == TaskResultStatus.READY
    assert restored.manifest["running_jobs"] == [str(restored.running_job)]
    jobs.run_pending_jobs()
    job.refresh_from_db()
    assert job.status == TaskResultStatus.SUCCESSFUL and job.return_value == 3
    assert RecordingSender.sent == [restored.waiting.pk]  # the one sent before: not again
    assert Notification.objects.get(pk=restored.sent.pk).state == NotificationState.SENT
    assert Notification.objects.get(pk=restored.waiting.pk).state == NotificationState.SENT


def test_a_backup_is_recorded_in_the_audit_trail_after_its_snapshot(world, place):
    result = backup.make_backup()
    entry = AuditRecord.objects.order_by("-pk").first()
    assert entry.action == AuditAction.BACKUP and entry.object_id == result.path.name
    assert entry.changes["size"] == result.size and entry.changes["audit_keys_included"] is True
    # The record of the backup is not in the backup it describes; the trail it holds is chained
    # to its end (the backup seals first).
    assert entry.seq is None and not AuditRecord.objects.filter(seq__isnull=True, pk__lt=entry.pk)
    audit.seal()
    entry.refresh_from_db()
    assert result.manifest["audit"]["last_seq"] == entry.seq - 1
    assert oct(result.path.stat().st_mode & 0o777) == oct(0o600)


def test_the_archive_holds_every_file_of_the_data_folder_but_not_the_database_or_backups(
    world, place, settings
):
    files = {
        "visits/a.jpg": b"\xff\xd8\xff a visit",
        "imports/register.xlsx": b"PK a workbook",
        "applications/material.jpg": b"\xff\xd8\xff a folder no code names",
        "secret_key": b"the generated key",
        "static/linli/site.css": b"collected static files",
        "backups/linli-backup-old.tar.gz": b"an older backup",
    }
    place.old.mkdir()
    # The photos of application material live on a bigger disk, linked into the data folder.
    (place.tmp / "bigdisk").mkdir()
    (place.old / "applications").symlink_to(place.tmp / "bigdisk")
    (place.old / "gone.jpg").symlink_to(place.tmp / "nothing-here.jpg")
    for name, data in files.items():
        (place.old / name).parent.mkdir(parents=True, exist_ok=True)
        (place.old / name).write_bytes(data)
    settings.STATIC_ROOT = place.old / "static"
    settings.LINLI_BACKUP_DIR = place.old / "backups"
    result = backup.make_backup()
    listed = {m["name"]: m for m in result.manifest["members"]}
    kept = {n for n in listed if n.startswith("files/")}
    assert kept == {
        "files/visits/a.jpg",
        "files/imports/register.xlsx",
        "files/applications/material.jpg",
        "files/secret_key",
    }
    for name in kept:
        data = files[name.removeprefix("files/")]
        assert listed[name]["sha256"] == hashlib.sha256(data).hexdigest()
    assert result.manifest["skipped"] == ["gone.jpg"]  # a link to nothing
    assert {n for n in listed if n.startswith("audit/keys/")}  # the keys, under their own name
    assert any(n.startswith("database/") for n in listed)
    assert members(result.path).keys() == listed.keys() | {"manifest.json"}


# --- refusals: nothing changes --------------------------------------------------------------


def _nothing_restored(place) -> None:
    assert not Area.objects.exists() and not AuditRecord.objects.exists()
    left = list(place.new.rglob("*")) if place.new.exists() else []
    assert left == [], left  # no staging folder left, no file put back


def test_a_damaged_archive_is_refused_and_nothing_is_restored(world, place, settings):
    household_world(world, settings)
    archive = backup.make_backup().path
    data = bytearray(archive.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(b ^ 0xFF for b in data[middle : middle + 64])
    archive.write_bytes(bytes(data))
    move_to_a_new_installation(settings, place)
    with pytest.raises(
        CommandError, match=r"is damaged or incomplete \(.+\); nothing was restored"
    ):
        run("restore", str(archive))
    _nothing_restored(place)


def test_an_archive_with_a_replaced_photo_is_refused_by_its_checksum(world, place, settings):
    held = household_world(world, settings)
    archive = backup.make_backup().path
    name = f"files/visits/{held.visit.photo}"
    rewrite(archive, {name: PNG[::-1]})  # a valid archive, one file changed
    move_to_a_new_installation(settings, place)
    with pytest.raises(CommandError, match=f"{name} does not match its checksum"):
        run("restore", str(archive))
    _nothing_restored(place)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("migration", "comes from a newer Linli"),
        ("vendor", "same kind of database"),
    ],
)
def test_an_archive_that_does_not_fit_this_linli_is_refused(
    world, place, settings, change, message
):
    archive = backup.make_backup().path
    manifest = manifest_of(archive)
    if change == "migration":
        manifest["migrations"]["core"].append("0999_from_the_future")
    else:
        manifest["database"]["vendor"] = "oracle"
    rewrite(archive, {"manifest.json": json.dumps(manifest).encode()})
    move_to_a_new_installation(settings, place)
    with pytest.raises(CommandError, match=message):
        run("restore", str(archive))
    _nothing_restored(place)


def test_a_database_that_holds_data_is_refused_unless_forced(world, place, settings):
    archive = backup.make_backup().path
    areas = Area.objects.count()
    later = f.area("备份之后的村", "village", world.communities[0])
    assert audit.verify().ok  # a checkpoint that saw the record written after the backup
    seen = audit_checkpoints.read().checkpoints[-1].seq
    with pytest.raises(CommandError, match="is not empty"):
        run("restore", str(archive))
    assert Area.objects.filter(pk=later.pk).exists()  # unchanged

    said = run("restore", str(archive), "--force")
    assert Area.objects.count() == areas and not Area.objects.filter(pk=later.pk).exists()
    checkpoints = Path(settings.LINLI_AUDIT_CHECKPOINT_FILE)
    (aside,) = checkpoints.parent.glob(checkpoints.name + ".before-restore-*")
    assert f"seq={seen} " in aside.read_text()  # kept, not lost
    assert str(aside) in said
    report = audit.verify()  # the live file starts from the restored end: no "deleted tail"
    assert report.ok, report.problems
    # The set-aside file still tells what the backup does not have.
    assert not audit.verify(checkpoint_files=[aside], write_checkpoint=False).ok


def test_a_data_folder_with_files_is_refused_unless_forced(world, place, settings):
    archive = backup.make_backup().path
    move_to_a_new_installation(settings, place)
    (place.new / "visits").mkdir(parents=True)
    (place.new / "visits" / "someone-elses.jpg").write_bytes(b"\xff\xd8\xff")
    with pytest.raises(CommandError, match="data folder .* is not empty"):
        run("restore", str(archive))
    assert not Area.objects.exists()
    run("restore", str(archive), "--force")
    assert Area.objects.exists()
    assert (place.new / "visits" / "someone-elses.jpg").exists()  # left where it was


def test_without_keys_the_archive_holds_none_and_the_restore_needs_the_key_folder(
    world, place, settings
):
    keys = Path(settings.LINLI_AUDIT_KEY_DIR)
    result = backup.make_backup(with_keys=False)
    assert not [m for m in result.manifest["members"] if m["name"].startswith("audit/keys/")]
    needed = result.manifest["audit"]["key_ids"]
    assert needed
    move_to_a_new_installation(settings, place)
    with pytest.raises(CommandError, match="neither in the archive"):
        run("restore", str(result.path))
    assert not Area.objects.exists()
    shutil.copytree(keys, place.new / "audit_keys")  # the key folder, restored on its own
    said = run("restore", str(result.path))
    assert "Audit trail: OK" in said


def test_a_key_that_differs_from_the_archives_is_never_overwritten(world, place, settings):
    result = backup.make_backup()
    move_to_a_new_installation(settings, place)
    folder = place.new / "audit_keys"
    folder.mkdir(parents=True)
    key_id = result.manifest["audit"]["key_ids"][0]
    (folder / f"{key_id}.key").write_text("00" * 32)
    with pytest.raises(CommandError, match="already holds a different audit key"):
        run("restore", str(result.path), "--force")
    assert (folder / f"{key_id}.key").read_text() == "00" * 32
    assert not Area.objects.exists()


def test_an_archive_cannot_put_a_file_over_an_audit_key(world, place, settings):
    """A made-up archive whose files/ part names the key folder, with a checksum that holds."""
    archive = backup.make_backup().path
    manifest = manifest_of(archive)
    forged, name = b"00" * 32, "files/audit_keys/1.key"
    manifest["members"].append(
        {"name": name, "size": len(forged), "sha256": hashlib.sha256(forged).hexdigest()}
    )
    rewrite(archive, {name: forged, "manifest.json": json.dumps(manifest).encode()})
    move_to_a_new_installation(settings, place)
    with pytest.raises(CommandError, match=f"holds {name}, which no Linli backup writes"):
        run("restore", str(archive))
    _nothing_restored(place)


def test_hold_messages_marks_the_waiting_ones_failed_instead_of_sending(world, place, settings):
    held = household_world(world, settings)
    archive = backup.make_backup().path
    move_to_a_new_installation(settings, place)
    said = run("restore", str(archive), "--hold-messages")
    assert "1 waiting messages were held" in said
    jobs.run_pending_jobs()
    assert RecordingSender.sent == []
    row = Notification.objects.get(pk=held.waiting.pk)
    assert row.state == NotificationState.FAILED and "restore" in row.last_error


@pytest.mark.skipif(
    django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="the PostgreSQL client programs",
)
def test_missing_or_too_old_postgresql_client_programs_are_named(world, place, monkeypatch):
    monkeypatch.setattr(backup_database.shutil, "which", lambda name: None)
    with pytest.raises(CommandError, match="pg_dump is not installed"):
        run("backup")
    monkeypatch.undo()
    monkeypatch.setattr(
        backup_database.PostgresDatabase, "program_major", lambda self, name: (name, 9)
    )
    with pytest.raises(CommandError, match="pg_dump 9 cannot work with a PostgreSQL"):
        run("backup")
    assert not list((place.tmp / "backups").glob("*.tar.gz"))


# --- the real commands ------------------------------------------------------------------------


def _database_url(name: str) -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def _postgres(statement: str) -> None:
    import psycopg

    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"], port=s["PORT"], user=s["USER"], dbname="postgres", autocommit=True
    ) as admin:
        admin.execute(statement)


@pytest.mark.slow
def test_linli_backup_and_restore_into_a_database_with_no_tables(world, place, settings):
    """The commands as an operator runs them: back up, then restore on a new machine whose
    database was created but never migrated, then `linli audit verify` there."""
    household_world(world, settings)
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    src = str(Path(backup.__file__).parents[2])
    base["PYTHONPATH"] = os.pathsep.join(filter(None, [src, base.get("PYTHONPATH", "")]))

    def linli(env: dict, *args) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "linli.cli", *args],
            env=base | env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    source = {
        "DATABASE_URL": _database_url(connection.settings_dict["NAME"]),
        "LINLI_DATA_DIR": str(place.old),
        "LINLI_AUDIT_KEY_DIR": str(settings.LINLI_AUDIT_KEY_DIR),
        "LINLI_AUDIT_CHECKPOINT_FILE": str(settings.LINLI_AUDIT_CHECKPOINT_FILE),
    }
    made = linli(source, "backup", "--to", str(place.tmp / "backups"))
    assert made.returncode == 0, made.stdout + made.stderr
    (archive,) = (place.tmp / "backups").glob("linli-backup-*.tar.gz")

    target = {"LINLI_DATA_DIR": str(place.new)}
    fresh = f"{connection.settings_dict['NAME']}_restored"
    if connection.vendor == "postgresql":
        _postgres(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')
        _postgres(f'CREATE DATABASE "{fresh}"')
        target["DATABASE_URL"] = _database_url(fresh)
    else:
        base.pop("DATABASE_URL", None)  # SQLite in the new data folder
    try:
        done = linli(target, "restore", str(archive))
        assert done.returncode == 0, done.stdout + done.stderr
        assert "张表的行数与备份相同" in done.stdout  # the command speaks Chinese
        assert (place.new / "audit_keys").is_dir()
        checked = linli(target, "audit", "verify")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        again = linli(target, "restore", str(archive))  # now the target holds data
        assert again.returncode == 1 and "--force" in again.stderr
    finally:
        if connection.vendor == "postgresql":
            _postgres(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')


def test_gzip_is_what_the_archive_is(world, place):
    """Any tar and gzip tool can open an archive (e.g. to take one photo out by hand)."""
    archive = backup.make_backup().path
    with gzip.open(archive) as raw, tarfile.open(fileobj=raw) as tar:
        assert tar.getmember("manifest.json").isreg()
