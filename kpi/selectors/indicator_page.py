"""Read helpers that build the data of the KPI page and the report form.

Views ask these for what to show; each helper runs a fixed number of queries,
whatever the number of reports, events or revisions (the KPI page's query count is
pinned in tests/test_indicator_page.py). Who may see what is decided by
`kpi.access`; this module only shapes what `access` lets through.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from common import dates, formatting
from common.people import attach_users
from common.years import parse_year, to_gregorian, to_roc
from kpi import access, assessments, planning, services, units
from kpi.attainment import Assessment
from kpi.history import indicator_changes
from kpi.models import (
    Evidence,
    Indicator,
    PlannedStatus,
    ProgressReport,
    ReportAction,
    ReportEvent,
    ReportingPeriod,
    ReportStatus,
    TargetRevision,
    YearlyTarget,
)
from kpi.selectors.display import format_inputs, status_label
from kpi.selectors.timeline import TimelineEntry, period_timeline, report_timeline, target_timeline
from plans.models import PERIODS_PER_YEAR, Plan


def targets_prefetch() -> Prefetch:
    """An indicator's targets by year, each with its revisions (and who made them)."""
    revisions = Prefetch(
        "revisions", queryset=TargetRevision.objects.select_related("changed_by").order_by("changed_at", "id")
    )
    return Prefetch("targets", queryset=YearlyTarget.objects.order_by("year").prefetch_related(revisions))


def indicator_queryset(user, action: str = access.VIEW, *, with_targets: bool = True):
    """The indicators the user may act on, with what the KPI page and the form read
    (the targets too unless `with_targets` is False: see `targets_prefetch`)."""
    indicators = access.indicators_for(user, action).select_related("objective__goal")
    return indicators.prefetch_related(targets_prefetch()) if with_targets else indicators


def default_year(plan: Plan) -> int:
    """The plan year that contains today, or the nearest end of the plan."""
    year = to_roc(dates.today().year)
    return min(max(year, plan.start_year), plan.end_year)


def year_from_param(plan: Plan, value) -> int:
    try:
        year = parse_year(value)
    except ValueError:
        return default_year(plan)
    return year if plan.contains_year(year) else default_year(plan)


@dataclass
class YearRow:
    year: int
    gregorian: int
    target: YearlyTarget | None
    revisions: list[TargetRevision]  # changes after the plan set the target, oldest first
    actual_report: ProgressReport | None  # the latest approved report of the year
    assessment: Assessment  # THE status's light (`kpi.assessments.status_of`)
    selected: bool = False
    status: assessments.Status | None = None
    stored: dict | None = None  # the planned values people set for the year (period → value, status)

    @property
    def status_label(self) -> str:
        """ "114Q3 進度" for the year in progress, "" for a year judged on the year."""
        return self.status.label if self.status is not None else ""

    @property
    def year_assessment(self) -> Assessment:
        """The full-year ratio (actual ÷ the year's target), shown beside a period status."""
        return self.status.year if self.status is not None else self.assessment

    @property
    def actual(self):
        return self.actual_report.actual if self.actual_report else None


def targets_by_year(indicator: Indicator) -> dict[int, YearlyTarget]:
    return {t.year: t for t in indicator.targets.all()}


def year_rows(indicator: Indicator, selected_year: int) -> list[YearRow]:
    """Every plan year: target (and its revisions), approved actual, attainment and light.

    The status of each year is `kpi.assessments.Inputs.status`, the one rule the batch
    service (`plan_years_attainment`) applies for the dashboards, the yearly report, the
    public side and the API; its inputs are read for this indicator alone
    (`assessments.indicator_inputs`: the indicator's prefetched targets and revisions, two
    queries more). The KPI page never assesses a year itself.
    """
    plan = indicator.department_plan.plan
    inputs = assessments.indicator_inputs(indicator, plan.years)
    today = dates.today()
    rows = []
    for year in plan.years:
        target = inputs.targets.get((indicator.pk, year))
        status = inputs.status(indicator, year, today=today)
        rows.append(
            YearRow(
                year=year,
                gregorian=to_gregorian(year),
                target=target,
                revisions=[r for r in target.revisions.all() if r.old_value is not None] if target else [],
                actual_report=inputs.reports.get((indicator.pk, year)),
                assessment=status.assessment,
                selected=year == selected_year,
                status=status,
                stored=inputs.planned.get((indicator.pk, year), {}),
            )
        )
    return rows


def year_periods(plan: Plan, year: int) -> list[ReportingPeriod]:
    """The plan's reporting periods of the year (created with the plan: kpi.signals)."""
    return list(ReportingPeriod.objects.filter(plan=plan, year=year).order_by("frequency", "number"))


def active_evidence() -> Prefetch:
    return Prefetch(
        "evidence",
        queryset=Evidence.objects.filter(removed_at__isnull=True)
        .select_related("uploaded_by")
        .order_by("uploaded_at", "id"),
        to_attr="active_evidence",
    )


REPORT_PEOPLE = ("created_by", "updated_by", "submitted_by", "reviewed_by", "first_reviewed_by")


def reports_query():
    """Reports with their period, their evidence, and what an open correction keeps
    (`assessments.with_record`: `record_actual`, `record_reason`… on a report reopened for
    correction). Read them through `load_reports`, which adds who acted on them."""
    # Ordered by id, not by the model's ordering: that sorts through the indicator, its
    # department plan, plan, objective and common goal — five more joins, which cost
    # PostgreSQL 5 ms of planning for the 4 rows of a KPI-year (callers key them by period).
    # The people are not joined either (`load_reports`).
    return assessments.with_record(
        ProgressReport.objects.select_related("period").prefetch_related(active_evidence()).order_by("pk")
    )


def load_reports(queryset) -> list[ProgressReport]:
    """The reports of a `reports_query()`, with the people who acted on them (one query more)."""
    reports = list(queryset)
    attach_users(reports, REPORT_PEOPLE)
    return reports


def load_report(queryset) -> ProgressReport | None:
    """The first report of a `reports_query()` (None when there is none), with its people."""
    reports = load_reports(queryset[:1])
    return reports[0] if reports else None


@dataclass
class PeriodRow:
    period: ReportingPeriod
    report: ProgressReport | None
    expected: Decimal | None  # the period's planned year-to-date value (分期預定值)
    pace: Assessment  # the figure against it: the period status
    can_edit: bool
    can_open_form: bool
    is_overdue: bool
    can_review: bool = False
    has_card: bool = False  # shown in full below the table
    is_future: bool = False  # the period has not started yet

    planned_source: str = ""  # kpi.planning SET / DEFAULT / TARGET
    planned_status: str = ""  # PlannedStatus of a set value

    @property
    def status(self) -> str:
        return self.report.status if self.report else ""

    @property
    def correcting(self) -> bool:
        return bool(self.report and self.report.correcting)

    @property
    def actual_of_record(self):
        """The figure that counts for the period: the approved one, or while a correction is
        open the one that had been approved (None when nothing approved counts)."""
        if self.report is None:
            return None
        if self.report.correcting:
            return getattr(self.report, "record_actual", None)
        return self.report.actual if self.report.status == ReportStatus.APPROVED else None

    @property
    def planned_note(self) -> str:
        """預設 for a default value, 擬定中 for a proposed one; "" for a confirmed one or the target."""
        if self.expected is None:
            return ""
        if self.planned_source == planning.DEFAULT:
            return _("default")
        if self.planned_source == planning.SET and self.planned_status == PlannedStatus.PROPOSED:
            return _("proposed")
        return ""

    @property
    def status_label(self) -> str:
        return status_label(self.status)


@dataclass
class ReportCard:
    """A report shown in full on the KPI page: its texts, evidence and review forms."""

    report: ProgressReport
    is_latest: bool
    can_review: bool
    can_reopen: bool = False
    inputs_display: str = ""
    comments: list[ReportEvent] = field(default_factory=list)  # its conversation, from the record


@dataclass(frozen=True)
class PageViewer:
    """What the viewer may do on one indicator-year's KPI page: the only part of the page
    that is not the same for everyone who may see it (`kpi.page_cache` keys the content by it)."""

    can_report: bool
    can_reopen: bool
    reviewable: frozenset[int]  # the year's reports the viewer may review now, at either stage


def page_viewer(user, indicator: Indicator, year: int) -> PageViewer:
    """The viewer's part of the KPI page (no query for someone who reviews nothing)."""
    return PageViewer(
        can_report=access.can_report(user, indicator),
        can_reopen=access.can_reopen(user),
        reviewable=reviewable_report_ids(user, indicator, year),
    )


@dataclass
class IndicatorPage:
    indicator: Indicator
    plan: Plan
    year: int
    years: list[YearRow]
    selected: YearRow
    periods: list[PeriodRow]
    cards: list[ReportCard]
    timeline: list[TimelineEntry]
    can_report: bool
    today: datetime.date


def indicator_page(indicator: Indicator, year: int, viewer: PageViewer) -> IndicatorPage:
    """Everything the KPI page shows, in a fixed number of queries. Nothing of it depends on
    who looks but what `viewer` says they may do."""
    plan = indicator.department_plan.plan
    thresholds = assessments.thresholds_for(plan)
    years = year_rows(indicator, year)
    selected = next(row for row in years if row.year == year)
    periods = year_periods(plan, year)
    reports = {
        r.period_id: r
        for r in load_reports(reports_query().filter(indicator=indicator, period__in=periods))
    }
    for report in reports.values():
        report.indicator = indicator  # the rules read its department: no query per report
    events = list(
        ReportEvent.objects.filter(report__indicator=indicator)
        .select_related("actor", "report__period")
        .order_by("at", "id")
    )
    can_report = viewer.can_report
    today = dates.today()
    targets = targets_by_year(indicator)
    target_values = {y: t.value for y, t in targets.items()}
    year_target = targets.get(year)

    # The planned ladder of the year (what people set, else the default by accrual): kpi.planning.
    per_year = PERIODS_PER_YEAR[plan.reporting_frequency]
    points = {
        p.number: p
        for p in planning.ladder(
            indicator,
            {y: v for y, v in target_values.items() if y in (year - 1, year)},
            year,
            per_year,
            selected.stored,
        )
    }

    rows = []
    for period in periods:
        report = reports.get(period.pk)
        point = points.get(period.number) if period.frequency == plan.reporting_frequency else None
        expected = point.value if point is not None else None
        editable_status = report is None or report.status in services.EDITABLE_STATUSES
        open_to_change = not period.is_locked or bool(report and report.correcting)
        rows.append(
            PeriodRow(
                period=period,
                report=report,
                expected=expected,
                pace=assessments.period_status(
                    indicator=indicator,
                    target=year_target,
                    period=period,
                    actual=report.actual if report else None,
                    planned=expected,
                    thresholds=thresholds,
                ),
                planned_source=point.source if point is not None else "",
                planned_status=point.status if point is not None else "",
                can_edit=can_report and open_to_change and editable_status,
                can_open_form=can_report and report is not None,
                is_overdue=today > period.due_date
                and (report is None or report.status in (ReportStatus.DRAFT, ReportStatus.RETURNED))
                and not (report is not None and report.correcting),
                is_future=today < period.start_date,
            )
        )

    year_reports = sorted(reports.values(), key=lambda r: (r.period.end_date, r.period.number))
    latest = year_reports[-1] if year_reports else None
    cards = [
        ReportCard(
            report=r,
            is_latest=r is latest,
            can_review=r.pk in viewer.reviewable,
            can_reopen=r.status == ReportStatus.APPROVED and viewer.can_reopen,
            inputs_display=format_inputs(indicator, r.inputs) if indicator.formula else "",
            comments=[e for e in events if e.report_id == r.pk and e.action == ReportAction.COMMENTED],
        )
        for r in reversed(year_reports)
        if r is latest or access.review_stage(r) is not None or r.correcting
    ]
    by_report = {card.report.pk: card for card in cards}
    for row in rows:
        card = by_report.get(row.report.pk) if row.report else None
        row.has_card, row.can_review = card is not None, bool(card and card.can_review)
    timeline = report_timeline(indicator, events) + target_timeline(indicator) + period_timeline(indicator)
    timeline += indicator_changes(indicator)  # settings, exclusions and thresholds (kpi.history)
    timeline.sort(key=lambda e: (e.at, e.order), reverse=True)
    return IndicatorPage(
        indicator=indicator,
        plan=plan,
        year=year,
        years=years,
        selected=selected,
        periods=rows,
        cards=cards,
        timeline=timeline,
        can_report=can_report,
        today=today,
    )


def reviewable_report_ids(user, indicator: Indicator, year: int) -> frozenset[int]:
    """The year's reports waiting for a review the user may give now: `access.can_review`,
    and their period open (or the report under correction). `access.reviewable` narrows the
    query (for someone who reviews nothing it is empty, and no query runs); authorship is read
    in the same query (`access.with_authorship`). The services check again when the form is posted."""
    if not user.is_authenticated:
        return frozenset()
    reports = access.with_authorship(
        ProgressReport.objects.filter(
            access.reviewable(user), indicator=indicator, period__plan_id=indicator.department_plan.plan_id
        )
        .filter(period__year=year)
        .select_related("period"),
        user,
    )
    ids = set()
    for report in reports:
        report.indicator = indicator  # the rule reads its department: no query per report
        if access.can_review(user, report) and (not report.period.is_locked or report.correcting):
            ids.add(report.pk)
    return frozenset(ids)


def _chart_value(indicator: Indicator, value, *, derived: bool = False) -> float | None:
    """A figure for a chart, rounded as the table beside the chart writes it (`kpi.units.as_shown`)."""
    shown = units.as_shown(indicator, value, derived=derived)
    return None if shown is None else float(shown)


def indicator_charts(page: IndicatorPage) -> dict:
    """The figures of the KPI page's two charts (Chart.js, see static/js/charts.js), from the
    page's data without another query: targets against approved actuals by plan year, and
    the selected year's year-to-date reports against the pace line."""
    indicator = page.indicator
    unit = indicator.unit
    years = {
        "kind": "bar",
        "unit": unit,
        "yLabel": str(indicator.get_unit_display()),
        "colon": pgettext("after a label", ": "),
        "labels": [formatting.roc_year(row.year) for row in page.years],
        "datasets": [
            {
                "label": _("Target"),
                "style": "target",
                "data": [_chart_value(indicator, row.target.value if row.target else None) for row in page.years],
            },
            {
                "label": _("Approved actual"),
                "style": "actual",
                "data": [_chart_value(indicator, row.actual) for row in page.years],
            },
        ],
    }

    def approved() -> list[float | None]:
        return [_chart_value(indicator, row.actual_of_record) for row in page.periods]

    def waiting() -> list[float | None]:
        return [
            _chart_value(indicator, row.report.actual)
            if row.report and access.review_stage(row.report) is not None
            else None
            for row in page.periods
        ]

    year_target = page.selected.target.value if page.selected.target else None
    periods = {
        "kind": "bar",
        "unit": unit,
        "yLabel": str(indicator.get_unit_display()),
        "colon": pgettext("after a label", ": "),
        "labels": [row.period.short_label for row in page.periods],
        "datasets": [
            {
                "label": _("Planned by the period's end"),
                "style": "pace",
                "type": "line",
                "data": [_chart_value(indicator, row.expected, derived=True) for row in page.periods],
            },
            {"label": _("Year-to-date actual (approved)"), "style": "actual", "data": approved()},
        ],
    }
    pending = waiting()
    if any(value is not None for value in pending):
        periods["datasets"].append(
            {"label": _("Year-to-date actual (awaiting review)"), "style": "pending", "data": pending}
        )
    if year_target is not None:
        periods["datasets"].append(
            {
                "label": _("Year target"),
                "style": "target-line",
                "type": "line",
                "data": [_chart_value(indicator, year_target)] * len(page.periods),
            }
        )
    periods["has_figures"] = any(value is not None for value in periods["datasets"][1]["data"] + pending)
    return {"years": years, "periods": periods}
