"""The sign-in pages in a real browser: setting up an authenticator app, the code page, the
recovery codes, the lockout, the time-out, password reset and "Your account"; every page
checked with axe (WCAG 2.2 AA) and for inline scripts and styles."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from escalate.accounts import mfa
from escalate.accounts.models import User
from tests.browser.conftest import check_axe
from tests.support import totp_code

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery-staple"
CODE_LABEL = "Enter the 6-digit code from your authenticator app"


def _user() -> User:
    return User.objects.create_user(
        username="sam.example", email="sam@example.org", password=PASSWORD
    )


def _check(page: Page, name: str) -> None:
    """No inline script or style (the Content-Security-Policy forbids both), then axe (which
    adds a script of its own)."""
    assert page.locator("script:not([src])").count() == 0, name
    assert page.locator("[style]").count() == 0, name
    assert page.locator("style").count() == 0, name
    check_axe(page, f"sign-in-{name}")


def _password(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/account/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_setting_up_an_app_then_signing_in_with_a_recovery_code(
    page: Page, live_server: Any, settings: Any
) -> None:
    settings.ESCALATE_DEMO = False
    user = _user()
    base = live_server.url
    page.goto(f"{base}/account/sign-in/")
    _check(page, "password")
    _password(page, base, user.username)

    # The password alone adds no app: first a link to the account's mailbox.
    heading = "Confirm your email address to set up your app"
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    _check(page, "set-up-needs-link")
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    _check(page, "set-up-link-sent")
    mfa.allow_set_up(user, actor=user, how="reset-link")  # as the link would
    page.goto(f"{base}{reverse('accounts:set-up')}")

    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    qr = page.get_by_role("img", name="QR code that adds Escalate to your authenticator app")
    expect(qr).to_be_visible()
    assert qr.evaluate("(img) => img.complete && img.naturalWidth > 0")
    _check(page, "set-up")
    page.get_by_role("button", name="Continue").click()  # no code: an error
    expect(page.locator(".govuk-error-summary")).to_contain_text(CODE_LABEL)
    _check(page, "set-up-error")

    device = TOTPDevice.objects.get(user=user)
    page.get_by_label(CODE_LABEL).fill(totp_code(device))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Save your recovery codes")
    _check(page, "recovery-codes")
    codes = page.locator(".app-recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    stored = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert stored == {mfa.recovery_code_digest(code) for code in codes}
    page.get_by_role("button", name="I have saved my recovery codes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Escalations")

    page.get_by_role("button", name="Sign out").click()
    _password(page, base, user.username)
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your authenticator app")
    expect(page.locator("#demo-code")).to_have_count(0)  # not the demo
    _check(page, "code")
    page.get_by_role("link", name="Sign in with a recovery code").click()
    _check(page, "recovery-code")
    page.get_by_label("Enter a recovery code").fill("not-a-code")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    _check(page, "recovery-code-error")


def test_the_demo_code_page(page: Page, live_server: Any) -> None:
    user = _user()
    _password(page, live_server.url, user.username)
    demo = page.locator("#demo-code")
    expect(demo).to_contain_text("Demo: the current code for this account is")
    _check(page, "demo-code")
    code = demo.locator("strong").inner_text()
    # The page showed the code of the time step it was drawn in; axe may have taken us into
    # the next 30-second step since, so the code now or one step before (which the code page
    # still accepts) are both right. Anything else is wrong.
    device = TOTPDevice.objects.get(user=user)
    assert code in {totp_code(device), totp_code(device, steps_ahead=-1)}
    page.get_by_label(CODE_LABEL).fill(code)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Escalations")

    page.goto(f"{live_server.url}/account/")
    _check(page, "account")
    page.get_by_role("link", name="Change your password").click()
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    _check(page, "password-change-errors")
    page.goto(f"{live_server.url}/account/session/")
    _check(page, "session")
    page.get_by_role("button", name="Stay signed in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Escalations")
    page.goto(f"{live_server.url}/account/recovery-codes/new/")
    _check(page, "new-recovery-codes")
    page.goto(f"{live_server.url}/account/sign-out-everywhere/")
    _check(page, "sign-out-everywhere")
    page.get_by_role("button", name="Sign out everywhere").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "You have been signed out on every device"
    )
    _check(page, "signed-out-everywhere")


def test_the_lockout_page(page: Page, live_server: Any) -> None:
    user = _user()
    for _ in range(5):
        _password(page, live_server.url, user.username, "not-the-password")
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot sign in for 15 minutes")
    _check(page, "locked-out")


def test_the_time_out_and_password_reset_pages(page: Page, live_server: Any) -> None:
    base = live_server.url
    page.goto(f"{base}/account/signed-out/")
    expect(page.get_by_role("heading", level=1)).to_have_text("You have been signed out")
    _check(page, "timed-out")

    page.goto(f"{base}/account/sign-in/")
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    _check(page, "password-reset")
    page.get_by_role("button", name="Send the link").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your email address")
    _check(page, "password-reset-error")
    page.get_by_label("Email address").fill("nobody@example.org")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    _check(page, "password-reset-sent")
    page.goto(f"{base}/account/password-reset/MQ/not-a-token/")
    expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    _check(page, "password-reset-bad-link")
