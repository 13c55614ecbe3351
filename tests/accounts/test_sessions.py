"""Sessions end: after the idle time-out, on signing out, and everywhere at once on asking."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.accounts.middleware import LAST_ACTIVITY_KEY, now_seconds
from escalate.accounts.models import User
from tests.accounts.conftest import (
    PASSWORD,
    VERIFY,
    is_signed_in,
    post_password,
    sign_in_fully,
)
from tests.support import signed_in

pytestmark = pytest.mark.django_db
TIMED_OUT = reverse("accounts:timed-out")


def _idle_for(client: Client, seconds: int) -> None:
    session = client.session
    session[LAST_ACTIVITY_KEY] = now_seconds() - seconds
    session.save()


def test_a_session_idle_for_30_minutes_is_signed_out(user: User) -> None:
    client = signed_in(user)
    assert is_signed_in(client)
    _idle_for(client, 31 * 60)
    response = client.get("/escalations/")
    assert response.status_code == 302
    assert response["Location"] == TIMED_OUT
    page = client.get(TIMED_OUT)
    assert "You have been signed out" in page.content.decode()
    assert "30 minutes" in page.content.decode()
    assert not is_signed_in(client)


def test_a_session_used_within_the_time_out_stays(user: User) -> None:
    client = signed_in(user)
    _idle_for(client, 29 * 60)
    assert is_signed_in(client)
    assert now_seconds() - client.session[LAST_ACTIVITY_KEY] < 60  # refreshed


def test_the_time_out_is_read_from_settings_at_each_request(user: User, settings: Any) -> None:
    client = signed_in(user)
    settings.ESCALATE_IDLE_TIMEOUT_MINUTES = 5
    _idle_for(client, 4 * 60)
    assert is_signed_in(client)
    _idle_for(client, 6 * 60)
    assert client.get("/")["Location"] == TIMED_OUT


def test_a_timed_out_session_key_is_no_use_afterwards(user: User) -> None:
    client = signed_in(user)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    _idle_for(client, 31 * 60)
    client.get("/")
    assert not Session.objects.filter(session_key=key).exists()


def test_stay_signed_in_refreshes_the_session(user: User) -> None:
    client = signed_in(user)
    _idle_for(client, 25 * 60)
    page = client.get(reverse("accounts:session"))
    assert "Stay signed in" in page.content.decode()
    _idle_for(client, 25 * 60)
    response = client.post(reverse("accounts:session"), {"next": "/escalations/"})
    assert response["Location"] == "/escalations/"
    assert now_seconds() - client.session[LAST_ACTIVITY_KEY] < 60


def test_a_signed_out_session_cannot_be_reused(
    client: Client, user: User, device: TOTPDevice
) -> None:
    sign_in_fully(client, user, device)
    assert is_signed_in(client)
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value

    response = client.post(reverse("accounts:sign-out"))
    assert response.status_code == 302
    assert not is_signed_in(client)

    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = stolen
    response = thief.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign-in"))


def test_sign_out_everywhere_ends_every_session(user: User, device: TOTPDevice) -> None:
    here = Client()
    sign_in_fully(here, user, device)
    elsewhere = signed_in(user)  # another browser, with its own verified session
    assert is_signed_in(here) and is_signed_in(elsewhere)
    copied = elsewhere.cookies[settings.SESSION_COOKIE_NAME].value

    page = here.get(reverse("accounts:sign-out-everywhere"))
    assert page.status_code == 200
    response = here.post(reverse("accounts:sign-out-everywhere"))
    assert response["Location"] == reverse("accounts:sign-in")
    assert "signed out on every device" in here.get(response["Location"]).content.decode()

    assert not is_signed_in(here)
    assert not is_signed_in(elsewhere)
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = copied
    assert not is_signed_in(thief)
    # Signing in again works as before.
    fresh = signed_in(User.objects.get(pk=user.pk))
    assert is_signed_in(fresh)


def test_sign_out_everywhere_leaves_other_users_signed_in(user: User) -> None:
    other = User.objects.create_user(username="alex", email="alex@example.org", password="pw-1")
    mine, theirs = signed_in(user), signed_in(other)
    mine.post(reverse("accounts:sign-out-everywhere"))
    assert is_signed_in(theirs)


def test_changing_the_password_ends_the_other_sessions_only(user: User) -> None:
    here, elsewhere = signed_in(user), signed_in(user)
    response = here.post(
        reverse("accounts:password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-and-long-passphrase",
            "new_password2": "a-new-and-long-passphrase",
        },
    )
    assert response.status_code == 302
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)


def test_signing_out_needs_a_post(user: User) -> None:
    client = signed_in(user)
    assert client.get(reverse("accounts:sign-out")).status_code == 405
    assert is_signed_in(client)


def test_the_session_notice_names_the_time_out(user: User, rf: Any, settings: Any) -> None:
    from django.template.loader import render_to_string

    settings.ESCALATE_IDLE_TIMEOUT_MINUTES = 20
    request = rf.get("/escalations/?view=mine")
    request.user = user
    html = render_to_string("accounts/includes/session_notice.html", {"user": user}, request)
    assert "we sign you out after 20 minutes without activity" in html
    # Back to the page, without its query: a search typed there never reaches a URL we make.
    assert 'href="/account/session/?next=/escalations/"' in html


def test_the_time_out_warning_is_on_signed_in_pages_only(
    user: User, device: TOTPDevice, settings: Any
) -> None:
    settings.ESCALATE_IDLE_TIMEOUT_MINUTES = 30
    settings.ESCALATE_TIMEOUT_WARNING_SECONDS = 120
    dialog = 'data-module="app-timeout-warning"'
    anonymous = Client().get(reverse("accounts:sign-in")).content.decode()
    assert dialog not in anonymous and "Stay signed in" not in anonymous
    half_way = Client()
    post_password(half_way, user.username)  # the password only: not yet signed in
    assert dialog not in half_way.get(VERIFY).content.decode()

    page = signed_in(user).get(reverse("accounts:account")).content.decode()
    assert dialog in page
    assert 'data-timeout-seconds="1800"' in page and 'data-warning-seconds="120"' in page
    assert 'action="/account/session/"' in page and 'action="/account/sign-out/"' in page
    assert "we sign you out after 30 minutes without activity" in page

    # Never more than half the time-out, so a short one still leaves time to work.
    settings.ESCALATE_IDLE_TIMEOUT_MINUTES = 2
    settings.ESCALATE_TIMEOUT_WARNING_SECONDS = 600
    page = signed_in(user).get(reverse("accounts:account")).content.decode()
    assert 'data-timeout-seconds="120"' in page and 'data-warning-seconds="60"' in page
