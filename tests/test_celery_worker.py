"""A real Celery worker against Redis (as in production and CI): a return's e-mail arrives.

The rest of the suite runs tasks eagerly (config/test_settings.py). Here the broker is the
Redis at CELERY_BROKER_URL (127.0.0.1:6379 here and in CI), the worker runs in a thread of
this process (celery.contrib.testing.worker.start_worker), and the test is transactional so
that the worker's own database connection sees what the request committed.
"""

import datetime
import time
import uuid

import pytest
from django.conf import settings
from django.core import mail

from config.celery import app as celery_app
from kpi import services
from kpi.models import Notification, NotificationKind
from tests.factories import kpi_by_code

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(settings):
    settings.KPI_TODAY = datetime.date(2025, 4, 10)
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(settings.CELERY_BROKER_URL or "redis://127.0.0.1:6379/0").ping()
    except redis.exceptions.ConnectionError:  # CI starts Redis (.ci/run); say so plainly elsewhere
        pytest.fail(f"Redis is not running at {settings.CELERY_BROKER_URL}: start it to run this test.")
    from celery.contrib.testing.worker import start_worker

    queue = f"kpi-test-{uuid.uuid4().hex[:8]}"  # never take another run's messages
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "task_default_queue", "broker_url")}
    celery_app.conf.update(
        task_always_eager=False,
        task_default_queue=queue,
        broker_url=settings.CELERY_BROKER_URL or "redis://127.0.0.1:6379/0",
    )
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=10):
            yield
    finally:
        celery_app.conf.update(saved)


def wait_for(condition, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_return_is_e_mailed_by_the_worker(worker, seeded_plan, periods, staff, supervisor):
    staff.email = "staff@example.gov.tw"
    staff.save()
    report = services.report_save(
        indicator=kpi_by_code("2-1"), period=periods["114Q1"], user=staff, actual="5", narrative="已辦理。", submit=True
    )
    mail.outbox.clear()
    services.report_return(report=report, user=supervisor, comment="請補附簽到表。")  # commits: the task is queued

    assert wait_for(lambda: any(m.to == ["staff@example.gov.tw"] for m in mail.outbox)), "no e-mail arrived"
    (message,) = [m for m in mail.outbox if m.to == ["staff@example.gov.tw"]]
    assert "請補附簽到表。" in message.body
    notification = Notification.objects.get(recipient=staff, kind=NotificationKind.RETURNED)
    assert wait_for(lambda: Notification.objects.filter(pk=notification.pk, sent_at__isnull=False).exists())
    assert settings.CELERY_BROKER_URL.startswith("redis://")


def test_a_comment_arrives_in_the_inbox_and_by_e_mail_through_the_worker(
    worker, seeded_plan, periods, staff, supervisor
):
    staff.email = "staff@example.gov.tw"
    staff.save()
    report = services.report_save(
        indicator=kpi_by_code("2-1"), period=periods["114Q1"], user=staff, actual="5", narrative="已辦理。", submit=True
    )
    mail.outbox.clear()
    services.report_comment(report=report, user=supervisor, text="第 3 場的簽到表請再確認。")

    notification = Notification.objects.get(recipient=staff, kind=NotificationKind.COMMENTED)  # the inbox: at once
    assert notification.read_at is None
    assert wait_for(lambda: any("第 3 場的簽到表請再確認。" in m.body for m in mail.outbox)), "no e-mail arrived"
    assert wait_for(lambda: Notification.objects.filter(pk=notification.pk, sent_at__isnull=False).exists())
