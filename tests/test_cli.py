"""The `linli` command: friendly names, `audit verify` on intact and tampered chains,
`createadmin`, the command-line channel in the audit trail, and `linli demo` end to end."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import translation

from linli import cli
from linli.accounts.models import User
from linli.core import audit
from linli.core.models import Area, AuditRecord
from linli.demo import data

from . import factories as f

STRONG = "Strong-pass-2026"


def run(capsys, *args) -> tuple[int, str]:
    """Run `linli <args>` in this process; return (exit status, stdout + stderr).

    A command run from the command line closes the database connections when it ends; here
    that would close the test's transaction (PostgreSQL), so the closing is left out."""
    with translation.override("en"), mock.patch.object(connections, "close_all"):
        try:
            cli.main(list(args))
            status = 0
        except SystemExit as e:
            status = e.code if isinstance(e.code, int) else 1
    out = capsys.readouterr()
    return status, out.out + out.err


@pytest.fixture
def chain(db):
    """A few real audit records, written by ordinary services and chained, as the worker chains
    them moments later."""
    district = f.area("试验区", "district")
    street = f.area("试验街道", "street", district)
    f.area("试验社区", "community", street)
    audit.seal()
    return AuditRecord.objects.count()


def _tamper(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# What the source says of 峡山区 (see ../shared/seed): the demo must reproduce it exactly. The
# small build has the same places, organisations and posts; the full build's households and poor
# households (65,549 and 2,271) are checked in tests/demo/test_full_district.py.
SOURCE_FIGURES = {
    "communities": 26,
    "villages": 277,
    "service_halls": 26,
    "clinics": 22,
    "police_rooms": 24,
}
SOURCE_POSTS = {
    "first_secretary": 54,
    "civil_servant": 27,
    "graduate_village_official": 6,
    "agency_cadre": 142,
    "general_branch_member": 275,
}


def test_usage_lists_the_friendly_commands(capsys):
    status, out = run(capsys)
    assert status == 0
    for name in ("demo", "serve", "migrate", "createadmin", "audit verify", "check"):
        assert f"linli {name}" in out


def test_audit_verify_on_an_intact_chain(chain, capsys):
    assert chain >= 3
    status, out = run(capsys, "audit", "verify")
    assert status == 0
    assert f"OK, {chain} records" in out


def test_audit_verify_catches_an_edited_record(chain, capsys):
    _tamper("UPDATE core_auditrecord SET reason = %s WHERE seq = %s", ["nothing happened", 2])
    status, out = run(capsys, "audit", "verify")
    assert status == 1
    assert "BROKEN" in out
    assert "record 2: its content does not match its signature" in out
    assert "record 1:" not in out and "record 3:" not in out


def test_audit_verify_catches_a_deleted_record(chain, capsys):
    _tamper("DELETE FROM core_auditrecord WHERE seq = %s", [2])
    status, out = run(capsys, "audit", "verify")
    assert status == 1
    assert "records 2–2 are missing (deleted)." in out
    assert "record 3: the link to the record before it is broken." in out


def test_audit_verify_catches_a_deleted_tail(chain, capsys):
    _tamper("DELETE FROM core_auditrecord WHERE seq = %s", [chain])
    status, out = run(capsys, "audit", "verify")
    assert status == 1
    assert f"the chain ends at record {chain - 1} but the chain head counts {chain}" in out


def test_audit_verify_catches_a_cut_tail_with_a_rewritten_head(chain, capsys):
    """Deleting the last records and rewriting the chain head to match: the checkpoint the
    hourly job wrote outside the database still names the deleted records."""
    audit.checkpoint()
    last = AuditRecord.objects.get(seq=chain - 1)
    _tamper("DELETE FROM core_auditrecord WHERE seq = %s", [chain])
    _tamper("UPDATE core_auditchainhead SET last_seq = %s, last_hash = %s", [chain - 1, last.hash])
    status, out = run(capsys, "audit", "verify")
    assert status == 1
    assert f"records {chain}–{chain} were deleted" in out


def run_in_chinese(capsys, *args) -> tuple[int, str, str]:
    """Like `run`, in Chinese (Linli's default language); (status, stdout, stderr)."""
    capsys.readouterr()  # what came before (log lines of the set-up) is not the command's
    with translation.override("zh-hans"), mock.patch.object(connections, "close_all"):
        try:
            cli.main(list(args))
            status = 0
        except SystemExit as e:
            status = e.code if isinstance(e.code, int) else 1
    out = capsys.readouterr()
    return status, out.out, out.err


def test_audit_verify_reports_in_chinese_only(chain, capsys):
    audit.checkpoint()
    _tamper("UPDATE core_auditrecord SET reason = %s WHERE seq = %s", ["nothing happened", 2])
    _tamper("DELETE FROM core_auditrecord WHERE seq = %s", [chain])
    status, out, err = run_in_chinese(capsys, "audit", "verify")
    out += err
    assert status == 1
    assert "审计日志已被破坏" in out
    assert "第 2 条记录：内容与其签名不符" in out
    assert f"第 {chain} 至 {chain} 条记录已被删除" in out
    # Not one English word: no problem left untranslated, no "CommandError:" from Django.
    assert re.findall(r"[A-Za-z]{2,}", out) == []


def test_audit_verify_reports_an_intact_chain_in_chinese(chain, capsys):
    status, out, _log = run_in_chinese(capsys, "audit", "verify")
    assert status == 0
    first, second, third = out.splitlines()
    assert first == f"正常，共 {chain} 条记录"
    assert second == "尚无可供比对的检查点。"
    assert third.startswith("检查点已写入 ")
    assert re.findall(r"[A-Za-z]{2,}", first + second) == []


def test_audit_rotate_key_from_the_command_line(db, capsys, settings, tmp_path):
    settings.LINLI_AUDIT_KEY_DIR = tmp_path / "keys"  # before the first record is signed
    status, out = run(capsys, "audit", "rotate-key", "--prepare")
    assert status == 0 and "Audit key 1 made in" in out
    assert AuditRecord.objects.filter(action="audit_key").count() == 0
    status, out = run(capsys, "audit", "rotate-key")
    assert status == 0 and "Audit key 1 is in force from record 1 on" in out
    f.area("试验区", "district")
    status, out = run(capsys, "audit", "rotate-key")
    assert status == 0 and "Audit key 2 is in force from record 3 on" in out
    f.area("试验街道", "street", Area.objects.get(name="试验区"))
    rotations = AuditRecord.objects.filter(action="audit_key").order_by("seq")
    assert [(r.key_id, r.channel, r.changes) for r in rotations] == [
        (1, "cli", {"key": 1, "previous_key": 0}),
        (2, "cli", {"key": 2, "previous_key": 1}),
    ]
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["1.key", "2.key"]
    status, out = run(capsys, "audit", "verify")
    assert status == 0, out


def test_audit_verify_through_call_command_raises_with_status_1(chain):
    _tamper("UPDATE core_auditrecord SET object_repr = %s WHERE seq = %s", ["x", 1])
    with translation.override("en"), pytest.raises(CommandError) as caught:
        call_command("audit", "verify", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert caught.value.returncode == 1


def test_createadmin_with_flags_is_recorded_as_a_command_line_action(db, capsys):
    status, out = run(
        capsys,
        "createadmin",
        "--username",
        "boss",
        "--password",
        STRONG,
        "--new-district",
        "试验区",
        "--no-input",
    )
    assert status == 0, out
    user = User.objects.get(username="boss")
    grant = user.grants.get()
    assert (grant.role, grant.area.name, grant.area.parent_id) == ("administrator", "试验区", None)
    assert user.check_password(STRONG)
    created = AuditRecord.objects.get(action="create", object_type="accounts.user")
    assert created.channel == "cli"
    assert created.source == "linli createadmin"
    assert "@" in created.address  # the operating-system account and machine
    assert STRONG not in str(created.changes) and STRONG not in created.source


def test_createadmin_uses_the_only_root_area_and_separates_duties(db, capsys):
    district = f.area("试验区", "district")
    status, out = run(
        capsys,
        "createadmin",
        "--username",
        "eye",
        "--role",
        "auditor",
        "--password",
        STRONG,
        "--no-input",
    )
    assert status == 0, out
    grant = User.objects.get(username="eye").grants.get()
    assert (grant.role, grant.area) == ("auditor", district)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--username", "weak", "--password", "short"], "at least 8"),
        (["--password", STRONG], "User name is missing"),
        (["--username", "nopass"], "No password"),
    ],
)
def test_createadmin_refuses_bad_input_and_changes_nothing(db, capsys, args, message):
    f.area("试验区", "district")
    users = User.objects.count()
    status, out = run(capsys, "createadmin", *args, "--no-input")
    assert status == 1
    assert message in out
    assert User.objects.count() == users


def test_createadmin_refuses_a_taken_name(db, capsys):
    f.user_with("administrator", f.area("试验区", "district"), username="boss")
    status, out = run(
        capsys, "createadmin", "--username", "boss", "--password", STRONG, "--no-input"
    )
    assert status == 1 and "taken" in out


def test_createadmin_needs_a_choice_between_several_roots(db, capsys):
    f.area("一区", "district")
    f.area("二区", "district")
    status, out = run(
        capsys, "createadmin", "--username", "boss", "--password", STRONG, "--no-input"
    )
    assert status == 1 and "--area" in out and "一区" in out
    status, out = run(
        capsys,
        "createadmin",
        "--username",
        "boss",
        "--password",
        STRONG,
        "--area",
        "二区",
        "--no-input",
    )
    assert status == 0, out
    assert User.objects.get(username="boss").grants.get().area.name == "二区"


def test_other_commands_pass_through_to_django(db, capsys):
    status, out = run(capsys, "check")
    assert status == 0 and "no issues" in out
    status, out = run(capsys, "showmigrations", "core")
    assert status == 0 and "0001_initial" in out


def test_serve_refuses_an_impossible_port(db, capsys):
    status, out = run(capsys, "serve", "--port", "70000")
    assert status == 1 and "port" in out


@pytest.mark.slow
def test_linli_demo_end_to_end_from_an_empty_data_folder(db, tmp_path):
    """What `make demo` does before serving, on the small district (the full one is built in
    tests/demo/test_full_district.py): the real console command in a fresh data folder, twice
    (the second run reuses the district), then `linli audit verify` on the result."""
    linli = Path(sys.executable).with_name("linli")
    assert linli.exists(), "the linli console command is installed with the package"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # embedded SQLite
    env["LINLI_DATA_DIR"] = str(tmp_path / "var")
    env.pop("DJANGO_SETTINGS_MODULE", None)

    def linli_run(*args):
        return subprocess.run(
            [str(linli), *args], env=env, capture_output=True, text=True, timeout=180, check=False
        )

    first = linli_run("demo", "--small")
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "var" / "linli.sqlite3").exists()
    assert data.DEMO_PASSWORD in first.stdout and data.DEMO_URL in first.stdout
    for login in data.DEMO_LOGINS:
        assert login.username in first.stdout
    second = linli_run("demo")
    assert second.returncode == 0, second.stderr
    assert "峡山区" in first.stdout
    assert first.stdout != second.stdout  # the first built, the second reused
    verify = linli_run("audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    # The source's figures for 峡山区, counted from the records the demo built; the city at the
    # top holds 奎文区 beside it.
    figures = json.loads(linli_run("figures", "--json", "--area", "峡山区").stdout)
    assert figures["area"]["code"] == data.DISTRICT_CODE
    city = json.loads(linli_run("figures", "--json").stdout)
    kuiwen = json.loads(linli_run("figures", "--json", "--area", "奎文区").stdout)
    assert city["area"]["name"] == "潍坊市"
    assert city["households"] == figures["households"] + kuiwen["households"]
    assert {k: figures[k] for k in SOURCE_FIGURES} == SOURCE_FIGURES
    assert {k: figures["posts"][k] for k in SOURCE_POSTS} == SOURCE_POSTS
    low, high = data.SMALL_BUILD_HOUSEHOLDS  # a handful a village
    assert 277 * low <= figures["households"] <= 277 * high
    assert 0 < figures["poor_households"] < figures["households"]
    assert Area.objects.filter(name="峡山区").count() == 0  # the test database is untouched
