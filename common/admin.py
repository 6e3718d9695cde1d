"""API tokens in admin: every person's, to find by username and revoke (delete).

Replaces knox's own token admin, which lists tokens by their hash and lets an admin issue a
token for someone else (and so hold their credentials). Here a token is shown by its first
characters, its owner, when it was issued and when it expires; tokens are issued only to
their owner (the token endpoint, the API tokens page).
"""

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken

from common.formatting import roc_datetime
from common.models import ApiToken

try:
    admin.site.unregister(AuthToken)
except NotRegistered:  # pragma: no cover - knox registers it when its admin is imported first
    pass


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("key", "owner", "issued", "expires")
    fields = readonly_fields = ("key", "owner", "issued", "expires")
    search_fields = ("user__username", "token_key")
    list_select_related = ("user",)
    ordering = ("-created",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Key"), ordering="token_key")
    def key(self, token):
        return f"{token.token_key}…"

    @admin.display(description=_("User"), ordering="user__username")
    def owner(self, token):
        return token.user.get_username()

    @admin.display(description=_("Created"), ordering="created")
    def issued(self, token):
        return roc_datetime(token.created)

    @admin.display(description=_("Expires At"), ordering="expiry")
    def expires(self, token):
        return roc_datetime(token.expiry) if token.expiry else "—"
