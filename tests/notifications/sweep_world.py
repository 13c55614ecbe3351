"""A partnership whose directory names someone for every part the notifications read, for the
outbox writer's and the deadline sweep's tests (helper B).

Agencies: ``a`` raises, ``b`` receives, ``c`` is a third party, ``d`` is never a party. Each
has a practitioner (with a line manager), its own contact at every stage (nobody else's), and
a director who acts for it (never a contact). The business unit's person is the business
manager; there is a board chair and a strategic safeguarding team member too.
"""

from __future__ import annotations

import datetime as dt
import inspect
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from escalate.accounts.models import User
from escalate.cases import rules, services
from escalate.cases.actors import Actor
from escalate.cases.deadlines import deadlines_sync
from escalate.cases.models import Escalation, Party, PartyRole, Stage
from escalate.directory.models import (
    LEVEL_RANK,
    Agency,
    BoardRole,
    Partnership,
    Person,
    StageContact,
)
from escalate.procedures import clock
from escalate.procedures.schema import Level, Procedure

LONDON = ZoneInfo("Europe/London")
AGENCY_TYPES = {
    "a": "local-authority-adults",
    "b": "secondary-health",
    "c": "police",
    "d": "housing",
}


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A moment on a day, London time."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


@dataclass
class NotifyWorld:
    partnership: Partnership
    procedure: Procedure
    agencies: dict[str, Agency]
    contact: dict[tuple[str, int], Person] = field(default_factory=dict)
    practitioner: dict[str, Person] = field(default_factory=dict)
    line_manager: dict[str, Person] = field(default_factory=dict)
    director: dict[str, Person] = field(default_factory=dict)
    business_manager: Person | None = None
    board_chair: Person | None = None
    safeguarding_team: Person | None = None

    def actor(self, person: Person) -> Actor:
        return Actor.of(person.user)

    @property
    def bm(self) -> Person:
        assert self.business_manager is not None
        return self.business_manager

    def contacts_at(self, stage: int, keys: str = "abc") -> set[Person]:
        return {self.contact[(k, stage)] for k in keys if (k, stage) in self.contact}


def _person(agency: Agency, name: str, level: Level, **extra: Any) -> Person:
    username = f"{agency.partnership.slug}-{name}".replace(" ", "-")
    user = User.objects.create_user(
        username=username, email=f"{username}@test.invalid", password="x"
    )
    return Person.objects.create(
        agency=agency,
        name=name,
        job_title=name,
        level=level.value,
        email=f"{username}@test.invalid",
        user=user,
        **extra,
    )


def _contact_level(procedure: Procedure, stage: int) -> Level:
    levels = [lv for lv in procedure.stage(stage).levels if lv in LEVEL_RANK]
    return levels[-1] if levels else Level.BOARD_REPRESENTATIVE


def make_notify_world(procedure_id: str, slug: str | None = None) -> NotifyWorld:
    procedure = rules.registry().get(procedure_id)
    slug = slug or procedure_id
    p = Partnership.objects.create(
        slug=slug,
        name=f"{slug} partnership",
        short_name=slug[:10],
        procedure_id=procedure.id,
        procedure_version=procedure.version,
    )
    agencies = {
        key: Agency.objects.create(partnership=p, name=f"{slug} {key}", agency_type=kind)
        for key, kind in AGENCY_TYPES.items()
    }
    world = NotifyWorld(p, procedure, agencies)
    for key, agency in agencies.items():
        manager = _person(agency, f"{key} line manager", Level.LINE_MANAGER)
        world.line_manager[key] = manager
        world.practitioner[key] = _person(
            agency, f"{key} practitioner", Level.PRACTITIONER, line_manager=manager
        )
        world.director[key] = _person(agency, f"{key} director", Level.BOARD_REPRESENTATIVE)
        for stage in procedure.stages:
            person = _person(
                agency,
                f"{key} stage {stage.number} contact",
                _contact_level(procedure, stage.number),
            )
            world.contact[(key, stage.number)] = person
            StageContact.objects.create(
                agency=agency, stage=stage.number, person=person, role=f"Stage {stage.number}"
            )
    body = Agency.objects.create(
        partnership=p, name=f"{slug} board", agency_type="other", is_partnership_body=True
    )
    world.business_manager = _person(
        body,
        "business manager",
        Level.BOARD_REPRESENTATIVE,
        is_business_unit=True,
        board_role=BoardRole.BUSINESS_MANAGER,
    )
    world.board_chair = _person(
        body, "board chair", Level.BOARD_REPRESENTATIVE, board_role=BoardRole.BOARD_CHAIR
    )
    world.safeguarding_team = _person(
        body,
        "safeguarding team",
        Level.BOARD_REPRESENTATIVE,
        board_role=BoardRole.STRATEGIC_SAFEGUARDING_TEAM,
    )
    return world


def bare_escalation(
    world: NotifyWorld,
    *,
    outset_on: dt.date,
    stage: int = 1,
    receiving_person: bool = True,
    immediate_risk: bool = False,
    status: str = "open",
    closed_on: dt.date | None = None,
) -> Escalation:
    """An escalation's rows written directly (no service, no outbox rows): a, b and c are
    parties, ``a``'s practitioner raised it, ``b``'s received it."""
    proc = world.procedure
    esc = Escalation.objects.create(
        partnership=world.partnership,
        procedure_key=proc.key,
        subject_kind="adult",
        subject_reference_kind="pid",
        subject_reference="PID-1",
        category=proc.categories[0].id,
        source="referral",
        raising_agency=world.agencies["a"],
        raising_person=world.practitioner["a"],
        receiving_agency=world.agencies["b"],
        receiving_person=world.practitioner["b"] if receiving_person else None,
        issue="i",
        risk="r",
        aim="a",
        immediate_risk=immediate_risk,
        immediate_risk_reason="Now" if immediate_risk else "",
        outset_on=outset_on,
        raised_on=outset_on,
        start_stage=stage if stage > 1 else 1,
        current_stage=stage,
        status=status,
        closed_on=closed_on,
    )
    for key, role in (("a", PartyRole.RAISING), ("b", PartyRole.RECEIVING), ("c", PartyRole.OTHER)):
        Party.objects.create(escalation=esc, agency=world.agencies[key], role=role)
    Stage.objects.create(escalation=esc, number=stage, entered_on=outset_on)
    return esc


# ---------------------------------------------------------------------------------------
# Driving escalations through the services, as the application does


def sync_deadlines(esc: Escalation) -> None:
    """Keep the escalation's ``Deadline`` rows in step with the rules core.

    The services do this themselves now (in the same transaction as each change); calling it
    again here is harmless repetition, kept in this one helper so it is easy to remove."""
    esc.refresh_from_db()
    procedure = rules.procedure_of(esc)
    calendar = esc.partnership.calendar()
    state = rules.state_of(esc, esc.stages.all(), esc.entries.all())
    facts = state.facts()
    items = clock.live_items(procedure, clock.plan(procedure, calendar, facts), facts)
    deadlines_sync(esc, items)


def raise_through_services(
    world: NotifyWorld, *, outset_on: dt.date, now: dt.datetime, **overrides: Any
) -> Escalation:
    values: dict[str, Any] = {
        "subject_kind": "adult",
        "subject_name": "",
        "subject_reference_kind": "pid",
        "subject_reference": "PID-1",
        "category": world.procedure.categories[0].id,
        "source": "referral",
        "source_detail": "",
        "receiving_agency_id": world.agencies["b"].pk,
        "receiving_practitioner": world.practitioner["b"].name,
        "issue": "The issue",
        "risk": "The risk",
        "aim": "The aim",
        "outset_on": outset_on,
        "other_agency_ids": (world.agencies["c"].pk,),
    }
    values.update(overrides)
    esc = services.escalation_raise(
        actor=world.actor(world.practitioner["a"]),
        data=services.NewEscalation(**values),
        today=now.astimezone(LONDON).date(),
        now=now,
    )
    sync_deadlines(esc)
    return esc


def act(
    world: NotifyWorld, esc: Escalation, action: str, now: dt.datetime, **kw: Any
) -> Escalation:
    """One change through its service on the day of ``now`` (``escalate``, ``resolve``,
    ``decide``, ``confirm``, ``withdraw``, ``record_event``, ``meet_obligation``), by the raising
    agency's director, or the business unit at a top stage it records."""
    esc.refresh_from_db()
    today = now.astimezone(LONDON).date()
    service = getattr(services, f"escalation_{action}")
    by_bu = action == "decide" or (
        esc.current_stage == world.procedure.top
        and world.procedure.top_stage.recorded_by == "business-unit"
        and action != "withdraw"
    )
    person = world.bm if by_bu else world.director["a"]
    params = inspect.signature(service).parameters
    if "on" in params:
        kw.setdefault("on", today)
    if "now" in params:  # the moment the outbox rows are written at, where a service takes it
        kw["now"] = now
    esc = service(actor=world.actor(person), escalation=esc, version=esc.version, today=today, **kw)
    sync_deadlines(esc)
    return esc
