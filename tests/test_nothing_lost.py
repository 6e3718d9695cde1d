"""Nothing typed is lost (issue #13): the report form's autosave, the session's keepalive, and what
was typed when the session had ended, kept through signing in again and put back into the form."""

from __future__ import annotations

import datetime
import json
import re
import time

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext

from kpi import services, stash
from kpi.models import ProgressReport, ReportEvent, ReportStatus
from tests.factories import kpi_by_code

NARRATIVE = "本季召開市港再生標竿計畫平台會議 1 場。" * 40  # a long narrative pasted from Word


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = datetime.date(2025, 4, 10)  # 民國114年第1季 is open and due


@pytest.fixture
def kpi(seeded_plan):
    return kpi_by_code("1-5")


@pytest.fixture
def q1(periods):
    return periods[114, 1]


def form_url(kpi, period):
    return reverse("kpi:report", args=[kpi.pk, period.pk])


def autosave_url(kpi, period):
    return reverse("kpi:report_autosave", args=[kpi.pk, period.pk])


def autosave(client, kpi, period, version=0, **fields):
    data = {"version": version, "actual": "", "narrative": "", "shortfall_reason": "", "improvement_plan": ""}
    data.update(fields)
    return client.post(autosave_url(kpi, period), data)


def the_report(kpi, period):
    return ProgressReport.objects.filter(indicator=kpi, period=period).first()


# --- Autosave -------------------------------------------------------------------------


def test_autosave_saves_a_draft_and_answers_the_new_version(client, staff, kpi, q1):
    client.force_login(staff)
    response = autosave(client, kpi, q1, actual="1", narrative=NARRATIVE)
    assert response.status_code == 200
    body = response.json()
    report = the_report(kpi, q1)
    assert report.status == ReportStatus.DRAFT
    assert report.narrative == NARRATIVE.strip()
    assert body["saved"] is True
    assert body["version"] == report.version
    assert re.fullmatch(r"\d\d:\d\d", body["time"])
    assert body["message"] == gettext("Saved automatically at %(time)s") % {"time": body["time"]}

    # The next save is based on that version: it goes through and answers the next one.
    response = autosave(client, kpi, q1, version=body["version"], actual="2", narrative=NARRATIVE)
    assert response.status_code == 200
    report.refresh_from_db()
    assert response.json()["version"] == report.version == body["version"] + 1
    assert str(report.actual) in ("2", "2.0000", "2.00")


def test_autosave_of_an_untouched_new_form_creates_nothing(client, staff, kpi, q1):
    client.force_login(staff)
    response = autosave(client, kpi, q1)
    assert response.status_code == 200
    assert response.json()["saved"] is False
    assert the_report(kpi, q1) is None


def test_autosave_never_submits(client, staff, kpi, q1):
    client.force_login(staff)
    response = autosave(client, kpi, q1, actual="5", narrative="已完成。", action="submit", submit="1")
    assert response.status_code == 200
    report = the_report(kpi, q1)
    assert report.status == ReportStatus.DRAFT
    assert report.submitted_at is None
    assert not ReportEvent.objects.filter(report=report, action__in=["submitted", "resubmitted"]).exists()


def test_autosave_refuses_a_stale_version_and_writes_nothing(client, staff, supervisor, kpi, q1):
    report = services.report_save(indicator=kpi, period=q1, user=staff, actual="1", narrative="第一版")
    services.report_save(
        indicator=kpi, period=q1, user=staff, actual="2", narrative="同事改過", expected_version=report.version
    )
    client.force_login(staff)
    response = autosave(client, kpi, q1, version=report.version, actual="3", narrative="我打的字")
    assert response.status_code == 409
    body = response.json()
    assert body["conflict"] is True and body["stop"] is True
    assert body["version"] == report.version + 1
    current = the_report(kpi, q1)
    assert current.narrative == "同事改過"
    assert current.version == report.version + 1


def test_autosave_stops_on_a_report_that_can_no_longer_change(client, staff, kpi, q1):
    report = services.report_save(indicator=kpi, period=q1, user=staff, actual="5", narrative="已完成。", submit=True)
    client.force_login(staff)
    response = autosave(client, kpi, q1, version=report.version, actual="1", narrative="改")
    assert response.status_code == 409
    assert response.json()["stop"] is True
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert report.narrative == "已完成。"


def test_autosave_says_why_a_figure_cannot_be_saved(client, staff, kpi, q1):
    client.force_login(staff)
    response = autosave(client, kpi, q1, actual="1.5")  # a count of meetings is whole
    assert response.status_code == 400
    assert "actual" in response.json()["errors"]
    assert the_report(kpi, q1) is None


@pytest.mark.parametrize(("who", "status"), [("other_staff", 404), ("supervisor", 403), ("planner", 403)])
def test_autosave_refuses_those_who_may_not_report(client, cast, kpi, q1, who, status):
    client.force_login(cast[who])
    assert autosave(client, kpi, q1, actual="1", narrative="不是我的").status_code == status
    assert the_report(kpi, q1) is None


def test_autosave_after_the_session_ended_answers_401_without_a_redirect(client, kpi, q1):
    response = autosave(client, kpi, q1, actual="1", narrative="x")
    assert response.status_code == 401
    assert response.json()["detail"]
    assert the_report(kpi, q1) is None


def test_autosave_needs_a_post(client, staff, kpi, q1):
    client.force_login(staff)
    assert client.get(autosave_url(kpi, q1)).status_code == 405


def test_the_form_names_autosave_only_where_the_person_may_edit(client, staff, kpi, q1):
    client.force_login(staff)
    body = client.get(form_url(kpi, q1)).content.decode()
    assert f'data-autosave-url="{autosave_url(kpi, q1)}"' in body
    assert "js/autosave.js" in body
    services.report_save(indicator=kpi, period=q1, user=staff, actual="5", narrative="已完成。", submit=True)
    body = client.get(form_url(kpi, q1)).content.decode()
    assert "data-autosave-url" not in body
    assert "js/autosave.js" not in body


# --- Keepalive and the session's end --------------------------------------------------


def test_keepalive_extends_the_session(client, staff):
    client.force_login(staff)
    key = client.session.session_key
    Session.objects.filter(pk=key).update(
        expire_date=datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=2)
    )
    response = client.post(reverse("session_keepalive"))
    assert response.status_code == 200
    assert response.json() == {"signed_in": True, "seconds": settings.SESSION_COOKIE_AGE}
    left = Session.objects.get(pk=key).expire_date - datetime.datetime.now(datetime.UTC)
    assert left > datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)


def test_keepalive_after_the_end_answers_401(client, db):
    response = client.post(reverse("session_keepalive"))
    assert response.status_code == 401
    assert response.json()["signed_in"] is False


def test_keepalive_needs_a_post_and_the_csrf_token(staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    assert client.get(reverse("session_keepalive")).status_code == 405
    assert client.post(reverse("session_keepalive")).status_code == 403


def test_signed_in_pages_say_when_the_session_ends(client, staff):
    client.force_login(staff)
    body = client.get(reverse("kpi:my_updates")).content.decode()
    assert f'data-session-seconds="{settings.SESSION_COOKIE_AGE}"' in body
    assert f'data-keepalive-url="{reverse("session_keepalive")}"' in body
    assert 'role="alertdialog"' in body
    # Signed out: no countdown.
    client.logout()
    assert "session-warning" not in client.get(reverse("login")).content.decode()


# --- A save after the session ended: kept, and put back after signing in ----------------


def open_form(client, kpi, period) -> dict:
    """Open the form signed in and read the hidden fields a browser would post back."""
    body = client.get(form_url(kpi, period)).content.decode()
    owner = re.search(r'name="owner" value="([^"]+)"', body).group(1)
    version = re.search(r'name="version" value="(\d+)"', body).group(1)
    return {"owner": owner, "version": version}


def post_typed(client, kpi, period, hidden, **extra):
    data = {
        **hidden,
        "action": "save",
        "actual": "1",
        "narrative": NARRATIVE,
        "shortfall_reason": "颱風延期",
        "improvement_plan": "",
        "url": "https://example.org/會議",
        "description": "會議紀錄",
        **extra,
    }
    return client.post(form_url(kpi, period), data)


def sign_in(client, username, next_url):
    return client.post(reverse("login"), {"username": username, "password": f"pw-{username}", "next": next_url})


def end_session(client):
    Session.objects.all().delete()


def test_a_save_after_the_session_ended_is_kept_and_put_back_after_signing_in(client, staff, kpi, q1):
    sign_in(client, "staff", "/")
    hidden = open_form(client, kpi, q1)
    end_session(client)

    response = post_typed(client, kpi, q1, hidden)
    url = form_url(kpi, q1)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"
    assert the_report(kpi, q1) is None  # nothing saved
    page = client.get(response["Location"]).content.decode()
    assert gettext("What you typed is kept: sign in again and it will be put back into the form.") in page

    response = sign_in(client, "staff", url)
    assert response.status_code == 302 and response["Location"] == url
    response = client.get(url)
    body = response.content.decode()
    form = response.context["form"]
    assert form["narrative"].value() == NARRATIVE
    assert form["actual"].value() == "1"
    assert form["shortfall_reason"].value() == "颱風延期"
    assert form["description"].value() == "會議紀錄"
    assert 'data-restored="1"' in body
    assert gettext("It has been put back into the form: check it and save it now.") in body
    assert gettext("Files you had chosen cannot be kept: choose them again.") not in body
    assert the_report(kpi, q1) is None  # still not saved: the person saves

    # Once: the next visit shows the form as saved (empty).
    assert client.get(url).context["form"]["narrative"].value() in (None, "")
    # And saving it now goes through.
    post_typed(client, kpi, q1, open_form(client, kpi, q1))
    assert the_report(kpi, q1).narrative == NARRATIVE.strip()


def test_files_cannot_be_kept_and_the_person_is_told(client, staff, kpi, q1):
    sign_in(client, "staff", "/")
    hidden = open_form(client, kpi, q1)
    end_session(client)
    pdf = SimpleUploadedFile("會議紀錄.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    post_typed(client, kpi, q1, hidden, file=pdf)
    sign_in(client, "staff", form_url(kpi, q1))
    body = client.get(form_url(kpi, q1)).content.decode()
    assert gettext("Files you had chosen cannot be kept: choose them again.") in body
    assert NARRATIVE in body


def test_the_kept_text_is_based_on_the_version_typed_against(client, staff, kpi, q1):
    report = services.report_save(indicator=kpi, period=q1, user=staff, actual="1", narrative="舊的")
    sign_in(client, "staff", "/")
    hidden = open_form(client, kpi, q1)
    assert hidden["version"] == str(report.version)
    end_session(client)
    post_typed(client, kpi, q1, hidden)
    sign_in(client, "staff", form_url(kpi, q1))
    form = client.get(form_url(kpi, q1)).context["form"]
    assert form["version"].value() == report.version
    assert form["narrative"].value() == NARRATIVE


def test_another_person_signing_in_on_the_same_browser_gets_nothing(client, staff, kpi, q1, home_department):
    from plans.models import Membership, Role
    from tests.conftest import _user

    colleague = _user("colleague")
    Membership.objects.create(user=colleague, department=home_department, role=Role.REPORTER)
    sign_in(client, "staff", "/")
    hidden = open_form(client, kpi, q1)
    end_session(client)
    post_typed(client, kpi, q1, hidden)
    assert stash.SESSION_KEY in client.session

    sign_in(client, "colleague", form_url(kpi, q1))
    assert stash.SESSION_KEY not in client.session  # dropped at their sign-in
    body = client.get(form_url(kpi, q1)).content.decode()
    assert NARRATIVE not in body
    assert gettext("It has been put back into the form: check it and save it now.") not in body


def test_another_browser_cannot_read_the_kept_text(client, staff, kpi, q1):
    sign_in(client, "staff", "/")
    hidden = open_form(client, kpi, q1)
    end_session(client)
    post_typed(client, kpi, q1, hidden)

    elsewhere = Client()
    sign_in(elsewhere, "staff", form_url(kpi, q1))
    assert NARRATIVE not in elsewhere.get(form_url(kpi, q1)).content.decode()
    # The browser that typed it still gets it back.
    sign_in(client, "staff", form_url(kpi, q1))
    assert NARRATIVE in client.get(form_url(kpi, q1)).content.decode()


def test_without_the_signed_owner_nothing_is_kept(client, staff, kpi, q1):
    sign_in(client, "staff", "/")
    hidden = open_form(client, kpi, q1)
    end_session(client)
    forged = {**hidden, "owner": hidden["owner"][:-2] + "xx"}
    response = post_typed(client, kpi, q1, forged)
    assert response.status_code == 302
    assert stash.SESSION_KEY not in client.session
    # A token for another form's address does not carry over either.
    other = form_url(kpi_by_code("2-1"), q1)
    client.post(other, {"owner": hidden["owner"], "narrative": NARRATIVE})
    assert stash.SESSION_KEY not in client.session


def test_the_kept_text_is_only_put_back_on_its_own_form(client, staff, kpi, q1):
    sign_in(client, "staff", "/")
    hidden = open_form(client, kpi, q1)
    end_session(client)
    post_typed(client, kpi, q1, hidden)
    sign_in(client, "staff", "/")
    other = form_url(kpi_by_code("2-1"), q1)
    assert NARRATIVE not in client.get(other).content.decode()
    assert NARRATIVE in client.get(form_url(kpi, q1)).content.decode()


def test_kept_text_goes_stale(client, staff, kpi, q1, monkeypatch):
    sign_in(client, "staff", "/")
    hidden = open_form(client, kpi, q1)
    end_session(client)
    post_typed(client, kpi, q1, hidden)
    sign_in(client, "staff", form_url(kpi, q1))
    later = time.time() + stash.MAX_AGE + 1
    monkeypatch.setattr(stash.time, "time", lambda: later)
    assert NARRATIVE not in client.get(form_url(kpi, q1)).content.decode()


def test_a_get_after_the_session_ended_keeps_nothing(client, kpi, q1):
    response = client.get(form_url(kpi, q1))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert stash.SESSION_KEY not in client.session


def test_the_stash_holds_only_the_report_fields(rf, staff, kpi, q1):
    path = form_url(kpi, q1)
    request = rf.post(
        path,
        {
            "owner": stash.owner_token(staff, path),
            "narrative": "x" * (stash.MAX_TEXT + 10),
            "inputs.count": "3",
            "inputs.bad name": "1",
            "is_superuser": "1",
            "csrfmiddlewaretoken": "t",
        },
    )
    request.session = {}
    assert stash.keep(request, path)
    kept = request.session[stash.SESSION_KEY]
    assert set(kept["fields"]) == {"narrative", "inputs.count"}
    assert len(kept["fields"]["narrative"]) == stash.MAX_TEXT
    assert kept["owner"] == staff.pk
    json.dumps(kept)  # the session serializer is JSON


# --- A common indicator: its formula's inputs ------------------------------------------


def test_autosave_keeps_a_common_indicators_partial_inputs(client, staff, q1):
    common = kpi_by_code("共1-1")
    client.force_login(staff)
    response = autosave(client, common, q1, **{"inputs.budget": "1000000", "inputs.spent": ""})
    assert response.status_code == 200, response.content
    report = the_report(common, q1)
    assert report.status == ReportStatus.DRAFT
    assert report.inputs["budget"] == "1000000"
    assert report.actual is None  # computed once every input is there


def test_a_common_indicators_inputs_are_put_back_after_signing_in(client, staff, q1):
    common = kpi_by_code("共1-1")
    sign_in(client, "staff", "/")
    hidden = open_form(client, common, q1)
    end_session(client)
    client.post(
        form_url(common, q1),
        {**hidden, "action": "save", "inputs.budget": "1000000", "inputs.spent": "900000", "narrative": NARRATIVE},
    )
    sign_in(client, "staff", form_url(common, q1))
    form = client.get(form_url(common, q1)).context["form"]
    assert form["inputs.budget"].value() == "1000000"
    assert form["inputs.spent"].value() == "900000"
    assert form["narrative"].value() == NARRATIVE


# --- Autosave does not flood the record -------------------------------------------------


def test_saves_of_one_edit_session_make_one_entry_on_the_record(staff, periods):
    from django.utils import timezone

    from kpi.models import ReportAction, ReportEvent
    from kpi.services.reports import EDIT_SESSION_MINUTES

    indicator, period = kpi_by_code("1-5"), periods["114Q3"]
    report = services.report_save(indicator=indicator, period=period, user=staff, actual="1", narrative="第")
    for text in ("第一", "第一季", "第一季辦理"):
        report = services.report_save(
            indicator=indicator, period=period, user=staff, actual="2", narrative=text, expected_version=report.version
        )
    edits = ReportEvent.objects.filter(report=report, action=ReportAction.EDITED)
    assert edits.count() == 1
    assert edits.get().changes == {"actual": ["1", "2"], "narrative": ["第", "第一季辦理"]}
    # A later session is an entry of its own.
    edits.update(at=timezone.now() - datetime.timedelta(minutes=EDIT_SESSION_MINUTES + 1))
    services.report_save(
        indicator=indicator,
        period=period,
        user=staff,
        actual="3",
        narrative="第一季辦理",
        expected_version=report.version,
    )
    assert ReportEvent.objects.filter(report=report, action=ReportAction.EDITED).count() == 2
