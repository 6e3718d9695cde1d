"""Site-wide responses of our own."""

from __future__ import annotations

import logging
import sqlite3
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults

from common.http import signed_in

logger = logging.getLogger(__name__)


class ActionAddressMiddleware:
    """A GET on an address that only acts (a refreshed POST, a bookmarked action) lands on a
    page saying so, with a way back, instead of a blank 405. The API keeps its own JSON answer.

    The review, reopen, bulk-approve, lock and evidence-removal addresses answer a GET with
    a confirmation page of their own; this covers any other action address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 405 or request.method not in ("GET", "HEAD") or request.path.startswith("/api/"):
            return response
        page = render(request, "405.html", {"allowed": response.get("Allow", "")}, status=405)
        if response.has_header("Allow"):
            page["Allow"] = response["Allow"]
        return page


class PrivateNoStoreMiddleware:
    """Nothing meant for one person is kept by a cache: `Cache-Control: private, no-store`.

    Every response to a signed-in request (pages, downloads, evidence, API answers) and
    every API answer but the open-data ones gets Django's never-cache headers
    (`max-age=0, no-cache, no-store, must-revalidate, private`), so neither a shared
    proxy nor the browser's disk keeps a department's figures, a file or a token after
    the person has signed out. What anyone may read (the public pages, the open-data
    files and the open-data API, fetched without signing in) keeps its own headers and
    may be cached.

    Who is signed in is read after the view: DRF authenticates a token inside the view
    and then sets the request's user. A request with neither a session cookie nor an
    Authorization header is nobody's, and its user is not looked up (that would read the
    session and add `Vary: Cookie` to public answers). An API view opts out by setting
    `open_data = True` (kpi.api.views.IndicatorListView), and only for anonymous requests.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if signed_in(request) or (request.path.startswith("/api/") and not _open_data_view(request)):
            add_never_cache_headers(response)
        return response


def _open_data_view(request) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    view = getattr(match.func, "view_class", match.func)
    return getattr(view, "open_data", False) is True


# --- The database failing: one place decides the answer ---------------------------------

# Retry-After, in seconds: a lock is a moment's wait; a restart of the database takes longer.
RETRY_AFTER_LOCKED = 5
RETRY_AFTER_UNAVAILABLE = 60

# SQLite reports its transient failures as OperationalError with these messages; any other
# OperationalError there ("no such table") is a bug and stays a 500.
SQLITE_TRANSIENT = ("database is locked", "database table is locked", "disk i/o error", "unable to open database")
# PostgreSQL's lock failures (SQLSTATE): could not serialize, deadlock, lock not available.
PG_LOCK_CODES = {"40001", "40P01", "55P03"}


def database_trouble(exc: BaseException | None) -> str | None:
    """What went wrong with the database: "locked" when another save holds what this request
    needs, "unavailable" when the database cannot be reached (down, restarting, the connection
    lost), None for anything else (a bug stays a 500)."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return None
    cause = exc.__cause__
    text = str(exc).lower()
    if isinstance(cause, sqlite3.Error):
        if not any(message in text for message in SQLITE_TRANSIENT):
            return None
        return "locked" if "locked" in text else "unavailable"
    if getattr(cause, "pgcode", None) in PG_LOCK_CODES:
        return "locked"
    return "unavailable"


def database_error_response(request, exc: BaseException | None) -> HttpResponse | None:
    """The answer to a request the database could not serve: 503 with Retry-After, as JSON
    ``{"detail": …}`` under /api/ and as a page elsewhere; None when `exc` is not such a failure.

    The page is rendered without the request's context (the context processors query the
    database, which is what failed)."""
    trouble = database_trouble(exc)
    if trouble is None:
        return None
    locked = trouble == "locked"
    # Django logs the 503 itself (django.request); this says why, without a traceback per request.
    logger.warning("database %s: %s %s: %s", trouble, request.method, request.path, exc)
    if request.path.startswith("/api/"):
        detail = (
            _(
                "Someone else is saving at this moment and this request could not wait its turn. "
                "Nothing was saved: send it again in a moment."
            )
            if locked
            else _(
                "The service is briefly unavailable: the database is not answering. Try again in a minute; "
                "if you were saving, check first whether the save went through."
            )
        )
        response = JsonResponse({"detail": detail}, status=503)
    else:
        response = HttpResponse(loader.render_to_string("503.html", {"locked": locked}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_LOCKED if locked else RETRY_AFTER_UNAVAILABLE)
    return response


class DatabaseUnavailableMiddleware:
    """A view that the database fails (a restart, a lost connection, SQLite's write lock not had
    in time) answers 503 "try again" instead of a 500. Its transaction (ATOMIC_REQUESTS) has
    been rolled back by then, so nothing of the request is half-saved.

    Failures outside a view (a middleware's query) reach `server_error`, Django's handler500,
    which gives the same answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        return database_error_response(request, exception)


def server_error(request, *args, **kwargs):
    """handler500: the database's failures get their 503 (see above), anything else Django's 500
    page, or under /api/ a JSON 500."""
    return (
        database_error_response(request, sys.exc_info()[1])
        or api_error(request, 500, SERVER_ERROR)
        or defaults.server_error(request, *args, **kwargs)
    )


# --- Under /api/ every answer is JSON ------------------------------------------------------
# The API's views answer their own errors as JSON (common.api.base), and its URL tree ends with
# a catch-all JSON 404 (config/api_urls.py). These handlers cover what reaches Django's own
# handlers instead: an address under /api/ outside that tree (/api/, /api/v2/…), and a 400, 403
# or 500 raised outside a view. The messages are the error pages' own (templates/400.html, …).
SERVER_ERROR = gettext_lazy(
    "Sorry, something went wrong while handling this request. It has been logged, and the system administrator "
    "will deal with it. What you saved before is safe; keep anything you have not sent yet, and try again later."
)
BAD_REQUEST = gettext_lazy(
    "The address or the form sent something this system cannot read. Check the address, or go back and try again."
)
NOT_ALLOWED = gettext_lazy(
    "Your role does not allow this. If you think it should, ask your department's administrator or the planning office."
)


def is_api(request) -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def api_error(request, status: int, detail) -> JsonResponse | None:
    """``{"detail": …}`` with `status` for a request under /api/; None for a page's request."""
    if not is_api(request):
        return None
    return JsonResponse({"detail": str(detail)}, status=status)


def api_not_found_detail(request) -> str:
    """What a client is told of an API address that does not exist."""
    detail = _("There is no such API address.")
    if not request.path.endswith("/"):
        detail += _(" Addresses end with a slash, e.g. %(path)s/.") % {"path": request.path}
    return detail


def page_not_found(request, exception, template_name="404.html"):
    """handler404."""
    if is_api(request):
        return JsonResponse({"detail": api_not_found_detail(request)}, status=404)
    return defaults.page_not_found(request, exception, template_name)


def bad_request(request, exception, template_name="400.html"):
    """handler400 (a SuspiciousOperation outside a view: a bad Host header, a malformed body)."""
    return api_error(request, 400, BAD_REQUEST) or defaults.bad_request(request, exception, template_name)


def permission_denied(request, exception, template_name="403.html"):
    """handler403: under /api/, the reason given, else the page's."""
    reason = str(exception) if exception is not None and str(exception) else None
    return api_error(request, 403, reason or NOT_ALLOWED) or defaults.permission_denied(
        request, exception, template_name
    )
