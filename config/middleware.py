"""Site-wide responses of our own."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers


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
        if _signed_in(request) or (request.path.startswith("/api/") and not _open_data_view(request)):
            add_never_cache_headers(response)
        return response


def _signed_in(request) -> bool:
    if settings.SESSION_COOKIE_NAME not in request.COOKIES and "HTTP_AUTHORIZATION" not in request.META:
        return False
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def _open_data_view(request) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    view = getattr(match.func, "view_class", match.func)
    return getattr(view, "open_data", False) is True
