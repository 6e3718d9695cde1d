"""The production settings, loaded in a fresh interpreter from a controlled environment.

Each case runs `python -c` with DJANGO_SETTINGS_MODULE=config.settings and an
environment built from scratch: no SECRET_KEY, DEBUG, DATABASE_URL … unless the case sets
them, and ENV_FILE="" so that a developer's `.env` cannot leak in (the settings read
`.env` with overwrite=False, so a SECRET_KEY there would otherwise mask a missing one).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Variables config/settings.py reads; none of them may come from the outer environment.
SETTINGS_VARIABLES = {
    "ENV_FILE",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DEMO_MODE",
    "DATABASE_URL",
    "CACHE_URL",
    "MEDIA_ROOT",
    "EMAIL_BACKEND",
    "EMAIL_URL",
    "DEFAULT_FROM_EMAIL",
    "LOG_LEVEL",
    "DJANGO_SETTINGS_MODULE",
}

PRINT_SETTINGS = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECRET_KEY": settings.SECRET_KEY,
    "ENGINE": db["ENGINE"],
    "NAME": str(db["NAME"]),
    "HOST": db.get("HOST", ""),
    "PORT": db.get("PORT", ""),
    "USER": db.get("USER", ""),
    "LANGUAGE_CODE": settings.LANGUAGE_CODE,
    "LANGUAGES": settings.LANGUAGES,
    "TIME_ZONE": settings.TIME_ZONE,
    "USE_TZ": settings.USE_TZ,
    "USE_I18N": settings.USE_I18N,
}, default=str))
"""


def run_settings(code=PRINT_SETTINGS, **variables):
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "ENV_FILE": "", "DEBUG": "off"})
    env.update({key: value for key, value in variables.items() if value is not None})
    for key, value in variables.items():
        if value is None:
            env.pop(key, None)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def load_settings(**variables):
    result = run_settings(**variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_secret_key_is_required_when_debug_is_off():
    result = run_settings()
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def manage(*arguments):
    """`manage.py <arguments>` on a fresh clone: no .env, no SECRET_KEY, DEBUG off."""
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS_VARIABLES}
    env.update({"ENV_FILE": "", "DEBUG": "off"})
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *arguments], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_commands_that_only_read_the_code_run_without_a_secret_key():
    result = manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_commands_that_touch_the_database_or_serve_still_need_a_secret_key():
    result = manage("migrate", "--plan")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_an_empty_secret_key_counts_as_missing():
    result = run_settings(SECRET_KEY="")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_debug_defaults_to_off():
    result = run_settings(DEBUG=None)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_secret_key_from_the_environment():
    settings = load_settings(SECRET_KEY="a-production-secret")
    assert settings["DEBUG"] is False
    assert settings["SECRET_KEY"] == "a-production-secret"


def test_debug_on_falls_back_to_an_insecure_local_key():
    settings = load_settings(DEBUG="on")
    assert settings["DEBUG"] is True
    assert settings["SECRET_KEY"]
    assert "insecure" in settings["SECRET_KEY"]


def test_database_defaults_to_sqlite():
    settings = load_settings(SECRET_KEY="k")
    assert settings["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(settings["NAME"]) == ROOT / "db.sqlite3"


def test_database_url_selects_postgresql():
    settings = load_settings(SECRET_KEY="k", DATABASE_URL="postgres://kpi:secret@db.example:5433/kpi")
    assert settings["ENGINE"] == "django.db.backends.postgresql"
    assert settings["NAME"] == "kpi"
    assert settings["HOST"] == "db.example"
    assert str(settings["PORT"]) == "5433"
    assert settings["USER"] == "kpi"


def test_language_and_time_zone():
    settings = load_settings(SECRET_KEY="k")
    assert settings["LANGUAGE_CODE"] == "zh-hant"
    codes = [code for code, _ in settings["LANGUAGES"]]
    assert codes[0] == "zh-hant"
    assert "en" in codes
    assert dict(settings["LANGUAGES"])["en"] == "English"
    assert settings["TIME_ZONE"] == "Asia/Taipei"
    assert settings["USE_TZ"] is True
    assert settings["USE_I18N"] is True


@pytest.fixture
def env_file(tmp_path):
    path = tmp_path / "env"
    path.write_text("SECRET_KEY=from-the-env-file\nDATABASE_URL=postgres://u:p@filehost:5432/filedb\n")
    return path


def test_an_env_file_fills_in_what_the_environment_does_not_set(env_file):
    settings = load_settings(ENV_FILE=str(env_file))
    assert settings["SECRET_KEY"] == "from-the-env-file"
    assert settings["ENGINE"] == "django.db.backends.postgresql"


def test_the_real_environment_beats_the_env_file(env_file):
    settings = load_settings(ENV_FILE=str(env_file), SECRET_KEY="from-the-environment", DATABASE_URL="sqlite:///x.db")
    assert settings["SECRET_KEY"] == "from-the-environment"
    assert settings["ENGINE"] == "django.db.backends.sqlite3"


PRINT_CACHE = """
import json
from django.conf import settings
print(json.dumps(settings.CACHES["default"]))
"""


def load_cache(**variables):
    result = run_settings(PRINT_CACHE, SECRET_KEY="x", **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_cache_is_redis_by_default_with_short_timeouts():
    cache = load_cache()
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == "redis://127.0.0.1:6379/1"
    assert cache["OPTIONS"] == {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def test_cache_url_picks_the_redis_server_and_its_options():
    cache = load_cache(CACHE_URL="redis://cache.internal:6380/3?socket_timeout=2")
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == "redis://cache.internal:6380/3"
    assert cache["OPTIONS"] == {"socket_timeout": 2, "socket_connect_timeout": 0.5}


@pytest.mark.parametrize("variables", [{"CACHE_URL": ""}, {"DEMO_MODE": "on"}], ids=["empty", "demo"])
def test_the_cache_is_local_memory_when_empty_or_in_the_demo(variables):
    assert load_cache(**variables)["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_the_demo_may_still_name_a_cache():
    cache = load_cache(DEMO_MODE="on", CACHE_URL="redis://127.0.0.1:6379/2")
    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
