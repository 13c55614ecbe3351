"""The calendar feed: at a secret address (no sign-in), exactly the due dates of everything the
person holds, as all-day events carrying the reference and stage only."""

from __future__ import annotations

import datetime as dt
import logging

import icalendar
import pytest
from django.test import Client
from django.urls import reverse

from escalate.accounts.models import User
from escalate.cases.actors import Actor
from escalate.cases.models import Deadline, Escalation, Status
from escalate.directory.models import Person
from escalate.notifications import feeds, services
from escalate.procedures.schema import Level
from tests.cases.conftest import World, make_world, raise_one
from tests.notifications.test_views import NOW, person

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

Due = tuple[str, dt.date, str]  # (reference, due date, summary)


@pytest.fixture
def world(db: None) -> World:
    return make_world("north-east-lincolnshire", "feed")


def secret_of(who: Person) -> str:
    return services.calendar_feed_reset(actor=Actor.of(who.user), now=NOW)


def feed_path(secret: str) -> str:
    return reverse("notifications:feed", kwargs={"secret": secret})


def fetch(secret: str) -> icalendar.Calendar:
    response = Client().get(feed_path(secret))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def events(calendar: icalendar.Calendar) -> dict[str, Due]:
    return {
        str(e.uid): (str(e.summary).split(":", 1)[0], e.start, str(e.summary))
        for e in calendar.events
    }


def deadline(esc: Escalation, stage: int, due_on: dt.date, obligation: str = "") -> Deadline:
    return Deadline.objects.create(
        escalation=esc,
        partnership_id=esc.partnership_id,
        stage=stage,
        obligation=obligation,
        due_on=due_on,
    )


def due_dates(*escalations: Escalation) -> set[tuple[str, dt.date]]:
    """Every live due date of these escalations, as the record holds them."""
    return {
        (d.escalation.reference, d.due_on)
        for d in Deadline.objects.filter(escalation__in=escalations).select_related("escalation")
    }


def test_the_feed_holds_exactly_the_due_dates_of_what_the_person_holds(world: World) -> None:
    other_world = make_world("north-east-lincolnshire", "feed-two")
    held = raise_one(world)  # a -> b at stage 1: held by every level of a and b
    held_too = raise_one(world, receiving_agency_id=world.c.pk)  # a -> c at stage 1
    at_stage_3 = raise_one(world)
    Escalation.objects.filter(pk=at_stage_3.pk).update(current_stage=3)  # senior managers'
    closed = raise_one(world)
    Escalation.objects.filter(pk=closed.pk).update(
        status=Status.RESOLVED, closed_on=dt.date(2026, 3, 3)
    )
    not_a_party = raise_one(world, receiving_agency_id=world.c.pk)
    Escalation.objects.filter(pk=not_a_party.pk).update(raising_agency=world.b)
    not_a_party.parties.filter(agency=world.a).update(agency=world.b)
    elsewhere = raise_one(other_world)
    for n, esc in enumerate([held, held_too, at_stage_3, closed, not_a_party, elsewhere]):
        deadline(esc, 1, dt.date(2026, 4, 1) + dt.timedelta(days=n))
        deadline(esc, 1, dt.date(2026, 4, 20) + dt.timedelta(days=n), "record-outcome")
        deadline(esc, 0, dt.date(2026, 5, 1) + dt.timedelta(days=n))

    practitioner = person(world)  # agency a's practitioner
    got = events(fetch(secret_of(practitioner)))
    assert {(ref, on) for ref, on, _ in got.values()} == due_dates(held, held_too)
    assert len(got) == Deadline.objects.filter(escalation__in=[held, held_too]).count()

    # A senior manager of agency a holds stage 3 as well.
    senior = person(world, "a", Level.SENIOR_MANAGER)
    got = events(fetch(secret_of(senior)))
    assert {(ref, on) for ref, on, _ in got.values()} == due_dates(held, held_too, at_stage_3)

    # Agency c's practitioner is a party to held_too and not_a_party only.
    got = events(fetch(secret_of(person(world, "c"))))
    assert {(ref, on) for ref, on, _ in got.values()} == due_dates(held_too, not_a_party)


def test_events_are_all_day_with_the_reference_and_stage_only(world: World) -> None:
    esc = raise_one(world, subject_name="Alex Example", issue="Secret issue words")
    deadline(esc, 1, dt.date(2026, 4, 1))
    deadline(esc, 1, dt.date(2026, 4, 2), "record-outcome")
    deadline(esc, 0, dt.date(2026, 4, 3))
    response = Client().get(feed_path(secret_of(person(world))))
    text = response.content.decode()
    for private in ("Alex Example", "Secret issue words", "PID-1", "a practitioner", "@"):
        assert private not in text.replace("@escalate", ""), private
    calendar = icalendar.Calendar.from_ical(response.content)
    summaries = {e.start: str(e.summary) for e in calendar.events}
    assert summaries[dt.date(2026, 4, 1)] == f"{esc.reference}: stage 1 due"
    assert summaries[dt.date(2026, 4, 2)] == f"{esc.reference}: a stage 1 task due"
    assert summaries[dt.date(2026, 4, 3)] == f"{esc.reference}: whole procedure due"
    for event in calendar.events:
        assert type(event.start) is dt.date  # all day, not a time
        assert event.end == event.start + dt.timedelta(days=1)
        assert str(event["URL"]).endswith(f"/escalations/{esc.reference}/")
        assert "DESCRIPTION" not in event


def test_each_due_date_has_a_stable_uid(world: World) -> None:
    esc = raise_one(world)
    deadline(esc, 1, dt.date(2026, 4, 1))
    deadline(esc, 1, dt.date(2026, 4, 2), "record-outcome")
    secret = secret_of(person(world))
    first, second = events(fetch(secret)), events(fetch(secret))
    assert first.keys() == second.keys()
    assert len(first) == Deadline.objects.filter(escalation=esc).count()
    assert all(uid.endswith("@escalate") for uid in first)


def test_the_feed_is_private_and_never_stored(world: World) -> None:
    response = Client().get(feed_path(secret_of(person(world))))
    cache = response["Cache-Control"]
    assert "private" in cache and "no-store" in cache
    assert Client().post(feed_path("x" * 43)).status_code == 405


def test_an_unknown_or_reset_secret_is_not_found(world: World) -> None:
    me = person(world)
    old = secret_of(me)
    new = secret_of(me)
    anyone = Client()
    assert anyone.get(feed_path(old)).status_code == 404
    assert anyone.get(feed_path(new)).status_code == 200
    assert anyone.get(feed_path("not-a-secret")).status_code == 404
    assert anyone.get("/notifications/feed/.ics").status_code == 404


def test_another_users_secret_shows_only_their_dates_and_a_reset_one_nothing(
    world: World,
) -> None:
    mine = raise_one(world)
    theirs = raise_one(world, receiving_agency_id=world.c.pk)
    Escalation.objects.filter(pk=theirs.pk).update(raising_agency=world.b)
    theirs.parties.filter(agency=world.a).update(agency=world.b)
    deadline(mine, 1, dt.date(2026, 4, 1))
    deadline(theirs, 1, dt.date(2026, 4, 2))
    me, them = person(world), person(world, "c")
    my_secret, their_secret = secret_of(me), secret_of(them)
    assert {on for _, on, _ in events(fetch(my_secret)).values()} >= {dt.date(2026, 4, 1)}
    assert dt.date(2026, 4, 2) not in {on for _, on, _ in events(fetch(my_secret)).values()}
    secret_of(them)  # they reset theirs
    assert Client().get(feed_path(their_secret)).status_code == 404


def test_someone_no_longer_active_has_no_feed(world: World) -> None:
    me = person(world)
    secret = secret_of(me)
    Person.objects.filter(pk=me.pk).update(is_active=False)
    assert Client().get(feed_path(secret)).status_code == 404
    Person.objects.filter(pk=me.pk).update(is_active=True)
    assert Client().get(feed_path(secret)).status_code == 200
    User.objects.filter(person=me).update(is_active=False)
    assert Client().get(feed_path(secret)).status_code == 404


def test_the_secret_is_never_logged(world: World, caplog: pytest.LogCaptureFixture) -> None:
    me = person(world)
    old = secret_of(me)
    new = secret_of(me)
    with caplog.at_level(logging.DEBUG):
        assert Client().get(feed_path(old)).status_code == 404
        assert Client().get(feed_path(new)).status_code == 200
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert old not in logged
    assert new not in logged


def test_the_calendar_is_built_from_deadlines_and_time(world: World) -> None:
    esc = raise_one(world)
    d = deadline(esc, 1, dt.date(2026, 4, 1))
    calendar = icalendar.Calendar.from_ical(feeds.calendar_for([d], now=NOW))
    (event,) = calendar.events
    assert event.start == dt.date(2026, 4, 1)
    assert event.DTSTAMP == NOW
