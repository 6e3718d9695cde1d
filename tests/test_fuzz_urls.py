"""Hostile input on every address: no path segment, query parameter or body may make a 5xx.

For every URL pattern of the project (the routes tests/test_permissions.py walks, from the same
world of seeded objects; Django admin's own pages excepted, as there), as anonymous and as each
role of the fixed cast:

- the page itself, with the real ids of seeded objects (so that the page renders and reads its
  parameters, which are recorded);
- each path parameter replaced by a hostile number (0, 2**63 − 1, 2**63, 2**64, 10**30, 5,000
  digits): beyond the databases' range an id or a year does not match the route (404), it never
  reaches the database driver;
- each query parameter the page read replaced by each hostile value (`HOSTILE_QUERY`), one at a
  time, the other parameters kept real; then every parameter of `PARAMETERS` at once;
- POST with an empty body and with garbage, on the addresses that take a POST.

Every value goes through the "lead" actor, the one whose page reads the most parameters
(parsing a value does not depend on who asks; whether the code reaches it does); every other
actor sends the sharpest values (`SHARPEST`, `SHARPEST_PATH`). That keeps the run near a
minute of one core; every 5xx is listed with the actor, the address and the values.

A number in a query parameter goes through `common.numbers.bounded_int` (an id, a year, a page);
`test_every_parameter_the_code_reads_is_fuzzed` scans the source so that a parameter the code
starts reading cannot be left out of `PARAMETERS`.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import django_filters
import pytest
from django import forms
from django.http import QueryDict
from django.test import Client
from django.urls import get_resolver, resolve

from tests.test_permissions import ACTIONS, ACTORS, _routes, _shared, cast, world  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parent.parent
BIG = "9" * 5000

# Path parameters: numbers the route must refuse (or, for 0 and 2**63 − 1, not find).
HOSTILE_PATH = ["0", str(2**63 - 1), str(2**63), str(2**64), str(10**30), BIG]

# Query parameters: each value alone; a list is the parameter repeated.
HOSTILE_QUERY = [
    "",
    "abc",
    "-1",
    "0",
    str(2**63),  # an id past the databases' range
    BIG,
    "1e400",
    "NaN",
    "Infinity",
    "%00",
    "\x00",
    "x" * 10_000,
    "一一二",
    "²",  # str.isdigit() says yes, int() says no
    ["1", BIG],
]

# The values most likely to break a parser: every actor sends (the first two of) them to all the
# parameters at once, and the numbers past the databases' range in each path parameter (the
# lead actor sends every value; the run stays near a minute this way, see the module's doc).
SHARPEST = [BIG, "²", str(2**63), "\x00"]
SHARPEST_PATH = [str(2**63), BIG]

# Every query parameter a page or the API reads (test_every_parameter_the_code_reads_is_fuzzed
# keeps this list complete).
PARAMETERS = sorted(
    {
        "action",  # the review page's preselected decision
        "actual",  # the report form's live preview
        "comment",
        "confirm",
        "department",
        "department_plan",
        "dimension",
        "format",
        "frequency",
        "goal",
        "gregorian",
        "indicator",
        "level",
        "light",
        "locked",
        "next",
        "ordering",
        "page",
        "page_size",
        "period",
        "plan",
        "record",  # the KPI page: the whole record
        "report",
        "script",
        "stage",
        "status",
        "year",
    }
)

# The form bodies sent to the addresses that take a POST: nothing, and garbage in the fields
# the forms read.
GARBAGE_FORM = {
    name: BIG
    for name in (
        "action",
        "version",
        "reason",
        "comment",
        "text",
        "next",
        "report",
        "confirm",
        "force",
        "open",
        "mode",
        "email",
        "language",
        "actual",
        "narrative",
        "description",
        "owner",
        "token",
        "username",
        "password",
    )
}
GARBAGE_JSON = [
    '{"version": ' + BIG + ', "actual": ' + BIG + "}",
    "[1, 2",
    "null",
    '{"reports": [{"id": ' + BIG + "}]}",
]


def _action_routes(w):
    """Each route → (the URL of its GET, or its action's, with real ids; whether it takes a POST)."""
    routes: dict[str, dict] = {}
    for make in ACTIONS.values():
        method, url, _data = make(w)
        route = resolve(urlsplit(url).path).route
        entry = routes.setdefault(route, {"url": url, "post": False})
        if method == "get":
            entry["url"] = url
        else:
            entry["post"] = True
    return routes


ROUTES = sorted(set(_routes(get_resolver().url_patterns)))
_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def _with_path(route: str, kwargs: dict[str, str], name: str, value: str) -> str:
    def sub(match):
        key = match.group(1) or match.group(2)
        return value if key == name else str(kwargs[key])

    return "/" + _PARAM.sub(sub, route).removesuffix("$")


class _Reads:
    """The query parameters read while a request is answered (QueryDict's getters, recorded)."""

    def __init__(self, monkeypatch):
        self.names: set[str] = set()
        for method in ("get", "getlist", "__getitem__", "__contains__"):
            original = getattr(QueryDict, method)

            def recording(qd, key, *args, _original=original):
                if isinstance(key, str):
                    self.names.add(key)
                return _original(qd, key, *args)

            monkeypatch.setattr(QueryDict, method, recording)


def _short(value, limit: int = 40) -> str:
    """A hostile value as a failure message can show it (5,000 digits are "9…(5000)")."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_short(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    text = "" if value is None else str(value)
    return repr(text) if len(text) <= limit else repr(text[: limit // 2]) + f"…({len(text)})"


def _send(client, method, url, *, data=None, content_type=None):
    if method == "get":
        return client.get(url, data)
    if content_type:
        return client.post(url, data, content_type=content_type)
    return client.post(url, data or {})


def _drain(response):
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
        if getattr(response, "file_to_stream", None):
            response.file_to_stream.close()


@pytest.mark.parametrize("route", ROUTES)
def test_no_hostile_input_makes_a_server_error(route, cast, world, monkeypatch):  # noqa: F811
    entry = _action_routes(world).get(route)
    assert entry is not None, f"{route} is not in tests/test_permissions.py's walk"
    parts = urlsplit(entry["url"])
    kwargs = {k: str(v) for k, v in resolve(parts.path).kwargs.items()}
    base_query = dict(parse_qsl(parts.query, keep_blank_values=True))
    reads = _Reads(monkeypatch)
    failures = []

    def request(client, method, url, **extra):
        try:
            response = _send(client, method, url, **extra)
            _drain(response)
        except Exception as exc:  # noqa: BLE001 (every exception is a finding)
            failures.append(f"{actor}: {method.upper()} {_short(url, 120)} {_short(extra.get('data'))}: {exc!r:.200}")
            return None
        if response.status_code >= 500:
            failures.append(
                f"{actor}: {method.upper()} {_short(url, 120)} {_short(extra.get('data'))}: {response.status_code}"
            )
        return response

    clients, read = {}, {}
    for actor in ACTORS:
        clients[actor] = Client()
        if cast[actor] is not None:
            clients[actor].force_login(cast[actor])
        reads.names.clear()
        request(clients[actor], "get", parts.path, data=base_query)
        read[actor] = sorted((reads.names & set(PARAMETERS)) | set(base_query))
    # Every value on every parameter the page read, and every hostile path, as the actor who
    # reads the most of them (parsing a value does not depend on who asks; whether the code
    # reaches it does); then, as everyone, the sharpest values on every parameter of the list
    # at once (a parameter read only on another branch) and in every path parameter.
    lead = max(ACTORS, key=lambda a: len(read[a]))

    for actor in ACTORS:
        client = clients[actor]
        for name in kwargs:
            for value in HOSTILE_PATH if actor == lead else SHARPEST_PATH:
                url = _with_path(route, kwargs, name, value)
                request(client, "get", url)
                if entry["post"]:
                    request(client, "post", url)

        if actor == lead:
            for name in read[actor]:
                for value in HOSTILE_QUERY:
                    request(client, "get", parts.path, data={**base_query, name: value})
        for value in SHARPEST if actor == lead else SHARPEST[:2]:
            request(client, "get", parts.path, data={**base_query, **dict.fromkeys(PARAMETERS, value)})

        if entry["post"]:
            url = parts.path + (f"?{parts.query}" if parts.query else "")
            request(client, "post", url)
            request(client, "post", url, data=GARBAGE_FORM)
            if route.startswith("api/"):
                for body in GARBAGE_JSON:
                    request(client, "post", url, data=body, content_type="application/json")
                request(client, "post", url, data=b"\xff\xfe garbage", content_type="multipart/form-data; boundary=x")
    unique = list(dict.fromkeys(failures))
    assert unique == [], f"{len(unique)} server errors:\n" + "\n".join(unique[:40])


# --- The list of parameters is the code's -----------------------------------------------------

SOURCES = ["kpi", "reports", "plans", "config", "common"]
_READS = re.compile(
    r"""(?:GET|query_params|params|source)\.(?:get|getlist)\(\s*["']([\w-]+)["']"""
    r"""|(?:GET|query_params|params)\[\s*["']([\w-]+)["']\s*\]"""
    r"""|query_\w+\(\s*request[\w.]*\s*,\s*["']([\w-]+)["']"""
)


def _read_in_source() -> set[str]:
    names = set()
    for app in SOURCES:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for match in _READS.finditer(path.read_text(encoding="utf-8")):
                names.add(next(g for g in match.groups() if g))
    return names


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _ours(cls) -> bool:
    return cls.__module__.split(".")[0] in SOURCES


def test_every_parameter_the_code_reads_is_fuzzed():
    from common.api.base import Pagination, StrictOrderingFilter

    read = _read_in_source()
    # django-filter's filtersets and the forms the API reads its parameters with.
    read |= {name for cls in _subclasses(django_filters.FilterSet) if _ours(cls) for name in cls.base_filters}
    read |= {
        name
        for cls in _subclasses(forms.Form)
        if _ours(cls) and cls.__name__.endswith("QueryForm")
        for name in cls.base_fields
    }
    read |= {Pagination.page_query_param, Pagination.page_size_query_param, StrictOrderingFilter.ordering_param}
    # The POST-only names the same regex finds (a form's fields, not the query's) are fuzzed
    # through GARBAGE_FORM.
    missing = read - set(PARAMETERS) - set(GARBAGE_FORM)
    assert missing == set(), f"add these to PARAMETERS in {__name__}: {sorted(missing)}"
    assert {"year", "department", "page", "plan", "dimension"} <= read  # the scan finds what it should


def test_the_scan_sees_a_new_parameter(tmp_path):
    """The regexes are the guard: a new read in any of the usual spellings is seen."""
    samples = [
        'request.GET.get("quarter")',
        "self.request.query_params.get('quarter', '')",
        'request.GET["quarter"]',
        'params.get("quarter")',
        'query_int(request.GET, "quarter", minimum=1, maximum=4)',
    ]
    for sample in samples:
        assert [next(g for g in m.groups() if g) for m in _READS.finditer(sample)] == ["quarter"], sample
