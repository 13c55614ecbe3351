"""Reflow (WCAG 2.2, 1.4.10): the escalation page, the list and the home page never scroll
sideways at a 320 px wide phone screen or at 1,280 px, even with a very long e-mail address in
the contacts panel and a long unbroken word in the record; and each passes axe (WCAG 2.2 AA)
at both widths. Also: GOV.UK Frontend's JavaScript turns the character count's limit into a
live count."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from escalate import timekeeping
from escalate.cases import services
from escalate.cases.actors import Actor
from escalate.directory.models import Person
from escalate.procedures.schema import Level
from tests.browser.conftest import check_axe
from tests.browser.test_journeys import Journey
from tests.cases.conftest import World, highest, make_world, raise_one
from tests.cases.test_detail_page import resolved_at_stage_two

pytestmark = pytest.mark.browser

LONG_EMAIL = (
    "safeguarding.escalations.named.nurse.for.children.and.adults"
    "@a-very-long-department-name.integrated-care-board.example.nhs.uk"
)
LONG_WORD = "Unbroken" * 20  # 160 letters, no space to break at
WIDTHS = (320, 1280)


def _world_with_long_text() -> tuple[World, str, str]:
    world = make_world("north-east-lincolnshire")
    contact = world.people[("b", Level.SENIOR_MANAGER)]
    Person.objects.filter(pk=contact.pk).update(email=LONG_EMAIL, phone="01234 567890")
    user = highest(world)
    esc = raise_one(
        world,
        start_stage=3,
        immediate_risk=True,
        immediate_risk_reason=f"At home tonight {LONG_WORD}",
        issue=f"The case was closed {LONG_WORD}",
    )
    services.escalation_record_contact(
        actor=Actor.of(user),
        today=timekeeping.today(),
        escalation=esc,
        version=esc.version,
        occurred_on=dt.date(2026, 3, 3),
        method="telephone",
        contact_by=LONG_WORD,
        contact_with="The named nurse",
        summary=f"We spoke about {LONG_WORD}",
        agreed="To meet again",
        decision_makers="",
    )
    finished = resolved_at_stage_two(world)  # stages folded away, record filter offered
    return world, esc.reference, finished.reference


def _fits(page: Page) -> tuple[int, int]:
    widths: tuple[int, int] = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    return widths


def _too_wide(page: Page) -> list[str]:
    """The innermost elements reaching past the window's right edge, to say what to fix."""
    found: list[str] = page.evaluate(
        """() => [...document.body.querySelectorAll('*')]
            .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
            .filter((el) => ![...el.children].some(
                (c) => c.getBoundingClientRect().right > window.innerWidth + 0.5))
            .slice(0, 10)
            .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`
                + ` (right ${Math.round(el.getBoundingClientRect().right)})`)"""
    )
    return found


@pytest.mark.parametrize("width", WIDTHS)
def test_pages_reflow_without_sideways_scrolling(page: Page, live_server: Any, width: int) -> None:
    world, reference, finished = _world_with_long_text()
    journey = Journey(page, live_server.url, world, axe=False, name=f"reflow-{width}")
    journey.sign_in(highest(world).username)
    page.set_viewport_size({"width": width, "height": 900})

    for name, path in (
        ("escalation", f"/escalations/{reference}/"),
        ("finished", f"/escalations/{finished}/?stage=2"),
        ("list", "/escalations/?view=all"),
        ("home", "/"),
    ):
        page.goto(f"{live_server.url}{path}")
        scroll_width, inner_width = _fits(page)
        assert scroll_width <= inner_width, (
            f"{name} at {width} px scrolls sideways: {_too_wide(page)}"
        )
        check_axe(page, f"reflow-{width}-{name}")

    page.goto(f"{live_server.url}/escalations/{reference}/")
    expect(page.get_by_role("link", name=LONG_EMAIL)).to_be_visible()
    expect(page.locator(".moj-timeline")).to_contain_text(LONG_WORD)
    expect(page.locator(".app-immediate-risk")).to_be_visible()


def test_the_character_count_counts_as_you_type(page: Page, live_server: Any) -> None:
    world = make_world("north-east-lincolnshire")
    reference = raise_one(world).reference
    journey = Journey(page, live_server.url, world, axe=False, name="character-count")
    journey.sign_in(world.user("a", Level.PRACTITIONER).username)
    page.goto(f"{live_server.url}/escalations/{reference}/contact/")

    summary = page.get_by_label("Summary of the discussion")
    assert summary.get_attribute("maxlength") is None
    status = page.locator("#id_summary-info ~ .govuk-character-count__status")
    expect(status).to_have_text("You have 5,000 characters remaining")
    summary.fill("x" * 5003)
    expect(status).to_have_text("You have 3 characters too many")
    expect(summary).to_have_value("x" * 5003)  # nothing cut
    check_axe(page, "character-count-over")
