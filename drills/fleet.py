"""What the worker and web-process drills share: a PostgreSQL database of their own, `linli`
processes started on loopback, Django set up in the drill's own process to look at the
database, a TCP proxy that can cut a process off from PostgreSQL without stopping the server
(other databases on it stay up), and a tally of the checks that sets the exit status.

Nothing here listens beyond 127.0.0.1, and every process a drill starts is stopped when it
ends, whatever happens.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]


def _server_of(url: str) -> str:
    """postgres://user@host:port of a DATABASE_URL (its database left out); the default
    server when the URL names none, or SQLite."""
    parts = urlsplit(url)
    if not url or not parts.scheme.startswith("postgres"):
        return "postgres://postgres@127.0.0.1:5432"
    user = f"{parts.username}@" if parts.username else ""
    return f"postgres://{user}{parts.hostname or '127.0.0.1'}:{parts.port or 5432}"


# The PostgreSQL server the drills make their databases on: DATABASE_URL's, else the local one.
SERVER = _server_of(os.environ.get("DATABASE_URL", ""))


def say(text: str = "") -> None:
    print(text, flush=True)


class Checks:
    """Each finding printed as it is made; `status()` is 1 when any failed."""

    def __init__(self) -> None:
        self.failed: list[str] = []

    def check(self, ok: bool, what: str) -> bool:
        say(f"  {'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            self.failed.append(what)
        return ok

    def status(self) -> int:
        say()
        if self.failed:
            say(f"FAILED: {len(self.failed)} check(s)")
            for what in self.failed:
                say(f"  - {what}")
            return 1
        say("PASSED: every check held")
        return 0


# --- the database -------------------------------------------------------------------------


def admin_sql(server: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def database_exists(server: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        return bool(row)


def prepare_database(server: str, name: str, data_dir: Path, *, fresh: bool) -> bool:
    """Create the drill's database (and data folder) unless it exists; True if it is new.
    `fresh` drops both first. A database is reused only with the data folder it was built with:
    its audit records are signed with that folder's keys (a fresh clone has none)."""
    if not (data_dir / "audit_keys").is_dir():
        fresh = True
    if fresh:
        admin_sql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    if database_exists(server, name):
        return False
    admin_sql(server, f'CREATE DATABASE "{name}"')
    return True


def host_and_port(server: str) -> tuple[str, int]:
    parts = urlsplit(server)
    return parts.hostname or "127.0.0.1", parts.port or 5432


def with_address(server: str, host: str, port: int) -> str:
    """`server` (postgres://user@host:port) pointed at another host and port."""
    parts = urlsplit(server)
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{host}:{port}"


# --- linli processes ----------------------------------------------------------------------


def environment(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        LINLI_DATA_DIR=str(data_dir),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")])),
        DJANGO_SETTINGS_MODULE="linli.settings",
        LINLI_ALLOWED_HOSTS="127.0.0.1,localhost",
        LINLI_LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def linli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """`linli ARGS` to its end; exits the drill when it fails."""
    result = subprocess.run(  # noqa: S603 — our own command, our own arguments
        [sys.executable, "-m", "linli.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"linli {' '.join(args)} failed (exit status {result.returncode})")
    return result


class Process:
    """A `linli` process running in the background, its output in a log file."""

    def __init__(self, name: str, env: dict[str, str], args: list[str], log: Path):
        self.name, self.log, self.env, self.args = name, log, env, args
        log.parent.mkdir(parents=True, exist_ok=True)
        self._out = log.open("w", encoding="utf-8")
        self.popen = subprocess.Popen(  # noqa: S603 — our own command
            [sys.executable, "-m", "linli.cli", *args],
            env=env,
            cwd=ROOT,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl+C of the drill is the drill's to handle
        )
        RUNNING.append(self)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        if not self._out.closed:
            self._out.flush()
        return self.log.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """SIGKILL: no time to clean up, as when a machine is lost."""
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(30)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, as systemd stops a unit; SIGKILL after `timeout`. The exit status."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(30)
        self._out.close()
        return self.popen.returncode


RUNNING: list[Process] = []


def stop_all() -> None:
    for process in RUNNING:
        with contextlib.suppress(Exception):
            process.stop(timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, step: float = 0.2):
    """Poll `predicate()` until it is true; its value, or None after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(step)


def get(port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 10):
    """GET http://127.0.0.1:port/path: (status, headers, body); status 0 when unreachable."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        conn.close()
        return response.status, response.headers, body
    except (OSError, http.client.HTTPException):
        return 0, {}, b""


def django_setup(env: dict[str, str]) -> None:
    """Set Django up in the drill's own process, on the database of `env` (looked at directly,
    never through a proxy the drill cuts)."""
    for name in ("DATABASE_URL", "LINLI_DATA_DIR", "DJANGO_SETTINGS_MODULE", "LINLI_ALLOWED_HOSTS"):
        os.environ[name] = env[name]
    for path in (str(ROOT / "src"), str(ROOT)):
        if path not in sys.path:
            sys.path.insert(0, path)
    import django

    django.setup()


def fresh_snapshot() -> None:
    """Close the drill's connection, so the next query sees what the others committed."""
    from django.db import connections

    connections.close_all()


# --- a proxy that can be cut --------------------------------------------------------------


class CuttableProxy:
    """A TCP proxy on a loopback port in front of PostgreSQL. `cut()` makes the database
    unreachable through it as a stopped server is: the open connections are reset and new
    ones refused; `restore()` lets connections through again. The real server and every
    other client of it are untouched."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self._lock = threading.Lock()
        self._pairs: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._selector = selectors.DefaultSelector()
        self._stopping = False
        self.restore()
        self._thread = threading.Thread(target=self._pump, name="proxy", daemon=True)
        self._thread.start()

    def restore(self) -> None:
        with self._lock:
            if self._listener is None:
                listener = socket.socket()
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                listener.bind(("127.0.0.1", self.port))
                listener.listen(64)
                listener.setblocking(False)
                self._listener = listener
                self._selector.register(listener, selectors.EVENT_READ, None)

    def cut(self) -> None:
        with self._lock:
            if self._listener is not None:
                self._selector.unregister(self._listener)
                self._listener.close()
                self._listener = None
            for sock in list(self._pairs):
                self._reset(sock)

    def close(self) -> None:
        self._stopping = True
        self.cut()
        self._thread.join(5)

    def _reset(self, sock: socket.socket) -> None:
        # Called with the lock held. SO_LINGER 0: the peer gets a reset, not a polite end.
        self._pairs.discard(sock)
        with contextlib.suppress(OSError, KeyError, ValueError):
            self._selector.unregister(sock)
        with contextlib.suppress(OSError):
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
        with contextlib.suppress(OSError):
            sock.close()

    def _pump(self) -> None:
        while not self._stopping:
            with self._lock:
                ready = self._selector.select(timeout=0) if self._selector.get_map() else []
            if not ready:
                time.sleep(0.005)
                continue
            for key, _events in ready:
                with self._lock:
                    if key.data is None:
                        self._accept(key.fileobj)
                    else:
                        self._forward(key.fileobj, key.data)

    def _accept(self, listener) -> None:
        if listener is not self._listener:
            return
        try:
            client, _address = listener.accept()
        except OSError:
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        for one, other in ((client, upstream), (upstream, client)):
            one.setblocking(True)
            one.settimeout(5)
            self._pairs.add(one)
            self._selector.register(one, selectors.EVENT_READ, other)

    def _forward(self, source: socket.socket, destination: socket.socket) -> None:
        if source not in self._pairs:
            return
        try:
            data = source.recv(65536)
            if data:
                destination.sendall(data)
                return
        except OSError:
            pass
        self._reset(source)
        self._reset(destination)
