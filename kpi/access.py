"""Who may see and do what: one helper per object type.

Every view, form, API endpoint and export asks these helpers, so the rule for each
object type is written once (as healthchecks' `_get_check_for_user` and NetBox's
`RestrictedQuerySet.restrict`). The rules:

- Staff (填報人) report on the indicators of the departments they belong to.
- Reviewers (審核人) review their departments' reports; no one approves or returns a
  report they wrote (created, edited or submitted).
- The planning office (研考) sees and reviews every department, locks periods and
  reopens approved reports for correction.
- Under a plan of two review stages, the first review (初核) is the department's
  reviewers' and the second (研考複核) the planning office's; admins may take either, and
  no one takes both for the same report (`review_stage`, `can_review`).
- Admins (superusers) see everything and manage data in Django admin; they do not
  file reports, but may review (they are trusted with every department). Only they
  give accounts and roles (`can_manage_people`).
- Any member of a department sees that department's indicators and reports.
"""

from __future__ import annotations

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from kpi.models import Evidence, Indicator, ProgressReport, ReportAction, ReportEvent, ReportingPeriod, ReportStatus
from plans.models import Membership, Role

VIEW, REPORT, REVIEW = "view", "report", "review"
# Whoever did any of these to a report counts as one of its authors.
AUTHORING_ACTIONS = [
    ReportAction.CREATED,
    ReportAction.EDITED,
    ReportAction.SUBMITTED,
    ReportAction.RESUBMITTED,
    ReportAction.EVIDENCE_ADDED,
    ReportAction.EVIDENCE_REMOVED,
]


class _Scope:
    """A user's memberships, read once per user object (i.e. once per request)."""

    def __init__(self, user):
        self.everything_view = False
        self.everything_review = False
        self.is_planning_office = False
        self.departments: dict[str, set[int]] = {VIEW: set(), REPORT: set(), REVIEW: set()}
        if not user or not user.is_authenticated or not user.is_active:
            return
        if user.is_superuser:
            self.everything_view = self.everything_review = True
        for department_id, role in Membership.objects.filter(user=user).values_list("department_id", "role"):
            if role == Role.PLANNING_OFFICE:
                self.everything_view = self.everything_review = True
            elif role == Role.REPORTER:
                self.departments[VIEW].add(department_id)
                self.departments[REPORT].add(department_id)
            elif role == Role.REVIEWER:
                self.departments[VIEW].add(department_id)
                self.departments[REVIEW].add(department_id)
        self.is_planning_office = self.everything_review and not user.is_superuser

    def covers_all(self, action: str) -> bool:
        return (action == VIEW and self.everything_view) or (action == REVIEW and self.everything_review)


def scope(user) -> _Scope:
    cached = getattr(user, "_kpi_scope", None) if user is not None else None
    if cached is None:
        cached = _Scope(user)
        if user is not None:
            user._kpi_scope = cached
    return cached


def landing_url(user) -> str:
    """Where a person lands after signing in (unless `next=` says otherwise): the screen of
    their daily work. Admins → Django admin; the planning office → the dashboard (儀表板);
    reporters → 待填報 (which lists their reviews too, if they also review); reviewers → 審核;
    anyone else → the plan list."""
    s = scope(user)
    if not (user and user.is_authenticated and user.is_active):
        name = "kpi:home"
    elif user.is_superuser:
        name = "admin:index"
    elif s.is_planning_office:
        name = "reports:overview"
    elif s.departments[REPORT]:
        name = "kpi:my_updates"
    elif s.departments[REVIEW]:
        name = "kpi:review_queue"
    else:
        name = "kpi:home"
    return reverse(name)


def can_manage_periods(user) -> bool:
    return bool(
        user and user.is_authenticated and user.is_active and (user.is_superuser or scope(user).is_planning_office)
    )


def can_manage_people(user) -> bool:
    """Whether the user may import accounts and give roles in bulk (帳號匯入): admins only.

    Roles are data that admins edit (plans.Membership); a file that grants roles can also
    grant 研考 and 管理員, so letting the planning office import would let it make itself an
    administrator. The planning office sends admins its lists instead."""
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


def can_confirm_plans(user) -> bool:
    """Whether the user confirms planned values per period (核定分期預定值): the planning office or an admin."""
    return can_manage_periods(user)


def can_load_plans(user) -> bool:
    """Whether the user downloads and loads departments' plans as workbooks (中程施政計畫工作簿):
    who confirms plans, i.e. the planning office or an admin. A department's own staff propose
    planned values (`can_plan`), but the plan's structure and targets are the planning office's."""
    return can_confirm_plans(user)


def can_plan(user, department_id: int) -> bool:
    """Whether the user may save a department's planned values: its reporters (who propose),
    the planning office and admins. Reviewers see the plan but do not write it."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return can_confirm_plans(user) or department_id in scope(user).departments[REPORT]


def can_view_department(user, department_id: int) -> bool:
    ids = department_ids_for(user, VIEW)
    return bool(user and user.is_authenticated) and (ids is None or department_id in ids)


def department_viewers(department_id: int) -> Q:
    """`can_view_department` as a condition on users, for choosing many people in one query:
    admins, the planning office, and the department's reporters and reviewers (`_Scope`)."""
    memberships = Membership.objects.filter(
        Q(role=Role.PLANNING_OFFICE) | Q(department_id=department_id, role__in=[Role.REPORTER, Role.REVIEWER])
    ).values("user_id")
    return Q(is_superuser=True) | Q(pk__in=memberships)


def department_ids_for(user, action: str = VIEW) -> set[int] | None:
    """The departments the user may act on; None means every department."""
    s = scope(user)
    if s.covers_all(action):
        return None
    return s.departments[action]


def indicators_for(user, action: str = VIEW) -> QuerySet[Indicator]:
    qs = Indicator.objects.select_related(
        "department_plan__department", "department_plan__plan", "objective", "common_goal"
    )
    ids = department_ids_for(user, action)
    return qs if ids is None else qs.filter(department_plan__department_id__in=ids)


def reports_for(user, action: str = VIEW) -> QuerySet[ProgressReport]:
    qs = ProgressReport.objects.select_related(
        "indicator__department_plan__department", "indicator__objective", "indicator__common_goal", "period"
    )
    ids = department_ids_for(user, action)
    return qs if ids is None else qs.filter(indicator__department_plan__department_id__in=ids)


def evidence_for(user) -> QuerySet[Evidence]:
    ids = department_ids_for(user, VIEW)
    qs = Evidence.objects.select_related("report__indicator__department_plan")
    return qs if ids is None else qs.filter(report__indicator__department_plan__department_id__in=ids)


def periods_for(user) -> QuerySet[ReportingPeriod]:
    """Periods are plan-wide facts that any signed-in user may read; locking is separate."""
    return ReportingPeriod.objects.select_related("plan")


def can_report(user, indicator: Indicator) -> bool:
    return can_report_department(user, indicator.department_plan.department_id)


def can_report_department(user, department_id: int) -> bool:
    """Whether the user reports for the department (its reporters only: the grid, the form, the import)."""
    return department_id in scope(user).departments[REPORT]


def authored_by(user) -> Q:
    """The rule "who wrote this report", as a condition on ProgressReport: whoever created,
    edited, submitted it, or added or removed its evidence. The review queue, the
    navigation's counts, the KPI page and the review services all use it."""
    authoring = ReportEvent.objects.filter(report=OuterRef("pk"), actor=user, action__in=AUTHORING_ACTIONS)
    return Q(created_by=user) | Q(updated_by=user) | Q(submitted_by=user) | Q(Exists(authoring))


def _authored_name(user) -> str:
    # Per user, so that a report annotated for one person never answers for another.
    return f"authored_by_user_{user.pk}"


def with_authorship(queryset: QuerySet[ProgressReport], user) -> QuerySet[ProgressReport]:
    """`queryset` annotated with whether `user` wrote each report (the rule above), in the
    same query; `is_author(user, report)` then reads the annotation instead of asking."""
    if not (user and user.is_authenticated):
        return queryset
    return queryset.annotate(
        **{_authored_name(user): ExpressionWrapper(authored_by(user), output_field=BooleanField())}
    )


def is_author(user, report: ProgressReport) -> bool:
    """Whether the user wrote the report (`authored_by`)."""
    if not (user and user.is_authenticated):
        return False
    annotated = getattr(report, _authored_name(user), None)
    if annotated is not None:
        return bool(annotated)
    return ProgressReport.objects.filter(pk=report.pk).filter(authored_by(user)).exists()


def can_reopen(user) -> bool:
    """Whether the user may reopen an approved report for correction (撤銷核定／更正)."""
    return can_manage_periods(user)


FIRST, SECOND = 1, 2


def review_stage(report: ProgressReport) -> int | None:
    """The review a report waits for: FIRST (審核, or 初核 under two stages), SECOND
    (研考複核), or None when it waits for no review."""
    if report.status == ReportStatus.SUBMITTED:
        return FIRST
    if report.status == ReportStatus.FIRST_APPROVED:
        return SECOND
    return None


def at_stage(stage: int) -> Q:
    """`review_stage` as a condition on ProgressReport: the reports waiting for `stage`."""
    return Q(status=ReportStatus.FIRST_APPROVED) if stage == SECOND else Q(status=ReportStatus.SUBMITTED)


def _may_review_at(s: _Scope, user, department_id: int, stages: int, stage: int) -> bool:
    if stages == 1:
        return s.covers_all(REVIEW) or department_id in s.departments[REVIEW]
    if stage == FIRST:
        return bool(user.is_superuser) or department_id in s.departments[REVIEW]
    return s.covers_all(REVIEW)


def can_review(user, report: ProgressReport) -> bool:
    """Whether the user may approve or return the report at the stage it waits for (the
    first stage when it waits for none): in scope for that stage, not one of its authors,
    and not its first reviewer when it waits for the second."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    stage = review_stage(report) or FIRST
    department_id = report.indicator.department_plan.department_id
    if not _may_review_at(scope(user), user, department_id, report.review_stages, stage):
        return False
    if stage == SECOND and report.first_reviewed_by_id == user.pk:
        return False
    return not is_author(user, report)


def review_refusal(user, report: ProgressReport) -> str:
    """Why `can_review` says no, in words for the person refused."""
    if review_stage(report) == SECOND:
        return _("The second review is the planning office's.")
    if report.review_stages == 2:
        return _("The first review is the department reviewers'.")
    return _("You may not review this indicator.")


def reviewable(user) -> Q:
    """The reports waiting for a review the user may give, as a condition on ProgressReport
    (authorship aside: the queue keeps the user's own reports apart, see kpi.queues)."""
    nothing = Q(pk__in=[])
    if not (user and user.is_authenticated and user.is_active):
        return nothing
    s = scope(user)
    mine = Q(indicator__department_plan__department_id__in=s.departments[REVIEW])
    one_stage = Q(review_stages=1, status=ReportStatus.SUBMITTED)
    first = Q(review_stages=2, status=ReportStatus.SUBMITTED)
    second = Q(status=ReportStatus.FIRST_APPROVED) & ~Q(first_reviewed_by=user)
    condition = nothing
    if s.departments[REVIEW]:
        condition |= (one_stage | first) & mine
    if s.covers_all(REVIEW):
        condition |= one_stage | second
    if user.is_superuser:
        condition |= first
    return condition
