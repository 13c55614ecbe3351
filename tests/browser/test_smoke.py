"""The page template and the govuk form tags in a real browser: accessible (axe, WCAG 2.2
AA), no inline scripts or styles (for a strict CSP), working without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import check_axe, problems, screenshot
from tests.browser.urls import INJECTION

pytestmark = [pytest.mark.browser, pytest.mark.urls("tests.browser.urls")]


def test_form_page_with_errors_is_accessible(page: Page, live_server: Any) -> None:
    page.goto(f"{live_server.url}/__smoke__/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Raise a concern")
    assert page.title() == "Error: Raise a concern - Escalate"
    # init.mjs ran: GOV.UK Frontend's JavaScript is on.
    expect(page.locator("body")).to_have_class(
        "govuk-template__body js-enabled govuk-frontend-supported"
    )
    check_axe(page, "smoke-form-errors")
    assert problems(page) == []


def test_form_page_escapes_what_was_entered(page: Page, live_server: Any) -> None:
    page.goto(f"{live_server.url}/__smoke__/")

    expect(page.locator("#id_full_name")).to_have_value(INJECTION)
    expect(page.locator(".govuk-notification-banner")).to_contain_text(INJECTION)
    assert problems(page) == []  # no alert() dialog


def test_error_summary_links_to_each_field(page: Page, live_server: Any) -> None:
    page.goto(f"{live_server.url}/__smoke__/")

    links = page.locator(".govuk-error-summary__list a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs == [
        "#id_full_name",
        "#id_agency_type",
        "#id_raised_on_day",
        "#id_summary",
        "#id_agree",
    ]
    for href in hrefs:
        assert href is not None
        expect(page.locator(href)).to_have_count(1)
    expect(page.locator("#id_raised_on_day")).to_have_class(
        "govuk-input govuk-date-input__input govuk-input--width-2 govuk-input--error"
    )
    expect(page.locator("#id_raised_on_month")).not_to_have_class("govuk-input--error")


def test_pages_have_no_inline_scripts_or_styles(page: Page, live_server: Any) -> None:
    for url in ("/__smoke__/", "/__smoke__/question/"):
        page.goto(f"{live_server.url}{url}")
        inline_scripts = page.locator("script:not([src])")
        assert inline_scripts.count() == 0, f"inline <script> on {url}"
        assert page.locator("[style]").count() == 0, f"style= attribute on {url}"
        assert page.locator("style").count() == 0, f"<style> element on {url}"


def test_header_has_service_partnership_and_navigation(page: Page, live_server: Any) -> None:
    page.goto(f"{live_server.url}/__smoke__/")

    header = page.locator("header")
    expect(header.locator(".govuk-generic-header__homepage-link")).to_have_text("Escalate")
    expect(header).to_contain_text("Northshire Safeguarding Partnership")
    expect(header.locator("svg")).to_have_count(0)  # no crown, no GOV.UK logo
    nav = page.get_by_role("navigation", name="Menu")
    for name in ("Home", "Escalations", "Raise a concern", "The procedure"):
        expect(nav.get_by_role("link", name=name)).to_be_visible()
    expect(nav.locator("[aria-current]")).to_have_text("Raise a concern")
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator(".govuk-phase-banner")).to_contain_text("fictional data")


def test_one_question_page_uses_the_legend_as_heading(page: Page, live_server: Any) -> None:
    page.goto(f"{live_server.url}/__smoke__/question/")

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Which stage is the escalation at?")
    expect(page.locator("legend.govuk-fieldset__legend--l h1")).to_have_count(1)
    assert page.title() == "Which stage is the escalation at? - Escalate"
    page.get_by_label("Stage 2: managers").check()
    check_axe(page, "smoke-question")


def test_page_works_without_javascript(page_nojs: Page, live_server: Any) -> None:
    page_nojs.goto(f"{live_server.url}/__smoke__/")

    expect(page_nojs.get_by_role("heading", level=1)).to_have_text("Raise a concern")
    expect(page_nojs.locator("body")).not_to_have_class("govuk-frontend-supported")
    # The navigation is shown in full when the menu toggle's JavaScript cannot run.
    expect(page_nojs.get_by_role("link", name="Escalations")).to_be_visible()
    assert check_axe(page_nojs, "smoke-form-errors-nojs") is None
    assert (screenshot(page_nojs, "smoke-form-errors-nojs")).exists()
