"""Writes that carry rules, split by job (as pretix splits `base/services/`).

Forms, admin, the API, importers and the seeder call these, so each rule is written
once: `targets` (yearly targets and their revisions), `periods` (reporting periods and
locks), `reports` (validation, save, submit, review), `report_batches` (many reports at
once, all or none: the department's grid, and the import written in bulk), `evidence` (files and links),
`comments` (a report's conversation), `notifications` (who hears of what, and the
inbox), `planning` (planned values per period: propose, confirm), `rollover` (the
next plan period from the previous plan's structure; target proposals accepted) and
`plan_workbooks` (a department's plan loaded from a workbook, all or nothing; imported
from its module, not re-exported here, as it reads the workbook with `kpi.resources`,
which uses these).
The assessment of a figure (達成度, lights, what a period should reach) is not a write:
it lives in `kpi.assessments`, on top of the framework-free `kpi.attainment`.
"""

from kpi.services.comments import comments_of, report_comment  # noqa: F401
from kpi.services.evidence import (  # noqa: F401
    EVIDENCE_SIGNATURES,
    VIEWABLE_TYPES,
    EvidenceAudit,
    evidence_add,
    evidence_audit,
    evidence_delete_orphan_files,
    evidence_discard_uncommitted,
    evidence_remove,
    file_digest,
    sniff,
    storage_refusal,
    validate_evidence_file,
)
from kpi.services.notifications import (  # noqa: F401
    notification_mark_read,
    notifications_mark_all_read,
    notify,
    preference_set,
)
from kpi.services.periods import (  # noqa: F401
    UnfinishedReports,
    period_lock,
    period_unlock,
    periods_ensure,
    unfinished_reports,
)
from kpi.services.planning import (  # noqa: F401
    PlanningResult,
    cell_key,
    planned_values_confirm,
    planned_values_save,
)
from kpi.services.report_batches import (  # noqa: F401
    BatchRefused,
    BatchResult,
    BatchRow,
    ReportWrite,
    WritesRefused,
    has_figure,
    reports_save_many,
    reports_write,
)
from kpi.services.reports import (  # noqa: F401
    EDITABLE_STATUSES,
    FIELD_LABELS,
    REPORT_FIELDS,
    CleanReport,
    ConflictError,
    ManyRefused,
    check_report_open,
    locked_message,
    not_open_message,
    period_has_opened,
    report_approve,
    report_clean,
    report_reopen,
    report_return,
    report_save,
    report_submit,
    reports_approve,
    validate_actual,
)
from kpi.services.rollover import (  # noqa: F401
    RolloverResult,
    plan_rollover,
    target_proposals_accept,
)
from kpi.services.targets import (  # noqa: F401
    NEW_TARGET_REASON,
    parse_decimal,
    reason_required,
    target_set,
    validate_target_value,
    validate_target_year,
)
