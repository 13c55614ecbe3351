"""A paginated escalation list in a real browser: pages 1, 2 and the last checked with axe
(WCAG 2.2 AA); the numbered links, Previous and Next move between pages; the filters and the
order chosen survive paging; and the same with JavaScript turned off."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from escalate.cases.models import Escalation
from tests.browser.test_journeys import Journey
from tests.cases.conftest import make_world
from tests.cases.test_list_pages import many

pytestmark = pytest.mark.browser


def _walk(page: Page, base: str, *, axe: bool, name: str) -> None:
    world = make_world("north-east-lincolnshire")
    many(world, 137)
    j = Journey(page, base, world, axe=axe, name=name)
    j.sign_in(world.bu_user.username)
    page.get_by_role("link", name=re.compile(r"^\d+ open escalations? you can see$")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("All escalations you can see")
    summary = page.locator("#list-summary")
    expect(summary).to_have_text("Showing 1 to 50 of 137 escalations")
    pages = page.get_by_role("navigation", name="Pages of escalations")
    expect(pages.get_by_role("link", name="Page 1")).to_have_attribute("aria-current", "page")
    j.check("page-1")

    pages.get_by_role("link", name="Next page").click()
    expect(summary).to_have_text("Showing 51 to 100 of 137 escalations")
    expect(pages.get_by_role("link", name="Page 2")).to_have_attribute("aria-current", "page")
    j.check("page-2")

    pages.get_by_role("link", name="Page 3").click()
    expect(summary).to_have_text("Showing 101 to 137 of 137 escalations")
    expect(pages.get_by_role("link", name="Next page")).to_have_count(0)
    j.check("page-3")
    pages.get_by_role("link", name="Previous page").click()
    expect(summary).to_have_text("Showing 51 to 100 of 137 escalations")

    # Filter and order, then page: both hold on page 2.
    page.get_by_label("Status").select_option("open")
    page.get_by_label("Sort by").select_option("newest")
    page.get_by_role("button", name="Apply filters").click()
    opened = Escalation.objects.filter(partnership=world.partnership, status="open")
    total = opened.count()
    expect(summary).to_have_text(f"Showing 1 to 50 of {total} escalations")
    pages.get_by_role("link", name="Next page").click()
    expect(summary).to_have_text(re.compile(rf"^Showing 51 to \d+ of {total} escalations$"))
    expect(page.get_by_label("Status")).to_have_value("open")
    expect(page.get_by_label("Sort by")).to_have_value("newest")
    newest = opened.order_by("-raised_on", "-id").values_list("reference", flat=True)
    first_row = page.locator("tbody tr").first.get_by_role("link").first
    expect(first_row).to_have_text(list(newest)[50])
    j.check("filtered-page-2")


def test_a_paginated_list_is_accessible(page: Page, live_server: Any) -> None:
    _walk(page, live_server.url, axe=True, name="list-paging")


def test_a_paginated_list_works_without_javascript(page_nojs: Page, live_server: Any) -> None:
    _walk(page_nojs, live_server.url, axe=False, name="list-paging-nojs")
