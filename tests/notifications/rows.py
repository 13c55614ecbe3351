"""Outbox rows for the delivery tests, written directly (as the outbox writer would)."""

from __future__ import annotations

import datetime as dt
import itertools

from escalate.cases.models import Escalation
from escalate.cases.rules import registry
from escalate.directory.models import Person
from escalate.notifications.models import Channel, Kind, Notification, Status
from escalate.procedures.schema import Level
from tests.cases.conftest import World

#: What a user typed about the person at risk: never in any message.
SUBJECT_NAME = "Zebedee Quillfeather"
TYPED = "Typed-by-a-user-7731"
#: Tuesday 3 March 2026, 10:00 in London (GMT): a working day, inside working hours.
T0 = dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC)
DUE_ON = dt.date(2026, 3, 5)

_keys = itertools.count(1)


def an_escalation(world: World) -> Escalation:
    """An open escalation at stage 1 whose record holds a name and typed text (to prove that
    no message carries them)."""
    proc = registry().get(world.partnership.procedure_id)
    return Escalation.objects.create(
        partnership=world.partnership,
        procedure_key=proc.key,
        subject_kind="adult",
        subject_name=SUBJECT_NAME,
        subject_reference_kind="pid",
        subject_reference=f"PID-{TYPED}",
        category=proc.categories[0].id,
        source="referral",
        source_detail=TYPED,
        raising_agency=world.a,
        raising_person=world.people[("a", Level.PRACTITIONER)],
        receiving_agency=world.b,
        issue=TYPED,
        risk=TYPED,
        aim=TYPED,
        outset_on=dt.date(2026, 3, 2),
        raised_on=dt.date(2026, 3, 2),
    )


def recipient(world: World, agency: str = "b", level: Level = Level.SENIOR_MANAGER) -> Person:
    return world.people[(agency, level)]


def email_row(
    esc: Escalation,
    to: Person,
    *,
    kind: str = Kind.DUE_SOON,
    stage: int | None = 1,
    obligation: str = "",
    due_on: dt.date | None = DUE_ON,
    status: str = Status.QUEUED,
    next_attempt_at: dt.datetime = T0,
    urgent: bool = False,
) -> Notification:
    return Notification.objects.create(
        partnership_id=esc.partnership_id,
        escalation=esc,
        reference=esc.reference,
        key=f"test:{esc.pk}:{next(_keys)}",
        kind=kind,
        stage=stage,
        obligation=obligation,
        due_on=due_on,
        urgent=urgent,
        recipient=to,
        channel=Channel.EMAIL,
        status=status,
        next_attempt_at=next_attempt_at,
    )
