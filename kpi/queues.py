"""Work queues: what a person has to report, fix and review — in a fixed number of queries.

The "My updates" page (待填報), the review queue (審核), the counts in the navigation
and the reminder e-mails all read `work_for(user)`, so they always agree.

When a report is due (the rule)
-------------------------------
Reports are year-to-date, so within a year the latest report supersedes the earlier
ones: nobody needs to file Q1 once Q2 is open.

- A period *opens* for reporting `OPENS_DAYS_BEFORE_END` (14) days before it ends
  (year-to-date figures are filed once the period is nearly over) and stays open until
  the planning office locks it. Its due date is the plan's `report_due_days` after it
  ends (`ReportingPeriod.due_date`).
- For each plan and year, the period to report on is the *latest period that has
  opened*; if that period is locked, nothing is asked for that year. Only the current
  ROC year and the previous one are considered (the year-end report of last year is
  filed in January and stays on the list until the planning office locks it).
- An indicator the user may report on needs a report for that period unless its
  report there is submitted or approved. No report yet, or a draft, is
  **due** (即將到期) while today ≤ due date, and **overdue** (逾期未填報) after it.
- A **returned** report (退回待修正) is listed with the reviewer's comment until it is
  resubmitted. One in a locked period is still listed, marked locked (已鎖定), but not
  counted as work: only the planning office can unlock it. A report reopened for
  correction (更正) is work even in a locked period.
- **Waiting for review** (待我審核): reports waiting for a review the user may give
  (`access.reviewable`: 審核 or 初核 at the first stage, 研考複核 at the second), minus
  the ones they wrote (the rule `access.authored_by`, evaluated in SQL). Reports they
  wrote are kept apart (`own_awaiting`) so the review queue can say they need someone
  else; ones in a locked period are kept apart too (`locked_review`), marked locked.
- Reminders (`send_reminders --days N`) send what is due within N days, everything
  overdue, returned, and waiting for review.

The review queue page does not load every waiting report (a city-wide reviewer may have
thousands): it counts them (`review_counts`, the same query as the navigation's badge),
fetches one page in the database (`review_page`), the filters' choices (`review_choices`)
and, only when there are any, the reports kept apart (`review_aside`), each narrowed by a
`ReviewFilter` (department, year, period, stage).

Queries: the memberships (once per user object, see `access.scope`), the reportable
indicators, the periods, the reports for those periods, and the reports to review — at
most five, however many indicators, periods and reports there are, and fewer for someone
without a reporting or review role. Nothing is written: a plan's periods exist from the
plan's creation (kpi.signals).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import BooleanField, Case, Count, ExpressionWrapper, F, Q, Value, When

from common import dates
from common.years import to_roc
from kpi import access, nav_counts
from kpi.models import (
    IN_REVIEW,
    Indicator,
    IndicatorKind,
    ProgressReport,
    ReportingPeriod,
    ReportStatus,
)
from plans.models import Department

OPENS_DAYS_BEFORE_END = 14

OVERDUE, DUE = "overdue", "due"


def opens_on(period: ReportingPeriod) -> datetime.date:
    """The first day reports may be filed for the period."""
    return period.end_date - datetime.timedelta(days=OPENS_DAYS_BEFORE_END)


class PeriodState:
    LOCKED = "locked"
    NOT_OPEN = "not_open"
    OPEN = "open"
    PAST_DUE = "past_due"


def period_state(period: ReportingPeriod, today: datetime.date) -> str:
    """Locked; not yet open; open (until the due date); or past its due date but still open."""
    if period.is_locked:
        return PeriodState.LOCKED
    if today < opens_on(period):
        return PeriodState.NOT_OPEN
    if today <= period.due_date:
        return PeriodState.OPEN
    return PeriodState.PAST_DUE


def indicator_sort_key(indicator: Indicator) -> tuple:
    parent = indicator.objective if indicator.kind == IndicatorKind.KPI else indicator.common_goal
    return (
        indicator.department_plan.department.name,
        indicator.kind != IndicatorKind.KPI,
        parent.number if parent else 0,
        indicator.number,
    )


@dataclass(frozen=True)
class ReportItem:
    """One indicator that needs a report for one period: none yet, or only a draft."""

    indicator: Indicator
    period: ReportingPeriod
    report: ProgressReport | None
    today: datetime.date

    @property
    def state(self) -> str:
        return OVERDUE if self.today > self.period.due_date else DUE

    @property
    def is_overdue(self) -> bool:
        return self.state == OVERDUE

    @property
    def days_left(self) -> int:
        """Days until the due date (0 on the day); negative once overdue."""
        return (self.period.due_date - self.today).days

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left)

    @property
    def is_draft(self) -> bool:
        return self.report is not None


@dataclass
class Work:
    """A person's work items on one day. Lists are ordered for display."""

    today: datetime.date
    can_report: bool = False
    can_review: bool = False
    indicator_count: int = 0  # indicators the user may report on
    overdue: list[ReportItem] = field(default_factory=list)
    due: list[ReportItem] = field(default_factory=list)
    returned: list[ProgressReport] = field(default_factory=list)
    returned_locked: list[ProgressReport] = field(default_factory=list)  # returned, in a locked period
    submitted: list[ProgressReport] = field(default_factory=list)  # theirs to report on, awaiting review
    to_review: list[ProgressReport] = field(default_factory=list)  # first stage (審核 / 初核) and second (研考複核)
    locked_review: list[ProgressReport] = field(default_factory=list)  # waiting, in a locked period
    own_awaiting: list[ProgressReport] = field(default_factory=list)  # in their review scope, but they wrote it
    can_second_review: bool = False  # the planning office or an admin (研考複核 under two stages)
    # Set instead of the lists above when only the counts were asked for.
    review_counts: ReviewCounts | None = None
    report_count: int | None = None

    @property
    def to_report_count(self) -> int:
        """What the navigation's 待填報 badge shows: overdue + due + returned (that can be fixed)."""
        if self.report_count is not None:
            return self.report_count
        return len(self.overdue) + len(self.due) + len(self.returned)

    def stage_count(self, stage: int) -> int:
        if self.review_counts is not None:
            return self.review_counts.stage(stage)
        return sum(1 for r in self.to_review if access.review_stage(r) == stage)

    @property
    def first_review_count(self) -> int:
        return self.stage_count(access.FIRST)

    @property
    def second_review_count(self) -> int:
        return self.stage_count(access.SECOND)

    @property
    def to_review_count(self) -> int:
        return self.first_review_count + self.second_review_count

    @property
    def is_empty(self) -> bool:
        return not (self.to_report_count or self.to_review_count)

    def due_within(self, days: int) -> list[ReportItem]:
        """Items not yet overdue whose due date is at most `days` days away."""
        return [item for item in self.due if item.days_left <= days]


def _current_periods(plan_ids: set[int], today: datetime.date) -> list[ReportingPeriod]:
    """Per plan and year (this ROC year and the last), the latest period that has opened, if unlocked."""
    if not plan_ids:
        return []
    this_year = to_roc(today.year)
    years = (this_year - 1, this_year)
    periods = list(
        ReportingPeriod.objects.filter(
            plan_id__in=plan_ids, year__in=years, frequency=F("plan__reporting_frequency")
        ).select_related("plan")
    )
    return _current_periods_from(periods, today)


def open_periods(plan_ids: set[int], today: datetime.date) -> list[ReportingPeriod]:
    """The periods to report on now (the rule above), per plan and year: what the grid offers."""
    return _current_periods(plan_ids, today)


def _current_periods_from(periods, today: datetime.date) -> list[ReportingPeriod]:
    latest: dict[tuple[int, int], ReportingPeriod] = {}
    for period in periods:
        if opens_on(period) > today:
            continue
        key = (period.plan_id, period.year)
        if key not in latest or period.number > latest[key].number:
            latest[key] = period
    return [p for p in latest.values() if not p.is_locked]


def actionable() -> Q:
    """Reports that may still change: in an unlocked period, or reopened for correction."""
    return Q(period__is_locked=False) | Q(correcting=True)


def to_review_now(user) -> Q:
    """Among the reports waiting for a review the user may give (`access.reviewable`), the
    ones they may give it to now: not written by them, and not in a locked period (unless
    reopened for correction). The navigation's badge, the review queue's rows and its
    totals all use it (`review_counts`, `review_page`)."""
    return actionable() & ~access.authored_by(user)


@dataclass(frozen=True)
class ReviewFilter:
    """What the review queue is narrowed to: a department (機關), a year (年度), a period
    (期間) and a stage (審核階段); None leaves a dimension open."""

    department: int | None = None
    year: int | None = None
    period: int | None = None
    stage: int | None = None

    @property
    def is_narrowed(self) -> bool:
        return any(v is not None for v in (self.department, self.year, self.period, self.stage))

    def condition(self) -> Q:
        condition = Q()
        if self.department is not None:
            condition &= Q(indicator__department_plan__department_id=self.department)
        if self.year is not None:
            condition &= Q(period__year=self.year)
        if self.period is not None:
            condition &= Q(period_id=self.period)
        if self.stage is not None:
            condition &= access.at_stage(self.stage)
        return condition


EVERYTHING = ReviewFilter()


@dataclass(frozen=True)
class ReviewCounts:
    """How many reports wait for the user: to review now at each stage, written by them
    (`own`), and waiting in a locked period (`locked`)."""

    first: int = 0
    second: int = 0
    own: int = 0
    locked: int = 0

    def stage(self, stage: int) -> int:
        return self.second if stage == access.SECOND else self.first

    @property
    def to_review(self) -> int:
        return self.first + self.second


def review_counts(user, narrowed: ReviewFilter = EVERYTHING) -> ReviewCounts:
    """`ReviewCounts` for the user, in one grouped query: the navigation's badge asks with
    no filter, the review queue with its filters, so the two agree.

    The rows are grouped by (authored by the user, still actionable, status) so that the
    authorship rule, an EXISTS over the report's events, runs once per report rather than
    once per count (a city-wide reviewer has thousands of reports waiting at N = 500).
    A NULL authorship (no author column matches and none is set) reads as "not authored",
    as `~authored_by` reads it in `to_review_now`.
    """
    if not (user and user.is_authenticated and user.is_active):
        return ReviewCounts()
    groups = (
        ProgressReport.objects.filter(access.reviewable(user))
        .filter(narrowed.condition())
        .annotate(
            authored=ExpressionWrapper(access.authored_by(user), output_field=BooleanField()),
            open=ExpressionWrapper(actionable(), output_field=BooleanField()),
            second=ExpressionWrapper(access.at_stage(access.SECOND), output_field=BooleanField()),
        )
        .values("authored", "open", "second")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {"first": 0, "second": 0, "own": 0, "locked": 0}
    for group in groups:
        if group["authored"]:
            counts["own"] += group["n"]
        elif not group["open"]:
            counts["locked"] += group["n"]
        else:
            counts["second" if group["second"] else "first"] += group["n"]
    return ReviewCounts(**counts)


def _with_queue_relations(reports):
    return reports.select_related(
        "indicator__department_plan__department",
        "indicator__department_plan__plan",
        "indicator__objective",
        "indicator__common_goal",
        "period__plan",
        "submitted_by",
        "first_reviewed_by",
    )


def review_page(user, narrowed: ReviewFilter, *, offset: int, limit: int) -> list[ProgressReport]:
    """One page of the reports the user may review now (`to_review_now`), narrowed: the
    first stage before the second, then oldest first — sliced in the database."""
    second_last = Case(When(access.at_stage(access.SECOND), then=Value(2)), default=Value(1))
    reports = (
        ProgressReport.objects.filter(access.reviewable(user))
        .filter(to_review_now(user))
        .filter(narrowed.condition())
        .order_by(second_last, "submitted_at", "id")
    )
    return list(_with_queue_relations(reports)[offset : offset + limit])


def review_aside(user, narrowed: ReviewFilter, *, limit: int) -> tuple[list, list]:
    """The reports the queue lists apart, narrowed, at most `limit` of them: those the user
    wrote (someone else must review them), then those waiting in a locked period."""
    reports = (
        ProgressReport.objects.filter(access.reviewable(user))
        .filter(access.authored_by(user) | ~actionable())
        .filter(narrowed.condition())
        .order_by(Case(When(access.authored_by(user), then=Value(0)), default=Value(1)), "submitted_at", "id")
    )
    own, locked = [], []
    for report in access.with_authorship(_with_queue_relations(reports), user)[:limit]:
        (own if access.is_author(user, report) else locked).append(report)
    return own, locked


def review_choices(user) -> tuple[list[tuple[int, str]], list[ReportingPeriod]]:
    """What the review queue's filters offer: the departments and the periods of the
    reports waiting for a review the user may give (`access.reviewable`), nothing else —
    two queries, whatever the size of the city."""
    # `status__in` says nothing `reviewable` does not, but it lets PostgreSQL read the waiting
    # reports by the (status, period) index before joining, rather than every report of
    # each period (60 ms at N = 100 departments, growing with the city).
    waiting = ProgressReport.objects.filter(access.reviewable(user), status__in=IN_REVIEW).order_by()
    departments = sorted(
        Department.objects.filter(pk__in=waiting.values("indicator__department_plan__department_id"))
        .order_by()
        .values_list("pk", "name"),
        key=lambda d: d[1],
    )
    periods = list(
        ReportingPeriod.objects.filter(pk__in=waiting.values("period_id"))
        .select_related("plan")
        .order_by("year", "number", "plan_id")
    )
    return departments, periods


def reviewable_reports(user):
    """Reports waiting for a review the user may give (`access.reviewable`), oldest first,
    annotated with whether the user wrote them (`access.with_authorship`), with their
    period, plan, submitter and first reviewer; locked periods included. (The review queue
    fetches the targets it needs itself, so that the navigation's counts cost the same
    query whether or not anything is waiting.)"""
    reports = _with_queue_relations(ProgressReport.objects.filter(access.reviewable(user))).order_by(
        "submitted_at", "id"
    )
    return access.with_authorship(reports, user)


def report_counts(user, today: datetime.date) -> tuple[int, int]:
    """(indicators the user reports on, their 待填報 count), in three small queries.

    The same rule as `work_for`'s lists, counted: every pair of an indicator and an open
    current period of its plan (`_current_periods`) is to do unless a report of it has left
    draft; and every returned report is to do unless its period is locked and no correction
    is open.
    """
    indicators = access.indicators_for(user, access.REPORT).order_by()
    per_plan = dict(indicators.values_list("department_plan__plan_id").annotate(n=Count("id")).order_by())
    periods = _current_periods(set(per_plan), today)
    counts = ProgressReport.objects.filter(indicator__in=indicators.values("id")).aggregate(
        left_draft=Count("id", filter=Q(period__in=[p.pk for p in periods]) & ~Q(status=ReportStatus.DRAFT)),
        returned=Count(
            "id", filter=Q(status=ReportStatus.RETURNED) & (Q(period__is_locked=False) | Q(correcting=True))
        ),
    )
    pairs = sum(per_plan[p.plan_id] for p in periods)
    return sum(per_plan.values()), pairs - counts["left_draft"] + counts["returned"]


def work_for(user, today: datetime.date | None = None, *, counts_only: bool = False) -> Work:
    """Everything the user has to do on `today` (default: `common.dates.today()`).

    With `counts_only` the work is counted in the database rather than loaded (`report_counts`,
    `review_counts`): the navigation's badges on every page need the numbers, not the rows
    (a city-wide reviewer has thousands waiting), and kept in the cache while nothing that
    moves them changes (`kpi.nav_counts`). tests/test_queues.py checks that both ways give
    the same numbers.
    """
    today = today or dates.today()
    scope = access.scope(user)
    work = Work(today=today)
    if not (user and user.is_authenticated and user.is_active):
        return work
    work.can_report = bool(scope.departments[access.REPORT])
    work.can_review = scope.covers_all(access.REVIEW) or bool(scope.departments[access.REVIEW])
    work.can_second_review = scope.covers_all(access.REVIEW)

    if counts_only:
        reporting, reviewing = _nav_counts(user, scope, today, work)
        if reporting is not None:
            work.indicator_count, work.report_count = reporting
        if reviewing is not None:
            work.review_counts = reviewing
        return work
    if work.can_report:
        indicators = {i.pk: i for i in access.indicators_for(user, access.REPORT)}
        work.indicator_count = len(indicators)
        periods = _current_periods({i.department_plan.plan_id for i in indicators.values()}, today)
        if indicators:
            reports = (
                ProgressReport.objects.filter(indicator_id__in=list(indicators))
                .filter(
                    Q(period__in=[p.pk for p in periods])
                    | Q(status=ReportStatus.RETURNED)
                    # Waiting for review in a period locked since: still listed, marked locked.
                    | Q(status__in=IN_REVIEW, period__is_locked=True)
                )
                .select_related("period", "reviewed_by", "submitted_by")
            )
            by_key = {}
            for report in reports:
                report.indicator = indicators[report.indicator_id]
                by_key[(report.indicator_id, report.period_id)] = report
                if report.status in IN_REVIEW and report.period.is_locked:
                    work.submitted.append(report)
                elif report.status == ReportStatus.RETURNED:
                    if report.period.is_locked and not report.correcting:
                        work.returned_locked.append(report)
                    else:
                        work.returned.append(report)
            for period in periods:
                for indicator in indicators.values():
                    if indicator.department_plan.plan_id != period.plan_id:
                        continue
                    report = by_key.get((indicator.pk, period.pk))
                    if report is None or report.status == ReportStatus.DRAFT:
                        item = ReportItem(indicator=indicator, period=period, report=report, today=today)
                        (work.overdue if item.is_overdue else work.due).append(item)
                    elif report.status in IN_REVIEW:
                        work.submitted.append(report)

            def item_key(item):
                return (item.period.due_date, item.period.plan_id, *indicator_sort_key(item.indicator))

            def report_key(report):
                return (report.period.end_date, *indicator_sort_key(report.indicator))

            work.overdue.sort(key=item_key)
            work.due.sort(key=item_key)
            work.returned.sort(key=report_key)
            work.returned_locked.sort(key=report_key)
            work.submitted.sort(key=report_key)

    if work.can_review:
        for report in reviewable_reports(user):
            if access.is_author(user, report):
                work.own_awaiting.append(report)
            elif report.period.is_locked and not report.correcting:
                work.locked_review.append(report)
            else:
                work.to_review.append(report)
    return work


def _nav_counts(user, scope, today: datetime.date, work: Work) -> tuple:
    """(`report_counts` or None, `review_counts` or None), kept in the cache while nothing that
    moves them changes (`kpi.nav_counts`), except for those who review the whole city."""

    def compute() -> tuple:
        return (
            report_counts(user, today) if work.can_report else None,
            review_counts(user) if work.can_review else None,
        )

    if scope.covers_all(access.REVIEW) or scope.covers_all(access.VIEW):
        return compute()
    return nav_counts.cached(
        user_id=user.pk,
        today=today,
        report_departments=scope.departments[access.REPORT],
        review_departments=scope.departments[access.REVIEW],
        compute=compute,
    )


def work_for_request(request) -> Work:
    """`work_for(request.user)`, computed at most once per request."""
    work = getattr(request, "_kpi_work", None)
    if work is None:
        work = work_for(request.user)
        request._kpi_work = work
    return work


def nav_work_for_request(request) -> Work:
    """What the navigation shows: the page's own work if its view computed it, else a
    lighter version that counts the reports waiting for review in the database."""
    work = getattr(request, "_kpi_work", None)
    if work is None:
        work = getattr(request, "_kpi_nav_work", None)
        if work is None:
            work = work_for(request.user, counts_only=True)
            request._kpi_nav_work = work
    return work


def forget_work(request) -> None:
    """Drop the cached work after an action changed it within the same request."""
    for attribute in ("_kpi_work", "_kpi_nav_work"):
        if hasattr(request, attribute):
            delattr(request, attribute)
