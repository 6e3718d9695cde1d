"""The public transparency page (施政績效公開): no sign-in, published years only, approved figures only.

The scenario (`public_scenario`) files reports for 民國114年 through kpi.services as the
cast would — staff report, the supervisor approves or returns — so that the year holds
approved, submitted, draft and returned reports side by side, plus an approved report
in 113, which is not published. Every unapproved figure and text carries a unique
marker; the tests search the bytes of every public output for them.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpi import services
from kpi.assessments import plan_year_attainment
from kpi.attainment import Light
from kpi.models import ReportingPeriod
from kpi.services import target_set
from plans.models import PublishedYear
from reports import public
from tests.factories import department_plan_with_kpis, kpi_by_code, objectives_with_kpis, reports_for_indicators

YEAR = 114
UNPUBLISHED = 113

# Texts and figures that must never reach the public.
SECRETS = [
    "SUBMITTED-SECRET-甲",  # 1-5 Q2, submitted
    "8642",  # 1-5 Q2's actual
    "DRAFT-SECRET-乙",  # 2-1, a draft
    "9753",  # 2-1's draft actual
    "RETURNED-SECRET-丙",  # 4-1, returned by the supervisor
    "8531",  # 4-1's returned actual
    "SUBMITTED-SECRET-丁",  # 6-1 Q3, submitted after two approved quarters
    "OLD-APPROVED-6-1-Q1",  # 6-1 Q1: approved, but Q2 gives the actual
    "GREEN-SHORTFALL-HIDDEN",  # 5-2: a shortfall text on a green light is not shown
    "UNPUBLISHED-113-SECRET",  # 113 is not published
    "6420",  # 113's approved actual
]
# Texts from the approved reports that give the actuals: these must be shown.
SHOWN = [
    "PUB-1-5-Q1",
    "PUB-1-1-Q4",
    "PUB-SHORTFALL-1-1",
    "PUB-IMPROVE-1-1",
    "PUB-6-1-Q2",
    "PUB-6-1-Q2-SHORTFALL",
    "PUB-5-2-Q4",
    "PUB-4-2-Q4",
    "PUB-COMMON-3-1",
]


def _save(code, period, user, actual=None, *, submit=True, inputs=None, **texts):
    return services.report_save(
        indicator=kpi_by_code(code),
        period=period,
        user=user,
        actual=None if actual is None else str(actual),
        inputs=inputs,
        expected_version=0,
        submit=submit,
        **texts,
    )


def _approve(report, user):
    return services.report_approve(report=report, user=user, expected_version=report.version)


@pytest.fixture
def public_scenario(seeded_plan, staff, supervisor, admin_user):
    services.periods_ensure(plan=seeded_plan)
    q = {(p.year, p.number): p for p in ReportingPeriod.objects.filter(plan=seeded_plan)}

    # 1-5 (場, target 5): Q1 approved; Q2 submitted and waiting.
    _approve(_save("1-5", q[YEAR, 1], staff, 2, narrative="PUB-1-5-Q1 第一季召開平台會議 2 場。"), supervisor)
    _save("1-5", q[YEAR, 2], staff, 8642, narrative="SUBMITTED-SECRET-甲", shortfall_reason="x", improvement_plan="y")
    # 2-1: a draft only.
    _save("2-1", q[YEAR, 3], staff, 9753, submit=False, narrative="DRAFT-SECRET-乙")
    # 4-1: submitted, then returned.
    returned = _save("4-1", q[YEAR, 4], staff, 8531, narrative="RETURNED-SECRET-丙")
    services.report_return(report=returned, user=supervisor, comment="請補充佐證。", expected_version=returned.version)
    # 1-1 (%, target 100): Q4 approved at 90 → yellow, with its reasons.
    _approve(
        _save(
            "1-1",
            q[YEAR, 4],
            staff,
            90,
            narrative="PUB-1-1-Q4 自治條例草案送議會審議。",
            shortfall_reason="PUB-SHORTFALL-1-1 議會審議延後。",
            improvement_plan="PUB-IMPROVE-1-1 持續與議會溝通。",
        ),
        supervisor,
    )
    # 6-1 (ladder 70 → 100): Q1 and Q2 approved, Q3 submitted. Q2 gives the actual and the texts.
    behind = {"shortfall_reason": "進度落後。", "improvement_plan": "加速辦理。"}
    _approve(_save("6-1", q[YEAR, 1], staff, 20, narrative="OLD-APPROVED-6-1-Q1", **behind), supervisor)
    _approve(
        _save(
            "6-1",
            q[YEAR, 2],
            staff,
            50,
            narrative="PUB-6-1-Q2 完成資料盤點。",
            shortfall_reason="PUB-6-1-Q2-SHORTFALL 委外廠商延遲。",
            improvement_plan="PUB-6-1-Q2-IMPROVE 每月追蹤。",
        ),
        supervisor,
    )
    _save("6-1", q[YEAR, 3], staff, 70, narrative="SUBMITTED-SECRET-丁", **behind)
    # 5-2 (件, target 15): 18 → green 120%; its (optional) shortfall text stays private.
    _approve(
        _save(
            "5-2", q[YEAR, 4], staff, 18, narrative="PUB-5-2-Q4 辦理 18 件。", shortfall_reason="GREEN-SHORTFALL-HIDDEN"
        ),
        supervisor,
    )
    # 4-2 (場): the 114 target revised 2 → 3, met exactly.
    target_set(indicator=kpi_by_code("4-2"), year=YEAR, value="3", reason="市府核定修正目標。", user=admin_user)
    _approve(_save("4-2", q[YEAR, 4], staff, 3, narrative="PUB-4-2-Q4 辦理 3 場。"), supervisor)
    # 共3-1: a common indicator, from its formula's inputs.
    _approve(
        _save(
            "共3-1",
            q[YEAR, 4],
            staff,
            inputs={"completed_staff": "55", "current_staff": "62"},
            narrative="PUB-COMMON-3-1 推廣數位學習。",
        ),
        supervisor,
    )
    # 113 is not published: its approved figures must not appear anywhere.
    _approve(_save("1-5", q[UNPUBLISHED, 4], staff, 6420, narrative="UNPUBLISHED-113-SECRET"), supervisor)

    published = PublishedYear.objects.create(plan=seeded_plan, year=YEAR, published_by=admin_user)
    return published


def public_urls(year, department_id):
    # Written out, not reverse()d: a Gregorian year (2025) does not match the <roc_year:…>
    # converter, so reverse() cannot build its address, and that address must still be a 404.
    return [
        reverse("reports:public_home"),
        f"/public/{year}/",
        f"/public/{year}/departments/{department_id}/",
        reverse("reports:open_data"),
        f"/open-data/attainment/{year}.json",
        f"/open-data/attainment/{year}.csv",
    ]


def test_the_public_addresses_are_the_routes(home_department):
    assert public_urls(113, home_department.pk)[1:3] + public_urls(113, home_department.pk)[4:] == [
        reverse("reports:public_year", args=[113]),
        reverse("reports:public_department", args=[113, home_department.pk]),
        reverse("reports:open_data_json", args=[113]),
        reverse("reports:open_data_csv", args=[113]),
    ]


# --- Anonymous visitors can read it -------------------------------------------------------


def test_anonymous_reads_the_public_pages(client, public_scenario, home_department):
    for url in public_urls(YEAR, home_department.pk):
        response = client.get(url)
        assert response.status_code == 200, url


def test_no_staff_navigation_or_counts_for_anonymous(client, public_scenario, home_department):
    for url in public_urls(YEAR, home_department.pk)[:4]:
        body = client.get(url).content.decode()
        assert reverse("kpi:my_updates") not in body
        assert reverse("kpi:review_queue") not in body
        assert 'href="/"' not in body  # the staff home is not the brand link here
        assert "nav-count" not in body
        assert reverse("login") in body  # a way in for staff, and nothing more


def test_signed_in_staff_see_the_same_figures(client, public_scenario, home_department, staff):
    url = reverse("reports:public_department", args=[YEAR, home_department.pk])
    anonymous = client.get(url).content.decode()
    client.force_login(staff)
    body = client.get(url).content.decode()
    for marker in SHOWN:
        assert marker in anonymous and marker in body
    for secret in SECRETS:
        assert secret not in body


# --- Only approved figures, only published years ------------------------------------------


def test_unapproved_figures_and_texts_appear_nowhere(client, public_scenario, home_department):
    outputs = b"".join(client.get(url).content for url in public_urls(YEAR, home_department.pk))
    for secret in SECRETS:
        assert secret.encode() not in outputs, secret


def test_the_approved_report_that_gives_the_actual_gives_the_texts(client, public_scenario, home_department):
    body = client.get(reverse("reports:public_department", args=[YEAR, home_department.pk])).content.decode()
    for marker in SHOWN:
        assert marker in body, marker
    assert "PUB-6-1-Q2-IMPROVE" in body  # 6-1 is red: its reasons are shown
    assert "民國114年第2季" in body  # 6-1's actual is as of Q2


@pytest.mark.parametrize("year", [UNPUBLISHED, 112, 111, 115, 1911, 2025])
def test_an_unpublished_year_is_404_everywhere(client, public_scenario, home_department, year):
    for url in public_urls(year, home_department.pk):
        if url in (reverse("reports:public_home"), reverse("reports:open_data")):
            continue
        assert client.get(url).status_code == 404, url


def test_a_year_without_a_published_record_is_not_listed(client, public_scenario, home_department):
    for url in (reverse("reports:public_home"), reverse("reports:open_data")):
        body = client.get(url).content.decode()
        assert reverse("reports:public_year", args=[YEAR]) in body
        assert reverse("reports:open_data_json", args=[YEAR]) in body
        for year in (111, 112, UNPUBLISHED):
            assert reverse("reports:public_year", args=[year]) not in body
            assert reverse("reports:open_data_json", args=[year]) not in body
        for year in (112, UNPUBLISHED):  # (民國111年 starts the plan's name line)
            assert f"民國{year}年" not in body


def test_publishing_a_year_makes_it_appear(client, public_scenario, seeded_plan, home_department):
    url = reverse("reports:public_year", args=[UNPUBLISHED])
    assert client.get(url).status_code == 404
    PublishedYear.objects.create(plan=seeded_plan, year=UNPUBLISHED)
    response = client.get(url)
    assert response.status_code == 200
    assert "UNPUBLISHED-113-SECRET" not in response.content.decode()  # the city page shows no narratives
    department = client.get(reverse("reports:public_department", args=[UNPUBLISHED, home_department.pk]))
    assert "UNPUBLISHED-113-SECRET" in department.content.decode()  # approved, and now published


def test_a_published_record_outside_its_plan_is_ignored(client, public_scenario, seeded_plan):
    PublishedYear.objects.create(plan=seeded_plan, year=120)  # clean() refuses it; the data might not
    assert client.get(reverse("reports:public_year", args=[120])).status_code == 404
    assert client.get(reverse("reports:open_data_json", args=[120])).status_code == 404


def test_the_latest_published_year_is_the_default(client, public_scenario, seeded_plan):
    PublishedYear.objects.create(plan=seeded_plan, year=112)
    response = client.get(reverse("reports:public_home"))
    assert response.context["chosen"].year == YEAR
    assert reverse("reports:public_year", args=[112]) in response.content.decode()


def test_nothing_published_yet(client, seeded_plan):
    response = client.get(reverse("reports:public_home"))
    assert response.status_code == 200
    assert response.context["data"] is None
    assert response.context["plan"] == seeded_plan
    assert client.get(reverse("reports:open_data")).status_code == 200


def test_unknown_department_is_404(client, public_scenario):
    assert client.get(reverse("reports:public_department", args=[YEAR, 999999])).status_code == 404


def test_posting_is_not_allowed(client, public_scenario):
    assert client.post(reverse("reports:public_home")).status_code == 405
    assert client.post(reverse("reports:open_data_json", args=[YEAR])).status_code == 405


# --- What the pages show --------------------------------------------------------------------


def test_city_page_matches_the_attainment_service(client, public_scenario, seeded_plan, home_department):
    response = client.get(reverse("reports:public_year", args=[YEAR]))
    data = response.context["data"]
    service = plan_year_attainment(plan=seeded_plan, year=YEAR)
    assert data.city.score == service.city.rollup.score
    assert data.city.rollup.counts == service.city.rollup.counts
    entered = [d for d in data.departments if d.has_content]
    assert [d.department for d in entered] == [home_department]
    assert entered[0].score.score == service.departments[home_department.pk].rollup.score
    body = response.content.decode()
    assert "施政績效公開" in body or "Public performance report" in body
    # The other 19 departments are part of the plan but not entered yet (尚未建檔).
    assert len(data.departments_not_entered) == 19
    assert "民政處" in body


def test_the_city_page_reads_the_stored_roll_ups_equal_to_the_full_computation(public_scenario, seeded_plan):
    """public_city (kpi.rollups, in SQL) gives the city page the figures public_year computes in Python."""
    _more_data(seeded_plan, 2)
    published = PublishedYear.objects.select_related("plan").get(plan=seeded_plan, year=YEAR)
    stored, full = public.public_city(published), public.public_year(published)
    assert stored.city.rollup == full.city.rollup
    assert [(d.department_plan, d.score and d.score.rollup) for d in stored.departments] == [
        (d.department_plan, d.score and d.score.rollup) for d in full.departments
    ]
    assert stored.departments_with_kpis == full.departments_with_kpis == 2
    assert stored.year_to_date_count == full.year_to_date_count > 0
    assert stored.thresholds == full.thresholds


def test_department_page_shows_plan_targets_actuals_and_lights(client, public_scenario, seeded_plan, home_department):
    response = client.get(reverse("reports:public_department", args=[YEAR, home_department.pk]))
    body = response.content.decode()
    dept = response.context["dept"]
    service = plan_year_attainment(plan=seeded_plan, year=YEAR, department_ids=[home_department.pk])
    assert "首都圈國家海洋門戶" in body  # the vision
    assert [g.goal.name for g in dept.goals] == ["繽紛·魅力", "活力·共創", "韌性·智慧"]
    assert [o.objective.number for g in dept.goals for o in g.objectives] == [1, 2, 3, 4, 5, 6]
    shown = {i.indicator.pk: i for i in dept.indicators}
    assert set(shown) == set(service.indicators)
    for pk, result in service.indicators.items():
        assert shown[pk].assessment == result.assessment
        assert shown[pk].actual == result.actual
    # 1-1: 90 of 100 → 90%, 部分達成, with its reasons.
    item = shown[kpi_by_code("1-1").pk]
    assert item.assessment.raw == Decimal("90.0000") and item.assessment.light == Light.YELLOW
    assert item.shortfall_reason.startswith("PUB-SHORTFALL-1-1")
    # 5-2: 120% (uncapped), green; its shortfall text is not shown.
    item = shown[kpi_by_code("5-2").pk]
    assert item.assessment.raw == Decimal("120.0000") and item.shortfall_reason == ""
    assert "120%" in body
    # 2-1 and 4-1 have no approved report: white, with the reason in words.
    for code in ("2-1", "4-1"):
        item = shown[kpi_by_code(code).pk]
        assert item.report is None and item.assessment.light == Light.WHITE
    assert "尚無核定實績" in body
    # Lights are never colour alone.
    for label in ("達成", "部分達成", "未達成", "不予評估"):
        assert label in body
    # The common indicators, beside the roll-up.
    assert "共3-1" in body and "88.71%" in body  # a formula's result, to 2 places as its working shows it


def test_revised_target_shows_the_original(client, public_scenario, home_department):
    response = client.get(reverse("reports:public_department", args=[YEAR, home_department.pk]))
    item = next(i for i in response.context["dept"].kpis if i.indicator.code == "4-2")
    assert item.is_revised and item.target.value == 3 and item.target.original_value == 2
    html = response.content.decode()
    card = html[html.index(f'id="kpi-{item.indicator.pk}"') :]
    card = card[: card.index("</article>")]
    assert "3 場" in card and "2 場" in card


def test_the_page_explains_the_thresholds_of_the_plan(client, public_scenario, seeded_plan):
    seeded_plan.green_threshold, seeded_plan.yellow_threshold = Decimal("95"), Decimal("70")
    seeded_plan.save()
    body = client.get(reverse("reports:public_year", args=[YEAR])).content.decode()
    assert "95%" in body and "70%" in body


def test_years_are_roc_with_gregorian(client, public_scenario, home_department):
    body = client.get(reverse("reports:public_department", args=[YEAR, home_department.pk])).content.decode()
    assert "民國114年" in body and "2025" in body


def test_department_not_entered_is_a_page_saying_so(client, public_scenario, other_department):
    response = client.get(reverse("reports:public_department", args=[YEAR, other_department.pk]))
    assert response.status_code == 200
    assert not response.context["dept"].has_content


def test_no_inline_script_or_handlers(client, public_scenario, home_department):
    for url in public_urls(YEAR, home_department.pk)[:4]:
        body = client.get(url).content.decode()
        assert "<script>" not in body and " onclick=" not in body and " onchange=" not in body


# --- Query counts -------------------------------------------------------------------------


def _more_data(plan, scale, reporter=None, reviewer=None):
    """Another department with scale × scale KPIs, each with an approved 114 Q4 report."""
    from tests.factories import ReportingPeriodFactory, UserFactory

    dp = department_plan_with_kpis(plan=plan, objectives=scale, kpis=scale)
    reporter = UserFactory(reporter_of=[dp.department])
    reviewer = UserFactory(reviewer_of=[dp.department])
    period = ReportingPeriodFactory(plan=plan, year=YEAR, number=4)
    reports_for_indicators(dp.indicators.all(), period, status="approved", reporter=reporter, reviewer=reviewer)
    return dp, reporter, reviewer, period


# Rendered without the page cache (reports.page_cache): +1 planned values, +1 the public version.
QUERIES = {"public_home": 7, "public_year": 7, "public_department": 8, "open_data": 2}


def selects(client, url) -> int:
    """The SELECTs a GET runs (ATOMIC_REQUESTS adds a savepoint and its release)."""
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return sum(1 for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT"))


@pytest.mark.parametrize("name", list(QUERIES))
def test_query_count_is_pinned_and_flat(client, public_scenario, seeded_plan, name):
    dp, reporter, reviewer, period = _more_data(seeded_plan, 2)

    def url():
        if name == "public_year":
            return reverse("reports:public_year", args=[YEAR])
        if name == "public_department":
            return reverse("reports:public_department", args=[YEAR, dp.department_id])
        return reverse(f"reports:{name}")

    assert selects(client, url()) == QUERIES[name]
    # Five times the indicators and reports, and another department: the same number of queries.
    more = objectives_with_kpis(dp, objectives=3, kpis=4)
    reports_for_indicators(more, period, status="approved", reporter=reporter, reviewer=reviewer)
    _more_data(seeded_plan, 3)
    assert selects(client, url()) == QUERIES[name]


def test_an_unapproved_report_reaching_the_selector_fails_closed(public_scenario, monkeypatch):
    """Should the attainment service ever hand over an unapproved report, nothing is published."""
    from kpi import assessments as services
    from kpi.models import ProgressReport, ReportStatus
    from reports import public

    submitted = ProgressReport.objects.filter(status=ReportStatus.SUBMITTED).select_related("period").first()
    real = services.plan_year_attainment

    def leaky(**kwargs):
        result = real(**kwargs)
        item = result.indicators[submitted.indicator_id]
        result.indicators[submitted.indicator_id] = services.IndicatorResult(
            item.indicator, item.target, submitted, item.assessment
        )
        return result

    monkeypatch.setattr(public, "plan_year_attainment", leaky)
    with pytest.raises(RuntimeError, match="not approved"):
        public.public_year(public_scenario)


def test_year_to_date_figures_are_flagged(client, public_scenario, home_department):
    """1-5 (as of Q1) and 6-1 (as of Q2) are judged against the full year: the page says so."""
    response = client.get(reverse("reports:public_department", args=[YEAR, home_department.pk]))
    dept = response.context["dept"]
    assert sorted(i.indicator.code for i in dept.indicators if i.is_year_to_date) == ["1-5", "6-1"]
    assert dept.year_to_date_count == 2
    assert 'class="notice partial-note"' in response.content.decode()
    assert client.get(reverse("reports:public_year", args=[YEAR])).context["data"].year_to_date_count == 2
