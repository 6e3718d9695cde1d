"""Settings for the benchmark and the load test: production settings against the bench database.

DEBUG off, no `.env` (a developer's DEBUG=on would change what is measured), the
database from DATABASE_URL (bench/benchmark.py and bench/load.py set it to
kpi_bench_<N> on 127.0.0.1), HTTPS behind a proxy (clients send X-Forwarded-Proto:
https, as the city's reverse proxy would), and "today" fixed at 2025-12-28 so that the plan's last
year (114) is the year in progress and the dashboards take their fullest path (pace,
at-risk, overdue). The only departure from production: static files are served
without the hashed manifest, so that no `collectstatic` run is needed first.
"""

import os
import warnings

os.environ.setdefault("ENV_FILE", "")
os.environ.setdefault("DEBUG", "off")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-never-use-in-production")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kpi_bench_20")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("KPI_TODAY", "2025-12-28")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# HTTPS ends at a reverse proxy in production; the load test sends X-Forwarded-Proto as it would.
os.environ.setdefault("SECURE_PROXY_SSL_HEADER", "on")

from config.settings import *  # noqa: E402,F403

# whitenoise warns that STATIC_ROOT was never collected; the pages measured do not serve static files.
warnings.filterwarnings("ignore", "No directory at", UserWarning)
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Connections are kept between requests by the production settings themselves
# (DB_CONN_MAX_AGE, default 60 s, with health checks), so the benchmark measures them as deployed.
# The benchmark clears the cache before each cold run of the public page (cache.clear(),
# which empties the whole Redis database): a Redis cache gets a database of its own here,
# never the one the app's broker or another process uses.
_caches = globals().get("CACHES") or {}
for _cache in _caches.values():
    if "redis" in _cache.get("BACKEND", "").lower():
        _cache["LOCATION"] = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/15")
