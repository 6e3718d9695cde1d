"""The Django admin: every page loads, the indicator list is cheap, targets change only
through `target_set` with a reason, and the revision record is read-only."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.api.tokens import token_issue
from kpi.models import Indicator, IndicatorKind, TargetRevision, YearlyTarget
from kpi.services import target_set

KPI_NAME = "完成港城丘地景管控規劃及機制"  # 1-1, % targets 100/100/100/100
REASON_REQUIRED = "修改目標值必須填寫修正理由。"


@pytest.fixture
def admin_client(client, admin_user, cast):
    client.force_login(admin_user)
    return client


@pytest.fixture
def kpi_1_1(seeded_plan):
    return Indicator.objects.get(name=KPI_NAME)


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def form_data(response):
    """The POST data of an admin change form as the browser would send it back unchanged."""
    data = {}

    def add(form):
        for bound in form:
            if bound.field.disabled:
                continue
            value = bound.value()
            if value is None:
                continue
            if isinstance(value, bool):
                if value:
                    data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            else:
                data[bound.html_name] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def target_form_index(response, year):
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model is YearlyTarget:
            for i, form in enumerate(inline.formset.forms):
                if form.instance.pk and form.instance.year == year:
                    return f"{inline.formset.prefix}-{i}"
    raise AssertionError(f"no target row for {year}")


# every page loads ----------------------------------------------------------------------


def registered_models():
    return list(admin.site._registry)


def test_the_plan_hierarchy_and_people_are_all_registered():
    names = {m._meta.label for m in registered_models()}
    assert {
        "plans.Plan",
        "plans.Department",
        "plans.DepartmentPlan",
        "plans.StrategicObjective",
        "plans.Membership",
        "kpi.Indicator",
        "kpi.TargetRevision",
        "auth.User",
    } <= names


def test_admin_site_is_titled_with_the_site_name(admin_client):
    response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert response.context["site_header"] == str(admin.site.site_header)


def _reporting_history(admin_user):
    """A submitted report with evidence, and a period locked and unlocked: a row in every reporting model."""
    from kpi import services
    from kpi.models import Indicator, ReportingPeriod
    from plans.models import Membership, PublishedYear, Role

    indicator = Indicator.objects.get(objective__number=1, number=5, department_plan__department__name="都市發展處")
    reporter = get_user_model().objects.create_user("reporter-for-admin-test")
    Membership.objects.create(user=reporter, department=indicator.department_plan.department, role=Role.REPORTER)
    period = ReportingPeriod.objects.filter(plan=indicator.department_plan.plan, year=114, number=1).get()
    report = services.report_save(
        indicator=indicator,
        period=period,
        user=reporter,
        actual="2",
        narrative="召開平台會議 2 場。",
        shortfall_reason="會議延期",
        improvement_plan="下季補開",
    )
    services.evidence_add(report=report, user=reporter, url="https://example.gov.tw/minutes", description="會議紀錄")
    services.report_submit(report=report, user=reporter, expected_version=report.version)
    other = ReportingPeriod.objects.filter(plan=period.plan, year=113, number=4).get()
    services.period_lock(period=other, user=admin_user)
    services.period_unlock(period=other, user=admin_user, reason="更正資料")
    PublishedYear.objects.create(plan=period.plan, year=113, published_by=admin_user)


# Rows for the registered models that the seeded plan and the cast leave empty.
MAKE_ROW = {
    "kpi.ProgressReport": _reporting_history,
    "kpi.ReportEvent": _reporting_history,
    "kpi.Evidence": _reporting_history,
    "kpi.PeriodEvent": _reporting_history,
    "plans.PublishedYear": _reporting_history,
    "kpi.Notification": lambda user: apps.get_model("kpi", "Notification").objects.create(
        recipient=user, kind="due_soon", text="1-5"
    ),
    "kpi.NotificationPreference": lambda user: apps.get_model("kpi", "NotificationPreference").objects.create(
        user=user, email="digest"
    ),
    "auth.Group": lambda user: Group.objects.create(name="研考"),
    "common.ApiToken": lambda user: token_issue(user=user),
    "kpi.TargetProposal": lambda user: apps.get_model("kpi", "TargetProposal").objects.create(
        indicator=apps.get_model("kpi", "Indicator").objects.filter(kind="kpi").first(),
        year=114,
        value=90,
        note="沿用前期目標值",
        created_by=user,
    ),
}


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_changelist_and_change_pages_load(admin_client, admin_user, model):
    label = model._meta.label
    if label in MAKE_ROW:
        MAKE_ROW[label](admin_user)
    response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    obj = model._default_manager.first()
    if model._meta.app_label in ("plans", "kpi", "auth"):
        assert obj is not None, "the seeded plan and the cast give every model of ours a row"
    if obj is not None:
        assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200
    if admin.site._registry[model].has_add_permission(response.wsgi_request):
        assert admin_client.get(admin_url(model, "add")).status_code == 200


def test_department_plan_page_shows_goals_objectives_and_common_goals_inline(admin_client, home_department):
    dp = home_department.department_plans.get()
    response = admin_client.get(admin_url(type(dp), "change", dp.pk))
    body = response.content.decode()
    assert "繽紛·魅力" in body  # a goal
    assert "市港再生" in body  # an objective
    assert "節約政府支出，邁向財政收支平衡" in body  # a common goal


def test_user_page_has_memberships_inline(admin_client, staff):
    response = admin_client.get(admin_url(type(staff), "change", staff.pk))
    models = [inline.formset.model._meta.label for inline in response.context["inline_admin_formsets"]]
    assert "plans.Membership" in models


# the indicator list ----------------------------------------------------------------------


def test_indicator_list_has_a_target_column_per_plan_year(admin_client, kpi_1_1):
    response = admin_client.get(admin_url(Indicator, "changelist"))
    assert response.status_code == 200
    body = response.content.decode()
    for year in (111, 112, 113, 114):
        assert f"column-target_{year}" in body
    assert response.context["cl"].result_count == 23
    # Targets are shown as people write them: 100, not 100.0000.
    assert "100.0000" not in body


def test_indicator_list_shows_revised_targets_with_the_original(admin_client, kpi_1_1):
    target_set(indicator=kpi_1_1, year=112, value="90", reason="預算刪減")
    body = admin_client.get(admin_url(Indicator, "changelist")).content.decode()
    assert "90 <small" in body


def test_indicator_list_query_count_does_not_grow_with_indicators(admin_client, kpi_1_1, django_assert_max_num_queries):
    url = admin_url(Indicator, "changelist")
    admin_client.get(url)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as before:
        admin_client.get(url)
    for number in range(10, 20):
        extra = Indicator.objects.create(
            department_plan=kpi_1_1.department_plan,
            kind=IndicatorKind.KPI,
            objective=kpi_1_1.objective,
            number=number,
            name=f"測試指標{number}",
            evaluation_arrangement=1,
            evaluation_method="statistics",
            measurement_standard="測試",
            unit="件",
        )
        for year in (111, 112, 113, 114):
            target_set(indicator=extra, year=year, value=number)
    with django_assert_max_num_queries(len(before.captured_queries)):
        response = admin_client.get(url)
    assert response.context["cl"].result_count == 33


@pytest.mark.parametrize(
    "query",
    [
        "department_plan__department__id__exact={department}",
        "objective__goal__id__exact={goal}",
        "objective__id__exact={objective}",
        "unit__exact=%25",
        "evaluation_method__exact=statistics",
        "kind__exact=common",
        "q=發布實施",
    ],
)
def test_indicator_list_filters_and_search(admin_client, kpi_1_1, query):
    objective = kpi_1_1.objective
    url = (
        admin_url(Indicator, "changelist")
        + "?"
        + query.format(department=kpi_1_1.department_plan.department_id, goal=objective.goal_id, objective=objective.pk)
    )
    response = admin_client.get(url)
    assert response.status_code == 200
    assert 0 < response.context["cl"].result_count <= 23


# changing targets in the indicator admin -------------------------------------------------


def test_indicator_page_has_one_target_row_per_year_and_the_revision_record(admin_client, kpi_1_1):
    response = admin_client.get(admin_url(Indicator, "change", kpi_1_1.pk))
    body = response.content.decode()
    [targets] = [i.formset for i in response.context["inline_admin_formsets"] if i.formset.model is YearlyTarget]
    assert [f.instance.year for f in targets.forms] == [111, 112, 113, 114]
    assert "依計畫書核定版建檔" in body  # the seeded revisions, read-only on the page


def test_new_indicator_form_offers_a_row_for_each_plan_year(admin_client):
    response = admin_client.get(admin_url(Indicator, "add"))
    [targets] = [i.formset for i in response.context["inline_admin_formsets"] if i.formset.model is YearlyTarget]
    assert [f.initial.get("year") for f in targets.forms] == [111, 112, 113, 114]


def test_changing_a_target_without_a_reason_is_refused_and_changes_nothing(admin_client, kpi_1_1):
    url = admin_url(Indicator, "change", kpi_1_1.pk)
    page = admin_client.get(url)
    data = form_data(page)
    data[f"{target_form_index(page, 112)}-value"] = "90"
    revisions = TargetRevision.objects.count()

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert REASON_REQUIRED in response.content.decode()
    target = YearlyTarget.objects.get(indicator=kpi_1_1, year=112)
    assert target.value == target.original_value == Decimal("100")
    assert TargetRevision.objects.count() == revisions


def test_changing_a_target_with_a_reason_records_the_revision(admin_client, admin_user, kpi_1_1):
    url = admin_url(Indicator, "change", kpi_1_1.pk)
    page = admin_client.get(url)
    data = form_data(page)
    row = target_form_index(page, 112)
    data[f"{row}-value"] = "90"
    data[f"{row}-reason"] = "市議會刪減預算"

    response = admin_client.post(url, data)

    assert response.status_code == 302
    target = YearlyTarget.objects.get(indicator=kpi_1_1, year=112)
    assert target.value == Decimal("90")
    assert target.original_value == Decimal("100")
    revision = target.revisions.latest("id")
    assert revision.old_value == Decimal("100")
    assert revision.new_value == Decimal("90")
    assert revision.reason == "市議會刪減預算"
    assert revision.changed_by == admin_user
    assert revision.source == TargetRevision.Source.ADMIN
    # Nothing else moved.
    assert TargetRevision.objects.filter(target__indicator=kpi_1_1, source="admin").count() == 1


def test_excluding_a_year_from_assessment_is_noted_on_the_target_without_a_revision(admin_client, kpi_1_1):
    url = admin_url(Indicator, "change", kpi_1_1.pk)
    page = admin_client.get(url)
    data = form_data(page)
    data[f"{target_form_index(page, 114)}-excluded_reason"] = "颱風停工，經核定不予評估"
    revisions = TargetRevision.objects.count()

    response = admin_client.post(url, data)

    assert response.status_code == 302
    target = YearlyTarget.objects.get(indicator=kpi_1_1, year=114)
    assert target.excluded_reason == "颱風停工，經核定不予評估"
    assert target.value == Decimal("100")
    assert TargetRevision.objects.count() == revisions


def test_a_target_the_unit_does_not_allow_is_a_form_error_not_a_500(admin_client, seeded_plan):
    indicator = Indicator.objects.filter(unit="式").first()
    url = admin_url(Indicator, "change", indicator.pk)
    page = admin_client.get(url)
    data = form_data(page)
    row = target_form_index(page, 111)
    data[f"{row}-value"] = "2"
    data[f"{row}-reason"] = "想改成兩式"

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "以「式」計的目標值是完成比例" in response.content.decode()
    assert YearlyTarget.objects.get(indicator=indicator, year=111).value == 1


def test_a_refusal_at_save_time_rolls_back_and_is_reported(admin_client, kpi_1_1, monkeypatch):
    def refuse(**kwargs):
        raise ValidationError({"value": "有人同時修改了這個目標值。"})

    monkeypatch.setattr("kpi.admin.target_set", refuse)
    url = admin_url(Indicator, "change", kpi_1_1.pk)
    page = admin_client.get(url)
    data = form_data(page)
    row = target_form_index(page, 112)
    data[f"{row}-value"] = "90"
    data[f"{row}-reason"] = "理由"
    data["name"] = "改過的名稱"

    response = admin_client.post(url, data, follow=True)

    assert response.status_code == 200
    assert "有人同時修改了這個目標值。" in response.content.decode()
    kpi_1_1.refresh_from_db()
    assert kpi_1_1.name == KPI_NAME  # the indicator's own change was rolled back too


def test_adding_an_indicator_sets_its_targets_through_target_set(admin_client, admin_user, kpi_1_1):
    page = admin_client.get(admin_url(Indicator, "add"))
    data = form_data(page)
    data.update(
        department_plan=str(kpi_1_1.department_plan_id),
        kind="kpi",
        objective=str(kpi_1_1.objective_id),
        number="9",
        name="新指標",
        evaluation_arrangement="1",
        evaluation_method="statistics",
        measurement_standard="新的衡量標準",
        unit="件",
        direction="higher",
        weight="1",
    )
    for i, value in enumerate(["1", "2", "3", "4"]):
        data[f"targets-{i}-value"] = value

    response = admin_client.post(admin_url(Indicator, "add"), data)

    assert response.status_code == 302
    indicator = Indicator.objects.get(name="新指標")
    assert {t.year: t.value for t in indicator.targets.all()} == {111: 1, 112: 2, 113: 3, 114: 4}
    revisions = TargetRevision.objects.filter(target__indicator=indicator)
    assert revisions.count() == 4
    assert {r.source for r in revisions} == {TargetRevision.Source.ADMIN}
    assert {r.changed_by for r in revisions} == {admin_user}


# the revision record is read-only ---------------------------------------------------------


def test_target_revisions_cannot_be_added_changed_or_deleted(admin_client, kpi_1_1):
    revision = TargetRevision.objects.filter(target__indicator=kpi_1_1).first()
    model_admin = admin.site._registry[TargetRevision]
    request = admin_client.get(admin_url(TargetRevision, "changelist")).wsgi_request
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, revision)
    assert not model_admin.has_delete_permission(request, revision)

    assert admin_client.get(admin_url(TargetRevision, "add")).status_code == 403
    assert admin_client.get(admin_url(TargetRevision, "delete", revision.pk)).status_code == 403
    response = admin_client.post(admin_url(TargetRevision, "change", revision.pk), {"reason": "竄改"})
    assert response.status_code == 403
    revision.refresh_from_db()
    assert revision.reason != "竄改"


def test_target_revision_list_shows_old_new_reason_who_and_source(admin_client, admin_user, kpi_1_1):
    target_set(indicator=kpi_1_1, year=113, value="80", reason="颱風影響", user=admin_user)
    response = admin_client.get(admin_url(TargetRevision, "changelist") + "?source__exact=admin")
    body = response.content.decode()
    assert response.status_code == 200
    assert "100 → 80" in body
    assert "颱風影響" in body
    assert response.context["cl"].result_count == 1
