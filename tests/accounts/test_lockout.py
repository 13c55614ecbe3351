"""Five failed sign-ins for a username lock it for 15 minutes: wrong passwords and wrong codes
alike, kept in the database (django-axes), and shown as a page, not an error."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.accounts import mfa
from escalate.accounts.models import User
from tests.accounts.conftest import (
    VERIFY,
    is_signed_in,
    post_code,
    post_password,
    sign_in_fully,
)
from tests.support import totp_code

pytestmark = pytest.mark.django_db
LOCKED = "You cannot sign in for 15 minutes"


def _fail(client: Client, username: str, times: int) -> None:
    """Wrong passwords; the fifth (and any after) gets the lockout page."""
    for attempt in range(1, times + 1):
        response = post_password(client, username, "not-the-password")
        assert response.status_code == (429 if attempt >= 5 else 200)
        assert (LOCKED in response.content.decode()) is (attempt >= 5)


def _wrong(device: TOTPDevice) -> str:
    return f"{(int(totp_code(device)) + 500_000) % 1_000_000:06d}"


def test_five_wrong_passwords_lock_the_username(client: Client, user: User) -> None:
    _fail(client, user.username, 4)
    fifth = post_password(client, user.username, "not-the-password")
    assert fifth.status_code == 429
    assert LOCKED in fifth.content.decode()
    assert "Traceback" not in fifth.content.decode()


def test_the_right_password_is_refused_while_locked(
    client: Client, user: User, device: TOTPDevice
) -> None:
    _fail(client, user.username, 5)
    for who in (client, Client(REMOTE_ADDR="203.0.113.9")):  # from anywhere
        response = post_password(who, user.username)
        assert response.status_code == 429
        assert LOCKED in response.content.decode()
        assert not is_signed_in(who)
        assert post_code(who, totp_code(device)).status_code == 302  # to sign in, not in
        assert not is_signed_in(who)


def test_an_unknown_username_locks_the_same_way(client: Client, user: User) -> None:
    """The lockout says nothing about whether an account exists."""
    _fail(client, "no.such.person", 4)
    response = post_password(client, "no.such.person", "not-the-password")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()


def test_one_username_locked_leaves_others_alone(client: Client, user: User) -> None:
    other = User.objects.create_user(username="alex", email="alex@example.org", password="pw-1")
    _fail(client, user.username, 5)
    response = post_password(client, other.username, "pw-1")
    assert response.status_code == 302


def test_the_lock_lifts_after_15_minutes(client: Client, user: User, device: TOTPDevice) -> None:
    _fail(client, user.username, 5)
    assert post_password(client, user.username).status_code == 429
    AccessAttempt.objects.update(attempt_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=16))
    sign_in_fully(client, user, device)
    assert is_signed_in(client)


def test_wrong_codes_count_towards_the_lockout(
    client: Client, user: User, device: TOTPDevice, no_throttle: None
) -> None:
    _fail(client, user.username, 3)
    assert post_password(client, user.username).status_code == 302
    assert post_code(client, _wrong(device)).status_code == 200  # the fourth failure
    fifth = post_code(client, _wrong(device))
    assert fifth.status_code == 429
    assert LOCKED in fifth.content.decode()
    assert not is_signed_in(client)
    assert client.get(VERIFY)["Location"] == reverse("accounts:sign-in")  # signed out
    assert post_password(client, user.username).status_code == 429


def test_five_wrong_codes_start_the_sign_in_again(
    client: Client, user: User, device: TOTPDevice, no_throttle: None
) -> None:
    assert post_password(client, user.username).status_code == 302
    for _ in range(mfa.MAX_CODE_ATTEMPTS - 1):
        assert post_code(client, _wrong(device)).status_code == 200
    last = post_code(client, _wrong(device))
    assert last.status_code == 429  # five failures: the username is locked too
    assert not is_signed_in(client)
    assert AccessAttempt.objects.get(username=user.username).failures_since_start == 5


def test_a_half_signed_in_session_stops_when_the_username_is_locked_elsewhere(
    client: Client, user: User, device: TOTPDevice
) -> None:
    assert post_password(client, user.username).status_code == 302
    _fail(Client(), user.username, 5)  # someone else, elsewhere
    response = client.get(VERIFY)
    assert response.status_code == 429
    assert not is_signed_in(client)
    assert post_code(client, totp_code(device)).status_code == 302
    assert not is_signed_in(client)


def test_a_full_sign_in_clears_earlier_failures(
    client: Client, user: User, device: TOTPDevice
) -> None:
    _fail(client, user.username, 4)
    sign_in_fully(client, user, device)
    assert not AccessAttempt.objects.filter(username=user.username).exists()


def test_a_password_alone_does_not_clear_failures(client: Client, user: User) -> None:
    _fail(client, user.username, 4)
    assert post_password(client, user.username).status_code == 302
    assert AccessAttempt.objects.get(username=user.username).failures_since_start == 4


def test_no_password_or_code_is_stored_with_the_attempts(
    client: Client, user: User, device: TOTPDevice, no_throttle: None
) -> None:
    post_password(client, user.username, "a-secret-guess")
    assert post_password(client, user.username).status_code == 302
    wrong = _wrong(device)
    post_code(client, wrong)
    stored = AccessAttempt.objects.get(username=user.username).post_data
    assert "a-secret-guess" not in stored
    assert wrong not in stored
