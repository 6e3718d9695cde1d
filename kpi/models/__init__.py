"""kpi's models, split by domain: indicators and targets; progress reporting."""

from kpi.models.assessments import StoredAssessment  # noqa: F401,E402
from kpi.models.indicators import (  # noqa: F401
    COUNT_UNITS,
    Accrual,
    Direction,
    EvaluationArrangement,
    EvaluationMethod,
    Indicator,
    IndicatorKind,
    PlannedStatus,
    PlannedValue,
    TargetProposal,
    TargetRevision,
    Unit,
    YearlyTarget,
)
from kpi.models.notifications import (  # noqa: F401
    EmailChoice,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from kpi.models.page_versions import PageVersion  # noqa: F401
from kpi.models.reporting import (  # noqa: F401
    IN_REVIEW,
    UNFINISHED,
    Evidence,
    PeriodAction,
    PeriodEvent,
    ProgressReport,
    ReportAction,
    ReportCorrection,
    ReportEvent,
    ReportingPeriod,
    ReportStatus,
)
