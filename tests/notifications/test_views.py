"""The notifications page, opening an item, "mark all as read", the unread count in the header
and the "How you hear" page (delivery preference and the calendar feed's address)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalate.accounts.models import User
from escalate.audit.models import AuditAction, AuditEntry
from escalate.cases.actors import Actor
from escalate.cases.models import Escalation
from escalate.directory.models import Person
from escalate.notifications import services
from escalate.notifications.models import Channel, Delivery, Kind, Notification, Preference, Status
from escalate.procedures.schema import Level
from tests.cases.conftest import World, make_world, raise_one
from tests.support import signed_in

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

LIST = "/notifications/"
PREFERENCES = "/notifications/preferences/"
READ_ALL = "/notifications/read-all/"
FEED_RESET = "/notifications/preferences/feed/"
NOW = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)


# -- set-up shared with the other notification page tests ----------------------------------


@pytest.fixture
def world(db: None) -> World:
    return with_addresses(make_world("north-east-lincolnshire", "notes"))


def with_addresses(world: World) -> World:
    """Give everyone an e-mail address, so that tests can check it is never shown."""
    for (agency, level), someone in world.people.items():
        someone.email = f"{world.partnership.slug}-{agency}-{level.value}@mail.test"
        someone.save(update_fields=["email"])
    return world


def person(world: World, agency: str = "a", level: Level = Level.PRACTITIONER) -> Person:
    return world.people[(agency, level)]


def row(
    recipient: Person,
    escalation: Escalation,
    *,
    channel: str = Channel.APP,
    kind: str = Kind.DUE_SOON,
    status: str = Status.SENT,
    read: bool = False,
    **fields: Any,
) -> Notification:
    """One outbox row, as the outbox writes it (a unique key each time)."""
    row.count += 1  # type: ignore[attr-defined]
    values: dict[str, Any] = {
        "partnership_id": escalation.partnership_id,
        "escalation": escalation,
        "reference": escalation.reference,
        "key": f"test:{row.count}",  # type: ignore[attr-defined]
        "kind": kind,
        "stage": escalation.current_stage,
        "due_on": dt.date(2026, 3, 9),
        "recipient": recipient,
        "channel": channel,
        "status": status,
        "next_attempt_at": NOW,
        # An in-application row is delivered when written (a reminder at night: next morning).
        "sent_at": NOW - dt.timedelta(minutes=1) if channel == Channel.APP else None,
        "read_at": NOW if read else None,
    }
    values.update(fields)
    return Notification.objects.create(**values)


row.count = 0  # type: ignore[attr-defined]


def fresh(world: World, **overrides: Any) -> Escalation:
    """An escalation raised by agency a against b, with none of the rows the raise wrote to the
    outbox, so that each test sees only its own."""
    esc = raise_one(world, **overrides)
    Notification.objects.filter(escalation=esc).delete()
    return esc


def item_texts(html: str) -> list[str]:
    return re.findall(r'data-notification="(\d+)"', html)


# -- the list ---------------------------------------------------------------------------------


def test_the_list_shows_only_your_own_in_application_rows_newest_first(world: World) -> None:
    me, other = person(world), person(world, "b")
    esc = fresh(world)
    first = row(me, esc, kind=Kind.RAISED, read=True)
    second = row(me, esc, kind=Kind.DUE_SOON)
    row(other, esc)  # someone else's
    row(me, esc, channel=Channel.EMAIL)  # an e-mail, not an item in the application
    response = signed_in(me.user).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert item_texts(html) == [str(second.pk), str(first.pk)]
    assert f"/notifications/{second.pk}/open/" in html
    assert esc.reference in html
    # The unread one carries a tag; the read one does not.
    assert html.count('class="govuk-tag govuk-tag--blue app-unread"') == 1
    assert "<title>Notifications - Escalate</title>" in html


def test_the_list_is_paginated(world: World) -> None:
    me = person(world)
    esc = fresh(world)
    rows = [row(me, esc) for _ in range(30)]
    client = signed_in(me.user)
    first = client.get(LIST).content.decode()
    second = client.get(LIST, {"page": "2"}).content.decode()
    assert len(item_texts(first)) == 25
    assert item_texts(second) == [str(n.pk) for n in reversed(rows[:5])]
    assert 'href="?page=2"' in first
    # A page that is not a number, or past the end, shows a page rather than an error.
    assert client.get(LIST, {"page": "x"}).status_code == 200
    assert client.get(LIST, {"page": "99"}).status_code == 200


def test_the_list_says_when_there_is_nothing(world: World) -> None:
    response = signed_in(person(world).user).get(LIST)
    assert "You have no notifications" in response.content.decode()


def test_someone_with_no_directory_entry_gets_404(world: World) -> None:
    admin = User.objects.create_superuser(username="notes-admin", password="x")
    client = signed_in(admin)
    assert client.get(LIST).status_code == 404
    assert client.get(PREFERENCES).status_code == 404
    assert client.post(READ_ALL).status_code == 404
    assert client.post(FEED_RESET).status_code == 404


def test_signed_out_people_are_sent_to_sign_in(world: World) -> None:
    for url in (LIST, PREFERENCES):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/account/sign-in/")


# -- opening an item --------------------------------------------------------------------------


def test_opening_an_item_marks_it_read_and_goes_to_its_escalation(world: World) -> None:
    me = person(world)
    esc = fresh(world)
    n = row(me, esc)
    client = signed_in(me.user)
    response = client.get(f"/notifications/{n.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == f"/escalations/{esc.reference}/"
    n.refresh_from_db()
    assert n.read_at is not None
    first_read = n.read_at
    # Opening it again keeps the first time it was read.
    assert client.post(f"/notifications/{n.pk}/open/").status_code == 302
    n.refresh_from_db()
    assert n.read_at == first_read


def test_overdue_with_the_next_level_opens_the_escalate_page(world: World) -> None:
    me = person(world, "a", Level.LINE_MANAGER)
    esc = fresh(world)
    n = row(me, esc, kind=Kind.OVERDUE_NEXT_LEVEL)
    response = signed_in(me.user).post(f"/notifications/{n.pk}/open/")
    assert response["Location"] == f"/escalations/{esc.reference}/escalate/"


def test_another_persons_item_is_not_found_and_stays_unread(world: World) -> None:
    me, other = person(world), person(world, "b")
    esc = fresh(world)
    theirs = row(other, esc)
    my_email = row(me, esc, channel=Channel.EMAIL)
    client = signed_in(me.user)
    before = AuditEntry.objects.filter(action=AuditAction.ACCESS_DENIED).count()
    for pk in (theirs.pk, my_email.pk, 999_999):
        assert client.get(f"/notifications/{pk}/open/").status_code == 404
        assert client.post(f"/notifications/{pk}/open/").status_code == 404
    theirs.refresh_from_db()
    my_email.refresh_from_db()
    assert theirs.read_at is None
    assert my_email.read_at is None
    # The refusals are in the audit trail, by id.
    refused = AuditEntry.objects.filter(action=AuditAction.ACCESS_DENIED).order_by("sequence")
    assert refused.count() == before + 6
    assert refused.last().object_ref == "999999"  # type: ignore[union-attr]


def test_mark_all_as_read_marks_only_your_own(world: World) -> None:
    me, other = person(world), person(world, "b")
    esc = fresh(world)
    mine = [row(me, esc), row(me, esc)]
    theirs = row(other, esc)
    client = signed_in(me.user)
    assert client.get(READ_ALL).status_code == 405  # POST only
    response = client.post(READ_ALL)
    assert response.status_code == 302
    assert response["Location"] == LIST
    assert all(Notification.objects.get(pk=n.pk).read_at is not None for n in mine)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_services_take_the_time(world: World) -> None:
    me = person(world)
    esc = fresh(world)
    one, two = row(me, esc), row(me, esc)
    actor = Actor.of(me.user)
    services.notification_mark_read(actor=actor, notification_id=one.pk, now=NOW)
    assert Notification.objects.get(pk=one.pk).read_at == NOW
    later = NOW + dt.timedelta(hours=1)
    assert services.notifications_mark_all_read(actor=actor, now=later) == 1
    assert Notification.objects.get(pk=one.pk).read_at == NOW
    assert Notification.objects.get(pk=two.pk).read_at == later
    with pytest.raises(services.NotificationNotFound):
        services.notification_mark_read(
            actor=Actor.of(person(world, "b").user), notification_id=two.pk, now=NOW
        )


# -- the unread count in the header -----------------------------------------------------------


def test_the_header_shows_the_unread_count(world: World) -> None:
    me = person(world)
    esc = fresh(world)
    row(me, esc)
    row(me, esc)
    row(me, esc, read=True)
    row(me, esc, channel=Channel.EMAIL)  # an e-mail is not an unread item
    row(person(world, "b"), esc)
    html = signed_in(me.user).get("/").content.decode()
    link = re.search(
        r'<a class="govuk-service-navigation__link" href="/notifications/"[^>]*>(.*?)</a>',
        html,
        re.S,
    )
    assert link is not None
    text = re.sub(r"<[^>]+>", "", link.group(1))
    assert " ".join(text.split()) == "Notifications 2 unread"
    assert '<span class="govuk-visually-hidden"> unread</span>' in link.group(1)


def test_the_header_shows_no_count_when_all_is_read(world: World) -> None:
    me = person(world)
    html = signed_in(me.user).get("/").content.decode()
    link = re.search(r'href="/notifications/"[^>]*>(.*?)</a>', html, re.S)
    assert link is not None
    assert " ".join(re.sub(r"<[^>]+>", "", link.group(1)).split()) == "Notifications"


def test_the_count_is_one_query_and_only_for_people_signed_in(world: World) -> None:
    me = person(world)
    client = signed_in(me.user)
    client.get("/")  # warm up
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    counted = [q["sql"] for q in queries if "notifications_notification" in q["sql"]]
    assert len(counted) == 1
    assert "COUNT(" in counted[0].upper()
    with CaptureQueriesContext(connection) as queries:
        Client().get("/account/sign-in/")
    assert not [q for q in queries if "notifications_notification" in q["sql"]]


# -- how you hear -----------------------------------------------------------------------------


def test_the_preference_page_offers_immediate_or_a_daily_digest(world: World) -> None:
    me = person(world)
    html = signed_in(me.user).get(PREFERENCES).content.decode()
    assert "<title>How you hear about escalations - Escalate</title>" in html
    assert 'type="radio"' in html
    assert 'value="immediate" checked' in html
    assert 'value="digest"' in html
    assert "always sent straight away" in html  # overdue and immediate risk


def test_saving_the_preference_is_audited_with_ids_only(world: World) -> None:
    me = person(world)
    client = signed_in(me.user)
    response = client.post(PREFERENCES, {"delivery": Delivery.DIGEST})
    assert response.status_code == 302
    assert response["Location"] == PREFERENCES
    assert Preference.objects.get(person=me).delivery == Delivery.DIGEST
    entry = AuditEntry.objects.filter(action=AuditAction.NOTIFICATION_PREFERENCE_CHANGED).get()
    assert entry.object_ref == str(me.pk)
    assert entry.actor_id == me.user_id
    assert me.email not in str(entry.detail)
    assert entry.detail["delivery"] == "digest"
    page = client.get(PREFERENCES).content.decode()
    assert 'value="digest" checked' in page
    assert "You will get one e-mail a day" in page  # the success banner


def test_an_empty_or_unknown_answer_is_a_form_error(world: World) -> None:
    client = signed_in(person(world).user)
    for data in ({}, {"delivery": "hourly"}):
        response = client.post(PREFERENCES, data)
        assert response.status_code == 200
        html = response.content.decode()
        assert "There is a problem" in html
        assert "Select how you want to hear" in html
        assert "<title>Error: How you hear" in html
    assert not Preference.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditAction.NOTIFICATION_PREFERENCE_CHANGED)


# -- the calendar feed's address --------------------------------------------------------------


def feed_url_in(html: str) -> str:
    found = re.search(r'value="(https?://[^"]+/notifications/feed/[^"]+\.ics)"', html)
    assert found is not None, "the page shows no feed address"
    return found.group(1)


def test_creating_the_feed_shows_its_address_once(world: World) -> None:
    me = person(world)
    client = signed_in(me.user)
    assert client.get(FEED_RESET).status_code == 405  # POST only
    before = client.get(PREFERENCES).content.decode()
    assert "Create a calendar feed" in before
    response = client.post(FEED_RESET)
    assert response.status_code == 200
    url = feed_url_in(response.content.decode())
    secret = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(secret) >= 40
    pref = Preference.objects.get(person=me)
    assert pref.feed_secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert pref.feed_reset_at is not None
    # Shown once: the page afterwards offers a new address, never the old one again.
    after = client.get(PREFERENCES).content.decode()
    assert secret not in after
    assert "Reset the calendar feed address" in after
    entry = AuditEntry.objects.filter(action=AuditAction.CALENDAR_FEED_RESET).get()
    assert entry.object_ref == str(me.pk)
    assert secret not in str(entry.detail) and secret not in entry.object_ref


def test_resetting_the_feed_invalidates_the_old_address(world: World) -> None:
    me = person(world)
    client = signed_in(me.user)
    old = feed_url_in(client.post(FEED_RESET).content.decode())
    new = feed_url_in(client.post(FEED_RESET).content.decode())
    assert old != new
    anyone = Client()
    assert anyone.get(urlsplit(old).path).status_code == 404
    assert anyone.get(urlsplit(new).path).status_code == 200
    assert AuditEntry.objects.filter(action=AuditAction.CALENDAR_FEED_RESET).count() == 2


def test_the_feed_reset_service_takes_the_time(world: World) -> None:
    me = person(world)
    secret = services.calendar_feed_reset(actor=Actor.of(me.user), now=NOW)
    pref = Preference.objects.get(person=me)
    assert pref.feed_reset_at == NOW
    assert pref.feed_secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert timezone.is_aware(pref.feed_reset_at)
