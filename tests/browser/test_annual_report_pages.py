"""The board's annual report in a real browser: choose a year, read the report (its charts and
tables, small numbers hidden), write the narrative, lose a race to a colleague's save and find
what you typed still there, each page checked with axe (WCAG 2.2 AA); printed, the report
leaves out the navigation and the buttons and starts each figure on a new page. The narrative
is saved with JavaScript turned off too."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from escalate import timekeeping
from escalate.accounts.models import User
from escalate.cases import services
from escalate.cases.actors import Actor
from escalate.directory.models import Person
from escalate.insights import reports
from escalate.insights.models import AnnualReport
from escalate.insights.reports import EN_DASH
from escalate.procedures.schema import Level
from tests.browser.test_journeys import Journey
from tests.cases.conftest import World, make_world, raise_one

pytestmark = pytest.mark.browser

YEAR = 2025
TITLE = f"Escalations annual report 2025{EN_DASH}26"


def _world() -> World:
    """Eight escalations in the financial year 2025-26, a week apart: five resolved."""
    world = make_world("north-east-lincolnshire")
    raiser = Actor.of(world.user("a", Level.BOARD_REPRESENTATIVE))
    for k in range(8):
        day = dt.date(2025, 6, 2) + dt.timedelta(weeks=k)
        esc = raise_one(world, on=day, outset_on=day, subject_reference=f"PID-{k}")
        if k < 5:
            services.escalation_resolve(
                actor=raiser,
                escalation=esc,
                version=esc.version,
                today=day + dt.timedelta(days=2),
                on=day + dt.timedelta(days=2),
                outcome="Agreed",
            )
    return world


def _colleague_saves(world: World, text: str) -> None:
    """Another person of the business unit saves the narrative, as the page would."""
    user = User.objects.create_user(username="annual-colleague", password="x")
    Person.objects.create(
        agency=world.c,
        name="Robin Colleague",
        job_title="Business officer",
        level=Level.SENIOR_MANAGER.value,
        is_business_unit=True,
        user=user,
    )
    year = reports.FinancialYear(YEAR)
    current = reports.annual_report_get(world.partnership, year)
    reports.annual_report_narrative_save(
        user=user,
        partnership=world.partnership,
        year=year,
        narrative=text,
        version=current.version if current else 0,
        now=timekeeping.now(),
    )


def test_read_the_report_write_its_narrative_and_print_it(page: Page, live_server: Any) -> None:
    world = _world()
    j = Journey(page, live_server.url, world, axe=True, name="annual-report")
    j.sign_in(world.bu_user.username)
    page.get_by_role("link", name="Board's view").click()
    page.get_by_role("link", name="the annual report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Annual reports")
    j.check("years")

    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("svg[role='img']").first).to_be_visible()
    expect(page.get_by_role("cell", name="fewer than 5").first).to_be_visible()
    assert page.locator("a[href^='/escalations/ESC-']").count() == 0
    j.check("report")

    page.get_by_role("button", name="Write the narrative").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The narrative")
    j.check("narrative")
    page.get_by_label("The narrative").fill(
        "A year of learning.\n\nHealth and the council met monthly."
    )
    expect(page.get_by_text("You have 9,944 characters remaining")).to_be_visible()
    j.submit("Save the narrative")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("saved")
    expect(page.get_by_text("Health and the council met monthly.")).to_be_visible()
    assert page.locator(".app-report__narrative p").count() == 2
    j.check("report-with-narrative")

    # Someone else saves while this page is open: nothing of theirs is overwritten.
    page.get_by_role("button", name="Change the narrative").click()
    page.get_by_label("The narrative").fill("My version, typed with care.")
    _colleague_saves(world, "Robin's version.")
    j.submit("Save the narrative")
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Robin Colleague saved the narrative"
    )
    expect(page.locator(".govuk-error-message")).to_contain_text("Yours has not been saved")
    expect(page.get_by_label("The narrative")).to_have_value("My version, typed with care.")
    expect(page.get_by_text("Robin's version.")).to_be_visible()
    assert AnnualReport.objects.get().narrative == "Robin's version."
    j.check("conflict")
    j.submit("Save again")
    expect(page.get_by_text("My version, typed with care.")).to_be_visible()
    assert AnnualReport.objects.get().narrative == "My version, typed with care."

    # Printed: the report alone, each figure from a new page.
    page.emulate_media(media="print")
    expect(page.locator(".govuk-service-navigation")).to_be_hidden()
    expect(page.get_by_role("button", name="Download as a PDF")).to_be_hidden()
    expect(page.locator(".govuk-back-link")).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    breaks = page.locator(".app-report__section").evaluate_all(
        "sections => sections.map(s => getComputedStyle(s).breakBefore)"
    )
    assert breaks and set(breaks) == {"page"}
    page.emulate_media(media="screen")
    expect(page.locator(".govuk-service-navigation")).to_be_visible()


def test_the_narrative_is_saved_without_javascript(page_nojs: Page, live_server: Any) -> None:
    world = _world()
    j = Journey(page_nojs, live_server.url, world, axe=False, name="annual-report-nojs")
    j.sign_in(world.bu_user.username)
    page_nojs.goto(f"{live_server.url}/board/annual-report/{YEAR}/narrative/")
    expect(page_nojs.get_by_text("You can enter up to 10,000 characters")).to_be_visible()
    page_nojs.get_by_label("The narrative").fill("x" * 10_001)
    j.submit("Save the narrative")
    expect(page_nojs.locator(".govuk-error-message")).to_contain_text(
        "The narrative must be 10,000 characters or fewer"
    )
    assert not AnnualReport.objects.exists()
    page_nojs.get_by_label("The narrative").fill("Written without JavaScript.")
    j.submit("Save the narrative")
    expect(page_nojs.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page_nojs.get_by_text("Written without JavaScript.")).to_be_visible()
    j.check("report")
