"""What a message says: reference, stage, due date and link; never the person or typed text."""

from __future__ import annotations

import pytest
from django.test import override_settings

from escalate.notifications.messages import render, render_digest
from escalate.notifications.models import Kind
from tests.cases.conftest import World, make_world
from tests.notifications.rows import SUBJECT_NAME, TYPED, an_escalation, email_row, recipient

SITE = "https://escalate.example.org"


@pytest.fixture
def world(db: None) -> World:
    return make_world("north-east-lincolnshire")


@pytest.mark.django_db
@override_settings(ESCALATE_SITE_URL=SITE)
@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_names_the_reference_and_links_to_the_record(world: World, kind: Kind) -> None:
    esc = an_escalation(world)
    row = email_row(esc, recipient(world), kind=kind, stage=2)
    message = render(row)
    assert esc.reference in message.subject
    assert esc.reference in message.body
    assert message.link in message.body
    if kind == Kind.OVERDUE_NEXT_LEVEL:
        assert message.link == f"{SITE}/escalations/{esc.reference}/escalate/"
    else:
        assert message.link == f"{SITE}/escalations/{esc.reference}/"
    for text in (message.subject, message.body):
        assert SUBJECT_NAME not in text
        assert TYPED not in text
        assert "@" not in text  # no address


@pytest.mark.django_db
def test_due_soon_gives_the_stage_and_the_date_in_words(world: World) -> None:
    esc = an_escalation(world)
    message = render(email_row(esc, recipient(world), kind=Kind.DUE_SOON, stage=1))
    assert "due on 5 March 2026" in message.subject
    assert "stage 1" in message.body
    assert "5 March 2026" in message.body


@pytest.mark.django_db
def test_a_duty_is_named_in_the_procedure_s_words(world: World) -> None:
    esc = an_escalation(world)
    row = email_row(
        esc, recipient(world), kind=Kind.OVERDUE, stage=1, obligation="approach-other-practitioner"
    )
    message = render(row)
    assert "Approach the other practitioner" in message.body
    assert "overdue since 5 March 2026" in message.subject


@pytest.mark.django_db
def test_overdue_next_level_offers_the_next_stage(world: World) -> None:
    esc = an_escalation(world)
    message = render(email_row(esc, recipient(world), kind=Kind.OVERDUE_NEXT_LEVEL, stage=2))
    assert "stage 3" in message.body
    assert "/escalate/" in message.body


@pytest.mark.django_db
def test_the_digest_lists_every_row_with_its_link(world: World) -> None:
    esc = an_escalation(world)
    other = an_escalation(world)
    rows = [
        email_row(esc, recipient(world), kind=Kind.STAGE_ENTERED, stage=2),
        email_row(other, recipient(world), kind=Kind.CLOSED, stage=None, due_on=None),
    ]
    message = render_digest(rows)
    assert "2 updates" in message.subject
    for row in rows:
        assert row.reference in message.body
        assert f"/escalations/{row.reference}/" in message.body
    assert SUBJECT_NAME not in message.body
    assert TYPED not in message.body
