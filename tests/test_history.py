"""The record of every change that can move a light (django-simple-history, kpi.history).

Changing an indicator's direction, unit, weight, accrual, formula or evaluation method, a
plan's light thresholds or a KPI-year's exclusion (不予評估) needs a reason; every change
is kept with old → new, who, when and why, and shows on the KPI page's timeline and on
admin's history pages, in zh-Hant, Taipei time and ROC dates.
"""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpi import history
from kpi.models import Direction, Indicator, YearlyTarget
from kpi.resources import IndicatorResource
from kpi.services import target_set
from plans.models import Plan
from tests.test_admin import admin_url, form_data, target_form_index

KPI_NAME = "完成港城丘地景管控規劃及機制"  # 1-1, %, higher is better, targets 100 ×4
REASON_ERROR = "變更「方向」會改變燈號，必須填寫修改理由。"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def kpi_1_1(seeded_plan):
    return Indicator.objects.get(name=KPI_NAME)


def kpi_page(client, user, indicator, year=112):
    client.force_login(user)
    response = client.get(f"{reverse('kpi:detail', args=[indicator.pk])}?year={year}")
    assert response.status_code == 200
    return response


def post_change(client, model, obj, **changes):
    url = admin_url(model, "change", obj.pk)
    page = client.get(url)
    data = form_data(page)
    data.update(changes)
    return client.post(url, data)


def rows(model, obj):
    return model.history.filter(id=obj.pk).count()


# --- indicators in admin -----------------------------------------------------------------


def test_the_change_form_asks_for_a_reason_and_links_each_targets_record(admin_client, kpi_1_1):
    body = admin_client.get(admin_url(Indicator, "change", kpi_1_1.pk)).content.decode()
    assert "修改理由" in body
    assert "變更「方向、單位、權重、累計方式、計算公式、評估方式」可能改變燈號，必須填寫" in body
    for target in kpi_1_1.targets.all():
        assert admin_url(YearlyTarget, "history", target.pk) in body


def test_changing_the_direction_without_a_reason_is_refused_and_records_nothing(admin_client, kpi_1_1):
    before = rows(Indicator, kpi_1_1)

    response = post_change(admin_client, Indicator, kpi_1_1, direction=Direction.LOWER)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["change_reason"] == [REASON_ERROR]
    assert REASON_ERROR in response.content.decode()
    kpi_1_1.refresh_from_db()
    assert kpi_1_1.direction == Direction.HIGHER
    assert rows(Indicator, kpi_1_1) == before


def test_changing_the_direction_with_a_reason_is_recorded_and_shown_on_the_kpi_page(
    admin_client, admin_user, planner, kpi_1_1
):
    response = post_change(
        admin_client, Indicator, kpi_1_1, direction=Direction.LOWER, change_reason="依審查會議決議改為越低越好"
    )

    assert response.status_code == 302
    kpi_1_1.refresh_from_db()
    assert kpi_1_1.direction == Direction.LOWER
    record = kpi_1_1.history.latest()
    assert record.history_type == "~"
    assert record.history_change_reason == "依審查會議決議改為越低越好"
    assert record.history_user == admin_user
    assert record.prev_record.direction == Direction.HIGHER

    page = kpi_page(admin_client, planner, kpi_1_1)
    [entry] = [e for e in page.context["page"].timeline if e.action == "indicator_changed"]
    assert entry.comment == "依審查會議決議改為越低越好"
    assert entry.actor == "admin"
    assert [(c.label, c.old, c.new) for c in entry.changes] == [("方向", "越高越好", "越低越好")]
    body = page.content.decode()
    assert "依審查會議決議改為越低越好" in body
    assert "修改指標設定" in body
    assert "越高越好" in body and "越低越好" in body


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("unit", "件", "單位"),
        ("weight", "2", "權重"),
        ("accrual", "level", "累計方式"),
        ("evaluation_method", "statistics", "評估方式"),
    ],
)
def test_every_field_that_moves_a_light_needs_a_reason(admin_client, kpi_1_1, field, value, label):
    response = post_change(admin_client, Indicator, kpi_1_1, **{field: value})

    assert response.status_code == 200
    assert f"變更「{label}」會改變燈號" in response.context["adminform"].form.errors["change_reason"][0]
    assert Indicator.objects.filter(pk=kpi_1_1.pk, **{field: getattr(kpi_1_1, field)}).exists()


def test_the_rule_names_every_field_that_moves_a_light():
    assert history.light_fields(Indicator) == (
        "direction",
        "unit",
        "weight",
        "accrual",
        "formula",
        "evaluation_method",
    )
    assert history.light_fields(YearlyTarget) == ("value", "excluded_reason")
    assert history.light_fields(Plan) == ("green_threshold", "yellow_threshold")


def test_a_text_change_needs_no_reason_and_is_still_recorded(admin_client, admin_user, planner, kpi_1_1):
    response = post_change(admin_client, Indicator, kpi_1_1, name="完成港城丘地景管控規劃")

    assert response.status_code == 302
    record = kpi_1_1.history.latest()
    assert record.name == "完成港城丘地景管控規劃"
    assert record.history_change_reason is None
    assert record.history_user == admin_user
    [entry] = [e for e in kpi_page(admin_client, planner, kpi_1_1).context["page"].timeline if e.kind == "setting"]
    assert [(c.label, c.old, c.new) for c in entry.changes] == [("名稱", KPI_NAME, "完成港城丘地景管控規劃")]


def test_saving_without_a_change_records_nothing(admin_client, kpi_1_1):
    before = rows(Indicator, kpi_1_1)
    assert post_change(admin_client, Indicator, kpi_1_1).status_code == 302
    assert rows(Indicator, kpi_1_1) == before


def test_a_new_indicator_needs_no_reason(admin_client, kpi_1_1):
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
        direction="lower",
        weight="1",
    )
    assert admin_client.post(admin_url(Indicator, "add"), data).status_code == 302
    assert Indicator.objects.get(name="新指標").history.get().history_type == "+"


# --- plan thresholds ---------------------------------------------------------------------


def test_changing_a_threshold_without_a_reason_is_refused(admin_client, seeded_plan):
    before = rows(Plan, seeded_plan)

    response = post_change(admin_client, Plan, seeded_plan, green_threshold="95")

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["change_reason"]
    assert errors == ["變更「綠燈門檻（達成度 %）」會改變燈號，必須填寫修改理由。"]
    seeded_plan.refresh_from_db()
    assert seeded_plan.green_threshold == Decimal("100")
    assert rows(Plan, seeded_plan) == before


def test_changing_a_threshold_with_a_reason_is_recorded_on_every_kpi_page(admin_client, planner, seeded_plan, kpi_1_1):
    response = post_change(
        admin_client, Plan, seeded_plan, green_threshold="95", yellow_threshold="75", change_reason="研考會新標準"
    )

    assert response.status_code == 302
    record = seeded_plan.history.latest()
    assert (record.green_threshold, record.yellow_threshold) == (Decimal("95"), Decimal("75"))
    assert record.history_change_reason == "研考會新標準"
    [entry] = [e for e in kpi_page(admin_client, planner, kpi_1_1).context["page"].timeline if e.kind == "setting"]
    assert entry.action == "thresholds_changed"
    assert entry.comment == "研考會新標準"
    assert [(c.label, c.old, c.new) for c in entry.changes] == [
        ("綠燈門檻（達成度 %）", "100", "95"),
        ("黃燈門檻（達成度 %）", "80", "75"),
    ]


def test_other_plan_settings_need_no_reason_and_stay_off_the_kpi_page(admin_client, planner, seeded_plan, kpi_1_1):
    response = post_change(admin_client, Plan, seeded_plan, report_due_days="20")

    assert response.status_code == 302
    assert seeded_plan.history.latest().report_due_days == 20
    timeline = kpi_page(admin_client, planner, kpi_1_1).context["page"].timeline
    assert not [e for e in timeline if e.kind == "setting"]


# --- yearly targets: exclusions and revisions ------------------------------------------------


def test_excluding_a_year_is_recorded_with_its_reason(admin_client, admin_user, planner, kpi_1_1):
    url = admin_url(Indicator, "change", kpi_1_1.pk)
    page = admin_client.get(url)
    data = form_data(page)
    data[f"{target_form_index(page, 113)}-excluded_reason"] = "颱風停工，經核定不予評估"

    assert admin_client.post(url, data).status_code == 302

    target = YearlyTarget.objects.get(indicator=kpi_1_1, year=113)
    record = target.history.latest()
    assert record.excluded_reason == "颱風停工，經核定不予評估"
    assert record.history_change_reason == "颱風停工，經核定不予評估"
    assert record.history_user == admin_user
    [entry] = [e for e in kpi_page(admin_client, planner, kpi_1_1).context["page"].timeline if e.action == "excluded"]
    assert entry.subject == "民國113年"
    assert entry.action_label == "不予評估"
    assert [(c.label, c.old, c.new) for c in entry.changes] == [("不予評估理由", "—", "颱風停工，經核定不予評估")]
    assert entry.comment == ""  # the exclusion's text is its reason: not shown twice


def test_taking_an_exclusion_back_needs_the_rows_reason(admin_client, kpi_1_1):
    target = YearlyTarget.objects.get(indicator=kpi_1_1, year=113)
    target.excluded_reason = "颱風停工"
    target.save()
    url = admin_url(Indicator, "change", kpi_1_1.pk)
    page = admin_client.get(url)
    data = form_data(page)
    row = target_form_index(page, 113)
    data[f"{row}-excluded_reason"] = ""
    before = rows(YearlyTarget, target)

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "變更「不予評估理由」會改變燈號，必須填寫修正理由。" in response.content.decode()
    assert rows(YearlyTarget, target) == before

    data[f"{row}-reason"] = "已復工，恢復評估"
    assert admin_client.post(url, data).status_code == 302
    record = target.history.latest()
    assert record.excluded_reason == ""
    assert record.history_change_reason == "已復工，恢復評估"


def test_a_target_revision_reuses_its_reason_for_the_record(planner, kpi_1_1, client):
    target_set(indicator=kpi_1_1, year=112, value="90", reason="市議會刪減預算", user=planner)

    record = YearlyTarget.objects.get(indicator=kpi_1_1, year=112).history.latest()
    assert record.value == Decimal("90")
    assert record.history_change_reason == "市議會刪減預算"
    assert record.history_user == planner
    # On the timeline once, as the target revision it also is.
    timeline = kpi_page(client, planner, kpi_1_1).context["page"].timeline
    assert [e.action for e in timeline if "市議會刪減預算" in e.comment] == ["target_revised"]


# --- the indicator import -------------------------------------------------------------------


def _import_direction_change(admin_user, **kwargs):
    dataset = IndicatorResource().export()
    names = [r[dataset.headers.index("關鍵績效指標")] for r in dataset]
    index = names.index(KPI_NAME)
    row = list(dataset[index])
    row[dataset.headers.index("方向")] = "越低越好"
    if "row_reason" in kwargs:
        row[dataset.headers.index("修正理由")] = kwargs.pop("row_reason")
    dataset[index] = row
    # The spreadsheet's own row number: the header is row 1, the first indicator row 2.
    return IndicatorResource().import_data(dataset, dry_run=False, user=admin_user, **kwargs), index + 2


def test_an_import_that_changes_the_direction_without_a_reason_is_refused(admin_user, kpi_1_1):
    before = rows(Indicator, kpi_1_1)

    result, number = _import_direction_change(admin_user)

    assert result.has_validation_errors()
    [invalid] = result.invalid_rows
    assert invalid.number == number
    assert invalid.error_dict["方向"] == [
        "方向由「越高越好」改為「越低越好」會改變燈號，必須填寫修正理由（匯入表單的修正理由，或本列的「修正理由」欄）。"
    ]
    kpi_1_1.refresh_from_db()
    assert kpi_1_1.direction == Direction.HIGHER
    assert rows(Indicator, kpi_1_1) == before


@pytest.mark.parametrize("where", ["form", "row"])
def test_an_import_with_a_reason_changes_the_direction_on_the_record(admin_user, kpi_1_1, where):
    reason = {"reason": "匯入：改為越低越好"} if where == "form" else {"row_reason": "匯入：改為越低越好"}

    result, _ = _import_direction_change(admin_user, **reason)

    assert not result.has_validation_errors()
    record = kpi_1_1.history.latest()
    assert record.direction == Direction.LOWER
    assert record.history_change_reason == "匯入：改為越低越好"
    assert record.history_user == admin_user
    # The other rows were unchanged: nothing recorded for them.
    assert Indicator.history.filter(history_type="~").count() == 1


# --- the record starts from the values as they stand -------------------------------------------


def test_the_baseline_migration_gives_existing_rows_a_before(client, planner, kpi_1_1):
    migration = __import__("kpi.migrations.0004_history_baseline", fromlist=["forwards"])
    Indicator.history.all().delete()
    YearlyTarget.history.all().delete()

    migration.forwards(apps, None)

    assert Indicator.history.count() == Indicator.objects.count()
    assert YearlyTarget.history.count() == YearlyTarget.objects.count()
    baseline = kpi_1_1.history.get()
    assert (baseline.history_type, baseline.direction) == ("+", Direction.HIGHER)
    assert baseline.history_change_reason == "啟用變更紀錄時的既有資料"
    kpi_1_1.direction = Direction.LOWER
    history.record_change(kpi_1_1, reason="改為越低越好")
    kpi_1_1.save()
    [entry] = [e for e in kpi_page(client, planner, kpi_1_1).context["page"].timeline if e.kind == "setting"]
    assert [(c.old, c.new) for c in entry.changes] == [("越高越好", "越低越好")]


# --- dates, admin history pages ----------------------------------------------------------------


def test_entries_show_in_taipei_time_as_roc_dates(admin_client, admin_user, planner, kpi_1_1):
    post_change(admin_client, Indicator, kpi_1_1, weight="2", change_reason="加重")
    created, record = kpi_1_1.history.order_by("history_id")
    created.history_date = datetime.datetime(2025, 4, 1, tzinfo=datetime.UTC)
    created.save()
    record.history_date = datetime.datetime(2025, 4, 15, 17, 5, tzinfo=datetime.UTC)  # 01:05 the next day in Taipei
    record.save()

    body = kpi_page(admin_client, planner, kpi_1_1).content.decode()
    assert "民國114年4月16日 01:05" in body

    admin_client.force_login(admin_user)
    page = admin_client.get(admin_url(Indicator, "history", kpi_1_1.pk))
    assert page.status_code == 200
    text = page.content.decode()
    assert "民國114年4月16日 01:05" in text
    assert "異動紀錄" in text
    assert "修改理由" in text and "加重" in text
    assert "權重" in text and "1 <span" in text and "</span> 2" in text


@pytest.mark.parametrize("model", [Indicator, Plan, YearlyTarget], ids=lambda m: m.__name__)
def test_admin_history_pages_list_changes_with_who_and_why(admin_client, seeded_plan, kpi_1_1, model):
    obj = {Indicator: kpi_1_1, Plan: seeded_plan}.get(model) or kpi_1_1.targets.get(year=112)
    if model is YearlyTarget:
        target_set(indicator=kpi_1_1, year=112, value="90", reason="預算刪減")
        reason = "預算刪減"
    else:
        field = "green_threshold" if model is Plan else "direction"
        value = "95" if model is Plan else Direction.LOWER
        reason = "歷史頁面測試"
        assert post_change(admin_client, model, obj, **{field: value}, change_reason=reason).status_code == 302

    response = admin_client.get(admin_url(model, "history", obj.pk))

    assert response.status_code == 200
    body = response.content.decode()
    assert reason in body
    assert "修改" in body and "建立" in body  # the change and the creation row
    assert "民國" in body
    assert "Revert" not in body and "還原" not in body


# --- the KPI page's queries do not grow with the record ------------------------------------------


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_kpi_page_queries_do_not_grow_with_the_record(client, admin_user, planner, seeded_plan, kpi_1_1):
    client.force_login(planner)
    url = f"{reverse('kpi:detail', args=[kpi_1_1.pk])}?year=112"

    def change(n):
        kpi_1_1.weight = Decimal(n + 2)
        history.record_change(kpi_1_1, reason=f"第{n}次", user=admin_user)
        kpi_1_1.save()
        target = kpi_1_1.targets.get(year=113)
        target.excluded_reason = "" if target.excluded_reason else f"不予評估{n}"
        history.record_change(target, reason=f"第{n}次", user=admin_user)
        target.save()
        seeded_plan.green_threshold = Decimal(100 - n)
        history.record_change(seeded_plan, reason=f"第{n}次", user=admin_user)
        seeded_plan.save()

    change(0)
    few = _count(client, url)
    for n in range(1, 20):
        change(n)
    assert _count(client, url) == few
    timeline = client.get(url).context["page"].timeline
    assert len([e for e in timeline if e.kind in ("setting", "target") and e.comment.startswith("第")]) >= 40
