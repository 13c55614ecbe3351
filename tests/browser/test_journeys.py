"""The journeys in a real browser: raise, record, escalate, resolve and confirm, as a
practitioner and as managers of both agencies; every page checked with axe (WCAG 2.2 AA);
the raise journey by keyboard alone; and the same journeys with JavaScript turned off."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from escalate.cases.models import Escalation, Status
from escalate.cases.rules import registry
from escalate.procedures.schema import Level
from tests.browser.conftest import check_axe, screenshot
from tests.cases.conftest import World, make_world
from tests.support import totp_code

pytestmark = pytest.mark.browser
PROCEDURES = ["north-east-lincolnshire", "sunderland-sab"]
CODE_LABEL = "Enter the 6-digit code from your authenticator app"


def current_code(username: str) -> str:
    """What the user's authenticator app shows now (demo mode gave them one at sign-in)."""
    return totp_code(TOTPDevice.objects.get(user__username=username, confirmed=True))


class Journey:
    def __init__(self, page: Page, base: str, world: World, *, axe: bool, name: str) -> None:
        self.page, self.base, self.world, self.axe, self.name = page, base, world, axe, name
        self.shots = 0

    def check(self, label: str) -> None:
        self.shots += 1
        tag = f"{self.name}-{self.shots:02d}-{label}"
        if self.axe:
            check_axe(self.page, tag)
        else:
            screenshot(self.page, tag)

    def sign_in(self, username: str) -> None:
        page = self.page
        page.context.clear_cookies()
        page.goto(f"{self.base}/account/sign-in/")
        self.check("sign-in")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill("x")
        page.get_by_role("button", name="Sign in").click()
        # The second factor: the code an authenticator app holding this user's key shows now.
        expect(page.get_by_role("heading", level=1)).to_have_text("Check your authenticator app")
        self.check("code")
        page.get_by_label(CODE_LABEL).fill(current_code(username))
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Escalations")

    def submit(self, label: str = "Continue") -> None:
        self.page.get_by_role("button", name=label).click()

    def date(self, legend: str, day: int, month: int, year: int) -> None:
        group = self.page.get_by_role("group", name=re.compile(legend))
        group.get_by_label("Day").fill(str(day))
        group.get_by_label("Month").fill(str(month))
        group.get_by_label("Year").fill(str(year))

    def raise_concern(self, category: str, kind: str) -> str:
        page = self.page
        page.get_by_role("link", name="Raise a concern").first.click()
        self.check("immediate-risk")
        page.get_by_label("No", exact=True).check()
        self.submit()
        self.check("about")
        page.get_by_label(kind.capitalize(), exact=True).check()
        page.get_by_label("NHS number", exact=True).check()
        page.get_by_label("Case reference", exact=True).fill("943 476 5919")
        self.submit()
        self.check("agency")
        page.get_by_label("Which agency do you disagree with?").select_option(str(self.world.b.pk))
        self.submit()
        self.check("category")
        page.get_by_label(category, exact=True).check()
        self.submit()
        self.check("source")
        page.get_by_label("A referral", exact=True).check()
        self.submit()
        self.check("disagreement")
        page.get_by_label("What is the issue?").fill("The case was closed too early")
        page.get_by_label("What is the risk to the child or adult?").fill("Neglect at home")
        page.get_by_label("What do you want to achieve?").fill("Reopen the case")
        self.submit()
        self.check("identified")
        self.date("When did you identify the concern", 2, 3, 2026)
        self.submit()
        if page.url.endswith("/raise/confirm-identified/"):  # once 2 March 2026 is a year ago
            self.check("confirm-identified")
            page.get_by_label("Yes", exact=True).check()
            self.submit()
        self.check("check-answers")
        self.submit("Raise the concern")
        expect(page.get_by_role("heading", name="Concern raised")).to_be_visible()
        self.check("raised")
        found = re.search(r"ESC-[0-9A-Z]{4}-[0-9A-Z]{4}", page.content())
        assert found is not None
        return found.group()

    def open(self, reference: str) -> None:
        self.page.goto(f"{self.base}/escalations/{reference}/")
        self.check("escalation")

    def act(
        self,
        reference: str,
        link: str,
        fields: dict[str, str],
        on: tuple[int, int, int],
        legend: str,
    ) -> None:
        self.open(reference)
        self.page.get_by_role("link", name=re.compile(link)).first.click()
        self.check(link.split()[0].lower())
        self.date(legend, *on)
        for label, value in fields.items():
            self.page.get_by_label(label, exact=True).fill(value)
        self.submit("Save")
        expect(self.page.locator(".govuk-notification-banner--success")).to_be_visible()


def _walk(page: Page, base: str, procedure_id: str, *, axe: bool, name: str) -> None:
    world = make_world(procedure_id)
    proc = registry().get(procedure_id)
    kind = "child" if proc.protects.value == "children" else "adult"
    j = Journey(page, base, world, axe=axe, name=name)
    j.sign_in(world.user("a", Level.PRACTITIONER).username)
    ref = j.raise_concern(proc.categories[0].name, kind)
    j.sign_in(world.user("b", Level.PRACTITIONER).username)
    j.open(ref)
    j.page.get_by_role("link", name="Record a contact or meeting").click()
    j.check("contact")
    j.date("When did the contact happen", 3, 3, 2026)
    j.page.get_by_label("Telephone", exact=True).check()
    j.page.get_by_label("Who made contact?").fill("B practitioner")
    j.page.get_by_label("Who was contacted?").fill("A practitioner")
    j.page.get_by_label("Summary of the discussion").fill("We talked")
    j.page.get_by_label("What was agreed?").fill("Nothing yet")
    j.submit("Save")
    expect(j.page.locator(".govuk-notification-banner--success")).to_be_visible()
    j.sign_in(world.user("a", Level.LINE_MANAGER).username)
    j.act(
        ref,
        "Escalate to stage 2",
        {"Why is it being escalated?": "Not agreed"},
        (4, 3, 2026),
        "When was it escalated",
    )
    j.sign_in(world.user("b", Level.SENIOR_MANAGER).username)
    j.act(
        ref,
        "Resolve",
        {"What outcome was agreed?": "Case reopened"},
        (5, 3, 2026),
        "When was it resolved",
    )
    j.act(
        ref,
        "Confirm the outcome in writing",
        {"Who confirmed it, and to whom?": "B senior manager to A practitioner"},
        (6, 3, 2026),
        "When was the outcome confirmed",
    )
    esc = Escalation.objects.get(reference=ref)
    assert esc.status == Status.RESOLVED
    assert esc.confirmed_on is not None
    assert list(esc.entries.values_list("kind", flat=True)) == [
        "raised",
        "contact",
        "escalated",
        "resolved",
        "confirmed",
    ]


@pytest.mark.parametrize("procedure_id", PROCEDURES)
def test_journey_is_accessible(page: Page, live_server: Any, procedure_id: str) -> None:
    _walk(page, live_server.url, procedure_id, axe=True, name=f"journey-{procedure_id}")


@pytest.mark.parametrize("procedure_id", PROCEDURES)
def test_journey_without_javascript(page_nojs: Page, live_server: Any, procedure_id: str) -> None:
    _walk(page_nojs, live_server.url, procedure_id, axe=False, name=f"nojs-{procedure_id}")


def _tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching ``selector`` has focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            "(s) => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
    raise AssertionError(f"could not reach {selector} with the Tab key")


def test_raise_journey_with_the_keyboard_alone(page: Page, live_server: Any) -> None:
    world = make_world("north-east-lincolnshire")
    proc = registry().get("north-east-lincolnshire")
    page.goto(f"{live_server.url}/account/sign-in/")
    _tab_to(page, "#id_username")
    page.keyboard.type(world.user("a", Level.PRACTITIONER).username)
    _tab_to(page, "#id_password")
    page.keyboard.type("x")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _tab_to(page, "#id_otp_token")
    page.keyboard.type(current_code(world.user("a", Level.PRACTITIONER).username))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Escalations")
    _tab_to(page, "a.govuk-button--start")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    def choose(name: str, value: str) -> None:
        """Tab into a radio group, then arrow keys to the option (as keyboard users do)."""
        _tab_to(page, f"input[name={name}]")
        for _ in range(20):
            if page.evaluate("(v) => document.activeElement.value === v", value):
                page.keyboard.press("Space")
                return
            page.keyboard.press("ArrowDown")
        raise AssertionError(f"could not reach {name}={value} with the arrow keys")

    def cont() -> None:
        _tab_to(page, "form button.govuk-button")
        with page.expect_navigation():
            page.keyboard.press("Enter")

    choose("immediate_risk", "no")
    cont()
    choose("subject_kind", "adult")
    choose("subject_reference_kind", "pid")
    _tab_to(page, "#id_subject_reference")
    page.keyboard.type("PID-42")
    cont()
    _tab_to(page, "#id_receiving_agency")
    page.keyboard.press("ArrowDown")
    cont()
    choose("category", proc.categories[0].id)
    cont()
    choose("source", "meeting")
    cont()
    for field, text in (("issue", "Issue"), ("risk", "Risk"), ("aim", "Aim")):
        _tab_to(page, f"#id_{field}")
        page.keyboard.type(text)
    cont()
    for part, value in (("day", "2"), ("month", "3"), ("year", "2026")):
        _tab_to(page, f"input[name=outset_on_{part}]")
        page.keyboard.type(value)
    cont()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check your answers")
    cont()
    expect(page.get_by_role("heading", name="Concern raised")).to_be_visible()
    screenshot(page, "keyboard-raised")
    assert Escalation.objects.filter(subject_reference="PID-42").count() == 1
