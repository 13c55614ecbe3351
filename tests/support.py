"""Helpers shared by the web tests. Every test that needs a fully signed-in client (past any
second factor) goes through :func:`signed_in`, so the sign-in rules live in one place."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_device(user: Any) -> TOTPDevice:
    """The user's confirmed authenticator app, made if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)
    return device


def totp_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app holding ``device``'s key shows now (or ``steps_ahead``
    time steps later), reloaded from the database, as the user would type it."""
    device.refresh_from_db()
    code = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0,
        digits=device.digits,
        drift=device.drift + steps_ahead,
    )
    return f"{code:0{device.digits}d}"


def sign_in(client: Client, user: Any) -> Client:
    """Sign ``client`` in as ``user`` as if they had completed every sign-in step: signed in
    and their session marked as verified by their authenticator app, exactly as
    ``django_otp.login`` marks it."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session.save()
    return client


def signed_in(user: Any) -> Client:
    return sign_in(Client(), user)


def password_accepted(client: Client, username: str, password: str) -> bool:
    """Give the sign-in page a username and password, as a browser would (``Client.login``
    cannot: the lockout needs the request). True when the password is accepted and the client
    is sent on to the second factor; the client is then signed in only that far."""
    response = client.post(
        reverse("accounts:sign-in"), {"username": username, "password": password}
    )
    return response.status_code == 302 and str(response["Location"]).startswith(
        reverse("accounts:verify")
    )


def date_fields(name: str, on: dt.date) -> dict[str, str]:
    """A GOV.UK date input's three posted fields (``<name>_day``, ``_month``, ``_year``)."""
    return {
        f"{name}_day": str(on.day),
        f"{name}_month": str(on.month),
        f"{name}_year": str(on.year),
    }
