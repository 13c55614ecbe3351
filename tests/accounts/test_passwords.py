"""Passwords: strong ones only; a reset by e-mail that reveals nothing; a page to change one."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.accounts.forms import PASSWORD_ERRORS, PASSWORDS_DIFFER, WRONG_CURRENT_PASSWORD
from escalate.accounts.models import User
from tests.accounts.conftest import PASSWORD, VERIFY, is_signed_in, post_password
from tests.support import signed_in

pytestmark = pytest.mark.django_db
RESET = reverse("accounts:password-reset")
NEW = "a-brand-new-passphrase"


def _ask(email: str) -> tuple[int, str, str]:
    client = Client()
    response = client.post(RESET, {"email": email})
    page = client.get(response["Location"]).content.decode()
    return response.status_code, response["Location"], page


def test_a_reset_says_the_same_whether_or_not_the_account_exists(user: User) -> None:
    known = _ask(user.email)
    unknown = _ask("nobody@example.org")
    assert known == unknown
    assert known[0] == 302
    assert "If an Escalate account uses the email address you entered" in known[2]


def test_a_reset_emails_only_an_address_that_has_an_account(user: User) -> None:
    _ask("nobody@example.org")
    assert mail.outbox == []
    _ask(user.email.upper())  # addresses match whatever their case
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert message.subject == "Reset your Escalate password"
    for personal in (user.username, user.email, "sam", "example"):
        assert personal.lower() not in message.subject.lower()


def _link(message: mail.EmailMessage) -> str:
    found = re.search(r"https?://[^/\s]+(/account/password-reset/\S+/)", str(message.body))
    assert found is not None, message.body
    return found.group(1)


def test_a_reset_link_sets_a_new_password_once(user: User, device: TOTPDevice) -> None:
    _ask(user.email)
    link = _link(mail.outbox[0])
    client = Client()
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert response["Location"] == reverse("accounts:password-reset-complete")
    assert not is_signed_in(client)  # a reset does not sign in

    again = Client().get(link, follow=True)
    assert "This link does not work" in again.content.decode()

    # The new password works, and the second factor is still asked for.
    fresh = Client()
    assert post_password(fresh, user.username, NEW)["Location"].startswith(VERIFY)
    assert not is_signed_in(fresh)


def test_a_reset_ends_every_session(user: User) -> None:
    client = signed_in(user)
    _ask(user.email)
    reset = Client()
    form_page = reset.get(_link(mail.outbox[0]), follow=True)
    reset.post(form_page.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert not is_signed_in(client)


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short-pw1", "password_too_short"),
        ("password1234", "password_too_common"),
        ("123456789012345", "password_entirely_numeric"),
        ("sam.example.2", "password_too_similar"),
    ],
)
def test_weak_passwords_are_refused(user: User, password: str, code: str) -> None:
    client = signed_in(user)
    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
    )
    assert response.status_code == 200
    assert PASSWORD_ERRORS[code] in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_changing_a_password_needs_the_current_one_and_a_match(user: User) -> None:
    client = signed_in(user)
    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": "wrong-one-here", "new_password1": NEW, "new_password2": NEW + "x"},
    )
    html = response.content.decode()
    assert WRONG_CURRENT_PASSWORD in html
    assert PASSWORDS_DIFFER in html
    assert 'href="#id_old_password"' in html  # the error summary links to the field


def test_a_new_password_keeps_its_spaces(user: User) -> None:
    client = signed_in(user)
    spaced = "  spaces around this one  "
    client.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": spaced, "new_password2": spaced},
    )
    user.refresh_from_db()
    assert user.check_password(spaced)


def test_the_reset_pages_are_open_to_a_half_signed_in_user(client: Client, user: User) -> None:
    post_password(client, user.username)
    assert client.get(RESET).status_code == 200
