"""Helpers for the forms' tests: an escalation of a procedure at a given stage, and the people
who complete, sign and receive its forms."""

from __future__ import annotations

import datetime as dt

from escalate.cases import services as case_services
from escalate.cases.actors import Actor
from escalate.cases.models import Escalation
from escalate.directory.models import BoardRole, StageContact
from escalate.documents import services
from escalate.documents.models import FormVersion
from escalate.procedures.schema import Level
from tests.cases.conftest import World, make_world, raise_one

NOW = dt.datetime(2026, 3, 9, 10, 30, tzinfo=dt.UTC)
OUTSET = dt.date(2026, 3, 2)


def actor(world: World, agency: str, level: Level) -> Actor:
    return Actor.of(world.user(agency, level))


def bu(world: World) -> Actor:
    return Actor.of(world.bu_user)


def world_at(procedure_id: str, stage: int, slug: str | None = None) -> tuple[World, Escalation]:
    """A partnership running the procedure, with an escalation (a -> b, raised by a's
    practitioner) escalated to ``stage``. The business unit is the business manager, and each
    party's board representative is its stage 4 contact."""
    world = make_world(procedure_id, slug)
    assert world.business_unit is not None
    world.business_unit.board_role = BoardRole.BUSINESS_MANAGER
    world.business_unit.save()
    StageContact.objects.create(
        agency=world.a,
        stage=4,
        role="Board rep",
        person=world.people[("a", Level.BOARD_REPRESENTATIVE)],
    )
    esc = raise_one(world, on=OUTSET)
    return world, escalate_to(world, esc, stage)


def escalate_to(world: World, esc: Escalation, stage: int) -> Escalation:
    """Escalate (by the raising agency's board representative) a day at a time from the day
    the current stage was entered, up to ``stage``."""
    day = esc.stages.get(number=esc.current_stage).entered_on
    while esc.current_stage < stage:
        day += dt.timedelta(days=1)
        esc = case_services.escalation_escalate(
            actor=actor(world, "a", Level.BOARD_REPRESENTATIVE),
            today=day,
            escalation=esc,
            version=esc.version,
            on=day,
            reason="Not resolved",
        )
    return esc


def resolve(world: World, esc: Escalation, level: Level = Level.BOARD_REPRESENTATIVE) -> Escalation:
    return case_services.escalation_resolve(
        actor=actor(world, "a", level),
        escalation=esc,
        version=esc.version,
        today=OUTSET + dt.timedelta(days=7),
        on=OUTSET + dt.timedelta(days=7),
        outcome="Agreed: a joint visit this week",
    )


MONITORING_ANSWERS = {
    "adult": "PID: PID-1",
    "summary": "The issue, and each agency's view",
    "agreed-outcomes": "A joint visit",
    "stage-resolved": "3",
    "days-taken": "5",
    "effectiveness": "It worked",
}


def draft(
    world: World,
    esc: Escalation,
    form_id: str,
    values: dict[str, str],
    who: Actor,
    *,
    revision: int | None = None,
) -> FormVersion:
    if revision is None:
        latest = (
            FormVersion.objects.filter(record__escalation=esc, record__form_id=form_id)
            .order_by("-number")
            .first()
        )
        revision = latest.revision if latest is not None and latest.is_draft else 0
    return services.form_save_draft(
        actor=who, escalation=esc, form_id=form_id, values=values, revision=revision, now=NOW
    )
