"""What the panels' messages say (the reference, the stage and a date, never a name or anything
typed), and that writing the same cause twice writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from escalate.notifications import outbox, recipients
from escalate.notifications.messages import render
from escalate.notifications.models import Kind, Notification
from escalate.panels.services import NewRecommendation, outcome_record
from tests.panels.support import SITS_ON, TODAY, at_top, bu, convened, person

pytestmark = pytest.mark.django_db


def test_each_kind_says_what_happened_and_nothing_personal() -> None:
    world, esc = at_top("north-east-lincolnshire", subject_name="Alex Example")
    convened(world, esc)
    outcome_record(
        actor=bu(world),
        escalation=esc,
        version=esc.version,
        today=TODAY,
        on=dt.date(2026, 3, 20),
        decision="Secret words of the chair",
        recommendations=[NewRecommendation(world.b.pk, "Typed advice", dt.date(2026, 4, 3))],
    )
    said = {}
    for n in Notification.objects.filter(escalation=esc, channel="email"):
        message = render(n)
        said[n.kind] = message
        whole = message.subject + message.body
        for secret in ("Alex Example", "Secret words", "Typed advice", n.recipient.name):
            assert secret not in whole
        assert esc.reference in message.subject
    assert said[Kind.PANEL].subject.endswith(f"{esc.reference}: a panel sits on 20 March 2026")
    assert "Your agency's response is due by 3 April 2026." in said[Kind.RECOMMENDATION].body
    assert "has been recorded" in said[Kind.OUTCOME].body


def test_the_same_cause_is_written_once() -> None:
    world, esc = at_top("north-east-lincolnshire")
    someone = recipients.Addressee(person(world, "c"), Kind.PANEL, 5)
    now = dt.datetime(2026, 3, 20, 10, 0, tzinfo=dt.UTC)
    addressed = [(someone, SITS_ON)]
    assert outbox.write_to(escalation=esc, cause="panel:x", addressed=addressed, now=now) == 2
    assert outbox.write_to(escalation=esc, cause="panel:x", addressed=addressed, now=now) == 0
    assert Notification.objects.filter(key="panel:x").count() == 2  # in Escalate and by e-mail
