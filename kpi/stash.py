"""What a person typed in the report form when their session had already ended.

A save that arrives after the session ended (30 idle minutes) cannot be trusted to
write anything: the person is sent to sign in. What they typed is kept meanwhile in the
new anonymous session (server-side, like every session; nothing goes in a cookie but the
session key) and put back into the form once they have signed in again. It is only ever
used to fill in the form: nothing from it is saved until the person saves.

It is bound three ways: to the browser's session (another browser cannot read it; Django
keeps the session's data through the sign-in), to the report's address, and to the person
who had the form open, named by a signed token in the form (`owner_token`). Someone else
signing in on the same browser gets nothing, and the stash is dropped at their sign-in. It
lives for `MAX_AGE` seconds. Evidence files cannot be kept: browsers never send a chosen
file again, so the person is told to choose them again.
"""

from __future__ import annotations

import re
import time

from django.core import signing

SESSION_KEY = "kpi_report_stash"
SALT = "kpi.stash.owner"
MAX_AGE = 30 * 60  # seconds: long enough to sign in again, no longer
MAX_TEXT = 20_000  # characters kept of one field (the service allows 5,000)
MAX_INPUTS = 30
FIELDS = ("version", "actual", "narrative", "shortfall_reason", "improvement_plan", "url", "description")
INPUT_NAME = re.compile(r"^inputs\.[A-Za-z_][A-Za-z0-9_]{0,40}$")


def owner_token(user, path: str) -> str:
    """The form's hidden `owner`: who had this form open, signed so that it cannot be made up."""
    return signing.dumps({"u": user.pk, "p": path}, salt=SALT, compress=True)


def _owner(token: str, path: str) -> int | None:
    try:
        data = signing.loads(token or "", salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("p") != path or not isinstance(data.get("u"), int):
        return None
    return data["u"]


def keep(request, path: str) -> bool:
    """Keep the posted report fields of an unauthenticated POST to `path`. True when kept."""
    owner = _owner(request.POST.get("owner", ""), path)
    if owner is None:
        return False
    names = [n for n in request.POST if n in FIELDS or INPUT_NAME.match(n)][: len(FIELDS) + MAX_INPUTS]
    fields = {name: str(request.POST.get(name, ""))[:MAX_TEXT] for name in names}
    files = any(getattr(f, "name", "") for name in request.FILES for f in request.FILES.getlist(name))
    stash = {"path": path, "owner": owner, "at": time.time(), "fields": fields, "files": files}
    request.session[SESSION_KEY] = stash
    return True


def take(request, path: str) -> dict | None:
    """The stash for `path` if the signed-in person is the one who typed it (and it is fresh), once."""
    stash = request.session.get(SESSION_KEY)
    if not isinstance(stash, dict) or stash.get("path") != path:
        return None
    del request.session[SESSION_KEY]
    if stash.get("owner") != request.user.pk or time.time() - float(stash.get("at", 0)) > MAX_AGE:
        return None
    return stash


def drop_unless_owner(request, user) -> None:
    """At sign-in: a stash typed by someone else goes (the session's data survives a sign-in)."""
    session = getattr(request, "session", None)
    if session is None:
        return
    stash = session.get(SESSION_KEY)
    if stash is not None and (not isinstance(stash, dict) or stash.get("owner") != user.pk):
        del session[SESSION_KEY]
