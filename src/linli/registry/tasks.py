"""Background jobs of the registry."""

from __future__ import annotations

from django_tasks import task


@task()
def run_registry_import(import_id: int) -> dict:
    """Check and write one handed-in register workbook (登记导入). The job's result says how
    it ended and which of the file's columns it did not read; the import's own record says
    everything."""
    from .imports import import_run

    result = import_run(import_id=import_id)
    return {
        "status": result.status,
        "errors": result.error_count,
        "ignored_columns": result.ignored_columns,
    }
