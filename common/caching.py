"""The cache as a help, never a dependency.

Every use of the cache goes through `cache_call`: when the cache fails (Redis down or slow),
the caller gets None, as for a miss, and computes what it needed as if there were no cache;
the failure is logged once, and this process leaves the cache alone for `RETRY_AFTER`
seconds so that each request does not wait on it again.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import get_token

logger = logging.getLogger(__name__)

# After a cache failure, this process answers without the cache for this many seconds.
RETRY_AFTER = 30

_down_until = 0.0


def cache_call(method: str, *args):
    """`cache.<method>(*args)`, or None when the cache fails or is resting after a failure."""
    global _down_until
    if time.monotonic() < _down_until:
        return None
    try:
        return getattr(cache, method)(*args)
    except Exception as exc:  # noqa: BLE001 — any cache failure means "no cache", never a 500
        _down_until = time.monotonic() + RETRY_AFTER
        logger.warning("cache unavailable for %ss: %s: %s", RETRY_AFTER, type(exc).__name__, exc)
        return None


def cache_reset() -> None:
    """Forget a cache failure (tests)."""
    global _down_until
    _down_until = 0.0


def fetch(key: str, compute, timeout: int):
    """What the cache holds under `key`, else `compute()`, kept for `timeout` seconds.
    (None is never kept: it reads as a miss.)"""
    stored = cache_call("get", key)
    if stored is not None:
        return stored
    value = compute()
    cache_call("set", key, value, timeout)
    return value


# --- What a cached page may hold ----------------------------------------------------------------

# What a page is built from: the code, the templates, the translations and the static files.
RELEASE_DIRS = ("common", "config", "kpi", "plans", "reports", "templates", "locale", "static")
RELEASE_SUFFIXES = {".py", ".html", ".mo", ".css", ".js", ".svg"}


@functools.cache
def release() -> str:
    """A digest of what this process renders pages with (computed once per process): in every
    cached page's key, so that a deployment never serves a page built by the previous one."""
    base = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    for top in RELEASE_DIRS:
        for path in sorted((base / top).rglob("*")):
            if path.suffix in RELEASE_SUFFIXES and path.is_file():
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


_CSRF_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[A-Za-z0-9]+(")')
_CSRF_INPUT_BYTES = re.compile(_CSRF_INPUT.pattern.encode())


def with_own_csrf_token(request, content):
    """Cached HTML (str or bytes) with every form's CSRF token replaced by this visitor's own
    (and its cookie set, as a rendering would): a token is never shared between visitors.
    A page without a form is handed back as it is."""
    pattern = _CSRF_INPUT_BYTES if isinstance(content, bytes) else _CSRF_INPUT
    token = None

    def own(match):
        nonlocal token
        if token is None:
            token = get_token(request)
            token = token.encode() if isinstance(content, bytes) else token
        return match.group(1) + token + match.group(2)

    return pattern.sub(own, content)
