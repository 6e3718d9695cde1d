"""What the public may read: the transparency page (施政績效公開) and the open-data files.

One selector feeds the public pages and the JSON and CSV files, so the public sees
the same figure wherever it looks. Three rules, all enforced here and nowhere else:

1. Only published years. An admin publishes a plan year (`plans.PublishedYear`);
   any other year does not exist for the public (the views answer 404, not "not
   published yet").
2. Only approved figures. Actuals, attainment, lights and lights' texts come from
   `kpi.assessments.plan_year_attainment`, whose actual for a KPI-year is the
   latest *approved* report of that year. The texts shown beside a figure
   (達成情形說明, and 未達成原因 / 改善措施 when the light is yellow or red) are those
   of that same approved report, never of a later draft, submitted or returned one.
   A report in any other status reaching this module is a bug, and it fails closed.
3. Corrections show, and only once approved. When the planning office reopens an
   approved report to correct it (撤銷核定／更正), the public keeps reading the figure
   approved before, with its texts (`latest_approved` returns the figure of record),
   and nothing says a correction is pending: the reopening and its reason are internal
   until the corrected figure is approved. Then the new figure replaces the old one,
   marked 更正 with the date and reason of the correction (`corrected_at`,
   `correction_reason`); the figure it replaced stays on the internal record
   (`kpi.models.ReportCorrection`).

The open-data field names (`INDICATOR_FIELDS` …) are a published interface: add
fields at the end if needed, never rename or remove one. docs/open-data.md
documents them; the /open-data/ page lists them from the same definitions. The files
speak zh-Hant whatever the visitor's language (their labels, lights and reasons are
built under `translation.override`, reports.views.public), and their percentages are
rounded as the pages show them (`common.formatting.percent_number`: half up, one place).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from common import formatting
from common.spreadsheets.writing import csv_text
from common.years import to_gregorian
from kpi import units
from kpi.assessments import (
    PERIOD,
    YEAR,
    IndicatorResult,
    PlanYearAttainment,
    Status,
    plan_year_attainment,
    thresholds_for,
)
from kpi.attainment import Assessment, Light, RollUp, Thresholds, roll_up
from kpi.models import (
    Indicator,
    IndicatorKind,
    ProgressReport,
    ReportingPeriod,
    ReportStatus,
    StoredAssessment,
    YearlyTarget,
)
from kpi.rollups import CITY, stored_rollups
from plans.models import DepartmentPlan, Goal, Plan, PublishedYear, StrategicObjective
from plans.selectors import plan_in_force
from reports.selectors.charts import LIGHT_ORDER

# When a figure falls short, the approved report explains why and what will be done.
SHORTFALL_LIGHTS = (Light.YELLOW, Light.RED)


# --- Which years are public ---------------------------------------------------------


def published_years() -> list[PublishedYear]:
    """Every published year, newest plan first, years in order (one query)."""
    return list(PublishedYear.objects.select_related("plan").order_by("-plan__start_year", "year"))


def find_published_year(year: int, published: Iterable[PublishedYear] | None = None) -> PublishedYear | None:
    """The published record for an ROC year, or None when that year is not public.

    Medium-term plans follow one another (111–114, then 115–118), so a year names
    one plan; should two plans ever cover and publish the same year, the newer wins.
    A record whose year lies outside its plan is ignored.
    """
    candidates = published if published is not None else PublishedYear.objects.select_related("plan").filter(year=year)
    matches = [p for p in candidates if p.year == year and p.plan.contains_year(year)]
    matches.sort(key=lambda p: -p.plan.start_year)
    return matches[0] if matches else None


def latest_plan() -> Plan | None:
    """The plan named on the public page before any of its years is published: the plan in force."""
    return plan_in_force()


# --- The public view of a plan-year -----------------------------------------------------


@dataclass(frozen=True)
class Score:
    """A roll-up as the public reads it: score, light and the count of each light."""

    rollup: RollUp

    @property
    def score(self) -> Decimal | None:
        return self.rollup.score

    @property
    def light(self) -> Light:
        return self.rollup.light

    @property
    def total(self) -> int:
        return self.rollup.total

    @property
    def counts(self) -> list[tuple[Light, int]]:
        return [(light, self.rollup.counts[light]) for light in LIGHT_ORDER]

    def counts_dict(self) -> dict[str, int]:
        return {light.value: self.rollup.counts[light] for light in LIGHT_ORDER}


@dataclass(frozen=True)
class PublicIndicator:
    """One indicator-year as the public sees it: only approved figures and texts."""

    indicator: Indicator
    target: YearlyTarget | None
    report: ProgressReport | None  # the approved report that gives the actual, or None
    assessment: Assessment

    @classmethod
    def from_result(cls, result: IndicatorResult) -> PublicIndicator:
        report = result.report
        if report is not None and report.status != ReportStatus.APPROVED:
            # plan_year_attainment reads approved reports only; anything else is a bug
            # that must not leak an unapproved figure to the public.
            raise RuntimeError(f"report {report.pk} is {report.status}, not approved: refusing to publish it")
        return cls(result.indicator, result.target, report, result.assessment)

    @property
    def actual(self) -> Decimal | None:
        return self.report.actual if self.report else None

    @property
    def period(self):
        return self.report.period if self.report else None

    @property
    def narrative(self) -> str:
        return self.report.narrative if self.report else ""

    @property
    def explains_shortfall(self) -> bool:
        return self.report is not None and self.assessment.light in SHORTFALL_LIGHTS

    @property
    def shortfall_reason(self) -> str:
        return self.report.shortfall_reason if self.explains_shortfall else ""

    @property
    def improvement_plan(self) -> str:
        return self.report.improvement_plan if self.explains_shortfall else ""

    @property
    def corrected_at(self):
        """When the figure shown was corrected (its correction approved), or None.

        A correction still pending is not shown (rule 3): the figure of record of a report
        reopened for correction is the one approved before, with the correction date and
        reason it had then (None and "" unless it had been corrected before), and its
        `pending_correction` never reaches the public."""
        return self.report.corrected_at if self.report else None

    @property
    def correction_reason(self) -> str:
        """Why the figure shown was corrected ("" when it never was)."""
        return self.report.correction_reason if self.corrected_at else ""

    @property
    def is_revised(self) -> bool:
        return bool(self.target and self.target.is_revised)

    @property
    def is_year_to_date(self) -> bool:
        """The actual comes from a period before the year's last, yet is judged against the full year."""
        return self.report is not None and not self.report.period.is_last_of_year


@dataclass
class PublicObjective:
    objective: StrategicObjective
    score: Score
    indicators: list[PublicIndicator]


@dataclass
class PublicGoal:
    goal: Goal | None  # None gathers objectives not linked to a goal
    score: Score | None
    objectives: list[PublicObjective]


@dataclass
class PublicDepartment:
    department_plan: DepartmentPlan
    score: Score | None  # None when the department has no KPI
    kpis: list[PublicIndicator] = field(default_factory=list)
    common: list[PublicIndicator] = field(default_factory=list)
    common_score: Score | None = None
    goals: list[PublicGoal] = field(default_factory=list)

    @property
    def department(self):
        return self.department_plan.department

    @property
    def has_content(self) -> bool:
        return self.department_plan.has_content

    @property
    def indicators(self) -> list[PublicIndicator]:
        return self.kpis + self.common

    @property
    def year_to_date_count(self) -> int:
        return sum(1 for i in self.indicators if i.is_year_to_date)


class _PublishedYearPage:
    """What every public view of a published year says about it and its departments."""

    published: PublishedYear
    departments: list[PublicDepartment]

    @property
    def plan(self) -> Plan:
        return self.published.plan

    @property
    def year(self) -> int:
        return self.published.year

    @property
    def year_gregorian(self) -> int:
        return to_gregorian(self.published.year)

    @property
    def departments_entered(self) -> list[PublicDepartment]:
        return [d for d in self.departments if d.has_content]

    @property
    def departments_not_entered(self) -> list[PublicDepartment]:
        """尚未建檔: departments of the plan whose part has not been entered yet."""
        return [d for d in self.departments if not d.has_content]

    @property
    def departments_with_kpis(self) -> int:
        return sum(1 for d in self.departments if d.score is not None)


@dataclass
class PublicYear(_PublishedYearPage):
    published: PublishedYear
    attainment: PlanYearAttainment
    departments: list[PublicDepartment]

    @property
    def thresholds(self) -> Thresholds:
        return self.attainment.thresholds

    @property
    def city(self) -> Score:
        return Score(self.attainment.city.rollup)

    @property
    def indicators(self) -> list[PublicIndicator]:
        return [i for d in self.departments for i in d.indicators]

    @property
    def year_to_date_count(self) -> int:
        return sum(d.year_to_date_count for d in self.departments)


@dataclass
class PublicCity(_PublishedYearPage):
    """The city page of a published year: the city's and each department's scores, not their
    indicators (`departments[…].kpis` stay empty), read from the stored roll-ups."""

    published: PublishedYear
    thresholds: Thresholds
    city: Score
    departments: list[PublicDepartment]
    year_to_date_count: int


def _goals(attainment: PlanYearAttainment, objective_ids: list[int], by_id: dict[int, PublicIndicator]):
    """goals → objectives → KPIs, in the plan's order, from the roll-ups already computed."""
    goals: dict[int | None, PublicGoal] = {}
    for oid in objective_ids:
        group = attainment.objectives[oid]
        objective = group.results[0].indicator.objective
        public_objective = PublicObjective(
            objective, Score(group.rollup), [by_id[r.indicator.pk] for r in group.results]
        )
        goal = objective.goal
        key = goal.pk if goal else None
        if key not in goals:
            goal_group = attainment.goals.get(key) if key is not None else None
            goals[key] = PublicGoal(goal, Score(goal_group.rollup) if goal_group else None, [])
        goals[key].objectives.append(public_objective)
    for g in goals.values():
        g.objectives.sort(key=lambda o: o.objective.number)
    return sorted(goals.values(), key=lambda g: (g.goal is None, g.goal.number if g.goal else 0))


def public_year(published: PublishedYear, *, department_id: int | None = None) -> PublicYear:
    """The public figures of a published year: the whole city, or one department.

    Four queries whatever the number of departments, indicators and reports: the
    department plans, and plan_year_attainment's three.
    """
    plan = published.plan
    department_plans = DepartmentPlan.objects.filter(plan=plan).select_related("department").order_by("toc_number")
    if department_id is not None:
        department_plans = department_plans.filter(department_id=department_id)
    department_plans = list(department_plans)
    attainment = plan_year_attainment(
        plan=plan,
        year=published.year,
        department_ids=None if department_id is None else [department_id],
    )
    by_id = {pk: PublicIndicator.from_result(r) for pk, r in attainment.indicators.items()}
    kpis: dict[int, list[PublicIndicator]] = {}
    common: dict[int, list[PublicIndicator]] = {}
    objective_ids: dict[int, list[int]] = {}
    for item in by_id.values():
        department = item.indicator.department_plan.department_id
        if item.indicator.kind == IndicatorKind.KPI:
            kpis.setdefault(department, []).append(item)
            ids = objective_ids.setdefault(department, [])
            if item.indicator.objective_id not in ids:
                ids.append(item.indicator.objective_id)
        else:
            common.setdefault(department, []).append(item)

    departments = []
    for dp in department_plans:
        did = dp.department_id
        group = attainment.departments.get(did)
        common_group = attainment.common.get(did)
        departments.append(
            PublicDepartment(
                department_plan=dp,
                score=Score(group.rollup) if group else None,
                kpis=kpis.get(did, []),
                common=common.get(did, []),
                common_score=Score(common_group.rollup) if common_group else None,
                goals=_goals(attainment, objective_ids.get(did, []), by_id),
            )
        )
    return PublicYear(published, attainment, departments)


def public_city(published: PublishedYear) -> PublicCity:
    """The figures of the city page, aggregated in SQL from the stored assessments (`kpi.rollups`):
    the same roll-ups as `public_year`'s, without building every indicator of the city.

    Five queries whatever the size of the city: the department plans, the city's and the
    departments' roll-ups, and the figures that cover part of the year (two).
    """
    plan, year = published.plan, published.year
    department_plans = list(
        DepartmentPlan.objects.filter(plan=plan).select_related("department").order_by("toc_number")
    )
    city = stored_rollups(plan=plan, years=[year], by="city")[year].get(CITY)
    by_department = stored_rollups(plan=plan, years=[year], by="department")[year]
    thresholds = thresholds_for(plan)
    departments = [
        PublicDepartment(
            department_plan=dp,
            score=Score(by_department[dp.department_id]) if dp.department_id in by_department else None,
        )
        for dp in department_plans
    ]
    return PublicCity(
        published=published,
        thresholds=thresholds,
        city=Score(city if city is not None else roll_up((), thresholds)),
        departments=departments,
        year_to_date_count=_year_to_date_count(plan, year),
    )


def _year_to_date_count(plan: Plan, year: int) -> int:
    """How many indicators' figures of record (KPIs and common ones) come from a period before
    the year's last (`ReportingPeriod.is_last_of_year`), as `PublicIndicator.is_year_to_date` says."""
    by_period = dict(
        StoredAssessment.objects.filter(indicator__department_plan__plan=plan, year=year, report__isnull=False)
        .values_list("report__period")
        .annotate(n=Count("pk"))
        .order_by()
    )
    periods = ReportingPeriod.objects.filter(pk__in=list(by_period)) if by_period else []
    return sum(by_period[p.pk] for p in periods if not p.is_last_of_year)


# --- Open data ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One open-data field: its stable name, type and meaning in zh-Hant and English."""

    name: str
    type: str
    zh: str
    en: str


_FIRST_INDICATOR_FIELDS: tuple[Field, ...] = (
    Field("year", "integer", "年度（民國年）", "Year, ROC calendar (民國年)"),
    Field("year_gregorian", "integer", "年度（西元年）", "Year, Gregorian calendar"),
    Field("department_id", "integer", "機關代號（本系統編號，固定不變）", "Department id (stable)"),
    Field("department", "string", "機關名稱", "Department name"),
    Field("indicator_id", "integer", "指標代號（本系統編號，跨年度固定不變）", "Indicator id (stable across years)"),
    Field(
        "kind",
        "string",
        "指標類別：kpi＝關鍵績效指標；common＝共同性指標",
        "Kind: kpi = key performance indicator; common = common indicator",
    ),
    Field("code", "string", "指標編號，如 1-1；共同性指標如 共1-1", "Indicator number, e.g. 1-1 (共1-1 for common)"),
    Field("goal", "string|null", "目標（共同性指標為空值）", "Goal (null for common indicators)"),
    Field(
        "objective",
        "string",
        "關鍵策略目標；共同性指標為其共同性目標",
        "Strategic objective; for a common indicator, its common goal",
    ),
    Field(
        "dimension",
        "string",
        "面向代碼：business_results、administrative_efficiency、service_effectiveness、"
        "financial_management、organizational_learning",
        "Dimension code (see dimension_label)",
    ),
    Field(
        "dimension_label",
        "string",
        "面向：業務成果、行政效率、服務效能、財務管理、組織學習",
        "Dimension, in zh-Hant",
    ),
    Field("name", "string", "指標名稱", "Indicator name"),
    Field("measurement_standard", "string", "衡量標準（共同性指標為計算公式）", "How it is measured (or the formula)"),
    Field(
        "unit", "string", "單位：%、式、場、件、處", "Unit: %, 式 (deliverable), 場 (sessions), 件 (cases), 處 (places)"
    ),
    Field(
        "direction",
        "string",
        "higher＝數值越高越好；lower＝數值越低越好",
        "higher = higher is better; lower = lower is better",
    ),
    Field("weight", "number", "權重（計算平均達成度時使用）", "Weight in the averaged scores"),
    Field("target", "number|null", "年度目標值（現行；如曾修正為修正後之值）", "Target in force (after any revision)"),
    Field("original_target", "number|null", "原訂目標值（計畫核定時之值）", "Target as the plan first set it"),
    Field("target_revised", "boolean", "目標值是否曾經修正", "Whether the target was revised"),
    Field(
        "actual",
        "number|null",
        "核定實績：該年度最新一期經主管核定之累計值；「式」為完成比例（完成＝1）；共同性指標為公式計算結果，"
        "四捨五入至小數二位；尚無核定實績為空值",
        "Approved actual: the year's latest approved year-to-date figure (式: completed fraction, 1 = done; "
        "a common indicator's formula result rounded half up to 2 places); null when none is approved",
    ),
    Field(
        "attainment",
        "number|null",
        "達成度（%），未設上限（例如 120 表示超越目標），四捨五入至小數一位，與網頁所示相同；不予評估為空值",
        "Attainment in percent, uncapped (120 = beyond the target), rounded half up to one decimal place "
        "as the pages show it; null when not assessed",
    ),
    Field(
        "attainment_capped",
        "number|null",
        "達成度（%），上限 100，計算平均時使用（四捨五入至小數一位）",
        "Attainment in percent, capped at 100, as averaged (rounded half up to one decimal place)",
    ),
    Field("light", "string", "燈號代碼：green、yellow、red、white", "Light code: green, yellow, red, white"),
    Field(
        "light_label",
        "string",
        "燈號：達成、部分達成、未達成、不予評估",
        "Light in zh-Hant: 達成 met, 部分達成 partly met, 未達成 not met, 不予評估 not assessed",
    ),
    Field("white_reason", "string", "不予評估之原因（其他燈號為空字串）", "Why not assessed ('' otherwise)"),
    Field(
        "reported_period",
        "string",
        "實績所屬填報期間，如 114Q4（第4季）、114H2（下半年）、114/12（12月）；無實績為空字串",
        "Reporting period of the actual, e.g. 114Q4; '' when none",
    ),
    Field("approved_at", "string", "實績核定日期（YYYY-MM-DD）；無實績為空字串", "Date the actual was approved"),
    Field("narrative", "string", "達成情形說明（出自提供實績之核定填報）", "How it went, from the approved report"),
    Field(
        "shortfall_reason",
        "string",
        "未達成原因（僅黃燈、紅燈時提供）",
        "Why the target was not met (yellow or red only)",
    ),
    Field(
        "improvement_plan",
        "string",
        "改善措施（僅黃燈、紅燈時提供）",
        "What will be done about it (yellow or red only)",
    ),
)

# Added once the in-year status came (DOMAIN.md "In-year status"): what `attainment` and `light`
# were judged on. A published year has normally ended, so it is judged on the year ("year").
STATUS_FIELDS: tuple[Field, ...] = (
    Field(
        "basis",
        "string",
        "燈號判定基準：year＝年度達成（實績 ÷ 年度目標值，年度結束後一律如此）；period＝進度（年度進行中：最新核定累計實績"
        " ÷ 該期分期預定值，見 status_period）",
        "What attainment and light are judged on: year = the year's target (always, once the year has ended); "
        "period = the planned value of status_period (分期預定值), for a year still in progress",
    ),
    Field(
        "status_period",
        "string|null",
        "進度燈號所屬填報期間，如 114Q3；basis 為 year 時為空值",
        "The reporting period a period status refers to, e.g. 114Q3; null when basis is year",
    ),
)

# Added with corrections (撤銷核定／更正): a figure corrected after its approval says when and why.
# A correction still under way does not show: the row keeps the figure approved before.
CORRECTION_FIELDS: tuple[Field, ...] = (
    Field(
        "corrected_at",
        "string",
        "實績更正時間（ISO 8601，含時區 +08:00）：核定後經研考撤銷核定、更正並再次核定者，為更正核定之時間；"
        "未曾更正為空字串",
        "When the actual was corrected (ISO 8601, Asia/Taipei): for a figure reopened by the planning office after "
        "its approval, corrected and approved again, when the correction was approved; '' when never corrected",
    ),
    Field(
        "correction_reason",
        "string",
        "更正原因（未曾更正為空字串）",
        "Why the actual was corrected ('' when never corrected)",
    ),
)

INDICATOR_FIELDS: tuple[Field, ...] = _FIRST_INDICATOR_FIELDS + STATUS_FIELDS + CORRECTION_FIELDS

CSV_EXTRA_FIELDS: tuple[Field, ...] = (
    Field("license", "string", "授權條款名稱（每列相同）", "Licence name (the same on every row)"),
    Field("license_url", "string", "授權條款網址（每列相同）", "Licence URL (the same on every row)"),
)

SUMMARY_FIELDS: tuple[Field, ...] = (
    Field("department_id", "integer", "機關代號（僅 departments）", "Department id (departments only)"),
    Field("department", "string", "機關名稱（僅 departments）", "Department name (departments only)"),
    Field(
        "plan_entered",
        "boolean",
        "該機關之計畫內容是否已建檔（僅 departments；false＝尚未建檔）",
        "Whether the department's part of the plan has been entered (departments only)",
    ),
    Field(
        "department_count",
        "integer",
        "有關鍵績效指標之機關數（僅 city）",
        "Number of departments with KPIs (city only)",
    ),
    Field(
        "score",
        "number|null",
        "綜合達成度（%）：各關鍵績效指標達成度（上限 100）之加權平均，不予評估者不計，四捨五入至小數一位；無可評估指標為空值",
        "Score in percent: weighted mean of the KPIs' capped attainment, not-assessed ones left out, "
        "rounded half up to one decimal place",
    ),
    Field("light", "string", "綜合燈號代碼：green、yellow、red、white", "Light code of the score"),
    Field("light_label", "string", "綜合燈號：達成、部分達成、未達成、不予評估", "Light of the score, in zh-Hant"),
    Field("kpi_count", "integer", "關鍵績效指標數（不含共同性指標）", "Number of KPIs (common indicators excluded)"),
    Field(
        "counts",
        "object",
        "各燈號之關鍵績效指標數：{green, yellow, red, white}",
        "KPIs per light: {green, yellow, red, white}",
    ),
)

# The CSV's columns: fields added after the licence columns come after them, so that no column
# ever moves (a reader may go by position).
CSV_FIELDS: tuple[Field, ...] = _FIRST_INDICATOR_FIELDS + CSV_EXTRA_FIELDS + STATUS_FIELDS + CORRECTION_FIELDS
CSV_FIELD_NAMES = [f.name for f in CSV_FIELDS]


def license_info() -> dict[str, str]:
    return {"name": settings.OPEN_DATA_LICENSE["name"], "url": settings.OPEN_DATA_LICENSE["url"]}


def _number(value) -> int | float | None:
    """A JSON number as `common.formatting.number` writes it: Decimal('85.5000') → 85.5, 100.0000 → 100.

    Figures have at most 14 significant digits, which a float carries exactly as text.
    """
    text = formatting.number(formatting.to_decimal(value))
    if text == "":
        return None
    number = Decimal(text)
    return int(number) if number == number.to_integral_value() else float(number)


def _percent(value) -> int | float | None:
    """A percentage as the pages show it, as a JSON number: 42.1875 → 42.2, 85.0000 → 85."""
    return _number(formatting.percent_number(value))


def _cell(value) -> str:
    """A CSV cell: numbers as `common.formatting.number` writes them (85.5, no % sign), booleans
    true/false, null empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | int | float):
        return formatting.number(value)
    return str(value)


def _iso(moment) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


def indicator_record(item: PublicIndicator, year: int, status: Status | None = None) -> dict:
    """One open-data row; keys in INDICATOR_FIELDS order.

    `status` is the KPI-year's status (`kpi.assessments.status_of`), whose assessment is
    `item.assessment`: it says what that light was judged on.
    """
    ind = item.indicator
    parent = ind.parent
    a = item.assessment
    report = item.report
    record = {
        "year": year,
        "year_gregorian": to_gregorian(year),
        "department_id": ind.department_plan.department_id,
        "department": ind.department_plan.department.name,
        "indicator_id": ind.pk,
        "kind": ind.kind,
        "code": ind.code,
        "goal": ind.objective.goal.name if ind.kind == IndicatorKind.KPI and ind.objective.goal_id else None,
        "objective": parent.name,
        "dimension": parent.dimension,
        "dimension_label": str(parent.get_dimension_display()),
        "name": ind.name,
        "measurement_standard": ind.measurement_standard,
        "unit": ind.unit,
        "direction": ind.direction,
        "weight": _number(ind.weight),
        "target": _number(item.target.value) if item.target else None,
        "original_target": _number(item.target.original_value) if item.target else None,
        "target_revised": item.is_revised,
        "actual": _number(units.as_shown(ind, item.actual)),
        "attainment": _percent(a.raw),
        "attainment_capped": _percent(a.capped),
        "light": a.light.value,
        "light_label": a.light.label,
        "white_reason": a.reason,
        "reported_period": report.period.short_label if report else "",
        "approved_at": timezone.localtime(report.reviewed_at).date().isoformat()
        if report and report.reviewed_at
        else "",
        "narrative": item.narrative,
        "shortfall_reason": item.shortfall_reason,
        "improvement_plan": item.improvement_plan,
        "basis": status.basis if status is not None else YEAR,
        "status_period": status.period.short_label
        if status is not None and status.basis == PERIOD and status.period is not None
        else None,
        "corrected_at": _iso(item.corrected_at) if item.corrected_at else "",
        "correction_reason": item.correction_reason,
    }
    return record


def _records(data: PublicYear) -> list[dict]:
    statuses = data.attainment.indicators
    return [indicator_record(i, data.year, statuses[i.indicator.pk].status) for i in data.indicators]


def _summary(score: Score | None) -> dict:
    if score is None:
        return {
            "score": None,
            "light": Light.WHITE.value,
            "light_label": Light.WHITE.label,
            "kpi_count": 0,
            "counts": dict.fromkeys((light.value for light in LIGHT_ORDER), 0),
        }
    return {
        "score": _percent(score.score),
        "light": score.light.value,
        "light_label": score.light.label,
        "kpi_count": score.total,
        "counts": score.counts_dict(),
    }


def open_data_document(data: PublicYear, *, documentation_url: str = "") -> dict:
    """The JSON open-data file of a published year."""
    plan = data.plan
    return {
        "plan": {
            "id": plan.pk,
            "name": plan.name,
            "edition": plan.edition,
            "start_year": plan.start_year,
            "end_year": plan.end_year,
            "start_year_gregorian": to_gregorian(plan.start_year),
            "end_year_gregorian": to_gregorian(plan.end_year),
        },
        "year": data.year,
        "year_gregorian": data.year_gregorian,
        "published_at": _iso(data.published.published_at),
        "license": license_info(),
        "generated_at": _iso(timezone.now()),
        "documentation_url": documentation_url,
        "thresholds": {"green": _number(data.thresholds.green), "yellow": _number(data.thresholds.yellow)},
        "indicators": _records(data),
        "departments": [
            {
                "department_id": d.department.pk,
                "department": d.department.name,
                "plan_entered": d.has_content,
                **_summary(d.score),
            }
            for d in data.departments
        ],
        "city": {"department_count": data.departments_with_kpis, **_summary(data.city)},
    }


def open_data_csv(data: PublicYear) -> str:
    """The CSV open-data file: one row per indicator, the licence on every row (UTF-8 BOM added by the caller)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_FIELD_NAMES)
    lic = license_info()
    for record in _records(data):
        record = {**record, "license": lic["name"], "license_url": lic["url"]}
        # Narratives and reasons are people's text: never a formula (common.spreadsheets.writing).
        writer.writerow([csv_text(_cell(record[name])) for name in CSV_FIELD_NAMES])
    return out.getvalue()
