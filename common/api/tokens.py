"""API tokens (API 權杖): issuing, listing, revoking, and signing requests in with them.

A token is django-rest-knox's: the database keeps only its hash and its first characters
(``token_key``, which is how a person and the admin tell their tokens apart), so a token
is shown once, when it is issued, and never again. Each lasts ``API_TOKEN_DAYS`` (knox's
``TOKEN_TTL``) and a person holds at most ``TOKEN_LIMIT_PER_USER`` live ones. A token is
revoked (deleted) by its owner, by an admin, and by itself when its owner's password
changes or the account is deactivated (common/signals.py).

Every surface, the token endpoint, the API tokens page and the token API, calls these
functions.
"""

from __future__ import annotations

from hmac import compare_digest

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions

INVALID_TOKEN = gettext_lazy("Invalid token.")  # DRF's words, translated in its catalogue
EXPIRED_TOKEN = gettext_lazy("This API token has expired. Ask for a new one.")


def is_expired(token: AuthToken, now=None) -> bool:
    return token.expiry is not None and token.expiry <= (now or timezone.now())


def tokens_for(user) -> QuerySet[AuthToken]:
    """The user's own tokens, newest first, expired ones included (until they are cleared)."""
    return AuthToken.objects.filter(user=user).order_by("-created", "token_key")


def token_issue(*, user) -> tuple[AuthToken, str]:
    """A new token for `user`: the row and the token itself, which exists nowhere else.

    The user's expired tokens are cleared first; a user who already holds
    ``TOKEN_LIMIT_PER_USER`` live tokens is refused (ValidationError) until one is revoked.
    """
    now = timezone.now()
    tokens_for(user).filter(expiry__lte=now).delete()
    limit = knox_settings.TOKEN_LIMIT_PER_USER
    if limit is not None and tokens_for(user).filter(Q(expiry__gt=now) | Q(expiry__isnull=True)).count() >= limit:
        raise ValidationError(
            _(
                "You already have %(limit)s API tokens, the most one person may hold. Revoke one you no longer "
                "use (on the API tokens page, or DELETE /api/v1/auth/tokens/<key>/) and ask again."
            )
            % {"limit": limit},
            code="token_limit",
        )
    return AuthToken.objects.create(user=user)


def token_revoke(*, user, token_key: str) -> bool:
    """Revoke the user's token that starts with `token_key`; False when they have none such
    (someone else's token is, to them, none)."""
    deleted, _by_model = tokens_for(user).filter(token_key=token_key).delete()
    return bool(deleted)


def tokens_revoke_all(*, user) -> int:
    """Revoke every token of the user; how many there were."""
    deleted, _by_model = tokens_for(user).delete()
    return deleted


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``: knox's authentication, with three differences.

    - An expired token is refused with its own message, and is not deleted here (the
      request's transaction is rolled back with the 401 anyway; `token_issue` clears it).
    - Knox also looks through the user's other tokens on every request to delete the
      expired ones; that is a query per request for nothing, so it is not done.
    - A key that is not UTF-8 is an invalid token (401), not a server error.
    """

    def authenticate_credentials(self, token: bytes):
        try:
            key = token.decode("utf-8")
        except UnicodeError:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN) from None
        digest = hash_token(key)
        candidates = AuthToken.objects.filter(token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH]).select_related("user")
        for auth_token in candidates:
            if compare_digest(digest, auth_token.digest):
                if is_expired(auth_token):
                    raise exceptions.AuthenticationFailed(EXPIRED_TOKEN)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(INVALID_TOKEN)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The schema's security scheme for it, under the name it had before knox (``tokenAuth``)."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.authenticate_header(None)
        )
