"""A backup taken while people are saving restores to a consistent state.

Writer threads file, submit, review, return, reopen reports and attach evidence through the
services, each step its own transaction, while `scripts/backup.sh` runs (`pg_dump`, one
snapshot, then a tar of MEDIA_ROOT). The dump and the files are restored into a new
database and directory with `scripts/restore.sh`, and the copy is checked:

- the SQL consistency checks below (each counts the rows that break a rule the services
  keep) all find nothing, on the copy as on the live database;
- the copy is a moment of the live database: every report's record in the copy is the
  beginning of its live record, and the writers had moved on while the dump ran;
- every evidence row of the copy has its file, with the recorded SHA-256
  (`manage.py check_evidence` against the copy: files uploaded after the snapshot are
  files without a row there, which is expected and harmless);
- the copy takes new writes (its sequences are ahead of its ids).

PostgreSQL only. About 15–25 s on two shared cores.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections, connection, transaction

from kpi import services
from kpi.models import Indicator, IndicatorKind, ProgressReport, ReportStatus, Unit

pytestmark = [pytest.mark.faults]

ROOT = Path(__file__).resolve().parent.parent
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
WRITERS = 4
INDICATORS_PER_WRITER = 3

# The actions that move `version` on by one each. (`edited` can merge several saves by the
# same person within minutes into one event; here every edit is followed by a submission,
# so each `edited` event is one save.) `created` is version 1; evidence and comments do not
# change the report.
VERSION_ACTIONS = "('edited','submitted','resubmitted','first_approved','approved','returned','reopened')"
STATUS_ACTIONS = "('submitted','resubmitted','first_approved','approved','returned','reopened')"
STATUS_AFTER = """CASE e.action WHEN 'submitted' THEN 'submitted' WHEN 'resubmitted' THEN 'submitted'
    WHEN 'first_approved' THEN 'first_approved' WHEN 'approved' THEN 'approved'
    WHEN 'returned' THEN 'returned' WHEN 'reopened' THEN 'returned' END"""

# Each query counts the rows that break one rule; all must be 0.
CONSISTENCY_CHECKS = {
    "report without its indicator or period": """
        SELECT count(*) FROM kpi_progressreport r
        LEFT JOIN kpi_indicator i ON i.id = r.indicator_id
        LEFT JOIN kpi_reportingperiod p ON p.id = r.period_id
        WHERE i.id IS NULL OR p.id IS NULL""",
    "report without exactly one 'created' event": """
        SELECT count(*) FROM kpi_progressreport r
        WHERE (SELECT count(*) FROM kpi_reportevent e WHERE e.report_id = r.id AND e.action = 'created') <> 1""",
    "version not 1 + the events that change it": f"""
        SELECT count(*) FROM kpi_progressreport r
        WHERE r.version <> 1 + (SELECT count(*) FROM kpi_reportevent e
                                WHERE e.report_id = r.id AND e.action IN {VERSION_ACTIONS})""",
    "status not the one its last review event left": f"""
        SELECT count(*) FROM kpi_progressreport r
        WHERE r.status <> coalesce((SELECT {STATUS_AFTER} FROM kpi_reportevent e
                                    WHERE e.report_id = r.id AND e.action IN {STATUS_ACTIONS}
                                    ORDER BY e.id DESC LIMIT 1), 'draft')""",
    "status without the people it needs": """
        SELECT count(*) FROM kpi_progressreport r
        WHERE (r.status <> 'draft' AND (r.submitted_by_id IS NULL OR r.submitted_at IS NULL))
           OR (r.status = 'approved' AND (r.reviewed_by_id IS NULL OR r.reviewed_at IS NULL))
           OR (r.status = 'returned' AND (r.reviewed_by_id IS NULL OR r.review_comment = ''))
           OR (r.status = 'first_approved' AND r.first_reviewed_by_id IS NULL)
           OR (r.status IN ('submitted', 'returned', 'draft') AND r.first_reviewed_by_id IS NOT NULL)""",
    "evidence rows and 'evidence_added' events differ": """
        SELECT count(*) FROM kpi_progressreport r
        WHERE (SELECT count(*) FROM kpi_evidence v WHERE v.report_id = r.id)
           <> (SELECT count(*) FROM kpi_reportevent e WHERE e.report_id = r.id AND e.action = 'evidence_added')""",
    "evidence with neither or both of a file and a link, or a file without its checksum": """
        SELECT count(*) FROM kpi_evidence
        WHERE (file = '') = (url = '') OR (file <> '' AND (length(sha256) <> 64 OR size <= 0))""",
    "corrections not matching reopenings, or 'correcting' without one open correction": """
        SELECT count(*) FROM kpi_progressreport r
        WHERE (SELECT count(*) FROM kpi_reportcorrection c WHERE c.report_id = r.id)
              <> (SELECT count(*) FROM kpi_reportevent e WHERE e.report_id = r.id AND e.action = 'reopened')
           OR r.correcting <> EXISTS (SELECT 1 FROM kpi_reportcorrection c
                                      WHERE c.report_id = r.id AND c.resolved_at IS NULL)""",
    "constraint not validated": "SELECT count(*) FROM pg_constraint WHERE NOT convalidated",
    "sequence behind its ids (the next insert would collide)": """
        SELECT count(*) FROM (VALUES
            ('kpi_progressreport'), ('kpi_reportevent'), ('kpi_evidence'), ('kpi_reportcorrection')) t(name)
        WHERE (xpath('/row/m/text()', query_to_xml(format('SELECT coalesce(max(id), 0) AS m FROM %I', name),
                                                   false, true, '')))[1]::text::bigint
              > coalesce((SELECT last_value FROM pg_sequences
                          WHERE format('%I.%I', schemaname, sequencename)::regclass
                                = pg_get_serial_sequence(name, 'id')::regclass), 0)""",
}


# A table pg_dump reads and the writers never touch (see the stall in the test).
STALL_TABLE = "django_admin_log"


def _pg_dump_waits(cursor) -> bool:
    # pg_locks is read afresh each time (pg_stat_activity would be frozen for our transaction);
    # nothing but pg_dump ever waits on this table.
    cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass", [STALL_TABLE])
    return cursor.fetchone()[0] > 0


def _wait_for(condition, process, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _dsn(name: str) -> str:
    s = connection.settings_dict
    return f"postgresql://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def _psql(dsn: str, sql: str) -> str:
    result = subprocess.run(["psql", dsn, "-XAt", "-v", "ON_ERROR_STOP=1", "-c", sql], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _violations(dsn: str) -> dict[str, int]:
    return {name: int(_psql(dsn, sql)) for name, sql in CONSISTENCY_CHECKS.items()}


def _records(dsn: str) -> dict[int, list[str]]:
    """Each report's record: its events' ids and actions in order."""
    rows = _psql(
        dsn, "SELECT report_id, string_agg(id || ':' || action, ',' ORDER BY id) FROM kpi_reportevent GROUP BY 1"
    )
    return {int(report): record.split(",") for report, record in (line.split("|") for line in rows.splitlines())}


class Writers:
    """Threads that each take their own reports round the whole workflow, step by step."""

    def __init__(self, indicators, period, staff, supervisor, planner):
        self.period, self.staff, self.supervisor, self.planner = period, staff, supervisor, planner
        self.groups = [indicators[n::WRITERS] for n in range(WRITERS)]
        self.stop = threading.Event()
        self.steps: list[float] = []  # when each step committed (monotonic)
        self.errors: list[BaseException] = []
        self.counter = itertools.count()
        self.threads = [threading.Thread(target=self._run, args=(group,), daemon=True) for group in self.groups]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in self.threads)

    def _run(self, indicators):
        try:
            while not self.stop.is_set():
                for indicator in indicators:
                    self._step(indicator)
                    self.steps.append(time.monotonic())
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    def _step(self, indicator):
        n = next(self.counter)
        report = ProgressReport.objects.filter(indicator=indicator, period=self.period).first()
        status = report.status if report else ReportStatus.DRAFT
        if status in (ReportStatus.DRAFT, ReportStatus.RETURNED):
            if report is not None:
                upload = SimpleUploadedFile(f"紀錄-{n}.pdf", PDF + f"% {n}\n".encode())
                services.evidence_add(report=report, user=self.staff, file=upload, description=f"第 {n} 份")
            services.report_save(  # a new draft, else an edit and a submission
                indicator=indicator,
                period=self.period,
                user=self.staff,
                actual=str(n % 7 + 1),
                narrative=f"第 {n} 次填報",
                shortfall_reason="進度落後",
                improvement_plan="加開場次",
                expected_version=report.version if report else None,
                submit=report is not None,
            )
        elif status == ReportStatus.SUBMITTED:
            if n % 4 == 0:
                services.report_return(report=report, user=self.supervisor, comment=f"請補充（{n}）")
            else:
                services.report_approve(report=report, user=self.supervisor)
        elif status == ReportStatus.FIRST_APPROVED:
            services.report_approve(report=report, user=self.planner)
        elif status == ReportStatus.APPROVED:
            services.report_reopen(report=report, user=self.planner, reason=f"更正第 {n} 次")


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
@pytest.mark.django_db(transaction=True)
def test_a_backup_taken_while_people_save_restores_consistent(
    staff, supervisor, planner, two_stages, periods, tmp_path, settings
):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump snapshots are PostgreSQL's; SQLite is the single-user demo")
    started = time.monotonic()
    settings.MEDIA_ROOT = tmp_path / "media"
    # A deliverable's (式) actual is a fraction; the writers file whole counts.
    mine = Indicator.objects.filter(department_plan__department__memberships__user=staff, kind=IndicatorKind.KPI)
    indicators = list(mine.exclude(unit=Unit.SET).order_by("pk")[: WRITERS * INDICATORS_PER_WRITER])
    assert len(indicators) == WRITERS * INDICATORS_PER_WRITER
    live = _dsn(connection.settings_dict["NAME"])
    backup_dir, restored_media = tmp_path / "backup", tmp_path / "restored-media"
    env = {
        **os.environ,
        "DATABASE_URL": live,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PATH": f"/usr/lib/postgresql/15/bin:{os.environ['PATH']}",
    }

    with Writers(indicators, periods[114, 1], staff, supervisor, planner) as writers:
        while len(writers.steps) < 40 and not writers.errors and time.monotonic() - started < 60:
            time.sleep(0.05)
        # pg_dump takes its snapshot, then locks each table to read it. Holding a lock on a
        # table the writers never touch stalls it between the two, for as long as it takes
        # the writers to commit a few more steps: writes certainly after the snapshot and
        # before the dump is done, however fast or slow the machine is.
        dump_started = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {STALL_TABLE} IN ACCESS EXCLUSIVE MODE")
            backup = subprocess.Popen(
                ["bash", str(ROOT / "scripts/backup.sh"), str(backup_dir)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            waiting = _wait_for(lambda: _pg_dump_waits(cursor), backup)
            steps_before = len(writers.steps)
            _wait_for(lambda: len(writers.steps) >= steps_before + 10 or writers.errors, backup)
            during = len(writers.steps) - steps_before
        out, err = backup.communicate(timeout=120)
        dump_ended = time.monotonic()
        time.sleep(0.3)  # and the writers go on after it
    assert not writers.errors, writers.errors
    assert backup.returncode == 0, err
    assert waiting and during >= 10, "no write committed while the backup ran: the test proved nothing"

    target = f"kpi_restore_{uuid.uuid4().hex[:8]}"
    user = connection.settings_dict["USER"]
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", user, target], check=True)
    try:
        restore = subprocess.run(
            [
                "bash",
                str(ROOT / "scripts/restore.sh"),
                str(next(backup_dir.glob("kpi-*.dump"))),
                str(next(backup_dir.glob("kpi-media-*.tar.gz"))),
            ],
            env={**env, "DATABASE_URL": _dsn(target), "MEDIA_ROOT": str(restored_media)},
            capture_output=True,
            text=True,
        )
        assert restore.returncode == 0, restore.stderr
        copy = _dsn(target)

        assert _violations(live) == dict.fromkeys(CONSISTENCY_CHECKS, 0)
        assert _violations(copy) == dict.fromkeys(CONSISTENCY_CHECKS, 0)

        # A moment of the live database: each record in the copy begins the live one.
        restored, now = _records(copy), _records(live)
        assert restored and set(restored) <= set(now)
        assert all(now[report][: len(record)] == record for report, record in restored.items())
        assert sum(map(len, now.values())) > sum(map(len, restored.values()))  # the writers moved on

        # The evidence files: every row of the copy has its file, unaltered.
        checked = subprocess.run(
            [str(ROOT / ".venv/bin/python"), "manage.py", "check_evidence", "--language", "en", "--min-age", "0"],
            cwd=ROOT,
            env={
                **env,
                "DATABASE_URL": copy,
                "MEDIA_ROOT": str(restored_media),
                "DJANGO_SETTINGS_MODULE": "config.test_settings",
            },
            capture_output=True,
            text=True,
        )
        rows_with_files = int(_psql(copy, "SELECT count(*) FROM kpi_evidence WHERE file <> ''"))
        assert rows_with_files > 0
        assert f"Rows with a file: {rows_with_files}" in checked.stdout, checked.stdout + checked.stderr
        assert "Rows whose file is missing: 0" in checked.stdout
        assert "Files whose content no longer matches the recorded SHA-256: 0" in checked.stdout
    finally:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", user, "--if-exists", target], check=False)
    print(
        f"\n{len(writers.steps)} steps by {WRITERS} writers, {during} after pg_dump's snapshot "
        f"({dump_ended - dump_started:.1f} s); whole test {time.monotonic() - started:.1f} s"
    )


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed")
@pytest.mark.django_db(transaction=True)
def test_the_backup_does_not_fail_while_a_file_is_being_uploaded(tmp_path, settings, seeded_plan):
    """tar says "file changed as we read it" (status 1) when an upload is being written or a
    directory gains a file while it reads; the backup must not fail for that, and must not
    carry the half-written temporary file."""
    if connection.vendor != "postgresql":
        pytest.skip("scripts/backup.sh dumps PostgreSQL")
    media = tmp_path / "media"
    directory = media / "evidence" / "2026" / "12"
    directory.mkdir(parents=True)
    (directory / "紀錄.pdf").write_bytes(PDF)
    stop = threading.Event()

    def upload_under_way():
        # What common.storage does for a big upload: a growing temporary file, then its name.
        n = 0
        while not stop.is_set():
            part = directory / f".upload-{n:08x}.part"
            with part.open("wb") as out:
                for _ in range(20):
                    out.write(b"x" * 4096)
                    out.flush()
            os.link(part, directory / f"上傳-{n}.pdf")
            part.unlink()
            if n >= 5:
                (directory / f"上傳-{n - 5}.pdf").unlink()  # a rolled-back upload's file going
            n += 1

    thread = threading.Thread(target=upload_under_way, daemon=True)
    thread.start()
    try:
        env = {**os.environ, "DATABASE_URL": _dsn(connection.settings_dict["NAME"]), "MEDIA_ROOT": str(media)}
        backup = subprocess.run(
            ["bash", str(ROOT / "scripts/backup.sh"), str(tmp_path / "backup")], env=env, capture_output=True, text=True
        )
    finally:
        stop.set()
        thread.join(timeout=10)
    assert backup.returncode == 0, backup.stderr
    listing = subprocess.run(
        ["tar", "-tzf", str(next((tmp_path / "backup").glob("kpi-media-*.tar.gz")))],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert "./evidence/2026/12/紀錄.pdf" in listing
    assert not [name for name in listing if name.endswith(".part")]


@pytest.mark.django_db
def test_the_consistency_checks_catch_broken_records(staff, supervisor, periods):
    """The checks are not vacuous: each kind of break is counted."""
    if connection.vendor != "postgresql":
        pytest.skip("the checks are PostgreSQL SQL")
    kpi = Indicator.objects.filter(kind=IndicatorKind.KPI).exclude(unit=Unit.SET).first()
    report = services.report_save(
        indicator=kpi,
        period=periods[114, 1],
        user=staff,
        actual="3",
        narrative="三場",
        shortfall_reason="延期",
        improvement_plan="補開",
    )
    services.evidence_add(report=report, user=staff, url="https://www.klcg.gov.tw/")
    report = services.report_submit(report=report, user=staff, expected_version=report.version)

    def violations():
        with connection.cursor() as cursor:
            found = {}
            for name, sql in CONSISTENCY_CHECKS.items():
                cursor.execute(sql)  # no parameters: the % of format() stay as they are
                found[name] = cursor.fetchone()[0]
        return {name: count for name, count in found.items() if count}

    assert violations() == {}
    ProgressReport.objects.filter(pk=report.pk).update(version=report.version + 1)
    assert list(violations()) == ["version not 1 + the events that change it"]
    ProgressReport.objects.filter(pk=report.pk).update(version=report.version, status=ReportStatus.RETURNED)
    assert set(violations()) == {
        "status not the one its last review event left",
        "status without the people it needs",
    }
    ProgressReport.objects.filter(pk=report.pk).update(status=ReportStatus.SUBMITTED)
    report.evidence.all().delete()
    assert list(violations()) == ["evidence rows and 'evidence_added' events differ"]
