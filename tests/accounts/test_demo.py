"""Demo mode (and only demo mode) shows a demo account's current code on the code page, so
that anyone can try the demo without an authenticator app; the code must still be typed."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.accounts import mfa
from escalate.accounts.models import User
from tests.accounts.conftest import VERIFY, is_signed_in, post_code, post_password
from tests.support import totp_code

pytestmark = pytest.mark.django_db
DEMO_CODE = re.compile(r"Demo: the current code for this account is <strong[^>]*>(\d{6})</strong>")


def test_the_demo_shows_the_current_code(client: Client, user: User, settings: object) -> None:
    post_password(client, user.username)
    page = client.get(VERIFY).content.decode()
    found = DEMO_CODE.search(page)
    assert found is not None
    device = TOTPDevice.objects.get(user=user)  # made at the first sign-in, in demo mode
    assert device.confirmed
    # The code of the time step the page was drawn in: now, or one step ago if a 30-second
    # boundary fell between drawing it and this line.
    assert found.group(1) in {totp_code(device), totp_code(device, steps_ahead=-1)}

    assert not is_signed_in(client)  # seeing the code is not entering it
    assert post_code(client, found.group(1)).status_code == 302
    assert is_signed_in(client)


def test_the_demo_shows_a_usable_code_after_one_was_used(client: Client, user: User) -> None:
    post_password(client, user.username)
    first = DEMO_CODE.search(client.get(VERIFY).content.decode())
    assert first is not None
    post_code(client, first.group(1))
    client.post("/account/sign-out/")

    post_password(client, user.username)
    second = DEMO_CODE.search(client.get(VERIFY).content.decode())
    assert second is not None
    assert second.group(1) != first.group(1)
    assert post_code(client, second.group(1)).status_code == 302
    assert is_signed_in(client)


def test_no_code_is_shown_outside_the_demo(
    client: Client, user: User, device: TOTPDevice, not_demo: None
) -> None:
    post_password(client, user.username)
    page = client.get(VERIFY).content.decode()
    assert "Demo:" not in page
    assert totp_code(device) not in page


def test_outside_the_demo_no_app_is_made_for_anyone(
    client: Client, user: User, not_demo: None
) -> None:
    post_password(client, user.username)
    response = client.get(VERIFY)
    assert response["Location"].startswith("/account/set-up/")
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    with pytest.raises(PermissionError):
        mfa.demo_device(user)
