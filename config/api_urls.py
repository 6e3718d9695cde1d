"""API v1 (/api/v1/): the whole URL tree.

Endpoints live with their apps (plans/api, kpi/api, reports/api); this module puts them
under one namespace ("api") with the token endpoint, one's own tokens (config/tokens.py), the OpenAPI 3 schema and its
documentation pages, and ends with a catch-all so that any other path under /api/v1/
is a JSON 404, never Django's HTML page.
"""

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.urls import path, re_path
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.base import ERROR_400, NO_NUL, DetailSerializer, schema_field
from common.api.docs import RedocView, SchemaView, SwaggerView, endpoint_list
from common.api.tokens import token_issue
from config.middleware import api_not_found_detail
from config.tokens import ApiTokenDetailView, ApiTokenListView
from kpi.api.urls import urlpatterns as kpi_patterns
from plans.api.urls import urlpatterns as plan_patterns
from reports.api.urls import urlpatterns as report_patterns


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@authentication_classes([])
@permission_classes([])
def not_found(request, path=""):
    return Response({"detail": api_not_found_detail(request)}, status=status.HTTP_404_NOT_FOUND)


class TokenRequestSerializer(serializers.Serializer):
    # Neither may be blank nor hold a NUL (DRF's CharField): the schema says so (NO_NUL needs a character).
    username = schema_field(serializers.CharField, {"type": "string", "maxLength": 150, "pattern": NO_NUL})(
        max_length=150, trim_whitespace=False
    )
    password = schema_field(serializers.CharField, {"type": "string", "maxLength": 4096, "pattern": NO_NUL})(
        max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text="Send it as the header `Authorization: Token <token>`. It is shown this once: keep it."
    )
    expires = serializers.DateTimeField(help_text="When it stops working; ask for a new one before then.")


WRONG_CREDENTIALS = gettext_lazy("The username or password is wrong.")
LOCKED_OUT = gettext_lazy(
    "Too many failed sign-ins: the account is locked for a while. Try again later, or ask the system administrator."
)


class TokenView(APIView):
    """Trade a username and password for a new API token; send it with every request as
    ``Authorization: Token <key>``. It lasts API_TOKEN_DAYS and is revoked when the password
    changes (common/api/tokens.py); each request issues another, up to a limit per person.

    Sign-in failures count towards django-axes' lock-out exactly as on the sign-in page: the
    answer to a failure is returned, not raised, so that the request's transaction keeps
    axes' record of it.
    """

    authentication_classes = []
    permission_classes = []
    # A form is still read (a shell's `curl -d`), but the schema declares the JSON body only: a
    # client generated from it (openapi-python-client) needs one request body per operation.
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        summary="Get a new API token",
        request={"application/json": TokenRequestSerializer},
        responses={
            200: TokenSerializer,
            400: ERROR_400,
            403: OpenApiResponse(DetailSerializer, description="You already hold the most tokens one may: revoke one"),
            429: OpenApiResponse(DetailSerializer, description="Too many failed sign-ins: locked out for a while"),
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        serializer = TokenRequestSerializer(data=request.data)
        if not serializer.is_valid():
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        # The DRF request, not Django's: axes marks it when locked out, and its middleware
        # (which would answer with the sign-in page's HTML) does not see the mark.
        user = authenticate(request=request, **serializer.validated_data)
        if getattr(request, "axes_locked_out", False):
            return Response({"detail": LOCKED_OUT}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        if user is None or not user.is_active:
            return Response({"non_field_errors": [WRONG_CREDENTIALS]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            row, token = token_issue(user=user)
        except ValidationError as exc:
            return Response({"detail": exc.messages[0]}, status=status.HTTP_403_FORBIDDEN)
        return Response(TokenSerializer({"token": token, "expires": row.expiry}).data)


API_DESCRIPTION = """\
API v1 of the Keelung City Government KPI tracker (medium-term plan performance tracking).

**Signing in.** POST your username and password to `/api/v1/auth/token/` to get a token, then send
`Authorization: Token <key>` with every request (a browser that is signed in to the site may use its
session instead). Each POST issues a new token, shown that once: keep it, rather than asking again.
A token expires after the days its answer's `expires` says (401 after that), and is revoked when your
password changes or your account is closed. `GET /api/v1/auth/tokens/` lists your tokens and
`DELETE /api/v1/auth/tokens/<token_key>/` revokes one; the site's "API tokens" page does the same.
The open-data indicator list, `GET /api/v1/indicators/`, needs no sign-in.

**Who sees what** is the same as on the pages: staff see their department's indicators and reports,
reviewers review their department's reports (never their own), the planning office sees everything.

**Years** are ROC years (112 is 2023); a Gregorian year is refused, not converted.

**Errors.** 400: `{field: [messages]}` (a common indicator's inputs nest under `inputs`; messages are in
zh-Hant, or in English with the cookie `django_language=en`, as on the pages); 401, 403, 404: `{"detail": message}`; 409 (someone saved the report since
your copy): `{"detail", "current_version", "changes": {field: {"current", "yours"}}}`.
"""

app_name = "api"
urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("auth/tokens/", ApiTokenListView.as_view(), name="token-list"),
    path("auth/tokens/<token_key:token_key>/", ApiTokenDetailView.as_view(), name="token-detail"),
    path("schema/", SchemaView.as_view(custom_settings={"DESCRIPTION": API_DESCRIPTION}), name="schema"),
    path("docs/", SwaggerView.as_view(), name="docs"),
    path("redoc/", RedocView.as_view(), name="redoc"),
    path("endpoints/", endpoint_list, name="endpoints"),
    *plan_patterns,
    *kpi_patterns,
    *report_patterns,
    re_path(r"^(?P<path>[\s\S]*)$", not_found),  # [\s\S]: a path with a newline (%0A) too
]
