"""E-mail through GOV.UK Notify's official client, against a fake Notify on loopback."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.test import override_settings

from escalate.audit.models import AuditAction, AuditEntry
from escalate.notifications import senders
from escalate.notifications.delivery import deliver_due
from escalate.notifications.models import Kind, Notification, Status
from tests.cases.conftest import World, make_world
from tests.notifications.fake_notify import API_KEY, SLOW, FakeNotify
from tests.notifications.rows import SUBJECT_NAME, T0, TYPED, an_escalation, email_row, recipient
from tests.notifications.smtp_server import free_port

WORKER = "test-worker"
SITE = "https://escalate.example.org"
DEFAULT_TEMPLATE = "3c1b1e4e-0000-4000-8000-000000000001"
OVERDUE_TEMPLATE = "3c1b1e4e-0000-4000-8000-000000000002"


@pytest.fixture
def world(db: None) -> World:
    return make_world("north-east-lincolnshire")


def notify_settings(base_url: str, **templates: str) -> override_settings:
    return override_settings(
        ESCALATE_EMAIL_CHANNEL="notify",
        ESCALATE_NOTIFY_API_KEY=API_KEY,
        ESCALATE_NOTIFY_BASE_URL=base_url,
        ESCALATE_NOTIFY_TEMPLATES=templates
        or {"default": DEFAULT_TEMPLATE, "overdue": OVERDUE_TEMPLATE},
        ESCALATE_SITE_URL=SITE,
    )


@pytest.fixture
def notify() -> Iterator[FakeNotify]:
    with FakeNotify() as fake, notify_settings(fake.base_url):
        yield fake


def reload(row: Notification) -> Notification:
    row.refresh_from_db()
    return row


def test_the_official_client_sends_the_right_requests(world: World, notify: FakeNotify) -> None:
    esc = an_escalation(world)
    to = recipient(world)
    to.email = "stage.lead@health.test.invalid"
    to.save()
    due = email_row(esc, to, kind=Kind.DUE_SOON, stage=1)
    overdue = email_row(esc, to, kind=Kind.OVERDUE, stage=1)

    report = deliver_due(now=T0, worker=WORKER)

    assert report.sent == 2
    assert notify.problems == []
    first, second = notify.requests
    assert first.path == "/v2/notifications/email"
    assert first.body["email_address"] == "stage.lead@health.test.invalid"
    assert first.body["template_id"] == DEFAULT_TEMPLATE
    assert second.body["template_id"] == OVERDUE_TEMPLATE
    assert first.body["reference"] == f"escalate-outbox-{due.pk}"
    assert second.body["reference"] == f"escalate-outbox-{overdue.pk}"
    personalisation = first.body["personalisation"]
    assert set(personalisation) == {"subject", "body", "reference", "stage", "due_date", "link"}
    assert personalisation["reference"] == esc.reference
    assert personalisation["stage"] == "1"
    assert personalisation["due_date"] == "5 March 2026"
    assert personalisation["link"] == f"{SITE}/escalations/{esc.reference}/"
    assert esc.reference in personalisation["subject"]
    for request in notify.requests:
        text = str(request.body)
        assert SUBJECT_NAME not in text
        assert TYPED not in text
    assert first.headers["Authorization"].startswith("Bearer ")
    assert reload(due).status == reload(overdue).status == Status.SENT
    assert {e.detail["channel"] for e in AuditEntry.objects.all()} == {"notify"}


def test_a_5xx_answer_is_tried_again_later(world: World, notify: FakeNotify) -> None:
    row = email_row(an_escalation(world), recipient(world))
    notify.answers = [500]
    report = deliver_due(now=T0, worker=WORKER)
    assert report.retrying == 1
    row = reload(row)
    assert (row.status, row.failure) == (Status.QUEUED, "Notify answered 500")
    assert row.next_attempt_at == T0 + dt.timedelta(minutes=1)

    assert deliver_due(now=T0 + dt.timedelta(seconds=59), worker=WORKER).claimed == 0
    report = deliver_due(now=T0 + dt.timedelta(minutes=1), worker=WORKER)
    assert report.sent == 1
    assert len(notify.requests) == 2
    assert reload(row).status == Status.SENT


def test_a_4xx_answer_fails_for_good(world: World, notify: FakeNotify) -> None:
    row = email_row(an_escalation(world), recipient(world))
    notify.answers = [400]
    assert deliver_due(now=T0, worker=WORKER).failed == 1
    row = reload(row)
    assert (row.status, row.failure) == (Status.FAILED, "Notify answered 400")
    assert AuditEntry.objects.filter(action=AuditAction.NOTIFICATION_FAILED).count() == 1


def test_notify_out_of_reach_is_tried_again_not_uncertain(world: World) -> None:
    row = email_row(an_escalation(world), recipient(world))
    with notify_settings(f"http://127.0.0.1:{free_port()}"):
        deliver_due(now=T0, worker=WORKER)
    row = reload(row)
    assert (row.status, row.failure) == (Status.QUEUED, "could not reach Notify")


def test_no_answer_after_the_request_went_is_uncertain(
    world: World, notify: FakeNotify, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(senders, "NETWORK_TIMEOUT_SECONDS", 0.5)
    notify.answers = [SLOW]
    notify.slow_seconds = 1.5
    row = email_row(an_escalation(world), recipient(world))
    assert deliver_due(now=T0, worker=WORKER).uncertain == 1
    row = reload(row)
    assert (row.status, row.failure) == (Status.UNCERTAIN, "no answer from Notify")
    assert len(notify.requests) == 1  # Notify has it: never sent again by itself


def test_no_template_for_the_kind_fails_with_the_reason(world: World) -> None:
    row = email_row(an_escalation(world), recipient(world), kind=Kind.CLOSED)
    with FakeNotify() as fake, notify_settings(fake.base_url, overdue=OVERDUE_TEMPLATE):
        deliver_due(now=T0, worker=WORKER)
        assert fake.requests == []
    row = reload(row)
    assert (row.status, row.failure) == (Status.FAILED, senders.NOTIFY_NO_TEMPLATE)
