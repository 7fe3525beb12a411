"""A workbook is checked against the import's limits before anything reads it: a zip bomb, a
sheet naming a cell a million rows down, a shared-string table claiming billions of entries, an
.ods row repeated half a million times — each refused with a Chinese message, nothing imported,
the reader never opened. Every file is made here: a real workbook written with openpyxl, then
re-packed with zipfile where the attack needs it."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from python_calamine import CalamineWorkbook

from linli.registry import imports
from linli.registry.choices import ImportStatus
from linli.registry.importing import limits, workbooks
from linli.registry.models import RegistryImport

from .. import factories as f
from .import_helpers import (
    HEADERS,
    errors_of,
    family,
    place_fixture,  # noqa: F401 - the `place` fixture
    rendered_failure,
    run_import,
    table_counts,
    write_workbook,
    wrong_check_digit,
)

MB = 1024 * 1024
HEADERS_ROW = list(HEADERS)


def _register(tmp_path: Path, name: str = "register.xlsx") -> Path:
    rows, _ids = family("208001", 2)
    return write_workbook(tmp_path / name, rows)


def _repack(source: Path, target: Path, *, sheet=None, changes=None, added=None) -> Path:
    """`source` re-packed part by part: `sheet(xml, out)` writes the first sheet's new XML to
    the stream `out`; `changes` maps a part to a function of its XML; `added` adds parts."""
    changes, added = changes or {}, added or {}
    with (
        zipfile.ZipFile(source) as old,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as new,
    ):
        for part in old.infolist():
            data = old.read(part)
            if sheet and part.filename == "xl/worksheets/sheet1.xml":
                with new.open(part.filename, "w") as out:
                    sheet(data, out)
            else:
                new.writestr(part, changes.get(part.filename, lambda xml: xml)(data))
        for name, data in added.items():
            new.writestr(name, data)
    return target


def _padded_with_empty_rows(megabytes: int):
    """The sheet with `megabytes` MB of empty rows `<row/>` before its end: what a zip bomb
    made of a register looks like (it packs about a thousand to one)."""
    block = b"<row/>" * (MB // 6)

    def write(xml: bytes, out) -> None:
        head, tail = xml.split(b"</sheetData>")
        out.write(head)
        for _ in range(megabytes):
            out.write(block)
        out.write(b"</sheetData>" + tail)

    return write


def _hand_in(path: Path):
    with path.open("rb") as source:
        return imports.import_start(actor=None, source=source, file_name=path.name, queue=False)


def _nothing_unpacked(monkeypatch):
    """Unpacking any part from here on fails the test: a refusal by the zip's directory alone."""

    def unpacked(*args, **kwargs):
        raise AssertionError("a part was unpacked")

    monkeypatch.setattr(limits, "_check_parts", unpacked)
    monkeypatch.setattr(CalamineWorkbook, "from_path", unpacked)


# --- what the zip's directory says ----------------------------------------------------------------


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """A register workbook whose sheet is 300 MB of empty rows, packed into a few hundred KB."""
    folder = tmp_path_factory.mktemp("bomb")
    return _repack(_register(folder), folder / "bomb.xlsx", sheet=_padded_with_empty_rows(300))


def test_a_zip_bomb_is_refused_when_handed_in_without_being_unpacked(place, bomb, monkeypatch):
    assert bomb.stat().st_size < 2 * MB  # 300 MB of sheet in a file of a few hundred KB
    with zipfile.ZipFile(bomb) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size > 300 * MB
    counts = table_counts()
    _nothing_unpacked(monkeypatch)

    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        _hand_in(bomb)

    [message] = refused.value.message_dict["file"]
    assert message.startswith("该工作簿解压后有 300 MB，超过导入允许的 256 MB"), message
    assert not RegistryImport.objects.exists()
    assert not list(imports.imports_dir().iterdir())  # the refused file is not kept
    assert table_counts() == counts


def test_the_upload_page_refuses_the_bomb_with_the_chinese_message(
    place, bomb, client, monkeypatch
):
    _nothing_unpacked(monkeypatch)
    client.force_login(f.user_with("community_worker", place.world.communities[0]))
    with bomb.open("rb") as upload:
        page = client.post(
            reverse("registry:import"), {"file": upload}, HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
    assert page.status_code == 400
    assert "超过导入允许的 256 MB" in page.content.decode()
    assert not RegistryImport.objects.exists()


def test_a_small_bomb_is_refused_for_its_packing_ratio(place, tmp_path, monkeypatch):
    # 40 MB unpacked is within the size limit; packed a thousand to one, it is no register.
    bomb = _repack(_register(tmp_path), tmp_path / "small.xlsx", sheet=_padded_with_empty_rows(40))
    _nothing_unpacked(monkeypatch)
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        _hand_in(bomb)
    [message] = refused.value.message_dict["file"]
    assert "压缩比远超任何登记表" in message and "最多允许 100 比 1" in message, message
    assert not RegistryImport.objects.exists()


def test_the_limits_are_settings(place, tmp_path, settings):
    settings.LINLI_IMPORT_MAX_UNPACKED_MB = 1
    path = _repack(_register(tmp_path), tmp_path / "big.xlsx", sheet=_padded_with_empty_rows(2))
    with pytest.raises(ValidationError) as refused:
        _hand_in(path)
    assert "more than the 1 MB" in refused.value.message_dict["file"][0]
    settings.LINLI_IMPORT_MAX_UNPACKED_MB = 256
    settings.LINLI_IMPORT_MAX_RATIO = 10_000
    assert _hand_in(path).stored_name  # the same file passes looser limits


def test_an_old_xls_file_is_limited_by_its_size(place, tmp_path, settings):
    settings.LINLI_IMPORT_MAX_XLS_MB = 1
    path = tmp_path / "register.xls"
    path.write_bytes(limits.OLE_MAGIC + bytes(2 * MB))
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        _hand_in(path)
    assert "旧格式 .xls 工作簿最大 1 MB" in refused.value.message_dict["file"][0]


# --- what the parts hold, checked when the import runs ---------------------------------------------


def _far_cell(xml: bytes, out) -> None:
    """One more cell, at the last row and column a sheet can have: the reader would size a
    grid of 1,048,576 × 16,384 cells for it and the process would be killed."""
    head, tail = xml.split(b"</sheetData>")
    out.write(head + b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    out.write(b"</sheetData>" + tail)


def test_a_sheet_reaching_the_last_row_and_column_is_refused_unread(place, tmp_path, monkeypatch):
    path = _repack(_register(tmp_path), tmp_path / "far.xlsx", sheet=_far_cell)
    assert path.stat().st_size < 20_000
    counts = table_counts()
    opened = []
    monkeypatch.setattr(CalamineWorkbook, "from_path", lambda *a: opened.append(a))

    result = run_import(path)

    assert result.status == ImportStatus.FAILED and not opened
    message = rendered_failure(result)
    assert "超出第 300,000 行或第 AN 列" in message, message
    assert table_counts() == counts


def test_a_cell_without_references_far_down_is_found_too(place, tmp_path):
    # No `r="…"` on the cell: it sits where its row says. Such a sheet is read exactly.
    def far_row(xml: bytes, out) -> None:
        head, tail = xml.split(b"</sheetData>")
        out.write(head + b'<row r="900000"><c t="inlineStr"><is><t>x</t></is></c></row>')
        out.write(b"</sheetData>" + tail)

    result = run_import(_repack(_register(tmp_path), tmp_path / "far.xlsx", sheet=far_row))
    assert result.status == ImportStatus.FAILED
    assert "300,000" in rendered_failure(result)


def test_the_row_limit_is_a_setting_and_counts_real_rows(place, tmp_path, settings):
    rows, _ids = family("208001", 4)  # the headers and four rows
    path = write_workbook(tmp_path / "five.xlsx", rows)
    settings.LINLI_IMPORT_MAX_ROWS = 4
    assert run_import(path).status == ImportStatus.FAILED
    settings.LINLI_IMPORT_MAX_ROWS = 5
    assert run_import(path).status == ImportStatus.DONE


SPREADSHEET = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHARED_STRINGS = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def test_a_shared_string_table_claiming_billions_of_strings_is_refused(place, tmp_path):
    # The reader sets memory aside for `uniqueCount` strings before reading one: 4,000,000,000
    # of them would be 96 GB, and the process is killed. A table of one string is no such table.
    table = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main" count="1" uniqueCount="4000000000"><si><t>x</t></si></sst>'
    )
    relation = (
        f'<Relationship Id="rIdS" Type="{SPREADSHEET}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>'
    ).encode()
    kind = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS}"/></Types>'
    path = _repack(
        _register(tmp_path),
        tmp_path / "sst.xlsx",
        changes={
            "xl/_rels/workbook.xml.rels": lambda xml: xml.replace(b"</Relationships>", relation),
            "[Content_Types].xml": lambda xml: xml.replace(b"</Types>", kind.encode()),
        },
        added={"xl/sharedStrings.xml": table},
    )
    result = run_import(path)
    assert result.status == ImportStatus.FAILED
    assert "已损坏" in rendered_failure(result) and "uniqueCount" in rendered_failure(result)


def _lie_about_size(path: Path, name: str, size: int) -> None:
    """Write `size` as the unpacked size of part `name`, in its local header and in the
    zip's directory."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    struct.pack_into("<I", data, info.header_offset + 22, size)
    at = struct.unpack_from("<I", data, data.rfind(b"PK\x05\x06") + 16)[0]
    while data[at : at + 4] == b"PK\x01\x02":
        name_length, extra, comment = struct.unpack_from("<HHH", data, at + 28)
        if data[at + 46 : at + 46 + name_length] == name.encode():
            struct.pack_into("<I", data, at + 24, size)
        at += 46 + name_length + extra + comment
    path.write_bytes(bytes(data))


def test_a_part_that_lies_about_its_size_is_refused_as_damaged(place, tmp_path, monkeypatch):
    # The directory says the sheet is 1 KB; it unpacks to 10 MB. Unpacking stops at the size
    # given and the checksum does not match: refused before the reader, which might believe it.
    path = _repack(_register(tmp_path), tmp_path / "lie.xlsx", sheet=_padded_with_empty_rows(10))
    _lie_about_size(path, "xl/worksheets/sheet1.xml", 1024)
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size == 1024
    opened = []
    monkeypatch.setattr(CalamineWorkbook, "from_path", lambda *a: opened.append(a))

    result = run_import(path)

    assert result.status == ImportStatus.FAILED and not opened
    assert "已损坏" in rendered_failure(result)


def _ods(path: Path, rows_xml: str) -> Path:
    cell = '<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>'
    headers = "".join(cell.format(h) for h in ("村(小区)编码", "户号", "地址", "姓名"))
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="户籍登记">'
        f"<table:table-row>{headers}</table:table-row>{rows_xml.format(cell=cell.format('x'))}"
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet"
        )
        archive.writestr("content.xml", content)
    return path


def test_an_ods_row_repeated_half_a_million_times_is_refused(place, tmp_path):
    path = _ods(
        tmp_path / "repeat.ods",
        '<table:table-row table:number-rows-repeated="500000">{cell}</table:table-row>',
    )
    result = run_import(path)
    assert result.status == ImportStatus.FAILED
    assert "超出第 300,000 行" in rendered_failure(result)


def test_an_ods_with_libreoffices_empty_rows_to_the_end_is_not_refused_for_them(tmp_path):
    # LibreOffice ends a table with its empty rows repeated to the last row: nothing in them.
    path = _ods(
        tmp_path / "plain.ods",
        "<table:table-row>{cell}</table:table-row>"
        '<table:table-row table:number-rows-repeated="1048574">'
        '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>',
    )
    limits.check_file(path)  # no error


# --- the error workbook ------------------------------------------------------------------------


def test_the_error_workbook_is_streamed_not_built_in_memory(place, tmp_path, client):
    worker = f.user_with("community_worker", place.world.communities[0])
    rows, ids = family("208001", 2)
    rows[1][7] = wrong_check_digit(ids[1])
    result = run_import(write_workbook(tmp_path / "bad.xlsx", rows), actor=worker)
    assert result.status == ImportStatus.REJECTED and errors_of(result)

    client.force_login(worker)
    response = client.get(reverse("registry:import_errors", args=[result.pk]))

    assert response.status_code == 200 and response.streaming
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        # Written row by row (xlsxwriter's constant_memory): strings inline, no shared table.
        assert "xl/sharedStrings.xml" not in archive.namelist()
        assert b't="inlineStr"' in archive.read("xl/worksheets/sheet1.xml")
    table = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert table[2][7] == rows[1][7]


def test_the_error_workbook_writer_always_streams(tmp_path, monkeypatch):
    seen = []
    real = workbooks.Workbook

    def spy(target, *, big=False):
        seen.append(big)
        return real(target, big=big)

    monkeypatch.setattr(workbooks, "Workbook", spy)
    sheet = type("Sheet", (), {"rows": [(2, ["x"])], "positions": {"name": 0}})()
    workbooks.write_error_report(tmp_path / "r.xlsx", sheet, [], str)
    assert seen == [True]  # big: xlsxwriter's constant_memory, rows streamed to disk


# --- an old .xls file ---------------------------------------------------------------------------


def _biff_record(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _xls(rows: list[list], *, dimension_rows: int | None = None) -> bytes:
    """A BIFF8 workbook (Excel 97–2003) of one sheet holding `rows` (text and numbers) in an
    OLE compound file: what Excel writes, record by record, and the smallest that reads. The
    sheet's DIMENSIONS record says `dimension_rows` rows when given (else the truth)."""

    def bof(kind: int) -> bytes:
        return _biff_record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 6))

    name = "户籍登记".encode("utf-16-le")
    cells = b""
    for r, cells_of_row in enumerate(rows):
        for c, value in enumerate(cells_of_row):
            if isinstance(value, str):
                text = value.encode("utf-16-le")
                cells += _biff_record(0x0204, struct.pack("<HHHHB", r, c, 15, len(value), 1) + text)
            elif value is not None:
                cells += _biff_record(0x0203, struct.pack("<HHHd", r, c, 15, value))
    width = max(len(r) for r in rows)
    tall = len(rows) if dimension_rows is None else dimension_rows
    sheet = bof(0x10) + _biff_record(0x0200, struct.pack("<IIHHH", 0, tall, 0, width, 0))
    sheet += cells + _biff_record(0x000A)

    def globals_(offset: int) -> bytes:
        sheet_entry = struct.pack("<IBBBB", offset, 0, 0, len("户籍登记"), 1) + name
        codepage = _biff_record(0x0042, struct.pack("<H", 1200))
        return bof(0x05) + codepage + _biff_record(0x0085, sheet_entry) + _biff_record(0x000A)

    stream = globals_(len(globals_(0))) + sheet
    return _compound_file(stream.ljust(max(len(stream), 4096), b"\0"))


def _compound_file(stream: bytes) -> bytes:
    """An OLE compound file holding `stream` as "Workbook": the header, one FAT sector, one
    directory sector, then the stream's sectors in a chain."""
    sectors = -(-len(stream) // 512)
    assert sectors <= 126, "one FAT sector holds this test's files"
    chain = [2 + i + 1 for i in range(sectors - 1)] + [0xFFFFFFFE]
    fat = [0xFFFFFFFD, 0xFFFFFFFE, *chain] + [0xFFFFFFFF] * (126 - sectors)

    def entry(label: str, kind: int, start: int, size: int, child: int) -> bytes:
        encoded = label.encode("utf-16-le") + b"\0\0"
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBBIII", len(encoded), kind, 1, 0xFFFFFFFF, 0xFFFFFFFF, child)
            + bytes(20)
            + bytes(16)
            + struct.pack("<IQ", start, size)
        )

    directory = entry("Root Entry", 5, 0xFFFFFFFE, 0, 1)
    directory += entry("Workbook", 2, 2, sectors * 512, 0xFFFFFFFF)
    header = (
        limits.OLE_MAGIC
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<9I", 0, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
        + struct.pack("<109I", 0, *[0xFFFFFFFF] * 108)
    )
    return (
        header
        + struct.pack("<128I", *fat)
        + directory.ljust(512, b"\0")
        + stream.ljust(sectors * 512, b"\0")
    )


def test_an_xls_register_is_read_in_its_own_process_and_imported(place, tmp_path):
    rows, ids = family("208001", 2)
    path = tmp_path / "register.xls"
    path.write_bytes(_xls([HEADERS_ROW, *rows]))

    result = run_import(path)

    assert result.status == ImportStatus.DONE, (result.failure, result.errors)
    assert result.summary["residents_created"] == 2


def test_an_xls_whose_sheet_claims_a_billion_rows_is_refused_and_the_server_lives(place, tmp_path):
    # Five kilobytes that make the reader ask for 10 TB: it dies in its own process, which
    # stops at 1 GB, and the import says why. (Read here, it would end the test run.)
    rows, _ids = family("208001", 2)
    path = tmp_path / "tall.xls"
    path.write_bytes(_xls([HEADERS_ROW, *rows], dimension_rows=1_000_000_000))
    assert path.stat().st_size < 10_000
    counts = table_counts()

    result = run_import(path)

    assert result.status == ImportStatus.FAILED
    message = rendered_failure(result)
    assert "无法在导入允许的 1,024 MB 内读取" in message, message
    assert table_counts() == counts


def test_an_xls_with_two_cells_far_apart_is_refused_within_its_memory(place, tmp_path, settings):
    # Row 65,536 column IV: the reader fills the grid between the two cells (about 1.2 GB).
    settings.LINLI_IMPORT_XLS_MEMORY_MB = 256
    path = tmp_path / "far.xls"
    far = [[None] * 256 for _ in range(2)]
    far[0][0], far[1][255] = "村(小区)编码", 1.0
    near, beyond = (struct.pack("<HHHd", row, 255, 15, 1.0) for row in (1, 65535))
    path.write_bytes(_xls(far).replace(near, beyond))

    result = run_import(path)

    assert result.status == ImportStatus.FAILED
    assert "256 MB" in rendered_failure(result)
