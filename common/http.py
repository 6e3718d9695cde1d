"""Small facts about a request, shared by the middleware and the views."""

from __future__ import annotations

from django.conf import settings


def signed_in(request) -> bool:
    """Whether someone is signed in on this request (a session or an API token).

    A request with neither a session cookie nor an Authorization header is nobody's, and its
    user is not looked up: that would read the session (a query) and add `Vary: Cookie`.
    DRF authenticates a token inside the view, so ask after it for an API request.
    """
    if settings.SESSION_COOKIE_NAME not in request.COOKIES and "HTTP_AUTHORIZATION" not in request.META:
        return False
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)
