"""An uploaded file kept on the server between its preview and its confirmation.

A preview page shows what a file would do; the confirmation must load exactly that file,
so the file itself is kept, never sent back through the page: only an opaque token goes
in the confirmation form. The file lives in the person's session (server-side, like
every session: the cookie carries the session key only), as `kpi.stash` keeps what a
person typed. It is bound to the person who uploaded it, to a purpose (which department
plan it is for), and to its SHA-256, checked when it is taken back; it lives for
`MAX_AGE` seconds, and a session keeps at most `MAX_KEPT` of them (the oldest goes).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass

SESSION_KEY = "kpi_uploads"
MAX_AGE = 30 * 60  # seconds: time to read a preview, no longer
MAX_KEPT = 3


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes
    extra: dict


def _fresh(entry) -> bool:
    return isinstance(entry, dict) and time.time() - float(entry.get("at", 0)) <= MAX_AGE


def keep(request, *, purpose: str, name: str, data: bytes, extra: dict | None = None) -> str:
    """Keep the file for `purpose`; return the token that takes it back."""
    kept = {k: v for k, v in (request.session.get(SESSION_KEY) or {}).items() if _fresh(v)}
    while len(kept) >= MAX_KEPT:
        del kept[min(kept, key=lambda k: kept[k]["at"])]
    token = secrets.token_urlsafe(18)
    kept[token] = {
        "purpose": purpose,
        "owner": request.user.pk,
        "at": time.time(),
        "name": name,
        "data": base64.b64encode(data).decode("ascii"),
        "sha256": hashlib.sha256(data).hexdigest(),
        "extra": extra or {},
    }
    request.session[SESSION_KEY] = kept
    return token


def take(request, token: str, *, purpose: str) -> Upload | None:
    """The file kept under `token` for `purpose` by the signed-in person, if still fresh and whole."""
    kept = request.session.get(SESSION_KEY) or {}
    entry = kept.get(token) if isinstance(token, str) else None
    if not _fresh(entry) or entry.get("purpose") != purpose or entry.get("owner") != request.user.pk:
        return None
    try:
        data = base64.b64decode(entry["data"], validate=True)
    except (KeyError, ValueError, TypeError):
        return None
    if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
        return None
    return Upload(name=str(entry.get("name", "")), data=data, extra=dict(entry.get("extra") or {}))


def update(request, token: str, **extra) -> None:
    """Change what is kept beside the file (a new preview's fingerprint)."""
    kept = request.session.get(SESSION_KEY) or {}
    if token in kept:
        kept[token]["extra"] = {**kept[token].get("extra", {}), **extra}
        request.session[SESSION_KEY] = kept


def drop(request, token: str) -> None:
    kept = request.session.get(SESSION_KEY) or {}
    if token in kept:
        del kept[token]
        request.session[SESSION_KEY] = kept
