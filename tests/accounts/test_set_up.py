"""First sign-in without an authenticator app: set one up, then save the recovery codes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.accounts import mfa
from escalate.accounts.forms import RECOVERY_WRONG
from escalate.accounts.models import User
from tests.accounts.conftest import VERIFY, is_signed_in, post_password, sign_in_fully
from tests.support import totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("not_demo")]
SET_UP = reverse("accounts:set-up")


def _set_up(client: Client, user: User) -> list[str]:
    """Set up an app through the pages; return the recovery codes shown."""
    post_password(client, user.username)
    response = client.get(VERIFY)
    assert response.status_code == 302
    assert response["Location"].startswith(SET_UP)
    page = client.get(response["Location"])
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    html = page.content.decode()
    assert mfa.secret_text(device) in html
    assert f'src="{reverse("accounts:set-up-qr")}"' in html

    done = client.post(SET_UP, {"otp_token": totp_code(device)})
    assert done.status_code == 302
    assert done["Location"].startswith(reverse("accounts:recovery-codes"))
    codes_page = client.get(done["Location"])
    assert codes_page.status_code == 200
    codes = [t.token for t in StaticToken.objects.filter(device__user=user)]
    assert len(codes) == mfa.RECOVERY_CODE_COUNT == 10
    for code in codes:
        assert code in codes_page.content.decode()
    return codes


def test_first_sign_in_sets_up_an_app(client: Client, user: User) -> None:
    codes = _set_up(client, user)
    assert TOTPDevice.objects.get(user=user).confirmed
    assert is_signed_in(client)
    # The codes are shown once.
    again = client.get(reverse("accounts:recovery-codes"))
    assert again.status_code == 302
    assert codes[0] not in client.get(again["Location"]).content.decode()


def test_the_qr_code_is_an_uncached_svg_image(client: Client, user: User) -> None:
    post_password(client, user.username)
    client.get(SET_UP)
    response = client.get(reverse("accounts:set-up-qr"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"<?xml")
    assert b"<script" not in response.content


def test_a_wrong_code_does_not_confirm_the_app(client: Client, user: User) -> None:
    post_password(client, user.username)
    client.get(SET_UP)
    response = client.post(SET_UP, {"otp_token": "000000"})
    assert response.status_code == 200
    assert not TOTPDevice.objects.get(user=user).confirmed
    assert not is_signed_in(client)


def test_an_app_once_set_up_cannot_be_replaced_from_the_sign_in(
    client: Client, user: User, device: TOTPDevice
) -> None:
    """Someone with only the password cannot add their own app to the account."""
    post_password(client, user.username)
    response = client.get(SET_UP)
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert client.post(SET_UP, {"otp_token": "123456"}).status_code == 302
    assert client.get(reverse("accounts:set-up-qr")).status_code == 404
    assert list(TOTPDevice.objects.filter(user=user)) == [device]


def test_a_recovery_code_works_once(client: Client, user: User) -> None:
    codes = _set_up(client, user)
    client.post(reverse("accounts:sign-out"))

    post_password(client, user.username)
    response = client.post(reverse("accounts:recovery-code"), {"recovery_code": codes[0]})
    assert response.status_code == 302
    assert is_signed_in(client)
    assert mfa.recovery_codes_left(user) == 9
    client.post(reverse("accounts:sign-out"))

    post_password(client, user.username)
    response = client.post(reverse("accounts:recovery-code"), {"recovery_code": codes[0]})
    assert response.status_code == 200
    assert RECOVERY_WRONG in response.content.decode()
    assert not is_signed_in(client)


def test_a_recovery_code_may_be_typed_in_capitals_with_spaces(
    client: Client, user: User, device: TOTPDevice, no_throttle: None
) -> None:
    codes = mfa.new_recovery_codes(user)
    post_password(client, user.username)
    typed = f" {codes[3][:4].upper()} {codes[3][4:]} "
    response = client.post(reverse("accounts:recovery-code"), {"recovery_code": typed})
    assert response.status_code == 302
    assert is_signed_in(client)


def test_new_recovery_codes_replace_the_old(client: Client, user: User, device: TOTPDevice) -> None:
    old = mfa.new_recovery_codes(user)
    sign_in_fully(client, user, device)
    response = client.post(reverse("accounts:new-recovery-codes"))
    assert response["Location"] == reverse("accounts:recovery-codes")
    page = client.get(response["Location"]).content.decode()
    new = [t.token for t in StaticToken.objects.filter(device__user=user)]
    assert len(new) == 10
    assert not set(old) & set(new)
    assert all(code in page for code in new)


def test_the_admin_never_shows_a_secret(user: User, device: TOTPDevice) -> None:
    from tests.support import signed_in

    admin = User.objects.create_superuser(
        username="root", email="root@example.org", password="an-admin-password-1"
    )
    mfa.new_recovery_codes(user)
    client = signed_in(admin)
    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert page.status_code == 200
    assert device.key not in page.content.decode()
    qr: Any = client.get(reverse("admin:otp_totp_totpdevice_qrcode", args=[device.pk]))
    assert qr.status_code == 403
    static = StaticDevice.objects.get(user=user)
    page = client.get(reverse("admin:otp_static_staticdevice_change", args=[static.pk]))
    assert page.status_code == 200
    for token in static.token_set.values_list("token", flat=True):
        assert token not in page.content.decode()
