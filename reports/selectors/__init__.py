"""What the dashboards show: the city overview, a department's tree, and the at-risk list.

Every figure comes from `kpi.assessments.plan_years_attainment` (all plan years in
three queries), so the overview, the department page, the KPI page and the exports
agree. Pace ("is this KPI keeping up with its target this year?") follows
`kpi.attainment.is_behind_pace` and `kpi.assessments.period_target`, judged against the
share of the year covered by the periods whose reports are already due
(`common.dates.today()`). Who sees what comes from `kpi.access.department_ids_for`.

Each builder runs a fixed number of queries whatever the number of departments,
indicators and reports (pinned in tests/test_dashboards.py and tests/test_at_risk.py).

Split by page and job: `params` (plan, year, filters, departments in view), `charts`
(light counts and sparkline geometry), `pace` (keeping up this year), `at_risk`,
`overview` (the city) and `department` (one department's tree).
"""

from reports.selectors.at_risk import at_risk_page  # noqa: F401
from reports.selectors.charts import LIGHT_ORDER  # noqa: F401
from reports.selectors.department import department_page  # noqa: F401
from reports.selectors.overview import overview  # noqa: F401
from reports.selectors.params import (  # noqa: F401
    DIMENSION_CHOICES,
    Filters,
    current_plan,
    filters_from,
    visible_department_plans,
)
