"""Register import and export as people use them: idempotent re-imports, export → import, changes
traced to their import, scope, the pages with their background job, and the commands."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from python_calamine import CalamineWorkbook

from linli.core.choices import AuditAction
from linli.core.jobs import run_pending_jobs
from linli.core.models import AuditRecord, TimelineEvent
from linli.registry import imports
from linli.registry import services as registry_services
from linli.registry.choices import ImportStatus
from linli.registry.importing import writer
from linli.registry.importing.columns import COLUMNS
from linli.registry.models import Household, RegistryImport, Resident

from .. import factories as f
from .import_helpers import run_import as run
from .import_helpers import write_workbook

HEADERS = [c.header for c in COLUMNS]


@pytest.fixture
def place(db):
    """峡山区 › 太保庄街道 › 文岭社区 › 王家庄村 (with a grid), and 营辉社区 › 营辉村 next door."""
    district = f.area("峡山区", "district", code="370772000000")
    street = f.area("太保庄街道", "street", district, code="370772001000")
    wenling = f.area("文岭社区", "community", street)
    village = f.area("王家庄村", "village", wenling, code="370772001201")
    grid = f.area("第一网格", "grid", village)
    yinghui = f.area("营辉社区", "community", street)
    other = f.area("营辉村", "village", yinghui, code="370772001205")
    registry_services.tag_save(actor=None, name="困难户", target="household", sensitive=True)
    registry_services.tag_save(actor=None, name="党员", target="resident")
    registry_services.tag_save(
        actor=None,
        name="残疾",
        target="resident",
        sensitive=True,
        detail_label="残疾等级",
        detail_choices=["一级", "二级", "三级", "四级"],
    )
    return type(
        "Place",
        (),
        {
            "district": district,
            "street": street,
            "wenling": wenling,
            "village": village,
            "grid": grid,
            "yinghui": yinghui,
            "other": other,
        },
    )


LIU = f.make_id_number(serial=401)
WANG = f.make_id_number(serial=402, male=False)
XIN = f.make_id_number(serial=403, male=False)
ZHANG = f.make_id_number(serial=404)


def liu_rows(code="370772001201", number="201001"):
    household = [code, "第一网格", number, "王家庄村1号", LIU, "困难户"]
    return [
        household + ["刘志辉", LIU, "户主", "13812345678", "", "残疾：二级；党员", ""],
        household + ["王秀英", WANG, "配偶", "", "", "", ""],
        household + ["刘欣怡", XIN, "子女", "", "", "", ""],
    ]


def zhang_rows(code="370772001201"):
    household = [code, "", "201002", "王家庄村2号", ZHANG, ""]
    return [household + ["张炳利", ZHANG, "户主", "13900001111", "", "", ""]]


def workbook(tmp_path: Path, rows, name="register.xlsx") -> Path:
    return write_workbook(tmp_path / name, rows)


def state():
    """Everything an import could change, as plain values."""
    households = sorted(
        Household.objects.values_list("number", "area_id", "address", "head__id_number", "version")
    )
    people = sorted(
        Resident.objects.values_list(
            "id_number", "household__number", "name", "mobile", "relation", "version"
        )
    )
    tags = sorted(
        (p.id_number, link.tag.name, link.detail)
        for p in Resident.objects.prefetch_related("tag_links__tag")
        for link in p.tag_links.all()
    )
    return households, people, tags


def test_a_first_import_registers_households_people_and_tags(place, tmp_path):
    result = run(workbook(tmp_path, liu_rows() + zhang_rows()))
    assert result.status == ImportStatus.DONE
    assert result.summary["households_created"] == 2
    assert result.summary["residents_created"] == 4
    liu = Resident.objects.get(id_number=LIU)
    assert liu.household.head == liu and liu.household.area == place.grid
    assert liu.name_initials == "lzh" and liu.birth_date.year == 1980
    assert {(t.tag.name, t.detail) for t in liu.tag_links.all()} == {("残疾", "二级"), ("党员", "")}
    assert [t.tag.name for t in liu.household.tag_links.all()] == ["困难户"]
    assert Household.objects.get(number="201002").area == place.village
    events = TimelineEvent.objects.filter(object_id=liu.household_id, verb="created")
    assert events.count() == 1
    created = AuditRecord.objects.get(action=AuditAction.IMPORT)
    assert created.changes["created"]["residents_created"] == 4
    assert created.changes["file_sha256"] == result.file_sha256
    assert len(result.file_sha256) == 64


def test_a_large_file_works_out_the_pinyin_in_a_second_process(place, tmp_path, monkeypatch):
    # Files from FORK_FROM_ROWS rows on have their names' pinyin worked out by a forked child
    # while the rows are checked; here the threshold is lowered to this small file.
    children = []

    class Recording(imports.Forked):
        def _start(self):
            super()._start()
            children.append(self.pid)

    monkeypatch.setattr(imports, "FORK_FROM_ROWS", 1)
    monkeypatch.setattr(imports, "Forked", Recording)
    writer.forget_pinyin()
    result = run(workbook(tmp_path, liu_rows() + zhang_rows()))
    assert result.status == ImportStatus.DONE
    if hasattr(os, "fork") and (os.cpu_count() or 1) > 1:
        assert len(children) == 1 and children[0] != os.getpid()
    names = dict(Resident.objects.values_list("name", "name_pinyin"))
    assert names["刘志辉"] == "liuzhihui" and names["王秀英"] == "wangxiuying"
    assert Resident.objects.get(id_number=LIU).name_initials == "lzh"


def test_importing_the_same_file_again_changes_nothing(place, tmp_path):
    path = workbook(tmp_path, liu_rows() + zhang_rows())
    run(path)
    before, audit_count = state(), AuditRecord.objects.count()
    timeline_count = TimelineEvent.objects.count()
    again = run(path)
    assert again.status == ImportStatus.DONE
    assert again.summary["households_unchanged"] == 2
    assert again.summary["residents_unchanged"] == 4
    assert not any(v for k, v in again.summary.items() if not k.endswith("unchanged"))
    assert state() == before
    assert AuditRecord.objects.count() == audit_count  # no new audit records at all
    assert TimelineEvent.objects.count() == timeline_count


def test_a_changed_row_updates_the_person_with_the_import_as_source(place, tmp_path):
    run(workbook(tmp_path, liu_rows()))
    rows = liu_rows()
    rows[1][9] = "13700002222"  # 王秀英 gets a phone
    rows[0][3] = rows[1][3] = rows[2][3] = "王家庄村18号"  # the household moved house
    changed = run(workbook(tmp_path, rows, "changed.xlsx"))
    assert changed.summary["residents_updated"] == 1
    assert changed.summary["households_updated"] == 1
    assert changed.summary["residents_unchanged"] == 2
    wang = Resident.objects.get(id_number=WANG)
    assert wang.mobile == "13700002222" and wang.version == 2
    record = AuditRecord.objects.filter(object_type="registry.resident", object_id=str(wang.pk))
    latest = record.latest("pk")
    assert latest.action == AuditAction.UPDATE
    assert f"#{changed.pk}" in latest.source and "changed.xlsx" in latest.source
    assert latest.changes["after"]["mobile"]["masked"] == "137****2222"  # never the number
    household = Household.objects.get(number="201001")
    assert household.address == "王家庄村18号"


def test_export_then_import_changes_nothing(place, tmp_path):
    run(workbook(tmp_path, liu_rows() + zhang_rows()))
    exported = tmp_path / "export.xlsx"
    imports.registry_export(
        actor=None, area=place.district, target=exported, reveal=True, reason="年度核查"
    )
    rows = CalamineWorkbook.from_path(str(exported)).get_sheet_by_index(0).to_python()
    assert rows[0] == HEADERS and len(rows) == 5
    before, audit_count = state(), AuditRecord.objects.count()
    result = run(exported)
    assert result.status == ImportStatus.DONE, result.errors
    assert result.summary["residents_unchanged"] == 4
    assert state() == before
    # The export itself is recorded; the import of it adds nothing.
    assert AuditRecord.objects.count() == audit_count


def test_an_export_is_masked_for_a_user_who_may_not_reveal(place, tmp_path):
    run(workbook(tmp_path, liu_rows()))
    leader = f.user_with("district_leader", place.district)
    out = io.BytesIO()
    imports.registry_export(actor=leader, area=place.district, target=out)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(out.getvalue())).get_sheet_by_index(0)
    data = rows.to_python()[1:]
    ids = [row[7] for row in data]
    assert LIU not in ids and all("*" in i for i in ids)
    assert "困难户" not in {row[5] for row in data}  # a sensitive tag stays out
    assert "残疾：二级；党员" not in {row[11] for row in data} and "党员" in {
        row[11] for row in data
    }
    record = AuditRecord.objects.filter(actor=leader).latest("pk")
    assert record.action == AuditAction.EXPORT and record.changes["masked"] is True


def test_an_unmasked_export_is_asked_for_and_logged_as_a_reveal(place, tmp_path):
    run(workbook(tmp_path, liu_rows()))
    worker = f.user_with("community_worker", place.wenling)
    out = io.BytesIO()
    imports.registry_export(actor=worker, area=place.wenling, target=out)
    record = AuditRecord.objects.filter(actor=worker).latest("pk")
    assert record.action == AuditAction.EXPORT and record.changes["masked"] is True
    imports.registry_export(
        actor=worker, area=place.wenling, target=out, reveal=True, reason="年度核查"
    )
    record = AuditRecord.objects.filter(actor=worker).latest("pk")
    assert record.action == AuditAction.REVEAL and record.reason == "年度核查"
    assert record.changes["rows"] == 3 and record.changes["masked"] is False


def test_a_community_worker_cannot_import_into_another_community(place, tmp_path):
    worker = f.user_with("community_worker", place.wenling)
    result = run(workbook(tmp_path, zhang_rows(code="370772001205")), actor=worker)
    assert result.status == ImportStatus.REJECTED
    error = result.errors[0]
    assert error[0] == 2 and error[1] == "village_code"
    assert not Household.objects.exists()


def test_a_community_worker_cannot_export_another_community(place, tmp_path, client):
    run(workbook(tmp_path, liu_rows()))
    worker = f.user_with("community_worker", place.yinghui)
    with pytest.raises(imports.PermissionDenied):
        imports.registry_export(actor=worker, area=place.wenling, target=io.BytesIO())
    client.force_login(worker)
    response = client.get(reverse("registry:export"), {"area": place.wenling.pk})
    assert response.status_code == 404
    own = client.get(reverse("registry:export"), {"area": place.yinghui.pk})
    assert own.status_code == 200
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(own.content)).get_sheet_by_index(0)
    assert sheet.to_python() == [HEADERS]  # nothing of 文岭社区 in it


def test_the_upload_page_runs_the_import_as_a_background_job(
    place, tmp_path, client, django_capture_on_commit_callbacks
):
    worker = f.user_with("community_worker", place.wenling)
    client.force_login(worker)
    assert client.get(reverse("registry:import")).status_code == 200
    path = workbook(tmp_path, liu_rows())
    with django_capture_on_commit_callbacks(execute=True), path.open("rb") as upload:
        response = client.post(reverse("registry:import"), {"file": upload})
    assert response.status_code == 302
    registry_import = RegistryImport.objects.get(created_by=worker)
    assert response.url == reverse("registry:import_detail", args=[registry_import.pk])
    assert registry_import.status == ImportStatus.QUEUED
    waiting = client.get(response.url)
    assert 'hx-trigger="every 1s"' in waiting.content.decode()  # the page keeps polling
    assert run_pending_jobs() == 1
    registry_import.refresh_from_db()
    assert registry_import.status == ImportStatus.DONE
    assert registry_import.rows_done == 3
    page = client.get(response.url, HTTP_HX_REQUEST="true").content.decode()
    assert "every 1s" not in page and 'data-status="done"' in page
    assert Resident.objects.filter(name="刘志辉").exists()
    assert run_pending_jobs() == 0  # run once only


def test_an_import_with_errors_shows_them_and_offers_the_error_workbook(place, tmp_path, client):
    worker = f.user_with("community_worker", place.wenling)
    client.force_login(worker)
    rows = liu_rows()
    rows[2][7] = XIN[:-1] + ("0" if XIN[-1] != "0" else "1")  # a wrong check digit
    result = run(workbook(tmp_path, rows), actor=worker)
    page = client.get(reverse("registry:import_detail", args=[result.pk]))
    html = page.content.decode()
    assert 'id="import-errors"' in html and "身份证号" in html
    report = client.get(reverse("registry:import_errors", args=[result.pk]))
    assert report.status_code == 200
    data = CalamineWorkbook.from_filelike(
        io.BytesIO(b"".join(report.streaming_content))
    ).get_sheet_by_index(0)
    table = data.to_python()
    assert table[0][len(COLUMNS)] == "错误说明"
    assert table[3][len(COLUMNS)].startswith("【身份证号】")
    assert table[1][len(COLUMNS)] == ""


def test_someone_elses_import_is_not_found(place, tmp_path, client):
    owner = f.user_with("community_worker", place.wenling)
    result = run(workbook(tmp_path, liu_rows()), actor=owner)
    other = f.user_with("community_worker", place.wenling)
    client.force_login(other)
    assert client.get(reverse("registry:import_detail", args=[result.pk])).status_code == 404
    assert client.get(reverse("registry:import_errors", args=[result.pk])).status_code == 404


def test_a_resident_or_leader_cannot_open_the_import_page(place, client):
    leader = f.user_with("district_leader", place.district)
    client.force_login(leader)
    assert client.get(reverse("registry:import")).status_code == 403


def test_a_bad_upload_is_refused_with_a_message(place, client):
    worker = f.user_with("community_worker", place.wenling)
    client.force_login(worker)
    upload = io.BytesIO(b"name,id\n")
    upload.name = "register.csv"
    response = client.post(reverse("registry:import"), {"file": upload})
    assert response.status_code == 400
    assert "Excel" in response.content.decode()
    assert not RegistryImport.objects.exists()


def test_the_template_downloads_with_every_column_and_a_notes_sheet(place, client):
    worker = f.user_with("community_worker", place.wenling)
    client.force_login(worker)
    response = client.get(reverse("registry:import_template"))
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert book.sheet_names == ["户籍登记", "填写说明"]
    assert book.get_sheet_by_index(0).to_python() == [HEADERS]
    notes = [row[0] for row in book.get_sheet_by_index(1).to_python()]
    assert "村(小区)编码" in notes and "残疾" in notes  # columns and the tags in use


def test_the_commands(place, tmp_path, capsys):
    template = tmp_path / "template.xlsx"
    call_command("registry", "template", str(template))
    assert CalamineWorkbook.from_path(str(template)).get_sheet_by_index(0).to_python() == [HEADERS]
    path = workbook(tmp_path, liu_rows())
    call_command("import_registry", str(path), "--dry-run")
    assert not Household.objects.exists()  # a trial run changes nothing
    assert RegistryImport.objects.get().status == ImportStatus.CHECKED
    call_command("import_registry", str(path))
    assert Household.objects.count() == 1
    out = tmp_path / "out.xlsx"
    call_command("export_registry", "--area", "370772001201", str(out))
    assert len(CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()) == 4
    bad = liu_rows()
    bad[0][9] = "12345"
    report = tmp_path / "errors.xlsx"
    with pytest.raises(CommandError):
        call_command(
            "import_registry",
            str(workbook(tmp_path, bad, "bad.xlsx")),
            "--error-report",
            str(report),
        )
    assert report.exists()
    printed = capsys.readouterr()
    assert "rows/s" in printed.err  # the progress bar
    with pytest.raises(CommandError):
        call_command("export_registry", "--area", "999999999999", str(out))
