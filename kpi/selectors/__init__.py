"""Read helpers for the KPI page and the report form, split by job.

`indicator_page` builds the page (the indicator, its years, periods, reports and
charts), `timeline` its record of changes, `display` a report's fields as people read
them. Each runs a fixed number of queries (pinned in tests/test_indicator_page.py).
"""

from kpi.selectors.display import (  # noqa: F401
    format_amount,
    format_field,
    format_inputs,
    format_number,
    stage_label,
    status_label,
)
from kpi.selectors.indicator_page import (  # noqa: F401
    active_evidence,
    default_year,
    indicator_charts,
    indicator_page,
    indicator_queryset,
    load_report,
    load_reports,
    page_viewer,
    reports_query,
    reviewable_report_ids,
    targets_by_year,
    targets_prefetch,
    year_from_param,
)
