from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.http import require_safe

from config import health, session, tokens
from kpi import access


class SignInView(auth_views.LoginView):
    """Django's sign-in, landing each person on the screen of their daily work
    (`kpi.access.landing_url`); a `next=` address still wins."""

    def get_default_redirect_url(self):
        return access.landing_url(self.request.user)


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico where a page names no icon (the API's JSON, downloads)."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


# A database failure outside a view gets the same 503 as inside one (config/middleware.py).
handler500 = "config.middleware.server_error"
# Under /api/ these answer JSON ({"detail": …}); elsewhere Django's pages (templates/4xx.html).
handler400 = "config.middleware.bad_request"
handler403 = "config.middleware.permission_denied"
handler404 = "config.middleware.page_not_found"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/session/keepalive/", session.keepalive, name="session_keepalive"),
    # Changing one's password, and setting a new one through an e-mailed link (Django's
    # views, our templates in templates/registration/).
    path("accounts/password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password/reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    # A person's API tokens: list, issue (shown once), revoke one or all (config/tokens.py).
    path("accounts/tokens/", tokens.api_tokens, name="api_tokens"),
    path("accounts/tokens/new/", tokens.api_token_create, name="api_token_create"),
    path("accounts/tokens/revoke-all/", tokens.api_tokens_revoke_all, name="api_tokens_revoke_all"),
    path("accounts/tokens/<token_key:token_key>/revoke/", tokens.api_token_revoke, name="api_token_revoke"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("config.api_urls")),
    path("", include("kpi.urls")),
    path("", include("reports.urls")),
]
