"""gunicorn listens on 127.0.0.1 unless BIND says otherwise (config/gunicorn.conf.py).

Behind the proxy SECURE_PROXY_SSL_HEADER=on trusts X-Forwarded-Proto, so whoever reaches
gunicorn directly could claim HTTPS: by default only this machine can. The conf file is
read as gunicorn reads it (executed as a Python file) in a fresh interpreter whose
environment holds nothing but what each case sets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[1] / "config" / "gunicorn.conf.py"
READ = f"import json, runpy; print(json.dumps(runpy.run_path({str(CONF)!r})['bind']))"


def bind(**environment) -> list[str]:
    env = {"PATH": os.environ.get("PATH", ""), **environment}  # a clean environment: no BIND, PORT …
    result = subprocess.run([sys.executable, "-c", READ], env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_by_default_gunicorn_listens_on_this_machine_only():
    assert bind() == ["127.0.0.1:8000"]


def test_port_moves_the_default_address_and_not_its_host():
    assert bind(PORT="9000") == ["127.0.0.1:9000"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10.0.0.5:8000", ["10.0.0.5:8000"]),
        ("0.0.0.0:8080", ["0.0.0.0:8080"]),
        ("unix:/run/kpi/gunicorn.sock", ["unix:/run/kpi/gunicorn.sock"]),
        ("127.0.0.1:8000, [::1]:8000", ["127.0.0.1:8000", "[::1]:8000"]),
    ],
)
def test_bind_is_honoured_and_wins_over_port(value, expected):
    assert bind(BIND=value, PORT="9000") == expected


def setting(name: str, **environment):
    env = {"PATH": os.environ.get("PATH", ""), **environment}
    read = f"import json, runpy; print(json.dumps(runpy.run_path({str(CONF)!r})[{name!r}]))"
    result = subprocess.run([sys.executable, "-c", read], env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_each_connection_is_closed_after_its_answer_by_default():
    # A kept-alive connection stays with the gthread worker that accepted it; closed after each
    # answer, every request goes to whichever worker is free (the module says why).
    assert setting("keepalive") == 0
    assert setting("keepalive", GUNICORN_KEEPALIVE="5") == 5
    assert setting("worker_class") == "gthread"
