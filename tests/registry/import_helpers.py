"""Shared builders for the register import tests: a place with statistical codes under the
`world` district, register rows by column key, workbooks written with openpyxl as an office
would hand them in, the import run as the upload page runs it, and a count of every table."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from django.apps import apps
from django.utils import translation
from stdnum.cn import ric

from linli.core.models import AuditChainHead, AuditRecord
from linli.registry import imports
from linli.registry import services as registry_services
from linli.registry.importing.columns import COLUMNS
from linli.registry.importing.validate import RowError
from linli.registry.models import Household, RegistryImport, Resident

from .. import factories as f

HEADERS = [c.header for c in COLUMNS]
KEYS = [c.key for c in COLUMNS]
CJK = re.compile(r"[\u4e00-\u9fff]")

VILLAGE_CODE = "370772001201"  # 文岭一村… our own village under 文岭社区 (world.communities[0])
GRID_NAME = "第一网格"
FAR_CODE = "370772002201"  # a village under 东朱社区, another street


@pytest.fixture(name="place")
def place_fixture(world, settings, tmp_path):
    """The `world` district, plus villages with 12-digit codes (the world's villages have none),
    a grid, and the tags the files name. Handed-in files are kept under tmp_path."""
    settings.DATA_DIR = tmp_path / "data"
    village = f.area("王家庄村", "village", world.communities[0], code=VILLAGE_CODE)
    grid = f.area(GRID_NAME, "grid", village)
    far = f.area("东朱三村", "village", world.communities[2], code=FAR_CODE)
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
    return SimpleNamespace(world=world, village=village, grid=grid, far=far)


# --- ID numbers -------------------------------------------------------------------------------

_serials = itertools.cycle(range(500))


def new_id(birth: dt.date = dt.date(1980, 5, 17), *, male: bool = True) -> str:
    """A valid ID number unlike any the `world` fixture registers (those are from county
    370702)."""
    return f.make_id_number(birth, male=male, county="370781", serial=next(_serials))


def id_ending_in_x(birth: dt.date = dt.date(1975, 3, 9)) -> str:
    for serial in range(500):
        number = f.make_id_number(birth, county="370703", serial=serial)
        if number.endswith("X"):
            return number
    raise AssertionError("no serial gives the check character X")  # pragma: no cover


def wrong_check_digit(number: str) -> str:
    body = number[:17]
    right = ric.calc_check_digit(body + "0")
    wrong = "0" if right != "0" else "1"
    return body + wrong


FULL_WIDTH = str.maketrans(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz ",
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"
    "ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ\u3000",
)


def full_width(value: str) -> str:
    return value.translate(FULL_WIDTH)


# --- rows and workbooks -----------------------------------------------------------------------


def row(**cells) -> list:
    """One register row in the template's column order; unnamed cells are left empty."""
    unknown = set(cells) - set(KEYS)
    assert not unknown, unknown
    return [cells.get(key) for key in KEYS]


def household(number: str, people: list[dict], *, code=VILLAGE_CODE, **household_cells) -> list:
    """The rows of one household: `people` are dicts of person cells (name, id_number,
    relation, …); the household's cells repeat on each row, the head's ID number taken from
    the first 户主 row unless given."""
    head = next((p["id_number"] for p in people if p.get("relation") == "户主"), None)
    shared = {
        "village_code": code,
        "number": number,
        "address": f"王家庄村{number}号",
        "head_id_number": head,
        **household_cells,
    }
    return [row(**{**shared, **person}) for person in people]


def family(number: str, size: int = 2, **household_cells) -> tuple[list, list[str]]:
    """A plain, valid household of `size` people: (rows, their ID numbers)."""
    ids = [new_id(male=i % 2 == 0) for i in range(size)]
    relations = ["户主", "配偶", "子女", "子女", "父母"]
    people = [
        {"name": f"刘{'一二三四五'[i]}", "id_number": ids[i], "relation": relations[i]}
        for i in range(size)
    ]
    return household(number, people, **household_cells), ids


def write_workbook(
    path: Path, rows: list[list], *, headers=HEADERS, above: tuple[list, ...] = ()
) -> Path:
    """A workbook as an office makes one: optional lines above the headers (a title), the
    headers, then the rows as given (None = an empty cell, [] = a blank line)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "户籍登记"
    for line in above:
        sheet.append(line)
    sheet.append(list(headers))
    for cells in rows:
        sheet.append(cells)
    book.save(path)
    return path


def run_import(path: Path, actor=None, **options) -> RegistryImport:
    """Hand the file in and run the import in this process, as the background job would."""
    with path.open("rb") as source:
        started = imports.import_start(
            actor=actor, source=source, file_name=path.name, queue=False, **options
        )
    return imports.import_run(import_id=started.pk)


def errors_of(registry_import: RegistryImport) -> list[RowError]:
    registry_import.refresh_from_db()
    return [RowError.from_list(e) for e in registry_import.errors]


def in_chinese(error: RowError) -> str:
    with translation.override("zh-hans"):
        return imports.render_error(error)


def rendered_failure(registry_import: RegistryImport) -> str:
    from linli.core import timeline

    failure = registry_import.failure
    with translation.override("zh-hans"):
        return timeline.render(failure["message"], failure["params"])


# --- what the database holds --------------------------------------------------------------------

# A refused import still leaves its own trace, and only that: the RegistryImport row (status,
# errors, counts), its audit record (an import refused is recorded like any other failed action)
# with the audit chain's head moving on, and — with queue=True — the job's result row. Every other
# table must be exactly as it was.
TRACE_MODELS = {RegistryImport, AuditRecord, AuditChainHead}


def _is_trace(model) -> bool:
    return model in TRACE_MODELS or model._meta.app_config.name == "django_tasks_db"


def table_counts() -> dict[str, int]:
    """Rows in every table (many-to-many link tables included) but an import's own trace."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if not _is_trace(model) and model._meta.managed and not model._meta.proxy
    }


def register_state() -> tuple:
    """The register's values, so that a refused import is seen to have changed no row either."""
    households = sorted(
        Household.objects.values_list("number", "area_id", "address", "head_id", "version")
    )
    people = sorted(
        Resident.objects.values_list(
            "id_number", "household_id", "name", "mobile", "relation", "version"
        )
    )
    return households, people
