"""The procedures' forms in a real browser: the escalation page's Forms section, the form,
completing it (a wrong answer refused at the field), signing by each manager, sending and the
PDF download; every page checked with axe (WCAG 2.2 AA); and the same with JavaScript off."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from escalate.procedures.schema import Level
from tests.browser.conftest import problems
from tests.browser.test_journeys import Journey
from tests.documents.conftest import world_at

pytestmark = pytest.mark.browser

TITLE = (
    "Monitoring form - a tool to record decisions and to monitor the Resolution of "
    "Professional Differences policy (appendix 2)"
)


def _complete_and_sign(page: Page, j: Journey, reference: str, *, axe_label: str) -> None:
    page.goto(f"{j.base}/escalations/{reference}/")
    expect(page.get_by_role("heading", name="Forms")).to_be_visible()
    j.check(f"{axe_label}-escalation")
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    j.check(f"{axe_label}-form")
    page.get_by_role("link", name="Start the form").click()
    j.check(f"{axe_label}-edit")
    # Filled in from the record: the case reference and the working days taken.
    expect(page.get_by_label("Adult's name")).to_have_value("PID (case system number): PID-1")
    page.get_by_label("Time taken to reach resolution (number of working days)").fill("five")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The time taken to reach resolution must be a whole number, like 5"
    )
    j.check(f"{axe_label}-edit-error")
    page.get_by_label("Time taken to reach resolution (number of working days)").fill("5")
    page.get_by_label(
        "Agreed outcomes or actions if satisfactorily resolved, including escalation to the "
        "next stage if unresolved"
    ).fill("A joint visit this week")
    page.get_by_label("Stage 3").check()
    page.get_by_role("button", name="Save and continue to sign").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign the form")
    j.check(f"{axe_label}-sign")
    page.get_by_role("button", name="Sign the form").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "You have signed the form."
    )
    j.check(f"{axe_label}-signed")


def test_the_form_pages_are_accessible(page: Page, live_server: Any) -> None:
    world, esc = world_at("north-somerset-sab", 3)
    j = Journey(page, live_server.url, world, axe=True, name="forms")
    j.sign_in(world.user("a", Level.SENIOR_MANAGER).username)
    _complete_and_sign(page, j, esc.reference, axe_label="initiating")
    expect(page.get_by_text("Signed by a senior-manager, senior-manager")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="Download version 1 as a PDF").click()
    assert info.value.suggested_filename == f"{esc.reference}.pdf"

    j.sign_in(world.user("b", Level.SENIOR_MANAGER).username)
    page.goto(f"{live_server.url}/escalations/{esc.reference}/forms/monitoring-form/")
    page.get_by_role("link", name="Sign the form").click()
    j.check("receiving-sign")
    page.get_by_role("button", name="Sign the form").click()
    page.get_by_role("link", name="Send the form").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send the form")
    j.check("send")
    page.get_by_role("button", name="Send the form").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "The form has been sent."
    )
    expect(page.get_by_text("This version has been signed and sent.")).to_be_visible()
    j.check("sent")

    page.get_by_role("link", name="Start a new version").click()
    j.check("new-version")
    page.get_by_role("button", name="Start version 2").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter why the form needs correcting"
    )
    j.check("new-version-error")
    assert problems(page) == []


def test_the_form_works_without_javascript(page_nojs: Page, live_server: Any) -> None:
    world, esc = world_at("north-somerset-sab", 3)
    j = Journey(page_nojs, live_server.url, world, axe=False, name="forms-nojs")
    j.sign_in(world.user("a", Level.SENIOR_MANAGER).username)
    _complete_and_sign(page_nojs, j, esc.reference, axe_label="nojs")
    expect(page_nojs.get_by_text("Signed by a senior-manager, senior-manager")).to_be_visible()
