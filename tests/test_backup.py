"""Exporting all data and importing it into an empty database loses nothing."""

import datetime
import io
import json
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from kpi import services
from kpi.models import Indicator, ReportingPeriod
from kpi.services import target_set

ROOT = Path(__file__).resolve().parent.parent
EXCLUDE = ["contenttypes", "auth.permission", "sessions", "admin.logentry", "axes"]


def _history(staff, supervisor, planner, tmp_path, settings):
    """A plan with reports in every state, evidence, a revised target and a locked period."""
    settings.MEDIA_ROOT = tmp_path / "media"
    indicator = Indicator.objects.get(objective__number=1, number=5, department_plan__department__name="都市發展處")
    target_set(indicator=indicator, year=114, value="6", reason="市港再生平台加開", user=planner)
    q1, q2 = (ReportingPeriod.objects.get(plan=indicator.department_plan.plan, year=114, number=n) for n in (1, 2))
    report = services.report_save(
        indicator=indicator,
        period=q1,
        user=staff,
        actual="2",
        narrative="召開 2 場。",
        shortfall_reason="延期",
        improvement_plan="補開",
    )
    pdf = SimpleUploadedFile("紀錄.pdf", b"%PDF-1.4\n%backup test\n", content_type="application/pdf")
    services.evidence_add(report=report, user=staff, file=pdf, description="會議紀錄")
    report = services.report_submit(report=report, user=staff, expected_version=report.version)
    report = services.report_return(report=report, user=supervisor, comment="請補附件", expected_version=report.version)
    report = services.report_save(
        indicator=indicator,
        period=q1,
        user=staff,
        actual="3",
        narrative="召開 3 場。",
        expected_version=report.version,
        submit=True,
    )
    services.report_approve(report=report, user=supervisor, expected_version=report.version)
    services.report_save(indicator=indicator, period=q2, user=staff, actual="4", narrative="草稿")
    services.period_lock(period=q1, user=planner)


ISO_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$")


def _same_instant(value):
    """dumpdata writes times to the millisecond, and drops ".000": compare the instants."""
    if isinstance(value, str) and ISO_DATETIME.match(value):
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000).isoformat()
    return value


def _dump() -> dict:
    out = io.StringIO()
    call_command("dumpdata", exclude=EXCLUDE, natural_foreign=True, stdout=out)
    rows = json.loads(out.getvalue())
    return {(r["model"], r["pk"]): {k: _same_instant(v) for k, v in r["fields"].items()} for r in rows}


@pytest.mark.django_db(transaction=True)
def test_dumpdata_into_an_empty_database_loses_nothing(staff, supervisor, planner, tmp_path, settings, seeded_plan):
    _history(staff, supervisor, planner, tmp_path, settings)
    before = _dump()
    export = tmp_path / "export.json"
    call_command("dumpdata", exclude=EXCLUDE, natural_foreign=True, output=str(export))

    call_command("flush", interactive=False, verbosity=0)
    assert Indicator.objects.count() == 0
    call_command("loaddata", str(export), verbosity=0)

    after = _dump()
    assert after == before
    assert {model for model, _ in before} >= {
        "kpi.progressreport",
        "kpi.reportevent",
        "kpi.evidence",
        "kpi.targetrevision",
        "kpi.periodevent",
        "kpi.yearlytarget",
        "plans.membership",
        "auth.user",
    }


def _pg_dsn(name: str) -> str:
    s = connection.settings_dict
    return f"postgresql://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
@pytest.mark.django_db(transaction=True)
def test_pg_dump_backup_restores_into_an_empty_database(staff, supervisor, planner, tmp_path, settings, seeded_plan):
    if connection.vendor != "postgresql":
        pytest.skip("the pg_dump backup is for PostgreSQL")
    _history(staff, supervisor, planner, tmp_path, settings)
    source = _pg_dsn(connection.settings_dict["NAME"])
    target_name = f"kpi_restore_{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": source, "MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    subprocess.run(
        ["bash", str(ROOT / "scripts/backup.sh"), str(tmp_path / "backup")], env=env, check=True, timeout=120
    )
    dump = next((tmp_path / "backup").glob("kpi-*.dump"))
    media_tar = next((tmp_path / "backup").glob("kpi-media-*.tar.gz"))
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", connection.settings_dict["USER"], target_name], check=True)
    try:
        restored_media = tmp_path / "restored-media"
        env = {**os.environ, "DATABASE_URL": _pg_dsn(target_name), "MEDIA_ROOT": str(restored_media)}
        subprocess.run(
            ["bash", str(ROOT / "scripts/restore.sh"), str(dump), str(media_tar)], env=env, check=True, timeout=120
        )
        tables = connection.introspection.table_names()

        def counts(dsn):
            query = ";".join(f"SELECT '{t}', count(*) FROM \"{t}\"" for t in tables)
            result = subprocess.run(["psql", dsn, "-At", "-c", query], capture_output=True, text=True, check=True)
            return result.stdout

        assert counts(_pg_dsn(target_name)) == counts(source)
        assert sorted(p.name for p in restored_media.rglob("*.pdf")) == sorted(
            p.name for p in Path(settings.MEDIA_ROOT).rglob("*.pdf")
        )
    finally:
        subprocess.run(
            ["dropdb", "-h", "127.0.0.1", "-U", connection.settings_dict["USER"], "--if-exists", target_name]
        )
