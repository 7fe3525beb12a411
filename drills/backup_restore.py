"""Backup and restore drill 备份恢复演练: back up under load, restore into a fresh place, check.

What it does:

1. Builds the demo district (`linli demo --small`; without --quick the full one) in a
   throwaway data folder — SQLite there by default; with DATABASE_URL set, in a database of its
   own on that PostgreSQL server, `linli_drill_backup`, made afresh (the database the URL names
   is not touched) — and issues the grid worker 赵敏 an API token.
2. Starts `linli serve` on a free loopback port (with its job thread) and lets writers record
   visits as fast as the server takes them: API writers (`POST /api/visits`, each with its own
   idempotency key) and page writers (the visit form, each visit with a photo of its own).
   Bounded: at most --writes per writer, loopback only.
3. While they write, runs `linli backup`; the writers stop a moment after it ends.
4. Restores the archive with `linli restore` into a new data folder and an empty database
   (`linli_drill_backup_restored` on PostgreSQL), and reads the restored copy itself: its rows
   per table against the manifest, the writes acknowledged before the backup's snapshot (all
   must be there, once), the writes sent after it (none may be), each photo byte for byte.
5. Runs `linli audit verify` on the copy, starts `linli serve` on it and, signed in as the grid
   worker, fetches a visit's page and its photo.

It prints what it did and found, and exits 1 on any failure: a command that fails, a count
that differs from the manifest (other than the restore's own audit record), an acknowledged
write missing or doubled, a write from after the snapshot present, a photo missing or changed,
the audit trail not verifying, or the restored server not answering.

    .venv/bin/python drills/backup_restore.py --quick                  # SQLite, ~1 min
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python drills/backup_restore.py --quick
    … [--writers 6] [--writes 400] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "linli_drill_backup"
RESTORED = "linli_drill_backup_restored"
WORKER, PASSWORD = "grid_worker", "Linli-demo-2026"  # the demo's grid worker, 赵敏
NOTE = "drill-backup-"
REQUEST_TIMEOUT = 30.0
AFTER_BACKUP = 1.0  # seconds the writers go on once the backup is written

TOKEN = f"""
from linli.accounts import services
from linli.accounts.models import User
user = User.objects.get(username={WORKER!r})
_token, key = services.api_token_issue(actor=user, user=user, name="备份演练")
print("TOKEN=" + key)
"""
READ_COPY = f"""
import json
from django.db import connection
from linli.visits.models import Visit
with connection.cursor() as cursor:
    counts = {{}}
    for table in connection.introspection.table_names(cursor):
        cursor.execute('SELECT COUNT(*) FROM "%s"' % table)
        counts[table] = cursor.fetchone()[0]
visits = list(Visit.objects.filter(note__startswith={NOTE!r}).values_list("note", "id", "photo"))
print("COPY=" + json.dumps({{"counts": counts, "visits": visits}}))
"""  # noqa: S608 — the table names come from the database itself


class DrillFailed(Exception):
    pass


def say(text: str = "") -> None:
    print(text, flush=True)


# --- places: data folders and databases -------------------------------------------------------


class Place:
    """One installation: a data folder and, on PostgreSQL, a database of its own."""

    def __init__(self, folder: Path, server: str | None, database: str):
        self.folder, self.server, self.database = folder, server, database

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
        env.pop("DATABASE_URL", None)
        if self.server:
            env["DATABASE_URL"] = f"{self.server}/{self.database}"
        env["LINLI_DATA_DIR"] = str(self.folder)
        for name in ("LINLI_AUDIT_KEY_DIR", "LINLI_AUDIT_CHECKPOINT_FILE", "LINLI_BACKUP_DIR"):
            env.pop(name, None)  # the data folder's own
        env["LINLI_EMBEDDED_WORKER"] = "1"
        env["LINLI_LOG_LEVEL"] = "WARNING"
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")])
        )
        return env

    def create(self) -> None:
        self.folder.mkdir(parents=True)
        if self.server:
            admin(self.server, f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            admin(self.server, f'CREATE DATABASE "{self.database}"')

    def drop(self) -> None:
        if self.server:
            admin(self.server, f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def linli(self, *args: str, timeout: float = 1200) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603 — our own interpreter and arguments
            [sys.executable, "-m", "linli.cli", *args],
            env=self.environment(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def must(self, *args: str, timeout: float = 1200) -> subprocess.CompletedProcess:
        done = self.linli(*args, timeout=timeout)
        if done.returncode != 0:
            raise DrillFailed(
                f"`linli {' '.join(args)}` exited {done.returncode}:\n{done.stdout}{done.stderr}"
            )
        return done


def admin(server: str, statement: str) -> None:
    import psycopg

    url = urllib.parse.urlsplit(server)
    with psycopg.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        connection.execute(statement)


def postgres_server() -> str | None:
    """The server part of DATABASE_URL (scheme, user, host, port), if it names PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# --- the server and its clients -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, place: Place):
        self.place, self.port = place, free_port()
        self.log = place.folder.parent / f"serve-{place.folder.name}-{self.port}.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(  # noqa: S603 — our own interpreter and arguments
                [sys.executable, "-m", "linli.cli", "serve", "--port", str(self.port)],
                env=place.environment(),
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise DrillFailed(f"linli serve ended at once:\n{self.log.read_text()}")
            try:
                if Client(self.port).get("/accounts/login/")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise DrillFailed("linli serve did not answer within 120 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Client:
    """HTTP on loopback with the cookies a browser would keep."""

    def __init__(self, port: int, token: str | None = None):
        self.port, self.token, self.cookies = port, token, {}

    def request(self, method: str, path: str, body: bytes | None = None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, dict(response.getheaders()), data

    def get(self, path: str):
        return self.request("GET", path)

    def post_json(self, path: str, payload: dict, headers=None):
        body = json.dumps(payload).encode()
        return self.request(
            "POST", path, body, {"Content-Type": "application/json", **(headers or {})}
        )

    def post_form(self, path: str, fields: dict[str, str], files: dict[str, tuple] = None):
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, (filename, content_type, data) in (files or {}).items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
                + data
                + b"\r\n"
            )
        parts.append(f"--{boundary}--\r\n".encode())
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self.request("POST", path, b"".join(parts), headers)

    def log_in(self, username: str, password: str) -> None:
        self.get("/accounts/login/")
        status, headers, _ = self.post_form(
            "/accounts/login/",
            {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
            },
        )
        if status != 302:
            raise DrillFailed(f"logging in as {username} answered {status}")


# --- the load -------------------------------------------------------------------------------


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Write:
    """One visit a writer sent: when, when (and whether) it was acknowledged, its photo."""

    note: str
    sent: dt.datetime
    acknowledged: dt.datetime | None = None
    visit: int | None = None
    photo: bytes = b""
    status: int | str = ""


@dataclass
class Load:
    port: int
    token: str
    households: list[int]
    limit: int
    stop: threading.Event = field(default_factory=threading.Event)
    writes: list[Write] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acknowledged(self) -> int:
        with self.lock:
            return sum(w.acknowledged is not None for w in self.writes)

    def keep(self, write: Write) -> None:
        with self.lock:
            self.writes.append(write)


def api_writer(load: Load, number: int) -> None:
    client = Client(load.port, load.token)
    for n in range(load.limit):
        if load.stop.is_set():
            return
        write = Write(note=f"{NOTE}api-{number}-{n}", sent=now())
        payload = {
            "household": load.households[n % len(load.households)],
            "channel": "home",
            "note": write.note,
        }
        try:
            status, _headers, body = client.post_json(
                "/api/visits/visits", payload, {"Idempotency-Key": str(uuid.uuid4())}
            )
            write.status = status
            if status == 201:
                write.acknowledged, write.visit = now(), json.loads(body)["id"]
        except OSError as e:
            write.status = type(e).__name__
        load.keep(write)


def page_writer(load: Load, number: int) -> None:
    client = Client(load.port)
    client.log_in(WORKER, PASSWORD)
    for n in range(load.limit):
        if load.stop.is_set():
            return
        household = load.households[(n + number) % len(load.households)]
        form = f"/visits/households/{household}/visit/"
        photo = b"\x89PNG\r\n\x1a\n" + secrets.token_bytes(20_000)
        write = Write(note=f"{NOTE}page-{number}-{n}", sent=now(), photo=photo)
        try:
            client.get(form)
            status, headers, _body = client.post_form(
                form,
                {
                    "csrfmiddlewaretoken": client.cookies.get("csrftoken", ""),
                    "channel": "home",
                    "visited_on": dt.date.today().isoformat(),
                    "note": write.note,
                },
                {"photo": ("门口.png", "image/png", photo)},
            )
            write.status = status
            location = headers.get("Location", "")
            if status == 302 and "/visits/" in location:
                write.acknowledged = now()
                write.visit = int(location.rstrip("/").rsplit("/", 1)[1])
        except OSError as e:
            write.status = type(e).__name__
        load.keep(write)


# --- the drill ------------------------------------------------------------------------------


def households_of(port: int, token: str) -> list[int]:
    status, _headers, body = Client(port, token).get("/api/households?limit=50")
    if status != 200:
        raise DrillFailed(f"the household list answered {status}")
    ids = [row["id"] for row in json.loads(body)["items"]]
    if not ids:
        raise DrillFailed("the grid worker sees no household")
    return ids


def manifest_of(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        return json.load(tar.extractfile("manifest.json"))


def read_copy(place: Place) -> dict:
    done = place.must("shell", "-c", READ_COPY)
    line = next(x for x in done.stdout.splitlines() if x.startswith("COPY="))
    return json.loads(line.removeprefix("COPY="))


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


class Drill:
    def __init__(self, args, server: str | None, work: Path):
        self.args, self.server, self.work = args, server, work
        self.kind = "PostgreSQL" if server else "SQLite"
        self.failures: list[str] = []
        self.source = Place(work / "source", server, DATABASE)
        self.copy = Place(work / "restored", server, RESTORED)

    def check(self, ok: bool, text: str) -> None:
        say(f"  [{'ok' if ok else 'FAILED'}] {text}")
        if not ok:
            self.failures.append(text)

    def run(self) -> None:
        say(f"== Backup and restore drill on {self.kind}, in {self.work}")
        self.build()
        load, archive, backup_seconds = self.back_up_under_load()
        manifest = manifest_of(archive)
        self.describe_backup(manifest, archive, backup_seconds, load)
        self.restore(archive)
        copy = read_copy(self.copy)
        self.compare_counts(manifest, copy)
        self.compare_writes(manifest, copy, load)
        verified = self.copy.linli("audit", "verify")
        self.check(
            verified.returncode == 0,
            f"linli audit verify on the copy: {verified.stdout.strip().splitlines()[0] if verified.stdout.strip() else verified.stderr.strip()}",
        )
        self.serve_the_copy(load, copy)

    def build(self) -> None:
        self.source.create()
        started = time.monotonic()
        self.source.must("demo", *(["--small"] if self.args.quick else []))
        say(
            f"Built the demo district ({'small' if self.args.quick else 'full'}) in "
            f"{time.monotonic() - started:.1f} s."
        )
        self.token = self.source.must("shell", "-c", TOKEN).stdout.split("TOKEN=")[1].split()[0]
        # As the daily check would have: a checkpoint line for the backup to carry.
        self.source.must("audit", "verify")

    def back_up_under_load(self):
        server = Server(self.source)
        try:
            households = households_of(server.port, self.token)
            load = Load(server.port, self.token, households, self.args.writes)
            pages = max(1, self.args.writers // 3)
            threads = [
                threading.Thread(target=api_writer, args=(load, n), daemon=True)
                for n in range(self.args.writers - pages)
            ] + [
                threading.Thread(target=page_writer, args=(load, n), daemon=True)
                for n in range(pages)
            ]
            say(
                f"Serving on 127.0.0.1:{server.port}; {len(threads)} writers "
                f"({len(threads) - pages} through the API, {pages} through the visit form with a "
                f"photo), at most {self.args.writes} visits each, on {len(households)} households."
            )
            for thread in threads:
                thread.start()
            while load.acknowledged() < self.args.warm_up and any(t.is_alive() for t in threads):
                time.sleep(0.05)
            started = time.monotonic()
            self.source.must("backup", "--to", str(self.work / "backups"))
            seconds = time.monotonic() - started
            time.sleep(AFTER_BACKUP)
            load.stop.set()
            for thread in threads:
                thread.join(REQUEST_TIMEOUT + 5)
        finally:
            server.stop()
        (archive,) = (self.work / "backups").glob("linli-backup-*.tar.gz")
        return load, archive, seconds

    def describe_backup(self, manifest, archive, seconds, load) -> None:
        started, finished = (
            at(manifest["database"][k]) for k in ("snapshot_started", "snapshot_finished")
        )
        writes = load.writes
        acked = [w for w in writes if w.acknowledged]
        before = sum(w.acknowledged < started for w in acked)
        after = sum(w.sent > finished for w in acked)
        say(
            f"`linli backup` under load took {seconds:.1f} s: {archive.name}, "
            f"{archive.stat().st_size / 1e6:.1f} MB, {len(manifest['members'])} members, "
            f"{sum(manifest['counts'].values())} rows in {len(manifest['counts'])} tables; "
            f"snapshot between {manifest['database']['snapshot_started']} and "
            f"{manifest['database']['snapshot_finished']}."
        )
        say(
            f"Writes: {len(writes)} sent, {len(acked)} acknowledged — {before} before the "
            f"snapshot, {after} sent after it, {len(acked) - before - after} around it; "
            f"{len(writes) - len(acked)} not acknowledged "
            f"({sorted({str(w.status) for w in writes if not w.acknowledged}) or 'none'})."
        )
        self.check(
            before > 0 and after > 0,
            "writes were acknowledged both before and after the snapshot (a backup under load)",
        )
        names = {m["name"] for m in manifest["members"]}
        self.check(
            "audit/checkpoints.log" in names and any(n.startswith("audit/keys/") for n in names),
            "the archive holds the audit keys and the checkpoint file",
        )

    def restore(self, archive: Path) -> None:
        self.copy.create()
        started = time.monotonic()
        done = self.copy.linli("restore", str(archive))
        say(
            f"`linli restore` into a new data folder and an empty database took {time.monotonic() - started:.1f} s:"
        )
        for line in (done.stdout + done.stderr).strip().splitlines():
            if "linli-audit-checkpoint" not in line:  # the log's copy of the checkpoint line
                say(f"    {line}")
        self.check(done.returncode == 0, f"linli restore exited {done.returncode}")
        if done.returncode != 0:
            raise DrillFailed("the restore failed")

    def compare_counts(self, manifest: dict, copy: dict) -> None:
        expected, counts = manifest["counts"], copy["counts"]
        trail = "core_auditrecord"
        differing = {
            t: (n, counts.get(t)) for t, n in expected.items() if t != trail and counts.get(t) != n
        }
        self.check(
            not differing,
            f"{len(expected) - 1} tables of the copy hold as many rows as the manifest says"
            + (f"; differing: {differing}" if differing else ""),
        )
        self.check(
            counts.get(trail) == expected[trail] + 1,
            f"audit records: {expected[trail]} in the backup, {counts.get(trail)} in the copy "
            "(the restore's own record added)",
        )

    def compare_writes(self, manifest: dict, copy: dict, load: Load) -> None:
        started, finished = (
            at(manifest["database"][k]) for k in ("snapshot_started", "snapshot_finished")
        )
        restored: dict[str, list] = {}
        for note, visit, photo in copy["visits"]:
            restored.setdefault(note, []).append((visit, photo))
        doubled = [n for n, rows in restored.items() if len(rows) > 1]
        self.check(not doubled, f"no visit twice in the copy ({len(doubled)} doubled)")
        acked_before = [w for w in load.writes if w.acknowledged and w.acknowledged < started]
        missing = [w.note for w in acked_before if w.note not in restored]
        self.check(
            not missing,
            f"{len(acked_before) - len(missing)}/{len(acked_before)} writes acknowledged before "
            f"the snapshot are in the copy" + (f"; missing: {missing[:5]}" if missing else ""),
        )
        later = [w for w in load.writes if w.sent > finished]
        present = [w.note for w in later if w.note in restored]
        self.check(
            not present,
            f"0/{len(later)} writes sent after the snapshot are in the copy"
            if not present
            else f"{len(present)} writes sent after the snapshot are in the copy: {present[:5]}",
        )
        photos = [w for w in acked_before if w.photo and w.note in restored]
        folder = self.copy.folder / "visits"
        equal = sum(
            (folder / restored[w.note][0][1]).is_file()
            and (folder / restored[w.note][0][1]).read_bytes() == w.photo
            for w in photos
        )
        self.check(
            equal == len(photos) and photos,
            f"{equal}/{len(photos)} photos of visits acknowledged before the snapshot are in the "
            "restored data folder, byte for byte",
        )

    def serve_the_copy(self, load: Load, copy: dict) -> None:
        restored = {note: (visit, photo) for note, visit, photo in copy["visits"]}
        with_photo = next(
            (w for w in load.writes if w.photo and w.note in restored and restored[w.note][1]),
            None,
        )
        server = Server(self.copy)
        try:
            client = Client(server.port)
            client.log_in(WORKER, PASSWORD)
            home = client.get("/")[0]
            self.check(home == 200, f"the restored server answers: the workbench is {home}")
            if with_photo is None:
                self.check(False, "a visit with a photo to fetch from the restored server")
                return
            visit = restored[with_photo.note][0]
            page = client.get(f"/visits/{visit}/")
            picture = client.get(f"/visits/{visit}/photo/")
            self.check(
                page[0] == 200 and with_photo.note.encode() in page[2],
                f"the visit's page /visits/{visit}/ is {page[0]} and shows its note",
            )
            self.check(
                picture[0] == 200 and picture[2] == with_photo.photo,
                f"its photo /visits/{visit}/photo/ is {picture[0]}, {len(picture[2])} bytes, "
                f"{'equal to' if picture[2] == with_photo.photo else 'DIFFERENT from'} the one sent",
            )
        finally:
            server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the small demo and a light load (CI)")
    parser.add_argument("--writers", type=int, default=None, help="writers at once (3, or 6)")
    parser.add_argument("--writes", type=int, default=None, help="at most this many per writer")
    parser.add_argument("--keep", action="store_true", help="keep the folders and databases")
    args = parser.parse_args()
    args.writers = args.writers or (3 if args.quick else 6)
    args.writes = args.writes or (60 if args.quick else 400)
    args.warm_up = 10 if args.quick else 50  # acknowledged writes before the backup starts
    server = postgres_server()
    work = Path(tempfile.mkdtemp(prefix="linli-drill-backup-"))
    drill = Drill(args, server, work)
    try:
        drill.run()
    except DrillFailed as e:
        drill.failures.append(str(e))
        say(f"  [FAILED] {e}")
    finally:
        if not args.keep and not drill.failures:
            drill.source.drop()
            drill.copy.drop()
            shutil.rmtree(work, ignore_errors=True)
        elif drill.failures:
            say(
                f"Kept for a look: {work}"
                + (f", databases {DATABASE}, {RESTORED}" if server else "")
            )
    verdict = "FAILED: " + "; ".join(drill.failures) if drill.failures else "PASSED"
    say(f"Backup and restore drill on {drill.kind}: {verdict}")
    return 1 if drill.failures else 0


if __name__ == "__main__":
    sys.exit(main())
