"""A synthetic city for the scale benchmark: N departments, each shaped like 都市發展處.

    manage.py generate_city --departments 500 [--plan-name 合成城市中程施政計畫] [--seed 114]

It builds a plan of its own (default "合成城市中程施政計畫", ROC 111–114, quarterly), so
it never mixes with the Keelung plan, and fills it with N departments (合成市第001處 …).
Each department copies the shape of 都市發展處 as the Keelung fixture
(`fixtures/keelung-111-114.json`) gives it: 3 goals, 6 strategic objectives with their
sub-items, 20 KPIs with the same units, directions, accrual and yearly targets, and 3
common goals with their formula-computed common indicators. Then it writes four years
of quarterly progress reports with their record:

- 111Q1–114Q3: every report approved (created → submitted → approved); about one in
  25 went through a return first (returned with a comment → edited with evidence →
  resubmitted → approved);
- 114Q4, the quarter being filed: about half approved, the rest submitted and waiting,
  returned, drafts, or not filed yet;
- about one KPI-year in 30 has a revised target (with its TargetRevision: who, when,
  why), one in 200 is excluded from assessment (不予評估, with the reason);
- periods of 111–113 are locked by the planning office (with their PeriodEvent).

Figures are year-to-date and plausible for their unit (green, yellow or red years);
reports behind pace carry 未達成原因 and 改善措施, as `kpi.services.report_clean` requires.
Users: per department two reporters (city-r001-1, city-r001-2) and a reviewer
(city-v001), and one planning-office user (city-planner), with the password given by
--password, or none at all (they cannot sign in) without it. Everything comes from `random.Random(seed)`: the same N and seed give
the same city.

On purpose this command bypasses the workflow services (`kpi.services.report_save`,
`report_approve`, `kpi.services.target_set`): at N = 500 it writes about 180,000
reports and 600,000 events, which one service call per action would take hours to do.
It writes with `bulk_create` in batches the same rows the services would write —
statuses, versions, submitter ≠ reviewer, the events of each action with their
`changes`, target revisions, locked periods — and sets the timestamps the services
would have set at the time (`created_at`, `at`, `changed_at` …), which is why it turns
the models' auto_now / auto_now_add off while it writes. Use it for benchmarks and load
tests only, never on a database that holds real data.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import random
import time
from collections import defaultdict
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from kpi import assessments, page_cache, services, stored
from kpi.attainment import Thresholds, assess
from kpi.formulas import FORMULAS
from kpi.models import (
    COUNT_UNITS,
    Accrual,
    Evidence,
    Indicator,
    IndicatorKind,
    PeriodAction,
    PeriodEvent,
    ProgressReport,
    ReportAction,
    ReportEvent,
    ReportingPeriod,
    ReportStatus,
    TargetRevision,
    Unit,
    YearlyTarget,
)
from kpi.seeding import SEED_REASON, load_fixture
from plans.models import (
    CommonGoal,
    Department,
    DepartmentPlan,
    Goal,
    Membership,
    ObjectiveItem,
    Plan,
    Role,
    StrategicObjective,
)

DEFAULT_PLAN_NAME = "合成城市中程施政計畫"
TEMPLATE_DEPARTMENT = "都市發展處"
TZ = ZoneInfo("Asia/Taipei")
ONE = Decimal(1)
HUNDRED = Decimal(100)

# Models whose timestamps the services set to "now": set them to when it happened instead.
TIMESTAMP_FIELDS = [
    (ProgressReport, "created_at"),
    (ProgressReport, "updated_at"),
    (ReportEvent, "at"),
    (Evidence, "uploaded_at"),
    (TargetRevision, "changed_at"),
    (PeriodEvent, "at"),
]

NARRATIVES = [
    "本季依計畫進度辦理，累計 {v}。",
    "持續推動各項工作，累計 {v}。",
    "本季完成預定工作項目，累計 {v}。",
    "依年度工作計畫執行，累計 {v}，後續依進度辦理。",
]
SHORTFALLS = [
    ("委託案期中審查延至下季召開，進度略為落後。", "已要求受託廠商提出趕工計畫，並每月追蹤。"),
    ("場次多排定於下半年辦理，累計數暫低於均分進度。", "已排定後續各季辦理時程，預計年底前達成目標。"),
    ("跨局處意見整合費時，部分工作延後。", "提報府內工作會議列管，協調相關局處於下季完成。"),
]
RETURN_COMMENTS = [
    "請補充各場次日期、地點與參與單位，並附會議紀錄。",
    "累計數與上季差異較大，請說明計算方式並補附佐證資料。",
    "達成情形說明過於簡略，請補充本季具體執行成果。",
]
CORRECTION = "（已依審核意見補充說明，佐證資料如連結。）"
EVIDENCE_URL = "https://www.klcg.gov.tw/"
REVISION_REASON = "配合年度預算審議結果調整目標值"
EXCLUDED_REASON = "因中央政策調整，本年度不予評估"


@contextlib.contextmanager
def explicit_timestamps():
    """Let bulk_create keep the timestamps given, instead of auto_now/auto_now_add's "now"."""
    saved = []
    for model, name in TIMESTAMP_FIELDS:
        f = model._meta.get_field(name)
        saved.append((f, f.auto_now, f.auto_now_add))
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=TZ)


def fmt(value) -> str | None:
    if value is None:
        return None
    return format(Decimal(value).normalize(), "f")


def quantize(value: Decimal, unit: str, rounding=ROUND_HALF_UP) -> Decimal:
    if unit == Unit.SET:  # the completed fraction, in twentieths
        return (value * 20).quantize(ONE, rounding=rounding) / 20
    return value.quantize(ONE, rounding=rounding)


class Timer:
    def __init__(self, out):
        self.out, self.start, self.last = out, time.perf_counter(), time.perf_counter()

    def step(self, what: str) -> None:
        now = time.perf_counter()
        self.out(f"  {what}: {now - self.last:.1f} s")
        self.last = now

    @property
    def total(self) -> float:
        return time.perf_counter() - self.start


class Command(BaseCommand):
    help = (
        "Generate a synthetic city plan of N departments shaped like 都市發展處, with four years of "
        "quarterly reports, for the scale benchmark (bench/benchmark.py). Writes in bulk, bypassing the "
        "workflow services on purpose; never run it on real data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--departments", type=int, required=True, help="how many departments (N)")
        parser.add_argument("--plan-name", default=DEFAULT_PLAN_NAME)
        parser.add_argument("--seed", type=int, default=114, help="random seed (same N and seed → same city)")
        parser.add_argument(
            "--password",
            help="password of the generated users (default: none — they cannot sign in; the load test sets one)",
        )
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--chunk", type=int, default=25, help="departments whose reports are built at once")

    def handle(self, *args, departments, plan_name, seed, password, batch_size, chunk, **options):
        if departments < 1:
            raise CommandError("--departments must be at least 1.")
        self.verbosity = options.get("verbosity", 1)
        self.n, self.rng, self.batch = departments, random.Random(seed), batch_size
        self.width = max(3, len(str(departments)))
        if Plan.objects.filter(name=plan_name).exists():
            raise CommandError(
                f"A plan named “{plan_name}” already exists: generate into a fresh database "
                "(bench/benchmark.py drops and recreates its own) or choose another --plan-name."
            )
        names = [self.department_name(i) for i in range(1, departments + 1)]
        taken = Department.objects.filter(name__in=names).count()
        users = get_user_model().objects.filter(username__startswith="city-").count()
        if taken or users:
            raise CommandError(
                "Synthetic departments or city-… users already exist in this database: generate into a fresh one."
            )
        template = next(dp for dp in load_fixture()["department_plans"] if dp["department"] == TEMPLATE_DEPARTMENT)
        timer = Timer(self.say)
        self.say(f"Generating a city of {departments} departments shaped like {TEMPLATE_DEPARTMENT} …")
        with explicit_timestamps(), transaction.atomic():
            self.make_plan(plan_name)
            timer.step("plan and periods")
            self.make_users(password)
            timer.step(f"users ({len(self.reporters) * 2 + len(self.reviewers) + 1})")
            self.make_structure(template)
            timer.step(f"structure ({len(self.indicators)} indicators, {self.target_count} targets)")
            counts = self.make_reports(chunk)
            timer.step(f"reports ({counts['reports']}) and events ({counts['events']})")
            # Written in bulk, the rows above sent no signal: the stored assessments are computed once, here.
            stored_rows = stored.rebuild(self.plan)
            timer.step(f"stored assessments ({stored_rows})")
            page_cache.everything_moved()  # and no KPI page cached before this load is served after it
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            timer.step("ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated “{plan_name}”: {departments} departments, {self.kpi_count} KPIs, "
                f"{len(self.indicators) - self.kpi_count} common indicators, {self.target_count} targets "
                f"({self.revised} revised), {counts['reports']} reports, {counts['events']} events "
                f"in {timer.total:.1f} s. Users city-r001-1 … / city-v001 … / city-planner"
                + (f", password {password}." if password else " (no password: they cannot sign in).")
            )
        )

    def say(self, text: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(text)

    def department_name(self, i: int) -> str:
        return f"合成市第{i:0{self.width}d}處"

    # --- plan, periods, users --------------------------------------------------------------

    def make_plan(self, name: str) -> None:
        self.plan = Plan.objects.create(
            name=name, start_year=111, end_year=114, edition="合成資料", published_year=111, published_month=2
        )
        self.thresholds = Thresholds(green=self.plan.green_threshold, yellow=self.plan.yellow_threshold)
        self.periods = services.periods_ensure(plan=self.plan)
        self.last_period = self.periods[-1]

    def make_users(self, password: str) -> None:
        User = get_user_model()
        # One hash for all: hashing 1,500 times would take minutes. Without --password the
        # users cannot sign in at all (an unusable password), so a generator run by mistake
        # on a real server opens no door.
        hashed = make_password(password)
        joined = at(datetime.date(2022, 1, 3), 9)
        people = [User(username="city-planner", first_name="合成研考", password=hashed, date_joined=joined)]
        for i in range(1, self.n + 1):
            number = f"{i:0{self.width}d}"
            people += [
                User(username=f"city-r{number}-1", first_name=f"填報人{number}甲", password=hashed, date_joined=joined),
                User(username=f"city-r{number}-2", first_name=f"填報人{number}乙", password=hashed, date_joined=joined),
                User(username=f"city-v{number}", first_name=f"審核人{number}", password=hashed, date_joined=joined),
            ]
        User.objects.bulk_create(people, batch_size=self.batch)
        by_name = dict(User.objects.filter(username__startswith="city-").values_list("username", "id"))
        self.planner_id = by_name["city-planner"]
        self.reporters = {}  # department number → (reporter 1 id, reporter 2 id)
        self.reviewers = {}
        for i in range(1, self.n + 1):
            number = f"{i:0{self.width}d}"
            self.reporters[i] = (by_name[f"city-r{number}-1"], by_name[f"city-r{number}-2"])
            self.reviewers[i] = by_name[f"city-v{number}"]
        # Locked years: the planning office locked each period of 111–113 after its review meeting.
        locked = [p for p in self.periods if p.year < self.plan.end_year]
        for p in locked:
            p.is_locked = True
        ReportingPeriod.objects.bulk_update(locked, ["is_locked"])
        PeriodEvent.objects.bulk_create(
            PeriodEvent(
                period=p,
                action=PeriodAction.LOCKED,
                actor_id=self.planner_id,
                at=at(p.due_date + datetime.timedelta(days=20), 15),
            )
            for p in locked
        )

    # --- the plan's structure ----------------------------------------------------------------

    def make_structure(self, template: dict) -> None:
        batch = self.batch
        departments = Department.objects.bulk_create(
            [Department(name=self.department_name(i), short_name=f"合成{i}") for i in range(1, self.n + 1)],
            batch_size=batch,
        )
        self.department_plans = DepartmentPlan.objects.bulk_create(
            [
                DepartmentPlan(
                    plan=self.plan,
                    department=d,
                    toc_number=i,
                    toc_label=str(i),
                    mission=f"{d.name}的使命（合成資料）。",
                    vision=template.get("vision", ""),
                    vision_statement="合成資料：依都市發展處的架構產生。",
                )
                for i, d in enumerate(departments, start=1)
            ],
            batch_size=batch,
        )
        self.number_of = {dp.id: i for i, dp in enumerate(self.department_plans, start=1)}
        goals = Goal.objects.bulk_create(
            [
                Goal(department_plan=dp, number=g["number"], name=g["name"])
                for dp in self.department_plans
                for g in template["goals"]
            ],
            batch_size=batch,
        )
        goal_id = {(g.department_plan_id, g.name): g.id for g in goals}
        objectives = StrategicObjective.objects.bulk_create(
            [
                StrategicObjective(
                    department_plan=dp,
                    goal_id=goal_id.get((dp.id, o.get("goal"))),
                    goal_inferred=o.get("goal_inferred", False),
                    number=o["number"],
                    name=o["name"],
                    dimension=o["dimension"],
                    summary=o.get("summary", ""),
                )
                for dp in self.department_plans
                for o in template["objectives"]
            ],
            batch_size=batch,
        )
        objective_of = {(o.department_plan_id, o.number): o for o in objectives}
        ObjectiveItem.objects.bulk_create(
            [
                ObjectiveItem(objective=objective_of[(dp.id, o["number"])], number=item["number"], title=item["title"])
                for dp in self.department_plans
                for o in template["objectives"]
                for item in o.get("items", [])
            ],
            batch_size=batch,
        )
        common_goals = CommonGoal.objects.bulk_create(
            [
                CommonGoal(department_plan=dp, number=c["number"], name=c["name"], dimension=c["dimension"])
                for dp in self.department_plans
                for c in template["common_goals"]
            ],
            batch_size=batch,
        )
        common_of = {(c.department_plan_id, c.number): c for c in common_goals}

        def indicator(dp, data, **parent) -> Indicator:
            return Indicator(
                department_plan=dp,
                number=data["number"],
                name=data["name"],
                evaluation_arrangement=data["evaluation_arrangement"],
                evaluation_method=data["evaluation_method"],
                measurement_standard=data.get("measurement_standard") or "依計畫書衡量標準。",
                unit=data["unit"],
                direction=data.get("direction", "higher"),
                weight=Decimal(str(data.get("weight", 1))),
                accrual=data.get("accrual", Accrual.CUMULATIVE),
                formula=data.get("formula", ""),
                **parent,
            )

        rows, self.template_targets = [], {}
        for dp in self.department_plans:
            for o in template["objectives"]:
                for k in o["kpis"]:
                    rows.append(indicator(dp, k, kind=IndicatorKind.KPI, objective=objective_of[(dp.id, o["number"])]))
                    self.template_targets[len(rows) - 1] = k["targets"]
            for c in template["common_goals"]:
                for k in c["indicators"]:
                    rows.append(
                        indicator(dp, k, kind=IndicatorKind.COMMON, common_goal=common_of[(dp.id, c["number"])])
                    )
                    self.template_targets[len(rows) - 1] = k["targets"]
        self.indicators = Indicator.objects.bulk_create(rows, batch_size=batch)
        self.kpi_count = sum(1 for i in self.indicators if i.kind == IndicatorKind.KPI)
        self.make_targets()
        self.make_memberships()

    def make_targets(self) -> None:
        """Targets as the plan set them (with the seed's revision row), some revised since, a few excluded."""
        rng = self.rng
        seeded_at = at(datetime.date(2022, 2, 15), 9)
        targets, revisions, self.targets_of = [], [], {}
        self.revised = 0
        for index, ind in enumerate(self.indicators):
            values = {int(y): Decimal(str(v)) for y, v in self.template_targets[index].items()}
            self.targets_of[ind.id] = {}
            for year, original in sorted(values.items()):
                value, excluded, revised = original, "", None
                if ind.kind == IndicatorKind.KPI and year > self.plan.start_year:
                    draw = rng.random()
                    if draw < 1 / 30:
                        value = self.revise(ind, original)
                        revised = value if value != original else None
                    elif draw < 1 / 30 + 1 / 200:
                        excluded = EXCLUDED_REASON
                target = YearlyTarget(
                    indicator=ind, year=year, value=value, original_value=original, excluded_reason=excluded
                )
                targets.append(target)
                revisions.append(
                    TargetRevision(
                        target=target,
                        old_value=None,
                        new_value=original,
                        reason=SEED_REASON,
                        source=TargetRevision.Source.SEED,
                        changed_at=seeded_at,
                    )
                )
                if revised is not None:
                    self.revised += 1
                    revisions.append(
                        TargetRevision(
                            target=target,
                            old_value=original,
                            new_value=value,
                            reason=REVISION_REASON,
                            changed_by_id=self.planner_id,
                            source=TargetRevision.Source.ADMIN,
                            changed_at=at(datetime.date(year + 1911 - 1, 12, rng.randint(1, 20)), 14),
                        )
                    )
                self.targets_of[ind.id][year] = target
        YearlyTarget.objects.bulk_create(targets, batch_size=self.batch)
        for r in revisions:
            r.target_id = r.target.id
        TargetRevision.objects.bulk_create(revisions, batch_size=self.batch)
        self.target_count = len(targets)

    def revise(self, ind: Indicator, value: Decimal) -> Decimal:
        if ind.unit in COUNT_UNITS:
            return max(value - 1, ONE) if value > 1 else value + 1
        if ind.unit == Unit.SET:
            return value  # a deliverable stays one set
        return max(value - 10, Decimal(10))

    def make_memberships(self) -> None:
        rows = [Membership(user_id=self.planner_id, department=None, role=Role.PLANNING_OFFICE)]
        for dp in self.department_plans:
            i = self.number_of[dp.id]
            rows += [
                Membership(user_id=uid, department_id=dp.department_id, role=Role.REPORTER) for uid in self.reporters[i]
            ]
            rows.append(Membership(user_id=self.reviewers[i], department_id=dp.department_id, role=Role.REVIEWER))
        Membership.objects.bulk_create(rows, batch_size=self.batch)

    # --- reports --------------------------------------------------------------------------------

    def make_reports(self, chunk: int) -> dict[str, int]:
        by_department: dict[int, list[Indicator]] = defaultdict(list)
        for ind in self.indicators:
            by_department[ind.department_plan_id].append(ind)
        counts = {"reports": 0, "events": 0}
        dps = self.department_plans
        for start in range(0, len(dps), chunk):
            reports, pending_events, evidence = [], [], []
            for dp in dps[start : start + chunk]:
                for ind in by_department[dp.id]:
                    self.indicator_reports(ind, self.number_of[dp.id], reports, pending_events, evidence)
            ProgressReport.objects.bulk_create(reports, batch_size=self.batch)
            events = []
            for report, made in pending_events:
                for e in made:
                    e.report_id = report.id
                    events.append(e)
            for e in evidence:
                e.report_id = e.report.id
            ReportEvent.objects.bulk_create(events, batch_size=self.batch)
            Evidence.objects.bulk_create(evidence, batch_size=self.batch)
            counts["reports"] += len(reports)
            counts["events"] += len(events)
            if self.verbosity >= 2:
                self.stdout.write(
                    f"    departments {start + 1}–{start + len(dps[start : start + chunk])}: {len(reports)} reports"
                )
        return counts

    def outcome(self) -> tuple[str, Decimal]:
        draw = self.rng.random()
        if draw < 0.72:
            return "green", Decimal(str(round(self.rng.choice([1, 1, 1, 1.05, 1.1, 1.2]), 3)))
        if draw < 0.88:
            return "yellow", Decimal(str(round(self.rng.uniform(0.82, 0.96), 3)))
        return "red", Decimal(str(round(self.rng.uniform(0.5, 0.78), 3)))

    def figure(self, ind: Indicator, targets: dict[int, Decimal], year: int, number: int, outcome, previous):
        """A KPI's year-to-date figure for a quarter, on course for the year's outcome."""
        kind, ratio = outcome
        target = targets[year]
        unit = ind.unit
        cap = {Unit.PERCENT: HUNDRED, Unit.SET: ONE}.get(unit)
        if ind.accrual == Accrual.LEVEL:
            jitter = Decimal(str(round(self.rng.uniform(0.97, 1.04), 3))) if number < 4 else ONE
            value = quantize(target * ratio * jitter, unit)
        else:
            start = Decimal(0)
            before = targets.get(year - 1)
            if unit == Unit.PERCENT and before is not None and before < target:
                start = before  # a cumulative ladder: 10 → 40 → 70 → 100
            final = start + (target - start) * ratio
            if unit in COUNT_UNITS:
                final = Decimal(math.ceil(final)) if kind == "green" else final.quantize(ONE, rounding=ROUND_FLOOR)
            final = quantize(final, unit, ROUND_HALF_UP if kind == "green" else ROUND_FLOOR)
            if number == 4:
                value = final
            else:
                pace = self.rng.uniform(0.97, 1.15) if kind == "green" else self.rng.uniform(0.8, 1.0)
                share = Decimal(number) / 4 * Decimal(str(round(pace, 3)))
                value = min(final, quantize(start + (final - start) * share, unit))
            value = max(value, previous if previous is not None else Decimal(0))
        if cap is not None:
            value = min(value, cap)
        return max(value, Decimal(0))

    def common_inputs(self, ind: Indicator, year: int, number: int, state: dict) -> dict:
        rng = self.rng
        if ind.formula == "budget_surplus":
            if number == 1:
                state["budget"] = rng.randrange(20_000, 60_000) * 1000
            budget = state["budget"]
            if number == 4:
                reserved = int(budget * rng.uniform(0.005, 0.02))
                spent = budget - int(budget * rng.uniform(0.0, 0.04)) - reserved
            else:
                reserved, spent = 0, int(budget * number / 4 * rng.uniform(0.85, 0.97))
            return {"budget": str(budget), "spent": str(spent), "reserved": str(reserved)}
        if ind.formula == "contract_staff_growth":
            if number == 1:
                last = rng.randint(8, 30)
                state["staff"] = (last, last + rng.choice([0, 0, 0, 0, 1, -1]))
            last, this = state["staff"]
            return {"last_year_staff": str(last), "this_year_staff": str(this)}
        if number == 1:
            state["current"] = rng.randint(30, 120)
        current = state["current"]
        share = min(1.0, number / 4 * rng.uniform(0.8, 1.05))
        return {"completed_staff": str(int(current * share)), "current_staff": str(current)}

    def indicator_reports(self, ind: Indicator, dept_number: int, reports: list, pending_events: list, evidence: list):
        rng = self.rng
        reporter_ids = self.reporters[dept_number]
        reviewer_id = self.reviewers[dept_number]
        targets = {y: t.value for y, t in self.targets_of[ind.id].items()}
        spec = FORMULAS.get(ind.formula)
        previous, outcome, state = None, None, {}
        for period in self.periods:
            if period.number == 1:
                previous, outcome, state = None, self.outcome(), {}
            is_current = period.pk == self.last_period.pk
            status, cycle = ReportStatus.APPROVED, rng.random() < 0.04
            if is_current:
                draw = rng.random()
                if draw < 0.1:
                    continue  # not filed yet
                status = (
                    ReportStatus.APPROVED
                    if draw < 0.55
                    else ReportStatus.SUBMITTED
                    if draw < 0.75
                    else ReportStatus.RETURNED
                    if draw < 0.87
                    else ReportStatus.DRAFT
                )
                cycle = cycle and status == ReportStatus.APPROVED
            inputs = {}
            if spec:
                inputs = self.common_inputs(ind, period.year, period.number, state)
                actual = spec.compute(inputs).value
            else:
                actual = self.figure(ind, targets, period.year, period.number, outcome, previous)
                previous = actual
            narrative = rng.choice(NARRATIVES).format(v=f"{fmt(actual)}{'%' if ind.unit == Unit.PERCENT else ind.unit}")
            shortfall = improvement = ""
            pace = assess(
                actual=actual,
                target=assessments.period_target(ind, period, targets),
                direction=ind.direction,
                thresholds=self.thresholds,
            )
            if pace.light in ("yellow", "red"):
                shortfall, improvement = rng.choice(SHORTFALLS)
            self.one_report(
                ind,
                period,
                status,
                cycle,
                is_current,
                reporter_ids[0 if rng.random() < 0.7 else 1],
                reviewer_id,
                actual,
                inputs,
                narrative,
                shortfall,
                improvement,
                reports,
                pending_events,
                evidence,
            )

    def one_report(
        self,
        ind,
        period,
        status,
        cycle,
        is_current,
        reporter_id,
        reviewer_id,
        actual,
        inputs,
        narrative,
        shortfall,
        improvement,
        reports,
        pending_events,
        evidence,
    ):
        rng = self.rng
        if is_current:  # the quarter being filed: entered in December, before the quarter is over
            created = at(period.end_date - datetime.timedelta(days=rng.randint(14, 25)), rng.randint(9, 16))
        else:
            created = at(period.end_date + datetime.timedelta(days=rng.randint(1, 10)), rng.randint(9, 16))
        day = datetime.timedelta(days=1)
        values = {
            "actual": actual,
            "inputs": inputs,
            "narrative": narrative,
            "shortfall_reason": shortfall,
            "improvement_plan": improvement,
        }
        created_changes = {
            f: [fmt(None) if f == "actual" else ({} if f == "inputs" else ""), fmt(v) if f == "actual" else v]
            for f, v in values.items()
            if v not in ("", {}, None)
        }
        events = [ReportEvent(action=ReportAction.CREATED, actor_id=reporter_id, at=created, changes=created_changes)]
        report = ProgressReport(
            indicator=ind,
            period=period,
            status=status,
            created_by_id=reporter_id,
            updated_by_id=reporter_id,
            created_at=created,
            updated_at=created,
            version=1,
            **values,
        )
        reports.append(report)
        pending_events.append((report, events))
        if status == ReportStatus.DRAFT:
            return
        submitted = created + datetime.timedelta(hours=rng.randint(1, 40))
        events.append(
            ReportEvent(
                action=ReportAction.SUBMITTED,
                actor_id=reporter_id,
                at=submitted,
                changes={"status": ["draft", "submitted"]},
            )
        )
        report.submitted_by_id, report.submitted_at, report.version = reporter_id, submitted, 2
        report.updated_at = submitted
        if status == ReportStatus.SUBMITTED:
            return
        reviewed = submitted + day * rng.randint(1, 4)
        if status == ReportStatus.RETURNED or cycle:
            comment = rng.choice(RETURN_COMMENTS)
            events.append(
                ReportEvent(
                    action=ReportAction.RETURNED,
                    actor_id=reviewer_id,
                    at=reviewed,
                    comment=comment,
                    changes={"status": ["submitted", "returned"]},
                )
            )
            report.status, report.reviewed_by_id, report.reviewed_at = ReportStatus.RETURNED, reviewer_id, reviewed
            report.review_comment, report.version = comment, 3
            if status == ReportStatus.RETURNED:
                return
            edited = reviewed + day
            new_narrative = narrative + CORRECTION
            events.append(
                ReportEvent(
                    action=ReportAction.EDITED,
                    actor_id=reporter_id,
                    at=edited,
                    changes={"narrative": [narrative, new_narrative]},
                )
            )
            evidence.append(
                Evidence(
                    report=report,
                    url=EVIDENCE_URL,
                    description="會議紀錄（市府網站公告）",
                    uploaded_by_id=reporter_id,
                    uploaded_at=edited,
                )
            )
            events.append(
                ReportEvent(action=ReportAction.EVIDENCE_ADDED, actor_id=reporter_id, at=edited, comment=EVIDENCE_URL)
            )
            resubmitted = edited + datetime.timedelta(hours=2)
            events.append(
                ReportEvent(
                    action=ReportAction.RESUBMITTED,
                    actor_id=reporter_id,
                    at=resubmitted,
                    changes={"status": ["returned", "submitted"]},
                )
            )
            report.narrative, report.submitted_at, report.updated_at = new_narrative, resubmitted, resubmitted
            reviewed = resubmitted + day * rng.randint(1, 3)
            report.version = 5
        comment = "同意。" if rng.random() < 0.15 else ""
        events.append(
            ReportEvent(
                action=ReportAction.APPROVED,
                actor_id=reviewer_id,
                at=reviewed,
                comment=comment,
                changes={"status": ["submitted", "approved"]},
            )
        )
        report.status, report.reviewed_by_id, report.reviewed_at = ReportStatus.APPROVED, reviewer_id, reviewed
        report.review_comment, report.version = comment, report.version + 1
