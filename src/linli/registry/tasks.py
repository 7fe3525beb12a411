"""Background jobs of the registry."""

from __future__ import annotations

from django_tasks import task


@task()
def run_registry_import(import_id: int) -> None:
    """Check and write one handed-in register workbook (登记导入)."""
    from .imports import import_run

    import_run(import_id=import_id)
