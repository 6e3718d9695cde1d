"""A person's own API tokens: the page (帳號設定 › API 權杖) and the API (/api/v1/auth/tokens/).

Both list the signed-in person's tokens, by their first characters (the rest is kept only
as a hash), with when each was issued and expires, and revoke one or all of them; the page
also issues a new token and shows it once. Someone else's token is, to them, not found.
Issuing and revoking are `common.api.tokens`'s; the token endpoint (config/api_urls.py)
issues through the same function.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.base import DETAIL_ERRORS, READ_ERRORS, ApiMixin
from common.api.tokens import (
    is_expired,
    token_issue,
    token_revoke,
    tokens_for,
    tokens_revoke_all,
)
from common.converters import TokenKeyConverter

# --- The page -------------------------------------------------------------------------------


def _page(request, new_token=None, new_row=None):
    now = timezone.now()
    tokens = list(tokens_for(request.user))
    for token in tokens:
        token.is_expired = is_expired(token, now)
        token.is_new = new_row is not None and token.pk == new_row.pk
    return render(request, "account/api_tokens.html", {"tokens": tokens, "new_token": new_token})


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def api_tokens(request):
    return _page(request)


@never_cache  # the answer shows a new token: no cache may keep it
@login_required
@require_POST
def api_token_create(request):
    """Issue a token and show it, this once, on the page itself: it is not kept anywhere to be
    shown again (the database has only its hash)."""
    try:
        row, token = token_issue(user=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(reverse("api_tokens"))
    return _page(request, new_token=token, new_row=row)


@login_required
@require_POST
def api_token_revoke(request, token_key):
    if not token_revoke(user=request.user, token_key=token_key):
        raise Http404(_("You have no API token that starts with %(key)s.") % {"key": token_key})
    messages.success(request, _("The API token %(key)s… is revoked: it no longer works.") % {"key": token_key})
    return redirect(reverse("api_tokens"))


@login_required
@require_POST
def api_tokens_revoke_all(request):
    count = tokens_revoke_all(user=request.user)
    if count:
        messages.success(request, _("All your API tokens are revoked."))
    return redirect(reverse("api_tokens"))


# --- The API --------------------------------------------------------------------------------


class ApiTokenSerializer(serializers.Serializer):
    token_key = serializers.CharField(
        help_text="The token's first characters, which tell it apart; the rest is kept only as a hash."
    )
    created = serializers.DateTimeField()
    expires = serializers.DateTimeField(source="expiry", allow_null=True)
    expired = serializers.SerializerMethodField(help_text="Past its expiry: refused, and cleared at the next issue.")

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_expired(self, token) -> bool:
        return is_expired(token)


TOKEN_KEY_PATH = OpenApiParameter(
    "token_key",
    {"type": "string", "pattern": f"^{TokenKeyConverter.regex}$"},
    OpenApiParameter.PATH,
    description="The token's first characters (`token_key` in the list).",
)


class ApiTokenListView(ApiMixin, APIView):
    @extend_schema(
        summary="Your API tokens",
        description="Your own tokens, newest first (at most a handful: no pages).",
        responses={200: ApiTokenSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request):
        return Response(ApiTokenSerializer(tokens_for(request.user), many=True).data)


class ApiTokenDetailView(ApiMixin, APIView):
    @extend_schema(
        summary="Revoke one of your API tokens",
        description="It stops working at once (the token you send with this request too, if it is the one).",
        parameters=[TOKEN_KEY_PATH],
        responses={204: OpenApiResponse(description="Revoked"), **DETAIL_ERRORS},
    )
    def delete(self, request, token_key):
        if not token_revoke(user=request.user, token_key=token_key):
            raise Http404
        return Response(status=status.HTTP_204_NO_CONTENT)
