"""Signing in takes a password and then a second factor; nothing is reachable in between."""

from __future__ import annotations

from typing import Any

import django_otp
import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.accounts import mfa
from escalate.accounts.forms import CODE_FORMAT, CODE_WRONG
from escalate.accounts.models import User
from escalate.procedures.schema import Level
from tests.accounts.conftest import (
    PASSWORD,
    VERIFY,
    is_signed_in,
    post_code,
    post_password,
    sign_in_fully,
)
from tests.cases.conftest import World, make_world, raise_one
from tests.support import totp_code

pytestmark = pytest.mark.django_db


def test_password_then_code_signs_in_and_returns_to_the_page_asked_for(
    client: Client, user: User, device: TOTPDevice
) -> None:
    asked = client.get("/escalations/?view=mine")
    assert asked.status_code == 302
    sign_in_page = client.get(asked["Location"])
    assert sign_in_page.status_code == 200

    response = post_password(client, user.username, next="/escalations/?view=mine")
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fescalations%2F%3Fview%3Dmine"

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Enter the 6-digit code from your authenticator app" in page.content.decode()
    assert 'autocomplete="one-time-code"' in page.content.decode()

    done = post_code(client, totp_code(device), next_url="/escalations/?view=mine")
    assert done.status_code == 302
    assert done["Location"] == "/escalations/?view=mine"
    assert is_signed_in(client)


def test_the_code_page_refuses_a_next_address_elsewhere(
    client: Client, user: User, device: TOTPDevice
) -> None:
    post_password(client, user.username)
    done = post_code(client, totp_code(device), next_url="https://evil.example/")
    assert done["Location"] == reverse("cases:home")


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
    client: Client, user: User
) -> None:
    for username, password in ((user.username, "wrong-password-1"), ("nobody", PASSWORD)):
        response = post_password(client, username, password)
        assert response.status_code == 200
        assert "Enter a correct username and password" in response.content.decode()
    assert not is_signed_in(client)


@pytest.fixture
def world(db: None) -> World:
    return make_world("north-east-lincolnshire")


@pytest.fixture
def escalation_url(world: World) -> str:
    return f"/escalations/{raise_one(world).reference}/"


def test_a_password_alone_reaches_no_page(
    client: Client, world: World, escalation_url: str
) -> None:
    user = world.user("a", Level.PRACTITIONER)
    user.set_password(PASSWORD)
    user.save()
    user.is_staff = True  # even an administrator's password alone opens nothing
    user.is_superuser = True
    user.save()
    assert post_password(client, user.username).status_code == 302

    for url in (
        "/",
        "/escalations/",
        escalation_url,
        f"{escalation_url}contact/",
        "/raise/",
        "/raise/immediate-risk/",
        "/procedure/",
        "/admin/",
        "/admin/accounts/user/",
        reverse("accounts:account"),
        reverse("accounts:password-change"),
        reverse("accounts:sign-out-everywhere"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{VERIFY}?next="), url
        response = client.post(url, {})
        assert response.status_code == 302, url
        assert response["Location"] == VERIFY, url


def test_the_admin_sign_in_also_needs_the_second_factor(client: Client, user: User) -> None:
    user.is_staff = user.is_superuser = True
    user.save()
    response = client.post(
        reverse("admin:login"), {"username": user.username, "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)


def test_a_used_code_cannot_be_used_again(client: Client, user: User, device: TOTPDevice) -> None:
    code = totp_code(device)
    sign_in_fully(client, user, device)
    client.post(reverse("accounts:sign-out"))

    again = Client()
    post_password(again, user.username)
    response = post_code(again, code)
    assert response.status_code == 200
    assert CODE_WRONG in response.content.decode()
    assert not is_signed_in(again)


def test_a_used_code_is_refused_by_a_process_that_loaded_the_device_before(
    user: User, device: TOTPDevice
) -> None:
    """Two processes, each with its own copy of the device: what one accepts, the other
    refuses, because the check reloads the device from the database and the accepted time step
    is saved there, not kept in memory."""
    other_process_copy = TOTPDevice.objects.get(pk=device.pk)
    code = totp_code(device)

    first = mfa.check_totp(user, device, code)
    assert first.result == mfa.CodeResult.ACCEPTED
    assert TOTPDevice.objects.get(pk=device.pk).last_t >= 0  # stored

    second = mfa.check_totp(user, other_process_copy, code)
    assert second.result == mfa.CodeResult.WRONG
    assert django_otp.verify_token(user, other_process_copy.persistent_id, code) is None
    fresh = TOTPDevice.objects.get(pk=device.pk)
    assert fresh.verify_token(code) is False


def test_an_earlier_code_is_refused_once_a_later_one_was_used(
    user: User, device: TOTPDevice
) -> None:
    earlier = totp_code(device)
    later = totp_code(device, steps_ahead=1)
    assert mfa.check_totp(user, device, later).result == mfa.CodeResult.ACCEPTED
    assert mfa.check_totp(user, device, earlier).result == mfa.CodeResult.WRONG


def test_codes_must_look_like_codes(client: Client, user: User, device: TOTPDevice) -> None:
    post_password(client, user.username)
    for bad in ("12345", "abcdef", "1234567"):
        response = post_code(client, bad)
        assert CODE_FORMAT in response.content.decode(), bad
    response = post_code(client, "")
    assert "Enter the 6-digit code from your authenticator app" in response.content.decode()
    assert response.content.decode().count('class="govuk-error-summary"') == 1


def test_a_code_with_spaces_is_accepted(client: Client, user: User, device: TOTPDevice) -> None:
    post_password(client, user.username)
    code = totp_code(device)
    response = post_code(client, f" {code[:3]} {code[3:]} ")
    assert response.status_code == 302
    assert is_signed_in(client)


def test_a_code_straight_after_a_wrong_one_waits_for_the_back_off(
    client: Client, user: User, device: TOTPDevice
) -> None:
    post_password(client, user.username)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    assert CODE_WRONG in post_code(client, wrong).content.decode()
    response = post_code(client, totp_code(device))
    assert response.status_code == 200
    assert "Wait 1 second, then enter the code your app shows" in response.content.decode()
    assert not is_signed_in(client)


def test_the_sign_in_page_sends_a_half_signed_in_user_on(client: Client, user: User) -> None:
    post_password(client, user.username)
    response = client.get(reverse("accounts:sign-in"))
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"].startswith(VERIFY)


def test_the_code_page_needs_a_password_first(client: Client) -> None:
    for url in (VERIFY, reverse("accounts:recovery-code"), reverse("accounts:set-up")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:sign-in")
    assert client.get(reverse("accounts:set-up-qr")).status_code == 404


def test_a_verified_user_skips_the_code_page(client: Client, user: User, device: Any) -> None:
    sign_in_fully(client, user, device)
    response = client.get(VERIFY)
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:home")


def test_a_recovery_code_clears_the_apps_back_off(
    client: Client, user: User, device: TOTPDevice
) -> None:
    device.throttling_failure_count = 30  # days of back-off, after many wrong codes
    device.throttling_failure_timestamp = device.created_at
    device.save()
    codes = mfa.new_recovery_codes(user, reason="asked")
    post_password(client, user.username)
    response = post_code(client, totp_code(device))
    assert "hours, then enter the code" in response.content.decode()
    client.post(reverse("accounts:recovery-code"), {"recovery_code": codes[0]})
    assert is_signed_in(client)
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_the_shared_helper_tells_a_right_password_from_a_wrong_one(user: User) -> None:
    from tests.support import password_accepted

    assert not password_accepted(Client(), user.username, "wrong-password-1")
    client = Client()
    assert password_accepted(client, user.username, PASSWORD)
    assert not is_signed_in(client)
