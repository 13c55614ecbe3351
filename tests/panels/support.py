"""Panels in tests: seats in the directory, escalations at the top stage, panels convened."""

from __future__ import annotations

import datetime as dt

from escalate.cases.actors import Actor
from escalate.cases.models import Escalation
from escalate.cases.rules import registry
from escalate.directory.models import Agency, PanelSeat, Person
from escalate.panels import services
from escalate.panels.models import Panel
from escalate.procedures.schema import Level, PanelKind
from tests.cases.conftest import World, escalated_to, make_world, raise_one

D = dt.date
TODAY = D(2026, 6, 1)
SITS_ON = D(2026, 3, 20)
RAISED_ON = D(2026, 3, 2)


def seat(person: Person, kind: PanelKind | str, agency: Agency | None = None) -> PanelSeat:
    """A seat for ``person`` on the partnership's panels of ``kind``, for their own agency
    unless another is given."""
    return PanelSeat.objects.create(
        partnership_id=person.agency.partnership_id,
        kind=PanelKind(kind).value,
        person=person,
        agency=agency or person.agency,
    )


def seat_on_every_panel(person: Person) -> list[PanelSeat]:
    """A seat on every kind of the partnership's panels (what ``is_panel_member`` gave)."""
    return [seat(person, kind) for kind in PanelKind]


def at_top(procedure_id: str, **overrides: object) -> tuple[World, Escalation]:
    """A world running the procedure (agencies a council, b health, c police) and an
    escalation a -> b at its top stage (raised on 2 March 2026, then a stage a day)."""
    world = make_world(procedure_id)
    top = registry().get(procedure_id).top
    return world, escalated_to(world, raise_one(world, RAISED_ON, **overrides), top)


def bu(world: World) -> Actor:
    return Actor.of(world.bu_user)


def convened(world: World, esc: Escalation, kind: str | None = None) -> Panel:
    if kind is None:
        procedure = registry().get(world.partnership.procedure_id)
        stage_panel = procedure.stage(esc.current_stage).panel
        assert stage_panel is not None
        kind = stage_panel.kind.value
    return services.panel_convene(
        actor=bu(world), escalation=esc, today=TODAY, kind=kind, sits_on=SITS_ON
    )


def person(world: World, key: str, level: Level = Level.SENIOR_MANAGER) -> Person:
    return world.people[(key, level)]
