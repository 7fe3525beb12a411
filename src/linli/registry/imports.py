"""Register import and export 户籍导入导出 — the services behind the upload page, the API-less
CLI (`linli import-registry`, `linli export-registry`, `linli registry template`) and the job.

An import is handed in (`import_start`: the file is kept with its hash, a `RegistryImport` row
records options and progress) and then run (`import_run`), by the background job for the pages or
in the same process for the command line. Running is all-or-nothing unless the import asked for
the valid households only; a trial run checks and counts, then rolls everything back.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from linli.core import audit, bulk, context, jobs, timeline
from linli.core.choices import AuditAction, AuditOutcome
from linli.core.forked import Forked
from linli.core.lookups import starts_with
from linli.core.models import Area
from linli.core.scoping import covers

from .choices import ImportStatus
from .importing import limits, normalise, reader, validate, workbooks
from .importing.export import export_rows
from .importing.writer import names_pinyin, remember_pinyin, write_households
from .models import Household, RegistryImport, Tag

ACCEPTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
MAX_IMPORT_BYTES = 50 * 1024 * 1024
MAX_STORED_ERRORS = 50_000  # the page and the report show these; the count is always exact
FORK_FROM_ROWS = 5000  # below this, starting a second process costs more than it saves


def imports_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_path(registry_import: RegistryImport) -> Path:
    return imports_dir() / registry_import.stored_name


def render_error(error: validate.RowError) -> str:
    return timeline.render(error.message, error.params)


def ignored_columns_text(registry_import: RegistryImport) -> str:
    """The columns the import did not read, for the page and the command line:
    "备注（N 列）、手机（J 列）", or "" when it read them all."""
    return "、".join(
        _("%(header)s (column %(letter)s)") % {"header": header or _("no header"), "letter": letter}
        for header, letter in registry_import.ignored_columns
    )


def _may_import(actor) -> bool:
    return actor is None or bool(actor.scope_paths("registry.import"))


# --- handing a file in ------------------------------------------------------------------------


def _check_file(file_name: str, size: int) -> None:
    if not file_name.lower().endswith(ACCEPTED_SUFFIXES):
        raise ValidationError(
            {"file": _("Please choose an Excel workbook (.xlsx, .xls) or an .ods file.")}
        )
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    if size > MAX_IMPORT_BYTES:
        raise ValidationError(
            {"file": _("The file is larger than %(mb)s MB; split it by village.") % {"mb": 50}}
        )


def _check_package(path: Path) -> None:
    """The limits that need nothing unpacked (the zip's directory, an .xls file's size), at
    once; the rest when the import runs, before the file is read."""
    try:
        limits.check_package(path)
    except reader.FileError as e:
        raise ValidationError({"file": timeline.render(e.message, e.params)}) from None


def _store(source, suffix: str) -> tuple[str, str, int]:
    """Copy the upload into the imports folder; returns (stored name, sha256, size)."""
    name = f"{uuid.uuid4().hex}{suffix}"
    digest, size = hashlib.sha256(), 0
    with open(imports_dir() / name, "wb") as out:
        chunks = (
            source.chunks()
            if hasattr(source, "chunks")
            else iter(lambda: source.read(1 << 20), b"")
        )
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return name, digest.hexdigest(), size


def import_start(
    *, actor, source, file_name: str, valid_only: bool = False, dry_run: bool = False, queue=True
) -> RegistryImport:
    """Keep the file and record the import; with `queue`, the background job runs it after
    commit. `source` is an uploaded file or an open binary file."""
    if not _may_import(actor):
        raise PermissionDenied
    file_name = Path(file_name).name[:200]
    size = getattr(source, "size", None)
    _check_file(file_name, 1 if size is None else size)
    stored, sha256, size = _store(source, Path(file_name).suffix.lower())
    try:
        _check_file(file_name, size)
        _check_package(imports_dir() / stored)
    except ValidationError:
        (imports_dir() / stored).unlink(missing_ok=True)
        raise
    where = context.current()
    with transaction.atomic():
        registry_import = RegistryImport.objects.create(
            file_name=file_name,
            file_sha256=sha256,
            file_size=size,
            stored_name=stored,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            channel=where.channel,
            address=where.address,
            valid_only=valid_only,
            dry_run=dry_run,
        )
        if queue:
            from .tasks import run_registry_import

            jobs.enqueue_on_commit(run_registry_import, registry_import.pk)
    return registry_import


# --- running it -------------------------------------------------------------------------------


def _progress(pk: int):
    def report(rows_done: int, errors: int) -> None:
        RegistryImport.objects.filter(pk=pk).update(rows_done=rows_done, error_count=errors)

    return report


def _set(registry_import: RegistryImport, **fields) -> None:
    for name, value in fields.items():
        setattr(registry_import, name, value)
    RegistryImport.objects.filter(pk=registry_import.pk).update(**fields)


def _claim(pk: int) -> RegistryImport | None:
    """Move a waiting import to 'checking'; None if it is not waiting (already run or running):
    running the job twice has the effect of running it once."""
    claimed = RegistryImport.objects.filter(pk=pk, status=ImportStatus.QUEUED).update(
        status=ImportStatus.CHECKING, started_at=timezone.now()
    )
    return RegistryImport.objects.select_related("created_by").get(pk=pk) if claimed else None


def import_run(*, import_id: int, progress=None) -> RegistryImport:
    """Check and (unless refused or a trial) write one import. `progress(rows, total, errors)`
    is called as rows are checked, besides the progress kept on the import's row."""
    registry_import = _claim(import_id)
    if registry_import is None:
        return RegistryImport.objects.get(pk=import_id)
    source = _("import #%(id)s %(file)s") % {
        "id": registry_import.pk,
        "file": registry_import.file_name,
    }
    with context.acting(
        channel=registry_import.channel, address=registry_import.address, source=source[:200]
    ):
        try:
            with bulk.collector_paused():
                _run(registry_import, source, progress)
        except reader.FileError as e:
            _finish(
                registry_import,
                ImportStatus.FAILED,
                failure={"message": e.message, "params": e.params},
            )
        except Exception:
            _finish(
                registry_import,
                ImportStatus.FAILED,
                failure={
                    "message": gettext_noop(
                        "The import stopped on an unexpected error; nothing was changed."
                    ),
                    "params": {},
                },
            )
            raise
    return registry_import


def _run(registry_import: RegistryImport, source: str, progress) -> None:
    sheet = reader.read_workbook(stored_path(registry_import))
    _set(registry_import, rows_total=len(sheet.rows), ignored_columns=sheet.ignored_columns)
    report = _progress(registry_import.pk)

    def both(rows: int, errors: int) -> None:
        report(rows, errors)
        if progress:
            progress(rows, len(sheet.rows), errors)

    # The new residents' pinyin is worked out on the second core while the rows are checked.
    with Forked(_names_pinyin, sheet, fork=len(sheet.rows) >= FORK_FROM_ROWS) as ahead:
        checked = validate.check_sheet(sheet, user=registry_import.created_by, progress=both)
        if not checked.errors or registry_import.valid_only:
            remember_pinyin(ahead.result())
    _set(
        registry_import,
        rows_done=checked.rows,
        error_count=len(checked.errors),
        households_total=checked.households,
        households_skipped=len(checked.bad_households - {""}),
        errors=[e.as_list() for e in checked.errors[:MAX_STORED_ERRORS]],
    )
    if checked.errors and not registry_import.valid_only:
        _finish(registry_import, ImportStatus.REJECTED)
        return
    _set(registry_import, status=ImportStatus.WRITING)
    summary = _write(registry_import, checked, source)
    status = ImportStatus.CHECKED if registry_import.dry_run else ImportStatus.DONE
    _finish(registry_import, status, summary=summary)


def _names_pinyin(sheet: reader.Sheet) -> dict[str, tuple[str, str]]:
    index = sheet.positions["name"]
    return names_pinyin(
        normalise.name(cells[index]) for _number, cells in sheet.rows if index < len(cells)
    )


def _write(registry_import: RegistryImport, checked: validate.Checked, source: str) -> dict:
    with transaction.atomic():
        summary = write_households(
            checked.records,
            actor=registry_import.created_by,
            source=source,
            source_hash=registry_import.file_sha256,
            snapshot=checked.snapshot,
        )
        if registry_import.dry_run:
            transaction.set_rollback(True)
    return summary.as_dict()


def _finish(registry_import: RegistryImport, status: str, **fields) -> None:
    _set(registry_import, status=status, finished_at=timezone.now(), **fields)
    if status in (ImportStatus.REJECTED, ImportStatus.FAILED):
        audit.record(
            action=AuditAction.IMPORT,
            actor=registry_import.created_by,
            obj=registry_import,
            outcome=AuditOutcome.FAILURE,
            changes={
                "errors": registry_import.error_count,
                "file_sha256": registry_import.file_sha256,
            },
        )


def import_error_report(*, registry_import: RegistryImport, target) -> None:
    """The handed-in rows with an error column, in the reader's language."""
    sheet = reader.read_workbook(stored_path(registry_import))
    errors = [validate.RowError.from_list(e) for e in registry_import.errors]
    workbooks.write_error_report(target, sheet, errors, render_error)


# --- template and export ----------------------------------------------------------------------


def registry_template(*, target) -> None:
    workbooks.write_template(target, tags=Tag.objects.filter(active=True))


def _covers(actor, area: Area, perm: str) -> bool:
    """`actor` None is the operator at the command line, whom nothing restricts."""
    return actor is None or covers(actor, area, perm)


FULL_EXPORT_REASON_MIN = 4  # characters, e.g. 年度核查


def full_export_reason(*, actor, area: Area, reason: str) -> str:
    """The stated reason for an export with the full ID and mobile numbers 明文导出, checked:
    only who may reveal over `area` may make one (PermissionDenied otherwise), and only with a
    reason of some substance (ValidationError naming the field). Exports of other modules that
    carry numbers (the households not visited) ask the same."""
    if not _covers(actor, area, "registry.reveal"):
        raise PermissionDenied
    reason = (reason or "").strip()
    if len(reason) < FULL_EXPORT_REASON_MIN:
        raise ValidationError(
            {
                "reason": _(
                    "Please state why the export needs the full ID and mobile numbers "
                    "(at least %(count)s characters)."
                )
                % {"count": FULL_EXPORT_REASON_MIN}
            }
        )
    return reason


def registry_export(
    *,
    actor,
    area: Area,
    households=None,
    target,
    filters: dict | None = None,
    reveal: bool = False,
    reason: str = "",
) -> int:
    """Write the households under `area` (optionally a filtered queryset of them) to `target`,
    with ID and mobile numbers masked and sensitive tags left out — recorded as an export with
    its row count. With `reveal` and a stated `reason` (see `full_export_reason`), the full
    numbers go out instead, recorded as a reveal with that reason and the row count."""
    if not _covers(actor, area, "registry.export"):
        raise PermissionDenied
    if reveal:
        reason = full_export_reason(actor=actor, area=area, reason=reason)
    base = (
        Household.objects.restrict(actor, "view") if actor is not None else Household.objects.all()
    )
    queryset = (households if households is not None else base).filter(
        starts_with("area__path", area.path)
    )
    big = queryset.count() > 2000
    rows = workbooks.write_rows(target, export_rows(queryset, reveal=reveal), big=big)
    audit.record(
        action=AuditAction.REVEAL if reveal else AuditAction.EXPORT,
        actor=actor,
        obj=area,
        reason=reason if reveal else "",
        changes={
            "export": "registry",
            "rows": rows,
            "masked": not reveal,
            "filters": filters or {},
        },
    )
    return rows
