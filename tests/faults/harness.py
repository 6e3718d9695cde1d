"""Real processes for fault tests: a private PostgreSQL cluster, a migrated and seeded database,
and the app under gunicorn as in production.

Nothing here touches the shared PostgreSQL at 127.0.0.1:5432: a test that restarts or stops
the database does so to a cluster of its own, on a free port, in a temporary directory, so
that it runs beside the rest of the suite and under pytest-xdist.

    with PrivateCluster() as cluster:
        url = cluster.create_database("kpi")
        seeded = prepare_database(url, reporters=3)      # migrate + tests/faults/seed.py
        with Server(url, workers=2) as server:
            requests.get(server.url("/healthz"))
            cluster.restart()

`prepare_database` also takes a SQLite URL (``sqlite:////tmp/x.sqlite3``). The fixtures in
tests/faults/conftest.py wrap these for the tests in that folder; other tests may use the
classes directly.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
# What the harness's server thinks today is: 民國114年第1季 is open and due.
TODAY = "2025-04-10"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(condition, seconds: float = 30, step: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(step)
    raise TimeoutError(f"gave up waiting for {what} after {seconds} s")


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of the app in production (config/settings.py reads it), DEBUG off."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_", "DATABASE_")) and key != "ENV_FILE"
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.faults.server_settings",
            "ENV_FILE": "",
            "SECRET_KEY": "fault-test-" + os.urandom(8).hex(),
            "DEBUG": "off",
            "HTTPS": "off",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": "",  # tasks run in the request: no Redis needed here
            "KPI_TODAY": TODAY,
            "LOG_LEVEL": "WARNING",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(extra)
    return env


def prepare_database(database_url: str, reporters: int) -> dict:
    """Migrate and seed (tests/faults/seed.py); returns the seed's tokens and report pairs."""
    env = app_env(database_url)
    subprocess.run([PYTHON, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run(
        [PYTHON, "-m", "tests.faults.seed", str(reporters)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout)


# --- PostgreSQL ---------------------------------------------------------------------------


class PrivateCluster:
    """A PostgreSQL 15 cluster of the test's own (initdb as the postgres user, trust auth),
    listening on 127.0.0.1 at a free port; stopped and removed on exit."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="kpi-faults-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self.port = free_port()
        self.log = self.dir / "postgres.log"

    def _as_postgres(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *command], check=check, capture_output=True, text=True
        )

    def _pg_ctl(self, action: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        return self._as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            action,
            *args,
            check=check,
        )

    def init(self) -> PrivateCluster:
        self._as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-N")
        return self

    def start(self) -> None:
        self._pg_ctl("start")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("stop", "-m", mode)

    def restart(self, mode: str = "fast") -> None:
        """As an operator's restart: sessions ended (fast) or cut (immediate), then back."""
        self._pg_ctl("restart", "-m", mode)

    def is_running(self) -> bool:
        return self._pg_ctl("status", check=False).returncode == 0

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres", autocommit: bool = True):
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=dbname)
        conn.autocommit = autocommit
        return conn

    def create_database(self, name: str, template: str | None = None) -> str:
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        finally:
            conn.close()
        return self.url(name)

    def cleanup(self) -> None:
        if self.is_running():
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> PrivateCluster:
        self.init()
        try:
            self.start()
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.cleanup()


# --- gunicorn -----------------------------------------------------------------------------


class Server:
    """The app under gunicorn with config/gunicorn.conf.py, on a free port; its output goes to
    `log` (read it when a test fails)."""

    def __init__(self, database_url: str, *, workers: int = 2, threads: int = 4, **env: str):
        self.port = free_port()
        self.env = app_env(
            database_url,
            PORT=str(self.port),
            WEB_CONCURRENCY=str(workers),
            GUNICORN_THREADS=str(threads),
            **env,
        )
        self.workers = workers
        self.log = Path(tempfile.mkstemp(prefix="kpi-faults-gunicorn-", suffix=".log")[1])
        self.process: subprocess.Popen | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [GUNICORN, "-c", "config/gunicorn.conf.py", "config.wsgi"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_until(self._answers, 120, what="gunicorn to answer")
            wait_until(lambda: len(self.worker_pids()) == self.workers, 30, what="gunicorn's workers")
        except BaseException:
            self.stop()
            raise

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{self.log_text()}")
        try:
            return requests.get(self.url("/healthz"), timeout=10).status_code in (200, 503)
        except requests.RequestException:  # not listening yet, or too busy starting to answer
            return False

    def worker_pids(self) -> list[int]:
        """gunicorn's workers: the master's children."""
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid …; comm may hold spaces, so split after the last ")".
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == self.process.pid and fields[0] != "Z":
                pids.append(int(entry.name))
        return sorted(pids)

    def worker_with_local_port(self, port: int) -> int | None:
        """The worker holding the TCP socket whose local port is `port` (e.g. its connection to
        the database, whose client port pg_stat_activity shows)."""
        inodes = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
        for pid in self.worker_pids():
            try:
                fds = list(Path(f"/proc/{pid}/fd").iterdir())
            except OSError:
                continue
            for fd in fds:
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return pid
        return None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def cleanup(self) -> None:
        self.stop()
        self.log.unlink(missing_ok=True)

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.cleanup()


def api_session(token: str) -> requests.Session:
    session = requests.Session()
    session.headers.update({"Authorization": f"Token {token}", "Accept": "application/json"})
    return session
