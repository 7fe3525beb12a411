"""Outage drill 停库演练: the database goes away under load, then comes back.

What it does:

1. Prepares a database — SQLite in a throwaway data folder by default; on the PostgreSQL server
   of DATABASE_URL when it is set, a database of its own, `linli_drill_outage`, made afresh
   (the database DATABASE_URL names is not touched) — with `linli migrate`, a person to log in
   as and a system account with an API token.
2. Starts `linli serve` on a free loopback port, as a production web process runs (without
   the embedded job worker; --embedded-worker runs it too). On PostgreSQL the server
   reaches the database through a TCP relay the drill runs on loopback, so the outage is the
   relay being cut: the PostgreSQL server itself is never stopped.
3. Sends a round of requests (a public page, the login page, a signed-in page, the public API,
   the API with a token, /healthz, /readyz), takes the database away for --seconds (SQLite:
   the database file's place holds a folder; PostgreSQL: the relay refuses and drops every
   connection) while --clients clients (4) send rounds of the same requests, then gives the
   database back and measures how long until every request is answered 200 again.
4. Stops the server and counts what its log says.

What it prints: the answers during the outage per request (status counts, Retry-After, the
page's language or the API's error shape, slowest answer), the recovery time, and the log's
tracebacks and outage lines. It exits 1 when it finds a failure: any answer during the outage
other than 503 with Retry-After (a 500, an English page, an API answer not in the usual error
shape, the login page answering 200), /healthz not answering, /readyz not saying 503, a
traceback in the log, not exactly one line when the outage begins and one when it ends, or no
recovery within 30 s. Loopback only; about 30 s on SQLite.

    python drills/outage.py [--seconds 10]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python drills/outage.py
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Drill-outage-2026"  # noqa: S105 — a throwaway account of the drill's own database
PERSON, SYSTEM = "drill-outage", "drill-outage-api"
RECOVERY_LIMIT = 30.0  # seconds the server may take to answer normally once the database is back
REQUEST_TIMEOUT = 15.0
MAX_ROUNDS = 2000  # a bound on the load, whatever --seconds says
CJK = re.compile(r"[\u4e00-\u9fff]")

SETUP = f"""
from linli.accounts import services
from linli.accounts.models import User

if not User.objects.filter(username={PERSON!r}).exists():
    services.user_create(actor=None, username={PERSON!r}, password={PASSWORD!r},
                         display_name="停库演练", check_password=False)
system = User.objects.filter(username={SYSTEM!r}).first() or services.system_account_create(
    actor=None, username={SYSTEM!r}, display_name="停库演练接口")
_token, key = services.api_token_issue(actor=None, user=system, name="停库演练")
print("TOKEN=" + key)
"""


# --- the database and how it goes away -------------------------------------------------------


class SqliteDatabase:
    """The database file; away = it and its WAL files moved aside, a folder in its place (SQLite
    then fails with "unable to open database file", as with a lost disk or a wrong mount)."""

    def __init__(self, data_dir: Path):
        self.path = data_dir / "linli.sqlite3"
        self.aside = data_dir / "aside"
        self.describe = f"SQLite ({self.path})"
        self.how = "the database file's place holds a folder"

    def setup_env(self) -> dict:
        return {}

    def server_env(self) -> dict:
        return {}

    def prepare(self) -> None:
        pass

    def take_away(self) -> None:
        self.aside.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            part = Path(f"{self.path}{suffix}")
            if part.exists():
                part.rename(self.aside / part.name)
        self.path.mkdir()

    def give_back(self) -> None:
        self.path.rmdir()
        for part in self.aside.iterdir():
            part.rename(self.path.parent / part.name)

    def close(self) -> None:
        pass


def _shut(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)


class Relay:
    """A TCP relay on loopback to the real server. Cut, it refuses new connections and drops
    the ones it carries, as a database that went away does; restored, it relays again."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._pairs: set[socket.socket] = set()
        self._lock = threading.Lock()

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            _shut(listener)  # wakes the accepting thread (Linux)
            listener.close()
        with self._lock:
            pairs, self._pairs = self._pairs, set()
        for s in pairs:
            _shut(s)
            s.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            if self._listener is not listener:  # cut while this connection came in
                client.close()
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _shut(source)
            _shut(sink)


class PostgresDatabase:
    """A database of the drill's own on DATABASE_URL's server, made afresh each run (the
    database DATABASE_URL names is left alone), reached by the server through a Relay."""

    NAME = "linli_drill_outage"

    def __init__(self, url: str):
        self.parts = urllib.parse.urlsplit(url)._replace(path=f"/{self.NAME}")
        self.relay = Relay((self.parts.hostname or "127.0.0.1", self.parts.port or 5432))
        where = f"{self.parts.hostname}:{self.parts.port or 5432}"
        self.describe = f"PostgreSQL ({where}, database {self.NAME}, made afresh)"
        self.how = f"the relay on 127.0.0.1:{self.relay.port} refuses and drops connections"

    def setup_env(self) -> dict:
        return {"DATABASE_URL": urllib.parse.urlunsplit(self.parts)}

    def server_env(self) -> dict:
        user = self.parts.netloc.rsplit("@", 1)[0] + "@" if "@" in self.parts.netloc else ""
        relayed = self.parts._replace(netloc=f"{user}127.0.0.1:{self.relay.port}")
        return {"DATABASE_URL": urllib.parse.urlunsplit(relayed)}

    def prepare(self) -> None:
        import psycopg

        admin = urllib.parse.urlunsplit(self.parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.NAME}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.NAME}"')
        self.relay.open()

    def take_away(self) -> None:
        self.relay.cut()

    def give_back(self) -> None:
        self.relay.open()

    def close(self) -> None:
        self.relay.cut()


# --- the server and the requests -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def linli_env(data_dir: Path, extra: dict) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")]))
    env.update(LINLI_DATA_DIR=str(data_dir), LINLI_EMBEDDED_WORKER="0", LINLI_LOG_LEVEL="INFO")
    env.update(extra)
    return env


def linli(env: dict, *args: str) -> str:
    done = subprocess.run(  # noqa: S603 — our own command
        [sys.executable, "-m", "linli.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"linli {args[0]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass
class Answer:
    status: int  # 0: no answer (refused, timed out)
    seconds: float
    headers: dict = field(default_factory=dict)
    body: str = ""
    cookies: list = field(default_factory=list)


class Site:
    def __init__(self, port: int, token: str):
        self.port = port
        self.token = token
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, *, body: str = "", headers=None, signed_in: bool = True
    ) -> Answer:
        sent = {"Accept-Language": "zh-CN,zh;q=0.9", **(headers or {})}
        if self.cookies and signed_in:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        start = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request(method, path, body=body or None, headers=sent)
            response = conn.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            headers = {k.lower(): v for k, v in response.getheaders()}
            cookies = response.msg.get_all("Set-Cookie") or []
            return Answer(response.status, time.monotonic() - start, headers, text, cookies)
        except OSError:
            return Answer(0, time.monotonic() - start)
        finally:
            conn.close()

    def log_in(self) -> bool:
        """The login form as a browser sends it: its CSRF cookie and token, then the POST."""
        self.cookies = {}
        page = self.request("GET", "/accounts/login/")
        self._keep_cookies(page)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        if page.status != 200 or token is None:
            return False
        form = urllib.parse.urlencode(
            {"username": PERSON, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
        )
        answer = self.request(
            "POST",
            "/accounts/login/",
            body=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://127.0.0.1:{self.port}/accounts/login/",
            },
        )
        self._keep_cookies(answer)
        return answer.status == 302 and "sessionid" in self.cookies

    def _keep_cookies(self, answer: Answer) -> None:
        for cookie in answer.cookies:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()


@dataclass(frozen=True)
class Target:
    label: str
    kind: str  # "page", "api" or "check"
    path: str
    token: bool = False
    signed_in: bool = False


TARGETS = (
    Target("public page", "page", "/services/catalogue/"),
    Target("login page", "page", "/accounts/login/"),
    Target("signed-in page", "page", "/", signed_in=True),
    Target("public API", "api", "/api/catalogue"),
    Target("API with a token", "api", "/api/households", token=True),
    Target("liveness", "check", "/healthz"),
    Target("readiness", "check", "/readyz"),
)


def ask(site: Site, target: Target) -> Answer:
    headers = {"Authorization": f"Bearer {site.token}"} if target.token else {}
    return site.request("GET", target.path, headers=headers, signed_in=target.signed_in)


# --- what an answer during the outage should be ------------------------------------------------


def outage_verdict(target: Target, answer: Answer) -> str | None:
    """None if `answer` is what the outage should give for `target`, else what is wrong."""
    if target.path == "/healthz":
        return None if answer.status == 200 else f"liveness answered {answer.status}"
    if target.path == "/readyz":
        return None if answer.status == 503 else f"readiness answered {answer.status}"
    if answer.status != 503:
        return f"answered {answer.status or 'nothing'}"
    if "retry-after" not in answer.headers:
        return "503 without Retry-After"
    if target.kind == "api":
        try:
            body = json.loads(answer.body)
        except ValueError:
            return "API answer not JSON"
        if set(body) != {"detail", "errors"} or not CJK.search(body["detail"]):
            return "API answer not the usual error shape in Chinese"
        return None
    if '<html lang="zh-CN">' not in answer.body or "Server Error" in answer.body:
        return "page not the Chinese 503 page"
    return None


def language(target: Target, answer: Answer) -> str:
    if target.kind == "api":
        try:
            detail = json.loads(answer.body).get("detail", "")
        except (ValueError, AttributeError):
            return "not JSON"
        return "JSON, Chinese" if CJK.search(str(detail)) else "JSON, English"
    if target.kind == "check":
        return "JSON" if answer.body.startswith("{") else "other"
    if "Server Error" in answer.body:
        return "English 'Server Error'"
    return "Chinese page" if '<html lang="zh-CN">' in answer.body else "other"


# --- the drill -----------------------------------------------------------------------------------


def start_server(env: dict, port: int, log_path: Path) -> subprocess.Popen:
    log = log_path.open("w")
    server = subprocess.Popen(  # noqa: S603 — our own command
        [sys.executable, "-m", "linli.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"linli serve stopped:\n{log_path.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("linli serve did not start within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def during_outage(site: Site, seconds: float, clients: int) -> dict[Target, list[Answer]]:
    """`clients` threads, each sending rounds of TARGETS one request after another."""
    answers: dict[Target, list[Answer]] = {t: [] for t in TARGETS}
    end = time.monotonic() + seconds

    def client() -> None:
        for _round in range(MAX_ROUNDS // clients):
            if time.monotonic() >= end:
                return
            for target in TARGETS:
                answers[target].append(ask(site, target))  # list.append is atomic

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def recovery(site: Site, before: dict[Target, int]) -> tuple[float | None, dict[Target, int]]:
    """Seconds until a round is answered as before the outage (None if not within
    RECOVERY_LIMIT)."""
    start = time.monotonic()
    last: dict[Target, int] = {}
    while time.monotonic() - start < RECOVERY_LIMIT:
        last = {t: ask(site, t).status for t in TARGETS}
        if last == before:
            return time.monotonic() - start, last
        time.sleep(0.1)
    return None, last


def read_log(log_path: Path) -> dict:
    text = log_path.read_text(errors="replace")
    return {
        "tracebacks": text.count("Traceback (most recent call last)"),
        "outage warnings": len(re.findall(r"WARNING linli\.core\.outage", text)),
        "recovery lines": len(re.findall(r"INFO linli\.core\.outage", text)),
        "server errors": len(re.findall(r"ERROR django\.request", text)),
        "lines": text.count("\n"),
        "outage lines": re.findall(r".*linli\.core\.outage: .*", text),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="how long the outage lasts")
    parser.add_argument("--clients", type=int, default=4, help="clients sending at once")
    parser.add_argument(
        "--embedded-worker", action="store_true", help="run the job worker in the server too"
    )
    parser.add_argument("--keep", action="store_true", help="keep the data folder and log")
    options = parser.parse_args()

    failures: list[str] = []
    data_dir = Path(tempfile.mkdtemp(prefix="linli-outage-drill-"))
    url = os.environ.get("DATABASE_URL", "")
    database = PostgresDatabase(url) if url.startswith("postgres") else SqliteDatabase(data_dir)
    started = time.monotonic()
    print(f"Outage drill on {database.describe}")
    try:
        database.prepare()
        setup_env = linli_env(data_dir, database.setup_env())
        linli(setup_env, "migrate", "-v", "0")
        token = re.search(r"TOKEN=(\S+)", linli(setup_env, "shell", "-c", SETUP)).group(1)
        print(
            f"  set-up: migrated; a person and a system account with an API token "
            f"({time.monotonic() - started:.1f} s)"
        )

        port = free_port()
        log_path = data_dir / "serve.log"
        worker = "1" if options.embedded_worker else "0"
        server_env = linli_env(data_dir, {**database.server_env(), "LINLI_EMBEDDED_WORKER": worker})
        server = start_server(server_env, port, log_path)
        worker_text = "with" if options.embedded_worker else "without"
        print(f"  server: linli serve on 127.0.0.1:{port}, {worker_text} the embedded worker")
        try:
            site = Site(port, token)
            if not site.log_in():
                failures.append("could not log in before the outage")
            before = {t: ask(site, t).status for t in TARGETS}
            if any(status != 200 for status in before.values()):
                failures.append("not every request answered 200 before the outage")
            print("  before the outage: " + ", ".join(f"{t.path} {s}" for t, s in before.items()))

            database.take_away()
            print(f"  the database is away for {options.seconds:g} s: {database.how}")
            try:
                answers = during_outage(site, options.seconds, max(1, options.clients))
            finally:
                database.give_back()
            took, last = recovery(site, before)
        finally:
            stop_server(server)

        total = sum(len(a) for a in answers.values())
        print(f"  during the outage: {total} requests from {options.clients} clients at once")
        width = max(len(t.label) + len(t.path) for t in TARGETS) + 3
        for target, got in answers.items():
            statuses = Counter(a.status for a in got)
            retry = sum("retry-after" in a.headers for a in got if a.status == 503)
            langs = Counter(language(target, a) for a in got)
            slowest = max((a.seconds for a in got), default=0)
            wrong = Counter(v for a in got if (v := outage_verdict(target, a)))
            name = f"{target.label} {target.path}".ljust(width)
            status_text = " ".join(f"{s or 'none'}×{n}" for s, n in sorted(statuses.items()))
            shown = statuses[503] and target.kind != "check"
            retry_text = f"Retry-After {retry}/{statuses[503]}" if shown else ""
            print(
                f"    {name}{status_text:<14} {retry_text:<18} "
                f"{', '.join(langs):<22} slowest {slowest:.2f} s"
            )
            failures += [f"{target.label}: {what} ({n}×)" for what, n in wrong.items()]

        if took is None:
            failures.append(f"not answered as before within {RECOVERY_LIMIT:g} s: {last}")
            print(f"  after the database came back: not recovered within {RECOVERY_LIMIT:g} s")
        else:
            print(f"  after the database came back: answered as before within {took:.1f} s")

        log = read_log(log_path)
        print(
            f"  server log: {log['lines']} lines, {log['tracebacks']} tracebacks, "
            f"{log['server errors']} 'django.request' errors, "
            f"{log['outage warnings']} outage warning, {log['recovery lines']} recovery line"
        )
        for line in log["outage lines"]:
            print(f"    {line.strip()}")
        if log["tracebacks"]:
            failures.append(f"{log['tracebacks']} tracebacks in the server log")
        if log["server errors"]:
            failures.append(f"{log['server errors']} error lines from django.request")
        if (log["outage warnings"], log["recovery lines"]) != (1, 1):
            failures.append("not one line when the outage began and one when it ended")
    finally:
        database.close()
        if options.keep:
            print(f"  kept: {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)

    print(f"  took {time.monotonic() - started:.1f} s")
    if failures:
        print("FAILED:")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    print("OK: every request during the outage was answered 503 with Retry-After as it should")
    return 0


if __name__ == "__main__":
    sys.exit(main())
