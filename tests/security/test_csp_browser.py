"""The Content-Security-Policy in a real browser, enforced.

The browser tests in tests/browser run with ``bypass_csp=True`` (axe-core is injected inline), so
they cannot notice a policy that blocks our own scripts or styles. These pages are opened with
the policy on: no violation may be reported, and the module script must have run.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page

from tests.security.world import SecurityWorld, build_world

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
});
"""


@pytest.fixture
def sworld(transactional_db: None) -> SecurityWorld:
    return build_world()


def open_as(browser: Browser, live_server: Any, world: SecurityWorld, role: str) -> Page:
    context = browser.new_context(java_script_enabled=True)  # CSP enforced: no bypass_csp
    context.set_default_timeout(15_000)
    if role != "anonymous":
        client = world.client(role)
        host = urlsplit(live_server.url).hostname
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "domain": host, "path": "/"}]
        )
    page = context.new_page()
    page.add_init_script(WATCH_VIOLATIONS)
    problems: list[str] = []

    def on_console(message: Any) -> None:
        # A failed load is reported below with its URL.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    def on_response(response: Any) -> None:
        # The admin's pages name no icon, so the browser asks for /favicon.ico: not ours.
        if response.status >= 400 and urlsplit(response.url).path != "/favicon.ico":
            problems.append(f"{response.status} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.__dict__["problems"] = problems
    return page


def check(page: Page, url: str, *, module_script: bool = True) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("window.__cspViolations")
    assert violations == [], (url, violations)
    assert page.__dict__["problems"] == [], (url, page.__dict__["problems"])
    if module_script:
        # base.html's <script type="module"> ran under the policy.
        assert "govuk-frontend-supported" in (page.locator("body").get_attribute("class") or "")


@pytest.mark.parametrize("role", ["anonymous", "senior-manager", "system-admin"])
def test_pages_run_under_the_policy(
    browser: Browser, live_server: Any, sworld: SecurityWorld, role: str
) -> None:
    page = open_as(browser, live_server, sworld, role)
    base = live_server.url
    if role == "anonymous":
        check(page, f"{base}/account/sign-in/")
        check(page, f"{base}/account/password-reset/")
    elif role == "system-admin":
        for path in [
            "/admin/",
            "/admin/directory/person/",
            f"/admin/directory/person/{sworld.one.people[next(iter(sworld.one.people))].pk}/change/",
            "/admin/directory/partnership/add/",
        ]:
            check(page, base + path, module_script=False)  # the admin has its own scripts
    else:
        ref = sworld.own.reference
        for path in [
            "/",
            "/escalations/",
            f"/escalations/{ref}/",
            f"/escalations/{ref}/contact/",
            "/raise/immediate-risk/",
            "/procedure/",
        ]:
            check(page, base + path)
    page.context.close()
