"""The plan page reads like the plan document (issue #16): its headings, order, numbering and words.

The document's text is read from the copy kept in the repository,
`fixtures/source/keelung-urban-development-plan-111-114.txt` (never from outside the
project). The extracted text writes brackets sometimes full-width and sometimes half-width
and spaces digits apart ("1 1、"); comparisons with it ignore exactly those two things and
nothing else.

What the system adds (goal links it inferred, links to the KPI pages, the direction badge,
original targets) must carry the marker class `app-note` (系統加註).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from kpi.models import EvaluationMethod
from plans import document
from plans.models import CommonGoal, DepartmentPlan, Dimension, PublishedYear, StrategicObjective

SOURCE = Path(settings.BASE_DIR) / "fixtures" / "source" / "keelung-urban-development-plan-111-114.txt"
MARKER = "app-note"
# The plan page: the session, the user, the page's context (work counts, open periods), the department plan, its
# objectives with their items, indicators and targets, its common goals with theirs, the other departments.
QUERIES = 22


def normalized(text: str) -> str:
    """Brackets one width and no whitespace: the two ways the extracted text varies."""
    return re.sub(r"\s+", "", text.replace("（", "(").replace("）", ")"))


@pytest.fixture(scope="module")
def source_lines() -> list[str]:
    # A list item of the extracted text starts with "- "; that is the extraction's, not the document's.
    lines = (re.sub(r"^\s*-\s+", "", line).strip() for line in SOURCE.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def plan_page(client, user, seeded_plan, department) -> str:
    client.force_login(user)
    response = client.get(reverse("kpi:department_plan", args=[seeded_plan.pk, department.pk]))
    assert response.status_code == 200
    return response.content.decode()


def in_order(body: str, texts: list[str]) -> list[int]:
    """Where each text first occurs after the one before; fails naming the first one out of order."""
    positions, at = [], 0
    texts = ["", *texts]  # the start of the page
    for text in texts:
        found = body.find(text, at)
        assert found >= 0, f"{text!r} is missing or comes before {texts[len(positions) - 1]!r}"
        positions.append(found)
        at = found + len(text)
    return positions[1:]


class Page(HTMLParser):
    """The page as elements: each text and link with whether it sits inside the marker class,
    and each table's header and body cells."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "col", "wbr", "source"}

    def __init__(self, body: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.texts: list[tuple[str, bool, str]] = []  # (text, marked, lang of the nearest element saying so)
        self.links: list[tuple[str, bool]] = []
        self.tables: dict[str, dict] = {}
        self._table: dict | None = None
        self._cell: list[str] | None = None
        self.feed(body)
        self.close()

    @property
    def marked(self) -> bool:
        return any(MARKER in (attrs.get("class") or "").split() for _, attrs in self.stack)

    @property
    def lang(self) -> str:
        return next((attrs["lang"] for _, attrs in reversed(self.stack) if attrs.get("lang")), "")

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in self.VOID:
            self.stack.append((tag, attrs))
        if tag == "a" and attrs.get("href"):
            self.links.append((attrs["href"], self.marked))
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("aria-labelledby", ""), {"head": [], "rows": []})
        elif tag == "tr" and self._table is not None and not any(t == "thead" for t, _ in self.stack):
            self._table["rows"].append([])
        elif tag in ("th", "td") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._table is not None and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            if any(t == "thead" for t, _ in self.stack):
                self._table["head"].append(text)
            else:
                self._table["rows"][-1].append(text)
            self._cell = None
        if tag == "table":
            self._table = None
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if data.strip():
            self.texts.append((data.strip(), self.marked, self.lang))


# --- plans.document quotes the document ------------------------------------------------


def test_every_fixed_heading_is_a_line_of_the_document(source_lines):
    lines = {normalized(line) for line in source_lines}
    for heading in document.OUTLINE:
        assert normalized(heading) in lines, heading


def test_the_fixed_headings_come_in_the_documents_order(source_lines):
    department_part = source_lines[source_lines.index("基隆市政府都市發展處中程施政計畫（111 至 114 年度）") :]
    normal = [normalized(line) for line in department_part]
    positions = [normal.index(normalized(heading)) for heading in document.OUTLINE]
    assert positions == sorted(positions)


def test_the_tables_column_titles_are_the_documents(source_lines):
    header_lines = [line.split("\t") for line in source_lines if line.startswith("序號\t")]
    kpi_header, common_header = header_lines[0], header_lines[-1]
    assert (*document.KPI_TABLE_COLUMNS, document.COL_TARGETS) == tuple(kpi_header)
    assert (*document.COMMON_TABLE_COLUMNS, document.COL_TARGETS) == tuple(common_header)
    years = next(line.split("\t") for line in source_lines if line.startswith("111\t"))
    assert [document.year_column(y) for y in range(111, 115)] == years


def test_the_evaluation_footnote_is_the_documents_word_for_word(source_lines):
    start = source_lines.index(document.NOTE)
    assert source_lines[start : start + 7] == [
        document.NOTE,
        document.ARRANGEMENT_NOTE,
        *document.ARRANGEMENT_NOTE_LINES,
    ]


def test_every_dimension_has_the_documents_word():
    assert set(document.DIMENSION_TERMS) == set(Dimension.values)
    assert set(document.EVALUATION_METHOD_TERMS) == set(EvaluationMethod.values)


@pytest.mark.parametrize(
    ("n", "written"),
    [(1, "一"), (6, "六"), (10, "十"), (11, "十一"), (17, "十七"), (20, "二十"), (23, "二十三"), (99, "九十九")],
)
def test_chinese_numbers(n, written):
    assert document.chinese_number(n) == written


@pytest.mark.parametrize("n", [0, 100, -1])
def test_chinese_numbers_outside_the_documents_range_are_refused(n):
    with pytest.raises(ValueError):
        document.chinese_number(n)


def test_a_plan_named_otherwise_keeps_its_name_in_the_title():
    assert document.department_plan_title("基隆市政府中程施政計畫", "地政處", 115, 118) == (
        "基隆市政府地政處中程施政計畫（115 至 118 年度）"
    )
    assert document.department_plan_title("試辦計畫", "地政處", 115, 118) == "試辦計畫地政處（115 至 118 年度）"


# --- The plan page -----------------------------------------------------------------


def test_plan_page_shows_the_document_in_its_order(client, staff, seeded_plan, home_department, source_lines):
    body = plan_page(client, staff, seeded_plan, home_department)
    dp = DepartmentPlan.objects.get(plan=seeded_plan, department=home_department)
    objectives = list(StrategicObjective.objects.filter(department_plan=dp).order_by("number"))
    common_goals = list(CommonGoal.objects.filter(department_plan=dp).order_by("number"))
    expected = [
        "基隆市政府都市發展處中程施政計畫（111 至 114 年度）",
        document.MISSION_AND_VISION,
        document.MISSION,
        dp.mission,
        document.VISION,
        dp.vision_statement,
        document.POLICY_FOCUS,
        document.RESULTS_REVIEW,
        "（一）市港再生執行成果",  # the narrative's own first line
        document.SITUATION_AND_ISSUES,
        document.SITUATION_ANALYSIS,
        document.PRIORITY_ISSUES,
        document.FOUR_YEAR_FOCUS,
        "依據本處擬定4年期目標體系摘述如後：",
        document.OBJECTIVES_AND_INDICATORS,
        document.STRATEGIC_OBJECTIVES,
        *(document.item_heading(o.number, o.name, o.dimension) for o in objectives),
        document.COMMON_GOALS,
        *(document.item_heading(g.number, g.name, g.dimension) for g in common_goals),
        document.KPI_TABLE,
        document.NOTE,
        document.COMMON_TABLE,
    ]
    in_order(body, expected)
    assert body.count(document.MISSION_AND_VISION) == 1
    for reworded in ("使命與願景", "願景與使命"):
        assert reworded not in body
    # The objectives' headings are the document's, (一) … (六), each a heading of 參、一.
    headings = [normalized(line) for line in source_lines]
    assert [document.item_heading(o.number, o.name, o.dimension)[:4] for o in objectives] == [
        "(一) ",
        "(二) ",
        "(三) ",
        "(四) ",
        "(五) ",
        "(六) ",
    ]
    for o in objectives:
        assert normalized(document.item_heading(o.number, o.name, o.dimension)) in headings
        assert f"{o.number}. {o.name}" not in body  # the app's old numbering


def test_objectives_list_their_items_numbered_as_the_document(client, staff, seeded_plan, home_department):
    body = plan_page(client, staff, seeded_plan, home_department)
    source = normalized(SOURCE.read_text(encoding="utf-8"))
    objective = StrategicObjective.objects.get(department_plan__department=home_department, number=1)
    items = [document.objective_item(i.number, i.title, i.description) for i in objective.items.order_by("number")]
    assert (
        items[0]
        == "1、完成港城丘地景管控規劃及機制：《基隆市國門廣場周邊地區城市景觀自治條例》發布實施、完成容積調派規劃與容積銀行機制。"
    )
    in_order(body, [document.item_heading(1, objective.name, objective.dimension), *items])
    for item in items:
        assert normalized(item) in source


def test_the_common_goals_sentences_are_shown_under_their_goals(client, staff, seeded_plan, home_department):
    body = plan_page(client, staff, seeded_plan, home_department)
    goals = CommonGoal.objects.filter(department_plan__department=home_department).order_by("number")
    sentences = [g.description for g in goals]
    assert sentences[0] == "1、控管當年度經常門業務費賸餘數百分比。"
    assert sentences[1] == "1、導入員額管理機制，強化員額管理責任，以有效控管約聘僱員額成長率。"
    assert sentences[2].startswith("1、為激勵同仁主動學習")
    expected = [document.COMMON_GOALS]
    for goal in goals:
        expected += [document.item_heading(goal.number, goal.name, goal.dimension), goal.description]
    in_order(body, [*expected, document.KPI_TABLE])


def test_the_tables_carry_the_documents_column_titles(client, staff, seeded_plan, home_department):
    page = Page(plan_page(client, staff, seeded_plan, home_department))
    years = [str(y) for y in seeded_plan.years]
    app = "系統加註"
    kpi_table, common_table = page.tables["kpi-table-title"], page.tables["common-title"]
    assert kpi_table["head"] == [*document.KPI_TABLE_COLUMNS, document.COL_TARGETS, app, *years]
    assert common_table["head"] == [*document.COMMON_TABLE_COLUMNS, document.COL_TARGETS, app, *years]
    assert "衡量標準" in common_table["head"] and "公式" not in common_table["head"]
    assert "年度績效目標值" in kpi_table["head"] and "年度目標值" not in kpi_table["head"]
    # The rows say what the document's say: 1 市港再生（業務成果） 1 … 1 進度控管 《…》 100% ×4.
    first = kpi_table["rows"][0]
    assert first[:7] == ["1", "市港再生（業務成果）", "1", "完成港城丘地景管控規劃及機制", "1", "進度控管"] + [
        "《基隆市國門廣場周邊地區城市景觀自治條例》發布實施。"
    ]
    assert first[7:11] == ["100%"] * 4
    assert len(kpi_table["rows"]) == 20
    budget = common_table["rows"][0]
    assert budget[:6] == [
        "1",
        "節約政府支出，邁向財政收支平衡（財務管理）",
        "1",
        "各單位當年度經常門業務費賸餘數百分比",
        "1",
        "統計數據",
    ]
    assert budget[6].startswith("【各計畫經常門業務費預算數(不含臨時人員薪資)")
    assert len(common_table["rows"]) == 3


def test_the_evaluation_footnote_is_quoted_under_the_kpi_table(client, staff, seeded_plan, home_department):
    body = plan_page(client, staff, seeded_plan, home_department)
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    start = lines.index("評估體制之數字代號意義如下：")
    quoted = [line.strip() for line in lines[start : start + 12] if line.strip()][:6]
    assert quoted[-1] == "5. 其它。"
    positions = in_order(body, [document.KPI_TABLE, "</table>", document.NOTE, *quoted, document.COMMON_TABLE])
    note = body[positions[2] : positions[-1]]
    assert "existing organisation" not in note.lower() and "任務編組；" not in note  # no paraphrase beside it


def test_what_the_system_adds_is_marked_as_its_own(client, staff, seeded_plan, home_department):
    page = Page(plan_page(client, staff, seeded_plan, home_department))
    kpi_links = [(href, marked) for href, marked in page.links if re.fullmatch(r"/kpi/\d+/", href)]
    assert len(kpi_links) == 23  # 20 KPIs and 3 common indicators
    assert all(marked for _, marked in kpi_links)
    texts = [(text, marked) for text, marked, _ in page.texts]
    assert ("越低越好", True) in texts  # 約聘僱員額成長率
    assert not [t for t, marked in texts if t == "越低越好" and not marked]
    inferred = [t for t, marked in texts if "推定" in t]
    assert inferred and all(marked for t, marked in texts if "推定" in t)
    goal_names = [t for t, marked in texts if t in ("繽紛·魅力", "活力·共創", "韌性·智慧") and marked]
    assert len(goal_names) == 6  # each objective's goal, as the system links it
    assert ("系統加註", True) in texts  # the legend


def test_document_text_is_never_marked_as_the_systems(client, staff, seeded_plan, home_department):
    page = Page(plan_page(client, staff, seeded_plan, home_department))
    marked = {text for text, is_marked, _ in page.texts if is_marked}
    for heading in (*document.OUTLINE, *document.KPI_TABLE_COLUMNS, document.COL_TARGETS, document.NOTE):
        assert heading not in marked


def test_a_reader_of_another_department_sees_the_plan_without_links_they_cannot_open(
    client, other_staff, seeded_plan, home_department
):
    page = Page(plan_page(client, other_staff, seeded_plan, home_department))
    assert not [href for href, _ in page.links if re.fullmatch(r"/kpi/\d+/", href)]
    texts = {text for text, _, _ in page.texts}
    assert document.KPI_TABLE in texts and "完成港城丘地景管控規劃及機制" in texts


def test_in_english_the_document_stays_as_written_and_marked_zh_hant(client, staff, seeded_plan, home_department):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = Page(plan_page(client, staff, seeded_plan, home_department))
    langs = {}
    for text, _, lang in page.texts:
        langs.setdefault(text, lang)
    for heading in (*document.OUTLINE, *document.KPI_TABLE_COLUMNS, document.COL_TARGETS, document.ARRANGEMENT_NOTE):
        assert langs.get(heading) == "zh-Hant", heading
    assert langs.get("Added by the system") == "en"  # the system's words are the page's language


def test_a_department_not_entered_shows_no_document(client, staff, seeded_plan, other_department):
    body = plan_page(client, staff, seeded_plan, other_department)
    assert document.MISSION_AND_VISION not in body and document.KPI_TABLE not in body
    assert '<p class="notice">' in body


def test_missing_sections_keep_their_headings_and_say_so(client, staff, seeded_plan, home_department):
    DepartmentPlan.objects.filter(plan=seeded_plan, department=home_department).update(priority_issues="")
    body = plan_page(client, staff, seeded_plan, home_department)
    start, end = in_order(body, [document.PRIORITY_ISSUES, document.FOUR_YEAR_FOCUS])
    assert 'class="app-note"' in body[start:end]


# --- The public department page ------------------------------------------------------


def test_public_department_page_shows_mission_and_vision_as_the_document(
    client, seeded_plan, home_department, admin_user
):
    PublishedYear.objects.create(plan=seeded_plan, year=113, published_by=admin_user)
    response = client.get(reverse("reports:public_department", args=[113, home_department.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    dp = DepartmentPlan.objects.get(plan=seeded_plan, department=home_department)
    in_order(body, [document.MISSION_AND_VISION, document.MISSION, dp.mission, document.VISION, dp.vision_statement])
    assert "Vision and mission" not in body and "願景與使命" not in body


def test_the_page_names_the_department_as_the_table_of_contents_does(
    client, staff, seeded_plan, home_department, source_lines
):
    body = plan_page(client, staff, seeded_plan, home_department)
    assert "捌、都市發展處" in body
    assert any(line.startswith(document.toc_entry("捌", "都市發展處") + ".") for line in source_lines)


def test_the_plan_page_reads_a_fixed_number_of_queries(
    client, staff, seeded_plan, home_department, django_assert_max_num_queries
):
    client.force_login(staff)
    url = reverse("kpi:department_plan", args=[seeded_plan.pk, home_department.pk])
    # A first visit fills the process's caches (one query more when this test runs after
    # others that left them empty, seen on SQLite in the whole suite); the pin is the page's own.
    client.get(url)
    with django_assert_max_num_queries(QUERIES):
        assert client.get(url).status_code == 200
