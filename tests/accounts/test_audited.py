"""Every change someone makes to their own sign-in is in the audit trail: whose account, what,
from where, and never a password, code or key."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from escalate.accounts.models import User
from escalate.audit.models import AuditEntry
from tests.accounts.conftest import (
    PASSWORD,
    choose_password_from_link,
    post_password,
    sign_in_fully,
)

pytestmark = pytest.mark.django_db
NEW = "another-long-password-2026"


def _entries(user: User, action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, object_ref=str(user.pk)))


def _no_secret_in_trail(*secrets: str) -> None:
    for entry in AuditEntry.objects.all():
        text = f"{entry.detail} {entry.object_ref} {entry.actor_username}"
        for secret in secrets:
            assert secret not in text


def test_signing_in_with_a_password_says_so(client: Client, user: User, device: TOTPDevice) -> None:
    sign_in_fully(client, user, device)
    [entry] = _entries(user, "sign-in")
    assert entry.detail == {"method": "password"}
    assert entry.ip == "127.0.0.1"


def test_new_recovery_codes_are_recorded(client: Client, user: User, device: TOTPDevice) -> None:
    sign_in_fully(client, user, device)
    client.post(reverse("accounts:new-recovery-codes"))
    page = client.get(reverse("accounts:recovery-codes")).content.decode()
    [entry] = _entries(user, "recovery-codes-issued")
    assert (entry.actor_id, entry.detail, entry.result) == (user.pk, {"reason": "asked"}, "success")
    codes = re.findall(r"<code>([0-9A-Z-]{19})</code>", page)
    assert len(codes) == 10
    _no_secret_in_trail(*codes)


def test_signing_out_everywhere_is_recorded(client: Client, user: User, device: TOTPDevice) -> None:
    sign_in_fully(client, user, device)
    client.post(reverse("accounts:sign-out-everywhere"))
    [entry] = _entries(user, "signed-out-everywhere")
    assert entry.actor_id == user.pk
    assert len(_entries(user, "sign-out")) == 1


def test_changing_a_password_is_recorded(client: Client, user: User, device: TOTPDevice) -> None:
    sign_in_fully(client, user, device)
    client.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    [entry] = _entries(user, "password-changed")
    assert entry.detail == {"how": "account-page"}
    _no_secret_in_trail(PASSWORD, NEW)


def test_a_password_chosen_from_a_reset_link_is_recorded(user: User, device: TOTPDevice) -> None:
    Client().post(reverse("accounts:password-reset"), {"email": user.email})
    link = choose_password_from_link(str(mail.outbox[0].body), NEW)
    [entry] = _entries(user, "password-changed")
    assert (entry.actor_id, entry.detail) == (user.pk, {"how": "reset-link"})
    # The request itself names no one (it says the same whether or not the address has one).
    [asked] = AuditEntry.objects.filter(action="password-reset-requested")
    assert asked.actor_id is None and asked.object_ref == ""
    _no_secret_in_trail(NEW, user.email, link)


def test_a_wrong_password_is_a_failed_sign_in_against_the_account(user: User) -> None:
    post_password(Client(), user.username, "not-the-password")
    [entry] = _entries(user, "sign-in-failed")
    assert entry.result == "failed"
    _no_secret_in_trail("not-the-password")
