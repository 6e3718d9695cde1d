"""The yearly report (年度績效報告): one set of rows for the page, the print view and every download.

`build_yearly_report` asks `kpi.assessments.plan_year_attainment` for the year's
targets, approved actuals, attainment, lights and roll-ups (so a figure never comes
out two ways), then adds what only the report shows: each revised target's history
(TargetRevision: who, when, why), the evidence of the year's approved reports,
and, for common indicators, the formula's inputs and working. It runs a fixed number
of queries whatever the number of indicators and reports:

    memberships (kpi.access, once per user) + department plans in scope (1)
    + plan_year_attainment (3) + target revisions (1) + evidence (1)

Who sees what comes from `kpi.access`: the report covers the departments the user
may view (one of them when a department is chosen), and "the whole city" means
every department the user may view.

`EXPORT_COLUMNS` and `export_rows` flatten the rows for the downloads with zh-Hant
headers and numbers as numbers; the page and the print view show the same values
through the same `ReportRow` properties. Figures are written by `common.formatting` and
`kpi.units` (one rounding: a percentage is rounded half up to one place, on the page as
in the spreadsheet). Texts are in the active language; the downloads are built in
zh-Hant whatever the reader's language (reports.views.yearly), because their column
headers and sheet names are a zh-Hant data contract.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from common import dates, formatting
from common.spreadsheets.writing import Sheet
from common.years import to_gregorian, to_roc
from kpi import access, units
from kpi.assessments import IndicatorResult, PlanYearAttainment, of_record, plan_year_attainment, thresholds_for
from kpi.attainment import Light, RollUp, Thresholds
from kpi.formulas import FORMULAS, FormulaError
from kpi.models import Evidence, Indicator, IndicatorKind, ReportingPeriod, TargetRevision, YearlyTarget
from kpi.rollups import CITY, stored_rollups
from kpi.selectors import format_inputs
from plans.models import Department, DepartmentPlan, Plan


def city_name() -> str:
    return _("The whole city")


def spreadsheet_number(value: Decimal | None) -> int | Decimal | None:
    """A stored figure as a spreadsheet number: 5.0000 → 5, 0.5000 → Decimal('0.5') (never 1E+2)."""
    number = formatting.to_decimal(value)
    if number is None:
        return None
    number = Decimal(formatting.number(number))
    return int(number) if number == number.to_integral_value() else number


def period_in_year(period) -> str:
    """The period without the year the report is already about: 第4季, 上半年, 3月."""
    return period.label.removeprefix(formatting.roc_year(period.year)).strip()


# --- Rows ---------------------------------------------------------------------------


@dataclass
class ReportRow:
    """One indicator of the yearly report: the document's columns and the year's results."""

    result: IndicatorResult
    department: Department
    revisions: list[TargetRevision] = field(default_factory=list)  # changes after the plan set the target
    evidence: list[Evidence] = field(default_factory=list)  # of the year's approved reports

    # The document's columns.
    @property
    def indicator(self) -> Indicator:
        return self.result.indicator

    @property
    def is_common(self) -> bool:
        return self.indicator.kind == IndicatorKind.COMMON

    @property
    def parent(self):
        return self.indicator.common_goal if self.is_common else self.indicator.objective

    @property
    def kind_label(self) -> str:
        return _("Common indicator") if self.is_common else _("Key performance indicator")

    @property
    def group_number(self) -> int:
        return self.parent.number

    @property
    def group_name(self) -> str:
        return self.parent.name

    @property
    def dimension(self) -> str:
        return str(self.parent.get_dimension_display())

    @property
    def code(self) -> str:
        return self.indicator.code

    @property
    def arrangement_label(self) -> str:
        return str(self.indicator.get_evaluation_arrangement_display())

    @property
    def method_label(self) -> str:
        return str(self.indicator.get_evaluation_method_display())

    # The target, and its revision.
    @property
    def target(self) -> YearlyTarget | None:
        return self.result.target

    @property
    def target_value(self) -> Decimal | None:
        return self.target.value if self.target else None

    @property
    def is_revised(self) -> bool:
        return bool(self.target and self.target.is_revised)

    @property
    def original_target(self) -> Decimal | None:
        return self.target.original_value if self.is_revised else None

    @property
    def target_text(self) -> str:
        return units.amount(self.indicator, self.target_value)

    @property
    def original_target_text(self) -> str:
        return units.amount(self.indicator, self.original_target) if self.is_revised else ""

    @property
    def revision_entries(self) -> list[tuple[TargetRevision, str]]:
        """(revision, who) for the page: who is a person's name, or the source (匯入, API …)."""
        return [(r, revision_author(r)) for r in self.revisions]

    @property
    def revisions_text(self) -> str:
        """The target's changes, oldest first: 5 場 → 6 場（王小明，民國114年3月1日）：reason."""
        return pgettext("list of clauses", "; ").join(
            _("%(old)s → %(new)s (%(who)s, %(date)s): %(reason)s")
            % {
                "old": units.amount(self.indicator, r.old_value),
                "new": units.amount(self.indicator, r.new_value),
                "who": revision_author(r),
                "date": formatting.roc_date(r.changed_at),
                "reason": r.reason,
            }
            for r in self.revisions
        )

    # The actual: the latest approved report of the year.
    @property
    def report(self):
        return self.result.report

    @property
    def actual(self) -> Decimal | None:
        """The approved actual as the report shows it (`kpi.units.as_shown`: a formula's result to 2 places)."""
        return units.as_shown(self.indicator, self.result.actual)

    @property
    def actual_text(self) -> str:
        return units.amount(self.indicator, self.actual)

    @property
    def actual_period(self) -> str:
        return self.report.period.label if self.report else ""

    @property
    def actual_period_short(self) -> str:
        """The period without the year the report is already about: 第4季, 上半年, 3月."""
        if not self.report:
            return ""
        return period_in_year(self.report.period)

    # Attainment and light, from the batch service.
    @property
    def assessment(self):
        return self.result.assessment

    @property
    def raw(self) -> Decimal | None:
        """Attainment as the report shows it (and the spreadsheets carry it): one place, half up."""
        return formatting.percent_number(self.assessment.raw)

    @property
    def capped(self) -> Decimal | None:
        return formatting.percent_number(self.assessment.capped)

    @property
    def is_capped(self) -> bool:
        return self.raw is not None and self.capped != self.raw

    @property
    def raw_text(self) -> str:
        return formatting.percent(self.assessment.raw)

    @property
    def capped_text(self) -> str:
        return formatting.percent(self.assessment.capped)

    @property
    def light(self) -> Light:
        return self.assessment.light

    @property
    def light_label(self) -> str:
        return self.light.label

    @property
    def white_reason(self) -> str:
        return self.assessment.reason

    # The basis of the light: a period's progress for the year in progress ("114Q3 進度"),
    # the year for a closed one; the full-year ratio stays beside it as a figure.
    @property
    def status_label(self) -> str:
        return self.result.status.label if self.result.status is not None else ""

    @property
    def by_period(self) -> bool:
        return bool(self.status_label)

    @property
    def year_raw(self) -> Decimal | None:
        """Actual ÷ the year's target, whatever the light's basis."""
        return formatting.percent_number(self.result.year_assessment.raw)

    @property
    def year_raw_text(self) -> str:
        return formatting.percent(self.result.year_assessment.raw)

    @property
    def planned_to_date(self) -> Decimal | None:
        return self.result.status.planned_to_date if self.by_period else None

    # What the approved report says.
    @property
    def narrative(self) -> str:
        return self.report.narrative if self.report else ""

    @property
    def shortfall_reason(self) -> str:
        return self.report.shortfall_reason if self.report else ""

    @property
    def improvement_plan(self) -> str:
        return self.report.improvement_plan if self.report else ""

    @property
    def evidence_entries(self) -> list[tuple[Evidence, str, str]]:
        """(evidence, period, name) for the page: 第2季, 會議紀錄."""
        return [(e, evidence_period(e), evidence_name(e)) for e in self.evidence]

    @property
    def evidence_names(self) -> list[str]:
        """第2季：會議紀錄 — the period whose report the evidence came with, and what it is."""
        return [
            _("%(period)s: %(name)s") % {"period": evidence_period(e), "name": evidence_name(e)} for e in self.evidence
        ]

    @property
    def evidence_text(self) -> str:
        return pgettext("list of clauses", "; ").join(self.evidence_names)

    # A common indicator's formula.
    @property
    def inputs_text(self) -> str:
        if not (self.is_common and self.report and self.report.inputs):
            return ""
        return format_inputs(self.indicator, self.report.inputs)

    @property
    def has_working(self) -> bool:
        return bool(self.inputs_text or self.working)

    @property
    def working(self) -> str:
        formula = FORMULAS.get(self.indicator.formula)
        if not (self.is_common and formula and self.report and self.report.inputs):
            return ""
        try:
            return formula.compute(self.report.inputs).working
        except FormulaError:
            return ""


def evidence_name(evidence: Evidence) -> str:
    return evidence.description or evidence.original_name or evidence.url


def evidence_period(evidence: Evidence) -> str:
    return period_in_year(evidence.report.period)


def revision_author(revision: TargetRevision) -> str:
    user = revision.changed_by
    if user is not None:
        return user.get_full_name() or user.get_username()
    return str(revision.get_source_display())


@dataclass
class ObjectiveBlock:
    """A strategic objective (or common goal) and its rows, for the table's row groups."""

    number: int
    name: str
    dimension: str
    rollup: RollUp | None
    rows: list[ReportRow]

    @property
    def span(self) -> int:
        """Table rows the block takes: a common indicator's working has a row of its own."""
        return sum(2 if r.has_working else 1 for r in self.rows)


@dataclass
class DepartmentSection:
    department: Department
    department_plan: DepartmentPlan
    rollup: RollUp | None  # the department's KPI roll-up (None: no KPIs)
    common_rollup: RollUp | None  # its common indicators, beside the roll-up
    objectives: list[ObjectiveBlock]
    common_goals: list[ObjectiveBlock]

    @property
    def kpi_rows(self) -> list[ReportRow]:
        return [r for block in self.objectives for r in block.rows]

    @property
    def common_rows(self) -> list[ReportRow]:
        return [r for block in self.common_goals for r in block.rows]

    @property
    def rows(self) -> list[ReportRow]:
        return self.kpi_rows + self.common_rows


@dataclass
class YearlyReport:
    plan: Plan
    year: int
    thresholds: Thresholds
    department: Department | None  # None: the whole city (every department the user may view)
    sections: list[DepartmentSection]
    # The roll-up over every department the user may view; None in one department's
    # report, which computes that department only (a city of 500 departments made a
    # department's download 18 times slower: docs/performance.md).
    city: RollUp | None
    viewable: list[DepartmentPlan]  # every department plan the user may view (for the filter)
    covers_every_department: bool  # the user may view every department
    generated_on: datetime.date
    # The whole city's page: the sections carry roll-ups only (no rows), and each
    # department's tables are fetched when opened (reports:yearly_section).
    sections_on_demand: bool = False
    # The year as it stood at the end of this period (a review meeting's pack, reports.pack):
    # None for the year itself.
    period: ReportingPeriod | None = None

    @property
    def gregorian(self) -> int:
        return to_gregorian(self.year)

    @property
    def year_label(self) -> str:
        """民國114年度 (ROC year 114)."""
        return _("ROC fiscal year %(year)s") % {"year": self.year}

    @property
    def period_name(self) -> str:
        """第3季 for a report as of a period; '' for the year's."""
        return period_in_year(self.period) if self.period else ""

    @property
    def department_id(self) -> int | None:
        return self.department.id if self.department else None

    @property
    def scope_name(self) -> str:
        return self.department.name if self.department else city_name()

    @property
    def rows(self) -> list[ReportRow]:
        return [r for s in self.sections for r in s.rows]

    @property
    def departments_without_indicators(self) -> list[Department]:
        if self.department is not None:
            return []
        present = {s.department.id for s in self.sections}
        return [dp.department for dp in self.viewable if dp.department_id not in present]

    @property
    def generated_text(self) -> str:
        return formatting.roc_date(self.generated_on)

    @property
    def is_year_in_progress(self) -> bool:
        return self.year >= to_roc(self.generated_on.year)

    @property
    def thresholds_text(self) -> str:
        return _(
            "%(green_label)s ≥ %(green)s; %(yellow_label)s ≥ %(yellow)s; %(red_label)s < %(yellow)s; "
            "%(white_label)s: cannot be assessed (the reason is given)"
        ) % {
            "green_label": Light.GREEN.label,
            "yellow_label": Light.YELLOW.label,
            "red_label": Light.RED.label,
            "white_label": Light.WHITE.label,
            "green": formatting.percent(self.thresholds.green, 2),
            "yellow": formatting.percent(self.thresholds.yellow, 2),
        }

    @property
    def filename_stem(self) -> str:
        return f"績效年報_{self.scope_name}_{self.year}"

    @property
    def ascii_filename_stem(self) -> str:
        scope = f"department-{self.department.id}" if self.department else "city"
        return f"yearly-report_{scope}_{self.year}"


# --- Building it ----------------------------------------------------------------------


def _revisions_by_target(plan: Plan, year: int, department_ids: set[int]) -> dict[int, list[TargetRevision]]:
    """The year's target changes after the plan set them (old value known), oldest first."""
    by_target: dict[int, list[TargetRevision]] = {}
    if not department_ids:
        return by_target
    revisions = (
        TargetRevision.objects.filter(
            old_value__isnull=False,
            target__year=year,
            target__indicator__department_plan__plan=plan,
            target__indicator__department_plan__department_id__in=department_ids,
        )
        .select_related("changed_by")
        .order_by("target_id", "changed_at", "id")
    )
    for revision in revisions:
        by_target.setdefault(revision.target_id, []).append(revision)
    return by_target


def _evidence_by_indicator(
    user, plan: Plan, year: int, department_ids: set[int], through: ReportingPeriod | None = None
) -> dict[int, list[Evidence]]:
    """The evidence of every report of record of the year (approved, or reopened for correction
    and still counting with the figure approved before: `kpi.assessments.of_record`), oldest
    first: reports are year-to-date, so what backed the first quarter's figure still backs the year's.
    `through`: only the reports of periods ending by then."""
    by_indicator: dict[int, list[Evidence]] = {}
    if not department_ids:
        return by_indicator
    period_filter = {"report__period__end_date__lte": through.end_date} if through is not None else {}
    evidence = (
        access.evidence_for(user)
        .filter(
            of_record("report"),
            removed_at__isnull=True,
            report__period__year=year,
            report__indicator__department_plan__plan=plan,
            report__indicator__department_plan__department_id__in=department_ids,
            **period_filter,
        )
        .select_related("report__period")
        .order_by("report__indicator_id", "report__period__end_date", "uploaded_at", "id")
    )
    for item in evidence:
        by_indicator.setdefault(item.report.indicator_id, []).append(item)
    return by_indicator


def viewable_department_plans(user, plan: Plan) -> list[DepartmentPlan]:
    qs = DepartmentPlan.objects.filter(plan=plan).select_related("department").order_by("toc_number")
    ids = access.department_ids_for(user, access.VIEW)
    return list(qs if ids is None else qs.filter(department_id__in=ids))


def build_yearly_report(
    *,
    plan: Plan,
    year: int,
    user,
    department: Department | None = None,
    viewable: list[DepartmentPlan] | None = None,
    period: ReportingPeriod | None = None,
) -> YearlyReport:
    """The report of `department` (or of every department the user may view) for `year`.

    The caller checks that `year` is in the plan and that the user may view
    `department` (the views answer 400 / 404 before calling this). `period` (of `year`)
    gives the year as it stood at that period's end, by the same rules
    (`kpi.assessments.plan_year_attainment`'s `through`): the review meeting's pack.
    """
    if viewable is None:
        viewable = viewable_department_plans(user, plan)
    all_ids = access.department_ids_for(user, access.VIEW)
    wanted = [dp for dp in viewable if department is None or dp.department_id == department.id]
    wanted_ids = {dp.department_id for dp in wanted}
    # Only what the report shows is computed: one department's report does not carry the
    # city's roll-up, so it costs the same in a city of 20 departments or of 500.
    if department is not None:
        scope_ids = sorted(wanted_ids)
    else:
        scope_ids = None if all_ids is None else [dp.department_id for dp in viewable]
    attainment: PlanYearAttainment = plan_year_attainment(
        plan=plan, year=year, department_ids=scope_ids, through=period
    )
    results = [r for r in attainment.indicators.values() if r.indicator.department_plan.department_id in wanted_ids]

    in_scope = wanted_ids if results else set()
    revisions = _revisions_by_target(plan, year, in_scope)
    evidence = _evidence_by_indicator(user, plan, year, in_scope, period)

    by_department: dict[int, list[ReportRow]] = {}
    for result in results:
        dept = result.indicator.department_plan.department
        by_department.setdefault(dept.id, []).append(
            ReportRow(
                result=result,
                department=dept,
                revisions=revisions.get(result.target.id, []) if result.target else [],
                evidence=evidence.get(result.indicator.id, []),
            )
        )

    sections = []
    for dp in wanted:
        rows = by_department.get(dp.department_id)
        if not rows:
            continue
        sections.append(_section(dp, rows, attainment))
    return YearlyReport(
        plan=plan,
        year=year,
        thresholds=attainment.thresholds,
        department=department,
        sections=sections,
        city=attainment.city.rollup if department is None else None,
        viewable=viewable,
        covers_every_department=all_ids is None,
        generated_on=dates.today(),
        period=period,
    )


@dataclass
class CitySummary:
    """The roll-ups the whole city's first screen shows: no indicator rows."""

    thresholds: Thresholds
    city: RollUp | None
    departments: dict[int, RollUp]  # department id → its KPIs' roll-up
    common: dict[int, RollUp]  # department id → its common indicators' roll-up


def city_summary(*, plan: Plan, year: int, department_ids: list[int] | None) -> CitySummary:
    """The city's, each department's and each department's common indicators' roll-ups for
    `year` (over `department_ids`, or every department for None).

    Read from the stored assessments, aggregated in SQL (`kpi.rollups.stored_rollups`: three
    grouped queries), so the first screen never assesses the city's indicators in Python;
    they equal what `plan_year_attainment` gives (tests/test_yearly_city.py)."""

    def rollups(by: str) -> dict:
        return stored_rollups(plan=plan, years=[year], by=by, department_ids=department_ids)[year]

    return CitySummary(
        thresholds=thresholds_for(plan),
        city=rollups("city").get(CITY),
        departments=rollups("department"),
        common=rollups("common"),
    )


def build_city_summary(*, plan: Plan, year: int, user, viewable: list[DepartmentPlan] | None = None) -> YearlyReport:
    """The whole city's first screen: the summary, and one section per department with
    indicators whose tables are left to `build_yearly_report` of that department."""
    if viewable is None:
        viewable = viewable_department_plans(user, plan)
    all_ids = access.department_ids_for(user, access.VIEW)
    summary = city_summary(
        plan=plan, year=year, department_ids=None if all_ids is None else [dp.department_id for dp in viewable]
    )
    sections = [
        DepartmentSection(
            department=dp.department,
            department_plan=dp,
            rollup=summary.departments.get(dp.department_id),
            common_rollup=summary.common.get(dp.department_id),
            objectives=[],
            common_goals=[],
        )
        for dp in viewable
        if dp.department_id in summary.departments or dp.department_id in summary.common
    ]
    return YearlyReport(
        plan=plan,
        year=year,
        thresholds=summary.thresholds,
        department=None,
        sections=sections,
        city=summary.city,
        viewable=viewable,
        covers_every_department=all_ids is None,
        generated_on=dates.today(),
        sections_on_demand=True,
    )


def _blocks(rows: list[ReportRow], rollups: dict) -> list[ObjectiveBlock]:
    blocks: dict[int, ObjectiveBlock] = {}
    for row in rows:
        parent = row.parent
        block = blocks.get(parent.id)
        if block is None:
            group = rollups.get(parent.id)
            block = blocks[parent.id] = ObjectiveBlock(
                number=parent.number,
                name=parent.name,
                dimension=row.dimension,
                rollup=group.rollup if group else None,
                rows=[],
            )
        block.rows.append(row)
    return sorted(blocks.values(), key=lambda b: b.number)


def _section(dp: DepartmentPlan, rows: list[ReportRow], attainment: PlanYearAttainment) -> DepartmentSection:
    kpis = [r for r in rows if not r.is_common]
    commons = [r for r in rows if r.is_common]
    department_group = attainment.departments.get(dp.department_id)
    common_group = attainment.common.get(dp.department_id)
    return DepartmentSection(
        department=dp.department,
        department_plan=dp,
        rollup=department_group.rollup if department_group else None,
        common_rollup=common_group.rollup if common_group else None,
        objectives=_blocks(kpis, attainment.objectives),
        # Common goals have no roll-up of their own: the department's common indicators
        # are reported beside the KPI roll-up, as one group.
        common_goals=_blocks(commons, {}),
    )


# --- The downloads' columns ----------------------------------------------------------


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[ReportRow], object]
    kind: str = "text"  # text | number | percent | long (wrapped text)
    code: bool = False  # a code (1-1): kept as text in every format (common.spreadsheets.writing.excel_code)


EXPORT_COLUMNS: list[Column] = [
    Column("機關", lambda r: r.department.name),
    Column("類別", lambda r: r.kind_label),
    Column("序號", lambda r: r.group_number, "number"),
    Column("關鍵策略目標／共同性目標", lambda r: r.group_name, "long"),
    Column("面向", lambda r: r.dimension),
    Column("編號", lambda r: r.code, code=True),
    Column("指標名稱", lambda r: r.indicator.name, "long"),
    Column("評估體制", lambda r: r.indicator.evaluation_arrangement, "number"),
    Column("評估方式", lambda r: r.method_label),
    Column("衡量標準", lambda r: r.indicator.measurement_standard, "long"),
    Column("單位", lambda r: r.indicator.unit),
    Column("年度目標值", lambda r: spreadsheet_number(r.target_value), "number"),
    Column("原訂目標值", lambda r: spreadsheet_number(r.original_target), "number"),
    Column("目標值修正紀錄", lambda r: r.revisions_text, "long"),
    Column("實際值", lambda r: spreadsheet_number(r.actual), "number"),
    Column("實績期間", lambda r: r.actual_period),
    Column("達成度(%)", lambda r: r.raw, "percent"),
    Column("計分達成度(%)（上限100%）", lambda r: r.capped, "percent"),
    Column("燈號", lambda r: r.light_label),
    Column("燈號依據", lambda r: r.status_label or _("year status")),
    Column("本期預定值", lambda r: spreadsheet_number(r.planned_to_date), "number"),
    Column("全年達成度(%)", lambda r: r.year_raw, "percent"),
    Column("不予評估原因", lambda r: r.white_reason),
    Column("達成情形說明", lambda r: r.narrative, "long"),
    Column("未達成原因", lambda r: r.shortfall_reason, "long"),
    Column("改善措施", lambda r: r.improvement_plan, "long"),
    Column("計算數據", lambda r: r.inputs_text, "long"),
    Column("計算過程", lambda r: r.working, "long"),
    Column("佐證資料件數", lambda r: len(r.evidence), "number"),
    Column("佐證資料", lambda r: r.evidence_text, "long"),
]
EXPORT_HEADERS = [c.header for c in EXPORT_COLUMNS]


def export_rows(report: YearlyReport) -> list[list[object]]:
    """Every row as the downloads carry it: numbers as numbers, '' for nothing in a text column."""
    out = []
    for row in report.rows:
        values = []
        for column in EXPORT_COLUMNS:
            value = column.value(row)
            if value is None and column.kind == "text":
                value = ""
            values.append(value)
        out.append(values)
    return out


def export_sheets(report: YearlyReport) -> list[Sheet]:
    """The download's three sheets: the rows, the roll-ups, and what the file is.

    Build them, and write them, in zh-Hant (`translation.override(settings.LANGUAGE_CODE)`):
    the headers and sheet names are a data contract, so the texts follow them."""
    return [
        Sheet(
            title="績效年報",
            headers=EXPORT_HEADERS,
            rows=export_rows(report),
            long_columns={i for i, c in enumerate(EXPORT_COLUMNS) if c.kind == "long"},
            percent_columns={i for i, c in enumerate(EXPORT_COLUMNS) if c.kind == "percent"},
            code_columns={i for i, c in enumerate(EXPORT_COLUMNS) if c.code},
        ),
        Sheet(title="燈號統計", headers=SUMMARY_HEADERS, rows=summary_rows(report), percent_columns={2}),
        Sheet(title="說明", headers=["項目", "內容"], rows=about_rows(report), long_columns={1}),
    ]


SUMMARY_HEADERS = ["範圍", "指標數", "平均達成度(%)", "燈號", "達成", "部分達成", "未達成", "不予評估"]


def _summary_row(name: str, rollup: RollUp) -> list[object]:
    return [
        name,
        rollup.total,
        formatting.percent_number(rollup.score),
        rollup.light.label,
        rollup.counts[Light.GREEN],
        rollup.counts[Light.YELLOW],
        rollup.counts[Light.RED],
        rollup.counts[Light.WHITE],
    ]


def summary_rows(report: YearlyReport) -> list[list[object]]:
    """The roll-ups: each department's KPIs (and its common indicators beside them), then the city."""
    rows = []
    for section in report.sections:
        if section.rollup is not None:
            rows.append(_summary_row(_("%(name)s: KPIs") % {"name": section.department.name}, section.rollup))
        if section.common_rollup is not None:
            rows.append(
                _summary_row(
                    _("%(name)s: common indicators") % {"name": section.department.name}, section.common_rollup
                )
            )
    if report.city is not None and len(report.viewable) > 1:
        rows.append(_summary_row(city_label(report), report.city))
    return rows


def city_scope(report: YearlyReport) -> str:
    """全市, or 全市（可檢視之 3 個機關） when the reader may view only some departments."""
    if report.covers_every_department:
        return city_name()
    return _("%(city)s (the %(count)s departments you may view)") % {
        "city": city_name(),
        "count": len(report.viewable),
    }


def city_label(report: YearlyReport) -> str:
    return _("%(name)s: KPIs") % {"name": city_scope(report)}


def about_rows(report: YearlyReport) -> list[list[object]]:
    """What the download is: plan, year, scope, date and the thresholds in force.

    The first column names each row, like a header: it stays zh-Hant (the download's
    data contract); the values follow the active language (zh-Hant in the downloads).
    """
    plan = report.plan
    return [
        ["計畫", f"{plan.name}（{plan.start_year}–{plan.end_year}）{plan.edition}"],
        ["年度", _("%(year)s (%(gregorian)s)") % {"year": report.year_label, "gregorian": report.gregorian}],
        ["範圍", report.scope_name if report.department else city_scope(report)],
        ["產製日期", report.generated_text],
        ["燈號門檻", report.thresholds_text],
        [
            "說明",
            _(
                "The actual is the latest approved year-to-date figure of the year; attainment is not capped, "
                "the scored attainment is capped at 100 percent."
            ),
        ],
    ]
