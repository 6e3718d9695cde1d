"""Security settings as a city's IT office will check them."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.urls import reverse

from kpi.models import Evidence, PeriodEvent, ProgressReport, ReportEvent, ReportingPeriod, TargetRevision

ROOT = Path(__file__).resolve().parent.parent


def _production_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DEBUG", "SECRET_KEY", "DATABASE_URL"))}
    env.update(
        ENV_FILE="",
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="off",
        SECRET_KEY="x7!Qm2#pL9vR4$tY8wZ1cB6nH3jK5sD0fG&aE@uI*oP^lM%qWr3Tz8Kx2Nv6Bm1Jh4",
        ALLOWED_HOSTS="kpi.example.gov.tw",
    )
    env.update(extra)
    return env


def test_production_settings_pass_the_deploy_check_with_no_warning():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_refuses_the_demo_mode():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=_production_env(DEMO_MODE="on"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "plans.E001" in result.stdout + result.stderr


def test_production_settings_are_secure_by_default():
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS,"
        " s.SESSION_COOKIE_AGE, s.SESSION_SAVE_EVERY_REQUEST, s.X_FRAME_OPTIONS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup();" + code],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "31536000", "1800", "True", "DENY"]


def test_pages_carry_a_content_security_policy_without_inline_script(client, staff):
    client.force_login(staff)
    for url in ["/", reverse("kpi:my_updates"), reverse("login")]:
        policy = client.get(url)["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
        assert directives["script-src"] == "'self'"
        assert "unsafe-inline" not in directives["script-src"] and "unsafe-eval" not in policy
        assert directives["frame-ancestors"] == "'none'"
        assert directives["object-src"] == "'none'"


SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def _our_templates():
    for base in [ROOT / "templates", *ROOT.glob("*/templates")]:
        yield from (p for p in base.rglob("*.html") if ".venv" not in p.parts)


def test_no_template_has_inline_script_or_event_handlers():
    offenders = []
    for path in _our_templates():
        text = path.read_text(encoding="utf-8")
        for attrs in SCRIPT_TAG.findall(text):
            if "src=" not in attrs and "application/json" not in attrs:
                offenders.append(f"{path.relative_to(ROOT)}: inline <script{attrs}>")
        if INLINE_HANDLER.search(re.sub(r"\{[%{].*?[%}]\}", "", text)):
            offenders.append(f"{path.relative_to(ROOT)}: inline event handler")
    assert not offenders, "\n".join(offenders)


def _attempt(client, password):
    return client.post(reverse("login"), {"username": "staff", "password": password}, REMOTE_ADDR="10.0.0.5")


def test_repeated_failed_sign_ins_lock_the_account_from_that_address(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _attempt(client, "wrong").status_code == 200
    locked = _attempt(client, "wrong")
    assert locked.status_code == 429
    assert "locked" in locked.content.decode().lower() or "鎖定" in locked.content.decode()
    # Even the right password is refused while locked.
    assert _attempt(client, "pw-staff").status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_successful_sign_in_resets_the_failure_count(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _attempt(client, "wrong")
    assert _attempt(client, "pw-staff").status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _attempt(client, "wrong").status_code == 200


def test_health_check_reports_the_database(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.parametrize(
    "model",
    [TargetRevision, ReportEvent, PeriodEvent, ProgressReport, Evidence, ReportingPeriod],
    ids=lambda m: m.__name__,
)
def test_the_record_cannot_be_edited_or_deleted_in_admin(rf, admin_user, model):
    request = rf.get("/admin/")
    request.user = admin_user
    model_admin = admin.site._registry[model]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
