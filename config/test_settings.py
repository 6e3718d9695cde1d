"""Settings for the test suite: the production settings plus test speed-ups."""

import os

os.environ.setdefault("ENV_FILE", "")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
# The cache is Redis, as in production (db 1 of the local Redis, the broker's is 0).
os.environ.setdefault("CACHE_URL", "redis://127.0.0.1:6379/1")

from config.settings import *  # noqa: E402,F403

DEMO_MODE = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The test client speaks plain HTTP; the deploy settings are checked in tests/test_settings.py.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}  # noqa: F405
# Tasks run at once in the test process; the test that runs a real worker against Redis
# (tests/test_celery_worker.py) turns this off for itself.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = False
# Each test process (an xdist worker, another checkout's run) keeps its keys apart; tests/conftest.py
# deletes this prefix's keys around every test, never the whole Redis database.
CACHES["default"]["KEY_PREFIX"] = f"kpi-test-{os.getpid()}"  # noqa: F405
