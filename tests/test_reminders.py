"""`manage.py send_reminders [--days N] [--dry-run]`: one zh-Hant e-mail per person with work."""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from kpi import services
from tests.factories import kpi_by_code

TODAY = datetime.date(2025, 4, 10)  # 114Q1 is due on 4月15日, in 5 days; 113Q4 is overdue


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = TODAY
    settings.REMINDER_DAYS = 7


@pytest.fixture
def people(cast):
    for who, user in cast.items():
        if user is not None and who != "admin":  # the admin has no e-mail address
            user.email = f"{user.username}@example.gov.tw"
            user.save()
    return cast


def run(*args):
    out = StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


def mail_to(address):
    found = [m for m in mail.outbox if m.to == [address]]
    assert len(found) <= 1, "one e-mail per person"
    return found[0] if found else None


def test_who_gets_an_e_mail(people, periods, staff, supervisor):
    submitted = services.report_save(
        indicator=kpi_by_code("1-5"), period=periods["114Q1"], user=staff, actual="3", narrative="已辦理。", submit=True
    )
    output = run()

    recipients = sorted(m.to[0] for m in mail.outbox)
    # Staff have reports to file; the supervisor, the planning office (and the admin, but
    # without an address) have one to review; staff of 民政處 have nothing to do.
    assert recipients == ["planner@example.gov.tw", "staff@example.gov.tw", "supervisor@example.gov.tw"]
    assert "已寄出 3 封提醒" in output

    review = mail_to("supervisor@example.gov.tw")
    assert "待您審核（1 項）" in review.body
    assert "1-5" in review.body and "王小明" in review.body
    assert "http://127.0.0.1:8000" + reverse("kpi:review_queue") in review.body
    assert submitted.indicator.name in review.body


def test_the_staff_e_mail_lists_overdue_and_due_items_in_zh_hant(people, periods, staff, supervisor):
    returned = services.report_save(
        indicator=kpi_by_code("2-1"), period=periods["113Q4"], user=staff, actual="5", narrative="已辦理。", submit=True
    )
    services.report_return(report=returned, user=supervisor, comment="請補附簽到表。")
    run()

    message = mail_to("staff@example.gov.tw")
    assert message.subject.startswith("【績效指標填報提醒】")
    assert "46 項待辦" in message.subject  # 22 overdue (113Q4 2-1 was returned) + 23 due + 1 returned
    assert "民國114年4月10日" in message.subject
    body = message.body
    assert body.startswith("王小明 您好：")
    assert "逾期未填報（22 項）" in body
    assert "7 天內到期（23 項）" in body
    assert "退回待修正（1 項）" in body
    assert "請補附簽到表。" in body
    assert "截止日 民國114年4月15日，還有 5 天" in body
    assert "截止日 民國114年1月15日，已逾期 85 天" in body
    indicator = kpi_by_code("1-5")
    assert f"http://127.0.0.1:8000{reverse('kpi:report', args=[indicator.pk, periods['114Q1'].pk])}" in body
    assert "&amp;" not in body and "&lt;" not in body  # plain text is not HTML-escaped
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert 'lang="zh-Hant-TW"' in html and "逾期未填報" in html


def test_days_decides_what_is_due_soon(people, periods, planner):
    services.period_lock(period=periods["113Q4"], user=planner)  # nothing overdue any more

    run("--days", "3")
    assert mail_to("staff@example.gov.tw") is None, "114Q1 is due in 5 days, beyond 3"

    mail.outbox.clear()
    output = run("--days", "5")
    message = mail_to("staff@example.gov.tw")
    assert "5 天內到期（23 項）" in message.body
    assert "逾期未填報" not in message.body
    assert "staff <staff@example.gov.tw>" in output


def test_the_default_days_come_from_the_settings(people, periods, planner, settings):
    services.period_lock(period=periods["113Q4"], user=planner)
    settings.REMINDER_DAYS = 4
    run()
    assert mail_to("staff@example.gov.tw") is None
    settings.REMINDER_DAYS = 5
    run()
    assert mail_to("staff@example.gov.tw") is not None


def test_dry_run_sends_nothing(people, periods):
    output = run("--dry-run")
    assert mail.outbox == []
    assert "staff <staff@example.gov.tw>" in output
    assert "未寄出任何郵件" in output


def test_people_without_an_address_or_inactive_get_nothing(people, periods, staff):
    staff.is_active = False
    staff.save()
    run()
    assert mail_to("staff@example.gov.tw") is None


def test_links_use_site_url(people, periods, settings):
    settings.SITE_URL = "https://kpi.example.gov.tw/"
    run()
    body = mail_to("staff@example.gov.tw").body
    assert "https://kpi.example.gov.tw" + reverse("kpi:my_updates") in body
    assert "127.0.0.1" not in body


def test_nothing_to_do_nothing_sent(people, periods, planner):
    for period in periods.values():
        if not period.is_locked:
            services.period_lock(period=period, user=planner)
    output = run()
    assert mail.outbox == []
    assert "已寄出 0 封提醒" in output


def test_negative_days_are_refused(db):
    with pytest.raises(CommandError):
        run("--days", "-1")
