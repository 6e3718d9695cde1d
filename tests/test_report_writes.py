"""Many reports saved at once (`services.reports_write`, what the import saves through).

It must keep `report_save`'s rules exactly — the same refusals with the same messages,
the same record of changes, the same submission and notifications — while reading and
writing in bulk, and write nothing at all when any report is refused.
"""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from kpi import services
from kpi.models import Indicator, Notification, ProgressReport, ReportEvent, ReportingPeriod
from kpi.models import ReportStatus as S
from tests.factories import PlanFactory, UserFactory, department_plan_with_kpis, kpi_by_code

NARRATIVE = "本季依進度辦理。"
COMPLETE = {"actual": "4", "narrative": NARRATIVE, "shortfall_reason": "人力不足。", "improvement_plan": "增派人力。"}


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = datetime.date(2025, 4, 10)  # ROC 114, 114Q1 open for submission, 114Q2 not yet


def written():
    return ProgressReport.objects.count(), ReportEvent.objects.count(), Notification.objects.count()


def refusal(exc) -> tuple[str, list[str]]:
    """What a refusal says, whichever service raised it: its kind and its messages."""
    if isinstance(exc, services.ConflictError):
        return "conflict", [str(exc.message)]
    if isinstance(exc, PermissionDenied):
        return "permission", [str(exc)]
    assert isinstance(exc, ValidationError)
    return "invalid", exc.messages


# Each case sets the database up and returns report_save's keyword arguments for a save it refuses.


def case_other_department(staff, periods):
    dp = department_plan_with_kpis(objectives=1, kpis=1, plan=periods["114Q1"].plan)  # staff do not report for it
    return {"indicator": Indicator.objects.get(department_plan=dp), "period": periods["114Q1"], "actual": "1"}


def case_period_of_another_plan(staff, periods):
    other = PlanFactory(start_year=115, end_year=118)
    period = ReportingPeriod.objects.filter(plan=other).first()
    return {"indicator": kpi_by_code("1-5"), "period": period, "actual": "1"}


def case_locked_period(staff, periods):
    ReportingPeriod.objects.filter(pk=periods["114Q2"].pk).update(is_locked=True)  # since the caller read it
    return {"indicator": kpi_by_code("1-5"), "period": periods["114Q2"], "actual": "1"}


def case_not_a_number(staff, periods):
    return {"indicator": kpi_by_code("1-5"), "period": periods["114Q1"], "actual": "about five"}


def case_submission_incomplete(staff, periods):
    return {"indicator": kpi_by_code("1-5"), "period": periods["114Q1"], "actual": "1", "submit": True}


def case_submission_before_the_period_opens(staff, periods):
    return {
        "indicator": kpi_by_code("1-5"),
        "period": periods["114Q2"],
        "actual": "5",
        "narrative": NARRATIVE,
        "submit": True,
    }


def case_someone_saved_it_first(staff, periods):
    services.report_save(indicator=kpi_by_code("1-5"), period=periods["114Q1"], user=staff, actual="1")
    return {"indicator": kpi_by_code("1-5"), "period": periods["114Q1"], "actual": "2", "expected_version": None}


def case_stale_version(staff, periods):
    report = services.report_save(indicator=kpi_by_code("1-5"), period=periods["114Q1"], user=staff, actual="1")
    services.report_save(
        indicator=report.indicator, period=report.period, user=staff, actual="3", expected_version=report.version
    )
    return {"indicator": kpi_by_code("1-5"), "period": periods["114Q1"], "actual": "2", "expected_version": 1}


def case_deleted_since(staff, periods):
    return {"indicator": kpi_by_code("1-5"), "period": periods["114Q1"], "actual": "2", "expected_version": 3}


def case_already_submitted(staff, periods):
    report = services.report_save(
        indicator=kpi_by_code("1-5"), period=periods["114Q1"], user=staff, actual="5", narrative=NARRATIVE, submit=True
    )
    return {"indicator": report.indicator, "period": report.period, "actual": "4", "expected_version": report.version}


CASES = [
    case_other_department,
    case_period_of_another_plan,
    case_locked_period,
    case_not_a_number,
    case_submission_incomplete,
    case_submission_before_the_period_opens,
    case_someone_saved_it_first,
    case_stale_version,
    case_deleted_since,
    case_already_submitted,
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__.removeprefix("case_"))
def test_a_refused_write_says_what_report_save_says_and_nothing_of_the_batch_is_written(case, staff, periods):
    save = case(staff, periods)
    submit = save.pop("submit", False)
    indicator, period = save.pop("indicator"), save.pop("period")
    expected_version = save.pop("expected_version", None)
    before = written()

    with pytest.raises((PermissionDenied, ValidationError)) as alone:
        with transaction.atomic():
            services.report_save(
                indicator=indicator, period=period, user=staff, expected_version=expected_version, submit=submit, **save
            )
    assert written() == before

    good = [
        services.ReportWrite(indicator=kpi_by_code(code), period=periods["114Q1"], values=COMPLETE)
        for code in ("4-1", "4-2")  # 場, as 1-5
    ]
    refused = services.ReportWrite(indicator=indicator, period=period, values=save, expected_version=expected_version)
    with pytest.raises(services.WritesRefused) as batch:
        services.reports_write(user=staff, writes=[good[0], refused, good[1]], submit=submit)

    assert list(batch.value.errors) == [1]
    assert refusal(batch.value.errors[1]) == refusal(alone.value)
    assert written() == before  # not even the good rows


def events(report):
    return [(e.action, e.actor_id, e.changes) for e in report.events.order_by("at", "id")]


def test_the_record_of_changes_is_report_saves_entry_for_entry(staff, supervisor, periods):
    """The same saves, one indicator through report_save, the other through reports_write: the
    same reports, the same entries (an edit session folded into one), the same notifications."""
    period = periods["114Q1"]
    one, many = kpi_by_code("2-1"), kpi_by_code("4-1")  # both 場
    steps = [
        ({"actual": "1"}, False),  # created
        ({"actual": "2", "narrative": "初稿"}, False),  # edited
        ({"actual": "3", "narrative": "初稿"}, False),  # folded into the same edit session
        ({"actual": "1", "narrative": "初稿"}, False),  # the actual back where the session started
        ({"actual": "4", "narrative": NARRATIVE}, True),  # edited and submitted
    ]
    versions = {one.pk: None, many.pk: None}
    for values, submit in steps:
        a = services.report_save(
            indicator=one, period=period, user=staff, expected_version=versions[one.pk], submit=submit, **values
        )
        (b,) = services.reports_write(
            user=staff,
            writes=[
                services.ReportWrite(indicator=many, period=period, values=values, expected_version=versions[many.pk])
            ],
            submit=submit,
        )
        versions = {one.pk: a.version, many.pk: b.version}

    a, b = (ProgressReport.objects.get(indicator=i, period=period) for i in (one, many))
    fields = ("status", "actual", "narrative", "version", "created_by_id", "updated_by_id", "submitted_by_id")
    assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields]
    assert (a.status, a.version) == (S.SUBMITTED, 6)  # four versions of the draft, then submitted
    assert events(a) == events(b)
    assert [action for action, *_ in events(b)] == ["created", "edited", "submitted"]
    assert events(b)[1][2] == {"actual": ["1", "4"], "narrative": ["", NARRATIVE]}
    assert sorted(Notification.objects.filter(report=a).values_list("recipient_id", "kind")) == sorted(
        Notification.objects.filter(report=b).values_list("recipient_id", "kind")
    )
    assert Notification.objects.filter(report=b, recipient=supervisor).exists()


def test_an_edit_after_the_session_is_its_own_entry(staff, periods):
    period = periods["114Q1"]
    report = services.report_save(indicator=kpi_by_code("2-1"), period=period, user=staff, actual="1")
    services.report_save(indicator=report.indicator, period=period, user=staff, actual="2", expected_version=1)
    ReportEvent.objects.filter(report=report).update(at=timezone.now() - datetime.timedelta(minutes=20))

    services.reports_write(
        user=staff,
        writes=[
            services.ReportWrite(indicator=report.indicator, period=period, values={"actual": "3"}, expected_version=2)
        ],
    )

    assert [(e[0], e[2]) for e in events(report)] == [
        ("created", {"actual": [None, "1"]}),
        ("edited", {"actual": ["1", "2"]}),
        ("edited", {"actual": ["2", "3"]}),
    ]


def test_a_report_started_by_someone_else_during_the_write_is_a_conflict(staff, periods, monkeypatch):
    """The insert finds the report someone created after the reports were locked: a conflict, nothing written."""
    period = periods["114Q1"]
    colleague = UserFactory(reporter_of=[kpi_by_code("2-1").department_plan.department], first_name="陳同仁")
    writes = [
        services.ReportWrite(indicator=kpi_by_code(code), period=period, values={"actual": "2"})
        for code in ("2-1", "4-1")
    ]
    from kpi.services import report_batches

    real = report_batches.write_reports

    def racing(todo, **kwargs):
        with transaction.atomic():
            ProgressReport.objects.create(
                indicator=kpi_by_code("4-1"), period=period, actual=1, created_by=colleague, updated_by=colleague
            )
        return real(todo, **kwargs)

    monkeypatch.setattr(report_batches, "write_reports", racing)
    with pytest.raises(services.WritesRefused) as refused:
        with transaction.atomic():
            services.reports_write(user=staff, writes=writes)

    assert list(refused.value.errors) == [1]
    assert isinstance(refused.value.errors[1], services.ConflictError)
    assert refused.value.errors[1].who == "陳同仁"
    assert not ProgressReport.objects.exists()


def test_the_same_report_twice_in_one_batch_is_a_programming_error(staff, periods):
    write = services.ReportWrite(indicator=kpi_by_code("2-1"), period=periods["114Q1"], values={"actual": "1"})
    with pytest.raises(ValueError):
        services.reports_write(user=staff, writes=[write, write])


def test_an_insert_that_fails_for_another_reason_is_a_fault_not_a_conflict(staff, periods, monkeypatch):
    from django.db import IntegrityError

    def failing(self, objs, *args, **kwargs):
        raise IntegrityError("a constraint the checks did not foresee")

    monkeypatch.setattr(type(ProgressReport.objects), "bulk_create", failing)
    write = services.ReportWrite(indicator=kpi_by_code("2-1"), period=periods["114Q1"], values={"actual": "1"})
    with pytest.raises(IntegrityError):
        services.reports_write(user=staff, writes=[write])
