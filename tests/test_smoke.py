from django.urls import reverse


def test_plan_page_shows_seeded_kpis_to_signed_in_user(client, staff, home_department, seeded_plan):
    client.force_login(staff)
    response = client.get(reverse("kpi:department_plan", args=[seeded_plan.id, home_department.id]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "首都圈國家海洋門戶" in body
    assert "完成港城丘地景管控規劃及機制" in body


def test_plan_page_requires_sign_in(client, home_department, seeded_plan):
    response = client.get(reverse("kpi:department_plan", args=[seeded_plan.id, home_department.id]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_indicator_api_is_open_data(client, seeded_plan):
    response = client.get("/api/v1/indicators/")
    assert response.status_code == 200
    assert len(response.json()) == 23


def test_the_site_has_an_icon_of_its_own(client, staff, admin_user):
    from django.contrib.staticfiles import finders

    assert finders.find("img/favicon.svg")
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")
    for user, url in ((staff, reverse("kpi:home")), (admin_user, reverse("admin:index"))):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert 'rel="icon"' in body and "img/favicon.svg" in body, url
