"""Query-parameter filters of the reporting endpoints (explicit fields; bad values are a 400).

The fields themselves (ids, ROC years, booleans, choices) are `common.api.filters`.
"""

from __future__ import annotations

import django_filters

from common.api.filters import boolean_filter, choice_filter, id_filter, year_filter
from kpi.models import ProgressReport, ReportingPeriod, ReportStatus
from plans.models import ReportingFrequency

# --- FilterSets ----------------------------------------------------------------------------


class PeriodFilter(django_filters.FilterSet):
    plan = id_filter("plan_id", "Plan id.")
    year = year_filter("year")
    locked = boolean_filter("is_locked", "true: locked periods only; false: open ones only.")
    frequency = choice_filter("frequency", ReportingFrequency.choices, "Reporting frequency.")

    class Meta:
        model = ReportingPeriod
        fields = ["plan", "year", "locked", "frequency"]


class ReportFilter(django_filters.FilterSet):
    plan = id_filter("period__plan_id", "Plan id.")
    indicator = id_filter("indicator_id", "Indicator id.")
    department = id_filter("indicator__department_plan__department_id", "Department id.")
    year = year_filter("period__year", "ROC year of the period, e.g. 112.")
    period = id_filter("period_id", "Reporting period id.")
    status = choice_filter("status", ReportStatus.choices, "Report status.")

    class Meta:
        model = ProgressReport
        fields = ["plan", "indicator", "department", "year", "period", "status"]
