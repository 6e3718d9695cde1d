"""The settings a fault test's gunicorn runs with: production's (config/settings.py, DEBUG off,
read from the environment the harness sets), except that static files are served as they lie
in the source tree rather than from a `collectstatic` manifest the tests do not build."""

from config.settings import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
