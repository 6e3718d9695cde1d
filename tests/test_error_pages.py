"""Error pages: in zh-Hant, inside the site's frame, with a way back, and never technical."""

import datetime

from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views import defaults

from kpi import services
from kpi.models import ReportingPeriod


def test_not_found_is_a_page_of_the_site(client, staff):
    client.force_login(staff)
    response = client.get("/kpi/999999/")
    assert response.status_code == 404
    body = response.content.decode()
    assert '<html lang="zh-Hant-TW">' in body
    assert "找不到網頁" in body and "錯誤代碼：404" in body
    assert 'class="main-nav"' in body and reverse("kpi:home") in body  # the site's frame and a way back
    assert "Not Found" not in body and "No such" not in body  # not Django's page, not the view's reason


def test_not_found_for_an_anonymous_visitor(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "找不到網頁" in response.content.decode()


def test_api_not_found_stays_json(client, db):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_forbidden_shows_the_reason_in_zh_hant(client, staff, seeded_plan, settings):
    settings.KPI_TODAY = datetime.date(2025, 4, 10)
    services.periods_ensure(plan=seeded_plan)
    period = ReportingPeriod.objects.filter(plan=seeded_plan).first()
    client.force_login(staff)
    response = client.post(reverse("kpi:period_lock", args=[period.pk]))
    assert response.status_code == 403
    body = response.content.decode()
    assert "只有研考單位可以鎖定及解除鎖定填報期間。" in body  # the reason the view gave
    assert "錯誤代碼：403" in body and "403 Forbidden" not in body
    assert ReportingPeriod.objects.get(pk=period.pk).is_locked is False


def test_forbidden_without_a_reason(rf, staff):
    request = rf.get("/")
    request.user = staff
    response = defaults.permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    body = response.content.decode()
    assert "您的角色沒有這項權限" in body


def test_an_expired_form_says_what_happened_and_that_nothing_was_saved(staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    response = client.post(reverse("logout"))
    assert response.status_code == 403
    body = response.content.decode()
    assert "表單已失效" in body and "沒有儲存" in body
    assert "CSRF verification failed" not in body


def test_bad_request_page(rf, db):
    response = defaults.bad_request(rf.get("/"), Exception("bad"))
    assert response.status_code == 400
    assert "無法處理的要求" in response.content.decode()


def test_server_error_page_needs_neither_request_context_nor_database():
    # django_db is not requested: any query would fail the test.
    response = defaults.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    body = response.content.decode()
    assert '<html lang="zh-Hant-TW">' in body
    assert "系統發生錯誤" in body and "錯誤代碼：500" in body
