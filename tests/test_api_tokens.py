"""API tokens (common/api/tokens.py, config/tokens.py): issued hashed and expiring, revoked with
the password and the account, listed and revoked by their owner on a page and through the API,
and by an admin in admin.

Before, a token was DRF's: one per person, kept in plain text, valid for ever, and still valid
after its owner changed the password that had been used to get it.
"""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from knox.models import AuthToken
from rest_framework.test import APIClient

from common.api.tokens import EXPIRED_TOKEN, token_issue, tokens_for
from common.models import ApiToken
from tests.test_admin import admin_url
from tests.test_admin_i18n import visible_text
from tests.test_settings import run_settings

API = "/api/v1/"
SIGNED_IN_ONLY = API + "plans/"


def api(token=None) -> APIClient:
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def works(token) -> bool:
    response = api(token).get(SIGNED_IN_ONLY)
    assert response.status_code in (200, 401), response.content
    if response.status_code == 401:
        assert response["Content-Type"].startswith("application/json")
        assert set(response.json()) == {"detail"}
        assert response["WWW-Authenticate"] == "Token"
    return response.status_code == 200


def ask(username="staff", password="pw-staff"):
    return api().post(API + "auth/token/", {"username": username, "password": password}, format="json")


# --- Issuing -----------------------------------------------------------------------------------


def test_the_token_endpoint_issues_an_expiring_token_that_signs_in(staff, settings):
    before = timezone.now()
    response = ask()
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires"}
    expires = datetime.datetime.fromisoformat(body["expires"])
    lifetime = datetime.timedelta(days=settings.API_TOKEN_DAYS)
    assert before + lifetime <= expires <= timezone.now() + lifetime
    assert works(body["token"])
    # Stored as a hash and its first characters, never in plain text.
    row = AuthToken.objects.get(user=staff)
    assert row.token_key == body["token"][: len(row.token_key)]
    assert body["token"] not in (row.digest, row.token_key)


def test_api_token_days_sets_the_lifetime(staff, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": datetime.timedelta(days=3)}
    row, _token = token_issue(user=staff)
    assert row.expiry - row.created < datetime.timedelta(days=3, minutes=1)
    result = run_settings(
        "from django.conf import settings; print(settings.REST_KNOX['TOKEN_TTL'].days)",
        SECRET_KEY="a-secret",
        API_TOKEN_DAYS="7",
    )
    assert result.stdout.strip() == "7", result.stderr
    refused = run_settings(SECRET_KEY="a-secret", API_TOKEN_DAYS="0")
    assert refused.returncode != 0 and "API_TOKEN_DAYS" in refused.stderr


def test_several_tokens_each_with_its_own_key(staff):
    first, second = ask().json()["token"], ask().json()["token"]
    assert first != second
    assert works(first) and works(second)
    assert tokens_for(staff).count() == 2


def test_a_person_holds_at_most_the_limit_and_expired_ones_do_not_count(staff, settings):
    limit = settings.REST_KNOX["TOKEN_LIMIT_PER_USER"]
    for _ in range(limit):
        assert ask().status_code == 200
    refused = ask()
    assert refused.status_code == 403
    assert set(refused.json()) == {"detail"}
    assert tokens_for(staff).count() == limit
    # Once one has expired, a new one may be issued, and the expired one is cleared.
    expired = tokens_for(staff).last()
    AuthToken.objects.filter(pk=expired.pk).update(expiry=timezone.now() - datetime.timedelta(seconds=1))
    assert ask().status_code == 200
    assert not AuthToken.objects.filter(pk=expired.pk).exists()
    assert tokens_for(staff).count() == limit


def test_the_old_drf_tokens_table_is_gone(db):
    assert "authtoken_token" not in connection.introspection.table_names()


# --- Refused tokens -----------------------------------------------------------------------------


def test_a_token_past_its_expiry_is_refused_with_401(staff):
    row, token = token_issue(user=staff)
    assert works(token)
    AuthToken.objects.filter(pk=row.pk).update(expiry=timezone.now() - datetime.timedelta(seconds=1))
    response = api(token).get(SIGNED_IN_ONLY)
    assert response.status_code == 401
    with translation.override("zh-hant"):
        assert response.json() == {"detail": str(EXPIRED_TOKEN)}


def test_a_token_older_than_the_lifetime_is_refused(staff, settings):
    """Issued API_TOKEN_DAYS and a minute ago: expired, whatever is left of the day."""
    lifetime = datetime.timedelta(days=settings.API_TOKEN_DAYS)
    row, token = token_issue(user=staff)
    issued = timezone.now() - lifetime - datetime.timedelta(minutes=1)
    AuthToken.objects.filter(pk=row.pk).update(created=issued, expiry=issued + lifetime)
    assert not works(token)


@pytest.mark.parametrize("header", [b"Token \xff\xfe", b"Token ", b"Token a b"])
def test_a_malformed_token_header_is_401_not_a_server_error(client, staff, header):
    response = client.get(SIGNED_IN_ONLY, HTTP_AUTHORIZATION=header.decode("latin-1"))
    assert response.status_code == 401
    assert set(response.json()) == {"detail"}


def test_an_inactive_persons_token_is_refused(staff):
    _row, token = token_issue(user=staff)
    get_user_model().objects.filter(pk=staff.pk).update(is_active=False)  # no signal: knox's own check
    assert not works(token)


# --- Revoked with the password and the account --------------------------------------------------

NEW_PASSWORD = "a-new-Passw0rd-for-staff"


@pytest.fixture
def tokens(staff, supervisor):
    """Two tokens of staff's and one of the supervisor's (who must keep theirs)."""
    return [token_issue(user=staff)[1], token_issue(user=staff)[1], token_issue(user=supervisor)[1]]


def assert_staff_revoked(tokens):
    assert not works(tokens[0]) and not works(tokens[1])
    assert works(tokens[2])
    assert not AuthToken.objects.filter(user__username="staff").exists()


def test_changing_the_password_on_the_page_revokes_the_tokens(client, staff, tokens):
    client.force_login(staff)
    response = client.post(
        reverse("password_change"),
        {"old_password": "pw-staff", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert_staff_revoked(tokens)


def test_a_new_password_through_the_reset_link_revokes_the_tokens(client, staff, tokens):
    link = reverse("password_reset_confirm", args=[urlsafe_base64_encode(force_bytes(staff.pk)), "x"])
    link = link.replace("/x/", f"/{default_token_generator.make_token(staff)}/")
    form = client.get(link)
    assert form.status_code == 302  # to the same page without the token in its address
    response = client.post(form["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302, response.content[:500]
    assert_staff_revoked(tokens)


def test_an_admin_setting_the_password_revokes_the_tokens(client, admin_user, staff, tokens):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[staff.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content[:500]
    assert_staff_revoked(tokens)


def test_set_password_and_save_revokes_the_tokens(staff, tokens):
    staff.set_password(NEW_PASSWORD)
    staff.save(update_fields=["password"])
    assert_staff_revoked(tokens)


def test_manage_py_changepassword_revokes_the_tokens(staff, tokens, monkeypatch):
    monkeypatch.setattr(
        "django.contrib.auth.management.commands.changepassword.getpass.getpass", lambda prompt="": NEW_PASSWORD
    )
    call_command("changepassword", "staff", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert_staff_revoked(tokens)


def test_deactivating_the_account_revokes_the_tokens_for_good(staff, tokens):
    staff.is_active = False
    staff.save()
    assert_staff_revoked(tokens)
    staff.is_active = True
    staff.save()
    assert not works(tokens[0])  # reactivating brings none back


def test_other_changes_to_the_person_keep_the_tokens(client, staff, tokens):
    staff.first_name = "王大明"
    staff.email = "wang@example.gov.tw"
    staff.save()
    client.force_login(staff)  # saves last_login
    staff.refresh_from_db()
    staff.save()
    assert works(tokens[0]) and works(tokens[1])


def test_django_rehashing_an_unchanged_password_keeps_the_tokens(client, staff, settings):
    """At sign-in Django re-hashes a password whose hasher is no longer the first choice (after an
    upgrade): the same password, so not a change."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    staff.password = make_password("pw-staff", hasher="pbkdf2_sha256")
    staff.save()
    _row, token = token_issue(user=staff)
    assert client.post(reverse("login"), {"username": "staff", "password": "pw-staff"}).status_code == 302
    staff.refresh_from_db()
    assert staff.password.startswith("md5$")  # re-hashed
    assert works(token)


# --- Your tokens: the page ----------------------------------------------------------------------


def test_the_settings_page_links_to_the_tokens_page(client, staff):
    client.force_login(staff)
    assert reverse("api_tokens") in client.get(reverse("kpi:notification_settings")).content.decode()


def test_the_page_lists_ones_own_tokens_only(client, staff, tokens):
    client.force_login(staff)
    response = client.get(reverse("api_tokens"))
    assert response.status_code == 200
    page = response.content.decode()
    own = [t.token_key for t in tokens_for(staff)]
    assert len(own) == 2 and all(f"{key}…" in page for key in own)
    theirs = AuthToken.objects.get(user__username="supervisor")
    assert theirs.token_key not in page
    for token in tokens:
        assert token not in page  # the tokens themselves are never shown again
    assert page.count(reverse("api_token_revoke", args=[own[0]])) == 1
    assert reverse("api_tokens_revoke_all") in page and reverse("api_token_create") in page


def test_the_page_marks_expired_tokens(client, staff):
    row, _token = token_issue(user=staff)
    AuthToken.objects.filter(pk=row.pk).update(expiry=timezone.now() - datetime.timedelta(hours=1))
    client.force_login(staff)
    response = client.get(reverse("api_tokens"))
    assert [t.is_expired for t in response.context["tokens"]] == [True]


def test_a_new_token_from_the_page_is_shown_once_and_works(client, staff):
    client.force_login(staff)
    response = client.post(reverse("api_token_create"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = response.context["new_token"]
    assert token and token in response.content.decode()
    assert works(token)
    again = client.get(reverse("api_tokens"))
    assert token not in again.content.decode()
    assert f"{token[:15]}…" in again.content.decode()


def test_the_page_refuses_a_token_past_the_limit(client, staff, settings):
    for _ in range(settings.REST_KNOX["TOKEN_LIMIT_PER_USER"]):
        token_issue(user=staff)
    client.force_login(staff)
    response = client.post(reverse("api_token_create"), follow=True)
    assert response.context.get("new_token") is None
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert tokens_for(staff).count() == settings.REST_KNOX["TOKEN_LIMIT_PER_USER"]


def test_revoking_a_token_on_the_page(client, staff, tokens):
    client.force_login(staff)
    key = AuthToken.objects.filter(user=staff).order_by("created").values_list("token_key", flat=True)[0]
    response = client.post(reverse("api_token_revoke", args=[key]))
    assert response.status_code == 302
    assert not works(tokens[0])
    assert works(tokens[1]) and works(tokens[2])


def test_someone_elses_token_cannot_be_revoked_on_the_page(client, staff, tokens):
    client.force_login(staff)
    theirs = AuthToken.objects.get(user__username="supervisor").token_key
    assert client.post(reverse("api_token_revoke", args=[theirs])).status_code == 404
    assert works(tokens[2])


def test_revoking_all_on_the_page_revokes_only_ones_own(client, staff, tokens):
    client.force_login(staff)
    assert client.post(reverse("api_tokens_revoke_all")).status_code == 302
    assert_staff_revoked(tokens)


def test_the_page_needs_a_post_to_revoke(client, staff, tokens):
    client.force_login(staff)
    key = tokens_for(staff).values_list("token_key", flat=True)[0]
    assert client.get(reverse("api_token_revoke", args=[key])).status_code == 405
    assert tokens_for(staff).count() == 2


# --- Your tokens: the API -----------------------------------------------------------------------


def test_the_api_lists_ones_own_tokens(staff, tokens):
    response = api(tokens[0]).get(API + "auth/tokens/")
    assert response.status_code == 200
    body = response.json()
    assert sorted(t["token_key"] for t in body) == sorted(t.token_key for t in tokens_for(staff))
    assert set(body[0]) == {"token_key", "created", "expires", "expired"}
    assert [t["expired"] for t in body] == [False, False]
    assert all(t["token_key"] not in (tokens[0], tokens[1]) for t in body)  # first characters only


def test_the_api_revokes_ones_own_token(staff, tokens):
    key = AuthToken.objects.filter(user=staff).order_by("created").values_list("token_key", flat=True)[0]
    response = api(tokens[1]).delete(API + f"auth/tokens/{key}/")
    assert response.status_code == 204
    assert not works(tokens[0])
    assert works(tokens[1])
    # Revoking the token one is using signs that token out too.
    own = AuthToken.objects.get(user=staff).token_key
    assert api(tokens[1]).delete(API + f"auth/tokens/{own}/").status_code == 204
    assert not works(tokens[1])


def test_someone_elses_token_is_not_found_through_the_api(staff, tokens):
    theirs = AuthToken.objects.get(user__username="supervisor").token_key
    response = api(tokens[0]).delete(API + f"auth/tokens/{theirs}/")
    assert response.status_code == 404
    assert set(response.json()) == {"detail"}
    assert works(tokens[2])
    assert theirs not in api(tokens[0]).get(API + "auth/tokens/").content.decode()


@pytest.mark.parametrize("key", ["not-a-key", "0" * 16, "ABCDEF012345678", "%C3%9C%3B%0Ao"])
def test_a_key_that_cannot_be_a_token_is_a_json_404(staff, tokens, key):
    response = api(tokens[0]).delete(API + f"auth/tokens/{key}/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_a_revoked_token_gets_401_json(staff, tokens):
    api(tokens[0]).delete(API + f"auth/tokens/{tokens_for(staff).last().token_key}/")
    response = api(tokens[0]).get(API + "auth/tokens/")
    if response.status_code == 200:  # the other one was revoked; revoke this one too
        api(tokens[0]).delete(API + f"auth/tokens/{tokens[0][:15]}/")
        response = api(tokens[0]).get(API + "auth/tokens/")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()) == {"detail"}


def test_the_token_api_needs_a_sign_in(db):
    assert api().get(API + "auth/tokens/").status_code == 401
    assert api("0" * 64).get(API + "auth/tokens/").status_code == 401


# --- Admin ----------------------------------------------------------------------------------------


def test_admin_lists_everyones_tokens_by_key_and_owner_never_the_hash(client, admin_user, staff, tokens):
    client.force_login(admin_user)
    response = client.get(admin_url(ApiToken, "changelist"))
    assert response.status_code == 200
    text = visible_text(response)
    for row in AuthToken.objects.all():
        assert f"{row.token_key}…" in text
        assert row.digest not in text  # only in links and form values, as the row's id
        assert client.get(admin_url(ApiToken, "change", row.pk)).status_code == 200
    assert response.context["cl"].result_count == 3
    found = client.get(admin_url(ApiToken, "changelist") + "?q=supervisor")
    assert found.context["cl"].result_count == 1
    assert not admin.site.get_model_admin(ApiToken).has_add_permission(response.wsgi_request)


def test_admin_revokes_someones_token(client, admin_user, staff, tokens):
    client.force_login(admin_user)
    row = AuthToken.objects.get(user__username="supervisor")
    response = client.post(admin_url(ApiToken, "delete", row.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not works(tokens[2])
    assert works(tokens[0])


def test_knox_admin_is_replaced_by_ours():
    assert AuthToken not in admin.site._registry
    assert ApiToken in admin.site._registry
