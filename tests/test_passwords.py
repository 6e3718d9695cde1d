"""Changing one's password, and setting a new one through an e-mailed link."""

import re

from django.core import mail
from django.urls import reverse

CHANGE = reverse("password_change")
RESET = reverse("password_reset")
NEW = "Keelung-harbour-2025!"


def test_a_signed_in_user_changes_their_password_and_stays_signed_in(client, staff):
    client.force_login(staff)
    page = client.get(CHANGE)
    assert page.status_code == 200
    body = page.content.decode()
    assert "變更密碼" in body and 'autocomplete="current-password"' in body

    response = client.post(CHANGE, {"old_password": "pw-staff", "new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    assert "密碼已變更" in client.get(response["Location"]).content.decode()
    staff.refresh_from_db()
    assert staff.check_password(NEW)
    assert client.get(reverse("kpi:home")).status_code == 200  # still signed in


def test_a_wrong_current_password_changes_nothing_and_says_why(client, staff):
    client.force_login(staff)
    response = client.post(CHANGE, {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 200
    body = response.content.decode()
    assert "密碼尚未變更" in body and 'aria-invalid="true"' in body
    staff.refresh_from_db()
    assert staff.check_password("pw-staff")


def test_a_weak_new_password_is_refused(client, staff):
    client.force_login(staff)
    response = client.post(
        CHANGE, {"old_password": "pw-staff", "new_password1": "12345678", "new_password2": "12345678"}
    )
    assert response.status_code == 200
    staff.refresh_from_db()
    assert staff.check_password("pw-staff")


def test_changing_needs_sign_in(client, db):
    response = client.get(CHANGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_pages_link_to_the_password_pages(client, staff):
    assert f'href="{RESET}"' in client.get(reverse("login")).content.decode()
    client.force_login(staff)
    assert f'href="{CHANGE}"' in client.get(reverse("kpi:home")).content.decode()


def test_a_forgotten_password_is_set_again_through_the_emailed_link(client, staff):
    staff.email = "staff@mail.klcg.gov.tw"
    staff.save()
    response = client.post(RESET, {"email": "staff@mail.klcg.gov.tw"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert "請查看電子郵件" in client.get(response["Location"]).content.decode()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["staff@mail.klcg.gov.tw"]
    assert message.subject == "績效管考系統：設定新密碼"
    assert "王小明 您好" in message.body and "您的帳號：staff" in message.body
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", message.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]

    form = client.get("/" + path, follow=True)
    assert form.status_code == 200 and "設定新密碼" in form.content.decode()
    set_url = form.redirect_chain[-1][0]  # Django moves the token out of the address first
    done = client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    staff.refresh_from_db()
    assert staff.check_password(NEW)
    signed_in = client.post(reverse("login"), {"username": "staff", "password": NEW})
    assert signed_in.status_code == 302  # signs in with the new password

    client.logout()
    again = client.get("/" + path, follow=True)
    assert "已經使用過或已過期" in again.content.decode()  # the link works once


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, staff):
    response = client.post(RESET, {"email": "nobody@example.org"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_a_bad_address_is_a_field_error(client, db):
    response = client.post(RESET, {"email": "not an address"})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert mail.outbox == []
