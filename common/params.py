"""A page's query parameters that are numbers (ids, years, stages), read one way.

Through `common.numbers.bounded_int`: ASCII digits, bounded before ``int()``, in the range
the page can use. A page treats a bad value as it treats a filter it cannot use: it is shown
without that filter, and (with ``warn``) a message says so. The API's parameters are fields of
its filter forms instead (`common.api.filters`), answered with a 400 naming the parameter.
"""

from __future__ import annotations

from django.contrib import messages
from django.utils.translation import gettext as _

from common.numbers import MAX_ID, optional_int, shown


def query_int(request, name: str, *, minimum: int, maximum: int, label=None, warn: bool = True) -> int | None:
    """The whole number in ``?name=`` from `minimum` to `maximum`; None when it is absent, empty or
    not such a number (then, with `warn`, a message names the filter by its `label`, as the page
    shows it, and says that it was left out)."""
    raw = request.GET.get(name, "").strip()
    if raw == "":
        return None
    number = optional_int(raw, minimum=minimum, maximum=maximum)
    if number is None and warn:
        messages.warning(
            request,
            _("“%(value)s” in the address is not a valid %(label)s: the page is shown without that filter.")
            % {"value": shown(raw), "label": label or name},
        )
    return number


def query_id(request, name: str, *, label=None, warn: bool = True) -> int | None:
    """An id (1 to 2**63 − 1) in ``?name=``, as `query_int` reads it."""
    return query_int(request, name, minimum=1, maximum=MAX_ID, label=label, warn=warn)
