"""The panel pages in a real browser: the business unit convenes Sunderland's sub-committee,
is refused someone involved in the case, chooses its members and records its feedback; North
East Lincolnshire's chair's recommendation and the agency's response. Every page is checked
with axe (WCAG 2.2 AA), and the same journey works with JavaScript turned off."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from escalate.cases.models import Escalation, Status
from escalate.panels.models import RecommendationResponse
from escalate.procedures.schema import Level
from tests.browser.test_journeys import Journey
from tests.panels.support import at_top, person, seat

pytestmark = pytest.mark.browser


def _sunderland_journey(j: Journey, esc: Escalation) -> None:
    page = j.page
    world = j.world
    j.sign_in(world.bu_user.username)
    page.goto(f"{j.base}/escalations/{esc.reference}/")
    page.get_by_role("link", name="Panels and the top stage's feedback").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Panels and the top stage's outcome")
    j.check("panels")
    page.get_by_role("link", name="Convene a panel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Convene a panel")
    j.check("convene")
    j.date("When does it sit", 20, 3, 2026)
    j.submit("Convene it")
    expect(page.get_by_role("heading", level=1)).to_contain_text("members and date")
    j.check("members")
    free = f"c senior-manager, senior-manager, for {world.c.name}"
    involved = f"b practitioner, practitioner, for {world.b.name}"
    sits = page.get_by_role("group", name="Who sits on it?")
    sits.get_by_label(free, exact=True).check()
    sits.get_by_label(involved, exact=True).check()
    page.get_by_role("group", name="Who chairs it?").get_by_label(free, exact=True).check()
    j.submit("Save")
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "b practitioner is involved in this case"
    )
    j.check("members-refused")
    page.get_by_role("group", name="Who sits on it?").get_by_label(involved, exact=True).uncheck()
    j.submit("Save")
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    expect(page.get_by_text("Meets the procedure's rule")).to_be_visible()
    j.check("panels-composed")
    page.get_by_role("link", name="Record the feedback").click()
    j.check("outcome")
    page.get_by_label("SSAB Quality Assurance sub-committee, sitting on 20 March 2026").check()
    page.get_by_label("What is the SSAB Quality Assurance sub-committee's feedback?").fill(
        "The agencies should meet and agree a joint plan"
    )
    j.date("When was it made", 25, 3, 2026)
    j.submit("Record it")
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    j.check("panels-decided")
    esc.refresh_from_db()
    assert esc.status == Status.DECIDED


def _sunderland() -> tuple[Any, Escalation]:
    world, esc = at_top("sunderland-sab", receiving_practitioner="b practitioner")
    seat(person(world, "c"), "sub-committee")
    seat(person(world, "b", Level.PRACTITIONER), "sub-committee")
    return world, esc


def test_the_panel_pages_are_accessible(page: Page, live_server: Any) -> None:
    world, esc = _sunderland()
    _sunderland_journey(Journey(page, live_server.url, world, axe=True, name="panels"), esc)


def test_the_panel_pages_work_without_javascript(page_nojs: Page, live_server: Any) -> None:
    world, esc = _sunderland()
    _sunderland_journey(
        Journey(page_nojs, live_server.url, world, axe=False, name="panels-nojs"), esc
    )


def test_recommendations_and_a_response_are_accessible(page: Page, live_server: Any) -> None:
    world, esc = at_top("north-east-lincolnshire")
    j = Journey(page, live_server.url, world, axe=True, name="recommendations")
    j.sign_in(world.bu_user.username)
    page.goto(f"{live_server.url}/escalations/{esc.reference}/")
    page.get_by_role("link", name="Record the decision").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record the recommendations")
    j.check("outcome")
    j.submit("Record it")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    j.check("outcome-errors")
    page.get_by_label("Summary of the recommendations").fill("The agencies meet this week")
    j.date("When was it made", 20, 3, 2026)
    page.get_by_label(f"Recommendation to {world.b.name} (optional)").fill("Review the discharge")
    j.date(f"When must {world.b.name} respond by", 3, 4, 2026)
    j.submit("Record it")
    expect(page.get_by_text(f"To {world.b.name}, response due by 3 April 2026")).to_be_visible()
    j.check("recommended")

    j.sign_in(world.user("b", Level.LINE_MANAGER).username)
    page.goto(f"{live_server.url}/escalations/{esc.reference}/panels/")
    page.get_by_role("link", name=f"Record the response of {world.b.name}").click()
    j.check("respond")
    page.get_by_label("Accepted in part").check()
    page.get_by_label("What will your agency do?").fill("We will review it by Friday")
    j.date("Date of the response", 30, 3, 2026)
    j.submit("Save")
    expect(page.get_by_text("We will review it by Friday")).to_be_visible()
    j.check("responded")
    assert RecommendationResponse.objects.get().answer == "accepted-in-part"
