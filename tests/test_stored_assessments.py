"""Stored assessments are never stale: a property test over random cities and random writes.

Each case builds a small random city (departments with goals, objectives in several
dimensions, KPIs of both directions and every accrual, random weights, a common
indicator), then drives random writes through the services and the models admin saves:
reports filed, submitted, approved, returned, reopened and corrected; targets revised;
years excluded and re-included; planned values set; an indicator's direction, weight or
accrual changed; the plan's thresholds changed. After every step the stored rows equal a
computation from scratch (`kpi.stored.check`), and every SQL roll-up (`kpi.rollups`)
equals the Python one (`kpi.assessments.plan_years_attainment`), both while the last
year is in progress and once it has ended.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from kpi import services, stored
from kpi.assessments import plan_years_attainment
from kpi.models import (
    Accrual,
    Direction,
    Indicator,
    IndicatorKind,
    ProgressReport,
    ReportStatus,
    StoredAssessment,
    Unit,
    YearlyTarget,
)
from kpi.rollups import CITY, RiskCounts, stored_risk_counts, stored_rollups
from kpi.services.reports import ConflictError, ManyRefused
from plans.models import Dimension, Goal, Plan
from reports.selectors.at_risk import risk_data
from reports.selectors.pace import last_due_period, year_periods
from tests.factories import (
    CommonIndicatorFactory,
    DepartmentPlanFactory,
    IndicatorFactory,
    PlanFactory,
    StrategicObjectiveFactory,
    UserFactory,
    quarters,
)

IN_PROGRESS = datetime.date(2025, 11, 20)  # ROC 114, 114Q3 due and filed late
ENDED = datetime.date(2026, 3, 1)  # ROC 115: every year of the plan has ended
REFUSED = (ValidationError, ConflictError, ManyRefused, PermissionError, ValueError)


def python_rollups(plan: Plan) -> dict[str, dict[int, dict[object, object]]]:
    data = plan_years_attainment(plan=plan)
    return {
        CITY: {y: {CITY: d.city.rollup} for y, d in data.items()},
        "department": {y: {k: g.rollup for k, g in d.departments.items()} for y, d in data.items()},
        "objective": {y: {k: g.rollup for k, g in d.objectives.items()} for y, d in data.items()},
        "goal": {y: {k: g.rollup for k, g in d.goals.items()} for y, d in data.items()},
        "dimension": {y: {k: g.rollup for k, g in d.dimensions.items()} for y, d in data.items()},
        "common": {y: {k: g.rollup for k, g in d.common.items()} for y, d in data.items()},
    }


def assert_consistent(plan: Plan, settings, step: str) -> None:
    drift = stored.check(plan)
    assert drift == [], f"after {step}: {drift[:3]}"
    for today in (IN_PROGRESS, ENDED):
        settings.KPI_TODAY = today
        expected = python_rollups(plan)
        for by, years in expected.items():
            got = stored_rollups(plan=plan, years=plan.years, by=by, today=today)
            assert got == years, f"after {step}, {by} roll-ups on {today}"
        if today == IN_PROGRESS:
            year = 114
            data = plan_years_attainment(plan=plan, years=[113, 114])
            risk = risk_data(plan, year, data, today=today)
            due = last_due_period(year_periods(plan, year), today)
            counts = stored_risk_counts(
                plan=plan,
                year=year,
                due_end=due.end_date if due else None,
                due_locked=bool(due and due.is_locked),
                today=today,
            )
            for department_id in {i.indicator.department_plan.department_id for i in data[year].indicators.values()}:
                want = RiskCounts(
                    behind=risk.behind_count(department_id),
                    catching_up=risk.catching_up_count(department_id),
                    overdue=risk.overdue_count(department_id),
                )
                assert counts.get(department_id, RiskCounts()) == want, f"after {step}, risk of {department_id}"
    settings.KPI_TODAY = IN_PROGRESS


class City:
    """A random small city and its cast."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.plan = PlanFactory(green_threshold=Decimal(100), yellow_threshold=Decimal(80))
        self.periods = [p for p in quarters(self.plan) if (p.year, p.number) <= (114, 3)]
        self.planner = UserFactory(planning_office=True)
        self.departments = []
        dimensions = list(Dimension)
        for _ in range(rng.randint(2, 3)):
            dp = DepartmentPlanFactory(plan=self.plan)
            goals = [Goal.objects.create(department_plan=dp, number=g, name=f"目標{g}") for g in (1, 2)]
            for o in range(1, rng.randint(2, 3) + 1):
                objective = StrategicObjectiveFactory(
                    department_plan=dp, number=o, dimension=rng.choice(dimensions[:3]), goal=rng.choice([*goals, None])
                )
                for k in range(1, rng.randint(1, 3) + 1):
                    IndicatorFactory(
                        objective=objective,
                        number=k,
                        direction=rng.choice(list(Direction)),
                        accrual=rng.choice(list(Accrual)),
                        unit=rng.choice([Unit.SESSION, Unit.PERCENT]),
                        weight=Decimal(rng.choice(["1", "1.5", "2", "0.25"])),
                        targets={y: Decimal(rng.choice([0, 4, 10, 12.5])) for y in self.plan.years},
                    )
            CommonIndicatorFactory(
                common_goal__department_plan=dp,
                number=1,
                targets={y: Decimal(rng.choice([60, 75, 90])) for y in self.plan.years},
            )
            reporter = UserFactory(reporter_of=[dp.department])
            reviewer = UserFactory(reviewer_of=[dp.department])
            self.departments.append((dp, reporter, reviewer))
        self.indicators = list(
            Indicator.objects.filter(department_plan__plan=self.plan).select_related("department_plan")
        )

    def cast_of(self, indicator):
        return next((r, v) for dp, r, v in self.departments if dp.pk == indicator.department_plan_id)

    def reports(self, **filters):
        return list(ProgressReport.objects.filter(indicator__department_plan__plan=self.plan, **filters))

    # --- the writes ----------------------------------------------------------------------

    def file(self):
        indicator = self.rng.choice(self.indicators)
        period = self.rng.choice(self.periods)
        reporter, _ = self.cast_of(indicator)
        existing = ProgressReport.objects.filter(indicator=indicator, period=period).first()
        fields = {"actual": str(self.rng.choice([0, 1, 3, 4, 7, 11, 15]))}
        if indicator.kind == IndicatorKind.COMMON:
            staff = self.rng.randint(10, 40)
            fields = {"inputs": {"completed_staff": str(self.rng.randint(0, staff)), "current_staff": str(staff)}}
        services.report_save(
            indicator=indicator,
            period=period,
            user=reporter,
            narrative="辦理情形。",
            shortfall_reason="進度落後原因。",
            improvement_plan="改善措施。",
            expected_version=existing.version if existing else 0,
            submit=self.rng.random() < 0.8,
            **fields,
        )
        return f"file {indicator.pk} {period}"

    def approve(self):
        waiting = self.reports(status=ReportStatus.SUBMITTED)
        if not waiting:
            return self.file()
        report = self.rng.choice(waiting)
        _, reviewer = self.cast_of(report.indicator)
        user = self.planner if report.correcting else reviewer
        services.report_approve(report=report, user=user, expected_version=report.version)
        return f"approve {report.pk}"

    def send_back(self):
        waiting = self.reports(status=ReportStatus.SUBMITTED)
        if not waiting:
            return "nothing to return"
        report = self.rng.choice(waiting)
        _, reviewer = self.cast_of(report.indicator)
        user = self.planner if report.correcting else reviewer
        services.report_return(report=report, user=user, comment="請補充。", expected_version=report.version)
        return f"return {report.pk}"

    def reopen(self):
        approved = self.reports(status=ReportStatus.APPROVED)
        if not approved:
            return self.approve()
        report = self.rng.choice(approved)
        services.report_reopen(report=report, user=self.planner, reason="更正誤植。", expected_version=report.version)
        return f"reopen {report.pk}"

    def revise_target(self):
        indicator = self.rng.choice(self.indicators)
        year = self.rng.choice(self.plan.years)
        value = self.rng.choice(["0", "3", "5", "8", "20"])
        services.target_set(indicator=indicator, year=year, value=value, reason="滾動修正。", user=self.planner)
        return f"target {indicator.pk} {year} {value}"

    def exclude(self):
        target = self.rng.choice(list(YearlyTarget.objects.filter(indicator__in=self.indicators)))
        target.excluded_reason = "" if target.excluded_reason else "計畫停辦，不予評估。"
        target.save(update_fields=["excluded_reason"])  # as admin saves it
        return f"exclude {target.pk} {bool(target.excluded_reason)}"

    def plan_values(self):
        dp, _, _ = self.rng.choice(self.departments)
        year = self.rng.choice([113, 114])
        indicator = self.rng.choice([i for i in self.indicators if i.department_plan_id == dp.pk])
        values = {indicator.pk: {n: str(self.rng.choice([1, 2, 3, 5, 9])) for n in (1, 2, 3)}}
        services.planned_values_save(user=self.planner, department_plan=dp, year=year, values=values, reason="調整。")
        return f"planned {indicator.pk} {year}"

    def change_indicator(self):
        indicator = Indicator.objects.get(pk=self.rng.choice(self.indicators).pk)
        what = self.rng.choice(["direction", "weight", "accrual"])
        if what == "direction":
            indicator.direction = Direction.LOWER if indicator.direction == Direction.HIGHER else Direction.HIGHER
        elif what == "weight":
            indicator.weight = Decimal(self.rng.choice(["0.5", "1", "3"]))
        else:
            indicator.accrual = self.rng.choice(list(Accrual))
        indicator.save()
        return f"indicator {indicator.pk} {what}"

    def thresholds(self):
        plan = Plan.objects.get(pk=self.plan.pk)
        plan.green_threshold = Decimal(self.rng.choice([90, 100, 110]))
        plan.yellow_threshold = Decimal(self.rng.choice([60, 80]))
        plan.save()
        self.plan = plan
        return f"thresholds {plan.green_threshold}/{plan.yellow_threshold}"

    def step(self) -> str:
        writes = [self.file] * 6 + [self.approve] * 5 + [self.send_back, self.reopen] + [self.revise_target] * 2
        writes += [self.exclude, self.plan_values, self.change_indicator, self.thresholds]
        write = self.rng.choice(writes)
        try:
            return write()
        except REFUSED as exc:
            return f"{write.__name__} refused ({type(exc).__name__})"


@pytest.mark.parametrize("seed", range(1, 9))
def test_stored_rows_and_sql_rollups_equal_a_computation_from_scratch(db, settings, seed):
    settings.KPI_TODAY = IN_PROGRESS
    rng = random.Random(seed)
    city = City(rng)
    assert_consistent(city.plan, settings, "building the city")
    steps = []
    for _ in range(30):
        steps.append(city.step())
        assert_consistent(city.plan, settings, " → ".join(steps[-3:]))
    # The random walk reached the writes that matter.
    assert StoredAssessment.objects.filter(indicator__department_plan__plan=city.plan, report__isnull=False).exists()


def test_check_finds_drift_and_rebuild_repairs_it(db, seeded_plan, capsys):
    assert stored.check(seeded_plan) == []
    row = StoredAssessment.objects.filter(indicator__department_plan__plan=seeded_plan, year_light="white").first()
    StoredAssessment.objects.filter(pk=row.pk).update(year_light="green", year_capped_e4=1_000_000)
    extra_year = StoredAssessment.objects.filter(indicator__department_plan__plan=seeded_plan).first()
    StoredAssessment.objects.create(
        indicator_id=extra_year.indicator_id, year=120, weight_e2=100, year_light="white", period_light="white"
    )
    missing = StoredAssessment.objects.exclude(pk=row.pk).filter(year=112).first()
    StoredAssessment.objects.filter(pk=missing.pk).delete()

    drift = {(d.indicator_id, d.year): d.problem for d in stored.check(seeded_plan)}
    assert drift == {
        (row.indicator_id, row.year): "year_capped_e4, year_light",
        (extra_year.indicator_id, 120): "extra",
        (missing.indicator_id, 112): "missing",
    }
    with pytest.raises(SystemExit) as exit_:
        call_command("assessments", "--check")
    assert exit_.value.code == 1
    out = capsys.readouterr().out
    assert "3 stored assessments differ" in out and "year_light: stored 'green', computed 'white'" in out

    call_command("assessments", "--rebuild")
    assert "Rebuilt" in capsys.readouterr().out
    assert stored.check(seeded_plan) == []
    call_command("assessments", "--check")
    assert "No drift" in capsys.readouterr().out


def test_a_block_of_writes_refreshes_each_kpi_year_once_at_the_end(db, seeded_plan, django_assert_max_num_queries):
    indicator = Indicator.objects.filter(department_plan__plan=seeded_plan, kind=IndicatorKind.KPI).first()
    target = indicator.targets.get(year=113)
    before = StoredAssessment.objects.get(indicator=indicator, year=113).year_light
    with stored.deferred():
        for reason in ("停辦一", "停辦二", "停辦三"):
            target.excluded_reason = reason
            target.save(update_fields=["excluded_reason"])
        # Not written yet: the block has not ended.
        assert StoredAssessment.objects.get(indicator=indicator, year=113).year_light == before
    assert StoredAssessment.objects.get(indicator=indicator, year=113).year_light == "white"


def test_a_block_that_fails_writes_nothing(db, seeded_plan):
    indicator = Indicator.objects.filter(department_plan__plan=seeded_plan, kind=IndicatorKind.KPI).first()
    calls = []
    original = stored.refresh
    stored.refresh = lambda pairs: calls.append(pairs) or original(pairs)
    try:
        with pytest.raises(RuntimeError), stored.deferred():
            target = indicator.targets.get(year=113)
            target.excluded_reason = "停辦"
            target.save(update_fields=["excluded_reason"])
            raise RuntimeError("the service failed")
    finally:
        stored.refresh = original
    assert calls == []


def test_a_target_moves_the_next_years_cumulative_ladder(db, settings):
    """A cumulative % ladder starts where last year's target was: revising 113's target moves 114's period status."""
    settings.KPI_TODAY = IN_PROGRESS
    plan = PlanFactory()
    quarter = next(p for p in quarters(plan, 114) if p.number == 2)
    dp = DepartmentPlanFactory(plan=plan)
    indicator = IndicatorFactory(
        objective=StrategicObjectiveFactory(department_plan=dp, number=1),
        unit=Unit.PERCENT,
        direction=Direction.HIGHER,
        accrual=Accrual.CUMULATIVE,
        targets={111: Decimal(10), 112: Decimal(20), 113: Decimal(30), 114: Decimal(70)},
    )
    reporter, reviewer, planner = (
        UserFactory(reporter_of=[dp.department]),
        UserFactory(reviewer_of=[dp.department]),
        UserFactory(planning_office=True),
    )
    report = services.report_save(
        indicator=indicator,
        period=quarter,
        user=reporter,
        actual="50",
        expected_version=0,
        submit=True,
        narrative="辦理情形。",
        shortfall_reason="落後。",
        improvement_plan="改善。",
    )
    services.report_approve(report=report, user=reviewer, expected_version=report.version)
    row = StoredAssessment.objects.get(indicator=indicator, year=114)
    assert row.planned_to_date == Decimal(50)  # 30 → 70 by halves: 50 by Q2

    services.target_set(indicator=indicator, year=113, value="10", reason="滾動修正。", user=planner)
    row.refresh_from_db()
    assert row.planned_to_date == Decimal(40)  # 10 → 70: 40 by Q2
    assert stored.check(plan) == []


def test_an_indicator_deleted_with_its_targets_leaves_no_rows(db, settings):
    """Its targets go with it: their deletion must not write rows back for it (a dangling key)."""
    settings.KPI_TODAY = IN_PROGRESS
    city = City(random.Random(7))
    indicator = city.indicators[0]
    assert indicator.targets.exists() and StoredAssessment.objects.filter(indicator=indicator).exists()
    indicator.delete()
    assert not StoredAssessment.objects.filter(indicator_id=indicator.pk).exists()
    assert stored.check(city.plan) == []
