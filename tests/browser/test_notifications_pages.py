"""The notification pages in a real browser: the notifications page (with the unread count in
the header), "How you hear", the calendar feed's one-time address and the
business unit's outbox, each checked with axe (WCAG 2.2 AA); and the same actions with
JavaScript turned off."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from escalate.notifications.models import Channel, Delivery, Kind, Notification, Preference, Status
from escalate.procedures.schema import Level
from tests.browser.test_journeys import Journey
from tests.cases.conftest import World, make_world
from tests.notifications.test_views import fresh, row

pytestmark = pytest.mark.browser


def _world() -> tuple[World, list[Notification]]:
    world = make_world("north-east-lincolnshire")
    me = world.people[("a", Level.PRACTITIONER)]
    esc = fresh(world)
    rows = [
        row(me, esc, kind=Kind.RAISED, read=True),
        row(me, esc, kind=Kind.DUE_SOON),
        row(me, esc, kind=Kind.OVERDUE),
    ]
    for status, failure in (
        (Status.FAILED, "Mail server refused the message (550)"),
        (Status.UNCERTAIN, "Stopped while sending"),
        (Status.SENT, ""),
        (Status.QUEUED, ""),
    ):
        row(me, esc, channel=Channel.EMAIL, status=status, failure=failure, attempts=2)
    return world, rows


def test_the_notification_pages_are_accessible(page: Page, live_server: Any) -> None:
    world, _rows = _world()
    j = Journey(page, live_server.url, world, axe=True, name="notifications")
    j.sign_in(world.user("a", Level.PRACTITIONER).username)
    header_link = page.get_by_role("link", name="Notifications 2 unread")
    expect(header_link).to_be_visible()
    header_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    j.check("list")

    page.get_by_role("link", name="How you hear about escalations").click()
    j.check("preferences")
    expect(page.get_by_label("Send me an e-mail for each update as it happens")).to_be_checked()
    page.get_by_label("Send me one e-mail a day with all of them").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    j.check("preferences-saved")
    page.get_by_role("button", name="Create a calendar feed").click()
    expect(page.get_by_label("Calendar feed address")).to_have_value(re.compile(r"\.ics$"))
    j.check("feed-created")

    j.sign_in(world.bu_user.username)
    page.goto(f"{live_server.url}/notifications/outbox/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Messages sent by e-mail")
    j.check("outbox")
    page.get_by_role("button", name=re.compile("^Send again")).first.click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    j.check("outbox-sent-again")
    page.get_by_label("Show messages with the status").select_option("failed")
    page.get_by_role("button", name="Show").click()
    j.check("outbox-failed")


def test_the_notification_pages_work_without_javascript(page_nojs: Page, live_server: Any) -> None:
    world, rows = _world()
    me = world.people[("a", Level.PRACTITIONER)]
    j = Journey(page_nojs, live_server.url, world, axe=False, name="notifications-nojs")
    j.sign_in(world.user("a", Level.PRACTITIONER).username)
    page = page_nojs
    page.get_by_role("link", name="Notifications 2 unread").click()
    # Opening an item marks it read and goes to its escalation.
    page.get_by_role("link", name=re.compile("overdue")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(rows[2].reference)
    assert Notification.objects.get(pk=rows[2].pk).read_at is not None
    page.get_by_role("link", name="Notifications 1 unread").click()
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    j.check("list-all-read")
    page.get_by_role("link", name="How you hear about escalations").click()
    page.get_by_label("Send me one e-mail a day with all of them").check()
    page.get_by_role("button", name="Save").click()
    assert Preference.objects.get(person=me).delivery == Delivery.DIGEST
    j.check("preferences-saved")
