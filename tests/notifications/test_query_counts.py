"""The new pages keep their query count as the rows behind them grow: no per-row query."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalate.cases.actors import Actor
from escalate.cases.models import Escalation
from escalate.directory.models import Person
from escalate.notifications import services
from escalate.notifications.models import Channel, Status
from escalate.procedures.schema import Level
from tests.cases.conftest import World, make_world
from tests.notifications.test_views import NOW, fresh, person, row
from tests.support import signed_in


@pytest.fixture
def world(db: None) -> World:
    return make_world("north-east-lincolnshire", "counts")


def _queries(fetch: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = fetch()
        assert getattr(response, "status_code", 200) == 200
    return len(captured)


def _grow(add: Callable[[], object], fetch: Callable[[], object]) -> tuple[int, int]:
    for _ in range(3):
        add()
    fetch()  # the first request of a session does its own one-off work
    small = _queries(fetch)
    for _ in range(12):
        add()
    return small, _queries(fetch)


def test_the_notifications_list(world: World) -> None:
    me = person(world)
    client = signed_in(me.user)
    escalations: list[Escalation] = []

    def add() -> None:
        escalations.append(fresh(world))
        row(me, escalations[-1])

    small, large = _grow(add, lambda: client.get("/notifications/"))
    assert small == large


def test_the_business_units_outbox(world: World) -> None:
    unit: Person = world.business_unit  # type: ignore[assignment]
    client = signed_in(unit.user)
    to = world.people[("b", Level.SENIOR_MANAGER)]

    def add() -> None:
        row(to, fresh(world), channel=Channel.EMAIL, status=Status.FAILED, failure="Refused")

    small, large = _grow(add, lambda: client.get("/notifications/outbox/"))
    assert small == large


def test_the_calendar_feed(world: World) -> None:
    me = world.people[("a", Level.BOARD_REPRESENTATIVE)]
    secret = services.calendar_feed_reset(actor=Actor.of(me.user), now=NOW)
    client = signed_in(me.user)

    small, large = _grow(
        lambda: fresh(world), lambda: client.get(f"/notifications/feed/{secret}.ics")
    )
    assert small == large
