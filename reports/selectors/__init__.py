"""What the dashboards show: the city overview, a department's tree, and the at-risk list.

Every figure comes from `kpi.assessments.plan_years_attainment` (all plan years in
three queries), so the overview, the department page, the KPI page and the exports
agree. Each KPI's light is THE status (`kpi.assessments.status_of`): for the year in
progress its latest approved figure against its period's planned value, labelled with
that period; the at-risk list reads it too (behind = yellow or red, or a report overdue,
`common.dates.today()`). Who sees what comes from `kpi.access.department_ids_for`.

Each builder runs a fixed number of queries whatever the number of departments,
indicators and reports (pinned in tests/test_dashboards.py and tests/test_at_risk.py).

Split by page and job: `params` (plan, year, filters, departments in view), `charts`
(light counts and sparkline geometry), `pace` (the status as a list row), `at_risk`,
`overview` (the city) and `department` (one department's tree).
"""

from reports.selectors.at_risk import at_risk_page  # noqa: F401
from reports.selectors.charts import LIGHT_ORDER  # noqa: F401
from reports.selectors.department import department_page  # noqa: F401
from reports.selectors.overview import overview  # noqa: F401
from reports.selectors.params import (  # noqa: F401
    DIMENSION_CHOICES,
    Filters,
    filters_from,
    visible_department_plans,
)
