"""Import and export of indicators with their yearly targets.

Export → re-import unchanged changes nothing; a file with any bad row is rejected whole
and writes nothing; a changed target needs a reason and is recorded as a revision.
"""

import io
import zipfile
from decimal import Decimal

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from import_export.formats.base_formats import CSV, ODS, XLSX

from kpi.admin import IndicatorAdmin
from kpi.formulas import FORMULAS
from kpi.models import Indicator, PlannedValue, TargetRevision, YearlyTarget
from kpi.resources import IndicatorResource
from kpi.services import planned_values_confirm, planned_values_save, target_set
from plans.models import StrategicObjective

FORMATS = [CSV, XLSX, ODS]
KPI_1_1 = "完成港城丘地景管控規劃及機制"  # targets 100 ×4
KPI_3_2 = "完成國際產業園區之空間規劃"  # targets 80/100/100/100


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def export(fmt=None):
    """The export as a dataset, or, given a format, as the bytes/text of that file."""
    dataset = IndicatorResource().export()
    return fmt().export_data(dataset) if fmt else dataset


def reread(fmt, data):
    return fmt().create_dataset(data)


def import_file(dataset, **kwargs):
    return IndicatorResource().import_data(dataset, dry_run=False, **kwargs)


def snapshot():
    """Everything an import could change."""
    indicators = list(
        Indicator.objects.order_by("pk").values_list(
            "pk",
            "department_plan",
            "kind",
            "objective",
            "common_goal",
            "number",
            "name",
            "evaluation_arrangement",
            "evaluation_method",
            "measurement_standard",
            "unit",
            "direction",
            "weight",
            "formula",
        )
    )
    targets = list(
        YearlyTarget.objects.order_by("pk").values_list("pk", "indicator", "year", "value", "original_value")
    )
    planned = list(PlannedValue.objects.order_by("pk").values_list("pk", "target", "number", "value", "status"))
    return indicators, targets, TargetRevision.objects.count(), planned, PlannedValue.history.count()


def counts():
    return Indicator.objects.count(), YearlyTarget.objects.count(), TargetRevision.objects.count()


def row_index(dataset, name):
    return [r[dataset.headers.index("關鍵績效指標")] for r in dataset].index(name)


def set_cell(dataset, index, column, value):
    row = list(dataset[index])
    row[dataset.headers.index(column)] = value
    dataset[index] = row


def errors_of(result):
    """{spreadsheet row number: all the row's messages, joined} for the invalid rows.

    The header is the spreadsheet's row 1, so dataset[i] is row i + 2.
    """
    return {r.number: " ".join(m for messages in r.error_dict.values() for m in messages) for r in result.invalid_rows}


def target(name, year):
    return YearlyTarget.objects.get(indicator__name=name, year=year)


# export -------------------------------------------------------------------------------------


def test_export_has_the_plan_tables_columns_and_a_column_per_year(seeded_plan):
    dataset = export()
    assert dataset.headers == [
        "計畫",
        "機關",
        "類別",
        "序號",
        "關鍵策略目標",
        "編號",
        "關鍵績效指標",
        "評估體制",
        "評估方式",
        "衡量標準",
        "單位",
        "方向",
        "權重",
        "公式",
        "111",
        "112",
        "113",
        "114",
        *(f"{year}年第{number}期預定值" for year in (111, 112, 113, 114) for number in (1, 2, 3)),
        "修正理由",
    ]
    assert len(dataset) == 23
    row = dict(zip(dataset.headers, dataset[row_index(dataset, KPI_1_1)], strict=True))
    assert row["計畫"] == "111-114"
    assert row["機關"] == "都市發展處"
    assert row["類別"] == "關鍵績效指標"
    assert (row["序號"], row["編號"]) == (1, 1)
    assert row["關鍵策略目標"] == "市港再生"
    assert row["評估方式"] == "進度控管"
    assert row["方向"] == "越高越好"
    assert [row[y] for y in ("111", "112", "113", "114")] == [100, 100, 100, 100]


def test_export_writes_numbers_as_people_write_them(seeded_plan):
    text = export(CSV)
    assert "100.0000" not in text
    assert ".0000" not in text
    dataset = export()
    one_set = next(r for r in dataset if r[dataset.headers.index("單位")] == "式")
    assert one_set[dataset.headers.index("111")] == 1
    assert one_set[dataset.headers.index("權重")] == 1
    common = next(r for r in dataset if r[dataset.headers.index("類別")] == "共同性指標")
    assert common[dataset.headers.index("公式")] in {
        "經常門業務費賸餘數百分比",
        "約聘僱員額成長率",
        "完成年度學習時數人數比率",
    }


def test_export_keeps_fractions(seeded_plan):
    indicator = Indicator.objects.get(name=KPI_1_1)
    target_set(indicator=indicator, year=111, value="99.5", reason="測試小數")
    dataset = export()
    assert dataset[row_index(dataset, KPI_1_1)][dataset.headers.index("111")] == Decimal("99.5")
    assert ",99.5," in export(CSV)


# export → import unchanged --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.__name__)
def test_reimporting_an_export_unchanged_changes_nothing(seeded_plan, admin_user, fmt):
    # A revised target and a fraction, so that the round trip is not only whole numbers;
    # planned values, confirmed and proposed, fractions too.
    indicator = Indicator.objects.get(name=KPI_1_1)
    target_set(indicator=indicator, year=112, value="87.25", reason="測試")
    dp = indicator.department_plan
    planned_values_save(user=admin_user, department_plan=dp, year=113, values={indicator.pk: {1: "90.5", 2: "95"}})
    planned_values_confirm(user=admin_user, department_plan=dp, year=113)
    sessions = Indicator.objects.get(department_plan=dp, objective__number=1, number=5)  # 5 場 in 114
    planned_values_save(user=admin_user, department_plan=dp, year=114, values={sessions.pk: {1: "1", 3: "4"}})
    before = snapshot()

    result = import_file(reread(fmt, export(fmt)), user=admin_user)

    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert result.totals["skip"] == 23
    assert result.totals["new"] == result.totals["update"] == 0
    assert snapshot() == before


# valid changes ------------------------------------------------------------------------------


def test_a_changed_target_with_a_reason_is_recorded(seeded_plan, admin_user):
    dataset = reread(CSV, export(CSV))
    set_cell(dataset, row_index(dataset, KPI_1_1), "113", "90")
    revisions = TargetRevision.objects.count()

    result = import_file(dataset, user=admin_user, reason="配合中央政策調整")

    assert not result.has_validation_errors()
    assert result.totals["update"] == 1
    assert result.totals["skip"] == 22
    changed = target(KPI_1_1, 113)
    assert changed.value == Decimal("90")
    assert changed.original_value == Decimal("100")
    assert TargetRevision.objects.count() == revisions + 1
    revision = changed.revisions.latest("id")
    assert (revision.old_value, revision.new_value) == (Decimal("100"), Decimal("90"))
    assert revision.reason == "配合中央政策調整"
    assert revision.changed_by == admin_user
    assert revision.source == TargetRevision.Source.IMPORT


def test_the_rows_own_reason_column_is_used(seeded_plan, admin_user):
    dataset = reread(XLSX, export(XLSX))
    index = row_index(dataset, KPI_1_1)
    set_cell(dataset, index, "111", 95)
    set_cell(dataset, index, "修正理由", "本列自己的理由")

    result = import_file(dataset, user=admin_user)

    assert not result.has_validation_errors()
    assert target(KPI_1_1, 111).revisions.latest("id").reason == "本列自己的理由"


def test_other_fields_change_without_a_reason(seeded_plan, admin_user):
    dataset = export()
    set_cell(dataset, row_index(dataset, KPI_1_1), "衡量標準", "新的衡量標準")
    revisions = TargetRevision.objects.count()

    result = import_file(dataset, user=admin_user)

    assert not result.has_validation_errors()
    assert Indicator.objects.get(name=KPI_1_1).measurement_standard == "新的衡量標準"
    assert TargetRevision.objects.count() == revisions


def test_a_new_indicator_is_created_with_its_targets(seeded_plan, admin_user):
    dataset = export()
    row = list(dataset[row_index(dataset, KPI_1_1)])
    headers = dataset.headers
    row[headers.index("編號")] = 9
    row[headers.index("關鍵績效指標")] = "新增的指標"
    row[headers.index("單位")] = "場"
    for year, value in zip(("111", "112", "113", "114"), (1, 2, 3, 4), strict=True):
        row[headers.index(year)] = value
    dataset.append(row)

    result = import_file(dataset, user=admin_user)

    assert not result.has_validation_errors()
    assert result.totals["new"] == 1
    indicator = Indicator.objects.get(name="新增的指標")
    assert indicator.code == "1-9"
    assert {t.year: t.value for t in indicator.targets.all()} == {111: 1, 112: 2, 113: 3, 114: 4}
    sources = set(TargetRevision.objects.filter(target__indicator=indicator).values_list("source", flat=True))
    assert sources == {TargetRevision.Source.IMPORT}


def test_text_labels_and_codes_are_both_accepted(seeded_plan, admin_user):
    dataset = reread(CSV, export(CSV))
    index = row_index(dataset, KPI_1_1)
    set_cell(dataset, index, "類別", "kpi")
    set_cell(dataset, index, "評估方式", "progress_control")
    set_cell(dataset, index, "方向", "higher")

    result = import_file(dataset, user=admin_user)

    assert not result.has_validation_errors()
    assert result.totals["skip"] == 23


def test_kind_and_formula_are_exported_as_labels_and_read_back(seeded_plan, admin_user):
    dataset = export()
    kinds = {r[dataset.headers.index("類別")] for r in dataset}
    formulas = {r[dataset.headers.index("公式")] for r in dataset} - {""}
    assert kinds == {"關鍵績效指標", "共同性指標"}
    assert formulas == {f.label for f in FORMULAS.values()}
    assert not {"kpi", "common", "KPI", *FORMULAS} & (kinds | formulas)

    result = import_file(reread(CSV, export(CSV)), user=admin_user)

    assert not result.has_validation_errors()
    assert result.totals["skip"] == 23


@pytest.mark.parametrize("kind", ["common", "共同性", "共同性指標"])
def test_codes_and_earlier_spellings_of_kind_and_formula_are_still_read(seeded_plan, admin_user, kind):
    dataset = reread(CSV, export(CSV))
    index = next(i for i, r in enumerate(dataset) if r[dataset.headers.index("類別")] == "共同性指標")
    formula = Indicator.objects.get(name=dataset[index][dataset.headers.index("關鍵績效指標")]).formula
    set_cell(dataset, index, "類別", kind)
    set_cell(dataset, index, "公式", formula)  # the code, as exports before the labels wrote it
    set_cell(dataset, row_index(dataset, KPI_1_1), "類別", "KPI")

    result = import_file(dataset, user=admin_user)

    assert not result.has_validation_errors(), errors_of(result)
    assert result.totals["skip"] == 23


def test_an_unknown_formula_lists_the_formulas_by_name(seeded_plan, admin_user):
    dataset = reread(CSV, export(CSV))
    index = next(i for i, r in enumerate(dataset) if r[dataset.headers.index("類別")] == "共同性指標")
    set_cell(dataset, index, "公式", "不存在的公式")

    errors = errors_of(import_file(dataset, user=admin_user))

    assert "不明的公式「不存在的公式」" in errors[index + 2]
    assert "經常門業務費賸餘數百分比" in errors[index + 2]
    assert "budget_surplus" not in errors[index + 2]


@pytest.mark.parametrize("fmt", [XLSX, ODS], ids=lambda f: f.__name__)
def test_the_exported_sheet_is_named_in_zh_hant(seeded_plan, fmt):
    data = export(fmt)
    if fmt is XLSX:
        import openpyxl

        assert openpyxl.load_workbook(io.BytesIO(data)).sheetnames == ["指標與年度目標值"]
    else:
        with zipfile.ZipFile(io.BytesIO(data)) as ods:
            content = ods.read("content.xml").decode("utf-8")
        assert 'table:name="指標與年度目標值"' in content
        assert "Tablib Dataset" not in content


# bad rows: the whole file is rejected ---------------------------------------------------------


def add_year_column(dataset, year, index, value):
    dataset.append_col([value if i == index else "" for i in range(len(dataset))], header=str(year))


BAD_ROWS = {
    "unknown department": (lambda d, i: set_cell(d, i, "機關", "不存在處"), "找不到機關「不存在處」"),
    "unknown objective": (lambda d, i: set_cell(d, i, "序號", "9"), "沒有序號 9 的關鍵策略目標"),
    "objective name mismatch": (lambda d, i: set_cell(d, i, "關鍵策略目標", "別的目標"), "與檔案中的「別的目標」不符"),
    "year outside the plan": (lambda d, i: add_year_column(d, 115, i, "100"), "民國115年不在計畫期間"),
    "target not a number": (lambda d, i: set_cell(d, i, "112", "abc"), "「abc」不是數字"),
    "target the unit refuses": (lambda d, i: set_cell(d, i, "單位", "式"), "以「式」計的目標值"),
    "duplicate row": (lambda d, i: d.append(d[i]), "重複"),
    "evaluation arrangement 7": (lambda d, i: set_cell(d, i, "評估體制", "7"), "評估體制必須是 1 到 5"),
    "unknown unit": (lambda d, i: set_cell(d, i, "單位", "公尺"), "不明的單位「公尺」"),
    "unknown evaluation method": (lambda d, i: set_cell(d, i, "評估方式", "問卷"), "不明的評估方式「問卷」"),
    "changed target without a reason": (lambda d, i: set_cell(d, i, "114", "50"), "必須填寫修正理由"),
    "blank name": (lambda d, i: set_cell(d, i, "關鍵績效指標", ""), "請填寫關鍵績效指標"),
}


@pytest.mark.parametrize("case", list(BAD_ROWS), ids=list(BAD_ROWS))
def test_a_file_with_a_bad_row_is_rejected_whole(seeded_plan, admin_user, case):
    break_row, message = BAD_ROWS[case]
    dataset = reread(CSV, export(CSV))
    # A good change in the same file: a new target value for 1-1 (with the row's reason) …
    good = row_index(dataset, KPI_1_1)
    set_cell(dataset, good, "111", "60")
    set_cell(dataset, good, "修正理由", "好的修改")
    # … and one bad row.
    bad = row_index(dataset, KPI_3_2)
    break_row(dataset, bad)
    before, before_counts = snapshot(), counts()

    result = import_file(dataset, user=admin_user)

    assert result.has_validation_errors()
    errors = errors_of(result)
    bad_number = len(dataset) + 1 if case == "duplicate row" else bad + 2
    assert list(errors) == [bad_number], errors
    assert message in errors[bad_number]
    if case == "duplicate row":
        assert f"與第 {bad + 2} 列重複" in errors[bad_number]  # the first one, by its spreadsheet row
    assert counts() == before_counts
    assert snapshot() == before
    assert target(KPI_1_1, 111).value == Decimal("100")  # the good row was not applied either


def test_every_bad_row_gets_its_own_error(seeded_plan, admin_user):
    dataset = reread(CSV, export(CSV))
    set_cell(dataset, 0, "機關", "不存在處")
    set_cell(dataset, 1, "評估體制", "7")
    set_cell(dataset, 2, "112", "abc")
    before = snapshot()

    result = import_file(dataset, user=admin_user)

    errors = errors_of(result)
    assert sorted(errors) == [2, 3, 4]
    assert "找不到機關" in errors[2]
    assert "評估體制" in errors[3]
    assert "不是數字" in errors[4]
    assert snapshot() == before


def test_a_new_indicator_in_a_rejected_file_is_not_created(seeded_plan, admin_user):
    dataset = export()
    row = list(dataset[0])
    row[dataset.headers.index("編號")] = 9
    row[dataset.headers.index("關鍵績效指標")] = "不該出現的指標"
    dataset.append(row)
    set_cell(dataset, 1, "單位", "公尺")
    before_counts = counts()

    result = import_file(dataset, user=admin_user)

    assert result.has_validation_errors()
    assert counts() == before_counts
    assert not Indicator.objects.filter(name="不該出現的指標").exists()


def test_a_file_without_the_identifying_columns_is_rejected(seeded_plan, admin_user):
    dataset = tablib.Dataset(headers=["關鍵績效指標", "111"])
    dataset.append([KPI_1_1, "1"])
    before = snapshot()

    result = import_file(dataset, user=admin_user)

    assert result.has_errors()
    assert "檔案缺少必要欄位" in str(result.base_errors[0].error)
    assert snapshot() == before


def test_rejected_even_if_the_caller_asks_for_no_transaction(seeded_plan, admin_user):
    dataset = reread(CSV, export(CSV))
    set_cell(dataset, 0, "111", "60")
    set_cell(dataset, 0, "修正理由", "好的修改")
    set_cell(dataset, 1, "單位", "公尺")
    before = snapshot()

    IndicatorResource().import_data(dataset, dry_run=False, use_transactions=False, user=admin_user)

    assert snapshot() == before


# through the admin -----------------------------------------------------------------------------


def format_index(fmt):
    return str([f().get_title() for f in IndicatorAdmin.formats].index(fmt().get_title()))


def upload(admin_client, fmt, data, reason=""):
    name = f"indicators.{fmt().get_extension()}"
    content = data if isinstance(data, bytes) else data.encode("utf-8")
    return admin_client.post(
        reverse("admin:kpi_indicator_import"),
        {
            "resource": "0",
            "format": format_index(fmt),
            "reason": reason,
            "import_file": SimpleUploadedFile(name, content),
        },
    )


def confirm(admin_client, response):
    initial = response.context["confirm_form"].initial
    return admin_client.post(reverse("admin:kpi_indicator_process_import"), {k: v for k, v in initial.items()})


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.__name__)
def test_admin_export_downloads_the_file(admin_client, seeded_plan, fmt):
    response = admin_client.post(reverse("admin:kpi_indicator_export"), {"resource": "0", "format": format_index(fmt)})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    dataset = reread(fmt, response.content.decode("utf-8") if fmt is CSV else response.content)
    assert len(dataset) == 23
    assert "111" in dataset.headers


def test_admin_import_pages_load(admin_client, seeded_plan):
    response = admin_client.get(reverse("admin:kpi_indicator_import"))
    assert response.status_code == 200
    assert "reason" in response.context["form"].fields
    assert admin_client.get(reverse("admin:kpi_indicator_export")).status_code == 200
    assert admin_client.get(reverse("admin:kpi_indicator_changelist")).status_code == 200


def test_admin_import_previews_then_confirms_a_change_with_the_forms_reason(admin_client, admin_user, seeded_plan):
    dataset = export()
    set_cell(dataset, row_index(dataset, KPI_1_1), "112", 70)
    revisions = TargetRevision.objects.count()

    preview = upload(admin_client, XLSX, XLSX().export_data(dataset), reason="年度檢討調整")

    assert preview.status_code == 200
    assert "confirm_form" in preview.context
    assert target(KPI_1_1, 112).value == Decimal("100")  # the preview wrote nothing
    assert TargetRevision.objects.count() == revisions

    response = confirm(admin_client, preview)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:kpi_indicator_changelist")
    changed = target(KPI_1_1, 112)
    assert changed.value == Decimal("70")
    assert changed.original_value == Decimal("100")
    revision = changed.revisions.latest("id")
    assert revision.reason == "年度檢討調整"
    assert revision.changed_by == admin_user
    assert revision.source == TargetRevision.Source.IMPORT
    assert TargetRevision.objects.count() == revisions + 1


def test_admin_import_of_an_unchanged_export_skips_every_row(admin_client, seeded_plan):
    before = snapshot()
    preview = upload(admin_client, ODS, export(ODS))
    assert preview.context["result"].totals["skip"] == 23
    response = confirm(admin_client, preview)
    assert response.status_code == 302
    assert snapshot() == before


def test_admin_import_shows_each_bad_row_and_offers_no_confirm(admin_client, seeded_plan):
    dataset = reread(CSV, export(CSV))
    set_cell(dataset, 0, "111", "60")
    set_cell(dataset, 0, "修正理由", "好的修改")
    set_cell(dataset, 1, "機關", "不存在處")
    add_year_column(dataset, 115, 2, "100")
    before = snapshot()

    response = upload(admin_client, CSV, CSV().export_data(dataset))

    assert response.status_code == 200
    assert "confirm_form" not in response.context
    body = response.content.decode()
    assert "找不到機關「不存在處」" in body
    assert "民國115年不在計畫期間" in body
    assert [r.number for r in response.context["result"].invalid_rows] == [3, 4]
    assert snapshot() == before


def test_admin_confirm_rolls_back_if_the_data_changed_since_the_preview(admin_client, seeded_plan):
    dataset = export()
    set_cell(dataset, row_index(dataset, KPI_1_1), "112", 70)
    preview = upload(admin_client, XLSX, XLSX().export_data(dataset), reason="年度檢討調整")
    # Someone renames objective 1 in between: the file's 關鍵策略目標 no longer matches.
    StrategicObjective.objects.filter(name="市港再生").update(name="市港再生計畫")
    before = snapshot()

    response = confirm(admin_client, preview)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:kpi_indicator_import")
    assert snapshot() == before


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.__name__)
def test_text_pasted_from_word_does_not_break_the_admin_export(admin_client, seeded_plan, fmt):
    indicator = Indicator.objects.filter(kind="kpi").first()
    indicator.measurement_standard = "完成規劃。\x0b（依計畫書）"  # Word's manual line break
    indicator.save()
    response = admin_client.post(reverse("admin:kpi_indicator_export"), {"resource": "0", "format": format_index(fmt)})
    assert response.status_code == 200
    dataset = reread(fmt, response.content.decode("utf-8") if fmt is CSV else response.content)
    assert "完成規劃。\n（依計畫書）" in [row[dataset.headers.index("衡量標準")] for row in dataset]
