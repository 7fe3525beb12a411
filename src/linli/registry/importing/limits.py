"""What a handed-in workbook may hold 导入文件限额, checked before the reader opens it.

An .xlsx or .ods file is a zip of XML parts. A small file can unpack to hundreds of megabytes (a
"zip bomb"), and a sheet of a few kilobytes can name a cell at row 1,048,576 and column XFD: the
reader (python-calamine) then sizes a grid of every row by every column and the process runs out
of memory or is killed. So, before the reader sees a zip workbook:

1. its directory is read: how many parts, how large unpacked, how tightly each is packed;
2. every part is unpacked once, as a stream, counting what really comes out (a part that lies
   about its size fails its checksum), and each sheet is searched for a cell beyond the last row
   or column the import reads.

An old-format .xls file is not a zip: its size is limited instead (the format itself stops at
65,536 rows and 256 columns). The limits are settings, each with an environment variable
(see `docs/operator.md`); the defaults take a whole district (about 205,000 rows, 137 MB of
sheet XML packed into 13 MB) with room to spare.
"""

from __future__ import annotations

import faulthandler
import os
import pickle
import posixpath
import re
import resource
import select
import signal
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext_noop

# The reader calls these checks and they raise its error: imported as a module, so that either
# may be imported first.
from . import reader

MB = 1024 * 1024
CHUNK = 8 * MB  # unpacked a piece at a time: checking never holds a whole part
RATIO_FROM = 1 * MB  # small parts may pack tightly (styles, themes); only big ones count
LONGEST_TAG = 1 * MB  # a piece must hold a whole tag; no register's XML has a longer one
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_RELATION = re.compile(rb"<(?:[\w.-]+:)?Relationship\b[^>]*>")
_TARGET = re.compile(rb"""\sTarget\s*=\s*["']([^"']*)["']""")


@dataclass(frozen=True)
class Limits:
    unpacked_bytes: int
    ratio: int
    parts: int
    rows: int
    columns: int
    xls_bytes: int


def current() -> Limits:
    return Limits(
        unpacked_bytes=settings.LINLI_IMPORT_MAX_UNPACKED_MB * MB,
        ratio=settings.LINLI_IMPORT_MAX_RATIO,
        parts=settings.LINLI_IMPORT_MAX_PARTS,
        rows=settings.LINLI_IMPORT_MAX_ROWS,
        columns=settings.LINLI_IMPORT_MAX_COLUMNS,
        xls_bytes=settings.LINLI_IMPORT_MAX_XLS_MB * MB,
    )


# --- the messages ------------------------------------------------------------------------------

TOO_BIG_UNPACKED = gettext_noop(
    "This workbook unpacks to %(size)s MB, more than the %(limit)s MB an import reads. Split it "
    "by village and import the parts one by one."
)
TOO_TIGHT = gettext_noop(
    "This file is packed far more tightly than any register (%(ratio)s to 1, the most allowed "
    "is %(limit)s to 1). It was refused without being opened."
)
TOO_MANY_PARTS = gettext_noop(
    "This workbook is made of %(count)s parts, more than the %(limit)s an import reads."
)
TOO_FAR = gettext_noop(
    "A sheet of this workbook has cells beyond row %(rows)s or column %(column)s; an import "
    "reads at most %(rows)s rows and %(columns)s columns. Delete what lies beyond them, or "
    "split the file by village."
)
TOO_BIG_XLS = gettext_noop(
    "An old-format .xls workbook may be at most %(limit)s MB. Save it as .xlsx in Excel or WPS, "
    "or split it by village."
)
DAMAGED = gettext_noop(
    "This workbook is damaged and was not opened (%(reason)s). Save it again in Excel or WPS."
)


def _mb(size: int) -> str:
    return f"{size / MB:,.0f}"


def _too_far(limits: Limits) -> reader.FileError:
    return reader.FileError(
        TOO_FAR,
        rows=f"{limits.rows:,}",
        column=reader.column_letters(limits.columns),
        columns=limits.columns,
    )


# --- the checks ---------------------------------------------------------------------------------


def check_file(path: str | Path, limits: Limits | None = None) -> str:
    """Everything below, in order; raises `reader.FileError` at the first limit passed.
    Returns what the file is: "zip" (.xlsx, .ods), "ole" (.xls) or "other", which is left to
    the reader to say it cannot read."""
    limits = limits or current()
    kind = _kind(path)
    if kind == "ole":
        if Path(path).stat().st_size > limits.xls_bytes:
            raise reader.FileError(TOO_BIG_XLS, limit=_mb(limits.xls_bytes))
    elif kind == "zip":
        with _open_zip(path) as archive:
            check_directory(archive, limits)
            _check_parts(archive, limits)
    return kind


def check_package(path: str | Path, limits: Limits | None = None) -> None:
    """The cheap part, for the moment a file is handed in: the size of an .xls file, or the
    zip directory's sizes and ratios. Nothing is unpacked."""
    limits = limits or current()
    kind = _kind(path)
    if kind == "ole" and Path(path).stat().st_size > limits.xls_bytes:
        raise reader.FileError(TOO_BIG_XLS, limit=_mb(limits.xls_bytes))
    if kind == "zip":
        with _open_zip(path) as archive:
            check_directory(archive, limits)


def _kind(path: str | Path) -> str:
    with open(path, "rb") as file:
        start = file.read(8)
    if start.startswith(ZIP_MAGIC):
        return "zip"
    if start == OLE_MAGIC:
        return "ole"
    return "other"


def _open_zip(path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise reader.FileError(DAMAGED, reason=str(e)[:200]) from None


def check_directory(archive: zipfile.ZipFile, limits: Limits) -> None:
    """What the zip's directory says: number of parts, total unpacked size, packing ratio."""
    parts = archive.infolist()
    if len(parts) > limits.parts:
        raise reader.FileError(TOO_MANY_PARTS, count=f"{len(parts):,}", limit=f"{limits.parts:,}")
    total = sum(part.file_size for part in parts)
    if total > limits.unpacked_bytes:
        raise reader.FileError(TOO_BIG_UNPACKED, size=_mb(total), limit=_mb(limits.unpacked_bytes))
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > RATIO_FROM and ratio > limits.ratio:
            raise reader.FileError(TOO_TIGHT, ratio=f"{ratio:,.0f}", limit=limits.ratio)


def _check_parts(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Unpack every part once as a stream: what comes out must be what the directory said
    (the checksum is checked at the end of each part), and sheets are searched as they pass."""
    sheets = _sheet_parts(archive)
    for part in archive.infolist():
        if part.is_dir():
            continue
        if part.filename in sheets:
            scan = SheetScan(limits, lambda part=part: archive.open(part))
        elif part.filename.endswith("sharedStrings.xml"):
            scan = SharedStringsScan(part.file_size)
        elif part.filename == "content.xml":  # an OpenDocument spreadsheet's tables
            scan = OdsScan(limits)
        else:
            scan = None
        try:
            with archive.open(part) as stream:
                while data := stream.read(CHUNK):
                    if scan is not None:
                        scan.feed(data)
            if scan is not None:
                scan.close()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, OSError, EOFError) as e:
            raise reader.FileError(DAMAGED, reason=f"{part.filename}: {e}"[:200]) from None


def _sheet_parts(archive: zipfile.ZipFile) -> set[str]:
    """The parts an .xlsx reader takes for worksheets: those the workbook's relationships name
    (wherever they are), and anything under xl/worksheets/."""
    names = set(archive.namelist())
    found = {n for n in names if n.startswith("xl/worksheets/") and not n.endswith("/")}
    rels = "xl/_rels/workbook.xml.rels"
    if rels in names and archive.getinfo(rels).file_size <= LONGEST_TAG * 4:
        for relation in _RELATION.finditer(archive.read(rels)):
            target = _TARGET.search(relation.group())
            if target and b"/worksheet" in relation.group():
                found.add(_resolve(target.group(1).decode("utf-8", "replace")))
    return found & names


def _resolve(target: str) -> str:
    if target.startswith("/"):
        return posixpath.normpath(target[1:])
    return posixpath.normpath(posixpath.join("xl", target))


class SharedStringsScan:
    """The reader sets memory aside for as many strings as the table's `uniqueCount` says: a
    count no table of that size can hold is refused (each string takes at least `<si/>`)."""

    HEAD = 64 * 1024
    TAG = re.compile(rb"<(?:[\w.-]+:)?sst\b[^>]*>")
    COUNT = re.compile(rb"""\suniqueCount\s*=\s*["']\s*([0-9]+)""")

    def __init__(self, size: int):
        self.most, self.head = size // 5 + 1, b""

    def feed(self, data: bytes) -> None:
        if len(self.head) < self.HEAD:
            self.head += data[: self.HEAD]

    def close(self) -> None:
        tag = self.TAG.search(self.head)
        count = self.COUNT.search(tag.group()) if tag else None
        if count and int(count.group(1)) > self.most:
            raise reader.FileError(DAMAGED, reason=f"uniqueCount={count.group(1)[:20].decode()}")


# --- an old .xls file, read apart -------------------------------------------------------------------

TOO_MUCH_MEMORY = gettext_noop(
    "This .xls workbook could not be read within the %(limit)s MB an import may use: a sheet "
    "reaches too far, or the file is damaged. Save it as .xlsx in Excel or WPS and import that."
)
READ_APART_SECONDS = 300


def read_apart(read, path):
    """`read(path)` in a forked child whose memory is capped at LINLI_IMPORT_XLS_MEMORY_MB
    more than it starts with. An .xls file is binary: its sheet sizes and string counts are
    numbers the reader believes, and a 5 KB file can make it ask for terabytes and kill the
    process. In the child, that ends the child only, and the file is refused. The child sends
    back the sheet (or the reader's refusal) through a pipe; it touches nothing else."""
    if not hasattr(os, "fork"):  # pragma: no cover - Linli runs on Linux
        return read(path)
    budget = settings.LINLI_IMPORT_XLS_MEMORY_MB * MB
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        status = 1
        try:
            os.close(read_fd)
            # What the reader says as it dies is not for the server's log: the import says it.
            os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
            faulthandler.disable()
            _cap_memory(budget)
            try:
                outcome = ("sheet", read(path))
            except reader.FileError as e:
                outcome = ("refused", e.message, e.params)
            with os.fdopen(write_fd, "wb") as out:
                pickle.dump(outcome, out, protocol=pickle.HIGHEST_PROTOCOL)
            status = 0
        finally:
            os._exit(status)
    os.close(write_fd)
    data = _collect(pid, read_fd)
    if data is None:
        raise reader.FileError(TOO_MUCH_MEMORY, limit=_mb(budget))
    # Our own child's bytes, written a moment ago through a pipe nothing else can reach.
    outcome = pickle.loads(data)  # noqa: S301
    if outcome[0] == "refused":
        raise reader.FileError(outcome[1], **outcome[2])
    return outcome[1]


def _cap_memory(budget: int) -> None:
    with open("/proc/self/statm") as statm:
        now = int(statm.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (now + budget, now + budget))


def _collect(pid: int, read_fd: int) -> bytes | None:
    """What the child wrote, or None if it died (stopped by its memory cap) or hung."""
    chunks = []
    with os.fdopen(read_fd, "rb", buffering=0) as source:
        while True:
            ready, _w, _x = select.select([source], [], [], READ_APART_SECONDS)
            if not ready:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return None
            chunk = source.read(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    _pid, status = os.waitpid(pid, 0)
    return b"".join(chunks) if status == 0 and chunks else None


# --- searching a sheet --------------------------------------------------------------------------


def _number_above(limit: int) -> bytes:
    """A regex for a decimal number (no leading zero) greater than `limit`, up to a quote."""
    digits = str(limit)
    options = [rb"[1-9][0-9]{%d,}" % len(digits)]  # more digits than the limit has
    for i, digit in enumerate(digits):
        if digit != "9":
            rest = len(digits) - i - 1
            higher = b"[%d-9]" % (int(digit) + 1)
            options.append(digits[:i].encode() + higher + (b"[0-9]{%d}" % rest if rest else b""))
    return b"(?:" + b"|".join(options) + b')"'


def _letters_above(limit: int) -> bytes:
    """A regex for column letters after column number `limit`, up to the row number."""
    letters = reader.column_letters(limit)
    options = [b"[A-Z]{%d,}" % (len(letters) + 1)]
    for i, letter in enumerate(letters):
        if letter != "Z":
            rest = len(letters) - i - 1
            higher = b"[" + bytes([ord(letter) + 1]) + b"-Z]"
            options.append(letters[:i].encode() + higher + (b"[A-Z]{%d}" % rest if rest else b""))
    return b"(?:" + b"|".join(options) + b")[0-9]"


# A namespace prefix on a cell tag. Searched apart from the cell tags: each search then starts
# with a literal, which is fast.
_PREFIXED_CELL = re.compile(rb":c[\t\n\r />]")


def _declaration(data: bytes, end: int) -> bool:
    """A comment, CDATA section or DOCTYPE (`<!`) before `end`. "!" is rare in a sheet and
    found at memory speed, "<" is everywhere."""
    at = data.find(b"!", 1, end)
    while at != -1:
        if data[at - 1] == 0x3C:
            return True
        at = data.find(b"!", at + 1, end)
    return False


class SheetScan:
    """Finds a cell beyond the limits in an .xlsx sheet, fed its XML a piece at a time.

    Every writer of registers (Excel, WPS, LibreOffice, openpyxl, xlsxwriter) starts each cell
    with `<c r="B12"`. Two searches per piece do for those: one for a cell tag not written that
    way, one for a cell beyond the limits. A sheet written any other way (no references, a
    namespace prefix, comments, UTF-16) is read again by an XML parser that follows each row and
    cell as the reader does, which is slower but exact."""

    def __init__(self, limits: Limits, reopen):
        self.limits, self.reopen = limits, reopen
        self.carry, self.first, self.exact = b"", True, False
        # One search finds both a cell tag not written `<c r="B12"` (then the sheet is read
        # exactly) and a cell beyond the limits (then it is refused).
        self.cells = re.compile(
            rb'<c(?:[\t\n\r/>]| (?!r="[A-Z]{1,3}[1-9][0-9]{0,6}")| r="(?:'
            + _letters_above(limits.columns)
            + rb"|[A-Z]{1,3}"
            + _number_above(limits.rows)
            + rb"))"
        )

    def feed(self, data: bytes) -> None:
        if self.exact:
            return
        if self.first:
            self.first = False
            if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:256]:
                self.exact = True
                return
        data = self.carry + data
        cut = data.rfind(b">") + 1  # searched up to the last whole tag, the rest carried over
        self.carry = data[cut:]
        if (
            len(self.carry) > LONGEST_TAG
            or _PREFIXED_CELL.search(data, 0, cut)
            or _declaration(data, cut)
        ):
            self.exact = True
            return
        found = self.cells.search(data, 0, cut)
        if found is None:
            return
        if found.group().startswith(b'<c r="'):
            raise _too_far(self.limits)
        self.exact = True

    def close(self) -> None:
        if self.exact:
            with self.reopen() as stream:
                _ExactSheet(self.limits).read(stream)


class _ExactSheet:
    """Rows and cells as the reader places them: a cell's reference when it has one, else the
    next column (and a row's number, else the next row)."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.row = self.column = 0
        # Prefixes are not resolved: the reader goes by local names too, whatever the prefix.
        parser = expat.ParserCreate()
        parser.StartElementHandler = self.start
        parser.StartDoctypeDeclHandler = self.doctype
        self.parser = parser

    def read(self, stream) -> None:
        try:
            while data := stream.read(CHUNK):
                self.parser.Parse(data, False)
            self.parser.Parse(b"", True)
        except expat.ExpatError as e:
            raise reader.FileError(DAMAGED, reason=str(e)[:200]) from None

    def doctype(self, *args) -> None:
        raise reader.FileError(DAMAGED, reason="DOCTYPE")  # entities could expand without end

    def start(self, name: str, attributes: dict) -> None:
        local = _local(name)
        if local == "row":
            number = _attribute(attributes, "r")
            self.row = _whole(number) if number is not None else self.row + 1
            self.column = 0
        elif local == "c":
            reference = _attribute(attributes, "r")
            if reference is None:
                self.column += 1
            else:
                match = re.fullmatch(r"([A-Z]{1,3})([0-9]{1,7})", reference)
                if match is None:
                    raise reader.FileError(DAMAGED, reason=f"r={reference[:20]}")
                self.column, self.row = _column_number(match.group(1)), int(match.group(2))
            self.check(self.row, self.column)

    def check(self, row: int, column: int) -> None:
        if row > self.limits.rows or column > self.limits.columns:
            raise _too_far(self.limits)


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _attribute(attributes: dict, local: str) -> str | None:
    """An attribute by its local name, whatever its prefix."""
    for name, value in attributes.items():
        if _local(name) == local:
            return value
    return None


def _whole(value: str) -> int:
    if not value.isascii() or not value.isdigit() or len(value) > 7:
        raise reader.FileError(DAMAGED, reason=f"r={value[:20]}")
    return int(value)


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


# --- an OpenDocument spreadsheet ----------------------------------------------------------------


class OdsScan:
    """An .ods file's tables: a row or cell may say it repeats (number-rows-repeated="500000"),
    and the reader repeats it, except the empty ones at the end of a table. So the furthest row
    and column of a cell with something in it are followed, repeats counted."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.row = 0  # rows before the current one
        self.row_repeats = 1
        self.column = 0  # columns before the current cell
        self.cell: tuple[int, int] | None = None  # the open cell: (first column, repeats)
        parser = expat.ParserCreate()  # local names, whatever the prefix (see _ExactSheet)
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.StartDoctypeDeclHandler = self.doctype
        self.parser = parser

    def feed(self, data: bytes) -> None:
        try:
            self.parser.Parse(data, False)
        except expat.ExpatError as e:
            raise reader.FileError(DAMAGED, reason=str(e)[:200]) from None

    def close(self) -> None:
        try:
            self.parser.Parse(b"", True)
        except expat.ExpatError as e:
            raise reader.FileError(DAMAGED, reason=str(e)[:200]) from None

    def doctype(self, *args) -> None:
        raise reader.FileError(DAMAGED, reason="DOCTYPE")

    def start(self, name: str, attributes: dict) -> None:
        local = _local(name)
        if local == "table":
            self.row = 0
        elif local == "table-row":
            self.row_repeats = _repeats(_attribute(attributes, "number-rows-repeated"))
            self.column = 0
        elif local in ("table-cell", "covered-table-cell"):
            repeats = _repeats(_attribute(attributes, "number-columns-repeated"))
            self.cell = (self.column, repeats)
            self.column += repeats
            if _attribute(attributes, "value-type") is not None:
                self.filled()
        elif self.cell is not None:  # anything inside a cell (a paragraph of text) fills it
            self.filled()

    def filled(self) -> None:
        first, repeats = self.cell
        last_row = self.row + self.row_repeats
        last_column = first + repeats
        if last_row > self.limits.rows or last_column > self.limits.columns:
            raise _too_far(self.limits)

    def end(self, name: str) -> None:
        local = _local(name)
        if local in ("table-cell", "covered-table-cell"):
            self.cell = None
        elif local == "table-row":
            self.row += self.row_repeats
            self.row_repeats = 1


def _repeats(value: str | None) -> int:
    if value is None:
        return 1
    if not value.isascii() or not value.isdigit() or len(value) > 9:
        raise reader.FileError(DAMAGED, reason=f"repeated={value[:20]}")
    return max(int(value), 1)
