"""The next plan period (kpi.services.plan_rollover, manage.py plan_rollover, the plan admin's page).

115–118 starts from 111–114's structure, field for field, with its own reporting periods
and no targets; with carry_targets, 114's targets become proposals that are marked as
such and count for nothing until accepted. The old plan is only read: its rows, its
record of changes and every export of it are the same bytes afterwards. A refused
rollover writes nothing.
"""

from __future__ import annotations

import datetime
import io
import json
import re
import zipfile
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import models
from django.urls import reverse
from django.utils import timezone

from kpi.assessments import plan_year_attainment
from kpi.attainment import Light
from kpi.models import (
    Indicator,
    IndicatorKind,
    PlannedValue,
    ProgressReport,
    ReportingPeriod,
    StoredAssessment,
    TargetProposal,
    TargetRevision,
    YearlyTarget,
)
from kpi.services.rollover import next_plan_name, parse_plan_years, plan_rollover
from plans.models import CommonGoal, DepartmentPlan, Goal, ObjectiveItem, Plan, PublishedYear, StrategicObjective
from tests.test_public import public_scenario  # noqa: F401 — a fixture: 114 published, with approved reports

HOME = "都市發展處"
API = "/api/v1/"


def roll(seeded_plan, **kwargs) -> Plan:
    return plan_rollover(source=seeded_plan, start_year=115, end_year=118, **kwargs).plan


# --- The structure, field for field -----------------------------------------------------------

SETTINGS = ("reporting_frequency", "report_due_days", "review_stages", "green_threshold", "yellow_threshold")


def _fields(obj: models.Model, *skip: str) -> dict:
    """Every concrete field but the primary key and the links to parents (compared by natural key)."""
    return {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if not f.primary_key and f.name not in skip
    }


def structure(plan: Plan) -> dict:
    """A plan's structure keyed by what people call each row, not by id."""
    dps = {dp.pk: dp.department.name for dp in DepartmentPlan.objects.filter(plan=plan).select_related("department")}
    goals = {g.pk: g.number for g in Goal.objects.filter(department_plan__plan=plan)}
    objectives = {o.pk: o for o in StrategicObjective.objects.filter(department_plan__plan=plan)}
    commons = {c.pk: c for c in CommonGoal.objects.filter(department_plan__plan=plan)}
    return {
        "department plans": {dps[dp.pk]: _fields(dp, "plan") for dp in DepartmentPlan.objects.filter(plan=plan)},
        "goals": {
            (dps[g.department_plan_id], g.number): _fields(g, "department_plan")
            for g in Goal.objects.filter(department_plan__plan=plan)
        },
        "objectives": {
            (dps[o.department_plan_id], o.number): {
                **_fields(o, "department_plan", "goal"),
                "goal": goals.get(o.goal_id),
            }
            for o in objectives.values()
        },
        "items": {
            (dps[objectives[i.objective_id].department_plan_id], objectives[i.objective_id].number, i.number): _fields(
                i, "objective"
            )
            for i in ObjectiveItem.objects.filter(objective__department_plan__plan=plan)
        },
        "common goals": {
            (dps[c.department_plan_id], c.number): _fields(c, "department_plan") for c in commons.values()
        },
        "indicators": {
            (
                dps[i.department_plan_id],
                i.kind,
                (objectives[i.objective_id] if i.objective_id else commons[i.common_goal_id]).number,
                i.number,
            ): _fields(i, "department_plan", "objective", "common_goal")
            for i in Indicator.objects.filter(department_plan__plan=plan)
        },
    }


def test_rollover_copies_the_structure_field_for_field(seeded_plan):
    new = roll(seeded_plan)
    new.refresh_from_db()
    assert (new.start_year, new.end_year) == (115, 118)
    assert new.name == next_plan_name(seeded_plan, 115, 118)
    assert new.edition == "草案"
    assert {name: getattr(new, name) for name in SETTINGS} == {name: getattr(seeded_plan, name) for name in SETTINGS}

    old, copied = structure(seeded_plan), structure(new)
    assert copied == old
    # The seeded plan gives one department in full: the comparison is not of empty lists.
    assert len(old["department plans"]) == 20
    assert old["department plans"][HOME]["mission"] and old["department plans"][HOME]["vision"]
    assert len(old["goals"]) == 3 and len(old["objectives"]) == 6 and old["items"]
    assert sum(1 for key in old["indicators"] if key[1] == IndicatorKind.KPI) == 20
    common = [v for k, v in old["indicators"].items() if k[1] == IndicatorKind.COMMON]
    assert common and all(v["formula"] for v in common)
    assert any(v["goal_inferred"] for v in old["objectives"].values())
    # New rows, not the old ones moved: the old plan still has its own.
    assert not Indicator.objects.filter(department_plan__plan=new).filter(
        pk__in=Indicator.objects.filter(department_plan__plan=seeded_plan).values("pk")
    )


def test_rollover_sets_no_targets_and_creates_the_periods(seeded_plan):
    new = roll(seeded_plan)
    assert not YearlyTarget.objects.filter(indicator__department_plan__plan=new).exists()
    assert not TargetProposal.objects.filter(indicator__department_plan__plan=new).exists()
    periods = list(ReportingPeriod.objects.filter(plan=new).order_by("year", "number"))
    assert len(periods) == ReportingPeriod.objects.filter(plan=seeded_plan).count() == 16
    first, last = periods[0], periods[-1]
    assert (first.year, first.number, first.start_date, first.end_date) == (
        115,
        1,
        datetime.date(2026, 1, 1),
        datetime.date(2026, 3, 31),
    )
    assert (last.year, last.number, last.end_date) == (118, 4, datetime.date(2029, 12, 31))
    assert first.due_date == first.end_date + datetime.timedelta(days=seeded_plan.report_due_days)
    # Every KPI-year of the new plan has its stored assessment: white, nothing to judge yet.
    rows = StoredAssessment.objects.filter(indicator__department_plan__plan=new)
    assert rows.count() == Indicator.objects.filter(department_plan__plan=new).count() * 4
    assert set(rows.values_list("year_light", flat=True)) == {Light.WHITE.value}
    # The record of changes has the new plan and its indicators, with why.
    assert new.history.get().history_change_reason.startswith("由")
    indicator = Indicator.objects.filter(department_plan__plan=new).first()
    assert indicator.history.count() == 1 and "115–118" in indicator.history.get().history_change_reason


def test_carried_targets_are_proposals_marked_as_such_and_count_for_nothing(seeded_plan, client, planner):
    new = roll(seeded_plan, carry_targets=True)
    last_year = YearlyTarget.objects.filter(indicator__department_plan__plan=seeded_plan, year=114)
    proposals = TargetProposal.objects.filter(indicator__department_plan__plan=new)
    assert proposals.count() == last_year.count() * 4 > 0
    one = proposals.select_related("indicator", "carried_from__indicator").filter(year=117).first()
    assert one.carried_from.year == 114 and one.carried_from.indicator.department_plan.plan_id == seeded_plan.pk
    assert one.value == one.carried_from.value
    assert one.note == "沿用111–114年計畫114年目標值"
    # Not targets: no target, no light, no roll-up score.
    assert not YearlyTarget.objects.filter(indicator__department_plan__plan=new).exists()
    for year in new.years:
        attainment = plan_year_attainment(plan=new, year=year)
        assert attainment.indicators
        assert all(r.target is None and r.assessment.light is Light.WHITE for r in attainment.indicators.values())
        assert attainment.city.rollup.score is None
    # On the planning page a proposal reads as one, not as the year's target.
    home = DepartmentPlan.objects.get(plan=new, department__name=HOME)
    client.force_login(planner)
    body = client.get(reverse("kpi:planning", args=[new.pk, home.department_id, 115])).content.decode()
    assert body.count("plan-status-target_proposed") == Indicator.objects.filter(department_plan=home).count()
    assert "沿用111–114年計畫114年目標值" in body
    assert "尚未核定" in body or "not yet approved" in body


def test_accepting_a_proposal_makes_it_a_target_on_the_record(seeded_plan, admin_user, client):
    new = roll(seeded_plan, carry_targets=True)
    home = DepartmentPlan.objects.get(plan=new, department__name=HOME)
    chosen = list(TargetProposal.objects.filter(indicator__department_plan=home, year=115))
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:kpi_targetproposal_changelist"),
        {"action": "accept_proposals", "_selected_action": [p.pk for p in chosen]},
        follow=True,
    )
    assert response.status_code == 200
    targets = YearlyTarget.objects.filter(indicator__department_plan=home, year=115)
    assert {(t.indicator_id, t.value) for t in targets} == {(p.indicator_id, p.value) for p in chosen}
    revision = TargetRevision.objects.filter(target__in=targets).first()
    assert revision.reason == "採用目標值提案：沿用111–114年計畫114年目標值" and revision.changed_by == admin_user
    assert not TargetProposal.objects.filter(pk__in=[p.pk for p in chosen]).exists()
    assert TargetProposal.objects.filter(indicator__department_plan=home, year=116).count() == len(chosen)
    # Now a target: the year has something to judge against.
    attainment = plan_year_attainment(plan=new, year=115)
    assert all(attainment.indicators[p.indicator_id].target is not None for p in chosen)


def test_the_planning_screens_queries_do_not_grow_for_a_plan_with_its_targets(
    seeded_plan, client, staff, django_assert_num_queries
):
    """Proposals are read only where a year lacks targets: 111–114's screen reads what it read."""
    from tests.test_planning import QUERIES  # the pinned count (for the department's reporter)

    home = DepartmentPlan.objects.get(plan=seeded_plan, department__name=HOME)
    client.force_login(staff)
    url = reverse("kpi:planning", args=[seeded_plan.pk, home.department_id, 114])
    client.get(url)
    roll(seeded_plan, carry_targets=True)
    with django_assert_num_queries(QUERIES):
        assert client.get(url).status_code == 200


# --- The old plan is left as it was -----------------------------------------------------------

OLD_PLAN_MODELS = [
    (Plan, "pk"),
    (DepartmentPlan, "plan"),
    (Goal, "department_plan__plan"),
    (StrategicObjective, "department_plan__plan"),
    (ObjectiveItem, "objective__department_plan__plan"),
    (CommonGoal, "department_plan__plan"),
    (Indicator, "department_plan__plan"),
    (YearlyTarget, "indicator__department_plan__plan"),
    (TargetRevision, "target__indicator__department_plan__plan"),
    (PlannedValue, "target__indicator__department_plan__plan"),
    (ReportingPeriod, "plan"),
    (ProgressReport, "period__plan"),
    (StoredAssessment, "indicator__department_plan__plan"),
    (PublishedYear, "plan"),
    (Indicator.history.model, "department_plan__plan"),
    (Plan.history.model, "id"),
]


def rows_of(plan: Plan) -> dict:
    snapshot = {}
    for model, path in OLD_PLAN_MODELS:
        lookup = {path: plan.pk} if path in ("pk", "id") else {path: plan}
        snapshot[model.__name__] = list(model.objects.filter(**lookup).order_by("pk").values())
    return snapshot


def _xlsx_parts(content: bytes) -> dict[str, bytes]:
    """Every part of the workbook; the file's own created/modified stamps (openpyxl writes the
    moment of writing) are taken out, as the zip entries' times are not compared."""
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    parts["docProps/core.xml"] = re.sub(
        rb"<dcterms:(created|modified)[^<]*</dcterms:\1>", b"", parts["docProps/core.xml"]
    )
    return parts


def exports_of(client, plan: Plan, home_id: int, planner, admin_user) -> dict:
    """The old plan as every reader gets it: the yearly report's files, open data, the API."""
    got = {}
    client.force_login(planner)
    for year in (113, 114):
        params = {"year": year, "department": home_id, "plan": plan.pk}
        got[f"csv {year}"] = client.get(reverse("reports:yearly_download"), {**params, "format": "csv"}).content
        got[f"xlsx {year}"] = _xlsx_parts(
            client.get(reverse("reports:yearly_download"), {**params, "format": "xlsx"}).content
        )
        got[f"page {year}"] = client.get(reverse("reports:yearly"), params).content
        got[f"attainment {year}"] = client.get(API + "attainment/", {"plan": plan.pk, "year": year}).content
    for path in ("departments/", "department-plans/", "goals/", "objectives/", "common-goals/", "periods/", "reports/"):
        got[path] = client.get(API + path, {"plan": plan.pk, "page_size": 100}).content
    got["plans/"] = client.get(API + "plans/", {"year": 114}).content
    got["indicators/"] = client.get(API + "indicators/", {"plan": plan.pk}).content
    got["indicators/?year="] = client.get(API + "indicators/", {"year": 114}).content
    client.logout()
    got["open data json"] = client.get(reverse("reports:open_data_json", args=[114])).content
    got["open data csv"] = client.get(reverse("reports:open_data_csv", args=[114])).content
    got["public department"] = client.get(reverse("reports:public_department", args=[114, home_id])).content
    return got


PER_REQUEST = [
    re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*'),
    re.compile(rb'(nonce=")[^"]*'),
    # With two plans a page offers the switcher; what it reports is the same.
    re.compile(rb'()<form method="get" class="plan-switcher".*?</form>', re.S),
]


def same_page(content: bytes) -> bytes:
    for pattern in PER_REQUEST:
        content = pattern.sub(rb"\1", content)
    return content


@pytest.mark.usefixtures("public_scenario")
def test_the_old_plan_and_its_exports_are_byte_for_byte_unchanged(
    seeded_plan, client, planner, admin_user, home_department, settings
):
    # 111–114 stays the plan in force, so that its pages' addresses are the same before and after.
    settings.KPI_TODAY = datetime.date(2025, 12, 20)
    moment = timezone.now()
    with mock.patch("django.utils.timezone.now", return_value=moment):  # open data says when it was made
        before_rows = rows_of(seeded_plan)
        before = exports_of(client, seeded_plan, home_department.pk, planner, admin_user)
    assert b"PUB-1-1-Q4" in before["open data json"]
    assert before_rows["ProgressReport"] and before_rows["YearlyTarget"] and before_rows["PublishedYear"]

    new = roll(seeded_plan, carry_targets=True)

    with mock.patch("django.utils.timezone.now", return_value=moment):
        after_rows = rows_of(seeded_plan)
        after = exports_of(client, seeded_plan, home_department.pk, planner, admin_user)
    assert after_rows == before_rows
    for name, content in before.items():
        if name == "departments/":
            # A department outlives plans: it now lists its part in the new plan too, and only that.
            listed = after[name].decode()
            rows = json.loads(listed)["results"]
            for row in rows:
                row["department_plans"] = [dp for dp in row["department_plans"] if dp["plan"] != new.pk]
            assert rows == json.loads(content)["results"]
            assert listed.count(f'"plan":{new.pk},') == 20
        elif name == "public department":
            assert same_page(after[name]) == same_page(content), name
        elif name.startswith("page "):
            assert b"plan-switcher" in after[name] and b"plan-switcher" not in content
            assert same_page(after[name]) == same_page(content), name
        else:
            assert after[name] == content, name
    # The new plan is there for whoever asks for it.
    assert client.get(API + "indicators/", {"plan": new.pk}).json()


# --- Refused, with nothing written ------------------------------------------------------------


def counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (
            Plan,
            Plan.history.model,
            DepartmentPlan,
            Goal,
            StrategicObjective,
            ObjectiveItem,
            CommonGoal,
            Indicator,
            Indicator.history.model,
            ReportingPeriod,
            TargetProposal,
            YearlyTarget,
            StoredAssessment,
        )
    }


@pytest.mark.parametrize(
    ("start", "end", "says"),
    [
        (116, 119, "115–118"),  # a year left out
        (114, 117, "115–118"),  # overlapping the old plan
        (115, 117, "115–118"),  # three years, not four
        (115, 119, "115–118"),
    ],
)
def test_years_that_do_not_follow_the_plan_are_refused(seeded_plan, start, end, says):
    before = counts()
    with pytest.raises(ValidationError) as refused:
        plan_rollover(source=seeded_plan, start_year=start, end_year=end)
    assert says in " ".join(refused.value.messages)
    assert counts() == before


def test_a_second_rollover_is_refused(seeded_plan):
    roll(seeded_plan)
    before = counts()
    with pytest.raises(ValidationError) as refused:
        roll(seeded_plan, carry_targets=True)
    assert "115–118" in " ".join(refused.value.messages)
    assert counts() == before


def test_years_another_plan_already_covers_are_refused(seeded_plan):
    Plan.objects.create(
        name="另一計畫", start_year=117, end_year=120, edition="x", published_year=117, published_month=1
    )
    before = counts()
    with pytest.raises(ValidationError) as refused:
        roll(seeded_plan)
    assert "另一計畫" in " ".join(refused.value.messages)
    assert counts() == before


@pytest.mark.parametrize(
    ("text", "years"),
    [("115-118", (115, 118)), ("115–118", (115, 118)), (" 115 ~ 118 ", (115, 118)), ("115至118", (115, 118))],
)
def test_plan_years_are_read_as_people_write_them(text, years):
    assert parse_plan_years(text) == years


@pytest.mark.parametrize("text", ["", "115", "2026-2029", "118-115", "abc-def", "115-118-119"])
def test_what_is_not_a_plans_years_is_refused(text):
    with pytest.raises(ValidationError):
        parse_plan_years(text)


def test_a_name_with_the_years_gets_the_new_years(seeded_plan):
    seeded_plan.name = "基隆市政府111-114年度中程施政計畫"
    assert next_plan_name(seeded_plan, 115, 118) == "基隆市政府115-118年度中程施政計畫"
    seeded_plan.name = "基隆市政府中程施政計畫"
    assert next_plan_name(seeded_plan, 115, 118) == "基隆市政府中程施政計畫"


# --- The command and the admin page -----------------------------------------------------------


def test_the_command_rolls_over_and_says_what_it_created(seeded_plan):
    out = io.StringIO()
    call_command("plan_rollover", "--from", "111-114", "--to", "115-118", "--carry-targets", stdout=out)
    new = Plan.objects.get(start_year=115)
    assert "indicators" in out.getvalue() and "target proposals" in out.getvalue()
    assert TargetProposal.objects.filter(indicator__department_plan__plan=new).exists()
    assert not YearlyTarget.objects.filter(indicator__department_plan__plan=new).exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--from", "111-113", "--to", "114-116"], "111–113"),  # no such plan
        (["--from", "111-114", "--to", "116-119"], "115–118"),
        (["--from", "111-114", "--to", "next"], "next"),
    ],
)
def test_the_command_refuses_with_a_clear_message_and_writes_nothing(seeded_plan, args, says):
    before = counts()
    with pytest.raises(CommandError) as refused:
        call_command("plan_rollover", *args)
    assert says in str(refused.value)
    assert counts() == before


def test_the_command_names_the_plan_when_several_cover_the_years(seeded_plan):
    Plan.objects.create(
        name="合成城市", start_year=111, end_year=114, edition="x", published_year=111, published_month=1
    )
    with pytest.raises(CommandError, match="合成城市"):
        call_command("plan_rollover", "--from", "111-114", "--to", "115-118")
    call_command("plan_rollover", "--from", "111-114", "--to", "115-118", "--plan-name", seeded_plan.name)
    assert DepartmentPlan.objects.filter(plan__start_year=115).count() == 20


def test_the_admin_action_leads_to_the_rollover_page_which_creates_the_plan(seeded_plan, client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:plans_plan_changelist"), {"action": "roll_over", "_selected_action": [seeded_plan.pk]}
    )
    page = reverse("admin:plans_plan_rollover", args=[seeded_plan.pk])
    assert response.status_code == 302 and response["Location"] == page
    form = client.get(page)
    assert form.status_code == 200
    assert 'value="115-118"' in form.content.decode()
    created = client.post(page, {"years": "115-118", "name": seeded_plan.name, "carry_targets": "on"})
    new = Plan.objects.get(start_year=115)
    assert created.status_code == 302 and created["Location"] == reverse("admin:plans_plan_change", args=[new.pk])
    assert TargetProposal.objects.filter(indicator__department_plan__plan=new).exists()
    again = client.post(page, {"years": "115-118", "name": seeded_plan.name})
    assert again.status_code == 400 and Plan.objects.filter(start_year=115).count() == 1
    assert "115–118" in again.content.decode()
    bad = client.post(page, {"years": "2026-2029", "name": seeded_plan.name})
    assert bad.status_code == 400 and "2026-2029" in bad.content.decode()


def test_only_admins_reach_the_rollover_page(seeded_plan, client, planner, staff):
    page = reverse("admin:plans_plan_rollover", args=[seeded_plan.pk])
    for user in (planner, staff):
        client.force_login(user)
        response = client.post(page, {"years": "115-118", "name": "x"})
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Plan.objects.filter(start_year=115).exists()


def test_a_proposal_value_is_kept_exactly(seeded_plan):
    new = roll(seeded_plan, carry_targets=True)
    for proposal in TargetProposal.objects.filter(indicator__department_plan__plan=new).select_related("carried_from"):
        assert isinstance(proposal.value, Decimal) and proposal.value == proposal.carried_from.value
