"""The flowchart in a real browser: the procedure page and an escalation's page pass axe (WCAG
2.2 AA) with the picture and its text version open; every word the browser draws stays inside
its box (the widths the layout wraps with hold for the font it really uses); the current stage
is marked in words; and at a 320 px wide screen the picture shrinks instead of scrolling
sideways."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from escalate.procedures.schema import Level
from tests.browser.conftest import check_axe
from tests.browser.test_journeys import Journey
from tests.cases.conftest import escalated_to, make_world, raise_one

pytestmark = pytest.mark.browser

#: The words of each box that the browser drew outside it, and any label past the picture.
OUTSIDE = """() => {
  const svg = document.querySelector('svg.app-flowchart__svg');
  const width = svg.viewBox.baseVal.width;
  const out = [];
  for (const g of svg.querySelectorAll('g.app-flowchart__step')) {
    const box = g.querySelector(':scope > rect').getBBox();
    for (const t of g.querySelectorAll('text')) {
      const b = t.getBBox();
      if (b.x < box.x || b.x + b.width > box.x + box.width - 4
          || b.y < box.y || b.y + b.height > box.y + box.height) out.push(t.textContent);
    }
  }
  for (const t of svg.querySelectorAll('g.app-flowchart__arrow text')) {
    const b = t.getBBox();
    if (b.x + b.width > width) out.push(t.textContent);
  }
  return out;
}"""


def _open_text_version(page: Page) -> None:
    page.get_by_text("Text version of the flowchart").click()
    expect(page.locator(".app-flowchart__text ol")).to_be_visible()


def _fits(page: Page) -> None:
    scroll_width, inner_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width
    chart = page.locator("svg.app-flowchart__svg")
    drawn = chart.bounding_box()
    assert drawn is not None and drawn["width"] <= inner_width
    # Shrunk whole, keeping its shape: no band of empty space above or below.
    ratio = page.evaluate(
        "() => { const b = document.querySelector('svg.app-flowchart__svg').viewBox.baseVal;"
        " return b.height / b.width; }"
    )
    assert drawn["height"] == pytest.approx(drawn["width"] * ratio, abs=2)


def test_the_flowchart_pages_are_accessible_and_every_word_stays_in_its_box(
    page: Page, live_server: Any
) -> None:
    world = make_world("north-somerset-sab")
    reference = escalated_to(world, raise_one(world), 3).reference
    journey = Journey(page, live_server.url, world, axe=True, name="flowchart")
    journey.sign_in(world.user("a", Level.PRACTITIONER).username)

    page.goto(f"{live_server.url}/procedure/")
    chart = page.get_by_role("img", name="Flowchart: North Somerset", exact=False)
    expect(chart).to_be_visible()
    assert page.evaluate(OUTSIDE) == []
    box = chart.bounding_box()
    assert box is not None and box["width"] == pytest.approx(640, abs=1)
    _open_text_version(page)
    check_axe(page, "flowchart-procedure")

    page.goto(f"{live_server.url}/escalations/{reference}/")
    current = page.locator('svg.app-flowchart__svg g[data-mark="current"]')
    expect(current).to_have_attribute("data-stage", "3")
    expect(current).to_contain_text("Current stage")
    expect(page.locator('svg.app-flowchart__svg g[data-mark="reached"]')).to_have_count(2)
    assert page.evaluate(OUTSIDE) == []
    _open_text_version(page)
    expect(page.locator('.app-flowchart__text li[data-stage="3"]')).to_contain_text("Current stage")
    check_axe(page, "flowchart-escalation")

    page.set_viewport_size({"width": 320, "height": 900})
    for path in ("/procedure/", f"/escalations/{reference}/"):
        page.goto(f"{live_server.url}{path}")
        _fits(page)
    check_axe(page, "flowchart-escalation-320")
