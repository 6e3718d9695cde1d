"""Markup that assistive technology relies on (issue #17), checked on the server's HTML.

The browser checks (axe, reflow, keyboard) are in tests/browser/test_accessibility.py and
tests/browser/test_reflow_keyboard.py; these pin the rules they rest on, quickly:
the zh-Hant mark of the plan's text on English pages (common/templatetags/a11y.py), the roles
of Django's messages, forms that change nothing until their button is pressed, the API's
plain endpoint list, and admin's headings.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from common.templatetags.a11y import message_groups


def render(source: str, **context) -> str:
    return Template("{% load a11y %}" + source).render(Context(context))


def test_plan_text_is_marked_zh_hant_on_an_english_page():
    with translation.override("en"):
        assert render("{{ name|zh }}", name="都市發展處") == '<span lang="zh-Hant">都市發展處</span>'
        assert render("<td{% zh_lang %}>x</td>") == '<td lang="zh-Hant">x</td>'


def test_plan_text_is_left_alone_on_a_zh_hant_page():
    with translation.override("zh-hant"):
        assert render("{{ name|zh }}", name="都市發展處") == "都市發展處"
        assert render("<td{% zh_lang %}>x</td>") == "<td>x</td>"


def test_text_without_chinese_is_not_marked():
    with translation.override("en"):
        assert render("{{ name|zh }}", name="Alice Chen") == "Alice Chen"


def test_a_field_is_marked_only_when_its_value_is_chinese():
    with translation.override("en"):
        assert render("<textarea{% zh_lang v %}>", v="颱風延會。") == '<textarea lang="zh-Hant">'
        assert render("<textarea{% zh_lang v %}>", v="Typhoon") == "<textarea>"
        assert render("<textarea{% zh_lang v %}>", v=None) == "<textarea>"
    with translation.override("zh-hant"):
        assert render("<textarea{% zh_lang v %}>", v="颱風延會。") == "<textarea>"


def test_a_form_field_holding_chinese_is_marked_in_english_only():
    from django import forms

    class Report(forms.Form):
        narrative = forms.CharField(widget=forms.Textarea)
        actual = forms.DecimalField()

    chinese = Report(data={"narrative": "颱風延會，改期辦理。", "actual": "3"})
    with translation.override("en"):
        assert render("{{ f.narrative|zh_field }}", f=chinese).startswith(
            '<textarea name="narrative" cols="40" rows="10" lang="zh-Hant"'
        )
        assert 'lang="zh-Hant"' not in render("{{ f.actual|zh_field }}", f=chinese)
        english = Report(data={"narrative": "Postponed by the typhoon.", "actual": "3"})
        assert render("{{ f.narrative|zh_field }}", f=english) == str(english["narrative"])
    with translation.override("zh-hant"):
        assert render("{{ f.narrative|zh_field }}", f=chinese) == str(chinese["narrative"])


def test_plan_text_is_escaped_and_empty_text_gives_nothing():
    with translation.override("en"):
        assert render("{{ name|zh }}", name="<b>處</b>") == '<span lang="zh-Hant">&lt;b&gt;處&lt;/b&gt;</span>'
        assert render("[{{ name|zh }}]", name="") == "[]"


def test_errors_are_alerts_and_come_first_the_rest_are_status():
    messages = [
        Message(constants.SUCCESS, "saved"),
        Message(constants.ERROR, "refused"),
        Message(constants.WARNING, "careful"),
        Message(constants.INFO, "note"),
    ]
    groups = message_groups(messages)
    assert [(role, [m.message for m in group]) for role, group in groups] == [
        ("alert", ["refused"]),
        ("status", ["saved", "careful", "note"]),
    ]
    assert message_groups([Message(constants.SUCCESS, "saved")])[0][0] == "status"


def test_a_message_after_a_redirect_is_in_a_focusable_status_region(client, staff):
    client.force_login(staff)
    response = client.post(reverse("kpi:notification_settings"), {"email": "digest"}, follow=True)
    body = response.content.decode()
    assert response.redirect_chain, "the settings page redirects after saving"
    assert '<div class="messages-region" id="messages" tabindex="-1" data-messages>' in body
    status = re.search(r'<ul class="messages" role="status">(.*?)</ul>', body, re.S)
    assert status and "message success" in status.group(1)
    assert 'role="alert"><li' not in body


def test_an_error_message_is_an_alert(client, supervisor):
    client.force_login(supervisor)
    response = client.get(reverse("kpi:review_bulk"), follow=True)  # nothing ticked
    body = response.content.decode()
    assert 'tabindex="-1" data-messages' in body
    alert = re.search(r'<ul class="messages" role="alert">(.*?)</ul>', body, re.S)
    assert alert and "message error" in alert.group(1)
    assert 'role="status"><li' not in body


def test_the_language_switcher_and_the_yearly_filters_wait_for_their_button(client, supervisor, seeded_plan):
    client.force_login(supervisor)
    body = client.get(reverse("reports:yearly") + "?year=114").content.decode()
    assert "data-autosubmit" not in body
    filters = re.search(r'<form method="get" class="report-filters".*?</form>', body, re.S).group(0)
    assert re.search(r'<button type="submit" class="button">[^<]+</button>', filters)
    assert "<noscript>" not in filters
    switcher = re.search(r'<form action="/i18n/setlang/" method="post" class="lang-form">.*?</form>', body, re.S)
    assert switcher and re.search(r"<button type=\"submit\">[^<]+</button>", switcher.group(0))
    assert "<noscript>" not in switcher.group(0)


# --- The API's plain endpoint list ---------------------------------------------------------------


def test_the_endpoint_list_gives_method_path_and_summary(client, staff):
    client.force_login(staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("api:endpoints"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="en">' in body
    rows = re.findall(
        r"<tr><td><code>(\w+)</code></td><th scope=\"row\"><code>([^<]+)</code></th><td>([^<]*)</td></tr>", body
    )
    assert ("POST", "/api/v1/auth/token/", "Get a new API token") in rows
    assert any(method == "GET" and path == "/api/v1/indicators/" for method, path, _ in rows)
    assert all(summary.strip() for _, _, summary in rows), "an endpoint without a summary shows —, never nothing"
    # Every operation of the schema is listed once.
    assert len(rows) == len(set(rows))
    assert f'href="{reverse("api:schema")}"' in body
    assert f'href="{reverse("api:docs")}"' in body


def test_the_endpoint_list_is_closed_like_the_docs(client, db):
    response = client.get(reverse("api:endpoints"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_endpoint_list_is_open_where_the_docs_are(client, db, settings):
    settings.API_DOCS_PUBLIC = True
    assert client.get(reverse("api:endpoints")).status_code == 200


@pytest.mark.parametrize("name", ["api:docs", "api:redoc"])
def test_the_api_docs_link_to_the_plain_list_and_the_schema(client, staff, name):
    client.force_login(staff)
    body = client.get(reverse(name)).content.decode()
    assert f'href="{reverse("api:endpoints")}"' in body
    assert f'href="{reverse("api:schema")}?format=json"' in body


def test_every_page_links_the_endpoint_list_beside_the_api_docs(client, staff):
    client.force_login(staff)
    body = client.get(reverse("kpi:my_updates")).content.decode()
    footer = re.search(r"<footer.*?</footer>", body, re.S).group(0)
    assert f'href="{reverse("api:docs")}"' in footer
    assert f'href="{reverse("api:endpoints")}"' in footer


# --- Admin ---------------------------------------------------------------------------------------


def test_admin_sign_in_has_a_heading_one(client, db):
    body = client.get(reverse("admin:login")).content.decode()
    assert len(re.findall(r"<h1[ >]", body)) == 1
    assert '<h1 id="site-name">' in body


def test_admin_inline_table_has_no_empty_header(client, admin_user, seeded_plan):
    from kpi.models import Indicator

    client.force_login(admin_user)
    indicator = Indicator.objects.filter(department_plan__plan=seeded_plan).first()
    body = client.get(reverse("admin:kpi_indicator_change", args=[indicator.pk])).content.decode()
    assert "<thead>" in body
    assert not re.search(r"<th[^>]*>\s*</th>", body)


def test_admin_marks_the_plan_text_zh_hant_in_english(client, admin_user, seeded_plan):
    """Django admin's own templates: the indicator list's cells and filters, the change form's
    heading, breadcrumbs, department and objective options and plan-text fields."""
    from kpi.models import Indicator

    indicator = Indicator.objects.filter(department_plan__plan=seeded_plan, kind="kpi").first()
    department = indicator.department_plan.department.name
    client.force_login(admin_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    listing = client.get(reverse("admin:kpi_indicator_changelist")).content.decode()
    assert f'<td class="field-department_display"><span lang="zh-Hant">{department}</span></td>' in listing
    assert f'<span lang="zh-Hant">{indicator.name}</span></a>' in listing
    assert re.search(
        rf'<a href="\?department_plan__department__id__exact=\d+"><span lang="zh-Hant">{department}</span>', listing
    )

    form = client.get(reverse("admin:kpi_indicator_change", args=[indicator.pk])).content.decode()
    assert f'<h2><span lang="zh-Hant">{indicator}</span></h2>' in form
    assert f'&rsaquo; <span lang="zh-Hant">{indicator}</span>' in form
    assert re.search(r'<option value="\d+" lang="zh-Hant"[^>]*>[^<]*' + re.escape(department), form)
    assert re.search(r'<textarea name="measurement_standard"[^>]* lang="zh-Hant"', form)

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hant"
    form = client.get(reverse("admin:kpi_indicator_change", args=[indicator.pk])).content.decode()
    listing = client.get(reverse("admin:kpi_indicator_changelist")).content.decode()
    assert 'lang="zh-Hant"' not in form.split("<body", 1)[1]
    assert f'<td class="field-department_display">{department}</td>' in listing


def test_the_report_forms_saved_chinese_narrative_is_marked_in_english(client, staff, periods, settings):
    import datetime

    from kpi import services
    from tests.factories import kpi_by_code

    settings.KPI_TODAY = datetime.date(2025, 4, 10)
    kpi = kpi_by_code("1-5")
    services.report_save(
        indicator=kpi, period=periods["114Q1"], user=staff, actual="1", narrative="颱風延會，改期辦理。"
    )
    client.force_login(staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(reverse("kpi:report", args=[kpi.pk, periods["114Q1"].pk])).content.decode()
    textarea = re.search(r'<textarea name="narrative"[^>]*>', body).group(0)
    assert 'lang="zh-Hant"' in textarea
    assert 'lang="zh-Hant"' not in re.search(r'<input type="text" name="actual"[^>]*>', body).group(0)
