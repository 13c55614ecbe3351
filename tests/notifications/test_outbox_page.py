"""The business unit's view of its partnership's e-mail outbox: what is queued, sent, failed,
stopped while sending or held for a digest, why, and "Send again"."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from escalate.audit.models import AuditAction, AuditEntry
from escalate.cases.actors import Actor
from escalate.directory.models import Person
from escalate.notifications import services
from escalate.notifications.models import Channel, Kind, Notification, Status
from escalate.procedures.schema import Level
from tests.cases.conftest import World, make_world
from tests.notifications.test_views import NOW, fresh, person, row, with_addresses
from tests.security.test_headers import assert_forms_carry_csrf, assert_no_inline_code
from tests.support import signed_in

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

OUTBOX = "/notifications/outbox/"


@pytest.fixture
def world(db: None) -> World:
    return with_addresses(make_world("north-east-lincolnshire", "outbox"))


def bu(world: World) -> Person:
    assert world.business_unit is not None
    return world.business_unit


def email(recipient: Person, esc: object, status: str, **fields: object) -> Notification:
    return row(recipient, esc, channel=Channel.EMAIL, status=status, **fields)  # type: ignore[arg-type]


def shown(html: str) -> list[str]:
    return re.findall(r'data-outbox-row="(\d+)"', html)


def retry_url(n: Notification) -> str:
    return f"/notifications/outbox/{n.pk}/retry/"


def test_the_business_unit_sees_its_partnerships_email_rows(world: World) -> None:
    other = make_world("north-east-lincolnshire", "outbox-two")
    esc = fresh(world)
    b_manager = person(world, "b", Level.SENIOR_MANAGER)
    failed = email(b_manager, esc, Status.FAILED, attempts=5, failure="Mail server refused: 550")
    sent = email(person(world), esc, Status.SENT, attempts=1, sent_at=NOW)
    in_app = row(person(world), esc)  # an item in the application, not an e-mail
    theirs = email(person(other), fresh(other), Status.FAILED)
    html = signed_in(bu(world).user).get(OUTBOX).content.decode()
    assert set(shown(html)) == {str(failed.pk), str(sent.pk)}
    assert str(in_app.pk) not in shown(html) and str(theirs.pk) not in shown(html)
    assert esc.reference in html
    assert "Mail server refused: 550" in html
    assert world.b.name in html  # the recipient's agency
    assert b_manager.email and b_manager.email not in html  # never the address
    assert b_manager.name not in html  # nor the name
    assert "Due soon" in html  # the kind
    assert "<title>Messages sent by e-mail - Escalate</title>" in html


def test_the_page_counts_failed_and_uncertain_at_the_top(world: World) -> None:
    esc = fresh(world)
    for status in (Status.FAILED, Status.FAILED, Status.UNCERTAIN, Status.SENT, Status.QUEUED):
        email(person(world), esc, status)
    html = signed_in(bu(world).user).get(OUTBOX).content.decode()
    top = html[: html.index("<table")]
    assert re.search(r'data-count="failed"[^>]*>\s*2\s*<', top)
    assert re.search(r'data-count="uncertain"[^>]*>\s*1\s*<', top)


def test_filter_by_status(world: World) -> None:
    esc = fresh(world)
    rows = {s: email(person(world), esc, s) for s in Status.values}
    client = signed_in(bu(world).user)
    for status, n in rows.items():
        html = client.get(OUTBOX, {"status": status}).content.decode()
        assert shown(html) == [str(n.pk)], status
    # Something that is not a status shows everything, with no error.
    html = client.get(OUTBOX, {"status": "nonsense"}).content.decode()
    assert len(shown(html)) == len(rows)


def test_send_again_queues_a_failed_row_now_and_is_audited(world: World) -> None:
    esc = fresh(world)
    n = email(person(world), esc, Status.FAILED, attempts=5, failure="Timed out")
    response = signed_in(bu(world).user).post(retry_url(n))
    assert response.status_code == 302
    assert response["Location"] == OUTBOX
    n.refresh_from_db()
    assert n.status == Status.QUEUED
    assert n.attempts == 5  # kept
    assert abs((n.next_attempt_at - dt.datetime.now(dt.UTC)).total_seconds()) < 60
    entry = AuditEntry.objects.filter(action=AuditAction.NOTIFICATION_RETRIED).get()
    assert entry.object_ref == str(n.pk)
    assert entry.partnership_id == world.partnership.pk
    assert entry.detail["reference"] == esc.reference
    assert entry.detail["was"] == "failed"
    assert person(world).email not in str(entry.detail)


def test_send_again_on_an_uncertain_row_clears_its_claim(world: World) -> None:
    esc = fresh(world)
    n = email(
        person(world),
        esc,
        Status.UNCERTAIN,
        attempts=2,
        claimed_by="worker-1",
        claimed_at=NOW,
    )
    later = NOW + dt.timedelta(hours=2)
    services.notification_retry(actor=Actor.of(bu(world).user), notification_id=n.pk, now=later)
    n.refresh_from_db()
    assert (n.status, n.next_attempt_at, n.attempts) == (Status.QUEUED, later, 2)
    assert (n.claimed_by, n.claimed_at) == ("", None)


@pytest.mark.parametrize("status", [Status.QUEUED, Status.SENT, Status.SENDING, Status.HELD])
def test_only_failed_or_uncertain_rows_are_sent_again(world: World, status: str) -> None:
    esc = fresh(world)
    n = email(person(world), esc, status)
    with pytest.raises(services.NotRetryable):
        services.notification_retry(actor=Actor.of(bu(world).user), notification_id=n.pk, now=NOW)
    client = signed_in(bu(world).user)
    response = client.post(retry_url(n), follow=True)
    assert services.NOT_RETRYABLE in response.content.decode()
    n.refresh_from_db()
    assert n.status == status
    assert not AuditEntry.objects.filter(action=AuditAction.NOTIFICATION_RETRIED).exists()


def test_another_partnerships_row_is_not_found(world: World) -> None:
    other = make_world("north-east-lincolnshire", "outbox-two")
    theirs = email(person(other), fresh(other), Status.FAILED)
    client = signed_in(bu(world).user)
    assert client.post(retry_url(theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Status.FAILED
    # An in-application row of its own partnership is not an e-mail to send again either.
    in_app = row(person(world), fresh(world), kind=Kind.OVERDUE, status=Status.FAILED)
    assert client.post(retry_url(in_app)).status_code == 404


def test_only_the_business_unit_sees_the_outbox(world: World) -> None:
    esc = fresh(world)
    n = email(person(world), esc, Status.FAILED)
    for level in (Level.PRACTITIONER, Level.BOARD_REPRESENTATIVE):
        client = signed_in(world.user("c", level))  # the business unit's own agency
        assert client.get(OUTBOX).status_code == 404
        assert client.post(retry_url(n)).status_code == 404
    with pytest.raises(services.NotificationNotFound):
        services.notification_retry(
            actor=Actor.of(world.user("a", Level.BOARD_REPRESENTATIVE)),
            notification_id=n.pk,
            now=NOW,
        )
    n.refresh_from_db()
    assert n.status == Status.FAILED
    anonymous = Client().get(OUTBOX)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/account/sign-in/")
    assert signed_in(bu(world).user).get(retry_url(n)).status_code == 405  # POST only


def test_every_new_page_has_no_inline_code_and_csrf_on_each_form(world: World) -> None:
    """What tests/security/test_headers.py checks of every route, here with content to show:
    items, a feed, the one-time address, rows to send again."""
    me = person(world)
    esc = fresh(world)
    row(me, esc)
    email(me, esc, Status.FAILED, failure="Refused")
    mine, business_unit = signed_in(me.user), signed_in(bu(world).user)
    pages = {
        "list": mine.get("/notifications/"),
        "feed-created": mine.post("/notifications/preferences/feed/"),
        "preferences": mine.get("/notifications/preferences/"),
        "preferences-error": mine.post("/notifications/preferences/", {}),
        "outbox": business_unit.get(OUTBOX),
        "outbox-failed": business_unit.get(OUTBOX, {"status": "failed"}),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        html = response.content.decode()
        assert_no_inline_code(html, name)
        assert_forms_carry_csrf(html, name)
    assert 'action="/notifications/read-all/"' in pages["list"].content.decode()
    assert "Send again" in pages["outbox"].content.decode()
