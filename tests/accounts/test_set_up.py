"""First sign-in without an authenticator app: set one up, then save the recovery codes."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.accounts import mfa
from escalate.accounts.forms import RECOVERY_WRONG
from escalate.accounts.models import User
from escalate.audit.models import AuditEntry
from tests.accounts.conftest import (
    VERIFY,
    choose_password_from_link,
    is_signed_in,
    post_password,
    sign_in_fully,
)
from tests.support import totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("not_demo")]
SET_UP = reverse("accounts:set-up")


@pytest.fixture
def may_set_up(user: User) -> User:
    """The user's set-up window is open (as after a password chosen from an e-mailed link)."""
    mfa.allow_set_up(user, actor=user, how="reset-link")
    return user


def _set_up(client: Client, user: User) -> list[str]:
    """Set up an app through the pages; return the recovery codes shown."""
    if not mfa.set_up_allowed(user):
        mfa.allow_set_up(user, actor=user, how="reset-link")
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
    codes = shown_codes(codes_page.content.decode())
    assert len(codes) == mfa.RECOVERY_CODE_COUNT == 10
    assert stored_digests(user) == {mfa.recovery_code_digest(c) for c in codes}
    return codes


CODE_SHOWN = re.compile(r"<code>([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})</code>")


def shown_codes(html: str) -> list[str]:
    return CODE_SHOWN.findall(html)


def stored_digests(user: User) -> set[str]:
    return set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))


def test_first_sign_in_sets_up_an_app(client: Client, user: User) -> None:
    codes = _set_up(client, user)
    assert TOTPDevice.objects.get(user=user).confirmed
    assert is_signed_in(client)
    # The codes are shown once.
    again = client.get(reverse("accounts:recovery-codes"))
    assert again.status_code == 302
    assert codes[0] not in client.get(again["Location"]).content.decode()


def test_the_qr_code_is_an_uncached_svg_image(client: Client, may_set_up: User) -> None:
    user = may_set_up
    post_password(client, user.username)
    client.get(SET_UP)
    response = client.get(reverse("accounts:set-up-qr"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"<?xml")
    assert b"<script" not in response.content


def test_a_wrong_code_does_not_confirm_the_app(client: Client, may_set_up: User) -> None:
    user = may_set_up
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


def test_recovery_codes_are_kept_only_as_digests(user: User) -> None:
    """A copy of the database gives no code that works: only 64 bits of each code's SHA-256
    are stored, and the codes themselves carry 80 random bits."""
    codes = mfa.new_recovery_codes(user, reason="asked")
    stored = stored_digests(user)
    assert len(stored) == 10
    for code in codes:
        assert len(mfa.normalise_recovery_code(code)) == 16
        plain = mfa.normalise_recovery_code(code)
        assert not any(plain.lower() in s or plain in s for s in stored)
    assert all(len(s) == 16 and set(s) <= set("0123456789abcdef") for s in stored)
    # a stored digest typed as if it were a code is not a code
    assert mfa.check_recovery_code(user, next(iter(stored))).result == mfa.CodeResult.WRONG


def test_a_recovery_code_may_be_typed_in_small_letters_with_spaces_and_look_alikes(
    client: Client, user: User, device: TOTPDevice, no_throttle: None
) -> None:
    codes = mfa.new_recovery_codes(user, reason="asked")
    post_password(client, user.username)
    plain = mfa.normalise_recovery_code(codes[3])
    # 0 typed as O and 1 as l are what the person meant
    looks_like = plain.replace("0", "O").replace("1", "l")
    typed = f" {looks_like[:8].lower()}  {looks_like[8:]} "
    response = client.post(reverse("accounts:recovery-code"), {"recovery_code": typed})
    assert response.status_code == 302
    assert is_signed_in(client)


def test_new_recovery_codes_replace_the_old(client: Client, user: User, device: TOTPDevice) -> None:
    old = mfa.new_recovery_codes(user, reason="asked")
    sign_in_fully(client, user, device)
    response = client.post(reverse("accounts:new-recovery-codes"))
    assert response["Location"] == reverse("accounts:recovery-codes")
    page = client.get(response["Location"]).content.decode()
    new = shown_codes(page)
    assert len(new) == 10
    assert not set(old) & set(new)
    assert stored_digests(user) == {mfa.recovery_code_digest(c) for c in new}


def test_the_admin_never_shows_a_secret(user: User, device: TOTPDevice) -> None:
    from tests.support import signed_in

    admin = User.objects.create_superuser(
        username="root", email="root@example.org", password="an-admin-password-1"
    )
    mfa.new_recovery_codes(user, reason="asked")
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


# -- a password alone never adds an app ------------------------------------------------------


def test_a_password_alone_cannot_set_up_an_app(client: Client, user: User) -> None:
    """An account that never set up an app: whoever has its password is asked to prove they
    read its mailbox first; no key, QR code or device is given out."""
    post_password(client, user.username)
    page = client.get(SET_UP)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Confirm your email address to set up your app" in html
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert client.get(reverse("accounts:set-up-qr")).status_code == 404
    # A code typed anyway does nothing.
    client.post(SET_UP, {"otp_token": "123456"})
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not is_signed_in(client)


def test_the_emailed_link_opens_the_window_and_setting_up_closes_it(
    client: Client, user: User, settings: Any
) -> None:
    from django.core import mail

    settings.ESCALATE_SET_UP_WINDOW_HOURS = 24
    post_password(client, user.username)
    sent = client.post(SET_UP, {"otp_token": "123456"})
    assert "Check your email" in sent.content.decode()
    [message] = mail.outbox
    assert message.to == [user.email]
    assert message.subject == "Reset your Escalate password"
    assert "set one up when you next sign in, for the next 24 hours" in str(message.body)
    # At most one e-mail a minute from this page.
    client.post(SET_UP, {})
    assert len(mail.outbox) == 1

    new = "a-new-long-password-2026"
    choose_password_from_link(str(message.body), new)
    user.refresh_from_db()
    assert mfa.set_up_allowed(user)

    fresh = Client()
    post_password(fresh, user.username, new)
    page = fresh.get(SET_UP)
    assert "Set up your authenticator app" in page.content.decode()
    device = TOTPDevice.objects.get(user=user)
    done = fresh.post(SET_UP, {"otp_token": totp_code(device)})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.set_up_allowed_until is None
    assert not mfa.set_up_allowed(user)
    actions = list(
        AuditEntry.objects.filter(object_ref=str(user.pk)).values_list("action", "detail")
    )
    assert ("password-reset-requested", {"why": "set-up"}) in actions
    assert ("password-changed", {"how": "reset-link"}) in actions
    assert ("mfa-set-up-allowed", {"how": "reset-link", "hours": 24}) in actions
    assert ("mfa-set-up", {}) in actions
    assert ("recovery-codes-issued", {"reason": "set-up"}) in actions


def test_the_window_closes_by_itself(client: Client, user: User) -> None:
    from django.utils import timezone

    mfa.allow_set_up(user, actor=user, how="reset-link")
    User.objects.filter(pk=user.pk).update(set_up_allowed_until=timezone.now())
    post_password(client, user.username)
    assert "Confirm your email address" in client.get(SET_UP).content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_a_reset_link_does_not_open_the_window_for_an_account_with_an_app(
    user: User, device: TOTPDevice
) -> None:
    """Someone who reads the mailbox but has not got the phone gains nothing: the account's
    app stays the only one."""
    from django.core import mail

    Client().post(reverse("accounts:password-reset"), {"email": user.email})
    [message] = mail.outbox
    new = "a-new-long-password-2026"
    choose_password_from_link(str(message.body), new)
    user.refresh_from_db()
    assert user.set_up_allowed_until is None


def test_an_administrator_lets_someone_who_lost_their_phone_set_up_a_new_app(
    user: User, device: TOTPDevice
) -> None:
    from tests.support import signed_in

    mfa.new_recovery_codes(user, reason="asked")
    admin = User.objects.create_superuser(
        username="root", email="root@example.org", password="an-admin-password-1"
    )
    old_session = Client()
    sign_in_fully(old_session, user, device)
    response = signed_in(admin).post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [user.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    user.refresh_from_db()
    assert mfa.set_up_allowed(user)
    # The old session passed its second factor with the app that is gone: it must again.
    assert not is_signed_in(old_session)
    [entry] = AuditEntry.objects.filter(action="mfa-set-up-allowed")
    assert (entry.actor_id, entry.object_ref) == (admin.pk, str(user.pk))
    assert entry.detail == {"how": "administrator", "hours": 24}


def test_the_command_lets_the_first_administrator_set_up_an_app(user: User) -> None:
    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command("allow_authenticator_set_up", user.username, stdout=out)
    assert "in the next 24 hours" in out.getvalue()
    user.refresh_from_db()
    assert mfa.set_up_allowed(user)
    with pytest.raises(CommandError, match="No active account"):
        call_command("allow_authenticator_set_up", "nobody-by-this-name")
    TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    with pytest.raises(CommandError, match="already has an authenticator app"):
        call_command("allow_authenticator_set_up", user.username)
    call_command("allow_authenticator_set_up", user.username, "--new-app", stdout=out)
    assert not TOTPDevice.objects.filter(user=user).exists()
    hows = [e.detail["how"] for e in AuditEntry.objects.filter(action="mfa-set-up-allowed")]
    assert hows == ["command", "command"]
