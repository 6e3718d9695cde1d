"""THE status of a KPI-year (`kpi.assessments.status_of`) and the report form's preview
(`report_preview`), worked by hand.

Rules (DOMAIN.md, "In-year status"): an ended year is judged on the year (actual ÷ the
year's target); the year in progress on its period status, the latest approved
year-to-date figure against the planned value of its period (分期預定值: what people set,
else the default by accrual), labelled with that period ("112Q2 進度"), with the
full-year ratio beside it. Thresholds: green from 100%, yellow from 80%.

    case                          target  period  planned  actual  status          year ratio
    on pace (8 場 cumulative)      8       112Q2   4        4       100% green      50%
    exactly 80% of plan (10 件)    10      112Q2   5        4       80% yellow      40%
    year-end figure in Q3 (2%)     2       112Q3   —        1.5     white, reason   (white too)
    level rate (80%)               80      112Q1   80       70      87.5% yellow    87.5%
    lower-is-better rate (5%)      5       112Q3   5        6       83.3% yellow    83.3%
                                                           4       100% green
    closed year (today in 114)     8       113Q2   —        4       year: 50% red   50%
    stored planned value           8       112Q2   2 (set)  2       100% green      25%
                                           (the default, 4, would make it 50% red)
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from kpi import assessments, services
from kpi.assessments import PERIOD, YEAR, report_preview, status_of
from kpi.attainment import Light, Thresholds
from kpi.models import (
    Accrual,
    Direction,
    Indicator,
    PlannedStatus,
    PlannedValue,
    ProgressReport,
    ReportStatus,
    YearlyTarget,
)
from tests.factories import kpi_by_code

pytestmark = pytest.mark.django_db

IN_112 = datetime.date(2023, 10, 8)  # 民國112年 in progress
IN_114 = datetime.date(2025, 10, 8)  # the demo's today: 111–113 have ended
THRESHOLDS = Thresholds(green=Decimal(100), yellow=Decimal(80))


def indicator(unit="場", *, accrual=Accrual.CUMULATIVE, direction=Direction.HIGHER) -> Indicator:
    return Indicator(name="t", unit=unit, accrual=accrual, direction=direction)


def status(ind, period, target, actual, *, stored=None, today=IN_112, previous=None):
    targets = {period.year: Decimal(target)}
    if previous is not None:
        targets[period.year - 1] = Decimal(previous)
    return status_of(
        indicator=ind,
        year=period.year,
        targets=targets,
        target=YearlyTarget(indicator=ind, year=period.year, value=Decimal(target), excluded_reason=""),
        report=ProgressReport(indicator=ind, period=period, actual=Decimal(actual), status=ReportStatus.APPROVED),
        stored=stored,
        periods_per_year=4,
        thresholds=THRESHOLDS,
        today=today,
    )


def test_on_pace(periods):
    s = status(indicator("場"), periods["112Q2"], 8, 4)
    assert s.basis == PERIOD and s.period == periods["112Q2"]
    assert s.planned_to_date == Decimal(4)  # half of 8
    assert s.assessment.raw == Decimal("100.0000") and s.assessment.light == Light.GREEN
    assert s.label == "112Q2 進度"
    assert s.year.raw == Decimal("50.0000")  # the full-year ratio beside it: a figure, not the light


def test_exactly_80_percent_of_plan_is_yellow(periods):
    s = status(indicator("件"), periods["112Q2"], 10, 4)
    assert s.planned_to_date == Decimal(5)
    assert s.assessment.raw == Decimal("80.0000") and s.assessment.light == Light.YELLOW
    assert s.year.raw == Decimal("40.0000") and s.year.light == Light.RED  # not what people see


def test_a_year_end_figure_in_q3_is_not_assessed_with_its_reason(periods):
    s = status(indicator("%", accrual=Accrual.YEAR_END), periods["112Q3"], 2, "1.5")
    assert s.basis == PERIOD and s.planned_to_date is None  # nothing planned before year end
    assert s.assessment.light == Light.WHITE and s.assessment.raw is None
    assert s.assessment.reason.startswith("年終評估指標") and periods["112Q3"].label in s.assessment.reason
    assert s.year.light == Light.WHITE  # the full-year ratio means nothing yet either


def test_a_level_kpi_is_planned_at_its_target_in_every_period(periods):
    level = indicator("%", accrual=Accrual.LEVEL)
    s = status(level, periods["112Q1"], 80, 70)
    assert s.planned_to_date == Decimal(80)
    assert s.assessment.raw == Decimal("87.5000") and s.assessment.light == Light.YELLOW
    assert status(level, periods["112Q3"], 80, 80).planned_to_date == Decimal(80)


def test_a_lower_is_better_rate(periods):
    rate = indicator("%", accrual=Accrual.LEVEL, direction=Direction.LOWER)
    above = status(rate, periods["112Q3"], 5, 6)
    assert above.planned_to_date == Decimal(5)
    assert above.assessment.raw == Decimal("83.3333") and above.assessment.light == Light.YELLOW  # 5 ÷ 6
    below = status(rate, periods["112Q3"], 5, 4)
    assert below.assessment.raw == Decimal("100.0000") and below.assessment.light == Light.GREEN


def test_a_closed_year_is_judged_on_the_year(periods):
    s = status(indicator("場"), periods["113Q2"], 8, 4, today=IN_114)
    assert s.basis == YEAR and s.label == "" and s.planned_to_date is None
    assert s.assessment == s.year
    assert s.assessment.raw == Decimal("50.0000") and s.assessment.light == Light.RED


@pytest.mark.parametrize("state", [PlannedStatus.PROPOSED, PlannedStatus.CONFIRMED])
def test_a_stored_planned_value_overrides_the_default(periods, state):
    ind = indicator("場")
    default = status(ind, periods["112Q2"], 8, 2)
    assert default.planned_to_date == Decimal(4) and default.assessment.light == Light.RED
    s = status(ind, periods["112Q2"], 8, 2, stored={2: (Decimal(2), state)})
    assert s.planned_to_date == Decimal(2)
    assert s.assessment.raw == Decimal("100.0000") and s.assessment.light == Light.GREEN
    assert s.year.raw == Decimal("25.0000")


# --- The report form's preview: exactly what approval would show ------------------------------


def test_preview_uses_a_stored_planned_value_like_the_batch_service(periods, settings, staff, supervisor):
    settings.KPI_TODAY = IN_112
    one_five = kpi_by_code("1-5")  # 5 場 a year, cumulative: Q2's default is 3 (2.5, whole sessions)
    q2 = periods["112Q2"]
    before = report_preview(indicator=one_five, period=q2, actual=Decimal(2))
    assert before.period_target == Decimal(3)
    assert before.pace.light == Light.RED and before.needs_explanation  # 66.7%

    target = YearlyTarget.objects.get(indicator=one_five, year=112)
    PlannedValue.objects.create(target=target, number=2, value=Decimal(2), status=PlannedStatus.PROPOSED)
    after = report_preview(indicator=kpi_by_code("1-5"), period=q2, actual=Decimal(2))
    assert after.period_target == Decimal(2)
    assert after.pace.raw == Decimal("100.0000") and after.pace.light == Light.GREEN
    assert not after.needs_explanation
    assert after.label == "112Q2 進度"
    assert after.year.raw == Decimal("40.0000")  # 2 of 5, the figure beside it

    # Approving it would show the same: the batch service's status of the KPI-year.
    report = services.report_save(
        indicator=one_five,
        period=q2,
        user=staff,
        actual="2",
        narrative="依計畫辦理。",
        submit=True,  # on plan: no reason or measures needed
    )
    report = services.report_approve(report=report, user=supervisor, expected_version=report.version)
    result = assessments.plan_year_attainment(plan=q2.plan, year=112).indicators[one_five.pk]
    assert result.report == report
    assert result.assessment == after.pace and result.status.label == after.label
    assert result.year_assessment == after.year


def test_preview_of_a_year_end_figure_before_its_last_period(periods, settings):
    settings.KPI_TODAY = IN_112
    surplus = kpi_by_code("共1-1")  # the budget surplus: judged on the year's figure only
    preview = report_preview(indicator=surplus, period=periods["112Q3"], actual=Decimal("1.5"))
    assert preview.period_target is None  # no 「本期應達」 figure
    assert preview.pace.light == Light.WHITE and preview.pace.reason.startswith("年終評估指標")
    assert not preview.needs_explanation
    last = report_preview(indicator=surplus, period=periods["112Q4"], actual=Decimal("1.5"))
    assert last.period_target == Decimal(2) and last.pace.light == Light.RED  # 75% of the year's 2%


def test_preview_in_a_closed_year_is_the_year_status(periods, settings):
    settings.KPI_TODAY = IN_114
    preview = report_preview(indicator=kpi_by_code("1-5"), period=periods["113Q4"], actual=Decimal(4))
    assert preview.status.basis == YEAR and preview.label == ""
    assert preview.pace == preview.year and preview.pace.light == Light.YELLOW  # 4 of 5 = 80%
    assert preview.period_target == Decimal(5)


def test_a_period_planned_at_zero_is_met_by_any_figure(periods):
    # One place a year: a quarter of 1 is 0.25, paced in whole places: nothing is due by Q1.
    s = status(indicator("處"), periods["112Q1"], 1, 0)
    assert s.planned_to_date == Decimal(0)
    assert s.assessment.raw == Decimal("100.0000") and s.assessment.light == Light.GREEN
    assert s.year.light == Light.RED  # 0 of the year's 1: the figure beside it


def test_a_year_target_of_zero_stays_white_at_year_end(periods):
    s = status(indicator("處"), periods["112Q4"], 0, 0)
    assert s.assessment.light == Light.WHITE
