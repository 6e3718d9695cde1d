"""factory_boy factories for synthetic plans, users and reports.

They write straight to the database (no services, no TargetRevision rows), which is
what "the query count does not grow with the data" tests want: build 2 × 2 and then
5 × 6 of something and compare. For behaviour, use the services in `kpi.services`.

    dp = department_plan_with_kpis(objectives=3, kpis=4)            # 12 KPIs with targets
    reporter = UserFactory(reporter_of=[dp.department])
    reviewer = UserFactory(reviewer_of=[dp.department])
    period = ReportingPeriodFactory(plan=dp.plan, year=112, number=2)
    reports_for_indicators(dp.indicators.all(), period, status="approved", reporter=reporter, reviewer=reviewer)
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory

from common.years import to_gregorian
from kpi import stored
from kpi.models import (
    Indicator,
    IndicatorKind,
    ProgressReport,
    ReportingPeriod,
    ReportStatus,
    Unit,
    YearlyTarget,
)
from plans.models import (
    CommonGoal,
    Department,
    DepartmentPlan,
    Dimension,
    Membership,
    Plan,
    ReportingFrequency,
    Role,
    StrategicObjective,
)

PERIODS_PER_YEAR = {ReportingFrequency.MONTHLY: 12, ReportingFrequency.QUARTERLY: 4, ReportingFrequency.HALF_YEARLY: 2}


class PlanFactory(DjangoModelFactory):
    class Meta:
        model = Plan

    name = factory.Sequence(lambda n: f"測試市中程施政計畫 {n}")
    start_year = 111
    end_year = 114
    edition = "核定版"
    published_year = 111
    published_month = 2


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"測試處{n:03d}")
    short_name = ""


class DepartmentPlanFactory(DjangoModelFactory):
    class Meta:
        model = DepartmentPlan

    plan = factory.SubFactory(PlanFactory)
    department = factory.SubFactory(DepartmentFactory)
    toc_number = factory.Sequence(lambda n: 100 + n)
    toc_label = factory.LazyAttribute(lambda o: str(o.toc_number))
    vision = "測試願景"
    mission = "測試使命"


class StrategicObjectiveFactory(DjangoModelFactory):
    class Meta:
        model = StrategicObjective

    department_plan = factory.SubFactory(DepartmentPlanFactory)
    number = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda o: f"策略目標{o.number}")
    dimension = Dimension.BUSINESS_RESULTS


class CommonGoalFactory(DjangoModelFactory):
    class Meta:
        model = CommonGoal

    department_plan = factory.SubFactory(DepartmentPlanFactory)
    number = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda o: f"共同性目標{o.number}")
    dimension = Dimension.FINANCIAL_MANAGEMENT


class IndicatorFactory(DjangoModelFactory):
    """A KPI with a target for every year of its plan (`targets=` overrides: a value or {year: value})."""

    class Meta:
        model = Indicator
        skip_postgeneration_save = True

    objective = factory.SubFactory(StrategicObjectiveFactory)
    department_plan = factory.SelfAttribute("objective.department_plan")
    kind = IndicatorKind.KPI
    number = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda o: f"測試指標{o.number}")
    evaluation_arrangement = 1
    evaluation_method = "statistics"
    measurement_standard = "辦理場次。"
    unit = Unit.SESSION

    @factory.post_generation
    def targets(obj, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        if isinstance(extracted, dict):
            values = extracted
        else:
            value = Decimal(extracted if extracted is not None else 4)
            values = dict.fromkeys(obj.department_plan.plan.years, value)
        YearlyTarget.objects.bulk_create(
            YearlyTarget(indicator=obj, year=year, value=Decimal(v), original_value=Decimal(v))
            for year, v in values.items()
        )
        stored.touch_indicators([obj.pk])  # bulk_create sends no signal


class CommonIndicatorFactory(IndicatorFactory):
    """A common indicator (共同性指標) computed by a formula; learning-hours ratio by default."""

    objective = None
    common_goal = factory.SubFactory(CommonGoalFactory)
    department_plan = factory.SelfAttribute("common_goal.department_plan")
    kind = IndicatorKind.COMMON
    unit = Unit.PERCENT
    accrual = "level"
    formula = "learning_hours_ratio"
    measurement_standard = "完成學習時數人數 ÷ 現有公務人員人數 × 100%"


class YearlyTargetFactory(DjangoModelFactory):
    class Meta:
        model = YearlyTarget

    indicator = factory.SubFactory(IndicatorFactory, targets=False)
    year = 111
    value = Decimal(4)
    original_value = factory.SelfAttribute("value")


class UserFactory(DjangoModelFactory):
    """A user; memberships by keyword: reporter_of=[dept], reviewer_of=[dept], planning_office=True."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n:04d}")
    first_name = factory.Sequence(lambda n: f"測試者{n}")
    password = factory.django.Password("pw-test")
    is_active = True

    class Params:
        admin = factory.Trait(is_superuser=True, is_staff=True)

    @factory.post_generation
    def reporter_of(obj, create, extracted, **kwargs):
        if create and extracted:
            Membership.objects.bulk_create(Membership(user=obj, department=d, role=Role.REPORTER) for d in extracted)

    @factory.post_generation
    def reviewer_of(obj, create, extracted, **kwargs):
        if create and extracted:
            Membership.objects.bulk_create(Membership(user=obj, department=d, role=Role.REVIEWER) for d in extracted)

    @factory.post_generation
    def planning_office(obj, create, extracted, **kwargs):
        if create and extracted:
            Membership.objects.create(user=obj, department=None, role=Role.PLANNING_OFFICE)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    department = factory.SubFactory(DepartmentFactory)
    role = Role.REPORTER


def period_dates(year: int, frequency: str, number: int) -> tuple[datetime.date, datetime.date]:
    g = to_gregorian(year)
    months = 12 // PERIODS_PER_YEAR[frequency]
    first = (number - 1) * months + 1
    last = first + months - 1
    end = (datetime.date(g + 1, 1, 1) if last == 12 else datetime.date(g, last + 1, 1)) - datetime.timedelta(days=1)
    return datetime.date(g, first, 1), end


class ReportingPeriodFactory(DjangoModelFactory):
    """A period; get-or-create on (plan, year, frequency, number) so tests can ask for it twice."""

    class Meta:
        model = ReportingPeriod
        django_get_or_create = ("plan", "year", "frequency", "number")

    plan = factory.SubFactory(PlanFactory)
    year = 111
    frequency = ReportingFrequency.QUARTERLY
    number = 1
    start_date = factory.LazyAttribute(lambda o: period_dates(o.year, o.frequency, o.number)[0])
    end_date = factory.LazyAttribute(lambda o: period_dates(o.year, o.frequency, o.number)[1])
    due_date = factory.LazyAttribute(lambda o: o.end_date + datetime.timedelta(days=15))


def _new_reviewer(o):
    return UserFactory(reviewer_of=[o.indicator.department_plan.department])


class ProgressReportFactory(DjangoModelFactory):
    """A report in a given status: ProgressReportFactory(submitted=True) / approved / returned.

    `created_by` defaults to a new reporter of the indicator's department; approved and
    returned reports get a new reviewer unless `reviewed_by` is given.
    """

    class Meta:
        model = ProgressReport

    indicator = factory.SubFactory(IndicatorFactory)
    period = factory.SubFactory(ReportingPeriodFactory, plan=factory.SelfAttribute("..indicator.department_plan.plan"))
    status = ReportStatus.DRAFT
    actual = Decimal(3)
    narrative = "本季依進度辦理。"
    created_by = factory.LazyAttribute(lambda o: UserFactory(reporter_of=[o.indicator.department_plan.department]))
    updated_by = factory.SelfAttribute("created_by")

    class Params:
        submitted = factory.Trait(
            status=ReportStatus.SUBMITTED,
            submitted_by=factory.SelfAttribute("created_by"),
            submitted_at=factory.LazyFunction(timezone.now),
            version=2,
        )
        approved = factory.Trait(
            status=ReportStatus.APPROVED,
            submitted_by=factory.SelfAttribute("created_by"),
            submitted_at=factory.LazyFunction(timezone.now),
            reviewed_by=factory.LazyAttribute(_new_reviewer),
            reviewed_at=factory.LazyFunction(timezone.now),
            version=3,
        )
        returned = factory.Trait(
            status=ReportStatus.RETURNED,
            submitted_by=factory.SelfAttribute("created_by"),
            submitted_at=factory.LazyFunction(timezone.now),
            reviewed_by=factory.LazyAttribute(_new_reviewer),
            reviewed_at=factory.LazyFunction(timezone.now),
            review_comment="請補充說明。",
            version=3,
        )


# --- bulk builders -----------------------------------------------------------------------


def department_plan_with_kpis(
    *, objectives: int = 2, kpis: int = 3, plan: Plan | None = None, department: Department | None = None, target=4
) -> DepartmentPlan:
    """A department plan with `objectives` × `kpis` KPIs (unit 場), each with a target for every plan year."""
    kwargs = {}
    if plan is not None:
        kwargs["plan"] = plan
    if department is not None:
        kwargs["department"] = department
    dp = DepartmentPlanFactory(**kwargs)
    for o in range(1, objectives + 1):
        objective = StrategicObjectiveFactory(department_plan=dp, number=o)
        for k in range(1, kpis + 1):
            IndicatorFactory(objective=objective, number=k, targets=target)
    return dp


def objectives_with_kpis(department_plan: DepartmentPlan, *, objectives: int, kpis: int, target=4) -> list[Indicator]:
    """Add objectives × KPIs to an existing department plan (numbered after its current objectives)."""
    start = (department_plan.objectives.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    made = []
    for o in range(start, start + objectives):
        objective = StrategicObjectiveFactory(department_plan=department_plan, number=o)
        made += [IndicatorFactory(objective=objective, number=k, targets=target) for k in range(1, kpis + 1)]
    return made


def quarters(plan: Plan, year: int | None = None) -> list[ReportingPeriod]:
    """The plan's quarterly periods (all years, or one), created if missing."""
    years = [year] if year is not None else plan.years
    return [ReportingPeriodFactory(plan=plan, year=y, number=q) for y in years for q in range(1, 5)]


def reports_for_indicators(
    indicators, period: ReportingPeriod, *, status: str = ReportStatus.DRAFT, reporter, reviewer=None, actual=3
) -> list[ProgressReport]:
    """One report per indicator for `period`, in `status`, written by `reporter` (bulk insert)."""
    now = timezone.now()
    reviewed = status in (ReportStatus.APPROVED, ReportStatus.RETURNED)
    if reviewed and reviewer is None:
        raise ValueError("approved and returned reports need a reviewer")
    submitted = status != ReportStatus.DRAFT
    reports = [
        ProgressReport(
            indicator=indicator,
            period=period,
            status=status,
            actual=Decimal(actual),
            narrative="本季依進度辦理。",
            created_by=reporter,
            updated_by=reporter,
            submitted_by=reporter if submitted else None,
            submitted_at=now if submitted else None,
            reviewed_by=reviewer if reviewed else None,
            reviewed_at=now if reviewed else None,
            review_comment="請補充說明。" if status == ReportStatus.RETURNED else "",
            version=1 + submitted + reviewed,
        )
        for indicator in indicators
    ]
    created = ProgressReport.objects.bulk_create(reports)
    stored.touch({(r.indicator_id, period.year) for r in created})  # bulk_create sends no signal
    return created


def kpi_by_code(code: str, department: str = "都市發展處") -> Indicator:
    """A seeded KPI by its code (1-5) or a common indicator (共2-1) in a department."""
    common = code.startswith("共")
    parent_number, number = code.removeprefix("共").split("-")
    qs = Indicator.objects.select_related("department_plan__plan", "department_plan__department").filter(
        department_plan__department__name=department, number=number
    )
    if common:
        return qs.get(kind=IndicatorKind.COMMON, common_goal__number=parent_number)
    return qs.get(kind=IndicatorKind.KPI, objective__number=parent_number)
