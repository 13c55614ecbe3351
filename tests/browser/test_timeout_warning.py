"""The idle time-out warning with JavaScript: a dialog two minutes before the end, "Stay
signed in" that keeps the session without leaving the page, and signing out when time is up.
The browser's clock is Playwright's fake one, so 28 minutes pass in an instant; the server's
own time-out (tested in tests/accounts) is what ends a session whatever the page does."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from playwright.sync_api import Page, expect

from escalate.accounts.models import User
from tests.browser.conftest import check_axe, problems
from tests.support import totp_code, totp_device

PASSWORD = "correct-horse-battery-staple"
CODE_LABEL = "Enter the 6-digit code from your authenticator app"
DIALOG = "dialog.app-timeout-dialog"


def _sign_in(page: Page, base: str) -> None:
    user = User.objects.create_user(
        username="sam.example", email="sam@example.org", password=PASSWORD
    )
    device = totp_device(user)
    page.goto(f"{base}{reverse('accounts:sign-in')}")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label(CODE_LABEL).fill(totp_code(device))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Escalations")


def test_the_warning_keeps_the_page_or_signs_out(
    page: Page, live_server: Any, settings: Any
) -> None:
    settings.ESCALATE_DEMO = False
    settings.ESCALATE_IDLE_TIMEOUT_MINUTES = 30
    page.clock.install()
    _sign_in(page, live_server.url)
    page.goto(f"{live_server.url}{reverse('accounts:account')}")
    dialog = page.locator(DIALOG)
    expect(dialog).to_be_hidden()
    # Without JavaScript's help too: the page says how long a session lasts, and offers more.
    expect(page.locator("footer")).to_contain_text("we sign you out after 30 minutes")

    page.clock.run_for("27:30")
    expect(dialog).to_be_hidden()
    page.clock.run_for("01:00")  # 28:30: less than two minutes left
    expect(dialog).to_be_visible()
    expect(page.get_by_role("dialog", name="You are about to be signed out")).to_be_visible()
    expect(dialog).to_contain_text("we will sign you out in 1 minute")
    check_axe(page, "timeout-warning")

    typed = page.url
    page.get_by_role("button", name="Stay signed in").click()
    expect(dialog).to_be_hidden()
    assert page.url == typed  # stayed on the page: nothing typed is lost
    page.clock.run_for("20:00")
    expect(dialog).to_be_hidden()  # the clock started again

    page.clock.run_for("08:30")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")  # taken as "Stay signed in"
    expect(dialog).to_be_hidden()

    page.clock.run_for("28:30")
    expect(dialog).to_be_visible()
    page.clock.run_for("02:00")  # time is up: signed out, and told so
    expect(page.get_by_role("heading", level=1)).to_have_text("You have been signed out")
    page.goto(f"{live_server.url}{reverse('accounts:account')}")
    assert reverse("accounts:sign-in") in page.url
    assert problems(page) == []


def test_activity_in_another_tab_closes_the_warning(
    page: Page, live_server: Any, settings: Any
) -> None:
    settings.ESCALATE_DEMO = False
    page.clock.install()
    _sign_in(page, live_server.url)
    page.clock.run_for("28:30")
    expect(page.locator(DIALOG)).to_be_visible()
    # What a page load in another tab of this browser does: record the time it was used, in
    # the localStorage every tab of the site shares.
    page.evaluate("() => localStorage.setItem('escalate:last-activity', String(Date.now()))")
    page.clock.run_for("00:02")
    expect(page.locator(DIALOG)).to_be_hidden()
    page.clock.run_for("27:00")
    expect(page.locator(DIALOG)).to_be_hidden()
