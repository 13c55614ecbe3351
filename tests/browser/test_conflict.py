"""The conflict journey in a real browser: type a contact, lose the race to someone who
escalated meanwhile, find everything typed still there with their change above it, and submit
again. The conflict page passes axe (WCAG 2.2 AA)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from escalate import timekeeping
from escalate.cases import services
from escalate.cases.actors import Actor
from escalate.cases.models import EntryKind, Escalation
from escalate.procedures.schema import Level
from tests.browser.test_journeys import Journey
from tests.cases.conftest import highest, make_world, raise_one

pytestmark = pytest.mark.browser


def test_type_lose_the_race_and_submit_again(page: Page, live_server: Any) -> None:
    world = make_world("north-east-lincolnshire")
    esc = raise_one(world)
    journey = Journey(page, live_server.url, world, axe=True, name="conflict")
    journey.sign_in(world.user("b", Level.PRACTITIONER).username)
    page.goto(f"{live_server.url}/escalations/{esc.reference}/contact/")
    journey.date("When did the contact happen", 3, 3, 2026)
    page.get_by_label("Telephone", exact=True).check()
    page.get_by_label("Who made contact?").fill("Sam, health")
    page.get_by_label("Who was contacted?").fill("Alex, council")
    page.get_by_label("Summary of the discussion").fill("A long talk typed with care")
    page.get_by_label("What was agreed?").fill("To meet again")

    # Meanwhile someone else escalates it to stage 2.
    services.escalation_escalate(
        actor=Actor.of(highest(world)),
        today=timekeeping.today(),
        escalation=Escalation.objects.get(pk=esc.pk),
        version=1,
        on=dt.date(2026, 3, 3),
        reason="The council manager says no",
    )

    journey.submit("Save")
    expect(
        page.get_by_role("heading", name="What changed since you opened this page")
    ).to_be_visible()
    expect(page.get_by_text("The council manager says no")).to_be_visible()
    expect(page.get_by_label("Summary of the discussion")).to_have_value(
        "A long talk typed with care"
    )
    expect(page.get_by_label("Who made contact?")).to_have_value("Sam, health")
    journey.check("lost-the-race")
    assert not esc.entries.filter(kind=EntryKind.CONTACT).exists()

    journey.submit("Submit again")
    expect(page.get_by_role("heading", level=1)).to_contain_text(esc.reference)
    contact = esc.entries.get(kind=EntryKind.CONTACT)
    assert (contact.summary, contact.stage) == ("A long talk typed with care", 2)
