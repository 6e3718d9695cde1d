"""The public pages' cache: each page rendered once per version of what it shows.

The transparency pages and the open-data files (reports.views.public) are the same for every
anonymous visitor, and computing them grows with the city (every indicator of every
department). So an anonymous GET is answered from the cache when it can be, under a key made of

- the public version (`reports.models.PublicVersion`), which every change to what those pages
  show moves inside its own transaction (`reports.signals`): a page cached before a year was
  published, a figure approved or corrected, a target revised, is never served once that
  change has committed, and nothing needs invalidating;
- the day ("today" decides which period a year in progress is judged on);
- the release: a digest of the code, templates and translations this process runs, so that
  a deployment never serves a page built by the previous one;
- the active language, and the path.

Only anonymous GET and HEAD requests without a query string, and with no message waiting to be
shown, are served from the cache or fill it. The page's CSRF token (the language switcher is a
form) is never shared: each visitor gets their own in place of the one the page was rendered with.

Signed-in people see their own navigation around the same content, so for them the page is
rendered, but its content — the part that grows with the city — comes from the cache too: the
`{% public_fragment %}` tag (reports.templatetags.public_pages) caches the public block under
the same key with a "fragment" prefix, and the views hand the template their figures lazily,
so a hit computes nothing. The block holds nothing of the visitor's (no form, no token, no name).

The department dashboard is built from the same sources as the public pages (the plan and its
structure, targets, planned values, periods and the figures of record: no drafts, no
submissions), so its figures are cached the same way, under the same version, for everyone
the view lets see the department (`{% figures_fragment %}`, `figures_fragment`).

The cache is a help, never a dependency: when it fails (Redis down or slow), the page is
computed as if there were no cache, the failure is logged, and the cache is left alone for
a while so that each request does not wait on it again (`common.caching`).
"""

from __future__ import annotations

import functools
import secrets

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.utils import translation

from common.caching import cache_call, fetch, release, with_own_csrf_token
from common.dates import today
from common.http import signed_in
from reports.models import PublicVersion

# A page under an old version or day is never asked for again; let the cache drop it.
TIMEOUT = 24 * 60 * 60
KEY_PREFIX = "public-page"
FRAGMENT_PREFIX = "public-fragment"
CONTENT_PREFIX = "figures-fragment"


# --- The version ------------------------------------------------------------------------------


def public_version() -> int:
    """The current public version (one query; 0 before anything has changed)."""
    return PublicVersion.objects.filter(pk=1).values_list("value", flat=True).first() or 0


def public_changed() -> None:
    """Something the public pages show has changed: move the version, in the caller's transaction.

    The UPDATE locks the one row until the change commits, so a reader sees the new number
    only together with the change. The number is random, not counted: a database restored from
    a backup, or flushed, goes back to an older number, and counting on from there would reuse
    the keys of pages built from data it no longer holds."""
    value = secrets.randbits(63) or 1
    if not PublicVersion.objects.filter(pk=1).update(value=value):
        PublicVersion.objects.get_or_create(pk=1)
        PublicVersion.objects.filter(pk=1).update(value=value)


def _key(request, prefix: str, tail: str) -> str:
    # The version is read once per request: a page's key and its fragment's agree, for one query.
    if not hasattr(request, "_public_version"):
        request._public_version = public_version()
    return ":".join(
        (
            prefix,
            release(),
            str(request._public_version),
            today().isoformat(),
            translation.get_language() or settings.LANGUAGE_CODE,
            tail,
        )
    )


def page_key(request, prefix: str = KEY_PREFIX) -> str:
    return _key(request, prefix, request.path)


# --- The cache, failing safe (`common.caching`) --------------------------------------------------


def cached_fragment(request, render) -> str:
    """The public block of the page at `request.path`: from the cache, or `render()` and kept.

    For every visitor, signed in or not (see the module): the key has no query string, so the
    block must not depend on one; public pages read none."""
    return fetch(page_key(request, FRAGMENT_PREFIX), render, TIMEOUT)


def figures_fragment(request, name: str, render) -> str:
    """A block of a signed-in page built only from what moves the public version (the plan,
    its structure, the indicators, targets and planned values, the periods and the figures
    of record: `reports.signals`), from the cache or `render()` and kept.

    `name` must say everything else the block depends on (the page, the plan, the filters):
    the language, the day and the release are added here. Who may see the page is the
    view's to decide before; the block holds nothing of the visitor's, and nothing a
    draft, a submission or a return changes (they do not move the version)."""
    return fetch(_key(request, CONTENT_PREFIX, name), render, TIMEOUT)


# --- The decorator ----------------------------------------------------------------------------


def _cacheable(request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not request.GET
        and not signed_in(request)
        and not len(get_messages(request))  # a message shown once must not be cached for all
    )


def _stored(response: HttpResponse) -> dict | None:
    if response.status_code != 200 or response.streaming or response.cookies:
        return None
    return {"content": response.content, "headers": dict(response.headers)}


def _served(request, stored: dict) -> HttpResponse:
    response = HttpResponse(with_own_csrf_token(request, stored["content"]))
    for name, value in stored["headers"].items():
        response[name] = value
    return response


def cached_public_page(view):
    """Serve an anonymous GET of a public page from the cache, and fill it (see the module)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        key = page_key(request)
        stored = cache_call("get", key)
        if stored is not None:
            return _served(request, stored)
        response = view(request, *args, **kwargs)
        if request.method == "GET" and (frozen := _stored(response)) is not None:
            cache_call("set", key, frozen, TIMEOUT)
        return response

    return wrapper
