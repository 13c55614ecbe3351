"""The audit pages in a real browser: accessible (axe, WCAG 2.2 AA) and usable without
JavaScript. Marked ``browser`` like tests/browser (leave out with ``-m "not browser"``).

Playwright's sync API runs one event loop per thread, so two browsers cannot be open at once.
tests/browser keeps its browser open for the whole session; this module opens its own for the
module only, and tests/audit/conftest.py runs this module before any other browser test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect

from escalate.audit.models import AuditAction
from escalate.audit.services import audit_record
from escalate.procedures.schema import Level
from tests.browser.conftest import _new_page, check_axe
from tests.cases.conftest import World, make_world, raise_one
from tests.support import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("erase_trail_after")]


def _page(browser: Browser, *, javascript: bool) -> Iterator[Page]:
    context, new_page = _new_page(browser, javascript=javascript)
    yield new_page
    context.close()


@pytest.fixture
def page(browser: Browser, live_server: Any) -> Iterator[Page]:
    yield from _page(browser, javascript=True)


@pytest.fixture
def page_nojs(browser: Browser, live_server: Any) -> Iterator[Page]:
    yield from _page(browser, javascript=False)


def _world_with_views() -> tuple[World, str]:
    world = make_world("north-east-lincolnshire")
    esc = raise_one(world)
    for n in range(55):  # enough for a second page
        audit_record(
            actor=world.user("b" if n % 2 else "a", Level.PRACTITIONER),
            action=AuditAction.ESCALATION_VIEWED,
            object_type="escalation",
            object_ref=esc.reference,
            partnership_id=esc.partnership_id,
            ip=f"192.0.2.{n + 1}",
        )
    return world, esc.reference


def _sign_in(page: Page, base: str, user: Any) -> None:
    client = signed_in(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base,
            }
        ]
    )


def _walk(page: Page, base: str, *, axe: bool, name: str) -> None:
    world, reference = _world_with_views()

    def check(label: str) -> None:
        if axe:
            check_axe(page, f"{name}-{label}")

    _sign_in(page, base, world.bu_user)
    page.goto(f"{base}/audit/escalations/{reference}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    check("trail")
    page.get_by_role("link", name="Older entries").click()
    expect(page.get_by_role("link", name="Newer entries")).to_be_visible()
    check("trail-page-2")

    page.context.clear_cookies()
    _sign_in(page, base, world.user("a", Level.LINE_MANAGER))
    page.goto(f"{base}/audit/views-of-our-cases/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Who has viewed your agency's escalations"
    )
    expect(page.get_by_role("link", name=reference).first).to_be_visible()
    check("views-of-our-cases")


def test_audit_pages_are_accessible(page: Page, live_server: Any) -> None:
    _walk(page, live_server.url, axe=True, name="audit")


def test_audit_pages_work_without_javascript(page_nojs: Page, live_server: Any) -> None:
    _walk(page_nojs, live_server.url, axe=False, name="audit-nojs")
