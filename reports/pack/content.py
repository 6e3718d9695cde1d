"""What the meeting pack says, whatever its format: the cover, the contents, the summary and its
charts, one section per department, and the sign-off block.

Every figure is a `reports.yearly.ReportRow` property or a roll-up of the `YearlyReport` that
`build_yearly_report` built: the pack only chooses which of them to show and in what order,
so it can never say something the yearly report does not. The PDF (reports.pack.pdf) and the
ODT (reports.pack.odt) both read this module; neither formats a figure of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from common import formatting
from kpi import units
from kpi.attainment import Light, RollUp
from reports.yearly import (
    SUMMARY_HEADERS,
    DepartmentSection,
    ReportRow,
    YearlyReport,
    city_scope,
    summary_rows,
)

# Yellow and red KPIs must say why and what will be done (DOMAIN.md: 未達成原因, 改善措施).
EXPLAINED_LIGHTS = (Light.YELLOW, Light.RED)
# The light's text, for readers without colour (a grey print, colour blindness): the
# symbol is decoration, the label is what counts.
LIGHT_SYMBOLS = {Light.GREEN: "●", Light.YELLOW: "▲", Light.RED: "■", Light.WHITE: "○"}
LIGHT_ORDER = (Light.GREEN, Light.YELLOW, Light.RED, Light.WHITE)


def pack_title() -> str:
    return _("Administrative performance report")


def sign_off_roles() -> list[str]:
    """承辦人, 單位主管, 研考: who signs the department's pages before the meeting."""
    return [_("Officer in charge"), _("Head of the department"), _("Planning and evaluation office")]


@dataclass(frozen=True)
class Bar:
    """One bar of the summary's charts: a department (city pack) or an objective (department pack)."""

    label: str
    rollup: RollUp

    @property
    def score(self):
        return self.rollup.score

    @property
    def score_text(self) -> str:
        return formatting.percent(self.rollup.score)

    @property
    def light(self) -> Light:
        return self.rollup.light

    @property
    def counts(self) -> list[tuple[Light, int]]:
        return [(light, self.rollup.counts[light]) for light in LIGHT_ORDER]


@dataclass(frozen=True)
class KpiLine:
    """One row of a department's KPI table, as the pack shows it (all from the ReportRow)."""

    row: ReportRow

    @property
    def code(self) -> str:
        return self.row.code

    @property
    def name(self) -> str:
        return self.row.indicator.name

    @property
    def target(self) -> str:
        return self.row.target_text

    @property
    def original_target(self) -> str:
        """原訂 5 場, when the target was revised."""
        if not self.row.is_revised:
            return ""
        return _("Original target: %(value)s") % {"value": self.row.original_target_text}

    @property
    def planned(self) -> str:
        """本期預定 75%: what the period's light was judged against (the period's planned value)."""
        if self.row.planned_to_date is None:
            return ""
        return _("Planned for the period: %(value)s") % {
            "value": units.amount(self.row.indicator, self.row.planned_to_date, derived=True)
        }

    @property
    def actual(self) -> str:
        return self.row.actual_text

    @property
    def actual_period(self) -> str:
        """截至第3季: the period of the approved report the actual comes from."""
        if not self.row.report:
            return ""
        return _("as of %(period)s") % {"period": self.row.actual_period_short}

    @property
    def attainment(self) -> str:
        return self.row.raw_text

    @property
    def scored(self) -> str:
        """計分 100% when the attainment is capped for the roll-up."""
        if not self.row.is_capped:
            return ""
        return _("scored %(capped)s") % {"capped": self.row.capped_text}

    @property
    def light(self) -> Light:
        return self.row.light

    @property
    def light_label(self) -> str:
        return self.row.light_label

    @property
    def light_symbol(self) -> str:
        return LIGHT_SYMBOLS[self.row.light]

    @property
    def basis(self) -> str:
        """113Q3 進度 when the light is a period's progress; '' for the year's status."""
        return self.row.status_label

    @property
    def year_ratio(self) -> str:
        """全年 62.5%: the figure against the whole year's target, beside a period's light."""
        if not (self.row.by_period and self.row.report):
            return ""
        return _("Full year: %(ratio)s") % {"ratio": self.row.year_raw_text}

    @property
    def white_reason(self) -> str:
        return self.row.white_reason

    @property
    def needs_explanation(self) -> bool:
        return self.row.light in EXPLAINED_LIGHTS

    @property
    def narrative(self) -> str:
        return self.row.narrative

    @property
    def shortfall_reason(self) -> str:
        return self.row.shortfall_reason

    @property
    def improvement_plan(self) -> str:
        return self.row.improvement_plan

    @property
    def evidence(self) -> list[str]:
        return self.row.evidence_names

    @property
    def working(self) -> str:
        """A common indicator's formula inputs and working, as the yearly report shows them."""
        parts = [text for text in (self.row.inputs_text, self.row.working) if text]
        return pgettext("list of clauses", "; ").join(parts)


@dataclass(frozen=True)
class PackSection:
    """One department's pages: its KPI table, its common indicators, their explanations."""

    number: int
    section: DepartmentSection

    @property
    def anchor(self) -> str:
        return f"dept-{self.section.department.id}"

    @property
    def title(self) -> str:
        return pgettext("a numbered entry", "%(number)s. %(text)s") % {
            "number": self.section.department_plan.toc_label,
            "text": self.section.department.name,
        }

    @property
    def department_name(self) -> str:
        return self.section.department.name

    @property
    def kpis(self) -> list[KpiLine]:
        return [KpiLine(r) for r in self.section.kpi_rows]

    @property
    def commons(self) -> list[KpiLine]:
        return [KpiLine(r) for r in self.section.common_rows]

    @property
    def lines(self) -> list[KpiLine]:
        return self.kpis + self.commons

    @property
    def rollup_text(self) -> str:
        return rollup_text(self.section.rollup)

    @property
    def common_rollup_text(self) -> str:
        return rollup_text(self.section.common_rollup)


def rollup_text(rollup: RollUp | None) -> str:
    """平均達成度 92.5%（部分達成）；達成 3、部分達成 1、未達成 1、不予評估 0."""
    if rollup is None:
        return ""
    counts = pgettext("list separator", ", ").join(
        _("%(light)s %(count)s") % {"light": light.label, "count": rollup.counts[light]} for light in LIGHT_ORDER
    )
    return _("Score %(score)s (%(light)s); %(counts)s") % {
        "score": formatting.percent(rollup.score),
        "light": rollup.light.label,
        "counts": counts,
    }


@dataclass
class MeetingPack:
    """施政績效報告: a yearly report (of a year, or of a year as of a period) laid out for a meeting."""

    report: YearlyReport

    @property
    def title(self) -> str:
        return pack_title()

    @property
    def plan_line(self) -> str:
        plan = self.report.plan
        return pgettext("a plan: name, years, edition", "%(name)s (%(start)s–%(end)s) %(edition)s") % {
            "name": plan.name,
            "start": plan.start_year,
            "end": plan.end_year,
            "edition": plan.edition,
        }

    @property
    def is_city(self) -> bool:
        return self.report.department is None

    @property
    def scope(self) -> str:
        return self.report.department.name if self.report.department else city_scope(self.report)

    @property
    def when(self) -> str:
        """民國113年度 or 民國113年度 第3季."""
        if self.report.period is None:
            return self.report.year_label
        return pgettext("a year and a period in it", "%(year)s %(period)s") % {
            "year": self.report.year_label,
            "period": self.report.period_name,
        }

    @property
    def when_detail(self) -> str:
        """（西元2024年）, or （截至民國113年9月30日）for a period."""
        if self.report.period is None:
            return _("(%(gregorian)s)") % {"gregorian": self.report.gregorian}
        return _("(up to %(date)s)") % {"date": formatting.roc_date(self.report.period.end_date)}

    @property
    def date_text(self) -> str:
        return self.report.generated_text

    @property
    def thresholds_text(self) -> str:
        return self.report.thresholds_text

    @property
    def basis_note(self) -> str:
        """How the lights were judged: the year's target, or each period's planned value."""
        report = self.report
        if report.period is not None and not (report.period.is_last_of_year and not report.is_year_in_progress):
            return _(
                "Figures are those approved for periods up to %(date)s. Each light is the KPI's progress: its "
                "latest approved year-to-date figure against the planned value of that figure's period; the "
                "full-year ratio is given beside it."
            ) % {"date": formatting.roc_date(report.period.end_date)}
        if report.is_year_in_progress:
            return _(
                "The year is in progress: each light is the KPI's progress in the period named beside it, its "
                "latest approved figure against that period's planned value; the full-year ratio is given beside it."
            )
        return _(
            "Each light is the year's status: the latest approved year-to-date figure of the year against the "
            "year's target."
        )

    @property
    def filename_stem(self) -> str:
        """施政績效報告_都市發展處_113 (or …_113_第3季)."""
        stem = f"施政績效報告_{self.report.scope_name}_{self.report.year}"
        return f"{stem}_{self.report.period_name}" if self.report.period else stem

    @property
    def ascii_filename_stem(self) -> str:
        scope = f"department-{self.report.department.id}" if self.report.department else "city"
        stem = f"meeting-pack_{scope}_{self.report.year}"
        return f"{stem}_p{self.report.period.number}" if self.report.period else stem

    # The summary.
    @property
    def summary_title(self) -> str:
        return _("Summary of the whole city") if self.is_city else _("Summary")

    @property
    def summary_headers(self) -> list[str]:
        return SUMMARY_HEADERS

    @property
    def summary_rows(self) -> list[list[str]]:
        """The yearly report's roll-up rows (reports.yearly.summary_rows), written as text."""
        return [[_cell(value) for value in row] for row in summary_rows(self.report)]

    @property
    def bars(self) -> list[Bar]:
        """The chart's bars: each department's KPIs (city), or each strategic objective (department)."""
        if self.is_city:
            return [Bar(s.department.name, s.rollup) for s in self.report.sections if s.rollup is not None]
        return [
            Bar(f"{block.number}. {block.name}", block.rollup)
            for s in self.report.sections
            for block in s.objectives
            if block.rollup is not None
        ]

    @property
    def chart_title(self) -> str:
        return _("Score by department") if self.is_city else _("Score by strategic objective")

    @property
    def counts_title(self) -> str:
        return _("Lights by department") if self.is_city else _("Lights by strategic objective")

    @property
    def sections(self) -> list[PackSection]:
        return [PackSection(i, s) for i, s in enumerate(self.report.sections, start=1)]

    @property
    def departments_without_indicators(self) -> list[str]:
        return [d.name for d in self.report.departments_without_indicators]

    @property
    def contents(self) -> list[tuple[str, str]]:
        """(anchor, title) of the table of contents."""
        entries = [("summary", self.summary_title)]
        entries += [(s.anchor, s.title) for s in self.sections]
        return entries

    # Fixed wording.
    @property
    def headers(self) -> dict[str, str]:
        return {
            "code": _("Code"),
            "indicator": _("Indicator"),
            "target": _("Target"),
            "actual": _("Actual"),
            "attainment": _("Attainment"),
            "light": _("Light"),
            "narrative": _("Progress narrative"),
            "shortfall": _("Reason for shortfall"),
            "improvement": _("Improvement measures"),
            "evidence": _("Evidence"),
            "working": _("Formula inputs and working"),
            "kpis": _("Key performance indicators"),
            "commons": _("Common indicators"),
            "explanations": _("Explanations"),
            "contents": _("Contents"),
            "plan": _("Plan"),
            "period": _("Year and period"),
            "scope": _("Scope"),
            "date": _("Date of the pack"),
            "lights": _("Lights"),
            "sign_off": _("Sign-off"),
            "signature": _("Signature and date"),
            "none": _("None"),
            "not_given": _("(not given)"),
            "no_indicators": _("There are no indicators to report for this choice."),
            "without_indicators": _("Departments with no indicators entered yet:"),
        }

    @property
    def sign_off_roles(self) -> list[str]:
        return sign_off_roles()


def _cell(value) -> str:
    if value is None:
        return formatting.DASH
    if isinstance(value, str):
        return value
    return formatting.number(value)
