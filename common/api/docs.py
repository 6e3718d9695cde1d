"""The API's documentation pages, Swagger UI and ReDoc, served from this server.

drf-spectacular-sidecar ships both UIs as static files, so nothing comes from a CDN.
The pages are written here rather than taken from drf-spectacular's templates, whose
ReDoc page loads Google Fonts and whose pages carry inline styles: ours have no inline
script or style (Swagger UI's start-up script is served as a file by the split view),
and say where the raw schema is for a reader without JavaScript. ReDoc's sidebar always
shows Redocly's logo from their CDN (no ReDoc option turns it off): the ReDoc page first
loads static/js/api-docs-offline.js, which keeps any image from being pointed at another
site, so nothing is fetched from outside and the Content-Security-Policy reports nothing
(tests/browser/test_api_docs.py).

Both UIs carry many accessibility faults of their own (upstream markup and styles). So the
API is also described by a plain page of ours, `endpoint_list`: every endpoint's method, path
and summary in tables, server-rendered from the same schema, in the site's own layout
(tests/browser/test_accessibility.py holds it to axe's rules). Both UIs link to it and to
the schema, and so does every page's footer.

Whether the schema, both UIs and the list are public is `settings.API_DOCS_PUBLIC` (default:
DEBUG, so public on a developer's machine, signed-in only in production): `docs_visible`
is the one rule. When they are closed, an anonymous caller of the schema gets the API's
401 JSON answer, and of a page, the sign-in page with `next=` back to it.
"""

from __future__ import annotations

import functools
from collections import defaultdict

from csp.constants import SELF
from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import render
from django.template import engines
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.permissions import BasePermission

from common.api.base import ApiMixin


def docs_visible(request) -> bool:
    """Whether this request may read the API's schema and documentation pages."""
    return settings.API_DOCS_PUBLIC or request.user.is_authenticated


class DocsVisible(BasePermission):
    def has_permission(self, request, view):
        return docs_visible(request)


class SchemaView(ApiMixin, SpectacularAPIView):
    """The OpenAPI 3 schema: public or signed-in only, as `docs_visible` says (401 JSON when closed)."""

    permission_classes = [DocsVisible]


class DocsPageMixin:
    """A documentation page: closed to an anonymous visitor unless `docs_visible`, who is sent to sign in."""

    def dispatch(self, request, *args, **kwargs):
        if not docs_visible(request):
            return redirect_to_login(request.get_full_path())
        return super().dispatch(request, *args, **kwargs)


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
{% if favicon_href %}<link rel="icon" href="{{ favicon_href }}">{% endif %}
{% if stylesheet %}<link rel="stylesheet" href="{{ stylesheet }}">{% endif %}
</head>
<body>
<noscript>
<p>This page needs JavaScript. The API's OpenAPI 3 schema is at <a href="{{ schema_url }}">{{ schema_url }}</a>.
Authenticate with the header <code>Authorization: Token &lt;key&gt;</code>; get a key by posting your username
and password to <a href="{{ token_url }}">{{ token_url }}</a>, or on the site's
<a href="{{ tokens_page_url }}">API tokens page</a>. A key is shown once, expires after the days set by the
city, and is revoked when your password changes; list and revoke yours at {{ tokens_url }}.</p>
</noscript>
<nav aria-label="Other forms of this documentation"><p>Also: <a href="{{ endpoints_url }}">a plain list of the endpoints</a>
(method, path, summary) · the OpenAPI 3 schema as <a href="{{ schema_url }}">YAML</a> or
<a href="{{ schema_url }}?format=json">JSON</a></p></nav>
{{ body }}
{% for src in scripts %}<script src="{{ src }}"></script>
{% endfor %}</body>
</html>
"""


def _page(request, **context) -> HttpResponse:
    template = engines["django"].from_string(PAGE)
    context.setdefault("token_url", reverse("api:token"))
    context.setdefault("tokens_url", reverse("api:token-list"))
    context.setdefault("tokens_page_url", reverse("api_tokens"))
    context.setdefault("endpoints_url", reverse("api:endpoints"))
    return HttpResponse(template.render(context, request), content_type="text/html; charset=utf-8")


class SwaggerView(DocsPageMixin, SpectacularSwaggerSplitView):
    url_name = "api:schema"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        if request.GET.get("script") is not None:
            return super().get(request, *args, **kwargs)  # the start-up script, as a file
        from django.utils.safestring import mark_safe

        script_url = request.path + "?script="
        return _page(
            request,
            title=f"{self.title} – Swagger UI",
            favicon_href=self._swagger_ui_favicon(),
            stylesheet=self._swagger_ui_resource("swagger-ui.css"),
            schema_url=self._get_schema_url(request),
            body=mark_safe('<div id="swagger-ui"></div>'),
            scripts=[
                self._swagger_ui_resource("swagger-ui-bundle.js"),
                self._swagger_ui_resource("swagger-ui-standalone-preset.js"),
                script_url,
            ],
        )


class RedocView(DocsPageMixin, SpectacularRedocView):
    url_name = "api:schema"

    @extend_schema(exclude=True)
    @csp_update({"worker-src": [SELF, "blob:"]})  # ReDoc's search runs in a worker it builds from a blob
    def get(self, request, *args, **kwargs):
        from django.utils.html import format_html

        schema_url = self._get_schema_url(request)
        return _page(
            request,
            title=f"{self.title} – ReDoc",
            favicon_href=SpectacularSwaggerSplitView._swagger_ui_favicon(),
            schema_url=schema_url,
            body=format_html('<redoc spec-url="{}"></redoc>', schema_url),
            # Before ReDoc: no image from another site (its Redocly logo), see the docstring.
            scripts=[static("js/api-docs-offline.js"), self._redoc_standalone()],
        )


HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@functools.lru_cache(maxsize=4)
def endpoint_groups(language: str) -> tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...]:
    """The schema's operations as ((tag, ((METHOD, path, summary), …)), …), in the schema's order.

    Built once per language (the schema only changes with the code). `language` is the
    cache key: the schema's texts are written in English, a translated one would differ."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    groups: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for path, item in schema.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            summary = operation.get("summary") or (operation.get("description") or "").strip().split("\n")[0]
            tag = (operation.get("tags") or ["api"])[0]
            groups[tag].append((method.upper(), path, str(summary)))
    return tuple((tag, tuple(rows)) for tag, rows in groups.items())


def endpoint_list(request):
    """The API's endpoints as a plain, accessible page: method, path and summary, by group."""
    if not docs_visible(request):
        return redirect_to_login(request.get_full_path())
    groups = endpoint_groups(get_language() or settings.LANGUAGE_CODE)
    return render(
        request,
        "api/endpoints.html",
        {
            "groups": groups,
            "count": sum(len(rows) for _, rows in groups),
            "schema_url": reverse("api:schema"),
            "docs_url": reverse("api:docs"),
            "redoc_url": reverse("api:redoc"),
            "token_url": reverse("api:token"),
            "tokens_page_url": reverse("api_tokens"),
        },
    )
