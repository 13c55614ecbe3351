"""The board's view in a real browser: the dashboard with its charts and tables, a period
chosen by a preset link, a filter with an error, and the list behind a figure, each checked
with axe (WCAG 2.2 AA); and the same walk with JavaScript turned off."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from escalate import timekeeping
from escalate.cases import services
from escalate.cases.actors import Actor
from escalate.cases.models import Escalation
from escalate.cases.rules import registry
from escalate.procedures.schema import Level
from tests.browser.test_journeys import Journey
from tests.cases.conftest import World, make_world, raise_one

pytestmark = pytest.mark.browser


def _world() -> World:
    """Escalations raised over the last months between the three agencies, in every category:
    some resolved, some escalated, some withdrawn, some still open."""
    world = make_world("north-east-lincolnshire")
    today = timekeeping.today()
    categories = [c.id for c in registry().get("north-east-lincolnshire").categories]
    raiser = Actor.of(world.user("a", Level.BOARD_REPRESENTATIVE))
    for k in range(14):
        day = today - dt.timedelta(days=9 + 23 * k)
        esc = raise_one(
            world,
            on=day,
            outset_on=day,
            category=categories[k % len(categories)],
            receiving_agency_id=(world.b if k % 3 else world.c).pk,
            subject_reference=f"PID-{k}",
        )
        later = day + dt.timedelta(days=4)
        if k % 4 == 1:
            esc = services.escalation_escalate(
                actor=raiser,
                escalation=esc,
                version=esc.version,
                today=today,
                on=later,
                reason="No",
            )
        if k % 4 in (1, 2):
            services.escalation_resolve(
                actor=raiser,
                escalation=esc,
                version=esc.version,
                today=today,
                on=later + dt.timedelta(days=3),
                outcome="Agreed",
            )
        elif k % 4 == 3:
            services.escalation_withdraw(
                actor=raiser, escalation=esc, version=esc.version, today=today, on=later, reason="R"
            )
    return world


def _walk(page: Page, base: str, *, axe: bool, name: str) -> None:
    world = _world()
    j = Journey(page, base, world, axe=axe, name=name)
    j.sign_in(world.bu_user.username)
    page.get_by_role("link", name="Board's view").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The board's view")
    expect(page.locator("svg[role='img']").first).to_be_visible()
    assert page.locator("figure.app-chart").count() >= 8
    j.check("dashboard")

    # A preset: the period changes, the figures follow.
    page.get_by_role("link", name="This calendar year").click()
    today = timekeeping.today()
    heading = f"Escalations raised from 1 January {today.year} to {today:%-d %B %Y}"
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    j.check("this-calendar-year")

    # A filter, then an error: the error summary, the field's error, and no figures.
    page.get_by_role("link", name="The last 12 months").click()
    page.get_by_label("Agency", exact=True).select_option(str(world.b.pk))
    page.get_by_role("button", name="Show the figures").click()
    expect(page.get_by_label("Agency", exact=True)).to_have_value(str(world.b.pk))
    to = page.get_by_role("group", name=re.compile("^To"))
    to.get_by_label("Month").fill("13")
    page.get_by_role("button", name="Show the figures").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator(".govuk-error-message")).to_contain_text(
        "The end of the period must be a real date"
    )
    assert page.locator("figure.app-chart").count() == 0
    j.check("error")

    # The escalations behind a figure: those still open, with agency b.
    page.get_by_role("link", name="Clear the filters").click()
    glance = page.locator("section", has=page.get_by_role("heading", name="At a glance"))
    row = glance.get_by_role("row", name=re.compile("^Still open"))
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The escalations behind a figure")
    still_open = Escalation.objects.filter(partnership=world.partnership, status="open")
    recent = [e for e in still_open if e.raised_on > today - dt.timedelta(days=365)]
    expect(page.locator("#list-summary")).to_have_text(
        f"{len(recent)} escalation{'s' if len(recent) != 1 else ''}"
    )
    j.check("list")
    page.get_by_role("link", name="Back to the board's view").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The board's view")


def test_the_dashboard_is_accessible(page: Page, live_server: Any) -> None:
    _walk(page, live_server.url, axe=True, name="dashboard")


def test_the_dashboard_works_without_javascript(page_nojs: Page, live_server: Any) -> None:
    _walk(page_nojs, live_server.url, axe=False, name="dashboard-nojs")
