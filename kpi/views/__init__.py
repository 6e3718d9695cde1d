"""kpi's views, split by page family: the plan's pages; an indicator and its reports; work queues and periods."""

from kpi.views.grid import report_grid  # noqa: F401
from kpi.views.imports import report_import, report_import_template  # noqa: F401
from kpi.views.inbox import inbox, inbox_read, inbox_read_all, notification_settings, report_comment  # noqa: F401
from kpi.views.people import user_import, user_import_template  # noqa: F401
from kpi.views.plan_workbooks import (  # noqa: F401
    plan_workbook_confirm,
    plan_workbook_download,
    plan_workbook_import,
    plan_workbook_template,
)
from kpi.views.planning import planning_index, planning_screen  # noqa: F401
from kpi.views.plans import department_plan_detail, home  # noqa: F401
from kpi.views.queues import my_updates, period_list, period_lock, period_unlock, review_queue  # noqa: F401
from kpi.views.reporting import (  # noqa: F401
    evidence_add,
    evidence_download,
    evidence_remove,
    evidence_view,
    indicator_detail,
    report_form,
)
from kpi.views.review import report_reopen, report_review, review_bulk  # noqa: F401
