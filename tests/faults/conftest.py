"""Fixtures for the fault tests (marker `faults`): the harness of tests/faults/harness.py.

The PostgreSQL tests need PostgreSQL's programs and root (to run them as the postgres user);
they run in the suite's PostgreSQL pass (DATABASE_URL=postgres://…) and are skipped in the
SQLite pass, where the SQLite tests run instead. Each pytest-xdist worker has its own cluster
on its own free port; each test its own database, copied from a migrated and seeded template.
"""

from __future__ import annotations

import shutil
import uuid

import pytest
from django.conf import settings

from tests.faults.harness import PrivateCluster, Server, prepare_database

REPORTERS = 20


def suite_engine() -> str:
    return settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]


only_on_postgresql = pytest.mark.skipif(
    suite_engine() != "postgresql",
    reason="needs PostgreSQL's programs: runs in the PostgreSQL pass (DATABASE_URL=postgres://…)",
)
only_on_sqlite = pytest.mark.skipif(
    suite_engine() != "sqlite3", reason="the SQLite settings are tested in the SQLite pass of the suite"
)


@pytest.fixture(scope="session")
def pg_cluster():
    """A private cluster for this worker, with a migrated and seeded template database."""
    with PrivateCluster() as cluster:
        seed = prepare_database(cluster.create_database("kpi_template"), REPORTERS)
        yield cluster, seed


@pytest.fixture
def pg_database(pg_cluster):
    """(cluster, database name, database URL, seed) for one test."""
    cluster, seed = pg_cluster
    name = "kpi_" + uuid.uuid4().hex[:8]
    return cluster, name, cluster.create_database(name, template="kpi_template"), seed


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite-template") / "kpi.sqlite3"
    seed = prepare_database(f"sqlite:///{path}", REPORTERS)
    return path, seed


@pytest.fixture
def sqlite_database(sqlite_template, tmp_path):
    """(file, database URL, seed) for one test: a copy of the seeded template."""
    template, seed = sqlite_template
    path = tmp_path / "kpi.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        if template.with_name(template.name + suffix).exists():
            shutil.copy(template.with_name(template.name + suffix), path.with_name(path.name + suffix))
    return path, f"sqlite:///{path}", seed


@pytest.fixture
def serve():
    """serve(database_url, **env) starts gunicorn; stopped after the test, its log printed
    (pytest shows it when the test fails)."""
    servers: list[Server] = []

    def _serve(database_url: str, **env) -> Server:
        server = Server(database_url, **env)
        servers.append(server)
        server.start()
        return server

    yield _serve
    for server in servers:
        server.stop()
        print(f"--- gunicorn log (port {server.port}) ---\n{server.log_text()[-20000:]}")
        server.cleanup()
