"""Notifications (通知): who hears of what, the inbox, e-mail preferences, digests, retries,
and the reminders' report of who was skipped."""

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from kpi import services, tasks
from kpi.models import EmailChoice, Notification, NotificationKind, NotificationPreference
from tests.factories import kpi_by_code

TODAY = datetime.date(2025, 4, 10)  # 114Q1 is due on 4月15日; 113Q4 is overdue


@pytest.fixture(autouse=True)
def today(settings):
    settings.KPI_TODAY = TODAY
    settings.REMINDER_DAYS = 7


@pytest.fixture
def people(cast):
    for who, user in cast.items():
        if user is not None and who != "admin":
            user.email = f"{user.username}@example.gov.tw"
            user.save()
    return cast


def submit(staff, periods, code="2-1", period="114Q1"):
    return services.report_save(
        indicator=kpi_by_code(code), period=periods[period], user=staff, actual="5", narrative="已辦理。", submit=True
    )


def kinds(user):
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


# --- Who hears of what --------------------------------------------------------------------


def test_submitting_tells_the_department_reviewers_and_not_the_actor(people, periods, staff, supervisor, planner):
    report = submit(staff, periods)
    assert kinds(supervisor) == [NotificationKind.TO_REVIEW]
    assert kinds(staff) == [] and kinds(planner) == []
    n = Notification.objects.get(recipient=supervisor)
    assert n.report == report and n.actor == staff and n.read_at is None


def test_without_department_reviewers_the_planning_office_hears_of_a_submission(periods, staff, planner):
    submit(staff, periods)
    assert kinds(planner) == [NotificationKind.TO_REVIEW]


def test_returning_tells_the_reporters_with_the_comment(people, periods, staff, supervisor, other_staff):
    report = submit(staff, periods)
    services.report_return(report=report, user=supervisor, comment="請補附簽到表。")
    n = Notification.objects.get(recipient=staff)
    assert n.kind == NotificationKind.RETURNED and n.text == "請補附簽到表。" and n.actor == supervisor
    assert kinds(other_staff) == []
    assert NotificationKind.RETURNED not in kinds(supervisor), "never the actor"


def test_approval_tells_the_reporters(people, periods, staff, supervisor):
    report = submit(staff, periods)
    services.report_approve(report=report, user=supervisor, comment="同意。")
    assert kinds(staff) == [NotificationKind.APPROVED]


def test_first_stage_pass_tells_the_reporters_and_the_planning_office(
    people, two_stages, periods, staff, supervisor, planner, admin_user
):
    report = submit(staff, periods)
    services.report_approve(report=report, user=supervisor)
    assert kinds(staff) == [NotificationKind.FIRST_APPROVED]
    assert kinds(planner) == [NotificationKind.TO_REVIEW]
    assert kinds(admin_user) == []
    services.report_approve(report=report, user=planner)
    assert kinds(staff) == [NotificationKind.APPROVED, NotificationKind.FIRST_APPROVED]
    assert kinds(supervisor) == [NotificationKind.TO_REVIEW]  # from the submission only


def test_reopening_tells_the_reporters(people, periods, staff, supervisor, planner):
    report = submit(staff, periods)
    report = services.report_approve(report=report, user=supervisor)
    services.report_reopen(report=report, user=planner, reason="資料來源更新。")
    n = Notification.objects.get(recipient=staff, kind=NotificationKind.REOPENED)
    assert n.text == "資料來源更新。" and n.actor == planner


def test_a_comment_tells_the_participants(people, periods, staff, supervisor, planner, other_staff):
    report = submit(staff, periods)
    services.report_comment(report=report, user=supervisor, text="第 2 場的日期？")
    assert NotificationKind.COMMENTED in kinds(staff)
    assert kinds(planner) == [] and kinds(other_staff) == []
    assert NotificationKind.COMMENTED not in kinds(supervisor)

    services.report_comment(report=report, user=staff, text="4月2日。")
    assert NotificationKind.COMMENTED in kinds(supervisor), "who commented takes part"
    assert kinds(staff).count(NotificationKind.COMMENTED) == 1


def test_a_planner_comment_is_kept_on_the_record_and_brings_the_planner_in(people, periods, staff, planner):
    report = submit(staff, periods)
    event = services.report_comment(report=report, user=planner, text="請說明。")
    assert event.action == "commented" and event.comment == "請說明。"
    services.report_comment(report=report, user=staff, text="好的。")
    assert NotificationKind.COMMENTED in kinds(planner)


# --- E-mail: immediate, digest, none; retries -------------------------------------------------


def test_immediate_e_mail_goes_out_after_commit(people, periods, staff, supervisor, django_capture_on_commit_callbacks):
    report = submit(staff, periods)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.report_return(report=report, user=supervisor, comment="請補附簽到表。")
    assert [m.to for m in mail.outbox] == [["staff@example.gov.tw"]]
    message = mail.outbox[0]
    assert "2-1" in message.subject
    assert "請補附簽到表。" in message.body
    assert "http://127.0.0.1:8000" + reverse("kpi:detail", args=[report.indicator_id]) in message.body
    n = Notification.objects.get(recipient=staff)
    assert n.sent_at is not None and n.attempts == 1 and n.last_error == ""


def test_nothing_is_sent_before_commit(people, periods, staff, supervisor, django_capture_on_commit_callbacks):
    report = submit(staff, periods)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.report_return(report=report, user=supervisor, comment="請補附簽到表。")
    # One callback sends (the others move the navigation's counts: kpi.nav_counts).
    sending = [c for c in callbacks if not getattr(c, "moves_work_counts", False)]
    assert mail.outbox == [] and len(sending) == 1


def test_no_e_mail_for_people_who_chose_none_or_have_no_address(
    people, periods, staff, supervisor, django_capture_on_commit_callbacks
):
    services.preference_set(user=staff, email=EmailChoice.NONE)
    supervisor.email = ""
    supervisor.save()
    with django_capture_on_commit_callbacks(execute=True):
        report = submit(staff, periods)
        services.report_return(report=report, user=supervisor, comment="請補附簽到表。")
    assert mail.outbox == []
    assert Notification.objects.filter(recipient=staff).exists(), "the inbox has it all the same"


def test_digest_people_get_one_e_mail_a_day(people, periods, staff, supervisor, django_capture_on_commit_callbacks):
    services.preference_set(user=staff, email=EmailChoice.DIGEST)
    with django_capture_on_commit_callbacks(execute=True):
        report = submit(staff, periods)
        services.report_return(report=report, user=supervisor, comment="請補附簽到表。")
        services.report_comment(report=report, user=supervisor, text="另請補照片。")
    assert [m for m in mail.outbox if m.to == ["staff@example.gov.tw"]] == []

    assert tasks.send_digests() == 1
    (digest,) = [m for m in mail.outbox if m.to == ["staff@example.gov.tw"]]
    assert "請補附簽到表。" in digest.body and "另請補照片。" in digest.body
    assert "2" in digest.subject
    assert not Notification.objects.filter(recipient=staff, sent_at__isnull=True).exists()
    assert tasks.send_digests() == 0, "nothing is sent twice"


def test_preference_defaults_to_immediate_and_is_validated(staff):
    assert services.notifications.email_choice(staff) == EmailChoice.IMMEDIATE
    services.preference_set(user=staff, email=EmailChoice.DIGEST)
    assert NotificationPreference.objects.get(user=staff).email == EmailChoice.DIGEST
    with pytest.raises(ValidationError):
        services.preference_set(user=staff, email="weekly")


class FlakyBackend(EmailBackend):
    """The locmem backend, failing the first `failures` sends."""

    failures = 1

    def send_messages(self, messages):
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise ConnectionRefusedError("mail server down")
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = "tests.test_notifications.FlakyBackend"
    yield FlakyBackend
    FlakyBackend.failures = 1


def test_a_failed_send_is_retried(people, periods, staff, supervisor, flaky, django_capture_on_commit_callbacks):
    flaky.failures = 1
    report = submit(staff, periods)
    with django_capture_on_commit_callbacks(execute=True):
        services.report_return(report=report, user=supervisor, comment="請補附簽到表。")
    n = Notification.objects.get(recipient=staff)
    assert n.sent_at is not None
    assert n.attempts == 2
    assert [m.to for m in mail.outbox] == [["staff@example.gov.tw"]]


def test_a_send_that_keeps_failing_never_loses_the_notification(
    people, periods, staff, supervisor, flaky, django_capture_on_commit_callbacks
):
    flaky.failures = 100
    report = submit(staff, periods)
    with django_capture_on_commit_callbacks(execute=True):
        services.report_return(report=report, user=supervisor, comment="請補附簽到表。")  # no error for the reviewer
    n = Notification.objects.get(recipient=staff)
    assert n.sent_at is None
    assert n.attempts == tasks.MAX_RETRIES + 1
    assert "mail server down" in n.last_error
    report.refresh_from_db()
    assert report.status == "returned"


def test_e_mails_that_never_reached_a_worker_are_queued_again(people, periods, staff, supervisor):
    report = submit(staff, periods)
    services.report_return(report=report, user=supervisor, comment="請補附簽到表。")  # on_commit never runs here
    n = Notification.objects.get(recipient=staff)
    assert tasks.send_unsent() == 0, "too recent: its task may still be on its way"
    Notification.objects.filter(pk=n.pk).update(created_at=n.created_at - datetime.timedelta(minutes=11))
    services.preference_set(user=supervisor, email=EmailChoice.DIGEST)  # the digest is not theirs to resend
    assert tasks.send_unsent() == 1
    n.refresh_from_db()
    assert n.sent_at is not None and [m.to for m in mail.outbox] == [["staff@example.gov.tw"]]
    assert tasks.send_unsent() == 0


def test_the_task_sends_a_notification_once(people, periods, staff, supervisor):
    report = submit(staff, periods)
    services.report_return(report=report, user=supervisor, comment="請補附簽到表。")
    n = Notification.objects.get(recipient=staff)
    assert tasks.send_notification_email(n.pk) is True
    assert tasks.send_notification_email(n.pk) is False
    assert len(mail.outbox) == 1


# --- send_reminders: the inbox and who was skipped -------------------------------------------


def run_reminders(*args):
    out = StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


def test_send_reminders_reports_who_was_skipped_and_why(people, periods, staff, supervisor):
    staff.email = ""
    staff.save()
    services.preference_set(user=supervisor, email=EmailChoice.NONE)
    submit(staff, periods, code="1-5")  # something for the supervisor to review
    output = run_reminders()

    def skipped(user, reason):
        return gettext("Skipped %(user)s: %(reason)s.") % {"user": user, "reason": gettext(reason)}

    assert skipped("staff", "no e-mail address") in output
    assert skipped("supervisor", "chose no e-mail") in output
    assert skipped("other", "no e-mail address") not in output, "民政處's reporter has nothing to do"
    assert [m for m in mail.outbox if m.to == ["supervisor@example.gov.tw"]] == []


def test_send_reminders_leaves_due_and_overdue_notifications_once_a_day(people, periods, staff):
    run_reminders()
    assert kinds(staff) == [NotificationKind.DUE_SOON, NotificationKind.OVERDUE]
    overdue = Notification.objects.get(recipient=staff, kind=NotificationKind.OVERDUE)
    assert "1-5" in overdue.text and overdue.sent_at is not None, "carried by the reminder e-mail"
    run_reminders()
    assert len(kinds(staff)) == 2


def test_send_reminders_dry_run_writes_nothing(people, periods, staff):
    run_reminders("--dry-run")
    assert kinds(staff) == []


def test_the_celery_reminder_task_runs_the_command(people, periods, staff):
    output = tasks.send_reminders()
    assert "staff <staff@example.gov.tw>" in output
    assert kinds(staff) == [NotificationKind.DUE_SOON, NotificationKind.OVERDUE]


# --- The inbox and the settings page ---------------------------------------------------------


@pytest.fixture
def returned(people, periods, staff, supervisor):
    report = submit(staff, periods)
    return services.report_return(report=report, user=supervisor, comment="請補附簽到表。")


def test_the_inbox_lists_notifications_and_the_navigation_counts_unread(client, staff, returned):
    client.force_login(staff)
    page = client.get(reverse("kpi:inbox")).content.decode()
    assert "請補附簽到表。" in page
    assert "2-1" in page
    assert 'class="nav-count" aria-hidden="true">1</span>' in page

    home = client.get(reverse("kpi:home")).content.decode()
    unread = ngettext("(%(counter)s unread)", "(%(counter)s unread)", 1) % {"counter": 1}
    assert reverse("kpi:inbox") in home and f'aria-hidden="true">1</span><span class="visually-hidden">{unread}' in home


def test_the_inbox_headline_marks_the_kpi_and_the_person_zh_hant_in_english(returned, staff):
    n = Notification.objects.get(recipient=staff)
    with translation.override("en"):
        assert f'<span lang="zh-Hant">{n.report.indicator.code} {n.report.indicator.name}</span>' in n.headline_html
        assert "lang=" not in n.headline, "the e-mails' plain headline"
    with translation.override("zh-hant"):
        assert n.headline_html == n.headline


def test_the_inbox_query_count_does_not_grow(client, staff, supervisor, returned, django_assert_max_num_queries):
    client.force_login(staff)
    client.get(reverse("kpi:inbox"))
    for i in range(30):
        services.report_comment(report=returned, user=supervisor, text=f"第 {i} 則。")
    # session, user, the notifications (with their reports, indicators, periods and actors),
    # the navigation's work counts and unread count, the session's save.
    with django_assert_max_num_queries(14):
        page = client.get(reverse("kpi:inbox")).content.decode()
    assert "第 29 則。" in page


def test_mark_one_read_and_mark_all_read(client, staff, supervisor, returned):
    services.report_comment(report=returned, user=supervisor, text="另請補照片。")
    first, second = Notification.objects.filter(recipient=staff)
    client.force_login(staff)
    response = client.post(reverse("kpi:inbox_read", args=[first.pk]))
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.read_at is not None
    second.refresh_from_db()
    assert second.read_at is None

    client.post(reverse("kpi:inbox_read_all"))
    assert not Notification.objects.filter(recipient=staff, read_at__isnull=True).exists()
    page = client.get(reverse("kpi:inbox")).content.decode()
    assert "nav-count" not in page.split('href="/inbox/"')[1].split("</a>")[0]


def test_open_marks_read_and_goes_to_the_report(client, staff, returned):
    n = Notification.objects.get(recipient=staff)
    client.force_login(staff)
    response = client.post(reverse("kpi:inbox_read", args=[n.pk]), {"open": "1"})
    assert response["Location"].startswith(reverse("kpi:detail", args=[returned.indicator_id]))


def test_no_one_reads_someone_else_s_notification(client, supervisor, staff, returned):
    n = Notification.objects.get(recipient=staff)
    client.force_login(supervisor)
    assert client.post(reverse("kpi:inbox_read", args=[n.pk])).status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_the_settings_page_saves_the_choice(client, staff):
    client.force_login(staff)
    page = client.get(reverse("kpi:notification_settings"))
    assert page.status_code == 200
    assert reverse("kpi:notification_settings") in client.get(reverse("kpi:inbox")).content.decode()
    response = client.post(reverse("kpi:notification_settings"), {"email": "digest"})
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=staff).email == "digest"
    assert client.post(reverse("kpi:notification_settings"), {"email": "weekly"}).status_code == 400
    assert NotificationPreference.objects.get(user=staff).email == "digest"
