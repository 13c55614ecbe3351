"""The outbox writer: one row per (cause, person, channel), in the change's transaction
(helper B)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from escalate.cases.actors import Actor
from escalate.cases.models import Escalation, Stage
from escalate.notifications.models import (
    Channel,
    Delivery,
    Kind,
    Notification,
    Preference,
    Status,
)
from escalate.notifications.outbox import write_for_events
from escalate.procedures import events as ev
from escalate.procedures import lifecycle as lc
from escalate.procedures.schema import TopOutcome
from tests.notifications.sweep_world import (
    LONDON,
    NotifyWorld,
    at,
    bare_escalation,
    make_notify_world,
    raise_through_services,
    sync_deadlines,
)

D = dt.date(2026, 4, 29)  # a Wednesday
NOW = at(D, 11)


@pytest.fixture
def nel(db: None) -> NotifyWorld:
    return make_notify_world("north-east-lincolnshire")


def _raised(world: NotifyWorld, **kw: object) -> tuple[Escalation, lc.Transition]:
    esc = bare_escalation(world, outset_on=D, **kw)  # type: ignore[arg-type]
    transition = lc.raise_escalation(
        world.procedure, outset_on=D, raised_on=D, calendar=world.partnership.calendar()
    )
    sync_deadlines(esc)
    return esc, transition


def _write(
    world: NotifyWorld,
    esc: Escalation,
    events: tuple[ev.Event, ...],
    version: int = 1,
    actor: Actor | None = None,
) -> int:
    return write_for_events(
        escalation=esc,
        events=events,
        version=version,
        actor=actor or Actor.of(world.practitioner["a"].user),
        now=NOW,
    )


def test_raise_writes_an_app_row_and_an_email_row_per_person(nel: NotifyWorld) -> None:
    esc, transition = _raised(nel)
    written = _write(nel, esc, transition.events)
    rows = list(Notification.objects.all())
    assert written == len(rows)
    people = {n.recipient for n in rows}
    # raised: the receiving practitioner and the raiser's line manager; the stage begins for
    # everyone else who holds stage 1 in a, b and c. Never the raiser, who acted.
    expected = nel.contacts_at(1) | {nel.practitioner["b"], nel.line_manager["a"]}
    assert people == expected
    assert written == 2 * len(expected)
    for n in rows:
        assert n.partnership_id == nel.partnership.pk
        assert n.escalation_id == esc.pk
        assert n.reference == esc.reference
        assert n.urgent is False
        if n.channel == Channel.APP:
            assert (n.status, n.sent_at, n.next_attempt_at) == (Status.SENT, NOW, NOW)
        else:
            assert n.channel == Channel.EMAIL
            assert (n.status, n.sent_at, n.next_attempt_at) == (Status.QUEUED, None, NOW)
    by_person = {(n.recipient, n.channel): n for n in rows}
    raised = by_person[(nel.practitioner["b"], Channel.EMAIL)]
    assert (raised.kind, raised.key, raised.stage) == (Kind.RAISED, f"event:{esc.pk}:1:0", 1)
    # the stage's due date, from the rules core (NEL stage 1: 2 working days after the outset,
    # Friday 1 May 2026)
    assert raised.due_on == dt.date(2026, 5, 1)
    entered = by_person[(nel.contact[("c", 1)], Channel.APP)]
    assert (entered.kind, entered.key) == (Kind.STAGE_ENTERED, f"event:{esc.pk}:1:1")


def test_writing_the_same_change_again_writes_nothing(nel: NotifyWorld) -> None:
    esc, transition = _raised(nel)
    first = _write(nel, esc, transition.events)
    assert first > 0
    assert _write(nel, esc, transition.events) == 0
    assert Notification.objects.count() == first


def test_a_rolled_back_change_leaves_no_rows(nel: NotifyWorld) -> None:
    esc, transition = _raised(nel)

    class Refused(Exception):
        pass

    written: list[int] = []

    def change_then_refuse() -> None:
        with transaction.atomic():
            written.append(_write(nel, esc, transition.events))
            assert Notification.objects.exists()
            raise Refused

    with pytest.raises(Refused):
        change_then_refuse()
    assert written[0] > 0
    assert not Notification.objects.exists()


def test_the_next_change_has_its_own_keys(nel: NotifyWorld) -> None:
    esc, transition = _raised(nel)
    _write(nel, esc, transition.events)
    escalated = lc.escalate(nel.procedure, transition.state, escalated_on=D, reason="No")
    esc.current_stage = 2
    esc.save()
    esc.stages.update(left_on=D)
    Stage.objects.create(escalation=esc, number=2, entered_on=D)
    sync_deadlines(esc)
    written = _write(nel, esc, escalated.events, version=2, actor=Actor.of(nel.director["a"].user))
    rows = Notification.objects.filter(key__startswith=f"event:{esc.pk}:2:")
    assert written == rows.count() > 0
    # StageEscalated (0) says nothing itself; StageEntered (1) tells the stage 2 holders
    assert {n.key for n in rows} == {f"event:{esc.pk}:2:1"}
    assert {n.recipient for n in rows} == nel.contacts_at(2)
    assert {n.due_on for n in rows} == {dt.date(2026, 5, 12)}  # O + 8 working days


def test_entering_a_stage_copies_those_the_definition_names(nel: NotifyWorld) -> None:
    esc = bare_escalation(nel, outset_on=D, stage=3)
    sync_deadlines(esc)
    _write(nel, esc, (ev.StageEntered(3, D),), actor=Actor.of(nel.director["a"].user))
    copies = Notification.objects.filter(kind=Kind.COPY, channel=Channel.EMAIL)
    by_person = {n.recipient: n.obligation for n in copies}
    assert by_person[nel.bm] == "report-procedural-change"
    assert by_person[nel.line_manager["b"]] == "notify-line-managers"
    assert all(n.stage == 3 for n in copies)


@pytest.mark.parametrize(
    "event",
    [
        ev.StageResolved(2, D, "Agreed"),
        ev.EscalationWithdrawn(2, D, "No longer needed"),
        ev.TopStageDecided(2, D, TopOutcome.RECOMMENDATIONS, "Do this"),
    ],
    ids=["resolved", "withdrawn", "decided"],
)
def test_closing_the_loop(nel: NotifyWorld, event: ev.Event) -> None:
    esc = bare_escalation(nel, outset_on=D, stage=2, status="resolved", closed_on=D)
    written = _write(nel, esc, (event,), version=5, actor=Actor.of(nel.bm.user))
    rows = Notification.objects.all()
    assert written == rows.count()
    assert {n.kind for n in rows} == {Kind.CLOSED}
    expected = nel.contacts_at(2) | {nel.practitioner["a"], nel.practitioner["b"]}
    assert {n.recipient for n in rows} == expected
    assert {n.key for n in rows} == {f"event:{esc.pk}:5:0"}


def test_a_digest_reader_has_non_urgent_email_held(nel: NotifyWorld) -> None:
    Preference.objects.create(person=nel.practitioner["b"], delivery=Delivery.DIGEST)
    esc, transition = _raised(nel)
    _write(nel, esc, transition.events)
    email = Notification.objects.get(recipient=nel.practitioner["b"], channel=Channel.EMAIL)
    app = Notification.objects.get(recipient=nel.practitioner["b"], channel=Channel.APP)
    assert email.status == Status.HELD
    assert app.status == Status.SENT
    other = Notification.objects.get(recipient=nel.line_manager["a"], channel=Channel.EMAIL)
    assert other.status == Status.QUEUED


def test_immediate_risk_is_always_immediate_and_urgent(nel: NotifyWorld) -> None:
    Preference.objects.create(person=nel.practitioner["b"], delivery=Delivery.DIGEST)
    esc, transition = _raised(nel, immediate_risk=True)
    _write(nel, esc, transition.events)
    email = Notification.objects.get(recipient=nel.practitioner["b"], channel=Channel.EMAIL)
    assert email.status == Status.QUEUED
    assert email.urgent is True
    assert all(n.urgent for n in Notification.objects.all())


def test_events_that_call_for_no_message_write_nothing(nel: NotifyWorld) -> None:
    esc, _ = _raised(nel)
    events: tuple[ev.Event, ...] = (
        ev.ContactRecorded(1, D, D, "telephone"),
        ev.ObligationMet(1, "consult-line-manager", D),
        ev.ProcedureEventRecorded(1, "meeting-held", D),
    )
    assert _write(nel, esc, events) == 0
    assert not Notification.objects.exists()


def test_rows_carry_no_personal_data(nel: NotifyWorld) -> None:
    """What a row holds is a reference, a kind, a stage, a duty and a date (the message is
    rendered from these): nothing the raiser typed."""
    esc, transition = _raised(nel)
    Escalation.objects.filter(pk=esc.pk).update(
        subject_name="Zebedee Quillfeather", issue="Typed-7731"
    )
    _write(nel, esc, transition.events)
    for row in Notification.objects.values():
        text = " ".join(str(v) for v in row.values())
        assert "Quillfeather" not in text
        assert "Typed-7731" not in text


def test_the_services_write_the_outbox_in_their_transaction(nel: NotifyWorld) -> None:
    """Raising through the service (as the application does) writes the same rows."""
    esc = raise_through_services(nel, outset_on=D, now=NOW)
    rows = Notification.objects.filter(escalation=esc)
    assert rows.filter(kind=Kind.RAISED, channel=Channel.EMAIL).count() == 2
    assert {n.recipient for n in rows.filter(kind=Kind.RAISED)} == {
        nel.practitioner["b"],
        nel.line_manager["a"],
    }
    assert not rows.filter(recipient=nel.practitioner["a"]).exists()
    assert all(n.created_at.astimezone(LONDON).date() >= D for n in rows)
