"""Fixtures for the sign-in tests: a user with a password, with or without an authenticator
app, and helpers that walk the sign-in pages as a browser would."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.accounts.models import User
from tests.support import totp_code, totp_device

PASSWORD = "correct-horse-battery-staple"
SIGN_IN = reverse("accounts:sign-in")
VERIFY = reverse("accounts:verify")


@pytest.fixture
def user(db: None) -> User:
    return User.objects.create_user(
        username="sam.example", email="sam@example.org", password=PASSWORD
    )


@pytest.fixture
def device(user: User) -> TOTPDevice:
    return totp_device(user)


@pytest.fixture
def not_demo(settings: Any) -> None:
    settings.ESCALATE_DEMO = False


@pytest.fixture
def no_throttle(settings: Any) -> None:
    """django-otp's own back-off (1, 2, 4... seconds after a wrong code) turned off, so that a
    test can send wrong codes one after another and watch the lockout count them."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def post_password(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post(SIGN_IN, {"username": username, "password": password, **extra})


def post_code(client: Client, code: str, next_url: str = "") -> Any:
    data = {"otp_token": code}
    if next_url:
        data["next"] = next_url
    return client.post(VERIFY, data)


def sign_in_fully(client: Client, user: User, device: TOTPDevice) -> Any:
    """Password, then the device's current code, through the pages."""
    response = post_password(client, user.username)
    assert response.status_code == 302, response
    assert response["Location"].startswith(VERIFY)
    response = post_code(client, totp_code(device))
    assert response.status_code == 302, response.content
    return response


def choose_password_from_link(email_body: str, new_password: str) -> str:
    """Open the reset link in an e-mail in a new browser and choose ``new_password``; return
    the link's path."""
    found = re.search(r"https?://[^/\s]+(/account/password-reset/\S+/)", email_body)
    assert found is not None, email_body
    reset = Client()
    form_page = reset.get(found.group(1), follow=True)
    data = {"new_password1": new_password, "new_password2": new_password}
    response = reset.post(form_page.redirect_chain[-1][0], data)
    assert response.status_code == 302, response.content
    return found.group(1)


def is_signed_in(client: Client) -> bool:
    """Whether the client reaches the home page (not sent to sign in or to the code page)."""
    response = client.get(reverse("cases:home"))
    return response.status_code == 200
