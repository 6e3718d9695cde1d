"""reports' background work, run by a Celery worker (config/celery.py; eager without a broker).

- `build_yearly_export`: the whole city's yearly report file a person asked for
  (reports.exports.yearly_export_build).
- `remove_old_yearly_exports`: hourly on Celery beat, the downloads older than a day go.
"""

from __future__ import annotations

from celery import shared_task

from reports import exports


@shared_task(ignore_result=True)
def build_yearly_export(export_id: str) -> str:
    """Write one queued export; its status on the row says how it went."""
    export = exports.yearly_export_build(export_id)
    return export.status if export else "skipped"


@shared_task(ignore_result=True)
def remove_old_yearly_exports() -> int:
    return exports.yearly_exports_remove_old()
