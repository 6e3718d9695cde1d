"""The Celery application: mail and other slow work, outside the request.

Run a worker and the scheduler beside the web server (README, "Deployment"):

    .venv/bin/celery -A config worker --loglevel=INFO
    .venv/bin/celery -A config beat --loglevel=INFO

Its settings are Django's `CELERY_*` settings (config/settings.py): the broker is Redis
(`CELERY_BROKER_URL`); without one (the SQLite demo) tasks run eagerly, in the process.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("kpi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
