"""Every row is checked, every error is reported with its row, column, value and a reason in
Chinese, and by default a file with any error changes nothing at all. Each workbook is built
here with openpyxl and handed in through the same services the upload page uses."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from python_calamine import CalamineWorkbook

from linli.core.models import TimelineEvent
from linli.registry import imports
from linli.registry import services as registry_services
from linli.registry.choices import ImportStatus, Relation
from linli.registry.importing.columns import COLUMNS, ERROR_HEADER
from linli.registry.models import Household, RegistryImport, Resident

from .. import factories as f
from .import_helpers import (
    CJK,
    FAR_CODE,
    GRID_NAME,
    HEADERS,
    KEYS,
    errors_of,
    family,
    household,
    in_chinese,
    new_id,
    place_fixture,  # noqa: F401 - the `place` fixture
    register_state,
    rendered_failure,
    run_import,
    table_counts,
    write_workbook,
    wrong_check_digit,
)

TITLE = ["峡山区太保庄街道户籍登记表（2026年）"]
FIRST_BAD_ROW = 6  # 1 title, 2 headers, 3–4 a good household, 5 blank, then the bad household
TODAY = timezone.localdate()


def _one(person: dict | None = None, **cells) -> list:
    """A one-person household 209001 whose head is `person` (default: a valid head)."""
    head = {"name": "赵建国", "id_number": new_id(), "relation": "户主", **(person or {})}
    return household("209001", [head], **cells)


def _two(second: dict, **cells) -> list:
    """Household 209001: a valid head, then `second` (a valid spouse unless told)."""
    head = {"name": "赵建国", "id_number": new_id(), "relation": "户主"}
    spouse = {"name": "钱秀兰", "id_number": new_id(male=False), "relation": "配偶", **second}
    return household("209001", [head, spouse], **cells)


def _case_required(place):
    return _two({"name": None}), 1, "name", "", "必须填写"


def _case_check_digit(place):
    bad = wrong_check_digit(new_id(male=False))
    return _two({"id_number": bad}), 1, "id_number", bad, "校验"


def _case_id_shape(place):
    return _two({"id_number": "37078119820304"}), 1, "id_number", "37078119820304", "18 位"


def _case_id_birth_in_future(place):
    future = new_id(TODAY + dt.timedelta(days=400), male=False)
    return _two({"id_number": future}), 1, "id_number", future, "晚于今天"


def _case_birth_date_in_future(place):
    # Reported as a date in the future, not also as a date that disagrees with the ID number.
    later = TODAY + dt.timedelta(days=30)
    return (
        _two({"birth_date": later.isoformat()}),
        1,
        "birth_date",
        later.isoformat(),
        "晚于今天",
    )


def _case_birth_date_disagrees(place):
    return _two({"birth_date": "1979-01-01"}), 1, "birth_date", "1979-01-01", "不符"


def _case_not_a_date(place):
    return _two({"birth_date": "八二年三月"}), 1, "birth_date", "八二年三月", "不是日期"


def _case_mobile(place):
    return _two({"mobile": "1381234567"}), 1, "mobile", "1381234567", "手机号"


def _case_mobile_landline(place):
    return _two({"mobile": "0536-7654321"}), 1, "mobile", "0536-7654321", "手机号"


def _case_relation(place):
    return _two({"relation": "朋友"}), 1, "relation", "朋友", "与户主关系"


def _case_unknown_village_code(place):
    return _one(code="370772999999"), 0, "village_code", "370772999999", "编码"


def _case_unknown_grid(place):
    return _one(grid="第九网格"), 0, "grid", "第九网格", "网格"


def _case_unknown_resident_tag(place):
    return _two({"resident_tags": "独居老人"}), 1, "resident_tags", "独居老人", "未知标签"


def _case_tag_detail(place):
    return _two({"resident_tags": "残疾：五级"}), 1, "resident_tags", "残疾：五级", "残疾"


def _case_unknown_household_tag(place):
    # The household's columns repeat on each of its rows: reported once, on its first row.
    rows = _two({}, household_tags="困难户；特困户")
    return rows, 0, "household_tags", "困难户；特困户", "特困户"


def _case_move_flag(place):
    return _two({"move": "也许"}), 1, "move", "也许", "是"


def _case_same_id_twice(place):
    rows = _two({})
    rows.append(list(rows[1]))  # the spouse's row again, pasted twice
    spouse = rows[1][KEYS.index("id_number")]
    return rows, 2, "id_number", spouse, f"第 {FIRST_BAD_ROW + 1} 行"


def _case_no_head(place):
    rows = _two({})
    rows[0][KEYS.index("relation")] = "子女"  # then the household has no 户主 row
    return rows, 0, "relation", "子女", "没有户主"


def _case_two_heads(place):
    rows = _two({"relation": "户主"})
    return rows, 1, "relation", "户主", "两个户主"


def _case_head_id_disagrees(place):
    rows = _two({})
    spouse = rows[1][KEYS.index("id_number")]
    for cells in rows:
        cells[KEYS.index("head_id_number")] = spouse
    return rows, 0, "head_id_number", spouse, "户主身份证号"


def _case_rows_disagree(place):
    rows = _two({})
    rows[1][KEYS.index("address")] = "王家庄村99号"
    return rows, 1, "address", "王家庄村99号", "不一致"


def _case_registered_elsewhere(place):
    # A person already registered in another household, and the file does not say 迁户.
    person = place.world.households[1].head
    rows = _two({"name": person.name, "id_number": person.id_number})
    return rows, 1, "id_number", person.id_number, "迁户"


CASES = {
    "required cell": _case_required,
    "ID check digit": _case_check_digit,
    "ID length": _case_id_shape,
    "ID birth date in the future": _case_id_birth_in_future,
    "birth date in the future": _case_birth_date_in_future,
    "birth date against the ID": _case_birth_date_disagrees,
    "not a date": _case_not_a_date,
    "mobile number": _case_mobile,
    "landline for a mobile": _case_mobile_landline,
    "unknown relation": _case_relation,
    "unknown area code": _case_unknown_village_code,
    "unknown grid": _case_unknown_grid,
    "unknown tag": _case_unknown_resident_tag,
    "tag detail": _case_tag_detail,
    "unknown household tag": _case_unknown_household_tag,
    "迁户 neither 是 nor empty": _case_move_flag,
    "same ID twice in the file": _case_same_id_twice,
    "household with no head": _case_no_head,
    "household with two heads": _case_two_heads,
    "head's ID is not the head row's": _case_head_id_disagrees,
    "household's rows disagree": _case_rows_disagree,
    "registered in another household": _case_registered_elsewhere,
}


def _messy_file(tmp_path, bad_rows, name="register.xlsx"):
    good, _ids = family("208001", 2, grid=GRID_NAME)
    return write_workbook(tmp_path / name, [*good, [], *bad_rows], above=(TITLE,))


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_each_error_is_reported_at_its_row_and_column_and_nothing_changes(place, tmp_path, case):
    rows, offset, column, value, word = case(place)
    path = _messy_file(tmp_path, rows)
    counts, state = table_counts(), register_state()

    result = run_import(path)

    assert result.status == ImportStatus.REJECTED
    errors = errors_of(result)
    assert [(e.row, e.column) for e in errors] == [(FIRST_BAD_ROW + offset, column)], [
        (e.row, e.column, in_chinese(e)) for e in errors
    ]
    [error] = errors
    assert error.value == value  # the cell as written
    assert error.header == next(c.header for c in COLUMNS if c.key == column)
    reason = in_chinese(error)
    assert CJK.search(reason) and word in reason, reason
    assert reason != imports.render_error(error)  # not the English msgid left as it was
    assert result.error_count == 1
    # All or nothing: the good household in the same file is not written either.
    assert table_counts() == counts
    assert register_state() == state
    assert not Household.objects.filter(number__in=["208001", "209001"]).exists()


def test_a_heads_wrong_id_number_is_reported_in_both_its_columns(place, tmp_path):
    # The head's number sits in 户主身份证号 and in the head row's 身份证号: the same cell text,
    # cleaned once, and still a reason under each column, on every row that repeats it.
    bad = wrong_check_digit(new_id())
    head = {"name": "赵建国", "id_number": bad, "relation": "户主"}
    spouse = {"name": "钱秀兰", "id_number": new_id(male=False), "relation": "配偶"}
    path = _messy_file(tmp_path, household("209001", [head, spouse]))
    counts = table_counts()

    result = run_import(path)

    assert result.status == ImportStatus.REJECTED
    errors = errors_of(result)
    assert [(e.row, e.column, e.value) for e in errors] == [
        (FIRST_BAD_ROW, "head_id_number", bad),
        (FIRST_BAD_ROW, "id_number", bad),
        (FIRST_BAD_ROW + 1, "head_id_number", bad),
    ]
    assert all("校验" in in_chinese(e) for e in errors), [in_chinese(e) for e in errors]
    assert table_counts() == counts


def test_every_error_of_a_file_is_reported_not_only_the_first(place, tmp_path):
    rows, expected = [], []
    for index, case in enumerate(CASES.values()):
        case_rows, offset, column, _value, word = case(place)
        for cells in case_rows:
            cells[KEYS.index("number")] = f"2100{index:02d}"
        expected.append((len(rows) + 2 + offset, column, word))
        rows += case_rows
    counts = table_counts()

    result = run_import(write_workbook(tmp_path / "all.xlsx", rows))

    assert result.status == ImportStatus.REJECTED
    errors = errors_of(result)
    assert result.error_count == len(errors) == len(CASES)
    # In the file's order, each at its row and column, each in Chinese with its own reason.
    assert [(e.row, e.column) for e in errors] == [(r, c) for r, c, _w in expected]
    for error, (_row, _column, word) in zip(errors, expected, strict=True):
        if word.startswith("第 "):  # the row the ID number was first seen on has moved
            word = f"第 {error.row - 1} 行"
        assert word in in_chinese(error), (error, in_chinese(error))
    assert table_counts() == counts


# --- moves ----------------------------------------------------------------------------------------


def _registered_pair(place):
    """Household 207001 in our village: a head and a son, the son about to move out."""
    old = f.household(place.village, "207001", head_name="孙大伟", head_id=new_id())
    son = registry_services.resident_create(
        actor=None,
        household=old,
        name="孙小伟",
        id_number=new_id(dt.date(2000, 6, 1)),
        relation="child",
    )
    return old, son


def test_a_move_is_allowed_when_the_file_says_so(place, tmp_path):
    old, son = _registered_pair(place)
    wife = new_id(dt.date(2001, 2, 3), male=False)
    rows = household(
        "207002",
        [
            {"name": "孙小伟", "id_number": son.id_number, "relation": "户主", "move": "是"},
            {"name": "周丽", "id_number": wife, "relation": "配偶"},
        ],
    )

    result = run_import(write_workbook(tmp_path / "move.xlsx", rows))

    assert result.status == ImportStatus.DONE, [in_chinese(e) for e in errors_of(result)]
    assert result.summary["residents_moved"] == 1
    son.refresh_from_db()
    new = Household.objects.get(number="207002")
    assert son.household == new and new.head == son and son.relation == Relation.HEAD
    assert set(new.members.values_list("id_number", flat=True)) == {son.id_number, wife}
    old.refresh_from_db()
    assert list(old.members.values_list("name", flat=True)) == ["孙大伟"]
    moves = TimelineEvent.objects.filter(object_id=old.pk, verb="moved")
    assert [(m.params["name"], m.params["from"], m.params["to"]) for m in moves] == [
        ("孙小伟", "207001", "207002")
    ]
    assert TimelineEvent.objects.filter(object_id=new.pk, verb="moved").count() == 1


def test_importing_the_move_again_changes_nothing_and_counts_everyone(place, tmp_path):
    _old, son = _registered_pair(place)
    rows = household(
        "207002", [{"name": "孙小伟", "id_number": son.id_number, "relation": "户主", "move": "是"}]
    )
    path = write_workbook(tmp_path / "move.xlsx", rows)
    assert run_import(path).summary["residents_moved"] == 1
    counts, state = table_counts(), register_state()

    again = run_import(path)

    assert again.status == ImportStatus.DONE
    assert again.summary["residents_moved"] == 0
    assert again.summary["residents_unchanged"] == 1  # 迁户 still says 是; nobody moved
    assert again.summary["households_unchanged"] == 1
    assert table_counts() == counts and register_state() == state


@pytest.mark.parametrize("newcomer_heads", [False, True], ids=["newborn", "new head"])
def test_a_registered_household_gains_a_new_member(place, tmp_path, newcomer_heads):
    old, son = _registered_pair(place)
    newcomer = new_id(dt.date(2025, 12, 1), male=False)
    people = [
        {
            "name": "孙大伟",
            "id_number": old.head.id_number,
            "relation": "户主",
            "mobile": "13812345678",
        },
        {"name": "孙小伟", "id_number": son.id_number, "relation": "子女"},
        {"name": "孙小花", "id_number": newcomer, "relation": "孙子女"},
    ]
    if newcomer_heads:
        people[0]["relation"], people[2]["relation"] = "父母", "户主"
    rows = household("207001", people, address=old.address)

    result = run_import(write_workbook(tmp_path / "newborn.xlsx", rows))

    assert result.status == ImportStatus.DONE, result.failure
    assert result.summary["residents_created"] == 1
    assert result.summary["households_created"] == 0
    old.refresh_from_db()
    baby = Resident.objects.get(id_number=newcomer)
    assert baby.household == old and baby.name == "孙小花"
    assert old.members.count() == 3
    assert old.head == (baby if newcomer_heads else Resident.objects.get(name="孙大伟"))


def test_without_the_move_column_the_same_file_is_refused(place, tmp_path):
    old, son = _registered_pair(place)
    rows = household("207002", [{"name": "孙小伟", "id_number": son.id_number, "relation": "户主"}])
    counts = table_counts()

    result = run_import(write_workbook(tmp_path / "move.xlsx", rows))

    assert result.status == ImportStatus.REJECTED
    [error] = errors_of(result)
    assert (error.row, error.column, error.value) == (2, "id_number", son.id_number)
    reason = in_chinese(error)
    assert "207001" in reason and "迁户" in reason and "是" in reason
    assert table_counts() == counts
    son.refresh_from_db()
    assert son.household == old


# --- import the valid households only -------------------------------------------------------


def test_valid_only_imports_exactly_the_good_households(place, tmp_path):
    good = [family(f"20600{n}", size) for n, size in ((1, 3), (2, 1), (3, 2))]
    bad_ids = [new_id(), new_id(male=False), new_id()]
    broken_one = household(
        "206004",
        [
            {"name": "吴一", "id_number": bad_ids[0], "relation": "户主"},
            {"name": "吴二", "id_number": bad_ids[1], "relation": "配偶", "mobile": "12345"},
        ],
    )
    broken_two = household(
        "206005",
        [{"name": "郑三", "id_number": bad_ids[2], "relation": "户主"}],
        code="370772999999",
    )
    rows = good[0][0] + broken_one + good[1][0] + broken_two + good[2][0]
    path = write_workbook(tmp_path / "mixed.xlsx", rows)

    result = run_import(path, valid_only=True)

    assert result.status == ImportStatus.DONE
    assert result.households_total == 5 and result.households_skipped == 2
    assert result.summary["households_created"] == 3
    assert result.summary["residents_created"] == 6
    assert [(e.row, e.column) for e in errors_of(result)] == [(6, "mobile"), (8, "village_code")]
    ours = Household.objects.filter(number__startswith="2060")
    assert sorted(ours.values_list("number", flat=True)) == ["206001", "206002", "206003"]
    for (_rows, ids), number in zip(good, ("206001", "206002", "206003"), strict=True):
        members = Household.objects.get(number=number).members
        assert sorted(members.values_list("id_number", flat=True)) == sorted(ids)
        assert Household.objects.get(number=number).head.id_number == ids[0]
    assert not Resident.objects.filter(id_number__in=bad_ids).exists()


def test_by_default_the_same_mixed_file_changes_nothing(place, tmp_path):
    rows, _ids = family("206001", 2)
    rows += household(
        "206004", [{"name": "吴一", "id_number": new_id(), "relation": "户主", "mobile": "12345"}]
    )
    counts = table_counts()
    result = run_import(write_workbook(tmp_path / "mixed.xlsx", rows))
    assert result.status == ImportStatus.REJECTED
    assert result.households_skipped == 1 and not result.summary
    assert table_counts() == counts


# --- the error workbook ------------------------------------------------------------------------


def test_the_error_workbook_has_the_rows_and_a_reason_on_each_wrong_one(place, tmp_path):
    bad = wrong_check_digit(new_id(male=False))
    rows = _two({"id_number": bad, "mobile": "1381234567"})
    rows[0][KEYS.index("name")] = "赵 建\n国"
    result = run_import(_messy_file(tmp_path, rows))
    assert result.status == ImportStatus.REJECTED

    out = io.BytesIO()
    with translation.override("zh-hans"):
        imports.import_error_report(registry_import=result, target=out)

    table = CalamineWorkbook.from_filelike(io.BytesIO(out.getvalue())).get_sheet_by_index(0)
    table = table.to_python()
    header = table[0]
    assert header[: len(HEADERS)] == HEADERS
    assert header[len(HEADERS)] == ERROR_HEADER == "错误说明"
    data = table[1:]
    # The four data rows of the file (the title and the blank line are left out), each with
    # its row in the file in the last column.
    assert [int(r[len(HEADERS) + 1]) for r in data] == [3, 4, 6, 7]
    assert [r[KEYS.index("number")] for r in data] == ["208001", "208001", "209001", "209001"]
    assert data[2][KEYS.index("name")] == "赵 建 国"  # as read, tidied but not corrected
    reasons = {int(r[len(HEADERS) + 1]): r[len(HEADERS)] for r in data}
    assert reasons[3] == reasons[4] == reasons[6] == ""
    parts = reasons[7].split("；")
    assert len(parts) == 2, parts
    assert parts[0].startswith("【身份证号】") and "校验" in parts[0]
    assert parts[1].startswith("【联系电话】") and "手机号" in parts[1]
    assert bad == data[3][KEYS.index("id_number")]


def test_the_error_workbook_also_reads_in_english(place, tmp_path):
    result = run_import(_messy_file(tmp_path, _two({"mobile": "1381234567"})))
    out = io.BytesIO()
    imports.import_error_report(registry_import=result, target=out)
    table = CalamineWorkbook.from_filelike(io.BytesIO(out.getvalue())).get_sheet_by_index(0)
    wrong = [r for r in table.to_python()[1:] if r[len(HEADERS)]]
    assert len(wrong) == 1 and "11 digits" in wrong[0][len(HEADERS)]


# --- files that are not a register --------------------------------------------------------------


def test_a_file_without_the_required_headers_fails_with_a_clear_message(place, tmp_path):
    rows, _ids = family("208001", 2)
    keep = [i for i, key in enumerate(KEYS) if key not in ("id_number", "relation")]
    path = write_workbook(
        tmp_path / "short.xlsx",
        [[cells[i] for i in keep] for cells in rows],
        headers=[HEADERS[i] for i in keep],
    )
    counts = table_counts()

    result = run_import(path)

    assert result.status == ImportStatus.FAILED
    message = rendered_failure(result)
    assert "身份证号" in message and "与户主关系" in message and "缺少" in message, message
    assert "户籍登记" in message  # the sheet it looked at
    assert table_counts() == counts


def _workbook_without_register(path):
    book = openpyxl.Workbook()
    book.active.append(["姓名", "年龄"])
    book.active.append(["张三", 40])
    book.save(path)


def _docx_like(path):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")


NOT_A_REGISTER = {
    "text named .xlsx": ("register.xlsx", lambda p: p.write_text("姓名,身份证号\n张三,1\n")),
    "web page named .xls": (
        "register.xls",
        lambda p: p.write_text("<html><table><tr><td>姓名</td></tr></table></html>"),
    ),
    "zip that is not a workbook": ("register.xlsx", _docx_like),
    "random bytes named .ods": ("register.ods", lambda p: p.write_bytes(bytes(range(256)) * 8)),
    "workbook of something else": ("people.xlsx", _workbook_without_register),
}


@pytest.mark.parametrize("case", NOT_A_REGISTER.values(), ids=NOT_A_REGISTER.keys())
def test_a_file_that_is_not_a_register_fails_and_does_not_crash(place, tmp_path, case):
    name, make = case
    path = tmp_path / name
    make(path)
    counts = table_counts()

    result = run_import(path)  # no exception

    assert result.status == ImportStatus.FAILED
    assert result.failure["message"] and result.finished_at is not None
    message = rendered_failure(result)
    assert CJK.search(message) and ("Excel" in message or "表头" in message), message
    assert table_counts() == counts


def test_a_file_that_is_not_excel_by_its_name_is_refused_at_once(place, tmp_path):
    path = tmp_path / "register.csv"
    path.write_text("姓名,身份证号\n")
    with pytest.raises(ValidationError) as caught, path.open("rb") as source:
        imports.import_start(actor=None, source=source, file_name=path.name, queue=False)
    assert "file" in caught.value.message_dict
    assert not RegistryImport.objects.exists()


# --- scope --------------------------------------------------------------------------------------


def test_a_community_worker_cannot_import_into_a_village_outside_their_community(place, tmp_path):
    worker = f.user_with("community_worker", place.world.communities[0])
    own, _own_ids = family("205001", 2, grid=GRID_NAME)
    far, _far_ids = family("205002", 2, code=FAR_CODE)
    path = write_workbook(tmp_path / "far.xlsx", own + far)
    counts, state = table_counts(), register_state()

    result = run_import(path, actor=worker)

    assert result.status == ImportStatus.REJECTED
    assert result.created_by == worker
    [error] = errors_of(result)
    assert (error.row, error.column, error.value) == (4, "village_code", FAR_CODE)
    assert error.header == "村(小区)编码"
    reason = in_chinese(error)
    assert reason == f"{place.far.name}不在您的工作范围内。"
    assert table_counts() == counts and register_state() == state


def test_the_same_worker_imports_a_file_of_their_own_villages(place, tmp_path):
    worker = f.user_with("community_worker", place.world.communities[0])
    own, ids = family("205001", 2, grid=GRID_NAME)
    result = run_import(write_workbook(tmp_path / "own.xlsx", own), actor=worker)
    assert result.status == ImportStatus.DONE, [in_chinese(e) for e in errors_of(result)]
    assert Household.objects.get(number="205001").area == place.grid
    assert set(
        Resident.objects.filter(household__number="205001").values_list("id_number", flat=True)
    ) == set(ids)


def test_a_worker_cannot_take_over_a_household_registered_outside_their_area(place, tmp_path):
    worker = f.user_with("community_worker", place.world.communities[0])
    elsewhere = place.world.households[4]  # registered in 东朱社区
    rows, _ids = family(elsewhere.number, 1, grid=GRID_NAME)
    counts, state = table_counts(), register_state()

    result = run_import(write_workbook(tmp_path / "takeover.xlsx", rows), actor=worker)

    assert result.status == ImportStatus.REJECTED
    [error] = errors_of(result)
    assert (error.row, error.column, error.value) == (2, "number", elsewhere.number)
    reason = in_chinese(error)
    assert elsewhere.number in reason and "工作范围" in reason
    assert table_counts() == counts and register_state() == state


def test_a_worker_cannot_move_in_a_person_from_outside_their_area(place, tmp_path):
    worker = f.user_with("community_worker", place.world.communities[0])
    elsewhere = place.world.households[4]
    person = elsewhere.head
    rows = household(
        "205003",
        [{"name": person.name, "id_number": person.id_number, "relation": "户主", "move": "是"}],
    )
    counts, state = table_counts(), register_state()

    result = run_import(write_workbook(tmp_path / "move.xlsx", rows), actor=worker)

    assert result.status == ImportStatus.REJECTED
    [error] = errors_of(result)
    assert (error.row, error.column) == (2, "id_number")
    reason = in_chinese(error)
    # The other household lies outside the worker's area: it is not named.
    assert elsewhere.number not in reason and "工作范围" in reason
    assert table_counts() == counts and register_state() == state
    person.refresh_from_db()
    assert person.household_id == elsewhere.pk
