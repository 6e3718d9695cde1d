"""Where people land after signing in (kpi.access.landing_url), and `next=` winning over it."""

import pytest
from django.urls import reverse

from kpi import access

LANDING = {
    "staff": "kpi:my_updates",  # 待填報
    "other_staff": "kpi:my_updates",
    "supervisor": "kpi:review_queue",  # 審核
    "planner": "reports:overview",  # 儀表板
    "admin": "admin:index",
}


def sign_in(client, username, next_url=None):
    data = {"username": username, "password": "pw-" + username}
    url = reverse("login")
    if next_url:
        data["next"] = next_url
    return client.post(url, data)


@pytest.mark.parametrize("who", list(LANDING))
def test_each_role_lands_on_its_daily_screen(client, cast, who):
    response = sign_in(client, cast[who].username)
    assert response.status_code == 302
    assert response["Location"] == reverse(LANDING[who])
    assert access.landing_url(cast[who]) == reverse(LANDING[who])


def test_someone_without_a_role_lands_on_the_plan_list(client, django_user_model, seeded_plan):
    django_user_model.objects.create_user(username="nobody", password="pw-nobody")
    assert sign_in(client, "nobody")["Location"] == reverse("kpi:home")


def test_a_reporter_who_also_reviews_lands_on_my_updates(cast, home_department):
    from plans.models import Membership, Role

    Membership.objects.create(user=cast["supervisor"], department=home_department, role=Role.REPORTER)
    assert access.landing_url(cast["supervisor"]) == reverse("kpi:my_updates")


@pytest.mark.parametrize("who", list(LANDING))
def test_next_still_wins(client, cast, who):
    target = reverse("kpi:periods")
    assert sign_in(client, cast[who].username, target)["Location"] == target


def test_next_to_another_site_is_ignored(client, cast):
    response = sign_in(client, "planner", "https://evil.example/")
    assert response["Location"] == reverse("reports:overview")


def test_the_sign_in_page_carries_next(client, seeded_plan):
    response = client.get(reverse("login") + "?next=/periods/")
    assert 'name="next" value="/periods/"' in response.content.decode()


def test_my_updates_lists_returned_reports_first(client, cast, periods, settings):
    import datetime

    from kpi import services
    from tests.factories import kpi_by_code

    settings.KPI_TODAY = datetime.date(2025, 4, 10)
    staff = cast["staff"]
    report = services.report_save(
        indicator=kpi_by_code("1-5"), period=periods[114, 1], user=staff, actual="1", narrative="說明", submit=True
    )
    services.report_return(report=report, user=cast["supervisor"], comment="請補附簽到表。")
    client.force_login(staff)
    body = client.get(reverse("kpi:my_updates")).content.decode()
    due = body.find('id="due"') if 'id="due"' in body else body.find('id="overdue"')
    assert 0 < body.find('id="returned"') < due
    assert body.find('href="#returned"') < body.find('href="#due"')
