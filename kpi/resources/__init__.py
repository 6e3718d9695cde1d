"""The indicator workbook of Django admin (django-import-export), split by job: `columns`
(the zh-Hant headers and cell readers), `fields` (widgets and fields) and `indicators`
(the resource: validation, planned values, the record of changes)."""

from kpi.resources.columns import plain_number  # noqa: F401
from kpi.resources.indicators import IndicatorResource  # noqa: F401
