"""The cache as a help, never a dependency.

Every use of the cache goes through `cache_call`: when the cache fails (Redis down or slow),
the caller gets None, as for a miss, and computes what it needed as if there were no cache;
the failure is logged once, and this process leaves the cache alone for `RETRY_AFTER`
seconds so that each request does not wait on it again.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache

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
