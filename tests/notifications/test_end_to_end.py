"""An escalation left alone: the sweep and the delivery run on a clock moved forward hour by
hour, and a real SMTP server (aiosmtpd on loopback) counts what arrives, when and for whom.

This is the issue's "done when": the reminders and overdue messages the procedure implies
arrive on the right days, in working hours, to the right people, each once; and the raiser
hears how it ended.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

import pytest
from django.test import override_settings

from escalate.notifications.delivery import deliver_due
from escalate.notifications.models import Channel, Kind, Notification
from escalate.notifications.outbox import sweep
from tests.notifications.smtp_server import OUTBOX_HEADER, SmtpServer
from tests.notifications.sweep_world import LONDON, act, make_notify_world, raise_through_services

D = dt.date
#: Thursday 30 April 2026: Friday is a working day, then a weekend and the early May bank
#: holiday (Monday 4 May).
RAISED = dt.datetime(2026, 4, 30, 10, 0, tzinfo=LONDON)


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with SmtpServer() as running, override_settings(MAILERS=running.mailers()):
        yield running


def _run_until(
    server: SmtpServer, start: dt.datetime, end: dt.datetime
) -> dict[str, list[tuple[dt.datetime, str]]]:
    """Sweep and deliver every hour from ``start`` to ``end``, as the worker's ticker does;
    what arrived, by kind: (the moment it arrived, to whom)."""
    arrived: dict[str, list[tuple[dt.datetime, str]]] = defaultdict(list)
    seen = len(server.received)
    now = start
    while now <= end:
        sweep(now=now)
        deliver_due(now=now, worker="e2e")
        for got in server.received[seen:]:
            row = Notification.objects.get(pk=int(got.message[OUTBOX_HEADER]))
            assert row.channel == Channel.EMAIL
            for to in got.recipients:
                arrived[row.kind].append((now, to))
        seen = len(server.received)
        now += dt.timedelta(hours=1)
    return arrived


def _working_moment(moment: dt.datetime, world_calendar: object) -> bool:
    local = moment.astimezone(LONDON)
    return (
        world_calendar.is_working_day(local.date())  # type: ignore[attr-defined]
        and dt.time(9) <= local.time() < dt.time(17)
    )


@pytest.mark.django_db
def test_an_escalation_left_alone_is_reminded_chased_and_closed(server: SmtpServer) -> None:
    world = make_notify_world("north-east-lincolnshire")
    calendar = world.partnership.calendar()
    esc = raise_through_services(world, outset_on=RAISED.date(), now=RAISED)
    due_on = esc.current_due_on
    assert due_on is not None
    remind_on = due_on - dt.timedelta(days=1)
    while not calendar.is_working_day(remind_on):
        remind_on -= dt.timedelta(days=1)
    overdue_on = due_on + dt.timedelta(days=1)
    while not calendar.is_working_day(overdue_on):
        overdue_on += dt.timedelta(days=1)

    arrived = _run_until(
        server, RAISED, dt.datetime.combine(overdue_on, dt.time(23), tzinfo=LONDON)
    )

    def people(kind: str) -> set[str]:
        return {to for _, to in arrived[kind]}

    def days(kind: str) -> set[D]:
        return {at.astimezone(LONDON).date() for at, _ in arrived[kind]}

    # Raised: the receiving practitioner and the raiser's line manager, at once.
    assert people(Kind.RAISED) >= {world.practitioner["b"].email, world.line_manager["a"].email}
    assert days(Kind.RAISED) == {RAISED.date()}
    # Due soon: the working day before the due date, at the start of working hours, to whoever
    # holds stage 1 (the practitioners who raised and received it).
    assert days(Kind.DUE_SOON) == {remind_on}
    assert {at.astimezone(LONDON).time() for at, _ in arrived[Kind.DUE_SOON]} == {dt.time(9)}
    assert people(Kind.DUE_SOON) >= {world.practitioner["a"].email, world.practitioner["b"].email}
    # Overdue: the first working day after the due date (past the weekend and the bank holiday
    # where they fall), to the holders and to the next level up in each agency.
    assert days(Kind.OVERDUE) == {overdue_on}
    assert days(Kind.OVERDUE_NEXT_LEVEL) == {overdue_on}
    assert people(Kind.OVERDUE_NEXT_LEVEL) >= {world.contact[("a", 2)].email}
    # Nothing about the sweep's findings outside working hours, at a weekend or on a holiday.
    swept = [
        at
        for kind in (Kind.DUE_SOON, Kind.OVERDUE, Kind.OVERDUE_NEXT_LEVEL)
        for at, _ in arrived[kind]
    ]
    assert swept and all(_working_moment(at, calendar) for at in swept)
    # Each (cause, recipient) once.
    counts = server.collector.outbox_counts()
    assert set(counts.values()) == {1}

    # The raiser hears how it ended.
    ended = dt.datetime.combine(overdue_on, dt.time(11), tzinfo=LONDON) + dt.timedelta(days=1)
    act(world, esc, "resolve", ended, outcome="Agreed between the agencies")
    closed = _run_until(server, ended, ended + dt.timedelta(hours=2))
    assert world.practitioner["a"].email in {to for _, to in closed[Kind.CLOSED]}
