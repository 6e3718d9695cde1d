"""The shared app's one model: API tokens as the admin lists them.

`ApiToken` is django-rest-knox's token model (knox.AuthToken) under names of our own, as
DRF did for its tokens (TokenProxy): knox's model has no translatable names, and its table
and migrations stay knox's. Issuing and revoking live in common/api/tokens.py.
"""

from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken


class ApiToken(AuthToken):
    """An API token (API 權杖): a person's key to the API, stored as a hash with its first
    characters, until it expires or is revoked."""

    class Meta:
        proxy = True
        verbose_name = _("Token")
        verbose_name_plural = _("Tokens")

    def __str__(self) -> str:
        return f"{self.token_key}… ({self.user.get_username()})"  # never the hash
