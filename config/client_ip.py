"""Whose address a request comes from, for django-axes' sign-in lock-out (AXES_CLIENT_IP_CALLABLE).

Axes locks a username tried from one address. Behind the city's reverse proxy every request
arrives from the proxy's address (REMOTE_ADDR), so without this a stranger's five wrong
passwords for a colleague would lock that colleague out from every desk.

``PROXY_COUNT`` (settings, from the environment) is the number of reverse proxies in front of
the app:

- 0 (no proxy): REMOTE_ADDR, the address the connection came from. X-Forwarded-For is
  ignored: anyone can send that header, and believing it would let one escape the lock-out
  by changing it on every try.
- N: the N-th address from the right of X-Forwarded-For. Each proxy appends the address it
  was connected from, so the N rightmost entries were written by our own proxies and the
  N-th of them is the client; anything further left came from the client and is not
  believed (``X-Forwarded-For: 203.0.113.9, 198.51.100.7`` from a client at 198.51.100.7,
  through one proxy, is 198.51.100.7). A request without that many entries (one that did
  not come through the proxies) falls back to REMOTE_ADDR.

django-ipware parses the header (IPv6, ports, RFC 7239 forms, junk entries skipped). It is
called with the header alone rather than configured through axes' AXES_IPWARE_* settings:
given several headers, ipware prefers a public address to a private one, so a public proxy
address in REMOTE_ADDR would win over an intranet client's, which is the bug this fixes.
"""

from __future__ import annotations

from django.conf import settings
from ipware import get_client_ip


def client_ip(request) -> str | None:
    proxies = settings.PROXY_COUNT
    if proxies:
        # ipware counts the proxies listed in the header after the client; the proxy nearest
        # to us is not listed (it is REMOTE_ADDR), so N proxies list N - 1 of themselves.
        address, _routable = get_client_ip(
            request,
            proxy_count=proxies - 1,
            request_header_order=["HTTP_X_FORWARDED_FOR"],
            strict=False,  # more entries than our proxies wrote: the client's own, ignored
        )
        if address:
            return address
    return request.META.get("REMOTE_ADDR")
