"""The sign-in lock-out behind the city's reverse proxy (config/client_ip.py).

Every request comes from the proxy's address; the client's is in X-Forwarded-For. The
lock-out must key on the username and the client's real address: five wrong passwords for
staff from client A lock staff out from A only, never from every desk behind the proxy. And
without a proxy the header is not believed, or changing it would dodge the lock-out.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.test_settings import run_settings

PROXY = "10.0.0.1"
A = "198.51.100.7"
B = "198.51.100.8"
TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture
def one_proxy(settings):
    settings.PROXY_COUNT = 1


def sign_in(client, password, forwarded_for=None, remote_addr=PROXY):
    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post(reverse("login"), {"username": "staff", "password": password}, **headers)


def ask_token(password, forwarded_for=None, remote_addr=PROXY):
    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return APIClient().post(TOKEN_URL, {"username": "staff", "password": password}, format="json", **headers)


def lock_out_from(client, forwarded_for, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "wrong", forwarded_for).status_code == 200
    assert sign_in(client, "wrong", forwarded_for).status_code == 429


def test_failures_from_one_client_lock_the_user_out_from_that_client_only(client, staff, one_proxy, settings):
    lock_out_from(client, A, settings)
    assert sign_in(client, "pw-staff", A).status_code == 429  # even the right password, from A
    assert "_auth_user_id" not in client.session
    # The same person at another desk, through the same proxy, still signs in.
    response = sign_in(client, "pw-staff", B)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_the_token_endpoint_locks_out_by_the_real_client_too(staff, one_proxy, settings):
    for attempt in range(1, settings.AXES_FAILURE_LIMIT + 1):
        assert ask_token("wrong", A).status_code == (429 if attempt == settings.AXES_FAILURE_LIMIT else 400)
    assert ask_token("pw-staff", A).status_code == 429
    response = ask_token("pw-staff", B)
    assert response.status_code == 200
    assert response.json()["token"]


def test_a_client_made_up_leftmost_address_is_not_believed(client, staff, one_proxy, settings):
    """The proxy appends the address it saw; whatever the client put before it is the client's story."""
    for n in range(settings.AXES_FAILURE_LIMIT):
        # A different made-up address on every try, and junk: all counted as A.
        assert sign_in(client, "wrong", f"203.0.113.{n + 1}, {A}").status_code == (
            429 if n == settings.AXES_FAILURE_LIMIT - 1 else 200
        )
    assert sign_in(client, "pw-staff", f"fake, {A}").status_code == 429
    assert sign_in(client, "pw-staff", A).status_code == 429
    # Claiming to be B from A does not get A in either.
    assert sign_in(client, "pw-staff", f"{B}, {A}").status_code == 429
    # And B itself, through the same proxy, is not locked out.
    assert sign_in(client, "pw-staff", B).status_code == 302


def test_without_a_proxy_the_forwarded_header_is_ignored(client, staff, settings):
    settings.PROXY_COUNT = 0
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "wrong", f"203.0.113.{n + 1}", remote_addr=A).status_code == 200
    # A new X-Forwarded-For on every try does not escape the lock-out: it keys on REMOTE_ADDR.
    assert sign_in(client, "wrong", "203.0.113.99", remote_addr=A).status_code == 429
    assert sign_in(client, "pw-staff", B, remote_addr=A).status_code == 429
    assert ask_token("pw-staff", B, remote_addr=A).status_code == 429
    # Another machine is another address.
    assert sign_in(client, "pw-staff", remote_addr=B).status_code == 302


def test_a_request_that_bypassed_the_proxy_is_keyed_on_its_own_address(client, staff, one_proxy, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "wrong", remote_addr=A)  # no X-Forwarded-For at all
    assert sign_in(client, "pw-staff", remote_addr=A).status_code == 429
    assert sign_in(client, "pw-staff", A).status_code == 429  # A again, now through the proxy
    assert sign_in(client, "pw-staff", B).status_code == 302


def test_proxy_count_must_be_a_count():
    result = run_settings(SECRET_KEY="a-secret", PROXY_COUNT="-1")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "PROXY_COUNT" in result.stderr


def test_intranet_clients_behind_a_proxy_with_a_public_address(client, staff, one_proxy, settings):
    """ipware, given X-Forwarded-For and REMOTE_ADDR, would prefer a public address to a private
    one: the proxy's, for everyone. Only the header is read when there is a proxy."""
    proxy, desk_a, desk_b = "8.8.8.8", "10.1.2.3", "10.1.2.4"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "wrong", desk_a, remote_addr=proxy)
    assert sign_in(client, "pw-staff", desk_a, remote_addr=proxy).status_code == 429
    assert sign_in(client, "pw-staff", desk_b, remote_addr=proxy).status_code == 302
