"""Django admin in zh-Hant from end to end, third-party pages included.

Every admin page — our models', django-import-export's import and export, django-axes'
sign-in records and the API tokens (knox's model, our admin) — speaks zh-Hant: its headings, labels, column
headers, filters and buttons hold no English word. The import cites the spreadsheet's own
row numbers and shows empty cells as empty; the export names its sheet and its choices
in zh-Hant; departments are offered in the plan's order; times are Taipei time with ROC
dates; the report record reads as text, not JSON.
"""

import datetime
import io
import re
import zipfile
from html import unescape
from html.parser import HTMLParser

import openpyxl
import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import result_headers
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from import_export.formats.base_formats import ODS, XLSX

from config.i18n_extra import THIRD_PARTY_MSGIDS
from kpi.formulas import FORMULAS
from kpi.models import Indicator, ProgressReport, ReportEvent, TargetRevision
from kpi.services import target_set
from plans.models import Department, DepartmentPlan, Membership
from tests.test_admin import MAKE_ROW, admin_url, registered_models
from tests.test_i18n import PO_PATH, compiled_catalogue, parse_po  # noqa: F401  (compiled_catalogue: a fixture)

# Pages are read in zh-Hant from the compiled catalogue (built here when it is missing or stale).
pytestmark = pytest.mark.usefixtures("compiled_catalogue")

KPI_1_1 = "完成港城丘地景管控規劃及機制"  # the first indicator row: the spreadsheet's row 2
SHEET = "指標與年度目標值"

# English that the admin showed before: import-export's, axes' and DRF's own words.
KNOWN_OFFENDERS = [
    "Below is a preview",
    "Import finished",
    "Tablib Dataset",
    "Access attempts",
    "Access failures",
    "Access logs",
    "Tokens",
    "Some rows failed to validate",
    "Please correct these errors",
    "This importer will import",
    "This exporter will export",
    "Attempted Access",
]
# Words that are the same in zh-Hant interface text: acronyms and the file formats' names.
ALLOWED_WORDS = {"API", "IP", "GET", "POST", "SHA", "xlsx", "ods", "csv"}


class InterfaceText(HTMLParser):
    """The interface text of an admin page, not its data: the title and headings, labels,
    column headers, filter titles, the buttons and the object tools (匯入, 匯出, 新增 …)."""

    CAPTURED = {"title", "h1", "h2", "h3", "label", "legend", "summary", "caption"}

    def __init__(self):
        super().__init__()
        self.texts, self.open, self.skip, self.thead, self.tools = [], [], 0, 0, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self.skip += 1
        elif tag == "thead":
            self.thead += 1
        elif tag == "ul" and "object-tools" in (attrs.get("class") or ""):
            self.tools += 1
        elif tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.texts.append(attrs["value"])
        if tag in self.CAPTURED or (tag == "th" and self.thead) or (tag == "a" and self.tools):
            self.open.append([tag, ""])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1
        elif tag == "thead":
            self.thead -= 1
        elif tag == "ul" and self.tools:
            self.tools -= 1
        if self.open and self.open[-1][0] == tag:
            self.texts.append(" ".join(self.open.pop()[1].split()))

    def handle_data(self, data):
        if not self.skip:
            for item in self.open:
                item[1] += data


def interface_text(response, data=()) -> list[str]:
    """`data`: the page's object as named in its title and heading, which is not interface text."""
    parser = InterfaceText()
    parser.feed(response.content.decode())
    texts = parser.texts
    for name in data:
        texts = [t.replace(name, "") for t in texts]
    return [t for t in texts if t.strip()]


def english_in(texts) -> list[str]:
    """The English words in interface texts (two letters or more, acronyms aside)."""
    return [
        f"{word} (in “{text}”)"
        for text in map(str, texts)
        for word in re.findall(r"[A-Za-z][A-Za-z']+", text)
        if word not in ALLOWED_WORDS
    ]


def visible_text(response) -> str:
    html = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", response.content.decode())
    return unescape(re.sub(r"<[^>]+>", " ", html))


def assert_zh_hant(response, data=()):
    assert response.status_code == 200
    assert english_in(interface_text(response, data)) == []
    text = visible_text(response)
    assert [o for o in KNOWN_OFFENDERS if o in text] == []
    assert not re.search(r"<td[^>]*>\s*None\s*</td>", response.content.decode()), "a cell shows None"


@pytest.fixture
def admin_client(client, admin_user, cast):
    client.force_login(admin_user)
    return client


# every page -----------------------------------------------------------------------------


def _sign_in_records(user):
    """A row in each of django-axes' tables."""
    where = {"user_agent": "Mozilla/5.0", "ip_address": "10.0.0.8", "http_accept": "text/html", "path_info": "/"}
    AccessAttempt.objects.create(username="staff", get_data="", post_data="", failures_since_start=2, **where)
    AccessFailureLog.objects.create(username="staff", locked_out=False, **where)
    AccessLog.objects.create(username="staff", **where)


MAKE_ROWS = {
    **MAKE_ROW,
    "axes.AccessAttempt": _sign_in_records,
    "axes.AccessFailureLog": _sign_in_records,
    "axes.AccessLog": _sign_in_records,
}


def change_url(obj):
    return admin_url(type(obj), "change", obj.pk)


def test_admin_index_names_every_app_and_model_in_zh_hant(admin_client):
    response = admin_client.get(reverse("admin:index"))

    assert_zh_hant(response)
    apps = {app["app_label"]: app for app in response.context["app_list"]}
    names = [app["name"] for app in apps.values()] + [m["name"] for app in apps.values() for m in app["models"]]
    assert english_in(names) == []
    assert apps["kpi"]["name"] == "績效指標與填報"  # not 各燈號指標數, the dashboards' "KPIs by light"
    assert apps["axes"]["name"] == "登入鎖定"
    assert [m["name"] for m in apps["common"]["models"]] == ["API 權杖"]


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_every_admin_page_is_in_zh_hant(admin_client, admin_user, model):
    label = model._meta.label
    if label in MAKE_ROWS:
        MAKE_ROWS[label](admin_user)
    changelist = admin_client.get(admin_url(model, "changelist"))
    assert_zh_hant(changelist)
    cl = changelist.context["cl"]
    assert english_in([re.sub(r"<[^>]+>", "", str(h["text"])) for h in result_headers(cl)]) == []
    assert english_in([str(spec.title) for spec in cl.filter_specs]) == []

    obj = model._default_manager.first()
    assert obj is not None
    assert_zh_hant(admin_client.get(change_url(obj)), data=[str(obj)])
    if admin.site.get_model_admin(model).has_add_permission(changelist.wsgi_request):
        assert_zh_hant(admin_client.get(admin_url(model, "add")))


def test_sign_in_records_are_named_in_zh_hant(admin_user):
    _sign_in_records(admin_user)
    with translation.override("zh-hant"):
        names = [str(m.objects.get()) for m in (AccessAttempt, AccessFailureLog, AccessLog)]
    assert names[0].startswith("staff 的登入嘗試（")
    assert names[1].startswith("staff 登入失敗（")
    assert names[2].startswith("staff 登入（")
    assert all("10.0.0.8" in name for name in names)


def test_an_attempt_shows_the_attempts_left_in_zh_hant(admin_client, admin_user):
    _sign_in_records(admin_user)
    body = admin_client.get(admin_url(AccessAttempt, "changelist")).content.decode()
    assert "尚可嘗試 3 次" in body  # 5 allowed, 2 failed
    assert "Attempt Remaining" not in body


# import and export -------------------------------------------------------------------------


def export_xlsx(admin_client):
    response = admin_client.post(reverse("admin:kpi_indicator_export"), {"resource": "0", "format": "0"})
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.content))


def upload(admin_client, workbook, reason=""):
    data = io.BytesIO()
    workbook.save(data)
    return admin_client.post(
        reverse("admin:kpi_indicator_import"),
        {
            "resource": "0",
            "format": "0",  # xlsx
            "reason": reason,
            "import_file": SimpleUploadedFile("indicators.xlsx", data.getvalue()),
        },
    )


def column(sheet, header):
    return next(cell.column_letter for cell in sheet[1] if cell.value == header)


def test_the_import_and_export_pages_are_in_zh_hant(admin_client):
    import_page = admin_client.get(reverse("admin:kpi_indicator_import"))
    assert_zh_hant(import_page)
    assert_zh_hant(admin_client.get(reverse("admin:kpi_indicator_export")))
    tools = interface_text(admin_client.get(admin_url(Indicator, "changelist")))
    assert "匯入" in tools and "匯出" in tools
    assert "填報" not in tools  # the Import and Export buttons once both read 填報


def test_import_errors_cite_the_spreadsheets_own_rows_and_show_empty_cells_empty(admin_client):
    book = export_xlsx(admin_client)
    sheet = book.active
    assert sheet["G2"].value == KPI_1_1  # row 1 holds the headers
    sheet[f"{column(sheet, '機關')}3"] = "不存在處"
    sheet[f"{column(sheet, '關鍵績效指標')}5"] = None

    response = upload(admin_client, book)

    assert_zh_hant(response)
    result = response.context["result"]
    assert [row.number for row in result.invalid_rows] == [3, 5]
    body = response.content.decode()
    assert "部分資料列驗證失敗" in body
    assert "找不到機關「不存在處」" in body
    assert "請填寫關鍵績效指標" in body
    assert "<td></td>" in body  # the blank name of row 5


def test_the_import_preview_and_its_result_are_in_zh_hant(admin_client):
    book = export_xlsx(admin_client)
    sheet = book.active
    sheet[f"{column(sheet, '112')}2"] = 70

    preview = upload(admin_client, book, reason="年度檢討調整")

    assert_zh_hant(preview)
    body = preview.content.decode()
    assert "以下是將匯入資料的預覽。確認無誤後，請按「確認匯入」。" in body
    assert 'value="確認匯入"' in body
    initial = preview.context["confirm_form"].initial
    done = admin_client.post(reverse("admin:kpi_indicator_process_import"), dict(initial), follow=True)
    assert "匯入完成：新增 0 筆、更新 1 筆、刪除 0 筆、略過 22 筆績效指標。" in visible_text(done)
    assert_zh_hant(done)


def test_the_export_names_its_sheet_and_choices_in_zh_hant(admin_client):
    sheet = export_xlsx(admin_client).active
    assert sheet.title == SHEET

    kinds = {cell.value for cell in sheet[column(sheet, "類別")][1:]}
    formulas = {cell.value for cell in sheet[column(sheet, "公式")][1:]} - {None, ""}
    assert kinds == {"關鍵績效指標", "共同性指標"}
    assert formulas == {formula.label for formula in FORMULAS.values()}
    codes = {"kpi", "common", "KPI", *FORMULAS}
    assert not [cell.value for row in sheet.iter_rows() for cell in row if cell.value in codes]


def test_the_ods_export_names_its_sheet_in_zh_hant(admin_client):
    formats = [f().get_title() for f in admin.site.get_model_admin(Indicator).formats]
    response = admin_client.post(
        reverse("admin:kpi_indicator_export"), {"resource": "0", "format": str(formats.index(ODS().get_title()))}
    )
    with zipfile.ZipFile(io.BytesIO(response.content)) as ods:
        content = ods.read("content.xml").decode("utf-8")
    assert f'table:name="{SHEET}"' in content
    assert "Tablib Dataset" not in content
    assert formats.index(XLSX().get_title()) == 0  # the "format": "0" of the other tests


# departments in the plan's order -------------------------------------------------------------


@pytest.fixture
def plan_order(seeded_plan):
    """The departments as the plan's table of contents lists them (民政處, 財政處 …)."""
    names = [dp.department.name for dp in seeded_plan.department_plans.order_by("toc_number")]
    assert names != sorted(names), "the plan's order must differ from character-code order to test anything"
    return names


def test_department_filters_follow_the_plans_order(admin_client, plan_order):
    for model, path in [
        (Indicator, "department_plan__department"),
        (TargetRevision, "target__indicator__department_plan__department"),
        (ProgressReport, "indicator__department_plan__department"),
        (Membership, "department"),
    ]:
        cl = admin_client.get(admin_url(model, "changelist")).context["cl"]
        [spec] = [s for s in cl.filter_specs if getattr(s, "field_path", None) == path]
        assert [name for _pk, name in spec.lookup_choices] == plan_order, model


def test_department_drop_downs_follow_the_plans_order(admin_client, seeded_plan, plan_order):
    membership = admin_client.get(admin_url(Membership, "add")).context["adminform"].form
    assert [label for value, label in membership.fields["department"].choices if value] == plan_order

    indicator = admin_client.get(admin_url(Indicator, "add")).context["adminform"].form
    expected = [str(dp) for dp in DepartmentPlan.objects.filter(plan=seeded_plan).order_by("toc_number")]
    assert [label for value, label in indicator.fields["department_plan"].choices if value] == expected

    department_admin = admin.site.get_model_admin(Department)
    assert [d.name for d in Department.objects.order_by(*department_admin.get_ordering(None))] == plan_order


# times and the report record ------------------------------------------------------------------

# 18:05 UTC on 1 March 2025 is 02:05 on 2 March in Taipei: 民國114年3月2日 02:05.
UTC_MOMENT = datetime.datetime(2025, 3, 1, 18, 5, tzinfo=datetime.UTC)
TAIPEI_ROC = "民國114年3月2日 02:05"


def test_revision_times_are_taipei_time_with_roc_dates(admin_client, admin_user):
    indicator = Indicator.objects.get(name=KPI_1_1)
    target_set(indicator=indicator, year=113, value="80", reason="颱風影響", user=admin_user)
    revision = TargetRevision.objects.filter(reason="颱風影響").get()
    TargetRevision.objects.filter(pk=revision.pk).update(changed_at=UTC_MOMENT)

    for url in (
        admin_url(TargetRevision, "changelist") + "?source__exact=admin",
        admin_url(TargetRevision, "change", revision.pk),
        admin_url(Indicator, "change", indicator.pk),  # the revision record on the indicator's page
    ):
        text = visible_text(admin_client.get(url))
        assert TAIPEI_ROC in text, url
        assert "2025-03-01" not in text and "2025年3月" not in text, url


def test_the_report_record_shows_times_and_changes_as_people_read_them(admin_client, admin_user):
    MAKE_ROW["kpi.ReportEvent"](admin_user)
    submitted = ReportEvent.objects.get(action="submitted")
    ReportEvent.objects.filter(pk=submitted.pk).update(at=UTC_MOMENT)
    ProgressReport.objects.filter(pk=submitted.report_id).update(submitted_at=UTC_MOMENT)

    for url in (
        admin_url(ReportEvent, "change", submitted.pk),
        admin_url(ReportEvent, "changelist"),
        admin_url(ProgressReport, "change", submitted.report_id),  # the record inline
    ):
        text = visible_text(admin_client.get(url))
        assert TAIPEI_ROC in text, url
    event_page = visible_text(admin_client.get(admin_url(ReportEvent, "change", submitted.pk)))
    report_page = visible_text(admin_client.get(admin_url(ProgressReport, "change", submitted.report_id)))
    for text in (event_page, report_page):
        assert "狀態：草稿 → 待審核" in text
        assert '"status"' not in text and "draft" not in text
    assert "累計實績：— → 2 場" in report_page  # the created event, in the indicator's unit


# the catalogue ------------------------------------------------------------------------------


def test_the_catalogue_translates_every_third_party_admin_msgid_and_nothing_is_fuzzy():
    entries = {e["msgid"]: e for e in parse_po(PO_PATH)}
    assert [m for m, e in entries.items() if "fuzzy" in e["flags"]] == []
    assert [m for m, e in entries.items() if not e["msgstrs"] or not all(e["msgstrs"].values())] == []
    third_party = [m for m in THIRD_PARTY_MSGIDS if isinstance(m, str)]
    assert [m for m in third_party if m not in entries] == []


def test_words_that_collided_translate_as_their_own_context():
    with translation.override("zh-hant"):
        assert gettext("Import") == "匯入"
        assert gettext("Export") == "匯出"
        assert gettext("Indicators and reporting") == "績效指標與填報"
        assert gettext("Tokens") == "API 權杖"
        assert gettext("access attempts") == "登入嘗試"
        assert gettext(
            "Below is a preview of data to be imported. If you are satisfied with the results, click 'Confirm import'"
        ).startswith("以下是")
