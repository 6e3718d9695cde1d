"""Site-wide responses of our own."""

from __future__ import annotations

from django.shortcuts import render


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
